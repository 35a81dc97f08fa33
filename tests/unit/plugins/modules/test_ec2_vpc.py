"""Offline tests of ec2_vpc: its input checks, the VPC functions of plugins/module_utils/ec2.py,
and the module's ensure_present/ensure_absent replayed against moto's in-process backend
(``mock_aws``; no network), AWS's transient answers played through botocore's hooks.
"""

from __future__ import annotations

import functools

import boto3
import pytest

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2
from ansible_collections.apranova.aws_stack.plugins.modules import ec2_vpc as module
from ...aws_answers import AWSAnswers, no_sleep, retrying

NAME, CIDR = "p-vpc", "10.0.0.0/16"
# The keys roles/network (and anything written for amazon.aws ec2_vpc_net) read from the result.
STOCK_KEYS = {"id", "name", "cidr_block", "cidr_block_association_set", "ipv6_cidr_block_association_set",
              "dhcp_options_id", "instance_tenancy", "is_default", "owner_id", "state", "tags"}


def params(**kw):
    """``module.params`` as ``main()`` hands them to ``ensure_*`` (after ``validate``)."""
    p = dict(name=NAME, cidr_block=CIDR, dns_support=None, dns_hostnames=None, instance_tenancy=None, tags=None,
             purge_tags=True, state="present", wait=True, wait_timeout=300)
    p.update(kw)
    return module.validate(p)


class Ctx(base.Context):
    def __init__(self, check_mode=False):
        self.notes, self.warnings = [], []
        super().__init__(check_mode=check_mode, note=self.notes.append, warn=self.warnings.append)


def raw_vpc(vpc_id="vpc-1", name=NAME, cidr=CIDR, **kw):
    vpc = {"VpcId": vpc_id, "CidrBlock": cidr, "State": "available", "Tags": [{"Key": "Name", "Value": name}]}
    vpc.update(kw)
    return vpc


# ---------------------------------------------------------------- input checks (before any API call)


def test_validate_canonical_cidr():
    assert params(cidr_block="10.1.0.0/16")["cidr_block"] == "10.1.0.0/16"
    with pytest.raises(ValueError, match="not a valid IPv4 network"):
        params(cidr_block="10.1.0.5/16")
    with pytest.raises(ValueError, match=r"between /16 and /28"):
        params(cidr_block="10.0.0.0/8")
    with pytest.raises(ValueError, match=r"between /16 and /28"):
        params(cidr_block="10.0.0.0/29")


def test_validate_asks_for_what_it_needs():
    with pytest.raises(ValueError, match="cidr_block is required with state: present"):
        params(cidr_block=None)
    assert params(cidr_block=None, state="absent")["cidr_block"] is None
    with pytest.raises(ValueError, match="DNS hostnames need DNS support"):
        params(dns_support=False, dns_hostnames=True)


def test_validate_vpc_id_deletes_alone():
    by_id = dict(name=None, cidr_block=None, state="absent")
    assert params(vpc_id="vpc-0123456789abcdef0", **by_id)["vpc_id"] == "vpc-0123456789abcdef0"
    with pytest.raises(ValueError, match="give vpc_id alone"):
        params(vpc_id="vpc-1", state="absent")
    with pytest.raises(ValueError, match="give vpc_id alone"):
        params(vpc_id="vpc-1", **dict(by_id, cidr_block=CIDR))
    with pytest.raises(ValueError, match="vpc_id is for state: absent only"):
        params(vpc_id="vpc-1", **dict(by_id, state="present"))
    with pytest.raises(ValueError, match="'p-vpc' is not a VPC ID"):
        params(vpc_id=NAME, **by_id)
    with pytest.raises(ValueError, match="name is required"):
        params(name=None, state="absent")


# ---------------------------------------------------------------- identity


def test_find_vpc_by_name_and_primary_cidr():
    vpcs = [raw_vpc("vpc-1"), raw_vpc("vpc-2", cidr="10.1.0.0/16"), raw_vpc("vpc-3", name="other")]
    assert ec2.find_vpc(vpcs, NAME, CIDR)["VpcId"] == "vpc-1"
    assert ec2.find_vpc(vpcs, NAME, "10.9.0.0/16") is None
    assert ec2.find_vpc(vpcs, "missing", CIDR) is None
    assert ec2.find_vpc(vpcs[:1], NAME, None)["VpcId"] == "vpc-1", "no cidr_block: the Name tag alone"
    assert ec2.find_vpc([raw_vpc(State="deleting")], NAME, CIDR) is None, "a VPC being deleted is not it"


