"""Offline tests of apranova.aws_stack.efs_mount_target and the mount target planner of module_utils/efs.py."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import efs
from ansible_collections.apranova.aws_stack.plugins.modules import efs_mount_target as mod
from ...aws_answers import retrying

SUBNETS = {
    "subnet-a": {"availability_zone": "us-east-1a", "vpc_id": "vpc-1"},
    "subnet-b": {"availability_zone": "us-east-1b", "vpc_id": "vpc-1"},
    "subnet-a2": {"availability_zone": "us-east-1a", "vpc_id": "vpc-1"},
    "subnet-x": {"availability_zone": "us-east-1c", "vpc_id": "vpc-2"},
}


def mt(subnet, mt_id=None, groups=("sg-1",), ip="10.0.0.5"):
    info = SUBNETS[subnet]
    return {"mount_target_id": mt_id or f"fsmt-{subnet}", "subnet_id": subnet,
            "availability_zone_name": info["availability_zone"], "ip_address": ip, "network_interface_id": "eni-1",
            "security_groups": sorted(groups), "life_cycle_state": "available", "vpc_id": info["vpc_id"]}


def want(subnet, groups=None, ip=None):
    return {"subnet_id": subnet, "security_groups": groups, "ip_address": ip}


def test_normalize_mount_target_sorts_groups():
    raw = {"MountTargetId": "fsmt-1", "SubnetId": "subnet-a", "AvailabilityZoneName": "us-east-1a",
           "IpAddress": "10.0.0.4", "NetworkInterfaceId": "eni-1", "LifeCycleState": "available", "VpcId": "vpc-1",
           "OwnerId": "123"}
    assert efs.normalize_mount_target(raw, ["sg-b", "sg-a"]) == {
        "mount_target_id": "fsmt-1", "subnet_id": "subnet-a", "availability_zone_name": "us-east-1a",
        "ip_address": "10.0.0.4", "network_interface_id": "eni-1", "security_groups": ["sg-a", "sg-b"],
        "life_cycle_state": "available", "vpc_id": "vpc-1",
    }


def test_plan_creates_missing_and_leaves_existing():
    current = [mt("subnet-a")]
    errors, plan = efs.plan_mount_targets(current, [want("subnet-a"), want("subnet-b", ["sg-1"])], SUBNETS, False)
    assert errors == []
    assert plan == {"create": [want("subnet-b", ["sg-1"])], "modify": [], "delete": []}


def test_plan_no_change():
    current = [mt("subnet-a"), mt("subnet-b")]
    errors, plan = efs.plan_mount_targets(current, [want("subnet-a", ["sg-1"]), want("subnet-b")], SUBNETS, True)
    assert errors == [] and plan == {"create": [], "modify": [], "delete": []}


def test_plan_changes_groups_in_place():
    current = [mt("subnet-a", groups=["sg-1"])]
    errors, plan = efs.plan_mount_targets(current, [want("subnet-a", ["sg-3", "sg-2"])], SUBNETS, False)
    assert errors == []
    assert plan["modify"] == [(current[0], ["sg-2", "sg-3"])] and plan["create"] == [] and plan["delete"] == []


def test_plan_purge_deletes_unlisted_only_with_purge():
    current = [mt("subnet-a"), mt("subnet-b")]
    assert efs.plan_mount_targets(current, [want("subnet-a")], SUBNETS, False)[1]["delete"] == []
    assert efs.plan_mount_targets(current, [want("subnet-a")], SUBNETS, True)[1]["delete"] == [current[1]]
    assert efs.plan_mount_targets(current, [], SUBNETS, True)[1]["delete"] == current


def test_plan_zone_conflict():
    current = [mt("subnet-a")]
    errors, _plan = efs.plan_mount_targets(current, [want("subnet-a2")], SUBNETS, False)
    assert len(errors) == 1
    assert "us-east-1a" in errors[0] and "fsmt-subnet-a" in errors[0] and "purge_mount_targets: true" in errors[0]
    errors, plan = efs.plan_mount_targets(current, [want("subnet-a2")], SUBNETS, True)
    assert errors == []
    assert plan == {"create": [want("subnet-a2")], "modify": [], "delete": [current[0]]}


def test_plan_ip_address_change_needs_purge():
    current = [mt("subnet-a", ip="10.0.0.5")]
    assert efs.plan_mount_targets(current, [want("subnet-a", ip="10.0.0.5")], SUBNETS, False) == (
        [], {"create": [], "modify": [], "delete": []})
    errors, _plan = efs.plan_mount_targets(current, [want("subnet-a", ip="10.0.0.9")], SUBNETS, False)
    assert "can't be changed in place" in errors[0]
    errors, plan = efs.plan_mount_targets(current, [want("subnet-a", ip="10.0.0.9")], SUBNETS, True)
    assert errors == [] and plan["delete"] == current and plan["create"] == [want("subnet-a", ip="10.0.0.9")]


@pytest.mark.parametrize("desired,message", [
    ([want("subnet-a"), want("subnet-a")], "listed twice"),
    ([want("subnet-a"), want("subnet-a2")], "both in us-east-1a"),
    ([want("subnet-nope")], "does not exist"),
    ([want("subnet-a"), want("subnet-x")], "several VPCs"),
])
def test_plan_input_errors(desired, message):
    errors, plan = efs.plan_mount_targets([], desired, SUBNETS, False)
    assert any(message in e for e in errors)
    assert plan == {"create": [], "modify": [], "delete": []}


def test_plan_other_vpc_needs_purge():
    current = [mt("subnet-a")]
    errors, _plan = efs.plan_mount_targets(current, [want("subnet-x")], SUBNETS, False)
    assert "must be in one VPC" in errors[0]
    errors, plan = efs.plan_mount_targets(current, [want("subnet-x")], SUBNETS, True)
    assert errors == [] and plan["delete"] == current


def test_predicted():
    current = [mt("subnet-a"), mt("subnet-b")]
    plan = {"create": [want("subnet-a2", ["sg-9"])], "modify": [(current[1], ["sg-2"])], "delete": [current[0]]}
    after = mod.predicted(current, plan, SUBNETS)
    assert [(m["subnet_id"], m["mount_target_id"], m["security_groups"]) for m in after] == [
        ("subnet-a2", None, ["sg-9"]), ("subnet-b", "fsmt-subnet-b", ["sg-2"]),
    ]


# --- against moto's in-process backend ----------------------------------------------------------


@pytest.fixture
def world(offline_aws):
    raw = boto3.client("efs", region_name="us-east-1")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    ids = {
        "fs": raw.create_file_system(CreationToken="unit")["FileSystemId"],
        "a": ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"],
        "b": ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"],
        "sg": ec2.create_security_group(VpcId=vpc, GroupName="unit-efs", Description="d")["GroupId"],
    }
    yield retrying(raw, efs.RETRY_CODES), raw, ec2, ids


def present(client, ec2, p, check_mode):
    """``ensure_present`` as ``run_state`` calls it: ``(changed, diff before, mount_targets returned)``."""
    out = mod.ensure_present({"efs": client, "ec2": ec2}, p, base.Context(check_mode=check_mode))
    assert out.after == {"mount_targets": out.result["mount_targets"]}
    return out.changed, out.before["mount_targets"], out.result["mount_targets"]


def absent(client, p, check_mode):
    """``ensure_absent``, given the EFS client only (it calls nothing else)."""
    out = mod.ensure_absent({"efs": client}, p, base.Context(check_mode=check_mode))
    assert out.after == {"mount_targets": out.result["mount_targets"]}
    return out.changed, out.before["mount_targets"], out.result["mount_targets"]


def params(ids, targets, **overrides):
    base = dict(file_system_id=ids["fs"], mount_targets=targets, purge_mount_targets=False, state="present",
                wait=True, wait_timeout=30)
    base.update(overrides)
    return base


def test_present_then_absent(world):
    client, raw, ec2, ids = world
    p = params(ids, [{"subnet_id": ids["a"], "security_groups": ["unit-efs"], "ip_address": None},
                     {"subnet_id": ids["b"], "security_groups": None, "ip_address": None}])
    changed, before, after = present(client, ec2, p, check_mode=True)
    assert changed and before == [] and len(after) == 2
    assert after[0]["security_groups"] == [ids["sg"]]  # resolved by name
    assert raw.describe_mount_targets(FileSystemId=ids["fs"])["MountTargets"] == []

    changed, _before, after = present(client, ec2, p, check_mode=False)
    assert changed and [m["subnet_id"] for m in after] == [ids["a"], ids["b"]]
    mt_a = after[0]["mount_target_id"]
    assert raw.describe_mount_target_security_groups(MountTargetId=mt_a)["SecurityGroups"] == [ids["sg"]]
    assert present(client, ec2, p, check_mode=False)[0] is False

    # Absent of one subnet, then of all.
    one = params(ids, [{"subnet_id": ids["b"]}], state="absent")
    changed, _before, after = absent(client, one, check_mode=False)
    assert changed and [m["subnet_id"] for m in after] == [ids["a"]]
    assert absent(client, one, check_mode=False)[0] is False
    every = params(ids, None, state="absent")
    assert absent(client, every, check_mode=True)[0] is True
    assert len(raw.describe_mount_targets(FileSystemId=ids["fs"])["MountTargets"]) == 1
    changed, _before, after = absent(client, every, check_mode=False)
    assert changed and after == []
    assert raw.describe_mount_targets(FileSystemId=ids["fs"])["MountTargets"] == []


def test_errors(world):
    client, _raw, ec2, ids = world
    with pytest.raises(efs.AnsibleEFSError, match="not found in vpc-"):
        present(client, ec2, params(ids, [{"subnet_id": ids["a"], "security_groups": ["nope"]}]), True)
    with pytest.raises(efs.AnsibleEFSError, match="does not exist; check the subnet id"):
        present(client, ec2, params(ids, [{"subnet_id": "subnet-0000000000000000"}]), True)
    with pytest.raises(efs.AnsibleEFSError, match="create it first"):
        present(client, ec2, params(dict(ids, fs="fs-00000000"), []), True)
    # Absent on a missing file system is a no-op.
    assert absent(client, params(dict(ids, fs="fs-00000000"), None, state="absent"), False)[0] is False


def test_wait_covers_mount_targets_still_creating_from_an_earlier_run(world, monkeypatch):
    client, raw, ec2, ids = world
    p = params(ids, [{"subnet_id": ids["a"], "security_groups": None, "ip_address": None}], wait=False)
    assert present(client, ec2, p, check_mode=False)[0] is True
    mt_id = raw.describe_mount_targets(FileSystemId=ids["fs"])["MountTargets"][0]["MountTargetId"]
    # The earlier run did not wait; AWS still reports the mount target as creating.
    real = efs.list_mount_targets
    monkeypatch.setattr(efs, "list_mount_targets",
                        lambda c, fs: [dict(m, life_cycle_state="creating") for m in real(c, fs)])
    waited = []
    monkeypatch.setattr(efs, "wait_mount_targets", lambda c, fs, available=(), deleted=(), timeout=0: waited.append(list(available)))
    assert present(client, ec2, p, check_mode=False)[0] is False
    assert waited == []  # wait=false: not waited on
    assert present(client, ec2, dict(p, wait=True), check_mode=True)[0] is False
    assert waited == []  # check mode never waits
    changed, _before, _after = present(client, ec2, dict(p, wait=True), check_mode=False)
    assert changed is False and waited == [[mt_id]]


def test_a_built_file_systems_mount_targets_are_all_that_a_no_op_reads(world):
    """Mount targets in every subnet asked for prove the file system and the subnets: neither is read."""
    client, raw, ec2, ids = world
    p = params(ids, [{"subnet_id": ids["a"], "security_groups": [ids["sg"]], "ip_address": None},
                     {"subnet_id": ids["b"], "security_groups": [ids["sg"]], "ip_address": None}])
    assert present(client, ec2, p, check_mode=False)[0] is True
    calls = []
    for c in (raw, ec2):
        c.meta.events.register("before-call.*.*", lambda model, **_kw: calls.append(model.name))
    assert present(client, ec2, p, check_mode=False)[0] is False
    assert sorted(calls) == ["DescribeMountTargetSecurityGroups"] * 2 + ["DescribeMountTargets"]
    # a subnet without one is read (and the file system is not: it has mount targets)
    del calls[:]
    with pytest.raises(efs.AnsibleEFSError, match="does not exist; check the subnet id"):
        present(client, ec2, params(ids, p["mount_targets"] + [{"subnet_id": "subnet-0000000000000000"}]), True)
    assert "DescribeSubnets" in calls and "DescribeFileSystems" not in calls
