"""Acceptance of the whole stack on the emulator (issues 2, 3 and 4).

One production stack is built per file (module fixture ``stack``: the session's emulator is wiped,
then ``site.yml -i inventories/production`` runs once) and the tests, in file order, build on it:

1. it converges, ``check_stack`` finds no problem, and the emulator holds exactly one of each
   resource (counted with boto3, by name and in total, so a leaked duplicate shows);
2. a second run reports changed=0, a third and a fourth leave the counts as they were, ``--check``
   reports changed=0 and changes nothing, and each tier alone (``--tags <tier>``) reports changed=0;
3. staging converges beside production in the same emulator, with its own VPC 10.20.0.0/16, and
   leaves production as it was (ids and ``check_stack``); a staging rerun reports changed=0;
(The DB password in -vvv output, log file and report: test_secrets.py.)

Every run writes the architecture report into this file's own temporary ``report_dir``: the default
(``reports/<env>/`` in the checkout) is shared with every other run on the machine, and a guide
rewritten by someone else's stack would show up here as a change.

Order matters (pytest keeps file order); under xdist run the stack files with ``--dist loadfile``
so one worker runs a whole file.
"""

from __future__ import annotations


import pytest
import yaml

from conftest import run_playbook

from .stack_checks import check_stack, inventory_values
from .test_bad_input import inventory_of

PRODUCTION = "inventories/production"
STAGING = "inventories/staging"
TIERS = ["network", "registry", "data", "alb", "ecs_services", "monitoring"]


# --- reading the emulator ------------------------------------------------------------------------

def _name(tags):
    return {t["Key"]: t["Value"] for t in tags or []}.get("Name")


def counts(emu, env: str) -> dict:
    """How many of each resource of the ``env`` stack the emulator holds, found by name."""
    ec2 = emu.client("ec2")
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if _name(v.get("Tags")) == f"{env}-vpc"]
    out = {"vpcs": len(vpcs)}
    vpc_ids = [v["VpcId"] for v in vpcs]
    flt = [{"Name": "vpc-id", "Values": vpc_ids}]
    out["subnets"] = len(ec2.describe_subnets(Filters=flt)["Subnets"]) if vpc_ids else 0
    out["internet_gateways"] = len(ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": vpc_ids}])["InternetGateways"]) if vpc_ids else 0
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"]
            if n.get("VpcId") in vpc_ids and n["State"] in ("pending", "available")]
    out["nat_gateways"] = len(nats)
    nat_allocations = {a["AllocationId"] for n in nats for a in n.get("NatGatewayAddresses", [])}
    out["elastic_ips"] = len([a for a in ec2.describe_addresses()["Addresses"]
                              if a["AllocationId"] in nat_allocations or (_name(a.get("Tags")) or "").startswith(f"{env}-")])
    out["load_balancers"] = len([lb for lb in emu.client("elbv2").describe_load_balancers()["LoadBalancers"]
                                 if lb["LoadBalancerName"] == f"{env}-alb"])
    out["db_instances"] = len([d for d in emu.client("rds").describe_db_instances()["DBInstances"]
                               if d["DBInstanceIdentifier"] == f"{env}-apranova-db"])
    out["redis"] = len([g for g in emu.client("elasticache").describe_replication_groups()["ReplicationGroups"]
                        if g["ReplicationGroupId"] == f"{env}-redis" and g["Status"] != "deleting"])
    efs = emu.client("efs")
    fss = [f for f in efs.describe_file_systems()["FileSystems"] if _name(f.get("Tags")) == f"{env}-efs"]
    out["file_systems"] = len(fss)
    out["mount_targets"] = sum(len(efs.describe_mount_targets(FileSystemId=f["FileSystemId"])["MountTargets"]) for f in fss)
    return out


