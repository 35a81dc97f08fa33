"""Integration test of apranova.aws_stack.sns_topics against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/sns_topics/main.yml"
INVENTORY = "tests/integration/inventory.yml"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:itest-queue"


def _topics(sns):
    """Name -> (attributes, sorted (protocol, endpoint) subscriptions, tags) of every topic."""
    out = {}
    for topic in sns.list_topics()["Topics"]:
        arn = topic["TopicArn"]
        subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
        out[arn.rsplit(":", 1)[1]] = (sns.get_topic_attributes(TopicArn=arn)["Attributes"],
                                      sorted((s["Protocol"], s["Endpoint"]) for s in subs),
                                      {t["Key"]: t["Value"] for t in tags})
    return out


def _run(aws, phase):
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=phase)
    assert run.rc == 0, run
    return run


def test_sns_topics(aws):
    sns = aws.client("sns")

    # Invalid input fails before any API call: nothing is created.
    before = aws.aws_calls()
    _run(aws, "invalid")
    assert aws.aws_calls() == before
    assert sns.list_topics()["Topics"] == []

    # Create: the alarm topic with its two subscriptions, the event topic encrypted, both tagged.
    _run(aws, "create")
    topics = _topics(sns)
    assert sorted(topics) == ["itest-alarms", "itest-events"]
    attributes, subs, tags = topics["itest-alarms"]
    assert attributes["DisplayName"] == "itest alarms" and not attributes.get("KmsMasterKeyId")
    assert subs == [("email", "ops@example.com"), ("sqs", QUEUE)]
    assert tags == {"Project": "itest", "Tier": "monitoring"}
    attributes, subs, tags = topics["itest-events"]
    assert attributes["KmsMasterKeyId"] == "alias/aws/sns" and attributes["DisplayName"] == ""
    assert subs == [] and tags == {"Project": "itest", "Tier": "monitoring"}

    # A run that changes nothing on one topic: ListTopics, then GetTopicAttributes,
    # ListSubscriptionsByTopic and ListTagsForResource side by side (community.aws.sns_topic: 11).
    before = aws.aws_calls()
    _run(aws, "noop")
    assert aws.aws_calls() - before == 4
    assert _topics(sns) == topics

    # Update: display name, one subscriber replaced (the other kept), encryption off, a tag purged.
    _run(aws, "update")
    topics = _topics(sns)
    attributes, subs, tags = topics["itest-alarms"]
    assert attributes["DisplayName"] == "itest alarms (updated)"
    assert subs == [("email", "oncall@example.com"), ("sqs", QUEUE)]
    assert tags == {"Project": "itest"}
    attributes, subs, tags = topics["itest-events"]
    assert not attributes.get("KmsMasterKeyId") and tags == {"Project": "itest"}

    # Delete: both topics and their subscriptions; a topic that never existed is no error.
    _run(aws, "delete")
    assert sns.list_topics()["Topics"] == []
    assert sns.list_subscriptions()["Subscriptions"] == []
