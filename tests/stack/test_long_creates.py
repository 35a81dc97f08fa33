"""Issue 8: every long create is requested before the run waits on any of them.

moto makes every resource ready at once, which would hide the order. scripts/aws_proxy.py in its
AWS-lifecycle mode (--aws-model --time-scale 0.1, which test_faults.AwsProxy's slow_creates=True
asks for as --slow-creates) plays AWS's timing instead, from the clock alone: NAT gateways stay
pending, the DB instance and the replication group creating without endpoint addresses, the load
balancer provisioning, mount targets creating and service rollouts in progress for a tenth of
AWS's durations (scripts/aws_model.py): 42 s for the DB instance and the replication group, so
they are still creating when the end-of-run wait starts. The calls a module makes inside wait_for are marked in their
User-Agent (module_utils/base.py) and logged as waits; the model does not look at that mark.

A cold site.yml through it must
- issue CreateNatGateway, CreateDBInstance, CreateReplicationGroup, CreateMountTarget,
  CreateLoadBalancer and both CreateService calls before the first wait call on any of them;
- still build the whole stack: the private route through the NAT gateway (added after its wait),
  the backend with the database and Redis addresses in its environment (it was created at 0 tasks
  on a revision without them, which the end-of-run wait replaced), desired count 1, one ACTIVE
  revision per family;
- and a rerun reports changed=0.
"""

from __future__ import annotations

import pytest

from conftest import run_playbook

from .stack_checks import check_stack, inventory_values
from .test_faults import AwsProxy

LONG_CREATES = {
    ("ec2", "CreateNatGateway"): "nat",
    ("rds", "CreateDBInstance"): "db",
    ("elasticache", "CreateReplicationGroup"): "cache",
    ("elasticfilesystem", "POST /2015-02-01/mount-targets"): "mount_target",
    ("elasticloadbalancing", "CreateLoadBalancer"): "alb",
    ("ecs", "CreateService"): "service",
}
SLOW_SERVICES = {"ec2", "rds", "elasticache", "elasticloadbalancing", "ecs", "elasticfilesystem"}


@pytest.fixture
def slow_proxy(aws, tmp_path):
    proxy = AwsProxy(aws.url, tmp_path / "calls.jsonl", slow_creates=True).start()
    yield proxy
    proxy.stop()


def test_every_long_create_is_requested_before_the_first_wait(aws, slow_proxy, tmp_path):
    extra = {"report_dir": str(tmp_path / "reports" / "production")}
    env = {"AWS_ENDPOINT_URL": slow_proxy.url}
    first = run_playbook(aws, "site.yml", extra_vars=extra, env=env, args=["--skip-tags", "report"], timeout=1800)
    assert first.rc == 0, first
    calls = slow_proxy.calls()

    creates = [(i, LONG_CREATES[(c["service"], c["action"])]) for i, c in enumerate(calls)
               if (c["service"], c["action"]) in LONG_CREATES and c["status"] < 400]
    kinds = sorted({k for _i, k in creates})
    assert kinds == sorted(set(LONG_CREATES.values())), f"long creates seen: {creates}"
    assert sum(1 for _i, k in creates if k == "service") == 2
    waits = [(i, c) for i, c in enumerate(calls) if c.get("wait") and c["service"] in SLOW_SERVICES
             and not c["action"].startswith("GET /2015-02-01/file-systems")]  # the file system's own seconds
    assert waits, "no call was marked as a wait: the NAT gateway, DB, cache and ALB were never waited on"
    last_create = max(i for i, _k in creates)
    first_wait = waits[0][0]
    assert last_create < first_wait, (
        "a long create came after a wait: %s at call %d, first wait %s at call %d"
        % (calls[last_create]["action"], last_create, calls[first_wait]["action"], first_wait))
    # the run really waited for what was still coming up: the DB instance (42 s). The replication
    # group, created with it and as long to create, is ready when that wait ends, and a NAT gateway
    # (9 s) or a load balancer (15 s) may be ready before the wait starts, as on AWS.
    assert "rds" in {c["service"] for _i, c in waits}
    # (AWS accepts a route to a pending NAT gateway, and so does the model: issue 13 item 7)
    assert "0 tasks" in first.out, "the backend was not held at 0 tasks while the data tier had no address"

    inv = inventory_values("production")
    assert check_stack(aws.client, inv) == []
    ecs = aws.client("ecs")
    backend = ecs.describe_services(cluster=f"{inv['env']}-cluster", services=["backend"])["services"][0]
    assert backend["desiredCount"] == 1
    td = ecs.describe_task_definition(taskDefinition=backend["taskDefinition"])["taskDefinition"]
    env_vars = {e["name"]: e["value"] for e in td["containerDefinitions"][0]["environment"]}
    db = aws.client("rds").describe_db_instances(DBInstanceIdentifier=f"{inv['env']}-apranova-db")["DBInstances"][0]
    assert env_vars["DB_HOST"] == db["Endpoint"]["Address"]
    assert env_vars.get("REDIS_HOST"), env_vars
    for family in (f"{inv['env']}-backend", f"{inv['env']}-frontend"):
        assert len(ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]) == 1, family
    private = [t for t in aws.client("ec2").describe_route_tables()["RouteTables"]
               if any(r.get("NatGatewayId") and r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in t["Routes"])]
    assert private, "no route table sends 0.0.0.0/0 through the NAT gateway"

    second = run_playbook(aws, "site.yml", extra_vars=extra, env=env, args=["--skip-tags", "report"], timeout=1800)
    assert second.rc == 0 and second.changed == 0, second
