"""Offline tests of plugins/module_utils/sns.py and the sns_topics module's reconcile functions.

Validation and normalisation are pure functions. The reconcile functions run against moto's
in-process backend (``mock_aws``): no network, no server. A fake client shows that the reads of
all the topics go out side by side.
"""

from __future__ import annotations

import threading

import boto3
import pytest

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import sns
from ansible_collections.apranova.aws_stack.plugins.modules import sns_topics as mod
from ...aws_answers import retrying

EMAIL = {"protocol": "email", "endpoint": "ops@example.com"}


def spec(name="p-alarms", **kw):
    """A ``topics`` entry as the argument spec hands it over (defaults applied)."""
    topic = dict(name=name, display_name=None, kms_master_key_id=None, subscriptions=None, purge_subscriptions=True)
    topic.update(kw)
    return topic


# --- validation --------------------------------------------------------------------------------


def test_valid_topics_give_no_errors():
    assert sns.validate_topics([spec(subscriptions=[EMAIL, {"protocol": "sms", "endpoint": "+1 555 0100"}]),
                                spec("p_other-2")], "present") == []


@pytest.mark.parametrize("changes, needle", [
    (dict(name="p-alarms.fifo"), "names a FIFO topic; this module manages standard topics only"),
    (dict(name="arn:aws:sns:us-east-1:123456789012:p-alarms"), "name takes the topic's name, not its ARN ('p-alarms')"),
    (dict(name="p alarms"), "name 'p alarms' is not a valid topic name"),
    (dict(name="x" * 257), "is not a valid topic name"),
    (dict(subscriptions=[{"protocol": "mail", "endpoint": "a@b.c"}]), "subscriptions[0]: protocol 'mail' is not valid"),
    (dict(subscriptions=[{"protocol": "email", "endpoint": ""}]), "subscriptions[0]: endpoint is required"),
    (dict(subscriptions=[{"protocol": "sms", "endpoint": "+1 555 0100"}, {"protocol": "sms", "endpoint": "+15550100"}]),
     "subscriptions[1]: sms:+15550100 is already listed as subscriptions[0]"),
])
def test_each_problem_is_reported_with_the_topic(changes, needle):
    errors = sns.validate_topics([spec(**changes)], "present")
    assert len(errors) == 1, errors
    assert errors[0].startswith("topics[0] (")
    assert needle in errors[0]


def test_duplicate_names_and_every_problem_at_once():
    errors = sns.validate_topics([spec("a"), spec("a.fifo"), spec("a", subscriptions=[{"protocol": "x", "endpoint": "y"}]),
                                  spec(None)], "present")
    assert len(errors) == 4, errors
    assert "FIFO" in errors[0] and errors[0].startswith("topics[1] (a.fifo)")
    assert "already used by topics[0]" in errors[1] and "protocol 'x' is not valid" in errors[2]
    assert errors[3] == "topics[3]: name is required and must not be empty."


def test_absent_checks_names_only():
    assert sns.validate_topics([spec(subscriptions=[{"protocol": "x", "endpoint": ""}])], "absent") == []
    assert sns.validate_topics([spec("t.fifo")], "absent")[0].startswith("topics[0] (t.fifo)")


# --- normalisation -----------------------------------------------------------------------------


def test_pending_subscriptions_have_no_arn_and_deleted_ones_are_left_out():
    subs = sns.live_subscriptions([
        {"Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:1:q", "SubscriptionArn": "arn:aws:sns:us-east-1:1:t:1"},
        {"Protocol": "email", "Endpoint": "b@example.com", "SubscriptionArn": "PendingConfirmation"},
        {"Protocol": "email", "Endpoint": "a@example.com", "SubscriptionArn": "Deleted"},
    ])
    assert subs == [
        {"protocol": "email", "endpoint": "b@example.com", "arn": None, "pending_confirmation": True},
        {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:1:q", "arn": "arn:aws:sns:us-east-1:1:t:1",
         "pending_confirmation": False},
    ]


