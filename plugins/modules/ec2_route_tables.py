#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ec2_route_tables
version_added: 0.1.0
short_description: Manage the route tables of a VPC, their routes and subnet associations, in one call
description:
  - Creates, updates and deletes a set of route tables of one VPC in a single task, with their
    IPv4 routes, subnet associations and tags.
  - Fills gaps of M(amazon.aws.ec2_vpc_route_table), which manages one table per task, sleeps a
    fixed 5 seconds after changes, and fails with C(KeyError 'Origin') when the endpoint
    (LocalStack) returns routes without an C(Origin) key. This module polls nothing it does not
    need, reads C(Origin) only where present, and reads the VPC's route tables once per run.
  - A route table is identified by its C(Name) tag within the VPC (filtered client side). The
    VPC's main route table is never modified or deleted; naming it in O(route_tables) fails.
  - A route to a NAT gateway may be added while the gateway is still C(pending), as AWS allows; a
    gateway or table id created a moment ago that AWS does not know yet
    (C(InvalidNatGatewayID.NotFound) etc., EC2 eventual consistency) is tried again for up to two
    minutes. A table that AWS refuses to delete with C(DependencyViolation) is tried again for up
    to 5 minutes. Each wait is listed in C(waited).
  - The C(Name) tag of each table is always set from O(route_tables[].name). When neither O(tags)
    nor O(route_tables[].tags) is given, other tags are left alone; otherwise the table's tags
    become O(tags) merged with O(route_tables[].tags) plus C(Name), and O(purge_tags) removes the
    rest.
options:
  vpc_id:
    description:
      - ID of the VPC the route tables belong to.
    type: str
    required: true
  route_tables:
    description:
      - The route tables to manage. With O(state=absent), the tables to delete.
      - Names must be unique within the list, and a subnet may appear in only one table.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Value of the table's C(Name) tag.
        type: str
        required: true
      subnet_ids:
        description:
          - IDs of the subnets to associate with the table.
          - A subnet associated with another table of the VPC is moved to this one.
          - When omitted, the table's associations are left alone.
        type: list
        elements: str
      routes:
        description:
          - IPv4 routes of the table (besides the VPC's C(local) route).
          - When omitted, the table's routes are left alone.
          - In check mode, a route with no target (its gateway is created by an earlier task of the
            same run, so its ID is still empty) is reported as a change instead of failing.
        type: list
        elements: dict
        suboptions:
          destination_cidr_block:
            description:
              - Destination IPv4 CIDR block, e.g. C(0.0.0.0/0).
            type: str
            required: true
          gateway_id:
            description:
              - Internet (or virtual private) gateway ID. Exactly one of O(route_tables[].routes[].gateway_id)
                and O(route_tables[].routes[].nat_gateway_id) is required.
            type: str
          nat_gateway_id:
            description:
              - NAT gateway ID. Exactly one of O(route_tables[].routes[].gateway_id) and
                O(route_tables[].routes[].nat_gateway_id) is required.
            type: str
      tags:
        description:
          - Extra tags for this table only, merged over O(tags).
        type: dict
  purge_routes:
    description:
      - Remove IPv4 routes that are not listed in O(route_tables[].routes).
      - The C(local) route and routes propagated from a virtual private gateway are never removed;
        IPv6 and prefix-list routes are not managed.
    type: bool
    default: true
  purge_subnets:
    description:
      - Remove subnet associations that are not listed in O(route_tables[].subnet_ids). The
        subnets fall back to the VPC's main route table.
    type: bool
    default: true
  state:
    description:
      - V(present) creates or updates the listed tables; V(absent) disassociates and deletes them.
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
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Public and private route tables
  apranova.aws_stack.ec2_route_tables:
    vpc_id: "{{ vpc.vpc.id }}"
    route_tables:
      - name: web-public
        subnet_ids: "{{ subnets.subnets[:2] | map(attribute='id') }}"
        routes:
          - destination_cidr_block: 0.0.0.0/0
            gateway_id: "{{ igw.gateway_id }}"
      - name: web-private-a
        subnet_ids: ["{{ subnets.subnets[2].id }}"]
        routes:
          - destination_cidr_block: 0.0.0.0/0
            nat_gateway_id: "{{ nat.nat_gateways[0].id }}"
    tags:
      Project: web

- name: Delete the private route table
  apranova.aws_stack.ec2_route_tables:
    vpc_id: "{{ vpc.vpc.id }}"
    state: absent
    route_tables:
      - name: web-private-a
"""

RETURN = r"""
route_tables:
  description:
    - The listed route tables in input order, as read back from AWS after the changes.
    - In check mode, a table that would be created has C(id=null).
    - Empty with O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Route table ID.
      type: str
      returned: always
      sample: rtb-0123456789abcdef0
    name:
      description: The C(Name) tag.
      type: str
      returned: always
      sample: web-public
    vpc_id:
      description: VPC ID.
      type: str
      returned: always
      sample: vpc-0123456789abcdef0
    routes:
      description:
        - The table's IPv4 routes, the C(local) route included. Each has C(destination_cidr_block),
          the target (C(gateway_id), C(nat_gateway_id), or for routes made elsewhere another
          C(*_id) key) and C(state).
      type: list
      elements: dict
      returned: always
      sample: [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local", "state": "active"},
               {"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-0123456789abcdef0", "state": "active"}]
    subnet_ids:
      description: IDs of the subnets explicitly associated with the table, sorted.
      type: list
      elements: str
      returned: always
      sample: ["subnet-0123456789abcdef0"]
    tags:
      description: Tags of the table (without C(aws:) tags).
      type: dict
      returned: always
      sample: {"Name": "web-public", "Project": "web"}
vpc_route_tables:
  description:
    - Every route table of the VPC, its main table and tables this task does not manage included, as
      C(DescribeRouteTables) answered the module's last read of them (after its changes; in check
      mode, as they are), with the keys in snake_case.
    - The architecture report of the same run (M(apranova.aws_stack.stack_report)) takes them from
      there instead of reading them again.
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{"route_table_id": "rtb-0123456789abcdef0", "vpc_id": "vpc-0123456789abcdef0",
            "associations": [{"main": false, "route_table_association_id": "rtbassoc-0123456789abcdef0",
                              "route_table_id": "rtb-0123456789abcdef0", "subnet_id": "subnet-0123456789abcdef0",
                              "association_state": {"state": "associated"}}],
            "routes": [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local", "origin": "CreateRouteTable",
                        "state": "active"}],
            "tags": [{"key": "Name", "value": "web-public"}], "owner_id": "123456789012", "propagating_vgws": []}]
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

