"""Offline tests of elasticache_replication_group: the normalisers and planners in
plugins/module_utils/elasticache.py, and the module's ensure_present / ensure_absent replayed
against moto's in-process backend (``mock_aws``; no network).
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import elasticache as ec
from ansible_collections.apranova.aws_stack.plugins.modules import elasticache_replication_group as module
from ...aws_answers import retrying

ARN = "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:rg1"
KMS_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def aws_group(**kw):
    group = {
        "ReplicationGroupId": "rg1",
        "ARN": ARN,
        "Status": "available",
        "Description": "Managed by Ansible",
        "Engine": "redis",
        "CacheNodeType": "cache.t3.micro",
        "MemberClusters": ["rg1-001", "rg1-002"],
        "NodeGroups": [{
            "NodeGroupId": "0001",
            "PrimaryEndpoint": {"Address": "master.rg1.x.use1.cache.amazonaws.com", "Port": 6379},
            "ReaderEndpoint": {"Address": "replica.rg1.x.use1.cache.amazonaws.com", "Port": 6379},
        }],
        "AutomaticFailover": "disabled",
        "MultiAZ": "disabled",
        "AtRestEncryptionEnabled": True,
        "TransitEncryptionEnabled": True,
        "AuthTokenEnabled": False,
        "SnapshotRetentionLimit": 0,
    }
    group.update(kw)
    return group


def aws_member(**kw):
    member = {
        "CacheClusterId": "rg1-001",
        "EngineVersion": "7.1.0",
        "CacheSubnetGroupName": "cache-subnets",
        "SecurityGroups": [{"SecurityGroupId": "sg-2", "Status": "active"},
                           {"SecurityGroupId": "sg-1", "Status": "active"}],
    }
    member.update(kw)
    return member


def params(**kw):
    base = dict(
        replication_group_id="rg1", description="Managed by Ansible", engine="redis", engine_version=None,
        cache_node_type="cache.t3.micro", num_cache_clusters=2, automatic_failover=False, multi_az=False,
        port=6379, cache_subnet_group_name=None, security_group_ids=None, at_rest_encryption=True,
        transit_encryption=True, auth_token=None, kms_key_id=None, snapshot_retention_limit=None,
        apply_immediately=True, final_snapshot_identifier=None, state="present", wait=True, wait_timeout=30,
        tags=None, purge_tags=True, delete_subnet_group=False,
    )
    base.update(kw)
    return base


def current(group=None, member="default", tags=None, known=None):
    return ec.normalize_replication_group(
        group or aws_group(), aws_member() if member == "default" else member, tags or {}, known
    )


# ---------------------------------------------------------------- normalisers

def test_normalize_with_member():
    got = current(tags={"Name": "rg1"})
    assert got["replication_group_id"] == "rg1"
    assert got["arn"] == ARN
    assert got["port"] == 6379
    assert got["primary_endpoint"] == {"address": "master.rg1.x.use1.cache.amazonaws.com", "port": 6379}
    assert got["reader_endpoint"] == {"address": "replica.rg1.x.use1.cache.amazonaws.com", "port": 6379}
    assert got["engine_version"] == "7.1.0"
    assert got["cache_subnet_group_name"] == "cache-subnets"
    assert got["security_group_ids"] == ["sg-1", "sg-2"]
    assert got["automatic_failover"] is False and got["automatic_failover_status"] == "disabled"
    assert got["multi_az_status"] == "disabled"
    assert got["endpoint"] == {"address": "master.rg1.x.use1.cache.amazonaws.com", "port": 6379}
    assert got["nodes"] == []  # the group above lists no NodeGroupMembers
    assert got["at_rest_encryption_enabled"] is True
    assert got["tags"] == {"Name": "rg1"}


def test_the_endpoint_clients_connect_to_and_the_nodes():
    members = [{"CacheClusterId": "rg1-001", "PreferredAvailabilityZone": "us-east-1a", "CurrentRole": "primary"},
               {"CacheClusterId": "rg1-002", "PreferredAvailabilityZone": "us-east-1b", "CurrentRole": "replica"}]
    group = aws_group(NodeGroups=[dict(aws_group()["NodeGroups"][0], NodeGroupMembers=members)])
    assert current(group=group)["nodes"] == [{"cluster_id": "rg1-001", "availability_zone": "us-east-1a", "role": "primary"},
                                             {"cluster_id": "rg1-002", "availability_zone": "us-east-1b", "role": "replica"}]
    # cluster mode enabled: the configuration endpoint
    group = aws_group(ConfigurationEndpoint={"Address": "clustercfg.rg1.x.use1.cache.amazonaws.com", "Port": 6379})
    assert current(group=group)["endpoint"] == {"address": "clustercfg.rg1.x.use1.cache.amazonaws.com", "port": 6379}
    # creating: none yet
    assert current(group=aws_group(Status="creating", NodeGroups=[]))["endpoint"] == {"address": None, "port": None}


def test_normalize_without_member_uses_known_or_none():
    got = current(member=None)
    assert got["engine_version"] is None
    assert got["security_group_ids"] is None
    assert got["cache_subnet_group_name"] is None
    got = current(member=None, known={"security_group_ids": ["sg-b", "sg-a"], "cache_subnet_group_name": "x"})
    assert got["security_group_ids"] == ["sg-a", "sg-b"]
    assert got["cache_subnet_group_name"] == "x"


def test_normalize_moto_shape_without_reader_endpoint():
    group = aws_group(NodeGroups=[{"PrimaryEndpoint": {"Address": "m", "Port": 6380}}])
    got = current(group=group, member=None)
    assert got["reader_endpoint"] is None
    assert got["port"] == 6380


@pytest.mark.parametrize("value,expected", [("enabled", True), ("enabling", True), ("disabled", False),
                                            ("disabling", False), (None, False)])
def test_failover_status_to_bool(value, expected):
    assert current(group=aws_group(AutomaticFailover=value))["automatic_failover"] is expected


def test_normalize_none():
    assert ec.normalize_replication_group(None) is None


@pytest.mark.parametrize("desired,have,expected", [
    ("7.1", "7.1.0", True), ("7.1.0", "7.1.0", True), ("6.x", "6.2.6", True), ("6.2", "6.0.5", False),
    ("7", "7.1.0", True), ("7.1", "7.10.0", False), ("7.2", "7.1.0", False), (None, "7.1.0", True),
])
def test_version_matches(desired, have, expected):
    assert ec.version_matches(desired, have) is expected


@pytest.mark.parametrize("desired,have,expected", [
    (KMS_ARN, KMS_ARN, True), ("1234abcd-12ab-34cd-56ef-1234567890ab", KMS_ARN, True),
    ("other-key", KMS_ARN, False), ("alias/x", None, False), (None, KMS_ARN, True),
])
def test_kms_key_matches(desired, have, expected):
    assert ec.kms_key_matches(desired, have) is expected


# ---------------------------------------------------------------- validation

def test_validate_ok():
    assert ec.validate_params(params()) == []
    assert ec.validate_params(params(automatic_failover=True, multi_az=True, num_cache_clusters=2,
                                     auth_token="a" * 16 + "!&#$^<>-")) == []


@pytest.mark.parametrize("kw,fragment", [
    (dict(automatic_failover=True, num_cache_clusters=1), "num_cache_clusters to 2 or more"),
    (dict(multi_az=True), "multi_az=true requires automatic_failover=true"),
    (dict(auth_token="a" * 20, transit_encryption=False), "requires transit_encryption=true"),
    (dict(auth_token="short"), "16 to 128"),
    (dict(auth_token="a" * 16 + "@/"), "remove '/' '@'"),
    (dict(kms_key_id="k", at_rest_encryption=False), "kms_key_id"),
    (dict(num_cache_clusters=7), "between 1 and 6"),
    (dict(snapshot_retention_limit=36), "between 0 and 35"),
])
def test_validate_problems(kw, fragment):
    problems = ec.validate_params(params(**kw))
    assert any(fragment in p for p in problems), problems


def test_validate_skipped_for_absent():
    assert ec.validate_params(params(state="absent", automatic_failover=True, num_cache_clusters=1)) == []


@pytest.mark.parametrize("value,ok", [("rg1", True), ("a-b-c", True), ("1abc", False), ("a--b", False),
                                      ("ab-", False), ("a" * 41, False), ("a_b", False)])
def test_check_replication_group_id(value, ok):
    assert (ec.check_replication_group_id(value) is None) is ok


def test_create_params():
    request = ec.create_params(params(security_group_ids=["sg-1"], cache_subnet_group_name="sn",
                                      auth_token="x" * 16, tags={"a": 1}, engine_version="7.1"))
    assert request["ReplicationGroupId"] == "rg1"
    assert request["NumCacheClusters"] == 2
    assert request["SecurityGroupIds"] == ["sg-1"]
    assert request["CacheSubnetGroupName"] == "sn"
    assert request["AuthToken"] == "x" * 16
    assert request["EngineVersion"] == "7.1"
    assert request["Tags"] == [{"Key": "a", "Value": "1"}]
    assert "KmsKeyId" not in request and "SnapshotRetentionLimit" not in request


# ---------------------------------------------------------------- planning

def test_plan_no_change():
    assert ec.plan_update(current(), params()) == ({}, [], [], [])


def test_plan_in_place_changes():
    modify, problems, unknown, notes = ec.plan_update(current(), params(
        cache_node_type="cache.t3.small", security_group_ids=["sg-3"], engine_version="7.2",
        snapshot_retention_limit=5, description="new", automatic_failover=True, multi_az=True))
    assert problems == [] and unknown == []
    assert modify == {"CacheNodeType": "cache.t3.small", "SecurityGroupIds": ["sg-3"], "EngineVersion": "7.2",
                      "SnapshotRetentionLimit": 5, "ReplicationGroupDescription": "new",
                      "AutomaticFailoverEnabled": True, "MultiAZEnabled": True}


def test_plan_same_values_in_other_order_or_prefix():
    modify, _p, _u, _n = ec.plan_update(current(), params(security_group_ids=["sg-2", "sg-1", "sg-1"],
                                                          engine_version="7.1"))
    assert modify == {}


def test_plan_unknown_member_attributes_are_not_compared():
    modify, problems, unknown, _n = ec.plan_update(current(member=None), params(
        security_group_ids=["sg-9"], engine_version="7.2", cache_subnet_group_name="other"))
    assert modify == {} and problems == []
    assert sorted(unknown) == ["cache_subnet_group_name", "engine_version", "security_group_ids"]


@pytest.mark.parametrize("kw,option", [
    (dict(port=6380), "port"),
    (dict(at_rest_encryption=False), "at_rest_encryption"),
    (dict(transit_encryption=False), "transit_encryption"),
    (dict(cache_subnet_group_name="other"), "cache_subnet_group_name"),
    (dict(kms_key_id="another-key"), "kms_key_id"),
])
def test_plan_immutable(kw, option):
    group = aws_group(KmsKeyId=KMS_ARN)
    modify, problems, _u, _n = ec.plan_update(current(group=group), params(**kw))
    assert modify == {}
    assert len(problems) == 1
    assert problems[0].startswith(f"{option} cannot be changed")
    assert "replace" in problems[0]


def test_plan_subnet_group_case_insensitive():
    _m, problems, _u, _n = ec.plan_update(current(), params(cache_subnet_group_name="Cache-Subnets"))
    assert problems == []


def test_plan_auth_token_on_group_without_auth():
    _m, problems, _u, _n = ec.plan_update(current(), params(auth_token="x" * 16))
    assert len(problems) == 1 and "auth_token" in problems[0]
    _m, problems, _u, _n = ec.plan_update(current(group=aws_group(AuthTokenEnabled=True)),
                                          params(auth_token="x" * 16))
    assert problems == []


def test_plan_engine():
    modify, problems, _u, _n = ec.plan_update(current(), params(engine="valkey"))
    assert modify == {"Engine": "valkey"} and problems == []
    modify, problems, _u, _n = ec.plan_update(current(group=aws_group(Engine="valkey")), params(engine="redis"))
    assert modify == {} and "engine cannot change from valkey to redis" in problems[0]


def test_plan_member_count_is_a_note():
    modify, problems, _u, notes = ec.plan_update(current(), params(num_cache_clusters=3))
    assert modify == {} and problems == []
    assert "2 member cluster(s), num_cache_clusters=3" in notes[0]


def test_plan_enabling_failover_counts_as_enabled():
    group = aws_group(AutomaticFailover="enabling", MultiAZ="enabled")
    modify, _p, _u, _n = ec.plan_update(current(group=group), params(automatic_failover=True, multi_az=True))
    assert modify == {}


def test_apply_modify():
    after = ec.apply_modify(current(), {"CacheNodeType": "cache.t3.small", "SecurityGroupIds": ["sg-9", "sg-3"],
                                        "Engine": "valkey", "ApplyImmediately": True})
    assert after["cache_node_type"] == "cache.t3.small"
    assert after["security_group_ids"] == ["sg-3", "sg-9"]
    assert after["engine"] == "valkey"
    assert "ApplyImmediately" not in after
    after = ec.apply_modify(current(), {"AutomaticFailoverEnabled": True, "MultiAZEnabled": True})
    assert (after["automatic_failover"], after["automatic_failover_status"]) == (True, "enabled")
    assert (after["multi_az"], after["multi_az_status"]) == (True, "enabled")


def test_preview_new_group():
    got = ec.preview_new_group(params(tags={"a": 1}, auth_token="x" * 16, security_group_ids=["b", "a"]))
    assert got["status"] == "creating"
    assert got["auth_token_enabled"] is True
    assert got["security_group_ids"] == ["a", "b"]
    assert got["tags"] == {"a": "1"}
    assert (got["endpoint"], got["nodes"], got["automatic_failover_status"]) == ({"address": None, "port": None}, [], "disabled")
    assert "x" * 16 not in repr(got)


# ---------------------------------------------------------------- waits (no sleeping)

def test_wait_available_raises_on_failed_state(monkeypatch):
    monkeypatch.setattr(ec, "describe_replication_group", lambda c, i: {"Status": "create-failed"})
    with pytest.raises(ec.ElastiCacheStateError, match="create-failed"):
        ec.wait_available(None, "rg1", 10, sleep=lambda s: None)


def test_wait_available_polls_until_available(monkeypatch):
    states = iter(["creating", "modifying", "available"])
    monkeypatch.setattr(ec, "describe_replication_group", lambda c, i: {"Status": next(states)})
    sleeps = []
    assert ec.wait_available(None, "rg1", 100, sleep=sleeps.append) == {"Status": "available"}
    assert len(sleeps) == 2


def test_deletion_settled(monkeypatch):
    described = {"m1"}
    monkeypatch.setattr(ec, "describe_cache_cluster", lambda c, i: {"CacheClusterId": i} if i in described else None)
    assert ec.deletion_settled(None, None) is True
    assert ec.deletion_settled(None, {"Status": "available", "MemberClusters": []}) is False
    assert ec.deletion_settled(None, {"Status": "deleting", "MemberClusters": ["m1", "m2"]}) is False
    described.clear()
    assert ec.deletion_settled(None, {"Status": "deleting", "MemberClusters": ["m1", "m2"]}) is True


# ---------------------------------------------------------------- module against mock_aws

@pytest.fixture
def client(offline_aws):
    raw = boto3.client("elasticache", region_name="us-east-1")
    yield retrying(raw, ec.RETRY_CODES)


def ctx(check_mode=False, warnings=None, notes=None):
    return base.Context(check_mode=check_mode, warn=(warnings if warnings is not None else []).append,
                        note=(notes if notes is not None else []).append)


def triple(outcome):
    """``(changed, before, after)`` of an Outcome; its replication_group is the diff's after (``{}`` for none)."""
    assert outcome.result["replication_group"] == (outcome.after or {})
    return outcome.changed, outcome.before, outcome.after


