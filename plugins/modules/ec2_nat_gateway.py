#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ec2_nat_gateway
version_added: 0.1.0
short_description: Manage a set of NAT gateways and their Elastic IPs, idempotently
description:
  - Creates, updates and deletes a set of public NAT gateways in one task, together with the
    Elastic IPs they use.
  - Fills two gaps of M(amazon.aws.ec2_eip) + M(amazon.aws.ec2_vpc_nat_gateway). A rerun of that
    pair allocates a new Elastic IP and creates a second NAT gateway; and on moto the NAT's tags
    are reported as changed on every run, because the stock module reads them back through
    C(DescribeTags) with a resource type the emulator spells differently.
  - "A NAT gateway is identified by its C(Name) tag and its subnet, among gateways in state
    C(pending) or C(available). Tags are read from C(DescribeNatGateways) itself and tag filters
    are applied client side, so emulators that ignore C(tag:) filters or return deleted gateways
    do not create duplicates."
  - Without O(nat_gateways[].allocation_id) the module owns the gateway's Elastic IP. It is tagged
    C(Name=<name>-eip) plus O(tags); an unassociated Elastic IP with that name is reused, so an
    interrupted run never leaks a second address. Rerunning never creates a second NAT gateway or
    Elastic IP.
  - Every C(CreateNatGateway) call carries an idempotency C(ClientToken) made once per gateway, so a
    retried call whose first reply was lost returns the same gateway instead of creating another.
    The module's Elastic IP is tagged at creation, and a retried allocation first adopts a free
    address with that name.
  - A gateway just created is read back with a bounded retry (EC2 is eventually consistent).
  - The gateway can be routed to while it is still C(pending); AWS accepts a route to a pending
    NAT gateway, so O(wait=false) and a route in the same run give the subnets egress as soon as
    the gateway is up.
  - The gateways' C(Name) tag is always set from O(nat_gateways[].name). When neither O(tags) nor
    O(nat_gateways[].tags) is given, other tags are left alone; otherwise the gateway's tags
    become O(tags) merged with O(nat_gateways[].tags) plus C(Name), and O(purge_tags) removes the
    rest. The module's own Elastic IPs get O(tags) plus their C(Name).
options:
  nat_gateways:
    description:
      - The NAT gateways to manage. With O(state=absent), the gateways to delete.
      - Names must be unique within the list.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Value of the gateway's C(Name) tag. Also names its Elastic IP C(<name>-eip).
        type: str
        required: true
      subnet_id:
        description:
          - ID of the (public) subnet the gateway lives in.
        type: str
        required: true
      allocation_id:
        description:
          - Allocation ID of an existing Elastic IP to use.
          - When omitted, the module allocates (or reuses) an Elastic IP named C(<name>-eip).
          - The Elastic IP of an existing gateway cannot be changed; delete the gateway first.
        type: str
      tags:
        description:
          - Extra tags for this gateway only, merged over O(tags).
        type: dict
  vpc_id:
    description:
      - The VPC of the gateways' subnets. With O(state=present), the module then also reads every
        NAT gateway of this VPC (beside its own read, in the same round trip) and answers the live
        ones in RV(vpc_nat_gateways), which the lookups later in the run take instead of reading
        them again.
      - The gateways are still found by their subnets, whatever VPC those are in.
    type: str
  state:
    description:
      - V(present) creates or updates the listed gateways; V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
  release_eips:
    description:
      - With O(state=absent), release the Elastic IPs named C(<name>-eip) of the deleted gateways
        (the ones this module allocated). Addresses given through O(nat_gateways[].allocation_id)
        under another name are never released.
      - AWS frees a gateway's address only once the gateway is C(deleted); with O(wait=false) an
        address still held by a gateway being deleted is left in place with a warning, and a
        later run releases it.
      - Even after the gateway reads C(deleted), AWS may refuse to release its address for a
        while (C(InvalidIPAddress.InUse), or C(AuthFailure) for the address of a NAT gateway);
        those refusals are tried again for up to 5 minutes, each wait listed in C(waited).
    type: bool
    default: true
  wait:
    description:
      - Wait until all the gateways are C(available) (O(state=present)) or C(deleted)
        (O(state=absent)). All gateways are polled together.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true).
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
author:
  - Apranova platform team (@apranova)
