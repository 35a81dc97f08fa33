# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS API layer: DB instances, their tags, and DB subnet groups.

Every boto3 call goes through here with ``aws_retry=True`` (the client must be made with
``base.aws_client(module, ...)``); "not found" comes back as ``None``. The pure functions at the end
(normalising, planning a modification) are what the module compares with and are unit-tested
offline.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_while
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

# Statuses in which the instance serves traffic and accepts the next modification.
# storage-optimization follows every storage change and can last hours; the instance is usable.
READY_STATUSES = ("available", "storage-optimization")

# Statuses an instance does not leave by itself (RDS User Guide, "Viewing Amazon RDS DB instance
# status"). DeleteDBInstance: "When a DB instance is in a failure state and has a status of
# failed, incompatible-restore, or incompatible-network, you can only delete it when you skip
# creation of the final snapshot with the SkipFinalSnapshot parameter."
FAILED_STATUSES = (
    "failed", "incompatible-restore", "incompatible-network", "incompatible-parameters",
    "incompatible-option-group", "incompatible-credentials", "inaccessible-encryption-credentials",
    "inaccessible-encryption-credentials-recoverable", "restore-error", "storage-full", "insufficient-capacity",
)

# "The DB instance isn't in a valid state" (InvalidDBInstanceStateFault): a final snapshot or a
# deletion-protection change of an instance that is still creating, modifying or backing up.
INSTANCE_STATE_CODES = ["InvalidDBInstanceState", "InvalidDBInstanceStateFault"]

# "The DB subnet group cannot be deleted because it's in use" (InvalidDBSubnetGroupStateFault):
# an instance of the group is still being deleted.
SUBNET_GROUP_IN_USE_CODES = ["InvalidDBSubnetGroupStateFault"]


class RDSError(AnsibleAWSError):
    pass


RDSInstanceErrorHandler = error_handler(RDSError, ["DBInstanceNotFound", "DBInstanceNotFoundFault"])


# ---------------------------------------------------------------------------------------------
# API calls
# ---------------------------------------------------------------------------------------------


@RDSInstanceErrorHandler.list_error_handler("describe DB instance {identifier}")
def describe_db_instance(client: Any, identifier: str) -> Optional[Dict[str, Any]]:
    """The DescribeDBInstances entry of ``identifier``, or ``None``."""
    instances = client.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)["DBInstances"]
    for instance in instances:
        if instance.get("DBInstanceIdentifier", "").lower() == identifier.lower():
            return instance
    return None


@RDSInstanceErrorHandler.common_error_handler("create DB instance {identifier}")
def create_db_instance(client: Any, identifier: str, **params: Any) -> Dict[str, Any]:
    """CreateDBInstance. ``params`` hold the master password: never log them."""
    return client.create_db_instance(DBInstanceIdentifier=identifier, aws_retry=True, **params)["DBInstance"]


@RDSInstanceErrorHandler.common_error_handler("modify DB instance {identifier}")
def modify_db_instance(client: Any, identifier: str, **params: Any) -> Dict[str, Any]:
    return client.modify_db_instance(DBInstanceIdentifier=identifier, aws_retry=True, **params)["DBInstance"]


@RDSInstanceErrorHandler.deletion_error_handler("delete DB instance {identifier}")
def delete_db_instance(client: Any, identifier: str, skip_final_snapshot: bool, final_snapshot_identifier: Optional[str] = None,
                       delete_automated_backups: bool = False, timeout: float = 0,
                       note: Optional[Callable[[str], None]] = None) -> Union[Dict[str, Any], bool]:
    """DeleteDBInstance: the instance as RDS answered; ``False`` when it was already gone.

    While RDS answers InvalidDBInstanceState (the instance is not in a state that can be deleted
    with a final snapshot yet), the call is tried again for up to ``timeout`` seconds.
    """
    params = dict(SkipFinalSnapshot=skip_final_snapshot, DeleteAutomatedBackups=delete_automated_backups)
    if not skip_final_snapshot:
        params["FinalDBSnapshotIdentifier"] = final_snapshot_identifier
    return retry_while(
        lambda: client.delete_db_instance(DBInstanceIdentifier=identifier, aws_retry=True, **params)["DBInstance"],
        INSTANCE_STATE_CODES, timeout=timeout, note=note, what=f"delete DB instance {identifier}",
    )


