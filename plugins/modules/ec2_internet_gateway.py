#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ec2_internet_gateway
version_added: 0.3.0
short_description: Manage the internet gateway of one VPC, with its tags
description:
  - Creates, attaches, tags, detaches and deletes the internet gateway of one VPC (O(vpc_id)); a VPC has at
    most one.
  - Fills a gap of M(amazon.aws.ec2_vpc_igw) - a run that changes nothing makes one API call here, a
    C(DescribeInternetGateways) filtered by C(attachment.vpc-id) whose answer holds the tags.
  - A new gateway is tagged at creation (C(TagSpecifications)), then attached. AWS may not know the id of a
    gateway created a moment ago yet (EC2 eventual consistency) - the attach rides out
    C(InvalidInternetGatewayID.NotFound) for up to two minutes; each wait is listed in C(waited).
  - C(CreateInternetGateway) takes no idempotency token. When no gateway is attached to the VPC and O(tags)
    hold a C(Name), a detached gateway with this C(Name) tag (left by an earlier run stopped between the create
    and the attach, or by a create whose reply was lost) is attached and adopted instead of creating a second
    one. That look-up is made only then, side by side with the check that the VPC exists.
  - With O(state=absent), the gateway is detached, then deleted. AWS refuses the detach with
    C(DependencyViolation) ("has some mapped public address(es)") while a NAT gateway or load balancer deleted
    a moment ago still maps a public address - it is tried again for up to 5 minutes; each wait is listed in
    C(waited). When no gateway is attached and O(tags) hold a C(Name), detached gateways with this C(Name) tag
    are deleted too.
options:
  vpc_id:
    description:
      - ID of the VPC whose internet gateway this is, e.g. C(vpc-0123456789abcdef0).
      - With O(state=present), the VPC must exist.
    type: str
    required: true
  state:
    description:
      - V(present) creates and attaches the gateway (or updates its tags); V(absent) detaches and deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
author:
  - Apranova platform team (@apranova)
notes:
  - O(tags) replace the gateway's tags (C(aws:) tags excepted) when set, with O(purge_tags=true); unset, the
    tags of an existing gateway are left alone.
  - Give the gateway a C(Name) tag - it is what lets an interrupted create be adopted rather than duplicated.
  - A gateway attached to another VPC is not this VPC's gateway and is never touched.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Create and attach the internet gateway
  apranova.aws_stack.ec2_internet_gateway:
    vpc_id: vpc-0123456789abcdef0
    tags:
      Name: production-igw
      Project: apranova
  register: igw

- name: Use its id
  ansible.builtin.debug:
    msg: "{{ igw.gateway.gateway_id }}"

- name: Detach and delete it
  apranova.aws_stack.ec2_internet_gateway:
    vpc_id: vpc-0123456789abcdef0
    tags:
      Name: production-igw
    state: absent
"""

RETURN = r"""
gateway:
  description:
    - The internet gateway after the change (in check mode, as it would be; C(gateway_id) is null for a gateway
      that would be created). Empty with O(state=absent).
    - C(gateway_id), C(vpc_id) and C(tags) are the keys of M(amazon.aws.ec2_vpc_igw)'s result.
  returned: always
  type: dict
  contains:
    gateway_id:
      description: ID of the internet gateway.
      returned: with O(state=present)
      type: str
      sample: igw-0123456789abcdef0
    vpc_id:
      description: ID of the VPC the gateway is attached to.
      returned: with O(state=present)
      type: str
      sample: vpc-0123456789abcdef0
    attachments:
      description: The gateway's attachments (one, to O(vpc_id)).
      returned: with O(state=present)
      type: list
      elements: dict
      sample: [{"state": "available", "vpc_id": "vpc-0123456789abcdef0"}]
    owner_id:
      description: The AWS account that owns the gateway (null for a gateway that would be created).
      returned: with O(state=present)
      type: str
      sample: "123456789012"
    tags:
      description: Tags of the gateway (without C(aws:) tags).
      returned: with O(state=present)
      type: dict
      sample: {"Name": "production-igw", "Project": "apranova"}
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

import re
from typing import Any, Dict, List, Optional

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits

VPC_ID = re.compile(r"^vpc-[0-9a-f]+$")


def validate(params: Dict[str, Any]) -> Dict[str, Any]:
    """The module's parameters with tag values as strings; ``ValueError`` for what AWS would refuse."""
    vpc_id = params.get("vpc_id") or ""
    if not VPC_ID.match(vpc_id):
        raise ValueError(f"vpc_id {vpc_id!r} is not a VPC ID: give the id of the VPC, e.g. vpc-0123456789abcdef0")
    tags = params.get("tags")
    return dict(params, tags=None if tags is None else {str(k): str(v) for k, v in tags.items()})


def gateway_name(params: Dict[str, Any]) -> Optional[str]:
    return (params.get("tags") or {}).get("Name")


