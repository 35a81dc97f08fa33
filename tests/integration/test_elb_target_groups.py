"""Integration test of apranova.aws_stack.elb_target_groups against the moto server.

boto3 creates the VPC. The playbook runs phase by phase (``--tags``); after each phase the
target groups are read back from the emulator with boto3 (describe_target_groups, attributes,
tags). Before the ``in_use`` phase boto3 puts an ALB listener in front of the frontend group.
"""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/elb_target_groups/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAMES = ("h10-backend", "h10-frontend")


def read_groups(elb):
    """``{name: (port, protocol, target_type, vpc, health path, matcher, dereg delay, tags, arn)}`` of our groups."""
    result = {}
    for group in elb.describe_target_groups()["TargetGroups"]:
        if group["TargetGroupName"] not in NAMES:
            continue
        arn = group["TargetGroupArn"]
        attributes = {a["Key"]: a["Value"] for a in
                      elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]}
        tags = {t["Key"]: t["Value"] for t in
                elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]}
        result[group["TargetGroupName"]] = dict(
            port=group["Port"],
            protocol=group["Protocol"],
            target_type=group["TargetType"],
            vpc=group["VpcId"],
            path=group["HealthCheckPath"],
            port_hc=group["HealthCheckPort"],
            matcher=group["Matcher"]["HttpCode"],
            delay=int(attributes["deregistration_delay.timeout_seconds"]),
            tags=tags,
            arn=arn,
        )
    return result


def test_elb_target_groups(aws):
    ec2 = aws.client("ec2")
    elb = aws.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    extra = {"vpc_id": vpc}

    def phase(tag):
        run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags=tag)
        assert run.rc == 0, str(run)
        return read_groups(elb)

    assert phase("invalid") == {}

    groups = phase("create")
    assert set(groups) == set(NAMES)
    backend, frontend = groups["h10-backend"], groups["h10-frontend"]
    assert (backend["port"], backend["protocol"], backend["target_type"], backend["vpc"]) == (8000, "HTTP", "ip", vpc)
    assert (backend["path"], backend["matcher"], backend["port_hc"], backend["delay"]) == (
        "/api/health/", "200-399", "traffic-port", 30)
    assert backend["tags"] == {"Project": "h10", "Tier": "backend"}
    assert (frontend["port"], frontend["path"], frontend["target_type"], frontend["delay"]) == (3000, "/", "ip", 300)
    assert frontend["tags"] == {"Project": "h10"}
    arns = {name: g["arn"] for name, g in groups.items()}

    groups = phase("health_path")
    assert groups["h10-backend"]["path"] == "/healthz"
    assert groups["h10-frontend"]["path"] == "/"
    # changed in place: same groups, nothing else touched
    assert {name: g["arn"] for name, g in groups.items()} == arns
    assert groups["h10-backend"]["matcher"] == "200-399" and groups["h10-backend"]["delay"] == 30

    assert phase("immutable")["h10-backend"]["port"] == 8000

    # an ALB listener forwards to the frontend group: deleting it must be refused
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.61.1.0/24", "us-east-1a"), ("10.61.2.0/24", "us-east-1b"))
    ]
    lb_arn = elb.create_load_balancer(Name="h10-tg-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": arns["h10-frontend"]}])
    assert set(phase("in_use")) == set(NAMES)

    elb.delete_load_balancer(LoadBalancerArn=lb_arn)
    assert phase("delete") == {}
