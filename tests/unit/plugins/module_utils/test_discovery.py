"""Offline tests of plugins/module_utils/discovery.py (the lookup behind stack_info): every list
AWS may answer in pages is read whole, and a throttled page is tried again (base.paginate).

Stubbed with botocore's Stubber: the answers are AWS's, pages included (moto answers in one page).
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery
from ansible_collections.apranova.aws_stack.plugins.module_utils import efs
from ansible_collections.apranova.aws_stack.plugins.module_utils import elbv2_lb
from ansible_collections.apranova.aws_stack.plugins.module_utils import report
from ansible_collections.apranova.aws_stack.plugins.module_utils import secretsmanager
from ...aws_answers import AWSAnswers
from ...aws_answers import retrying

REPO = Path(__file__).resolve().parents[4]

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


class _ByOperation:
    """One client for the code under test, a stubbed client of its own per operation behind it: a
    Stubber checks the order of the calls on its client, and these operations run side by side.
    ``add_response``/``add_client_error`` stub the operation on its own client."""

    def __init__(self, operations):
        self.stubs = {}
        for operation in operations:
            raw = boto3.client("ec2", region_name="us-east-1")
            stub = Stubber(raw)
            stub.activate()
            self.stubs[operation] = (stub, retrying(raw))

    def add_response(self, operation, *args):
        self.stubs[operation][0].add_response(operation, *args)

    def add_client_error(self, operation, *args, **kwargs):
        self.stubs[operation][0].add_client_error(operation, *args, **kwargs)

    def get_paginator(self, operation):
        return self.stubs[operation][1].get_paginator(operation)

    def __getattr__(self, name):
        if name not in self.__dict__.get("stubs", {}):
            raise AttributeError(name)
        return getattr(self.stubs[name][1], name)

    def done(self):
        for stub, _client in self.stubs.values():
            stub.assert_no_pending_responses()
            stub.deactivate()


def test_network_reads_every_page_of_subnets_and_nat_gateways(fake_credentials):
    ec2 = stub = _ByOperation(["describe_subnets", "describe_internet_gateways", "describe_nat_gateways"])
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
    ec2.done()
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


# ---------------------------------------------------------------- find_stack, against moto's in-process mock

ALL_NAMES = {
    "vpc_name": "prod-vpc", "security_group_names": ["prod-alb-sg", "prod-nope-sg"], "db_instance_identifier": "db",
    "db_secret_name": "db-secret", "cache_id": "redis", "efs_name": "prod-efs", "efs_access_point_name": "ap",
    "load_balancer_name": "prod-alb", "target_group_names": ["prod-tg"], "cluster_name": "prod-cluster",
    "service_names": ["web"], "repository_names": ["repo-a", "repo-b"], "log_group_names": ["/ecs/web", "/ecs/api"],
    "topic_name": "alarms",
}


def test_find_stack_reports_what_it_found_and_each_name_it_did_not(moto_clients):
    ec2 = moto_clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "prod-vpc"}]}])["Vpc"]["VpcId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="prod-alb-sg", Description="alb")["GroupId"]
    moto_clients("ecs").create_cluster(clusterName="prod-cluster")
    moto_clients("ecr").create_repository(repositoryName="repo-b")
    moto_clients("logs").create_log_group(logGroupName="/ecs/web")
    moto_clients("sns").create_topic(Name="alarms")

    stack, missing, unavailable = discovery.find_stack(moto_clients, dict(ALL_NAMES, caller=True))
    assert stack["vpc"]["id"] == vpc and stack["security_groups"] == {"prod-alb-sg": sg}
    assert stack["account_id"] == "123456789012" and stack["partition"] == "aws"
    assert stack["db_instance"] is None and stack["db_secret"] is None and stack["cache"] is None
    assert (stack["file_system"], stack["access_point"], stack["mount_targets"]) == (None, None, [])
    assert (stack["load_balancer"], stack["listeners"], stack["target_groups"]) == (None, [], {})
    assert stack["cluster"]["name"] == "prod-cluster" and stack["services"] == {}
    assert list(stack["repositories"]) == ["repo-b"] and list(stack["log_groups"]) == ["/ecs/web"]
    assert stack["topic"]["name"] == "alarms"
    assert missing == [
        "security group prod-nope-sg", "db instance db", "secret db-secret", "replication group redis",
        "file system prod-efs", "load balancer prod-alb", "target group prod-tg", "service web", "repository repo-a",
        "log group /ecs/api",
    ]
    assert unavailable == []


def test_find_stack_looks_up_only_what_it_is_asked_for(moto_clients):
    asked = []
    stack, missing, unavailable = discovery.find_stack(lambda service: asked.append(service) or moto_clients(service),
                                                       {"vpc_name": "prod-vpc", "cluster_name": None, "topic_name": ""})
    assert (stack, missing, unavailable, asked) == ({"vpc": None}, ["vpc prod-vpc"], [], ["ec2"])


def test_a_service_the_endpoint_does_not_serve_makes_its_names_missing(moto_clients):
    AWSAnswers(moto_clients("ecr"), "DescribeRepositories", "InternalFailure", times=9, status=501)
    AWSAnswers(moto_clients("elbv2"), "DescribeLoadBalancers", "InternalFailure", times=9, status=501)
    AWSAnswers(moto_clients("elbv2"), "DescribeTargetGroups", "InternalFailure", times=9, status=501)
    names = {k: ALL_NAMES[k] for k in ("repository_names", "load_balancer_name", "target_group_names", "topic_name")}
    stack, missing, unavailable = discovery.find_stack(moto_clients, names)
    assert missing == [
        "load balancer prod-alb (elbv2 is not served by this endpoint)",
        "target group prod-tg (elbv2 is not served by this endpoint)",
        "repository repo-a (ecr is not served by this endpoint)", "repository repo-b (ecr is not served by this endpoint)",
        "topic alarms",
    ]
    assert unavailable == ["ecr", "elbv2"] and stack == {"topic": None}
    AWSAnswers(moto_clients("rds"), "DescribeDBInstances", "AccessDenied", times=1, status=403)
    with pytest.raises(discovery.ClientErrors):
        discovery.find_stack(moto_clients, {"db_instance_identifier": "db"})


# --- what a tier needs from the others (stack_info's required_by) ------------------------------------

@pytest.mark.parametrize("tier,missing,expected", [
    pytest.param("alb", [], ([], []), id="nothing-missing"),
    pytest.param("ecs_services", ["vpc production-vpc", "db instance production-apranova-db (rds is not served by this endpoint)",
                                  "repository apranova/backend", "security group production-ecs-sg",
                                  "secret production/apranova-db/master", "cluster production-cluster", "service backend"],
                 (["vpc production-vpc", "db instance production-apranova-db (rds is not served by this endpoint)",
                   "repository apranova/backend", "security group production-ecs-sg", "secret production/apranova-db/master"],
                  ["network", "registry", "data"]), id="own-kinds-are-not-needed"),
    pytest.param("ecs_services", ["target group production-backend-tg", "load balancer production-alb (elbv2 is not served by this endpoint)",
                                  "file system production-efs", "access point production-workspaces", "replication group production-redis"],
                 (["target group production-backend-tg", "load balancer production-alb (elbv2 is not served by this endpoint)",
                   "file system production-efs", "access point production-workspaces", "replication group production-redis"],
                  ["data", "alb"]), id="tiers-in-build-order"),
    pytest.param("monitoring", ["topic production-alarms", "log group /ecs/production/backend"],
                 (["log group /ecs/production/backend"], ["ecs_services"]), id="monitoring-builds-its-topic"),
    # a kind needs its trailing space: "vpcx" is not a vpc (an unknown kind is needed, from no known tier)
    pytest.param("data", ["vpcx production-vpc"], (["vpcx production-vpc"], []), id="unknown-kind"),
])
def test_requirements_name_what_other_tiers_build_and_those_tiers_in_build_order(tier, missing, expected):
    assert discovery.requirements(tier, {}, missing, []) == expected


def test_requirements_want_each_subnet_tier_in_two_zones_once_the_vpc_exists():
    def subnets(*zones):
        return [{"id": "subnet-%d" % i, "availability_zone": z} for i, z in enumerate(zones)]

    stack = {"vpc": {"id": "vpc-1"}, "subnets": {"public": subnets("us-east-1a", "us-east-1a"), "private": subnets("us-east-1a", "us-east-1b")}}
    assert discovery.requirements("alb", stack, [], ["public"]) == (
        ["subnets public in 2 availability zones (found 1)"], ["network"])
    assert discovery.requirements("data", stack, [], ["private"]) == ([], [])
    assert discovery.requirements("data", {"vpc": {"id": "vpc-1"}, "subnets": {"public": [], "private": []}}, [], ["private"]) == (
        ["subnets private in 2 availability zones (found 0)"], ["network"])
    # no VPC: the VPC is what is needed, not its subnets
    assert discovery.requirements("alb", {"vpc": None}, ["vpc production-vpc"], ["public"]) == (["vpc production-vpc"], ["network"])


# ---------------------------------------------------------------- known: what an earlier lookup of the run found

KNOWN = {
    "vpc": {"id": "vpc-k", "cidr_block": "10.0.0.0/16", "name": "prod-vpc"},
    "subnets": {"public": [], "private": [{"id": "subnet-k", "cidr_block": "10.0.1.0/24", "availability_zone": "us-east-1a"}]},
    "internet_gateway": {"id": "igw-k"}, "nat_gateways": [{"id": "nat-k", "state": "available"}],
    "security_groups": {"prod-alb-sg": "sg-alb", "prod-nope-sg": "sg-nope"},
    "db_instance": {"identifier": "db", "status": "available", "address": "db.example", "port": 5432},
    "db_secret": {"arn": "arn:secret", "name": "db-secret", "scheduled_for_deletion": False},
    "cache": {"id": "redis", "status": "available", "address": "redis.example", "port": 6379},
    "file_system": {"id": "fs-k", "name": "prod-efs", "state": "available"},
    "access_point": {"id": "fsap-k", "name": "ap"}, "mount_targets": [],
    "load_balancer": {"arn": "arn:lb", "name": "prod-alb", "state": "active"}, "listeners": [],
    "target_groups": {"prod-tg": {"arn": "arn:tg"}},
    "cluster": {"name": "prod-cluster", "arn": "arn:cluster"}, "services": {"web": {"arn": "arn:web"}},
    "repositories": {"repo-a": {"uri": "a"}, "repo-b": {"uri": "b"}},
    "log_groups": {"/ecs/web": {}, "/ecs/api": {}}, "topic": {"arn": "arn:alarms", "name": "alarms"},
    "iam_roles": {"prod-exec": {"name": "prod-exec"}},
    "account_id": "123456789012", "partition": "aws", "caller_arn": "arn:aws:iam::123456789012:user/ci",
    "_run": discovery.run_marker(),
}


def recording(moto_clients, calls):
    """``moto_clients`` that records every API call as ``service:Operation``."""
    def client(service):
        made = moto_clients(service)
        if not getattr(made, "_recorded", False):
            made.meta.events.register("before-call.*.*", lambda model, **_: calls.append("%s:%s" % (service, model.name)))
            made._recorded = True
        return made
    return client


def test_what_the_run_already_found_costs_no_call(moto_clients):
    calls = []
    stack, missing, unavailable = discovery.find_stack(recording(moto_clients, calls), dict(ALL_NAMES, caller=True, known=KNOWN))
    assert calls == []
    assert (missing, unavailable) == ([], [])
    assert stack["vpc"]["id"] == "vpc-k" and stack["security_groups"] == {"prod-alb-sg": "sg-alb", "prod-nope-sg": "sg-nope"}
    assert stack["db_instance"]["address"] == "db.example" and stack["access_point"]["id"] == "fsap-k"
    assert stack["services"] == {"web": {"arn": "arn:web"}} and stack["account_id"] == "123456789012"


@pytest.mark.parametrize("change, read", [
    ({"db_instance": {"identifier": "db", "status": "creating", "address": None}}, ["rds:DescribeDBInstances"]),
    ({"cache": {"id": "redis", "status": "available", "address": None}}, ["elasticache:DescribeReplicationGroups"]),
    ({"file_system": {"id": "fs-k", "name": "prod-efs", "state": "creating"}}, ["efs:DescribeFileSystems"]),
    ({"access_point": None}, ["efs:DescribeFileSystems"]),
    ({"vpc": {"id": "vpc-x", "cidr_block": "10.9.0.0/16", "name": "other-vpc"}}, ["ec2:DescribeVpcs"]),
    ({"vpc": None}, ["ec2:DescribeVpcs"]),
    ({"load_balancer": {"arn": "arn:lb", "name": "other-alb", "state": "active"}}, ["elbv2:DescribeLoadBalancers"]),
    ({"target_groups": {}}, ["elbv2:DescribeTargetGroups"]),
    # services the run does not know are read, not their cluster, which it knows (moto holds neither here)
    ({"services": {}}, ["ecs:DescribeServices"]),
    # an unknown cluster is read side by side with its services
    ({"cluster": None}, ["ecs:DescribeClusters", "ecs:DescribeServices"]),
    # one call for both names; AWS refuses it as one is missing, then one call per name
    ({"repositories": {"repo-a": {}}}, ["ecr:DescribeRepositories"] * 3),
    ({"topic": {"arn": "arn:other", "name": "other"}}, ["sns:ListTopics"]),
    ({"account_id": None}, ["sts:GetCallerIdentity"]),
])
def test_what_is_missing_named_otherwise_or_still_changing_is_read_again(moto_clients, change, read):
    calls = []
    stack, _missing, _unavailable = discovery.find_stack(recording(moto_clients, calls),
                                                         dict(ALL_NAMES, caller=True, known=dict(KNOWN, **change)))
    assert sorted(calls) == sorted(read)  # a service's reads may go side by side
    # what was read is moto's answer (nothing there), not the known value
    key = next(iter(change))
    assert stack.get(key) in (None, {}) or key == "account_id"


@pytest.mark.parametrize("change", [
    {"nat_gateways": [{"id": "nat-k", "subnet_id": "subnet-pub", "state": "pending"}]},
    {"load_balancer": {"arn": "arn:lb", "name": "prod-alb", "state": "provisioning"}},
])
def test_a_nat_gateway_pending_or_a_load_balancer_provisioning_is_taken_as_known(moto_clients, change):
    """No tier needs them available; the end-of-run wait publishes the state it leaves them in."""
    calls = []
    stack, _missing, _unavailable = discovery.find_stack(recording(moto_clients, calls),
                                                         dict(ALL_NAMES, caller=True, known=dict(KNOWN, **change)))
    assert calls == []
    key = next(iter(change))
    assert stack[key] == change[key]


def test_a_known_stack_of_another_run_is_read_again(moto_clients):
    """A fact cache keeps facts between runs: what another run found is not taken."""
    calls = []
    discovery.find_stack(recording(moto_clients, calls), {"vpc_name": "prod-vpc", "topic_name": "alarms",
                                                          "known": dict(KNOWN, _run="1:2")})
    assert sorted(calls) == ["ec2:DescribeVpcs", "sns:ListTopics"]
    assert discovery.combine(dict(KNOWN, _run="1:2"), {"vpc": None}) == {"vpc": None, "_run": discovery.run_marker()}


def test_known_vpc_with_a_group_it_does_not_hold_reads_only_the_groups(moto_clients):
    ec2 = moto_clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="prod-ecs-sg", Description="ecs")["GroupId"]
    known = dict(KNOWN, vpc=dict(KNOWN["vpc"], id=vpc))
    calls = []
    stack, missing, _unavailable = discovery.find_stack(
        recording(moto_clients, calls), {"vpc_name": "prod-vpc", "security_group_names": ["prod-alb-sg", "prod-ecs-sg"], "known": known})
    assert calls == ["ec2:DescribeSecurityGroups"]
    assert stack["security_groups"] == {"prod-ecs-sg": sg} and missing == ["security group prod-alb-sg"]
    assert stack["subnets"] == KNOWN["subnets"]


@pytest.mark.parametrize("module, gone", [
    ("apranova.aws_stack.rds_db_instance", {"db_instance"}),
    ("apranova.aws_stack.ecs_cluster", {"cluster", "services"}),
    ("apranova.aws_stack.ec2_vpc", {"vpc", "subnets", "internet_gateway", "nat_gateways", "security_groups"}),
    ("apranova.aws_stack.elb_listener_rules", set()),
    # a stock module the collection re-exports changes nothing a lookup holds
    ("amazon.aws.sts_assume_role", set()),
    ("apranova.aws_stack.rds_subnet_group", set()),
    # a module of this name from elsewhere: anything may have changed
    ("other.collection.rds_db_instance", set(KNOWN) - {"_run", "account_id", "partition", "caller_arn"}),
])
def test_a_change_forgets_what_the_module_may_have_made_stale(module, gone):
    """Every change also drops the report's details, and says in ``_stale`` what it dropped."""
    details = set(discovery.DETAIL_KEYS)
    forgotten = discovery.forget(dict(KNOWN, _stale=["cache"]), module)
    assert set(forgotten) == (set(KNOWN) - gone - details) | {"_stale"}
    stale = {"*"} if module.startswith("other.") else gone
    assert set(forgotten["_stale"]) == stale | details | {"cache"}


