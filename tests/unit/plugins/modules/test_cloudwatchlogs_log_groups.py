"""Offline tests of cloudwatchlogs_log_groups's ensure_* functions against moto's in-process CloudWatch
Logs, with every call counted (the no-op of the ECS services tier's two groups: four calls, two at a
time). moto has no AssociateKmsKey/DisassociateKmsKey: the key changes are checked with a stub."""

from __future__ import annotations

import threading

import boto3
import pytest

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import logs
from ansible_collections.apranova.aws_stack.plugins.modules import cloudwatchlogs_log_groups as mod
from ...aws_answers import retrying

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab"


class Calls:
    def __init__(self, client):
        self.operations, self.by_thread = [], []
        self._lock = threading.Lock()
        client.client.meta.events.register("before-call.logs.*", self._record)

    def _record(self, model, **kwargs):
        with self._lock:
            self.operations.append(model.name)
            self.by_thread.append((model.name, threading.get_ident()))

    def writes(self):
        return [op for op in self.operations if not op.startswith(("Describe", "Get", "List"))]


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("logs", region_name="us-east-1"))


def group(name, **settings):
    """One entry of ``log_groups`` as AnsibleAWSModule hands it over (unset options None)."""
    entry = {"name": name, "retention": None, "kms_key_id": None, "tags": None}
    entry.update(settings)
    return entry


def params(log_groups, tags=None, purge_tags=True, state="present"):
    return {"log_groups": log_groups, "tags": tags, "purge_tags": purge_tags, "state": state}


def present(client, check_mode=False, **kw):
    return mod.ensure_present(client, params(**kw), base.Context(check_mode=check_mode))


def absent(client, check_mode=False, **kw):
    return mod.ensure_absent(client, params(state="absent", **kw), base.Context(check_mode=check_mode))


def raw_groups(client):
    return {g["logGroupName"]: g for g in client.describe_log_groups()["logGroups"]}


def raw_tags(client, name):
    arn = logs.arn_of(raw_groups(client)[name])
    return client.list_tags_for_resource(resourceArn=arn)["tags"]


# What roles/ecs_services/tasks/logs.yml asks for.
STACK_TAGS = {"Project": "apranova", "Environment": "production"}
ROLE = [group("/ecs/backend", retention=30, tags={"Service": "backend"}),
        group("/ecs/frontend", retention=30, tags={"Service": "frontend"})]


def test_the_ecs_services_no_op_makes_four_calls_two_at_a_time(client):
    assert present(client, log_groups=ROLE, tags=STACK_TAGS).changed
    calls = Calls(client)
    out = present(client, log_groups=ROLE, tags=STACK_TAGS)
    assert not out.changed
    assert calls.operations[:2] == ["DescribeLogGroups", "DescribeLogGroups"]
    assert calls.operations[2:] == ["ListTagsForResource", "ListTagsForResource"]
    # each pair ran in worker threads, not in the calling thread
    caller = threading.get_ident()
    assert all(thread != caller for _op, thread in calls.by_thread)
    assert [g["name"] for g in out.result["log_groups"]] == ["/ecs/backend", "/ecs/frontend"]
    assert out.result["log_groups"][0]["tags"] == dict(STACK_TAGS, Service="backend")
    assert out.result["log_groups"][0]["retention_in_days"] == 30
    assert out.result["log_groups"][0]["arn"].endswith(":log-group:/ecs/backend")
    assert out.before == {} and out.after == {}


def test_without_tags_only_the_descriptions_are_read(client):
    present(client, log_groups=ROLE, tags=STACK_TAGS)
    calls = Calls(client)
    out = present(client, log_groups=[group("/ecs/backend", retention=30), group("/ecs/frontend")])
    assert not out.changed
    assert calls.operations == ["DescribeLogGroups", "DescribeLogGroups"]
    assert "tags" not in out.result["log_groups"][0]


def test_four_steps_of_a_creation(client):
    calls = Calls(client)
    check = present(client, check_mode=True, log_groups=ROLE, tags=STACK_TAGS)
    assert check.changed and calls.writes() == []
    assert check.result["log_groups"][0] == {"name": "/ecs/backend", "arn": None, "retention_in_days": 30,
                                             "kms_key_id": None, "stored_bytes": 0, "tags": dict(STACK_TAGS, Service="backend")}
    assert set(check.after) == {"/ecs/backend", "/ecs/frontend"} and check.before == {}

    created = present(client, log_groups=ROLE, tags=STACK_TAGS)
    assert created.changed
    assert calls.writes() == ["CreateLogGroup", "PutRetentionPolicy"] * 2
    groups = raw_groups(client)
    assert {name: g.get("retentionInDays") for name, g in groups.items()} == {"/ecs/backend": 30, "/ecs/frontend": 30}
    assert raw_tags(client, "/ecs/frontend") == dict(STACK_TAGS, Service="frontend")
    for announced, made in zip(check.result["log_groups"], created.result["log_groups"]):
        assert dict(announced, arn=None) == dict(made, arn=None)

    assert not present(client, check_mode=True, log_groups=ROLE, tags=STACK_TAGS).changed
    assert not present(client, log_groups=ROLE, tags=STACK_TAGS).changed


