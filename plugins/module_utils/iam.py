# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IAM API layer: roles, their inline and managed policies, tags and instance profiles.

Every boto3 call of the ``iam`` service made by this collection's modules lives here, with
``aws_retry=True`` (or ``base.paginate``, the paginator walk under the same retry policy),
"not found" (``NoSuchEntity``) turned into ``None``, and the pure helpers that check the input and
turn IAM's shapes into the snake_case dicts the module compares and returns.

IAM answers policy documents URL-encoded (API doc: GetRole, GetRolePolicy "The policy document IAM
returns is URL-encoded compliant with RFC 3986"); botocore decodes them into dicts for the
documented shapes, and ``parse_document`` decodes whatever arrives as text. Documents are compared
with amazon.aws's ``compare_policies`` (statement order, a single value or a one-element list,
``"*"`` principals and the default ``Version`` all normalised).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any, Callable, Dict, Iterable, List, Optional

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_code
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Note
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_while
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

# IAM's limits (API doc: CreateRole RoleName, Path, Description, MaxSessionDuration; PutRolePolicy PolicyName)
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
ROLE_PATH = re.compile(r"^/([\x21-\x7e]{1,510}/)?$")
DESCRIPTION = re.compile(r"^[\t\n\r\x20-\x7e\xa1-\xff]*$")
POLICY_ARN = re.compile(r"^arn:[\w-]+:iam::(\d{12}|aws):policy/.+$")
DESCRIPTION_MAX = 1000
SESSION_MIN, SESSION_MAX = 3600, 43200


class AnsibleIAMError(AnsibleAWSError):
    pass


IAMErrorHandler = error_handler(AnsibleIAMError, "NoSuchEntity")


# ---------------------------------------------------------------------------------------------
# API calls
# ---------------------------------------------------------------------------------------------


@IAMErrorHandler.list_error_handler("get role {name}")
def get_role(client: Any, name: str) -> Optional[dict]:
    """GetRole's ``Role`` (description, trust policy, tags, maximum session), or ``None``."""
    return client.get_role(aws_retry=True, RoleName=name)["Role"]


@IAMErrorHandler.list_error_handler("list the inline policies of role {name}")
def list_role_policies(client: Any, name: str) -> Optional[List[str]]:
    """Names of the role's inline policies, or ``None`` when the role does not exist."""
    return paginate(client, "list_role_policies", RoleName=name).get("PolicyNames", [])


@IAMErrorHandler.list_error_handler("list the managed policies attached to role {name}")
def list_attached_role_policies(client: Any, name: str) -> Optional[List[str]]:
    """ARNs of the managed policies attached to the role, or ``None`` when the role does not exist."""
    found = paginate(client, "list_attached_role_policies", RoleName=name).get("AttachedPolicies", [])
    return [p["PolicyArn"] for p in found]


@IAMErrorHandler.list_error_handler("list the instance profiles of role {name}")
def list_instance_profiles_for_role(client: Any, name: str) -> Optional[List[str]]:
    """Names of the instance profiles holding the role, or ``None`` when the role does not exist."""
    found = paginate(client, "list_instance_profiles_for_role", RoleName=name).get("InstanceProfiles", [])
    return [p["InstanceProfileName"] for p in found]


@IAMErrorHandler.list_error_handler("get inline policy {policy} of role {name}")
def get_role_policy(client: Any, name: str, policy: str) -> Optional[dict]:
    """The document of one inline policy, parsed, or ``None`` when it (or the role) is gone."""
    return parse_document(client.get_role_policy(aws_retry=True, RoleName=name, PolicyName=policy)["PolicyDocument"])


@IAMErrorHandler.common_error_handler("create role {name}")
def create_role(client: Any, name: str, trust: dict, path: Optional[str] = None, description: Optional[str] = None,
                max_session_duration: Optional[int] = None, tags: Optional[dict] = None) -> dict:
    """CreateRole; returns the new ``Role``.

    CreateRole has no idempotency token: a retry of a create whose reply was lost answers
    ``EntityAlreadyExists``. The module looked the role up first, so that answer means this
    create (or one racing it) made the role: it is read and returned (GetRole) instead of failing.
    """
    params: Dict[str, Any] = {"RoleName": name, "AssumeRolePolicyDocument": document_text(trust)}
    if path is not None:
        params["Path"] = path
    if description is not None:
        params["Description"] = description
    if max_session_duration is not None:
        params["MaxSessionDuration"] = max_session_duration
    if tags:
        params["Tags"] = dict_to_tags(tags)
    try:
        return client.create_role(aws_retry=True, **params)["Role"]
    except botocore.exceptions.ClientError as e:
        if error_code(e) != "EntityAlreadyExists":
            raise
        return client.get_role(aws_retry=True, RoleName=name)["Role"]


