"""Offline tests of plugins/module_utils/elbv2.py: normalisers, validation, matching, planning.

The planner is also replayed against moto's in-process backend (``mock_aws``), which rejects a
priority that is in use exactly as the moto server does, so a plan that collides fails here.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import elbv2
from ...aws_answers import vpc_with_two_subnets

TG_A = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/backend/73e2d6bc24d8a067"
TG_B = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/frontend/0123456789abcdef"


def option_rule(priority, paths=None, name=None, tg=TG_A, **conditions):
    conds = dict(conditions)
    if paths is not None:
        conds["path_patterns"] = paths
    return {"name": name, "priority": priority, "conditions": conds, "actions": {"target_group_arn": tg}, "tags": None}


def desired_rule(priority, paths, name=None, tg=TG_A, tags=None, purge_tags=True):
    return {
        "name": name,
        "priority": priority,
        "conditions": elbv2.desired_conditions({"path_patterns": paths}),
        "actions": elbv2.forward_action(tg),
        "tags": tags if tags is not None else ({"Name": name} if name else None),
        "purge_tags": purge_tags if tags is not None else False,
    }


def current_rule(arn, priority, paths, name=None, tg=TG_A):
    tags = {"Name": name} if name else {}
    return {
        "rule_arn": arn,
        "name": name,
        "priority": priority,
        "conditions": elbv2.desired_conditions({"path_patterns": paths}),
        "actions": elbv2.forward_action(tg),
        "is_default": False,
        "tags": tags,
    }


# --- normalisers ------------------------------------------------------------------------------


def test_normalize_rule_string_priority_and_both_condition_forms():
    raw = {
        "RuleArn": "arn:r1",
        "Priority": "7",
        "IsDefault": False,
        "Conditions": [
            {"Field": "path-pattern", "Values": ["/b"]},
            {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a/*", "/b"]}},
            {"Field": "host-header", "Values": ["x.example.com"], "HostHeaderConfig": {"Values": ["x.example.com"]}},
            {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST", "GET"]}},
            {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}},
        ],
        "Actions": [{"Type": "forward", "TargetGroupArn": TG_A}],
    }
    rule = elbv2.normalize_rule(raw, {"Name": "api", "Env": "x"})
    assert rule["priority"] == 7 and isinstance(rule["priority"], int)
    assert rule["name"] == "api"
    assert rule["conditions"] == {
        "path_patterns": ["/a/*", "/b"],
        "host_headers": ["x.example.com"],
        "http_request_methods": ["GET", "POST"],
        "source_ips": ["10.0.0.0/8"],
    }
    assert rule["actions"] == {"target_group_arn": TG_A, "target_group_name": "backend"}


def test_unmanaged_conditions_compare_different():
    raw = [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a"]}},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["blue"]}},
    ]
    assert elbv2.normalize_conditions(raw) != elbv2.desired_conditions({"path_patterns": ["/a"]})
    assert elbv2.normalize_conditions(raw)["http_headers"] == [{"name": "X-Env", "values": ["blue"]}]


def test_forward_config_form_equals_simple_forward():
    aws_form = [
        {
            "Type": "forward",
            "TargetGroupArn": TG_A,
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": TG_A, "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": False},
            },
        }
    ]
    config_only = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG_A}]}}]
    assert elbv2.normalize_actions(aws_form) == elbv2.forward_action(TG_A)
    assert elbv2.normalize_actions(config_only) == elbv2.forward_action(TG_A)
    weighted = [
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG_A}, {"TargetGroupArn": TG_B}]}}
    ]
    assert "other" in elbv2.normalize_actions(weighted)


def test_redirect_defaults_filled_both_sides():
    sent_by_moto = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    filled_by_aws = [
        {
            "Type": "redirect",
            "RedirectConfig": {
                "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}",
                "Query": "#{query}", "StatusCode": "HTTP_301",
            },
        }
    ]
    desired = {"redirect": elbv2.desired_redirect({"protocol": "HTTPS", "port": 443, "status_code": "HTTP_301"})}
    assert elbv2.normalize_actions(sent_by_moto) == desired
    assert elbv2.normalize_actions(filled_by_aws) == desired
    api = elbv2.actions_to_api(desired)
    assert api[0]["RedirectConfig"]["Path"] == "/#{path}" and api[0]["RedirectConfig"]["Port"] == "443"


def test_fixed_response_round_trip():
    desired = {"fixed_response": elbv2.desired_fixed_response({"status_code": "404", "content_type": "text/plain"})}
    api = elbv2.actions_to_api(desired)
    assert api == [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}]
    assert elbv2.normalize_actions(api) == desired


def test_conditions_to_api_never_uses_legacy_values():
    api = elbv2.conditions_to_api(
        elbv2.desired_conditions({"path_patterns": ["/b", "/a", "/a"], "host_headers": ["h"], "source_ips": None})
    )
    assert api == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a", "/b"]}},
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["h"]}},
    ]
    assert all("Values" not in c for c in api)


# --- validation -------------------------------------------------------------------------------


def test_validate_accepts_good_rules():
    assert elbv2.validate_rules([option_rule(1, ["/a"]), option_rule(50000, ["/b"], name="b")]) == []
    assert elbv2.validate_rules([]) == []


@pytest.mark.parametrize(
    "rules, fragment",
    [
        ([option_rule(0, ["/a"])], "out of range"),
        ([option_rule(50001, ["/a"])], "out of range"),
        ([option_rule(5, ["/a"]), option_rule(5, ["/b"])], "priority 5 is also used"),
        ([option_rule(5, ["/a"], name="x"), option_rule(6, ["/b"], name="x")], "names must be unique"),
        ([option_rule(5, [])], "conditions are empty"),
        ([option_rule(5, ["/a", "/b", "/c"], host_headers=["a", "b", "c"])], "6 condition values"),
        ([option_rule(5, ["/a*", "/b*", "/c*"], host_headers=["*.a", "*.b", "*.c"])], "wildcards"),
        ([option_rule(5, ["/a", "/b"]), option_rule(6, ["/b", "/a"])], "same conditions"),
        ([option_rule(5, ["/a", ""])], "empty value"),
        ([dict(option_rule(5, ["/a"]), actions={})], "exactly one of"),
    ],
)
def test_validate_rejects(rules, fragment):
    errors = elbv2.validate_rules(rules)
    assert errors and fragment in " ".join(errors), errors


def test_rule_tags():
    assert elbv2.rule_tags(None, None, None, True) == (None, False)
    assert elbv2.rule_tags("api", None, None, True) == ({"Name": "api"}, False)
    assert elbv2.rule_tags("api", {"Env": "p", "Name": "x"}, {"Tier": 1}, True) == (
        {"Env": "p", "Name": "api", "Tier": "1"}, True,
    )


# --- matching ---------------------------------------------------------------------------------


def test_match_by_name_then_conditions_then_priority():
    current = [
        current_rule("arn:1", 10, ["/api/*"], name="api"),
        current_rule("arn:2", 20, ["/admin/*"]),
        current_rule("arn:3", 30, ["/old"]),
        current_rule("arn:4", 40, ["/named"], name="other"),
    ]
    desired = [
        desired_rule(99, ["/changed"], name="api"),   # by name, despite other priority+conditions
        desired_rule(5, ["/admin/*"]),               # by conditions
        desired_rule(30, ["/new"]),                  # by priority
        desired_rule(40, ["/x"], name="mine"),       # not by priority: arn:4 carries another name
    ]
    matches, free = elbv2.match_rules(desired, current)
    assert [m["rule_arn"] if m else None for m in matches] == ["arn:1", "arn:2", "arn:3", None]
    assert [c["rule_arn"] for c in free] == ["arn:4"]


# --- planning (pure) --------------------------------------------------------------------------


def simulate(current, operations):
    """Replay operations on a priority table, failing on any collision like the API does."""
    table = {c["rule_arn"]: c["priority"] for c in current}
    for op in operations:
        held = set(table.values())
        if op[0] == "create":
            assert op[3] not in held, f"create collides at {op[3]}"
            table[op[1]] = op[3]
        elif op[0] == "move":
            assert op[2] not in held, f"move collides at {op[2]}"
            table[op[1]] = op[2]
        elif op[0] == "delete":
            del table[op[1]]
    return table


def test_plan_no_change_is_empty():
    current = [current_rule("arn:1", 10, ["/api/*"], name="api")]
    ops, final = elbv2.plan([desired_rule(10, ["/api/*"], name="api")], current, True)
    assert ops == []
    assert final[0]["rule_arn"] == "arn:1"


def test_plan_swap_goes_through_parking_priority():
    current = [current_rule("arn:1", 10, ["/a"], name="a"), current_rule("arn:2", 20, ["/b"], name="b")]
    desired = [desired_rule(20, ["/a"], name="a"), desired_rule(10, ["/b"], name="b")]
    ops, final = elbv2.plan(desired, current, False)
    assert [op[0] for op in ops] == ["move", "move", "move"]
    assert simulate(current, ops) == {"arn:1": 20, "arn:2": 10}
    assert [(r["name"], r["priority"]) for r in final] == [("b", 10), ("a", 20)]


def test_plan_rotation_of_three():
    current = [current_rule(f"arn:{p}", p, [f"/{p}"], name=str(p)) for p in (1, 2, 3)]
    desired = [desired_rule(2, ["/1"], name="1"), desired_rule(3, ["/2"], name="2"), desired_rule(1, ["/3"], name="3")]
    ops = elbv2.plan(desired, current, False)[0]
    assert simulate(current, ops) == {"arn:1": 2, "arn:2": 3, "arn:3": 1}


def test_plan_create_parks_when_priority_held_by_deleted_rule():
    current = [current_rule("arn:old", 10, ["/old"], name="old")]
    desired = [desired_rule(10, ["/new"], name="new")]
    ops, final = elbv2.plan(desired, current, True)
    kinds = [op[0] for op in ops]
    assert kinds == ["create", "delete", "move"]
    assert ops[0][3] != 10
    assert simulate(current, ops) == {"new:0": 10}
    assert final[0]["rule_arn"] is None and final[0]["priority"] == 10


def test_plan_conflict_with_kept_rule_is_an_error():
    current = [current_rule("arn:old", 10, ["/old"], name="old")]
    with pytest.raises(elbv2.PlanError, match="purge_rules"):
        elbv2.plan([desired_rule(10, ["/new"], name="new")], current, False)


def test_plan_keeps_unlisted_rules_without_purge():
    current = [current_rule("arn:1", 10, ["/a"]), current_rule("arn:2", 20, ["/b"])]
    ops, final = elbv2.plan([desired_rule(10, ["/a"])], current, False)
    assert ops == []
    assert [r["rule_arn"] for r in final] == ["arn:1", "arn:2"]
    ops, final = elbv2.plan([], current, True)
    assert ops == [("delete", "arn:1"), ("delete", "arn:2")] and final == []


def test_plan_modify_and_tags():
    current = [current_rule("arn:1", 10, ["/a"], name="a")]
    desired = [desired_rule(10, ["/a", "/c"], name="a", tags={"Name": "a", "Env": "p"})]
    ops, final = elbv2.plan(desired, current, False)
    assert ("modify", "arn:1", 0) in ops
    assert ("tag", "arn:1", {"Env": "p"}, []) in ops
    assert final[0]["tags"] == {"Name": "a", "Env": "p"}


# --- the plan replayed on moto's in-process backend ---------------------------------------------


@pytest.fixture
def moto_listener(offline_aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc, subnets = vpc_with_two_subnets(ec2)
    client = boto3.client("elbv2", region_name="us-east-1")
    lb = client.create_load_balancer(Name="unit", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = client.create_target_group(Name="backend", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    listener = client.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}]
    )["Listeners"][0]["ListenerArn"]
    yield _NoRetry(client), listener, tg_arn


class _NoRetry:
    """A boto3 client that accepts (and drops) the ``aws_retry`` keyword of the retrying wrapper."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        method = getattr(self._client, name)

        def call(*args, aws_retry=False, **kwargs):
            return method(*args, **kwargs)

        return call


