#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecr_repositories
short_description: Reconcile a list of ECR repositories in one task
version_added: 0.1.0
description:
  - Creates, updates and deletes a list of Amazon ECR repositories in one call - their image
    scanning on push, image tag mutability, lifecycle policy, encryption (at creation) and tags.
  - Fills these gaps of M(community.aws.ecs_ecr) - it takes one task per repository and makes about
    five sequential calls for each on a rerun that changes nothing (three C(DescribeRepositories), a
    C(GetLifecyclePolicy), a C(GetRepositoryPolicy)); in check mode it fails with "could not find
    repository" on a repository it would create; it has no tags.
  - Reads the listed repositories with one C(DescribeRepositories) (up to 100 names a call). AWS
    fails that call as a whole when one of the names does not exist; then each name is described on
    its own, side by side. Then it reads the lifecycle policy of each existing repository for which
    O(repositories[].lifecycle_policy) is set, and its tags when O(tags) is set, all side by side.
    A rerun for two repositories that changes nothing makes three calls, two of them at once.
  - An option left unset leaves that attribute of an existing repository alone, and a new
    repository gets AWS's default for it (no scanning on push, V(MUTABLE) tags, V(AES256) encryption,
    no lifecycle policy).
  - The encryption of a repository can only be chosen when it is created; a difference on an existing
    repository fails the task, before any change, naming the repository.
  - All input is validated before any API call, and every problem is reported at once.
author:
  - Apranova platform team (!UNKNOWN)
options:
  repositories:
    description:
      - The repositories. With O(state=present) each is created or updated to match; with
        O(state=absent) the repositories with these names are deleted (only O(repositories[].name)
        is used).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the repository, unique in the list, for example V(apranova/backend) (lower-case
            letters, digits, C(.), C(_), C(-), namespaces separated by C(/); 2 to 256 characters).
        type: str
        required: true
      scan_on_push:
        description:
          - Whether each image pushed is scanned for vulnerabilities (basic scanning).
          - Unset leaves the setting of an existing repository alone (off for a new one).
        type: bool
      image_tag_mutability:
        description:
          - V(MUTABLE) lets a push overwrite an existing tag, V(IMMUTABLE) refuses it. Case-insensitive
            (V(immutable) is accepted).
          - Unset leaves the setting of an existing repository alone (V(MUTABLE) for a new one).
        type: str
      lifecycle_policy:
        description:
          - The lifecycle policy, as a dict or a JSON string (a document with a C(rules) list, see
            U(https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html)).
          - Compared with the current policy as parsed JSON, its rules in C(rulePriority) order, so
            formatting and key order never cause a change.
          - Unset leaves the repository's policy alone (none for a new repository).
        type: json
      encryption_configuration:
        description:
          - How the images are encrypted at rest. AWS sets it when the repository is created and
            cannot change it; on an existing repository a difference fails the task before any change.
          - Unset means V(AES256) for a new repository, and no check of an existing one.
        type: dict
        suboptions:
          encryption_type:
            description:
              - V(AES256) (keys managed by Amazon S3), V(KMS) or V(KMS_DSSE) (a KMS key, dual-layer for V(KMS_DSSE)).
            type: str
            required: true
            choices: [AES256, KMS, KMS_DSSE]
          kms_key:
            description:
              - With V(KMS) or V(KMS_DSSE), the KMS key - its ARN, id or alias; unset means the AWS managed
                key C(aws/ecr).
              - A key ARN or id is compared with the key of an existing repository; an alias cannot be
                told from a key without asking KMS, so with an alias only O(repositories[].encryption_configuration.encryption_type)
                is compared.
            type: str
  state:
    description: Whether the listed repositories should exist.
    type: str
    choices: [present, absent]
    default: present
  force_delete:
    description:
      - With O(state=absent), delete repositories that still hold images, with their images.
      - Without it, a listed repository that holds images fails the task before any repository is
        deleted (one C(ListImages) per repository tells).
    type: bool
    default: false
