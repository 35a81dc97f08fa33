"""The deployer's least-privilege policy (issue 16): docs/deployer-policy.json is enough, and needed.

An emulator of its own (moto behind the AWS model, its calls logged by scripts/aws_proxy.py) with
IAM enforcement switched on through moto's /moto-api/reset-auth (what INITIAL_NO_AUTH_ACTION_COUNT
sets at start: the IAM user and its policy are made while it is off). Every playbook runs as an IAM
user that holds only the policy:

1. the lifecycle (cold build, rerun changed=0, --check --diff, report, teardown with the data)
   passes, no call of it is refused, and the policy's actions are exactly the actions of its call
   log plus the ones AWS checks without a call of their own (scripts/deployer_policy.py IMPLIED)
   and the ones a module makes only when an input changes (ON_CHANGE);
2. with one action of that call log taken out (picked with a seed the assertion message prints:
   33 by default, DEPLOYER_POLICY_SEED=random for a random one, =N replays N), the first step whose calls need it fails, naming it
   (or, for an action a module can do without, scripts/deployer_policy.py WITH_FALLBACK, passes with that call refused).

What moto does not check, and this test therefore does not prove: Resource ARNs and Conditions
(moto evaluates actions only, so the user's copy of the policy has every Resource "*" and no
Condition), and the IMPLIED actions (tag-on-create, iam:PassRole, service-linked roles); moto names
CloudWatch's actions "monitoring:*" and the tagging API's "tagging:*", so the user's copy uses those names. moto 5.2.5
also miscomputes the SigV4 signature of body-less REST calls (EFS GET and DELETE answer
SignatureDoesNotMatch), and the calls the AWS model rewrites or makes itself carry the client's
signature of another body: a relay between the model and moto checks those calls' actions against
the policy itself (refusing with AccessDenied when the action is missing) and lets the allowed ones
(and the model's own lookups) through with enforcement off for that one call; a client call the AWS
model answers alone (DeleteCacheSubnetGroup, which moto lacks) is checked in front of the model,
after the fact. All client calls go one at a time.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aws_model import error_reply  # scripts/
from aws_proxy import Proxy, describe
from conftest import REPO, Emulator, run_playbook
from deployer_policy import IMPLIED, ON_CHANGE, WITH_FALLBACK, call_action, policy_actions
from emulator import LocalAws, start_proxy, stop_process

from .deployer_policy_arns import (arns_not_matched, by_kind, iam_match, kinds_not_scoped, patterns_matching_nothing,
                                   snapshot_arns, stack_arns, unknown_formats)

POLICY = REPO / "docs" / "deployer-policy.json"
USER = "apranova-deployer"
TEARDOWN = {"confirm_teardown": "production", "teardown_delete_data": True, "teardown_disable_deletion_protection": True}
# (step, playbook, extra vars, check+diff)
LIFECYCLE = [
    ("build", "site.yml", {}, False),
    ("rerun", "site.yml", {}, False),
    ("check", "site.yml", {}, True),
    ("report", "playbooks/report.yml", {}, False),
    ("teardown", "playbooks/teardown.yml", TEARDOWN, False),
]
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def _call(handler, body: bytes) -> tuple[str, str | None]:
    """(protocol, IAM action) of a request, as scripts/aws_proxy.py names it."""
    service, action, protocol = describe(handler.headers, handler.path, body)
    if protocol == "rest" and action.startswith(" /"):
        action = handler.command + action
    if handler.path.startswith("/moto-api"):
        return protocol, None
    return protocol, call_action(service, action)


def _denied(action: str) -> str:
    return ("User: arn:aws:iam::123456789012:user/%s is not authorized to perform: %s (checked by the test: "
            "moto could not check this call)" % (USER, action))


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each reply's body waits ~40 ms for the delayed ACK
    target = ""

    def log_message(self, *args):
        pass

    def forward(self, body: bytes, target: str):
        """Send the request on to ``target`` on this client connection's own kept-alive connection
        (the harness proxy's own forwarding, scripts/aws_proxy.py)."""
        url = urllib.parse.urlparse(target)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Host"] = self.headers.get("Host", url.netloc)
        resp, payload = Proxy._forward(self, url, headers, body)
        return resp.status, {k: v for k, v in resp.getheaders() if k.lower() not in HOP}, payload

    def finish(self):
        super().finish()
        if getattr(self, "_upstream", None) is not None:  # the kept-alive connection Proxy._forward made
            self._upstream.close()

    reply = Proxy._reply

    def handle_call(self, body):
        self.reply(*self.forward(body, self.target))

    def _handle(self):
        self.handle_call(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


class Front(_Relay):
    """Where the playbooks connect: one client call at a time, the current one known to Back."""

    lock = threading.Lock()
    current: str | None = None
    reached = False  # whether the current call reached moto (Back) as itself

    def handle_call(self, body):
        protocol, action = _call(self, body)
        with Front.lock:
            Front.current, Front.reached = action, False
            try:
                answer = self.forward(body, self.target)
            finally:
                Front.current = None
            if action and not Front.reached and action not in Back.allowed:
                # answered by the AWS model alone (what moto lacks: DeleteCacheSubnetGroup ...):
                # nobody checked it, so the test refuses it here, after the fact
                Back.checked.append(action)
                reply = error_reply(action.split(":")[0], protocol, "AccessDenied", _denied(action), 403)
                answer = (reply.status, reply.headers, reply.body)
        self.reply(*answer)


class Back(_Relay):
    """In front of moto: a call moto cannot check the signature of is checked here, against ``allowed``.

    A client call (the current call of Front, possibly rewritten by the AWS model) whose action the
    policy lacks is refused as moto would refuse it; the others (allowed, or the model's own calls)
    are sent again with enforcement off for that one call.
    """

    allowed: set[str] = set()
    checked: list[str] = []  # the actions checked here rather than by moto, in order

    def auth(self, count: str) -> None:
        req = urllib.request.Request(self.target + "/moto-api/reset-auth", data=count.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=30).read()

    def handle_call(self, body):
        protocol, action = _call(self, body)
        if action is not None and action == Front.current:
            Front.reached = True
        status, headers, payload = self.forward(body, self.target)
        if status == 403 and b"SignatureDoesNotMatch" in payload:
            if action == Front.current:
                Back.checked.append(action)
                if action not in Back.allowed:
                    reply = error_reply(action.split(":")[0], protocol, "AccessDenied", _denied(action), 403)
                    return self.reply(reply.status, reply.headers, reply.body)
            self.auth("inf")
            try:
                status, headers, payload = self.forward(body, self.target)
            finally:
                self.auth("0")
        self.reply(status, headers, payload)


def _serve(handler, target: str) -> ThreadingHTTPServer:
    handler.target = target
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Deployer:
    """playbooks -> Front -> aws_proxy --aws-model --log -> Back -> moto (IAM enforced)."""

    def __init__(self, tmp: Path):
        self.log = tmp / "calls.jsonl"
        self.aws = LocalAws(logdir=tmp).start()  # moto (its own proxy stays unused)
        self.moto = self.aws.moto_url
        self.back = _serve(Back, self.moto)
        back_url = "http://127.0.0.1:%d" % self.back.server_address[1]
        self.model, model_url = start_proxy(back_url, ["--aws-model", "--time-scale", "0", "--log", str(self.log)],
                                            log=tmp / "aws-model.log")
        self.front = _serve(Front, model_url)
        self.emu = Emulator(port=self.front.server_address[1])  # names the front's address
        self.keys: dict = {}
        self.arns: list[str] = []  # the stack's ARNs, read by the lifecycle after its build and its teardown

    def stop(self):
        self.front.shutdown()
        stop_process(self.model)
        self.back.shutdown()
        self.aws.stop()

    def _auth(self, count: str) -> None:
        req = urllib.request.Request(self.moto + "/moto-api/reset-auth", data=count.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=30).read()

    def grant(self, actions: set[str], fresh: bool) -> None:
        """The user holds exactly ``actions`` (on "*"); ``fresh``: wipe the emulator first."""
        self._auth("inf")
        try:
            if fresh:
                self.emu.reset()
            iam = self.emu.client("iam")
            if fresh:
                iam.create_user(UserName=USER)
                self.keys = iam.create_access_key(UserName=USER)["AccessKey"]
            # moto names actions by the SigV4 signing name: "monitoring:PutMetricAlarm", "tagging:GetResources"
            moto_prefix = {"cloudwatch": "monitoring", "tag": "tagging"}
            moto_names = {"%s:%s" % (moto_prefix.get(a.split(":")[0], a.split(":")[0]), a.split(":")[1]) for a in actions}
            document = {"Version": "2012-10-17", "Statement": [
                {"Sid": "MotoChecksActionsOnly", "Effect": "Allow", "Action": sorted(moto_names), "Resource": "*"}]}
            iam.put_user_policy(UserName=USER, PolicyName="deployer", PolicyDocument=json.dumps(document))
            Back.allowed = set(actions)
        finally:
            self._auth("0")

    def read(self, reads) -> list:
        """``reads(client)`` as the test itself (IAM not enforced), through the model as the playbooks'
        calls go (it answers what moto lacks, e.g. a replication group's member clusters), and then
        taken out of the call log, which holds the playbooks' calls only. The proxy logs a call after
        answering it: the log is cut once every call sent has its line."""
        size, sent = self.log.stat().st_size, []

        def client(service: str):
            made = self.emu.client(service)
            made.meta.events.register("before-send", lambda **_: sent.append(1))
            return made
        self._auth("inf")
        try:
            return reads(client)
        finally:
            self._auth("0")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with open(self.log, "rb") as f:
                    f.seek(size)
                    if f.read().count(b"\n") >= len(sent):
                        break
                time.sleep(0.05)
            with open(self.log, "r+b") as f:
                f.truncate(size)

    def run(self, step: str) -> tuple:
        """Run one lifecycle step as the user; (Run, the IAM actions of its calls, its refused calls)."""
        _, playbook, extra, check = next(s for s in LIFECYCLE if s[0] == step)
        start = self.log.stat().st_size if self.log.exists() else 0
        run = run_playbook(self.emu, playbook, extra_vars=dict(extra, report_dir=str(self.log.parent / "report")),
                           check=check, diff=check, timeout=600,
                           env={"AWS_ACCESS_KEY_ID": self.keys["AccessKeyId"],
                                "AWS_SECRET_ACCESS_KEY": self.keys["SecretAccessKey"]})
        with open(self.log) as f:
            f.seek(start)
            entries = [json.loads(line) for line in f.read().splitlines()]
        actions = {call_action(e["service"], e["action"]) for e in entries}
        refused = [e for e in entries if e["status"] in (401, 403)]
        return run, actions - {None}, refused


@pytest.fixture(scope="module")
def deployer(tmp_path_factory):
    d = Deployer(tmp_path_factory.mktemp("deployer"))
    yield d
    d.stop()


@pytest.fixture(scope="module")
def lifecycle(deployer):
    """The whole lifecycle as the user holding the policy: step -> (Run, actions, refused, seconds)."""
    deployer.grant(policy_actions(json.loads(POLICY.read_text())), fresh=True)
    start = deployer.log.stat().st_size  # the calls before are the test's own (the IAM user)
    out = {}
    for step, *_ in LIFECYCLE:
        t = time.monotonic()
        out[step] = (*deployer.run(step), round(time.monotonic() - t, 1))
        if out[step][0].rc != 0:
            break
        if step == "build":  # what the policy's patterns are checked against (deployer_policy_arns.py)
            deployer.arns += deployer.read(stack_arns)
        if step == "teardown":
            deployer.arns += deployer.read(snapshot_arns)
    if os.environ.get("DEPLOYER_POLICY_LOG"):  # the call log, to regenerate the policy from (make deployer-policy LOG=...)
        Path(os.environ["DEPLOYER_POLICY_LOG"]).write_bytes(deployer.log.read_bytes()[start:])
    return out


def test_the_policy_builds_checks_reports_and_tears_down_the_stack(lifecycle):
    for step, *_ in LIFECYCLE:
        assert step in lifecycle, "the lifecycle stopped before %s" % step
        run, _, refused, _ = lifecycle[step]
        assert run.rc == 0, "%s failed as %s:\n%s" % (step, USER, run)
        assert refused == [], "%s: calls refused %s" % (step, refused)
    for step in ("rerun", "check"):
        assert lifecycle[step][0].changed == 0, (step, lifecycle[step][0].changed_tasks())

    policy = policy_actions(json.loads(POLICY.read_text()))
    used = set().union(*(actions for _, actions, _, _ in lifecycle.values()))
    assert used - policy == set(), "called but not in the policy"
    assert policy - used - set(IMPLIED) - set(ON_CHANGE) == set(), "in the policy but never called (regenerate: make deployer-policy)"


def test_without_any_one_of_its_actions_a_step_fails_naming_it(deployer, lifecycle):
    policy = policy_actions(json.loads(POLICY.read_text()))
    used = {step: actions for step, (_, actions, _, _) in lifecycle.items()}
    # A fixed seed by default, so that CI is repeatable (33 takes ecr:CreateRepository away);
    # DEPLOYER_POLICY_SEED=random picks one at random, =N replays N.
    chosen = os.environ.get("DEPLOYER_POLICY_SEED") or "33"
    seed = random.SystemRandom().randrange(10**6) if chosen == "random" else int(chosen)
    action = random.Random(seed).choice(sorted(set().union(*used.values())))
    step = next(s for s, *_ in LIFECYCLE if action in used[s])
    why = "seed %d (DEPLOYER_POLICY_SEED=%d replays it): without %s, step %s" % (seed, seed, action, step)

    if step == "build":
        deployer.grant(policy - {action}, fresh=True)
    else:  # the stack the step works on, built with the whole policy; then the action taken away
        deployer.grant(policy, fresh=True)
        assert deployer.run("build")[0].rc == 0, why
        deployer.grant(policy - {action}, fresh=False)
    run, _, refused = deployer.run(step)
    if action in WITH_FALLBACK:  # the module reads the same another way: the step passes, its call refused
        assert run.rc == 0, "%s failed, though %s:\n%s" % (why, WITH_FALLBACK[action], run)
        assert action in {call_action(e["service"], e["action"]) for e in refused}, "%s: not refused: %s" % (why, refused)
        return
    said = " ".join(run.out.split())
    assert run.rc != 0, "%s passed:\n%s" % (why, run)
    assert action in said and re.search(r"AccessDenied|not authorized", said), "%s failed without naming it:\n%s" % (why, run)


# --- the policy's ARN patterns against the stack's real ARNs (deployer_policy_arns.py) ---------------

@pytest.fixture(scope="module")
def arns(deployer, lifecycle) -> list[str]:
    assert "teardown" in lifecycle, "the lifecycle stopped before the teardown"
    assert any(":rds:" in arn and ":snapshot:" in arn for arn in deployer.arns), "no final DB snapshot: %s" % deployer.arns
    return list(deployer.arns)


def test_the_stack_arns_have_aws_formats(arns):
    assert unknown_formats(arns) == []
    assert all(iam_match(arn, arn) for arn in arns)  # an ARN matches itself: no "*" or "?" in one


def test_every_pattern_matches_a_real_arn(arns):
    problems = patterns_matching_nothing(json.loads(POLICY.read_text()), by_kind(arns))
    assert problems == [], "\n".join(problems)


def test_every_real_arn_is_matched_by_the_statements_of_its_kind(arns):
    policy, real = json.loads(POLICY.read_text()), by_kind(arns)
    problems = arns_not_matched(policy, real) + kinds_not_scoped(policy, real)
    assert problems == [], "\n".join(problems)


def test_the_arn_checks_fail_on_a_broken_policy(arns):
    good, real = json.loads(POLICY.read_text()), by_kind(arns)
    renamed = json.loads(json.dumps(good).replace("production-", "prod-"))
    assert any("arn:aws:rds:*:*:db:prod-* matches no rds:db" in p for p in patterns_matching_nothing(renamed, real))
    assert any("production-apranova-db matches none of" in p for p in arns_not_matched(renamed, real))

    no_subnet_group = copy.deepcopy(good)
    rds = next(st for st in no_subnet_group["Statement"] if st["Sid"] == "RdsStack")
    rds["Resource"] = [r for r in rds["Resource"] if ":subgrp:" not in r]
    assert any(p.startswith("RdsStack: rds:CreateDBSubnetGroup acts on") for p in kinds_not_scoped(no_subnet_group, real))

    sns_unscoped = copy.deepcopy(good)
    sns_unscoped["Statement"] = [st for st in good["Statement"] if st["Sid"] != "SnsStack"]
    assert "sns:topic: the stack has some, no statement scopes them" in kinds_not_scoped(sns_unscoped, real)


def test_iam_wildcards():
    assert iam_match("arn:aws:ecs:*:*:task-definition/production-*:*", "arn:aws:ecs:us-east-1:1:task-definition/production-backend:3")
    assert iam_match("arn:aws:logs:*:*:log-group:/ecs/*", "arn:aws:logs:us-east-1:1:log-group:/ecs/backend:*")  # a last "*" runs on
    assert not iam_match("arn:aws:rds:*:*:db:prod*-db", "arn:aws:rds:us-east-1:1:db:prod:x-db")  # an inner "*" stays in its segment
    assert iam_match("arn:aws:sns:*:*:production-?larms", "arn:aws:sns:us-east-1:1:production-alarms")
    assert not iam_match("arn:aws:sns:*:*:production-?", "arn:aws:sns:us-east-1:1:production-alarms")
