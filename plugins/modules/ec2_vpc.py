#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ec2_vpc
version_added: 0.3.0
short_description: Manage one VPC, found by its Name tag and CIDR block, with its DNS attributes and tags
description:
  - Creates, updates and deletes one Amazon VPC, identified like M(amazon.aws.ec2_vpc_net) does it - by
    its C(Name) tag (O(name)) and its primary IPv4 CIDR block (O(cidr_block)).
  - Fills a gap of M(amazon.aws.ec2_vpc_net) - a run that changes nothing makes eleven API calls one after
    another there (VPC look-ups, waiters, tag and attribute reads, each attribute read twice). Here it makes
    three - one C(DescribeVpcs) filtered by the Name tag, whose answer holds the tags and CIDR blocks, then the
    two C(DescribeVpcAttribute) reads (DNS support, DNS hostnames) side by side.
  - More than one VPC with this Name tag and CIDR block fails the task, naming their ids; nothing is changed.
    A VPC with this Name tag but another CIDR block is not this VPC (a VPC's primary CIDR block cannot change)
    - a new one is created, with a warning naming the others.
  - A new VPC is tagged at creation (C(TagSpecifications)), so it is never without its Name tag, even when the
    run is stopped right after C(CreateVpc). C(CreateVpc) takes no idempotency token - a retry of a create
    whose reply was lost adopts the VPC that the lost attempt made instead of creating a second one.
  - The DNS attributes are changed one per call, as AWS requires - DNS support is turned on before DNS
    hostnames, and hostnames off before support. A VPC created a moment ago that the next call does not
    see yet (EC2 eventual consistency) is tried again for up to two minutes; each wait is listed in C(waited).
  - With O(state=absent), a VPC that AWS refuses to delete with C(DependencyViolation) (what was in it,
    deleted a moment ago, is still being released) is tried again for up to 5 minutes; each wait is listed
    in C(waited). What is still in the VPC (subnets, gateways, security groups) is never deleted here.
  - A VPC to delete can be named by its id (O(vpc_id)) instead, e.g. the one a look-up found earlier in the
    play - one C(DescribeVpcs) of that id, then C(DeleteVpc).
options:
  name:
    description:
      - Value of the VPC's C(Name) tag; with O(cidr_block), identifies the VPC.
      - The C(Name) tag is always set to it, whatever O(tags) holds.
      - Required, unless O(vpc_id) is given (then it must not be).
    type: str
  vpc_id:
    description:
      - ID of the VPC to delete, e.g. C(vpc-0123456789abcdef0); only with O(state=absent), instead of O(name)
        and O(cidr_block).
      - A VPC of this id that does not exist (any more) is nothing to delete.
    type: str
  cidr_block:
    description:
      - Primary IPv4 CIDR block of the VPC, between C(/16) and C(/28), e.g. C(10.0.0.0/16).
      - Required with O(state=present). With O(state=absent), when unset, the VPC is found by O(name) alone.
    type: str
  dns_support:
    description:
      - The C(enableDnsSupport) attribute - whether the Amazon DNS server resolves names in the VPC.
      - Unset leaves the attribute of an existing VPC alone; a new VPC gets V(true).
    type: bool
  dns_hostnames:
    description:
      - The C(enableDnsHostnames) attribute - whether instances with public addresses get public DNS hostnames.
      - Needs DNS support (O(dns_support)); V(true) with O(dns_support=false) fails before any API call.
      - Unset leaves the attribute of an existing VPC alone; a new VPC gets V(true) (V(false) with
        O(dns_support=false)).
    type: bool
  instance_tenancy:
    description:
      - Tenancy of the instances launched in the VPC, set when the VPC is created.
      - An existing VPC of another tenancy is left as it is, with a warning.
      - Unset, a new VPC gets AWS's default, V(default).
    type: str
    choices: [default, dedicated]
  state:
    description:
      - V(present) creates or updates the VPC; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - With O(state=present), wait until a VPC just created (or found C(pending)) is C(available).
      - A VPC whose DNS attributes are to be set is always waited for.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for C(available).
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
author:
  - Apranova platform team (@apranova)
notes:
  - O(tags) replace the VPC's tags (C(aws:) tags excepted) when set, with O(purge_tags=true); the C(Name)
    tag is always O(name). When O(tags) is unset, only the C(Name) tag is managed.
  - Secondary CIDR blocks, IPv6 blocks and DHCP options are not managed here; they are returned as they are.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Create the VPC with DNS support and hostnames
  apranova.aws_stack.ec2_vpc:
    name: production-vpc
    cidr_block: 10.0.0.0/16
    dns_support: true
    dns_hostnames: true
    tags:
      Project: apranova
      Environment: production
  register: vpc

- name: Use its id
  ansible.builtin.debug:
    msg: "{{ vpc.vpc.id }}"

- name: Delete the VPC (empty by now)
  apranova.aws_stack.ec2_vpc:
    name: production-vpc
    cidr_block: 10.0.0.0/16
    state: absent

- name: Delete the VPC found earlier, by its id
  apranova.aws_stack.ec2_vpc:
    vpc_id: "{{ vpc.vpc.id }}"
    state: absent
"""

RETURN = r"""
vpc:
  description:
    - The VPC after the change (in check mode, as it would be; C(id) is null for a VPC that would be
      created). Empty with O(state=absent).
    - The keys of M(amazon.aws.ec2_vpc_net)'s C(vpc), plus C(dns_support) and C(dns_hostnames).
  returned: always
  type: dict
  contains:
    id:
      description: VPC ID.
      returned: when the VPC exists
      type: str
      sample: vpc-0123456789abcdef0
    name:
      description: The C(Name) tag.
      returned: when the VPC exists
      type: str
      sample: production-vpc
    cidr_block:
      description: Primary IPv4 CIDR block.
      returned: when the VPC exists
      type: str
      sample: 10.0.0.0/16
    cidr_block_association_set:
      description: IPv4 CIDR blocks associated with the VPC.
      returned: when the VPC exists
      type: list
      elements: dict
      sample: [{"association_id": "vpc-cidr-assoc-0123456789abcdef0", "cidr_block": "10.0.0.0/16",
                "cidr_block_state": {"state": "associated"}}]
    ipv6_cidr_block_association_set:
      description: IPv6 CIDR blocks associated with the VPC.
      returned: when the VPC exists
      type: list
      elements: dict
      sample: []
    dhcp_options_id:
      description: ID of the DHCP options set of the VPC.
      returned: when the VPC exists
      type: str
      sample: dopt-0123456789abcdef0
    instance_tenancy:
      description: Instance tenancy of the VPC.
      returned: when the VPC exists
      type: str
      sample: default
    is_default:
      description: Whether this is the region's default VPC.
      returned: when the VPC exists
      type: bool
      sample: false
    owner_id:
      description: The AWS account that owns the VPC.
      returned: when the VPC exists
      type: str
      sample: "123456789012"
    state:
      description: State of the VPC.
      returned: when the VPC exists
      type: str
      sample: available
    tags:
      description: Tags of the VPC (without C(aws:) tags), C(Name) included.
      returned: when the VPC exists
      type: dict
      sample: {"Name": "production-vpc", "Project": "apranova"}
    dns_support:
      description: The C(enableDnsSupport) attribute.
      returned: with O(state=present)
      type: bool
      sample: true
    dns_hostnames:
      description: The C(enableDnsHostnames) attribute.
      returned: with O(state=present)
      type: bool
      sample: true
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

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits

VPC_ID = re.compile(r"^vpc-[0-9a-f]+$")


def validate(params: Dict[str, Any]) -> Dict[str, Any]:
    """The module's parameters with ``cidr_block`` canonical; ``ValueError`` for what AWS would refuse."""
    vpc_id = params.get("vpc_id")
    if vpc_id is not None:
        if params.get("name") is not None or params.get("cidr_block") is not None:
            raise ValueError("vpc_id names the VPC to delete by itself: give vpc_id alone, or name (and cidr_block)")
        if params["state"] != "absent":
            raise ValueError("vpc_id is for state: absent only; to create or update a VPC give name and cidr_block")
        if not VPC_ID.match(vpc_id):
            raise ValueError(f"vpc_id {vpc_id!r} is not a VPC ID: give the id of the VPC, e.g. vpc-0123456789abcdef0")
        return dict(params)
    if not params.get("name"):
        raise ValueError("name is required (or, with state: absent, vpc_id)")
    if params["state"] == "present" and not params.get("cidr_block"):
        raise ValueError("cidr_block is required with state: present (e.g. cidr_block: 10.0.0.0/16)")
    if params.get("dns_hostnames") and params.get("dns_support") is False:
        raise ValueError("DNS hostnames need DNS support: set dns_support: true, or dns_hostnames: false")
    cidr = params.get("cidr_block")
    return dict(params, cidr_block=ec2.normalise_vpc_cidr(cidr) if cidr else None)


def wait_available(client: Any, vpc_id: str, timeout: int) -> Dict[str, Any]:
    """The VPC once it is ``available`` (a describe that does not see a new id yet counts as not yet)."""
    last = {}

    def check() -> Optional[Dict[str, Any]]:
        vpc = ec2.describe_vpc(client, vpc_id)
        last["state"] = vpc.get("State") if vpc else "not visible"
        return vpc if vpc and vpc.get("State") == "available" else None

    vpc = base.wait_for(check, timeout=timeout)
    if not vpc:
        raise AnsibleEC2Error(
            message=f"VPC {vpc_id} was not available after {timeout} seconds (state: {last.get('state')}). "
                    "Raise wait_timeout, or run again later."
        )
    return vpc


def other_vpcs_warning(vpcs: List[Dict[str, Any]], name: str, cidr_block: str) -> Optional[str]:
    others = [v for v in vpcs if ec2.vpc_matches(v, name, None) and not ec2.vpc_matches(v, name, cidr_block)]
    if not others:
        return None
    listed = ", ".join(f"{v.get('VpcId')} ({v.get('CidrBlock')})" for v in sorted(others, key=lambda v: v.get("VpcId") or ""))
    return (
        f"VPC {name} with CIDR block {cidr_block} did not exist, so it is created, although VPCs with this Name tag exist: "
        f"{listed}. A VPC is identified by its Name tag and CIDR block; if one of them is meant, set its cidr_block."
    )


def create(client: Any, params: Dict[str, Any], ctx: base.Context, vpcs: List[Dict[str, Any]]) -> base.Outcome:
    name, cidr_block = params["name"], params["cidr_block"]
    tags, _purge = ec2.item_tags(name, None, params["tags"])
    # Unset: on, as amazon.aws ec2_vpc_net makes a new VPC (hostnames only where DNS support is on).
    dns_support = True if params["dns_support"] is None else params["dns_support"]
    dns = {"dns_support": dns_support, "dns_hostnames": dns_support if params["dns_hostnames"] is None else params["dns_hostnames"]}
    warning = other_vpcs_warning(vpcs, name, cidr_block)
    if warning:
        ctx.warn(warning)
    if ctx.check_mode:
        after = ec2.normalise_vpc({
            "VpcId": None, "CidrBlock": cidr_block, "InstanceTenancy": params["instance_tenancy"] or "default",
            "IsDefault": False, "State": None, "Tags": base.dict_to_tags(tags),
            "CidrBlockAssociationSet": [{"CidrBlock": cidr_block, "CidrBlockState": {"State": "associated"}}],
        }, dns)
        return base.Outcome(True, {"vpc": after}, before={}, after=after)

    vpc = ec2.create_vpc(client, cidr_block, tags, params["instance_tenancy"])
    vpc_id = vpc["VpcId"]
    changes = ec2.plan_vpc_dns(dict(ec2.VPC_DNS_AT_CREATION), dns["dns_support"], dns["dns_hostnames"])
    if vpc.get("State") != "available" and (params["wait"] or changes):
        vpc = wait_available(client, vpc_id, params["wait_timeout"])
    for key, value in changes:
        ec2.set_vpc_attribute(client, vpc_id, ec2.VPC_DNS_ATTRIBUTES[key], value, timeout=ec2.JUST_CREATED_TIMEOUT, note=ctx.note)
    after = ec2.normalise_vpc(vpc, dns)
    return base.Outcome(True, {"vpc": after}, before={}, after=after)


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    name, cidr_block = params["name"], params["cidr_block"]
    vpcs = ec2.describe_vpcs_by_name(client, name)
    current = ec2.find_vpc(vpcs, name, cidr_block)
    if current is None:
        return create(client, params, ctx, vpcs)

    vpc_id = current["VpcId"]
    before = ec2.normalise_vpc(current, ec2.describe_vpc_dns(client, vpc_id))
    tenancy = params["instance_tenancy"]
    if tenancy and tenancy != before["instance_tenancy"]:
        ctx.warn(f"VPC {vpc_id} ({name}) has instance tenancy {before['instance_tenancy']}, not {tenancy}: the tenancy "
                 "is set when a VPC is created and is left as it is.")
    dns_changes = ec2.plan_vpc_dns({k: before[k] for k in ec2.VPC_DNS_ATTRIBUTES}, params["dns_support"], params["dns_hostnames"])
    to_set, to_remove, tags = ec2.item_tag_changes(before["tags"], name, None, params["tags"], params["purge_tags"])
    dns = {k: before[k] for k in ec2.VPC_DNS_ATTRIBUTES}
    dns.update(dns_changes)
    after = dict(before, tags=tags, **dns)
    changed = bool(dns_changes or to_set or to_remove)
    if ctx.check_mode:
        return base.Outcome(changed, {"vpc": after}, before=before, after=after)

    if current.get("State") != "available" and (params["wait"] or dns_changes):
        # Found pending (created a moment ago, by a run stopped before it could wait): waited for as a new one.
        after = dict(ec2.normalise_vpc(wait_available(client, vpc_id, params["wait_timeout"]), dns), tags=tags)
    ec2.update_tags(client, vpc_id, to_set, to_remove)
    for key, value in dns_changes:
        ec2.set_vpc_attribute(client, vpc_id, ec2.VPC_DNS_ATTRIBUTES[key], value)
    return base.Outcome(changed, {"vpc": after}, before=before, after=after)


def vpc_by_id(client: Any, vpc_id: str) -> Optional[Dict[str, Any]]:
    """The VPC of this id (one DescribeVpcs), or ``None``: not found, or being deleted (as ``find_vpc``)."""
    vpc = ec2.describe_vpc(client, vpc_id)
    return vpc if vpc is not None and vpc.get("State") != "deleting" else None


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    if params.get("vpc_id"):
        current = vpc_by_id(client, params["vpc_id"])
    else:
        name = params["name"]
        current = ec2.find_vpc(ec2.describe_vpcs_by_name(client, name), name, params["cidr_block"])
    if current is None:
        return base.Outcome(False, {"vpc": {}}, before={}, after={})
    before = ec2.normalise_vpc(current)
    changed = True
    if not ctx.check_mode:
        changed = ec2.delete_vpc(client, current["VpcId"], note=ctx.note)
    return base.Outcome(changed, {"vpc": {}}, before=before, after={})


def main() -> None:
    argument_spec = dict(
        name=dict(type="str"),
        vpc_id=dict(type="str"),
        cidr_block=dict(type="str"),
        dns_support=dict(type="bool"),
        dns_hostnames=dict(type="bool"),
        instance_tenancy=dict(type="str", choices=["default", "dedicated"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_one_of=[("name", "vpc_id")],
        mutually_exclusive=[("name", "vpc_id"), ("cidr_block", "vpc_id")],
        supports_check_mode=True,
    )
    try:
        params = validate(module.params)
    except ValueError as e:
        module.fail_json(msg=str(e))
    client = mark_waits(aws_client(module, "ec2"))
    base.run_state(module, client, ensure_present, ensure_absent, params=params)


if __name__ == "__main__":
    main()
