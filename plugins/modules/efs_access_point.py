#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: efs_access_point
short_description: Create, replace and delete one EFS access point, found by its Name tag
version_added: 0.1.0
description:
  - Manages one access point of an Amazon EFS file system, that is the POSIX user it enforces, its root
    directory (and how that directory is created) and its tags.
  - Fills a gap of the stock collections, which have no EFS access point module.
  - The access point is identified by its C(Name) tag among the access points of O(file_system_id).
  - Access points can't be changed except for their tags. When O(posix_user) or O(root_directory)
    differ from the existing access point, it is replaced (deleted, then created again with a new ID),
    which the task reports as changed, with a diff in diff mode.
author:
  - Apranova platform team (!UNKNOWN)
options:
  file_system_id:
    description:
      - ID of the file system.
    type: str
    required: true
  name:
    description:
      - Name of the access point, its C(Name) tag.
    type: str
    required: true
  posix_user:
    description:
      - The POSIX identity every request through the access point uses.
      - Unset leaves an existing access point's user alone (a new one enforces none).
    type: dict
    suboptions:
      uid:
        description: POSIX user ID.
        type: int
        required: true
      gid:
        description: POSIX group ID.
        type: int
        required: true
      secondary_gids:
        description: Secondary POSIX group IDs.
        type: list
        elements: int
  root_directory:
    description:
      - The directory of the file system the access point exposes as its root.
      - Unset leaves an existing access point's root alone (a new one exposes C(/)).
    type: dict
    suboptions:
      path:
        description: Path of the directory.
        type: str
        default: /
      creation_info:
        description:
          - Owner and permissions EFS gives the directory when it does not exist yet.
          - Unset leaves an existing access point alone on this point.
        type: dict
        suboptions:
          owner_uid:
            description: POSIX user ID of the owner.
            type: int
            required: true
          owner_gid:
            description: POSIX group ID of the owner.
            type: int
            required: true
          permissions:
            description: Octal permissions, such as C("755") (quote it, or YAML reads a number).
            type: str
            required: true
  state:
    description:
      - Whether the access point should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - The C(Name) tag always equals O(name); O(tags) may repeat it but not contradict it.
  - Support for check mode and diff mode. In check mode a new access point is returned with a null ID.
  - C(CreateAccessPoint) carries one idempotency C(ClientToken) for the call and all its retries, so
    a retried call whose first reply was lost returns the same access point instead of a second one.
"""

EXAMPLES = r"""
- name: Give the workspace containers their own directory as user 1000
  apranova.aws_stack.efs_access_point:
    file_system_id: "{{ efs.file_system.file_system_id }}"
    name: production-workspaces
    posix_user:
      uid: 1000
      gid: 1000
    root_directory:
      path: /workspaces
      creation_info:
        owner_uid: 1000
        owner_gid: 1000
        permissions: "755"
    tags:
      Environment: production
  register: access_point

- name: Delete it
  apranova.aws_stack.efs_access_point:
    file_system_id: fs-0123456789abcdef0
    name: production-workspaces
    state: absent