notes:
  - Only public NAT gateways are managed.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: One NAT gateway per public subnet, each with its own Elastic IP
  apranova.aws_stack.ec2_nat_gateway:
    nat_gateways:
      - name: web-nat-a
        subnet_id: "{{ subnets.subnets[0].id }}"
      - name: web-nat-b
        subnet_id: "{{ subnets.subnets[1].id }}"
    tags:
      Project: web
  register: network_nat

- name: A NAT gateway on an Elastic IP allocated elsewhere
  apranova.aws_stack.ec2_nat_gateway:
    nat_gateways:
      - name: web-nat-a
        subnet_id: subnet-0123456789abcdef0
        allocation_id: eipalloc-0123456789abcdef0

- name: Delete the NAT gateways and release their Elastic IPs
  apranova.aws_stack.ec2_nat_gateway:
    state: absent
    nat_gateways:
      - {name: web-nat-a, subnet_id: "{{ subnets.subnets[0].id }}"}
      - {name: web-nat-b, subnet_id: "{{ subnets.subnets[1].id }}"}
"""

RETURN = r"""
nat_gateways:
  description:
    - The listed NAT gateways in input order, as read back from AWS after the changes.
    - In check mode, a gateway that would be created has C(id=null) and C(state=null).
    - Empty with O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: NAT gateway ID.
      type: str
      returned: always
      sample: nat-0123456789abcdef0
    name:
      description: The C(Name) tag.
      type: str
      returned: always
      sample: web-nat-a
    subnet_id:
      description: Subnet ID.
      type: str
      returned: always
      sample: subnet-0123456789abcdef0
    vpc_id:
      description: VPC ID.
      type: str
      returned: always
      sample: vpc-0123456789abcdef0
    state:
      description: State of the gateway (V(available) once ready; V(pending) with O(wait=false)).
      type: str
      returned: always
      sample: available
    allocation_id:
      description: Allocation ID of the gateway's Elastic IP.
      type: str
      returned: always
      sample: eipalloc-0123456789abcdef0
    public_ip:
      description: Public IPv4 address of the gateway.
      type: str
      returned: always
      sample: 203.0.113.10
    tags:
      description: Tags of the gateway (without C(aws:) tags).
      type: dict
      returned: always
      sample: {"Name": "web-nat-a", "Project": "web"}
vpc_nat_gateways:
  description:
    - Every live (V(pending) or V(available)) NAT gateway of O(vpc_id) after the run, the listed ones
      and any other, ordered by ID; the same keys as RV(nat_gateways).
    - A gateway created by this call is as CreateNatGateway answered it (V(pending) without O(wait)).
  returned: with O(vpc_id) and O(state=present), not in check mode
  type: list
  elements: dict
  sample: [{"id": "nat-0123456789abcdef0", "name": "web-nat-a", "subnet_id": "subnet-0123456789abcdef0",
            "vpc_id": "vpc-0123456789abcdef0", "state": "available", "allocation_id": "eipalloc-0123456789abcdef0",
            "public_ip": "203.0.113.10", "tags": {"Name": "web-nat-a"}}]
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

from typing import Any, Dict, Iterable, List, Optional, Set, Union

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import wait_for


def validate(nat_gateways: List[Dict[str, Any]]) -> None:
    dup = ec2.duplicates([g["name"] for g in nat_gateways])
    if dup:
        raise ValueError(
            f"NAT gateway name {', '.join(dup)} is listed more than once: names identify the gateways "
            "and their Elastic IPs, give each gateway its own."
        )


def wait_for_state(client: Any, ids: Iterable[str], state: str, timeout: int) -> Union[bool, List[Dict[str, Any]]]:
    """Poll all gateways in ``ids`` together until each is in ``state``; fail on ``failed``."""
    ids = list(ids)
    last = {}

    def check() -> Union[bool, List[Dict[str, Any]], None]:
        gateways = ec2.describe_nat_gateways(client, nat_gateway_ids=ids)
        last.clear()
        last.update({g["NatGatewayId"]: g.get("State") for g in gateways})
        if state != "failed":
            for gateway in gateways:
                if gateway.get("State") == "failed":
                    raise AnsibleEC2Error(
                        message=(
                            f"NAT gateway {gateway['NatGatewayId']} failed: {gateway.get('FailureCode')}: "
                            f"{gateway.get('FailureMessage')}. Fix the cause (subnet, Elastic IP, limits), "
                            "delete the failed gateway and run again."
                        )
                    )
        if state == "deleted":
            # A deleted gateway may also vanish from the describe result.
            return all(last.get(i, "deleted") == "deleted" for i in ids)
        if len(gateways) == len(ids) and all(g.get("State") == state for g in gateways):
            return gateways
        return None

    if not ids:
        return []
    result = wait_for(check, timeout=timeout)
    if not result:
        states = ", ".join(f"{i}={last.get(i, 'not visible')}" for i in ids)
        raise AnsibleEC2Error(
            message=(
                f"Timed out after {timeout}s waiting for NAT gateways to become {state} ({states}). "
                "Raise wait_timeout, or set wait: false and check later."
            )
        )
    return result