def totals(emu) -> dict:
    """Everything of those kinds in the emulator, whatever its name (moto's default VPC left out)."""
    ec2 = emu.client("ec2")
    efs = emu.client("efs")
    fss = efs.describe_file_systems()["FileSystems"]
    return {
        "vpcs": len([v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]),
        "subnets": len([s for s in ec2.describe_subnets()["Subnets"] if not s.get("DefaultForAz")]),
        "internet_gateways": len(ec2.describe_internet_gateways()["InternetGateways"]),
        "nat_gateways": len([n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] in ("pending", "available")]),
        "elastic_ips": len(ec2.describe_addresses()["Addresses"]),
        "load_balancers": len(emu.client("elbv2").describe_load_balancers()["LoadBalancers"]),
        "db_instances": len(emu.client("rds").describe_db_instances()["DBInstances"]),
        "redis": len([g for g in emu.client("elasticache").describe_replication_groups()["ReplicationGroups"]
                      if g["Status"] != "deleting"]),
        "file_systems": len(fss),
        "mount_targets": sum(len(efs.describe_mount_targets(FileSystemId=f["FileSystemId"])["MountTargets"]) for f in fss),
    }


ONE_STACK = {"vpcs": 1, "subnets": 4, "internet_gateways": 1, "nat_gateways": 1, "elastic_ips": 1,
             "load_balancers": 1, "db_instances": 1, "redis": 1, "file_systems": 1, "mount_targets": 2}


# --- the stack -----------------------------------------------------------------------------------

class Stack:
    """The emulator, this file's report directory, and every output seen so far."""

    def __init__(self, emu, report_root):
        self.emu, self.report_root, self.outputs = emu, report_root, []
        self.runs = []  # (inventory, keyword arguments, run) of every run, in order

    def site(self, inventory=PRODUCTION, extra_vars=None, **kw):
        env = inventory.rsplit("/", 1)[-1]
        ev = {"report_dir": str(self.report_root / env)}
        ev.update(extra_vars or {})
        run = run_playbook(self.emu, "site.yml", inventory=inventory, extra_vars=ev, **kw)
        self.outputs.append(run.out)
        self.runs.append((inventory, kw, run))
        return run


@pytest.fixture(scope="module")
def stack(emulator, tmp_path_factory):
    emulator.reset()
    st = Stack(emulator, tmp_path_factory.mktemp("stack-reports"))
    # with the stock modules' deprecation warnings on (ansible.cfg leaves them on; said again here)
    st.first = st.site(env={"ANSIBLE_DEPRECATION_WARNINGS": "True"})
    st.counts = counts(emulator, "production")
    return st


@pytest.fixture(scope="module")
def more_runs(stack):
    """The third and fourth runs of site.yml on the converged stack."""
    return [stack.site(), stack.site()]




# --- 1. converge ---------------------------------------------------------------------------------

def test_production_converges_with_one_of_each(stack, emulator):
    run = stack.first
    assert run.rc == 0 and run.failed == 0, run
    assert run.changed > 0, run
    problems = check_stack(emulator.client, inventory_values("production"))
    assert problems == [], "\n".join(problems)
    assert counts(emulator, "production") == ONE_STACK
    # nothing leaked under another name either (duplicate ALB, stray NAT or EIP, second VPC ...)
    assert totals(emulator) == ONE_STACK


def test_no_stock_module_deprecation(stack):
    # site.yml runs no stock module that deprecates on every call any more (amazon.aws's iam_role
    # gave way to iam_roles); nor does the teardown (test_teardown.py)
    lines = [line for line in stack.first.out.splitlines() if "[DEPRECATION WARNING]" in line]
    assert lines == [], "the stock modules deprecate something the roles do:\n" + "\n".join(lines)


# --- 2. idempotence ------------------------------------------------------------------------------

def test_second_run_changes_nothing(stack, emulator):
    run = stack.site()
    assert run.rc == 0, run
    assert run.changed == 0, f"changed tasks: {run.changed_tasks()}\n{run}"
    assert counts(emulator, "production") == stack.counts == ONE_STACK
    assert totals(emulator) == ONE_STACK


def test_third_and_fourth_runs_keep_the_counts(stack, emulator, more_runs):
    for run in more_runs:
        assert run.rc == 0, run
        assert run.changed == 0, f"changed tasks: {run.changed_tasks()}"
    assert counts(emulator, "production") == ONE_STACK
    assert totals(emulator) == ONE_STACK


def test_check_mode_reports_and_changes_nothing(stack, emulator):
    before = inventory_of(emulator)
    run = stack.site(check=True)
    assert run.rc == 0, run
    assert run.changed == 0, f"changed tasks: {run.changed_tasks()}\n{run}"
    assert inventory_of(emulator) == before


