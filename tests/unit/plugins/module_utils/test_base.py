"""module_utils/base.py: polling, and the User-Agent mark of the calls made while waiting."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.apranova.aws_stack.plugins.module_utils import base


def _agents(client):
    seen = []
    client.meta.events.register("before-send", lambda request, **kw: seen.append(str(request.headers.get("User-Agent"))))
    return seen


def test_wait_for_polls_until_truthy_with_backoff_and_times_out():
    now = [0.0]

    def sleep(s):
        slept.append(s)
        now[0] += s

    slept, answers = [], iter([None] * 9 + ["ready"])
    assert base.wait_for(lambda: next(answers), timeout=600, sleep=sleep, clock=lambda: now[0]) == "ready"
    # every second for the first 5 s, then a fifth of the time waited so far
    assert slept == pytest.approx([1.0] * 6 + [1.2, 1.44, 1.728])
    slept, now[0] = [], 0.0
    assert base.wait_for(lambda: None, timeout=420, sleep=sleep, clock=lambda: now[0]) is None
    assert max(slept) == 15.0 and len(slept) + 1 == 44  # checks of a 7-minute wait, the last at its end
    slept, now[0] = [], 0.0

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


# --- one retry layer -----------------------------------------------------------------------------

def _client_error(code, status=400):
    from botocore.exceptions import ClientError
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Call")


def _calls_until(errors, decorator):
    """How many calls ``decorator`` makes of a function that raises ``errors`` in turn, then answers."""
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "answer"

    try:
        result = decorator(call)()
    except Exception as e:  # the error that was not retried
        result = e
    return len(calls), result


def test_the_retry_layer_retries_what_botocore_standard_mode_would(monkeypatch):
    from botocore.exceptions import EndpointConnectionError
    monkeypatch.setattr("time.sleep", lambda s: None)
    transient = [_client_error("Throttling"), _client_error("ThrottlingException"), _client_error("SomethingNew", 503),
                 _client_error("TooManyRequests", 429), EndpointConnectionError(endpoint_url="http://127.0.0.1:1")]
    assert _calls_until(transient, base.retry_decorator()) == (6, "answer")
    # a quota, a 501 (a service the endpoint does not serve) and a plain refusal are final
    for final in (_client_error("LimitExceededException"), _client_error("InternalFailure", 501), _client_error("InvalidParameter")):
        calls, result = _calls_until([final], base.retry_decorator())
        assert calls == 1 and result is final
    # a call's own codes, and the attempts asked for
    assert _calls_until([_client_error("FileSystemInUse")] * 2, base.retry_decorator(["FileSystemInUse"])) == (3, "answer")
    calls, result = _calls_until([_client_error("Throttling")] * 5, base.retry_decorator(attempts=3))
    assert calls == 3 and base.error_code(result) == "Throttling"


def test_retry_only_leaves_the_transient_answers_to_the_layer_below(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    only = base.retry_only(["InvalidSubnetID.NotFound"])
    assert _calls_until([_client_error("InvalidSubnetID.NotFound")] * 2, only) == (3, "answer")
    calls, result = _calls_until([_client_error("Throttling")], only)
    assert calls == 1 and base.error_code(result) == "Throttling"


class _ConnectionModule:
    """What base.aws_client reads of an AnsibleAWSModule: its connection params."""
    _name = "test"

    def __init__(self, **params):
        self.params = dict({"endpoint_url": "http://127.0.0.1:1", "access_key": "AKIDEXAMPLE", "secret_key": "secret",
                            "session_token": None, "region": "eu-west-1", "profile": None, "validate_certs": True,
                            "aws_ca_bundle": None, "aws_config": None}, **params)

    def client(self, service, retry_decorator=None, **extra):  # amazon.aws's own path, with placebo on
        self.made = service, retry_decorator, extra
        return type("StockClient", (), {})()


def test_aws_client_turns_botocore_retries_off_and_keeps_the_attempts_and_the_rest_of_aws_config():
    module = _ConnectionModule(aws_config={"retries": {"mode": "standard", "max_attempts": 4}, "connect_timeout": 7})
    client = base.aws_client(module, "ec2", ["X"])
    assert client.stack_attempts == 5  # what paginate retries a walk with
    config = client.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 1} and config.connect_timeout == 7
    assert "apranova.aws_stack" in config.user_agent
    assert client.meta.region_name == "eu-west-1" and client.meta.endpoint_url == "http://127.0.0.1:1"
    assert module.params["aws_config"]["retries"]["max_attempts"] == 4  # the module's own params untouched
    assert base.attempts_of(module.params["aws_config"]) == 5  # max_attempts counts the retries
    assert base.attempts_of({"retries": {"total_max_attempts": 2}}) == 2
    assert base.attempts_of(None) == base.DEFAULT_ATTEMPTS
    assert _calls_until([_client_error("X")] * 9, client.retry)[0] == 5
    # a region of its own for one client (the Price List API's)
    assert base.aws_client(module, "pricing", region="us-east-1").meta.region_name == "us-east-1"


def test_aws_client_makes_every_client_from_one_session_per_profile_and_aws_environment(monkeypatch):
    module = _ConnectionModule()
    first, second = base.aws_client(module, "ec2"), base.aws_client(module, "elbv2")
    session = base.shared_session()
    assert session is base.shared_session(None)
    assert first.meta.events is not second.meta.events  # each client has its own copy of the session's events
    assert first._request_signer._credentials.access_key == "AKIDEXAMPLE"  # the module's keys, not the session's
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    assert base.shared_session() is not session  # another AWS environment: another session
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE")
    assert base.shared_session() is session


def test_aws_client_leaves_amazon_aws_recording_hook_its_own_path(monkeypatch):
    monkeypatch.setenv("_ANSIBLE_PLACEBO_REPLAY", "/tmp/none")
    module = _ConnectionModule()
    assert type(base.aws_client(module, "ec2", ["X"])).__name__ == "StockClient"
    service, decorator, extra = module.made
    assert service == "ec2" and extra["aws_config"].retries == {"mode": "standard", "total_max_attempts": 1}


def test_paginate_retries_a_walk_as_many_times_as_the_clients_calls(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)

    class Client:
        stack_attempts = 2
        walks = 0

        def get_paginator(self, operation):
            Client.walks += 1
            raise _client_error("Throttling")

    try:
        base.paginate(Client(), "describe_subnets")
        raise AssertionError("not raised")
    except Exception as e:
        assert base.error_code(e) == "Throttling"
    assert Client.walks == 2


# --- the ensure_present / ensure_absent contract ----------------------------------------------------

class _Module:
    """What ``run_state`` uses of an AnsibleAWSModule; ``exit_json``/``fail_json`` end it like Ansible does."""

    class Ended(Exception):
        pass

    def __init__(self, params, check_mode=False, diff=False):
        self.params, self.check_mode, self._diff = params, check_mode, diff
        self.no_log_values, self.warnings = set(), []

    def warn(self, message):
        self.warnings.append(message)

    def exit_json(self, **result):
        self.ended = ("exit", result)
        raise self.Ended()

    def fail_json(self, **result):
        self.ended = ("fail", result)
        raise self.Ended()

    def fail_json_aws_error(self, error):
        self.ended = ("aws", error)
        raise self.Ended()


def _run(module, present, absent, **kwargs):
    try:
        base.run_state(module, "client", present, absent, **kwargs)
    except _Module.Ended:
        return module.ended
    raise AssertionError("the module did not end")


def test_run_state_picks_the_function_by_state_and_returns_its_outcome_with_waited_and_diff():
    def present(client, params, ctx):
        assert client == "client" and params["name"] == "x" and ctx.check_mode is True
        ctx.note("create x: AWS answered Busy; trying again in 2 s")
        ctx.warn("careful")
        ctx.secret("s3cret")
        return base.Outcome(True, {"thing": {"name": "x"}}, before=None, after={"name": "x"})

    def absent(client, params, ctx):
        return base.Outcome(False, {"thing": {}})

    module = _Module({"name": "x", "state": "present"}, check_mode=True, diff=True)
    kind, result = _run(module, present, absent)
    assert kind == "exit"
    assert result == {"thing": {"name": "x"}, "changed": True, "waited": ["create x: AWS answered Busy; trying again in 2 s"],
                      "diff": {"before": {}, "after": {"name": "x"}}}
    assert module.warnings == ["careful"] and module.no_log_values == {"s3cret"}

    kind, result = _run(_Module({"name": "x", "state": "absent"}), present, absent)
    assert (kind, result) == ("exit", {"thing": {}, "changed": False, "waited": []})


def test_run_state_fails_with_the_message_of_a_refusal_and_with_aws_s_error_for_an_aws_error():
    from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

    class Refused(Exception):
        pass

    def refuse(client, params, ctx):
        ctx.note("waited once")
        raise ValueError("subnet 10.0.9.0/24 is outside the VPC: change cidr")

    kind, result = _run(_Module({"state": "present"}), refuse, refuse)
    assert kind == "fail" and result == {"msg": "subnet 10.0.9.0/24 is outside the VPC: change cidr", "waited": ["waited once"]}

    def refuse_own(client, params, ctx):
        raise Refused("in use")

    kind, result = _run(_Module({"state": "absent"}), refuse_own, refuse_own, errors=(Refused,))
    assert kind == "fail" and result["msg"] == "in use"

    error = AnsibleAWSError(message="describe failed")

    def aws_fails(client, params, ctx):
        raise error

    assert _run(_Module({"state": "present"}), aws_fails, aws_fails) == ("aws", error)
    # anything else is a bug and surfaces as one (a traceback), not as a tidy failure
    try:
        _run(_Module({"state": "present"}), lambda c, p, x: 1 / 0, refuse)
        raise AssertionError("not raised")
    except ZeroDivisionError:
        pass


def test_run_state_reads_the_params_it_is_given():
    seen = []

    def present(client, params, ctx):
        seen.append(params)
        return base.Outcome(False)

    module = _Module({"state": "present", "cidr": "10.0.0.0/16 "})
    _run(module, present, present, params=dict(module.params, cidr="10.0.0.0/16"))
    assert seen == [{"state": "present", "cidr": "10.0.0.0/16"}]


def test_concurrently_runs_the_calls_side_by_side_and_answers_in_their_order():
    import threading
    barrier = threading.Barrier(3, timeout=10)  # passes only when three calls wait at once

    def call(n):
        def run():
            barrier.wait()
            return n
        return run
    assert base.concurrently([call(1), call(2), call(3)]) == [1, 2, 3]
    assert base.concurrently([lambda: "alone"]) == ["alone"]
    assert base.concurrently([]) == []


def test_concurrently_raises_the_first_failure_in_call_order_after_all_ended():
    import time
    ended = []

    def fail(name, after):
        def run():
            time.sleep(after)
            ended.append(name)
            raise ValueError(name)
        return run
    with pytest.raises(ValueError, match="first"):
        base.concurrently([fail("first", 0.2), fail("second", 0.0), lambda: ended.append("third")])
    assert sorted(ended) == ["first", "second", "third"]
