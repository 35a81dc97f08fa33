# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EFS API layer of apranova.aws_stack.

Every EFS call of the ``efs_*`` modules goes through here: each one with ``aws_retry=True``
(the client is made with ``base.aws_client(module, "efs", RETRY_CODES)``), "not found" turned into ``None`` / ``[]`` /
``False``, and other AWS errors raised as :class:`AnsibleEFSError`. The normalisers turn AWS
shapes into the snake_case dicts the modules compare and return; the planners are pure
functions, so the comparison logic can be tested offline.

Only calls that moto 5.2.5 implements are made unless the user asks for a change that needs
another one: tags go through ``TagResource`` / ``UntagResource`` with the resource *ID*
(moto answers 404 for ARNs and for the legacy ``DescribeTags``), and ``UpdateFileSystem`` /
``PutBackupPolicy`` (not in moto) are only called when throughput or backup settings change.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import concurrently
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Note
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_while
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import wait_for

# Error codes worth another try for EFS clients: a file system or mount target that is still
# being created (or deleted) refuses changes for a moment.
RETRY_CODES = ["IncorrectFileSystemLifeCycleState", "IncorrectMountTargetState"]

LIFECYCLE_KEYS = (
    # (option key, API key)
    ("transition_to_ia", "TransitionToIA"),
    ("transition_to_archive", "TransitionToArchive"),
    ("transition_to_primary_storage_class", "TransitionToPrimaryStorageClass"),
)

GONE_STATES = ("deleting", "deleted")

# DeleteFileSystem answers FileSystemInUse while the file system has mount targets, those being
# deleted included (DeleteMountTarget returns while the target is still "deleting"; EFS API
# reference). The module waits for them first; the code is still ridden out, bounded, in case the
# describe lags behind.
FILE_SYSTEM_IN_USE_CODES = ["FileSystemInUse"]


class AnsibleEFSError(AnsibleAWSError):
    pass


EFSFileSystemErrorHandler = error_handler(AnsibleEFSError, "FileSystemNotFound")


EFSMountTargetErrorHandler = error_handler(AnsibleEFSError, ["MountTargetNotFound", "FileSystemNotFound"])


EFSAccessPointErrorHandler = error_handler(AnsibleEFSError, ["AccessPointNotFound", "FileSystemNotFound"])


EFSPolicyErrorHandler = error_handler(AnsibleEFSError, ["PolicyNotFound", "FileSystemNotFound"])


# ---------------------------------------------------------------------------------------------
# File systems
# ---------------------------------------------------------------------------------------------


@EFSFileSystemErrorHandler.list_error_handler("describe file systems", [])
def describe_file_systems(client: Any, file_system_id: Optional[str] = None, creation_token: Optional[str] = None) -> List[dict]:
    """All file systems (or the one with that id / creation token), every page."""
    params = {}
    if file_system_id:
        params["FileSystemId"] = file_system_id
    if creation_token:
        params["CreationToken"] = creation_token
    return paginate(client, "describe_file_systems", **params).get("FileSystems", [])


def get_file_system(client: Any, file_system_id: str) -> Optional[dict]:
    """The raw description of one file system, or ``None`` when it does not exist (any more)."""
    found = describe_file_systems(client, file_system_id=file_system_id)
    for fs in found or []:
        if fs.get("FileSystemId") == file_system_id and fs.get("LifeCycleState") != "deleted":
            return fs
    return None


def require_file_system(client: Any, file_system_id: str) -> dict:
    """The raw description of a file system that must exist (for its mount targets, access points)."""
    fs = get_file_system(client, file_system_id)
    if fs is None:
        raise AnsibleEFSError(
            message=f"File system {file_system_id} does not exist; create it first (apranova.aws_stack.efs_file_system)."
        )
    return fs