@IAMErrorHandler.common_error_handler("update role {name}")
def update_role(client: Any, name: str, description: str, max_session_duration: int) -> bool:
    """UpdateRole with both values: a MaxSessionDuration left out is reset to one hour (API doc:
    UpdateRole MaxSessionDuration "If you do not specify a value ... the default value of one hour
    is applied"), so the one the role keeps is always sent."""
    client.update_role(aws_retry=True, RoleName=name, Description=description, MaxSessionDuration=max_session_duration)
    return True


@IAMErrorHandler.common_error_handler("update the trust policy of role {name}")
def update_assume_role_policy(client: Any, name: str, trust: dict) -> bool:
    client.update_assume_role_policy(aws_retry=True, RoleName=name, PolicyDocument=document_text(trust))
    return True


def _riding(call: Callable[[], Any], codes: List[str], timeout: float, note: Optional[Note], what: str) -> Any:
    """``call()``; with a ``timeout``, tried again while IAM answers one of ``codes`` (noted)."""
    if not timeout:
        return call()
    return retry_while(call, codes, timeout=timeout, note=note, what=what)


@IAMErrorHandler.common_error_handler("put inline policy {policy} of role {name}")
def put_role_policy(client: Any, name: str, policy: str, document: dict, timeout: float = 0, note: Optional[Note] = None) -> bool:
    """PutRolePolicy. With ``timeout`` (a role just created), ``NoSuchEntity`` is ridden out: IAM
    may not see a new role yet (eventual consistency)."""
    _riding(lambda: client.put_role_policy(aws_retry=True, RoleName=name, PolicyName=policy, PolicyDocument=document_text(document)),
            ["NoSuchEntity"], timeout, note, f"put inline policy {policy} of new role {name}")
    return True


@IAMErrorHandler.deletion_error_handler("delete inline policy {policy} of role {name}")
def delete_role_policy(client: Any, name: str, policy: str) -> bool:
    client.delete_role_policy(aws_retry=True, RoleName=name, PolicyName=policy)
    return True