def _apply(client, listener, desired, purge):
    from ansible_collections.apranova.aws_stack.plugins.modules.elb_listener_rules import apply_operations

    current = elbv2.list_listener_rules(client, listener)
    ops = elbv2.plan(desired, current, purge)[0]
    apply_operations(client, listener, desired, ops)
    return ops, elbv2.list_listener_rules(client, listener)


def test_plan_replayed_on_moto_swap_and_replace(moto_listener):
    client, listener, tg = moto_listener
    first = [desired_rule(10, ["/api/*"], name="api", tg=tg), desired_rule(20, ["/admin/*"], name="admin", tg=tg)]
    rules = _apply(client, listener, first, True)[1]
    assert [(r["name"], r["priority"]) for r in rules] == [("api", 10), ("admin", 20)]

    swapped = [desired_rule(20, ["/api/*"], name="api", tg=tg), desired_rule(10, ["/admin/*"], name="admin", tg=tg)]
    rules = _apply(client, listener, swapped, True)[1]
    assert [(r["name"], r["priority"]) for r in rules] == [("admin", 10), ("api", 20)]

    # "web" wants priority 10, held by "admin" which is purged: created parked, then moved
    replaced = [desired_rule(10, ["/web/*"], name="web", tg=tg), desired_rule(20, ["/api/*"], name="api", tg=tg)]
    ops, rules = _apply(client, listener, replaced, True)
    assert [(r["name"], r["priority"], r["conditions"]) for r in rules] == [
        ("web", 10, {"path_patterns": ["/web/*"]}),
        ("api", 20, {"path_patterns": ["/api/*"]}),
    ]
    ops = _apply(client, listener, replaced, True)[0]
    assert ops == []


