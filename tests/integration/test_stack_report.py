"""Integration test of apranova.aws_stack.stack_report against the moto server.

boto3 builds a small stack (VPC, two chained security groups, an ALB with one rule, an IAM role,
alarms), reads back the values the playbook must find, and passes them as extra vars; the playbook
asserts the module's answers in check mode and in a normal run (a read-only module: no
create/delete phases). Afterwards boto3 checks that the module changed nothing.
"""

from __future__ import annotations

import json

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/stack_report/main.yml"
INVENTORY = "tests/integration/inventory.yml"


def _build(aws):
    ec2, elb = aws.client("ec2"), aws.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "it-report-vpc"}]}])["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=c, AvailabilityZone=az)["Subnet"]["SubnetId"]
               for c, az in (("10.9.1.0/24", "us-east-1a"), ("10.9.2.0/24", "us-east-1b"))]
    alb = ec2.create_security_group(GroupName="it-report-alb", Description="alb", VpcId=vpc)["GroupId"]
    ecs = ec2.create_security_group(GroupName="it-report-ecs", Description="ecs", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=alb, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (443, 80)])
    ec2.authorize_security_group_ingress(GroupId=ecs, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": alb}]}])
    lb = elb.create_load_balancer(Name="it-report-alb", Subnets=subnets, SecurityGroups=[alb])["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="it-report-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    lis = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
    elb.create_rule(ListenerArn=lis, Priority=10, Actions=[{"Type": "forward", "TargetGroupArn": tg}],
                    Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}])
    trust = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    aws.client("iam").create_role(RoleName="it-report-task", AssumeRolePolicyDocument=json.dumps(trust))
    cw = aws.client("cloudwatch")
    for name in ("it-report-cpu", "it-report-memory", "someone-else-cpu"):
        cw.put_metric_alarm(AlarmName=name, MetricName="CPUUtilization", Namespace="AWS/ECS", Statistic="Average",
                            Period=300, EvaluationPeriods=1, Threshold=80, ComparisonOperator="GreaterThanThreshold")


def _snapshot(aws):
    ec2, elb = aws.client("ec2"), aws.client("elbv2")
    return {
        "groups": sorted((g["GroupName"], json.dumps(g["IpPermissions"], sort_keys=True)) for g in ec2.describe_security_groups()["SecurityGroups"]),
        "rules": [(r["Priority"], r["Actions"][0]["TargetGroupArn"]) for lis in elb.describe_listeners(
            LoadBalancerArn=elb.describe_load_balancers(Names=["it-report-alb"])["LoadBalancers"][0]["LoadBalancerArn"])["Listeners"]
            for r in elb.describe_rules(ListenerArn=lis["ListenerArn"])["Rules"]],
        "alarms": sorted(a["AlarmName"] for a in aws.client("cloudwatch").describe_alarms()["MetricAlarms"]),
    }


def test_stack_report(aws):
    _build(aws)
    ec2, elb = aws.client("ec2"), aws.client("elbv2")
    vpc_id = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]
              if {"Key": "Name", "Value": "it-report-vpc"} in v.get("Tags", [])][0]
    tg_port = elb.describe_target_groups(Names=["it-report-tg"])["TargetGroups"][0]["Port"]
    alarms = sorted(a["AlarmName"] for a in aws.client("cloudwatch").describe_alarms(AlarmNamePrefix="it-report-")["MetricAlarms"])
    account = aws.client("sts").get_caller_identity()["Account"]
    before = _snapshot(aws)

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars={
        "it_vpc_id": vpc_id, "it_tg_port": tg_port, "it_alarms": alarms, "it_account": account})
    assert run.rc == 0, run
    assert run.changed == 0, run
    assert alarms == ["it-report-cpu", "it-report-memory"]
    assert _snapshot(aws) == before
