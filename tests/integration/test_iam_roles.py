"""Integration test of apranova.aws_stack.iam_roles against the moto server."""

from __future__ import annotations

import json

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/iam_roles/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAMES = ["itest-exec", "itest-task"]


def _roles(iam):
    return sorted(r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("itest-"))


def _state(iam, name):
    role = iam.get_role(RoleName=name)["Role"]
    return {
        "description": role.get("Description"),
        "max_session_duration": role["MaxSessionDuration"],
        "trust": role["AssumeRolePolicyDocument"],
        "tags": {t["Key"]: t["Value"] for t in role.get("Tags", [])},
        "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                   for p in iam.list_role_policies(RoleName=name)["PolicyNames"]},
        "managed": [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]],
    }


def _run(aws, phase, extra):
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=phase, extra_vars=extra)
    assert run.rc == 0, run
    return run


def test_iam_roles(aws):
    iam = aws.client("iam")
    efs = {"Version": "2012-10-17", "Statement": [{"Sid": "Efs", "Effect": "Allow", "Action": "elasticfilesystem:ClientMount", "Resource": "*"}]}
    managed = iam.create_policy(PolicyName="itest-read", PolicyDocument=json.dumps(efs))["Policy"]["Arn"]
    extra = {"managed_policy_arn": managed}

    # invalid input fails before any API call: nothing is created
    _run(aws, "invalid", extra)
    assert _roles(iam) == []

    _run(aws, "create", extra)
    assert _roles(iam) == NAMES
    exec_role, task_role = _state(iam, "itest-exec"), _state(iam, "itest-task")
    assert exec_role["description"] == "pull images, write logs" and exec_role["max_session_duration"] == 3600
    assert exec_role["trust"]["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert list(exec_role["inline"]) == ["task-execution"] and exec_role["managed"] == []
    assert sorted(task_role["inline"]) == ["stale", "task"] and task_role["inline"]["task"] == efs
    assert task_role["max_session_duration"] == 7200
    assert exec_role["tags"] == task_role["tags"] == {"Project": "itest", "Tier": "ecs"}

    # a no-op run of two roles with three inline policies: GetRole, ListRolePolicies and
    # ListAttachedRolePolicies per role, GetRolePolicy per inline policy; nothing else
    before = aws.aws_calls()
    _run(aws, "noop", extra)
    assert aws.aws_calls() - before == 2 * 3 + 3

    _run(aws, "update", extra)
    exec_role, task_role = _state(iam, "itest-exec"), _state(iam, "itest-task")
    assert [s["Sid"] for s in exec_role["inline"]["task-execution"]["Statement"]] == ["Logs", "Efs"]
    assert exec_role["managed"] == [managed]
    assert list(task_role["inline"]) == ["task"]  # the stale policy was purged
    assert task_role["max_session_duration"] == 7200  # unset: left alone
    assert exec_role["tags"] == task_role["tags"] == {"Project": "itest"}

    _run(aws, "delete", extra)
    assert _roles(iam) == []
    assert iam.get_policy(PolicyArn=managed)["Policy"]["AttachmentCount"] == 0
