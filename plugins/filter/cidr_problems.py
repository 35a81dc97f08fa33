# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the roles' preflight checks: CIDR validation without extra collections."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any, Callable

DOCUMENTATION = r"""
name: cidr_problems
short_description: Explain what is wrong with a VPC CIDR and its subnet CIDRs
version_added: 0.1.0
author: Apranova platform team
description:
  - Returns a list of human-readable problems (empty when all is well) for a VPC CIDR and a
    dict of named subnet CIDR lists, checking syntax, AWS's /16../28 size limits,
    containment in the VPC and overlaps between subnets.
options:
  _input:
    description: The VPC CIDR.
    type: str
    required: true
  subnets:
    description: Mapping of variable name to a list of subnet CIDRs.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Fail on bad CIDRs
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ '10.0.0.0/16' | apranova.aws_stack.cidr_problems({'network_public_subnet_cidrs': ['10.0.1.0/24']}) }}"
"""

RETURN = r"""
_value:
  description: The problems found, one sentence each.
  type: list
  elements: str
"""


def _network(value: Any) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | None, str | None]:
    try:
        return ipaddress.ip_network(str(value), strict=True), None
    except ValueError as exc:
        if "host bits set" in str(exc):
            return None, "has host bits set (use the network address, e.g. %s)" % ipaddress.ip_network(str(value), strict=False)
        return None, "is not a valid IPv4 CIDR such as 10.0.0.0/16"


def cidr_problems(vpc_cidr: Any, subnets: Mapping[str, Sequence[Any]] | None, vpc_var: str = "network_vpc_cidr") -> list[str]:
    problems = []
    vpc, err = _network(vpc_cidr)
    if err:
        problems.append("%s: '%s' %s" % (vpc_var, vpc_cidr, err))
    elif vpc.version != 4 or not 16 <= vpc.prefixlen <= 28:
        problems.append("%s: '%s' must be an IPv4 block between /16 and /28" % (vpc_var, vpc_cidr))
        vpc = None
    seen = []
    for var, cidrs in (subnets or {}).items():
        for cidr in cidrs or []:
            net, err = _network(cidr)
            if err:
                problems.append("%s: '%s' %s" % (var, cidr, err))
                continue
            if net.version != 4 or not 16 <= net.prefixlen <= 28:
                problems.append("%s: '%s' must be an IPv4 block between /16 and /28" % (var, cidr))
                continue
            if vpc is not None and not net.subnet_of(vpc):
                problems.append("%s: '%s' is outside the VPC %s (%s); pick a block inside it" % (var, cidr, vpc_cidr, vpc_var))
            for other_var, other in seen:
                if net.overlaps(other):
                    problems.append("%s: '%s' overlaps %s '%s'; subnets must not overlap" % (var, cidr, other_var, other))
            seen.append((var, net))
    return problems


class FilterModule(object):
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"cidr_problems": cidr_problems}
