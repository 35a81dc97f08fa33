"""Offline tests of ec2_internet_gateway: its input checks, the internet gateway functions of
plugins/module_utils/ec2.py, and the module's ensure_present/ensure_absent replayed against moto's
in-process backend (``mock_aws``; no network), AWS's transient answers played through botocore's hooks.
"""

from __future__ import annotations

import functools

import boto3
import pytest

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2
from ansible_collections.apranova.aws_stack.plugins.modules import ec2_internet_gateway as module
from ...aws_answers import AWSAnswers, no_sleep, retrying

NAME = "p-igw"
# The keys of amazon.aws ec2_vpc_igw's result (what roles/network reads), plus attachments and owner_id.
STOCK_KEYS = {"gateway_id", "vpc_id", "tags"}


def params(vpc_id, **kw):
    """``module.params`` as ``main()`` hands them to ``ensure_*`` (after ``validate``)."""
    p = dict(vpc_id=vpc_id, tags={"Name": NAME, "Project": "p"}, purge_tags=True, state="present")
    p.update(kw)
    return module.validate(p)


class Ctx(base.Context):
    def __init__(self, check_mode=False):
        self.notes, self.warnings = [], []
        super().__init__(check_mode=check_mode, note=self.notes.append, warn=self.warnings.append)


# ---------------------------------------------------------------- input checks (before any API call)


def test_validate_wants_a_vpc_id():
    for bad in ("", "my-vpc", "igw-0123", "vpc-XYZ"):
        with pytest.raises(ValueError, match="is not a VPC ID"):
            params(bad)
    assert params("vpc-0a1b", tags={"N": 1})["tags"] == {"N": "1"}
    assert params("vpc-0a1b", tags=None)["tags"] is None


def test_normalise_has_the_stock_result_keys():
    raw = {"InternetGatewayId": "igw-1", "OwnerId": "123456789012", "Attachments": [{"State": "available", "VpcId": "vpc-1"}],
           "Tags": [{"Key": "Name", "Value": NAME}, {"Key": "aws:cloudformation:stack-name", "Value": "x"}]}
    igw = ec2.normalise_internet_gateway(raw)
    assert STOCK_KEYS <= set(igw)
    assert igw == {"gateway_id": "igw-1", "vpc_id": "vpc-1", "owner_id": "123456789012", "tags": {"Name": NAME},
                   "attachments": [{"state": "available", "vpc_id": "vpc-1"}]}
    assert ec2.normalise_internet_gateway(dict(raw, Attachments=[]))["vpc_id"] is None
    assert ec2.igw_attached_vpcs(dict(raw, Attachments=[{"State": "detached", "VpcId": "vpc-1"}])) == []


# ---------------------------------------------------------------- module logic against mock_aws


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("ec2", region_name="us-east-1"))


@pytest.fixture
def vpc_id(client):
    return client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


class Calls:
    """The EC2 operations a client sends, in order."""

    def __init__(self, client):
        self.names = []
        client.client.meta.events.register("before-call.ec2", lambda model, **kw: self.names.append(model.name))


def gateways(client, name=NAME):
    return [g for g in client.describe_internet_gateways()["InternetGateways"] if ec2.name_tag(g) == name]


def make_detached(client, name=NAME, **tags):
    spec = ec2.tag_specifications("internet-gateway", dict(tags, Name=name))
    return client.create_internet_gateway(TagSpecifications=spec)["InternetGateway"]["InternetGatewayId"]