def attached_gateway(client: Any, vpc_id: str) -> Optional[Dict[str, Any]]:
    """The gateway attached to ``vpc_id`` (one DescribeInternetGateways), or ``None``."""
    igws = ec2.describe_vpc_internet_gateways(client, vpc_id)
    if len(igws) > 1:  # AWS attaches one gateway per VPC; a reply that says otherwise is not acted upon
        ids = ", ".join(sorted(g["InternetGatewayId"] for g in igws))
        raise ValueError(f"{len(igws)} internet gateways are attached to VPC {vpc_id}: {ids}. Detach the extra ones and run again.")
    return igws[0] if igws else None


def as_attached(igw: Dict[str, Any], vpc_id: str) -> Dict[str, Any]:
    """``igw`` (raw) as it is once attached to ``vpc_id``."""
    return dict(igw, Attachments=[{"State": "available", "VpcId": vpc_id}])


def tag_plan(current: Dict[str, str], params: Dict[str, Any]):
    """``(to_set, to_remove, resulting_tags)`` of the ``tags``/``purge_tags`` update of ``current``."""
    to_set, to_remove = base.tag_changes(current, params["tags"], params["purge_tags"])
    return to_set, to_remove, base.merged_tags(current, params["tags"], params["purge_tags"])


def update(client: Any, current: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """The gateway attached to the VPC: its tags brought to ``tags``."""
    before = ec2.normalise_internet_gateway(current)
    to_set, to_remove, tags = tag_plan(before["tags"], params)
    after = dict(before, tags=tags)
    if not ctx.check_mode:
        ec2.update_tags(client, before["gateway_id"], to_set, to_remove)
    return base.Outcome(bool(to_set or to_remove), {"gateway": after}, before=before, after=after)


def create(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """No gateway attached: a detached one of this Name adopted, else a new one; attached either way."""
    vpc_id, name = params["vpc_id"], gateway_name(params)
    reads = [lambda: ec2.require_vpc(client, vpc_id)]
    if name:
        reads.append(lambda: ec2.describe_detached_internet_gateways(client, name))
    found = base.concurrently(reads)
    detached: List[Dict[str, Any]] = found[1] if name else []

    if detached:
        adopted = detached[0]
        igw_id = adopted["InternetGatewayId"]
        others = [g["InternetGatewayId"] for g in detached[1:]]
        if others:
            ctx.warn(f"Other detached internet gateways are named {name}: {', '.join(others)}. "
                     f"{igw_id} is attached to VPC {vpc_id}; delete the others if they are not used.")
        before = ec2.normalise_internet_gateway(adopted)
        to_set, to_remove, tags = tag_plan(before["tags"], params)
        after = dict(ec2.normalise_internet_gateway(as_attached(adopted, vpc_id)), tags=tags)
        if not ctx.check_mode:
            ec2.attach_internet_gateway(client, igw_id, vpc_id, timeout=ec2.JUST_CREATED_TIMEOUT, note=ctx.note)
            ec2.update_tags(client, igw_id, to_set, to_remove)
        return base.Outcome(True, {"gateway": after}, before=before, after=after)

    tags = dict(params["tags"] or {})
    if ctx.check_mode:
        after = ec2.normalise_internet_gateway(as_attached({"InternetGatewayId": None, "Tags": base.dict_to_tags(tags)}, vpc_id))
        return base.Outcome(True, {"gateway": after}, before={}, after=after)
    igw = ec2.create_internet_gateway(client, tags)
    ec2.attach_internet_gateway(client, igw["InternetGatewayId"], vpc_id, timeout=ec2.JUST_CREATED_TIMEOUT, note=ctx.note)
    after = ec2.normalise_internet_gateway(as_attached(igw, vpc_id))
    return base.Outcome(True, {"gateway": after}, before={}, after=after)


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    current = attached_gateway(client, params["vpc_id"])
    if current is not None:
        return update(client, current, params, ctx)
    return create(client, params, ctx)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    vpc_id, name = params["vpc_id"], gateway_name(params)
    current = attached_gateway(client, vpc_id)
    if current is not None:
        gateways = [current]
    else:
        gateways = ec2.describe_detached_internet_gateways(client, name) if name else []
    if not gateways:
        return base.Outcome(False, {"gateway": {}}, before={}, after={})
    before_list = [ec2.normalise_internet_gateway(g) for g in gateways]
    before = before_list[0] if len(before_list) == 1 else before_list
    changed = True
    if not ctx.check_mode:
        changed = False
        for igw in gateways:
            igw_id = igw["InternetGatewayId"]
            for attached_to in ec2.igw_attached_vpcs(igw):
                changed |= ec2.detach_internet_gateway(client, igw_id, attached_to, note=ctx.note)
            changed |= ec2.delete_internet_gateway(client, igw_id, note=ctx.note)
    return base.Outcome(changed, {"gateway": {}}, before=before, after={})


def main() -> None:
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        params = validate(module.params)
    except ValueError as e:
        module.fail_json(msg=str(e))
    client = mark_waits(aws_client(module, "ec2"))
    base.run_state(module, client, ensure_present, ensure_absent, params=params)


if __name__ == "__main__":
    main()