def present(client, p, check_mode=False, warnings=None):
    return triple(module.ensure_present(client, p, ctx(check_mode, warnings)))


def absent(client, p, check_mode=False, notes=None):
    return triple(module.ensure_absent(client, p, ctx(check_mode, notes=notes)))


def test_api_layer_not_found(client):
    assert ec.describe_replication_group(client, "nope") is None
    assert ec.describe_cache_cluster(client, "nope") is None
    assert ec.delete_replication_group(client, "nope") is False


def test_module_lifecycle(client):
    warnings = []
    p = params(num_cache_clusters=1, tags={"env": "test"}, auth_token="x" * 20, security_group_ids=["sg-1"])

    changed, before, after = present(client, p, True, warnings)
    assert changed and before is None and after["status"] == "creating"
    assert ec.describe_replication_group(client, "rg1") is None  # check mode created nothing

    changed, before, after = present(client, p, False, warnings)
    assert changed and before is None
    raw = ec.describe_replication_group(client, "rg1")
    assert raw["Status"] == "available" and raw["AuthTokenEnabled"] is True
    assert after["arn"] == raw["ARN"]
    assert after["security_group_ids"] == ["sg-1"]  # what this run sent (member not describable)
    assert ec.list_tags(client, raw["ARN"]) == {"env": "test"}

    warnings.clear()
    changed, _b, after = present(client, p, False, warnings)
    assert not changed
    assert after["security_group_ids"] is None  # unknown on a rerun: moto hides the member cluster
    assert any("security_group_ids" in w and "not compared" in w for w in warnings)

    # Node type and tags in place.
    p2 = dict(p, cache_node_type="cache.t3.small", tags={"env": "prod"})
    changed, before, after = present(client, p2, True, warnings)
    assert changed and after["cache_node_type"] == "cache.t3.small" and after["tags"] == {"env": "prod"}
    assert ec.describe_replication_group(client, "rg1")["CacheNodeType"] == "cache.t3.micro"
    changed, before, after = present(client, p2, False, warnings)
    assert changed and before["cache_node_type"] == "cache.t3.micro"
    raw = ec.describe_replication_group(client, "rg1")
    assert raw["CacheNodeType"] == "cache.t3.small"
    assert ec.list_tags(client, raw["ARN"]) == {"env": "prod"}
    assert present(client, p2, False, warnings)[0] is False

    # Immutable change fails before any call that changes something.
    with pytest.raises(module.ReplicationGroupFailure, match="port cannot be changed"):
        present(client, dict(p2, port=6380), False, warnings)

    # Delete: check, delete, check, delete.
    pa = dict(p2, state="absent")
    assert absent(client, pa, True)[0] is True
    assert ec.describe_replication_group(client, "rg1")["Status"] == "available"
    changed, before, after = absent(client, pa, False)
    assert changed and before["status"] == "available"
    assert ec.describe_replication_group(client, "rg1")["Status"] == "deleting"  # moto: forever
    assert absent(client, pa, True)[0] is False
    assert absent(client, pa, False)[0] is False

    # Present while deleting: check mode reports the re-create, a real run fails clearly.
    assert present(client, dict(p2, wait=False), True, warnings)[0] is True
    with pytest.raises(module.ReplicationGroupFailure, match="rerun when deletion has finished"):
        present(client, dict(p2, wait=False), False, warnings)


