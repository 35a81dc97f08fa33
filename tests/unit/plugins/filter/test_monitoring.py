"""Offline tests of the monitoring tier's filters (plugins/filter/monitoring.py).

The expected values are written out: the production alarm set below is what the Jinja program of
roles/monitoring/vars/main.yml built for the production inventory (its defaults) and a stack as
apranova.aws_stack.stack_info returns it, before the program became these filters.
"""

from __future__ import annotations

import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.filter import monitoring

LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/production-alb/50dc6c495c0c9188"
LB_DIM = "app/production-alb/50dc6c495c0c9188"

# The `stack` result of stack_info for the production stack (only the keys the filters read, plus a few).
PRODUCTION_STACK = {
    "vpc": {"id": "vpc-0a1b2c3d4e5f60718", "cidr_block": "10.0.0.0/16", "name": "production-vpc"},
    "nat_gateways": [{"id": "nat-0f1e2d3c4b5a69788", "subnet_id": "subnet-1", "state": "available", "name": "production-nat"}],
    "db_instance": {"identifier": "production-apranova-db", "status": "available", "port": 5432},
    "cache": {"id": "production-redis", "status": "available", "port": 6379},
    "load_balancer": {"arn": LB_ARN, "name": "production-alb"},
    "target_groups": {
        "production-backend-tg": {"arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/production-backend-tg/73e2d6bc24d8a067"},
        "production-frontend-tg": {"arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/production-frontend-tg/1a2b3c4d5e6f7a8b"},
    },
    "cluster": {"name": "production-cluster"},
    # in the order ECS answered, not sorted
    "services": {"frontend": {"desired_count": 1}, "backend": {"desired_count": 1}},
}

# roles/monitoring/defaults/main.yml
THRESHOLDS = {
    "alb_5xx": 10, "alb_response_time": 2.0, "unhealthy_hosts": 0, "ecs_cpu": 80, "ecs_memory": 80,
    "nat_packets_dropped": 100, "rds_cpu": 80, "rds_free_storage_gib": 2, "rds_connections": 60,
    "redis_cpu": 75, "redis_memory": 80, "redis_evictions": 100,
}

PRODUCTION_ARGS = {
    "prefix": "production-apranova-", "period": 300, "evaluation_periods": 2, "thresholds": THRESHOLDS,
    "load_balancer_dimension": LB_DIM, "alb_name": "production-alb", "cluster_name": "production-cluster",
    "db_identifier": "production-apranova-db", "cache_id": "production-redis", "cache_node": "production-redis-001",
}


def production_alarm(name, namespace, metric_name, statistic, dimensions, threshold, comparison_operator,
                     treat_missing_data, description):
    """One alarm of the production set: every alarm there has period 300 and 2 evaluation periods."""
    return {"period": 300, "evaluation_periods": 2, "name": name, "namespace": namespace, "metric_name": metric_name,
            "statistic": statistic, "dimensions": dimensions, "threshold": threshold,
            "comparison_operator": comparison_operator, "treat_missing_data": treat_missing_data,
            "description": description}