class DeadEnis:
    """ENIs of deleted/failed NAT gateways, looked up at most once and only when needed."""

    def __init__(self, client: Any, known: Iterable[str] = ()) -> None:
        self.client = client
        self.enis: Optional[Set[str]] = None
        self.known = set(known)

    def get(self) -> Set[str]:
        if self.enis is None:
            dead = ec2.describe_nat_gateways(self.client, states=list(ec2.NAT_DEAD_STATES))
            self.enis = ec2.nat_enis(dead) | self.known
        return self.enis


def reconcile_eip_tags(client: Any, address: Dict[str, Any], nat_name: str, tags: Optional[Dict[str, Any]], purge_tags: bool,
                       check_mode: bool) -> bool:
    """Keep the module's own Elastic IP tagged ``Name=<name>-eip`` + common tags."""
    current = tags_to_dict(address.get("Tags"))
    to_set, to_remove, _result = ec2.item_tag_changes(current, ec2.eip_name(nat_name), tags, None, purge_tags)
    if (to_set or to_remove) and not check_mode:
        ec2.update_tags(client, address["AllocationId"], to_set, to_remove)
    return bool(to_set or to_remove)


def outcome(ctx: base.Context, changed: bool, before: List[Dict[str, Any]], after: List[Dict[str, Any]],
            warnings: List[str], extra: Optional[Dict[str, Any]] = None) -> base.Outcome:
    """The ``Outcome`` of an ``ensure_*``; its ``warnings`` go to the operator now that it succeeded."""
    for warning in warnings:
        ctx.warn(warning)
    return base.Outcome(changed, dict(extra or {}, nat_gateways=after), before={"nat_gateways": before}, after={"nat_gateways": after})


