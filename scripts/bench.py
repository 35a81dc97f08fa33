#!/usr/bin/env python3
"""Benchmark the stack's playbooks against a fresh local AWS emulator (`make bench`).

A benchmark, not a test: it asserts nothing, it measures and writes bench/results.json.

    scripts/bench.py [--runs 3] [--inventory inventories/production] [--out bench]
                     [--no-profile] [--no-extras] [--latency-ms 100,200] [--no-terraform]
                     [--compare-only]

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
   the order of the long creates and their waits from the proxy log; then the no-op run and
   `--tags alb` again at each --latency-ms setting (default 100 and 200 ms), through a second
   aws_proxy.py --delay-ms in front of the recording proxy, which adds that latency to every call;
3. (unless --no-profile) one more cold build and no-op run with ansible.posix.profile_tasks, to
   see which tasks cost the time;
4. (unless --no-extras) fixed costs: ansible-playbook startup, per-task cost of a trivial plain
   module, of a trivial AnsibleAWSModule and of an action-only task, a no-op run with pipelining
   and a no-op run straight to moto (without the proxy);
5. (unless --no-terraform) the Terraform peer (/work/shared/peers/terraform/main.tf, copied to a
   scratch directory; the hashicorp/aws provider from the filesystem mirror /opt/tf-plugins, no
   registry): on a fresh emulator of the same kind behind the same recording proxy (calls counted
   alike, in bench/tf-calls.jsonl), `terraform apply` cold on a wiped emulator (--runs times: the
   first before our phases, the others after them) and the no-op `terraform plan` at 0 ms and at
   each --latency-ms, each plan right after one of our no-op runs at that latency (ours, theirs,
   ours, theirs ...), so that both sides of a ratio meet the same load on a shared machine. Without
   terraform or the provider it says so and leaves that column empty;
6. writes bench/results.json and prints a table, with ours / Terraform's medians and their ratio
   (issue 15's targets) per phase and latency.

--compare-only runs only what that comparison needs (cold, no-op, --tags alb, Terraform).

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
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from emulator import LocalAws, start_proxy, stop_process  # scripts/emulator.py, beside this file: the one place that starts moto
from aws_proxy import efs_operation  # scripts/aws_proxy.py: the proxy logs EFS calls as "METHOD /path"
from recap import parse_recap  # scripts/recap.py: the tests count the recap with it too

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The benchmark's own micro modules, action plugin and task-timing callback (scripts/bench_plugins/).
BENCH_PLUGINS = REPO / "scripts" / "bench_plugins"
REGION = "us-east-1"

# The Terraform peer (/work/shared/peers/terraform/README.md): the same stack with the
# hashicorp/aws provider, which comes from a filesystem mirror (no registry access).
TERRAFORM_DIR = os.environ.get("BENCH_TERRAFORM_DIR", "/work/shared/peers/terraform")
TF_PLUGINS = os.environ.get("BENCH_TF_PLUGINS", "/opt/tf-plugins")
TF_PROVIDER = "registry.terraform.io/hashicorp/aws"

# Targets of issue 8 (2 cores, medians).
TARGETS = {
    "cold": 25.0,
    "noop": 7.0,
    "tags_alb": 3.0,
    "tags_network": 3.0,
}
MAX_NOOP_CALLS_PER_RESOURCE = 2.0
# Targets of issue 15: our median / Terraform's, per (our phase, added milliseconds per call); our
# no-op and --tags alb against Terraform's no-op plan, our cold run against its cold apply.
RATIO_TARGETS = {("noop", 0): 1.0, ("noop", 100): 1.0, ("tags_alb", 100): 0.5, ("cold", 0): 0.2}
MAX_NOOP_CALLS_PER_RESOURCE_15 = 1.5

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

    def __init__(self, out: Path, calls_log: str = "calls.jsonl"):
        self.out = out
        self.calls_log = out / calls_log
        self.aws = None
        self.moto = self.proxy = None
        self.moto_url = self.proxy_url = ""
        self.delayed_proxies: dict[int, tuple[subprocess.Popen, str]] = {}

    def start(self):
        self.calls_log.write_text("")
        # The proxy forwards /moto-api/ (logged as service "emulator", never counted).
        self.aws = LocalAws(time_scale=BENCH_TIME_SCALE, logdir=self.out,
                            proxy_args=["--fault-rate", "0", "--log", str(self.calls_log)]).start()
        self.moto, self.proxy = self.aws.moto, self.aws.proxy
        self.moto_url, self.proxy_url = self.aws.moto_url, self.aws.url
        return self

    def stop(self):
        for proc, _url in self.delayed_proxies.values():
            stop_process(proc)
        self.delayed_proxies.clear()
        if self.aws:
            self.aws.stop()

    def delayed_url(self, ms: int) -> str:
        """An endpoint that adds ``ms`` milliseconds to every call: a second scripts/aws_proxy.py
        (--delay-ms, nothing else) in front of the recording one, which still logs each call once."""
        if ms <= 0:
            return self.proxy_url
        if ms not in self.delayed_proxies:
            self.delayed_proxies[ms] = start_proxy(self.proxy_url, ["--fault-rate", "0", "--delay-ms", str(ms)],
                                                   log=self.out / f"delay-proxy-{ms}ms.log")
        return self.delayed_proxies[ms][1]

    def reset(self):
        # through the proxy, which wipes the AWS model too (a fresh account again)
        urllib.request.urlopen(urllib.request.Request(self.proxy_url + "/moto-api/reset", method="POST"), timeout=120)
        # moto rebuilds its EC2 backend on the first EC2 calls after a wipe (about 0.8 s, nothing AWS
        # does): made here, straight to moto and unlogged, so neither side's cold run pays for it.
        ec2 = self.client("ec2")
        for _ in range(2):
            ec2.describe_vpcs()

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
        return efs_operation(action) or action
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


def terraform_env(work: Path) -> dict:
    """Terraform's environment: its CLI configuration (the provider from the filesystem mirror, no
    checkpoint call), no AWS profile, credentials or instance metadata, no HTTP proxy."""
    drop = ("AWS_", "TF_", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(TF_CLI_CONFIG_FILE=str(work / "cli.tfrc"), CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0",
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return env


def parse_terraform(out: str) -> dict:
    """Terraform's counterpart of the PLAY RECAP: resources read or written, errors, changes."""
    touched = len(re.findall(r"^\S+: (Refreshing state|Reading\.\.\.|Creation complete|Modifications complete|"
                             r"Destruction complete)", out, re.M))
    failed = len(re.findall(r"^(?:│ )?Error: ", out, re.M))
    m = (re.search(r"Resources: (\d+) added, (\d+) changed, (\d+) destroyed", out)
         or re.search(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy", out))
    changed = sum(int(x) for x in m.groups()) if m else 0
    return {"ok": touched, "failed": failed, "changed": changed}


def latency_suffix(ms: int) -> str:
    return f"_lat{ms}" if ms else ""


class Bench:
    def __init__(self, args):
        self.args = args
        self.out = Path(args.out).resolve()
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "runs").mkdir(exist_ok=True)
        self.stack = Stack(self.out)
        self.runs: dict[str, list[dict]] = {}
        self.counter = Counter()
        self.tf: dict | None = None  # the Terraform side, between terraform_prepare and terraform_finish

    def playbook(self, phase: str, playbook: str, *extra: str, endpoint: str | None = None,
                 env: dict | None = None, count_calls: bool = True) -> dict:
        cmd = [str(BIN / "ansible-playbook"), playbook, "-i", self.args.inventory, *extra]
        return self.timed(phase, cmd, REPO, ansible_env(endpoint or self.stack.proxy_url, **(env or {})),
                          self.stack, count_calls, parse_recap)

    def timed(self, phase: str, cmd: list[str], cwd: Path, env: dict, stack: Stack, count_calls: bool,
              parse, ok_rcs: tuple[int, ...] = (0,)) -> dict:
        """Run one command of a phase: wall and CPU seconds (the command's process tree, moto, the
        recording proxy), the API calls the proxy logged meanwhile, and ``parse(output)``'s
        {ok, failed, changed} (Ansible's PLAY RECAP, Terraform's summary lines). An exit code in
        ``ok_rcs`` counts as success (rc 0; terraform plan -detailed-exitcode exits 2 on changes)."""
        self.counter[phase] += 1
        name = f"{phase}-{self.counter[phase]}"
        offset = stack.log_offset()
        moto_cpu0, proxy_cpu0 = proc_cpu(stack.moto.pid), proc_cpu(stack.proxy.pid)
        ru0 = os.times()
        load = loadavg()
        epoch0 = time.time()
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
        wall = time.monotonic() - t0
        ru1 = os.times()
        time.sleep(0.2)  # the proxy writes its log line just after answering
        out = proc.stdout + proc.stderr
        (self.out / "runs" / f"{name}.log").write_text(" ".join(cmd) + "\n\n" + out)
        stats = parse(out)
        run = {
            "run": name, "cmd": " ".join(cmd[1:]), "rc": proc.returncode, "wall_s": round(wall, 2),
            "ansible_cpu_s": round((ru1.children_user - ru0.children_user) + (ru1.children_system - ru0.children_system), 2),
            "moto_cpu_s": round(proc_cpu(stack.moto.pid) - moto_cpu0, 2),
            "proxy_cpu_s": round(proc_cpu(stack.proxy.pid) - proxy_cpu0, 2),
            "tasks": stats["ok"] + stats["failed"], "changed": stats["changed"], "recap": stats,
            "loadavg_before": load, "log_offset": offset,
        }
        if proc.returncode in ok_rcs and proc.returncode:
            run["rc"], run["exit_code"] = 0, proc.returncode
        calls = stack.calls_since(offset) if count_calls else []
        run["api_calls"] = len(calls) if count_calls else None
        run["api_calls_by_op"] = dict(Counter(f"{c['service']}:{c['op']}" for c in calls).most_common())
        run["_calls"] = calls
        run["_t0"] = epoch0
        self.runs.setdefault(phase, []).append(run)
        state = "ok" if run["rc"] == 0 else f"FAILED rc={proc.returncode} (see {self.out / 'runs' / (name + '.log')})"
        print(f"  {name:<20} {wall:6.1f} s  cpu {run['ansible_cpu_s']:5.1f} s  calls {run['api_calls']!s:>4}  "
              f"tasks {run['tasks']:>3}  changed {run['changed']:>3}  load {load[0]:.2f}  {state}", flush=True)
        return run

    # ---- phases

    def site(self, phase, *extra, **kw):
        return self.playbook(phase, "site.yml", *self.args.site_args, *extra, **kw)

    def teardown(self):
        return self.playbook("teardown", "playbooks/teardown.yml", "-e", "confirm_teardown=production",
                             "-e", "teardown_delete_data=true", "-e", "teardown_disable_deletion_protection=true")

    def main_runs(self):
        """The main phases; with --compare-only only those the comparison with Terraform needs
        (cold, no-op, --tags alb, each also at every --latency-ms), and no teardown (a wipe)."""
        n = self.args.runs
        full = not self.args.compare_only
        results = {}
        for i in range(n):
            self.stack.reset()
            cold = self.site("cold")
            if i == 0:
                results["resources"] = count_resources(self.stack)
                results["long_creates"] = long_create_order(cold)
                if cold["rc"] == 0:
                    for _ in range(n):  # each beside a plan of Terraform's (terraform_plan), in turn
                        self.site("noop")
                        self.terraform_plan(0)
                    if full:
                        for _ in range(n):
                            self.site("check", "--check")
                    for _ in range(n):
                        self.site("tags_alb", "--tags", "alb")
                    if full:
                        for _ in range(n):
                            self.site("tags_network", "--tags", "network")
                    self.latency_runs()
                    if self.args.extras:
                        self.full_run_variants()
            if full:
                self.teardown()
                if i == 0:
                    results["left_after_teardown"] = count_resources(self.stack)
        return results

    def latency_runs(self):
        """The no-op run and one tier alone through a proxy that adds a fixed latency to every call."""
        n = self.args.runs
        for ms in self.args.latency_ms:
            url = self.stack.delayed_url(ms)
            for _ in range(n):
                self.site(f"noop_lat{ms}", endpoint=url)
                self.terraform_plan(ms)
            for _ in range(n):
                self.site(f"tags_alb_lat{ms}", "--tags", "alb", endpoint=url)

    # ---- the Terraform peer

    def terraform_prepare(self) -> dict:
        """The same stack in Terraform (the peer's main.tf, copied to a scratch directory), on its
        own fresh emulator of the same kind behind the same recording proxy, built by its first cold
        apply: its no-op plans then run in turn with our no-op runs (``terraform_plan``), so that the
        two sides of each ratio share the machine's conditions; ``terraform_finish`` makes the other
        cold applies (--runs in all, each on a wiped emulator) and stops it all."""
        a = self.args
        info: dict = {"available": False, "dir": a.terraform_dir, "provider_mirror": a.tf_plugins}
        self.tf = None
        tf = shutil.which(a.terraform) or (a.terraform if Path(a.terraform).is_file() else None)
        main_tf = Path(a.terraform_dir) / "main.tf"
        provider = Path(a.tf_plugins) / TF_PROVIDER
        if not tf:
            info["reason"] = f"terraform not found ({a.terraform})"
        elif not main_tf.is_file():
            info["reason"] = f"{main_tf} not found"
        elif not provider.is_dir():
            info["reason"] = (f"the hashicorp/aws provider is not in a filesystem mirror at {a.tf_plugins} "
                              "(the bench talks to 127.0.0.1 only, so it does not fetch it from the registry)")
        if info.get("reason"):
            print(f"bench: Terraform column skipped: {info['reason']}", flush=True)
            return info
        work = Path(tempfile.mkdtemp(prefix="bench-tf-"))
        shutil.copy(main_tf, work / "main.tf")
        (work / "cli.tfrc").write_text('disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n'
                                       f'    path    = "{Path(a.tf_plugins).resolve()}"\n'
                                       '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n')
        env = terraform_env(work)
        t0 = time.monotonic()
        init = subprocess.run([tf, "init", "-no-color", "-input=false"], cwd=work, env=env,
                              capture_output=True, text=True, timeout=600)
        info["init_s"] = round(time.monotonic() - t0, 2)
        (self.out / "runs" / "tf_init.log").write_text(init.stdout + init.stderr)
        if init.returncode:
            info["reason"] = (f"terraform init failed (rc {init.returncode}, {self.out / 'runs' / 'tf_init.log'}): "
                              + (init.stderr.strip().splitlines() or ["?"])[-1])
            print(f"bench: Terraform column skipped: {info['reason']}", flush=True)
            shutil.rmtree(work, ignore_errors=True)
            return info
        ver = subprocess.run([tf, "version", "-json"], cwd=work, env=env, capture_output=True, text=True, timeout=60)
        try:
            v = json.loads(ver.stdout)
            info["versions"] = {"terraform": v.get("terraform_version"), **v.get("provider_selections", {})}
        except ValueError:
            info["versions"] = {"terraform": ver.stdout.strip()}
        info["available"] = True
        stack = Stack(self.out, "tf-calls.jsonl").start()
        self.tf = {"tf": tf, "work": work, "env": env, "stack": stack, "info": info, "built": False}
        print(f"bench: Terraform {info['versions']}: moto {stack.moto_url}, proxy {stack.proxy_url}, "
              f"log {stack.calls_log}", flush=True)
        self.terraform_cold()
        if self.tf["built"]:
            info["resources"] = count_resources(stack)
            listed = subprocess.run([tf, "state", "list"], cwd=work, env=env, capture_output=True, text=True,
                                    timeout=120).stdout.split()
            info["state_resources"] = len([r for r in listed if not r.startswith("data.")])
        return info

    def terraform_cold(self) -> None:
        """One cold ``terraform apply`` on a wiped emulator."""
        t = self.tf
        t["stack"].reset()
        for f in t["work"].glob("terraform.tfstate*"):
            f.unlink()
        cold = self.terraform(t["tf"], "tf_cold", ["apply", "-auto-approve"], t["work"], t["env"], t["stack"], t["stack"].proxy_url)
        t["built"] = cold["rc"] == 0

    def terraform_plan(self, ms: int) -> None:
        """One no-op ``terraform plan`` at ``ms`` added per call, when the Terraform stack is built."""
        t = self.tf
        if t and t["built"]:
            self.terraform(t["tf"], f"tf_plan{latency_suffix(ms)}", ["plan", "-detailed-exitcode"], t["work"], t["env"],
                           t["stack"], t["stack"].delayed_url(ms))

    def terraform_finish(self) -> dict:
        """The other cold applies (and the plans, when no no-op run of ours took them in turn); then the
        Terraform side's emulator and scratch directory go."""
        t = self.tf
        if not t:
            return {}
        try:
            # without our no-op runs (no main phases), the plans alone
            for ms in [0, *self.args.latency_ms]:
                for _ in range(self.args.runs if f"tf_plan{latency_suffix(ms)}" not in self.runs else 0):
                    self.terraform_plan(ms)
            for _ in range(self.args.runs - 1):
                self.terraform_cold()
        finally:
            t["stack"].stop()
            shutil.rmtree(t["work"], ignore_errors=True)
            self.tf = None
        return t["info"]

    def terraform(self, tf, phase, args, work, env, stack, url) -> dict:
        cmd = [tf, *args, "-no-color", "-input=false", "-var", f"endpoint={url}"]
        return self.timed(phase, cmd, work, env, stack, True, parse_terraform,
                          ok_rcs=(0, 2) if args[0] == "plan" else (0,))

    def profile(self):
        """One cold build and one no-op run with profile_tasks and a task-start log: where the
        time and the API calls go, task by task."""
        out = {}
        self.stack.reset()
        for phase in ("profile_cold", "profile_noop"):
            task_log = self.out / "runs" / f"{phase}-tasks.jsonl"
            task_log.write_text("")
            env = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks,bench_tasks",
                   "ANSIBLE_CALLBACK_PLUGINS": str(BENCH_PLUGINS / "callback_plugins"), "BENCH_TASK_LOG": str(task_log),
                   "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all", "PROFILE_TASKS_SORT_ORDER": "none"}
            run = self.site(phase, env=env)
            log = (self.out / "runs" / f"{run['run']}.log").read_text()
            out[phase] = summarize_profile(log, run)
            out[phase]["tasks"] = attribute_calls(task_log, run)
            out[phase].update(summarize_tasks(out[phase]["tasks"]))
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
            inv = tmp / "hosts.yml"
            inv.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                           f"      ansible_python_interpreter: {sys.executable}\n")
            for key, (task, _env) in MICRO_VARIANTS.items():
                body = f"    - {task}\n" * MICRO_TASKS if task else "    []\n"
                (tmp / f"{key}.yml").write_text(f"- hosts: localhost\n  gather_facts: false\n  tasks:\n{body}")
            env = {"ANSIBLE_LIBRARY": str(BENCH_PLUGINS / "library"), "ANSIBLE_ACTION_PLUGINS": str(BENCH_PLUGINS / "action_plugins")}

            def timed(key, pipelining=False):
                walls, cpus = [], []
                for _ in range(self.args.runs):
                    e = ansible_env(self.stack.moto_url, **env, **MICRO_VARIANTS[key][1])
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
_AWS_ARGS = "{step: %s, region: us-east-1, endpoint_url: \"{{ lookup('ansible.builtin.env', 'AWS_ENDPOINT_URL') }}\"}"
# Each variant: (task, extra environment). The plugins are files of scripts/bench_plugins/.
MICRO_VARIANTS = {
    "empty": (None, {}),
    "debug": ("ansible.builtin.debug: {msg: hi}", {}),                             # controller only, no module
    "plain": ("bench_plain: {}", {}),                                              # AnsibleModule, exit at once
    "plain_boto3": ("bench_plain: {boto3: true}", {}),                             # + import boto3
    "aws_base": ("bench_aws: " + _AWS_ARGS % "base", {}),                          # AnsibleAWSModule, no client
    "aws_client": ("bench_aws: " + _AWS_ARGS % "client", {}),                      # + module.client('ec2')
    "aws_call": ("bench_aws: " + _AWS_ARGS % "call", {}),                          # + one DescribeVpcs
    "action_call": ("bench_action: {}", {}),                                       # in-process action plugin, same call
    "action_call_warm": ("bench_action: {}", {"BENCH_ACTION_WARM": "1"}),          # same, ec2 model loaded before the fork
}
MICRO_PIPELINING = {"plain", "aws_call"}


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
    for phase, label in PHASES + latency_phases(res["phases"]):
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
              f"{cpr:.2f} calls per resource (the benchmark issue's target <= {MAX_NOOP_CALLS_PER_RESOURCE:g}: "
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
    cmp_ = res.get("comparison")
    if cmp_:
        p("")
        p(comparison_text(cmp_, res.get("terraform") or {}))
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