RDSSubnetGroupErrorHandler = error_handler(RDSError, ["DBSubnetGroupNotFoundFault", "DBSubnetGroupNotFound"])


@RDSSubnetGroupErrorHandler.list_error_handler("describe DB subnet group {name}")
def describe_db_subnet_group(client: Any, name: str) -> Optional[Dict[str, Any]]:
    """The DescribeDBSubnetGroups entry of ``name``, or ``None``."""
    groups = client.describe_db_subnet_groups(DBSubnetGroupName=name, aws_retry=True)["DBSubnetGroups"]
    return groups[0] if groups else None


@RDSSubnetGroupErrorHandler.common_error_handler("create DB subnet group {name}")
def create_db_subnet_group(client: Any, name: str, description: str, subnet_ids: List[str],
                           tags: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    params = dict(DBSubnetGroupName=name, DBSubnetGroupDescription=description, SubnetIds=list(subnet_ids))
    if tags:
        params["Tags"] = dict_to_tags(tags)
    return client.create_db_subnet_group(aws_retry=True, **params)["DBSubnetGroup"]


@RDSSubnetGroupErrorHandler.common_error_handler("modify DB subnet group {name}")
def modify_db_subnet_group(client: Any, name: str, description: str, subnet_ids: List[str]) -> Dict[str, Any]:
    return client.modify_db_subnet_group(aws_retry=True, DBSubnetGroupName=name, DBSubnetGroupDescription=description,
                                         SubnetIds=list(subnet_ids))["DBSubnetGroup"]


@RDSSubnetGroupErrorHandler.list_error_handler("list the tags of {arn}", {})
def list_tags(client: Any, arn: str) -> Dict[str, str]:
    """The tags of an RDS resource by its ARN (DescribeDBSubnetGroups carries none)."""
    return tags_to_dict(client.list_tags_for_resource(aws_retry=True, ResourceName=arn).get("TagList"))


def normalise_db_subnet_group(group: Optional[Dict[str, Any]], tags: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """A DescribeDBSubnetGroups entry as the module returns it (``{}`` for none)."""
    if not group:
        return {}
    return {
        "name": group.get("DBSubnetGroupName"),
        "description": group.get("DBSubnetGroupDescription"),
        "vpc_id": group.get("VpcId"),
        "subnet_ids": sorted(s["SubnetIdentifier"] for s in group.get("Subnets") or [] if s.get("SubnetIdentifier")),
        "status": group.get("SubnetGroupStatus"),
        "arn": group.get("DBSubnetGroupArn"),
        "tags": dict(tags or {}),
    }


@RDSSubnetGroupErrorHandler.deletion_error_handler("delete DB subnet group {name}")
def delete_db_subnet_group(client: Any, name: str, timeout: float = 0, note: Optional[Callable[[str], None]] = None) -> bool:
    """DeleteDBSubnetGroup; ``False`` when the group was already gone.

    AWS refuses it with InvalidDBSubnetGroupStateFault while an instance of the group is still
    being deleted; that is tried again for up to ``timeout`` seconds.
    """
    retry_while(
        lambda: client.delete_db_subnet_group(DBSubnetGroupName=name, aws_retry=True),
        SUBNET_GROUP_IN_USE_CODES, timeout=timeout, note=note, what=f"delete DB subnet group {name}",
    )
    return True


# The tags of any RDS resource by its ARN (DB instance, DB subnet group).
@RDSInstanceErrorHandler.common_error_handler("tag {arn}")
def add_tags(client: Any, arn: str, tags: Dict[str, Any]) -> bool:
    client.add_tags_to_resource(ResourceName=arn, Tags=dict_to_tags(tags), aws_retry=True)
    return True


@RDSInstanceErrorHandler.common_error_handler("untag {arn}")
def remove_tags(client: Any, arn: str, tag_keys: Iterable[str]) -> bool:
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=list(tag_keys), aws_retry=True)
    return True


# ---------------------------------------------------------------------------------------------
# Pure helpers (unit-tested offline)
# ---------------------------------------------------------------------------------------------

# option name -> CreateDBInstance / ModifyDBInstance key, for plain attributes.
CREATE_KEYS = {
    "engine": "Engine",
    "engine_version": "EngineVersion",
    "db_instance_class": "DBInstanceClass",
    "allocated_storage": "AllocatedStorage",
    "max_allocated_storage": "MaxAllocatedStorage",
    "storage_type": "StorageType",
    "storage_encrypted": "StorageEncrypted",
    "kms_key_id": "KmsKeyId",
    "db_name": "DBName",
    "port": "Port",
    "db_subnet_group_name": "DBSubnetGroupName",
    "vpc_security_group_ids": "VpcSecurityGroupIds",
    "publicly_accessible": "PubliclyAccessible",
    "multi_az": "MultiAZ",
    "backup_retention_period": "BackupRetentionPeriod",
    "preferred_backup_window": "PreferredBackupWindow",
    "deletion_protection": "DeletionProtection",
    "copy_tags_to_snapshot": "CopyTagsToSnapshot",
    "auto_minor_version_upgrade": "AutoMinorVersionUpgrade",
}

# Attributes ModifyDBInstance changes in place (option -> ModifyDBInstance key).
MODIFIABLE = {
    "db_instance_class": "DBInstanceClass",
    "allocated_storage": "AllocatedStorage",
    "max_allocated_storage": "MaxAllocatedStorage",
    "storage_type": "StorageType",
    "engine_version": "EngineVersion",
    "port": "DBPortNumber",
    "vpc_security_group_ids": "VpcSecurityGroupIds",
    "publicly_accessible": "PubliclyAccessible",
    "multi_az": "MultiAZ",
    "backup_retention_period": "BackupRetentionPeriod",
    "preferred_backup_window": "PreferredBackupWindow",
    "deletion_protection": "DeletionProtection",
    "copy_tags_to_snapshot": "CopyTagsToSnapshot",
    "auto_minor_version_upgrade": "AutoMinorVersionUpgrade",
}

# Attributes fixed at creation: a different value is an error, not a change.
IMMUTABLE = ("engine", "storage_encrypted", "kms_key_id", "db_name", "master_username", "db_subnet_group_name")

# PendingModifiedValues key -> normalised key: what an instance will have once the pending
# modification is applied (apply_immediately=false) counts as what it has.
PENDING_KEYS = {
    "DBInstanceClass": "db_instance_class",
    "AllocatedStorage": "allocated_storage",
    "StorageType": "storage_type",
    "EngineVersion": "engine_version",
    "Port": "port",
    "MultiAZ": "multi_az",
    "BackupRetentionPeriod": "backup_retention_period",
}


def normalise_db_instance(instance: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """DescribeDBInstances entry -> the snake_case ``db_instance`` dict (no password in it)."""
    if not instance:
        return {}
    endpoint = instance.get("Endpoint") or {}
    subnet_group = instance.get("DBSubnetGroup") or {}
    port = endpoint.get("Port") or instance.get("DbInstancePort") or None
    result = {
        "db_instance_identifier": instance.get("DBInstanceIdentifier"),
        "db_instance_arn": instance.get("DBInstanceArn"),
        "db_instance_status": instance.get("DBInstanceStatus"),
        "engine": instance.get("Engine"),
        "engine_version": instance.get("EngineVersion"),
        "db_instance_class": instance.get("DBInstanceClass"),
        "allocated_storage": instance.get("AllocatedStorage"),
        "max_allocated_storage": instance.get("MaxAllocatedStorage"),
        "storage_type": instance.get("StorageType"),
        "storage_encrypted": instance.get("StorageEncrypted", False),
        "kms_key_id": instance.get("KmsKeyId"),
        "db_name": instance.get("DBName"),
        "master_username": instance.get("MasterUsername"),
        "port": port,
        "endpoint": {"address": endpoint.get("Address"), "port": endpoint.get("Port")} if endpoint else {},
        "vpc_security_group_ids": sorted(
            g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups") or []
            if g.get("Status", "active") not in ("removing", "inactive")
        ),
        # every group as RDS lists them, with its status (the ids above leave out those being removed)
        "vpc_security_groups": [{"vpc_security_group_id": g.get("VpcSecurityGroupId"), "status": g.get("Status")}
                                for g in instance.get("VpcSecurityGroups") or []],
        "db_subnet_group_name": subnet_group.get("DBSubnetGroupName"),
        "publicly_accessible": instance.get("PubliclyAccessible", False),
        "multi_az": instance.get("MultiAZ", False),
        "availability_zone": instance.get("AvailabilityZone"),
        "secondary_availability_zone": instance.get("SecondaryAvailabilityZone"),
        "backup_retention_period": instance.get("BackupRetentionPeriod"),
        "preferred_backup_window": instance.get("PreferredBackupWindow"),
        "deletion_protection": instance.get("DeletionProtection", False),
        "copy_tags_to_snapshot": instance.get("CopyTagsToSnapshot", False),
        "auto_minor_version_upgrade": instance.get("AutoMinorVersionUpgrade"),
        "pending_modified_values": _pending(instance),
        "tags": tags_to_dict(instance.get("TagList")),
    }
    return result


def _pending(instance: Dict[str, Any]) -> Dict[str, Any]:
    pending = instance.get("PendingModifiedValues") or {}
    return {PENDING_KEYS[k]: v for k, v in pending.items() if k in PENDING_KEYS}


def effective_state(normalised: Dict[str, Any]) -> Dict[str, Any]:
    """The normalised instance with its pending modifications applied."""
    state = dict(normalised)
    state.update(normalised.get("pending_modified_values") or {})
    return state


def is_ready(instance: Optional[Dict[str, Any]], require_no_pending: bool = False) -> bool:
    """True when ``instance`` is in a ready status (and, if asked, has nothing pending)."""
    if not instance or instance.get("DBInstanceStatus") not in READY_STATUSES:
        return False
    if require_no_pending and _pending(instance):
        return False
    return True


def _version_tuple(version: Any) -> Tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-]", str(version)) if p != "")


def _cmp_key(version: Any) -> Tuple[Tuple[int, Any], ...]:
    # ints sort before strings so that "16.4" vs "16.4.R1"-style parts still compare
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in _version_tuple(version))