from typing import Any, Dict, Iterable, List, Tuple

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client


def validate(route_tables: List[Dict[str, Any]], check_mode: bool = False) -> None:
    dup = ec2.duplicates([t["name"] for t in route_tables])
    if dup:
        raise ValueError(f"Route table name {', '.join(dup)} is listed more than once: give each table its own name.")
    subnets = [s for t in route_tables for s in dict.fromkeys(t.get("subnet_ids") or [])]
    dup = ec2.duplicates(subnets)
    if dup:
        raise ValueError(
            f"Subnet {', '.join(dup)} is listed in more than one route table: a subnet has one route table, keep it in one."
        )
    for table in route_tables:
        try:
            ec2.plan_routes([], table.get("routes"), False, allow_unknown=check_mode)
        except ValueError as e:
            raise ValueError(f"Route table {table['name']}: {e}") from None


def find_tables(tables: List[Dict[str, Any]], names: Iterable[str]) -> Dict[str, Dict[str, Any]]:
    """``{name: table}`` of the non-main tables named in ``names``; fails on main/ambiguous names."""
    found = {}
    for name in names:
        matches = [t for t in tables if ec2.name_tag(t) == name]
        main = [t for t in matches if ec2.is_main_route_table(t)]
        if main:
            raise ValueError(
                f"Route table {name} ({main[0]['RouteTableId']}) is the VPC's main route table, which this module "
                "never changes: use another name for the table you manage here."
            )
        if len(matches) > 1:
            raise ValueError(
                f"Several route tables of the VPC are named {name} ({', '.join(t['RouteTableId'] for t in matches)}): "
                "delete or rename the extra ones so the name identifies one table."
            )
        if matches:
            found[name] = matches[0]
    return found


