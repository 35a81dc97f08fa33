"""Offline tests of plugins/module_utils/report.py (the API layer and normalisers behind stack_report).

The normalisers are fed AWS shapes written out here; ``gather`` is run end to end against moto's
in-process backend (``mock_aws``) on a small stack built with boto3.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery
from ansible_collections.apranova.aws_stack.plugins.module_utils import report

TG_BACK = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/p-backend-tg/73e2d6bc24d8a067"
TG_FRONT = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/p-frontend-tg/0123456789abcdef"
TGS = {"p-backend-tg": {"port": 8000, "protocol": "HTTP"}, "p-frontend-tg": {"port": 3000, "protocol": "HTTP"}}


# --- normalisers ---------------------------------------------------------------------------------

def test_rules_name_source_groups_and_expand_sources():
    perms = [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-alb"}]},
        {"IpProtocol": "tcp", "FromPort": 1024, "ToPort": 2048, "UserIdGroupPairs": [{"GroupId": "sg-unknown"}]},
    ]
    rules = report.normalise_rules(perms, {"sg-alb": "p-alb-sg"})
    assert [(r["protocol"], r["ports"], r["source"], r["source_type"]) for r in rules] == [
        ("all", "all", "p-alb-sg", "security_group"),
        ("tcp", "80", "0.0.0.0/0", "cidr"),
        ("tcp", "80", "10.0.0.0/8", "cidr"),
        ("tcp", "443", "0.0.0.0/0", "cidr"),
        ("tcp", "1024-2048", "sg-unknown", "security_group"),
    ]


def test_rule_default_and_both_condition_forms():
    legacy = {"Priority": "10", "Conditions": [{"Field": "path-pattern", "Values": ["/api/*"]}],
              "Actions": [{"Type": "forward", "TargetGroupArn": TG_BACK}]}
    config = {"Priority": "20", "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/admin/*", "/x"]}},
                                               {"Field": "host-header", "HostHeaderConfig": {"Values": ["a.example"]}}],
              "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG_BACK}]}}]}
    default = {"Priority": "default", "IsDefault": True, "Conditions": [],
               "Actions": [{"Type": "forward", "TargetGroupArn": TG_FRONT}]}
    rules = report.sort_rules([report.normalise_rule(r, TGS) for r in (default, config, legacy)])
    assert [r["priority"] for r in rules] == [10, 20, None]
    assert rules[0]["conditions"] == {"path_patterns": ["/api/*"]}
    assert rules[1]["conditions"] == {"path_patterns": ["/admin/*", "/x"], "host_headers": ["a.example"]}
    assert rules[1]["actions"][0]["target_group"] == "p-backend-tg"
    assert rules[1]["actions"][0]["target_port"] == 8000
    assert rules[2]["is_default"] and rules[2]["actions"][0]["target_port"] == 3000


def test_redirect_action():
    redirect = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    a = report.normalise_action(redirect, TGS)
    assert a == {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}


def test_policy_statements_from_every_document_form():
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}
    for form in (doc, json.dumps(doc), quote(json.dumps(doc))):
        assert discovery.policy_statements(form) == [{"sid": None, "effect": "Allow", "actions": ["s3:GetObject"],
                                                   "resources": ["*"], "principals": None, "condition": None}]


def test_task_definition_sizes_and_no_environment_values():
    td = report.normalise_task_definition({
        "taskDefinitionArn": "arn:td/p-backend:3", "family": "p-backend", "revision": 3, "cpu": "512", "memory": "1024",
        "containerDefinitions": [{"name": "backend", "image": "img:1", "portMappings": [{"containerPort": 8000}],
                                  "environment": [{"name": "DB_HOST", "value": "db.internal"}],
                                  "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:secret"}],
                                  "mountPoints": [{"containerPath": "/app/workspaces"}]}],
        "volumes": [{"name": "w", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "ENABLED",
                                                             "authorizationConfig": {"accessPointId": "fsap-1"}}}],
    })
    assert (td["cpu"], td["memory"], td["architecture"]) == (512, 1024, "X86_64")
    assert td["containers"][0]["ports"] == [8000]
    assert td["containers"][0]["environment_names"] == ["DB_HOST"]
    assert "db.internal" not in json.dumps(td) and "arn:secret" not in json.dumps(td)
    assert td["efs_volumes"] == [{"name": "w", "file_system_id": "fs-1", "transit_encryption": True, "access_point_id": "fsap-1"}]


STACK = {
    "vpc": {"id": "vpc-1", "cidr_block": "10.0.0.0/16", "name": "p-vpc"},
    "subnets": {"public": [{"id": "pub-a", "availability_zone": "us-east-1a", "cidr_block": "10.0.1.0/24"},
                           {"id": "pub-b", "availability_zone": "us-east-1b", "cidr_block": "10.0.2.0/24"}],
                "private": [{"id": "prv-a", "availability_zone": "us-east-1a", "cidr_block": "10.0.11.0/24"},
                            {"id": "prv-b", "availability_zone": "us-east-1b", "cidr_block": "10.0.12.0/24"}]},
    "internet_gateway": {"id": "igw-1"},
    "nat_gateways": [{"id": "nat-1", "subnet_id": "pub-a", "allocation_id": "eipalloc-1"}],
    "load_balancer": {"name": "p-alb", "subnet_ids": ["pub-a", "pub-b"]},
    "db_instance": {"identifier": "p-db", "instance_class": "db.t3.micro", "multi_az": True, "storage_type": "gp3",
                    "allocated_storage": 50, "availability_zone": "us-east-1b", "secondary_availability_zone": "us-east-1a"},
    "cache": {"id": "p-redis", "node_type": "cache.t3.small", "member_clusters": ["p-redis-001", "p-redis-002"],
              "nodes": [{"cluster_id": "p-redis-001", "availability_zone": "us-east-1a", "role": "primary"},
                        {"cluster_id": "p-redis-002", "availability_zone": "us-east-1b", "role": "replica"}]},
    "file_system": {"id": "fs-1"},
    "mount_targets": [{"id": "fsmt-a", "subnet_id": "prv-a", "availability_zone": "us-east-1a"},
                      {"id": "fsmt-b", "subnet_id": "prv-b", "availability_zone": None}],
    "repositories": {"a/backend": {}, "a/frontend": {}},
    "log_groups": {"/ecs/backend": {}},
    "db_secret": {"name": "p/db"},
    "cluster": {"name": "p-cluster"},
}
DETAILS = {
    "services": [{"name": "backend", "desired_count": 2, "launch_type": "FARGATE", "subnet_ids": ["prv-a", "prv-b"],
                  "task_definition": {"cpu": 512, "memory": 1024, "architecture": "X86_64"}},
                 {"name": "worker", "desired_count": 1, "launch_type": "FARGATE", "subnet_ids": ["prv-b"],
                  "task_definition": {"cpu": 256, "memory": 512, "architecture": "X86_64"}}],
    "alarms": [{"name": "a"}, {"name": "b"}],
    "dashboards": [{"name": "d"}],
    "route_tables": [{"main": True}, {"main": False}, {"main": False}],
    "security_groups": [{}, {}, {}],
    "listeners": [{"rules": [{"is_default": False}, {"is_default": True}]}],
    "target_groups": {"x": {}},
    "iam_roles": [{}, {}],
}


def test_layout_by_zone():
    zones = {z["name"]: z for z in report.layout_by_az(STACK, DETAILS)}
    assert list(zones) == ["us-east-1a", "us-east-1b"]
    a, b = zones["us-east-1a"], zones["us-east-1b"]
    assert [s["id"] for s in a["public_subnets"]] == ["pub-a"] and [s["id"] for s in b["private_subnets"]] == ["prv-b"]
    assert [n["id"] for n in a["nat_gateways"]] == ["nat-1"] and b["nat_gateways"] == []
    assert a["load_balancer"] and b["load_balancer"]
    # a mount target without a zone name is placed by its subnet
    assert [m["id"] for m in b["mount_targets"]] == ["fsmt-b"]
    assert (a["db_role"], b["db_role"]) == ("standby", "primary")
    assert [n["cluster_id"] for n in b["cache_nodes"]] == ["p-redis-002"]
    assert a["services"] == ["backend"] and b["services"] == ["backend", "worker"]


def test_bill_of_materials_from_live_shapes():
    bill = report.bill_of_materials(STACK, DETAILS)
    assert bill == {
        "fargate": [{"name": "backend", "cpu": 512, "memory": 1024, "count": 2, "architecture": "X86_64"},
                    {"name": "worker", "cpu": 256, "memory": 512, "count": 1, "architecture": "X86_64"}],
        "nat_gateways": 1, "load_balancers": 1,
        "db_instances": [{"name": "p-db", "instance_class": "db.t3.micro", "multi_az": True, "storage_type": "gp3", "storage_gb": 50}],
        "cache_clusters": [{"name": "p-redis", "node_type": "cache.t3.small", "nodes": 2}],
        "file_systems": 1, "repositories": 2, "log_groups": 1, "alarms": 2, "dashboards": 1, "secrets": 1,
    }


def test_bill_of_nothing():
    assert report.bill_of_materials({}, {}) == {
        "fargate": [], "nat_gateways": 0, "load_balancers": 0, "db_instances": [], "cache_clusters": [],
        "file_systems": 0, "repositories": 0, "log_groups": 0, "alarms": 0, "dashboards": 0, "secrets": 0}


def test_count_resources():
    counted = report.count_resources(STACK, DETAILS)
    by_kind = {k["kind"]: k["count"] for k in counted["by_kind"]}
    assert by_kind["subnets"] == 4
    assert by_kind["route tables"] == 2          # the VPC's main table is AWS's, not the stack's
    assert by_kind["listener rules"] == 1        # the default rule is part of the listener
    assert by_kind["alarms"] == 2 and by_kind["EFS mount targets"] == 2
    assert "SNS topics" not in by_kind           # nothing found, not listed
    assert counted["total"] == sum(by_kind.values())
    assert "Amazon VPC" in counted["services"] and "Amazon SNS" not in counted["services"]


# --- gather, against moto in-process --------------------------------------------------------------

class _Client(object):
    """A boto3 client that accepts (and drops) the ``aws_retry`` keyword the retrying clients take."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name in ("get_paginator", "exceptions", "meta") or not callable(attr):
            return attr

        def call(*args, **kwargs):
            kwargs.pop("aws_retry", None)
            return attr(*args, **kwargs)
        return call


