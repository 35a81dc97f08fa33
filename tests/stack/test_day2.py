"""Day-2 operations on a converged production stack (issues 3, 4 and 5).

One stack per file (module fixture ``stack``: wipe the session's emulator, run site.yml once);
the tests run in file order and each starts from the state the previous one left:

5. drift made with boto3 behind Ansible's back (port 22 on the rds group, the backend's desired
   count, a deleted listener rule, an edited alarm threshold) is reported by ``--check --diff``
   without being touched, repaired by the next run, and the run after reports changed=0;
6. a deploy (``--tags ecs_services -e backend_image_tag=v42``) registers one new backend revision
   and points the backend service at it, leaving the frontend alone;
7. listener rules given through ``-e alb_rules``: a moved priority, a rule with three paths, a
   removed rule, each converging in one run and read back exactly;
8. data changes (Redis node type, RDS storage, EFS mount-target zones): each changes exactly that;
issue 17: a Redis security group changed behind Ansible's back, and a new Redis engine version in
the inventory, are reported by ``--check --diff`` like any other drift (AWS reports both on the
replication group's member clusters, which the harness's model of AWS serves).

Every site.yml run skips the architecture report and the printed summary (``--skip-tags
report,summary``): both only read the stack back, are tested by test_stack.py and test_report.py,
and cost ~20-30 s a run. Under xdist run the stack files with ``--dist loadfile``.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import run_playbook

from .stack_checks import check_stack, inventory_values
from .test_bad_input import RULES

ENV = "production"
SKIP_REPORT = ["--skip-tags", "report,summary"]


# --- helpers -------------------------------------------------------------------------------------

def site(emu, **kw):
    kw["args"] = SKIP_REPORT + kw.get("args", [])
    return run_playbook(emu, "site.yml", **kw)


def section(run, fragment: str) -> str:
    return "".join(text for name, text in run.task_sections() if fragment in name)


def rds_sg_ingress(emu) -> set:
    groups = emu.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"{ENV}-rds-sg", f"{ENV}-ecs-sg"]}])["SecurityGroups"]
    ids = {g["GroupName"]: g["GroupId"] for g in groups}
    rds = [g for g in groups if g["GroupName"] == f"{ENV}-rds-sg"][0]
    out = set()
    for p in rds["IpPermissions"]:
        for r in p.get("IpRanges", []):
            out.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"]))
        for r in p.get("UserIdGroupPairs", []):
            source = "ecs-sg" if r["GroupId"] == ids[f"{ENV}-ecs-sg"] else r["GroupId"]
            out.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), source))
    return out


def service(emu, name) -> dict:
    return emu.client("ecs").describe_services(cluster=f"{ENV}-cluster", services=[name])["services"][0]


def task_definition(emu, arn) -> dict:
    return emu.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]


def http_listener(emu) -> str:
    elb = emu.client("elbv2")
    lb = elb.describe_load_balancers(Names=[f"{ENV}-alb"])["LoadBalancers"][0]
    return [x for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"] if x["Port"] == 80][0]["ListenerArn"]


def listener_rules(emu) -> set:
    """The :80 listener's non-default rules as {(priority, (paths...), target group name)}."""
    elb = emu.client("elbv2")
    tgs = {t["TargetGroupArn"]: t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]}
    out = set()
    for r in elb.describe_rules(ListenerArn=http_listener(emu))["Rules"]:
        if r["IsDefault"]:
            continue
        paths = []
        for cond in r["Conditions"]:
            paths += (cond.get("PathPatternConfig") or {}).get("Values") or cond.get("Values") or []
        out.add((int(r["Priority"]), tuple(sorted(paths)), tgs.get(r["Actions"][0].get("TargetGroupArn"))))
    return out


def alarm(emu, name) -> dict:
    return emu.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


# --- the stack -----------------------------------------------------------------------------------

def converged(emulator):
    """Wipe the emulator, build the production stack and check it; returns the emulator."""
    emulator.reset()
    run = site(emulator)
    assert run.rc == 0, run
    problems = check_stack(emulator.client, inventory_values(ENV))
    assert problems == [], "\n".join(problems)
    return emulator


@pytest.fixture(scope="module")
def stack(emulator):
    return converged(emulator)


# --- 5. drift ------------------------------------------------------------------------------------

DB_CPU_ALARM = f"{ENV}-apranova-db-cpu"
ALARM_KEYS = ["AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
              "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "Dimensions", "Period",
              "EvaluationPeriods", "DatapointsToAlarm", "ComparisonOperator", "TreatMissingData", "Unit"]


