"""Offline tests of plugins/module_utils/iam.py and the iam_roles module's reconcile functions.

Input checks and document normalisation are pure functions. The reconcile functions run against
moto's in-process backend (``mock_aws``); a botocore hook counts the calls each run makes.
"""

from __future__ import annotations

import functools
import json
import urllib.parse

import boto3
import pytest

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import iam
from ansible_collections.apranova.aws_stack.plugins.modules import iam_roles as mod
from ...aws_answers import AWSAnswers, no_sleep, retrying

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
LOGS = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
    {"Sid": "Ecr", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]}
EFS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "elasticfilesystem:ClientMount", "Resource": "*"}]}
READ_ONLY = "arn:aws:iam::123456789012:policy/read-only"  # made by the ``client`` fixture
TAGS = {"Project": "apranova", "Tier": "ecs"}


def spec(name="p-exec", **kw):
    """A ``roles`` entry as the argument spec hands it over (defaults applied)."""
    role = dict(name=name, assume_role_policy_document=TRUST, description="pull images", path=None,
                max_session_duration=None, inline_policies={"task-execution": LOGS}, purge_inline_policies=True,
                managed_policies=[], purge_managed_policies=True)
    role.update(kw)
    return role


def params(*roles, state="present", tags=TAGS, purge_tags=True):
    roles = [dict(r) for r in roles] or [spec()]
    assert iam.check_roles(roles, state) == []
    return dict(roles=roles, state=state, tags=tags, purge_tags=purge_tags, wait=True, wait_timeout=30)


class Calls:
    """The IAM operations a client made, in order (a botocore ``before-call`` hook)."""

    def __init__(self, client):
        self.names = []
        client.client.meta.events.register("before-call.iam", self._seen)

    def _seen(self, model, **kwargs):
        self.names.append(model.name)

    def take(self):
        names, self.names = self.names, []
        return names


@pytest.fixture
def client(offline_aws):
    iam_client = retrying(boto3.client("iam", region_name="us-east-1"))
    iam_client.create_policy(PolicyName="read-only", PolicyDocument=json.dumps(EFS))
    return iam_client


def two_roles():
    return params(spec(), spec("p-task", description="EFS access", inline_policies={"task": EFS}))


# --- input checks and documents ------------------------------------------------------------------


def test_valid_roles_give_no_errors_and_parse_their_documents():
    roles = [spec(assume_role_policy_document=json.dumps(TRUST), inline_policies={"a": json.dumps(LOGS)}, path="/svc/",
                  max_session_duration=7200, managed_policies=[READ_ONLY])]
    assert iam.check_roles(roles, "present") == []
    assert roles[0]["_trust"] == TRUST and roles[0]["_inline"] == {"a": LOGS}


def test_absent_needs_only_names():
    assert iam.check_roles([{"name": "x"}], "absent") == []


def test_every_problem_is_reported_at_once():
    roles = [
        spec("bad name!"),
        spec("dup"), spec("dup"),
        spec("no-trust", assume_role_policy_document=None),
        spec("not-json", assume_role_policy_document="{nope"),
        spec("no-statement", assume_role_policy_document={"Version": "2012-10-17"}),
        spec("path", path="svc"),
        spec("long", max_session_duration=60),
        spec("quotes", description="the \u201cbest\u201d role"),
        spec("policy", inline_policies={"bad name": LOGS}),
        spec("arn", managed_policies=["ReadOnlyAccess"]),
    ]
    errors = iam.check_roles(roles, "present")
    text = " ".join(errors)
    for needle in ("'bad name!' is not a valid role name", "already used by roles[1]",
                   "assume_role_policy_document is required", "assume_role_policy_document is not valid JSON",
                   "must be a JSON object with a Statement", "path 'svc' is not valid",
                   "max_session_duration 60 is out of range", "description holds characters IAM refuses",
                   "inline policy name 'bad name' is not valid", "'ReadOnlyAccess' is not a policy ARN"):
        assert needle in text, (needle, errors)
    assert len(errors) == 10


def test_iam_documents_are_decoded_and_compared_by_meaning():
    encoded = urllib.parse.quote(json.dumps(TRUST))
    assert iam.parse_document(encoded) == TRUST
    reordered = {"Statement": [dict(LOGS["Statement"][1], Action=["ecr:GetAuthorizationToken"]),
                               dict(LOGS["Statement"][0], Action=["logs:PutLogEvents", "logs:CreateLogStream"])],
                 "Version": "2012-10-17"}
    assert not iam.documents_differ(LOGS, reordered)
    assert iam.documents_differ(LOGS, EFS)
    assert iam.documents_differ(None, LOGS) and not iam.documents_differ(None, None)


# --- present -------------------------------------------------------------------------------------


