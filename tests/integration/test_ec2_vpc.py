"""Integration test of apranova.aws_stack.ec2_vpc against the emulator (moto behind the AWS model)."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ec2_vpc/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAME, CIDR = "it-vpc", "10.30.0.0/16"


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _vpcs(ec2):
    """The VPCs named ``it-vpc`` (tags filtered here: the test does not rely on the emulator's tag filter)."""
    return [v for v in ec2.describe_vpcs()["Vpcs"] if _tags(v).get("Name") == NAME]


def _dns(ec2, vpc_id):
    return {
        attribute: ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[attribute[0].upper() + attribute[1:]]["Value"]
        for attribute in ("enableDnsSupport", "enableDnsHostnames")
    }


def test_ec2_vpc(aws):
    ec2 = aws.client("ec2")

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="create")
    assert run.rc == 0, run
    vpcs = _vpcs(ec2)
    assert len(vpcs) == 1, "check mode or a rerun created a VPC"
    vpc = vpcs[0]
    assert vpc["CidrBlock"] == CIDR and vpc["State"] == "available" and vpc["InstanceTenancy"] == "default"
    assert _tags(vpc) == {"Name": NAME, "Project": "it", "Owner": "network"}
    assert _dns(ec2, vpc["VpcId"]) == {"enableDnsSupport": True, "enableDnsHostnames": True}

    # A run that changes nothing: one DescribeVpcs, then the two DescribeVpcAttribute reads.
    before = aws.aws_calls()
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="noop")
    assert run.rc == 0, run
    assert aws.aws_calls() - before == 3, run

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="update")
    assert run.rc == 0, run
    vpcs = _vpcs(ec2)
    assert [v["VpcId"] for v in vpcs] == [vpc["VpcId"]], "the VPC was replaced instead of updated"
    assert _tags(vpcs[0]) == {"Name": NAME, "Project": "it"}
    assert _dns(ec2, vpc["VpcId"]) == {"enableDnsSupport": True, "enableDnsHostnames": False}

    # A second VPC of the same name and CIDR block (another tool, a console click): which one is
    # meant cannot be told, so the module fails naming both and changes nothing.
    twin = ec2.create_vpc(CidrBlock=CIDR, TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": NAME}]}])["Vpc"]["VpcId"]
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="duplicate", extra_vars={"it_vpc_ids": [vpc["VpcId"], twin]})
    assert run.rc == 0, run
    assert {v["VpcId"]: _tags(v) for v in _vpcs(ec2)} == {vpc["VpcId"]: {"Name": NAME, "Project": "it"}, twin: {"Name": NAME}}, \
        "the refused run changed the tags (tags: {} would purge all but Name)"
    ec2.delete_vpc(VpcId=twin)

    # A VPC of the same name with another CIDR block is another VPC: it survives the deletion.
    other = ec2.create_vpc(CidrBlock="10.31.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": NAME}]}])["Vpc"]["VpcId"]
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="delete")
    assert run.rc == 0, run
    assert [v["VpcId"] for v in _vpcs(ec2)] == [other]

    # By id (what the network teardown does with the VPC its look-up found): that VPC only, not its
    # twin of the same name and CIDR block.
    twin = ec2.create_vpc(CidrBlock="10.31.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": NAME}]}])["Vpc"]["VpcId"]
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="delete_by_id", extra_vars={"it_vpc_id": other})
    assert run.rc == 0, run
    assert [v["VpcId"] for v in _vpcs(ec2)] == [twin]
    ec2.delete_vpc(VpcId=twin)