def _client(service):
    return _Client(boto3.client(service, region_name="us-east-1"))


def _tags(**kw):
    return [{"Key": k, "Value": v} for k, v in kw.items()]


@pytest.fixture
def small_stack(offline_aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags(Name="t-vpc")}])["Vpc"]["VpcId"]
    subnets = {}
    for tier, cidr, az in (("public", "10.0.1.0/24", "us-east-1a"), ("public", "10.0.2.0/24", "us-east-1b"),
                           ("private", "10.0.11.0/24", "us-east-1a"), ("private", "10.0.12.0/24", "us-east-1b")):
        subnets[cidr] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=[
            {"ResourceType": "subnet", "Tags": _tags(Name="t-%s-%s" % (tier, az), Tier=tier)}])["Subnet"]["SubnetId"]
    alb_sg = ec2.create_security_group(GroupName="t-alb-sg", Description="alb", VpcId=vpc)["GroupId"]
    ecs_sg = ec2.create_security_group(GroupName="t-ecs-sg", Description="ecs", VpcId=vpc)["GroupId"]
    rds_sg = ec2.create_security_group(GroupName="t-rds-sg", Description="rds", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 443)])
    ec2.authorize_security_group_ingress(GroupId=ecs_sg, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
    ec2.authorize_security_group_ingress(GroupId=rds_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": ecs_sg}]}])
    elb = boto3.client("elbv2", region_name="us-east-1")
    lb = elb.create_load_balancer(Name="t-alb", Subnets=[subnets["10.0.1.0/24"], subnets["10.0.2.0/24"]],
                                  SecurityGroups=[alb_sg])["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="t-backend-tg", Protocol="HTTP", Port=8000, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    lis = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
    elb.create_rule(ListenerArn=lis, Priority=10, Actions=[{"Type": "forward", "TargetGroupArn": tg}],
                    Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}])
    iam = boto3.client("iam", region_name="us-east-1")
    trust = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="t-task", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="t-task", PolicyName="task", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": "Efs", "Effect": "Allow", "Action": ["elasticfilesystem:ClientMount"],
                                                 "Resource": "*"}]}))
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName="t-cluster")
    td = ecs.register_task_definition(family="t-backend", cpu="512", memory="1024", networkMode="awsvpc",
                                      requiresCompatibilities=["FARGATE"], containerDefinitions=[
                                          {"name": "backend", "image": "img", "portMappings": [{"containerPort": 8000}]}])
    ecs.create_service(cluster="t-cluster", serviceName="backend", taskDefinition=td["taskDefinition"]["taskDefinitionArn"],
                       desiredCount=2, launchType="FARGATE", loadBalancers=[
                           {"targetGroupArn": tg, "containerName": "backend", "containerPort": 8000}],
                       networkConfiguration={"awsvpcConfiguration": {"subnets": [subnets["10.0.11.0/24"]], "securityGroups": [ecs_sg]}})
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    for name in ("t-app-cpu", "t-app-mem", "other-alarm"):
        cw.put_metric_alarm(AlarmName=name, MetricName="CPUUtilization", Namespace="AWS/ECS", Statistic="Average",
                            Period=300, EvaluationPeriods=1, Threshold=80, ComparisonOperator="GreaterThanThreshold")
    yield {"vpc": vpc, "alb_sg": alb_sg, "ecs_sg": ecs_sg, "rds_sg": rds_sg, "tg": tg}


