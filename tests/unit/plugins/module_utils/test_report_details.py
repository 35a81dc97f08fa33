"""The report's network and load balancer details (``discovery.DETAIL_KEYS``: route tables, security
groups, listener rules) published by the modules that read them, on moto's in-process backend.

Each module is run (its ``ensure_*``) twice on the same resources: the second, no-op run's result is
what ``discovery.after_module`` publishes, and the report rebuilds from it exactly what its own read
of the same resources returns (``report.route_tables``, ``report.security_groups``,
``report.load_balancer_details``); ``report.gather`` then makes none of those calls.
"""

from __future__ import annotations

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery
from ansible_collections.apranova.aws_stack.plugins.module_utils import report
from ansible_collections.apranova.aws_stack.plugins.modules import ec2_route_tables
from ansible_collections.apranova.aws_stack.plugins.modules import ec2_security_groups
from ansible_collections.apranova.aws_stack.plugins.modules import elb_listener_rules
from .test_discovery import recording

FQCN = "apranova.aws_stack."


def no_op_result(ensure, client, params):
    """The module's result (as ``base.run_state`` returns it) of a run that finds nothing to change."""
    ensure(client, params, base.Context(check_mode=False))
    outcome = ensure(client, params, base.Context(check_mode=False))
    assert outcome.changed is False
    return dict(outcome.result, changed=False, waited=[])


def rule(protocol="tcp", ports=None, cidr_ip=None, cidr_ipv6=None, source_group=None, from_port=None, to_port=None):
    return {"protocol": protocol, "ports": ports, "from_port": from_port, "to_port": to_port, "cidr_ip": cidr_ip,
            "cidr_ipv6": cidr_ipv6, "source_group": source_group, "description": None}


def group_params(vpc, groups):
    params = {"vpc_id": vpc, "security_groups": groups, "state": "present", "tags": {"Project": "t"}, "purge_tags": True,
              "purge_rules": True, "purge_rules_egress": True, "wait_timeout": 0}
    ec2_security_groups.validate(params)
    return params