def test_several_matches_fail_naming_the_ids():
    vpcs = [raw_vpc("vpc-b"), raw_vpc("vpc-a"), raw_vpc("vpc-c", cidr="10.1.0.0/16")]
    with pytest.raises(ValueError, match=r"2 VPCs are named p-vpc with CIDR block 10.0.0.0/16: vpc-a, vpc-b\."):
        ec2.find_vpc(vpcs, NAME, CIDR)
    with pytest.raises(ValueError, match=r"3 VPCs are named p-vpc: vpc-a, vpc-b, vpc-c\."):
        ec2.find_vpc(vpcs, NAME, None)


def test_normalise_vpc_has_the_stock_result_keys():
    raw = raw_vpc(InstanceTenancy="default", IsDefault=False, OwnerId="123456789012", DhcpOptionsId="dopt-1",
                  CidrBlockAssociationSet=[{"AssociationId": "a-1", "CidrBlock": CIDR, "CidrBlockState": {"State": "associated"}}],
                  Tags=[{"Key": "Name", "Value": NAME}, {"Key": "aws:cloudformation:stack-name", "Value": "x"}])
    vpc = ec2.normalise_vpc(raw)
    assert set(vpc) == STOCK_KEYS
    assert vpc["id"] == "vpc-1" and vpc["name"] == NAME and vpc["tags"] == {"Name": NAME}
    assert vpc["cidr_block_association_set"] == [{"association_id": "a-1", "cidr_block": CIDR, "cidr_block_state": {"state": "associated"}}]
    assert ec2.normalise_vpc(raw, {"dns_support": True, "dns_hostnames": False})["dns_hostnames"] is False


# ---------------------------------------------------------------- DNS attributes: one per call, in AWS's order


def test_plan_vpc_dns_orders_support_and_hostnames():
    off, on = {"dns_support": False, "dns_hostnames": False}, {"dns_support": True, "dns_hostnames": True}
    assert ec2.plan_vpc_dns(off, True, True) == [("dns_support", True), ("dns_hostnames", True)]
    assert ec2.plan_vpc_dns(on, False, False) == [("dns_hostnames", False), ("dns_support", False)]
    assert ec2.plan_vpc_dns(on, None, None) == [] and ec2.plan_vpc_dns(on, True, True) == []
    assert ec2.plan_vpc_dns(on, None, False) == [("dns_hostnames", False)]
    with pytest.raises(ValueError, match="with dns_support false, set dns_hostnames: false too"):
        ec2.plan_vpc_dns(on, False, None)
    with pytest.raises(ValueError, match="which this VPC has off"):
        ec2.plan_vpc_dns(off, None, True)


# ---------------------------------------------------------------- module logic against mock_aws


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("ec2", region_name="us-east-1"))


class Calls:
    """The EC2 operations a client sends, in order."""

    def __init__(self, client):
        self.names = []
        client.client.meta.events.register("before-call.ec2", lambda model, **kw: self.names.append(model.name))


def named(client, name=NAME):
    return [v for v in client.describe_vpcs()["Vpcs"] if ec2.name_tag(v) == name]


def dns(client, vpc_id):
    return ec2.describe_vpc_dns(client, vpc_id)


def test_create_check_then_apply_then_nothing(client):
    ctx = Ctx(check_mode=True)
    outcome = module.ensure_present(client, params(dns_support=True, dns_hostnames=True, tags={"P": "x"}), ctx)
    vpc = outcome.result["vpc"]
    assert outcome.changed and vpc["id"] is None and vpc["tags"] == {"P": "x", "Name": NAME}
    assert vpc["dns_support"] and vpc["dns_hostnames"] and outcome.before == {} and outcome.after == vpc
    assert named(client) == [], "check mode created the VPC"

    calls = Calls(client)
    outcome = module.ensure_present(client, params(dns_support=True, dns_hostnames=True, tags={"P": "x"}), Ctx())
    # Tagged at creation, DNS support on by AWS's default: only the hostnames attribute is sent.
    assert calls.names == ["DescribeVpcs", "CreateVpc", "ModifyVpcAttribute"]
    vpc = outcome.result["vpc"]
    raw = named(client)
    assert outcome.changed and len(raw) == 1 and vpc["id"] == raw[0]["VpcId"]
    assert ec2.normalise_vpc(raw[0])["tags"] == {"Name": NAME, "P": "x"}
    assert dns(client, vpc["id"]) == {"dns_support": True, "dns_hostnames": True}
    assert set(vpc) == STOCK_KEYS | {"dns_support", "dns_hostnames"} and vpc["state"] == "available"

    calls.names.clear()
    again = module.ensure_present(client, params(dns_support=True, dns_hostnames=True, tags={"P": "x"}), Ctx())
    assert not again.changed and again.result["vpc"] == vpc and again.before == again.after == vpc
    assert calls.names == ["DescribeVpcs", "DescribeVpcAttribute", "DescribeVpcAttribute"]