def test_gather_reads_the_stack(small_stack):
    params = {"vpc_name": "t-vpc", "security_group_names": ["t-alb-sg", "t-ecs-sg", "t-rds-sg"],
              "load_balancer_name": "t-alb", "cluster_name": "t-cluster", "service_names": ["backend"],
              "role_names": ["t-task", "t-missing"], "alarm_name_prefix": "t-app-", "dashboard_names": ["t-dash"]}
    stack, details, missing = report.gather(_client, params)
    assert stack["vpc"]["id"] == small_stack["vpc"]
    assert details["account_id"] == "123456789012"
    assert sorted(missing) == ["IAM role t-missing", "dashboard t-dash"]

    groups = {g["name"]: g for g in details["security_groups"]}
    assert [(r["ports"], r["source"]) for r in groups["t-alb-sg"]["ingress"]] == [("80", "0.0.0.0/0"), ("443", "0.0.0.0/0")]
    assert [(r["protocol"], r["source"], r["source_id"]) for r in groups["t-ecs-sg"]["ingress"]] == [("all", "t-alb-sg", small_stack["alb_sg"])]
    assert [(r["ports"], r["source"]) for r in groups["t-rds-sg"]["ingress"]] == [("5432", "t-ecs-sg")]

    assert details["target_groups"]["t-backend-tg"]["port"] == 8000
    (listener,) = details["listeners"]
    assert (listener["port"], listener["protocol"], listener["encrypted"]) == (80, "HTTP", False)
    assert [(r["priority"], r["conditions"], r["actions"][0]["target_group"], r["actions"][0]["target_port"])
            for r in listener["rules"]] == [(10, {"path_patterns": ["/api/*"]}, "t-backend-tg", 8000),
                                            (None, {}, "t-backend-tg", 8000)]

    (svc,) = details["services"]
    assert (svc["name"], svc["desired_count"], svc["task_definition"]["cpu"], svc["task_definition"]["memory"]) == ("backend", 2, 512, 1024)
    assert svc["target_groups"] == ["t-backend-tg"]

    (role,) = details["iam_roles"]
    assert role["trusted_services"] == ["ecs-tasks.amazonaws.com"]
    assert role["inline_policies"][0]["statements"][0]["actions"] == ["elasticfilesystem:ClientMount"]

    assert [a["name"] for a in details["alarms"]] == ["t-app-cpu", "t-app-mem"]
    bill = report.bill_of_materials(stack, details)
    assert bill["fargate"] == [{"name": "backend", "cpu": 512, "memory": 1024, "count": 2, "architecture": "X86_64"}]
    assert bill["load_balancers"] == 1 and bill["alarms"] == 2 and bill["nat_gateways"] == 0
    assert details["resources"]["total"] == sum(k["count"] for k in details["resources"]["by_kind"])


def test_gather_on_an_empty_account(small_stack):
    stack, details, missing = report.gather(_client, {"vpc_name": "nope", "load_balancer_name": "nope", "cluster_name": "nope"})
    assert stack["vpc"] is None and stack["load_balancer"] is None and stack["cluster"] is None
    assert details["resources"]["total"] == 0
    assert report.bill_of_materials(stack, details)["load_balancers"] == 0
    assert len(missing) == 3
