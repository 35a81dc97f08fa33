# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets Manager API layer (plus the one KMS look-up the database modules need).

Every boto3 call goes through here with ``aws_retry=True`` (the client must be made with
``base.aws_client(module, ...)``); "not found" comes back as ``None``. Secret VALUES never leave
this layer except through :func:`get_secret_string`, whose callers must register the value
for masking at once (``ctx.secret``: ``module.no_log_values``).
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

# The characters RDS refuses in a master password (/ @ " and space) plus ' and \ that break
# naive shell and connection-string quoting.
DEFAULT_EXCLUDE_CHARACTERS = "/@\"' \\"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 4096


class SecretsManagerError(AnsibleAWSError):
    pass


SecretsManagerErrorHandler = error_handler(SecretsManagerError, "ResourceNotFoundException")


KMSErrorHandler = error_handler(SecretsManagerError, "NotFoundException")


# ---------------------------------------------------------------------------------------------
# API calls
# ---------------------------------------------------------------------------------------------


@SecretsManagerErrorHandler.list_error_handler("describe secret {secret_id}")
def describe_secret(client: Any, secret_id: str) -> Optional[Dict[str, Any]]:
    """The DescribeSecret answer for ``secret_id`` (name or ARN), or ``None``.

    A secret scheduled for deletion is returned too; it carries ``DeletedDate``.
    """
    result = client.describe_secret(SecretId=secret_id, aws_retry=True)
    result.pop("ResponseMetadata", None)
    return result


@SecretsManagerErrorHandler.common_error_handler("create secret {name}")
def create_secret(client: Any, name: str, secret_string: str, description: Optional[str] = None,
                  kms_key_id: Optional[str] = None, tags: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    params = dict(Name=name, SecretString=secret_string)
    if description is not None:
        params["Description"] = description
    if kms_key_id:
        params["KmsKeyId"] = kms_key_id
    if tags:
        params["Tags"] = dict_to_tags(tags)
    result = client.create_secret(aws_retry=True, **params)
    # The answer holds no secret value, only ARN, Name and VersionId.
    result.pop("ResponseMetadata", None)
    return result


@SecretsManagerErrorHandler.common_error_handler("update secret {secret_id}")
def update_secret(client: Any, secret_id: str, description: Optional[str] = None, kms_key_id: Optional[str] = None) -> bool:
    """Change description and/or KMS key; never the value."""
    params = {}
    if description is not None:
        params["Description"] = description
    if kms_key_id is not None:
        params["KmsKeyId"] = kms_key_id
    if not params:
        return False
    client.update_secret(SecretId=secret_id, aws_retry=True, **params)
    return True


@SecretsManagerErrorHandler.common_error_handler("tag secret {secret_id}")
def tag_secret(client: Any, secret_id: str, tags: Dict[str, Any]) -> bool:
    client.tag_resource(SecretId=secret_id, Tags=dict_to_tags(tags), aws_retry=True)
    return True


@SecretsManagerErrorHandler.common_error_handler("untag secret {secret_id}")
def untag_secret(client: Any, secret_id: str, tag_keys: Iterable[str]) -> bool:
    client.untag_resource(SecretId=secret_id, TagKeys=list(tag_keys), aws_retry=True)
    return True


@SecretsManagerErrorHandler.common_error_handler("restore secret {secret_id}")
def restore_secret(client: Any, secret_id: str) -> bool:
    client.restore_secret(SecretId=secret_id, aws_retry=True)
    return True


@SecretsManagerErrorHandler.deletion_error_handler("delete secret {secret_id}")
def delete_secret(client: Any, secret_id: str, recovery_window_in_days: int) -> bool:
    """Schedule deletion (``recovery_window_in_days`` 7..30) or delete at once (0)."""
    if recovery_window_in_days == 0:
        client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True, aws_retry=True)
    else:
        client.delete_secret(SecretId=secret_id, RecoveryWindowInDays=recovery_window_in_days, aws_retry=True)
    return True


@SecretsManagerErrorHandler.list_error_handler("read secret {secret_id}")
def get_secret_string(client: Any, secret_id: str) -> Optional[str]:
    """The current ``SecretString`` of ``secret_id``, or ``None`` when the secret does not exist.

    The caller MUST register the value (and what it extracts from it) for masking (``ctx.secret``).
    """
    result = client.get_secret_value(SecretId=secret_id, aws_retry=True)
    return result.get("SecretString")


@KMSErrorHandler.list_error_handler("describe KMS key {key_id}")
def describe_kms_key_arn(kms_client: Any, key_id: str) -> Optional[str]:
    """The ARN of the KMS key that ``key_id`` (id, ARN, alias name or alias ARN) points at, or ``None``."""
    return kms_client.describe_key(KeyId=key_id, aws_retry=True)["KeyMetadata"]["Arn"]