# name, namespace, metric, statistic, dimensions, threshold, comparison, missing data, description
PRODUCTION_ALARMS = [production_alarm(*row) for row in [
    ("production-apranova-alb-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum",
     {"LoadBalancer": LB_DIM}, 10.0, "GreaterThanThreshold", "notBreaching",
     "5xx answers of the services behind production-alb"),
    ("production-apranova-alb-response-time", "AWS/ApplicationELB", "TargetResponseTime", "Average",
     {"LoadBalancer": LB_DIM}, 2.0, "GreaterThanThreshold", "notBreaching",
     "Average response time of the targets of production-alb in seconds"),
    ("production-apranova-production-backend-tg-unhealthy-hosts", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum",
     {"LoadBalancer": LB_DIM, "TargetGroup": "targetgroup/production-backend-tg/73e2d6bc24d8a067"},
     0.0, "GreaterThanThreshold", "notBreaching",
     "Unhealthy targets in production-backend-tg"),
    ("production-apranova-production-frontend-tg-unhealthy-hosts", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum",
     {"LoadBalancer": LB_DIM, "TargetGroup": "targetgroup/production-frontend-tg/1a2b3c4d5e6f7a8b"},
     0.0, "GreaterThanThreshold", "notBreaching",
     "Unhealthy targets in production-frontend-tg"),
    ("production-apranova-ecs-backend-cpu", "AWS/ECS", "CPUUtilization", "Average",
     {"ClusterName": "production-cluster", "ServiceName": "backend"}, 80.0, "GreaterThanThreshold", "missing",
     "CPUUtilization of the backend service in percent"),
    ("production-apranova-ecs-backend-memory", "AWS/ECS", "MemoryUtilization", "Average",
     {"ClusterName": "production-cluster", "ServiceName": "backend"}, 80.0, "GreaterThanThreshold", "missing",
     "MemoryUtilization of the backend service in percent"),
    ("production-apranova-ecs-frontend-cpu", "AWS/ECS", "CPUUtilization", "Average",
     {"ClusterName": "production-cluster", "ServiceName": "frontend"}, 80.0, "GreaterThanThreshold", "missing",
     "CPUUtilization of the frontend service in percent"),
    ("production-apranova-ecs-frontend-memory", "AWS/ECS", "MemoryUtilization", "Average",
     {"ClusterName": "production-cluster", "ServiceName": "frontend"}, 80.0, "GreaterThanThreshold", "missing",
     "MemoryUtilization of the frontend service in percent"),
    ("production-apranova-nat-port-allocation-errors", "AWS/NATGateway", "ErrorPortAllocation", "Sum",
     {"NatGatewayId": "nat-0f1e2d3c4b5a69788"}, 0.0, "GreaterThanThreshold", "notBreaching",
     "Connections the NAT gateway production-nat could not open"),
    ("production-apranova-nat-packets-dropped", "AWS/NATGateway", "PacketsDropCount", "Sum",
     {"NatGatewayId": "nat-0f1e2d3c4b5a69788"}, 100.0, "GreaterThanThreshold", "notBreaching",
     "Packets dropped by the NAT gateway production-nat"),
    ("production-apranova-db-cpu", "AWS/RDS", "CPUUtilization", "Average",
     {"DBInstanceIdentifier": "production-apranova-db"}, 80.0, "GreaterThanThreshold", "missing",
     "CPU of production-apranova-db in percent"),
    ("production-apranova-db-free-storage", "AWS/RDS", "FreeStorageSpace", "Minimum",
     {"DBInstanceIdentifier": "production-apranova-db"}, 2147483648.0, "LessThanThreshold", "missing",
     "Free storage of production-apranova-db in bytes"),
    ("production-apranova-db-connections", "AWS/RDS", "DatabaseConnections", "Maximum",
     {"DBInstanceIdentifier": "production-apranova-db"}, 60.0, "GreaterThanThreshold", "missing",
     "Connections to production-apranova-db"),
    ("production-apranova-redis-cpu", "AWS/ElastiCache", "EngineCPUUtilization", "Average",
     {"CacheClusterId": "production-redis-001"}, 75.0, "GreaterThanThreshold", "missing",
     "Engine CPU of production-redis in percent"),
    ("production-apranova-redis-memory", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average",
     {"CacheClusterId": "production-redis-001"}, 80.0, "GreaterThanThreshold", "missing",
     "Memory use of production-redis in percent"),
    ("production-apranova-redis-evictions", "AWS/ElastiCache", "Evictions", "Sum",
     {"CacheClusterId": "production-redis-001"}, 100.0, "GreaterThanThreshold", "notBreaching",
     "Keys evicted from production-redis"),
]]

ALARM_KEYS = ["period", "evaluation_periods", "name", "namespace", "metric_name", "statistic", "dimensions",
              "threshold", "comparison_operator", "treat_missing_data", "description"]

DASHBOARD_ARGS = {
    "region": "us-east-1", "environment": "production", "project": "apranova", "alb_name": "production-alb",
    "cluster_name": "production-cluster", "services": PRODUCTION_STACK["services"],
    "db_identifier": "production-apranova-db", "cache_id": "production-redis",
}

GOOD_INPUTS = {"monitoring_period": 300, "monitoring_evaluation_periods": 2, "monitoring_alarm_emails": []}


def alarms(stack=None, **changes):
    return monitoring.monitoring_alarms(PRODUCTION_STACK if stack is None else stack, **dict(PRODUCTION_ARGS, **changes))


def names(result):
    return [alarm["name"] for alarm in result]


# --- monitoring_alarms -------------------------------------------------------------------------

