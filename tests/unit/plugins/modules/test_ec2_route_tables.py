"""Offline tests of ec2_route_tables: route and association planning and normalisers in
plugins/module_utils/ec2.py, and the module's ensure_present/ensure_absent replayed against
moto's in-process backend (``mock_aws``; no network).
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2
from ansible_collections.apranova.aws_stack.plugins.modules import ec2_route_tables as module
from ...aws_answers import AWSAnswers, no_sleep, retrying

LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active", "Origin": "CreateRouteTable"}


def route(cidr, **target):
    return dict({"DestinationCidrBlock": cidr, "State": "active", "Origin": "CreateRoute"}, **target)


# ---------------------------------------------------------------- routes

def test_is_managed_route_without_origin_key():
    # LocalStack omits Origin: the local route is still recognised and nothing raises KeyError.
    assert not ec2.is_managed_route({"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"})
    assert ec2.is_managed_route({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"})
    assert not ec2.is_managed_route(route("172.16.0.0/12", GatewayId="vgw-1", Origin="EnableVgwRoutePropagation"))
    assert not ec2.is_managed_route({"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-1"})


def test_normalise_route_and_table():
    assert ec2.normalise_route(route("0.0.0.0/0", NatGatewayId="nat-1")) == {
        "destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1", "state": "active"}
    assert ec2.normalise_route({"DestinationCidrBlock": "10.1.0.0/16", "VpcPeeringConnectionId": "pcx-1"}) == {
        "destination_cidr_block": "10.1.0.0/16", "vpc_peering_connection_id": "pcx-1", "state": None}
    table = {
        "RouteTableId": "rtb-1", "VpcId": "vpc-1", "Tags": [{"Key": "Name", "Value": "pub"}],
        "Routes": [LOCAL, {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-1"}],
        "Associations": [
            {"SubnetId": "subnet-b", "RouteTableAssociationId": "a-b", "AssociationState": {"State": "associated"}},
            {"SubnetId": "subnet-a", "RouteTableAssociationId": "a-a"},
            {"SubnetId": "subnet-x", "RouteTableAssociationId": "a-x", "AssociationState": {"State": "disassociated"}},
            {"GatewayId": "igw-1", "RouteTableAssociationId": "a-g"},
        ],
    }
    assert ec2.normalise_route_table(table) == {
        "id": "rtb-1", "name": "pub", "vpc_id": "vpc-1",
        "routes": [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local", "state": "active"}],
        "subnet_ids": ["subnet-a", "subnet-b"], "tags": {"Name": "pub"},
    }
    assert not ec2.is_main_route_table(table)
    assert ec2.is_main_route_table({"Associations": [{"Main": True}]})


def test_plan_routes():
    current = [LOCAL, route("0.0.0.0/0", NatGatewayId="nat-1"), route("192.168.0.0/16", GatewayId="igw-1"),
               route("172.16.0.0/12", GatewayId="vgw-1", Origin="EnableVgwRoutePropagation")]
    desired = [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-2"},
               {"destination_cidr_block": "10.9.0.0/16", "gateway_id": "igw-1"}]
    plan = ec2.plan_routes(current, desired, purge_routes=True)
    assert plan == {"create": [("10.9.0.0/16", {"GatewayId": "igw-1"})],
                    "replace": [("0.0.0.0/0", {"NatGatewayId": "nat-2"})],
                    "delete": ["192.168.0.0/16"]}
    assert ec2.plan_routes(current, desired, purge_routes=False)["delete"] == []
    assert ec2.plan_routes(current, None, purge_routes=True) == {"create": [], "replace": [], "delete": []}
    same = [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1"},
            {"destination_cidr_block": "192.168.0.0/16", "gateway_id": "igw-1"}]
    assert ec2.plan_routes(current, same, purge_routes=True) == {"create": [], "replace": [], "delete": []}
    after = ec2.apply_route_plan_to_routes(current, plan)
    assert {"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-2", "state": "active"} in after
    assert all(r["destination_cidr_block"] != "192.168.0.0/16" for r in after)


@pytest.mark.parametrize("bad,match", [
    ({"destination_cidr_block": "0.0.0.0/0"}, "exactly one of gateway_id or nat_gateway_id"),
    ({"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-1", "nat_gateway_id": "nat-1"}, "exactly one"),
    ({"destination_cidr_block": "10.0.0.1/16", "gateway_id": "igw-1"}, "not a valid IPv4 network"),
    ({"destination_cidr_block": "10.0.0.0/16", "gateway_id": "igw-1"}, "local route"),
])
def test_plan_routes_refuses(bad, match):
    with pytest.raises(ValueError, match=match):
        ec2.plan_routes([LOCAL], [bad], purge_routes=True)


def test_plan_routes_unknown_target_in_check_mode():
    plan = ec2.plan_routes([LOCAL], [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": ""}], True, allow_unknown=True)
    assert plan["create"] == [("0.0.0.0/0", {})]


def test_plan_routes_refuses_duplicates():
    with pytest.raises(ValueError, match="listed twice"):
        ec2.plan_routes([], [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"}] * 2, True)


# ---------------------------------------------------------------- associations

def test_plan_associations_moves_and_purges():
    owners = {"subnet-a": ("rtb-1", "a-a"), "subnet-b": ("rtb-2", "a-b"), "subnet-c": ("rtb-1", "a-c")}
    plan = ec2.plan_associations("rtb-1", ["subnet-a", "subnet-b", "subnet-d"], True, owners)
    assert plan == {"associate": ["subnet-d"], "replace": [("subnet-b", "a-b", "rtb-2")],
                    "disassociate": [("subnet-c", "a-c")]}
    assert owners == {"subnet-a": ("rtb-1", "a-a"), "subnet-b": ("rtb-1", None), "subnet-d": ("rtb-1", None)}
    # Without purge, unlisted associations stay; without subnet_ids, nothing is touched.
    owners = {"subnet-c": ("rtb-1", "a-c")}
    assert ec2.plan_associations("rtb-1", [], False, owners)["disassociate"] == []
    assert ec2.plan_associations("rtb-1", None, True, owners) == {"associate": [], "replace": [], "disassociate": []}


def test_validate():
    with pytest.raises(ValueError, match="listed more than once"):
        module.validate([{"name": "a"}, {"name": "a"}])
    with pytest.raises(ValueError, match="subnet-1 is listed in more than one route table"):
        module.validate([{"name": "a", "subnet_ids": ["subnet-1"]}, {"name": "b", "subnet_ids": ["subnet-1"]}])
    with pytest.raises(ValueError, match="Route table a: Route 0.0.0.0/0"):
        module.validate([{"name": "a", "routes": [{"destination_cidr_block": "0.0.0.0/0"}]}])
    module.validate([{"name": "a", "routes": [{"destination_cidr_block": "0.0.0.0/0"}]}], check_mode=True)


# ---------------------------------------------------------------- module logic against mock_aws


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("ec2", region_name="us-east-1"))


def tables_by_name(client, vpc_id):
    return {ec2.name_tag(t): t for t in ec2.describe_route_tables(client, vpc_id)}


def params(vpc_id, route_tables, purge_routes=True, purge_subnets=True, tags=None, purge_tags=True, state="present"):
    """``module.params`` as ``main()`` hands them to ``ensure_*``."""
    return {"vpc_id": vpc_id, "route_tables": route_tables, "purge_routes": purge_routes, "purge_subnets": purge_subnets,
            "tags": tags, "purge_tags": purge_tags, "state": state}


def context(check_mode=False, note=None):
    return base.Context(check_mode=check_mode, note=note or (lambda message: None))


def test_ensure_present_and_absent(client):
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    s1, s2 = (client.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2))
    other = client.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    client.associate_route_table(RouteTableId=other, SubnetId=s2)
    wanted = [{"name": "pub", "subnet_ids": [s1, s2], "tags": None,
               "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": igw, "nat_gateway_id": None}]}]

    def present(check_mode=False, purge_subnets=True):
        return module.ensure_present(client, params(vpc_id, wanted, True, purge_subnets, {"P": "1"}, True), context(check_mode))

    outcome = present(check_mode=True)
    result = outcome.result["route_tables"]
    assert outcome.changed and outcome.before == {"route_tables": []} and result[0]["id"] is None
    assert result[0]["subnet_ids"] == sorted([s1, s2]) and outcome.after == {"route_tables": result}
    assert "pub" not in tables_by_name(client, vpc_id)

    outcome = present()
    result = outcome.result["route_tables"]
    table = tables_by_name(client, vpc_id)["pub"]
    assert outcome.changed and result[0]["id"] == table["RouteTableId"]
    assert sorted(ec2.table_subnet_associations(table)) == sorted([s1, s2])
    assert ec2.table_subnet_associations(client.describe_route_tables(RouteTableIds=[other])["RouteTables"][0]) == {}
    assert [r for r in table["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"][0]["GatewayId"] == igw

    assert present().changed is False and present(check_mode=True).changed is False

    wanted[0]["subnet_ids"] = [s1]
    outcome = present()
    assert outcome.changed and outcome.result["route_tables"][0]["subnet_ids"] == [s1]

    main = [t for t in ec2.describe_route_tables(client, vpc_id) if ec2.is_main_route_table(t)][0]
    client.create_tags(Resources=[main["RouteTableId"]], Tags=[{"Key": "Name", "Value": "main"}])
    with pytest.raises(ValueError, match="main route table"):
        module.ensure_present(client, params(vpc_id, [{"name": "main"}]), context())

    outcome = module.ensure_absent(client, params(vpc_id, wanted, state="absent"), context())
    assert outcome.changed and outcome.before["route_tables"][0]["name"] == "pub"
    assert outcome.result == outcome.after == {"route_tables": []}
    assert "pub" not in tables_by_name(client, vpc_id)
    assert module.ensure_absent(client, params(vpc_id, wanted, state="absent"), context()).changed is False


# ---------------------------------------------------------------- AWS's transient answers (issue 13)


def test_route_to_a_gateway_aws_does_not_know_yet_is_retried_and_noted(client, monkeypatch):
    """A NAT gateway id a few seconds old may answer InvalidNatGatewayID.NotFound (EC2 eventual
    consistency; AWS accepts a route to a pending gateway): tried again, each wait noted."""
    no_sleep(monkeypatch, ec2)
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    aws = AWSAnswers(client, "CreateRoute", "InvalidNatGatewayID.NotFound", 2)
    notes = []
    tables = [{"name": "rt", "subnet_ids": None, "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": igw}]}]
    outcome = module.ensure_present(client, params(vpc_id, tables), context(note=notes.append))
    assert outcome.changed and aws.remaining == 0 and len(notes) == 2 and "InvalidNatGatewayID.NotFound" in notes[0]
    assert {"destination_cidr_block": "0.0.0.0/0", "gateway_id": igw} in [
        {k: v for k, v in r.items() if k != "state"} for r in outcome.result["route_tables"][0]["routes"]]


def test_new_table_missing_from_the_first_read_back_is_read_again(client, monkeypatch):
    no_sleep(monkeypatch, ec2)
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    real = ec2.describe_route_tables
    calls = []

    def lagging(c, v):
        calls.append(v)
        tables = real(c, v)
        return [t for t in tables if ec2.name_tag(t) != "rt"] if len(calls) == 2 else tables

    monkeypatch.setattr(ec2, "describe_route_tables", lagging)
    notes = []
    outcome = module.ensure_present(
        client, params(vpc_id, [{"name": "rt", "subnet_ids": None, "routes": None}]), context(note=notes.append))
    result = outcome.result["route_tables"]
    assert result[0] is not None and result[0]["name"] == "rt" and len(notes) == 1


def test_delete_rides_out_dependency_violation(client, monkeypatch):
    no_sleep(monkeypatch, ec2)
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    module.ensure_present(client, params(vpc_id, [{"name": "rt", "subnet_ids": None, "routes": None}]), context())
    aws = AWSAnswers(client, "DeleteRouteTable", "DependencyViolation", 2)
    notes = []
    outcome = module.ensure_absent(client, params(vpc_id, [{"name": "rt"}], state="absent"), context(note=notes.append))
    assert outcome.changed and aws.remaining == 0 and len(notes) == 2
    assert [t for t in ec2.describe_route_tables(client, vpc_id) if ec2.name_tag(t) == "rt"] == []


# ---------------------------------------------------------------- the network role's route tables


def network_route_tables(nat_gateways, per_az=False, check_mode=False):
    """``__network_route_tables`` of roles/network/vars/main.yml, rendered as Ansible would."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    loader = DataLoader()
    variables = dict(loader.load_from_file(str(Path(__file__).resolve().parents[4] / "roles/network/vars/main.yml")))
    variables.update(
        stack_name_prefix="p", network_availability_zones=["us-east-1a", "us-east-1b"], network_nat_per_az=per_az,
        network_public_subnet_cidrs=["10.0.1.0/24", "10.0.2.0/24"],
        network_private_subnet_cidrs=["10.0.11.0/24", "10.0.12.0/24"],
        stack_tags={}, network_tags={}, stack_nat_name="p-nat", ansible_check_mode=check_mode,
        __network_vpc={"vpc": {"id": "vpc-1"}},
        __network_subnet_result={"subnets": [
            {"name": f"p-{tier}-us-east-1{zone}", "id": f"subnet-{tier}-{zone}"}
            for tier in ("public", "private") for zone in "ab"]},
        __network_igw={"gateway": {"gateway_id": "igw-1"}},
        __network_nat={"nat_gateways": nat_gateways},
    )
    variables = {k: trust_as_template(v) if isinstance(v, str) else v for k, v in variables.items()}
    return Templar(loader=loader, variables=variables).template(variables["__network_route_tables"])


def test_network_role_routes_through_a_pending_nat_gateway_at_once():
    """AWS accepts a route to a NAT gateway that is still pending (issue 13, finding 7): the network
    tier routes the private subnets through it when it is requested, not at the end-of-run wait,
    so ECS tasks have egress from their first start."""
    tables = {t["name"]: t for t in network_route_tables([{"id": "nat-1", "state": "pending"}])}
    assert tables["p-private-rt"]["routes"] == [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1"}]
    assert tables["p-private-rt"]["subnet_ids"] == ["subnet-private-a", "subnet-private-b"]
    tables = {t["name"]: t for t in network_route_tables(
        [{"id": "nat-a", "state": "pending"}, {"id": "nat-b", "state": "available"}], per_az=True)}
    assert tables["p-private-rt-us-east-1a"]["routes"][0]["nat_gateway_id"] == "nat-a"
    assert tables["p-private-rt-us-east-1b"]["routes"][0]["nat_gateway_id"] == "nat-b"
