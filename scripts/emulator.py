#!/usr/bin/env python3
"""The local AWS emulator: moto's server behind the harness's model of AWS, on 127.0.0.1.

moto answers the API of every service of the stack but forgives what AWS refuses (everything is
ready at once, deletes are instant, nothing is "in use", replication groups' member clusters cannot
be described, DeleteCacheSubnetGroup is not implemented). scripts/aws_proxy.py --aws-model sits in
front of it and answers as AWS does (scripts/aws_model.py, docs/aws-behaviour.md). Everything that
talks to "the emulator" (make deploy, Molecule, the pytest suites, the benchmark) starts it through
this file, the one place that starts moto:

    emulator.py start [--port 5000] [--time-scale 0] [--dir .emulator]   # detached; PIDs in --dir
    emulator.py stop|status|reset|endpoint [--port 5000] [--dir .emulator]

--time-scale multiplies the AWS durations of the model (a DB instance creating for ~7 minutes, a
NAT gateway deleting for a minute ...): 0 makes them instant, 0.02 plays them 50 times faster.
In Python: ``LocalAws(time_scale=0.02).start()`` (``.url``, ``.reset()``, ``.stop()``).
Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROXY = HERE / "aws_proxy.py"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str, timeout: float = 2) -> bool:
    try:
        urllib.request.urlopen(url + "/moto-api/", timeout=timeout)
        return True
    except OSError:
        return False


def wait_until_answering(url: str, proc: subprocess.Popen, name: str, log: Path | None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(url):
            return
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{name} exited with {proc.returncode} before answering on {url}\n{tail}")
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer on {url} within {timeout:.0f} s")


def start_proxy(target: str, args: list[str], port: int | None = None, log: Path | None = None,
                detach: bool = False) -> tuple[subprocess.Popen, str]:
    """scripts/aws_proxy.py in front of ``target`` (a free port unless given); returns (process, url)."""
    for _attempt in range(5):  # another process may take a free port between bind and listen
        listen = port or free_port()
        url = f"http://127.0.0.1:{listen}"
        out = open(log, "ab") if log else subprocess.DEVNULL
        proc = subprocess.Popen([sys.executable, str(PROXY), "--listen", f"127.0.0.1:{listen}", "--target", target, *args],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=detach)
        try:
            wait_until_answering(url, proc, "aws_proxy", log)
            return proc, url
        except RuntimeError as e:
            stop_process(proc)
            if port or "Address already in use" not in str(e):
                raise
    raise RuntimeError("aws_proxy found no free port")


def stop_process(proc_or_pid) -> None:
    """SIGTERM, then SIGKILL after 5 s."""
    pid = proc_or_pid if isinstance(proc_or_pid, int) else proc_or_pid.pid
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        if isinstance(proc_or_pid, subprocess.Popen):
            if proc_or_pid.poll() is not None:
                return
        else:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class LocalAws:
    """moto_server on a free loopback port behind aws_proxy.py --aws-model on ``port`` (free unless given)."""

    def __init__(self, port: int | None = None, time_scale: float = 0.0, proxy_args: list[str] | None = None,
                 logdir: Path | None = None, detach: bool = False):
        self.port = port
        self.time_scale = time_scale
        self.proxy_args = list(proxy_args or [])
        self.logdir = Path(logdir or HERE.parent / ".emulator")
        self.detach = detach
        self.moto: subprocess.Popen | None = None
        self.proxy: subprocess.Popen | None = None
        self.moto_url = self.url = ""

    def start(self) -> "LocalAws":
        self.logdir.mkdir(parents=True, exist_ok=True)
        moto_port = free_port()
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        moto_log = self.logdir / f"moto-{self.port or moto_port}.log"
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        self.moto = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                                     stdout=open(moto_log, "wb"), stderr=subprocess.STDOUT, env=env,
                                     start_new_session=self.detach)
        try:
            wait_until_answering(self.moto_url, self.moto, "moto_server", moto_log)
            args = ["--aws-model", "--time-scale", str(self.time_scale), *self.proxy_args]
            proxy_log = self.logdir / f"aws-model-{self.port or moto_port}.log"
            self.proxy, self.url = start_proxy(self.moto_url, args, self.port, proxy_log, self.detach)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proc in (self.proxy, self.moto):
            if proc is not None:
                stop_process(proc)

    def reset(self) -> None:
        """Wipe moto and the model (the proxy passes /moto-api/reset on and starts its model over)."""
        urllib.request.urlopen(urllib.request.Request(self.url + "/moto-api/reset", method="POST"), timeout=120)


# --- command line (scripts/emulator.sh, make deploy, Molecule) ------------------------------------

def _pidfile(args) -> Path:
    return Path(args.dir) / f"emulator-{args.port}.pid"


def _pids(args) -> list[int]:
    try:
        return [int(p) for p in _pidfile(args).read_text().split()]
    except (OSError, ValueError):
        return []


def _alive(pids: list[int]) -> bool:
    try:
        for pid in pids:
            os.kill(pid, 0)
        return bool(pids)
    except ProcessLookupError:
        return False


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["start", "stop", "status", "reset", "endpoint"])
    p.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT", "5000")))
    p.add_argument("--dir", default=os.environ.get("EMULATOR_DIR", str(HERE.parent / ".emulator")))
    p.add_argument("--time-scale", type=float, default=float(os.environ.get("EMULATOR_TIME_SCALE", "0")))
    args = p.parse_args(argv)
    url = f"http://127.0.0.1:{args.port}"
    pids = _pids(args)
    if args.command == "endpoint":
        print(url)
    elif args.command == "status":
        if _alive(pids) and answers(url):
            print(f"running at {url} (pids {' '.join(map(str, pids))})")
        else:
            print("not running")
            return 1
    elif args.command == "reset":
        urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=120)
        print("emulator state wiped")
    elif args.command == "stop":
        if _alive(pids):
            for pid in pids:
                stop_process(pid)
            print(f"emulator stopped (pids {' '.join(map(str, pids))})")
        else:
            print(f"emulator not running on port {args.port}")
        _pidfile(args).unlink(missing_ok=True)
    else:  # start
        if _alive(pids) and answers(url):
            print(f"emulator already running at {url} (pids {' '.join(map(str, pids))})")
            return 0
        if answers(url):
            print(f"emulator: something else already answers on {url}; set EMULATOR_PORT", file=sys.stderr)
            return 1
        if not (BIN / "moto_server").exists():
            print(f"emulator: {BIN / 'moto_server'} not found; run 'make venv' first", file=sys.stderr)
            return 1
        aws = LocalAws(args.port, args.time_scale, logdir=Path(args.dir), detach=True)
        try:
            aws.start()
        except RuntimeError as e:
            print(f"emulator: {e}", file=sys.stderr)
            return 1
        _pidfile(args).write_text(f"{aws.proxy.pid} {aws.moto.pid}\n")
        print(f"emulator running at {url} (moto's server behind the AWS model, time scale {args.time_scale:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
