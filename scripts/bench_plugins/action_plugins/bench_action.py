"""Benchmark micro action plugin (scripts/bench.py, extras): one DescribeVpcs in the controller's
forked worker, as the collection's in-process modules do. Action plugins are imported by the
controller before the fork, so with BENCH_ACTION_WARM=1 the ec2 model is loaded once, before any fork."""
from __future__ import annotations

import os

import boto3
from ansible.plugins.action import ActionBase

_SESSION = boto3.session.Session()
if os.environ.get("BENCH_ACTION_WARM") == "1":
    _SESSION.client("ec2", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        client = _SESSION.client("ec2", region_name="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
        client.describe_vpcs(VpcIds=[])
        result["changed"] = False
        return result