def reconcile(client, listener_arn, rules, purge_rules=False, tags=None, purge_tags=True, check_mode=False):
    """The module's ``ensure_rules`` with these parameters: ``(outcome, warnings)``."""
    from ansible_collections.apranova.aws_stack.plugins.modules.elb_listener_rules import ensure_rules

    warnings = []
    params = dict(listener_arn=listener_arn, rules=rules, purge_rules=purge_rules, tags=tags, purge_tags=purge_tags)
    outcome = ensure_rules(client, params, base.Context(check_mode=check_mode, warn=warnings.append))
    return outcome, warnings


def test_missing_listener_and_target_group(moto_listener):
    client, listener, tg = moto_listener
    missing = listener[:-4] + "beef"
    rules = [option_rule(10, ["/api/*"], name="api", tg=None)]
    rules[0]["actions"] = {"target_group_name": "nope"}
    # check mode: a stack that does not exist yet can be checked, with warnings
    outcome, warnings = reconcile(client, missing, rules, check_mode=True)
    after = outcome.result["rules"]
    assert outcome.changed and outcome.before == {"rules": []} and after[0]["priority"] == 10 and after[0]["rule_arn"] is None
    assert outcome.after == {"rules": after} and outcome.result["listener_arn"] == missing
    assert any("not found" in w for w in warnings) and len(warnings) == 2
    # apply: clear errors, nothing created
    with pytest.raises(ValueError, match="listener .* not found"):
        reconcile(client, missing, rules)
    with pytest.raises(ValueError, match="target group 'nope' not found"):
        reconcile(client, listener, rules)
    assert elbv2.list_listener_rules(client, listener) == []
    # and with a real target group name it converges
    rules[0]["actions"] = {"target_group_name": "backend"}
    outcome, warnings = reconcile(client, listener, rules)
    after = outcome.result["rules"]
    assert outcome.changed and not warnings
    assert after[0]["actions"] == {"target_group_arn": tg, "target_group_name": "backend"}
    assert after[0]["tags"] == {"Name": "api"}
    assert reconcile(client, listener, rules)[0].changed is False


