"""Integration test of apranova.aws_stack.elb_load_balancer against the moto server.

boto3 builds the VPC, two public subnets (with an internet gateway), a security group, target
groups frontend (3000) and backend (8000) and an ACM certificate. The playbook runs phase by
phase (``--tags``); after each phase the load balancer, its attributes, listeners and tags are
read back from the emulator with boto3. Between two phases boto3 changes the idle timeout behind
the module's back, which the next phase must detect in check mode and repair.
"""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/elb_load_balancer/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAME = "h10-alb"


def build_network(aws):
    ec2 = aws.client("ec2")
    elb = aws.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.62.1.0/24", "us-east-1a"), ("10.62.2.0/24", "us-east-1b"))
    ]
    sg = ec2.create_security_group(GroupName="h10-alb", Description="ALB", VpcId=vpc)["GroupId"]
    tgs = {}
    for name, port, path in (("h10-frontend", 3000, "/"), ("h10-backend", 8000, "/api/health/")):
        tg = elb.create_target_group(Name=name, Protocol="HTTP", Port=port, VpcId=vpc, TargetType="ip",
                                     HealthCheckPath=path)
        tgs[name] = tg["TargetGroups"][0]["TargetGroupArn"]
    cert = aws.client("acm").request_certificate(DomainName="h10.example.com")["CertificateArn"]
    return dict(vpc_id=vpc, subnet_ids=subnets, sg_id=sg, frontend_tg_arn=tgs["h10-frontend"],
                backend_tg_arn=tgs["h10-backend"], certificate_arn=cert)


def read_alb(elb):
    """The ALB as the emulator holds it, or None. Every ALB in the region is listed (no name filter),
    so a duplicate created by a non-idempotent create would show up."""
    found = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == NAME]
    assert len(found) <= 1, f"duplicate load balancers: {found}"
    if not found:
        return None
    lb = found[0]
    arn = lb["LoadBalancerArn"]
    attributes = {a["Key"]: a["Value"] for a in
                  elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    listeners = sorted(elb.describe_listeners(LoadBalancerArn=arn)["Listeners"], key=lambda x: x["Port"])
    tags = {t["Key"]: t["Value"] for t in elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]}
    return dict(lb=lb, arn=arn, attributes=attributes, listeners=listeners, tags=tags)


def test_elb_load_balancer(aws):
    elb = aws.client("elbv2")
    extra = build_network(aws)

    def phase(tag):
        run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags=tag)
        assert run.rc == 0, str(run)
        return read_alb(elb)

    assert phase("invalid") is None

    # create: ALB in two subnets with the SG, protected, dropping invalid headers, :80 -> frontend
    alb = phase("create")
    assert alb is not None
    assert alb["lb"]["Scheme"] == "internet-facing" and alb["lb"]["VpcId"] == extra["vpc_id"]
    assert sorted(z["SubnetId"] for z in alb["lb"]["AvailabilityZones"]) == sorted(extra["subnet_ids"])
    assert alb["lb"]["SecurityGroups"] == [extra["sg_id"]]
    assert alb["attributes"]["deletion_protection.enabled"] == "true"
    assert alb["attributes"]["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert alb["tags"] == {"Project": "h10"}
    assert [(x["Port"], x["Protocol"]) for x in alb["listeners"]] == [(80, "HTTP")]
    assert alb["listeners"][0]["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": extra["frontend_tg_arn"]}]
    lb_arn, http_arn = alb["arn"], alb["listeners"][0]["ListenerArn"]

    # :443 HTTPS -> frontend with the ACM certificate; :80 becomes a redirect to HTTPS
    alb = phase("https")
    assert alb["arn"] == lb_arn
    http, https = alb["listeners"]
    assert (http["Port"], http["ListenerArn"]) == (80, http_arn)
    assert len(http["DefaultActions"]) == 1 and http["DefaultActions"][0]["Type"] == "redirect"
    redirect = http["DefaultActions"][0]["RedirectConfig"]
    assert (redirect["Protocol"], redirect["Port"], redirect["StatusCode"]) == ("HTTPS", "443", "HTTP_301")
    assert (https["Port"], https["Protocol"], https["SslPolicy"]) == (443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert https["Certificates"][0]["CertificateArn"] == extra["certificate_arn"]
    assert https["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": extra["frontend_tg_arn"]}]
    assert alb["attributes"]["deletion_protection.enabled"] == "true"

    # out-of-band change: idle timeout set to 120 behind the module's back
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=lb_arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "120"}]
    )
    alb = phase("drift")
    assert alb["attributes"]["idle_timeout.timeout_seconds"] == "60"
    assert [x["ListenerArn"] for x in alb["listeners"]][0] == http_arn

    # deletion refused while protected (moto itself would allow it); nothing changed
    alb = phase("refused")
    assert alb is not None and alb["arn"] == lb_arn
    assert alb["attributes"]["deletion_protection.enabled"] == "true"
    assert alb["lb"]["Scheme"] == "internet-facing"

    assert phase("delete") is None
    # the target groups are left alone
    names = {tg["TargetGroupName"] for tg in elb.describe_target_groups()["TargetGroups"]}
    assert names == {"h10-frontend", "h10-backend"}
