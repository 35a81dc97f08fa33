"""API faults (issue 6): the whole stack converges while a fifth of the AWS calls fail.

scripts/aws_proxy.py sits between the playbooks and the session's moto server and answers 20% of
the AWS calls (never the /moto-api paths) with a throttling error in the caller's protocol or a
500. site.yml must still converge (rc 0), the stack read from the emulator directly must have no
problem, and a rerun through the same faulty proxy must report changed=0. The proxy's call log says
how many faults were injected; a run that saw none would prove nothing.

Retries come from one layer per module: botocore's (aws_config retries, mode standard,
max_attempts 10, in group_vars/all) under the stock modules, and the collection's own
(base.aws_client: botocore's retries off, the same attempts) under the custom ones.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
from pathlib import Path

import pytest
from emulator import start_proxy, stop_process  # scripts/emulator.py (on sys.path through conftest)

from conftest import run_playbook

from .stack_checks import check_stack, inventory_values

FAULT_RATE = 0.2
# A fixed seed makes a failure reproducible (the threads of a run still interleave differently);
# AWS_PROXY_SEED=<n> tries another sequence of faults.
SEED = int(os.environ.get("AWS_PROXY_SEED", "6"))


class AwsProxy:
    """scripts/aws_proxy.py on a free loopback port in front of ``target`` (scripts/emulator.start_proxy)."""

    def __init__(self, target: str, log: Path, fault_rate: float = 0.0, seed: int | None = None, delay_ms: int = 0):
        self.target, self.log, self.fault_rate, self.seed, self.delay_ms = target, Path(log), fault_rate, seed, delay_ms
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "AwsProxy":
        args = ["--fault-rate", str(self.fault_rate), "--log", str(self.log)]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        if self.delay_ms:
            args += ["--delay-ms", str(self.delay_ms)]
        self.proc, self.url = start_proxy(self.target, args)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def calls(self) -> list[dict]:
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:  # a line being written
                pass
        return out


def fault_summary(calls: list[dict]) -> str:
    faults = [c for c in calls if c.get("injected")]
    kinds = collections.Counter(c["injected"] for c in faults)
    by_call = collections.Counter(f"{c['service']}:{c['action']}" for c in faults)
    return "%d of %d AWS calls faulted (%s); most faulted: %s" % (
        len(faults), len(calls), dict(kinds), ", ".join(f"{k} x{n}" for k, n in by_call.most_common(8)))


@pytest.fixture
def faulty_proxy(aws, tmp_path):
    proxy = AwsProxy(aws.url, tmp_path / "calls.jsonl", fault_rate=FAULT_RATE, seed=SEED).start()
    yield proxy
    proxy.stop()


def test_site_converges_through_api_faults(aws, faulty_proxy, tmp_path):
    # the guide goes to a directory of this test: reports/ is shared with other runs on the machine
    extra = {"report_dir": str(tmp_path / "reports" / "production")}
    env = {"AWS_ENDPOINT_URL": faulty_proxy.url}

    first = run_playbook(aws, "site.yml", extra_vars=extra, env=env, timeout=1800)
    calls = faulty_proxy.calls()
    print("first run:", fault_summary(calls))
    assert first.rc == 0, "site.yml did not ride out the injected faults (%s):\n%s" % (fault_summary(calls), first)
    assert first.changed > 0, first
    assert "injected by aws_proxy" not in first.out, "a module gave up on an injected fault:\n%s" % first

    problems = check_stack(aws.client, inventory_values("production"))
    assert problems == [], "the stack built through the faulty proxy differs:\n" + "\n".join(problems)

    seen = len(calls)
    second = run_playbook(aws, "site.yml", extra_vars=extra, env=env, timeout=1800)
    calls = faulty_proxy.calls()
    print("rerun:", fault_summary(calls[seen:]))
    assert second.rc == 0, "the rerun failed on injected faults (%s):\n%s" % (fault_summary(calls[seen:]), second)
    changed = [line for line in second.out.splitlines() if line.startswith("changed:")]
    assert second.changed == 0, "the rerun through faults changed %d task(s): %s\n%s" % (second.changed, changed, second)

    faults = [c for c in calls if c.get("injected")]
    print("faults injected over both runs: %d (%s)" % (len(faults), dict(collections.Counter(c["injected"] for c in faults))))
    assert len(faults) > 0, "the proxy injected no fault: the test proved nothing"
    assert {c["injected"] for c in faults} == {"throttle", "5xx"}, "expected both kinds of fault"
    # the faults reached many services, not only the first few calls
    assert len({c["service"] for c in faults}) >= 5, fault_summary(calls)
    # and the rerun still built nothing twice
    problems = check_stack(aws.client, inventory_values("production"))
    assert problems == [], "\n".join(problems)