def version_satisfied(current: Optional[str], desired: str) -> bool:
    """True when ``current`` is ``desired`` or a more precise version of it ("16" ~ "16.4")."""
    if current is None:
        return False
    current, desired = str(current), str(desired)
    return current == desired or current.startswith(desired + ".")


def is_downgrade(current: str, desired: str) -> bool:
    return _cmp_key(desired) < _cmp_key(current)


def major_version(engine: Optional[str], version: str) -> str:
    """Major version as RDS counts it: "16" for postgres 16.x (10+), "5.7" for MySQL 5.7.x."""
    parts = str(version).split(".")
    if engine and engine.startswith(("postgres", "aurora-postgresql")) and parts[0].isdigit() and int(parts[0]) >= 10:
        return parts[0]
    return ".".join(parts[:2])


def version_accepted(engine: Optional[str], current: Optional[str], desired: str) -> bool:
    """True when the reported ``current`` version satisfies the ``desired`` one.

    That is ``desired`` itself, a more precise version of it ("16" ~ "16.4"), or a later minor
    version of the same major: RDS applies minor upgrades by itself (AutoMinorVersionUpgrade,
    on by default, and forced upgrades off deprecated minors), so an instance created as 16.4
    may report 16.8 after a maintenance window. That is no change to make and no error.
    """
    if current is None:
        return False
    if version_satisfied(current, desired):
        return True
    return major_version(engine, current) == major_version(engine, desired) and _cmp_key(current) >= _cmp_key(desired)