def make_drift(emu):
    """Four changes behind Ansible's back, made with boto3."""
    ec2 = emu.client("ec2")
    rds_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{ENV}-rds-sg"]}])["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(GroupId=rds_sg["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    emu.client("ecs").update_service(cluster=f"{ENV}-cluster", service="backend", desiredCount=3)
    elb = emu.client("elbv2")
    admin = [r for r in elb.describe_rules(ListenerArn=http_listener(emu))["Rules"]
             if "/admin/*" in json.dumps(r["Conditions"])]
    assert len(admin) == 1, "the stack has no /admin/* rule to delete"
    elb.delete_rule(RuleArn=admin[0]["RuleArn"])
    current = alarm(emu, DB_CPU_ALARM)
    kwargs = {k: current[k] for k in ALARM_KEYS if k in current}
    emu.client("cloudwatch").put_metric_alarm(Threshold=95.0, **kwargs)


def drift_state(emu) -> dict:
    return {
        "rds_sg": rds_sg_ingress(emu),
        "backend_desired": service(emu, "backend")["desiredCount"],
        "rules": listener_rules(emu),
        "db_cpu_threshold": alarm(emu, DB_CPU_ALARM)["Threshold"],
    }


GOOD = {
    "rds_sg": {("tcp", 5432, 5432, "ecs-sg")},
    "backend_desired": 1,
    "rules": {(10, ("/api/*",), f"{ENV}-backend-tg"), (20, ("/admin/*",), f"{ENV}-backend-tg")},
    "db_cpu_threshold": 80.0,
}
DRIFTED = {
    "rds_sg": {("tcp", 5432, 5432, "ecs-sg"), ("tcp", 22, 22, "0.0.0.0/0")},
    "backend_desired": 3,
    "rules": {(10, ("/api/*",), f"{ENV}-backend-tg")},
    "db_cpu_threshold": 95.0,
}

# (what drifted, task name fragment, regexes its --diff output must match)
DRIFT_REPORTS = [
    ("port 22 on the rds group", "Create the chained security groups", [r"^-\s+from_port: 22$", r"^\s+group_name: production-rds-sg$"]),
    ("backend desired count", "Create or update the Fargate services", [r"^-\s+desired_count: 3$", r"^\+\s+desired_count: 1$"]),
    ("deleted /admin/* rule", "Reconcile the path rules", [r"^\+\s+- /admin/\*$", r"^\+\s+name: admin$"]),
    ("alarm threshold", "Reconcile the alarms", [r"^-\s+threshold: 95\.0$", r"^\+\s+threshold: 80\.0$"]),
]


def test_drift_is_reported_repaired_and_then_quiet(stack):
    assert drift_state(stack) == GOOD, "the stack did not start from the inventory's state"
    make_drift(stack)
    assert drift_state(stack) == DRIFTED

    check = site(stack, check=True, diff=True)
    assert check.rc == 0, check
    assert check.changed > 0, check
    changed = check.changed_tasks()
    for what, task, patterns in DRIFT_REPORTS:
        text = section(check, task)
        assert text and re.search(r"^changed: ", text, flags=re.M), \
            f"--check --diff does not report the {what} (task {task!r} not changed); changed tasks: {changed}\n{text}"
        for pattern in patterns:
            assert re.search(pattern, text, flags=re.M), \
                f"--check --diff output of {task!r} does not show the {what} ({pattern!r}):\n{text}"
    assert "Callback dispatch" not in check.out, "a --diff could not be rendered:\n" + check.out[-3000:]
    assert drift_state(stack) == DRIFTED, "--check changed the emulator"

    repair = site(stack)
    assert repair.rc == 0, repair
    assert drift_state(stack) == GOOD, f"not repaired; changed tasks: {repair.changed_tasks()}"
    problems = check_stack(stack.client, inventory_values(ENV))
    assert problems == [], "\n".join(problems)

    quiet = site(stack)
    assert quiet.rc == 0, quiet
    assert quiet.changed == 0, f"changed tasks: {quiet.changed_tasks()}\n{quiet}"


# --- 6. deploy -----------------------------------------------------------------------------------

def test_deploy_a_new_backend_image(stack):
    backend_before = service(stack, "backend")["taskDefinition"]
    frontend_before = service(stack, "frontend")["taskDefinition"]
    frontend_families = stack.client("ecs").list_task_definitions(familyPrefix=f"{ENV}-frontend")["taskDefinitionArns"]

    run = site(stack, tags="ecs_services", extra_vars={"backend_image_tag": "v42"})
    assert run.rc == 0, run
    assert run.changed > 0, run

    backend_after = service(stack, "backend")["taskDefinition"]
    assert backend_after != backend_before, "the backend service still runs the old revision"
    old, new = task_definition(stack, backend_before), task_definition(stack, backend_after)
    assert new["family"] == old["family"] == f"{ENV}-backend"
    assert new["revision"] == old["revision"] + 1
    assert new["containerDefinitions"][0]["image"].endswith(":v42"), new["containerDefinitions"][0]["image"]
    assert old["containerDefinitions"][0]["image"].endswith(":latest")
    # the rest of the task definition is as it was
    strip = ("taskDefinitionArn", "revision", "registeredAt", "registeredBy", "containerDefinitions")
    assert {k: v for k, v in new.items() if k not in strip} == {k: v for k, v in old.items() if k not in strip}
    assert service(stack, "frontend")["taskDefinition"] == frontend_before
    assert stack.client("ecs").list_task_definitions(familyPrefix=f"{ENV}-frontend")["taskDefinitionArns"] == frontend_families
    assert task_definition(stack, frontend_before)["containerDefinitions"][0]["image"].endswith(":latest")

    again = site(stack, tags="ecs_services", extra_vars={"backend_image_tag": "v42"})
    assert again.rc == 0, again
    assert again.tiers_ran() == ["ecs_services"], again
    assert again.changed == 0, f"changed tasks: {again.changed_tasks()}\n{again}"
    assert service(stack, "backend")["taskDefinition"] == backend_after


# --- 7. listener rules ---------------------------------------------------------------------------

def _rules(api_paths, admin_priority=None):
    api = dict(RULES[0], path_patterns=api_paths)
    out = [api]
    if admin_priority is not None:
        out.append(dict(RULES[1], priority=admin_priority))
    return out


BE = f"{ENV}-backend-tg"
THREE_PATHS = ["/api/*", "/graphql/*", "/ws/*"]
RULE_STEPS = [
    pytest.param(_rules(["/api/*"], 30), {(10, ("/api/*",), BE), (30, ("/admin/*",), BE)}, id="move-admin-20-to-30"),
    pytest.param(_rules(THREE_PATHS, 30), {(10, tuple(sorted(THREE_PATHS)), BE), (30, ("/admin/*",), BE)}, id="api-gets-three-paths"),
    pytest.param(_rules(THREE_PATHS), {(10, tuple(sorted(THREE_PATHS)), BE)}, id="remove-admin"),
]


@pytest.mark.parametrize("rules,expected", RULE_STEPS)
def test_listener_rules_change_in_one_run(stack, rules, expected):
    before = listener_rules(stack)
    assert before != expected
    run = site(stack, tags="alb", extra_vars={"alb_rules": rules})
    assert run.rc == 0, run
    assert run.changed > 0, run
    assert listener_rules(stack) == expected, f"changed tasks: {run.changed_tasks()}"

    again = site(stack, tags="alb", extra_vars={"alb_rules": rules})
    assert again.rc == 0, again
    assert again.tiers_ran() == ["alb"], again
    assert again.changed == 0, f"changed tasks: {again.changed_tasks()}\n{again}"
    assert listener_rules(stack) == expected


# --- 8. data changes -----------------------------------------------------------------------------

def data_state(emu) -> dict:
    rds, ec, efs, ec2 = emu.client("rds"), emu.client("elasticache"), emu.client("efs"), emu.client("ec2")
    db = rds.describe_db_instances(DBInstanceIdentifier=f"{ENV}-apranova-db")["DBInstances"][0]
    cache = ec.describe_replication_groups(ReplicationGroupId=f"{ENV}-redis")["ReplicationGroups"][0]
    fs = [f for f in efs.describe_file_systems()["FileSystems"]
          if {t["Key"]: t["Value"] for t in f.get("Tags", [])}.get("Name") == f"{ENV}-efs"]
    assert len(fs) == 1
    fs_id = fs[0]["FileSystemId"]
    mts = efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    zones = {s["SubnetId"]: s["AvailabilityZone"] for s in ec2.describe_subnets(SubnetIds=[m["SubnetId"] for m in mts])["Subnets"]} if mts else {}
    return {
        "db_arn": db["DBInstanceArn"],
        "db_instance_class": db["DBInstanceClass"],
        "db_allocated_storage": db["AllocatedStorage"],
        "db_engine_version": db["EngineVersion"],
        "cache_arn": cache["ARN"],
        "redis_node_type": cache["CacheNodeType"],
        "file_system_id": fs_id,
        "mount_target_azs": sorted(zones[m["SubnetId"]] for m in mts),
        "access_points": sorted(a["AccessPointId"] for a in efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]),
    }


# Each step adds one variable to the previous steps' (dropping one would revert that change).
DATA_STEPS = [
    ({"data_redis_node_type": "cache.t3.small"}, {"redis_node_type": "cache.t3.small"}),
    ({"data_rds_allocated_storage": 30}, {"db_allocated_storage": 30}),
    ({"data_efs_mount_target_azs": ["us-east-1a"]}, {"mount_target_azs": ["us-east-1a"]}),
]


def test_data_changes_change_exactly_that(stack):
    state = data_state(stack)
    assert (state["redis_node_type"], state["db_allocated_storage"], state["mount_target_azs"]) == \
        ("cache.t3.micro", 20, ["us-east-1a", "us-east-1b"])
    extra = {}
    for step_vars, expected in DATA_STEPS:
        extra.update(step_vars)
        before = data_state(stack)
        run = site(stack, tags="data", extra_vars=extra)
        assert run.rc == 0, run
        assert run.changed > 0, f"{step_vars}: nothing changed\n{run}"
        after = data_state(stack)
        diff = {k: v for k, v in after.items() if v != before[k]}
        assert diff == expected, f"{step_vars} changed {diff}; changed tasks: {run.changed_tasks()}"

        again = site(stack, tags="data", extra_vars=extra)
        assert again.rc == 0, again
        assert again.tiers_ran() == ["data"], again
        assert again.changed == 0, f"{step_vars}: changed tasks on the rerun: {again.changed_tasks()}\n{again}"
        assert data_state(stack) == after


# --- issue 17: Redis attributes read from its member clusters ------------------------------------

def redis_member(emu) -> dict:
    ec = emu.client("elasticache")
    group = ec.describe_replication_groups(ReplicationGroupId=f"{ENV}-redis")["ReplicationGroups"][0]
    return ec.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"][0]


def sg_id(emu, name) -> str:
    return emu.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"][0]["GroupId"]


# the inventory as the data changes above left it (a run without them would undo them)
AFTER_DATA_STEPS = {k: v for step_vars, _expected in DATA_STEPS for k, v in step_vars.items()}


def test_redis_security_group_and_engine_version_drift_is_reported(stack):
    """The Redis security groups and engine version are compared (AWS reports them on the member
    clusters; moto alone cannot describe those, the harness's model serves them as AWS does)."""
    extra = dict(AFTER_DATA_STEPS)
    redis_sg, ecs_sg = sg_id(stack, f"{ENV}-redis-sg"), sg_id(stack, f"{ENV}-ecs-sg")
    assert [g["SecurityGroupId"] for g in redis_member(stack)["SecurityGroups"]] == [redis_sg]
    stack.client("elasticache").modify_replication_group(
        ReplicationGroupId=f"{ENV}-redis", SecurityGroupIds=[ecs_sg], ApplyImmediately=True)
    assert [g["SecurityGroupId"] for g in redis_member(stack)["SecurityGroups"]] == [ecs_sg]

    check = site(stack, tags="data", check=True, diff=True, extra_vars=extra)
    assert check.rc == 0, check
    text = section(check, "Request the Redis replication group")
    assert re.search(r"^changed: ", text, flags=re.M), f"the security group drift is not reported:\n{text}"
    assert "could not read" not in check.out.lower() and "cannot be described" not in check.out
    assert re.search(r"^-\s+- %s$" % ecs_sg, text, flags=re.M) and re.search(r"^\+\s+- %s$" % redis_sg, text, flags=re.M), text
    assert [g["SecurityGroupId"] for g in redis_member(stack)["SecurityGroups"]] == [ecs_sg], "--check changed the group"

    repair = site(stack, tags="data", extra_vars=extra)
    assert repair.rc == 0, repair
    assert [g["SecurityGroupId"] for g in redis_member(stack)["SecurityGroups"]] == [redis_sg]
    quiet = site(stack, tags="data", extra_vars=extra)
    assert quiet.tiers_ran() == ["data"], quiet
    assert quiet.rc == 0 and quiet.changed == 0, f"changed tasks: {quiet.changed_tasks()}\n{quiet}"

    version = redis_member(stack)["EngineVersion"]
    check = site(stack, tags="data", check=True, diff=True, extra_vars=dict(extra, data_redis_engine_version="7.2"))
    assert check.rc == 0, check
    text = section(check, "Request the Redis replication group")
    assert re.search(r"^changed: ", text, flags=re.M), f"the engine version change is not reported:\n{text}"
    assert re.search(r"^-\s+engine_version: '?%s'?$" % re.escape(version), text, flags=re.M), text
    assert re.search(r"^\+\s+engine_version: '?7\.2'?$", text, flags=re.M), text
    assert redis_member(stack)["EngineVersion"] == version, "--check changed the engine version"