def test_create_check_then_apply_then_nothing(client, vpc_id):
    ctx = Ctx(check_mode=True)
    outcome = module.ensure_present(client, params(vpc_id), ctx)
    igw = outcome.result["gateway"]
    assert outcome.changed and igw["gateway_id"] is None and igw["vpc_id"] == vpc_id
    assert igw["tags"] == {"Name": NAME, "Project": "p"} and outcome.before == {} and outcome.after == igw
    assert gateways(client) == [], "check mode created the gateway"

    calls = Calls(client)
    outcome = module.ensure_present(client, params(vpc_id), Ctx())
    # One lookup of the attached gateway, then the VPC check and the look-up of a detached gateway of
    # this Name side by side, then the create (tagged at creation) and the attach.
    assert calls.names[0] == "DescribeInternetGateways"
    assert sorted(calls.names[1:3]) == ["DescribeInternetGateways", "DescribeVpcs"]
    assert calls.names[3:] == ["CreateInternetGateway", "AttachInternetGateway"]
    igw = outcome.result["gateway"]
    raw = gateways(client)
    assert outcome.changed and len(raw) == 1 and igw["gateway_id"] == raw[0]["InternetGatewayId"]
    assert ec2.igw_attached_vpcs(raw[0]) == [vpc_id] and ec2.normalise_internet_gateway(raw[0])["tags"] == igw["tags"]
    assert igw["attachments"] == [{"state": "available", "vpc_id": vpc_id}] and igw["vpc_id"] == vpc_id

    calls.names.clear()
    again = module.ensure_present(client, params(vpc_id), Ctx())
    assert not again.changed and again.before == again.after
    assert again.result["gateway"]["gateway_id"] == igw["gateway_id"] and again.result["gateway"]["tags"] == igw["tags"]
    assert calls.names == ["DescribeInternetGateways"], "a no-op costs one call"
    assert not module.ensure_present(client, params(vpc_id), Ctx(check_mode=True)).changed


def test_tags_updated_in_place(client, vpc_id):
    igw_id = module.ensure_present(client, params(vpc_id, tags={"Name": NAME, "A": "1", "B": "2"}), Ctx()).result["gateway"]["gateway_id"]
    outcome = module.ensure_present(client, params(vpc_id, tags={"Name": NAME, "A": "9"}), Ctx(check_mode=True))
    assert outcome.changed and outcome.before["tags"] == {"Name": NAME, "A": "1", "B": "2"}
    assert outcome.after["tags"] == {"Name": NAME, "A": "9"}
    assert ec2.normalise_internet_gateway(gateways(client)[0])["tags"]["A"] == "1", "check mode changed the tags"

    assert module.ensure_present(client, params(vpc_id, tags={"Name": NAME, "A": "9"}), Ctx()).changed
    assert ec2.normalise_internet_gateway(gateways(client)[0])["tags"] == {"Name": NAME, "A": "9"}
    assert module.ensure_present(client, params(vpc_id, tags={"C": "3"}, purge_tags=False), Ctx()).changed
    assert ec2.normalise_internet_gateway(gateways(client)[0])["tags"] == {"Name": NAME, "A": "9", "C": "3"}
    outcome = module.ensure_present(client, params(vpc_id, tags=None), Ctx())
    assert not outcome.changed and outcome.result["gateway"]["gateway_id"] == igw_id, "tags unset: left alone"


def test_missing_vpc_fails_before_creating_anything(client):
    calls = Calls(client)
    with pytest.raises(AnsibleEC2Error, match="VPC vpc-0123456789abcdef0 does not exist"):
        module.ensure_present(client, params("vpc-0123456789abcdef0"), Ctx())
    assert "CreateInternetGateway" not in calls.names and gateways(client) == []


def test_detached_gateway_of_an_interrupted_run_is_adopted(client, vpc_id):
    """A run stopped between CreateInternetGateway and AttachInternetGateway left a detached gateway
    carrying the Name tag: the next run attaches it rather than creating a second one."""
    orphan = make_detached(client, Project="old")
    outcome = module.ensure_present(client, params(vpc_id), Ctx(check_mode=True))
    assert outcome.changed and outcome.result["gateway"]["gateway_id"] == orphan
    assert outcome.before["vpc_id"] is None and outcome.after["vpc_id"] == vpc_id
    assert ec2.igw_attached_vpcs(gateways(client)[0]) == [], "check mode attached it"

    calls = Calls(client)
    outcome = module.ensure_present(client, params(vpc_id), Ctx())
    assert "CreateInternetGateway" not in calls.names
    assert outcome.changed and outcome.result["gateway"]["gateway_id"] == orphan
    raw = gateways(client)
    assert len(raw) == 1 and ec2.igw_attached_vpcs(raw[0]) == [vpc_id]
    assert ec2.normalise_internet_gateway(raw[0])["tags"] == {"Name": NAME, "Project": "p"}


def test_several_detached_gateways_adopt_one_and_warn(client, vpc_id):
    ids = sorted(make_detached(client) for _ in range(2))
    ctx = Ctx()
    assert module.ensure_present(client, params(vpc_id), ctx).result["gateway"]["gateway_id"] == ids[0]
    assert len(ctx.warnings) == 1 and ids[1] in ctx.warnings[0]


