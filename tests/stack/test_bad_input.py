"""Bad input: every case fails before any AWS call, names the variable, and leaves the emulator as it was.

Each case runs the real site.yml from the production inventory with one bad value passed as an
extra var, and reads the emulator's proxy's count of AWS calls before and after the run: not one
call may reach AWS (nothing can have been made). The other cases (teardown unconfirmed, a tier
before its prerequisites, check mode of an empty account) compare the emulator's inventory of
resources before and after, since they may read.
"""

from __future__ import annotations

import pytest

from conftest import run_playbook

GOOD_SERVICES = [
    {"name": "backend", "cpu": 512, "memory": 1024, "port": 8000, "desired_count": 1, "target_group": "backend",
     "data": True, "efs_mount_path": "/app/workspaces"},
    {"name": "frontend", "cpu": 256, "memory": 512, "port": 3000, "desired_count": 1, "target_group": "frontend",
     "public_api_url": True},
]


def services(**changes):
    out = [dict(s) for s in GOOD_SERVICES]
    out[0].update(changes)
    return out


RULES = [
    {"name": "api", "priority": 10, "path_patterns": ["/api/*"], "target_group": "backend"},
    {"name": "admin", "priority": 20, "path_patterns": ["/admin/*"], "target_group": "backend"},
]

# (case id, extra vars, [strings the error must contain])
CASES = [
    ("malformed-cidr", {"network_vpc_cidr": "10.0.0.300/16"}, ["network_vpc_cidr", "not a valid IPv4 CIDR"]),
    ("cidr-host-bits", {"network_public_subnet_cidrs": ["10.0.1.5/24", "10.0.2.0/24"]}, ["network_public_subnet_cidrs", "host bits"]),
    ("subnet-outside-vpc", {"network_public_subnet_cidrs": ["10.1.1.0/24", "10.0.2.0/24"]}, ["network_public_subnet_cidrs", "outside the VPC"]),
    ("overlapping-subnets", {"network_private_subnet_cidrs": ["10.0.1.0/25", "10.0.12.0/24"]}, ["network_private_subnet_cidrs", "overlaps"]),
    ("subnet-az-count", {"network_availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"]}, ["network_public_subnet_cidrs", "one subnet per zone"]),
    ("az-outside-region", {"network_availability_zones": ["us-west-2a", "us-west-2b"]}, ["network_availability_zones", "not a zone of region us-east-1"]),
    ("duplicate-az", {"network_availability_zones": ["us-east-1a", "us-east-1a"]}, ["network_availability_zones", "listed twice"]),
    ("missing-region", {"aws_region": ""}, ["aws_region"]),
    ("fargate-cpu-memory", {"ecs_services_services": services(cpu=512, memory=512)}, ["ecs_services_services", "not a valid Fargate pair"]),
    ("fargate-cpu", {"ecs_services_services": services(cpu=300)}, ["ecs_services_services", "not a Fargate size"]),
    ("container-port-range", {"ecs_services_services": services(port=70000)}, ["ecs_services_services", "out of range"]),
    ("target-group-port-range", {"alb_target_groups": [{"name": "backend", "port": 0}, {"name": "frontend", "port": 3000}]}, ["alb_target_groups", "out of range"]),
    ("alb-name-too-long", {"stack_alb_name": "a-load-balancer-name-of-more-than-32-chars"}, ["stack_alb_name", "1-32"]),
    ("target-group-name-too-long", {"alb_target_groups": [{"name": "backend-with-a-very-long-name-indeed", "port": 8000}, {"name": "frontend", "port": 3000}],
                                    "alb_rules": [], "alb_default_target_group": "frontend"}, ["alb_target_groups", "32"]),
    ("too-many-path-values", {"alb_rules": [dict(RULES[0], path_patterns=["/a/*", "/b/*", "/c/*", "/d/*", "/e/*", "/f/*"])]}, ["alb_rules", "path values"]),
    ("same-path-twice", {"alb_rules": [RULES[0], dict(RULES[1], path_patterns=["/api/*"])]}, ["alb_rules", "/api/*", "two rules"]),
    ("priority-out-of-range", {"alb_rules": [dict(RULES[0], priority=50001), RULES[1]]}, ["alb_rules", "priority 50001", "1-50000"]),
    ("duplicate-priority", {"alb_rules": [RULES[0], dict(RULES[1], priority=10)]}, ["alb_rules", "same priority"]),
    ("rule-unknown-target-group", {"alb_rules": [dict(RULES[0], target_group="worker")]}, ["alb_rules", "worker"]),
    ("rds-storage-below-minimum", {"data_rds_allocated_storage": 10}, ["data_rds_allocated_storage", "20"]),
    ("rds-engine-version-format", {"data_rds_engine_version": "sixteen"}, ["data_rds_engine_version", "not an engine version"]),
    ("efs-throughput-mode-choice", {"data_efs_throughput_mode": "fast"}, ["data_efs_throughput_mode", "must be one of", "elastic"]),
    ("redis-node-type", {"data_redis_node_type": "db.t3.micro"}, ["data_redis_node_type", "not a cache node type"]),
    ("redis-failover-one-node", {"data_redis_automatic_failover": True}, ["data_redis_automatic_failover", "2 or more"]),
    ("negative-desired-count", {"ecs_services_services": services(desired_count=-1)}, ["desired_count", "negative"]),
    ("log-retention", {"ecs_services_log_retention_days": 45}, ["ecs_services_log_retention_days", "not a retention CloudWatch accepts"]),
    ("empty-service-list", {"ecs_services_services": []}, ["ecs_services_services", "empty"]),
    ("monitoring-period", {"monitoring_period": 45}, ["monitoring_period"]),
]


