"""Integration test of apranova.aws_stack.elb_listener_rules against the moto server.

boto3 builds the VPC, two subnets, an ALB, target groups backend (8000) and frontend (3000,
target_type ip) and an HTTP :80 listener whose default action forwards to frontend. The playbook
runs phase by phase (``--tags``); after each phase the listener's rules are read back from the
emulator with boto3.
"""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/elb_listener_rules/main.yml"
INVENTORY = "tests/integration/inventory.yml"


def build_listener(aws):
    ec2 = aws.client("ec2")
    elb = aws.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.42.1.0/24", "us-east-1a"), ("10.42.2.0/24", "us-east-1b"))
    ]
    lb = elb.create_load_balancer(Name="h6-alb", Subnets=subnets, Type="application", Scheme="internet-facing")
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    tgs = {}
    for name, port in (("backend", 8000), ("frontend", 3000)):
        tg = elb.create_target_group(Name=name, Protocol="HTTP", Port=port, VpcId=vpc, TargetType="ip")
        tgs[name] = tg["TargetGroups"][0]["TargetGroupArn"]
    listener = elb.create_listener(
        LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tgs["frontend"]}],
    )["Listeners"][0]["ListenerArn"]
    return elb, listener, tgs


def read_rules(elb, listener):
    """(priority, Name tag, path values, target group ARN, tags) per non-default rule, from the emulator."""
    rules = elb.describe_rules(ListenerArn=listener)["Rules"]
    default = [r for r in rules if r["IsDefault"]]
    rules = [r for r in rules if not r["IsDefault"]]
    tags = {}
    if rules:
        for d in elb.describe_tags(ResourceArns=[r["RuleArn"] for r in rules])["TagDescriptions"]:
            tags[d["ResourceArn"]] = {t["Key"]: t["Value"] for t in d["Tags"]}
    result = []
    for rule in rules:
        assert len(rule["Conditions"]) == 1, rule
        condition = rule["Conditions"][0]
        assert condition["Field"] == "path-pattern"
        assert "Values" not in condition or not condition["Values"], f"legacy Values sent: {condition}"
        assert len(rule["Actions"]) == 1 and rule["Actions"][0]["Type"] == "forward", rule
        result.append((
            int(rule["Priority"]),
            tags[rule["RuleArn"]].get("Name"),
            sorted(condition["PathPatternConfig"]["Values"]),
            rule["Actions"][0]["TargetGroupArn"],
            tags[rule["RuleArn"]],
        ))
    return sorted(result), default


def test_elb_listener_rules(aws):
    elb, listener, tgs = build_listener(aws)
    backend = tgs["backend"]
    extra = {"listener_arn": listener, "backend_tg_arn": backend}

    def phase(tag):
        run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags=tag)
        assert run.rc == 0, str(run)
        rules, default = read_rules(elb, listener)
        # the default rule is never touched
        assert len(default) == 1 and default[0]["Actions"][0]["TargetGroupArn"] == tgs["frontend"]
        return rules

    tags_api = {"Name": "api", "Project": "h6"}
    tags_admin = {"Name": "admin", "Project": "h6"}
    api3 = ["/api/*", "/health", "/v2/*"]

    assert phase("invalid") == []

    assert phase("create") == [
        (10, "api", ["/api/*"], backend, tags_api),
        (20, "admin", ["/admin/*"], backend, tags_admin),
    ]
    arns = {int(r["Priority"]): r["RuleArn"] for r in elb.describe_rules(ListenerArn=listener)["Rules"]
            if not r["IsDefault"]}

    assert phase("add_path") == [
        (10, "api", api3, backend, tags_api),
        (20, "admin", ["/admin/*"], backend, tags_admin),
    ]
    assert phase("move") == [
        (10, "api", api3, backend, tags_api),
        (30, "admin", ["/admin/*"], backend, tags_admin),
    ]
    assert phase("swap") == [
        (10, "admin", ["/admin/*"], backend, tags_admin),
        (30, "api", api3, backend, tags_api),
    ]
    # modified and moved in place: the same two rules as created, no replacements
    now = {r["RuleArn"] for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]}
    assert now == set(arns.values())

    assert phase("purge") == [(30, "api", api3, backend, tags_api)]
    assert phase("delete") == []