def vpc_gateways(vpc_id: str, found: List[Dict[str, Any]], after: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The live gateways of ``vpc_id`` after the run: ``found`` (read before any change) updated with
    the listed gateways as they are now (``after``), by ID."""
    by_id = {g["NatGatewayId"]: ec2.normalise_nat_gateway(g) for g in found if g.get("State") in ec2.NAT_LIVE_STATES}
    by_id.update((g["id"], g) for g in after if g.get("id") and g.get("vpc_id") == vpc_id and g.get("state") in ec2.NAT_LIVE_STATES)
    return [by_id[i] for i in sorted(by_id)]


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    nat_gateways, tags, purge_tags, check_mode = params["nat_gateways"], params["tags"], params["purge_tags"], ctx.check_mode
    warnings = []
    subnet_ids, vpc_id = list(dict.fromkeys(g["subnet_id"] for g in nat_gateways)), params.get("vpc_id")
    existing, addresses, in_vpc = base.concurrently([
        lambda: ec2.describe_nat_gateways(client, subnet_ids=subnet_ids),
        lambda: ec2.describe_addresses_by_name(client, [ec2.eip_name(g["name"]) for g in nat_gateways]),
        lambda: ec2.describe_nat_gateways(client, vpc_id=vpc_id) if vpc_id and not check_mode else None,
    ])
    dead = DeadEnis(client, ec2.nat_enis([g for g in existing if g.get("State") in ec2.NAT_DEAD_STATES]))
    # Allocations held by live gateways (in these subnets) are never reused.
    in_use = {
        a.get("AllocationId")
        for g in existing
        if g.get("State") in ec2.NAT_LIVE_STATES
        for a in g.get("NatGatewayAddresses") or []
    }

    changed = False
    before, after, ids, to_wait = [], [], [], []
    for wanted in nat_gateways:
        name, subnet_id = wanted["name"], wanted["subnet_id"]
        gateway, extra = ec2.find_nat_gateway(existing, name, subnet_id)
        if extra:
            warnings.append(
                f"Several live NAT gateways are named {name} in {subnet_id}; managing the oldest, "
                f"{gateway['NatGatewayId']}. Delete the others: {', '.join(g['NatGatewayId'] for g in extra)}."
            )
        if gateway is not None:
            current = ec2.normalise_nat_gateway(gateway)
            before.append(current)
            if wanted.get("allocation_id") and wanted["allocation_id"] != current["allocation_id"]:
                raise ValueError(
                    f"NAT gateway {name} ({current['id']}) uses Elastic IP {current['allocation_id']}, not "
                    f"{wanted['allocation_id']}: the address of a NAT gateway cannot change. Remove allocation_id, "
                    "or delete the gateway first (state: absent) and run again."
                )
            to_set, to_remove, new_tags = ec2.item_tag_changes(current["tags"], name, tags, wanted.get("tags"), purge_tags)
            if to_set or to_remove:
                changed = True
                if not check_mode:
                    ec2.update_tags(client, current["id"], to_set, to_remove)
            for address in addresses:
                if address.get("AllocationId") == current["allocation_id"] and ec2.name_tag(address) == ec2.eip_name(name):
                    changed |= reconcile_eip_tags(client, address, name, tags, purge_tags, check_mode)
            if current["state"] != "available":
                to_wait.append(current["id"])
            after.append(dict(current, tags=new_tags))
            ids.append(current["id"])
            continue

        changed = True
        nat_tags, _purge = ec2.item_tags(name, tags, wanted.get("tags"))
        allocation_id, public_ip = wanted.get("allocation_id"), None
        if allocation_id:
            address = ec2.describe_address(client, allocation_id)
            if address is None:
                raise ValueError(
                    f"Elastic IP allocation {allocation_id} (NAT gateway {name}) does not exist in this region: "
                    "check allocation_id, or omit it to let the module allocate one."
                )
            public_ip = address.get("PublicIp")
            if not ec2.address_is_free(address):
                if ec2.address_is_free(address, dead.get()):
                    if not check_mode:
                        # Still bound to the interface of a deleted gateway (moto keeps that link).
                        ec2.disassociate_address(client, address["AssociationId"])
                else:
                    raise ValueError(
                        f"Elastic IP {allocation_id} (NAT gateway {name}) is associated with "
                        f"{address.get('InstanceId') or address.get('NetworkInterfaceId')}: give a free address "
                        "in allocation_id, or omit it to let the module allocate one."
                    )
        else:
            candidates = [
                a
                for a in addresses
                if ec2.name_tag(a) == ec2.eip_name(name) and a.get("AllocationId") not in in_use
            ]
            free = [a for a in candidates if ec2.address_is_free(a)]
            if not free and candidates:
                free = [a for a in candidates if ec2.address_is_free(a, dead.get())]
            if free:
                address = free[0]
                allocation_id, public_ip = address["AllocationId"], address.get("PublicIp")
                reconcile_eip_tags(client, address, name, tags, purge_tags, check_mode)
                if address.get("AssociationId") and not check_mode:
                    # Still bound to the interface of a deleted gateway (moto keeps that link).
                    ec2.disassociate_address(client, address["AssociationId"])
            elif not check_mode:
                eip_tags, _purge = ec2.item_tags(ec2.eip_name(name), tags, None)
                address = ec2.allocate_address(client, eip_tags, taken=in_use)
                allocation_id, public_ip = address["AllocationId"], address.get("PublicIp")
        if allocation_id:
            in_use.add(allocation_id)
        if check_mode:
            after.append(
                {
                    "id": None,
                    "name": name,
                    "subnet_id": subnet_id,
                    "vpc_id": None,
                    "state": None,
                    "allocation_id": allocation_id,
                    "public_ip": public_ip,
                    "tags": nat_tags,
                }
            )
            continue
        # One idempotency token per gateway, reused by every retry of this create.
        created = ec2.create_nat_gateway(client, subnet_id, allocation_id, nat_tags, token=ec2.client_token())
        ids.append(created["NatGatewayId"])
        to_wait.append(created["NatGatewayId"])
        # CreateNatGateway answers with the gateway (pending); no describe reads it back unless the
        # task waits: a describe right after a create is what EC2's eventual consistency makes slow
        # (EC2 developer guide, "Eventual consistency in the Amazon EC2 API").
        made = ec2.normalise_nat_gateway(created)
        after.append(dict(made, name=name, subnet_id=made["subnet_id"] or subnet_id, tags=nat_tags,
                          allocation_id=made["allocation_id"] or allocation_id, public_ip=made["public_ip"] or public_ip))

    if not check_mode and params["wait"]:
        wait_for_state(client, to_wait, "available", params["wait_timeout"])
    if not check_mode and params["wait"] and (changed or to_wait):
        # Read back through the retrying lookup (a gateway created a moment ago may not be visible
        # yet), in its state after the wait.
        by_id = {
            g["NatGatewayId"]: ec2.normalise_nat_gateway(g)
            for g in ec2.describe_just_created_nat_gateways(client, ids, note=ctx.note)
        }
        after = [by_id[i] for i in ids]
    extra = {"vpc_nat_gateways": vpc_gateways(vpc_id, in_vpc, after)} if in_vpc is not None else None
    return outcome(ctx, changed, before, after, warnings, extra)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    nat_gateways, check_mode = params["nat_gateways"], ctx.check_mode
    warnings = []
    subnet_ids = list(dict.fromkeys(g["subnet_id"] for g in nat_gateways))
    existing = ec2.describe_nat_gateways(client, subnet_ids=subnet_ids)

    def named(gateway: Dict[str, Any], wanted: Dict[str, Any]) -> bool:
        return gateway.get("SubnetId") == wanted["subnet_id"] and ec2.name_tag(gateway) == wanted["name"]

    doomed, deleting = [], []
    for wanted in nat_gateways:
        for gateway in existing:
            if named(gateway, wanted):
                if gateway.get("State") in ec2.NAT_LIVE_STATES:
                    doomed.append(gateway)
                elif gateway.get("State") == "deleting":
                    deleting.append(gateway)
    before = [ec2.normalise_nat_gateway(g) for g in doomed]

    addresses = []
    if params["release_eips"]:
        addresses = ec2.describe_addresses_by_name(client, [ec2.eip_name(g["name"]) for g in nat_gateways])
    changed = bool(doomed)

    if not check_mode:
        for gateway in doomed:
            ec2.delete_nat_gateway(client, gateway["NatGatewayId"])
        if params["wait"]:
            wait_for_state(client, [g["NatGatewayId"] for g in doomed + deleting], "deleted", params["wait_timeout"])

    if addresses:
        doomed_enis = ec2.nat_enis(doomed + deleting)
        # Looked up after the deletions above, so gateways deleted meanwhile count as dead.
        dead = DeadEnis(client, ec2.nat_enis([g for g in existing if g.get("State") in ec2.NAT_DEAD_STATES]))
        for address in addresses:
            if ec2.address_is_free(address):
                free = True
            elif check_mode and address.get("NetworkInterfaceId") in doomed_enis:
                free = True
            else:
                free = ec2.address_is_free(address, dead.get())
            if not free:
                if address.get("NetworkInterfaceId") in doomed_enis:
                    warnings.append(
                        f"Elastic IP {address['AllocationId']} ({ec2.name_tag(address)}) is still held by a NAT gateway "
                        "being deleted; it was not released. Run again with wait: true to release it."
                    )
                else:
                    warnings.append(
                        f"Elastic IP {address['AllocationId']} ({ec2.name_tag(address)}) is in use by another resource; "
                        "it was not released."
                    )
                continue
            changed = True
            if not check_mode:
                # An address a gateway of this call held: AWS may refuse it for a while after the
                # gateway reads "deleted" (InvalidIPAddress.InUse / AuthFailure); ridden out, noted.
                eni = address.get("NetworkInterfaceId")
                held = bool(eni) and (eni in doomed_enis or eni in dead.get())
                ec2.release_address(client, address["AllocationId"], held_by_nat=held, note=ctx.note)
    return outcome(ctx, changed, before, [], warnings)


def main() -> None:
    argument_spec = dict(
        nat_gateways=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                subnet_id=dict(type="str", required=True),
                allocation_id=dict(type="str"),
                tags=dict(type="dict"),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        vpc_id=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        release_eips=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        validate(module.params["nat_gateways"])
    except ValueError as e:
        module.fail_json(msg=str(e))
    client = mark_waits(aws_client(module, "ec2"))
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
