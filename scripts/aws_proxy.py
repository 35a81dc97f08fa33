#!/usr/bin/env python3
"""A test-only HTTP proxy in front of the AWS emulator, on 127.0.0.1.

It forwards every request to the emulator and can
- log each call as one JSON line {"t": epoch, "service": ..., "action": ..., "status": ...,
  "wait": bool} (the benchmark reads it for API counts and the create/wait order; "wait" is a
  call a module made while waiting, marked in its User-Agent; with --aws-model, "model" is the
  error code when the model refused the call itself), and
- answer a configurable share of calls with a throttling error or a 500 internal error (both in
  the caller's protocol, as AWS sends them), optionally after a delay, to show that the playbooks
  ride out API faults.

    aws_proxy.py --listen 127.0.0.1:5100 --target http://127.0.0.1:5000 \
        [--fault-rate 0.2] [--delay-ms 0] [--log calls.jsonl] [--seed 1]

With --aws-model it plays AWS's resource lifecycles on top of the emulator (scripts/aws_model.py:
creating/pending/provisioning and deleting/draining states for scaled AWS durations, dependants
refused in AWS's own error codes, moto's gaps filled), driven only by the clock and the ids it sees:

    aws_proxy.py --listen 127.0.0.1:5100 --target http://127.0.0.1:5000 --aws-model \
        [--time-scale 0.02] [--page-size 2] [--lost-replies 0.1]

--time-scale F multiplies every AWS duration (default 0: instant, the rest of the model applies).
POST /aws-model/rds-minor-upgrade makes every available DB instance report its next minor
version; GET /aws-model/state shows what the model tracks; POST /moto-api/reset wipes the model
too. scripts/emulator.py starts it in front of moto for every user of the emulator.

GET /aws-proxy/calls answers {"calls": N}: how many AWS calls (not the emulator's own endpoints)
reached the proxy since it started; a test reads it before and after a run that must not call AWS.

Only loopback addresses are accepted for --listen and --target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What plugins/module_utils/base.py appends to the User-Agent of calls made while waiting.
WAIT_USER_AGENT = "apranova-aws-stack/wait"
LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$")
_SERVICE_RE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/")

HOP_HEADERS = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "content-length", "host"}


# EFS speaks REST and this proxy logs its calls as "METHOD /2015-02-01/...": the operation of each
# (the benchmark counts by operation, scripts/deployer_policy.py maps them to IAM actions).
EFS_REST = [
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


def efs_operation(action: str):
    """The EFS operation of a logged REST call (``"GET /2015-02-01/file-systems"`` ->
    ``DescribeFileSystems``), or ``None`` for a path not in ``EFS_REST``."""
    method, path = action.split(" ", 1)
    path = re.sub(r"^/\d{4}-\d{2}-\d{2}", "", path.rstrip("/"))
    for m, pattern, name in EFS_REST:
        if m == method and re.fullmatch(pattern, path):
            return name
    return None


def describe(headers, path: str, body: bytes) -> tuple[str, str, str]:
    """(service, action, protocol) of an AWS request."""
    auth = headers.get("Authorization", "")
    m = _SERVICE_RE.search(auth)
    service = m.group(1) if m else "?"
    target = headers.get("X-Amz-Target")
    if target:
        return service, target.split(".")[-1], "json"
    ctype = headers.get("Content-Type", "")
    if "x-www-form-urlencoded" in ctype and body:
        params = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        return service, params.get("Action", ["?"])[0], "query"
    if "cbor" in ctype or headers.get("Smithy-Protocol"):
        return service, path.rstrip("/").split("/")[-1], "cbor"
    return service, "%s %s" % (headers.get("X-Http-Method", ""), urllib.parse.urlparse(path).path), "rest"


def throttle_response(service: str, protocol: str) -> tuple[int, dict, bytes]:
    if protocol == "json" or protocol == "rest":
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded (injected by aws_proxy)"}).encode()
        return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "ThrottlingException"}, body
    if protocol == "query" and service == "ec2":
        body = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                b"<Message>Request limit exceeded (injected by aws_proxy).</Message></Error></Errors>"
                b"<RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>")
        return 503, {"Content-Type": "text/xml"}, body
    if protocol == "query":
        body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded (injected by "
                b"aws_proxy)</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>")
        return 400, {"Content-Type": "text/xml"}, body
    return 400, CBOR_HEADERS, cbor_map({"__type": "ThrottlingException", "message": "Rate exceeded (injected by aws_proxy)"})


def server_error_response(service: str, protocol: str) -> tuple[int, dict, bytes]:
    """A 500 shaped like AWS's own InternalError/InternalFailure in the caller's protocol.

    botocore cannot parse a plain-text 5xx body of an XML or CBOR service (ResponseParserError,
    which no retry layer catches), while AWS itself never answers that way.
    """
    message = "An internal error has occurred (injected by aws_proxy)"
    if protocol == "json" or protocol == "rest":
        body = json.dumps({"__type": "InternalFailure", "message": message}).encode()
        return 500, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "InternalFailure"}, body
    if protocol == "query" and service == "ec2":
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>InternalError</Code>"
                "<Message>%s</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID>"
                "</Response>" % message).encode()
        return 500, {"Content-Type": "text/xml"}, body
    if protocol == "query":
        body = ("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>%s</Message></Error>"
                "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>" % message).encode()
        return 500, {"Content-Type": "text/xml"}, body
    return 500, CBOR_HEADERS, cbor_map({"__type": "InternalFailure", "message": message})


CBOR_HEADERS = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}


def cbor_map(values: dict) -> bytes:
    """CBOR encoding of a small {str: str} map (the error body of an rpc-v2-cbor service)."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")

    out = head(5, len(values))
    for key, value in values.items():
        for text in (key, value):
            data = text.encode("utf-8")
            out += head(3, len(data)) + data
    return out


