# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the report role (``report_fargate_bill`` and ``report_cost_lines``).

* ``report_fargate_bill`` turns the ECS services of the inventory into the ``fargate`` part of the
  bill of materials that ``apranova.aws_stack.stack_cost`` prices (roles/report/vars/main.yml),
  in the shape ``apranova.aws_stack.stack_report`` gives for the live stack.
* ``report_cost_lines`` writes the lines of a ``stack_cost`` estimate as the text the check-mode
  cost message prints, one line per cost line.

The role built these with Jinja before; numbers are still read as Jinja's ``int`` filter reads them
(``'512'`` and ``512.0`` are 512; plugins/plugin_utils/filter_inputs.py). Docs: report_fargate_bill.yml
and report_cost_lines.yml next to this file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.filter_inputs import require_dict, require_list, strict_int

# Every service of the inventory runs on Fargate, Linux/x86 (the live stack reports its own).
ARCHITECTURE = "X86_64"


def report_fargate_bill(services: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``fargate`` entries of the bill of materials, one per service, in the inventory's order."""
    name = "report_fargate_bill"
    out = []
    for index, svc in enumerate(require_list(services, "the input (the services)", name), start=1):
        svc = require_dict(svc, "each service", name)
        lacking = [key for key in ("name", "cpu", "memory") if key not in svc]
        if lacking:
            raise AnsibleFilterError("%s: service %s lacks %s" % (name, svc.get("name", index), ", ".join(lacking)))
        out.append({
            "name": svc["name"],
            "cpu": strict_int(svc["cpu"], "the cpu of service %s" % (svc["name"],), name),
            "memory": strict_int(svc["memory"], "the memory of service %s" % (svc["name"],), name),
            "count": strict_int(svc.get("desired_count", 1), "the desired_count of service %s" % (svc["name"],), name),
            "architecture": ARCHITECTURE,
        })
    return out


def report_cost_lines(cost: Mapping[str, Any]) -> list[str]:
    """``  <label>: $<monthly> = <formula>`` for each line of a ``stack_cost`` estimate (none for ``{}``)."""
    name = "report_cost_lines"
    cost = require_dict(cost, "the input (a stack_cost estimate)", name)
    out = []
    for line in require_list(cost.get("lines", []), "the lines of the estimate", name):
        line = require_dict(line, "each line of the estimate", name)
        lacking = [key for key in ("label", "monthly", "formula") if key not in line]
        if lacking:
            raise AnsibleFilterError("%s: a line of the estimate lacks %s" % (name, ", ".join(lacking)))
        try:
            monthly = "%.2f" % (line["monthly"],)
        except TypeError:
            raise AnsibleFilterError("%s: the monthly cost of %s must be a number, got %r" % (name, line["label"], line["monthly"]))
        out.append("  %s: $%s = %s" % (line["label"], monthly, line["formula"]))
    return out


class FilterModule(object):
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"report_fargate_bill": report_fargate_bill, "report_cost_lines": report_cost_lines}
