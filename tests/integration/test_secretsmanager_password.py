"""Integration test of apranova.aws_stack.secretsmanager_password against the moto server.

The playbook asserts the four steps of every phase; this file reads the emulator's state
between phases: the stored JSON, that the value never changes after creation, the scheduled
deletion, the restore and the final deletion, and that the value is in no ansible output.
"""

from __future__ import annotations

import json
import string

import botocore.exceptions
import pytest

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/secretsmanager_password/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAME = "it/secretsmanager-password"


def _run(aws, tags, verbose=False):
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=tags, args=["-vvv"] if verbose else None)
    assert run.rc == 0, run
    assert run.failed == 0, run
    return run


def test_secretsmanager_password(aws):
    sm = aws.client("secretsmanager")

    created = _run(aws, "create", verbose=True)
    value = sm.get_secret_value(SecretId=NAME)
    document = json.loads(value["SecretString"])
    assert set(document) == {"username", "password"}
    assert document["username"] == "itadmin"
    password = document["password"]
    assert len(password) == 40
    assert not set(password) & set("/@\"' \\")
    assert set(password) <= set(string.ascii_letters + string.digits + string.punctuation)
    assert password not in created.out, "the generated password appears in the -vvv output"
    described = sm.describe_secret(SecretId=NAME)
    assert described["Description"] == "first description"
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"Project": "it"}
    assert len(sm.list_secrets()["SecretList"]) == 1, "apply again created a second secret"

    updated = _run(aws, "update", verbose=True)
    again = sm.get_secret_value(SecretId=NAME)
    assert again["SecretString"] == value["SecretString"], "the update changed the secret's value"
    assert again["VersionId"] == value["VersionId"], "the update created a new secret version"
    described = sm.describe_secret(SecretId=NAME)
    assert described["Description"] == "second description"
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"Project": "it", "Tier": "db"}
    assert password not in updated.out

    _run(aws, "delete")
    assert "DeletedDate" in sm.describe_secret(SecretId=NAME)
    with pytest.raises(botocore.exceptions.ClientError):
        sm.get_secret_value(SecretId=NAME)

    _run(aws, "restore")
    assert "DeletedDate" not in sm.describe_secret(SecretId=NAME)
    assert sm.get_secret_value(SecretId=NAME)["SecretString"] == value["SecretString"], "restore lost the value"

    _run(aws, "purge")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        sm.describe_secret(SecretId=NAME)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"

    _run(aws, "validate")
    assert sm.list_secrets()["SecretList"] == []