def test_every_module_of_the_collection_says_what_its_changes_make_stale():
    """A new module must be placed in ``CHANGES_KNOWN``, else its every change forgets the whole stack."""
    modules = {p.stem for p in (Path(__file__).resolve().parents[4] / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}
    assert set(discovery.CHANGES_KNOWN) == modules
    keys = {k for stale in discovery.CHANGES_KNOWN.values() for k in stale}
    assert keys <= set(KNOWN), keys - set(KNOWN)


def test_a_module_publishes_what_its_result_tells_in_the_shape_a_lookup_reads(moto_clients):
    """What the roles, repositories and topic modules return is what the report and the lookups would read."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    task = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["elasticfilesystem:ClientMount"], "Resource": "*"}]}
    managed = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    iam = moto_clients("iam")
    arn = iam.create_role(RoleName="prod-task", AssumeRolePolicyDocument=json.dumps(trust), Description="tasks")["Role"]["Arn"]
    iam.put_role_policy(RoleName="prod-task", PolicyName="task", PolicyDocument=json.dumps(task))
    iam.create_policy(PolicyName="AmazonECSTaskExecutionRolePolicy", Path="/service-role/", PolicyDocument=json.dumps(task))
    managed = iam.list_policies(Scope="Local")["Policies"][0]["Arn"]
    iam.attach_role_policy(RoleName="prod-task", PolicyArn=managed)
    result = {"changed": False, "roles": {"prod-task": {
        "name": "prod-task", "arn": arn, "description": "tasks", "assume_role_policy_document": trust,
        "inline_policies": {"task": task}, "managed_policies": [managed]}}}
    known = discovery.after_module(dict(KNOWN), "apranova.aws_stack.iam_roles", result)
    assert known["iam_roles"] == {"prod-exec": {"name": "prod-exec"}, "prod-task": report.iam_roles(iam, ["prod-task"])[0]}
    assert {k: v for k, v in known.items() if k != "iam_roles"} == {k: v for k, v in KNOWN.items() if k != "iam_roles"}

    ecr = moto_clients("ecr")
    repo = ecr.create_repository(repositoryName="prod/web", imageScanningConfiguration={"scanOnPush": True})["repository"]
    result = {"changed": True, "repositories": [{"name": "prod/web", "arn": repo["repositoryArn"], "uri": repo["repositoryUri"],
                                                 "scan_on_push": True, "image_tag_mutability": repo["imageTagMutability"],
                                                 "encryption_configuration": {"encryption_type": "AES256"}},
                                                {"name": "prod/new", "arn": None}]}  # check mode's would-be repository: not published
    known = discovery.after_module(dict(KNOWN), "apranova.aws_stack.ecr_repositories", result)
    # merged by name with what was known; the changed module's own part was dropped first
    assert known["repositories"] == discovery._repositories(ecr, ["prod/web"])
    # the repository's ARN tells the caller's account: a run that knew none knows it now, as STS says
    sts = moto_clients("sts").get_caller_identity()
    fresh = discovery.after_module({}, "apranova.aws_stack.ecr_repositories", result)
    assert (fresh["account_id"], fresh["partition"]) == (sts["Account"], sts["Arn"].split(":")[1])
    calls = []
    stack, _missing, _unavailable = discovery.find_stack(recording(moto_clients, calls), {"caller": True, "known": fresh})
    assert calls == [] and stack["account_id"] == sts["Account"]

    sns = moto_clients("sns")
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    one = {"changed": False, "topics": [{"name": "alarms", "arn": topic}]}
    assert discovery.after_module(dict(KNOWN), "apranova.aws_stack.sns_topics", one)["topic"] == discovery._topic(sns, "alarms")
    two = {"changed": False, "topics": [{"name": "alarms", "arn": topic}, {"name": "b", "arn": topic + "b"}]}
    assert discovery.after_module(dict(KNOWN), "apranova.aws_stack.sns_topics", two) == KNOWN
    # before any lookup of the run, what a module publishes starts the known stack
    assert discovery.after_module({}, "apranova.aws_stack.sns_topics", one) == {"_run": KNOWN["_run"], "topic": {"arn": topic, "name": "alarms"}}
    # a change before any lookup starts it too, with what the change made stale
    assert discovery.after_module({}, "apranova.aws_stack.ecs_cluster", {"changed": True}) == {
        "_run": KNOWN["_run"], "_stale": sorted({"cluster", "services"} | set(discovery.DETAIL_KEYS))}
    assert discovery.after_module({}, "apranova.aws_stack.ecs_cluster", {"changed": False}) == {}
    # a known stack of another run is left as it is
    other = dict(KNOWN, _run="1:2")
    assert discovery.after_module(other, "apranova.aws_stack.sns_topics", one) == other


def test_the_load_balancer_target_groups_and_secret_a_module_returns_are_what_a_lookup_reads(moto_clients):
    """The shapes the ELBv2 and Secrets Manager modules return, published, equal discovery's reads."""
    ec2, elb, sm = moto_clients("ec2"), moto_clients("elbv2"), moto_clients("secretsmanager")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % i, AvailabilityZone="us-east-1" + z)["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    groups = [ec2.create_security_group(VpcId=vpc, GroupName=n, Description=n)["GroupId"] for n in ("b-sg", "a-sg")]
    tg = elb.create_target_group(Name="prod-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip",
                                 HealthCheckPath="/api/health/")["TargetGroups"][0]
    lb = elb.create_load_balancer(Name="prod-alb", Subnets=subnets, SecurityGroups=groups)["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    raw = elb.describe_load_balancers(Names=["prod-alb"])["LoadBalancers"][0]
    attributes = elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    result = {"changed": False, "load_balancer": elbv2_lb.normalize_load_balancer(raw, attributes, listeners, {})}
    known = discovery.after_module(dict(KNOWN), "apranova.aws_stack.elb_load_balancer", result)
    found, found_listeners = discovery._load_balancer(elb, "prod-alb")
    assert (known["load_balancer"], known["listeners"]) == (found, found_listeners)

    raw_tg = elb.describe_target_groups(Names=["prod-tg"])["TargetGroups"][0]
    tg_attributes = elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]
    result = {"changed": False, "target_groups": [elbv2_lb.normalize_target_group(raw_tg, tg_attributes, {})]}
    known = discovery.after_module(dict(KNOWN), "apranova.aws_stack.elb_target_groups", result)
    assert known["target_groups"] == dict(KNOWN["target_groups"], **discovery._target_groups(elb, ["prod-tg"]))

    sm.create_secret(Name="db-secret", SecretString="x")
    result = {"changed": True, "secret": secretsmanager.normalise_secret(sm.describe_secret(SecretId="db-secret"))}
    known = discovery.after_module(dict(KNOWN), "apranova.aws_stack.secretsmanager_password", result)
    assert known["db_secret"] == discovery._secret(sm, "db-secret")


def test_the_file_system_mount_targets_and_access_point_the_modules_return_are_what_a_lookup_reads(moto_clients):
    ec2, efs_client = moto_clients("ec2"), moto_clients("efs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % i, AvailabilityZone="us-east-1" + z)["Subnet"]["SubnetId"]
               for i, z in ((1, "b"), (2, "a"))]
    fs_id = efs_client.create_file_system(CreationToken="t", Encrypted=True, Tags=[{"Key": "Name", "Value": "prod-efs"}])["FileSystemId"]
    for subnet in subnets:
        efs_client.create_mount_target(FileSystemId=fs_id, SubnetId=subnet)
    efs_client.create_access_point(FileSystemId=fs_id, PosixUser={"Uid": 1000, "Gid": 1000},
                                   RootDirectory={"Path": "/workspaces", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "755"}},
                                   Tags=[{"Key": "Name", "Value": "ap"}])
    raw_fs = efs_client.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
    mts = sorted((efs.normalize_mount_target(m) for m in efs_client.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]),
                 key=lambda m: (m["availability_zone_name"], m["subnet_id"]))
    ap = efs.normalize_access_point(efs_client.describe_access_points(FileSystemId=fs_id)["AccessPoints"][0])
    known = discovery.after_module(dict(KNOWN), "apranova.aws_stack.efs_file_system", {"changed": False, "file_system": efs.normalize_file_system(raw_fs)})
    # mount targets of another file system than the known one are not published
    assert discovery.after_module(known, "apranova.aws_stack.efs_mount_target", {"changed": False, "mount_targets": mts},
                                  {"file_system_id": "fs-other"})["mount_targets"] == KNOWN["mount_targets"]
    known = discovery.after_module(known, "apranova.aws_stack.efs_mount_target", {"changed": False, "mount_targets": mts},
                                   {"file_system_id": fs_id})
    known = discovery.after_module(known, "apranova.aws_stack.efs_access_point", {"changed": False, "access_point": ap})
    fs, found_ap, found_mts = discovery._efs(efs_client, "prod-efs", "ap")
    assert known["file_system"] == fs and known["access_point"] == found_ap
    assert sorted(known["mount_targets"], key=lambda m: m["id"]) == sorted(found_mts, key=lambda m: m["id"])
    # and a lookup of the run takes them without a call
    calls = []
    stack, missing, _unavailable = discovery.find_stack(recording(moto_clients, calls), {"efs_name": "prod-efs", "efs_access_point_name": "ap", "known": known})
    assert calls == [] and missing == [] and stack["access_point"] == found_ap