def test_module_create_requires_node_type(client):
    with pytest.raises(module.ReplicationGroupFailure, match="cache_node_type is required"):
        present(client, params(cache_node_type=None))


# ---------------------------------------------------------------- AWS lifecycle (issue 13), stubbed
# moto has every group available at once and keeps deleted ones deleting forever; these replay
# what AWS answers instead. The Stubber fails on any call not listed (a ModifyReplicationGroup or
# DeleteReplicationGroup sent to a group that is still creating).

import functools

from botocore.stub import Stubber


@pytest.fixture
def stubbed(fake_credentials, monkeypatch):
    monkeypatch.setattr(ec, "wait_for", functools.partial(base.wait_for, sleep=lambda s: None))
    monkeypatch.setattr(ec, "retry_while", functools.partial(base.retry_while, sleep=lambda s: None))
    raw = boto3.client("elasticache", region_name="us-east-1")
    with Stubber(raw) as stub:
        # without the AWSRetry extra codes, so that retry_while sees the refusals at once
        yield stub, retrying(raw)
        stub.assert_no_pending_responses()


def creating_group(**kw):
    group = aws_group(Status="creating", MemberClusters=["rg1-001"],
                      NodeGroups=[{"NodeGroupId": "0001", "Status": "creating"}])
    group.update(kw)
    return group


