#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: efs_file_system
short_description: Create, update and delete one EFS file system, found by its Name tag
version_added: 0.1.0
description:
  - Manages one Amazon EFS file system (encryption, performance and throughput modes, lifecycle
    policies, automatic backups and tags).
  - Fills the gaps of M(community.aws.efs), which reads tags with the legacy C(DescribeTags) API
    (so it fails where that API is missing, for example on moto), creates file systems without
    tags, has no check mode, and can't delete a file system that still has mount targets.
  - The file system is identified by its C(Name) tag; when no file system carries that Name tag,
    one whose creation token is O(name) and that has no Name tag is adopted (and tagged).
    New file systems get O(name) as creation token and Name tag.
  - Tags are read from C(DescribeFileSystems) and changed with C(TagResource)/C(UntagResource) by
    file system ID. C(UpdateFileSystem) and C(PutBackupPolicy) are called only when O(throughput_mode),
    O(provisioned_throughput_in_mibps) or O(backup) ask for a change of an existing file system, so
    endpoints that lack those APIs (moto) still work for everything else.
  - Mount targets are managed by M(apranova.aws_stack.efs_mount_target), access points by
    M(apranova.aws_stack.efs_access_point).
author:
  - Apranova platform team (!UNKNOWN)
options:
  name:
    description:
      - Name of the file system, its C(Name) tag.
      - Also the creation token of a file system this module creates.
    type: str
    required: true
  state:
    description:
      - Whether the file system should exist.
    type: str
    choices: [present, absent]
    default: present
  encrypted:
    description:
      - Whether the data is encrypted at rest.
      - Can't be changed after creation; a different value for an existing file system is an error.
    type: bool
    default: true
  kms_key_id:
    description:
      - ID or ARN of the KMS key that encrypts the file system. Needs O(encrypted=true).
      - Unset means the AWS-managed key C(aws/elasticfilesystem).
      - Can't be changed after creation; a different key ID or ARN for an existing file system is an
        error. An alias can't be compared with the key ARN AWS reports, so it is only used on creation.
    type: str
  performance_mode:
    description:
      - Performance mode. Can't be changed after creation; a different value is an error.
    type: str
    choices: [generalPurpose, maxIO]
    default: generalPurpose
  throughput_mode:
    description:
      - Throughput mode. Unset leaves it alone (new file systems get C(bursting)).
      - Changing it on an existing file system calls C(UpdateFileSystem).
    type: str
    choices: [bursting, provisioned, elastic]
  provisioned_throughput_in_mibps:
    description:
      - Provisioned throughput in MiB/s. Required with O(throughput_mode=provisioned); only valid when
        the file system is (or becomes) C(provisioned).
    type: float
  lifecycle_policies:
    description:
      - Lifecycle management of the file system. Unset leaves the policies alone.
      - When set, the policies become exactly these; a key left out (or null) removes that policy,
        so O(lifecycle_policies={}) removes them all.
    type: dict
    suboptions:
      transition_to_ia:
        description: When files move to the Infrequent Access storage class.
        type: str
        choices: [AFTER_1_DAY, AFTER_7_DAYS, AFTER_14_DAYS, AFTER_30_DAYS, AFTER_60_DAYS, AFTER_90_DAYS,
                  AFTER_180_DAYS, AFTER_270_DAYS, AFTER_365_DAYS]
      transition_to_archive:
        description: When files move to the Archive storage class (needs elastic throughput on AWS).
        type: str
        choices: [AFTER_1_DAY, AFTER_7_DAYS, AFTER_14_DAYS, AFTER_30_DAYS, AFTER_60_DAYS, AFTER_90_DAYS,
                  AFTER_180_DAYS, AFTER_270_DAYS, AFTER_365_DAYS]
      transition_to_primary_storage_class:
        description: When files move back to the Standard storage class.
        type: str
        choices: [AFTER_1_ACCESS]
  backup:
    description:
      - Whether automatic backups (AWS Backup) are on.
      - Unset leaves the backup policy alone and costs no API call. On creation it is passed to
        C(CreateFileSystem); on an existing file system a change calls C(PutBackupPolicy).
    type: bool
  force:
    description:
      - With O(state=absent), delete the file system's access points and mount targets first.
      - Without it, deleting a file system that still has mount targets fails and names them.
    type: bool
    default: false
  wait:
    description:
      - Wait until the file system is C(available) after a creation or throughput change, or until it
        is gone after a deletion.
      - Mount targets deleted by O(force=true), or by an earlier task and still C(deleting), are
        always waited for, since AWS refuses to delete the file system (C(FileSystemInUse)) before
        they are gone; that answer is also tried again for up to O(wait_timeout) seconds. Each of these
        waits is a line of C(waited). Lifecycle policies of a new file system are set once it is available.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - The C(Name) tag always equals O(name); O(tags) may repeat it but not contradict it.
  - The creation token is O(name), sent with every attempt of C(CreateFileSystem), so a retried call
    whose first reply was lost gets C(FileSystemAlreadyExists), and the file system it made is
    adopted rather than a second one created.
  - Support for check mode and diff mode (the C(diff) leaves C(size_in_bytes) out).