def test_the_network_the_modules_return_is_what_a_lookup_reads_and_then_costs_no_call(moto_clients):
    """The VPC, subnets, internet gateway and NAT gateways the network role's modules return, published
    in the role's order, equal discovery's reads of the VPC by name, a subnet and a NAT gateway the
    modules do not manage included; a lookup of the run then reads none of them."""
    from ansible_collections.apranova.aws_stack.plugins.module_utils import base
    from ansible_collections.apranova.aws_stack.plugins.modules import ec2_internet_gateway, ec2_nat_gateway, ec2_subnets, ec2_vpc

    client = moto_clients("ec2")
    ctx = base.Context(check_mode=False, note=lambda _m: None, warn=lambda _m: None)

    def run(module, params, known):
        outcome = module.ensure_present(client, params, ctx)
        name = "apranova.aws_stack." + module.__name__.rsplit(".", 1)[-1]
        return outcome.result, discovery.after_module(known, name, dict(outcome.result, changed=outcome.changed), params)

    def network(known):
        result, known = run(ec2_vpc, ec2_vpc.validate(dict(
            name="prod-vpc", cidr_block="10.0.0.0/16", dns_support=True, dns_hostnames=True, instance_tenancy=None,
            tags={"Project": "p"}, purge_tags=True, state="present", wait=True, wait_timeout=30)), known)
        vpc = result["vpc"]["id"]
        subnets = ec2_subnets.validate([
            {"name": "pub-%s" % z, "cidr": "10.0.%d.0/24" % i, "az": "us-east-1" + z, "map_public_ip_on_launch": True,
             "tags": {"Tier": "public"}} for i, z in ((1, "b"), (2, "a"))
        ] + [{"name": "priv-a", "cidr": "10.0.10.0/24", "az": "us-east-1a", "map_public_ip_on_launch": False, "tags": {"Tier": "private"}}])
        result, known = run(ec2_subnets, {"vpc_id": vpc, "subnets": subnets, "tags": None, "purge_tags": True, "state": "present"}, known)
        public = [s["id"] for s in result["subnets"] if s["tags"].get("Tier") == "public"]
        _result, known = run(ec2_internet_gateway, ec2_internet_gateway.validate(
            {"vpc_id": vpc, "tags": {"Name": "prod-igw"}, "purge_tags": True, "state": "present"}), known)
        _result, known = run(ec2_nat_gateway, {"nat_gateways": [{"name": "prod-nat", "subnet_id": public[0], "allocation_id": None, "tags": None}],
                                               "vpc_id": vpc, "tags": None, "purge_tags": True, "release_eips": True, "wait": False,
                                               "wait_timeout": 30, "state": "present"}, known)
        return vpc, known

    vpc, known = network(None)
    # a private subnet and a NAT gateway (in it) that the modules do not manage: a lookup finds them too
    other = client.create_subnet(VpcId=vpc, CidrBlock="10.0.11.0/24", AvailabilityZone="us-east-1b", TagSpecifications=[
        {"ResourceType": "subnet", "Tags": [{"Key": "Tier", "Value": "private"}, {"Key": "Name", "Value": "other"}]}])["Subnet"]["SubnetId"]
    client.create_nat_gateway(SubnetId=other, AllocationId=client.allocate_address(Domain="vpc")["AllocationId"])
    _vpc, known = network(None)

    read = dict(discovery._network(client, vpc), vpc=discovery._vpc(client, "prod-vpc"))
    assert {k: known[k] for k in read} == read
    assert [s["name"] for s in read["subnets"]["private"]] == ["priv-a", "other"] and len(read["nat_gateways"]) == 2
    calls = []
    stack, missing, _unavailable = discovery.find_stack(recording(moto_clients, calls), {"vpc_name": "prod-vpc", "known": known})
    assert calls == [] and missing == [] and stack["subnets"] == read["subnets"]
    # what the modules tell of another VPC than the known one is not published
    other_vpc = {"vpc": {"id": "vpc-other"}, "_run": discovery.run_marker()}
    assert "subnets" not in discovery.after_module(other_vpc, "apranova.aws_stack.ec2_subnets",
                                                   {"changed": False, "vpc_subnets": []}, {"vpc_id": vpc})
    assert "subnets" in discovery.after_module(dict(other_vpc, vpc={"id": vpc}), "apranova.aws_stack.ec2_subnets",
                                               {"changed": False, "vpc_subnets": []}, {"vpc_id": vpc})


