#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: secretsmanager_password
short_description: Manage a Secrets Manager secret that holds a generated password
version_added: 0.1.0
description:
  - Creates an AWS Secrets Manager secret whose value is a password generated inside the module
    (with Python's C(secrets) generator), stored as a JSON object with the keys C(username) (when
    O(username) is set) and C(password).
  - Fills a gap of the stock C(community.aws.secretsmanager_secret) module, which needs the value
    as a task argument, so the password would pass through Ansible variables, facts and logs.
    Here the value never leaves AWS and the module; it is never returned or logged.
  - Once the secret exists its value is never read or changed; only O(description),
    O(kms_key_id) and tags are reconciled. A secret scheduled for deletion is restored with its
    old value when O(state=present).
  - Rotate the password with Secrets Manager rotation, not with this module.
options:
  name:
    description:
      - Name of the secret. An existing secret may also be found by its ARN.
    type: str
    required: true
  description:
    description:
      - Description of the secret. Left alone when not set.
    type: str
  username:
    description:
      - User name stored next to the password, as the C(username) key of the JSON object.
      - Without it the document holds only the C(password) key.
      - Used only when the secret is created; the value of an existing secret is never changed.
    type: str
  password_length:
    description:
      - Length of the generated password, 8 to 4096.
      - Used only when the secret is created.
    type: int
    default: 32
  exclude_characters:
    description:
      - Characters never used in the generated password.
      - The default is the set RDS refuses in a master password (V(/), V(@), V(") and space) plus
        V(') and the backslash.
      - Used only when the secret is created.
    type: str
    default: "/@\"' \\"
  kms_key_id:
    description:
      - KMS key (id, ARN, alias name or alias ARN) that encrypts the secret.
      - Without it a new secret uses the account's C(aws/secretsmanager) key and an existing
        secret's key is left alone.
    type: str
  recovery_window_in_days:
    description:
      - With O(state=absent), how many days (7 to 30) Secrets Manager keeps the deleted secret
        restorable.
      - V(0) deletes the secret at once without recovery; a secret already scheduled for
        deletion is then deleted for good.
    type: int
    default: 30
  state:
    description:
      - V(present) creates (or restores) the secret; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode; the diff never contains the secret value.
author:
  - Apranova platform team (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Create the database master credential
  apranova.aws_stack.secretsmanager_password:
    name: apranova/production/db-master
    description: Master credential of the production PostgreSQL instance
    username: apranova_admin
    tags:
      Project: apranova
  register: db_secret

- name: Use its ARN, never its value
  apranova.aws_stack.rds_db_instance:
    id: apranova-production
    master_user_password_secret: "{{ db_secret.secret.arn }}"
    db_instance_class: db.t3.micro
    allocated_storage: 20

- name: Delete it at once, without a recovery window
  apranova.aws_stack.secretsmanager_password:
    name: apranova/production/db-master
    state: absent
    recovery_window_in_days: 0
"""

RETURN = r"""
secret:
  description:
    - The secret, without its value. Empty after a deletion without recovery window, or when
      O(state=absent) and the secret did not exist.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the secret (V(null) in check mode before creation).
      returned: when the secret exists
      type: str
      sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:apranova/db-master-AbCdEf
    name:
      description: Name of the secret.
      returned: when the secret exists
      type: str
      sample: apranova/db-master
    description:
      description: Description of the secret.
      returned: when the secret exists
      type: str
      sample: Master credential of the production PostgreSQL instance
    kms_key_id:
      description: KMS key of the secret; V(null) for the account's default key.
      returned: when the secret exists
      type: str
      sample: arn:aws:kms:us-east-1:123456789012:key/0b4f0d2c-8a4e-4bb4-9a3e-1b1c5f7e8d9a
    tags:
      description: Tags of the secret.
      returned: when the secret exists
      type: dict
      sample: {"Project": "apranova"}
    version_id:
      description: Id of the version labelled C(AWSCURRENT).
      returned: when the secret exists, except in check mode before creation
      type: str
      sample: 7c9c4c3e-2d45-4a5c-9a3b-0f1e2d3c4b5a
    deleted_date:
      description: The C(DeletedDate) Secrets Manager reports for a secret scheduled for deletion.
      returned: when the secret is scheduled for deletion
      type: str
      sample: "2026-12-25T18:09:12+00:00"
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

from typing import Any, Dict, Optional

try:
    import botocore  # noqa: F401  pylint: disable=unused-import
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils import secretsmanager as sm


def kms_key_changed(kms_client: Any, current: Optional[str], desired: Optional[str]) -> bool:
    """True when ``desired`` (set) names a different KMS key than ``current``."""
    change = sm.kms_key_change(kms_client, current, desired)
    if change is None:
        raise ValueError(f"KMS key {desired} was not found; set kms_key_id to an existing key id, ARN or alias.")
    return change


def ensure_present(client: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create, restore and/or update the secret (``client``: the ``secretsmanager`` and ``kms`` clients).

    A new secret's generated password is registered with ``ctx.secret`` before it is stored.
    """
    sm_client = client["secretsmanager"]
    name = params["name"]
    current = sm.describe_secret(sm_client, name)
    if current is None:
        after = {"arn": None, "name": name, "description": params["description"],
                 "kms_key_id": params["kms_key_id"], "tags": merged_tags({}, params["tags"])}
        if ctx.check_mode:
            return _outcome(True, {}, after)
        password = sm.generate_password(params["password_length"], params["exclude_characters"])
        ctx.secret(password)
        secret_string = sm.build_secret_string(password, params["username"])
        created = sm.create_secret(sm_client, name, secret_string, description=params["description"],
                                   kms_key_id=params["kms_key_id"], tags=params["tags"])
        described = sm.describe_secret(sm_client, created["ARN"])
        return _outcome(True, {}, sm.normalise_secret(described) if described else after)

    before = sm.normalise_secret(current)
    arn = current["ARN"]
    restore = bool(current.get("DeletedDate"))
    new_description = None
    if params["description"] is not None and params["description"] != (current.get("Description") or ""):
        new_description = params["description"]
    new_kms = params["kms_key_id"] if kms_key_changed(client["kms"], current.get("KmsKeyId"), params["kms_key_id"]) else None
    to_set, to_remove = tag_changes(before["tags"], params["tags"], params["purge_tags"])

    changed = bool(restore or new_description is not None or new_kms is not None or to_set or to_remove)
    if not changed:
        return _outcome(False, before, before)
    if ctx.check_mode:
        after = dict(before)
        after.pop("deleted_date", None)
        if new_description is not None:
            after["description"] = new_description
        if new_kms is not None:
            after["kms_key_id"] = new_kms
        after["tags"] = merged_tags(before["tags"], params["tags"], params["purge_tags"])
        return _outcome(True, before, after)

    if restore:
        sm.restore_secret(sm_client, arn)
    sm.update_secret(sm_client, arn, description=new_description, kms_key_id=new_kms)
    if to_remove:
        sm.untag_secret(sm_client, arn, to_remove)
    if to_set:
        sm.tag_secret(sm_client, arn, to_set)
    return _outcome(True, before, sm.normalise_secret(sm.describe_secret(sm_client, arn)))


def ensure_absent(client: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Schedule the deletion (or delete at once)."""
    sm_client = client["secretsmanager"]
    window = params["recovery_window_in_days"]
    current = sm.describe_secret(sm_client, params["name"])
    if current is None:
        return _outcome(False, {}, {})
    before = sm.normalise_secret(current)
    if current.get("DeletedDate") and window != 0:
        return _outcome(False, before, before)
    if ctx.check_mode:
        return _outcome(True, before, {})
    sm.delete_secret(sm_client, current["ARN"], window)
    after = sm.describe_secret(sm_client, current["ARN"])
    return _outcome(True, before, sm.normalise_secret(after))


def _outcome(changed: bool, before: Dict[str, Any], after: Dict[str, Any]) -> base.Outcome:
    """The secret (never its value) as the result, and the diff."""
    return base.Outcome(changed, {"secret": after}, before=before, after=after)


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        username=dict(type="str"),
        password_length=dict(type="int", default=32, no_log=False),
        exclude_characters=dict(type="str", default=sm.DEFAULT_EXCLUDE_CHARACTERS),
        kms_key_id=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        recovery_window_in_days=dict(type="int", default=30),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    error = sm.validate_password_options(params["password_length"], params["exclude_characters"])
    if error:
        module.fail_json(msg=error)
    window = params["recovery_window_in_days"]
    if window != 0 and not 7 <= window <= 30:
        module.fail_json(msg=f"recovery_window_in_days must be 0 (delete at once) or 7 to 30, got {window}.")

    clients = {"secretsmanager": aws_client(module, "secretsmanager"), "kms": aws_client(module, "kms")}
    base.run_state(module, clients, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