def test_production_alarm_set():
    result = alarms()
    assert result == PRODUCTION_ALARMS
    # the keys in the order the roles have always sent them
    assert [list(alarm) for alarm in result] == [ALARM_KEYS] * 16
    assert all(isinstance(alarm["threshold"], float) for alarm in result)


def test_partial_stack_gets_alarms_for_what_was_found_only():
    stack = {
        "load_balancer": None,
        # ignored without a load balancer dimension
        "target_groups": {"production-backend-tg": {"arn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/b/1"}},
        "nat_gateways": [{"id": "nat-a", "name": "production-nat-a"}, {"id": "nat-b", "name": None}],
        "db_instance": None,
        "cache": None,
        "services": {"Worker": {}, "backend": {}, "api": {}},
    }
    result = alarms(stack, load_balancer_dimension="", thresholds=dict(THRESHOLDS, ecs_cpu="90", nat_packets_dropped=0.5))
    assert names(result) == [
        # sorted case-insensitively, as Jinja's sort filter did
        "production-apranova-ecs-api-cpu", "production-apranova-ecs-api-memory",
        "production-apranova-ecs-backend-cpu", "production-apranova-ecs-backend-memory",
        "production-apranova-ecs-Worker-cpu", "production-apranova-ecs-Worker-memory",
        # numbered when there are several gateways
        "production-apranova-nat-1-port-allocation-errors", "production-apranova-nat-1-packets-dropped",
        "production-apranova-nat-2-port-allocation-errors", "production-apranova-nat-2-packets-dropped",
    ]
    assert [alarm["threshold"] for alarm in result] == [90.0, 80.0, 90.0, 80.0, 90.0, 80.0, 0.0, 0.5, 0.0, 0.5]
    # a gateway without a name is described by its id
    assert [alarm["description"] for alarm in result[6:]] == [
        "Connections the NAT gateway production-nat-a could not open",
        "Packets dropped by the NAT gateway production-nat-a",
        "Connections the NAT gateway nat-b could not open",
        "Packets dropped by the NAT gateway nat-b",
    ]


def test_nothing_found_no_alarm():
    assert alarms({}, load_balancer_dimension="") == []


def test_load_balancer_without_target_groups():
    stack = {"load_balancer": {"arn": LB_ARN}}
    assert names(alarms(stack)) == ["production-apranova-alb-target-5xx", "production-apranova-alb-response-time"]


def test_numbers_are_read_like_jinja():
    result = alarms({"db_instance": {"identifier": "x"}}, load_balancer_dimension="", period="600", evaluation_periods=3.0,
                    thresholds=dict(THRESHOLDS, rds_free_storage_gib="0.5", rds_cpu="85"))
    assert [(a["period"], a["evaluation_periods"], a["threshold"]) for a in result] == [
        (600, 3, 85.0), (600, 3, 536870912.0), (600, 3, 60.0)]
    assert [a["period"] for a in alarms({"cache": {"id": "c"}}, load_balancer_dimension="", period="45.9")] == [45, 45, 45]