def test_gateways_of_other_names_or_vpcs_are_not_this_one(client, vpc_id):
    make_detached(client, name="someone-else")
    other_vpc = client.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other = module.ensure_present(client, params(other_vpc), Ctx()).result["gateway"]["gateway_id"]
    mine = module.ensure_present(client, params(vpc_id), Ctx()).result["gateway"]["gateway_id"]
    assert mine != other and len(gateways(client)) == 2 and len(gateways(client, "someone-else")) == 1


def test_absent_check_then_delete_then_nothing(client, vpc_id):
    igw_id = module.ensure_present(client, params(vpc_id), Ctx()).result["gateway"]["gateway_id"]
    outcome = module.ensure_absent(client, params(vpc_id, state="absent"), Ctx(check_mode=True))
    assert outcome.changed and outcome.before["gateway_id"] == igw_id and outcome.after == {} and outcome.result == {"gateway": {}}
    assert len(gateways(client)) == 1

    calls = Calls(client)
    outcome = module.ensure_absent(client, params(vpc_id, state="absent"), Ctx())
    assert calls.names == ["DescribeInternetGateways", "DetachInternetGateway", "DeleteInternetGateway"]
    assert outcome.changed and gateways(client) == []
    assert not module.ensure_absent(client, params(vpc_id, state="absent"), Ctx()).changed
    assert not module.ensure_absent(client, params(vpc_id, state="absent", tags=None), Ctx()).changed


def test_absent_deletes_a_detached_gateway_of_the_name(client, vpc_id):
    orphan = make_detached(client)
    make_detached(client, name="someone-else")
    outcome = module.ensure_absent(client, params(vpc_id, state="absent"), Ctx())
    assert outcome.changed and outcome.before["gateway_id"] == orphan
    assert gateways(client) == [] and len(gateways(client, "someone-else")) == 1


# ---------------------------------------------------------------- AWS's transient answers


def test_attach_of_a_gateway_just_created_rides_out_not_found(client, vpc_id, monkeypatch):
    """AttachInternetGateway right after CreateInternetGateway may not know the new id yet (EC2
    eventual consistency): tried again, each wait noted."""
    no_sleep(monkeypatch, ec2)
    aws = AWSAnswers(client, "AttachInternetGateway", "InvalidInternetGatewayID.NotFound", 2)
    ctx = Ctx()
    igw = module.ensure_present(client, params(vpc_id), ctx).result["gateway"]
    assert aws.remaining == 0 and len(ctx.notes) == 2 and "InvalidInternetGatewayID.NotFound" in ctx.notes[0]
    assert ec2.igw_attached_vpcs(gateways(client)[0]) == [vpc_id] and igw["vpc_id"] == vpc_id


def test_lost_create_reply_is_adopted_not_duplicated(client, vpc_id):
    """CreateInternetGateway has no idempotency token: a create carried out whose reply was lost (a
    500 on the way back) is found by its Name tag (set at creation) on the retry."""
    aws = AWSAnswers(client, "CreateInternetGateway", "InternalError", 1, status=500, after_success=True)
    igw = module.ensure_present(client, params(vpc_id), Ctx()).result["gateway"]
    assert aws.remaining == 0 and len(aws.sent) == 1, "created twice"
    assert [g["InternetGatewayId"] for g in gateways(client)] == [igw["gateway_id"]]


def test_lost_attach_reply_is_the_attachment_wanted(client, vpc_id):
    """An attach carried out whose reply was lost is answered Resource.AlreadyAssociated on the retry."""
    aws = AWSAnswers(client, "AttachInternetGateway", "InternalError", 1, status=500, after_success=True)
    seconds = AWSAnswers(client, "AttachInternetGateway", "Resource.AlreadyAssociated", 1, skip=1)
    assert module.ensure_present(client, params(vpc_id), Ctx()).changed
    assert aws.remaining == 0 and seconds.remaining == 0
    assert ec2.igw_attached_vpcs(gateways(client)[0]) == [vpc_id]


def test_detach_rides_out_mapped_public_addresses(client, vpc_id, monkeypatch):
    """DetachInternetGateway answers DependencyViolation while a NAT gateway or load balancer deleted
    a moment ago still maps a public address in the VPC: tried again, noted."""
    no_sleep(monkeypatch, ec2)
    module.ensure_present(client, params(vpc_id), Ctx())
    aws = AWSAnswers(client, "DetachInternetGateway", "DependencyViolation", 3)
    ctx = Ctx()
    assert module.ensure_absent(client, params(vpc_id, state="absent"), ctx).changed
    assert aws.remaining == 0 and len(ctx.notes) == 3 and "DependencyViolation" in ctx.notes[0]
    assert gateways(client) == []


