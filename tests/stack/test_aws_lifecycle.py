"""The stack through the harness's model of AWS's lifecycle (issue 13).

moto makes every resource ready at once and deletes it at once; AWS does neither. These tests run
the real playbooks against moto behind ``scripts/aws_proxy.py --aws-model`` at a time scale that
plays AWS's durations fast (a DB instance creates for ~7 AWS minutes, deletes for ~5; a NAT gateway
deletes for a minute; a load balancer's network interfaces stay for ~90 s after it is gone, ...),
with list answers in pages of two, and with the model's refusals of dependants while a parent is
still creating or deleting (docs/aws-behaviour.md lists each behaviour, its source and its test):

1. a cold build requests every long create (NAT gateway, DB instance, replication group, mount
   targets, load balancer, services) before it waits on any of them, really waits (the DB instance
   is still creating when the end-of-run wait starts), builds the whole stack (the backend,
   created at 0 tasks while the data tier had no address, gets the DB and Redis addresses; one
   ACTIVE revision per family; the private route through the NAT gateway) and reruns with
   changed=0;
2. after AWS applied a minor version upgrade to the DB instance, a rerun passes with changed=0;
3. a confirmed teardown leaves only what the data policy keeps, and a second teardown passes;
4. a rerun started while the first, interrupted build's DB instance and cache are still creating
   converges;
5. a teardown of a build killed half-way (its DB and cache still creating) leaves only what the
   data policy keeps.

Every check reads the model's answers (what AWS would say), without its small pages. The calls a
module makes inside ``wait_for`` are marked in their User-Agent (module_utils/base.py) and logged
as waits by the proxy; the model itself does not look at that mark.
"""

from __future__ import annotations

import json
import signal
import urllib.request

import pytest

from conftest import Emulator, run_playbook

from .stack_checks import check_stack, inventory_values
from .test_interrupt import Point, interrupted_run
from .test_teardown import GONE, remains

ENV = "production"
SKIP = ["--skip-tags", "report,summary"]
UNPROTECT = {"confirm_teardown": ENV, "teardown_disable_deletion_protection": True}
# The model's AWS durations x this: a DB instance and a replication group create for 42 s and
# delete for 30 s, a NAT gateway deletes for 6 s, a load balancer's interfaces stay 9 s.
SCALE = 0.1
PAGES = ["--page-size", "2"]
LONG_CREATES = {
    ("ec2", "CreateNatGateway"): "nat",
    ("rds", "CreateDBInstance"): "db",
    ("elasticache", "CreateReplicationGroup"): "cache",
    ("elasticfilesystem", "POST /2015-02-01/mount-targets"): "mount_target",
    ("elasticloadbalancing", "CreateLoadBalancer"): "alb",
    ("ecs", "CreateService"): "service",
}
SLOW_SERVICES = {"ec2", "rds", "elasticache", "elasticloadbalancing", "ecs", "elasticfilesystem"}


def site(emu, **kw):
    return run_playbook(emu, "site.yml", args=SKIP, timeout=1800, **kw)


def teardown(emu, extra_vars=UNPROTECT):
    return run_playbook(emu, "playbooks/teardown.yml", extra_vars=extra_vars, timeout=1800)


def left_behind(emu) -> dict:
    """What the stack still has after a teardown, less what a teardown keeps by default."""
    left = remains(emu)
    return {kind: left[kind] for kind in GONE if left[kind]}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    log = tmp_path_factory.mktemp("model") / "calls.jsonl"
    emu = Emulator(time_scale=SCALE, proxy_args=PAGES + ["--log", str(log)]).start()
    emu.calls_log = log
    yield emu
    emu.stop()


@pytest.fixture
def slow_model():
    emu = Emulator(time_scale=SCALE, proxy_args=PAGES).start()
    yield emu
    emu.stop()


def calls_since(log, start: int) -> list[dict]:
    lines = log.read_text().splitlines()
    return [json.loads(x) for x in lines[start:]]


def assert_long_creates_before_waits(calls: list[dict]) -> None:
    creates = [(i, LONG_CREATES[(c["service"], c["action"])]) for i, c in enumerate(calls)
               if (c["service"], c["action"]) in LONG_CREATES and c["status"] < 400]
    kinds = sorted({k for _i, k in creates})
    assert kinds == sorted(set(LONG_CREATES.values())), f"long creates seen: {creates}"
    assert sum(1 for _i, k in creates if k == "service") == 2
    waits = [(i, c) for i, c in enumerate(calls) if c.get("wait") and c["service"] in SLOW_SERVICES
             and not c["action"].startswith("GET /2015-02-01/file-systems")]  # the file system's own seconds
    assert waits, "no call was marked as a wait: nothing was waited on"
    last_create, first_wait = max(i for i, _k in creates), waits[0][0]
    assert last_create < first_wait, (
        "a long create came after a wait: %s at call %d, first wait %s at call %d"
        % (calls[last_create]["action"], last_create, calls[first_wait]["action"], first_wait))
    # the run really waited for what was still coming up: the DB instance (42 s); the NAT gateway
    # or the load balancer may be ready before the wait starts, as on AWS
    assert "rds" in {c["service"] for _i, c in waits}


