"""Offline tests of ec2_nat_gateway: identity, Elastic IP reuse and normalisers in
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
from ansible_collections.apranova.aws_stack.plugins.modules import ec2_nat_gateway as module
from ...aws_answers import AWSAnswers, no_sleep, retrying


def nat(nat_id, name, subnet="subnet-1", state="available", created="2026-01-01", eni="eni-1", alloc="eipalloc-1"):
    return {
        "NatGatewayId": nat_id, "SubnetId": subnet, "VpcId": "vpc-1", "State": state, "CreateTime": created,
        "Tags": [{"Key": "Name", "Value": name}] if name else [],
        "NatGatewayAddresses": [{"AllocationId": alloc, "PublicIp": "198.51.100.1", "NetworkInterfaceId": eni,
                                 "IsPrimary": True}],
    }


# ---------------------------------------------------------------- identity

def test_find_nat_gateway_by_name_subnet_and_live_state():
    gateways = [
        nat("nat-deleted", "a", state="deleted"),
        nat("nat-other-subnet", "a", subnet="subnet-2"),
        nat("nat-other-name", "b"),
        nat("nat-new", "a", created="2026-02-01"),
        nat("nat-old", "a", state="pending", created="2026-01-01"),
    ]
    found, extra = ec2.find_nat_gateway(gateways, "a", "subnet-1")
    assert found["NatGatewayId"] == "nat-old"
    assert [g["NatGatewayId"] for g in extra] == ["nat-new"]
    assert ec2.find_nat_gateway(gateways, "c", "subnet-1") == (None, [])
    # Only deleted/failed ones left: no gateway, so one gets created.
    assert ec2.find_nat_gateway([nat("n", "a", state="failed")], "a", "subnet-1") == (None, [])


def test_normalise_nat_gateway():
    assert ec2.normalise_nat_gateway(nat("nat-1", "a")) == {
        "id": "nat-1", "name": "a", "subnet_id": "subnet-1", "vpc_id": "vpc-1", "state": "available",
        "allocation_id": "eipalloc-1", "public_ip": "198.51.100.1", "tags": {"Name": "a"},
    }
    bare = ec2.normalise_nat_gateway({"NatGatewayId": "nat-2", "State": "pending"})
    assert bare["allocation_id"] is None and bare["tags"] == {} and bare["name"] is None


def test_nat_enis_and_eip_name():
    assert ec2.nat_enis([nat("a", "a", eni="eni-a"), nat("b", "b", eni="eni-b")]) == {"eni-a", "eni-b"}
    assert ec2.eip_name("web-nat") == "web-nat-eip"


# ---------------------------------------------------------------- Elastic IP reuse

def test_address_is_free():
    assert ec2.address_is_free({"AllocationId": "e"})
    assert not ec2.address_is_free({"AllocationId": "e", "AssociationId": "a", "NetworkInterfaceId": "eni-live"})
    assert not ec2.address_is_free({"AllocationId": "e", "InstanceId": "i-1", "AssociationId": "a"})
    # moto keeps a deleted NAT's address associated with its interface: that counts as free.
    assert ec2.address_is_free({"AllocationId": "e", "AssociationId": "a", "NetworkInterfaceId": "eni-dead"}, {"eni-dead"})


def test_validate_refuses_duplicate_names():
    with pytest.raises(ValueError, match="listed more than once"):
        module.validate([{"name": "a", "subnet_id": "s1"}, {"name": "a", "subnet_id": "s2"}])


# ---------------------------------------------------------------- wait_for_state

class FakeClient:
    """Answers describe_nat_gateways from a list of canned pages (one per call)."""

    def __init__(self, pages):
        self.pages = list(pages)

    def describe_nat_gateways(self, aws_retry=False, **params):
        return {"NatGateways": self.pages.pop(0) if len(self.pages) > 1 else self.pages[0]}

    def get_paginator(self, operation):
        client = self

        class Paginator:
            def paginate(self, **params):
                class Result:
                    def build_full_result(self):
                        return getattr(client, operation)(**params)
                return Result()
        return Paginator()


def test_wait_for_state_fails_on_failed_gateway():
    failed = dict(nat("nat-1", "a", state="failed"), FailureCode="Gateway.NotAttached", FailureMessage="no igw")
    with pytest.raises(AnsibleEC2Error, match="nat-1 failed: Gateway.NotAttached: no igw"):
        module.wait_for_state(FakeClient([[failed]]), ["nat-1"], "available", 5)


def test_wait_for_state_times_out_with_states(monkeypatch):
    monkeypatch.setattr(module, "wait_for", lambda check, timeout: check() or None)
    with pytest.raises(AnsibleEC2Error, match=r"Timed out after 7s .*nat-1=pending.*Raise wait_timeout"):
        module.wait_for_state(FakeClient([[nat("nat-1", "a", state="pending")]]), ["nat-1"], "available", 7)


def test_wait_for_deleted_accepts_vanished_gateways():
    assert module.wait_for_state(FakeClient([[]]), ["nat-1"], "deleted", 5)


# ---------------------------------------------------------------- module logic against mock_aws


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("ec2", region_name="us-east-1"))


@pytest.fixture
def subnet_id(client):
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return client.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]


def live(client):
    return [g for g in client.describe_nat_gateways()["NatGateways"] if g["State"] in ("pending", "available")]


def params(gateways, tags=None, purge_tags=True, release_eips=True, wait=True, wait_timeout=30, state="present"):
    """``module.params`` as ``main()`` hands them to ``ensure_*``."""
    return {"nat_gateways": gateways, "tags": tags, "purge_tags": purge_tags, "release_eips": release_eips,
            "wait": wait, "wait_timeout": wait_timeout, "state": state}


class Run:
    """One ``ensure_*`` call: its ``Outcome`` read as the module returns it, the warnings and waits it gave."""

    def __init__(self, ensure, client, params, check_mode=False):
        self.warnings, self.notes = [], []
        ctx = base.Context(check_mode=check_mode, note=self.notes.append, warn=self.warnings.append)
        self.outcome = ensure(client, params, ctx)
        self.changed = self.outcome.changed
        self.result = self.outcome.result["nat_gateways"]
        self.before = self.outcome.before["nat_gateways"]


def present(client, gateways, check_mode=False, tags=None, wait=True):
    return Run(module.ensure_present, client, params(gateways, tags, wait=wait), check_mode)


def absent(client, gateways, release_eips=True, check_mode=False):
    return Run(module.ensure_absent, client, params(gateways, release_eips=release_eips, state="absent"), check_mode)


def test_create_rerun_delete(client, subnet_id):
    gateways = [{"name": "nat-a", "subnet_id": subnet_id}]

    run = present(client, gateways, check_mode=True, tags={"P": "1"})
    assert run.changed and run.before == [] and run.result[0]["id"] is None
    assert run.outcome.after == {"nat_gateways": run.result}
    assert live(client) == [] and client.describe_addresses()["Addresses"] == []

    run = present(client, gateways, tags={"P": "1"})
    result = run.result
    assert run.changed and result[0]["state"] == "available"
    assert len(live(client)) == 1
    addresses = client.describe_addresses()["Addresses"]
    assert len(addresses) == 1 and result[0]["allocation_id"] == addresses[0]["AllocationId"]
    assert ec2.normalise_nat_gateway(live(client)[0])["tags"] == {"Name": "nat-a", "P": "1"}
    assert {t["Key"]: t["Value"] for t in addresses[0]["Tags"]} == {"Name": "nat-a-eip", "P": "1"}

    run = present(client, gateways, tags={"P": "1"})
    assert not run.changed and run.result == result
    assert len(live(client)) == 1 and len(client.describe_addresses()["Addresses"]) == 1

    run = absent(client, gateways, check_mode=True)
    assert run.changed and run.before[0]["id"] == result[0]["id"] and len(live(client)) == 1

    run = absent(client, gateways)
    assert run.changed and run.warnings == [] and run.result == [] and run.outcome.after == {"nat_gateways": []}
    assert live(client) == [] and client.describe_addresses()["Addresses"] == []
    assert absent(client, gateways).changed is False


def test_reuses_leftover_address_and_address_of_deleted_gateway(client, subnet_id):
    leftover = client.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "nat-a-eip"}]}]
    )["AllocationId"]
    gateways = [{"name": "nat-a", "subnet_id": subnet_id}]
    assert present(client, gateways).result[0]["allocation_id"] == leftover

    # Delete without releasing: moto leaves the address associated with the dead gateway.
    absent(client, gateways, release_eips=False)
    assert client.describe_addresses(AllocationIds=[leftover])["Addresses"][0].get("AssociationId")

    run = present(client, gateways)
    assert run.changed and run.result[0]["allocation_id"] == leftover
    assert len(client.describe_addresses()["Addresses"]) == 1


def test_given_allocation_and_refusals(client, subnet_id):
    given = client.allocate_address(Domain="vpc")["AllocationId"]
    gateways = [{"name": "nat-b", "subnet_id": subnet_id, "allocation_id": given}]
    assert present(client, gateways).result[0]["allocation_id"] == given

    other = client.allocate_address(Domain="vpc")["AllocationId"]
    with pytest.raises(ValueError, match="cannot change"):
        present(client, [dict(gateways[0], allocation_id=other)])
    with pytest.raises(ValueError, match="does not exist"):
        present(client, [{"name": "nat-c", "subnet_id": subnet_id, "allocation_id": "eipalloc-00000000000000000"}])
    with pytest.raises(ValueError, match="is associated with"):
        present(client, [{"name": "nat-c", "subnet_id": subnet_id, "allocation_id": given}])

    # release_eips only releases the module's own <name>-eip addresses.
    absent(client, gateways)
    assert {a["AllocationId"] for a in client.describe_addresses()["Addresses"]} == {given, other}


# ---------------------------------------------------------------- AWS's transient answers (issue 13)


class IdempotentCreate:
    """CreateNatGateway as AWS treats a ClientToken it has seen: the first answer again."""

    def __init__(self, client):
        self.answers, self.tokens = {}, []
        events = client.client.meta.events
        events.register("before-call.ec2.CreateNatGateway", self._before)
        events.register("after-call.ec2.CreateNatGateway", self._after)

    def _before(self, params, context, **kwargs):
        token = (params.get("body") or {}).get("ClientToken")
        self.tokens.append(token)
        context["token"] = token
        if token in self.answers:
            import copy
            return AWSAnswers._Http(200), copy.deepcopy(self.answers[token])
        return None

    def _after(self, http_response, parsed, context, **kwargs):
        import copy
        if http_response.status_code < 300 and context.get("token") and context["token"] not in self.answers:
            self.answers[context["token"]] = copy.deepcopy(parsed)


def test_create_sends_one_client_token_for_all_retries(client, subnet_id):
    """CreateNatGateway carried out, but its reply lost (a 500 on the way back): the retry sends
    the same ClientToken, so AWS answers the same gateway instead of creating a second one."""
    aws_side = IdempotentCreate(client)  # what AWS does with a ClientToken it has seen (moto ignores it)
    aws = AWSAnswers(client, "CreateNatGateway", "InternalError", 1, status=500, after_success=True)
    result = present(client, [{"name": "nat-a", "subnet_id": subnet_id}], wait=False).result
    assert aws.remaining == 0
    tokens = aws_side.tokens
    assert len(tokens) == 2 and tokens[0] and tokens[0] == tokens[1]
    assert len(live(client)) == 1 and result[0]["id"] == live(client)[0]["NatGatewayId"]
    # A second logical create gets a token of its own.
    aws2 = AWSAnswers(client, "CreateNatGateway", "InternalError", 0)
    present(client, [{"name": "nat-b", "subnet_id": subnet_id}], wait=False)
    assert aws2.sent[-1]["ClientToken"] != tokens[0]


def test_interrupted_allocation_is_adopted_not_duplicated(client, subnet_id):
    """AllocateAddress has no token: an allocation carried out whose reply was lost is found by
    its Name tag (set at creation) on the retry instead of allocating a second address."""
    aws = AWSAnswers(client, "AllocateAddress", "InternalError", 1, status=500, after_success=True)
    result = present(client, [{"name": "nat-a", "subnet_id": subnet_id}], wait=False).result
    addresses = client.describe_addresses()["Addresses"]
    assert len(aws.sent) == 1, "allocated twice"
    assert len(addresses) == 1 and result[0]["allocation_id"] == addresses[0]["AllocationId"]


def test_created_gateway_needs_no_read_back_when_the_task_does_not_wait(client, subnet_id, monkeypatch):
    """EC2 eventual consistency: DescribeNatGateways right after the create may answer
    NatGatewayNotFound for the new id. Without wait the module does not describe after the create:
    the result is the create's answer, as a describe shows it once visible."""
    no_sleep(monkeypatch, ec2)
    aws = AWSAnswers(client, "DescribeNatGateways", "NatGatewayNotFound", 2, skip=1)
    run = present(client, [{"name": "nat-a", "subnet_id": subnet_id}], wait=False)
    result, notes = run.result, run.notes
    assert aws.remaining == 2 and notes == []
    aws.remaining = 0  # the test's own read, once visible
    [seen] = client.describe_nat_gateways(NatGatewayIds=[result[0]["id"]])["NatGateways"]
    assert result == [ec2.normalise_nat_gateway(seen)]