def test_detach_gives_up_after_the_timeout(client, vpc_id, monkeypatch):
    no_sleep(monkeypatch, ec2)
    igw_id = module.ensure_present(client, params(vpc_id), Ctx()).result["gateway"]["gateway_id"]
    AWSAnswers(client, "DetachInternetGateway", "DependencyViolation", 1000)
    with pytest.raises(AnsibleEC2Error, match="detach internet gateway"):
        ec2.detach_internet_gateway(client, igw_id, vpc_id, timeout=0)


def test_network_teardown_rides_out_mapped_addresses_for_five_minutes_then_fails(client, vpc_id, monkeypatch):
    """What roles/network/tasks/teardown.yml asks (vpc_id alone, state absent): the detach rides out
    DependencyViolation for RELEASE_TIMEOUT (300 s) of the clock, each wait noted, then fails with
    AWS's error; the gateway is left attached, for a rerun."""
    clock = [0.0]
    monkeypatch.setattr(ec2, "retry_while", functools.partial(
        base.retry_while, clock=lambda: clock[0], sleep=lambda seconds: clock.__setitem__(0, clock[0] + seconds)))
    assert ec2.RELEASE_TIMEOUT == 300
    module.ensure_present(client, params(vpc_id), Ctx())
    AWSAnswers(client, "DetachInternetGateway", "DependencyViolation", 1000)
    ctx = Ctx()
    with pytest.raises(AnsibleEC2Error, match="DependencyViolation"):
        module.ensure_absent(client, params(vpc_id, tags=None, state="absent"), ctx)
    assert 300 <= clock[0] < 320 and len(ctx.notes) > 10
    assert [ec2.igw_attached_vpcs(g) for g in gateways(client)] == [[vpc_id]]


def test_network_teardown_deletes_the_attached_gateway_only(client, vpc_id):
    """vpc_id alone, no tags: the gateway attached to the VPC (DescribeInternetGateways, detach, delete);
    a detached gateway, even of the same Name, is not looked for."""
    module.ensure_present(client, params(vpc_id), Ctx())
    stray = client.create_internet_gateway(TagSpecifications=[
        {"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": NAME}]}])["InternetGateway"]["InternetGatewayId"]
    calls = Calls(client)
    absent = params(vpc_id, tags=None, state="absent")
    assert module.ensure_absent(client, absent, Ctx(check_mode=True)).changed
    assert calls.names == ["DescribeInternetGateways"]
    calls.names.clear()
    assert module.ensure_absent(client, absent, Ctx()).changed
    assert calls.names == ["DescribeInternetGateways", "DetachInternetGateway", "DeleteInternetGateway"]
    assert [g["InternetGatewayId"] for g in gateways(client)] == [stray]
    assert not module.ensure_absent(client, absent, Ctx()).changed


# ---------------------------------------------------------------- what roles/network reads from the result


def network_gateway_id(result):
    """The ``gateway_id`` roles/network/vars/main.yml passes to the route tables, rendered as Ansible would."""
    from pathlib import Path

    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    loader = DataLoader()
    text = (Path(__file__).resolve().parents[4] / "roles/network/vars/main.yml").read_text()
    expression = next(line.split("gateway_id=", 1)[1].rstrip().rstrip(",") for line in text.splitlines() if "gateway_id=" in line)
    variables = {"__network_igw": result, "x": trust_as_template("{{ %s }}" % expression)}
    return Templar(loader=loader, variables=variables).template(variables["x"])


def test_network_role_reads_the_gateway_id(client, vpc_id):
    """The public route table routes to the gateway's id: '' in check mode before it exists (or when
    the task was skipped), the id once made."""
    assert network_gateway_id({"skipped": True, "changed": False}) == ""
    would = module.ensure_present(client, params(vpc_id), Ctx(check_mode=True)).result
    assert network_gateway_id(would) == ""
    made = module.ensure_present(client, params(vpc_id), Ctx()).result
    assert network_gateway_id(made) == made["gateway"]["gateway_id"] and made["gateway"]["gateway_id"].startswith("igw-")
