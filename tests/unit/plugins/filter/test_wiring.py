"""What each tier's filter plugin (plugins/filter/<tier>.py) owes its role, checked for the seven tiers
at once: filters named after the tier, one documentation file per filter, and a role that builds its
data with the filters rather than with Jinja programs (no ``{% set %}`` / ``{% for %}`` left in its
tasks, vars or defaults).

Each tier's own test file checks the exact list of its filters and what they return.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.apranova.aws_stack.plugins.filter import alb, data, ecs_services, monitoring, network, registry, report

REPO = Path(__file__).resolve().parents[4]

TIERS = {"network": network, "alb": alb, "data": data, "ecs_services": ecs_services, "monitoring": monitoring,
         "registry": registry, "report": report}

# A Jinja statement that builds data: {% set ... %}, {%- for ... %} and the like.
JINJA_PROGRAM = re.compile(r"\{%[-+]?\s*(?:set|for)\b")


def role_files(tier):
    return sorted(path for folder in ("tasks", "vars", "defaults") for path in (REPO / "roles" / tier / folder).glob("*.yml"))


@pytest.mark.parametrize("tier", TIERS)
def test_filters_are_registered_under_the_tier_prefix(tier):
    module = TIERS[tier]
    filters = module.FilterModule().filters()
    assert filters
    for name, function in filters.items():
        assert name.startswith(tier + "_"), name
        assert function is getattr(module, name), name


@pytest.mark.parametrize("tier", TIERS)
def test_every_filter_has_its_documentation_file(tier):
    for name in TIERS[tier].FilterModule().filters():
        doc = (REPO / "plugins" / "filter" / ("%s.yml" % name)).read_text()
        assert "name: %s\n" % name in doc and "EXAMPLES:" in doc and "RETURN:" in doc, name


@pytest.mark.parametrize("tier", TIERS)
def test_the_role_builds_its_data_with_the_filters(tier):
    files = role_files(tier)
    assert REPO / "roles" / tier / "vars" / "main.yml" in files
    for path in files:
        assert JINJA_PROGRAM.findall(path.read_text()) == [], path
    text = "".join(path.read_text() for path in files)
    for name in TIERS[tier].FilterModule().filters():
        assert re.search(r"apranova\.aws_stack\.%s\b" % name, text), name


@pytest.mark.parametrize("path,call", [
    ("roles/network/vars/main.yml", "apranova.aws_stack.network_route_tables("),
    ("roles/network/tasks/preflight.yml", "apranova.aws_stack.network_problems("),
    ("roles/alb/vars/main.yml", "apranova.aws_stack.alb_target_groups("),
    ("roles/alb/tasks/preflight.yml", "apranova.aws_stack.alb_problems("),
])
def test_the_role_calls_the_filter_where_the_jinja_was(path, call):
    assert call in (REPO / path).read_text()