class _PolicyMissing(Exception):
    """AttachRolePolicy's NoSuchEntity about the policy, not the role: final, never ridden out."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


@IAMErrorHandler.common_error_handler("attach managed policy {arn} to role {name}")
def attach_role_policy(client: Any, name: str, arn: str, timeout: float = 0, note: Optional[Note] = None) -> bool:
    """AttachRolePolicy; ``timeout`` as for ``put_role_policy``. IAM answers NoSuchEntity for a
    policy that does not exist too ("Policy <arn> does not exist or is not attachable"): that one
    fails at once."""
    def attempt() -> None:
        try:
            client.attach_role_policy(aws_retry=True, RoleName=name, PolicyArn=arn)
        except botocore.exceptions.ClientError as e:
            if error_code(e) == "NoSuchEntity" and arn in str(e):
                raise _PolicyMissing(e) from None
            raise

    try:
        _riding(attempt, ["NoSuchEntity"], timeout, note, f"attach {arn} to new role {name}")
    except _PolicyMissing as e:
        raise e.error from None
    return True


@IAMErrorHandler.deletion_error_handler("detach managed policy {arn} from role {name}")
def detach_role_policy(client: Any, name: str, arn: str) -> bool:
    client.detach_role_policy(aws_retry=True, RoleName=name, PolicyArn=arn)
    return True


@IAMErrorHandler.common_error_handler("tag role {name}")
def tag_role(client: Any, name: str, tags: Dict[str, str]) -> bool:
    client.tag_role(aws_retry=True, RoleName=name, Tags=dict_to_tags(tags))
    return True


@IAMErrorHandler.deletion_error_handler("untag role {name}")
def untag_role(client: Any, name: str, keys: Iterable[str]) -> bool:
    client.untag_role(aws_retry=True, RoleName=name, TagKeys=list(keys))
    return True


@IAMErrorHandler.deletion_error_handler("remove role {name} from instance profile {profile}")
def remove_role_from_instance_profile(client: Any, name: str, profile: str) -> bool:
    client.remove_role_from_instance_profile(aws_retry=True, RoleName=name, InstanceProfileName=profile)
    return True


@IAMErrorHandler.deletion_error_handler("delete role {name}")
def delete_role(client: Any, name: str, timeout: float = 0, note: Optional[Note] = None) -> bool:
    """DeleteRole. With ``timeout``, ``DeleteConflict`` is ridden out: right after its policies were
    detached and deleted and its instance profiles left, IAM may still count them for a moment."""
    _riding(lambda: client.delete_role(aws_retry=True, RoleName=name), ["DeleteConflict"], timeout, note, f"delete role {name}")
    return True


# ---------------------------------------------------------------------------------------------
# Documents, input checks, normalisation (no API calls)
# ---------------------------------------------------------------------------------------------


def parse_document(value: Any) -> Any:
    """A policy document as IAM or the user gives it (dict, JSON text, URL-encoded JSON text) -> dict.

    Raises ValueError when it is not JSON.
    """
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("%7B") or text.startswith("%7b"):
            text = urllib.parse.unquote(text)
        value = json.loads(text)
    # a round trip turns Ansible's own str/int subclasses into plain JSON values
    return json.loads(json.dumps(value))


def document_text(document: dict) -> str:
    """The JSON sent to IAM: compact (IAM counts a role's inline policies' characters, whitespace
    aside, against its 10,240 quota; compact text keeps error messages short too)."""
    return json.dumps(document, separators=(",", ":"))


def documents_differ(current: Any, desired: Any) -> bool:
    """Whether two policy documents mean something different (amazon.aws ``compare_policies``)."""
    if current is None or desired is None:
        return current is not desired
    return bool(compare_policies(current, desired))


def _document(value: Any, where: str, errors: List[str]) -> Optional[dict]:
    try:
        parsed = parse_document(value)
    except (ValueError, TypeError) as e:
        errors.append(f"{where} is not valid JSON ({e}); pass a dict or a JSON object as text.")
        return None
    if not isinstance(parsed, dict) or "Statement" not in parsed:
        errors.append(f"{where} must be a JSON object with a Statement, such as "
                      "{\"Version\": \"2012-10-17\", \"Statement\": [...]}.")
        return None
    return parsed


def check_roles(roles: Optional[List[dict]], state: str) -> List[str]:
    """Every problem with the module's ``roles`` (argument-spec defaults applied), as messages that
    say what to change. Runs before any API call. Parsed documents are stored back on each role as
    ``_trust`` and ``_inline`` (name -> dict) for the module to use."""
    errors: List[str] = []
    seen: Dict[str, int] = {}
    for index, role in enumerate(roles or []):
        name = role.get("name") or ""
        where = f"roles[{index}]" + (f" ({name})" if name else "")
        if not ROLE_NAME.match(name):
            errors.append(f"{where}: name {name!r} is not a valid role name: use 1 to 64 letters, digits and +=,.@_- characters.")
        if name in seen:
            errors.append(f"{where}: the name {name!r} is already used by roles[{seen[name]}]; role names must be unique.")
        elif name:
            seen[name] = index
        if state != "present":
            continue
        if role.get("assume_role_policy_document") in (None, ""):
            errors.append(f"{where}: assume_role_policy_document is required when state=present.")
        else:
            role["_trust"] = _document(role["assume_role_policy_document"], f"{where}: assume_role_policy_document", errors)
        path = role.get("path")
        if path is not None and not ROLE_PATH.match(path):
            errors.append(f"{where}: path {path!r} is not valid: it starts and ends with / (for example /service/), "
                          "at most 512 printable ASCII characters.")
        description = role.get("description")
        if description is not None and len(description) > DESCRIPTION_MAX:
            errors.append(f"{where}: description is {len(description)} characters long; IAM allows at most {DESCRIPTION_MAX}.")
        elif description is not None and not DESCRIPTION.match(description):
            errors.append(f"{where}: description holds characters IAM refuses: use printable ASCII and Latin-1 "
                          "letters (no typographic quotes).")
        duration = role.get("max_session_duration")
        if duration is not None and not SESSION_MIN <= duration <= SESSION_MAX:
            errors.append(f"{where}: max_session_duration {duration} is out of range: use {SESSION_MIN} to {SESSION_MAX} "
                          "seconds (1 to 12 hours).")
        inline = role.get("inline_policies")
        if inline is not None:
            role["_inline"] = {}
            for policy, document in inline.items():
                if not POLICY_NAME.match(str(policy)):
                    errors.append(f"{where}: inline policy name {policy!r} is not valid: use 1 to 128 letters, digits "
                                  "and +=,.@_- characters.")
                parsed = _document(document, f"{where}: inline policy {policy}", errors)
                if parsed is not None:
                    role["_inline"][str(policy)] = parsed
        for arn in role.get("managed_policies") or []:
            if not POLICY_ARN.match(arn):
                errors.append(f"{where}: managed policy {arn!r} is not a policy ARN such as "
                              "arn:aws:iam::aws:policy/ReadOnlyAccess.")
    return errors


def public_role(raw: Optional[dict], inline: Dict[str, Any], managed: List[str], tags: Optional[Dict[str, str]] = None) -> dict:
    """The dict returned for one role, from GetRole's ``Role`` (``None`` for a role check mode would
    create: the caller fills in the wanted values), its inline documents and managed policy ARNs."""
    raw = raw or {}
    created = raw.get("CreateDate")
    return {
        "name": raw.get("RoleName"),
        "arn": raw.get("Arn"),
        "role_id": raw.get("RoleId"),
        "path": raw.get("Path"),
        "description": raw.get("Description") or None,
        "max_session_duration": raw.get("MaxSessionDuration"),
        "create_date": created.isoformat() if hasattr(created, "isoformat") else created,
        "assume_role_policy_document": parse_document(raw["AssumeRolePolicyDocument"]) if raw.get("AssumeRolePolicyDocument") else None,
        "inline_policies": dict(sorted(inline.items())),
        "managed_policies": sorted(managed),
        "tags": dict(tags) if tags is not None else tags_to_dict(raw.get("Tags")),
    }