def subnet_owners(tables: List[Dict[str, Any]]) -> Dict[str, Tuple[str, str]]:
    owners = {}
    for table in tables:
        for subnet, association_id in ec2.table_subnet_associations(table).items():
            owners[subnet] = (table["RouteTableId"], association_id)
    return owners


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    vpc_id, route_tables, check_mode = params["vpc_id"], params["route_tables"], ctx.check_mode
    # Every VPC has a main route table, which cannot be deleted (docs/aws-behaviour.md): a VPC
    # without any route table found does not exist, or is not visible yet.
    tables = ec2.describe_route_tables(client, vpc_id)
    vpc = None if tables else ec2.describe_vpc(client, vpc_id)
    if not tables and vpc is None:
        raise ValueError(f"VPC {vpc_id} does not exist in this region: check vpc_id (and region).")
    found = find_tables(tables, [t["name"] for t in route_tables])
    owners = subnet_owners(tables)

    changed = False
    before, predicted, ids = [], [], []
    for wanted in route_tables:
        name = wanted["name"]
        table = found.get(name)
        if table is None:
            changed = True
            table_tags, _purge = ec2.item_tags(name, params["tags"], wanted.get("tags"))
            vpc = vpc or ec2.describe_vpc(client, vpc_id) or {}  # read only for a table to create: its local route
            current_routes = [{"DestinationCidrBlock": vpc.get("CidrBlock"), "GatewayId": "local", "State": "active"}]
            if check_mode:
                table_id = f"(new route table {name})"
            else:
                table = ec2.create_route_table(client, vpc_id, table_tags)
                table_id = table["RouteTableId"]
            to_set, to_remove = {}, []
        else:
            table_id = table["RouteTableId"]
            current = ec2.normalise_route_table(table)
            before.append(current)
            current_routes = table.get("Routes") or []
            to_set, to_remove, table_tags = ec2.item_tag_changes(
                current["tags"], name, params["tags"], wanted.get("tags"), params["purge_tags"]
            )

        route_plan = ec2.plan_routes(current_routes, wanted.get("routes"), params["purge_routes"], allow_unknown=check_mode)
        association_plan = ec2.plan_associations(table_id, wanted.get("subnet_ids"), params["purge_subnets"], owners)
        if to_set or to_remove or any(route_plan.values()) or any(association_plan.values()):
            changed = True

        if not check_mode:
            ec2.update_tags(client, table_id, to_set, to_remove)
            for cidr in route_plan["delete"]:
                ec2.delete_route(client, table_id, cidr)
            for cidr, target in route_plan["replace"]:
                ec2.replace_route(client, table_id, cidr, target, note=ctx.note)
            for cidr, target in route_plan["create"]:
                ec2.create_route(client, table_id, cidr, target, note=ctx.note)
            for subnet, association_id in association_plan["disassociate"]:
                ec2.disassociate_route_table(client, association_id)
            for subnet, association_id, _from_table in association_plan["replace"]:
                owners[subnet] = (table_id, ec2.replace_route_table_association(client, association_id, table_id))
            for subnet in association_plan["associate"]:
                owners[subnet] = (table_id, ec2.associate_route_table(client, table_id, subnet))

        ids.append(table_id)
        predicted.append(
            {
                "id": table_id if table is not None else None,
                "name": name,
                "vpc_id": vpc_id,
                "routes": ec2.apply_route_plan_to_routes(current_routes, route_plan),
                "subnet_ids": sorted(s for s, (owner, _a) in owners.items() if owner == table_id),
                "tags": table_tags,
            }
        )

    result = predicted
    if changed and not check_mode:
        tables = ec2.describe_just_created_route_tables(client, vpc_id, ids, note=ctx.note)
        by_id = {t["RouteTableId"]: ec2.normalise_route_table(t) for t in tables}
        result = [by_id[i] for i in ids]
    return base.Outcome(changed, {"route_tables": result, "vpc_route_tables": [camel_dict_to_snake_dict(t) for t in tables]},
                        before={"route_tables": before}, after={"route_tables": result})


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    vpc_id, route_tables = params["vpc_id"], params["route_tables"]
    doomed = []
    # No VPC, no route tables.
    if ec2.describe_vpc(client, vpc_id) is not None:
        found = find_tables(ec2.describe_route_tables(client, vpc_id), [t["name"] for t in route_tables])
        doomed = [found[t["name"]] for t in route_tables if t["name"] in found]
    if not ctx.check_mode:
        for table in doomed:
            for association in table.get("Associations") or []:
                if not association.get("Main") and association.get("RouteTableAssociationId"):
                    ec2.disassociate_route_table(client, association["RouteTableAssociationId"])
            ec2.delete_route_table(client, table["RouteTableId"], note=ctx.note)
    before = {"route_tables": [ec2.normalise_route_table(t) for t in doomed]}
    return base.Outcome(bool(doomed), {"route_tables": []}, before=before, after={"route_tables": []})


def main() -> None:
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        route_tables=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                subnet_ids=dict(type="list", elements="str"),
                routes=dict(
                    type="list",
                    elements="dict",
                    options=dict(
                        destination_cidr_block=dict(type="str", required=True),
                        gateway_id=dict(type="str"),
                        nat_gateway_id=dict(type="str"),
                    ),
                ),
                tags=dict(type="dict"),
            ),
        ),
        purge_routes=dict(type="bool", default=True),
        purge_subnets=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        validate(module.params["route_tables"], module.check_mode)
    except ValueError as e:
        module.fail_json(msg=str(e))
    client = aws_client(module, "ec2")
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
