# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data of the load balancer tier (roles/alb), built from the role's inputs.

``alb_target_groups`` and ``alb_rules`` give the request shapes of elb_target_groups and
elb_listener_rules (roles/alb/vars/main.yml); ``alb_problems`` the preflight's problems
(roles/alb/tasks/preflight.yml). Each filter is documented in ``<filter name>.yml`` next to this file.

Scalars are read the way the Jinja these filters replace read them, so the results do not change:
``| int`` is Jinja's (``'80'`` -> 80, ``'8.9'`` -> 8, ``'abc'`` -> 0), ``~`` is ``str()``, ``is match``
is Ansible's test (the value as text, ``re.match``), ``| unique`` is Ansible's (strings compared
case-insensitively) and ``| flatten`` is Ansible's (nested lists opened, null items dropped):
plugins/plugin_utils/filter_inputs.py keeps them for every tier's filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.filter_inputs import (
    count_unique, flatten, jinja_int, matches, require_dict, require_key, require_length, require_sequence)

# Load balancer and target group names: 1-32 letters, digits or hyphens, no hyphen at either end.
NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$"
CERTIFICATE_PATTERN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$"
MAX_NAME = 32
MAX_PATH_VALUES = 5

# What require_key's errors call an entry of each list input.
A_TARGET_GROUP = "an entry of alb_target_groups"
A_RULE = "an entry of alb_rules"


def _entries(value: Any, what: str, where: str) -> list[Mapping]:
    """``value`` as a list of dicts."""
    entries = require_sequence(value, what, where)
    for entry in entries:
        require_dict(entry, "each entry of %s" % what, where)
    return entries


def _tg_name(name_template: Any, name: Any) -> str:
    """The AWS name of a target group: ``name_template`` with ``{name}`` replaced by its short name."""
    return str(name_template).replace("{name}", str(name))


# ---------------------------------------------------------------- what the role builds


def alb_target_groups(target_groups: Sequence, name_template: Any, deregistration_delay: Any = 30,
                      health_check_interval: Any = 30) -> list[dict]:
    """The IP target groups of ``alb_target_groups`` in the shape of elb_target_groups."""
    where = "alb_target_groups"
    out = []
    for tg in _entries(target_groups, "alb_target_groups", where):
        name = require_key(tg, "name", A_TARGET_GROUP, where)
        aws_name = _tg_name(name_template, name)
        out.append({
            "name": aws_name,
            "port": jinja_int(require_key(tg, "port", A_TARGET_GROUP, where)),
            "protocol": "HTTP",
            "target_type": "ip",
            "deregistration_delay": jinja_int(deregistration_delay),
            "health_check": {
                "path": tg.get("health_check_path", "/"),
                "protocol": "HTTP",
                "interval": jinja_int(health_check_interval),
                "matcher": tg.get("health_check_matcher", "200-399"),
            },
            "tags": {"Name": aws_name, "Service": name},
        })
    return out


def alb_rules(rules: Sequence, name_template: Any, arns: Optional[Mapping] = None) -> list[dict]:
    """The path rules of ``alb_rules`` in the shape of elb_listener_rules.

    Each rule forwards to its target group's ARN when ``arns`` (AWS name -> ARN, what the target
    groups task of the run returned) holds it, which spares the module a DescribeTargetGroups; else
    by AWS name, which the module looks up (a target group still to be made, in check mode).
    """
    where = "alb_rules"
    arns = arns or {}
    out = []
    for rule in _entries(rules, "alb_rules", where):
        name = _tg_name(name_template, require_key(rule, "target_group", A_RULE, where))
        out.append({
            "name": require_key(rule, "name", A_RULE, where),
            "priority": jinja_int(require_key(rule, "priority", A_RULE, where)),
            "conditions": {"path_patterns": require_key(rule, "path_patterns", A_RULE, where)},
            "actions": {"target_group_arn": arns[name]} if arns.get(name) else {"target_group_name": name},
        })
    return out