def expect_group(stub, group):
    if group is None:
        stub.add_client_error("describe_replication_groups", "ReplicationGroupNotFoundFault", http_status_code=404,
                              expected_params={"ReplicationGroupId": "rg1"})
    else:
        stub.add_response("describe_replication_groups", {"ReplicationGroups": [group]}, {"ReplicationGroupId": "rg1"})


def expect_read(stub, member=None):
    if member is None:
        stub.add_client_error("describe_cache_clusters", "CacheClusterNotFound", http_status_code=404,
                              expected_params={"CacheClusterId": "rg1-001"})
    else:
        stub.add_response("describe_cache_clusters", {"CacheClusters": [member]}, {"CacheClusterId": "rg1-001"})
    stub.add_response("list_tags_for_resource", {"TagList": []}, {"ResourceName": ARN})


def test_rerun_while_creating_sends_no_modification(stubbed):
    stub, client = stubbed
    expect_group(stub, creating_group())
    expect_read(stub)
    warnings = []
    p = params(cache_node_type="cache.t3.small", snapshot_retention_limit=0, wait=False, num_cache_clusters=1)
    changed, before, after = present(client, p, False, warnings)
    assert changed is False and before["port"] is None
    assert any("CacheNodeType not changed yet" in w for w in warnings)


def test_delete_of_creating_group_waits_until_available(stubbed):
    stub, client = stubbed
    expect_group(stub, creating_group())
    expect_read(stub)
    expect_group(stub, creating_group())                    # waiting for it to be available
    expect_group(stub, aws_group(Status="snapshotting"))
    expect_group(stub, aws_group())
    stub.add_client_error("delete_replication_group", "InvalidReplicationGroupState",
                          "Replication group rg1 is not in available state", expected_params={"ReplicationGroupId": "rg1"})
    stub.add_response("delete_replication_group", {}, {"ReplicationGroupId": "rg1"})
    expect_group(stub, aws_group(Status="deleting", MemberClusters=["rg1-001"]))
    expect_read(stub, aws_member(CacheClusterStatus="deleting"))
    notes = []
    changed, before, after = absent(client, params(state="absent", wait=False), notes=notes)
    assert changed and before["status"] == "creating" and after["status"] == "deleting"
    assert len(notes) == 1 and "InvalidReplicationGroupState" in notes[0]