@EFSFileSystemErrorHandler.common_error_handler("create file system {creation_token}")
def create_file_system(client: Any, creation_token: str, **params: Any) -> dict:
    """CreateFileSystem with ``creation_token`` as its idempotency token.

    The token is the same for the call and all its retries (and every run), so a retried call
    whose first reply was lost creates nothing more: AWS answers ``FileSystemAlreadyExists`` for
    the file system the first attempt made, which is then described and returned (the caller has
    made sure beforehand that no other file system held the token).
    """
    try:
        return client.create_file_system(aws_retry=True, CreationToken=creation_token, **params)
    except is_boto3_error_code("FileSystemAlreadyExists"):
        existing = [fs for fs in describe_file_systems(client, creation_token=creation_token)
                    if fs.get("LifeCycleState") not in GONE_STATES]
        if not existing:
            raise
        return existing[0]


@EFSFileSystemErrorHandler.common_error_handler(
    "update file system {file_system_id} (throughput settings can only be changed through "
    "UpdateFileSystem, which some emulators such as moto do not implement)"
)
def update_file_system(client: Any, file_system_id: str, **params: Any) -> dict:
    return client.update_file_system(aws_retry=True, FileSystemId=file_system_id, **params)


@EFSFileSystemErrorHandler.deletion_error_handler("delete file system {file_system_id}")
def delete_file_system(client: Any, file_system_id: str, timeout: float = 0, note: Optional[Note] = None) -> bool:
    """Delete a file system; ``FileSystemInUse`` (mount targets still being deleted) is tried
    again for ``timeout`` seconds (``base.retry_while``, each wait told to ``note``)."""
    retry_while(
        lambda: client.delete_file_system(aws_retry=True, FileSystemId=file_system_id),
        FILE_SYSTEM_IN_USE_CODES, timeout=timeout, note=note, what=f"delete file system {file_system_id}",
    )
    return True


@EFSFileSystemErrorHandler.list_error_handler("describe the lifecycle configuration of {file_system_id}", [])
def describe_lifecycle_configuration(client: Any, file_system_id: str) -> List[dict]:
    return client.describe_lifecycle_configuration(aws_retry=True, FileSystemId=file_system_id).get(
        "LifecyclePolicies", []
    )


@EFSFileSystemErrorHandler.common_error_handler("put the lifecycle configuration of {file_system_id}")
def put_lifecycle_configuration(client: Any, file_system_id: str, policies: List[dict]) -> dict:
    return client.put_lifecycle_configuration(aws_retry=True, FileSystemId=file_system_id, LifecyclePolicies=policies)


@EFSPolicyErrorHandler.list_error_handler("describe the backup policy of {file_system_id}")
def describe_backup_policy(client: Any, file_system_id: str) -> bool:
    """``True`` when automatic backups are on (or being turned on), else ``False``."""
    status = client.describe_backup_policy(aws_retry=True, FileSystemId=file_system_id)["BackupPolicy"]["Status"]
    return status in ("ENABLED", "ENABLING")


def backup_enabled(client: Any, file_system_id: str) -> bool:
    # PolicyNotFound means no backup policy: automatic backups are off.
    return bool(describe_backup_policy(client, file_system_id))


@EFSFileSystemErrorHandler.common_error_handler(
    "put the backup policy of {file_system_id} (some emulators such as moto do not implement PutBackupPolicy)"
)
def put_backup_policy(client: Any, file_system_id: str, enabled: bool) -> dict:
    status = "ENABLED" if enabled else "DISABLED"
    return client.put_backup_policy(aws_retry=True, FileSystemId=file_system_id, BackupPolicy={"Status": status})


# Tags: by resource ID (file system or access point); moto routes ARNs to a 404.
@EFSFileSystemErrorHandler.common_error_handler("tag {resource_id}")
def tag_resource(client: Any, resource_id: str, tags: Dict[str, str]) -> bool:
    if tags:
        client.tag_resource(aws_retry=True, ResourceId=resource_id, Tags=dict_to_tags(tags))
    return True


@EFSFileSystemErrorHandler.common_error_handler("untag {resource_id}")
def untag_resource(client: Any, resource_id: str, tag_keys: Iterable[str]) -> bool:
    if tag_keys:
        client.untag_resource(aws_retry=True, ResourceId=resource_id, TagKeys=list(tag_keys))
    return True