def inventory_of(emu) -> dict:
    """Everything of this stack's kinds the emulator holds (ids/names), for before/after comparison."""
    ec2, elb, ecs = emu.client("ec2"), emu.client("elbv2"), emu.client("ecs")
    return {
        "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        "subnets": sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
        "security_groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
        "internet_gateways": sorted(g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]),
        "nat_gateways": sorted(n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"]),
        "addresses": sorted(a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]),
        "route_tables": sorted(r["RouteTableId"] for r in ec2.describe_route_tables()["RouteTables"]),
        "load_balancers": sorted(lb["LoadBalancerArn"] for lb in elb.describe_load_balancers()["LoadBalancers"]),
        "target_groups": sorted(t["TargetGroupArn"] for t in elb.describe_target_groups()["TargetGroups"]),
        "clusters": sorted(ecs.list_clusters()["clusterArns"]),
        "db_instances": sorted(d["DBInstanceIdentifier"] for d in emu.client("rds").describe_db_instances()["DBInstances"]),
        "caches": sorted(g["ReplicationGroupId"] for g in emu.client("elasticache").describe_replication_groups()["ReplicationGroups"]),
        "file_systems": sorted(f["FileSystemId"] for f in emu.client("efs").describe_file_systems()["FileSystems"]),
        "repositories": sorted(r["repositoryName"] for r in emu.client("ecr").describe_repositories()["repositories"]),
        "secrets": sorted(s["Name"] for s in emu.client("secretsmanager").list_secrets()["SecretList"]),
        "log_groups": sorted(g["logGroupName"] for g in emu.client("logs").describe_log_groups()["logGroups"]),
        "alarms": sorted(a["AlarmName"] for a in emu.client("cloudwatch").describe_alarms()["MetricAlarms"]),
        "topics": sorted(t["TopicArn"] for t in emu.client("sns").list_topics()["Topics"]),
        "roles": sorted(r["RoleName"] for r in emu.client("iam").list_roles()["Roles"]),
    }


def test_the_call_count_counts(emulator):
    """The count the cases below stand on sees a call (so "no call" is not a counter that never moves)."""
    before = emulator.aws_calls()
    emulator.client("ec2").describe_vpcs()
    emulator.client("elbv2").describe_load_balancers()
    assert emulator.aws_calls() == before + 2


@pytest.mark.parametrize("extra_vars,expected", [pytest.param(v, e, id=i) for i, v, e in CASES])
def test_bad_input_fails_before_any_api_call(emulator, extra_vars, expected):
    before = emulator.aws_calls()
    run = run_playbook(emulator, "site.yml", extra_vars=extra_vars)
    assert run.rc != 0, run
    for text in expected:
        assert text in run.out, f"expected {text!r} in the error\n{run}"
    assert "TASK [apranova.aws_stack.network : Create the VPC]" not in run.out, run
    assert emulator.aws_calls() == before, f"the run called AWS before it failed\n{run}"


def test_bad_input_makes_no_call_at_all(emulator):
    """With the endpoint pointing at a closed port, the preflight message still comes first."""
    from conftest import Emulator
    dead = Emulator(port=1)  # nothing listens on port 1
    run = run_playbook(dead, "site.yml", extra_vars={"network_vpc_cidr": "300.0.0.0/16"})
    assert run.rc != 0
    assert "network_vpc_cidr" in run.out and "Could not connect" not in run.out, run


def test_at_least_twenty_cases():
    assert len(CASES) >= 20


def test_teardown_without_confirmation_changes_nothing(aws):
    run_playbook(aws, "playbooks/network.yml")
    before = inventory_of(aws)
    run = run_playbook(aws, "playbooks/teardown.yml")
    assert run.rc != 0, run
    assert "confirm_teardown=production" in run.out, run
    assert inventory_of(aws) == before


def test_tier_needs_its_prerequisites(aws):
    """Against an empty emulator, --tags alb fails at once and names the tier to run first."""
    before = inventory_of(aws)
    run = run_playbook(aws, "site.yml", tags="alb")
    assert run.rc != 0, run
    assert "--tags network" in run.out, run
    assert inventory_of(aws) == before
    # the services need more than one tier: all of them are named, in the order they are built
    run = run_playbook(aws, "site.yml", tags="ecs_services")
    assert run.rc != 0, run
    assert "--tags network,registry,data,alb` first" in run.out, run
    assert inventory_of(aws) == before


def test_check_mode_of_an_empty_account_ends_each_tier_that_needs_another(aws):
    """``--check`` before anything is built: each tier that stands on another says so and ends; nothing is made."""
    before = inventory_of(aws)
    run = run_playbook(aws, "site.yml", check=True, args=["--skip-tags", "report"])
    assert run.rc == 0, run
    said = " ".join(run.out.split())  # the YAML callback folds long messages
    for tier, after in (("alb", "network tier"), ("data", "network tier"), ("ecs_services", "network, registry, data, alb tiers")):
        assert "the %s tier would be built after the %s" % (tier, after) in said, run
    assert inventory_of(aws) == before