def _data_and_cluster(moto_clients):
    """The data tier's database and cache and the ECS tier's cluster, made by the modules' own
    ``ensure_present`` on moto: ``(run, {module: (params, result)})``; ``run(module, params, check_mode)``
    is ``(params, result)`` of one more call, its result with ``changed`` as the module returns it."""
    from ansible_collections.apranova.aws_stack.plugins.module_utils import base
    from ansible_collections.apranova.aws_stack.plugins.modules import ecs_cluster, elasticache_replication_group, rds_db_instance

    ec2 = moto_clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # two groups given out of sorted order: a lookup lists them in RDS's order, the module's ids are sorted
    groups = sorted((ec2.create_security_group(VpcId=vpc, GroupName=n, Description=n)["GroupId"] for n in ("a-sg", "b-sg")),
                    reverse=True)
    moto_clients("secretsmanager").create_secret(Name="db-secret", SecretString=json.dumps({"username": "app", "password": "Pw-0123456789"}))
    db_params = dict(
        db_instance_identifier="prod-db", engine="postgres", engine_version=None, db_instance_class="db.t3.micro",
        allocated_storage=20, max_allocated_storage=None, storage_type="gp3", storage_encrypted=True, kms_key_id=None,
        db_name="app", port=5432, master_username=None, master_user_password_secret="db-secret", db_subnet_group_name=None,
        vpc_security_group_ids=groups, publicly_accessible=False, multi_az=None, backup_retention_period=None,
        preferred_backup_window=None, deletion_protection=True, copy_tags_to_snapshot=True, auto_minor_version_upgrade=None,
        apply_immediately=True, tags={"Project": "p"}, purge_tags=True, state="present", skip_final_snapshot=True,
        final_snapshot_identifier=None, delete_automated_backups=False, disable_deletion_protection=True, wait=True,
        wait_timeout=30, delete_subnet_group=False)
    cache_params = dict(
        replication_group_id="prod-redis", description="sessions", engine="redis", engine_version=None,
        cache_node_type="cache.t3.micro", num_cache_clusters=2, automatic_failover=True, multi_az=True, port=6379,
        cache_subnet_group_name=None, security_group_ids=None, at_rest_encryption=True, transit_encryption=True,
        auth_token="x" * 20, kms_key_id=None, snapshot_retention_limit=None, apply_immediately=True,
        final_snapshot_identifier=None, state="present", wait=True, wait_timeout=30, tags=None, purge_tags=True,
        delete_subnet_group=False)
    cluster_params = dict(name="prod-cluster", state="present", container_insights="enabled", capacity_providers=["FARGATE"],
                          default_capacity_provider_strategy=None, force=True, tags=None, purge_tags=True)
    clients = {"rds_db_instance": {s: moto_clients(s) for s in ("rds", "secretsmanager", "kms")},
               "elasticache_replication_group": moto_clients("elasticache"), "ecs_cluster": moto_clients("ecs")}
    modules = {"rds_db_instance": rds_db_instance, "elasticache_replication_group": elasticache_replication_group,
               "ecs_cluster": ecs_cluster}

    def run(name, params, check_mode=False):
        ctx = base.Context(check_mode=check_mode)
        ensure = modules[name].ensure_absent if params["state"] == "absent" else modules[name].ensure_present
        outcome = ensure(clients[name], params, ctx)
        return params, dict(outcome.result, changed=outcome.changed)

    return run, {"rds_db_instance": run("rds_db_instance", db_params),
                 "elasticache_replication_group": run("elasticache_replication_group", cache_params),
                 "ecs_cluster": run("ecs_cluster", cluster_params)}