def test_created_gateway_is_read_back_after_the_wait_even_when_not_visible_yet(client, subnet_id, monkeypatch):
    """With wait, the gateways are described until available; a NatGatewayNotFound for the new id
    is waited out, and the result is never a null item."""
    no_sleep(monkeypatch, ec2)
    aws = AWSAnswers(client, "DescribeNatGateways", "NatGatewayNotFound", 2, skip=1)
    run = present(client, [{"name": "nat-a", "subnet_id": subnet_id}], wait=True)
    assert aws.remaining == 0 and run.result[0] is not None and run.result[0]["id"].startswith("nat-")
    assert run.result[0]["state"] == "available"


def test_release_rides_out_aws_holding_the_address_of_a_deleted_gateway(client, subnet_id, monkeypatch):
    """ReleaseAddress of a NAT gateway's address answers AuthFailure / InvalidIPAddress.InUse for
    a while even once the gateway reads deleted: tried again, noted, then released."""
    no_sleep(monkeypatch, ec2)
    gateways = [{"name": "nat-a", "subnet_id": subnet_id}]
    present(client, gateways)
    aws = AWSAnswers(client, "ReleaseAddress", ["AuthFailure", "InvalidIPAddress.InUse"], 2)
    run = absent(client, gateways)
    notes = run.notes
    assert run.changed and run.warnings == [] and aws.remaining == 0
    assert client.describe_addresses()["Addresses"] == []
    assert [n.split(": AWS answered ")[1].split(";")[0] for n in notes] == ["AuthFailure", "InvalidIPAddress.InUse"]