def test_deleting_group_is_waited_for_then_subnet_group_deleted(stubbed):
    stub, client = stubbed
    p = params(state="absent", wait=False, delete_subnet_group=True, cache_subnet_group_name="cache-subnets")
    deleting = aws_group(Status="deleting", MemberClusters=["rg1-001"])
    # an earlier (interrupted) run started the deletion: waited for all the same
    expect_group(stub, deleting)
    expect_read(stub, aws_member(CacheClusterStatus="deleting"))
    expect_group(stub, deleting)
    stub.add_response("describe_cache_clusters", {"CacheClusters": [aws_member(CacheClusterStatus="deleting")]},
                      {"CacheClusterId": "rg1-001"})
    expect_group(stub, None)
    expect_group(stub, None)
    # then the subnet group goes, once AWS stops answering "in use"
    stub.add_client_error("delete_cache_subnet_group", "CacheSubnetGroupInUse", "in use",
                          expected_params={"CacheSubnetGroupName": "cache-subnets"})
    stub.add_response("delete_cache_subnet_group", {}, {"CacheSubnetGroupName": "cache-subnets"})
    notes = []
    outcome = module.ensure_absent(client, p, ctx(notes=notes))
    # nothing deleted on the group's side (an earlier run did, and it is gone now); the subnet group is
    assert outcome.before is None and outcome.after is None
    assert outcome.result == {"replication_group": {}, "subnet_group_deleted": True} and outcome.changed is True
    assert len(notes) == 1 and "CacheSubnetGroupInUse" in notes[0]
    # the group and the subnet group both gone already: nothing to do
    expect_group(stub, None)
    stub.add_client_error("delete_cache_subnet_group", "CacheSubnetGroupNotFoundFault",
                          expected_params={"CacheSubnetGroupName": "cache-subnets"})
    outcome = module.ensure_absent(client, p, ctx())
    assert outcome == base.Outcome(False, {"replication_group": {}, "subnet_group_deleted": False})
    stub.add_client_error("delete_cache_subnet_group", "CacheSubnetGroupNotFoundFault",
                          expected_params={"CacheSubnetGroupName": "cache-subnets"})
    assert module.delete_subnet_group(client, p, ctx()) is False


def test_check_mode_subnet_group_deletion_only_looks(stubbed):
    stub, client = stubbed
    p = params(state="absent", delete_subnet_group=True, cache_subnet_group_name="cache-subnets")
    expect_group(stub, None)
    stub.add_response("describe_cache_subnet_groups", {"CacheSubnetGroups": [{"CacheSubnetGroupName": "cache-subnets"}]},
                      {"CacheSubnetGroupName": "cache-subnets"})
    outcome = module.ensure_absent(client, p, ctx(check_mode=True))
    assert outcome.changed is True and outcome.result == {"replication_group": {}, "subnet_group_deleted": True}