@pytest.mark.parametrize("stack,changes,message", [
    ("not a stack", {}, "monitoring_alarms: the input (the stack found by stack_info) must be a dict, got str"),
    ({}, {"thresholds": [10]}, "monitoring_alarms: thresholds must be a dict, got list"),
    ({}, {"thresholds": dict(THRESHOLDS, alb_5xx_typo=1)}, "monitoring_alarms: unknown threshold alb_5xx_typo"),
    ({}, {"thresholds": {k: v for k, v in THRESHOLDS.items() if k != "redis_cpu"}}, "monitoring_alarms: thresholds lacks redis_cpu"),
    ({}, {"thresholds": dict(THRESHOLDS, redis_cpu="high")}, "monitoring_alarms: threshold redis_cpu must be a number, got 'high'"),
    ({}, {"thresholds": dict(THRESHOLDS, redis_cpu=None)}, "monitoring_alarms: threshold redis_cpu must be a number, got None"),
    ({}, {"period": "five minutes"}, "monitoring_alarms: period must be a number, got 'five minutes'"),
    ({}, {"evaluation_periods": [2]}, "monitoring_alarms: evaluation_periods must be a number, got [2]"),
    ({"target_groups": None}, {}, "monitoring_alarms: stack.target_groups must be a dict, got NoneType"),
    ({"target_groups": {"tg": {"port": 80}}}, {}, "monitoring_alarms: stack.target_groups.tg has no arn"),
    ({"services": ["backend"]}, {}, "monitoring_alarms: stack.services must be a dict, got list"),
    ({"nat_gateways": {"id": "nat-1"}}, {}, "monitoring_alarms: stack.nat_gateways must be a list, got dict"),
    ({"nat_gateways": ["nat-1"]}, {}, "monitoring_alarms: each of stack.nat_gateways must be a dict, got str"),
    ({"nat_gateways": [{"name": "x"}]}, {}, "monitoring_alarms: a NAT gateway of stack.nat_gateways has no id"),
])
def test_alarms_wrong_input(stack, changes, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        alarms(stack, **changes)


# --- monitoring_dashboard ------------------------------------------------------------------------

def test_production_dashboard_layout():
    body = monitoring.monitoring_dashboard(PRODUCTION_ALARMS, **DASHBOARD_ARGS)
    assert list(body) == ["widgets"]
    assert body["widgets"][0] == {
        "type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
        "properties": {"markdown": "# production (apranova)\nALB production-alb | cluster production-cluster"
                                   " | services backend, frontend | DB production-apranova-db | cache production-redis"},
    }
    assert [(w["x"], w["y"], w["width"], w["height"], w["properties"]["title"]) for w in body["widgets"][1:]] == [
        (0, 2, 8, 6, "production-apranova-alb-target-5xx"),
        (8, 2, 8, 6, "production-apranova-alb-response-time"),
        (16, 2, 8, 6, "production-apranova-production-backend-tg-unhealthy-hosts"),
        (0, 8, 8, 6, "production-apranova-production-frontend-tg-unhealthy-hosts"),
        (8, 8, 8, 6, "production-apranova-ecs-backend-cpu"),
        (16, 8, 8, 6, "production-apranova-ecs-backend-memory"),
        (0, 14, 8, 6, "production-apranova-ecs-frontend-cpu"),
        (8, 14, 8, 6, "production-apranova-ecs-frontend-memory"),
        (16, 14, 8, 6, "production-apranova-nat-port-allocation-errors"),
        (0, 20, 8, 6, "production-apranova-nat-packets-dropped"),
        (8, 20, 8, 6, "production-apranova-db-cpu"),
        (16, 20, 8, 6, "production-apranova-db-free-storage"),
        (0, 26, 8, 6, "production-apranova-db-connections"),
        (8, 26, 8, 6, "production-apranova-redis-cpu"),
        (16, 26, 8, 6, "production-apranova-redis-memory"),
        (0, 32, 8, 6, "production-apranova-redis-evictions"),
    ]
    assert body["widgets"][3] == {
        "type": "metric", "x": 16, "y": 2, "width": 8, "height": 6,
        "properties": {
            "title": "production-apranova-production-backend-tg-unhealthy-hosts", "region": "us-east-1",
            "stat": "Maximum", "period": 300, "view": "timeSeries",
            "metrics": [["AWS/ApplicationELB", "UnHealthyHostCount", "LoadBalancer", LB_DIM,
                         "TargetGroup", "targetgroup/production-backend-tg/73e2d6bc24d8a067"]],
            "annotations": {"horizontal": [{"label": "alarm", "value": 0.0}]},
        },
    }
    assert body["widgets"][12]["properties"]["annotations"] == {"horizontal": [{"label": "alarm", "value": 2147483648.0}]}


def test_dashboard_sorts_dimensions_and_services():
    alarm = {"name": "a", "namespace": "NS", "metric_name": "M", "statistic": "Sum", "period": 60, "threshold": 1.0,
             "dimensions": {"Zone": "z", "Cluster": "c"}}
    body = monitoring.monitoring_dashboard([alarm], **dict(DASHBOARD_ARGS, services=["Worker", "backend", "api"]))
    assert body["widgets"][1]["properties"]["metrics"] == [["NS", "M", "Cluster", "c", "Zone", "z"]]
    assert "| services api, backend, Worker |" in body["widgets"][0]["properties"]["markdown"]


def test_dashboard_without_alarms_or_services():
    body = monitoring.monitoring_dashboard([], **dict(DASHBOARD_ARGS, services={}))
    assert body == {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {
        "markdown": "# production (apranova)\nALB production-alb | cluster production-cluster | services "
                    " | DB production-apranova-db | cache production-redis"}}]}