def test_auth_failure_is_final_for_an_address_no_gateway_held(client, monkeypatch):
    no_sleep(monkeypatch, ec2)
    allocation = client.allocate_address(Domain="vpc")["AllocationId"]
    AWSAnswers(client, "ReleaseAddress", "AuthFailure", 1)
    with pytest.raises(AnsibleEC2Error, match="release Elastic IP"):
        ec2.release_address(client, allocation)


def test_with_vpc_id_every_live_gateway_of_that_vpc_is_answered_and_no_other(client, subnet_id):
    vpc_id = client.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["VpcId"]
    other_subnet = client.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    theirs = client.create_nat_gateway(SubnetId=other_subnet, AllocationId=client.allocate_address(Domain="vpc")["AllocationId"])
    other_vpc = client.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    elsewhere = client.create_subnet(VpcId=other_vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    client.create_nat_gateway(SubnetId=elsewhere, AllocationId=client.allocate_address(Domain="vpc")["AllocationId"])
    gateways = [{"name": "nat-a", "subnet_id": subnet_id, "allocation_id": None, "tags": None}]
    ctx = base.Context(check_mode=False, note=lambda _m: None, warn=lambda _m: None)

    created = module.ensure_present(client, dict(params(gateways, wait=False), vpc_id=vpc_id), ctx).result
    ours = created["nat_gateways"][0]["id"]
    assert [g["id"] for g in created["vpc_nat_gateways"]] == sorted([ours, theirs["NatGateway"]["NatGatewayId"]])
    again = module.ensure_present(client, dict(params(gateways, wait=False), vpc_id=vpc_id), ctx)
    assert not again.changed and again.result["vpc_nat_gateways"] == sorted(
        (ec2.normalise_nat_gateway(g) for g in client.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]),
        key=lambda g: g["id"])
    # without vpc_id (and in check mode) the VPC is not read
    assert "vpc_nat_gateways" not in module.ensure_present(client, params(gateways, wait=False), ctx).result
    check = base.Context(check_mode=True, note=lambda _m: None, warn=lambda _m: None)
    assert "vpc_nat_gateways" not in module.ensure_present(client, dict(params(gateways, wait=False), vpc_id=vpc_id), check).result


def test_a_refused_describe_names_what_was_asked_for(monkeypatch):
    """The error of DescribeNatGateways names the subnets, the VPC or the ids asked for (the module
    reads the VPC's gateways by vpc_id beside its own, by subnet)."""
    from botocore.exceptions import ClientError

    def refused(*_args, **_kwargs):
        raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "not allowed"}}, "DescribeNatGateways")

    monkeypatch.setattr(ec2, "_paginate", refused)
    with pytest.raises(AnsibleEC2Error, match=r"subnets: None; VPC: vpc-1; ids: None"):
        ec2.describe_nat_gateways(None, vpc_id="vpc-1")
    with pytest.raises(AnsibleEC2Error, match=r"subnets: \['subnet-1'\]; VPC: None"):
        ec2.describe_nat_gateways(None, subnet_ids=["subnet-1"])
