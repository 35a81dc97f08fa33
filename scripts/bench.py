#!/usr/bin/env python3
"""Benchmark the stack's playbooks against a fresh local AWS emulator (`make bench`).

A benchmark, not a test: it asserts nothing, it measures and writes bench/results.json.

    scripts/bench.py [--runs 3] [--inventory inventories/production] [--out bench]
                     [--no-profile] [--no-extras]

What it does:
1. starts the emulator on free 127.0.0.1 ports (scripts/emulator.py's LocalAws: moto_server and
   scripts/aws_proxy.py in front of it, fault rate 0), the proxy logging every AWS call, with
   --aws-model --time-scale 0.02 (scripts/aws_model.py): after each wipe the NAT gateway, DB,
   cache, ALB, mount targets and service rollouts come up (and teardowns go away) over 2% of
   AWS's durations, so the cold run and the teardown take the same path as on AWS;
2. --runs times: wipes the emulator (POST /moto-api/reset), builds the stack cold (site.yml) and
   tears it down again (playbooks/teardown.yml with data deletion and protection off); after the
   first build it also times the no-op rerun, `site.yml --check`, `--tags alb` and
   `--tags network` (each --runs times), counts the managed resources in the emulator and reads
   the order of the long creates and their waits from the proxy log;
3. (unless --no-profile) one more cold build and no-op run with ansible.posix.profile_tasks, to
   see which tasks cost the time;
4. (unless --no-extras) fixed costs: ansible-playbook startup, per-task cost of a trivial plain
   module, of a trivial AnsibleAWSModule and of an action-only task, a no-op run with pipelining
   and a no-op run straight to moto (without the proxy);
5. writes bench/results.json and prints a table.

For every run: wall seconds, CPU seconds of the ansible-playbook process tree and of moto, the
API calls the emulator served (proxy log, /moto-api excluded), tasks run (ok+failed of the PLAY
RECAP) and changed tasks. Figures are medians over the runs. The machine's load average is
recorded next to them: the machine is shared, so compare CPU seconds as well as wall seconds.
Only loopback addresses are used; the processes it starts are stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from emulator import LocalAws  # scripts/emulator.py, beside this file: the one place that starts moto

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REGION = "us-east-1"

# Targets of issue 8 (2 cores, medians).
TARGETS = {
    "cold": 25.0,
    "noop": 7.0,
    "tags_alb": 3.0,
    "tags_network": 3.0,
}
MAX_NOOP_CALLS_PER_RESOURCE = 2.0

# The long creates of the stack on real AWS (minutes each) and the Describe call that waits on
# each. A wait is a call the modules marked in its User-Agent (module_utils/base.py: made inside
# wait_for); an unmarked Describe is a lookup (a later tier finding the resource by name).
LONG_CREATES = [
    # kind, service, create action, describe action
    ("nat", "ec2", "CreateNatGateway", "DescribeNatGateways"),
    ("db", "rds", "CreateDBInstance", "DescribeDBInstances"),
    ("cache", "elasticache", "CreateReplicationGroup", "DescribeReplicationGroups"),
    ("mount_target", "elasticfilesystem", "CreateMountTarget", "DescribeMountTargets"),
    ("alb", "elasticloadbalancing", "CreateLoadBalancer", "DescribeLoadBalancers"),
    ("service", "ecs", "CreateService", "DescribeServices"),
]
# Short prerequisites: an EFS file system is available seconds after its create, and AWS takes its
# mount targets and access point only then, so that wait necessarily precedes them.
PREREQUISITES = [
    ("efs", "elasticfilesystem", "CreateFileSystem", "DescribeFileSystems"),
]

# EFS speaks REST: turn "METHOD /2015-02-01/..." into the operation name.
_EFS_REST = [
    ("POST", r"/file-systems", "CreateFileSystem"),
    ("GET", r"/file-systems(/[^/]+)?", "DescribeFileSystems"),
    ("DELETE", r"/file-systems/[^/]+", "DeleteFileSystem"),
    ("PUT", r"/file-systems/[^/]+", "UpdateFileSystem"),
    ("PUT", r"/file-systems/[^/]+/lifecycle-configuration", "PutLifecycleConfiguration"),
    ("GET", r"/file-systems/[^/]+/lifecycle-configuration", "DescribeLifecycleConfiguration"),
    ("PUT", r"/file-systems/[^/]+/backup-policy", "PutBackupPolicy"),
    ("GET", r"/file-systems/[^/]+/backup-policy", "DescribeBackupPolicy"),
    ("PUT", r"/file-systems/[^/]+/policy", "PutFileSystemPolicy"),
    ("GET", r"/file-systems/[^/]+/policy", "DescribeFileSystemPolicy"),
    ("POST", r"/mount-targets", "CreateMountTarget"),
    ("GET", r"/mount-targets", "DescribeMountTargets"),
    ("DELETE", r"/mount-targets/[^/]+", "DeleteMountTarget"),
    ("GET", r"/mount-targets/[^/]+/security-groups", "DescribeMountTargetSecurityGroups"),
    ("PUT", r"/mount-targets/[^/]+/security-groups", "ModifyMountTargetSecurityGroups"),
    ("POST", r"/access-points", "CreateAccessPoint"),
    ("GET", r"/access-points", "DescribeAccessPoints"),
    ("DELETE", r"/access-points/[^/]+", "DeleteAccessPoint"),
    ("GET", r"/resource-tags/.+", "ListTagsForResource"),
    ("POST", r"/resource-tags/.+", "TagResource"),
    ("DELETE", r"/resource-tags/.+", "UntagResource"),
    ("GET", r"/file-systems/[^/]+/tags", "DescribeTags"),
    ("POST", r"/create-tags/.+", "CreateTags"),
    ("POST", r"/delete-tags/.+", "DeleteTags"),
]

_PROFILE_LINE = re.compile(r"^(.*?)\s-{2,}\s+(\d+\.\d+)s\s*$")

# AWS's durations scaled down: a DB instance creates in 8.4 s instead of 420 s (scripts/aws_model.py).
BENCH_TIME_SCALE = 0.02


# --------------------------------------------------------------------------------------------
# Processes


def proc_cpu(pid: int) -> float:
    """utime+stime of a live process, in seconds (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Stack:
    """The emulator (scripts/emulator.py: moto behind the model of AWS) with every call logged."""

    def __init__(self, out: Path):
        self.out = out
        self.calls_log = out / "calls.jsonl"
        self.aws = None
        self.moto = self.proxy = None
        self.moto_url = self.proxy_url = ""

    def start(self):
        self.calls_log.write_text("")
        # The proxy forwards /moto-api/ (logged as service "emulator", never counted).
        self.aws = LocalAws(time_scale=BENCH_TIME_SCALE, logdir=self.out,
                            proxy_args=["--fault-rate", "0", "--log", str(self.calls_log)]).start()
        self.moto, self.proxy = self.aws.moto, self.aws.proxy
        self.moto_url, self.proxy_url = self.aws.moto_url, self.aws.url
        return self

    def stop(self):
        if self.aws:
            self.aws.stop()

    def reset(self):
        # through the proxy, which wipes the AWS model too (a fresh account again)
        urllib.request.urlopen(urllib.request.Request(self.proxy_url + "/moto-api/reset", method="POST"), timeout=120)

    def client(self, service):
        import boto3
        return boto3.client(service, region_name=REGION, endpoint_url=self.moto_url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def log_offset(self) -> int:
        return self.calls_log.stat().st_size

    def calls_since(self, offset: int) -> list[dict]:
        with open(self.calls_log, "rb") as f:
            f.seek(offset)
            data = f.read().decode("utf-8", "replace")
        calls = []
        for line in data.splitlines():
            try:
                c = json.loads(line)
            except ValueError:
                continue
            if c.get("service") == "emulator" or str(c.get("action", "")).startswith("/moto-api"):
                continue
            c["op"] = operation(c)
            calls.append(c)
        return calls


def operation(call: dict) -> str:
    action = str(call.get("action", ""))
    if call.get("service") == "elasticfilesystem" and " /" in action:
        method, path = action.split(" ", 1)
        path = re.sub(r"^/\d{4}-\d{2}-\d{2}", "", path)
        for m, pattern, name in _EFS_REST:
            if m == method and re.fullmatch(pattern, path):
                return name
    return action


# --------------------------------------------------------------------------------------------
# Runs


def ansible_env(endpoint: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_", "MOLECULE_"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1", PATH=f"{BIN}:{env.get('PATH', '')}",
    )
    env.update(extra)
    return env


def parse_recap(out: str) -> dict:
    """PLAY RECAP totals: the test harness's parser (tests/conftest.py), so both count alike."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import parse_recap as parse  # the tests' helper module, not a package

    return parse(out)


class Bench:
    def __init__(self, args):
        self.args = args
        self.out = Path(args.out).resolve()
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "runs").mkdir(exist_ok=True)
        self.stack = Stack(self.out)
        self.runs: dict[str, list[dict]] = {}
        self.counter = Counter()

    def playbook(self, phase: str, playbook: str, *extra: str, endpoint: str | None = None,
                 env: dict | None = None, count_calls: bool = True) -> dict:
        cmd = [str(BIN / "ansible-playbook"), playbook, "-i", self.args.inventory, *extra]
        self.counter[phase] += 1
        name = f"{phase}-{self.counter[phase]}"
        offset = self.stack.log_offset()
        moto_cpu0, proxy_cpu0 = proc_cpu(self.stack.moto.pid), proc_cpu(self.stack.proxy.pid)
        ru0 = os.times()
        load = loadavg()
        epoch0 = time.time()
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=REPO, env=ansible_env(endpoint or self.stack.proxy_url, **(env or {})),
                              capture_output=True, text=True, timeout=1800)
        wall = time.monotonic() - t0
        ru1 = os.times()
        time.sleep(0.2)  # the proxy writes its log line just after answering
        out = proc.stdout + proc.stderr
        (self.out / "runs" / f"{name}.log").write_text(" ".join(cmd) + "\n\n" + out)
        stats = parse_recap(out)
        run = {
            "run": name, "cmd": " ".join(cmd[1:]), "rc": proc.returncode, "wall_s": round(wall, 2),
            "ansible_cpu_s": round((ru1.children_user - ru0.children_user) + (ru1.children_system - ru0.children_system), 2),
            "moto_cpu_s": round(proc_cpu(self.stack.moto.pid) - moto_cpu0, 2),
            "proxy_cpu_s": round(proc_cpu(self.stack.proxy.pid) - proxy_cpu0, 2),
            "tasks": stats["ok"] + stats["failed"], "changed": stats["changed"], "recap": stats,
            "loadavg_before": load, "log_offset": offset,
        }
        calls = self.stack.calls_since(offset) if count_calls else []
        run["api_calls"] = len(calls) if count_calls else None
        run["api_calls_by_op"] = dict(Counter(f"{c['service']}:{c['op']}" for c in calls).most_common())
        run["_calls"] = calls
        run["_t0"] = epoch0
        self.runs.setdefault(phase, []).append(run)
        state = "ok" if proc.returncode == 0 else f"FAILED rc={proc.returncode} (see {self.out / 'runs' / (name + '.log')})"
        print(f"  {name:<16} {wall:6.1f} s  cpu {run['ansible_cpu_s']:5.1f} s  calls {run['api_calls']!s:>4}  "
              f"tasks {run['tasks']:>3}  changed {run['changed']:>3}  load {load[0]:.2f}  {state}", flush=True)
        return run

    # ---- phases

    def site(self, phase, *extra, **kw):
        return self.playbook(phase, "site.yml", *self.args.site_args, *extra, **kw)

    def teardown(self):
        return self.playbook("teardown", "playbooks/teardown.yml", "-e", "confirm_teardown=production",
                             "-e", "teardown_delete_data=true", "-e", "teardown_disable_deletion_protection=true")

    def main_runs(self):
        n = self.args.runs
        results = {}
        for i in range(n):
            self.stack.reset()
            cold = self.site("cold")
            if i == 0:
                results["resources"] = count_resources(self.stack)
                results["long_creates"] = long_create_order(cold)
                if cold["rc"] == 0:
                    for _ in range(n):
                        self.site("noop")
                    for _ in range(n):
                        self.site("check", "--check")
                    for _ in range(n):
                        self.site("tags_alb", "--tags", "alb")
                    for _ in range(n):
                        self.site("tags_network", "--tags", "network")
                    if self.args.extras:
                        self.full_run_variants()
            self.teardown()
            if i == 0:
                results["left_after_teardown"] = count_resources(self.stack)
        return results

    def profile(self):
        """One cold build and one no-op run with profile_tasks and a task-start log: where the
        time and the API calls go, task by task."""
        tmp = Path(tempfile.mkdtemp(prefix="bench-cb-"))
        (tmp / "bench_tasks.py").write_text(TASK_CALLBACK)
        out = {}
        try:
            self.stack.reset()
            for phase in ("profile_cold", "profile_noop"):
                task_log = self.out / "runs" / f"{phase}-tasks.jsonl"
                task_log.write_text("")
                env = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks,bench_tasks",
                       "ANSIBLE_CALLBACK_PLUGINS": str(tmp), "BENCH_TASK_LOG": str(task_log),
                       "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all", "PROFILE_TASKS_SORT_ORDER": "none"}
                run = self.site(phase, env=env)
                log = (self.out / "runs" / f"{run['run']}.log").read_text()
                out[phase] = summarize_profile(log, run)
                out[phase]["tasks"] = attribute_calls(task_log, run)
                out[phase].update(summarize_tasks(out[phase]["tasks"]))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.stack.reset()
        return out

    def extras(self):
        """Fixed costs: ansible-playbook startup and the cost of one task, by what the task does.

        Each variant is a play of MICRO_TASKS identical tasks; per-task cost = (variant - empty
        play) / MICRO_TASKS, in wall and in CPU seconds of the whole process tree.
        """
        ex = {"micro_tasks": MICRO_TASKS}
        tmp = Path(tempfile.mkdtemp(prefix="bench-micro-"))
        try:
            (tmp / "library").mkdir()
            (tmp / "action_plugins").mkdir()
            for name, code in MICRO_MODULES.items():
                (tmp / "library" / f"{name}.py").write_text(code)
            for name, code in MICRO_ACTIONS.items():
                (tmp / "action_plugins" / f"{name}.py").write_text(code)
            inv = tmp / "hosts.yml"
            inv.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                           f"      ansible_python_interpreter: {sys.executable}\n")
            for key, task in MICRO_VARIANTS.items():
                body = f"    - {task}\n" * MICRO_TASKS if task else "    []\n"
                (tmp / f"{key}.yml").write_text(f"- hosts: localhost\n  gather_facts: false\n  tasks:\n{body}")
            env = {"ANSIBLE_LIBRARY": str(tmp / "library"), "ANSIBLE_ACTION_PLUGINS": str(tmp / "action_plugins")}

            def timed(key, pipelining=False):
                walls, cpus = [], []
                for _ in range(self.args.runs):
                    e = ansible_env(self.stack.moto_url, **env)
                    if pipelining:
                        e["ANSIBLE_PIPELINING"] = "True"
                    c0, t0 = os.times(), time.monotonic()
                    p = subprocess.run([str(BIN / "ansible-playbook"), str(tmp / f"{key}.yml"), "-i", str(inv)],
                                       cwd=REPO, env=e, capture_output=True, text=True, timeout=600)
                    walls.append(time.monotonic() - t0)
                    c1 = os.times()
                    cpus.append(c1.children_user - c0.children_user + c1.children_system - c0.children_system)
                    if p.returncode:
                        raise SystemExit(f"bench: micro playbook {key} failed:\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
                return statistics.median(walls), statistics.median(cpus)

            base_wall, base_cpu = timed("empty")
            ex["ansible_playbook_startup"] = {"wall_s": round(base_wall, 3), "cpu_s": round(base_cpu, 3)}
            per_task = {}
            for key in MICRO_VARIANTS:
                if key == "empty":
                    continue
                for pipelining in (False, True) if key in MICRO_PIPELINING else (False,):
                    wall, cpu = timed(key, pipelining)
                    label = key + (" +pipelining" if pipelining else "")
                    per_task[label] = {"wall_s": round((wall - base_wall) / MICRO_TASKS, 3),
                                       "cpu_s": round((cpu - base_cpu) / MICRO_TASKS, 3)}
                    print(f"  micro {label:<28} per task {per_task[label]['wall_s']:.3f} s wall, "
                          f"{per_task[label]['cpu_s']:.3f} s CPU", flush=True)
            ex["per_task"] = per_task
            py = {}
            for label, code in PYTHON_PROBES.items():
                walls, cpus = [], []
                for _ in range(max(self.args.runs, 5)):
                    c0, t0 = os.times(), time.monotonic()
                    subprocess.run([sys.executable, "-c", code], check=True, env=ansible_env(self.stack.moto_url))
                    walls.append(time.monotonic() - t0)
                    c1 = os.times()
                    cpus.append(c1.children_user - c0.children_user + c1.children_system - c0.children_system)
                py[label] = {"wall_s": round(statistics.median(walls), 3), "cpu_s": round(statistics.median(cpus), 3)}
            ex["python"] = py
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return ex

    def full_run_variants(self):
        """No-op site.yml with pipelining on, and straight to moto (what the proxy costs)."""
        for _ in range(self.args.runs):
            self.site("noop_pipelining", env={"ANSIBLE_PIPELINING": "True"})
        for _ in range(self.args.runs):
            self.site("noop_direct", endpoint=self.stack.moto_url, count_calls=False)


MICRO_TASKS = 10
_AWS_ARGS = "{region: us-east-1, endpoint_url: \"{{ lookup('ansible.builtin.env', 'AWS_ENDPOINT_URL') }}\"}"
MICRO_VARIANTS = {
    "empty": None,
    "debug": "ansible.builtin.debug: {msg: hi}",                  # controller only, no module
    "plain": "bench_plain: {}",                                   # AnsibleModule, exit at once
    "plain_boto3": "bench_plain_boto3: {}",                       # + import boto3
    "aws_base": f"bench_aws_base: {_AWS_ARGS}",                   # AnsibleAWSModule, no client
    "aws_client": f"bench_aws_client: {_AWS_ARGS}",               # + module.client('ec2')
    "aws_call": f"bench_aws_call: {_AWS_ARGS}",                   # + one DescribeVpcs
    "action_call": "bench_action_call: {}",                       # in-process action plugin, same call
    "action_call_warm": "bench_action_warm: {}",                  # same, ec2 model loaded before the fork
}
MICRO_PIPELINING = {"plain", "aws_call"}

_MODULE_HEAD = "#!/usr/bin/python\nfrom __future__ import annotations\n"
MICRO_MODULES = {
    "bench_plain": _MODULE_HEAD + """from ansible.module_utils.basic import AnsibleModule


def main():
    AnsibleModule(argument_spec={}, supports_check_mode=True).exit_json(changed=False)


if __name__ == "__main__":
    main()
""",
    "bench_plain_boto3": _MODULE_HEAD + """from ansible.module_utils.basic import AnsibleModule
import boto3  # noqa: F401


def main():
    AnsibleModule(argument_spec={}, supports_check_mode=True).exit_json(changed=False)


if __name__ == "__main__":
    main()
""",
}
for _name, _body in (("bench_aws_base", ""), ("bench_aws_client", "    module.client('ec2')\n"),
                     ("bench_aws_call", "    module.client('ec2').describe_vpcs(VpcIds=[])\n")):
    MICRO_MODULES[_name] = _MODULE_HEAD + (
        "from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule\n\n\n"
        "def main():\n    module = AnsibleAWSModule(argument_spec={}, supports_check_mode=True)\n"
        + _body + "    module.exit_json(changed=False)\n\n\nif __name__ == '__main__':\n    main()\n")

# Action plugins run in the controller's forked worker; the strategy imports the plugin class in
# the controller process first, so what the plugin file imports at its top is paid once per run.
_ACTION = """from __future__ import annotations
import os
import boto3
from ansible.plugins.action import ActionBase

_SESSION = boto3.session.Session()
if {warm}:
    # Load the ec2 model into the session's loader cache in the controller, before any fork.
    _SESSION.client("ec2", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        client = _SESSION.client("ec2", region_name="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
        client.describe_vpcs(VpcIds=[])
        result["changed"] = False
        return result
"""
MICRO_ACTIONS = {"bench_action_call": _ACTION.format(warm=False), "bench_action_warm": _ACTION.format(warm=True)}

_SERVICES = ("ec2", "rds", "elasticache", "efs", "elbv2", "ecs", "ecr", "iam", "logs", "sns", "cloudwatch",
             "secretsmanager", "sts")
PYTHON_PROBES = {
    "interpreter": "pass",
    "import boto3": "import boto3",
    "import boto3 + ec2 client": "import boto3; boto3.session.Session().client('ec2', region_name='us-east-1')",
    "import boto3 + 13 clients (stack_info-like)":
        "import boto3; s = boto3.session.Session(); [s.client(x, region_name='us-east-1') for x in %r]" % (_SERVICES,),
    "import AnsibleAWSModule (from .pyc)":
        "from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule",
}


# A callback that logs, as JSON lines, when each task starts and each result (item) arrives.
TASK_CALLBACK = """from __future__ import annotations
import json
import os
import time
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._f = open(os.environ["BENCH_TASK_LOG"], "a")

    def _w(self, **kw):
        kw["t"] = time.time()
        self._f.write(json.dumps(kw) + "\\n")
        self._f.flush()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._w(ev="task", task=task.get_name(), action=task.action)

    def v2_playbook_on_stats(self, stats):
        self._w(ev="end")

    def v2_runner_on_ok(self, result, **kwargs):
        self._w(ev="ok")

    def v2_runner_on_failed(self, result, **kwargs):
        self._w(ev="ok")

    def v2_runner_item_on_ok(self, result):
        self._w(ev="item")

    def v2_runner_item_on_failed(self, result):
        self._w(ev="item")
"""

# Tasks whose action runs no module (controller only).
CONTROLLER_ACTIONS = {"ansible.builtin.debug", "ansible.builtin.assert", "ansible.builtin.set_fact",
                      "ansible.builtin.meta", "ansible.builtin.validate_argument_spec", "ansible.builtin.fail",
                      "ansible.builtin.include_vars", "ansible.builtin.include_tasks", "ansible.builtin.include_role",
                      "debug", "assert", "set_fact", "meta", "validate_argument_spec", "fail", "include_vars"}


def attribute_calls(task_log: Path, run: dict) -> list[dict]:
    """Per task: seconds, results (loop items count one each), and the API calls made while it ran."""
    events = [json.loads(line) for line in task_log.read_text().splitlines() if line.strip()]
    tasks = []
    for e in events:
        if e["ev"] == "task":
            tasks.append({"task": e["task"], "action": e["action"], "t": e["t"], "results": 0, "calls": 0})
        elif e["ev"] == "end" and tasks:
            tasks.append({"task": "(end)", "action": "", "t": e["t"], "results": 0, "calls": 0})
        elif tasks and e["ev"] == "item":
            # A loop reports each item and then the whole task: count the items only.
            tasks[-1]["items"] = tasks[-1].get("items", 0) + 1
        elif tasks and e["ev"] == "ok":
            tasks[-1]["results"] += 1
    for i, t in enumerate(tasks):
        end = tasks[i + 1]["t"] if i + 1 < len(tasks) else t["t"]
        t["s"] = round(end - t["t"], 3)
        t["invocations"] = t.pop("items", 0) or t["results"]
        t["module"] = t["action"] not in CONTROLLER_ACTIONS and t["invocations"] > 0
    calls = run["_calls"]
    j = 0
    for i, t in enumerate(tasks):
        end = tasks[i + 1]["t"] if i + 1 < len(tasks) else float("inf")
        while j < len(calls) and calls[j]["t"] < end:
            if calls[j]["t"] >= t["t"]:
                t["calls"] += 1
            j += 1
    return [{k: (round(v, 3) if k == "t" else v) for k, v in t.items()} for t in tasks if t["task"] != "(end)"]


def summarize_tasks(tasks: list[dict]) -> dict:
    mod = [t for t in tasks if t["module"]]
    ctl = [t for t in tasks if not t["module"]]
    inv = sum(t["invocations"] for t in mod)
    return {
        "module_invocations": inv,
        "module_tasks_s": round(sum(t["s"] for t in mod), 2),
        "s_per_module_invocation": round(sum(t["s"] for t in mod) / inv, 3) if inv else None,
        "controller_tasks": len(ctl), "controller_tasks_s": round(sum(t["s"] for t in ctl), 2),
        "calls_by_task": sorted(({"task": t["task"], "calls": t["calls"], "invocations": t["invocations"],
                                  "s": t["s"]} for t in tasks if t["calls"]), key=lambda t: -t["calls"]),
    }


# --------------------------------------------------------------------------------------------
# Emulator state


def count_resources(stack: Stack) -> dict:
    """The stack's resources in the emulator, by kind (defaults moto creates are left out)."""
    ec2 = stack.client("ec2")
    counts = {}
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    counts["vpc"] = len(vpcs)
    vf = [{"Name": "vpc-id", "Values": vpcs}] if vpcs else None

    def in_vpcs(call, key, **kw):
        if not vpcs:
            return []
        return call(Filters=vf, **kw)[key]

    counts["subnet"] = len(in_vpcs(ec2.describe_subnets, "Subnets"))
    counts["internet_gateway"] = len(ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": vpcs}])["InternetGateways"]) if vpcs else 0
    counts["nat_gateway"] = len([n for n in ec2.describe_nat_gateways()["NatGateways"]
                                 if n.get("VpcId") in vpcs and n["State"] not in ("deleted", "deleting")])
    counts["elastic_ip"] = len(ec2.describe_addresses()["Addresses"])
    counts["route_table"] = len([r for r in in_vpcs(ec2.describe_route_tables, "RouteTables")
                                 if not any(a.get("Main") for a in r.get("Associations", []))])
    counts["security_group"] = len([g for g in in_vpcs(ec2.describe_security_groups, "SecurityGroups")
                                    if g["GroupName"] != "default"])
    counts["ecr_repository"] = len(stack.client("ecr").describe_repositories()["repositories"])
    rds = stack.client("rds")
    counts["db_instance"] = len([d for d in rds.describe_db_instances()["DBInstances"]
                                 if d["DBInstanceStatus"] != "deleting"])
    counts["db_subnet_group"] = len([g for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
                                     if g["DBSubnetGroupName"] != "default"])
    ec = stack.client("elasticache")
    counts["cache_replication_group"] = len([g for g in ec.describe_replication_groups()["ReplicationGroups"]
                                             if g["Status"] != "deleting"])
    counts["cache_subnet_group"] = len([g for g in ec.describe_cache_subnet_groups()["CacheSubnetGroups"]
                                        if g["CacheSubnetGroupName"] != "default"])
    efs = stack.client("efs")
    fss = efs.describe_file_systems()["FileSystems"]
    counts["efs_file_system"] = len(fss)
    counts["efs_mount_target"] = sum(len(efs.describe_mount_targets(FileSystemId=f["FileSystemId"])["MountTargets"])
                                     for f in fss)
    counts["efs_access_point"] = len(efs.describe_access_points()["AccessPoints"])
    counts["secret"] = len(stack.client("secretsmanager").list_secrets()["SecretList"])
    elb = stack.client("elbv2")
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    counts["load_balancer"] = len(lbs)
    listeners = [li for lb in lbs for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]]
    counts["listener"] = len(listeners)
    counts["listener_rule"] = sum(len([r for r in elb.describe_rules(ListenerArn=li["ListenerArn"])["Rules"]
                                       if not r.get("IsDefault")]) for li in listeners)
    counts["target_group"] = len(elb.describe_target_groups()["TargetGroups"])
    ecs = stack.client("ecs")
    arns = ecs.list_clusters()["clusterArns"]
    clusters = [c["clusterArn"] for c in (ecs.describe_clusters(clusters=arns)["clusters"] if arns else [])
                if c["status"] == "ACTIVE"]
    counts["ecs_cluster"] = len(clusters)
    counts["task_definition"] = len(ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"])
    services = 0
    for c in clusters:
        arns = ecs.list_services(cluster=c)["serviceArns"]
        if arns:
            services += len([s for s in ecs.describe_services(cluster=c, services=arns)["services"] if s["status"] == "ACTIVE"])
    counts["ecs_service"] = services
    counts["iam_role"] = len([r for r in stack.client("iam").list_roles()["Roles"]
                              if not r["Path"].startswith("/aws-service-role/")])
    counts["log_group"] = len(stack.client("logs").describe_log_groups()["logGroups"])
    counts["sns_topic"] = len(stack.client("sns").list_topics()["Topics"])
    cw = stack.client("cloudwatch")
    counts["alarm"] = len(cw.describe_alarms()["MetricAlarms"])
    counts["dashboard"] = len(cw.list_dashboards()["DashboardEntries"])
    counts["total"] = sum(counts.values())
    return counts


def long_create_order(run: dict) -> dict:
    """When the long creates happened and when the calls that waited on them did."""
    calls, t0 = run["_calls"], run["_t0"]
    created: dict[str, float] = {}
    events, lookups = [], Counter()
    for c in calls:
        rel = round(c["t"] - t0, 2)
        for kind, service, create, describe in LONG_CREATES + PREREQUISITES:
            if c["service"] != service:
                continue
            short = (kind, service, create, describe) in PREREQUISITES
            if c["op"] == create and c["status"] < 400:
                created.setdefault(kind, rel)
                events.append({"t": rel, "kind": kind, "call": create, "what": "create", "prerequisite": short})
            elif c["op"] == describe and kind in created:
                if c.get("wait"):
                    events.append({"t": rel, "kind": kind, "call": describe, "what": "wait", "prerequisite": short})
                else:
                    lookups[describe] += 1
    long_created = {k: t for k, t in created.items() if k in dict(LONG_CREATES_BY_KIND)}
    first_wait: dict[str, float] = {}
    for e in events:
        if e["what"] == "wait" and not e["prerequisite"]:
            first_wait.setdefault(e["kind"], e["t"])
    last_create = max(long_created.values()) if long_created else None
    earliest_wait = min(first_wait.values()) if first_wait else None
    missing = [k for k, *_ in LONG_CREATES if k not in long_created]
    verdict = last_create is not None and (earliest_wait is None or last_create < earliest_wait)
    # Collapse consecutive events of the same call into one line with a count.
    timeline = []
    for e in events:
        if timeline and timeline[-1]["call"] == e["call"] and timeline[-1]["what"] == e["what"]:
            timeline[-1]["n"] += 1
            timeline[-1]["t_last"] = e["t"]
        else:
            timeline.append(dict(e, n=1, t_last=e["t"]))
    return {"created_at": long_created, "prerequisites_created_at": {k: t for k, t in created.items() if k not in long_created},
            "first_wait_at": first_wait, "not_created": missing,
            "all_creates_before_first_wait": verdict, "last_create_at": last_create,
            "first_wait": min(first_wait.items(), key=lambda kv: kv[1]) if first_wait else None,
            "timeline": timeline, "lookups": dict(lookups)}


def summarize_profile(log: str, run: dict) -> dict:
    tasks = []
    in_summary = False
    for line in log.splitlines():
        if re.match(r"^=+\s*$", line.strip()) and not in_summary:
            in_summary = True
            continue
        if in_summary:
            m = _PROFILE_LINE.match(line)
            if m:
                tasks.append({"task": m.group(1).strip(), "s": float(m.group(2))})
    # profile_tasks prints its summary after the recap: "Play ... ====" lines separate it.
    total = round(sum(t["s"] for t in tasks), 2)
    by_role = Counter()
    for t in tasks:
        role = t["task"].split(" : ", 1)[0] if " : " in t["task"] else "(play tasks)"
        by_role[role] += t["s"]
    return {
        "wall_s": run["wall_s"], "sum_task_s": total, "tasks_listed": len(tasks),
        "outside_tasks_s": round(run["wall_s"] - total, 2),
        "by_role_s": {k: round(v, 2) for k, v in by_role.most_common()},
        "top_tasks": sorted(tasks, key=lambda t: -t["s"])[:15],
        "mean_task_s": round(total / len(tasks), 3) if tasks else None,
    }


# --------------------------------------------------------------------------------------------
# Report


def med(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def summarize(runs: list[dict]) -> dict:
    walls = [r["wall_s"] for r in runs]
    return {
        "runs": len(runs), "rc": [r["rc"] for r in runs],
        "wall_s_median": med(walls), "wall_s_min": min(walls), "wall_s_max": max(walls),
        "ansible_cpu_s_median": med([r["ansible_cpu_s"] for r in runs]),
        "moto_cpu_s_median": med([r["moto_cpu_s"] for r in runs]),
        "proxy_cpu_s_median": med([r["proxy_cpu_s"] for r in runs]),
        "api_calls_median": med([r["api_calls"] for r in runs]),
        "tasks_median": med([r["tasks"] for r in runs]), "changed_median": med([r["changed"] for r in runs]),
        "loadavg_1min": [r["loadavg_before"][0] for r in runs],
    }


def print_table(res: dict) -> str:
    lines = []
    p = lines.append
    p(f"load average before / after: {res['loadavg_start']} / {res['loadavg_end']}  (2 cores: load > 2 means queueing)")
    p("")
    p("| phase | runs | wall s median (min-max) | target | ansible CPU s | moto CPU s | API calls | tasks | changed |")
    p("|---|---|---|---|---|---|---|---|---|")
    for phase, label in PHASES:
        s = res["phases"].get(phase)
        if not s:
            continue
        target = TARGETS.get(phase)
        tgt = f"<= {target:g} s {'met' if s['wall_s_median'] <= target else 'MISSED'}" if target else ""
        fails = "" if all(rc == 0 for rc in s["rc"]) else f" (rc {s['rc']})"
        p(f"| {label}{fails} | {s['runs']} | {s['wall_s_median']:.1f} ({s['wall_s_min']:.1f}-{s['wall_s_max']:.1f}) | {tgt} | "
          f"{s['ansible_cpu_s_median']} | {s['moto_cpu_s_median']} | {s['api_calls_median'] if s['api_calls_median'] is not None else '-'} | "
          f"{s['tasks_median']:g} | {s['changed_median']:g} |")
    r = res.get("resources")
    if r:
        p("")
        p(f"managed resources after the cold run: {r['total']} "
          f"({', '.join(f'{k} {v}' for k, v in r.items() if k != 'total')})")
        cpr = res.get("noop_calls_per_resource")
        if cpr is not None:
            p(f"no-op site.yml: {res['phases']['noop']['api_calls_median']:g} API calls / {r['total']} resources = "
              f"{cpr:.2f} calls per resource (target <= {MAX_NOOP_CALLS_PER_RESOURCE:g}: "
              f"{'met' if cpr <= MAX_NOOP_CALLS_PER_RESOURCE else 'MISSED'})")
    left = res.get("left_after_teardown")
    if left:
        p(f"left in the emulator after teardown: {left['total']} "
          f"({', '.join(f'{k} {v}' for k, v in left.items() if k != 'total' and v) or 'nothing'})")
    lc = res.get("long_creates")
    if lc:
        p("")
        p("long creates and their waits in the cold run (seconds from the start of ansible-playbook):")
        for e in lc["timeline"]:
            times = f"{e['t']:.1f}" + (f"-{e['t_last']:.1f}" if e["n"] > 1 else "")
            note = "  (prerequisite: seconds, not minutes)" if e.get("prerequisite") else ""
            p(f"  {times:>11}  {e['what']:<6} {e['call']}{' x%d' % e['n'] if e['n'] > 1 else ''}{note}")
        if lc["lookups"]:
            p("  Describes that were lookups, not waits (a tier, the summary or the report finding a resource by name): "
              + ", ".join(f"{k} x{v}" for k, v in sorted(lc["lookups"].items())))
        if lc["not_created"]:
            p(f"  not created in the cold run: {', '.join(lc['not_created'])}")
        fw = lc["first_wait"]
        later = sorted(k for k, t in lc["created_at"].items() if fw and t > fw[1])
        p("verdict: " + ("every long create was issued before the first wait on any of them"
                         if lc["all_creates_before_first_wait"] else
                         f"NO: the first wait ({dict(LONG_CREATES_BY_KIND)[fw[0]]} on {fw[0]} at {fw[1]:.1f} s) comes before "
                         f"the create of {', '.join(later)}"))
    prof = res.get("profile")
    if prof:
        for key, pr in prof.items():
            p("")
            p(f"{key}: wall {pr['wall_s']} s, sum of task times {pr['sum_task_s']} s over {pr['tasks_listed']} tasks "
              f"(mean {pr['mean_task_s']} s), outside tasks {pr['outside_tasks_s']} s")
            p("  by role: " + ", ".join(f"{k} {v}" for k, v in pr["by_role_s"].items()))
            p("  slowest: " + "; ".join(f"{t['task']} {t['s']:.2f}" for t in pr["top_tasks"][:8]))
            if pr.get("module_invocations"):
                p(f"  {pr['module_invocations']} module invocations took {pr['module_tasks_s']} s "
                  f"({pr['s_per_module_invocation']} s each); {pr['controller_tasks']} controller-only tasks took "
                  f"{pr['controller_tasks_s']} s")
                p("  most API calls: " + "; ".join(f"{t['task']} {t['calls']}" for t in pr["calls_by_task"][:8]))
    ex = res.get("extras")
    if ex:
        p("")
        st = ex["ansible_playbook_startup"]
        p(f"ansible-playbook startup (empty play): {st['wall_s']:.2f} s wall, {st['cpu_s']:.2f} s CPU")
        p(f"cost of one task (play of {ex['micro_tasks']} identical tasks, minus the empty play):")
        for label, v in ex["per_task"].items():
            p(f"  {label:<28} {v['wall_s']:6.3f} s wall  {v['cpu_s']:6.3f} s CPU")
        p("python alone (one process each):")
        for label, v in ex["python"].items():
            p(f"  {label:<44} {v['wall_s']:6.3f} s wall  {v['cpu_s']:6.3f} s CPU")
    text = "\n".join(lines)
    print(text)
    return text


LONG_CREATES_BY_KIND = [(k, d) for k, _, _, d in LONG_CREATES]
PHASES = [
    ("cold", "cold site.yml"),
    ("noop", "no-op site.yml"),
    ("check", "site.yml --check"),
    ("tags_alb", "--tags alb (no-op)"),
    ("tags_network", "--tags network (no-op)"),
    ("teardown", "teardown (delete data)"),
    ("noop_pipelining", "no-op site.yml, pipelining on"),
    ("noop_direct", "no-op site.yml, no proxy"),
]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="repetitions of each phase (median reported)")
    ap.add_argument("--inventory", default="inventories/production")
    ap.add_argument("--out", default=str(REPO / "bench"))
    ap.add_argument("--site-arg", dest="site_args", action="append", default=[],
                    help="extra ansible-playbook argument for every site.yml run (repeatable)")
    ap.add_argument("--no-profile", dest="profile", action="store_false")
    ap.add_argument("--no-extras", dest="extras", action="store_false")
    ap.add_argument("--no-main", dest="main", action="store_false",
                    help="skip the main phases (cold, no-op, check, tags, teardown)")
    args = ap.parse_args(argv)

    bench = Bench(args)
    res = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "inventory": args.inventory, "runs": args.runs,
           "site_args": args.site_args, "loadavg_start": loadavg(), "cpus": os.cpu_count(),
           "versions": versions()}
    stack = bench.stack.start()
    print(f"bench: moto {stack.moto_url}, proxy {stack.proxy_url}, log {stack.calls_log}, load {res['loadavg_start']}",
          flush=True)
    try:
        if args.main:
            res.update(bench.main_runs())
        if args.profile:
            res["profile"] = bench.profile()
        if args.extras:
            res["extras"] = bench.extras()
    finally:
        stack.stop()
    res["loadavg_end"] = loadavg()
    res["phases"] = {phase: summarize(runs) for phase, runs in bench.runs.items()}
    if res.get("resources") and "noop" in res["phases"] and res["resources"]["total"]:
        res["noop_calls_per_resource"] = round(res["phases"]["noop"]["api_calls_median"] / res["resources"]["total"], 2)
    res["noop_calls_by_op"] = bench.runs.get("noop", [{}])[0].get("api_calls_by_op")
    res["run_details"] = {phase: [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs]
                          for phase, runs in bench.runs.items()}
    text = print_table(res)
    res["table"] = text
    (bench.out / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    print(f"\nbench: wrote {bench.out / 'results.json'}")
    failed = [r["run"] for runs in bench.runs.values() for r in runs if r["rc"] != 0]
    if failed:
        print(f"bench: these runs failed: {', '.join(failed)} (logs in {bench.out / 'runs'})")
    return 1 if failed else 0


def versions() -> dict:
    out = {"python": sys.version.split()[0]}
    for mod in ("ansible", "boto3", "botocore", "moto"):
        try:
            if mod == "ansible":
                from ansible.release import __version__ as v
            else:
                v = __import__(mod).__version__
            out[mod] = v
        except Exception:  # noqa: BLE001  (a version we cannot read is not worth failing for)
            out[mod] = None
    return out


if __name__ == "__main__":
    sys.exit(main())