DATA_AND_CLUSTER = {"db_instance_identifier": "prod-db", "cache_id": "prod-redis", "cluster_name": "prod-cluster"}


def test_the_database_cache_and_cluster_the_modules_return_are_what_a_lookup_reads_and_then_cost_no_call(moto_clients):
    """What rds_db_instance, elasticache_replication_group and ecs_cluster return, published, equals
    discovery's reads; the ECS and monitoring tiers' lookups of the run then read none of them."""
    _run, done = _data_and_cluster(moto_clients)
    known = None
    for name, (params, result) in done.items():
        assert result["changed"]
        known = discovery.after_module(known, "apranova.aws_stack." + name, result, params)
    # moto answers a new instance and group available with their endpoints at once: nothing set by hand here
    read = {"db_instance": discovery._db_instance(moto_clients("rds"), "prod-db"),
            "cache": discovery._cache(moto_clients("elasticache"), "prod-redis"),
            "cluster": discovery._cluster(moto_clients("ecs"), "prod-cluster")}
    assert {k: known[k] for k in read} == read
    assert read["db_instance"]["status"] == "available" and read["db_instance"]["address"]
    assert read["cache"]["status"] == "available" and read["cache"]["address"] and read["cache"]["nodes"]
    # RDS's order, not the module's sorted ids; AWS's status strings, not the module's booleans
    db, cache = done["rds_db_instance"][1]["db_instance"], done["elasticache_replication_group"][1]["replication_group"]
    assert read["db_instance"]["security_group_ids"] == done["rds_db_instance"][0]["vpc_security_group_ids"] != db["vpc_security_group_ids"]
    assert (cache["automatic_failover"], read["cache"]["automatic_failover"]) == (True, "enabled")
    assert read["cache"]["auth_token_enabled"] is True
    # never a password: not in the module's result, not in the known stack
    assert "Pw-0123456789" not in json.dumps(db) and "Pw-0123456789" not in json.dumps(known)
    assert not any("password" in k for k in known["db_instance"])

    calls = []
    stack, missing, _unavailable = discovery.find_stack(recording(moto_clients, calls), dict(DATA_AND_CLUSTER, known=known))
    assert calls == [] and missing == []
    assert {k: stack[k] for k in read} == read


