"""module_utils/base.py: polling, and the User-Agent mark of the calls made while waiting."""

from __future__ import annotations


import boto3
from moto import mock_aws


from ansible_collections.apranova.aws_stack.plugins.module_utils import base


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


class _Refused(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": "refused"}}


def test_retry_while_retries_listed_codes_and_notes_each_wait():
    answers = iter([_Refused("DependencyViolation"), _Refused("DependencyViolation"), "deleted"])

    def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    slept, notes = [], []
    assert base.retry_while(call, ["DependencyViolation"], note=notes.append, what="delete sg-1",
                            sleep=slept.append, clock=lambda: 0.0) == "deleted"
    assert slept == [2.0, 4.0]
    assert len(notes) == 2 and "delete sg-1" in notes[0] and "DependencyViolation" in notes[0]


def test_retry_while_raises_other_codes_at_once_and_listed_ones_after_the_timeout():
    def refused(code):
        def call():
            raise _Refused(code)
        return call

    slept = []
    try:
        base.retry_while(refused("InvalidGroup.NotFound"), ["DependencyViolation"], sleep=slept.append, clock=lambda: 0.0)
        raise AssertionError("not raised")
    except _Refused as e:
        assert base.error_code(e) == "InvalidGroup.NotFound"
    assert slept == []
    now = [0.0]

    def sleep(s):
        now[0] += s

    try:
        base.retry_while(refused("DependencyViolation"), ["DependencyViolation"], timeout=30, sleep=sleep, clock=lambda: now[0])
        raise AssertionError("not raised")
    except _Refused:
        pass
    assert now[0] == 30.0


def test_paginate_walks_every_page_through_the_retry_policy():
    with mock_aws():
        client = boto3.client("ec2", region_name="us-east-1")
        vpc = client.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        for i in range(7):
            client.create_subnet(VpcId=vpc, CidrBlock="10.9.%d.0/24" % i)
        result = base.paginate(client, "describe_subnets", Filters=[{"Name": "vpc-id", "Values": [vpc]}],
                               PaginationConfig={"PageSize": 5})
    assert len(result["Subnets"]) == 7