# ---------------------------------------------------------------- preflight


def _name_ok(name: str) -> bool:
    return len(name) <= MAX_NAME and matches(NAME_PATTERN, name)


def alb_problems(target_groups: Sequence, rules: Sequence, default_target_group: Any, alb_name: Any,
                 name_prefix: Any, idle_timeout: Any = 60, certificate_arn: Any = "") -> list[str]:
    """The problems of the load balancer inputs, one sentence each; empty when all is well."""
    where = "alb_problems"
    target_groups = _entries(target_groups, "alb_target_groups", where)
    rules = _entries(rules, "alb_rules", where)
    if not isinstance(alb_name, str):
        raise AnsibleFilterError("%s: alb_name (stack_alb_name) must be a string, got %s" % (where, type(alb_name).__name__))
    names = [require_key(tg, "name", A_TARGET_GROUP, where) for tg in target_groups]
    problems = []

    if not _name_ok(alb_name):
        problems.append("stack_alb_name: '%s' must be 1-32 letters, digits or hyphens, not starting or ending with a hyphen" % alb_name)

    if not target_groups:
        problems.append("alb_target_groups: list at least one target group")
    for tg, name in zip(target_groups, names):
        full = "%s-%s-tg" % (name_prefix, name)
        if not _name_ok(full):
            problems.append("alb_target_groups: the target group name '%s' is %d characters; AWS allows 32 letters, "
                            "digits or hyphens: shorten the name or stack_name_prefix" % (full, len(full)))
        port = require_key(tg, "port", A_TARGET_GROUP, where)
        if not 1 <= jinja_int(port) <= 65535:
            problems.append("alb_target_groups: port %s of '%s' is out of range; use 1-65535" % (port, name))
    if count_unique(names) != len(names):
        problems.append("alb_target_groups: a name is listed twice")
    if default_target_group not in names:
        problems.append("alb_default_target_group: '%s' is not one of alb_target_groups (%s)"
                        % (default_target_group, ", ".join(str(name) for name in names)))

    paths = []
    for rule in rules:
        name = require_key(rule, "name", A_RULE, where)
        priority = require_key(rule, "priority", A_RULE, where)
        patterns = require_key(rule, "path_patterns", A_RULE, where)
        target = require_key(rule, "target_group", A_RULE, where)
        if not 1 <= jinja_int(priority) <= 50000:
            problems.append("alb_rules: priority %s of rule '%s' is out of range; use 1-50000" % (priority, name))
        count = require_length(patterns, "the path_patterns of rule '%s'" % name, where)
        if count == 0 or count > MAX_PATH_VALUES:
            problems.append("alb_rules: rule '%s' has %d path values; an ALB rule takes 1 to 5: split it into several rules" % (name, count))
        if target not in names:
            problems.append("alb_rules: rule '%s' forwards to '%s', which is not one of alb_target_groups" % (name, target))
        paths.append(patterns)
    if count_unique([jinja_int(rule["priority"]) for rule in rules]) != len(rules):
        problems.append("alb_rules: two rules have the same priority; priorities must be unique")
    if count_unique([rule["name"] for rule in rules]) != len(rules):
        problems.append("alb_rules: two rules have the same name")
    seen = []
    for path in flatten(paths):
        if path in seen:
            problems.append("alb_rules: the path '%s' appears in two rules; each path belongs to one rule" % (path,))
        seen.append(path)

    if not 1 <= jinja_int(idle_timeout) <= 4000:
        problems.append("alb_idle_timeout: use 1 to 4000 seconds")
    if certificate_arn and not matches(CERTIFICATE_PATTERN, certificate_arn):
        problems.append("alb_certificate_arn: '%s' is not an ACM certificate ARN" % (certificate_arn,))
    return problems


class FilterModule(object):
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "alb_target_groups": alb_target_groups,
            "alb_rules": alb_rules,
            "alb_problems": alb_problems,
        }