def test_a_database_or_cache_still_creating_is_published_and_read_again(moto_clients):
    """A lookup takes a database or cache only once available with its address (``from_known``): one
    published while creating is read again. moto makes both available at once, so the module's
    result is set back to what AWS answers while they are creating (no endpoint, port 0 / none)."""
    _run, done = _data_and_cluster(moto_clients)
    (db_params, db_result), (cache_params, cache_result) = done["rds_db_instance"], done["elasticache_replication_group"]
    creating_db = dict(db_result, db_instance=dict(db_result["db_instance"], db_instance_status="creating", endpoint={}, port=None))
    creating_cache = dict(cache_result, replication_group=dict(cache_result["replication_group"], status="creating",
                                                                endpoint={"address": None, "port": None}, primary_endpoint=None))
    known = discovery.after_module(None, "apranova.aws_stack.rds_db_instance", creating_db, db_params)
    known = discovery.after_module(known, "apranova.aws_stack.elasticache_replication_group", creating_cache, cache_params)
    assert (known["db_instance"]["status"], known["db_instance"]["address"]) == ("creating", None)
    assert (known["cache"]["status"], known["cache"]["address"]) == ("creating", None)
    calls = []
    stack, missing, _unavailable = discovery.find_stack(
        recording(moto_clients, calls), {"db_instance_identifier": "prod-db", "cache_id": "prod-redis", "known": known})
    assert sorted(calls) == ["elasticache:DescribeReplicationGroups", "rds:DescribeDBInstances"] and missing == []
    assert stack["db_instance"]["status"] == stack["cache"]["status"] == "available"  # moto's answer, not the known one