def update_tags(client: Any, resource_id: str, to_set: Dict[str, str], to_remove: List[str]) -> bool:
    """Apply a ``base.tag_changes`` result; returns whether anything was sent."""
    if to_remove:
        untag_resource(client, resource_id, to_remove)
    if to_set:
        tag_resource(client, resource_id, to_set)
    return bool(to_set or to_remove)


# ---------------------------------------------------------------------------------------------
# Mount targets
# ---------------------------------------------------------------------------------------------


@EFSMountTargetErrorHandler.list_error_handler("describe the mount targets of {file_system_id}", [])
def describe_mount_targets(client: Any, file_system_id: str) -> List[dict]:
    return paginate(client, "describe_mount_targets", FileSystemId=file_system_id).get("MountTargets", [])


@EFSMountTargetErrorHandler.list_error_handler("describe the security groups of mount target {mount_target_id}", [])
def describe_mount_target_security_groups(client: Any, mount_target_id: str) -> List[str]:
    return client.describe_mount_target_security_groups(aws_retry=True, MountTargetId=mount_target_id).get(
        "SecurityGroups", []
    )


def list_mount_targets(client: Any, file_system_id: str) -> List[dict]:
    """Normalised mount targets of a file system (security groups included), deleted ones left out."""
    live = [mt for mt in describe_mount_targets(client, file_system_id) or [] if mt.get("LifeCycleState") not in GONE_STATES]
    # one DescribeMountTargetSecurityGroups per mount target, side by side
    groups = concurrently([(lambda mt_id=mt["MountTargetId"]: describe_mount_target_security_groups(client, mt_id)) for mt in live])
    result = [normalize_mount_target(mt, g) for mt, g in zip(live, groups)]
    return sorted(result, key=lambda m: (m.get("availability_zone_name") or "", m["subnet_id"]))


@EFSMountTargetErrorHandler.common_error_handler("create a mount target of {file_system_id} in {subnet_id}")
def create_mount_target(client: Any, file_system_id: str, subnet_id: str, security_groups: Optional[Iterable[str]] = None,
                        ip_address: Optional[str] = None) -> dict:
    params = {"FileSystemId": file_system_id, "SubnetId": subnet_id}
    if security_groups:
        params["SecurityGroups"] = list(security_groups)
    if ip_address:
        params["IpAddress"] = ip_address
    return client.create_mount_target(aws_retry=True, **params)


@EFSMountTargetErrorHandler.common_error_handler("change the security groups of mount target {mount_target_id}")
def modify_mount_target_security_groups(client: Any, mount_target_id: str, security_groups: Iterable[str]) -> bool:
    client.modify_mount_target_security_groups(
        aws_retry=True, MountTargetId=mount_target_id, SecurityGroups=list(security_groups)
    )
    return True


@EFSMountTargetErrorHandler.deletion_error_handler("delete mount target {mount_target_id}")
def delete_mount_target(client: Any, mount_target_id: str) -> bool:
    client.delete_mount_target(aws_retry=True, MountTargetId=mount_target_id)
    return True


# ---------------------------------------------------------------------------------------------
# Access points
# ---------------------------------------------------------------------------------------------


@EFSAccessPointErrorHandler.list_error_handler("describe the access points of {file_system_id}", [])
def describe_access_points(client: Any, file_system_id: str) -> List[dict]:
    return paginate(client, "describe_access_points", FileSystemId=file_system_id).get("AccessPoints", [])


@EFSAccessPointErrorHandler.common_error_handler("create access point {name} on {file_system_id}")
def create_access_point(client: Any, file_system_id: str, name: str, posix_user: Optional[dict] = None,
                        root_directory: Optional[dict] = None, tags: Optional[Dict[str, str]] = None) -> dict:
    params = {"FileSystemId": file_system_id, "Tags": dict_to_tags(dict(tags or {}, Name=name))}
    if posix_user:
        params["PosixUser"] = posix_user
    if root_directory:
        params["RootDirectory"] = root_directory
    # One idempotency token for this create and all its retries: botocore would fill in a new one
    # on every attempt, so a retry of a call whose reply was lost would make a second access point.
    params["ClientToken"] = str(uuid.uuid4())
    return client.create_access_point(aws_retry=True, **params)