def test_create_then_a_rerun_reads_in_one_round_and_changes_nothing(client, monkeypatch):
    calls = Calls(client)
    outcome = mod.ensure_present(client, two_roles(), base.Context())
    assert outcome.changed and sorted(outcome.result["roles"]) == ["p-exec", "p-task"]
    made = calls.take()
    assert made.count("CreateRole") == 2 and made.count("PutRolePolicy") == 2
    role = client.get_role(RoleName="p-exec")["Role"]
    assert role["Description"] == "pull images" and base.tags_to_dict(role["Tags"]) == TAGS
    assert client.get_role_policy(RoleName="p-task", PolicyName="task")["PolicyDocument"] == EFS
    assert outcome.result["roles"]["p-exec"]["arn"] == role["Arn"]
    assert outcome.before == {} and sorted(outcome.after) == ["p-exec", "p-task"]

    calls.take()  # the test's own reads
    batches = []
    real = base.concurrently
    monkeypatch.setattr(base, "concurrently", lambda calls, **kw: batches.append(len(calls)) or real(calls, **kw))
    again = mod.ensure_present(client, two_roles(), base.Context())
    assert not again.changed and again.after == {} and again.before == {}
    assert again.result["roles"] == outcome.result["roles"]
    # GetRole, ListRolePolicies, ListAttachedRolePolicies and the managed inline policy of both roles, side by side
    assert batches == [8]
    assert sorted(calls.take()) == sorted(["GetRole", "ListRolePolicies", "ListAttachedRolePolicies"] * 2 + ["GetRolePolicy"] * 2)


def test_an_inline_policy_the_task_does_not_manage_is_read_in_a_second_round(client, monkeypatch):
    calls = Calls(client)
    batches = []
    real = base.concurrently
    monkeypatch.setattr(base, "concurrently", lambda calls, **kw: batches.append(len(calls)) or real(calls, **kw))
    mod.ensure_present(client, params(spec()), base.Context())
    # the role did not exist: its managed policy was asked for with it, and IAM's NoSuchEntity read as none
    assert batches == [4] and calls.take()[:4].count("GetRolePolicy") == 1
    client.put_role_policy(RoleName="p-exec", PolicyName="extra", PolicyDocument=json.dumps(EFS))
    calls.take()
    batches.clear()
    outcome = mod.ensure_present(client, params(spec(purge_inline_policies=False)), base.Context())
    assert not outcome.changed and batches == [4, 1]
    assert outcome.result["roles"]["p-exec"]["inline_policies"] == {"extra": EFS, "task-execution": LOGS}
    assert calls.take().count("GetRolePolicy") == 2


def test_check_mode_reports_what_it_would_create_and_calls_nothing_that_changes(client):
    calls = Calls(client)
    outcome = mod.ensure_present(client, two_roles(), base.Context(check_mode=True))
    assert outcome.changed
    role = outcome.result["roles"]["p-task"]
    assert role["arn"] is None and role["inline_policies"] == {"task": EFS} and role["tags"] == TAGS
    assert set(calls.take()) <= {"GetRole", "ListRolePolicies", "ListAttachedRolePolicies", "GetRolePolicy"}
    assert client.list_roles()["Roles"] == []


def test_drift_is_repaired_and_the_session_duration_kept(client):
    mod.ensure_present(client, params(spec(max_session_duration=7200)), base.Context())
    client.update_role(RoleName="p-exec", Description="edited", MaxSessionDuration=7200)
    client.update_assume_role_policy(RoleName="p-exec", PolicyDocument=json.dumps(
        dict(TRUST, Statement=[dict(TRUST["Statement"][0], Principal={"Service": "ec2.amazonaws.com"})])))
    client.put_role_policy(RoleName="p-exec", PolicyName="task-execution", PolicyDocument=json.dumps(EFS))
    client.put_role_policy(RoleName="p-exec", PolicyName="stale", PolicyDocument=json.dumps(EFS))
    client.attach_role_policy(RoleName="p-exec", PolicyArn=READ_ONLY)
    client.tag_role(RoleName="p-exec", Tags=[{"Key": "Extra", "Value": "1"}])

    check = mod.ensure_present(client, params(spec()), base.Context(check_mode=True))
    assert check.changed and check.before["p-exec"]["description"] == "edited"
    assert check.after["p-exec"]["inline_policies"] == {"task-execution": LOGS}
    assert check.after["p-exec"]["max_session_duration"] == 7200  # unset: left alone

    outcome = mod.ensure_present(client, params(spec()), base.Context())
    assert outcome.changed
    role = client.get_role(RoleName="p-exec")["Role"]
    assert role["Description"] == "pull images" and role["MaxSessionDuration"] == 7200
    assert not iam.documents_differ(role["AssumeRolePolicyDocument"], TRUST)
    assert client.list_role_policies(RoleName="p-exec")["PolicyNames"] == ["task-execution"]
    assert client.get_role_policy(RoleName="p-exec", PolicyName="task-execution")["PolicyDocument"] == LOGS
    assert client.list_attached_role_policies(RoleName="p-exec")["AttachedPolicies"] == []
    assert base.tags_to_dict(role["Tags"]) == TAGS
    assert not mod.ensure_present(client, params(spec()), base.Context()).changed


