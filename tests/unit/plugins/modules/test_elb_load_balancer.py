"""Offline tests of the load balancer half of plugins/module_utils/elbv2_lb.py and the
elb_load_balancer module's ensure functions (moto's in-process backend, no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]

import boto3

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import elbv2_lb as lb
from ansible_collections.apranova.aws_stack.plugins.modules import elb_load_balancer as mod
from ...aws_answers import retrying, vpc_with_two_subnets

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/frontend/0123456789abcdef"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


# --- attributes -------------------------------------------------------------------------------


def test_missing_attributes_read_as_aws_defaults():
    # what moto returns for a new ALB: no idle_timeout, no http2, no drop_invalid keys
    raw = [
        {"Key": "access_logs.s3.bucket", "Value": ""},
        {"Key": "deletion_protection.enabled", "Value": "false"},
        {"Key": "load_balancing.cross_zone.enabled", "Value": "false"},
    ]
    assert lb.normalize_lb_attributes(raw) == {
        "deletion_protection": False, "idle_timeout": 60, "drop_invalid_header_fields": False, "http2": True,
    }
    assert lb.normalize_lb_attributes([]) == lb.LB_ATTRIBUTE_DEFAULTS


def test_attributes_parsed():
    raw = [
        {"Key": "deletion_protection.enabled", "Value": "true"},
        {"Key": "idle_timeout.timeout_seconds", "Value": "120"},
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        {"Key": "routing.http2.enabled", "Value": "false"},
    ]
    assert lb.normalize_lb_attributes(raw) == {
        "deletion_protection": True, "idle_timeout": 120, "drop_invalid_header_fields": True, "http2": False,
    }


def test_attribute_changes_only_for_set_options():
    current = dict(lb.LB_ATTRIBUTE_DEFAULTS)
    # unset options leave the attribute alone; the default value compares equal
    assert lb.lb_attribute_changes(current, None) == {}
    assert lb.lb_attribute_changes(current, {"idle_timeout": 60, "http2": True, "deletion_protection": None}) == {}
    changes = lb.lb_attribute_changes(current, {"idle_timeout": 30, "deletion_protection": True, "http2": None})
    assert changes == {"idle_timeout": 30, "deletion_protection": True}
    assert sorted(lb.lb_attributes_to_api(changes), key=lambda a: a["Key"]) == [
        {"Key": "deletion_protection.enabled", "Value": "true"},
        {"Key": "idle_timeout.timeout_seconds", "Value": "30"},
    ]


# --- listeners --------------------------------------------------------------------------------


def test_normalize_http_listener_ignores_ssl_policy():
    raw = {"ListenerArn": "arn:l1", "Port": 80, "Protocol": "HTTP", "SslPolicy": "ELBSecurityPolicy-2016-08",
           "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG}]}
    assert lb.normalize_listener(raw) == {
        "listener_arn": "arn:l1", "port": 80, "protocol": "HTTP", "ssl_policy": None, "certificate_arn": None,
        "default_action": {"target_group_arn": TG, "target_group_name": "frontend"},
    }


def test_redirect_with_parts_left_out_equals_full_form():
    option = {"port": 80, "default_action": {"redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}}
    desired = lb.desired_listener(option)
    raw = {"ListenerArn": "arn:l1", "Port": 80, "Protocol": "HTTP",
           "DefaultActions": [{"Type": "redirect",
                               "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]}
    assert lb._listener_key(lb.normalize_listener(raw)) == lb._listener_key(desired)
    api = lb.listener_to_api(desired)
    assert api["DefaultActions"][0]["RedirectConfig"]["Host"] == "#{host}"
    assert "SslPolicy" not in api and "Certificates" not in api


def test_https_listener_to_api_has_policy_and_certificate():
    desired = lb.desired_listener({"port": 443, "protocol": "HTTPS", "certificate_arn": CERT, "ssl_policy": None,
                                   "default_action": {"forward": "frontend"}}, TG)
    assert desired["ssl_policy"] == lb.DEFAULT_SSL_POLICY
    assert lb.listener_to_api(desired) == {
        "Port": 443, "Protocol": "HTTPS", "SslPolicy": lb.DEFAULT_SSL_POLICY,
        "Certificates": [{"CertificateArn": CERT}],
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG}],
    }


def _current(arn, port, tg=TG):
    return {"listener_arn": arn, "port": port, "protocol": "HTTP", "ssl_policy": None, "certificate_arn": None,
            "default_action": {"target_group_arn": tg, "target_group_name": "frontend"}}


def _desired(port, tg=TG):
    return dict(_current(None, port, tg))


def test_plan_listeners_create_modify_delete():
    other = TG.replace("frontend", "backend")
    current = [_current("arn:80", 80), _current("arn:8080", 8080)]
    create, modify, delete, predicted = lb.plan_listeners([_desired(80, other), _desired(443)], current, True)
    assert [c["port"] for c in create] == [443]
    assert modify == [("arn:80", _desired(80, other))]
    assert delete == ["arn:8080"]
    assert [(p["port"], p["listener_arn"]) for p in predicted] == [(80, "arn:80"), (443, None)]


def test_plan_listeners_no_purge_keeps_unlisted_and_no_change_is_empty():
    current = [_current("arn:80", 80), _current("arn:8080", 8080)]
    create, modify, delete, predicted = lb.plan_listeners([_desired(80)], current, False)
    assert (create, modify, delete) == ([], [], [])
    assert [p["listener_arn"] for p in predicted] == ["arn:80", "arn:8080"]


def test_plan_listeners_deletes_a_duplicate_on_one_port():
    # moto accepts a second :80 listener; the extra one goes even without purge
    current = [_current("arn:80a", 80), _current("arn:80b", 80)]
    create, modify, delete, predicted = lb.plan_listeners([_desired(80)], current, False)
    assert (create, modify, delete) == ([], [], ["arn:80b"])
    assert len(predicted) == 1


def test_validate_listeners():
    errors = lb.validate_listeners([
        {"port": 443, "protocol": "HTTPS", "default_action": {"forward": "x"}},
        {"port": 443, "protocol": "HTTPS", "certificate_arn": CERT, "default_action": {"forward": "x"}},
        {"port": 80, "protocol": "HTTP", "certificate_arn": CERT, "default_action": {"forward": "x"}},
        {"port": 70000, "protocol": "HTTP", "default_action": {}},
    ])
    text = " ".join(errors)
    assert "needs certificate_arn" in text
    assert "port 443 is also used by listeners[0]" in text
    assert "only applies to HTTPS" in text
    assert "1 to 65535" in text
    assert "exactly one of forward" in text
    assert lb.validate_listeners([{"port": 80, "protocol": "HTTP", "default_action": {"forward": "x"}}]) == []


@pytest.mark.parametrize("name, ok", [("web", True), ("a" * 32, True), ("a" * 33, False), ("-web", False),
                                      ("web-", False), ("we_b", False), ("internal-web", False), ("", False)])
def test_load_balancer_name(name, ok):
    assert (lb.name_errors(name, "load balancer", "name") == []) is ok


# --- ensure functions against moto's in-process backend ---------------------------------------


@pytest.fixture
def aws(offline_aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    raw = boto3.client("elbv2", region_name="us-east-1")
    vpc, subnets = vpc_with_two_subnets(ec2)
    tg = raw.create_target_group(Name="frontend", Protocol="HTTP", Port=3000, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    yield retrying(raw), raw, subnets, tg


def params(subnets, **kw):
    p = dict(name="web", state="present", scheme="internet-facing", subnets=subnets, security_groups=None,
             ip_address_type="ipv4", attributes=None, listeners=None, purge_listeners=True, tags=None,
             purge_tags=True, disable_deletion_protection=False, wait=False, wait_timeout=600)
    p.update(kw)
    return p


LISTENERS = [{"port": 80, "protocol": "HTTP", "certificate_arn": None, "ssl_policy": lb.DEFAULT_SSL_POLICY,
              "default_action": {"forward": "frontend", "redirect": None, "fixed_response": None}}]


def present(client, p, check_mode):
    """``ensure_present``: ``(outcome, warnings)``."""
    warnings = []
    return mod.ensure_present(client, p, base.Context(check_mode=check_mode, warn=warnings.append)), warnings


def absent(client, check_mode, disable_deletion_protection=False, wait=False, name="web"):
    p = params(None, name=name, state="absent", disable_deletion_protection=disable_deletion_protection, wait=wait)
    return mod.ensure_absent(client, p, base.Context(check_mode=check_mode))


def test_create_is_looked_up_first_and_idle_timeout_missing_is_fine(aws):
    client, raw, subnets, tg = aws
    p = params(subnets, attributes={"idle_timeout": 60, "deletion_protection": True}, listeners=LISTENERS,
               tags={"Project": "x"}, wait=True)
    outcome, warnings = present(client, p, True)
    assert outcome.changed and outcome.before == {} and outcome.result["load_balancer"]["load_balancer_arn"] is None
    assert outcome.after == outcome.result["load_balancer"]
    assert raw.describe_load_balancers()["LoadBalancers"] == []

    outcome, warnings = present(client, p, False)
    after = outcome.result["load_balancer"]
    assert outcome.changed and after["state"] == "active" and after["attributes"]["deletion_protection"] is True
    assert after["listeners"][0]["default_action"]["target_group_arn"] == tg
    for check_mode in (True, False):
        outcome, warnings = present(client, p, check_mode)
        assert not outcome.changed and outcome.result["load_balancer"] == after
        assert outcome.before == outcome.after == after
    # one ALB, one listener: nothing was created twice
    assert len(raw.describe_load_balancers()["LoadBalancers"]) == 1
    assert len(raw.describe_listeners(LoadBalancerArn=after["load_balancer_arn"])["Listeners"]) == 1


def test_missing_target_group_fails_outside_check_mode(aws):
    client, raw, subnets, tg = aws
    listeners = [dict(LISTENERS[0], default_action={"forward": "nope", "redirect": None, "fixed_response": None})]
    outcome, warnings = present(client, params(subnets, listeners=listeners), True)
    assert outcome.changed and "not found" in warnings[0]
    assert warnings[0].endswith(" Check mode: shown as it would be.")
    with pytest.raises(mod.LoadBalancerError, match="target group 'nope' not found"):
        present(client, params(subnets, listeners=listeners), False)


def test_protected_delete_is_refused_then_allowed(aws):
    client, raw, subnets, tg = aws
    present(client, params(subnets, attributes={"deletion_protection": True}), False)
    for check_mode in (True, False):
        with pytest.raises(mod.LoadBalancerError, match="disable_deletion_protection: true"):
            absent(client, check_mode)
    assert len(raw.describe_load_balancers()["LoadBalancers"]) == 1
    outcome = absent(client, False, disable_deletion_protection=True, wait=True)
    assert outcome.changed and outcome.before["load_balancer_name"] == "web" and outcome.after == {}
    assert outcome.result == {"load_balancer": {}}
    assert raw.describe_load_balancers()["LoadBalancers"] == []
    assert absent(client, False, disable_deletion_protection=True, wait=True) == base.Outcome(
        False, {"load_balancer": {}}, before={}, after={})


def test_scheme_cannot_change(aws):
    client, raw, subnets, tg = aws
    present(client, params(subnets), False)
    with pytest.raises(mod.LoadBalancerError, match="the scheme cannot change"):
        present(client, params(subnets, scheme="internal"), True)
    assert issubclass(mod.LoadBalancerError, ValueError)  # run_state fails the task with its message