"""

RETURN = r"""
access_point:
  description: The access point after the task (as it would be, in check mode); empty when O(state=absent).
  returned: always
  type: dict
  contains:
    access_point_id:
      description: ID of the access point (null for one check mode would create).
      type: str
      returned: when state=present
      sample: fsap-0123456789abcdef0
    access_point_arn:
      description: ARN of the access point.
      type: str
      returned: when state=present
      sample: arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0
    file_system_id:
      description: ID of the file system.
      type: str
      returned: when state=present
      sample: fs-0123456789abcdef0
    name:
      description: The Name tag.
      type: str
      returned: when state=present
      sample: production-workspaces
    posix_user:
      description: The enforced POSIX user (C(uid), C(gid), sorted C(secondary_gids)); null when none.
      type: dict
      returned: when state=present
      sample: {"uid": 1000, "gid": 1000, "secondary_gids": []}
    root_directory:
      description: The root directory (C(path), and C(creation_info) with C(owner_uid), C(owner_gid), C(permissions), or null).
      type: dict
      returned: when state=present
      sample: {"path": "/workspaces", "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "755"}}
    life_cycle_state:
      description: State of the access point.
      type: str
      returned: when state=present
      sample: available
    tags:
      description: Tags of the access point, C(aws:) tags left out.
      type: dict
      returned: when state=present
      sample: {"Name": "production-workspaces", "Environment": "production"}
replaced:
  description: Whether the access point was (or, in check mode, would be) deleted and created again.
  returned: always
  type: bool
  sample: false
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

from typing import Any, Dict, List, Optional

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import efs
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes


def validate(params: Dict[str, Any]) -> List[str]:
    """Checks the argument spec can't express; returns error messages."""
    errors = []
    conflict = efs.name_tag_conflict(params, "access point")
    if conflict:
        errors.append(conflict)
    info = (params.get("root_directory") or {}).get("creation_info")
    if info:
        text = str(info["permissions"])
        if not (3 <= len(text) <= 4 and all(c in "01234567" for c in text)):
            errors.append(
                f"root_directory.creation_info.permissions must be 3 or 4 octal digits such as \"755\", not {text!r}; "
                "quote it in YAML."
            )
    return errors


def find_access_point(client: Any, file_system_id: str, name: str) -> Optional[dict]:
    """The raw access point of ``file_system_id`` named ``name``, or ``None``; several is an error."""
    matches = efs.find_access_points_by_name(efs.describe_access_points(client, file_system_id), name)
    return efs.single_named(matches, name, "AccessPointId", "access point", where=f" of {file_system_id}")


def planned(params: Dict[str, Any], current: Optional[dict], tags: Dict[str, Any]) -> dict:
    """The access point a create or replace will make (a replacement keeps settings left unset)."""
    current = current or {}
    posix_user = params.get("posix_user")
    root = params.get("root_directory")
    return {
        "access_point_id": None,
        "access_point_arn": None,
        "file_system_id": params["file_system_id"],
        "name": params["name"],
        "posix_user": efs.normalize_posix_user(efs.posix_user_to_api(posix_user))
        if posix_user is not None
        else current.get("posix_user"),
        "root_directory": merged_root(root, current.get("root_directory")),
        "life_cycle_state": "creating",
        "tags": {k: str(v) for k, v in tags.items()},
    }


def merged_root(option: Optional[dict], current: Optional[dict]) -> dict:
    """The normalised root directory a new access point gets: the option, with an unset
    ``creation_info`` kept from the access point it replaces (same path only)."""
    if option is None:
        return current or efs.normalize_root_directory(None)
    root = efs.normalize_root_directory(efs.root_directory_to_api(option))
    if root["creation_info"] is None and current and current.get("path") == root["path"]:
        root["creation_info"] = current.get("creation_info")
    return root


def create(client: Any, after: dict) -> dict:
    """Create the access point ``planned`` describes; returns it, normalised."""
    created = efs.create_access_point(
        client,
        after["file_system_id"],
        after["name"],
        posix_user=efs.posix_user_to_api(after.get("posix_user")),
        root_directory=efs.root_directory_to_api(after.get("root_directory")),
        tags=after["tags"],
    )
    return efs.normalize_access_point(created)


def outcome(changed: bool, replaced: bool, before: Optional[dict], after: Optional[dict]) -> base.Outcome:
    """The module's result: ``replaced`` and ``access_point`` (``{}`` when none)."""
    return base.Outcome(changed, {"replaced": replaced, "access_point": after or {}}, before=before, after=after)


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    fs_id = params["file_system_id"]
    # DescribeAccessPoints by FileSystemId answers FileSystemNotFound for a file system that does
    # not exist (read as none): an access point found proves its file system, else it is read.
    ap = find_access_point(client, fs_id, params["name"])
    if ap is None:
        efs.require_file_system(client, fs_id)
        want_tags, _purge = efs.desired_tags(params, {})
        after = planned(params, None, want_tags)
        if ctx.check_mode:
            return outcome(True, False, None, after)
        return outcome(True, False, None, create(client, after))

    current = efs.normalize_access_point(ap)
    want_tags, purge = efs.desired_tags(params, current["tags"])
    differences = efs.access_point_differences(current, params.get("posix_user"), params.get("root_directory"))
    if differences:
        # Immutable settings changed: delete and create again, keeping the tags the task wants.
        after = planned(params, current, merged_tags(current["tags"], want_tags, purge))
        if ctx.check_mode:
            return outcome(True, True, current, after)
        efs.delete_access_point(client, current["access_point_id"])
        return outcome(True, True, current, create(client, after))

    to_set, to_remove = tag_changes(current["tags"], want_tags, purge)
    if not (to_set or to_remove):
        return outcome(False, False, current, current)
    after = dict(current, tags=merged_tags(current["tags"], want_tags, purge))
    if ctx.check_mode:
        return outcome(True, False, current, after)
    efs.update_tags(client, current["access_point_id"], to_set, to_remove)
    fresh = find_access_point(client, fs_id, params["name"])
    return outcome(True, False, current, efs.normalize_access_point(fresh) if fresh else after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    fs_id = params["file_system_id"]
    if efs.get_file_system(client, fs_id) is None:
        return outcome(False, False, None, {})
    ap = find_access_point(client, fs_id, params["name"])
    if ap is None:
        return outcome(False, False, None, {})
    current = efs.normalize_access_point(ap)
    if not ctx.check_mode:
        efs.delete_access_point(client, current["access_point_id"])
    return outcome(True, False, current, {})


def main() -> None:
    argument_spec = dict(
        file_system_id=dict(type="str", required=True),
        name=dict(type="str", required=True),
        posix_user=dict(
            type="dict",
            options=dict(
                uid=dict(type="int", required=True),
                gid=dict(type="int", required=True),
                secondary_gids=dict(type="list", elements="int"),
            ),
        ),
        root_directory=dict(
            type="dict",
            options=dict(
                path=dict(type="str", default="/"),
                creation_info=dict(
                    type="dict",
                    options=dict(
                        owner_uid=dict(type="int", required=True),
                        owner_gid=dict(type="int", required=True),
                        permissions=dict(type="str", required=True),
                    ),
                ),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["state"] == "present":
        errors = validate(module.params)
        if errors:
            module.fail_json(msg=" ".join(errors))

    client = aws_client(module, "efs", efs.RETRY_CODES)
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
