#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: efs_mount_target
short_description: Reconcile the set of mount targets of one EFS file system
version_added: 0.1.0
description:
  - Manages the mount targets of one Amazon EFS file system as a set, one per subnet. It creates the
    missing ones, changes their security groups in place, and optionally removes the ones in subnets
    that are not listed.
  - Fills a gap of the stock collections, which have no mount target module (M(community.aws.efs)
    only takes targets at creation, fails on endpoints without the legacy C(DescribeTags) API such as
    moto, and has no check mode).
  - A file system has at most one mount target per availability zone. A listed subnet in a zone that
    already has a mount target of this file system in another subnet replaces that mount target when
    O(purge_mount_targets=true), and is an error otherwise.
author:
  - Apranova platform team (!UNKNOWN)
options:
  file_system_id:
    description:
      - ID of the file system.
    type: str
    required: true
  mount_targets:
    description:
      - The mount targets, one per subnet.
      - With O(state=present), required (an empty list with O(purge_mount_targets=true) removes all).
      - With O(state=absent), the mount targets in these subnets are deleted (only O(mount_targets[].subnet_id)
        is used); omitted, all mount targets of the file system are deleted.
    type: list
    elements: dict
    suboptions:
      subnet_id:
        description: ID of the subnet.
        type: str
        required: true
      security_groups:
        description:
          - Security groups of the mount target, by ID (C(sg-...)) or by group name in the subnet's VPC.
          - Unset leaves the groups of an existing mount target alone (a new one gets the VPC's default group).
          - Changed in place with C(ModifyMountTargetSecurityGroups).
        type: list
        elements: str
      ip_address:
        description:
          - IPv4 address of the mount target in the subnet; unset lets AWS pick one.
          - Can't be changed in place; a different address replaces the mount target only when
            O(purge_mount_targets=true), and is an error otherwise.
        type: str
  purge_mount_targets:
    description:
      - With O(state=present), delete the mount targets in subnets that are not listed, and replace mount
        targets that can't be changed in place (another subnet of the same zone, another IP address).
    type: bool
    default: false
  state:
    description:
      - Whether the listed mount targets should exist.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until all created mount targets are C(available) and all deleted ones are gone (all together,
        not one after another). Listed mount targets still C(creating) from an earlier run with
        O(wait=false) are waited for too.
      - Mount targets deleted to make room for a replacement in the same zone are always waited for.
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
  - amazon.aws.boto3
notes:
  - Support for check mode and diff mode. In check mode a new mount target is returned with a null ID.
  - The C(diff) holds the C(mount_targets) of the file system before and after.
"""

EXAMPLES = r"""
- name: Mount the workspaces file system in both private subnets
  apranova.aws_stack.efs_mount_target:
    file_system_id: "{{ efs.file_system.file_system_id }}"
    mount_targets:
      - subnet_id: subnet-0aaa1111bbbb22223
        security_groups: [production-efs-sg]
      - subnet_id: subnet-0ccc3333dddd44445
        security_groups: [production-efs-sg]
    purge_mount_targets: true
  register: efs_mounts

- name: Remove every mount target of the file system
  apranova.aws_stack.efs_mount_target:
    file_system_id: fs-0123456789abcdef0
    state: absent
"""

RETURN = r"""
mount_targets:
  description:
    - All mount targets of the file system after the task (as they would be, in check mode), sorted by
      zone and subnet. Empty when the file system does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    mount_target_id:
      description: ID of the mount target (null for one check mode would create).
      type: str
      returned: always
      sample: fsmt-0123456789abcdef0
    subnet_id:
      description: Subnet of the mount target.
      type: str
      returned: always
      sample: subnet-0aaa1111bbbb22223
    availability_zone_name:
      description: Availability zone of the subnet.
      type: str
      returned: always
      sample: us-east-1a
    ip_address:
      description: IPv4 address of the mount target.
      type: str
      returned: always
      sample: 10.0.1.25
    network_interface_id:
      description: Elastic network interface of the mount target.
      type: str
      returned: always
      sample: eni-0123456789abcdef0
    security_groups:
      description: Security group IDs, sorted.
      type: list
      elements: str
      returned: always
      sample: [sg-0123456789abcdef0]
    life_cycle_state:
      description: State of the mount target.
      type: str
      returned: always
      sample: available
    vpc_id:
      description: VPC of the mount target.
      type: str
      returned: always
      sample: vpc-0123456789abcdef0
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

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_security_groups
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import describe_subnets
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import efs
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client


def subnet_info(ec2: Any, subnet_ids: List[str]) -> Dict[str, dict]:
    """``{subnet_id: {"availability_zone", "vpc_id"}}`` for the subnets that exist."""
    if not subnet_ids:
        return {}
    found = describe_subnets(ec2, Filters=[{"Name": "subnet-id", "Values": sorted(set(subnet_ids))}])
    return {
        s["SubnetId"]: {"availability_zone": s.get("AvailabilityZone"), "vpc_id": s.get("VpcId")} for s in found or []
    }


def resolve_groups(ec2: Any, groups: Optional[List[str]], vpc_id: str) -> Optional[List[str]]:
    """Security group IDs for a list of IDs and/or names (names looked up in ``vpc_id``)."""
    if groups is None:
        return None
    names = sorted({g for g in groups if not g.startswith("sg-")})
    ids = {g for g in groups if g.startswith("sg-")}
    if names:
        found = describe_security_groups(
            ec2, Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": names}]
        )
        by_name = {g["GroupName"]: g["GroupId"] for g in found or []}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise efs.AnsibleEFSError(
                message=f"Security group(s) {', '.join(missing)} not found in {vpc_id}; give existing group names or sg- IDs."
            )
        ids.update(by_name[n] for n in names)
    return sorted(ids)


def desired_targets(ec2: Any, mount_targets: Optional[List[dict]], subnets: Dict[str, dict]) -> List[dict]:
    desired = []
    for item in mount_targets or []:
        info = subnets.get(item["subnet_id"])
        groups = item.get("security_groups")
        if info is not None:
            groups = resolve_groups(ec2, groups, info["vpc_id"])
        desired.append({"subnet_id": item["subnet_id"], "security_groups": groups, "ip_address": item.get("ip_address")})
    return desired


def predicted(current: List[dict], plan: dict, subnets: Dict[str, dict]) -> List[dict]:
    """The mount targets as they will be after ``plan``."""
    deleted = {m["mount_target_id"] for m in plan["delete"]}
    groups = {m["mount_target_id"]: g for m, g in plan["modify"]}
    after = []
    for m in current:
        if m["mount_target_id"] in deleted:
            continue
        m = dict(m)
        if m["mount_target_id"] in groups:
            m["security_groups"] = groups[m["mount_target_id"]]
        after.append(m)
    for want in plan["create"]:
        info = subnets[want["subnet_id"]]
        after.append(
            {
                "mount_target_id": None,
                "subnet_id": want["subnet_id"],
                "availability_zone_name": info.get("availability_zone"),
                "ip_address": want.get("ip_address"),
                "network_interface_id": None,
                "security_groups": sorted(want.get("security_groups") or []),
                "life_cycle_state": "creating",
                "vpc_id": info.get("vpc_id"),
            }
        )
    return sorted(after, key=lambda m: (m.get("availability_zone_name") or "", m["subnet_id"]))


def outcome(changed: bool, before: List[dict], after: List[dict]) -> base.Outcome:
    """The module's result (``mount_targets``: the ones after the task) and its diff."""
    return base.Outcome(changed, {"mount_targets": after}, before={"mount_targets": before}, after={"mount_targets": after})


def ensure_present(clients: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """``clients``: ``{"efs": ..., "ec2": ...}`` (subnets and security groups are looked up in EC2)."""
    client, ec2 = clients["efs"], clients["ec2"]
    fs_id = params["file_system_id"]
    wanted = params["mount_targets"] or []

    # The mount targets first. A file system with a mount target exists (DeleteFileSystem refuses
    # one that has any: EFS API doc), and a subnet with one exists, in the mount target's zone and
    # VPC: on a built stack nothing else is read. Else the file system (DescribeMountTargets answers
    # none for one that does not exist) and the other subnets (EC2) are read side by side.
    current = efs.list_mount_targets(client, fs_id)
    subnets = {m["subnet_id"]: {"availability_zone": m.get("availability_zone_name"), "vpc_id": m.get("vpc_id")} for m in current}
    unknown = [m["subnet_id"] for m in wanted if m["subnet_id"] not in subnets]
    if not current or unknown:
        _fs, found = base.concurrently([(lambda: None) if current else (lambda: efs.require_file_system(client, fs_id)),
                                        lambda: subnet_info(ec2, unknown)])
        subnets.update(found)
    desired = desired_targets(ec2, wanted, subnets)
    errors, plan = efs.plan_mount_targets(current, desired, subnets, params["purge_mount_targets"])
    if errors:
        raise efs.AnsibleEFSError(message=" ".join(errors))
    changed = bool(plan["create"] or plan["modify"] or plan["delete"])
    after = predicted(current, plan, subnets)
    # Mount targets requested earlier (by a run with wait=false) and still coming up.
    doomed = {m["mount_target_id"] for m in plan["delete"]}
    creating = [m["mount_target_id"] for m in current
                if m.get("life_cycle_state") == "creating" and m["mount_target_id"] not in doomed]
    if ctx.check_mode:
        return outcome(changed, current, after)
    if not changed:
        if params["wait"] and creating:
            efs.wait_mount_targets(client, fs_id, available=creating, timeout=params["wait_timeout"])
            return outcome(False, current, efs.list_mount_targets(client, fs_id))
        return outcome(False, current, after)

    deleted = [m["mount_target_id"] for m in plan["delete"]]
    for mt_id in deleted:
        efs.delete_mount_target(client, mt_id)
    if deleted and (plan["create"] or params["wait"]):
        # A replacement in the same zone can only be created once the old one is gone.
        efs.wait_mount_targets(client, fs_id, deleted=deleted, timeout=params["wait_timeout"])
    created = []
    for want in plan["create"]:
        mt = efs.create_mount_target(
            client, fs_id, want["subnet_id"], security_groups=want.get("security_groups"), ip_address=want.get("ip_address")
        )
        created.append(mt["MountTargetId"])
    for existing, groups in plan["modify"]:
        efs.modify_mount_target_security_groups(client, existing["mount_target_id"], groups)
    if params["wait"] and (created or creating):
        efs.wait_mount_targets(client, fs_id, available=created + creating, timeout=params["wait_timeout"])
    return outcome(True, current, efs.list_mount_targets(client, fs_id))


def ensure_absent(clients: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """``clients``: ``{"efs": ..., "ec2": ...}`` (only EFS is called)."""
    client = clients["efs"]
    fs_id = params["file_system_id"]
    if efs.get_file_system(client, fs_id) is None:
        return outcome(False, [], [])
    current = efs.list_mount_targets(client, fs_id)
    if params["mount_targets"] is None:
        targets = list(current)
    else:
        listed = {m["subnet_id"] for m in params["mount_targets"]}
        targets = [m for m in current if m["subnet_id"] in listed]
    if not targets:
        return outcome(False, current, current)
    gone = {m["mount_target_id"] for m in targets}
    after = [m for m in current if m["mount_target_id"] not in gone]
    if ctx.check_mode:
        return outcome(True, current, after)
    for mt_id in sorted(gone):
        efs.delete_mount_target(client, mt_id)
    if params["wait"]:
        efs.wait_mount_targets(client, fs_id, deleted=gone, timeout=params["wait_timeout"])
    return outcome(True, current, efs.list_mount_targets(client, fs_id))


def main() -> None:
    argument_spec = dict(
        file_system_id=dict(type="str", required=True),
        mount_targets=dict(
            type="list",
            elements="dict",
            options=dict(
                subnet_id=dict(type="str", required=True),
                security_groups=dict(type="list", elements="str"),
                ip_address=dict(type="str"),
            ),
        ),
        purge_mount_targets=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["mount_targets"])],
    )
    clients = {"efs": mark_waits(aws_client(module, "efs", efs.RETRY_CODES)), "ec2": aws_client(module, "ec2")}
    base.run_state(module, clients, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