def test_redirect_fixed_response_and_other_conditions_converge(moto_listener):
    client, listener, _tg = moto_listener
    rules = [
        {"name": "docs", "priority": 5, "tags": {"Tier": "edge"},
         "conditions": {"host_headers": ["docs.example.com"], "http_request_methods": ["GET", "HEAD"]},
         "actions": {"redirect": {"host": "www.example.com", "path": "/docs", "status_code": "HTTP_301",
                                  "protocol": None, "port": None, "query": None}}},
        {"name": "blocked", "priority": 6, "tags": None,
         "conditions": {"source_ips": ["192.0.2.0/24"], "path_patterns": ["/internal/*"]},
         "actions": {"fixed_response": {"status_code": "403", "content_type": "text/plain", "message_body": "no"}}},
    ]
    outcome, _warnings = reconcile(client, listener, rules, True, {"Project": "p"})
    after = outcome.result["rules"]
    assert outcome.changed
    raw = {r["Priority"]: r for r in client.describe_rules(ListenerArn=listener)["Rules"]}
    assert raw["5"]["Actions"][0]["RedirectConfig"]["Path"] == "/docs"
    assert {c["Field"] for c in raw["6"]["Conditions"]} == {"source-ip", "path-pattern"}
    assert after[0]["tags"] == {"Name": "docs", "Tier": "edge", "Project": "p"}
    assert after[1]["actions"]["fixed_response"]["message_body"] == "no"
    assert reconcile(client, listener, rules, True, {"Project": "p"})[0].changed is False
    # purge_tags: a tag that is no longer wanted goes away
    outcome, _warnings = reconcile(client, listener, rules, True, {})
    after = outcome.result["rules"]
    assert outcome.changed and after[1]["tags"] == {"Name": "blocked"}
    tags = elbv2.describe_tags(client, [after[1]["rule_arn"]])
    assert tags[after[1]["rule_arn"]] == {"Name": "blocked"}