@EFSAccessPointErrorHandler.deletion_error_handler("delete access point {access_point_id}")
def delete_access_point(client: Any, access_point_id: str) -> bool:
    client.delete_access_point(aws_retry=True, AccessPointId=access_point_id)
    return True


# ---------------------------------------------------------------------------------------------
# Waits
# ---------------------------------------------------------------------------------------------


def wait_file_system_available(client: Any, file_system_id: str, timeout: float) -> dict:
    def check() -> Optional[dict]:
        fs = get_file_system(client, file_system_id)
        if fs is None:
            raise AnsibleEFSError(message=f"File system {file_system_id} disappeared while waiting for it to become available")
        if fs.get("LifeCycleState") == "error":
            raise AnsibleEFSError(message=f"File system {file_system_id} went into the 'error' state")
        return fs if fs.get("LifeCycleState") == "available" else None

    fs = wait_for(check, timeout=timeout)
    if fs is None:
        raise AnsibleEFSError(
            message=f"Timed out after {timeout}s waiting for file system {file_system_id} to become available; raise wait_timeout"
        )
    return fs


def wait_file_system_deleted(client: Any, file_system_id: str, timeout: float) -> bool:
    if not wait_for(lambda: get_file_system(client, file_system_id) is None, timeout=timeout):
        raise AnsibleEFSError(
            message=f"Timed out after {timeout}s waiting for file system {file_system_id} to be deleted; raise wait_timeout"
        )
    return True


def wait_mount_targets(client: Any, file_system_id: str, available: Iterable[str] = (), deleted: Iterable[str] = (),
                       timeout: float = 600) -> bool:
    """Wait, all together, until the ``available`` mount target ids are available and the
    ``deleted`` ones are gone. Returns ``True``; raises when the time is up."""
    available = set(available)
    deleted = set(deleted)

    def check() -> bool:
        current = {m["MountTargetId"]: m for m in describe_mount_targets(client, file_system_id) or []}
        for mt_id in available:
            state = (current.get(mt_id) or {}).get("LifeCycleState")
            if state == "error":
                raise AnsibleEFSError(message=f"Mount target {mt_id} of {file_system_id} went into the 'error' state")
            if state != "available":
                return False
        for mt_id in deleted:
            if mt_id in current and current[mt_id].get("LifeCycleState") != "deleted":
                return False
        return True

    if not (available or deleted):
        return True
    if not wait_for(check, timeout=timeout):
        raise AnsibleEFSError(
            message=f"Timed out after {timeout}s waiting for the mount targets of {file_system_id}; raise wait_timeout"
        )
    return True


# ---------------------------------------------------------------------------------------------
# Normalisers and comparison (pure functions)
# ---------------------------------------------------------------------------------------------


def name_tag_conflict(params: Dict[str, Any], kind: str) -> Optional[str]:
    """The error when ``tags.Name`` contradicts ``name`` (the Name tag of the ``kind``, such as
    "file system", is always its ``name``), else ``None``."""
    tags = params.get("tags") or {}
    if "Name" in tags and str(tags["Name"]) != params["name"]:
        return (
            f"tags.Name ({tags['Name']}) differs from name ({params['name']}); the Name tag is the {kind}'s "
            "name, so drop it from tags or make it equal."
        )
    return None


def desired_tags(params: Dict[str, Any], current_tags: Optional[Dict[str, str]]) -> Tuple[Dict[str, Any], bool]:
    """``(desired, purge)`` for ``base.tag_changes``: the Name tag is always ``name``; unset
    ``tags`` leave the other tags alone."""
    if params.get("tags") is None:
        return dict(current_tags or {}, Name=params["name"]), False
    return dict(params["tags"], Name=params["name"]), params["purge_tags"]