"""

EXAMPLES = r"""
- name: Create the shared workspace file system
  apranova.aws_stack.efs_file_system:
    name: production-workspaces
    encrypted: true
    throughput_mode: elastic
    lifecycle_policies:
      transition_to_ia: AFTER_30_DAYS
      transition_to_primary_storage_class: AFTER_1_ACCESS
    tags:
      Environment: production
  register: efs

- name: Turn automatic backups on
  apranova.aws_stack.efs_file_system:
    name: production-workspaces
    backup: true

- name: Delete it with its mount targets and access points
  apranova.aws_stack.efs_file_system:
    name: production-workspaces
    state: absent
    force: true
"""

RETURN = r"""
file_system:
  description: The file system as it is after the task (as it would be, in check mode); empty when O(state=absent).
  returned: always
  type: dict
  contains:
    file_system_id:
      description: ID of the file system (null for one check mode would create).
      type: str
      returned: when state=present
      sample: fs-0123456789abcdef0
    arn:
      description: ARN of the file system.
      type: str
      returned: when state=present
      sample: arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0
    name:
      description: The Name tag.
      type: str
      returned: when state=present
      sample: production-workspaces
    creation_token:
      description: The creation token.
      type: str
      returned: when state=present
      sample: production-workspaces
    life_cycle_state:
      description: State of the file system.
      type: str
      returned: when state=present
      sample: available
    encrypted:
      description: Whether the data is encrypted at rest.
      type: bool
      returned: when state=present
      sample: true
    kms_key_id:
      description: ARN of the KMS key, when AWS reports one.
      type: str
      returned: when state=present
      sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    performance_mode:
      description: Performance mode.
      type: str
      returned: when state=present
      sample: generalPurpose
    throughput_mode:
      description: Throughput mode.
      type: str
      returned: when state=present
      sample: elastic
    provisioned_throughput_in_mibps:
      description: Provisioned throughput in MiB/s; null unless the throughput mode is C(provisioned).
      type: float
      returned: when state=present
      sample: null
    number_of_mount_targets:
      description: How many mount targets the file system has.
      type: int
      returned: when state=present
      sample: 2
    size_in_bytes:
      description: Metered size of the data, in bytes (the C(SizeInBytes.Value) of AWS).
      type: int
      returned: when state=present
      sample: 6144
    lifecycle_policies:
      description: The lifecycle policies; null where a policy is unset.
      type: dict
      returned: when state=present
      sample: {"transition_to_ia": "AFTER_30_DAYS", "transition_to_archive": null,
               "transition_to_primary_storage_class": "AFTER_1_ACCESS"}
    tags:
      description: Tags of the file system, C(aws:) tags left out.
      type: dict
      returned: when state=present
      sample: {"Name": "production-workspaces", "Environment": "production"}
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

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import efs
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes

LIFECYCLE_RULES = [
    "AFTER_1_DAY",
    "AFTER_7_DAYS",
    "AFTER_14_DAYS",
    "AFTER_30_DAYS",
    "AFTER_60_DAYS",
    "AFTER_90_DAYS",
    "AFTER_180_DAYS",
    "AFTER_270_DAYS",
    "AFTER_365_DAYS",
]


def validate(params: Dict[str, Any]) -> List[str]:
    """Checks the argument spec can't express; returns error messages."""
    errors = []
    if params.get("kms_key_id") and not params.get("encrypted"):
        errors.append("kms_key_id needs encrypted: true; drop kms_key_id or set encrypted: true.")
    mode = params.get("throughput_mode")
    if params.get("provisioned_throughput_in_mibps") is not None:
        if mode in ("bursting", "elastic"):
            errors.append(
                f"provisioned_throughput_in_mibps only applies to throughput_mode: provisioned, not {mode}; "
                "drop it or set throughput_mode: provisioned."
            )
        elif params["provisioned_throughput_in_mibps"] < 1:
            errors.append("provisioned_throughput_in_mibps must be at least 1.")
    conflict = efs.name_tag_conflict(params, "file system")
    if conflict:
        errors.append(conflict)
    return errors