def test_no_op_reads_the_attributes_side_by_side(client, monkeypatch):
    module.ensure_present(client, params(), Ctx())
    batches = []

    def recording(calls, workers=8):
        batches.append(len(calls))
        return base.concurrently(calls, workers)

    monkeypatch.setattr(ec2, "concurrently", recording)
    assert not module.ensure_present(client, params(), Ctx()).changed
    assert batches == [2]


def test_unset_options_leave_an_existing_vpc_alone(client):
    vpc_id = client.create_vpc(CidrBlock=CIDR, TagSpecifications=ec2.tag_specifications("vpc", {"Name": NAME, "Keep": "me"}))["Vpc"]["VpcId"]
    outcome = module.ensure_present(client, params(), Ctx())
    assert not outcome.changed and outcome.result["vpc"]["id"] == vpc_id
    assert outcome.result["vpc"]["tags"] == {"Name": NAME, "Keep": "me"}
    assert dns(client, vpc_id) == {"dns_support": True, "dns_hostnames": False}


def test_update_tags_and_dns_in_place(client):
    vpc_id = module.ensure_present(client, params(dns_hostnames=True, tags={"A": "1", "B": "2"}), Ctx()).result["vpc"]["id"]
    ctx = Ctx(check_mode=True)
    outcome = module.ensure_present(client, params(dns_hostnames=False, tags={"A": "1", "Name": "ignored"}), ctx)
    assert outcome.changed and outcome.before["dns_hostnames"] and not outcome.after["dns_hostnames"]
    assert outcome.after["tags"] == {"Name": NAME, "A": "1"}, "the Name tag is always the name"
    assert dns(client, vpc_id)["dns_hostnames"], "check mode changed the attribute"

    outcome = module.ensure_present(client, params(dns_hostnames=False, tags={"A": "1", "Name": "ignored"}), Ctx())
    assert outcome.changed and outcome.result["vpc"]["id"] == vpc_id
    assert ec2.normalise_vpc(named(client)[0])["tags"] == {"Name": NAME, "A": "1"}
    assert dns(client, vpc_id) == {"dns_support": True, "dns_hostnames": False}
    assert outcome.result["vpc"]["dns_hostnames"] is False

    outcome = module.ensure_present(client, params(tags={"B": "3"}, purge_tags=False), Ctx())
    assert outcome.changed and ec2.normalise_vpc(named(client)[0])["tags"] == {"Name": NAME, "A": "1", "B": "3"}


def test_dns_support_off_turns_hostnames_off_first(client):
    vpc_id = module.ensure_present(client, params(dns_support=True, dns_hostnames=True), Ctx()).result["vpc"]["id"]
    calls = AWSAnswers(client, "ModifyVpcAttribute", "unused", 0)
    module.ensure_present(client, params(dns_support=False, dns_hostnames=False), Ctx())
    assert [[k for k in sent if k.startswith("Enable")] for sent in calls.sent] == [["EnableDnsHostnames.Value"], ["EnableDnsSupport.Value"]]
    assert dns(client, vpc_id) == {"dns_support": False, "dns_hostnames": False}
    with pytest.raises(ValueError, match="which this VPC has off"):
        module.ensure_present(client, params(dns_hostnames=True), Ctx())


def test_same_name_other_cidr_is_another_vpc_with_a_warning(client):
    other = client.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=ec2.tag_specifications("vpc", {"Name": NAME}))["Vpc"]["VpcId"]
    ctx = Ctx()
    vpc = module.ensure_present(client, params(), ctx).result["vpc"]
    assert vpc["id"] != other and len(named(client)) == 2
    assert len(ctx.warnings) == 1 and f"{other} (10.1.0.0/16)" in ctx.warnings[0]