def kms_key_change(kms_client: Any, current: Optional[str], desired: Optional[str]) -> Optional[bool]:
    """Whether the KMS key reference ``desired`` names another key than ``current`` (what AWS reports).

    ``False`` when ``desired`` is not set or names the same key (textually, or once both are
    resolved through KMS), ``True`` when it names another key, ``None`` when KMS knows no key
    ``desired`` (the caller says what to fix). ``current`` is only looked up when ``desired`` exists.
    """
    if desired is None or kms_key_ids_match(current, desired):
        return False
    desired_arn = describe_kms_key_arn(kms_client, desired)
    if desired_arn is None:
        return None
    if not current:
        return True
    return describe_kms_key_arn(kms_client, current) != desired_arn


# ---------------------------------------------------------------------------------------------
# Pure helpers (unit-tested offline)
# ---------------------------------------------------------------------------------------------


def kms_key_ids_match(current: Optional[str], desired: Optional[str]) -> bool:
    """True when two KMS key references are textually the same key.

    ``arn:aws:kms:r:a:key/ID`` matches ``ID``; ``arn:aws:kms:r:a:alias/NAME`` matches ``alias/NAME``.
    Anything else needs a KMS look-up (:func:`describe_kms_key_arn`) to decide.
    """
    if not current or not desired:
        return (current or None) == (desired or None)
    if current == desired:
        return True
    for a, b in ((current, desired), (desired, current)):
        if a.startswith("arn:") and not b.startswith("arn:"):
            # key/ID or alias/NAME at the end of the ARN
            if a.endswith(":" + b) or a.endswith(":key/" + b):
                return True
    return False


def validate_password_options(length: int, exclude_characters: Optional[str]) -> Optional[str]:
    """Return an error message for bad generator options, or ``None``."""
    if length < MIN_PASSWORD_LENGTH or length > MAX_PASSWORD_LENGTH:
        return f"password_length must be between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH}, got {length}."
    if not _alphabet(exclude_characters):
        return "exclude_characters removes every printable character: nothing left to build a password from."
    return None


def _alphabet(exclude_characters: Optional[str]) -> str:
    excluded = set(exclude_characters or "")
    return "".join(c for c in string.ascii_letters + string.digits + string.punctuation if c not in excluded)


def _character_classes(alphabet: str) -> List[Set[str]]:
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation]
    return [set(c) & set(alphabet) for c in classes if set(c) & set(alphabet)]


def generate_password(length: int = 32, exclude_characters: Optional[str] = DEFAULT_EXCLUDE_CHARACTERS, rng: Any = None) -> str:
    """A random password from printable ASCII minus ``exclude_characters``.

    Uses the ``secrets`` CSPRNG; every character class still available (lower, upper, digit,
    punctuation) appears at least once when ``length`` allows, like Secrets Manager's
    GetRandomPassword with RequireEachIncludedType.
    """
    error = validate_password_options(length, exclude_characters)
    if error:
        raise ValueError(error)
    rng = rng or secrets.SystemRandom()
    alphabet = _alphabet(exclude_characters)
    classes = _character_classes(alphabet)
    need_all = length >= len(classes)
    while True:
        password = "".join(rng.choice(alphabet) for dummy in range(length))
        if not need_all or all(set(password) & cls for cls in classes):
            return password


def build_secret_string(password: str, username: Optional[str] = None) -> str:
    """The JSON document stored in the secret: ``{"username": ..., "password": ...}`` or ``{"password": ...}``."""
    document = {}
    if username is not None:
        document["username"] = username
    document["password"] = password
    return json.dumps(document)


def parse_credentials(secret_string: Optional[str], secret_id: str) -> Tuple[Optional[str], str]:
    """``(username or None, password)`` from a secret's JSON; ``ValueError`` naming what is wrong.

    The messages never include the value.
    """
    if secret_string is None:
        raise ValueError(f"Secret {secret_id} has no SecretString (binary secrets are not supported); "
                         'store JSON such as {"password": "..."} in it.')
    try:
        document = json.loads(secret_string)
    except ValueError:
        raise ValueError(f'Secret {secret_id} does not hold JSON; store a JSON object with a "password" key in it.') from None
    if not isinstance(document, dict):
        raise ValueError(f'Secret {secret_id} holds JSON that is not an object; store {{"password": "..."}} in it.')
    password = document.get("password")
    if not isinstance(password, str) or not password:
        raise ValueError(f'Secret {secret_id} has no non-empty string "password" key; '
                         "create it with apranova.aws_stack.secretsmanager_password or add the key.")
    username = document.get("username")
    if username is not None and not isinstance(username, str):
        username = None
    return username, password


def current_version_id(described: Dict[str, Any]) -> Optional[str]:
    for version_id, stages in (described.get("VersionIdsToStages") or {}).items():
        if "AWSCURRENT" in stages:
            return version_id
    return None


def normalise_secret(described: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """DescribeSecret answer -> the ``secret`` dict the module returns (never a value)."""
    if not described:
        return {}
    result = {
        "arn": described.get("ARN"),
        "name": described.get("Name"),
        "description": described.get("Description"),
        "kms_key_id": described.get("KmsKeyId"),
        "tags": tags_to_dict(described.get("Tags")),
    }
    version_id = current_version_id(described)
    if version_id:
        result["version_id"] = version_id
    if described.get("DeletedDate"):
        deleted = described["DeletedDate"]
        result["deleted_date"] = deleted.isoformat() if hasattr(deleted, "isoformat") else str(deleted)
    return result