def single_named(matches: List[dict], name: str, id_key: str, kind: str, where: str = "", fix: str = "delete") -> Optional[dict]:
    """The one resource of ``matches`` (found by Name tag), ``None`` for none; several are an error
    that names their ``id_key`` values (``kind``: "file system"; ``where``: " of fs-..."; ``fix``:
    what the operator does to all but one)."""
    if len(matches) > 1:
        ids = ", ".join(m[id_key] for m in matches)
        raise AnsibleEFSError(
            message=f"{len(matches)} {kind}s{where} are named {name} ({ids}); {fix} all but one, "
            f"since this module finds {kind}s by their Name tag."
        )
    return matches[0] if matches else None


def normalize_lifecycle_policies(policies: Optional[List[dict]]) -> Dict[str, Optional[str]]:
    """API list of one-key dicts -> ``{transition_to_ia, transition_to_archive,
    transition_to_primary_storage_class}`` (``None`` where unset)."""
    result = {key: None for key, _api in LIFECYCLE_KEYS}
    for policy in policies or []:
        for key, api in LIFECYCLE_KEYS:
            if policy.get(api):
                result[key] = policy[api]
    return result


def lifecycle_policies_to_api(policies: Optional[Dict[str, Optional[str]]]) -> List[dict]:
    """The option dict -> the API list, in a stable order, unset keys left out."""
    return [{api: policies[key]} for key, api in LIFECYCLE_KEYS if (policies or {}).get(key)]


def _throughput(value: Any) -> Optional[float]:
    if value is None:
        return None
    return float(value)


def normalize_file_system(fs: Optional[dict], lifecycle_policies: Optional[List[dict]] = None) -> dict:
    """Raw ``FileSystemDescription`` -> the dict the module returns."""
    if not fs:
        return {}
    tags = tags_to_dict(fs.get("Tags"))
    return {
        "file_system_id": fs.get("FileSystemId"),
        "arn": fs.get("FileSystemArn"),
        "name": tags.get("Name") or fs.get("Name") or None,
        "creation_token": fs.get("CreationToken"),
        "life_cycle_state": fs.get("LifeCycleState"),
        "encrypted": bool(fs.get("Encrypted")),
        "kms_key_id": fs.get("KmsKeyId"),
        "performance_mode": fs.get("PerformanceMode"),
        "throughput_mode": fs.get("ThroughputMode"),
        "provisioned_throughput_in_mibps": _throughput(fs.get("ProvisionedThroughputInMibps"))
        if fs.get("ThroughputMode") == "provisioned"
        else None,
        "number_of_mount_targets": fs.get("NumberOfMountTargets", 0),
        "size_in_bytes": (fs.get("SizeInBytes") or {}).get("Value", 0),
        "lifecycle_policies": normalize_lifecycle_policies(lifecycle_policies),
        "tags": tags,
    }


def find_by_name(file_systems: Optional[List[dict]], name: str) -> List[dict]:
    """File systems that answer to ``name``: by Name tag; when none has that Name tag, the ones
    whose creation token is ``name`` and that carry no Name tag. Deleted ones are left out."""
    live = [fs for fs in file_systems or [] if fs.get("LifeCycleState") != "deleted"]
    by_tag = [fs for fs in live if tags_to_dict(fs.get("Tags")).get("Name") == name]
    if by_tag:
        return by_tag
    return [fs for fs in live if fs.get("CreationToken") == name and not tags_to_dict(fs.get("Tags")).get("Name")]


def same_kms_key(current: Optional[str], desired: Optional[str]) -> Optional[bool]:
    """Whether ``desired`` (key id, key ARN) names the key ``current`` (as AWS returns it).

    Returns ``None`` when it can't be told from the strings alone (an alias)."""
    if not desired or current == desired:
        return True
    if not current:
        return False
    if "alias/" in desired:
        return None
    current_id = current.rsplit("key/", 1)[-1]
    desired_id = desired.rsplit("key/", 1)[-1]
    return current_id == desired_id


