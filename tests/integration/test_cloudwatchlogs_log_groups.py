"""Integration test of apranova.aws_stack.cloudwatchlogs_log_groups against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/cloudwatchlogs_log_groups/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAMES = ["/it-logs/backend", "/it-logs/frontend", "/it-logs/secure"]
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _groups(logs):
    return {g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix="/it-logs/")["logGroups"]}


def _tags(logs, group):
    return logs.list_tags_for_resource(resourceArn=group["arn"][:-2] if group["arn"].endswith(":*") else group["arn"])["tags"]


def _run(aws, phase):
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=phase)
    assert run.rc == 0, run
    return run


def _calls_of(aws, phase):
    """The AWS calls one phase made (nothing else talks to the emulator meanwhile)."""
    before = aws.aws_calls()
    _run(aws, phase)
    return aws.aws_calls() - before


def test_cloudwatchlogs_log_groups(aws):
    logs = aws.client("logs")

    # Invalid input fails before any API call: nothing is created.
    _run(aws, "invalid")
    assert _groups(logs) == {}

    # Create (four steps): the role's two groups with their retention and tags, one with a KMS key.
    _run(aws, "create")
    groups = _groups(logs)
    assert sorted(groups) == NAMES
    assert groups["/it-logs/backend"]["retentionInDays"] == 30
    assert groups["/it-logs/frontend"]["retentionInDays"] == 30
    assert "retentionInDays" not in groups["/it-logs/secure"]
    assert groups["/it-logs/secure"]["kmsKeyId"] == KEY
    assert "kmsKeyId" not in groups["/it-logs/backend"]
    assert _tags(logs, groups["/it-logs/backend"]) == {"Project": "itest", "Tier": "logs", "Service": "backend"}
    assert _tags(logs, groups["/it-logs/secure"]) == {"Project": "itest", "Tier": "logs"}

    # A no-op as the ecs_services role makes it: a DescribeLogGroups per group, then a
    # ListTagsForResource per group, each pair side by side.
    assert _calls_of(aws, "noop") == 4

    # Update (four steps): 90 days, no expiry, a tag dropped.
    _run(aws, "update")
    groups = _groups(logs)
    assert groups["/it-logs/backend"]["retentionInDays"] == 90
    assert "retentionInDays" not in groups["/it-logs/frontend"]
    assert _tags(logs, groups["/it-logs/backend"]) == {"Project": "itest", "Service": "backend"}
    assert _tags(logs, groups["/it-logs/secure"]) == {"Project": "itest", "Tier": "logs"}  # not listed: untouched

    # Delete (four steps); a listed name that never existed is no error.
    _run(aws, "delete")
    assert _groups(logs) == {}
