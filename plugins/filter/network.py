# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data of the network tier (roles/network), built from the role's inputs.

``network_subnets``, ``network_nat_gateways``, ``network_route_tables`` and ``network_alb_ingress``
give the request shapes of the modules the role calls (roles/network/vars/main.yml);
``network_route_tables_teardown``, ``network_nat_teardown`` and ``network_subnets_teardown`` those of
the teardown; ``network_problems`` the preflight's problems that ``cidr_problems`` does not look at
(region, zones, one subnet per zone, ports). Each filter is documented in ``<filter name>.yml``
next to this file.

Scalars are read the way the Jinja these filters replace read them, so the results do not change:
``| int`` is Jinja's (``'80'`` -> 80, ``'8.9'`` -> 8, ``'abc'`` -> 0), ``~`` is ``str()``, ``is match``
is Ansible's test (the value as text, ``re.match``) and ``| unique`` is Ansible's (strings compared
case-insensitively): plugins/plugin_utils/filter_inputs.py keeps them for every tier's filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.filter_inputs import (
    count_unique, jinja_int, matches, require_dict, require_key, require_sequence)

REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$"
ANYWHERE = "0.0.0.0/0"


# ---------------------------------------------------------------- what the role builds


def _at_least(values: list, count: int, what: str, where: str) -> None:
    if len(values) < count:
        raise AnsibleFilterError("%s: %s has %d entries for %d zones; give one per zone" % (where, what, len(values), count))


def network_subnets(zones: Sequence, public_names: Sequence, private_names: Sequence,
                    public_cidrs: Sequence, private_cidrs: Sequence) -> list[dict]:
    """One public subnet per zone, then one private subnet per zone, in the shape of ec2_subnets."""
    where = "network_subnets"
    zones = require_sequence(zones, "the zones", where)
    out = []
    for tier, names, cidrs, public in (("public", public_names, public_cidrs, True),
                                       ("private", private_names, private_cidrs, False)):
        names = require_sequence(names, "%s_names" % tier, where)
        cidrs = require_sequence(cidrs, "%s_cidrs" % tier, where)
        _at_least(names, len(zones), "%s_names" % tier, where)
        _at_least(cidrs, len(zones), "%s_cidrs" % tier, where)
        for index, zone in enumerate(zones):
            out.append({"name": names[index], "cidr": cidrs[index], "az": zone,
                        "map_public_ip_on_launch": public, "tags": {"Tier": tier}})
    return out


def network_nat_gateways(zones: Sequence, nat_name: Any, public_names: Sequence, subnet_ids: Mapping,
                         per_az: Any = False) -> list[dict]:
    """The NAT gateway of the first zone's public subnet, named ``nat_name``; with ``per_az`` one per
    zone, named ``<nat_name>-<zone>``. A subnet that has no id yet gives ``subnet_id: ''``."""
    where = "network_nat_gateways"
    zones = require_sequence(zones, "the zones", where)
    public_names = require_sequence(public_names, "public_names", where)
    subnet_ids = require_dict(subnet_ids, "subnet_ids", where)
    if not per_az:
        zones = zones[:1]
    _at_least(public_names, len(zones), "public_names", where)
    return [{"name": str(nat_name) + ("-" + str(zone) if per_az else ""),
             "subnet_id": subnet_ids.get(public_names[index]) or ""}
            for index, zone in enumerate(zones)]


def _subnet_id(subnet_ids: Mapping, name: Any, where: str) -> Any:
    if name not in subnet_ids:
        raise AnsibleFilterError("%s: no id for the subnet '%s' in subnet_ids (known: %s)"
                                 % (where, name, ", ".join(str(k) for k in subnet_ids) or "none"))
    return subnet_ids[name]


def _route_table_name(prefix: str, tier: str, zone: Any = None) -> str:
    """``<prefix>-public-rt``, ``<prefix>-private-rt`` or ``<prefix>-private-rt-<zone>``: what the
    role builds and what its teardown looks for."""
    return "%s-%s-rt" % (prefix, tier) + ("-" + str(zone) if zone is not None else "")


def _default_route(target: str, target_id: Any) -> list[dict]:
    return [{"destination_cidr_block": ANYWHERE, target: target_id or ""}]


def network_route_tables(zones: Sequence, name_prefix: Any, public_names: Sequence, private_names: Sequence,
                         subnet_ids: Mapping, gateway_id: Any = "", nat_ids: Sequence = (),
                         per_az: Any = False) -> list[dict]:
    """The public route table (default route to the internet gateway) and the private one (default
    route to the first NAT gateway); with ``per_az`` one private table per zone, through the NAT
    gateway of the same position in ``nat_ids``. A missing or empty gateway id gives ``''``."""
    where = "network_route_tables"
    zones = require_sequence(zones, "the zones", where)
    public_names = require_sequence(public_names, "public_names", where)
    private_names = require_sequence(private_names, "private_names", where)
    subnet_ids = require_dict(subnet_ids, "subnet_ids", where)
    nat_ids = require_sequence(nat_ids, "nat_ids", where)
    prefix = str(name_prefix)

    def nat_id(index: int) -> Any:
        return nat_ids[index] if index < len(nat_ids) else ""

    out = [{"name": _route_table_name(prefix, "public"),
            "subnet_ids": [_subnet_id(subnet_ids, name, where) for name in public_names],
            "routes": _default_route("gateway_id", gateway_id)}]
    if per_az:
        _at_least(private_names, len(zones), "private_names", where)
        for index, zone in enumerate(zones):
            out.append({"name": _route_table_name(prefix, "private", zone),
                        "subnet_ids": [_subnet_id(subnet_ids, private_names[index], where)],
                        "routes": _default_route("nat_gateway_id", nat_id(index))})
    else:
        out.append({"name": _route_table_name(prefix, "private"),
                    "subnet_ids": [_subnet_id(subnet_ids, name, where) for name in private_names],
                    "routes": _default_route("nat_gateway_id", nat_id(0))})
    return out


