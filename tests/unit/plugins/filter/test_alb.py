"""Offline tests of the load balancer tier's filters (plugins/filter/alb.py).

The inputs are the production inventory's (the alb role's defaults, stack_name_prefix "production",
stack_alb_name "production-alb") written out by hand, and so are the expected values: a change in a
filter shows up as a failing literal, not as a value read back from the same files. The problem
messages are the ones the preflight printed before it was a filter, word for word.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.filter import alb

TARGET_GROUPS = [
    {"name": "backend", "port": 8000, "health_check_path": "/api/health/", "health_check_matcher": "200-399"},
    {"name": "frontend", "port": 3000, "health_check_path": "/", "health_check_matcher": "200-399"},
]
RULES = [
    {"name": "api", "priority": 10, "path_patterns": ["/api/*"], "target_group": "backend"},
    {"name": "admin", "priority": 20, "path_patterns": ["/admin/*"], "target_group": "backend"},
]
TEMPLATE = "production-{name}-tg"


def problems(target_groups=TARGET_GROUPS, rules=RULES, default_target_group="frontend", alb_name="production-alb",
             name_prefix="production", idle_timeout=60, certificate_arn=""):
    return alb.alb_problems(target_groups, rules=rules, default_target_group=default_target_group, alb_name=alb_name,
                            name_prefix=name_prefix, idle_timeout=idle_timeout, certificate_arn=certificate_arn)


def rule(**changes):
    return dict(RULES[0], **changes)


def test_filters_are_registered_under_the_tier_prefix():
    filters = alb.FilterModule().filters()
    assert sorted(filters) == ["alb_problems", "alb_rules", "alb_target_groups"]
    assert filters["alb_problems"] is alb.alb_problems


# ---------------------------------------------------------------- alb_target_groups


def test_target_groups_of_production():
    assert alb.alb_target_groups(TARGET_GROUPS, TEMPLATE, 30, 30) == [
        {"name": "production-backend-tg", "port": 8000, "protocol": "HTTP", "target_type": "ip", "deregistration_delay": 30,
         "health_check": {"path": "/api/health/", "protocol": "HTTP", "interval": 30, "matcher": "200-399"},
         "tags": {"Name": "production-backend-tg", "Service": "backend"}},
        {"name": "production-frontend-tg", "port": 3000, "protocol": "HTTP", "target_type": "ip", "deregistration_delay": 30,
         "health_check": {"path": "/", "protocol": "HTTP", "interval": 30, "matcher": "200-399"},
         "tags": {"Name": "production-frontend-tg", "Service": "frontend"}},
    ]


def test_target_group_defaults_and_numbers():
    groups = alb.alb_target_groups([{"name": "api", "port": "8000"}, {"name": "web", "port": 80, "health_check_path": None}],
                                   "staging-{name}-tg", deregistration_delay="45", health_check_interval=12.7)
    assert groups[0] == {
        "name": "staging-api-tg", "port": 8000, "protocol": "HTTP", "target_type": "ip", "deregistration_delay": 45,
        "health_check": {"path": "/", "protocol": "HTTP", "interval": 12, "matcher": "200-399"},
        "tags": {"Name": "staging-api-tg", "Service": "api"}}
    # a path set to null stays null, as `default('/')` left it
    assert groups[1]["health_check"]["path"] is None


def test_target_groups_refuse_bad_entries():
    with pytest.raises(AnsibleFilterError, match="alb_target_groups: an entry of alb_target_groups has no 'port'"):
        alb.alb_target_groups([{"name": "api"}], TEMPLATE)
    with pytest.raises(AnsibleFilterError, match="each entry of alb_target_groups must be a dict, got str"):
        alb.alb_target_groups(["api"], TEMPLATE)
    with pytest.raises(AnsibleFilterError, match="alb_target_groups must be a list, got dict"):
        alb.alb_target_groups({"name": "api"}, TEMPLATE)


# ---------------------------------------------------------------- alb_rules


def test_rules_of_production():
    assert alb.alb_rules(RULES, TEMPLATE) == [
        {"name": "api", "priority": 10, "conditions": {"path_patterns": ["/api/*"]},
         "actions": {"target_group_name": "production-backend-tg"}},
        {"name": "admin", "priority": 20, "conditions": {"path_patterns": ["/admin/*"]},
         "actions": {"target_group_name": "production-backend-tg"}},
    ]
    assert alb.alb_rules([], TEMPLATE) == []


def test_rules_forward_by_arn_to_the_target_groups_that_exist():
    """With the run's ARNs (the target groups task's result), no rule needs its group looked up by name."""
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/production-backend-tg/1"
    rules = alb.alb_rules(RULES, TEMPLATE, arns={"production-backend-tg": arn, "production-frontend-tg": None})
    assert [r["actions"] for r in rules] == [{"target_group_arn": arn}] * 2
    # a group the ARNs do not hold (not made yet, in check mode) is named
    rules = alb.alb_rules(RULES, TEMPLATE, arns={"production-frontend-tg": arn.replace("backend", "frontend")})
    assert [r["actions"] for r in rules] == [{"target_group_name": "production-backend-tg"}] * 2


def test_rule_priority_is_read_as_a_number():
    assert alb.alb_rules([rule(priority="15")], TEMPLATE)[0]["priority"] == 15


def test_rules_refuse_bad_entries():
    with pytest.raises(AnsibleFilterError, match="alb_rules: an entry of alb_rules has no 'target_group'"):
        alb.alb_rules([{"name": "api", "priority": 10, "path_patterns": ["/api/*"]}], TEMPLATE)


# ---------------------------------------------------------------- alb_problems


def test_production_and_staging_have_no_problem():
    assert problems() == []
    assert problems(alb_name="staging-alb", name_prefix="staging") == []
    assert problems(certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc", idle_timeout="4000") == []


@pytest.mark.parametrize("name", ["a" * 33, "-alb", "alb-", "my_alb", ""])
def test_load_balancer_name(name):
    assert problems(alb_name=name) == [
        "stack_alb_name: '%s' must be 1-32 letters, digits or hyphens, not starting or ending with a hyphen" % name]


def test_no_target_group():
    assert problems(target_groups=[], rules=[]) == [
        "alb_target_groups: list at least one target group",
        "alb_default_target_group: 'frontend' is not one of alb_target_groups ()",
    ]


def test_target_group_name_too_long_or_invalid():
    groups = [{"name": "backend-with-a-very-long-name-indeed", "port": 8000}, {"name": "front_end", "port": 3000}]
    assert problems(target_groups=groups, rules=[], default_target_group="front_end") == [
        "alb_target_groups: the target group name 'production-backend-with-a-very-long-name-indeed-tg' is 50 characters; "
        "AWS allows 32 letters, digits or hyphens: shorten the name or stack_name_prefix",
        "alb_target_groups: the target group name 'production-front_end-tg' is 23 characters; "
        "AWS allows 32 letters, digits or hyphens: shorten the name or stack_name_prefix",
    ]


def test_target_group_port_out_of_range():
    groups = [{"name": "backend", "port": 0}, {"name": "frontend", "port": "65536"}, {"name": "worker", "port": "x"},
              {"name": "admin", "port": "65535"}]
    assert problems(target_groups=groups) == [
        "alb_target_groups: port 0 of 'backend' is out of range; use 1-65535",
        "alb_target_groups: port 65536 of 'frontend' is out of range; use 1-65535",
        "alb_target_groups: port x of 'worker' is out of range; use 1-65535",
    ]


def test_target_group_listed_twice_case_insensitively():
    assert problems(target_groups=TARGET_GROUPS + [{"name": "Frontend", "port": 3001}]) == [
        "alb_target_groups: a name is listed twice"]


def test_default_target_group_unknown():
    assert problems(default_target_group="web") == [
        "alb_default_target_group: 'web' is not one of alb_target_groups (backend, frontend)"]


def test_rule_priority_out_of_range():
    assert problems(rules=[rule(priority=50001), RULES[1]]) == [
        "alb_rules: priority 50001 of rule 'api' is out of range; use 1-50000"]
    assert problems(rules=[rule(priority="0"), RULES[1]]) == [
        "alb_rules: priority 0 of rule 'api' is out of range; use 1-50000"]


def test_rule_path_values():
    assert problems(rules=[rule(path_patterns=["/a/*", "/b/*", "/c/*", "/d/*", "/e/*", "/f/*"])]) == [
        "alb_rules: rule 'api' has 6 path values; an ALB rule takes 1 to 5: split it into several rules"]
    assert problems(rules=[rule(path_patterns=[])]) == [
        "alb_rules: rule 'api' has 0 path values; an ALB rule takes 1 to 5: split it into several rules"]
    assert problems(rules=[rule(path_patterns=["/a/*", "/b/*", "/c/*", "/d/*", "/e/*"])]) == []


def test_rule_forwards_to_an_unknown_target_group():
    assert problems(rules=[rule(target_group="worker")]) == [
        "alb_rules: rule 'api' forwards to 'worker', which is not one of alb_target_groups"]


def test_rules_with_the_same_priority_or_name():
    assert problems(rules=[RULES[0], dict(RULES[1], priority="10")]) == [
        "alb_rules: two rules have the same priority; priorities must be unique"]
    assert problems(rules=[RULES[0], dict(RULES[1], name="API")]) == ["alb_rules: two rules have the same name"]


def test_same_path_in_two_rules():
    assert problems(rules=[RULES[0], dict(RULES[1], path_patterns=["/api/*"])]) == [
        "alb_rules: the path '/api/*' appears in two rules; each path belongs to one rule"]
    # each repetition is reported; nested lists are opened and null items dropped, as `flatten` did
    assert problems(rules=[rule(path_patterns=["/x", ["/x", None]]), dict(RULES[1], path_patterns=["/x", "null"])]) == [
        "alb_rules: the path '/x' appears in two rules; each path belongs to one rule",
        "alb_rules: the path '/x' appears in two rules; each path belongs to one rule",
    ]
    assert problems(rules=[rule(path_patterns=["/api/*", "null", "None"]), dict(RULES[1], path_patterns=["/admin/*", "null", "None"])]) == []


@pytest.mark.parametrize("timeout", [0, 4001, "abc", "-5"])
def test_idle_timeout(timeout):
    assert problems(idle_timeout=timeout) == ["alb_idle_timeout: use 1 to 4000 seconds"]


@pytest.mark.parametrize("arn", ["arn:aws:iam::123456789012:server-certificate/x", "arn:aws:acm:us-east-1:1234:certificate/abc"])
def test_certificate_arn(arn):
    assert problems(certificate_arn=arn) == ["alb_certificate_arn: '%s' is not an ACM certificate ARN" % arn]


def test_problems_come_in_the_preflight_order():
    # what the Jinja preflight printed for these inputs, before it was a filter
    groups = [{"name": "Backend", "port": "0"}, {"name": "backend", "port": 65536}, {"name": "bad_name", "port": "x"}]
    rules = [{"name": "a", "priority": 0, "path_patterns": [], "target_group": "zzz"},
             {"name": "A", "priority": "0", "path_patterns": ["/x", "/y", "/x", ["/z", None, "null"]], "target_group": "backend"},
             {"name": "b", "priority": 50001, "path_patterns": "/s", "target_group": "Backend"}]
    assert problems(target_groups=groups, rules=rules, default_target_group="nope", alb_name="-bad", idle_timeout=0,
                    certificate_arn="arn:aws:iam::123:cert") == [
        "stack_alb_name: '-bad' must be 1-32 letters, digits or hyphens, not starting or ending with a hyphen",
        "alb_target_groups: port 0 of 'Backend' is out of range; use 1-65535",
        "alb_target_groups: port 65536 of 'backend' is out of range; use 1-65535",
        "alb_target_groups: the target group name 'production-bad_name-tg' is 22 characters; AWS allows 32 letters, "
        "digits or hyphens: shorten the name or stack_name_prefix",
        "alb_target_groups: port x of 'bad_name' is out of range; use 1-65535",
        "alb_target_groups: a name is listed twice",
        "alb_default_target_group: 'nope' is not one of alb_target_groups (Backend, backend, bad_name)",
        "alb_rules: priority 0 of rule 'a' is out of range; use 1-50000",
        "alb_rules: rule 'a' has 0 path values; an ALB rule takes 1 to 5: split it into several rules",
        "alb_rules: rule 'a' forwards to 'zzz', which is not one of alb_target_groups",
        "alb_rules: priority 0 of rule 'A' is out of range; use 1-50000",
        "alb_rules: priority 50001 of rule 'b' is out of range; use 1-50000",
        "alb_rules: two rules have the same priority; priorities must be unique",
        "alb_rules: two rules have the same name",
        "alb_rules: the path '/x' appears in two rules; each path belongs to one rule",
        "alb_idle_timeout: use 1 to 4000 seconds",
        "alb_certificate_arn: 'arn:aws:iam::123:cert' is not an ACM certificate ARN",
    ]


@pytest.mark.parametrize("changes,message", [
    ({"rules": "api"}, "alb_rules must be a list, got str"),
    ({"alb_name": 7}, "alb_name \\(stack_alb_name\\) must be a string, got int"),
    ({"rules": [{"name": "api", "path_patterns": ["/api/*"], "target_group": "backend"}]}, "alb_problems: an entry of alb_rules has no 'priority'"),
    ({"rules": [rule(path_patterns=None)]}, "the path_patterns of rule 'api' must be a list, got NoneType"),
])
def test_problems_refuse_wrong_types(changes, message):
    with pytest.raises(AnsibleFilterError, match=message):
        problems(**changes)
