# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CloudWatch Logs API layer: log groups, their retention, KMS key and tags.

Every boto3 call of the ``logs`` service made by the ``cloudwatchlogs_log_groups`` module lives
here, with ``aws_retry=True``, "not found" turned into ``None``, and the normalisers that turn AWS
shapes into the snake_case dicts the module compares and returns. The validation helpers are pure
functions, tested offline.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import concurrently
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_while

# The retention periods PutRetentionPolicy accepts (botocore's logs model, PutRetentionPolicy
# retentionInDays: "Possible values are: 1, 3, 5, ... 3653"); no expiry is DeleteRetentionPolicy.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
# What ``retention`` takes for "never expire" (DeleteRetentionPolicy).
NEVER = "never"
# botocore's LogGroupName shape: 1 to 512 characters of this pattern.
NAME_PATTERN = re.compile(r"^[\.\-_/#A-Za-z0-9]+$")
# CreateLogGroup/AssociateKmsKey take the key's ARN (CloudWatch Logs API doc: kmsKeyId).
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$")
# How long a group just created may be unknown to the calls that follow (see docs/aws-behaviour.md).
CREATE_VISIBLE_TIMEOUT = 30


class AnsibleLogsError(AnsibleAWSError):
    pass


LogsErrorHandler = error_handler(AnsibleLogsError, "ResourceNotFoundException")


# ---------------------------------------------------------------------------------------------
# API calls
# ---------------------------------------------------------------------------------------------


@LogsErrorHandler.common_error_handler("describe CloudWatch Logs group {name}")
def describe_log_group(client: Any, name: str) -> Optional[dict]:
    """The log group named ``name`` exactly, ``None`` when there is none.

    DescribeLogGroups has no exact-name filter that works on every partition and emulator:
    ``logGroupNamePrefix`` is asked for and the answer (every group whose name starts with it,
    paginated) is matched by name here.
    """
    groups = paginate(client, "describe_log_groups", logGroupNamePrefix=name).get("logGroups") or []
    return next((g for g in groups if g.get("logGroupName") == name), None)


def find_log_groups(client: Any, names: Iterable[str]) -> Dict[str, dict]:
    """The existing log groups of ``names``, keyed by name (AWS's shape), one read per name, side by side."""
    names = list(dict.fromkeys(names))
    found = concurrently([(lambda n=n: describe_log_group(client, n)) for n in names])
    return {name: group for name, group in zip(names, found) if group is not None}


@LogsErrorHandler.list_error_handler("list the tags of CloudWatch Logs group {arn}", default_value={})
def list_tags(client: Any, arn: str) -> Dict[str, str]:
    """The tags of a log group by its ARN without the trailing ``:*`` (ListTagsForResource), ``aws:`` tags left out."""
    tags = client.list_tags_for_resource(aws_retry=True, resourceArn=arn).get("tags") or {}
    return {k: v for k, v in tags.items() if not k.startswith("aws:")}


@LogsErrorHandler.common_error_handler("tag CloudWatch Logs group {arn}")
def tag_log_group(client: Any, arn: str, tags: Dict[str, str]) -> None:
    client.tag_resource(aws_retry=True, resourceArn=arn, tags={k: str(v) for k, v in tags.items()})


@LogsErrorHandler.common_error_handler("untag CloudWatch Logs group {arn}")
def untag_log_group(client: Any, arn: str, keys: Iterable[str]) -> None:
    client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=list(keys))


@LogsErrorHandler.common_error_handler("create CloudWatch Logs group {name}")
def create_log_group(client: Any, name: str, kms_key_id: Optional[str], tags: Optional[Dict[str, str]]) -> bool:
    """Create one log group with its key and tags. ``False`` when a group of that name exists
    already: CreateLogGroup has no idempotency token, so a retry after a lost answer (AWS made the
    group) gets ResourceAlreadyExistsException; the name is the group's identity."""
    params: Dict[str, Any] = {"logGroupName": name}
    if kms_key_id:
        params["kmsKeyId"] = kms_key_id
    if tags:
        params["tags"] = {k: str(v) for k, v in tags.items()}
    try:
        client.create_log_group(aws_retry=True, **params)
    except is_boto3_error_code("ResourceAlreadyExistsException"):
        return False
    return True


def _after_create(call: Any, name: str, note: Any) -> Any:
    """``call()``, tried again while AWS does not know the group just created yet."""
    return retry_while(call, ("ResourceNotFoundException",), timeout=CREATE_VISIBLE_TIMEOUT, note=note,
                       what="log group %s just created" % name)


