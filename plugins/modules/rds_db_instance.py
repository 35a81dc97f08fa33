#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_db_instance
short_description: Manage a PostgreSQL or MySQL RDS DB instance whose master password lives in Secrets Manager
version_added: 0.1.0
description:
  - Creates, modifies in place and deletes an Amazon RDS DB instance (PostgreSQL, MySQL, MariaDB).
  - Fills two gaps of the stock M(amazon.aws.rds_instance). That module needs the master password
    as a task argument, so it passes through Ansible variables; this one reads it ITSELF from a
    Secrets Manager secret (O(master_user_password_secret)) when it creates the instance, and
    never returns or logs it. And its waits are plain O(wait)/O(wait_timeout) polls that start
    with an immediate check, so an instance that is ready costs no sleep.
  - Options that are not set leave the instance's attribute alone.
  - An instance that is not available yet (C(creating), C(modifying), C(backing-up) ...) reports
    no endpoint and port 0, and RDS refuses a modification then (C(InvalidDBInstanceState)). With
    O(wait=true) the module waits until it is available before comparing; with O(wait=false) it
    compares what RDS reports already (the port is not compared while unknown), sends no
    ModifyDBInstance, and warns about any difference, which a later task with O(wait=true)
    applies.
  - Changed in place with ModifyDBInstance are O(db_instance_class), O(allocated_storage) (grow only),
    O(max_allocated_storage), O(storage_type), O(engine_version) (upgrade only), O(port),
    O(vpc_security_group_ids), O(publicly_accessible), O(multi_az), O(backup_retention_period),
    O(preferred_backup_window), O(deletion_protection), O(copy_tags_to_snapshot),
    O(auto_minor_version_upgrade), and tags.
  - Fixed at creation (a different value fails the task and says so) are O(engine),
    O(storage_encrypted), O(kms_key_id), O(db_name), O(master_username), O(db_subnet_group_name).
  - The password is never rotated by this module; rotate it with Secrets Manager and RDS.