def test_a_new_group_gets_its_key_at_creation(client):
    out = present(client, log_groups=[group("/app/secure", kms_key_id=KEY)])
    assert out.changed
    assert raw_groups(client)["/app/secure"]["kmsKeyId"] == KEY
    assert "retentionInDays" not in raw_groups(client)["/app/secure"]
    assert not present(client, log_groups=[group("/app/secure", kms_key_id=KEY)]).changed


def test_update_changes_only_what_differs_and_reports_both_sides(client):
    present(client, log_groups=ROLE, tags=dict(STACK_TAGS, Old="x"))
    wanted = [group("/ecs/backend", retention="90", tags={"Service": "backend"}),
              group("/ecs/frontend", retention=30, tags={"Service": "frontend"})]
    calls = Calls(client)
    check = present(client, check_mode=True, log_groups=wanted, tags=STACK_TAGS)
    assert check.changed and calls.writes() == []
    assert check.before["/ecs/backend"]["retention_in_days"] == 30
    assert check.after["/ecs/backend"]["retention_in_days"] == 90
    assert check.before["/ecs/frontend"]["tags"]["Old"] == "x" and "Old" not in check.after["/ecs/frontend"]["tags"]

    out = present(client, log_groups=wanted, tags=STACK_TAGS)
    assert out.changed
    assert sorted(calls.writes()) == ["PutRetentionPolicy", "UntagResource", "UntagResource"]
    assert raw_groups(client)["/ecs/backend"]["retentionInDays"] == 90
    assert raw_tags(client, "/ecs/backend") == dict(STACK_TAGS, Service="backend")
    assert not present(client, log_groups=wanted, tags=STACK_TAGS).changed


def test_purge_tags_false_only_adds(client):
    present(client, log_groups=[group("/app/a")], tags={"Keep": "me"})
    out = present(client, log_groups=[group("/app/a")], tags={"New": "1"}, purge_tags=False)
    assert out.changed
    assert raw_tags(client, "/app/a") == {"Keep": "me", "New": "1"}


@pytest.mark.parametrize("never", [0, "0", "never", "Never"])
def test_never_removes_the_retention_policy(client, never):
    present(client, log_groups=[group("/app/a", retention=7)])
    calls = Calls(client)
    out = present(client, log_groups=[group("/app/a", retention=never)])
    assert out.changed and calls.writes() == ["DeleteRetentionPolicy"]
    assert out.result["log_groups"][0]["retention_in_days"] is None
    assert "retentionInDays" not in raw_groups(client)["/app/a"]
    assert not present(client, log_groups=[group("/app/a", retention=never)]).changed


def test_unset_retention_leaves_it_alone(client):
    present(client, log_groups=[group("/app/a", retention=7)])
    assert not present(client, log_groups=[group("/app/a")]).changed
    assert raw_groups(client)["/app/a"]["retentionInDays"] == 7


def test_exact_name_match_ignores_groups_sharing_the_prefix(client):
    client.create_log_group(logGroupName="/ecs/backend-old")
    calls = Calls(client)
    out = present(client, log_groups=[group("/ecs/backend", retention=30)])
    assert out.changed and calls.writes() == ["CreateLogGroup", "PutRetentionPolicy"]
    assert sorted(raw_groups(client)) == ["/ecs/backend", "/ecs/backend-old"]


def test_the_reads_are_paginated(client):
    for i in range(60):
        client.create_log_group(logGroupName="/p/g%02d" % i)
    calls = Calls(client)
    # 60 groups start with "/p/g", none is named so: every page is read, nothing is found
    found = logs.find_log_groups(client, ["/p/g", "/p/g59"])
    assert list(found) == ["/p/g59"] and found["/p/g59"]["logGroupName"] == "/p/g59"
    assert calls.operations.count("DescribeLogGroups") >= 3  # moto pages 50 groups at a time


def test_four_steps_of_a_deletion(client):
    present(client, log_groups=ROLE)
    names = [group("/ecs/backend"), group("/ecs/frontend"), group("/ecs/never-made")]
    check = absent(client, check_mode=True, log_groups=names)
    assert check.changed and check.result == {"log_groups": [], "deleted_log_groups": ["/ecs/backend", "/ecs/frontend"]}
    assert check.before["/ecs/backend"]["retention_in_days"] == 30 and check.after == {}
    assert len(raw_groups(client)) == 2
    assert absent(client, log_groups=names).changed
    assert raw_groups(client) == {}
    assert not absent(client, check_mode=True, log_groups=names).changed
    assert not absent(client, log_groups=names).changed


