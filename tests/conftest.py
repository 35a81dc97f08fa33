"""Test harness: a moto server per test session, and a runner for real ansible-playbook runs.

Every test that talks to AWS goes through the ``emulator`` fixture (one moto server per pytest
worker, on a free loopback port) and ``aws`` (the same, wiped before the test).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from ansible.plugins.loader import init_plugin_loader

from aws_model import WHOLE_PAGES_HEADER
from emulator import LocalAws  # scripts/emulator.py: the one place that starts moto
from recap import parse_recap  # scripts/recap.py: shared with the benchmark

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REGION = "us-east-1"

# Ansible's collection loader, as ansible-playbook and ansible-test install it, before anything
# imports ansible_collections: the roles' templates rendered in unit tests find the collection's
# filters by FQCN (an ansible_collections package imported first would carry no metadata).
init_plugin_loader([str(REPO / "collections")])


class Emulator:
    """The local AWS emulator (moto behind the harness's model of AWS), started and stopped by PID.

    ``Emulator(port=N)`` without ``start()`` only names an address (nothing needs to listen there).
    """

    def __init__(self, port: int | None = None, logdir: Path | None = None, time_scale: float = 0.0,
                 proxy_args: list[str] | None = None):
        self.port = port
        self.url = f"http://127.0.0.1:{port}" if port else ""
        self._aws = LocalAws(time_scale=time_scale, proxy_args=proxy_args, logdir=logdir)

    def start(self) -> "Emulator":
        self._aws.start()
        self.url = self._aws.url
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def stop(self) -> None:
        self._aws.stop()

    def reset(self) -> None:
        req = urllib.request.Request(self.url + "/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=60)

    def aws_calls(self) -> int:
        """How many AWS calls the emulator's proxy has received since it started (the test's own too)."""
        import json
        with urllib.request.urlopen(self.url + "/aws-proxy/calls", timeout=60) as reply:
            return json.load(reply)["calls"]

    def client(self, service: str, region: str = REGION):
        client = boto3.client(
            service, region_name=region, endpoint_url=self.url,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        client.meta.events.register("before-send", _whole_pages)
        return client

    def env(self, **extra: str) -> dict:
        """Environment for an ansible-playbook run against this emulator."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_", "MOLECULE_"))}
        env.update(
            AWS_ENDPOINT_URL=self.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=REGION,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
            PATH=f"{BIN}:{env.get('PATH', '')}",
        )
        env.update(extra)
        return env


def _whole_pages(request, **kwargs):
    """The test's own reads ask the model for whole answers (no small pages; see aws_model.py)."""
    request.headers[WHOLE_PAGES_HEADER] = "off"


# The tiers in the order site.yml builds them.
TIER_ORDER = ("network", "registry", "data", "alb", "ecs_services", "monitoring")


@dataclass
class Run:
    rc: int
    out: str
    stats: dict = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return self.stats.get("changed", 0)

    @property
    def failed(self) -> int:
        return self.stats.get("failed", 0) + self.stats.get("unreachable", 0)

    def __str__(self) -> str:  # shown by pytest on failure
        return f"rc={self.rc} stats={self.stats}\n{self.out[-6000:]}"

    def task_sections(self) -> list[tuple[str, str]]:
        """(task name, its output) for every task the run printed, in order."""
        out = re.split(r"^PLAY RECAP", self.out, flags=re.M)[0]
        return [(s.split("]", 1)[0], s) for s in re.split(r"^TASK \[", out, flags=re.M)[1:]]

    def tasks_reported(self, status: str) -> list[str]:
        """Names of the tasks with a host reported ``status`` (``ok``, ``changed`` ...)."""
        return [name for name, text in self.task_sections() if re.search(r"^%s: " % status, text, flags=re.M)]

    def changed_tasks(self) -> list[str]:
        """Names of the tasks reported changed (for failure messages)."""
        return self.tasks_reported("changed")

    def tiers_ran(self) -> list[str]:
        """Tiers that ran a task of their own role in a tier play ("PLAY [Tier <name>: ...]", or
        "PLAY [Tiers ...]" where site.yml runs tiers side by side), in the stack's order.

        A run reporting changed=0 proves nothing when its --tags matched no task; a "nothing
        changed" phase asserts the tier it meant ran. Not counted: the role's argument validation,
        which Ansible tags ``always``.
        """
        ran = set()
        for play in re.split(r"^PLAY \[", self.out, flags=re.M)[1:]:
            if not play.startswith("Tier"):
                continue
            for task in re.split(r"^TASK \[", play, flags=re.M)[1:]:
                name = task.split("]", 1)[0]
                role = re.match(r"apranova\.aws_stack\.(\w+) : ", name)
                if role and role.group(1) in TIER_ORDER and "Validating arguments against arg spec" not in name:
                    ran.add(role.group(1))
        return [tier for tier in TIER_ORDER if tier in ran]


def run_playbook(emulator: Emulator, playbook: str, inventory: str = "inventories/production",
                 extra_vars: dict | None = None, check: bool = False, diff: bool = False,
                 tags: str | None = None, args: list[str] | None = None, env: dict | None = None,
                 timeout: int = 900) -> Run:
    """Run ansible-playbook from the repository root against ``emulator``; never raises on failure."""
    import json

    cmd = [str(BIN / "ansible-playbook"), playbook, "-i", inventory]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if tags:
        cmd += ["--tags", tags]
    cmd += args or []
    proc = subprocess.run(cmd, cwd=REPO, env=emulator.env(**(env or {})), capture_output=True,
                          text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    return Run(proc.returncode, out, parse_recap(out))


@pytest.fixture(scope="session")
def emulator():
    emu = Emulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def aws(emulator):
    """The session's emulator, wiped before the test."""
    emulator.reset()
    return emulator


@pytest.fixture
def playbook(aws):
    """``playbook(path, **kw)`` runs ansible-playbook against the wiped emulator."""
    def _run(path, **kw):
        return run_playbook(aws, path, **kw)
    return _run