def load_model():
    """scripts/aws_model.py, a sibling script (scripts/ is not a package)."""
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import aws_model  # noqa: E402

    return aws_model


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: with Nagle's algorithm the body then waits
    # for the client's delayed ACK, about 40 ms per call.
    disable_nagle_algorithm = True
    cfg: argparse.Namespace
    rng: random.Random
    lock = threading.Lock()
    log_file = None
    model = None  # --aws-model: an aws_model.AwsModel
    aws_model = None  # ... and its module
    aws_calls = 0  # AWS calls received (GET /aws-proxy/calls)

    def log_message(self, format, *args):  # quiet: the JSON log is the record
        pass

    def _record(self, service, action, status, injected, model=None):
        if self.log_file is None:
            return
        # The collection's modules mark the calls they make while waiting (module_utils/base.py).
        wait = WAIT_USER_AGENT in (self.headers.get("User-Agent") or "")
        entry = {"t": round(time.time(), 4), "service": service, "action": action,
                 "status": status, "injected": injected, "wait": wait}
        if self.model is not None:
            entry["model"] = model  # --aws-model: the error code when the model refused the call itself
        line = json.dumps(entry)
        with self.lock:
            self.log_file.write(line + "\n")
            self.log_file.flush()

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        service, action, protocol = describe(self.headers, self.path, body)
        if protocol == "rest" and action.startswith(" /"):
            action = self.command + action  # EFS: POST /.../file-systems creates, GET describes
        if self.path.startswith(("/moto-api", "/_localstack", "/aws-model/", "/aws-proxy/")):
            service, action = "emulator", self.path
        else:
            with self.lock:
                Proxy.aws_calls += 1
        if self.path.rstrip("/") == "/aws-proxy/calls":
            self._reply(200, {"Content-Type": "application/json"}, json.dumps({"calls": Proxy.aws_calls}).encode())
            return
        if self.model is not None and self.path.startswith("/aws-model/"):
            reply = self.model.control(self.command, self.path)
            if reply is None:
                reply = self.aws_model.Reply(404, {"Content-Type": "application/json"}, b'{"error": "unknown /aws-model/ path"}')
            self._reply(reply.status, reply.headers, reply.body)
            self._record(service, action, reply.status, None)
            return
        with self.lock:
            fault = service != "emulator" and self.rng.random() < self.cfg.fault_rate
            kind = self.rng.choice(("throttle", "5xx")) if fault else None
        if self.cfg.delay_ms:
            time.sleep(self.cfg.delay_ms / 1000.0)
        if fault:
            if kind == "throttle":
                status, headers, payload = throttle_response(service, protocol)
            else:
                status, headers, payload = server_error_response(service, protocol)
            self._reply(status, headers, payload)
            self._record(service, action, status, kind)
            return
        target = urllib.parse.urlparse(self.cfg.target)
        if self.model is not None and service != "emulator":
            call = self.aws_model.Call(self.command, self.path, dict(self.headers.items()), body, service, action, protocol)
            try:
                reply = self.model.handle(call, lambda c: self._forward_call(target, c))
            except Exception:  # a bug of the model: say so in the caller's protocol, and on stderr
                traceback.print_exc()
                reply = self.aws_model.error_reply(service, protocol, "InternalFailure", "aws_model failed: see the proxy's stderr", 500)
            self._reply(reply.status, {k: v for k, v in reply.headers.items() if k.lower() not in HOP_HEADERS}, reply.body)
            self._record(service, action, reply.status, None, reply.note)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Host"] = self.headers.get("Host", target.netloc)
        resp, payload = self._forward(target, headers, body)
        if self.model is not None and self.path.startswith("/moto-api/reset") and resp.status < 400:
            self.model.reset()  # a wiped emulator: the model starts over too
        out_headers = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_HEADERS}
        self._reply(resp.status, out_headers, payload)
        self._record(service, action, resp.status, None)

    def _forward_call(self, target, call):
        """Send an aws_model Call upstream; its answer as an aws_model Reply."""
        headers = {k: v for k, v in call.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Host"] = call.header("Host") or target.netloc
        resp, payload = self._forward(target, headers, call.body)
        return self.aws_model.Reply(resp.status, dict(resp.getheaders()), payload)

    def finish(self):
        super().finish()
        if getattr(self, "_upstream", None) is not None:
            self._upstream.close()
            self._upstream = None

    def _forward(self, target, headers, body):
        """Send the request upstream on this client connection's own kept-alive connection."""
        for attempt in (1, 2):
            conn = getattr(self, "_upstream", None)
            if conn is None:
                conn = self._upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=300)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self._upstream = None
                if attempt == 2:
                    raise
                continue  # the emulator closed the idle connection: once more on a new one
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                self._upstream = None
            return resp, payload
        raise AssertionError("unreachable")

    def _reply(self, status, headers, payload):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


