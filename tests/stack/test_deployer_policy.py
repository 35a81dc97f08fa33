"""The deployer's least-privilege policy (issue 16): docs/deployer-policy.json is enough, and needed.

An emulator of its own (moto behind the AWS model, its calls logged by scripts/aws_proxy.py) with
IAM enforcement switched on through moto's /moto-api/reset-auth (what INITIAL_NO_AUTH_ACTION_COUNT
sets at start: the IAM user and its policy are made while it is off). Every playbook runs as an IAM
user that holds only the policy:

1. the lifecycle (cold build, rerun changed=0, --check --diff, report, teardown with the data)
   passes, no call of it is refused, and the policy's actions are exactly the actions of its call
   log plus the ones AWS checks without a call of their own (scripts/deployer_policy.py IMPLIED);
2. with one action of that call log taken out (picked with a seed the assertion message prints:
   33 by default, DEPLOYER_POLICY_SEED=random for a random one, =N replays N), the first step whose calls need it fails, naming it.

What moto does not check, and this test therefore does not prove: Resource ARNs and Conditions
(moto evaluates actions only, so the user's copy of the policy has every Resource "*" and no
Condition), and the IMPLIED actions (tag-on-create, iam:PassRole, service-linked roles); moto names
CloudWatch's actions "monitoring:*", so the user's copy uses that name. moto 5.2.5
also miscomputes the SigV4 signature of body-less REST calls (EFS GET and DELETE answer
SignatureDoesNotMatch), and the calls the AWS model rewrites or makes itself carry the client's
signature of another body: a relay between the model and moto checks those calls' actions against
the policy itself (refusing with AccessDenied when the action is missing) and lets the allowed ones
(and the model's own lookups) through with enforcement off for that one call; a client call the AWS
model answers alone (DeleteCacheSubnetGroup, which moto lacks) is checked in front of the model,
after the fact. All client calls go one at a time.
"""

from __future__ import annotations

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
from deployer_policy import IMPLIED, call_action, policy_actions
from emulator import LocalAws, start_proxy, stop_process

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
            # moto names CloudWatch's actions by the endpoint's name: "monitoring:PutMetricAlarm"
            moto_names = {a.replace("cloudwatch:", "monitoring:", 1) for a in actions}
            document = {"Version": "2012-10-17", "Statement": [
                {"Sid": "MotoChecksActionsOnly", "Effect": "Allow", "Action": sorted(moto_names), "Resource": "*"}]}
            iam.put_user_policy(UserName=USER, PolicyName="deployer", PolicyDocument=json.dumps(document))
            Back.allowed = set(actions)
        finally:
            self._auth("0")

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
    assert policy - used - set(IMPLIED) == set(), "in the policy but never called (regenerate: make deployer-policy)"


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
    said = " ".join(run.out.split())
    assert run.rc != 0, "%s passed:\n%s" % (why, run)
    assert action in said and re.search(r"AccessDenied|not authorized", said), "%s failed without naming it:\n%s" % (why, run)