def file_system_changes(current: dict, params: Dict[str, Any], backup_current: Optional[bool] = None) -> Tuple[List[str], dict]:
    """Compare a normalised file system with the module's options.

    Returns ``(errors, updates)``: ``errors`` is a list of messages about immutable settings;
    ``updates`` a dict with the keys that need an API call: ``throughput`` (dict of
    UpdateFileSystem parameters), ``lifecycle_policies`` (the desired normalised dict),
    ``backup`` (bool).
    """
    errors = []
    updates = {}
    name = current.get("name") or current.get("creation_token")
    if params.get("encrypted") is not None and bool(params["encrypted"]) != current.get("encrypted"):
        errors.append(
            f"File system {name} ({current.get('file_system_id')}) has encrypted={current.get('encrypted')}; "
            f"encryption can't be changed after creation. Set encrypted: {str(current.get('encrypted')).lower()} "
            "or create a new file system under another name."
        )
    if params.get("kms_key_id") and same_kms_key(current.get("kms_key_id"), params["kms_key_id"]) is False:
        errors.append(
            f"File system {name} is encrypted with KMS key {current.get('kms_key_id')}; the key can't be changed "
            f"after creation (asked for {params['kms_key_id']}). Use the current key or a new file system."
        )
    if params.get("performance_mode") and params["performance_mode"] != current.get("performance_mode"):
        errors.append(
            f"File system {name} has performance_mode {current.get('performance_mode')}; it can't be changed after "
            f"creation (asked for {params['performance_mode']}). Set performance_mode: {current.get('performance_mode')}."
        )

    throughput = {}
    mode = params.get("throughput_mode")
    if mode and mode != current.get("throughput_mode"):
        throughput["ThroughputMode"] = mode
    effective_mode = mode or current.get("throughput_mode")
    mibps = params.get("provisioned_throughput_in_mibps")
    if mibps is not None and effective_mode == "provisioned":
        if current.get("provisioned_throughput_in_mibps") is None or float(mibps) != float(
            current["provisioned_throughput_in_mibps"]
        ):
            throughput["ProvisionedThroughputInMibps"] = float(mibps)
    if throughput.get("ThroughputMode") == "provisioned" and "ProvisionedThroughputInMibps" not in throughput:
        # Switching to provisioned always needs the rate.
        throughput["ProvisionedThroughputInMibps"] = float(mibps)
    if throughput:
        updates["throughput"] = throughput

    if params.get("lifecycle_policies") is not None:
        desired = {key: params["lifecycle_policies"].get(key) for key, _api in LIFECYCLE_KEYS}
        if desired != current.get("lifecycle_policies"):
            updates["lifecycle_policies"] = desired

    if params.get("backup") is not None and bool(params["backup"]) != bool(backup_current):
        updates["backup"] = bool(params["backup"])
    return errors, updates


def apply_file_system_updates(current: dict, updates: dict, tags: Dict[str, str]) -> dict:
    """The normalised file system as it will be after ``updates`` and the new ``tags``."""
    after = dict(current)
    throughput = updates.get("throughput") or {}
    if "ThroughputMode" in throughput:
        after["throughput_mode"] = throughput["ThroughputMode"]
    if "ProvisionedThroughputInMibps" in throughput:
        after["provisioned_throughput_in_mibps"] = throughput["ProvisionedThroughputInMibps"]
    if after.get("throughput_mode") != "provisioned":
        after["provisioned_throughput_in_mibps"] = None
    if "lifecycle_policies" in updates:
        after["lifecycle_policies"] = dict(updates["lifecycle_policies"])
    after["tags"] = dict(tags)
    after["name"] = tags.get("Name") or after.get("name")
    return after


def normalize_mount_target(mt: dict, security_groups: Optional[Iterable[str]] = None) -> dict:
    return {
        "mount_target_id": mt.get("MountTargetId"),
        "subnet_id": mt.get("SubnetId"),
        "availability_zone_name": mt.get("AvailabilityZoneName"),
        "ip_address": mt.get("IpAddress"),
        "network_interface_id": mt.get("NetworkInterfaceId"),
        "security_groups": sorted(security_groups or []),
        "life_cycle_state": mt.get("LifeCycleState"),
        "vpc_id": mt.get("VpcId"),
    }