def latency_phases(phases: dict) -> list[tuple[str, str]]:
    """Our phases run through the delaying proxy, labelled for the main table."""
    out = []
    for phase in phases:
        m = re.fullmatch(r"(noop|tags_alb)_lat(\d+)", phase)
        if m:
            out.append((phase, f"{dict(PHASES)[m.group(1)]}, +{m.group(2)} ms/call"))
    return out


def comparison(res: dict, latencies: list[int]) -> dict:
    """Ours / Terraform's medians, phase by phase and latency by latency."""
    ph = res["phases"]
    tf = res.get("terraform") or {}
    specs = [("cold", "tf_cold", 0)]
    for ms in [0, *latencies]:
        specs += [(f"noop{latency_suffix(ms)}", f"tf_plan{latency_suffix(ms)}", ms),
                  (f"tags_alb{latency_suffix(ms)}", f"tf_plan{latency_suffix(ms)}", ms)]
    rows = []
    for ours, theirs, ms in specs:
        o, t = ph.get(ours), ph.get(theirs)
        if not o and not t:
            continue
        base = ours.split("_lat")[0]
        row = {"phase": ours, "label": COMPARISON_LABELS[base], "latency_ms": ms, "terraform_phase": theirs,
               "terraform_label": COMPARISON_LABELS[theirs.split("_lat")[0]]}
        for side, s in (("ours", o), ("terraform", t)):
            row[f"{side}_runs"] = s["runs"] if s else 0
            row[f"{side}_ok"] = bool(s) and all(rc == 0 for rc in s["rc"])
            row[f"{side}_wall_s_median"] = s["wall_s_median"] if s else None
            row[f"{side}_cpu_s_median"] = s["ansible_cpu_s_median"] if s else None
            row[f"{side}_api_calls_median"] = s["api_calls_median"] if s else None
            row[f"{side}_changed_median"] = s["changed_median"] if s else None
        ok = row["ours_ok"] and row["terraform_ok"] and row["terraform_wall_s_median"]
        row["ratio"] = round(row["ours_wall_s_median"] / row["terraform_wall_s_median"], 2) if ok else None
        row["target"] = RATIO_TARGETS.get((base, ms))
        row["met"] = (row["ratio"] <= row["target"]) if row["target"] is not None and row["ratio"] is not None else None
        rows.append(row)
    out = {"rows": rows, "latencies_ms": [0, *latencies]}
    ours_res = (res.get("resources") or {}).get("total")
    noop = ph.get("noop")
    if ours_res and noop and noop["api_calls_median"] is not None:
        cpr = round(noop["api_calls_median"] / ours_res, 2)
        out["ours_noop_calls_per_resource"] = {"calls": noop["api_calls_median"], "resources": ours_res, "per_resource": cpr,
                                               "target": MAX_NOOP_CALLS_PER_RESOURCE_15,
                                               "met": cpr <= MAX_NOOP_CALLS_PER_RESOURCE_15}
    plan = ph.get("tf_plan")
    if plan and tf.get("state_resources"):
        out["terraform_plan_calls_per_resource"] = {
            "calls": plan["api_calls_median"], "state_resources": tf["state_resources"],
            "resources_counted": (tf.get("resources") or {}).get("total"),
            "per_resource": round(plan["api_calls_median"] / tf["state_resources"], 2)}
    return out