def make_server(argv=None) -> ThreadingHTTPServer:
    """The proxy server of these command-line arguments, bound but not serving yet."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1:5100")
    p.add_argument("--target", default="http://127.0.0.1:5000")
    p.add_argument("--fault-rate", type=float, default=0.0)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--log")
    p.add_argument("--seed", type=int)
    p.add_argument("--aws-model", action="store_true", help="play AWS's resource lifecycles (scripts/aws_model.py)")
    p.add_argument("--time-scale", type=float, help="multiplier of every AWS duration of --aws-model (default 0: instant)")
    p.add_argument("--page-size", type=int, default=0, help="--aws-model: answer list/describe calls in pages of N (0: off)")
    p.add_argument("--lost-replies", type=float, default=0.0,
                   help="--aws-model: share of creates done upstream whose answer is then a 500 (reply lost)")
    cfg = p.parse_args(argv)
    if (cfg.time_scale is not None or cfg.page_size or cfg.lost_replies) and not cfg.aws_model:
        p.error("--time-scale, --page-size and --lost-replies need --aws-model")
    if cfg.time_scale is not None and cfg.time_scale < 0 or cfg.page_size < 0 or not 0.0 <= cfg.lost_replies < 1.0:
        p.error("--time-scale and --page-size must be >= 0, --lost-replies in [0, 1)")
    host, port = cfg.listen.rsplit(":", 1)
    if not LOOPBACK.match(host) or not LOOPBACK.match(urllib.parse.urlparse(cfg.target).hostname or ""):
        p.error("--listen and --target must be loopback addresses")
    if not 0.0 <= cfg.fault_rate < 1.0:
        p.error("--fault-rate must be in [0, 1)")
    Proxy.cfg = cfg
    Proxy.rng = random.Random(cfg.seed)
    Proxy.log_file = open(cfg.log, "a", encoding="utf-8") if cfg.log else None
    Proxy.model = None
    if cfg.aws_model:
        aws_model = load_model()
        model = aws_model.AwsModel(cfg.target, time_scale=cfg.time_scale or 0.0, page_size=cfg.page_size,
                                   lost_replies=cfg.lost_replies, seed=cfg.seed)
        Proxy.model, Proxy.aws_model = model, aws_model
    server = ThreadingHTTPServer((host, int(port)), Proxy)
    server.daemon_threads = True
    return server


def main(argv=None):
    server = make_server(argv)
    cfg = Proxy.cfg
    host, port = server.server_address[:2]
    mode = " aws-model x%s" % (cfg.time_scale or 0) if cfg.aws_model else ""
    print("aws_proxy listening on http://%s:%s -> %s (fault rate %.2f)%s" % (host, port, cfg.target, cfg.fault_rate, mode), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
