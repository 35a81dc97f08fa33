"""Offline tests of the network tier's filters (plugins/filter/network.py).

The inputs are the production inventory's (inventories/production/group_vars/stack/main.yml with
the network role's defaults and group_vars/all) written out by hand, and so are the expected values:
a change in a filter shows up as a failing literal, not as a value read back from the same files.
The problem messages are the ones the preflight printed before it was a filter, word for word.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.filter import network

# production: stack_name_prefix "production", aws_region us-east-1
ZONES = ["us-east-1a", "us-east-1b"]
PUBLIC_NAMES = ["production-public-us-east-1a", "production-public-us-east-1b"]
PRIVATE_NAMES = ["production-private-us-east-1a", "production-private-us-east-1b"]
PUBLIC_CIDRS = ["10.0.1.0/24", "10.0.2.0/24"]
PRIVATE_CIDRS = ["10.0.11.0/24", "10.0.12.0/24"]
SUBNET_IDS = {
    "production-public-us-east-1a": "subnet-pa", "production-public-us-east-1b": "subnet-pb",
    "production-private-us-east-1a": "subnet-qa", "production-private-us-east-1b": "subnet-qb",
}


def subnets(**changes):
    args = dict(public_names=PUBLIC_NAMES, private_names=PRIVATE_NAMES, public_cidrs=PUBLIC_CIDRS, private_cidrs=PRIVATE_CIDRS)
    args.update(changes)
    return network.network_subnets(ZONES, **args)


def route_tables(**changes):
    args = dict(name_prefix="production", public_names=PUBLIC_NAMES, private_names=PRIVATE_NAMES,
                subnet_ids=SUBNET_IDS, gateway_id="igw-1", nat_ids=["nat-1"], per_az=False)
    args.update(changes)
    return network.network_route_tables(ZONES, **args)


def problems(zones=ZONES, region="us-east-1", public_cidrs=PUBLIC_CIDRS, private_cidrs=PRIVATE_CIDRS,
             alb_ports=(80, 443), rds_port=5432, redis_port=6379):
    return network.network_problems(zones, region=region, public_cidrs=public_cidrs, private_cidrs=private_cidrs,
                                    alb_ports=list(alb_ports), rds_port=rds_port, redis_port=redis_port)


def test_filters_are_registered_under_the_tier_prefix():
    filters = network.FilterModule().filters()
    assert sorted(filters) == [
        "network_alb_ingress", "network_nat_gateways", "network_nat_teardown", "network_problems",
        "network_route_tables", "network_route_tables_teardown", "network_subnets", "network_subnets_teardown",
    ]
    assert filters["network_subnets"] is network.network_subnets


# ---------------------------------------------------------------- network_subnets


def test_subnets_of_production():
    assert subnets() == [
        {"name": "production-public-us-east-1a", "cidr": "10.0.1.0/24", "az": "us-east-1a",
         "map_public_ip_on_launch": True, "tags": {"Tier": "public"}},
        {"name": "production-public-us-east-1b", "cidr": "10.0.2.0/24", "az": "us-east-1b",
         "map_public_ip_on_launch": True, "tags": {"Tier": "public"}},
        {"name": "production-private-us-east-1a", "cidr": "10.0.11.0/24", "az": "us-east-1a",
         "map_public_ip_on_launch": False, "tags": {"Tier": "private"}},
        {"name": "production-private-us-east-1b", "cidr": "10.0.12.0/24", "az": "us-east-1b",
         "map_public_ip_on_launch": False, "tags": {"Tier": "private"}},
    ]
    assert list(subnets()[0]) == ["name", "cidr", "az", "map_public_ip_on_launch", "tags"]


def test_subnets_ignore_extra_cidrs_and_refuse_missing_ones():
    assert [s["cidr"] for s in subnets(public_cidrs=PUBLIC_CIDRS + ["10.0.3.0/24"])] == [
        "10.0.1.0/24", "10.0.2.0/24", "10.0.11.0/24", "10.0.12.0/24"]
    with pytest.raises(AnsibleFilterError, match="public_cidrs has 1 entries for 2 zones"):
        subnets(public_cidrs=["10.0.1.0/24"])


@pytest.mark.parametrize("bad", ["us-east-1a", {"a": 1}, None, 3])
def test_subnets_want_lists(bad):
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        network.network_subnets(bad, PUBLIC_NAMES, PRIVATE_NAMES, PUBLIC_CIDRS, PRIVATE_CIDRS)


# ---------------------------------------------------------------- network_nat_gateways


def test_one_nat_gateway_in_the_first_public_subnet():
    assert network.network_nat_gateways(ZONES, "production-nat", PUBLIC_NAMES, SUBNET_IDS, False) == [
        {"name": "production-nat", "subnet_id": "subnet-pa"}]
    # check mode on an empty account: no subnet yet
    assert network.network_nat_gateways(ZONES, "production-nat", PUBLIC_NAMES, {}, False) == [
        {"name": "production-nat", "subnet_id": ""}]


def test_one_nat_gateway_per_zone():
    ids = {"production-public-us-east-1a": "subnet-pa", "production-public-us-east-1b": None}
    assert network.network_nat_gateways(ZONES, "production-nat", PUBLIC_NAMES, ids, per_az=True) == [
        {"name": "production-nat-us-east-1a", "subnet_id": "subnet-pa"},
        {"name": "production-nat-us-east-1b", "subnet_id": ""},
    ]


def test_nat_gateways_want_a_dict_of_subnet_ids():
    with pytest.raises(AnsibleFilterError, match="subnet_ids must be a dict, got list"):
        network.network_nat_gateways(ZONES, "production-nat", PUBLIC_NAMES, [], False)


# ---------------------------------------------------------------- network_route_tables


def test_route_tables_of_production_route_through_a_pending_nat_gateway():
    assert route_tables() == [
        {"name": "production-public-rt", "subnet_ids": ["subnet-pa", "subnet-pb"],
         "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"}]},
        {"name": "production-private-rt", "subnet_ids": ["subnet-qa", "subnet-qb"],
         "routes": [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1"}]},
    ]


def test_route_tables_without_gateways_yet_have_empty_targets():
    tables = route_tables(gateway_id=None, nat_ids=[])
    assert tables[0]["routes"] == [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": ""}]
    assert tables[1]["routes"] == [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": ""}]


def test_one_private_route_table_per_zone():
    assert route_tables(per_az=True, nat_ids=["nat-a", ""])[1:] == [
        {"name": "production-private-rt-us-east-1a", "subnet_ids": ["subnet-qa"],
         "routes": [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-a"}]},
        {"name": "production-private-rt-us-east-1b", "subnet_ids": ["subnet-qb"],
         "routes": [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": ""}]},
    ]
    assert route_tables(per_az=True, nat_ids=["nat-a"])[2]["routes"][0]["nat_gateway_id"] == ""


def test_route_tables_need_every_subnet_id():
    ids = dict(SUBNET_IDS)
    del ids["production-private-us-east-1b"]
    with pytest.raises(AnsibleFilterError, match="no id for the subnet 'production-private-us-east-1b'"):
        route_tables(subnet_ids=ids)
    with pytest.raises(AnsibleFilterError, match="no id for the subnet 'production-private-us-east-1b'"):
        route_tables(subnet_ids=ids, per_az=True)


# ---------------------------------------------------------------- network_alb_ingress


def test_alb_ingress_of_production():
    assert network.network_alb_ingress([80, 443], ["0.0.0.0/0"]) == [
        {"protocol": "tcp", "ports": 80, "cidr_ip": ["0.0.0.0/0"]},
        {"protocol": "tcp", "ports": 443, "cidr_ip": ["0.0.0.0/0"]},
    ]


def test_alb_ingress_reads_ports_as_jinja_int_does():
    assert [r["ports"] for r in network.network_alb_ingress(["8080", "8.9", 8.9, "abc", True], [])] == [8080, 8, 8, 0, 1]


# ---------------------------------------------------------------- teardown


def test_route_tables_teardown_names_every_table_the_role_may_have_made():
    assert network.network_route_tables_teardown(ZONES, "production") == [
        {"name": "production-public-rt"}, {"name": "production-private-rt"},
        {"name": "production-private-rt-us-east-1a"}, {"name": "production-private-rt-us-east-1b"},
    ]


def test_nat_teardown_names_unnamed_gateways():
    found = [{"name": "production-nat", "subnet_id": "subnet-1", "id": "nat-1"},
             {"name": "", "subnet_id": "subnet-2"}, {"subnet_id": "subnet-3"}]
    assert network.network_nat_teardown(found, "production-nat") == [
        {"name": "production-nat", "subnet_id": "subnet-1"},
        {"name": "production-nat", "subnet_id": "subnet-2"},
        {"name": "production-nat", "subnet_id": "subnet-3"},
    ]
    assert network.network_nat_teardown([{"name": "other-nat", "subnet_id": "subnet-9"}], "production-nat") == [
        {"name": "other-nat", "subnet_id": "subnet-9"}]
    assert network.network_nat_teardown([], "production-nat") == []


def test_nat_teardown_refuses_bad_entries():
    with pytest.raises(AnsibleFilterError, match="network_nat_teardown: a NAT gateway has no 'subnet_id'"):
        network.network_nat_teardown([{"name": "production-nat"}], "production-nat")
    with pytest.raises(AnsibleFilterError, match="each NAT gateway must be a dict"):
        network.network_nat_teardown(["nat-1"], "production-nat")


def test_subnets_teardown_names_unnamed_subnets_by_id():
    found = [
        {"name": "production-public-us-east-1a", "id": "subnet-a", "cidr_block": "10.0.1.0/24", "availability_zone": "us-east-1a"},
        {"name": None, "id": "subnet-b", "cidr_block": "10.0.2.0/24", "availability_zone": "us-east-1b"},
        {"id": "subnet-c", "cidr_block": "10.0.11.0/24", "availability_zone": "us-east-1a"},
    ]
    assert network.network_subnets_teardown(found) == [
        {"name": "production-public-us-east-1a", "cidr": "10.0.1.0/24", "az": "us-east-1a"},
        {"name": "subnet-b", "cidr": "10.0.2.0/24", "az": "us-east-1b"},
        {"name": "subnet-c", "cidr": "10.0.11.0/24", "az": "us-east-1a"},
    ]


def test_subnets_teardown_refuses_bad_entries():
    with pytest.raises(AnsibleFilterError, match="network_subnets_teardown: a subnet has no 'availability_zone'"):
        network.network_subnets_teardown([{"name": "s", "cidr_block": "10.0.1.0/24"}])
    with pytest.raises(AnsibleFilterError, match="the subnets must be a list, got dict"):
        network.network_subnets_teardown({"public": []})


# ---------------------------------------------------------------- network_problems


def test_production_and_staging_have_no_problem():
    assert problems() == []
    assert problems(public_cidrs=["10.20.1.0/24", "10.20.2.0/24"], private_cidrs=["10.20.11.0/24", "10.20.12.0/24"]) == []
    assert problems(zones=["us-east-1a", "us-east-1b", "us-east-1c"], public_cidrs=["a", "b", "c"], private_cidrs=["d", "e", "f"]) == []


@pytest.mark.parametrize("region", ["us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "eu-central-2"])
def test_other_partitions_regions_are_regions(region):
    assert problems(zones=[region + "a", region + "b"], region=region) == []


def test_region_problem():
    assert problems(zones=["a", "b"], region="") == [
        "aws_region: '' is not an AWS region; set it in the inventory, e.g. aws_region: us-east-1"]
    assert problems(region="us-east-1x")[0] == (
        "aws_region: 'us-east-1x' is not an AWS region; set it in the inventory, e.g. aws_region: us-east-1")


def test_zone_outside_the_region():
    assert problems(zones=["us-west-2a", "us-west-2b"]) == [
        "network_availability_zones: 'us-west-2a' is not a zone of region us-east-1 (expected e.g. us-east-1a)",
        "network_availability_zones: 'us-west-2b' is not a zone of region us-east-1 (expected e.g. us-east-1a)",
    ]


def test_zone_listed_twice_case_insensitively():
    assert problems(zones=["us-east-1a", "us-east-1a"]) == [
        "network_availability_zones: a zone is listed twice; list each zone once"]
    assert "network_availability_zones: a zone is listed twice; list each zone once" in problems(zones=["us-east-1a", "US-EAST-1A"])


def test_fewer_than_two_zones():
    assert problems(zones=["us-east-1a"], public_cidrs=["10.0.1.0/24"], private_cidrs=["10.0.11.0/24"]) == [
        "network_availability_zones: list at least 2 zones (the load balancer needs two)"]


def test_one_subnet_per_zone():
    assert problems(zones=["us-east-1a", "us-east-1b", "us-east-1c"]) == [
        "network_public_subnet_cidrs: 2 subnets for 3 zones; give exactly one subnet per zone in network_availability_zones",
        "network_private_subnet_cidrs: 2 subnets for 3 zones; give exactly one subnet per zone in network_availability_zones",
    ]


def test_ports_out_of_range():
    assert problems(alb_ports=[0, "443", 65535, 65536], rds_port="abc", redis_port=-1) == [
        "network ports: 0 is out of range; use 1-65535",
        "network ports: 65536 is out of range; use 1-65535",
        "network ports: abc is out of range; use 1-65535",
        "network ports: -1 is out of range; use 1-65535",
    ]


def test_problems_come_in_the_preflight_order():
    # what the Jinja preflight printed for these inputs, before it was a filter
    assert problems(zones=["us-east-1a", "US-EAST-1A", "x"], region="mars-1", public_cidrs=["10.0.1.0/24"],
                    alb_ports=[0, "80", "70000", "abc", 8.5], rds_port=65536, redis_port="6379") == [
        "aws_region: 'mars-1' is not an AWS region; set it in the inventory, e.g. aws_region: us-east-1",
        "network_availability_zones: 'us-east-1a' is not a zone of region mars-1 (expected e.g. mars-1a)",
        "network_availability_zones: 'US-EAST-1A' is not a zone of region mars-1 (expected e.g. mars-1a)",
        "network_availability_zones: 'x' is not a zone of region mars-1 (expected e.g. mars-1a)",
        "network_availability_zones: a zone is listed twice; list each zone once",
        "network_public_subnet_cidrs: 1 subnets for 3 zones; give exactly one subnet per zone in network_availability_zones",
        "network_private_subnet_cidrs: 2 subnets for 3 zones; give exactly one subnet per zone in network_availability_zones",
        "network ports: 0 is out of range; use 1-65535",
        "network ports: 70000 is out of range; use 1-65535",
        "network ports: abc is out of range; use 1-65535",
        "network ports: 65536 is out of range; use 1-65535",
    ]


def test_problems_want_lists():
    with pytest.raises(AnsibleFilterError, match="network_availability_zones must be a list, got str"):
        problems(zones="us-east-1a")
    with pytest.raises(AnsibleFilterError, match="network_alb_ports must be a list, got int"):
        network.network_problems(ZONES, "us-east-1", PUBLIC_CIDRS, PRIVATE_CIDRS, 80)