def test_normalize_topic():
    arn = "arn:aws:sns:us-east-1:123456789012:p-alarms"
    assert sns.normalize_topic(arn, {"DisplayName": "", "KmsMasterKeyId": ""}, [], None) == {
        "name": "p-alarms", "arn": arn, "display_name": "", "kms_master_key_id": None, "subscriptions": []}
    assert sns.normalize_topic(arn, {"KmsMasterKeyId": "alias/aws/sns"}, [], {"A": "1"})["tags"] == {"A": "1"}
    assert sns.canonical_endpoint("sms", "+1 (555) 01-00") == "+15550100"
    assert sns.canonical_endpoint("email", "A b") == "A b"


# --- reads side by side ------------------------------------------------------------------------


class _Paginator:
    def __init__(self, call):
        self.call = call

    def paginate(self, **params):
        return self

    def build_full_result(self):
        return self.call()


class _BarrierClient:
    """Every read waits until all ``parties`` reads have started: read one after the other, the
    first would time out."""

    stack_attempts = 1

    def __init__(self, parties):
        self.barrier = threading.Barrier(parties, timeout=10)

    def _wait(self):
        self.barrier.wait()

    def get_topic_attributes(self, aws_retry, TopicArn):
        self._wait()
        return {"Attributes": {"DisplayName": TopicArn[-1]}}

    def list_tags_for_resource(self, aws_retry, ResourceArn):
        self._wait()
        return {"Tags": [{"Key": "T", "Value": ResourceArn[-1]}]}

    def get_paginator(self, operation):
        assert operation == "list_subscriptions_by_topic"
        return _Paginator(lambda: (self._wait(), {"Subscriptions": []})[1])


def test_the_reads_of_all_topics_go_out_side_by_side():
    arns = {"a": "arn:aws:sns:us-east-1:1:a", "b": "arn:aws:sns:us-east-1:1:b"}
    read = sns.read_topics(_BarrierClient(6), arns, with_tags=True)
    assert read == {
        "a": {"attributes": {"DisplayName": "a"}, "subscriptions": [], "tags": {"T": "a"}},
        "b": {"attributes": {"DisplayName": "b"}, "subscriptions": [], "tags": {"T": "b"}},
    }
    assert sns.read_topics(_BarrierClient(2), {"a": arns["a"]}, with_tags=False)["a"]["tags"] is None


# --- against moto's in-process backend ----------------------------------------------------------


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("sns", region_name="us-east-1"), sns.RETRY_CODES)


class Calls:
    """The SNS operations a client sends, in order."""

    def __init__(self, client):
        self.names = []
        client.client.meta.events.register("before-call.sns", lambda model, **kw: self.names.append(model.name))

    def take(self):
        names, self.names = self.names, []
        return names


def present(client, topics, check_mode=False, tags=None, purge_tags=True, warnings=None):
    params = dict(topics=topics, tags=tags, purge_tags=purge_tags, state="present")
    ctx = base.Context(check_mode=check_mode, warn=(warnings.append if warnings is not None else lambda m: None))
    outcome = mod.ensure_present(client, params, ctx)
    return outcome.changed, outcome.result, outcome.before, outcome.after


def absent(client, names, check_mode=False):
    params = dict(topics=[spec(n) for n in names], tags=None, purge_tags=True, state="absent")
    outcome = mod.ensure_absent(client, params, base.Context(check_mode=check_mode))
    return outcome.changed, outcome.result, outcome.before, outcome.after


