#!/usr/bin/env python3
"""A test-only HTTP proxy in front of the AWS emulator, on 127.0.0.1.

It forwards every request to the emulator and can
- log each call as one JSON line {"t": epoch, "service": ..., "action": ..., "status": ...,
  "wait": bool} (the benchmark reads it for API counts and the create/wait order; "wait" is a
  call a module made while waiting, marked in its User-Agent), and
- answer a configurable share of calls with a throttling error or a 500 internal error (both in
  the caller's protocol, as AWS sends them), optionally after a delay, to show that the playbooks
  ride out API faults.

    aws_proxy.py --listen 127.0.0.1:5100 --target http://127.0.0.1:5000 \
        [--fault-rate 0.2] [--delay-ms 0] [--log calls.jsonl] [--seed 1]

With --slow-creates it plays AWS's timing on top of an emulator that makes everything ready at
once: the NAT gateways, DB instances, replication groups and load balancers it reports stay
pending/creating/provisioning (no endpoint addresses) until the first call of that service marked
as a wait (see WAIT_USER_AGENT) arrives, and a route to a NAT gateway is refused until then, as
AWS refuses a route to a pending one.

Only loopback addresses are accepted for --listen and --target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What plugins/module_utils/base.py appends to the User-Agent of calls made while waiting.
WAIT_USER_AGENT = "apranova-aws-stack/wait"
LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$")
_SERVICE_RE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/")

HOP_HEADERS = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "content-length", "host"}


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


# --slow-creates: (service, actions) whose answers show the resources still coming up, and how.
_SLOW = {
    "ec2": (("DescribeNatGateways", "CreateNatGateway"),
            [(re.compile(rb"<state>available</state>"), b"<state>pending</state>")]),
    "rds": (("DescribeDBInstances", "CreateDBInstance"),
            [(re.compile(rb"<DBInstanceStatus>available</DBInstanceStatus>"), b"<DBInstanceStatus>creating</DBInstanceStatus>"),
             (re.compile(rb"<Endpoint>.*?</Endpoint>", re.S), b"")]),
    "elasticache": (("DescribeReplicationGroups", "CreateReplicationGroup"),
                    [(re.compile(rb"<Status>available</Status>"), b"<Status>creating</Status>"),
                     (re.compile(rb"<(PrimaryEndpoint|ReaderEndpoint|ConfigurationEndpoint)>.*?</\1>", re.S), b"")]),
    "elasticloadbalancing": (("DescribeLoadBalancers", "CreateLoadBalancer"),
                             [(re.compile(rb"<Code>active</Code>"), b"<Code>provisioning</Code>")]),
}


def nat_route_refused(service: str, action: str, body: bytes) -> bytes | None:
    """AWS's answer to a route to a NAT gateway that is not available yet."""
    if service == "ec2" and action in ("CreateRoute", "ReplaceRoute") and b"NatGatewayId=" in body:
        return (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidNatGatewayID.NotFound'
                b"</Code><Message>The natGateway ID does not exist (pending, injected by aws_proxy)</Message></Error>"
                b"</Errors><RequestID>aws-proxy</RequestID></Response>")
    return None


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: with Nagle's algorithm the body then waits
    # for the client's delayed ACK, about 40 ms per call.
    disable_nagle_algorithm = True
    cfg: argparse.Namespace
    rng: random.Random
    lock = threading.Lock()
    log_file = None
    released: set = set()  # --slow-creates: services whose resources are ready now

    def log_message(self, format, *args):  # quiet: the JSON log is the record
        pass

    def _record(self, service, action, status, injected):
        if self.log_file is None:
            return
        # The collection's modules mark the calls they make while waiting (module_utils/base.py).
        wait = WAIT_USER_AGENT in (self.headers.get("User-Agent") or "")
        line = json.dumps({"t": round(time.time(), 4), "service": service, "action": action,
                           "status": status, "injected": injected, "wait": wait})
        with self.lock:
            self.log_file.write(line + "\n")
            self.log_file.flush()

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        service, action, protocol = describe(self.headers, self.path, body)
        if protocol == "rest" and action.startswith(" /"):
            action = self.command + action  # EFS: POST /.../file-systems creates, GET describes
        if self.path.startswith("/moto-api") or self.path.startswith("/_localstack"):
            service, action = "emulator", self.path
            if self.path.startswith("/moto-api/reset"):
                with self.lock:
                    self.released.clear()  # --slow-creates: a wiped emulator starts over
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
        slow = self.cfg.slow_creates and service in _SLOW
        if slow and WAIT_USER_AGENT in (self.headers.get("User-Agent") or ""):
            with self.lock:
                self.released.add(service)
        slow = slow and service not in self.released
        refused = nat_route_refused(service, action, body) if slow else None
        if refused is not None:
            self._reply(400, {"Content-Type": "text/xml"}, refused)
            self._record(service, action, 400, "pending")
            return
        target = urllib.parse.urlparse(self.cfg.target)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Host"] = self.headers.get("Host", target.netloc)
        resp, payload = self._forward(target, headers, body)
        if slow and action in _SLOW[service][0]:
            for pattern, replacement in _SLOW[service][1]:
                payload = pattern.sub(replacement, payload)
        out_headers = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_HEADERS}
        self._reply(resp.status, out_headers, payload)
        self._record(service, action, resp.status, None)

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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1:5100")
    p.add_argument("--target", default="http://127.0.0.1:5000")
    p.add_argument("--fault-rate", type=float, default=0.0)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--log")
    p.add_argument("--seed", type=int)
    p.add_argument("--slow-creates", action="store_true",
                   help="report long creates as still coming up until a marked wait call arrives")
    cfg = p.parse_args(argv)
    host, port = cfg.listen.rsplit(":", 1)
    if not LOOPBACK.match(host) or not LOOPBACK.match(urllib.parse.urlparse(cfg.target).hostname or ""):
        p.error("--listen and --target must be loopback addresses")
    if not 0.0 <= cfg.fault_rate < 1.0:
        p.error("--fault-rate must be in [0, 1)")
    Proxy.cfg = cfg
    Proxy.rng = random.Random(cfg.seed)
    Proxy.log_file = open(cfg.log, "a", encoding="utf-8") if cfg.log else None
    server = ThreadingHTTPServer((host, int(port)), Proxy)
    server.daemon_threads = True
    print("aws_proxy listening on http://%s:%s -> %s (fault rate %.2f)" % (host, port, cfg.target, cfg.fault_rate), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
