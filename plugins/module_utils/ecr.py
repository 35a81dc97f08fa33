# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ECR API layer: repositories, their lifecycle policies and tags.

Every boto3 call of the ``ecr`` service made by the ``ecr_repositories`` module lives here, with
``aws_retry=True``, "not found" turned into ``None``, and the normalisers that turn AWS shapes into
the snake_case dicts the module compares and returns. The validation and comparison helpers are
pure functions, tested offline.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterable, Iterator, List, Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import concurrently
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

# DescribeRepositories takes at most 100 names per call (RepositoryNameList, max 100).
BATCH_SIZE = 100
# The repository name AWS accepts (botocore's RepositoryName shape: 2 to 256 characters, this pattern).
NAME_PATTERN = re.compile(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")
TAG_MUTABILITY = ("MUTABLE", "IMMUTABLE")
ENCRYPTION_TYPES = ("AES256", "KMS", "KMS_DSSE")


class AnsibleECRError(AnsibleAWSError):
    pass


ECRErrorHandler = error_handler(AnsibleECRError, "RepositoryNotFoundException")
# GetLifecyclePolicy: no policy is "nothing there" too.
ECRLifecycleErrorHandler = error_handler(AnsibleECRError, ["LifecyclePolicyNotFoundException", "RepositoryNotFoundException"])


class RepositoryNotEmpty(ValueError):
    """A repository with images that ``force_delete`` does not allow to delete."""


def _batches(items: List[str], size: int = BATCH_SIZE) -> Iterator[List[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------------------------------------
# API calls
# ---------------------------------------------------------------------------------------------


@ECRErrorHandler.common_error_handler("describe ECR repositories {names}")
def _describe_all_or_none(client: Any, names: List[str]) -> Optional[List[dict]]:
    """The repositories ``names`` in one call, or ``None`` when any one of them does not exist
    (AWS then fails the whole call with RepositoryNotFoundException: its answer has no per-name
    failures, unlike BatchGetImage's)."""
    try:
        return client.describe_repositories(aws_retry=True, repositoryNames=names).get("repositories") or []
    except is_boto3_error_code("RepositoryNotFoundException"):
        return None


@ECRErrorHandler.list_error_handler("describe ECR repository {name}")
def describe_repository(client: Any, name: str) -> Optional[dict]:
    """One repository by name, ``None`` when it does not exist."""
    repositories = client.describe_repositories(aws_retry=True, repositoryNames=[name]).get("repositories") or []
    return repositories[0] if repositories else None


def find_repositories(client: Any, names: Iterable[str]) -> Dict[str, dict]:
    """The existing repositories of ``names``, keyed by name (AWS's shape).

    One DescribeRepositories for up to 100 names. AWS fails that call as a whole when one of the
    names does not exist (RepositoryNotFoundException), which happens only when something is to be
    created or is already deleted; then each name of the batch is described on its own, side by side
    (one call per name, at most ``base.concurrently``'s workers at a time). Not the other way out, a
    paginated DescribeRepositories of the whole registry filtered here: its cost grows with every
    repository of the account, not with the ones asked for, and it needs the read on every repository
    of the account instead of on the named ones.
    """
    found: Dict[str, dict] = {}
    for batch in _batches(list(dict.fromkeys(names))):
        repositories = _describe_all_or_none(client, batch)
        if repositories is None:
            repositories = [r for r in concurrently([(lambda n=n: describe_repository(client, n)) for n in batch]) if r]
        found.update((r["repositoryName"], r) for r in repositories if r["repositoryName"] in batch)
    return found


@ECRLifecycleErrorHandler.list_error_handler("get the lifecycle policy of ECR repository {name}")
def get_lifecycle_policy(client: Any, name: str) -> Optional[dict]:
    """The repository's lifecycle policy, parsed; ``None`` when it has none."""
    text = client.get_lifecycle_policy(aws_retry=True, repositoryName=name).get("lifecyclePolicyText")
    return json.loads(text) if text else None


@ECRErrorHandler.common_error_handler("put the lifecycle policy of ECR repository {name}")
def put_lifecycle_policy(client: Any, name: str, policy: dict) -> None:
    client.put_lifecycle_policy(aws_retry=True, repositoryName=name, lifecyclePolicyText=json.dumps(policy, sort_keys=True))


@ECRErrorHandler.list_error_handler("list the tags of ECR repository {arn}", default_value={})
def list_tags(client: Any, arn: str) -> Dict[str, str]:
    return tags_to_dict(client.list_tags_for_resource(aws_retry=True, resourceArn=arn).get("tags"))


@ECRErrorHandler.common_error_handler("tag ECR repository {arn}")
def tag_repository(client: Any, arn: str, tags: Dict[str, str]) -> None:
    client.tag_resource(aws_retry=True, resourceArn=arn, tags=dict_to_tags(tags))


@ECRErrorHandler.common_error_handler("untag ECR repository {arn}")
def untag_repository(client: Any, arn: str, keys: Iterable[str]) -> None:
    client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=list(keys))


@ECRErrorHandler.common_error_handler("create ECR repository {name}")
def create_repository(client: Any, name: str, scan_on_push: Optional[bool], image_tag_mutability: Optional[str],
                      encryption: Optional[dict], tags: Optional[Dict[str, str]]) -> dict:
    """Create one repository with its settings and tags (AWS's defaults for the ones unset); a
    retried create that finds the repository made by its lost first try returns that one."""
    params: Dict[str, Any] = {"repositoryName": name}
    if scan_on_push is not None:
        params["imageScanningConfiguration"] = {"scanOnPush": scan_on_push}
    if image_tag_mutability is not None:
        params["imageTagMutability"] = image_tag_mutability
    if encryption is not None:
        params["encryptionConfiguration"] = encryption_to_aws(encryption)
    if tags:
        params["tags"] = dict_to_tags(tags)
    try:
        return client.create_repository(aws_retry=True, **params)["repository"]
    except is_boto3_error_code("RepositoryAlreadyExistsException"):
        # CreateRepository has no idempotency token: a try whose answer was lost (a 5xx or a broken
        # connection after AWS made the repository) leaves the retry this answer. The name is the
        # repository's identity, so the repository found under it is the one asked for.
        existing = describe_repository(client, name)
        if existing is None:
            raise
        return existing


@ECRErrorHandler.common_error_handler("set the image scanning of ECR repository {name}")
def put_scan_on_push(client: Any, name: str, scan_on_push: bool) -> None:
    client.put_image_scanning_configuration(aws_retry=True, repositoryName=name,
                                            imageScanningConfiguration={"scanOnPush": scan_on_push})


@ECRErrorHandler.common_error_handler("set the image tag mutability of ECR repository {name}")
def put_image_tag_mutability(client: Any, name: str, mutability: str) -> None:
    client.put_image_tag_mutability(aws_retry=True, repositoryName=name, imageTagMutability=mutability)


@ECRErrorHandler.list_error_handler("list the images of ECR repository {name}", default_value=False)
def has_images(client: Any, name: str) -> bool:
    """Whether the repository holds any image (one ListImages of at most one image)."""
    return bool(client.list_images(aws_retry=True, repositoryName=name, maxResults=1).get("imageIds"))


@ECRErrorHandler.deletion_error_handler("delete ECR repository {name}")
def delete_repository(client: Any, name: str, force: bool) -> bool:
    """Delete one repository (with its images when ``force``); a repository with images and no
    ``force`` raises ``RepositoryNotEmpty`` with what to do."""
    try:
        client.delete_repository(aws_retry=True, repositoryName=name, force=force)
    except is_boto3_error_code("RepositoryNotEmptyException"):
        raise RepositoryNotEmpty(not_empty_message([name]))
    return True


# ---------------------------------------------------------------------------------------------
# Validation, normalisation, comparison (no API calls)
# ---------------------------------------------------------------------------------------------


def not_empty_message(names: List[str]) -> str:
    return ("ECR repository %s still holds images; set force_delete: true to delete %s with %s images, "
            "or delete the images first" % (", ".join(names), "it" if len(names) == 1 else "them",
                                            "its" if len(names) == 1 else "their"))


def parse_lifecycle_policy(value: Any) -> Optional[dict]:
    """The lifecycle policy option (a JSON string: Ansible's ``json`` type serialises a dict) parsed;
    ``None`` when unset. Raises ValueError when it is not a JSON object."""
    if value is None:
        return None
    parsed = json.loads(value) if isinstance(value, str) else value
    if not isinstance(parsed, dict):
        raise ValueError("a lifecycle policy is a JSON object with a 'rules' list")
    return parsed


def _priority(rule: dict) -> tuple:
    priority = rule.get("rulePriority")
    if isinstance(priority, int) or str(priority).isdigit():
        return (0, int(priority), "")
    return (1, 0, str(priority))


def normalize_lifecycle_policy(policy: Optional[dict]) -> Optional[dict]:
    """A policy in a comparable form: its rules in ``rulePriority`` order (the priority, not the
    position in the list, orders the rules: ECR API doc, PutLifecyclePolicy / lifecycle policy
    parameters)."""
    if not isinstance(policy, dict) or not isinstance(policy.get("rules"), list):
        return policy
    rules = policy["rules"]
    if all(isinstance(r, dict) for r in rules):
        rules = sorted(rules, key=_priority)
    return dict(policy, rules=rules)


def validate_repositories(repositories: List[dict], state: str) -> List[str]:
    """Every problem of the ``repositories`` option, as messages that say what to change.

    Runs before any API call; ``repositories`` are the module's option (argument-spec defaults
    applied). With ``state=absent`` only the names are checked.
    """
    errors = []
    seen: Dict[str, int] = {}
    for index, repo in enumerate(repositories):
        name = repo.get("name") or ""
        where = "repositories[%d] (%s)" % (index, name) if name else "repositories[%d]" % index
        if not 2 <= len(name) <= 256 or not NAME_PATTERN.match(name):
            errors.append("%s: the name must be 2 to 256 lower-case letters, digits and . _ - separated by /"
                          " (for example apranova/backend)." % where)
        if name in seen:
            errors.append("%s: the name is already used by repositories[%d]; list each repository once." % (where, seen[name]))
        else:
            seen[name] = index
        if state != "present":
            continue
        mutability = repo.get("image_tag_mutability")
        if mutability is not None and mutability.upper() not in TAG_MUTABILITY:
            errors.append("%s: image_tag_mutability %r is not MUTABLE or IMMUTABLE." % (where, mutability))
        try:
            parse_lifecycle_policy(repo.get("lifecycle_policy"))
        except ValueError as e:
            errors.append("%s: lifecycle_policy is not valid: %s." % (where, e))
        encryption = repo.get("encryption_configuration")
        if encryption and encryption.get("kms_key") and encryption.get("encryption_type") == "AES256":
            errors.append("%s: encryption_configuration.kms_key is only used with encryption_type KMS or KMS_DSSE." % where)
    return errors


def encryption_to_aws(encryption: dict) -> dict:
    out = {"encryptionType": encryption["encryption_type"]}
    if encryption.get("kms_key"):
        out["kmsKey"] = encryption["kms_key"]
    return out


def normalize_encryption(config: Optional[dict]) -> dict:
    """AWS's encryptionConfiguration as ``{encryption_type, kms_key}`` (AES256 when AWS gives none)."""
    config = config or {}
    return {"encryption_type": config.get("encryptionType") or "AES256", "kms_key": config.get("kmsKey")}


def _key_id(key: str) -> str:
    """The key id of a key ARN (``arn:aws:kms:<region>:<account>:key/<id>``), else ``key`` itself."""
    return key.split(":key/", 1)[1] if ":key/" in key else key


def encryption_difference(current: dict, desired: Optional[dict]) -> Optional[str]:
    """What differs between a repository's encryption and ``desired`` (the option), ``None`` when
    nothing does or nothing is asked.

    The key is compared as given: a key ARN or id matches the key ARN AWS reports; an alias
    cannot be told from a key without asking KMS, so with an alias only the type is compared.
    """
    if not desired:
        return None
    want_type, want_key = desired["encryption_type"], desired.get("kms_key")
    if current["encryption_type"] != want_type:
        return "encryption_type is %s, not %s" % (current["encryption_type"], want_type)
    if want_key and not want_key.startswith("alias/") and ":alias/" not in want_key:
        have = current.get("kms_key") or ""
        if _key_id(have) != _key_id(want_key):
            return "kms_key is %s, not %s" % (have or "the AWS managed key", want_key)
    return None


def normalize_repository(repo: dict) -> dict:
    """A repository as the module returns it (snake_case)."""
    return {
        "name": repo["repositoryName"],
        "arn": repo.get("repositoryArn"),
        "uri": repo.get("repositoryUri"),
        "registry_id": repo.get("registryId"),
        "scan_on_push": bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush", False)),
        "image_tag_mutability": repo.get("imageTagMutability") or "MUTABLE",
        "encryption_configuration": normalize_encryption(repo.get("encryptionConfiguration")),
    }
