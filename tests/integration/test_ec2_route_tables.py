"""Integration test of apranova.aws_stack.ec2_route_tables against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ec2_route_tables/main.yml"
INVENTORY = "tests/integration/inventory.yml"


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _tables(ec2, vpc_id):
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    return {_tags(t).get("Name"): t for t in tables}


def _subnets(table):
    return sorted(a["SubnetId"] for a in table.get("Associations", []) if a.get("SubnetId"))


def _routes(table):
    """{cidr: target} of the table's IPv4 routes."""
    result = {}
    for route in table.get("Routes", []):
        if "DestinationCidrBlock" in route:
            result[route["DestinationCidrBlock"]] = route.get("GatewayId") or route.get("NatGatewayId")
    return result


def _setup(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        for i in range(3)
    ]
    nat_ids = []
    for _ in range(2):
        allocation_id = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnet_ids[0], AllocationId=allocation_id)["NatGateway"]
        nat_ids.append(nat["NatGatewayId"])
    return vpc_id, igw_id, subnet_ids, nat_ids


def test_ec2_route_tables(aws):
    ec2 = aws.client("ec2")
    vpc_id, igw_id, subnet_ids, nat_ids = _setup(ec2)
    main = _tables(ec2, vpc_id)[None]
    assert any(a.get("Main") for a in main["Associations"])
    ec2.create_tags(Resources=[main["RouteTableId"]], Tags=[{"Key": "Name", "Value": "it-main"}])
    # A table of someone else's holding subnet 3: the module must move the subnet, not the table.
    other = ec2.create_route_table(
        VpcId=vpc_id, TagSpecifications=[{"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "it-other"}]}]
    )["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=other, SubnetId=subnet_ids[2])
    extra = {"it_vpc_id": vpc_id, "it_igw_id": igw_id, "it_nat_ids": nat_ids, "it_subnet_ids": subnet_ids}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="create", extra_vars=extra)
    assert run.rc == 0, run
    tables = _tables(ec2, vpc_id)
    assert set(tables) == {"it-main", "it-other", "it-public", "it-private"}, "a table was duplicated or lost"
    public, private = tables["it-public"], tables["it-private"]
    assert _subnets(public) == sorted(subnet_ids[:2])
    assert _subnets(private) == [subnet_ids[2]]
    assert _subnets(tables["it-other"]) == []
    assert _routes(public) == {"10.40.0.0/16": "local", "0.0.0.0/0": igw_id}
    assert _routes(private) == {"10.40.0.0/16": "local", "0.0.0.0/0": nat_ids[0]}
    assert _tags(private) == {"Name": "it-private", "Project": "it", "Tier": "private"}
    assert _tags(public) == {"Name": "it-public", "Project": "it"}
    ids = {name: t["RouteTableId"] for name, t in tables.items()}

    # A route added by hand: purge_routes must remove it.
    ec2.create_route(RouteTableId=ids["it-public"], DestinationCidrBlock="192.168.0.0/16", GatewayId=igw_id)

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="update", extra_vars=extra)
    assert run.rc == 0, run
    tables = _tables(ec2, vpc_id)
    assert {name: t["RouteTableId"] for name, t in tables.items()} == ids
    assert _subnets(tables["it-public"]) == [subnet_ids[0]]
    assert _routes(tables["it-public"]) == {"10.40.0.0/16": "local", "0.0.0.0/0": igw_id}
    assert _routes(tables["it-private"]) == {"10.40.0.0/16": "local", "0.0.0.0/0": nat_ids[1]}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="delete", extra_vars=extra)
    assert run.rc == 0, run
    tables = _tables(ec2, vpc_id)
    assert set(tables) == {"it-main", "it-other"}
    assert _subnets(tables["it-other"]) == []
    # The main table was never touched: same routes, still main, no explicit subnet association.
    assert tables["it-main"]["RouteTableId"] == main["RouteTableId"]
    assert _routes(tables["it-main"]) == _routes(main)
    assert any(a.get("Main") for a in tables["it-main"]["Associations"])
    assert _subnets(tables["it-main"]) == []
