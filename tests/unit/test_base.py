"""module_utils/base.py: polling, and the User-Agent mark of the calls made while waiting."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))

from ansible_collections.apranova.aws_stack.plugins.module_utils import base  # noqa: E402


def _agents(client):
    seen = []
    client.meta.events.register("before-send", lambda request, **kw: seen.append(str(request.headers.get("User-Agent"))))
    return seen


def test_wait_for_polls_until_truthy_with_backoff_and_times_out():
    slept, answers = [], iter([None, 0, "ready"])
    assert base.wait_for(lambda: next(answers), timeout=60, sleep=slept.append, clock=lambda: 0.0) == "ready"
    assert slept == [1.0, 2.0]
    now = [0.0]

    def sleep(s):
        now[0] += s

    assert base.wait_for(lambda: None, timeout=10, delay=4, sleep=sleep, clock=lambda: now[0]) is None
    assert now[0] == 10.0


def test_calls_inside_wait_for_are_marked_and_others_are_not():
    with mock_aws():
        client = base.mark_waits(boto3.client("ec2", region_name="us-east-1"))
        base.mark_waits(client)  # registering twice marks once
        seen = _agents(client)
        client.describe_vpcs()
        assert base.wait_for(lambda: client.describe_vpcs()["Vpcs"], timeout=5)
        client.describe_vpcs()
        unmarked = boto3.client("ec2", region_name="us-east-1")
        seen_unmarked = _agents(unmarked)
        assert base.wait_for(lambda: unmarked.describe_vpcs()["Vpcs"], timeout=5)
    assert [base.WAIT_USER_AGENT in a for a in seen] == [False, True, False]
    assert seen[1].count(base.WAIT_USER_AGENT) == 1
    assert not any(base.WAIT_USER_AGENT in a for a in seen_unmarked)


def test_the_mark_is_cleared_when_the_check_raises():
    def boom():
        raise RuntimeError("x")

    try:
        base.wait_for(boom, timeout=1)
    except RuntimeError:
        pass
    assert base._waiting[0] is False