def test_target_group_names_are_looked_up_once_and_missing_ones_refused_or_warned(moto_listener):
    client, _listener, tg = moto_listener
    calls = []
    meta = client._client.meta
    meta.events.register(f"before-call.{meta.service_model.service_id.hyphenize()}.DescribeTargetGroups",
                         lambda **kw: calls.append(1))
    found = elbv2.TargetGroupArns(client, base.Context())
    assert found.arn("backend", "unused") == tg and found.arn("backend", "unused") == tg
    assert len(calls) == 1
    with pytest.raises(elbv2.PlanError, match="^nope is missing$"):
        elbv2.TargetGroupArns(client, base.Context(), elbv2.PlanError).arn("nope", "nope is missing")
    warnings = []
    checked = elbv2.TargetGroupArns(client, base.Context(check_mode=True, warn=warnings.append), check_mode_suffix="!")
    assert checked.arn("nope", "nope is missing") == "arn:aws:elasticloadbalancing:unknown:targetgroup/nope/unknown"
    assert warnings == ["nope is missing!"]


def test_desired_action_and_the_shared_specs():
    assert elbv2.desired_action({"redirect": {"status_code": "HTTP_302"}}, TG_A) == elbv2.forward_action(TG_A)
    assert elbv2.desired_action({"redirect": {"status_code": "HTTP_302"}})["redirect"]["status_code"] == "HTTP_302"
    assert elbv2.desired_action({"fixed_response": {"status_code": 404}}) == {
        "fixed_response": {"status_code": "404", "content_type": None, "message_body": None}}
    assert elbv2.redirect_spec() is not elbv2.redirect_spec()
    assert elbv2.redirect_spec()["status_code"] == {"type": "str", "required": True, "choices": ["HTTP_301", "HTTP_302"]}
    assert sorted(elbv2.fixed_response_spec()) == ["content_type", "message_body", "status_code"]