def build(moto_clients):
    """A VPC with a public route table, the network tier's chained groups and the data tier's NFS
    group (two calls of ec2_security_groups), and a listener with three kinds of rules; each module's
    no-op result."""
    ec2, elb = moto_clients("ec2"), moto_clients("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "t-vpc"}]}])["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % i, AvailabilityZone="us-east-1" + z)["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(VpcId=vpc, InternetGatewayId=igw)
    other = ec2.create_security_group(VpcId=vpc, GroupName="t-other-sg", Description="not the stack's")["GroupId"]

    tables = ec2_route_tables.ensure_present
    route_params = {"vpc_id": vpc, "purge_routes": True, "purge_subnets": True, "tags": {"Project": "t"}, "purge_tags": True,
                    "route_tables": [{"name": "t-public", "subnet_ids": subnets, "tags": None, "routes": [
                        {"destination_cidr_block": "0.0.0.0/0", "gateway_id": igw, "nat_gateway_id": None}]}]}
    tables(ec2, route_params, base.Context(check_mode=False))
    public = [t for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
              if {"Key": "Name", "Value": "t-public"} in t.get("Tags", [])][0]["RouteTableId"]
    ec2.create_route(RouteTableId=public, DestinationIpv6CidrBlock="::/0", GatewayId=igw)  # not managed by the module, kept
    routes = no_op_result(tables, ec2, route_params)

    network = group_params(vpc, [
        {"name": "t-alb-sg", "description": "alb", "tags": None, "egress": [rule("-1", source_group="t-other-sg")],
         "ingress": [rule(ports=443, cidr_ip=["0.0.0.0/0"]), rule(ports=80, cidr_ip=["0.0.0.0/0"], cidr_ipv6=["::/0"])]},
        {"name": "t-ecs-sg", "description": "ecs", "tags": None, "egress": None,
         "ingress": [rule("all", source_group="t-alb-sg"), rule("icmp", cidr_ip=["10.0.0.0/16"])]},
        {"name": "t-rds-sg", "description": "rds", "tags": None, "egress": [],
         "ingress": [rule(from_port=5432, to_port=5433, source_group="t-ecs-sg"), rule("udp", ports=53, cidr_ip=["10.0.0.0/16"])]},
    ])
    data = group_params(vpc, [{"name": "t-efs-sg", "description": "nfs", "tags": None, "egress": None,
                               "ingress": [rule(ports=2049, source_group="t-ecs-sg")]}])
    groups = no_op_result(ec2_security_groups.ensure_present, ec2, network)
    nfs = no_op_result(ec2_security_groups.ensure_present, ec2, data)

    lb = elb.create_load_balancer(Name="t-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="t-backend-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")["TargetGroups"][0]
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}])["Listeners"][0]
    rules = [
        {"name": "api", "priority": 10, "conditions": {"path_patterns": ["/api/*", "/health"], "host_headers": ["a.example"]},
         "actions": {"target_group_name": "t-backend-tg"}, "tags": None},
        {"name": "old", "priority": 20, "conditions": {"path_patterns": ["/old/*"]},
         "actions": {"redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}, "tags": None},
        {"name": "blocked", "priority": 30, "conditions": {"path_patterns": ["/internal/*"]},
         "actions": {"fixed_response": {"status_code": "403", "content_type": "text/plain", "message_body": "no"}}, "tags": None},
    ]
    rule_params = {"listener_arn": listener["ListenerArn"], "rules": rules, "purge_rules": True, "tags": None, "purge_tags": True}
    listener_rules = no_op_result(elb_listener_rules.ensure_rules, elb, rule_params)
    return {"vpc": vpc, "igw": igw, "other": other, "lb": lb, "tg": tg, "routes": (routes, {"vpc_id": vpc}),
            "groups": (groups, network), "nfs": (nfs, data), "rules": (listener_rules, rule_params)}


def test_the_route_tables_the_module_returns_are_what_the_report_reads(moto_clients):
    built = build(moto_clients)
    ec2, vpc = moto_clients("ec2"), built["vpc"]
    known = discovery.after_module({}, FQCN + "ec2_route_tables", *built["routes"])
    assert known["route_tables"]["vpc_id"] == vpc
    expected = report.route_tables(ec2, vpc)
    assert [t["name"] for t in expected] == ["t-public", None]  # the main table too, which the module does not manage
    assert report.vpc_route_tables(known["route_tables"]["tables"], vpc) == expected
    assert {"destination": "::/0", "target": built["igw"], "state": "active"} in expected[0]["routes"]


def test_the_security_groups_both_module_calls_return_are_what_the_report_reads(moto_clients):
    built = build(moto_clients)
    ec2, vpc = moto_clients("ec2"), built["vpc"]
    names = ["t-alb-sg", "t-ecs-sg", "t-rds-sg", "t-efs-sg"]
    ids = discovery._security_groups(ec2, vpc, names)
    # the network tier's call: its groups by id; their ids by name only once the VPC is known (a lookup of the run)
    known = discovery.after_module({}, FQCN + "ec2_security_groups", *built["groups"])
    assert "security_groups" not in known
    assert report.known_security_groups(known["security_group_details"], [ids["t-ecs-sg"]]) == report.security_groups(ec2, [ids["t-ecs-sg"]])
    # the NFS group's rule names the ECS group, which only the other call holds
    alone = discovery.after_module({}, FQCN + "ec2_security_groups", *built["nfs"])
    assert report.known_security_groups(alone["security_group_details"], [ids["t-efs-sg"]]) is None
    # the data tier's call, after its lookup found the VPC: merged by id, and its group's id by name
    known = discovery.after_module(discovery.combine(known, {"vpc": {"id": vpc, "name": "t-vpc"}}), FQCN + "ec2_security_groups",
                                   *built["nfs"])
    assert known["security_groups"] == {"t-efs-sg": ids["t-efs-sg"]}
    assert set(known["security_group_details"]) == set(ids.values())
    for asked in (names, ["t-rds-sg", "t-alb-sg"], []):
        group_ids = [ids[n] for n in asked]
        # in the order of the names asked, as the report shows them (AWS answers in an order of its own)
        assert (report.sort_groups(report.known_security_groups(known["security_group_details"], group_ids), asked)
                == report.sort_groups(report.security_groups(ec2, group_ids), asked))
    # a group outside the published ones, named by an outbound rule only, reads as its id either way
    (alb,) = report.known_security_groups(known["security_group_details"], [ids["t-alb-sg"]])
    assert [(r["protocol"], r["source"]) for r in alb["egress"]] == [("all", built["other"])]
    # a group of another VPC than the known one: its id is not published by name
    other_vpc = discovery.combine({}, {"vpc": {"id": "vpc-other", "name": "t-vpc"}})
    assert "security_groups" not in discovery.after_module(other_vpc, FQCN + "ec2_security_groups", *built["nfs"])


def test_the_listener_rules_the_module_returns_are_what_the_report_reads(moto_clients):
    built = build(moto_clients)
    elb = moto_clients("elbv2")
    result, _params = built["rules"]
    known = discovery.after_module({}, FQCN + "elb_listener_rules", *built["rules"])
    assert set(known["listener_rules"]) == {result["listener_arn"]}
    listeners = [{"arn": result["listener_arn"], "port": 80, "protocol": "HTTP"}]
    calls = []
    read = report.load_balancer_details(recording(moto_clients, calls)("elbv2"), built["lb"], listeners)
    assert calls.count("elbv2:DescribeRules") == 1
    calls.clear()
    assert report.load_balancer_details(elb, built["lb"], listeners, known["listener_rules"]) == read
    assert "elbv2:DescribeRules" not in calls
    (listener,) = read[1]
    assert [(r["priority"], r["actions"][0]["type"]) for r in listener["rules"]] == [
        (10, "forward"), (20, "redirect"), (30, "fixed-response"), (None, "fixed-response")]


def test_the_report_reads_none_of_the_details_the_modules_of_the_run_published(moto_clients):
    built = build(moto_clients)
    params = {"vpc_name": "t-vpc", "security_group_names": ["t-alb-sg", "t-ecs-sg", "t-rds-sg", "t-efs-sg"],
              "load_balancer_name": "t-alb"}
    stack, _missing, _unavailable = discovery.find_stack(moto_clients, params)
    known = discovery.combine(None, stack)
    for module in ("routes", "groups", "nfs", "rules"):
        name = {"routes": "ec2_route_tables", "rules": "elb_listener_rules"}.get(module, "ec2_security_groups")
        known = discovery.after_module(known, FQCN + name, *built[module])
    calls = []
    stack, details, missing = report.gather(recording(moto_clients, calls), dict(params, known=known))
    assert [c for c in calls if c.startswith("ec2:") or c == "elbv2:DescribeRules"] == []
    fresh = report.gather(moto_clients, params)
    assert (stack, details, missing) == fresh
    assert len(details["security_groups"]) == 4 and len(details["route_tables"]) == 2
    # a module's change drops them: the report reads them again
    changed = discovery.after_module(known, FQCN + "elb_listener_rules", {"changed": True, "listener_arn": "x", "rules": []})
    calls.clear()
    assert report.gather(recording(moto_clients, calls), dict(params, known=changed))[1] == fresh[1]
    assert sorted(c for c in calls if c.startswith("ec2:") or c == "elbv2:DescribeRules") == [
        "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "elbv2:DescribeRules"]