def network_alb_ingress(ports: Sequence, cidrs: Any) -> list[dict]:
    """One ingress rule of the load balancer's security group per port, from ``cidrs``."""
    ports = require_sequence(ports, "the ports", "network_alb_ingress")
    return [{"protocol": "tcp", "ports": jinja_int(port), "cidr_ip": cidrs} for port in ports]


# ---------------------------------------------------------------- what the teardown deletes


def network_route_tables_teardown(zones: Sequence, name_prefix: Any) -> list[dict]:
    """Every route table name the role may have made (one private table, or one per zone)."""
    zones = require_sequence(zones, "the zones", "network_route_tables_teardown")
    prefix = str(name_prefix)
    return ([{"name": _route_table_name(prefix, "public")}, {"name": _route_table_name(prefix, "private")}]
            + [{"name": _route_table_name(prefix, "private", zone)} for zone in zones])


def network_nat_teardown(nat_gateways: Sequence, nat_name: Any) -> list[dict]:
    """The NAT gateways ``stack_info`` found, as ec2_nat_gateway takes them (unnamed ones: ``nat_name``)."""
    where = "network_nat_teardown"
    out = []
    for nat in require_sequence(nat_gateways, "the NAT gateways", where):
        nat = require_dict(nat, "each NAT gateway", where)
        out.append({"name": nat.get("name") or nat_name, "subnet_id": require_key(nat, "subnet_id", "a NAT gateway", where)})
    return out


def network_subnets_teardown(subnets: Sequence) -> list[dict]:
    """The subnets ``stack_info`` found, as ec2_subnets takes them (unnamed ones by their id)."""
    where = "network_subnets_teardown"
    out = []
    for subnet in require_sequence(subnets, "the subnets", where):
        subnet = require_dict(subnet, "each subnet", where)
        out.append({"name": subnet.get("name") or require_key(subnet, "id", "a subnet", where),
                    "cidr": require_key(subnet, "cidr_block", "a subnet", where),
                    "az": require_key(subnet, "availability_zone", "a subnet", where)})
    return out


# ---------------------------------------------------------------- preflight


def network_problems(zones: Sequence, region: Any, public_cidrs: Sequence, private_cidrs: Sequence,
                     alb_ports: Sequence = (), rds_port: Any = None, redis_port: Any = None) -> list[str]:
    """The problems of the network inputs other than the CIDRs' (see ``cidr_problems``), in the order
    region, zones, subnets per zone, ports; empty when all is well."""
    where = "network_problems"
    zones = require_sequence(zones, "network_availability_zones", where)
    subnet_lists = (("network_public_subnet_cidrs", require_sequence(public_cidrs, "network_public_subnet_cidrs", where)),
                    ("network_private_subnet_cidrs", require_sequence(private_cidrs, "network_private_subnet_cidrs", where)))
    ports = require_sequence(alb_ports, "network_alb_ports", where) + [rds_port, redis_port]
    region = str(region)
    problems = []
    if not matches(REGION_PATTERN, region):
        problems.append("aws_region: '%s' is not an AWS region; set it in the inventory, e.g. aws_region: us-east-1" % region)
    # The region is part of the pattern as is (not escaped), as the checks have always read it.
    zone_pattern = "^" + region + "[a-z]$"
    for zone in zones:
        if not matches(zone_pattern, zone):
            problems.append("network_availability_zones: '%s' is not a zone of region %s (expected e.g. %sa)" % (zone, region, region))
    if len(zones) != count_unique(zones):
        problems.append("network_availability_zones: a zone is listed twice; list each zone once")
    if len(zones) < 2:
        problems.append("network_availability_zones: list at least 2 zones (the load balancer needs two)")
    for var, cidrs in subnet_lists:
        if len(cidrs) != len(zones):
            problems.append("%s: %d subnets for %d zones; give exactly one subnet per zone in network_availability_zones"
                            % (var, len(cidrs), len(zones)))
    for port in ports:
        if not 1 <= jinja_int(port) <= 65535:
            problems.append("network ports: %s is out of range; use 1-65535" % (port,))
    return problems


class FilterModule(object):
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "network_subnets": network_subnets,
            "network_nat_gateways": network_nat_gateways,
            "network_route_tables": network_route_tables,
            "network_alb_ingress": network_alb_ingress,
            "network_route_tables_teardown": network_route_tables_teardown,
            "network_nat_teardown": network_nat_teardown,
            "network_subnets_teardown": network_subnets_teardown,
            "network_problems": network_problems,
        }