def test_duplicates_fail_naming_the_ids_and_change_nothing(client):
    ids = sorted(client.create_vpc(CidrBlock=CIDR, TagSpecifications=ec2.tag_specifications("vpc", {"Name": NAME}))["Vpc"]["VpcId"]
                 for _ in range(2))
    calls = Calls(client)
    with pytest.raises(ValueError, match="2 VPCs are named p-vpc with CIDR block 10.0.0.0/16: %s, %s" % tuple(ids)):
        module.ensure_present(client, params(tags={"P": "x"}), Ctx())
    with pytest.raises(ValueError, match="2 VPCs are named"):
        module.ensure_absent(client, params(state="absent"), Ctx())
    assert calls.names == ["DescribeVpcs", "DescribeVpcs"]


def test_tenancy_is_set_at_creation_only(client):
    vpc = module.ensure_present(client, params(instance_tenancy="dedicated"), Ctx()).result["vpc"]
    assert vpc["instance_tenancy"] == "dedicated" == named(client)[0]["InstanceTenancy"]
    ctx = Ctx()
    assert not module.ensure_present(client, params(instance_tenancy="default"), ctx).changed
    assert len(ctx.warnings) == 1 and "tenancy dedicated, not default" in ctx.warnings[0]


def test_absent_check_then_delete_then_nothing(client):
    vpc_id = module.ensure_present(client, params(), Ctx()).result["vpc"]["id"]
    outcome = module.ensure_absent(client, params(state="absent"), Ctx(check_mode=True))
    assert outcome.changed and outcome.before["id"] == vpc_id and outcome.after == {} and outcome.result == {"vpc": {}}
    assert len(named(client)) == 1
    outcome = module.ensure_absent(client, params(state="absent", cidr_block=None), Ctx())
    assert outcome.changed and named(client) == []
    assert not module.ensure_absent(client, params(state="absent"), Ctx()).changed


def test_absent_by_id_check_then_delete_then_nothing(client):
    """The network teardown deletes the VPC its look-up found, by id: one DescribeVpcs, then DeleteVpc;
    a VPC of that id no longer there is nothing to delete."""
    vpc_id = module.ensure_present(client, params(), Ctx()).result["vpc"]["id"]
    other = module.ensure_present(client, params(cidr_block="10.1.0.0/16"), Ctx()).result["vpc"]["id"]
    by_id = params(vpc_id=vpc_id, name=None, cidr_block=None, state="absent")
    calls = Calls(client)
    outcome = module.ensure_absent(client, by_id, Ctx(check_mode=True))
    assert outcome.changed and outcome.before["id"] == vpc_id and outcome.after == {} and outcome.result == {"vpc": {}}
    assert calls.names == ["DescribeVpcs"] and len(named(client)) == 2
    calls.names.clear()
    assert module.ensure_absent(client, by_id, Ctx()).changed
    assert calls.names == ["DescribeVpcs", "DeleteVpc"]
    assert [v["VpcId"] for v in named(client)] == [other], "another VPC of the same name was deleted"
    assert not module.ensure_absent(client, by_id, Ctx(check_mode=True)).changed
    assert not module.ensure_absent(client, by_id, Ctx()).changed


def test_absent_by_id_leaves_a_vpc_being_deleted(client, monkeypatch):
    client.client.meta.events.register("after-call.ec2.DescribeVpcs", lambda parsed, **kw: [v.update(State="deleting") for v in parsed["Vpcs"]])
    vpc_id = module.ensure_present(client, params(), Ctx()).result["vpc"]["id"]
    calls = Calls(client)
    assert not module.ensure_absent(client, params(vpc_id=vpc_id, name=None, cidr_block=None, state="absent"), Ctx()).changed
    assert calls.names == ["DescribeVpcs"]


# ---------------------------------------------------------------- AWS's transient answers


def test_lost_create_reply_is_adopted_not_duplicated(client):
    """CreateVpc has no idempotency token: a create carried out whose reply was lost (a 500 on the
    way back) is found by its Name tag and CIDR block (set at creation) on the retry."""
    aws = AWSAnswers(client, "CreateVpc", "InternalError", 1, status=500, after_success=True)
    vpc = module.ensure_present(client, params(), Ctx()).result["vpc"]
    assert aws.remaining == 0 and len(aws.sent) == 1, "created twice"
    assert [v["VpcId"] for v in named(client)] == [vpc["id"]]