options:
  db_instance_identifier:
    description:
      - Identifier of the DB instance.
    type: str
    required: true
    aliases: [id]
  engine:
    description:
      - Database engine, for example V(postgres), V(mysql) or V(mariadb).
      - Cannot change once the instance exists, so set it when managing an existing instance of
        another engine.
    type: str
    default: postgres
  engine_version:
    description:
      - Engine version, either a major version only (V(16) for PostgreSQL, V(8.0) for MySQL) or a
        full one (V(16.4)). A major version only is sent to RDS as it is at creation, and RDS
        creates the instance with its default minor version of that major.
      - RDS applies minor upgrades by itself (O(auto_minor_version_upgrade) is on by default, and
        AWS upgrades instances off deprecated minor versions even when it is off). An instance that
        reports the asked version, a more precise one (C(16.4) for V(16)), or a later minor version
        of the same major (C(16.8) for V(16.4)) is therefore left alone - no change, no error.
      - A later minor version of the same major than the instance reports upgrades it in place;
        a later major version too (the major upgrade is allowed because it is asked for
        explicitly). A lower major version than the instance's fails before any change.
      - When not set, RDS picks its default version at creation and the version is left alone.
    type: str
  db_instance_class:
    description:
      - Instance class, for example V(db.t3.micro). Required to create the instance.
    type: str
  allocated_storage:
    description:
      - Storage in GiB. Required to create the instance. Can only grow in place.
    type: int
  max_allocated_storage:
    description:
      - Upper limit in GiB for storage autoscaling; must be at least O(allocated_storage).
    type: int
  storage_type:
    description:
      - Storage type, for example V(gp3), V(gp2), V(io1).
      - Also applies to an existing instance, which is changed to it in place (RDS converts
        C(gp2) to C(gp3) without downtime).
    type: str
    default: gp3
  storage_encrypted:
    description:
      - Whether the storage is encrypted. Cannot change once the instance exists; an existing
        unencrypted instance makes the task fail unless this is set to V(false).
    type: bool
    default: true
  kms_key_id:
    description:
      - KMS key (id, ARN, alias name or alias ARN) for storage encryption. Without it RDS uses the
        account's C(aws/rds) key. Cannot change once the instance exists.
    type: str
  db_name:
    description:
      - Name of the database created with the instance. Cannot change once the instance exists.
    type: str
  port:
    description:
      - Port the database listens on. Without it RDS uses the engine's default (5432, 3306).
    type: int
  master_username:
    description:
      - Master user name. When not set, the C(username) key of the O(master_user_password_secret)
        JSON is used at creation.
      - Cannot change once the instance exists.
    type: str
  master_user_password_secret:
    description:
      - Name or ARN of a Secrets Manager secret whose value is a JSON object with a C(password)
        key (and optionally C(username)), such as one made by
        M(apranova.aws_stack.secretsmanager_password).
      - Required to create the instance; the module reads the secret itself at creation and
        nowhere else. An existing instance's password is never changed.
    type: str
  db_subnet_group_name:
    description:
      - DB subnet group that places the instance in a VPC. Cannot change once the instance exists.
    type: str
  vpc_security_group_ids:
    description:
      - Ids of the VPC security groups of the instance; replaces the current set when given.
    type: list
    elements: str
  publicly_accessible:
    description:
      - Whether the instance gets a public IP address.
      - The default applies to existing instances too.
    type: bool
    default: false
  multi_az:
    description:
      - Whether the instance has a standby in another availability zone.
    type: bool
  backup_retention_period:
    description:
      - Days automated backups are kept (0 turns them off).
    type: int
  preferred_backup_window:
    description:
      - Daily backup window in UTC, C(hh24:mi-hh24:mi), for example V(03:00-04:00).
    type: str
  deletion_protection:
    description:
      - Whether RDS refuses to delete the instance. See O(disable_deletion_protection).
    type: bool
  copy_tags_to_snapshot:
    description:
      - Whether the instance's tags are copied to its snapshots.
      - The default applies to existing instances too.
    type: bool
    default: true
  auto_minor_version_upgrade:
    description:
      - Whether RDS applies minor engine upgrades in the maintenance window.
    type: bool
  apply_immediately:
    description:
      - Apply modifications now rather than in the next maintenance window.
      - With V(false), values still pending count as applied when comparing, so reruns do not
        report changes again.
    type: bool
    default: true
  skip_final_snapshot:
    description:
      - With O(state=absent), delete without a final snapshot.
    type: bool
    default: false
  final_snapshot_identifier:
    description:
      - With O(state=absent) and O(skip_final_snapshot=false), identifier of the final snapshot.
      - Defaults to C(<db_instance_identifier>-final-<YYYYmmddHHMMSS>) (UTC).
    type: str
  delete_automated_backups:
    description:
      - With O(state=absent), delete the automated backups together with the instance.
    type: bool
    default: false
  delete_subnet_group:
    description:
      - With O(state=absent), once the instance is gone, delete the DB subnet group
        O(db_subnet_group_name) too (it must not be used by another instance).
      - Implies waiting for the instance to be gone, whatever O(wait) says, also when an earlier
        task or run started the deletion. RDS answers C(InvalidDBSubnetGroupStateFault) while the
        group is still in use; that is tried again for up to O(wait_timeout) seconds, each wait listed in C(waited).
    type: bool
    default: false
  disable_deletion_protection:
    description:
      - With O(state=absent), turn off deletion protection first when it is on.
      - When V(false) (the default) and the instance is protected, the task fails and deletes
        nothing.
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the instance; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until the instance is C(available) (or C(storage-optimization)) after a creation or
        modification, or gone after a deletion. An unchanged instance that is not available yet (one
        requested earlier with O(wait=false)) is waited for too, and so is an instance already
        C(deleting) with O(state=absent).
      - With O(state=absent), an instance that is not available yet (for example still C(creating)
        after an interrupted build) is first waited for until it is available, whatever O(wait)
        says, when a final snapshot is to be taken or deletion protection turned off, since RDS refuses
        both before (C(InvalidDBInstanceState)).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait before failing. Also bounds the wait for an instance to become available
        before its deletion, and the retries of the deletion calls that RDS refuses while a
        dependency settles.
    type: int
    default: 1800
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Supports check mode (no mutating call, the secret is only read to validate it) and diff mode.
  - Against the moto emulator, RDS instances are C(available) at once, modifications are applied
    at once, a storage decrease is accepted (this module refuses it itself) and a port change is
    ignored.