@LogsErrorHandler.common_error_handler("set the retention of CloudWatch Logs group {name}")
def put_retention(client: Any, name: str, days: int, just_created: bool = False, note: Any = None) -> None:
    def call() -> Any:
        return client.put_retention_policy(aws_retry=True, logGroupName=name, retentionInDays=days)

    if just_created:
        _after_create(call, name, note)
    else:
        call()


@LogsErrorHandler.common_error_handler("remove the retention of CloudWatch Logs group {name}")
def delete_retention(client: Any, name: str) -> None:
    client.delete_retention_policy(aws_retry=True, logGroupName=name)


@LogsErrorHandler.common_error_handler("associate KMS key {kms_key_id} with CloudWatch Logs group {name}")
def associate_kms_key(client: Any, name: str, kms_key_id: str) -> None:
    client.associate_kms_key(aws_retry=True, logGroupName=name, kmsKeyId=kms_key_id)


@LogsErrorHandler.common_error_handler("disassociate the KMS key of CloudWatch Logs group {name}")
def disassociate_kms_key(client: Any, name: str) -> None:
    client.disassociate_kms_key(aws_retry=True, logGroupName=name)


@LogsErrorHandler.deletion_error_handler("delete CloudWatch Logs group {name}")
def delete_log_group(client: Any, name: str) -> bool:
    client.delete_log_group(aws_retry=True, logGroupName=name)
    return True


# ---------------------------------------------------------------------------------------------
# Validation, normalisation (no API calls)
# ---------------------------------------------------------------------------------------------


def parse_retention(value: Any) -> Any:
    """The ``retention`` option as the module compares it: ``None`` (unset: leave alone), ``0``
    (never expire) or a number of days. Raises ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("retention %r is not a number of days" % value)
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == NEVER:
            return 0
        if not text.isdigit():
            raise ValueError("retention %r is not a number of days or %r" % (value, NEVER))
        value = int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or (value != 0 and value not in RETENTION_DAYS):
        raise ValueError("retention %r is not one of the periods CloudWatch Logs accepts (%s days), or 0 / %r "
                         "for no expiry" % (value, ", ".join(str(d) for d in RETENTION_DAYS), NEVER))
    return value


def validate_log_groups(groups: List[dict], state: str) -> List[str]:
    """Every problem of the ``log_groups`` option, as messages that say what to change.

    Runs before any API call. With ``state=absent`` only the names are checked.
    """
    errors = []
    seen: Dict[str, int] = {}
    for index, group in enumerate(groups):
        name = group.get("name") or ""
        where = "log_groups[%d] (%s)" % (index, name) if name else "log_groups[%d]" % index
        if not 1 <= len(name) <= 512 or not NAME_PATTERN.match(name):
            errors.append("%s: the name must be 1 to 512 letters, digits and . - _ / # (for example /ecs/backend)." % where)
        elif name.startswith("aws/"):
            errors.append("%s: names starting with aws/ are AWS's own (CreateLogGroup refuses them)." % where)
        if name in seen:
            errors.append("%s: the name is already used by log_groups[%d]; list each log group once." % (where, seen[name]))
        else:
            seen[name] = index
        if state != "present":
            continue
        try:
            parse_retention(group.get("retention"))
        except ValueError as e:
            errors.append("%s: %s." % (where, e))
        key = group.get("kms_key_id")
        if key and not KMS_KEY_ARN.match(key):
            errors.append("%s: kms_key_id %r is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); "
                          "CloudWatch Logs takes no alias or bare key id." % (where, key))
        for key in (group.get("tags") or {}):
            if str(key).startswith("aws:"):
                errors.append("%s: tag %r: the aws: prefix is reserved for AWS." % (where, key))
    return errors


def arn_of(group: dict) -> Optional[str]:
    """A log group's ARN without the trailing ``:*`` (what the tagging calls take: CloudWatch Logs API
    doc, ListTagsForResource resourceArn; DescribeLogGroups' ``logGroupArn``)."""
    arn = group.get("logGroupArn") or group.get("arn")
    if arn and arn.endswith(":*"):
        arn = arn[:-2]
    return arn


def normalize_log_group(group: dict) -> dict:
    """A log group as the module returns it (snake_case); ``retention_in_days`` ``None`` for no expiry,
    ``stored_bytes`` as DescribeLogGroups reported it (the report's figure, published by discovery)."""
    return {
        "name": group["logGroupName"],
        "arn": arn_of(group),
        "retention_in_days": group.get("retentionInDays"),
        "kms_key_id": group.get("kmsKeyId"),
        "stored_bytes": group.get("storedBytes"),
    }
