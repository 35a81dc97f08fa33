#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ec2_subnets
version_added: 0.1.0
short_description: Manage all the subnets of a VPC in one call
description:
  - Creates, updates and deletes a set of subnets of one VPC in a single task.
  - Fills a gap of M(amazon.aws.ec2_vpc_subnet), which handles one subnet per task (one module
    run, one VPC look-up and one tag round trip per subnet); this module reads the VPC's subnets
    once and reconciles the whole list.
  - A subnet is identified by its CIDR block within the VPC. Its availability zone cannot change;
    a listed CIDR that exists in another AZ fails the task before anything is changed.
  - C(MapPublicIpOnLaunch) and the tags are updated in place.
  - New subnets are read back with a bounded retry, since EC2 is eventually consistent and a
    describe right after C(CreateSubnet) may not see the new subnet yet.
  - With O(state=absent), a subnet that AWS refuses to delete with C(DependencyViolation) (a
    network interface of a load balancer, database, cache, mount target, NAT gateway or task
    deleted a moment ago is still being released) is tried again for up to 5 minutes; each wait
    is listed in C(waited).
  - The C(Name) tag of each subnet is always set from its O(subnets[].name). When neither O(tags)
    nor O(subnets[].tags) is given, other tags are left alone; otherwise the subnet's tags become
    O(tags) merged with O(subnets[].tags) (the subnet's own win) plus C(Name), and
    O(purge_tags) removes the rest.
options:
  vpc_id:
    description:
      - ID of the VPC the subnets belong to.
    type: str
    required: true
  subnets:
    description:
      - The subnets to manage. With O(state=absent), the subnets to delete (matched by CIDR).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Value of the subnet's C(Name) tag.
        type: str
        required: true
      cidr:
        description:
          - IPv4 CIDR block of the subnet, e.g. C(10.0.1.0/24). Identifies the subnet within the VPC.
        type: str
        required: true
      az:
        description:
          - Availability zone of the subnet, e.g. C(us-east-1a).
        type: str
        required: true
      map_public_ip_on_launch:
        description:
          - Whether instances launched in the subnet get a public IPv4 address.
        type: bool
        default: false
      tags:
        description:
          - Extra tags for this subnet only, merged over O(tags).
        type: dict
  state:
    description:
      - V(present) creates or updates the listed subnets; V(absent) deletes them.
      - Subnets of the VPC that are not listed are never touched.
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
  - O(tags) are common to all subnets of the call.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Create the public and private subnets of the VPC
  apranova.aws_stack.ec2_subnets:
    vpc_id: "{{ vpc.vpc.id }}"
    subnets:
      - name: web-public-a
        cidr: 10.0.0.0/24
        az: us-east-1a
        map_public_ip_on_launch: true
      - name: web-public-b
        cidr: 10.0.1.0/24
        az: us-east-1b
        map_public_ip_on_launch: true
      - name: web-private-a
        cidr: 10.0.10.0/24
        az: us-east-1a
        tags:
          Tier: private
    tags:
      Project: web
  register: network_subnets

- name: Delete two subnets
  apranova.aws_stack.ec2_subnets:
    vpc_id: "{{ vpc.vpc.id }}"
    state: absent
    subnets:
      - {name: web-public-b, cidr: 10.0.1.0/24, az: us-east-1b}
      - {name: web-private-a, cidr: 10.0.10.0/24, az: us-east-1a}
"""

RETURN = r"""
subnets:
  description:
    - The listed subnets in input order, as read back from AWS after the changes.
    - In check mode, subnets that would be created have O(subnets[].name) etc. and C(id=null).
    - Empty with O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Subnet ID.
      type: str
      returned: always
      sample: subnet-0123456789abcdef0
    name:
      description: The C(Name) tag.
      type: str
      returned: always
      sample: web-public-a
    cidr_block:
      description: IPv4 CIDR block.
      type: str
      returned: always
      sample: 10.0.0.0/24
    availability_zone:
      description: Availability zone.
      type: str
      returned: always
      sample: us-east-1a
    map_public_ip_on_launch:
      description: Whether instances get a public IPv4 address at launch.
      type: bool
      returned: always
      sample: true
    vpc_id:
      description: VPC ID.
      type: str
      returned: always
      sample: vpc-0123456789abcdef0
    tags:
      description: Tags of the subnet (without C(aws:) tags).
      type: dict
      returned: always
      sample: {"Name": "web-public-a", "Project": "web"}
vpc_subnets:
  description:
    - Every subnet of O(vpc_id) after the run, the listed ones and any other, ordered by ID;
      the same keys as RV(subnets). The module reads them all to find its own, and the lookups later
      in the run take them from here instead of reading them again.
  returned: with O(state=present), not in check mode
  type: list
  elements: dict
  sample: [{"id": "subnet-0123456789abcdef0", "name": "web-public-a", "cidr_block": "10.0.0.0/24",
            "availability_zone": "us-east-1a", "map_public_ip_on_launch": true,
            "vpc_id": "vpc-0123456789abcdef0", "tags": {"Name": "web-public-a", "Tier": "public"}}]
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

from typing import Any, Dict, List

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client


def validate(subnets: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Canonicalise CIDRs and refuse duplicates; returns new dicts, raises ValueError."""
    result = []
    for subnet in subnets:
        result.append(dict(subnet, cidr=ec2.normalise_cidr(subnet["cidr"])))
    dup = ec2.duplicates([s["cidr"] for s in result])
    if dup:
        raise ValueError(f"CIDR {', '.join(dup)} is listed more than once in subnets: each subnet needs its own CIDR.")
    return result


def current_subnets(client: Any, vpc_id: str) -> Dict[str, Dict[str, Any]]:
    """``{cidr: normalised subnet}`` of the VPC's subnets; fails when the VPC does not exist.

    A subnet found in the VPC proves the VPC exists; only a VPC without subnets is looked up.
    """
    subnets = ec2.describe_subnets(client, vpc_id)
    if not subnets:
        ec2.require_vpc(client, vpc_id)
    return {s["CidrBlock"]: ec2.normalise_subnet(s) for s in subnets}


def vpc_subnets(current: Dict[str, Dict[str, Any]], result: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Every subnet of the VPC after the run: ``current`` (read before any change), the listed ones as ``result`` has them."""
    by_cidr = dict(current)
    by_cidr.update((s["cidr_block"], s) for s in result)
    return sorted(by_cidr.values(), key=lambda s: s["id"] or "")


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    vpc_id, subnets = params["vpc_id"], params["subnets"]
    current = current_subnets(client, vpc_id)

    plans = []
    for subnet in subnets:
        plan = ec2.plan_subnet(current.get(subnet["cidr"]), dict(subnet, vpc_id=vpc_id), params["tags"], params["purge_tags"])
        plans.append((subnet, plan))

    changed = any(ec2.plan_changes(plan) for _subnet, plan in plans)
    before = {"subnets": [current[s["cidr"]] for s in subnets if s["cidr"] in current]}
    if ctx.check_mode or not changed:
        result = [plan["after"] for _subnet, plan in plans]
        read = {} if ctx.check_mode else {"vpc_subnets": vpc_subnets(current, result)}
        return base.Outcome(changed, dict(read, subnets=result), before=before, after={"subnets": result})

    # The result is the plan's ``after`` with the ids AWS gave: CreateSubnet answers with the subnet,
    # and every call after it succeeded. No describe reads it back, since a describe right after a
    # create is what EC2's eventual consistency makes slow: AWS advises retrying it with backoff,
    # "starting with a couple of seconds" (EC2 developer guide, "Eventual consistency in the Amazon
    # EC2 API").
    result = []
    for subnet, plan in plans:
        if plan["create"]:
            created = ec2.create_subnet(client, vpc_id, subnet["cidr"], subnet["az"], plan["tags_to_set"])
            subnet_id = created["SubnetId"]
        else:
            subnet_id = current[subnet["cidr"]]["id"]
            ec2.update_tags(client, subnet_id, plan["tags_to_set"], plan["tags_to_remove"])
        if plan["map_public_ip_on_launch"] is not None:
            ec2.set_map_public_ip_on_launch(client, subnet_id, plan["map_public_ip_on_launch"])
        result.append(dict(plan["after"], id=subnet_id))
    return base.Outcome(changed, {"subnets": result, "vpc_subnets": vpc_subnets(current, result)}, before=before, after={"subnets": result})


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    current = current_subnets(client, params["vpc_id"])
    doomed = [current[s["cidr"]] for s in params["subnets"] if s["cidr"] in current]
    if not ctx.check_mode:
        for subnet in doomed:
            ec2.delete_subnet(client, subnet["id"], note=ctx.note)
    return base.Outcome(bool(doomed), {"subnets": []}, before={"subnets": doomed}, after={"subnets": []})


def main() -> None:
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        subnets=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                cidr=dict(type="str", required=True),
                az=dict(type="str", required=True),
                map_public_ip_on_launch=dict(type="bool", default=False),
                tags=dict(type="dict"),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        subnets = validate(module.params["subnets"])
    except ValueError as e:
        module.fail_json(msg=str(e))
    client = aws_client(module, "ec2")
    base.run_state(module, client, ensure_present, ensure_absent, params=dict(module.params, subnets=subnets))


if __name__ == "__main__":
    main()
