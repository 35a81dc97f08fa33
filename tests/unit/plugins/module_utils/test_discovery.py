"""Offline tests of plugins/module_utils/discovery.py (the lookup behind stack_info): every list
AWS may answer in pages is read whole, and a throttled page is tried again (base.paginate).

Stubbed with botocore's Stubber: the answers are AWS's, pages included (moto answers in one page).
"""

from __future__ import annotations


import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery
from ...aws_answers import retrying

VPC = "vpc-1"


@pytest.fixture
def aws(fake_credentials):
    stubs = {}

    def client(service):
        if service not in stubs:
            raw = boto3.client(service, region_name="us-east-1")
            stub = Stubber(raw)
            stub.activate()
            stubs[service] = (stub, retrying(raw))
        return stubs[service]

    yield client
    for stub, _client in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def subnet(n, tier):
    return {"SubnetId": "subnet-%d" % n, "CidrBlock": "10.0.%d.0/24" % n, "AvailabilityZone": "us-east-1a",
            "VpcId": VPC, "Tags": [{"Key": "Tier", "Value": tier}, {"Key": "Name", "Value": "s%d" % n}]}


def throttled(stub, operation, params):
    stub.add_client_error(operation, "Throttling", "Rate exceeded", http_status_code=400, expected_params=params)


def test_network_reads_every_page_of_subnets_and_nat_gateways(aws):
    stub, ec2 = aws("ec2")
    vpc_filter = [{"Name": "vpc-id", "Values": [VPC]}]
    stub.add_response("describe_subnets", {"Subnets": [subnet(1, "public")], "NextToken": "p2"},
                      {"Filters": vpc_filter})
    throttled(stub, "describe_subnets", {"Filters": vpc_filter, "NextToken": "p2"})
    stub.add_response("describe_subnets", {"Subnets": [subnet(1, "public")], "NextToken": "p2"},
                      {"Filters": vpc_filter})
    stub.add_response("describe_subnets", {"Subnets": [subnet(11, "private")]}, {"Filters": vpc_filter, "NextToken": "p2"})
    igw_filter = [{"Name": "attachment.vpc-id", "Values": [VPC]}]
    stub.add_response("describe_internet_gateways", {"InternetGateways": [], "NextToken": "i2"}, {"Filters": igw_filter})
    stub.add_response("describe_internet_gateways", {"InternetGateways": [{"InternetGatewayId": "igw-1"}]},
                      {"Filters": igw_filter, "NextToken": "i2"})
    stub.add_response("describe_nat_gateways", {"NatGateways": [{"NatGatewayId": "nat-1", "VpcId": VPC, "SubnetId": "subnet-1",
                                                                 "State": "available"}], "NextToken": "n2"},
                      {"Filter": vpc_filter})
    stub.add_response("describe_nat_gateways", {"NatGateways": [{"NatGatewayId": "nat-2", "VpcId": VPC, "SubnetId": "subnet-1",
                                                                 "State": "pending"}]},
                      {"Filter": vpc_filter, "NextToken": "n2"})
    network = discovery._network(ec2, VPC)
    assert [s["id"] for s in network["subnets"]["public"]] == ["subnet-1"]
    assert [s["id"] for s in network["subnets"]["private"]] == ["subnet-11"]
    assert network["internet_gateway"]["id"] == "igw-1"
    assert [n["id"] for n in network["nat_gateways"]] == ["nat-1", "nat-2"]


def test_security_groups_and_listeners_and_log_groups_read_every_page(aws):
    stub, ec2 = aws("ec2")
    filters = [{"Name": "vpc-id", "Values": [VPC]}, {"Name": "group-name", "Values": ["a", "b"]}]
    stub.add_response("describe_security_groups", {"SecurityGroups": [{"GroupName": "a", "GroupId": "sg-a"}],
                                                   "NextToken": "g2"}, {"Filters": filters})
    stub.add_response("describe_security_groups", {"SecurityGroups": [{"GroupName": "b", "GroupId": "sg-b"}]},
                      {"Filters": filters, "NextToken": "g2"})
    assert discovery._security_groups(ec2, VPC, ["a", "b"]) == {"a": "sg-a", "b": "sg-b"}

    stub, logs = aws("logs")
    stub.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "/ecs/web-old"}], "nextToken": "l2"},
                      {"logGroupNamePrefix": "/ecs/web"})
    throttled(stub, "describe_log_groups", {"logGroupNamePrefix": "/ecs/web", "nextToken": "l2"})
    stub.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "/ecs/web-old"}], "nextToken": "l2"},
                      {"logGroupNamePrefix": "/ecs/web"})
    stub.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "/ecs/web", "retentionInDays": 30}]},
                      {"logGroupNamePrefix": "/ecs/web", "nextToken": "l2"})
    assert discovery._log_groups(logs, ["/ecs/web"])["/ecs/web"]["retention_in_days"] == 30


def test_efs_reads_every_page_of_mount_targets_and_access_points(aws):
    stub, efs = aws("efs")
    fs = {"FileSystemId": "fs-1", "OwnerId": "1", "CreationToken": "t", "CreationTime": "2026-01-01T00:00:00Z",
          "LifeCycleState": "available", "NumberOfMountTargets": 2, "SizeInBytes": {"Value": 1},
          "PerformanceMode": "generalPurpose", "Tags": [{"Key": "Name", "Value": "ws"}]}
    stub.add_response("describe_file_systems", {"FileSystems": [fs]}, {})
    stub.add_response("describe_mount_targets", {"MountTargets": [{"MountTargetId": "fsmt-0123456a", "FileSystemId": "fs-1",
                                                                   "SubnetId": "subnet-0000011a", "LifeCycleState": "available"}],
                                                 "NextMarker": "m2"}, {"FileSystemId": "fs-1"})
    stub.add_response("describe_mount_targets", {"MountTargets": [{"MountTargetId": "fsmt-0123456b", "FileSystemId": "fs-1",
                                                                   "SubnetId": "subnet-0000012b", "LifeCycleState": "available"}]},
                      {"FileSystemId": "fs-1", "Marker": "m2"})
    stub.add_response("describe_access_points", {"AccessPoints": [], "NextToken": "a2"}, {"FileSystemId": "fs-1"})
    stub.add_response("describe_access_points", {"AccessPoints": [{"AccessPointId": "fsap-1", "AccessPointArn": "arn:ap",
                                                                   "Name": "workspaces"}]},
                      {"FileSystemId": "fs-1", "NextToken": "a2"})
    found, ap, mts = discovery._efs(efs, "ws", "workspaces")
    assert found["id"] == "fs-1" and ap["id"] == "fsap-1"
    assert [m["id"] for m in mts] == ["fsmt-0123456a", "fsmt-0123456b"]
