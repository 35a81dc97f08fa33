"""Offline tests of ec2_subnets: the subnet normaliser and comparison in
plugins/module_utils/ec2.py, and the module's ensure_present/ensure_absent replayed against
moto's in-process backend (``mock_aws``; no network).
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2
from ansible_collections.apranova.aws_stack.plugins.modules import ec2_subnets as module
from ...aws_answers import AWSAnswers, no_sleep, retrying


def current(**kw):
    base = dict(id="subnet-1", name="a", cidr_block="10.0.0.0/24", availability_zone="us-east-1a",
                map_public_ip_on_launch=False, vpc_id="vpc-1", tags={"Name": "a"})
    base.update(kw)
    return base


def wanted(**kw):
    base = dict(name="a", cidr="10.0.0.0/24", az="us-east-1a", map_public_ip_on_launch=False, tags=None)
    base.update(kw)
    return base


# ---------------------------------------------------------------- normalisers

def test_normalise_cidr():
    assert ec2.normalise_cidr("10.0.1.0/24") == "10.0.1.0/24"
    with pytest.raises(ValueError, match="not a valid IPv4 network"):
        ec2.normalise_cidr("10.0.1.5/24")
    with pytest.raises(ValueError, match="not a valid IPv4 network"):
        ec2.normalise_cidr("banana")


def test_normalise_subnet_drops_aws_tags_and_reads_name():
    raw = {"SubnetId": "subnet-9", "CidrBlock": "10.0.9.0/24", "AvailabilityZone": "us-east-1c", "VpcId": "vpc-1",
           "MapPublicIpOnLaunch": True,
           "Tags": [{"Key": "Name", "Value": "nine"}, {"Key": "aws:cloudformation:stack-name", "Value": "x"}]}
    assert ec2.normalise_subnet(raw) == {
        "id": "subnet-9", "name": "nine", "cidr_block": "10.0.9.0/24", "availability_zone": "us-east-1c",
        "map_public_ip_on_launch": True, "vpc_id": "vpc-1", "tags": {"Name": "nine"},
    }
    assert ec2.normalise_subnet({"SubnetId": "subnet-0"})["map_public_ip_on_launch"] is False


# ---------------------------------------------------------------- tags of one item of a set

def test_item_tags():
    assert ec2.item_tags("a", None, None) == ({"Name": "a"}, False)
    assert ec2.item_tags("a", {"P": 1}, None) == ({"P": "1", "Name": "a"}, True)
    assert ec2.item_tags("a", {"P": "x", "T": "c"}, {"T": "i", "Name": "ignored"}) == ({"P": "x", "T": "i", "Name": "a"}, True)


def test_item_tag_changes_without_tags_only_manages_name():
    to_set, to_remove, result = ec2.item_tag_changes({"Name": "old", "Keep": "me"}, "new", None, None, True)
    assert to_set == {"Name": "new"} and to_remove == [] and result == {"Name": "new", "Keep": "me"}


def test_item_tag_changes_purges_when_tags_given():
    to_set, to_remove, result = ec2.item_tag_changes({"Name": "a", "Old": "x", "aws:x": "y"}, "a", {"P": "1"}, None, True)
    assert to_set == {"P": "1"} and to_remove == ["Old"]
    assert result == {"Name": "a", "P": "1", "aws:x": "y"}, "aws: tags are neither purged nor invented"
    _set, to_remove, _result = ec2.item_tag_changes({"Name": "a", "Old": "x"}, "a", {"P": "1"}, None, False)
    assert to_remove == []


# ---------------------------------------------------------------- plan_subnet

def test_plan_new_subnet():
    plan = ec2.plan_subnet(None, wanted(map_public_ip_on_launch=True, tags={"T": "x"}, vpc_id="vpc-1"), {"P": "1"}, True)
    assert plan["create"] and plan["map_public_ip_on_launch"] is True
    assert plan["tags_to_set"] == {"P": "1", "T": "x", "Name": "a"}
    assert plan["after"]["id"] is None and plan["after"]["vpc_id"] == "vpc-1"
    assert ec2.plan_changes(plan)
    # A private subnet needs no attribute call after creation.
    assert ec2.plan_subnet(None, wanted(), None, True)["map_public_ip_on_launch"] is None


def test_plan_unchanged_subnet():
    plan = ec2.plan_subnet(current(), wanted(), None, True)
    assert not ec2.plan_changes(plan)
    assert plan["after"] == current()


def test_plan_updates_in_place():
    plan = ec2.plan_subnet(current(tags={"Name": "a", "Old": "1"}), wanted(map_public_ip_on_launch=True), {"P": "1"}, True)
    assert not plan["create"]
    assert plan["map_public_ip_on_launch"] is True
    assert plan["tags_to_set"] == {"P": "1"} and plan["tags_to_remove"] == ["Old"]
    assert plan["after"]["tags"] == {"Name": "a", "P": "1"} and plan["after"]["map_public_ip_on_launch"] is True


def test_plan_refuses_az_move():
    with pytest.raises(ValueError, match="cannot move to another AZ.*az: us-east-1a"):
        ec2.plan_subnet(current(), wanted(az="us-east-1b"), None, True)


def test_validate_canonical_and_unique():
    assert module.validate([wanted()])[0]["cidr"] == "10.0.0.0/24"
    with pytest.raises(ValueError, match="listed more than once"):
        module.validate([wanted(), wanted(name="b")])


# ---------------------------------------------------------------- module logic against mock_aws


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("ec2", region_name="us-east-1"))


def params(vpc_id, subnets, tags=None, purge_tags=True, state="present"):
    """``module.params`` as ``main()`` hands them to ``ensure_*`` (subnets already validated)."""
    return {"vpc_id": vpc_id, "subnets": subnets, "tags": tags, "purge_tags": purge_tags, "state": state}


def present(client, vpc_id, subnets, tags=None, check_mode=False, note=None):
    ctx = base.Context(check_mode=check_mode, note=note or (lambda message: None))
    return module.ensure_present(client, params(vpc_id, subnets, tags), ctx)


def absent(client, vpc_id, subnets, check_mode=False, note=None):
    ctx = base.Context(check_mode=check_mode, note=note or (lambda message: None))
    return module.ensure_absent(client, params(vpc_id, subnets, state="absent"), ctx)


def test_ensure_present_and_absent(client):
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = module.validate([
        wanted(name="pub", cidr="10.0.0.0/24", map_public_ip_on_launch=True),
        wanted(name="priv", cidr="10.0.1.0/24", az="us-east-1b", tags={"Tier": "private"}),
    ])

    outcome = present(client, vpc_id, subnets, {"P": "x"}, check_mode=True)
    result = outcome.result["subnets"]
    assert outcome.changed and outcome.before == {"subnets": []} and [s["id"] for s in result] == [None, None]
    assert outcome.after == {"subnets": result}
    assert client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"] == []

    outcome = present(client, vpc_id, subnets, {"P": "x"})
    result = outcome.result["subnets"]
    assert outcome.changed
    raw = {s["CidrBlock"]: s for s in client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]}
    assert raw["10.0.0.0/24"]["MapPublicIpOnLaunch"] is True
    assert raw["10.0.1.0/24"]["AvailabilityZone"] == "us-east-1b"
    assert ec2.normalise_subnet(raw["10.0.1.0/24"])["tags"] == {"Name": "priv", "P": "x", "Tier": "private"}
    assert [s["id"] for s in result] == [raw["10.0.0.0/24"]["SubnetId"], raw["10.0.1.0/24"]["SubnetId"]]

    outcome = present(client, vpc_id, subnets, {"P": "x"})
    assert not outcome.changed and outcome.result["subnets"] == result
    assert outcome.before == outcome.after == {"subnets": result}

    subnets[0]["map_public_ip_on_launch"] = False
    outcome = present(client, vpc_id, subnets, {"P": "x"})
    result = outcome.result["subnets"]
    assert outcome.changed and result[0]["map_public_ip_on_launch"] is False
    raw = client.describe_subnets(SubnetIds=[result[0]["id"]])["Subnets"][0]
    assert raw["MapPublicIpOnLaunch"] is False

    with pytest.raises(ValueError, match="cannot move"):
        present(client, vpc_id, [dict(subnets[0], az="us-east-1c")])

    outcome = absent(client, vpc_id, subnets[:1])
    doomed = outcome.before["subnets"]
    assert outcome.changed and outcome.result == {"subnets": []} and [d["cidr_block"] for d in doomed] == ["10.0.0.0/24"]
    assert outcome.after == {"subnets": []}
    left = client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert [s["CidrBlock"] for s in left] == ["10.0.1.0/24"]
    assert absent(client, vpc_id, subnets[:1]).changed is False


def test_missing_vpc_says_what_to_fix(client):
    with pytest.raises(AnsibleEC2Error, match="vpc-00000000 does not exist.*check vpc_id"):
        present(client, "vpc-00000000", [wanted()])


# ---------------------------------------------------------------- AWS's transient answers (issue 13)


def test_created_subnets_need_no_read_back_that_eventual_consistency_could_slow(client, monkeypatch):
    """EC2 eventual consistency: a describe right after CreateSubnet may not know the new id yet.
    The module does not describe after its creates: the result is the create's answer and the
    attributes it set, as a describe would show them once visible."""
    no_sleep(monkeypatch, ec2)
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    aws = AWSAnswers(client, "DescribeSubnets", "InvalidSubnetID.NotFound", 2, skip=1)
    notes = []
    outcome = present(client, vpc_id, module.validate([wanted(map_public_ip_on_launch=True)]), note=notes.append)
    result = outcome.result["subnets"]
    assert outcome.changed and aws.remaining == 2 and notes == []
    aws.remaining = 0  # the test's own read, once visible
    [seen] = client.describe_subnets(SubnetIds=[result[0]["id"]])["Subnets"]
    assert result == [ec2.normalise_subnet(seen)]
    assert result[0]["name"] == "a" and result[0]["map_public_ip_on_launch"] is True


def test_delete_rides_out_dependency_violation(client, monkeypatch):
    """DeleteSubnet answers DependencyViolation while the interfaces of a resource deleted a
    moment ago are released: tried again, each wait noted."""
    no_sleep(monkeypatch, ec2)
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = module.validate([wanted()])
    present(client, vpc_id, subnets)
    aws = AWSAnswers(client, "DeleteSubnet", "DependencyViolation", 3)
    notes = []
    outcome = absent(client, vpc_id, subnets, note=notes.append)
    assert outcome.changed and aws.remaining == 0 and len(notes) == 3
    assert client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"] == []