author:
  - Apranova platform team (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Generate the master credential
  apranova.aws_stack.secretsmanager_password:
    name: apranova/db-master
    username: apranova_admin
  register: db_secret

- name: Create the PostgreSQL instance
  apranova.aws_stack.rds_db_instance:
    id: apranova-db
    engine: postgres
    engine_version: "16"
    db_instance_class: db.t3.micro
    allocated_storage: 20
    db_name: apranova_db
    port: 5432
    master_user_password_secret: "{{ db_secret.secret.arn }}"
    db_subnet_group_name: apranova-db
    vpc_security_group_ids: [sg-0123456789abcdef0]
    backup_retention_period: 7
    deletion_protection: true
    tags:
      Project: apranova
  register: db

- name: Grow the storage in place
  apranova.aws_stack.rds_db_instance:
    id: apranova-db
    allocated_storage: 30

- name: Delete it, turning protection off, with a final snapshot, then its subnet group
  apranova.aws_stack.rds_db_instance:
    id: apranova-db
    state: absent
    disable_deletion_protection: true
    db_subnet_group_name: apranova-db
    delete_subnet_group: true
  register: deleted

- name: Show the final snapshot
  ansible.builtin.debug:
    var: deleted.final_snapshot_identifier
"""

RETURN = r"""
db_instance:
  description:
    - The DB instance, snake_cased, never with a password. After a deletion, its last state as
      RDS reported it when the deletion started; empty when it did not exist.
  returned: always
  type: dict
  contains:
    db_instance_identifier:
      description: Identifier of the instance.
      returned: when the instance exists
      type: str
      sample: apranova-db
    db_instance_arn:
      description: ARN of the instance (V(null) in check mode before creation).
      returned: when the instance exists
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:db:apranova-db
    db_instance_status:
      description: Status of the instance.
      returned: when the instance exists
      type: str
      sample: available
    engine:
      description: Database engine.
      returned: when the instance exists
      type: str
      sample: postgres
    engine_version:
      description: Engine version.
      returned: when the instance exists
      type: str
      sample: "16.4"
    db_instance_class:
      description: Instance class.
      returned: when the instance exists
      type: str
      sample: db.t3.micro
    allocated_storage:
      description: Storage in GiB.
      returned: when the instance exists
      type: int
      sample: 20
    max_allocated_storage:
      description: Storage autoscaling limit in GiB.
      returned: when the instance exists
      type: int
      sample: 100
    storage_type:
      description: Storage type.
      returned: when the instance exists
      type: str
      sample: gp3
    storage_encrypted:
      description: Whether the storage is encrypted.
      returned: when the instance exists
      type: bool
      sample: true
    kms_key_id:
      description: KMS key of the storage encryption.
      returned: when the instance exists
      type: str
      sample: arn:aws:kms:us-east-1:123456789012:key/0b4f0d2c-8a4e-4bb4-9a3e-1b1c5f7e8d9a
    db_name:
      description: Name of the initial database.
      returned: when the instance exists
      type: str
      sample: apranova_db
    master_username:
      description: Master user name (never the password).
      returned: when the instance exists
      type: str
      sample: apranova_admin
    port:
      description: Port of the database.
      returned: when the instance exists
      type: int
      sample: 5432
    endpoint:
      description: Where clients connect; empty while RDS has not assigned it yet.
      returned: when the instance exists
      type: dict
      contains:
        address:
          description: DNS name of the instance.
          returned: when the endpoint exists
          type: str
          sample: apranova-db.abcdefghij.us-east-1.rds.amazonaws.com
        port:
          description: Port.
          returned: when the endpoint exists
          type: int
          sample: 5432
    vpc_security_group_ids:
      description: Ids of the instance's VPC security groups, sorted.
      returned: when the instance exists
      type: list
      elements: str
      sample: [sg-0123456789abcdef0]
    vpc_security_groups:
      description:
        - The instance's VPC security groups as RDS lists them (in its order), each with its status;
          unlike RV(db_instance.vpc_security_group_ids) (sorted), a group being removed is listed too.
        - In check mode, the groups the change would reach, each V(active).
      returned: when the instance exists
      type: list
      elements: dict
      sample: [{"vpc_security_group_id": "sg-0123456789abcdef0", "status": "active"}]
      contains:
        vpc_security_group_id:
          description: Id of the group.
          returned: always
          type: str
          sample: sg-0123456789abcdef0
        status:
          description: C(active), C(adding), C(removing) or C(inactive).
          returned: always
          type: str
          sample: active
    db_subnet_group_name:
      description: DB subnet group of the instance.
      returned: when the instance exists
      type: str
      sample: apranova-db
    publicly_accessible:
      description: Whether the instance has a public IP address.
      returned: when the instance exists
      type: bool
      sample: false
    multi_az:
      description: Whether the instance has a standby.
      returned: when the instance exists
      type: bool
      sample: false
    availability_zone:
      description: Availability Zone of the instance (of its primary with Multi-AZ); null until RDS has placed it.
      returned: when the instance exists
      type: str
      sample: us-east-1a
    secondary_availability_zone:
      description: Availability Zone of the Multi-AZ standby; null without a standby.
      returned: when the instance exists
      type: str
      sample: us-east-1b
    backup_retention_period:
      description: Days automated backups are kept.
      returned: when the instance exists
      type: int
      sample: 7
    preferred_backup_window:
      description: Daily backup window (UTC).
      returned: when the instance exists
      type: str
      sample: "03:00-04:00"
    deletion_protection:
      description: Whether deletion protection is on.
      returned: when the instance exists
      type: bool
      sample: true
    copy_tags_to_snapshot:
      description: Whether tags are copied to snapshots.
      returned: when the instance exists
      type: bool
      sample: true
    auto_minor_version_upgrade:
      description: Whether minor upgrades are applied automatically.
      returned: when the instance exists
      type: bool
      sample: true
    pending_modified_values:
      description: Modifications waiting for the maintenance window, under the option names.
      returned: when the instance exists
      type: dict
      sample: {"db_instance_class": "db.t3.small"}
    tags:
      description: Tags of the instance.
      returned: when the instance exists
      type: dict
      sample: {"Project": "apranova"}
subnet_group_deleted:
  description: Whether the DB subnet group existed and was (or, in check mode, would be) deleted.
  returned: when O(state=absent) and O(delete_subnet_group=true)
  type: bool
  sample: true
final_snapshot_identifier:
  description: Identifier of the final snapshot taken (or, in check mode, that would be taken).
  returned: when O(state=absent) deletes an instance without O(skip_final_snapshot)
  type: str
  sample: apranova-db-final-20261125180911
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

import datetime
from typing import Any, Callable, Dict, Optional, Tuple

try:
    import botocore  # noqa: F401  pylint: disable=unused-import
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import wait_for
from ansible_collections.apranova.aws_stack.plugins.module_utils import rds
from ansible_collections.apranova.aws_stack.plugins.module_utils import secretsmanager as sm


class TaskError(Exception):
    """A problem the operator fixes by changing the task; the message says how."""


def wait_until_ready(client: Any, identifier: str, timeout: int, require_no_pending: bool = False) -> Dict[str, Any]:
    def check() -> Optional[Dict[str, Any]]:
        instance = rds.describe_db_instance(client, identifier)
        if instance is None:
            raise TaskError(f"DB instance {identifier} disappeared while waiting for it to become available.")
        return instance if rds.is_ready(instance, require_no_pending) else None

    instance = wait_for(check, timeout=timeout)
    if instance is None:
        current = rds.describe_db_instance(client, identifier) or {}
        raise TaskError(
            f"Timed out after {timeout} seconds waiting for DB instance {identifier} to become available "
            f"(status {current.get('DBInstanceStatus')!r}); raise wait_timeout or set wait: false."
        )
    return instance


def wait_until_gone(client: Any, identifier: str, timeout: int) -> None:
    if wait_for(lambda: rds.describe_db_instance(client, identifier) is None, timeout=timeout) is None:
        raise TaskError(
            f"Timed out after {timeout} seconds waiting for DB instance {identifier} to be deleted; "
            "raise wait_timeout or set wait: false."
        )


def read_master_credentials(sm_client: Any, secret_id: str, check_mode: bool,
                            register_secret: Callable[[str], None]) -> Tuple[Optional[str], Optional[str]]:
    """``(username, password)`` from the secret; in check mode a missing secret gives ``(None, None)``.

    The secret's whole value, then the password in it, are given to ``register_secret`` (masked in
    all output) as soon as they are read.
    """
    secret_string = sm.get_secret_string(sm_client, secret_id)
    if secret_string is None:
        if check_mode:
            return None, None
        raise TaskError(
            f"Secret {secret_id} (master_user_password_secret) was not found; create it first, for example with "
            "apranova.aws_stack.secretsmanager_password, or fix the name/ARN."
        )
    register_secret(secret_string)
    try:
        username, password = sm.parse_credentials(secret_string, secret_id)
    except ValueError as e:
        raise TaskError(str(e)) from None
    register_secret(password)
    return username, password


def create_instance(clients: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> Tuple[bool, Dict[str, Any], Dict[str, Any]]:
    client = clients["rds"]
    identifier = params["db_instance_identifier"]
    missing = [k for k in ("db_instance_class", "allocated_storage", "master_user_password_secret") if params[k] is None]
    if missing:
        raise TaskError(f"DB instance {identifier} does not exist; to create it set {', '.join(missing)}.")
    username, password = read_master_credentials(
        clients["secretsmanager"], params["master_user_password_secret"], ctx.check_mode, ctx.secret
    )
    if ctx.check_mode and password is None:
        ctx.warn(f"Secret {params['master_user_password_secret']} does not exist (yet); the real run will fail unless it is created first.")
    master_username = params["master_username"] or username
    if master_username is None and not (ctx.check_mode and password is None):
        raise TaskError(
            f"No master user name for {identifier}: set master_username, or store a \"username\" key in "
            f"secret {params['master_user_password_secret']}."
        )
    tags = merged_tags({}, params["tags"])
    if ctx.check_mode:
        return True, {}, rds.predicted_instance(params, master_username, tags)

    created = rds.create_db_instance(client, identifier, **rds.create_params(params, master_username, password, tags))
    if params["wait"]:
        created = wait_until_ready(client, identifier, params["wait_timeout"])
    return True, {}, rds.normalise_db_instance(created)


def ensure_present(client: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create or modify the instance (``client``: the ``rds``, ``secretsmanager`` and ``kms`` clients)."""
    changed, before, after = _present(client, params, ctx)
    return base.Outcome(changed, {"db_instance": after}, before=before, after=after)


def _present(clients: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> Tuple[bool, Dict[str, Any], Dict[str, Any]]:
    """Create or modify the instance. Returns ``(changed, before, after)``."""
    client = clients["rds"]
    check_mode = ctx.check_mode
    identifier = params["db_instance_identifier"]
    instance = rds.describe_db_instance(client, identifier)
    if instance is None:
        return create_instance(clients, params, ctx)

    status = instance.get("DBInstanceStatus")
    if status in ("deleting", "deleted"):
        raise TaskError(f"DB instance {identifier} is being deleted; wait until it is gone, then run the task again.")

    if params["wait"] and not check_mode and not rds.is_ready(instance):
        # Compare only once the instance is available: while it is creating (requested by an
        # earlier task or run with wait=false) RDS reports no endpoint and port 0, and refuses
        # ModifyDBInstance (InvalidDBInstanceState).
        instance = wait_until_ready(client, identifier, params["wait_timeout"])

    before = rds.normalise_db_instance(instance)
    changes, errors = rds.plan_modification(before, params)
    if sm.kms_key_change(clients["kms"], before.get("kms_key_id"), params["kms_key_id"]) is not False:
        # another key, or one KMS does not know
        errors.append(
            f"kms_key_id cannot change in place (instance has {before.get('kms_key_id')!r}, task asks for "
            f"{params['kms_key_id']!r}); set it to the current key, or restore a snapshot into a new instance "
            "encrypted with the new key"
        )
    if errors:
        raise TaskError(f"DB instance {identifier}: " + "; ".join(errors) + ".")
    to_set, to_remove = tag_changes(before["tags"], params["tags"], params["purge_tags"])

    if changes and not rds.is_ready(instance) and not check_mode:
        # wait=false and the instance is not available yet: RDS would refuse the modification (or
        # restart the instance for it). Leave it to a task with wait=true (the end-of-run wait).
        ctx.warn(
            f"DB instance {identifier} is {status}, not available: {', '.join(sorted(changes))} not changed yet; "
            "a task with wait: true (the end-of-run wait) waits until it is available and applies them."
        )
        changes = {}

    if not changes and not to_set and not to_remove:
        return False, before, before

    if check_mode:
        after = dict(before)
        after.update(changes)
        if "vpc_security_group_ids" in changes:
            after["vpc_security_group_ids"] = sorted(changes["vpc_security_group_ids"])
            after["vpc_security_groups"] = rds.security_groups_reached(changes["vpc_security_group_ids"])
        after["tags"] = merged_tags(before["tags"], params["tags"], params["purge_tags"])
        return True, before, after

    arn = instance["DBInstanceArn"]
    if to_remove:
        rds.remove_tags(client, arn, to_remove)
    if to_set:
        rds.add_tags(client, arn, to_set)
    if changes:
        rds.modify_db_instance(client, identifier, **rds.modify_params(before, changes, params["apply_immediately"]))
        if params["wait"]:
            wait_until_ready(client, identifier, params["wait_timeout"], require_no_pending=params["apply_immediately"])
    return True, before, rds.normalise_db_instance(rds.describe_db_instance(client, identifier))


def default_final_snapshot_identifier(identifier: str, now: Optional[datetime.datetime] = None) -> str:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return f"{identifier}-final-{now.strftime('%Y%m%d%H%M%S')}"


def ensure_absent(client: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete the instance, then, with ``delete_subnet_group``, its DB subnet group.

    ``db_instance`` is the instance as RDS reported it when the deletion started (``before`` in
    check mode), ``{}`` when there was nothing to delete; ``final_snapshot_identifier`` the final
    snapshot taken (or that would be), ``subnet_group_deleted`` whether the subnet group existed
    and was (or would be) deleted (see :func:`delete_subnet_group`).
    """
    rds_client = client["rds"]
    changed, before, last_state, snapshot_id = delete_instance(rds_client, params, ctx)
    result: Dict[str, Any] = {"db_instance": last_state}
    if snapshot_id:
        result["final_snapshot_identifier"] = snapshot_id
    if params["delete_subnet_group"]:
        result["subnet_group_deleted"] = delete_subnet_group(rds_client, params, ctx)
        changed = changed or result["subnet_group_deleted"]
    return base.Outcome(changed, result, before=before, after={})


def delete_instance(client: Any, params: Dict[str, Any], ctx: base.Context) -> Tuple[bool, Dict[str, Any], Dict[str, Any], Optional[str]]:
    """Delete the instance. Returns ``(changed, before, last_state, final_snapshot_identifier)``.

    ``last_state`` is the instance as RDS reported it when the deletion started (``before`` in
    check mode), ``{}`` when there was nothing to delete. With ``delete_subnet_group`` the deletion
    is waited for whatever ``wait`` says, so that the subnet group can go next.
    """
    check_mode = ctx.check_mode
    identifier = params["db_instance_identifier"]
    wait = params["wait"] or params.get("delete_subnet_group")
    instance = rds.describe_db_instance(client, identifier)
    if instance is None:
        return False, {}, {}, None
    before = rds.normalise_db_instance(instance)
    status = instance.get("DBInstanceStatus")
    if status in ("deleting", "deleted"):
        # Deleted by an earlier task or run (perhaps interrupted): wait for it all the same.
        if wait and not check_mode:
            wait_until_gone(client, identifier, params["wait_timeout"])
        return False, before, before, None

    if before["deletion_protection"] and not params["disable_deletion_protection"]:
        raise TaskError(
            f"DB instance {identifier} has deletion protection on; nothing was deleted. Set "
            "disable_deletion_protection: true to turn it off and delete the instance in this task."
        )
    snapshot_id = None
    if not params["skip_final_snapshot"]:
        snapshot_id = params["final_snapshot_identifier"] or default_final_snapshot_identifier(identifier)
        if status in rds.FAILED_STATUSES:
            raise TaskError(
                f"DB instance {identifier} is {status}: RDS cannot take a final snapshot of it, so nothing was "
                "deleted. Set skip_final_snapshot: true to delete it without one."
            )
    if check_mode:
        return True, before, before, snapshot_id

    if (snapshot_id or before["deletion_protection"]) and not rds.is_ready(instance) \
            and status not in rds.FAILED_STATUSES:
        # RDS refuses a final snapshot and a ModifyDBInstance (InvalidDBInstanceState) until the
        # instance is available, for example when the build was interrupted while it was creating.
        # Wait for that (up to wait_timeout) whatever wait says: wait is about the deletion itself.
        wait_until_ready(client, identifier, params["wait_timeout"])
    if before["deletion_protection"]:
        rds.modify_db_instance(client, identifier, DeletionProtection=False, ApplyImmediately=True)
    deleted = rds.delete_db_instance(
        client, identifier, params["skip_final_snapshot"], snapshot_id, params["delete_automated_backups"],
        timeout=params["wait_timeout"], note=ctx.note,
    )
    if wait:
        wait_until_gone(client, identifier, params["wait_timeout"])
    return True, before, rds.normalise_db_instance(deleted) if deleted else before, snapshot_id


def delete_subnet_group(client: Any, params: Dict[str, Any], ctx: base.Context) -> bool:
    """Delete ``db_subnet_group_name`` once no instance uses it. Returns whether it existed.

    Called after :func:`delete_instance` waited for the instance to be gone. AWS still answers
    InvalidDBSubnetGroupStateFault for a moment while it releases the instance's network
    interfaces; that is ridden out for up to ``wait_timeout`` seconds (each wait noted).
    """
    name = params["db_subnet_group_name"]
    if ctx.check_mode:
        return rds.describe_db_subnet_group(client, name) is not None
    return bool(rds.delete_db_subnet_group(client, name, timeout=params["wait_timeout"], note=ctx.note))


def main() -> None:
    argument_spec = dict(
        db_instance_identifier=dict(type="str", required=True, aliases=["id"]),
        engine=dict(type="str", default="postgres"),
        engine_version=dict(type="str"),
        db_instance_class=dict(type="str"),
        allocated_storage=dict(type="int"),
        max_allocated_storage=dict(type="int"),
        storage_type=dict(type="str", default="gp3"),
        storage_encrypted=dict(type="bool", default=True),
        kms_key_id=dict(type="str"),
        db_name=dict(type="str"),
        port=dict(type="int"),
        master_username=dict(type="str"),
        master_user_password_secret=dict(type="str", no_log=False),
        db_subnet_group_name=dict(type="str"),
        vpc_security_group_ids=dict(type="list", elements="str"),
        publicly_accessible=dict(type="bool", default=False),
        multi_az=dict(type="bool"),
        backup_retention_period=dict(type="int"),
        preferred_backup_window=dict(type="str"),
        deletion_protection=dict(type="bool"),
        copy_tags_to_snapshot=dict(type="bool", default=True),
        auto_minor_version_upgrade=dict(type="bool"),
        apply_immediately=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        skip_final_snapshot=dict(type="bool", default=False),
        final_snapshot_identifier=dict(type="str"),
        delete_automated_backups=dict(type="bool", default=False),
        disable_deletion_protection=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        delete_subnet_group=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec, supports_check_mode=True,
        required_if=[("delete_subnet_group", True, ["db_subnet_group_name"])],
    )
    clients = {
        "rds": mark_waits(aws_client(module, "rds")),
        "secretsmanager": aws_client(module, "secretsmanager"),
        "kms": aws_client(module, "kms"),
    }
    # Whatever the master secret holds is registered with ctx.secret (module.no_log_values) as
    # soon as it is read: masked in every result, warning and error of this task.
    base.run_state(module, clients, ensure_present, ensure_absent, errors=(TaskError,))


if __name__ == "__main__":
    main()