def _same(key: str, current: Any, desired: Any) -> bool:
    if key == "vpc_security_group_ids":
        return sorted(set(current or [])) == sorted(set(desired))
    if key == "engine":
        return (current or "").lower() == desired.lower()
    if key == "preferred_backup_window":
        return (current or "") == desired
    return current == desired


def plan_modification(current: Dict[str, Any], params: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """Compare the normalised ``current`` instance with the module ``params``.

    Returns ``(changes, errors)``: ``changes`` maps option names to their new values (only
    options that are set and differ), ``errors`` lists human-readable problems that block the
    change (immutable attributes, storage decrease, engine downgrade). ``kms_key_id`` is left to
    the caller (it needs a KMS look-up to compare).
    """
    effective = effective_state(current)
    changes = {}
    errors = []

    for key in IMMUTABLE:
        desired = params.get(key)
        if desired is None or key == "kms_key_id":
            continue
        if not _same(key, effective.get(key), desired):
            errors.append(
                f"{key} cannot change in place (instance has {effective.get(key)!r}, task asks for {desired!r}); "
                "set it to the current value, or replace the instance (for example restore a snapshot into a new one)"
            )

    for key in MODIFIABLE:
        desired = params.get(key)
        if desired is None:
            continue
        have = effective.get(key)
        if key == "port" and have is None:
            # No endpoint yet (creating): RDS reports port 0 / none. Unknown, not different.
            continue
        if key == "engine_version":
            engine = effective.get("engine") or params.get("engine")
            if version_accepted(engine, have, desired):
                continue
            if have is not None and is_downgrade(have, desired):
                # A lower minor of the same major is accepted above; this is a lower major.
                errors.append(
                    f"engine_version cannot go down from {have} to {desired}: RDS only upgrades in place; "
                    f"set engine_version to {major_version(engine, have)} (the current major version) or later, "
                    "or restore a snapshot into a new instance"
                )
                continue
        elif key == "allocated_storage" and have is not None and desired < have:
            errors.append(
                f"allocated_storage cannot shrink from {have} to {desired} GiB: RDS only grows storage in place; "
                f"set allocated_storage to {have} or more, or migrate the data to a new, smaller instance"
            )
            continue
        elif _same(key, have, desired):
            continue
        changes[key] = desired

    if "max_allocated_storage" in changes or "allocated_storage" in changes:
        allocated = changes.get("allocated_storage", effective.get("allocated_storage"))
        maximum = changes.get("max_allocated_storage", effective.get("max_allocated_storage"))
        if maximum is not None and allocated is not None and maximum < allocated:
            errors.append(
                f"max_allocated_storage ({maximum}) must be at least allocated_storage ({allocated}); raise max_allocated_storage"
            )
    return changes, errors


def modify_params(current: Dict[str, Any], changes: Dict[str, Any], apply_immediately: bool) -> Dict[str, Any]:
    """ModifyDBInstance keyword arguments for ``changes`` (from :func:`plan_modification`)."""
    params = {MODIFIABLE[k]: v for k, v in changes.items()}
    if "vpc_security_group_ids" in changes:
        params["VpcSecurityGroupIds"] = list(changes["vpc_security_group_ids"])
    if "engine_version" in changes and current.get("engine_version"):
        engine = current.get("engine")
        if major_version(engine, current["engine_version"]) != major_version(engine, changes["engine_version"]):
            params["AllowMajorVersionUpgrade"] = True
    params["ApplyImmediately"] = apply_immediately
    return params


def create_params(params: Dict[str, Any], master_username: Optional[str], master_password: str,
                  tags: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """CreateDBInstance keyword arguments (without the identifier). Holds the password."""
    result = {}
    for key, aws_key in CREATE_KEYS.items():
        value = params.get(key)
        if value is None:
            continue
        result[aws_key] = list(value) if key == "vpc_security_group_ids" else value
    result["MasterUsername"] = master_username
    result["MasterUserPassword"] = master_password
    if tags:
        result["Tags"] = dict_to_tags(tags)
    return result


def predicted_instance(params: Dict[str, Any], master_username: Optional[str], tags: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """What check mode reports for an instance it would create."""
    keys = ("engine", "engine_version", "db_instance_class", "allocated_storage", "max_allocated_storage",
            "storage_type", "storage_encrypted", "kms_key_id", "db_name", "port", "db_subnet_group_name",
            "publicly_accessible", "multi_az", "backup_retention_period", "preferred_backup_window",
            "deletion_protection", "copy_tags_to_snapshot", "auto_minor_version_upgrade")
    result = {k: params.get(k) for k in keys}
    result.update(
        db_instance_identifier=params["db_instance_identifier"],
        db_instance_arn=None,
        db_instance_status=None,
        master_username=master_username,
        endpoint={},
        vpc_security_group_ids=sorted(params.get("vpc_security_group_ids") or []),
        vpc_security_groups=security_groups_reached(params.get("vpc_security_group_ids") or []),
        availability_zone=None,  # RDS chooses it
        secondary_availability_zone=None,
        pending_modified_values={},
        tags=dict(tags or {}),
    )
    return result


def security_groups_reached(group_ids: Iterable[str]) -> List[Dict[str, Any]]:
    """``vpc_security_groups`` once RDS has applied ``group_ids`` (what check mode reports)."""
    return [{"vpc_security_group_id": g, "status": "active"} for g in sorted(group_ids)]