def stored(client, name="p-alarms"):
    arn = next(t["TopicArn"] for t in client.list_topics()["Topics"] if t["TopicArn"].endswith(":" + name))
    attributes = client.get_topic_attributes(TopicArn=arn)["Attributes"]
    subs = sorted((s["Protocol"], s["Endpoint"]) for s in client.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"])
    tags = {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    return arn, attributes, subs, tags


def test_create_then_a_no_op_in_four_calls(client):
    calls = Calls(client)
    topic = spec(display_name="production alarms", subscriptions=[EMAIL])
    changed, result, before, after = present(client, [topic], check_mode=True, tags={"Project": "x"})
    assert changed and before == {} and list(after) == ["p-alarms"]
    assert result["topic"] == {"name": "p-alarms", "arn": None, "display_name": "production alarms", "kms_master_key_id": None,
                               "subscriptions": [dict(EMAIL, arn=None, pending_confirmation=True)], "tags": {"Project": "x"}}
    assert result["topics"] == [result["topic"]] and result["deleted_topics"] == []
    assert calls.take() == ["ListTopics"]                      # nothing to read of a topic that is not there
    assert client.list_topics()["Topics"] == []
    calls.take()

    changed, result, before, after = present(client, [topic], tags={"Project": "x"})
    assert changed and calls.take() == ["ListTopics", "CreateTopic", "Subscribe"]
    arn, attributes, subs, tags = stored(client)
    assert result["topic"]["arn"] == arn and attributes["DisplayName"] == "production alarms"
    assert subs == [("email", "ops@example.com")] and tags == {"Project": "x"}
    assert result["topic"]["subscriptions"][0]["arn"].startswith(arn + ":")  # moto confirms at once
    calls.take()

    for check_mode in (True, False):
        changed, again, before, after = present(client, [topic], check_mode=check_mode, tags={"Project": "x"})
        assert not changed and before == {} and after == {}
        assert again["topic"] == result["topic"]
        names = calls.take()
        assert names[0] == "ListTopics" and sorted(names[1:]) == ["GetTopicAttributes", "ListSubscriptionsByTopic",
                                                                   "ListTagsForResource"]
    # tags unmanaged: no ListTagsForResource, no tags returned
    changed, again, *_ = present(client, [topic])
    assert not changed and "tags" not in again["topic"] and len(calls.take()) == 3


def test_update_display_name_key_subscriptions_and_tags(client):
    queue = {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:123456789012:q"}
    present(client, [spec(display_name="old", subscriptions=[EMAIL, queue])], tags={"A": "1", "B": "2"})
    arn = stored(client)[0]

    # unset options leave everything alone
    assert present(client, [spec()])[0] is False

    want = spec(display_name="new", kms_master_key_id="alias/aws/sns", subscriptions=[queue, {"protocol": "sms", "endpoint": "+1 555 0100"}])
    changed, result, before, after = present(client, [want], check_mode=True, tags={"A": "1", "C": "3"})
    assert changed and before["p-alarms"]["display_name"] == "old" and after["p-alarms"]["display_name"] == "new"
    assert [s["protocol"] for s in after["p-alarms"]["subscriptions"]] == ["sms", "sqs"]
    assert after["p-alarms"]["tags"] == {"A": "1", "C": "3"} and before["p-alarms"]["tags"] == {"A": "1", "B": "2"}
    assert stored(client)[1]["DisplayName"] == "old"                # check mode wrote nothing

    changed, result, before, after = present(client, [want], tags={"A": "1", "C": "3"})
    assert changed
    _, attributes, subs, tags = stored(client)
    assert attributes["DisplayName"] == "new" and attributes["KmsMasterKeyId"] == "alias/aws/sns"
    assert subs == [("sms", "+15550100"), ("sqs", queue["endpoint"])]
    assert tags == {"A": "1", "C": "3"}
    assert result["topic"]["arn"] == arn and result["topic"]["kms_master_key_id"] == "alias/aws/sns"
    assert present(client, [want], tags={"A": "1", "C": "3"})[0] is False

    # purge_subscriptions=false keeps the unlisted ones; purge_tags=false keeps the unlisted tags
    assert present(client, [spec(subscriptions=[EMAIL], purge_subscriptions=False)], tags={"D": "4"}, purge_tags=False)[0]
    _, _, subs, tags = stored(client)
    assert subs == [("email", EMAIL["endpoint"]), ("sms", "+15550100"), ("sqs", queue["endpoint"])]
    assert tags == {"A": "1", "C": "3", "D": "4"}

    # an empty list with purge removes them all; "" turns encryption off
    changed, result, *_ = present(client, [spec(subscriptions=[], kms_master_key_id="")])
    assert changed and result["topic"]["subscriptions"] == [] and result["topic"]["kms_master_key_id"] is None
    _, attributes, subs, _ = stored(client)
    assert subs == [] and not attributes.get("KmsMasterKeyId")
    assert present(client, [spec(subscriptions=[], kms_master_key_id="")])[0] is False


def test_a_pending_subscription_is_kept_with_a_warning(client, monkeypatch):
    present(client, [spec(subscriptions=[EMAIL])])
    real = sns.list_subscriptions

    def with_pending(c, arn):
        return real(c, arn) + [
            {"Protocol": "email", "Endpoint": "late@example.com", "SubscriptionArn": "PendingConfirmation", "TopicArn": arn},
            {"Protocol": "email", "Endpoint": "gone@example.com", "SubscriptionArn": "Deleted", "TopicArn": arn},
        ]
    monkeypatch.setattr(sns, "list_subscriptions", with_pending)
    calls = Calls(client)
    warnings = []
    changed, result, *_ = present(client, [spec(subscriptions=[EMAIL])], warnings=warnings)
    assert not changed and "Unsubscribe" not in calls.take()
    assert [s["endpoint"] for s in result["topic"]["subscriptions"]] == ["late@example.com", "ops@example.com"]
    assert result["topic"]["subscriptions"][0]["pending_confirmation"] and result["topic"]["subscriptions"][0]["arn"] is None
    assert len(warnings) == 1 and "email:late@example.com" in warnings[0] and "48 hours" in warnings[0]
    # a listed pending subscription is not subscribed again
    assert present(client, [spec(subscriptions=[EMAIL, dict(EMAIL, endpoint="late@example.com")])])[0] is False
    assert "Subscribe" not in calls.take()


def test_several_topics_found_in_one_paged_walk(client):
    for i in range(120):
        client.create_topic(Name=f"x-{i:03d}")
    calls = Calls(client)
    changed, result, *_ = present(client, [spec("x-110"), spec("x-005"), spec("p-new")])
    assert changed and "topic" not in result
    assert [t["name"] for t in result["topics"]] == ["x-110", "x-005", "p-new"]
    names = calls.take()
    assert names[:2] == ["ListTopics", "ListTopics"]              # 120 topics: two pages of 100
    assert sorted(names[2:6]) == ["GetTopicAttributes"] * 2 + ["ListSubscriptionsByTopic"] * 2
    assert names[6:] == ["CreateTopic"]


def test_absent_deletes_the_listed_topics_only(client):
    present(client, [spec("p-a", subscriptions=[EMAIL]), spec("p-b")])
    calls = Calls(client)
    changed, result, before, after = absent(client, ["p-a", "p-c"], check_mode=True)
    assert changed and result == {"topics": [], "deleted_topics": ["p-a"]} and list(before) == ["p-a"] and after == {}
    assert calls.take() == ["ListTopics"] and len(client.list_topics()["Topics"]) == 2
    calls.take()
    assert absent(client, ["p-a", "p-c"])[1]["deleted_topics"] == ["p-a"]
    assert calls.take() == ["ListTopics", "DeleteTopic"]
    assert [t["TopicArn"].rsplit(":", 1)[1] for t in client.list_topics()["Topics"]] == ["p-b"]
    assert client.list_subscriptions()["Subscriptions"] == []
    calls.take()
    assert absent(client, ["p-a"])[0] is False and calls.take() == ["ListTopics"]


def test_created_topic_is_found_again_by_name_not_recreated(client):
    present(client, [spec()], tags={"A": "1"})
    present(client, [spec()], tags={"A": "1"})
    assert len(client.list_topics()["Topics"]) == 1