notes:
  - O(tags) apply to every listed repository and cost one C(ListTagsForResource) per existing
    repository; unset, the tags are neither read nor changed.
  - In check mode nothing is changed; the RV(repositories[].arn), RV(repositories[].uri) and
    RV(repositories[].registry_id) of a repository that would be created are null.
  - The repository policy (who may pull and push from other accounts) is not managed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the service repositories with scanning and a lifecycle policy
  apranova.aws_stack.ecr_repositories:
    repositories:
      - name: apranova/backend
        scan_on_push: true
        image_tag_mutability: immutable
        lifecycle_policy:
          rules:
            - rulePriority: 1
              description: Expire untagged images
              selection: {tagStatus: untagged, countType: sinceImagePushed, countUnit: days, countNumber: 7}
              action: {type: expire}
      - name: apranova/frontend
        scan_on_push: true
        encryption_configuration:
          encryption_type: KMS
          kms_key: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    tags:
      Project: apranova

- name: Delete two repositories and their images
  apranova.aws_stack.ecr_repositories:
    state: absent
    force_delete: true
    repositories:
      - name: apranova/backend
      - name: apranova/frontend
"""

RETURN = r"""
repositories:
  description:
    - The listed repositories in input order, as they are after the run (as they would be, in check mode).
    - Empty when O(state=absent).
    - With C(--diff), the sides of C(diff) hold the repositories that changed in this shape, keyed by
      name (a deleted repository only before the run).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Repository name.
      returned: always
      type: str
      sample: apranova/backend
    arn:
      description: Repository ARN; null for a repository that check mode would create.
      returned: always
      type: str
      sample: arn:aws:ecr:us-east-1:123456789012:repository/apranova/backend
    uri:
      description: Repository URI (what C(docker push) names); null for a repository that check mode would create.
      returned: always
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/apranova/backend
    registry_id:
      description: Account id of the registry; null for a repository that check mode would create.
      returned: always
      type: str
      sample: "123456789012"
    scan_on_push:
      description: Whether pushed images are scanned.
      returned: always
      type: bool
      sample: true
    image_tag_mutability:
      description: C(MUTABLE) or C(IMMUTABLE) (or another value AWS reports, such as C(IMMUTABLE_WITH_EXCLUSION)).
      returned: always
      type: str
      sample: MUTABLE
    encryption_configuration:
      description: Encryption at rest.
      returned: always
      type: dict
      contains:
        encryption_type:
          description: C(AES256), C(KMS) or C(KMS_DSSE).
          returned: always
          type: str
          sample: AES256
        kms_key:
          description: The KMS key, null with C(AES256) (and with the AWS managed key in check mode).
          returned: always
          type: str
          sample: null
    lifecycle_policy:
      description: The lifecycle policy, parsed.
      returned: when O(repositories[].lifecycle_policy) is set
      type: dict
      sample: {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
               "countUnit": "days", "countNumber": 7}, "action": {"type": "expire"}}]}
    tags:
      description: Tags of the repository.
      returned: when O(tags) is set
      type: dict
      sample: {"Project": "apranova"}
deleted_repositories:
  description: Names of the repositories deleted (that would be deleted, in check mode), in input order.
  returned: always
  type: list
  elements: str
  sample: ["apranova/old"]
waited:
  description:
    - The waits AWS imposed that this call rode out, one line each (a resource just created not
      visible yet, a dependency still being released, a refusal that passes with time).
    - Empty when AWS imposed none. Shown with C(-v).
  returned: always
  type: list
  elements: str
  sample: ["delete subnet subnet-0123456789abcdef0: AWS answered DependencyViolation; trying again in 2 s"]
diff:
  description: The managed resources before and after, with C(--diff) (in check mode, the state the run would reach).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The state before the call (C({}) for nothing).
      type: raw
    after:
      description: The state after the call (C({}) for nothing).
      type: raw