def plan_mount_targets(current: List[dict], desired: List[dict], subnets: Dict[str, dict], purge: bool) -> Tuple[List[str], dict]:
    """Work out what to do to reach the desired mount targets.

    ``current``: normalised mount targets. ``desired``: list of dicts (``subnet_id``,
    ``security_groups`` already resolved to ids or ``None``, ``ip_address`` or ``None``).
    ``subnets``: ``{subnet_id: {"availability_zone": ..., "vpc_id": ...}}`` for the desired subnets.

    Returns ``(errors, plan)`` with ``plan = {"create": [desired...], "modify": [(current,
    groups)...], "delete": [current...]}``. Deletions are both purges and replacements.
    """
    errors = []
    plan = {"create": [], "modify": [], "delete": []}
    by_subnet = {m["subnet_id"]: m for m in current}
    by_az = {}
    for m in current:
        by_az.setdefault(m.get("availability_zone_name"), []).append(m)

    seen_subnets = set()
    seen_azs = {}
    for want in desired:
        subnet_id = want["subnet_id"]
        if subnet_id in seen_subnets:
            errors.append(f"Subnet {subnet_id} is listed twice in mount_targets; list each subnet once.")
            continue
        seen_subnets.add(subnet_id)
        info = subnets.get(subnet_id)
        if info is None:
            errors.append(f"Subnet {subnet_id} of mount_targets does not exist; check the subnet id.")
            continue
        az = info.get("availability_zone")
        if az in seen_azs:
            errors.append(
                f"Subnets {seen_azs[az]} and {subnet_id} are both in {az}; a file system can have only one mount "
                "target per availability zone. List one subnet per zone."
            )
            continue
        seen_azs[az] = subnet_id

    if errors:
        return errors, plan

    desired_vpcs = {subnets[w["subnet_id"]].get("vpc_id") for w in desired}
    if len(desired_vpcs) > 1:
        return [f"The subnets of mount_targets are in several VPCs ({', '.join(sorted(desired_vpcs))}); "
                "all mount targets of a file system must be in one VPC."], plan

    listed = set(seen_subnets)
    for want in desired:
        subnet_id = want["subnet_id"]
        az = subnets[subnet_id].get("availability_zone")
        existing = by_subnet.get(subnet_id)
        if existing is not None:
            if want.get("ip_address") and want["ip_address"] != existing.get("ip_address"):
                if not purge:
                    errors.append(
                        f"The mount target in {subnet_id} has IP address {existing.get('ip_address')}, not "
                        f"{want['ip_address']}; the address can't be changed in place. Set purge_mount_targets: true "
                        "to replace the mount target, or drop ip_address."
                    )
                    continue
                plan["delete"].append(existing)
                plan["create"].append(want)
                continue
            groups = want.get("security_groups")
            if groups is not None and sorted(groups) != sorted(existing.get("security_groups") or []):
                plan["modify"].append((existing, sorted(groups)))
            continue
        others = [m for m in by_az.get(az, []) if m["subnet_id"] not in listed]
        if others:
            if not purge:
                errors.append(
                    f"Subnet {subnet_id} is in {az}, where this file system already has mount target "
                    f"{others[0]['mount_target_id']} in subnet {others[0]['subnet_id']}. Set purge_mount_targets: "
                    f"true to replace it, or list subnet {others[0]['subnet_id']} instead."
                )
                continue
            plan["delete"].extend(o for o in others if o not in plan["delete"])
        plan["create"].append(want)

    if purge:
        for m in current:
            if m["subnet_id"] not in listed and m not in plan["delete"]:
                plan["delete"].append(m)
    elif plan["create"]:
        deleting = {m["mount_target_id"] for m in plan["delete"]}
        remaining_vpcs = {m.get("vpc_id") for m in current if m["mount_target_id"] not in deleting}
        new_vpc = desired_vpcs.pop() if desired_vpcs else None
        stray = sorted(v for v in remaining_vpcs if v and v != new_vpc)
        if stray:
            errors.append(
                f"The file system has mount targets in VPC {', '.join(stray)} and the listed subnets are in {new_vpc}; "
                "all mount targets of a file system must be in one VPC. Set purge_mount_targets: true to move them."
            )
    return errors, plan


