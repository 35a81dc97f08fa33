"""Offline tests of the target group half of plugins/module_utils/elbv2_lb.py and the
elb_target_groups module's ensure functions (moto's in-process backend, no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]

import boto3

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import elbv2_lb as lb
from ansible_collections.apranova.aws_stack.plugins.modules import elb_target_groups as mod
from ...aws_answers import AWSAnswers, no_sleep, retrying, vpc_with_two_subnets

RAW = {
    "TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/backend/73e2d6bc24d8a067",
    "TargetGroupName": "backend", "Protocol": "HTTP", "Port": 8000, "VpcId": "vpc-1",
    "HealthCheckProtocol": "HTTP", "HealthCheckPort": "traffic-port", "HealthCheckEnabled": True,
    "HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": "5",
    "UnhealthyThresholdCount": 2, "HealthCheckPath": "/api/health/", "Matcher": {"HttpCode": "200-399"},
    "TargetType": "ip", "LoadBalancerArns": [],
}


def group(name="backend", **kw):
    g = dict(name=name, port=8000, protocol="HTTP", target_type="ip", health_check=None,
             deregistration_delay=None, tags=None)
    g.update(kw)
    return g


def hc(**kw):
    h = dict(path=None, protocol=None, port="traffic-port", interval=None, timeout=None,
             healthy_threshold=None, unhealthy_threshold=None, matcher=None)
    h.update(kw)
    return h


def test_normalize_target_group():
    attrs = [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}, {"Key": "stickiness.enabled", "Value": "false"}]
    result = lb.normalize_target_group(RAW, attrs, {"Project": "x"})
    assert result["health_check"] == {
        "enabled": True, "protocol": "HTTP", "port": "traffic-port", "path": "/api/health/", "interval": 30,
        "timeout": 5, "healthy_threshold": 5, "unhealthy_threshold": 2, "matcher": "200-399",
    }
    assert (result["deregistration_delay"], result["tags"], result["port"]) == (30, {"Project": "x"}, 8000)


def test_health_check_changes_only_for_set_keys():
    current = lb.normalize_health_check(RAW)
    assert lb.health_check_changes(current, lb.desired_health_check(hc(path="/api/health/"))) == {}
    assert lb.health_check_changes(current, lb.desired_health_check(None)) == {}
    changes = lb.health_check_changes(current, lb.desired_health_check(hc(path="/healthz", matcher="200", interval=10)))
    assert changes == {"path": "/healthz", "matcher": "200", "interval": 10}
    assert lb.health_check_to_api(changes) == {
        "HealthCheckPath": "/healthz", "Matcher": {"HttpCode": "200"}, "HealthCheckIntervalSeconds": 10,
    }
    # a lambda group has no health check port: the option's default is not compared
    assert "port" not in lb.desired_health_check(hc(), "lambda")


def test_immutable_errors():
    current = lb.normalize_target_group(RAW, [], {})
    assert lb.immutable_errors(current, group(), "vpc-1", "g") == []
    text = " ".join(lb.immutable_errors(current, group(port=80, protocol="HTTPS", target_type="instance"), "vpc-2", "g"))
    for needle in ("target_type is ip, wanted instance", "port is 8000, wanted 80", "protocol is HTTP, wanted HTTPS",
                   "vpc_id is vpc-1, wanted vpc-2", "use a new name"):
        assert needle in text


def test_validate_target_groups():
    errors = lb.validate_target_groups(
        [group("x" * 33), group("dup"), group("dup"), group("noport", port=None),
         group("slow", health_check=hc(interval=5, timeout=10)), group("fn", target_type="lambda", port=80),
         group("delay", deregistration_delay=4000)],
        "present", None,
    )
    text = " ".join(errors)
    for needle in ("vpc_id is required", "at most 32", "is also used by target_groups[1]", "port is required",
                   "must be smaller than", "lambda target group has no port", "0 to 3600"):
        assert needle in text, needle
    # state=absent needs names only
    assert lb.validate_target_groups([{"name": "a"}, {"name": "b"}], "absent", None) == []


def test_group_tags_and_predicted():
    assert lb.group_tags(None, None) is None
    assert lb.group_tags({"A": 1, "B": "x"}, {"B": "y"}) == {"A": "1", "B": "y"}
    predicted = lb.predicted_target_group(group(health_check=hc(path="/p"), deregistration_delay=None), "vpc-1", {})
    assert predicted["health_check"]["path"] == "/p" and predicted["deregistration_delay"] == 300
    assert predicted["target_group_arn"] is None


def test_action_target_group_arns_and_lb_name():
    actions = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "a"}, {"TargetGroupArn": "b"}]}},
               {"Type": "forward", "TargetGroupArn": "c"}]
    assert lb.action_target_group_arns(actions) == {"a", "b", "c"}
    assert lb.load_balancer_name_from_arn(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188") == "web"


# --- ensure functions against moto's in-process backend ---------------------------------------


def present(client, vpc, groups, tags, check_mode, purge_tags=True):
    """``ensure_present``: ``(changed, before, after)``, the diff's ``before`` (keyed by name) as a list."""
    p = dict(state="present", vpc_id=vpc, target_groups=groups, tags=tags, purge_tags=purge_tags)
    outcome = mod.ensure_present(client, p, base.Context(check_mode=check_mode))
    after = outcome.result["target_groups"]
    assert outcome.after == {g["target_group_name"]: g for g in after}
    return outcome.changed, list(outcome.before.values()), after