def comparison_text(cmp_: dict, tf: dict) -> str:
    lines = ["Latency and the Terraform peer: medians, ours / Terraform's; latency added to every call by a "
             "second aws_proxy.py (--delay-ms) in front of the recording one"]
    p = lines.append
    if not tf.get("available"):
        p(f"Terraform column skipped: {tf.get('reason', 'not run (--no-terraform)')}")
    p("")
    p("| phase | ms/call | ours wall s | ours CPU s | ours API calls | Terraform | TF wall s | TF CPU s | TF API calls | ratio | target |")
    p("|---|---|---|---|---|---|---|---|---|---|---|")

    def cell(row, side, key):
        v = row[f"{side}_{key}"]
        if v is None:
            return "-"
        return f"{v:g}" + ("" if row[f"{side}_ok"] or key != "wall_s_median" else " (FAILED)")

    for r in cmp_["rows"]:
        tgt = ""
        if r["target"] is not None:
            tgt = f"<= {r['target']:g} " + ("-" if r["met"] is None else "met" if r["met"] else "MISSED")
        changed = r["terraform_changed_median"]
        tf_label = r["terraform_label"] + (f" ({changed:g} changes!)" if changed and "plan" in r["terraform_label"] else "")
        p(f"| {r['label']} | {r['latency_ms']} | {cell(r, 'ours', 'wall_s_median')} | {cell(r, 'ours', 'cpu_s_median')} | "
          f"{cell(r, 'ours', 'api_calls_median')} | {tf_label} | {cell(r, 'terraform', 'wall_s_median')} | "
          f"{cell(r, 'terraform', 'cpu_s_median')} | {cell(r, 'terraform', 'api_calls_median')} | "
          f"{'-' if r['ratio'] is None else format(r['ratio'], '.2f')} | {tgt} |")
    c = cmp_.get("ours_noop_calls_per_resource")
    if c:
        p(f"no-op site.yml: {c['calls']:g} API calls / {c['resources']} managed resources = {c['per_resource']:.2f} per resource "
          f"(issue 15 target <= {c['target']:g}: {'met' if c['met'] else 'MISSED'})")
    t = cmp_.get("terraform_plan_calls_per_resource")
    if t:
        p(f"terraform plan: {t['calls']:g} API calls / {t['state_resources']} resources in its state = {t['per_resource']:.2f} "
          f"per resource (the bench's own count finds {t['resources_counted']} in its emulator)")
    if tf.get("versions"):
        p("Terraform: " + ", ".join(f"{k} {v}" for k, v in tf["versions"].items()) + f"; init {tf.get('init_s')} s (not timed)")
    return "\n".join(lines)


