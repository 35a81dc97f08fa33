"""Integration test of apranova.aws_stack.ec2_internet_gateway against the emulator (moto behind the AWS model)."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ec2_internet_gateway/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAME = "it-igw"


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _gateways(ec2):
    """The gateways named ``it-igw`` (tags filtered here: the test does not rely on the emulator's tag filter)."""
    return [g for g in ec2.describe_internet_gateways()["InternetGateways"] if _tags(g).get("Name") == NAME]


def _attached_to(gateway):
    return [a["VpcId"] for a in gateway.get("Attachments", []) if a.get("State") != "detached"]


def test_ec2_internet_gateway(aws):
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    extra = {"it_vpc_id": vpc_id}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="create", extra_vars=extra)
    assert run.rc == 0, run
    gateways = _gateways(ec2)
    assert len(gateways) == 1, "check mode or a rerun created a gateway"
    gateway = gateways[0]
    assert _attached_to(gateway) == [vpc_id]
    assert _tags(gateway) == {"Name": NAME, "Project": "it", "Owner": "network"}

    # A run that changes nothing: one DescribeInternetGateways (ec2_vpc_igw makes 3: its describe,
    # then a second describe and a DescribeTags in ensure_ec2_tags).
    before = aws.aws_calls()
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="noop", extra_vars=extra)
    assert run.rc == 0, run
    assert aws.aws_calls() - before == 1, run

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="update", extra_vars=extra)
    assert run.rc == 0, run
    gateways = _gateways(ec2)
    assert [g["InternetGatewayId"] for g in gateways] == [gateway["InternetGatewayId"]], "the gateway was replaced"
    assert _tags(gateways[0]) == {"Name": NAME, "Project": "it"}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="delete", extra_vars=extra)
    assert run.rc == 0, run
    assert _gateways(ec2) == []
    assert ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"] == []

    # A run stopped between CreateInternetGateway and AttachInternetGateway left a detached gateway
    # with the Name tag: the next run attaches that one instead of creating a second.
    orphan = ec2.create_internet_gateway(TagSpecifications=[
        {"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": NAME}]}])["InternetGateway"]["InternetGatewayId"]
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="adopt", extra_vars=dict(extra, it_orphan_id=orphan))
    assert run.rc == 0, run
    gateways = _gateways(ec2)
    assert [g["InternetGatewayId"] for g in gateways] == [orphan], "the interrupted create was duplicated"
    assert _attached_to(gateways[0]) == [vpc_id]
    assert _tags(gateways[0]) == {"Name": NAME, "Project": "it", "Owner": "network"}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="delete", extra_vars=extra)
    assert run.rc == 0, run
    assert _gateways(ec2) == []
    ec2.delete_vpc(VpcId=vpc_id)