def _permissions(value: Any) -> Optional[str]:
    if value is None:
        return None
    text = str(value).strip()
    try:
        return format(int(text, 8), "03o")
    except ValueError:
        return text


def normalize_posix_user(api: Optional[dict]) -> Optional[dict]:
    """API ``PosixUser`` (or ``None``) -> ``{uid, gid, secondary_gids}`` (or ``None``)."""
    if not api:
        return None
    return {
        "uid": api.get("Uid"),
        "gid": api.get("Gid"),
        "secondary_gids": sorted(api.get("SecondaryGids") or []),
    }


def normalize_root_directory(api: Optional[dict]) -> dict:
    """API ``RootDirectory`` -> ``{path, creation_info}``; the path defaults to ``/`` like AWS."""
    api = api or {}
    info = api.get("CreationInfo")
    return {
        "path": api.get("Path") or "/",
        "creation_info": {
            "owner_uid": info.get("OwnerUid"),
            "owner_gid": info.get("OwnerGid"),
            "permissions": _permissions(info.get("Permissions")),
        }
        if info
        else None,
    }


def posix_user_to_api(option: Optional[dict]) -> Optional[dict]:
    if not option:
        return None
    result = {"Uid": option["uid"], "Gid": option["gid"]}
    if option.get("secondary_gids"):
        result["SecondaryGids"] = list(option["secondary_gids"])
    return result


def root_directory_to_api(option: Optional[dict]) -> Optional[dict]:
    if not option:
        return None
    result = {"Path": option.get("path") or "/"}
    info = option.get("creation_info")
    if info:
        result["CreationInfo"] = {
            "OwnerUid": info["owner_uid"],
            "OwnerGid": info["owner_gid"],
            "Permissions": str(info["permissions"]),
        }
    return result


def normalize_access_point(ap: Optional[dict]) -> dict:
    if not ap:
        return {}
    tags = tags_to_dict(ap.get("Tags"))
    return {
        "access_point_id": ap.get("AccessPointId"),
        "access_point_arn": ap.get("AccessPointArn"),
        "file_system_id": ap.get("FileSystemId"),
        "name": tags.get("Name") or ap.get("Name"),
        "posix_user": normalize_posix_user(ap.get("PosixUser")),
        "root_directory": normalize_root_directory(ap.get("RootDirectory")),
        "life_cycle_state": ap.get("LifeCycleState"),
        "tags": tags,
    }


def access_point_differences(current: dict, posix_user: Optional[dict] = None, root_directory: Optional[dict] = None) -> List[str]:
    """Names of the immutable settings of a normalised access point that differ from the options
    (``posix_user`` / ``root_directory`` as the module gets them; ``None`` leaves one alone)."""
    differences = []
    if posix_user is not None:
        want = normalize_posix_user(posix_user_to_api(posix_user))
        if want != current.get("posix_user"):
            differences.append("posix_user")
    if root_directory is not None:
        want = normalize_root_directory(root_directory_to_api(root_directory))
        have = current.get("root_directory") or normalize_root_directory(None)
        if want["path"].rstrip("/") != (have.get("path") or "/").rstrip("/"):
            differences.append("root_directory")
        elif want["creation_info"] is not None and want["creation_info"] != have.get("creation_info"):
            differences.append("root_directory")
    return differences


def find_access_points_by_name(access_points: Optional[List[dict]], name: str) -> List[dict]:
    return [
        ap
        for ap in access_points or []
        if ap.get("LifeCycleState") not in GONE_STATES
        and (tags_to_dict(ap.get("Tags")).get("Name") or ap.get("Name")) == name
    ]