COMPARISON_LABELS = {"cold": "cold site.yml", "noop": "no-op site.yml", "tags_alb": "--tags alb (no-op)",
                     "tf_cold": "apply (cold)", "tf_plan": "plan (no-op)"}
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
                    help="skip the main phases (cold, no-op, check, tags, teardown) and the latency phases")
    ap.add_argument("--latency-ms", type=latency_list, default=latency_list("100,200"),
                    help="added latency per API call, comma-separated milliseconds, for the no-op and --tags alb "
                         "runs and Terraform's plan through a delaying proxy (default 100,200; 0 or '' for none)")
    ap.add_argument("--no-terraform", dest="terraform_peer", action="store_false",
                    help="skip the Terraform peer (its column stays empty)")
    ap.add_argument("--terraform", default="terraform", help="the terraform binary (default: terraform on PATH)")
    ap.add_argument("--terraform-dir", default=TERRAFORM_DIR, help="the peer's directory; its main.tf is copied, never edited")
    ap.add_argument("--tf-plugins", default=TF_PLUGINS, help="filesystem mirror holding registry.terraform.io/hashicorp/aws")
    ap.add_argument("--compare-only", action="store_true",
                    help="only what the comparison with Terraform needs: cold, no-op and --tags alb (each latency), "
                         "the Terraform side; no check, --tags network, teardown, profile or extras")
    args = ap.parse_args(argv)
    if args.compare_only:
        args.profile = args.extras = False

    bench = Bench(args)
    res = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "inventory": args.inventory, "runs": args.runs,
           "site_args": args.site_args, "loadavg_start": loadavg(), "cpus": os.cpu_count(),
           "versions": versions()}
    # A SIGTERM stops the emulators too (the finally clauses below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        # Terraform's stack first: its no-op plans run in turn with ours (main_runs)
        if args.terraform_peer:
            res["terraform"] = bench.terraform_prepare()
        stack = bench.stack.start()
        print(f"bench: moto {stack.moto_url}, proxy {stack.proxy_url}, log {stack.calls_log}, load {res['loadavg_start']}, "
              f"latency settings {args.latency_ms or 'none'} ms/call", flush=True)
        try:
            if args.main:
                res.update(bench.main_runs())
            if args.profile:
                res["profile"] = bench.profile()
            if args.extras:
                res["extras"] = bench.extras()
        finally:
            stack.stop()
    finally:
        if args.terraform_peer:
            res["terraform"] = dict(res.get("terraform") or {}, **bench.terraform_finish())
    res["loadavg_end"] = loadavg()
    res["phases"] = {phase: summarize(runs) for phase, runs in bench.runs.items()}
    res["comparison"] = comparison(res, args.latency_ms)
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


def latency_list(text: str) -> list[int]:
    try:
        values = sorted({int(x) for x in text.replace(" ", "").split(",") if x})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of milliseconds: {text!r}") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("latencies must be >= 0")
    return [v for v in values if v]


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