def test_cold_build_converges_and_reruns_unchanged(model):
    model.reset()
    start = len(model.calls_log.read_text().splitlines())
    first = site(model)
    assert first.rc == 0, str(first)
    assert_long_creates_before_waits(calls_since(model.calls_log, start))
    assert "0 tasks" in first.out, "the backend was not held at 0 tasks while the data tier had no address"

    inv = inventory_values(ENV)
    assert check_stack(model.client, inv) == []
    ecs = model.client("ecs")
    backend = ecs.describe_services(cluster=f"{ENV}-cluster", services=["backend"])["services"][0]
    assert backend["desiredCount"] == 1 and backend["runningCount"] == 1
    td = ecs.describe_task_definition(taskDefinition=backend["taskDefinition"])["taskDefinition"]
    env_vars = {e["name"]: e["value"] for e in td["containerDefinitions"][0]["environment"]}
    db = model.client("rds").describe_db_instances(DBInstanceIdentifier=f"{ENV}-apranova-db")["DBInstances"][0]
    assert env_vars["DB_HOST"] == db["Endpoint"]["Address"] and env_vars.get("REDIS_HOST"), env_vars
    for family in (f"{ENV}-backend", f"{ENV}-frontend"):
        assert len(ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]) == 1, family
    private = [t for t in model.client("ec2").describe_route_tables()["RouteTables"]
               if any(r.get("NatGatewayId") and r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in t["Routes"])]
    assert private, "no route table sends 0.0.0.0/0 through the NAT gateway"

    again = site(model)
    assert again.rc == 0 and again.changed == 0, str(again)


def test_rerun_after_aws_upgraded_the_db_minor_version(model):
    rds = model.client("rds")
    before = rds.describe_db_instances(DBInstanceIdentifier=f"{ENV}-apranova-db")["DBInstances"][0]["EngineVersion"]
    req = urllib.request.Request(model.url + "/aws-model/rds-minor-upgrade", method="POST")
    upgraded = json.loads(urllib.request.urlopen(req, timeout=60).read())
    after = rds.describe_db_instances(DBInstanceIdentifier=f"{ENV}-apranova-db")["DBInstances"][0]["EngineVersion"]
    assert after != before and after.split(".")[0] == before.split(".")[0], (before, after, upgraded)

    run = site(model)
    assert run.rc == 0 and run.changed == 0, str(run)
    now = rds.describe_db_instances(DBInstanceIdentifier=f"{ENV}-apranova-db")["DBInstances"][0]["EngineVersion"]
    assert now == after, "the run tried to take the DB back to the inventory's minor version"


def test_confirmed_teardown_then_a_second_one(model):
    run = teardown(model)
    assert run.rc == 0 and run.failed == 0, str(run)
    assert left_behind(model) == {}
    left = remains(model)
    assert [s for s in left["db_final_snapshots"] if s.startswith(f"{ENV}-apranova-db")], left["db_final_snapshots"]
    assert left["file_systems"] == [f"{ENV}-efs"] and left["secrets"] == [f"{ENV}/apranova-db/master"]

    again = teardown(model)
    assert again.rc == 0 and again.failed == 0 and again.changed == 0, str(again)
    assert left_behind(model) == {}


def _creating(emu) -> dict:
    db = emu.client("rds").describe_db_instances()["DBInstances"]
    cache = emu.client("elasticache").describe_replication_groups()["ReplicationGroups"]
    return {"db": [d["DBInstanceStatus"] for d in db], "cache": [g["Status"] for g in cache]}


def test_rerun_while_the_first_build_is_still_creating(slow_model, tmp_path):
    point = Point("services-requested", ("ecs", "CreateService"), signal.SIGKILL, "ecs_services")
    _at, rc, out, _held = interrupted_run(slow_model, point, tmp_path / "first.out")
    assert rc != 0 and "PLAY RECAP" not in out, out[-3000:]
    state = _creating(slow_model)
    assert state == {"db": ["creating"], "cache": ["creating"]}, f"not a rerun during creation: {state}"

    rerun = site(slow_model)
    assert rerun.rc == 0, str(rerun)
    assert check_stack(slow_model.client, inventory_values(ENV)) == []


def test_teardown_of_a_build_killed_half_way(slow_model, tmp_path):
    point = Point("cache-requested", ("elasticache", "CreateReplicationGroup"), signal.SIGKILL, "data")
    _at, rc, out, _held = interrupted_run(slow_model, point, tmp_path / "killed.out")
    assert rc != 0 and "PLAY RECAP" not in out, out[-3000:]
    state = _creating(slow_model)
    assert state == {"db": ["creating"], "cache": ["creating"]}, f"not a teardown during creation: {state}"

    run = teardown(slow_model)
    assert run.rc == 0 and run.failed == 0, str(run)
    assert left_behind(slow_model) == {}
    again = teardown(slow_model)
    assert again.rc == 0 and again.failed == 0 and again.changed == 0, str(again)