@pytest.mark.parametrize("tier", TIERS)
def test_each_tier_alone_changes_nothing(stack, emulator, tier):
    run = stack.site(tags=tier)
    assert run.rc == 0, run
    # only that tier's play ran tasks (a --tags that matched nothing would also report changed=0;
    # the preflight play checks every tier's inputs whatever the tags, so it is not counted)
    assert run.tiers_ran() == [tier], run
    assert run.changed == 0, f"changed tasks: {run.changed_tasks()}\n{run}"
    assert counts(emulator, "production") == ONE_STACK


def summary_of(run) -> list:
    """The lines the summary play printed (its task "Show what was built per tier")."""
    texts = [text for name, text in run.task_sections() if name == "Show what was built per tier"]
    assert len(texts) == 1, run
    body = texts[0].split("ok: [localhost] =>", 1)[1]
    return yaml.safe_load(body)["msg"]


def test_summary_reads_the_stack_once_and_shows_the_emulator(stack, emulator):
    """A whole run's summary reuses the report's reading; a tier alone reads the stack itself.

    Both print the same lines, and the lines hold what the emulator holds.
    """
    whole = [run for inventory, kw, run in stack.runs if inventory == PRODUCTION and not kw and run.changed == 0][-1]
    alone = [run for inventory, kw, run in stack.runs if kw.get("tags") == "network"][-1]
    assert "Read the stack back by name" not in whole.tasks_reported("ok"), "the summary read the stack again"
    assert "Read the stack back by name" in alone.tasks_reported("ok"), "a tier alone has no report to reuse"
    lines = summary_of(whole)
    assert lines == summary_of(alone)

    vpc = [v for v in emulator.client("ec2").describe_vpcs()["Vpcs"] if _name(v.get("Tags")) == "production-vpc"][0]
    db = emulator.client("rds").describe_db_instances(DBInstanceIdentifier="production-apranova-db")["DBInstances"][0]
    lb = emulator.client("elbv2").describe_load_balancers(Names=["production-alb"])["LoadBalancers"][0]
    services = emulator.client("ecs").list_services(cluster="production-cluster")["serviceArns"]
    by_tier = {line.split(":", 1)[0]: line for line in lines}
    assert f"VPC production-vpc {vpc['VpcId']} {vpc['CidrBlock']}" in by_tier["network"], lines
    assert f"db production-apranova-db {db['DBInstanceStatus']}" in by_tier["data"], lines
    assert by_tier["alb"] == f"alb: http://{lb['DNSName']}", lines
    names = sorted(arn.rsplit("/", 1)[-1] for arn in services)
    assert by_tier["ecs_services"].endswith("services " + ", ".join(names)), lines
    assert f"ALB URL: http://{lb['DNSName']}" in lines


# --- 3. staging beside production ----------------------------------------------------------------

def test_staging_side_by_side(stack, emulator):
    before = inventory_of(emulator)
    production_vpc = [v for v in emulator.client("ec2").describe_vpcs()["Vpcs"] if _name(v.get("Tags")) == "production-vpc"]

    run = stack.site(inventory=STAGING)
    assert run.rc == 0 and run.failed == 0, run
    assert run.changed > 0, run

    problems = check_stack(emulator.client, inventory_values("staging"))
    assert problems == [], "staging: " + "\n".join(problems)
    staging_vpc = [v for v in emulator.client("ec2").describe_vpcs()["Vpcs"] if _name(v.get("Tags")) == "staging-vpc"]
    assert [v["CidrBlock"] for v in staging_vpc] == ["10.20.0.0/16"]
    assert staging_vpc[0]["VpcId"] != production_vpc[0]["VpcId"]
    assert counts(emulator, "staging") == ONE_STACK

    # production untouched: still clean, still one of each, and every id it had is still there
    problems = check_stack(emulator.client, inventory_values("production"))
    assert problems == [], "production after staging: " + "\n".join(problems)
    assert counts(emulator, "production") == ONE_STACK
    after = inventory_of(emulator)
    for kind, ids in before.items():
        gone = sorted(set(ids) - set(after[kind]))
        assert gone == [], f"{kind} of production gone after the staging run: {gone}"
    assert len(after["vpcs"]) == len(before["vpcs"]) + 1

    rerun = stack.site(inventory=STAGING)
    assert rerun.rc == 0, rerun
    assert rerun.changed == 0, f"changed tasks: {rerun.changed_tasks()}\n{rerun}"