def absent(client, groups, check_mode, note=None):
    """``ensure_absent``: ``(changed, before, after, warnings)``, the diff's ``before`` as a list."""
    warnings = []
    ctx = base.Context(check_mode=check_mode, warn=warnings.append, note=note or (lambda message: None))
    p = dict(state="absent", vpc_id=None, target_groups=groups, tags=None, purge_tags=True)
    outcome = mod.ensure_absent(client, p, ctx)
    assert outcome.after == {} and outcome.result == {"target_groups": []}
    return outcome.changed, list(outcome.before.values()), outcome.result["target_groups"], warnings


@pytest.fixture
def aws(offline_aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    raw = boto3.client("elbv2", region_name="us-east-1")
    vpc, subnets = vpc_with_two_subnets(ec2)
    yield retrying(raw), raw, vpc, subnets


def test_batch_lookup_with_a_missing_name_falls_back(aws):
    client, raw, vpc, subnets = aws
    raw.create_target_group(Name="a", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    assert set(lb.describe_target_groups_by_names(client, ["a", "missing"])) == {"a"}
    assert lb.describe_target_groups_by_names(client, ["missing"]) == {}


def test_four_steps_update_and_delete(aws):
    client, raw, vpc, subnets = aws
    groups = [group("backend", health_check=hc(path="/api/health/", matcher="200-399"), deregistration_delay=30,
                    tags={"Tier": "b"}),
              group("frontend", port=3000, health_check=hc(path="/"))]
    changed, before, after = present(client, vpc, groups, {"Project": "x"}, True)
    assert changed and before == [] and [g["target_group_arn"] for g in after] == [None, None]
    assert raw.describe_target_groups()["TargetGroups"] == []

    changed, before, after = present(client, vpc, groups, {"Project": "x"}, False)
    assert changed and [g["target_group_name"] for g in after] == ["backend", "frontend"]
    assert after[0]["deregistration_delay"] == 30 and after[0]["tags"] == {"Project": "x", "Tier": "b"}
    for check_mode in (True, False):
        assert present(client, vpc, groups, {"Project": "x"}, check_mode) == (False, after, after)

    groups[0]["health_check"]["path"] = "/healthz"
    changed, before, predicted = present(client, vpc, groups, {"Project": "x"}, True)
    assert changed and predicted[0]["health_check"]["path"] == "/healthz"
    changed, before, updated = present(client, vpc, groups, {"Project": "x"}, False)
    assert changed and updated == predicted
    assert raw.describe_target_groups(Names=["backend"])["TargetGroups"][0]["HealthCheckPath"] == "/healthz"

    with pytest.raises(mod.TargetGroupError, match="port is 8000, wanted 8080"):
        present(client, vpc, [group("backend", port=8080)], None, True)
    assert issubclass(mod.TargetGroupError, ValueError)  # run_state fails the task with its message

    names = [{"name": "backend"}, {"name": "frontend"}, {"name": "gone"}]
    changed, before, after, warnings = absent(client, names, True)
    assert changed and len(before) == 2 and after == []
    assert len(raw.describe_target_groups()["TargetGroups"]) == 2
    changed, before, after, warnings = absent(client, names, False)
    assert changed and raw.describe_target_groups()["TargetGroups"] == []
    assert absent(client, names, True)[0] is False


def test_delete_of_a_group_in_use_names_the_load_balancer(aws):
    client, raw, vpc, subnets = aws
    present(client, vpc, [group("frontend", port=3000)], None, False)
    arn = raw.describe_target_groups(Names=["frontend"])["TargetGroups"][0]["TargetGroupArn"]
    lb_arn = raw.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    raw.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}])
    changed, before, after, warnings = absent(client, [{"name": "frontend"}], True)
    assert changed and "load balancer web (default action of the :80 listener)" in warnings[0]
    with pytest.raises(mod.TargetGroupError, match=r"load balancer web \(default action of the :80 listener\)"):
        absent(client, [{"name": "frontend"}], False)
    assert len(raw.describe_target_groups()["TargetGroups"]) == 1
    # once the load balancer is gone (moto keeps its ARN in LoadBalancerArns), deletion goes through
    raw.delete_load_balancer(LoadBalancerArn=lb_arn)
    assert absent(client, [{"name": "frontend"}], False)[0] is True


def test_create_params():
    params = lb.target_group_create_params(group(health_check=hc(path="/p")), "vpc-1", {"A": "1"})
    assert params == {"TargetType": "ip", "Port": 8000, "Protocol": "HTTP", "VpcId": "vpc-1",
                      "HealthCheckPath": "/p", "HealthCheckPort": "traffic-port", "Tags": [{"Key": "A", "Value": "1"}]}
    assert lb.target_group_create_params(group(target_type="alb"), "vpc-1", None)["Protocol"] == "TCP"
    assert lb.target_group_create_params(group(target_type="lambda", port=None), None, None) == {"TargetType": "lambda"}


# ---------------------------------------------------------------- AWS's transient answers (issue 13)


def test_delete_rides_out_resource_in_use_just_after_the_load_balancer(aws, monkeypatch):
    """DeleteTargetGroup answers ResourceInUse for a while after the load balancer that forwarded
    to the group was deleted: no live listener uses it, so it is tried again, each wait noted."""
    no_sleep(monkeypatch, lb)
    client, raw, vpc, subnets = aws
    present(client, vpc, [group("frontend", port=3000)], None, False)
    answers = AWSAnswers(client, "DeleteTargetGroup", "ResourceInUse", 2)
    notes = []
    changed, _before, _after, _warnings = absent(client, [{"name": "frontend"}], False, notes.append)
    assert changed and answers.remaining == 0 and raw.describe_target_groups()["TargetGroups"] == []
    assert len(notes) == 2 and "delete target group frontend: AWS answered ResourceInUse" in notes[0]