def test_nothing_is_published_of_a_check_mode_result_a_deletion_or_a_resource_being_deleted(moto_clients):
    run, done = _data_and_cluster(moto_clients)
    names = ("rds_db_instance", "elasticache_replication_group", "ecs_cluster")
    keys = {"rds_db_instance": "db_instance", "elasticache_replication_group": "cache", "ecs_cluster": "cluster"}
    ids = {"rds_db_instance": "db_instance_identifier", "elasticache_replication_group": "replication_group_id",
           "ecs_cluster": "name"}

    def published(name, params, result):
        return discovery.after_module({"_run": discovery.run_marker()}, "apranova.aws_stack." + name, result, params)

    for name in names:
        params, _result = done[name]
        # check mode's would-be resource (no ARN yet)
        params, result = run(name, dict(params, **{ids[name]: "new-one"}), check_mode=True)
        assert result["changed"] and keys[name] not in published(name, params, result), name
    # the resource as a deletion left it (RDS and ElastiCache: deleting), and the answer once it is gone
    for name in names:
        params, _result = done[name]
        params, result = run(name, dict(params, state="absent"))
        assert result["changed"] and keys[name] not in published(name, params, result), name
        params, result = run(name, params)
        assert not result["changed"] and keys[name] not in published(name, params, result), name
    # a database or group being deleted, answered by state=present (the module fails then; a lookup reads none)
    params, result = done["rds_db_instance"]
    deleting = dict(result, db_instance=dict(result["db_instance"], db_instance_status="deleting"))
    assert "db_instance" not in published("rds_db_instance", params, deleting)
    params, result = done["elasticache_replication_group"]
    deleting = dict(result, replication_group=dict(result["replication_group"], status="deleting"))
    assert "cache" not in published("elasticache_replication_group", params, deleting)
    # a cluster that is not ACTIVE is none to a lookup
    params, result = done["ecs_cluster"]
    assert "cluster" not in published("ecs_cluster", params, dict(result, cluster=dict(result["cluster"], status="INACTIVE")))


def test_combine_replaces_what_was_read_and_merges_named_parts():
    run = discovery.run_marker()
    out = discovery.combine({"vpc": {"id": "vpc-1"}, "security_groups": {"a": "sg-a"}, "db_instance": {"status": "creating"},
                             "_run": run},
                            {"security_groups": {"b": "sg-b"}, "db_instance": None, "cluster": {"name": "c"}})
    assert out == {"vpc": {"id": "vpc-1"}, "security_groups": {"a": "sg-a", "b": "sg-b"}, "db_instance": None,
                   "cluster": {"name": "c"}, "_run": run}
    assert discovery.combine(None, {"vpc": None}) == {"vpc": None, "_run": run}


def test_target_groups_and_repositories_are_read_in_one_call_and_by_name_when_one_is_missing(moto_clients):
    ecr = moto_clients("ecr")
    for name in ("repo-b", "repo-a"):
        ecr.create_repository(repositoryName=name)
    calls = []
    stack, missing, _unavailable = discovery.find_stack(recording(moto_clients, calls), {"repository_names": ["repo-a", "repo-b"]})
    assert calls == ["ecr:DescribeRepositories"] and list(stack["repositories"]) == ["repo-a", "repo-b"] and missing == []
    calls.clear()
    stack, missing, _unavailable = discovery.find_stack(recording(moto_clients, calls), {"repository_names": ["repo-c", "repo-b"]})
    assert calls == ["ecr:DescribeRepositories"] * 3
    assert list(stack["repositories"]) == ["repo-b"] and missing == ["repository repo-c"]


def test_the_reports_details_survive_only_a_run_that_changed_nothing_after_they_were_read(monkeypatch):
    """A detail (``DETAIL_KEYS``) is published only by a module that changed nothing, and any change drops every one."""
    details = {"alarms": [{"name": "prod-cpu"}], "dashboards": [{"name": "prod"}]}
    monkeypatch.setitem(discovery.PUBLISHES, "cloudwatch_metric_alarms", lambda result, _args, _known: dict(details, topic={"name": "t"}))
    unchanged = discovery.after_module(dict(KNOWN), "apranova.aws_stack.cloudwatch_metric_alarms", {"changed": False})
    assert unchanged == dict(KNOWN, topic={"name": "t"}, **details)
    # a change: the module's own details are not published (its answer may be what it asked for) ...
    stale = sorted(discovery.DETAIL_KEYS)
    changed = discovery.after_module(dict(KNOWN), "apranova.aws_stack.cloudwatch_metric_alarms", {"changed": True})
    assert changed == dict(KNOWN, topic={"name": "t"}, _stale=stale)
    # ... and another module's change, even one that makes nothing of the stack stale, drops them all
    after = discovery.after_module(unchanged, "apranova.aws_stack.elb_listener_rules", {"changed": True})
    assert after == dict(KNOWN, topic={"name": "t"}, _stale=stale)
    assert discovery.after_module(unchanged, "apranova.aws_stack.elb_listener_rules", {"changed": False}) == unchanged


# ---------------------------------------------------------------- known stacks of the hosts tiers run on side by side

TIER_HOSTS = {"network": "localhost", "registry": "tier_registry", "data": "tier_data", "alb": "tier_alb",
              "ecs_services": "localhost", "monitoring": "localhost"}
RUN = discovery.run_marker()
NETWORK = {k: KNOWN[k] for k in ("vpc", "subnets", "internet_gateway", "nat_gateways", "security_groups")}


def test_a_tier_host_takes_what_the_network_tier_found_on_localhost():
    localhost = dict(NETWORK, _run=RUN)
    merged = discovery.merge_hosts(None, "tier_data", TIER_HOSTS, {"localhost": localhost, "tier_alb": None})
    assert merged == dict(NETWORK, _run=RUN)
    # the data tier's NFS group joins the network's groups, by name
    own = {"_run": RUN, "security_groups": {"prod-efs-sg": "sg-efs"}, "_stale": ["security_groups"]}
    merged = discovery.merge_hosts(own, "tier_data", TIER_HOSTS, {"localhost": localhost})
    assert merged["security_groups"] == {"prod-alb-sg": "sg-alb", "prod-nope-sg": "sg-nope", "prod-efs-sg": "sg-efs"}
    assert merged["_stale"] == ["security_groups"] and merged["vpc"] == KNOWN["vpc"]


