"""AWS's transient answers, played to a real botocore client in unit tests (issue 13).

``AWSAnswers`` makes one operation answer an error code for its first calls, as AWS does for a
while (a just-created id not visible yet, network interfaces still being released, a reply lost on
the way back ...), through botocore's ``before-call`` / ``after-call`` hooks, so paginators and the
retry wrapper see it like a real answer. ``no_sleep`` takes the pauses out of the retry and wait
helpers a module_utils file looks up at call time. ``retrying`` wraps a client with the
collection's retry policy, as the modules do.
"""

from __future__ import annotations

import functools
import json

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.apranova.aws_stack.plugins.module_utils import base


class AWSAnswers:
    """Make ``operation`` answer ``code`` (HTTP ``status``; a list: one code per call) its first
    ``times`` calls. The first ``skip`` calls pass untouched. ``after_success`` answers the error
    *after* letting the call through (a reply lost on the way back). ``sent`` holds the request
    parameters of every call."""

    class _Http:
        def __init__(self, status):
            self.status_code = status
            self.headers = {}

    def __init__(self, client, operation, code, times, status=400, after_success=False, skip=0):
        self.code, self.remaining, self.status, self.after_success = code, times, status, after_success
        self.skip = skip
        self.sent = []
        self.operation = operation
        meta = getattr(client, "client", client).meta  # a RetryingBotoClientWrapper or a client
        service = meta.service_model.service_id.hyphenize()
        meta.events.register(f"before-call.{service}.{operation}", self._before)
        meta.events.register(f"after-call.{service}.{operation}", self._after)

    def _error(self):
        self.remaining -= 1
        code = self.code if isinstance(self.code, str) else self.code[len(self.code) - self.remaining - 1]
        return self._Http(self.status), {
            "Error": {"Code": code, "Message": f"{self.operation}: {code} (test)"},
            "ResponseMetadata": {"HTTPStatusCode": self.status},
        }

    def _before(self, params, **kwargs):
        body = params.get("body") or {}
        if isinstance(body, (bytes, str)):  # rest-json services send a JSON body
            body = json.loads(body or b"{}")
        self.sent.append(dict(body))
        if len(self.sent) <= self.skip:
            return None
        if self.remaining > 0 and not self.after_success:
            return self._error()
        return None

    def _after(self, http_response, parsed, **kwargs):
        if len(self.sent) > self.skip and self.remaining > 0 and self.after_success and http_response.status_code < 300:
            http, error = self._error()
            http_response.status_code = http.status_code
            parsed.clear()
            parsed.update(error)


def no_sleep(monkeypatch, module, *names):
    """``base.retry_while`` (and any other ``names`` of base, such as ``wait_for``) without their
    pauses, as ``module`` (a module_utils file that imported them) looks them up at call time."""
    for name in names or ("retry_while",):
        monkeypatch.setattr(module, name, functools.partial(getattr(base, name), sleep=lambda s: None))


def retrying(raw, codes=None):
    """``raw`` (a boto3 client) behind the collection's retry policy, plus the error ``codes``."""
    return RetryingBotoClientWrapper(raw, base.retry_decorator(codes))


def vpc_with_two_subnets(ec2):
    """``(vpc id, [subnet ids])``: a 10.0.0.0/16 VPC with 10.0.1.0/24 in us-east-1a and 10.0.2.0/24 in
    us-east-1b, what a load balancer needs (two zones)."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return vpc, [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
                 for i, az in ((1, "us-east-1a"), (2, "us-east-1b"))]
