"""Integration test of apranova.aws_stack.elasticache_replication_group against moto.

The VPC, two subnets, the cache subnet group and the security group are made here with boto3;
the playbook asserts the four-step results per phase, and this file asserts the emulator's state
between the phases.

The emulator is moto behind the harness's model of AWS (scripts/aws_model.py, time scale 0): the
member clusters are describable and a deleted group is gone, as on AWS, so its id can be used again.
"""

from __future__ import annotations

import pytest

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/elasticache_replication_group/main.yml"
INVENTORY = "tests/integration/inventory.yml"
RG_ID = "h4-redis"


@pytest.fixture
def network(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.42.1.0/24", "us-east-1a"), ("10.42.2.0/24", "us-east-1b"))
    ]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="h4-redis", Description="redis")["GroupId"]
    aws.client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName="h4-cache", CacheSubnetGroupDescription="cache subnets", SubnetIds=subnets
    )
    return {"rg_id": RG_ID, "rg_subnet_group": "h4-cache", "rg_security_group": sg}


def _groups(aws):
    return aws.client("elasticache").describe_replication_groups()["ReplicationGroups"]


def _phase(aws, network, tags):
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=network, tags=tags)
    assert run.rc == 0, run
    assert run.failed == 0, run
    return run


def test_elasticache_replication_group(aws, network):
    ec = aws.client("elasticache")

    # Check mode alone creates nothing.
    _phase(aws, network, "precheck")
    assert _groups(aws) == []

    # Create: four steps, then exactly one group with what was asked for.
    run = _phase(aws, network, "create")
    assert run.changed == 2, run  # check mode + the real create; the reruns report none
    groups = _groups(aws)
    assert [g["ReplicationGroupId"] for g in groups] == [RG_ID]
    group = groups[0]
    assert group["Status"] == "available"
    assert group["Description"] == "Test cache"
    assert group["CacheNodeType"] == "cache.t3.micro"
    assert group["Engine"] == "redis"
    assert group["AtRestEncryptionEnabled"] is True
    assert group["TransitEncryptionEnabled"] is True
    assert group["AuthTokenEnabled"] is True
    assert group["AutomaticFailover"] == "disabled"
    assert group["MultiAZ"] == "disabled"
    assert group["SnapshotRetentionLimit"] == 1
    assert group["NodeGroups"][0]["PrimaryEndpoint"]["Port"] == 6379
    tags = ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Name": RG_ID, "env": "test"}
    # The member cluster answers as on AWS (the harness's model serves it): nothing left uncompared.
    assert "cannot be described" not in run.out
    member = ec.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"][0]
    assert member["ReplicationGroupId"] == RG_ID and member["CacheNodeType"] == "cache.t3.micro"

    # Rejected changes: nothing reaches the emulator.
    _phase(aws, network, "errors")
    group = _groups(aws)[0]
    assert group["NodeGroups"][0]["PrimaryEndpoint"]["Port"] == 6379
    assert group["AtRestEncryptionEnabled"] is True
    assert group["AutomaticFailover"] == "disabled"

    # Scale the node type in place.
    run = _phase(aws, network, "update")
    assert run.changed == 2, run  # check mode + the real modify
    groups = _groups(aws)
    assert len(groups) == 1
    assert groups[0]["CacheNodeType"] == "cache.t3.small"
    assert groups[0]["Status"] == "available"
    assert groups[0]["ARN"] == group["ARN"]

    # Delete: four steps; the group is gone.
    run = _phase(aws, network, "delete")
    assert run.changed == 2, run  # check mode + the real delete
    assert _groups(aws) == []

    # The id can be used again once the deletion finished.
    run = _phase(aws, network, "recreate")
    assert run.changed == 1, run
    assert [(g["ReplicationGroupId"], g["Status"]) for g in _groups(aws)] == [(RG_ID, "available")]