def test_pending_vpc_is_waited_for_and_a_new_id_not_seen_yet_rides_out(client, monkeypatch):
    """CreateVpc answers a VPC ``pending``; a describe right after may not know the id yet (EC2
    eventual consistency), nor may ModifyVpcAttribute: waited, then retried (noted)."""
    no_sleep(monkeypatch, base, "wait_for")
    no_sleep(monkeypatch, ec2)
    events = client.client.meta.events
    events.register("after-call.ec2.CreateVpc", lambda parsed, **kw: parsed["Vpc"].update(State="pending"))
    seen = AWSAnswers(client, "DescribeVpcs", "InvalidVpcID.NotFound", 1, skip=1)
    modify = AWSAnswers(client, "ModifyVpcAttribute", "InvalidVpcID.NotFound", 2)
    ctx = Ctx()
    vpc = module.ensure_present(client, params(), ctx).result["vpc"]
    assert vpc["state"] == "available" and seen.remaining == 0 and len(seen.sent) == 3
    assert modify.remaining == 0 and dns(client, vpc["id"])["dns_hostnames"]
    assert len(ctx.notes) == 2 and "InvalidVpcID.NotFound" in ctx.notes[0]


def test_wait_timeout_says_what_to_do(client, monkeypatch):
    no_sleep(monkeypatch, base, "wait_for")
    client.client.meta.events.register("after-call.ec2.CreateVpc", lambda parsed, **kw: parsed["Vpc"].update(State="pending"))
    client.client.meta.events.register("after-call.ec2.DescribeVpcs", lambda parsed, **kw: [v.update(State="pending") for v in parsed["Vpcs"]])
    with pytest.raises(module.AnsibleEC2Error, match="not available after 0 seconds.*Raise wait_timeout"):
        module.ensure_present(client, params(wait_timeout=0), Ctx())


@pytest.mark.parametrize("by_id", [False, True], ids=["by-name", "by-id"])
def test_delete_rides_out_dependency_violation(client, monkeypatch, by_id):
    """DeleteVpc answers DependencyViolation while what was in the VPC is released: tried again, noted."""
    no_sleep(monkeypatch, ec2)
    vpc_id = module.ensure_present(client, params(), Ctx()).result["vpc"]["id"]
    aws = AWSAnswers(client, "DeleteVpc", "DependencyViolation", 3)
    ctx = Ctx()
    absent = params(vpc_id=vpc_id, name=None, cidr_block=None, state="absent") if by_id else params(state="absent")
    assert module.ensure_absent(client, absent, ctx).changed
    assert aws.remaining == 0 and len(ctx.notes) == 3 and "DependencyViolation" in ctx.notes[0]
    assert named(client) == []


def test_delete_gives_up_on_dependency_violation_after_five_minutes(client, monkeypatch):
    """The bound the network teardown relies on: DependencyViolation ridden out for RELEASE_TIMEOUT
    (300 s) of the clock, then AWS's error; any other error at once."""
    clock = [0.0]
    monkeypatch.setattr(ec2, "retry_while", functools.partial(
        base.retry_while, clock=lambda: clock[0], sleep=lambda seconds: clock.__setitem__(0, clock[0] + seconds)))
    assert ec2.RELEASE_TIMEOUT == 300
    vpc_id = module.ensure_present(client, params(), Ctx()).result["vpc"]["id"]
    AWSAnswers(client, "DeleteVpc", "DependencyViolation", 1000)
    absent = params(vpc_id=vpc_id, name=None, cidr_block=None, state="absent")
    with pytest.raises(module.AnsibleEC2Error, match="DependencyViolation"):
        module.ensure_absent(client, absent, Ctx())
    assert 300 <= clock[0] < 320 and len(named(client)) == 1


# ---------------------------------------------------------------- what roles/network reads from the result


def network_vpc_id(result):
    """``__network_vpc_id`` of roles/network/vars/main.yml for a registered ``__network_vpc``, rendered as Ansible would."""
    from pathlib import Path

    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    loader = DataLoader()
    variables = dict(loader.load_from_file(str(Path(__file__).resolve().parents[4] / "roles/network/vars/main.yml")))
    variables["__network_vpc"] = result
    variables = {k: trust_as_template(v) if isinstance(v, str) else v for k, v in variables.items()}
    return Templar(loader=loader, variables=variables).template(variables["__network_vpc_id"])


def test_network_role_reads_the_vpc_id(client):
    """The network tier's later tasks run on ``__network_vpc_id``: the id of the VPC, or '' (tasks
    skipped) in check mode before the VPC exists, where the module returns ``id: null``."""
    would = module.ensure_present(client, params(), Ctx(check_mode=True)).result
    assert network_vpc_id(would) == ""
    made = module.ensure_present(client, params(), Ctx()).result
    assert network_vpc_id(made) == made["vpc"]["id"] and made["vpc"]["id"].startswith("vpc-")