def test_unset_and_unpurged_options_leave_the_role_alone(client):
    mod.ensure_present(client, params(spec(managed_policies=[READ_ONLY])), base.Context())
    client.put_role_policy(RoleName="p-exec", PolicyName="extra", PolicyDocument=json.dumps(EFS))
    same = spec(description=None, inline_policies=None, managed_policies=None)
    assert not mod.ensure_present(client, params(same, tags=None), base.Context()).changed
    kept = spec(inline_policies={}, purge_inline_policies=False, managed_policies=[], purge_managed_policies=False)
    outcome = mod.ensure_present(client, params(kept), base.Context())
    assert not outcome.changed
    assert outcome.result["roles"]["p-exec"]["inline_policies"] == {"extra": EFS, "task-execution": LOGS}
    assert outcome.result["roles"]["p-exec"]["managed_policies"] == [READ_ONLY]


def test_an_empty_inline_policy_dict_purges_a_stale_policy(client):
    mod.ensure_present(client, params(spec()), base.Context())
    outcome = mod.ensure_present(client, params(spec(inline_policies={})), base.Context())
    assert outcome.changed and outcome.before["p-exec"]["inline_policies"] == {"task-execution": LOGS}
    assert client.list_role_policies(RoleName="p-exec")["PolicyNames"] == []


def test_a_different_path_is_refused_before_any_change(client):
    mod.ensure_present(client, params(spec(path="/svc/")), base.Context())
    calls = Calls(client)
    with pytest.raises(ValueError, match=r"p-exec has path /svc/; IAM cannot change the path"):
        mod.ensure_present(client, params(spec(path="/other/", description="new")), base.Context())
    assert set(calls.take()) <= {"GetRole", "ListRolePolicies", "ListAttachedRolePolicies", "GetRolePolicy"}


def test_a_new_role_not_visible_yet_is_waited_for_and_its_policy_retried(client, monkeypatch):
    no_sleep(monkeypatch, iam)
    no_sleep(monkeypatch, base, "wait_for")
    # the read finds nothing (GetRole 1); GetRole after the create misses it twice, PutRolePolicy once
    AWSAnswers(client, "GetRole", "NoSuchEntity", times=2, skip=1)
    put = AWSAnswers(client, "PutRolePolicy", "NoSuchEntity", times=1)
    waited = []
    outcome = mod.ensure_present(client, params(spec()), base.Context(note=waited.append))
    assert outcome.changed and len(put.sent) == 2
    assert client.list_role_policies(RoleName="p-exec")["PolicyNames"] == ["task-execution"]
    assert any("visible after 3 checks" in w for w in waited), waited
    assert any("put inline policy task-execution of new role p-exec: AWS answered NoSuchEntity" in w for w in waited), waited


def test_a_missing_managed_policy_fails_at_once_on_a_new_role(client, monkeypatch):
    def never(seconds):
        pytest.fail("a missing policy is not ridden out")

    monkeypatch.setattr(iam, "retry_while", functools.partial(base.retry_while, sleep=never))
    with pytest.raises(iam.AnsibleIAMError, match="does not exist or is not attachable"):
        mod.ensure_present(client, params(spec(managed_policies=[READ_ONLY + "-typo"])), base.Context())


def test_a_lost_create_reply_adopts_the_role(client):
    lost = AWSAnswers(client, "CreateRole", "ServiceUnavailable", times=1, status=503, after_success=True)
    outcome = mod.ensure_present(client, params(spec()), base.Context())
    assert outcome.changed and len(lost.sent) == 2
    assert outcome.result["roles"]["p-exec"]["arn"] == client.get_role(RoleName="p-exec")["Role"]["Arn"]
    assert len(client.list_roles()["Roles"]) == 1


# --- absent --------------------------------------------------------------------------------------


def test_absent_detaches_deletes_leaves_profiles_then_deletes(client):
    mod.ensure_present(client, params(spec(managed_policies=[READ_ONLY])), base.Context())
    client.create_instance_profile(InstanceProfileName="p-profile")
    client.add_role_to_instance_profile(InstanceProfileName="p-profile", RoleName="p-exec")
    gone = params(spec(), spec("never-made"), state="absent")

    check = mod.ensure_absent(client, gone, base.Context(check_mode=True))
    assert check.changed and check.result == {"roles": {}, "deleted_roles": ["p-exec"]}
    assert client.get_role(RoleName="p-exec")

    outcome = mod.ensure_absent(client, gone, base.Context())
    assert outcome.changed and outcome.before["p-exec"]["managed_policies"] == [READ_ONLY] and outcome.after == {}
    assert client.list_roles()["Roles"] == []
    assert client.get_instance_profile(InstanceProfileName="p-profile")["InstanceProfile"]["Roles"] == []
    assert not mod.ensure_absent(client, gone, base.Context()).changed


def test_delete_rides_out_a_conflict_iam_still_sees(client, monkeypatch):
    no_sleep(monkeypatch, iam)
    mod.ensure_present(client, params(spec()), base.Context())
    AWSAnswers(client, "DeleteRole", "DeleteConflict", times=1, status=409)
    waited = []
    assert mod.ensure_absent(client, params(spec(), state="absent"), base.Context(note=waited.append)).changed
    assert client.list_roles()["Roles"] == []
    assert any("delete role p-exec: AWS answered DeleteConflict" in w for w in waited), waited