def test_without_other_hosts_or_with_those_of_another_run_a_host_keeps_its_own():
    own = dict(NETWORK, _run=RUN)
    assert discovery.merge_hosts(own, "localhost", TIER_HOSTS, {}) == own
    assert discovery.merge_hosts(own, "localhost", TIER_HOSTS, {"tier_data": dict(KNOWN, _run="1:2")}) == own
    assert discovery.merge_hosts(None, "localhost", TIER_HOSTS, {"tier_data": None}) is None
    assert discovery.merge_hosts(dict(own, _run="1:2"), "localhost", TIER_HOSTS, {}) is None


def test_what_a_tier_changed_is_taken_from_its_host_only():
    """localhost read the database before the data tier's host changed it: localhost's copy is stale."""
    own = dict(NETWORK, _run=RUN, db_instance=KNOWN["db_instance"], cluster=KNOWN["cluster"])
    data = {"_run": RUN, "_stale": ["db_instance"], "cache": KNOWN["cache"]}
    merged = discovery.merge_hosts(own, "localhost", TIER_HOSTS, {"tier_data": data})
    assert "db_instance" not in merged
    assert merged["cache"] == KNOWN["cache"] and merged["cluster"] == KNOWN["cluster"]
    # unchanged, what another host read of it is as good as its own tier's (the data tier never read it)
    merged = discovery.merge_hosts(own, "localhost", TIER_HOSTS, {"tier_data": {"_run": RUN, "cache": KNOWN["cache"]}})
    assert merged["db_instance"] == KNOWN["db_instance"]
    # and the tier's own copy is preferred to another host's
    newer = dict(KNOWN["db_instance"], status="modifying")
    merged = discovery.merge_hosts(own, "localhost", TIER_HOSTS, {"tier_data": {"_run": RUN, "db_instance": newer}})
    assert merged["db_instance"] == newer


def test_a_part_of_a_tier_on_a_host_of_its_own_owns_its_keys():
    """site.yml builds the data tier's database, cache and file system on three hosts: a key of one
    part is taken from that part's host, never from the host of another part of the same tier."""
    hosts = dict(TIER_HOSTS, **{"data.cache": "tier_data_cache", "data.file_system": "tier_data_efs"})
    newer = dict(KNOWN["cache"], status="modifying")
    database = {"_run": RUN, "_stale": ["db_instance"], "cache": KNOWN["cache"]}  # read before the change
    cache = {"_run": RUN, "_stale": ["cache"], "cache": newer}
    efs = {"_run": RUN, "_stale": ["security_groups"], "security_groups": {"prod-efs-sg": "sg-efs"}}
    own = dict(NETWORK, _run=RUN)
    merged = discovery.merge_hosts(own, "localhost", hosts,
                                   {"tier_data": database, "tier_data_cache": cache, "tier_data_efs": efs})
    assert merged["cache"] == newer and "db_instance" not in merged
    assert merged["security_groups"] == {"prod-alb-sg": "sg-alb", "prod-nope-sg": "sg-nope", "prod-efs-sg": "sg-efs"}


def test_the_ecs_tiers_log_groups_and_cluster_are_taken_from_the_host_that_built_them():
    """site.yml may build the ECS tier's log groups and cluster on the registry's host: the ECS
    tier's host takes the log groups published there, and a cluster changed there makes both hosts'
    older copies of the cluster and its services stale."""
    hosts = dict(TIER_HOSTS, **{"ecs_services.cluster": "tier_registry"})
    groups = {"/ecs/web": {"arn": "arn:web:*", "retention_in_days": 30}}
    registry = {"_run": RUN, "_stale": ["cluster", "services"], "log_groups": groups,
                "repositories": {"prod/web": {"arn": "arn:repo"}}}
    own = dict(NETWORK, _run=RUN, cluster=KNOWN["cluster"], services=KNOWN["services"])  # read before the change
    merged = discovery.merge_hosts(own, "localhost", hosts, {"tier_registry": registry})
    assert merged["log_groups"] == groups and merged["repositories"] == registry["repositories"]
    # on a third host: the cluster changed on the registry's host, so a copy another host took before is not taken
    other = {"_run": RUN, "cluster": {"name": "prod-cluster", "arn": "arn:old"}}
    merged = discovery.merge_hosts(dict(NETWORK, _run=RUN), "tier_monitoring", dict(hosts, monitoring="tier_monitoring"),
                                   {"tier_registry": registry, "localhost": dict(NETWORK, _run=RUN), "tier_alb": other})
    assert "cluster" not in merged and "services" not in merged


def test_a_module_that_may_change_anything_leaves_only_each_tiers_own_copies():
    own = dict(NETWORK, _run=RUN, db_instance=KNOWN["db_instance"])
    data = {"_run": RUN, "_stale": ["*"]}
    merged = discovery.merge_hosts(own, "localhost", TIER_HOSTS, {"tier_data": data})
    assert "db_instance" not in merged and merged["vpc"] == KNOWN["vpc"]


def test_a_report_detail_goes_when_a_host_of_another_tier_changed_anything():
    routes = {"vpc_id": "vpc-k", "tables": []}
    own = dict(NETWORK, _run=RUN, route_tables=routes)
    assert discovery.merge_hosts(own, "localhost", TIER_HOSTS, {"tier_alb": {"_run": RUN}})["route_tables"] == routes
    changed = {"_run": RUN, "_stale": ["target_groups"]}
    assert "route_tables" not in discovery.merge_hosts(own, "localhost", TIER_HOSTS, {"tier_alb": changed})
    # another tier's detail is taken from its host
    rules = {"arn:listener": []}
    merged = discovery.merge_hosts(own, "localhost", TIER_HOSTS, {"tier_alb": {"_run": RUN, "listener_rules": rules}})
    assert merged["listener_rules"] == rules


def test_every_key_a_module_changes_or_publishes_has_the_tiers_that_change_it():
    """A key missing from ``KEY_TIERS`` would be merged from any host, stale or not."""
    keys = {k for stale in discovery.CHANGES_KNOWN.values() for k in stale} | set(discovery.DETAIL_KEYS)
    assert keys <= set(discovery.KEY_TIERS), keys - set(discovery.KEY_TIERS)
    tiers = {t.split(".")[0] for owners in discovery.KEY_TIERS.values() for t in owners}
    assert tiers == {"network", "registry", "data", "alb", "ecs_services", "monitoring"}
    # every tier and part a key names has a host in site.yml
    hosts = yaml.safe_load((REPO / "group_vars" / "all" / "main.yml").read_text())["__stack_tier_hosts"]
    assert {t for owners in discovery.KEY_TIERS.values() for t in owners} <= set(hosts)