class StubLogs:
    """A logs client that knows one group (for the KMS calls moto lacks); records the writes."""

    def __init__(self, kms_key=None):
        self.group = {"logGroupName": "/app/a", "arn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/a:*",
                      "retentionInDays": 7}
        if kms_key:
            self.group["kmsKeyId"] = kms_key
        self.writes = []

    def get_paginator(self, operation):
        stub = self

        class Pages:
            def paginate(self, **params):
                class Result:
                    def build_full_result(self):
                        return {"logGroups": [stub.group] if stub.group["logGroupName"].startswith(params["logGroupNamePrefix"]) else []}
                return Result()
        return Pages()

    def list_tags_for_resource(self, aws_retry=False, resourceArn=None):
        assert not resourceArn.endswith(":*")
        return {"tags": {"aws:cloudformation:stack-name": "x", "Team": "a"}}

    def associate_kms_key(self, aws_retry=False, **kw):
        self.writes.append(("AssociateKmsKey", kw))

    def disassociate_kms_key(self, aws_retry=False, **kw):
        self.writes.append(("DisassociateKmsKey", kw))


def test_a_key_is_associated_replaced_and_taken_off():
    stub = StubLogs()
    out = mod.ensure_present(stub, params([group("/app/a", kms_key_id=KEY)]), base.Context())
    assert out.changed and stub.writes == [("AssociateKmsKey", {"logGroupName": "/app/a", "kmsKeyId": KEY})]
    assert out.before["/app/a"]["kms_key_id"] is None and out.after["/app/a"]["kms_key_id"] == KEY

    stub = StubLogs(KEY)
    assert not mod.ensure_present(stub, params([group("/app/a", kms_key_id=KEY)]), base.Context()).changed
    assert not mod.ensure_present(stub, params([group("/app/a")]), base.Context()).changed
    out = mod.ensure_present(stub, params([group("/app/a", kms_key_id=OTHER_KEY)]), base.Context(check_mode=True))
    assert out.changed and stub.writes == []
    out = mod.ensure_present(stub, params([group("/app/a", kms_key_id="")]), base.Context())
    assert out.changed and stub.writes == [("DisassociateKmsKey", {"logGroupName": "/app/a"})]
    assert out.result["log_groups"][0]["kms_key_id"] is None


def test_aws_tags_are_neither_compared_nor_returned():
    stub = StubLogs()
    out = mod.ensure_present(stub, params([group("/app/a")], tags={"Team": "a"}), base.Context())
    assert not out.changed and out.result["log_groups"][0]["tags"] == {"Team": "a"}


def test_group_tags_win_over_the_module_tags():
    assert mod.desired_tags(group("/a", tags={"Service": "x", "Project": "own"}), {"Project": "p", "Env": "e"}) == \
        {"Project": "own", "Env": "e", "Service": "x"}
    assert mod.desired_tags(group("/a"), None) is None
    assert mod.desired_tags(group("/a", tags={}), None) == {}


@pytest.mark.parametrize("value,expected", [(None, None), (30, 30), ("30", 30), (3653, 3653), (0, 0), ("never", 0),
                                            (" NEVER ", 0), (30.0, 30)])
def test_parse_retention(value, expected):
    assert logs.parse_retention(value) == expected


@pytest.mark.parametrize("value", [2, 31, -1, "thirty", True, 4000, [30]])
def test_parse_retention_refuses_what_aws_does_not_accept(value):
    with pytest.raises(ValueError):
        logs.parse_retention(value)


def test_validation_reports_every_problem_at_once():
    errors = logs.validate_log_groups([
        group("/ok", retention=31),
        group("bad name!"),
        group("/ok", kms_key_id="alias/aws/logs"),
        group("/tags", tags={"aws:x": "1"}),
        group(""),
        group("aws/lambda/x"),
    ], "present")
    assert len(errors) == 7, errors
    assert "log_groups[0] (/ok): retention 31 is not one of the periods" in errors[0]
    assert "log_groups[1] (bad name!): the name must be" in errors[1]
    assert "already used by log_groups[0]" in errors[2]
    assert "kms_key_id 'alias/aws/logs' is not a KMS key ARN" in errors[3]
    assert "aws: prefix is reserved" in errors[4]
    assert errors[5].startswith("log_groups[4]: the name must be")
    assert "log_groups[5] (aws/lambda/x): names starting with aws/ are AWS's own" in errors[6]
    # absent: names only
    assert logs.validate_log_groups([group("/ok", retention=31)], "absent") == []


def test_arn_without_the_trailing_star():
    assert logs.arn_of({"arn": "arn:aws:logs:us-east-1:1:log-group:/a:*"}) == "arn:aws:logs:us-east-1:1:log-group:/a"
    assert logs.arn_of({"arn": "x:*", "logGroupArn": "arn:aws:logs:us-east-1:1:log-group:/a"}) == \
        "arn:aws:logs:us-east-1:1:log-group:/a"