@pytest.mark.parametrize("alarm_list,changes,message", [
    ({"name": "a"}, {}, "monitoring_dashboard: the input (the alarms) must be a list, got dict"),
    (["a"], {}, "monitoring_dashboard: each alarm must be a dict, got str"),
    ([{"name": "a", "namespace": "NS"}], {}, "monitoring_dashboard: alarm a lacks metric_name, statistic, period, threshold, dimensions"),
    ([], {"services": "backend"}, "monitoring_dashboard: services must be a list of names or a dict, got str"),
])
def test_dashboard_wrong_input(alarm_list, changes, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        monitoring.monitoring_dashboard(alarm_list, **dict(DASHBOARD_ARGS, **changes))


# --- monitoring_problems -------------------------------------------------------------------------

@pytest.mark.parametrize("changes,expected", [
    ({}, []),
    ({"monitoring_period": 10}, []),
    ({"monitoring_period": 30}, []),
    ({"monitoring_period": "3600", "monitoring_evaluation_periods": "1"}, []),
    # the case of tests/stack/test_bad_input.py
    ({"monitoring_period": 45}, ["monitoring_period: 45 is not 10, 30 or a multiple of 60 seconds"]),
    ({"monitoring_period": -60}, ["monitoring_period: -60 is not 10, 30 or a multiple of 60 seconds"]),
    ({"monitoring_period": 0}, ["monitoring_period: 0 is not 10, 30 or a multiple of 60 seconds"]),
    # read as Jinja's int filter reads it: text that is no number counts as 0
    ({"monitoring_period": "often"}, ["monitoring_period: often is not 10, 30 or a multiple of 60 seconds"]),
    ({"monitoring_period": 60.5}, []),
    ({"monitoring_evaluation_periods": 0}, ["monitoring_evaluation_periods: use 1 or more"]),
    ({"monitoring_alarm_emails": ["ops@example.com", "bad", "a b@c.d", "two@@at.com", "x@y.z\n"]}, [
        "monitoring_alarm_emails: 'bad' is not an e-mail address",
        "monitoring_alarm_emails: 'a b@c.d' is not an e-mail address",
        "monitoring_alarm_emails: 'two@@at.com' is not an e-mail address",
        # 'x@y.z\n' passes: re.match's $ accepts a final newline, as the match test did
    ]),
    ({"monitoring_period": 45, "monitoring_evaluation_periods": -1, "monitoring_alarm_emails": ["nobody"]}, [
        "monitoring_period: 45 is not 10, 30 or a multiple of 60 seconds",
        "monitoring_evaluation_periods: use 1 or more",
        "monitoring_alarm_emails: 'nobody' is not an e-mail address",
    ]),
])
def test_problems(changes, expected):
    assert monitoring.monitoring_problems(dict(GOOD_INPUTS, **changes)) == expected


@pytest.mark.parametrize("inputs,message", [
    ([300], "monitoring_problems: the input must be a dict, got list"),
    ({"monitoring_period": 300}, "monitoring_problems: the input lacks monitoring_evaluation_periods, monitoring_alarm_emails"),
    (dict(GOOD_INPUTS, monitoring_alarm_emails="ops@example.com"),
     "monitoring_problems: monitoring_alarm_emails must be a list, got str"),
])
def test_problems_wrong_input(inputs, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        monitoring.monitoring_problems(inputs)


# --- monitoring_subscriptions --------------------------------------------------------------------

def test_subscriptions():
    assert monitoring.monitoring_subscriptions(["ops@example.com", "oncall@example.org"]) == [
        {"protocol": "email", "endpoint": "ops@example.com"},
        {"protocol": "email", "endpoint": "oncall@example.org"},
    ]
    assert monitoring.monitoring_subscriptions([]) == []


def test_subscriptions_wrong_input():
    with pytest.raises(AnsibleFilterError, match="monitoring_subscriptions: the input must be a list, got str"):
        monitoring.monitoring_subscriptions("ops@example.com")


# --- wiring --------------------------------------------------------------------------------------

def test_filter_names():
    assert sorted(monitoring.FilterModule().filters()) == [
        "monitoring_alarms", "monitoring_dashboard", "monitoring_problems", "monitoring_subscriptions"]
