"""Integration test of apranova.aws_stack.ec2_subnets against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ec2_subnets/main.yml"
INVENTORY = "tests/integration/inventory.yml"


def _vpc_id(ec2):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["it-subnets"]}])["Vpcs"]
    assert len(vpcs) == 1
    return vpcs[0]["VpcId"]


def _subnets(ec2, vpc_id):
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    return {s["CidrBlock"]: s for s in subnets}


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def test_ec2_subnets(aws):
    ec2 = aws.client("ec2")

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="create")
    assert run.rc == 0, run
    vpc_id = _vpc_id(ec2)
    subnets = _subnets(ec2, vpc_id)
    assert set(subnets) == {"10.20.0.0/24", "10.20.1.0/24", "10.20.10.0/24"}
    assert subnets["10.20.0.0/24"]["AvailabilityZone"] == "us-east-1a"
    assert subnets["10.20.1.0/24"]["AvailabilityZone"] == "us-east-1b"
    assert subnets["10.20.0.0/24"]["MapPublicIpOnLaunch"] is True
    assert subnets["10.20.1.0/24"]["MapPublicIpOnLaunch"] is True
    assert subnets["10.20.10.0/24"]["MapPublicIpOnLaunch"] is False
    assert _tags(subnets["10.20.10.0/24"]) == {"Name": "it-private-a", "Project": "it", "Owner": "network", "Tier": "private"}
    ids = {cidr: s["SubnetId"] for cidr, s in subnets.items()}

    # A subnet the module was not told about: it must survive every phase.
    outsider = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.20.99.0/24", AvailabilityZone="us-east-1a")["Subnet"]

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="update")
    assert run.rc == 0, run
    subnets = _subnets(ec2, vpc_id)
    assert {cidr: subnets[cidr]["SubnetId"] for cidr in ids} == ids, "subnets were replaced instead of updated"
    assert subnets["10.20.1.0/24"]["MapPublicIpOnLaunch"] is False
    assert subnets["10.20.0.0/24"]["MapPublicIpOnLaunch"] is True
    assert subnets["10.20.0.0/24"]["AvailabilityZone"] == "us-east-1a", "the refused AZ move changed something"
    assert _tags(subnets["10.20.0.0/24"]) == {"Name": "it-public-a", "Project": "it"}
    assert _tags(subnets["10.20.10.0/24"]) == {"Name": "it-private-a", "Project": "it", "Tier": "private"}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="delete")
    assert run.rc == 0, run
    subnets = _subnets(ec2, vpc_id)
    assert set(subnets) == {"10.20.99.0/24"}
    assert subnets["10.20.99.0/24"]["SubnetId"] == outsider["SubnetId"]