"""

from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ecr
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes


def desired_settings(spec: Dict[str, Any]) -> Dict[str, Any]:
    """One entry of ``repositories`` in the form compared with AWS (``None``: leave alone)."""
    mutability = spec.get("image_tag_mutability")
    return {
        "scan_on_push": spec.get("scan_on_push"),
        "image_tag_mutability": mutability.upper() if mutability is not None else None,
        "lifecycle_policy": ecr.normalize_lifecycle_policy(ecr.parse_lifecycle_policy(spec.get("lifecycle_policy"))),
        "encryption_configuration": spec.get("encryption_configuration"),
    }


def _public(repo: dict, lifecycle_policy: Any = None, managed_policy: bool = False, tags: Optional[dict] = None) -> dict:
    out = dict(repo)
    if managed_policy:
        out["lifecycle_policy"] = lifecycle_policy
    if tags is not None:
        out["tags"] = tags
    return out


def _new_repository(name: str, want: Dict[str, Any]) -> dict:
    """What check mode reports for a repository it would create (AWS's defaults for what is unset)."""
    encryption = want["encryption_configuration"]
    return {
        "name": name, "arn": None, "uri": None, "registry_id": None,
        "scan_on_push": bool(want["scan_on_push"]),
        "image_tag_mutability": want["image_tag_mutability"] or "MUTABLE",
        "encryption_configuration": ({"encryption_type": encryption["encryption_type"], "kms_key": encryption.get("kms_key")}
                                     if encryption else {"encryption_type": "AES256", "kms_key": None}),
    }


def _find_with_policies(client: Any, names: List[str], wants: Dict[str, Dict[str, Any]]) -> Tuple[Dict[str, dict], Dict[str, Any]]:
    """The repositories ``names`` (``ecr.find_repositories``) and, side by side with them, the
    lifecycle policy of each one that asks for one: GetLifecyclePolicy takes the repository's
    name, so it need not wait for DescribeRepositories (a repository that does not exist answers
    RepositoryNotFoundException, read as no policy, and is created with its policy anyway)."""
    asked = [name for name in names if wants[name]["lifecycle_policy"] is not None]
    calls = [lambda: ecr.find_repositories(client, names)] + [(lambda n=n: ecr.get_lifecycle_policy(client, n)) for n in asked]
    answers = base.concurrently(calls)
    return answers[0], dict(zip(asked, answers[1:]))


def _read_current(client: Any, found: Dict[str, dict], read_tags: bool, policies: Dict[str, Any]) -> Dict[str, dict]:
    """The lifecycle policy (from ``policies``) and the tags (when managed, read side by side) of
    every existing repository: ``{name: {"lifecycle_policy": ..., "tags": ...}}``."""
    names = list(found)
    tags = (base.concurrently([(lambda arn=found[n]["repositoryArn"]: ecr.list_tags(client, arn)) for n in names])
            if read_tags else [{} for name in names])
    return {name: {"lifecycle_policy": policies.get(name), "tags": t} for name, t in zip(names, tags)}


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create the listed repositories that do not exist, bring the others' set options to their value.

    ``repositories``: the listed repositories after the run; ``deleted_repositories``: ``[]``. The
    diff sides hold the repositories that changed, keyed by name.
    """
    specs, tags, purge_tags = params["repositories"], params["tags"], params["purge_tags"]
    names = [spec["name"] for spec in specs]
    wants = {spec["name"]: desired_settings(spec) for spec in specs}
    found, policies = _find_with_policies(client, names, wants)

    refused = []
    for name in names:
        if name in found:
            difference = ecr.encryption_difference(ecr.normalize_encryption(found[name].get("encryptionConfiguration")),
                                                   wants[name]["encryption_configuration"])
            if difference:
                refused.append("%s: %s" % (name, difference))
    if refused:
        raise ValueError("AWS sets the encryption of an ECR repository when it is created and cannot change it; "
                         "these differ from encryption_configuration: %s. Set encryption_configuration to what the "
                         "repository has, or delete and create the repository again (its images go with it)"
                         % "; ".join(refused))

    current = _read_current(client, found, tags is not None, policies)
    results, before, after = [], {}, {}
    for name in names:
        want = wants[name]
        managed_policy = want["lifecycle_policy"] is not None
        if name not in found:
            new_tags = merged_tags({}, tags, purge_tags) if tags is not None else None
            if ctx.check_mode:
                repo = _new_repository(name, want)
            else:
                repo = ecr.normalize_repository(ecr.create_repository(
                    client, name, want["scan_on_push"], want["image_tag_mutability"], want["encryption_configuration"], new_tags))
                if managed_policy:
                    ecr.put_lifecycle_policy(client, name, want["lifecycle_policy"])
            after[name] = _public(repo, want["lifecycle_policy"], managed_policy, new_tags)
            results.append(after[name])
            continue

        was = ecr.normalize_repository(found[name])
        old = current[name]
        now = dict(was)
        actions: List[Callable[[], Any]] = []
        if want["scan_on_push"] is not None and want["scan_on_push"] != was["scan_on_push"]:
            now["scan_on_push"] = want["scan_on_push"]
            actions.append(lambda name=name, value=want["scan_on_push"]: ecr.put_scan_on_push(client, name, value))
        if want["image_tag_mutability"] is not None and want["image_tag_mutability"] != was["image_tag_mutability"]:
            now["image_tag_mutability"] = want["image_tag_mutability"]
            actions.append(lambda name=name, value=want["image_tag_mutability"]: ecr.put_image_tag_mutability(client, name, value))
        old_policy = ecr.normalize_lifecycle_policy(old["lifecycle_policy"])
        new_policy = old_policy
        if managed_policy and want["lifecycle_policy"] != old_policy:
            new_policy = want["lifecycle_policy"]
            actions.append(lambda name=name, policy=new_policy: ecr.put_lifecycle_policy(client, name, policy))
        old_tags = new_tags = None
        if tags is not None:
            old_tags = old["tags"]
            to_set, to_remove = tag_changes(old_tags, tags, purge_tags)
            new_tags = merged_tags(old_tags, tags, purge_tags)
            arn = was["arn"]
            if to_remove:
                actions.append(lambda arn=arn, keys=to_remove: ecr.untag_repository(client, arn, keys))
            if to_set:
                actions.append(lambda arn=arn, values=to_set: ecr.tag_repository(client, arn, values))
        result = _public(now, new_policy, managed_policy, new_tags)
        results.append(result)
        if actions:
            before[name] = _public(was, old_policy, managed_policy, old_tags)
            after[name] = result
            if not ctx.check_mode:
                for action in actions:
                    action()

    changed = bool(after)
    return base.Outcome(changed, {"repositories": results, "deleted_repositories": []}, before=before, after=after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete the listed repositories (``repositories``: ``[]``); those with images only with ``force_delete``."""
    names = [spec["name"] for spec in params["repositories"]]
    found = ecr.find_repositories(client, names)
    to_delete = [name for name in names if name in found]
    if to_delete and not params["force_delete"]:
        holding = [name for name, full in zip(to_delete, base.concurrently(
            [(lambda name=name: ecr.has_images(client, name)) for name in to_delete])) if full]
        if holding:
            raise ecr.RepositoryNotEmpty(ecr.not_empty_message(holding) + " (nothing was deleted)")
    if not ctx.check_mode:
        for name in to_delete:
            ecr.delete_repository(client, name, params["force_delete"])
    before = {name: ecr.normalize_repository(found[name]) for name in to_delete}
    return base.Outcome(bool(to_delete), {"repositories": [], "deleted_repositories": to_delete}, before=before, after={})


def main() -> None:
    repository_spec = dict(
        name=dict(type="str", required=True),
        scan_on_push=dict(type="bool"),
        image_tag_mutability=dict(type="str"),
        lifecycle_policy=dict(type="json"),
        encryption_configuration=dict(type="dict", options=dict(
            encryption_type=dict(type="str", required=True, choices=list(ecr.ENCRYPTION_TYPES)),
            kms_key=dict(type="str", no_log=False),  # a key id or ARN, not a secret
        )),
    )
    argument_spec = dict(
        repositories=dict(type="list", elements="dict", required=True, options=repository_spec),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        force_delete=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    errors = ecr.validate_repositories(module.params["repositories"], module.params["state"])
    if errors:
        module.fail_json(msg="Invalid repositories: " + " ".join(errors), errors=errors)

    client = aws_client(module, "ecr")
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