def find_file_system(client: Any, name: str) -> Tuple[Optional[dict], List[dict]]:
    """``(file_system or None, all file systems)``; several with the same name is an error."""
    every = efs.describe_file_systems(client)
    found = efs.single_named(efs.find_by_name(every, name), name, "FileSystemId", "file system", fix="delete or rename")
    return found, every


def planned_new(params: Dict[str, Any]) -> dict:
    tags = dict(params.get("tags") or {}, Name=params["name"])
    mode = params.get("throughput_mode") or "bursting"
    return {
        "file_system_id": None,
        "arn": None,
        "name": params["name"],
        "creation_token": params["name"],
        "life_cycle_state": "creating",
        "encrypted": bool(params["encrypted"]),
        "kms_key_id": params.get("kms_key_id"),
        "performance_mode": params["performance_mode"],
        "throughput_mode": mode,
        "provisioned_throughput_in_mibps": float(params["provisioned_throughput_in_mibps"])
        if mode == "provisioned" and params.get("provisioned_throughput_in_mibps") is not None
        else None,
        "number_of_mount_targets": 0,
        "size_in_bytes": 0,
        "lifecycle_policies": efs.normalize_lifecycle_policies(
            efs.lifecycle_policies_to_api(params.get("lifecycle_policies"))
        ),
        "tags": {k: str(v) for k, v in tags.items()},
    }


def read_back(client: Any, file_system_id: str) -> dict:
    fs = efs.get_file_system(client, file_system_id)
    if fs is None:
        return {}
    return efs.normalize_file_system(fs, efs.describe_lifecycle_configuration(client, file_system_id))


def create(client: Any, params: Dict[str, Any], every: List[dict], check_mode: bool) -> dict:
    """Create the file system (in check mode, only plan it); returns it, normalised."""
    name = params["name"]
    clash = [fs for fs in every if fs.get("CreationToken") == name and fs.get("LifeCycleState") not in efs.GONE_STATES]
    if clash:
        raise efs.AnsibleEFSError(
            message=f"File system {clash[0]['FileSystemId']} already uses the creation token {name} but is named "
            f"{efs.normalize_file_system(clash[0])['name']}; rename one of them (creation tokens are unique)."
        )
    after = planned_new(params)
    if check_mode:
        return after

    kwargs = {
        "PerformanceMode": params["performance_mode"],
        "Encrypted": bool(params["encrypted"]),
        "Tags": dict_to_tags(after["tags"]),
    }
    if params.get("kms_key_id"):
        kwargs["KmsKeyId"] = params["kms_key_id"]
    if params.get("throughput_mode"):
        kwargs["ThroughputMode"] = params["throughput_mode"]
    if after["provisioned_throughput_in_mibps"] is not None:
        kwargs["ProvisionedThroughputInMibps"] = after["provisioned_throughput_in_mibps"]
    if params.get("backup") is not None:
        kwargs["Backup"] = bool(params["backup"])
    created = efs.create_file_system(client, name, **kwargs)
    fs_id = created["FileSystemId"]

    policies = efs.lifecycle_policies_to_api(params.get("lifecycle_policies"))
    if params["wait"] or policies:
        efs.wait_file_system_available(client, fs_id, params["wait_timeout"])
    if policies:
        efs.put_lifecycle_configuration(client, fs_id, policies)
    return read_back(client, fs_id) or efs.normalize_file_system(created)


def _for_diff(fs: Optional[dict]) -> Optional[dict]:
    if not fs:
        return None
    return {k: v for k, v in fs.items() if k != "size_in_bytes"}


