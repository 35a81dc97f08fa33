"""Offline tests of plugins/module_utils/secretsmanager.py and the secretsmanager_password logic.

Pure helpers are tested directly; ``ensure_present`` / ``ensure_absent`` run against moto's
in-process backend (``mock_aws``), no network.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import secretsmanager as sm
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Context
from ansible_collections.apranova.aws_stack.plugins.modules import secretsmanager_password as mod
from ...aws_answers import retrying


# --------------------------------------------------------------------------- password generator

def test_generate_password_length_and_exclusions():
    for length in (8, 32, 100):
        for dummy in range(50):
            password = sm.generate_password(length)
            assert len(password) == length
            assert not set(password) & set(sm.DEFAULT_EXCLUDE_CHARACTERS)
            assert all(c in string.printable and not c.isspace() for c in password)


def test_generate_password_includes_every_available_class():
    for dummy in range(200):
        password = sm.generate_password(8)
        assert set(password) & set(string.ascii_lowercase)
        assert set(password) & set(string.ascii_uppercase)
        assert set(password) & set(string.digits)
        assert set(password) & (set(string.punctuation) - set(sm.DEFAULT_EXCLUDE_CHARACTERS))


def test_generate_password_honours_custom_exclusions():
    password = sm.generate_password(64, exclude_characters=string.punctuation + "abc")
    assert not set(password) & set(string.punctuation + "abc")
    assert set(password) & set(string.digits)


def test_generate_password_is_random():
    assert len({sm.generate_password(32) for dummy in range(20)}) == 20


def test_generate_password_uses_given_rng():
    a = sm.generate_password(16, rng=random.Random(1))
    b = sm.generate_password(16, rng=random.Random(1))
    assert a == b


@pytest.mark.parametrize("length", [7, 4097, 0, -1])
def test_password_length_bounds(length):
    assert "between 8 and 4096" in sm.validate_password_options(length, "")
    with pytest.raises(ValueError):
        sm.generate_password(length)


def test_password_bounds_accepted():
    assert sm.validate_password_options(8, "") is None
    assert sm.validate_password_options(4096, "") is None
    assert len(sm.generate_password(4096)) == 4096


def test_excluding_everything_is_an_error():
    everything = string.ascii_letters + string.digits + string.punctuation
    assert "nothing left" in sm.validate_password_options(32, everything)


# --------------------------------------------------------------------------- secret documents

def test_build_secret_string():
    assert json.loads(sm.build_secret_string("pw", "admin")) == {"username": "admin", "password": "pw"}
    assert json.loads(sm.build_secret_string("pw")) == {"password": "pw"}


def test_build_secret_string_escapes_quotes():
    document = sm.build_secret_string('a"b\\c', "u")
    assert json.loads(document)["password"] == 'a"b\\c'


def test_parse_credentials():
    assert sm.parse_credentials('{"username": "u", "password": "p"}', "s") == ("u", "p")
    assert sm.parse_credentials('{"password": "p"}', "s") == (None, "p")


@pytest.mark.parametrize("value,fragment", [
    (None, "no SecretString"),
    ("hunter2-not-json", "does not hold JSON"),
    ('["hunter2-list"]', "not an object"),
    ('{"user": "hunter2-nopw"}', '"password" key'),
    ('{"password": ""}', '"password" key'),
    ('{"password": 12345}', '"password" key'),
])
def test_parse_credentials_errors_name_the_problem_not_the_value(value, fragment):
    with pytest.raises(ValueError) as err:
        sm.parse_credentials(value, "app/db")
    assert fragment in str(err.value)
    assert "app/db" in str(err.value)
    assert "hunter2" not in str(err.value)


# --------------------------------------------------------------------------- KMS references

@pytest.mark.parametrize("current,desired,expected", [
    (None, None, True),
    ("k1", None, False),
    (None, "k1", False),
    ("1234", "1234", True),
    ("arn:aws:kms:us-east-1:123456789012:key/1234", "1234", True),
    ("1234", "arn:aws:kms:us-east-1:123456789012:key/1234", True),
    ("arn:aws:kms:us-east-1:123456789012:alias/app", "alias/app", True),
    ("arn:aws:kms:us-east-1:123456789012:key/1234", "5678", False),
    ("arn:aws:kms:us-east-1:123456789012:key/1234", "alias/app", False),
    ("arn:aws:kms:us-east-1:123456789012:key/1234", "arn:aws:kms:us-east-1:123456789012:key/5678", False),
])
def test_kms_key_ids_match(current, desired, expected):
    assert sm.kms_key_ids_match(current, desired) is expected


# --------------------------------------------------------------------------- normaliser

def test_normalise_secret():
    import datetime

    described = {
        "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf",
        "Name": "s",
        "Description": "d",
        "KmsKeyId": "k",
        "Tags": [{"Key": "a", "Value": "b"}, {"Key": "aws:cloudformation:stack-name", "Value": "x"}],
        "VersionIdsToStages": {"v1": ["AWSPREVIOUS"], "v2": ["AWSCURRENT", "custom"]},
        "DeletedDate": datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc),
        "SecretString": "must-not-leak",
    }
    result = sm.normalise_secret(described)
    assert result == {
        "arn": described["ARN"], "name": "s", "description": "d", "kms_key_id": "k", "tags": {"a": "b"},
        "version_id": "v2", "deleted_date": "2026-12-01T00:00:00+00:00",
    }
    assert "must-not-leak" not in json.dumps(result)
    assert sm.normalise_secret(None) == {}


# --------------------------------------------------------------------------- module logic on mock_aws

@pytest.fixture
def clients(offline_aws):
    raw = boto3.client("secretsmanager", region_name="us-east-1")
    kms = boto3.client("kms", region_name="us-east-1")
    yield raw, {"secretsmanager": retrying(raw), "kms": retrying(kms)}, kms


def params(**kw):
    base = dict(name="app/db", description=None, username=None, password_length=32,
                exclude_characters=sm.DEFAULT_EXCLUDE_CHARACTERS, kms_key_id=None, tags=None,
                purge_tags=True, recovery_window_in_days=30, state="present")
    base.update(kw)
    return base


def ctx(check_mode=False, secrets=None):
    """A Context whose registered secrets (values masked in the output) land in ``secrets``."""
    return Context(check_mode=check_mode, secret=(secrets if secrets is not None else []).append)


def present(client, p, check_mode=False, secrets=None):
    return mod.ensure_present(client, p, ctx(check_mode, secrets))


def absent(client, p, check_mode=False):
    return mod.ensure_absent(client, p, ctx(check_mode))


def test_create_stores_generated_json_and_returns_no_value(clients):
    raw, client, dummy = clients
    made = []
    outcome = present(client, params(username="admin", tags={"a": "b"}), secrets=made)
    after = outcome.result["secret"]
    assert outcome.changed and outcome.before == {} and outcome.after == after
    stored = json.loads(raw.get_secret_value(SecretId="app/db")["SecretString"])
    assert stored == {"username": "admin", "password": made[0]}
    assert made[0] not in json.dumps(after)
    assert after["arn"].startswith("arn:aws:secretsmanager:") and after["tags"] == {"a": "b"}
    assert after["version_id"]


def test_check_mode_creates_nothing(clients):
    raw, client, dummy = clients
    made = []
    outcome = present(client, params(), True, secrets=made)
    assert outcome.changed and outcome.result["secret"]["arn"] is None and made == []
    assert raw.list_secrets()["SecretList"] == []


def test_existing_value_is_never_touched(clients):
    raw, client, dummy = clients
    present(client, params())
    value = raw.get_secret_value(SecretId="app/db")
    made = []
    assert present(client, params(username="other", password_length=64), secrets=made).changed is False
    assert made == []  # no password generated for an existing secret
    outcome = present(client, params(description="new", tags={"x": "1"}))
    after = outcome.result["secret"]
    assert outcome.changed and after["description"] == "new" and after["tags"] == {"x": "1"}
    again = raw.get_secret_value(SecretId="app/db")
    assert again["SecretString"] == value["SecretString"] and again["VersionId"] == value["VersionId"]
    assert present(client, params(description="new", tags={"x": "1"})).changed is False


def test_kms_key_change_by_alias_is_resolved(clients):
    raw, client, kms_raw = clients
    key = kms_raw.create_key()["KeyMetadata"]
    kms_raw.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    present(client, params(kms_key_id=key["Arn"]))
    # the same key by alias, id or ARN: no change
    for ref in ("alias/app", key["KeyId"], key["Arn"]):
        assert present(client, params(kms_key_id=ref), True).changed is False
    other = kms_raw.create_key()["KeyMetadata"]
    outcome = present(client, params(kms_key_id=other["KeyId"]))
    assert outcome.changed and raw.describe_secret(SecretId="app/db")["KmsKeyId"] == other["KeyId"]
    with pytest.raises(ValueError, match="was not found"):
        present(client, params(kms_key_id="alias/missing"), True)


def test_kms_key_change_helper():
    """``sm.kms_key_change``: False for the same key, True for another, None for a key KMS does not know."""
    class Kms:
        def __init__(self):
            self.asked = []

        def describe_key(self, KeyId, aws_retry):
            self.asked.append(KeyId)
            arns = {"alias/app": "arn:k/1", "1": "arn:k/1", "2": "arn:k/2"}
            if KeyId not in arns:
                from botocore.exceptions import ClientError
                raise ClientError({"Error": {"Code": "NotFoundException", "Message": "no"}}, "DescribeKey")
            return {"KeyMetadata": {"Arn": arns[KeyId]}}

    kms = Kms()
    assert sm.kms_key_change(kms, "1", None) is False and sm.kms_key_change(kms, "1", "1") is False
    assert kms.asked == []  # textually the same: no look-up
    assert sm.kms_key_change(kms, "1", "alias/app") is False
    assert sm.kms_key_change(kms, "1", "2") is True
    assert sm.kms_key_change(kms, None, "2") is True
    kms.asked.clear()
    assert sm.kms_key_change(kms, "1", "alias/missing") is None
    assert kms.asked == ["alias/missing"]  # the current key is not looked up then


def test_delete_schedule_restore_and_force(clients):
    raw, client, dummy = clients
    present(client, params())
    value = raw.get_secret_value(SecretId="app/db")["SecretString"]

    assert absent(client, params(state="absent", recovery_window_in_days=7), True).changed is True
    assert "DeletedDate" not in raw.describe_secret(SecretId="app/db")
    outcome = absent(client, params(state="absent", recovery_window_in_days=7))
    assert outcome.changed and outcome.result["secret"].get("deleted_date")
    assert outcome.after == outcome.result["secret"] and outcome.before["name"] == "app/db"
    assert absent(client, params(state="absent", recovery_window_in_days=7)).changed is False

    # present again restores the old value
    outcome = present(client, params())
    assert outcome.changed and "deleted_date" in outcome.before and "deleted_date" not in outcome.result["secret"]
    assert raw.get_secret_value(SecretId="app/db")["SecretString"] == value

    # force deletion of a scheduled secret
    absent(client, params(state="absent", recovery_window_in_days=7))
    outcome = absent(client, params(state="absent", recovery_window_in_days=0))
    assert outcome.changed and outcome.result["secret"] == {}
    assert absent(client, params(state="absent", recovery_window_in_days=0)).changed is False