def outcome(changed: bool, before: Optional[dict], after: Optional[dict]) -> base.Outcome:
    """The module's result: ``file_system`` (``{}`` when none); the diff leaves ``size_in_bytes`` out."""
    return base.Outcome(changed, {"file_system": after or {}}, before=_for_diff(before), after=_for_diff(after))


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    fs, every = find_file_system(client, params["name"])
    if fs is not None and fs.get("LifeCycleState") == "deleting":
        # Being deleted: gone for our purposes; its creation token frees up once it is.
        if not ctx.check_mode:
            efs.wait_file_system_deleted(client, fs["FileSystemId"], params["wait_timeout"])
        every = [f for f in every if f["FileSystemId"] != fs["FileSystemId"]]
        fs = None
    if fs is None:
        return outcome(True, None, create(client, params, every, ctx.check_mode))

    fs_id = fs["FileSystemId"]
    current = efs.normalize_file_system(fs, efs.describe_lifecycle_configuration(client, fs_id))
    backup_now = efs.backup_enabled(client, fs_id) if params.get("backup") is not None else None
    errors, updates = efs.file_system_changes(current, params, backup_now)
    if errors:
        raise efs.AnsibleEFSError(message=" ".join(errors))
    want_tags, purge = efs.desired_tags(params, current["tags"])
    to_set, to_remove = tag_changes(current["tags"], want_tags, purge)
    after = efs.apply_file_system_updates(current, updates, merged_tags(current["tags"], want_tags, purge))
    changed = bool(updates or to_set or to_remove)
    if not changed or ctx.check_mode:
        return outcome(changed, current, after)

    efs.update_tags(client, fs_id, to_set, to_remove)
    if "throughput" in updates:
        efs.update_file_system(client, fs_id, **updates["throughput"])
    if "lifecycle_policies" in updates:
        efs.put_lifecycle_configuration(client, fs_id, efs.lifecycle_policies_to_api(updates["lifecycle_policies"]))
    if "backup" in updates:
        efs.put_backup_policy(client, fs_id, updates["backup"])
    if "throughput" in updates and params["wait"]:
        efs.wait_file_system_available(client, fs_id, params["wait_timeout"])
    return outcome(True, current, read_back(client, fs_id) or after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    fs, _every = find_file_system(client, params["name"])
    if fs is None:
        return outcome(False, None, {})
    fs_id = fs["FileSystemId"]
    if fs.get("LifeCycleState") == "deleting":
        if params["wait"] and not ctx.check_mode:
            efs.wait_file_system_deleted(client, fs_id, params["wait_timeout"])
        return outcome(False, None, {})

    before = efs.normalize_file_system(fs, efs.describe_lifecycle_configuration(client, fs_id))
    mount_targets = efs.list_mount_targets(client, fs_id)
    # Mount targets deleted a moment ago (by another task, with wait: false) still hold the file
    # system until they are gone: AWS answers FileSystemInUse meanwhile.
    deleting = [m["MountTargetId"] for m in efs.describe_mount_targets(client, fs_id) or []
                if m.get("LifeCycleState") == "deleting"]
    if mount_targets and not params["force"]:
        where = ", ".join(f"{m['mount_target_id']} in {m['subnet_id']}" for m in mount_targets)
        raise efs.AnsibleEFSError(
            message=f"File system {params['name']} ({fs_id}) still has {len(mount_targets)} mount target(s): {where}. "
            "Delete them first (apranova.aws_stack.efs_mount_target with state: absent) or set force: true."
        )
    if ctx.check_mode:
        return outcome(True, before, {})

    if params["force"]:
        for ap in efs.describe_access_points(client, fs_id) or []:
            efs.delete_access_point(client, ap["AccessPointId"])
        for mt in mount_targets:
            efs.delete_mount_target(client, mt["mount_target_id"])
        deleting += [m["mount_target_id"] for m in mount_targets]
    if deleting:
        ctx.note(f"file system {fs_id}: waiting for mount targets {', '.join(deleting)} to be deleted")
        efs.wait_mount_targets(client, fs_id, deleted=deleting, timeout=params["wait_timeout"])
    efs.delete_file_system(client, fs_id, timeout=params["wait_timeout"], note=ctx.note)
    if params["wait"]:
        efs.wait_file_system_deleted(client, fs_id, params["wait_timeout"])
    return outcome(True, before, {})


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        encrypted=dict(type="bool", default=True),
        kms_key_id=dict(type="str"),
        performance_mode=dict(type="str", default="generalPurpose", choices=["generalPurpose", "maxIO"]),
        throughput_mode=dict(type="str", choices=["bursting", "provisioned", "elastic"]),
        provisioned_throughput_in_mibps=dict(type="float"),
        lifecycle_policies=dict(
            type="dict",
            options=dict(
                transition_to_ia=dict(type="str", choices=LIFECYCLE_RULES),
                transition_to_archive=dict(type="str", choices=LIFECYCLE_RULES),
                transition_to_primary_storage_class=dict(type="str", choices=["AFTER_1_ACCESS"]),
            ),
        ),
        backup=dict(type="bool"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        force=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("throughput_mode", "provisioned", ["provisioned_throughput_in_mibps"])],
    )
    if module.params["state"] == "present":
        errors = validate(module.params)
        if errors:
            module.fail_json(msg=" ".join(errors))

    client = mark_waits(aws_client(module, "efs", efs.RETRY_CODES))
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
