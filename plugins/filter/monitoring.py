# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the monitoring tier (``monitoring_problems``, ``monitoring_subscriptions``,
``monitoring_alarms`` and ``monitoring_dashboard``).

* ``monitoring_problems`` checks the tier's inputs before any AWS call
  (roles/monitoring/tasks/preflight.yml) and returns one sentence per problem.
* ``monitoring_subscriptions`` turns the alarm e-mail addresses into SNS topic subscriptions.
* ``monitoring_alarms`` builds every CloudWatch alarm of the stack from what
  ``apranova.aws_stack.stack_info`` found (roles/monitoring/vars/main.yml): two for the load
  balancer and one per target group, two per ECS service, two per NAT gateway, three for the
  database and three for the cache; a resource that was not found gets no alarm.
* ``monitoring_dashboard`` lays the alarms' metrics out on a CloudWatch dashboard, three a row
  under a text header.

The roles built these with Jinja before; the filters keep its semantics: numbers are read as
Jinja's ``int`` and ``float`` filters read them (``'300'`` and ``300.5`` are 300), names are sorted
as Jinja's ``sort`` filter sorts them (case-insensitively), values appear in messages as Jinja's
``~`` prints them and e-mail addresses are matched with ``re.match`` like the ``match`` test
(plugins/plugin_utils/filter_inputs.py). Docs: monitoring_problems.yml, monitoring_subscriptions.yml,
monitoring_alarms.yml and monitoring_dashboard.yml next to this file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.filter_inputs import (
    is_list_or_tuple, jinja_int, jinja_sort_key, matches, require_dict, require_list, strict_float, strict_int)

# Every input monitoring_problems reads.
MONITORING_INPUTS = ("monitoring_period", "monitoring_evaluation_periods", "monitoring_alarm_emails")

# The thresholds monitoring_alarms needs, by the name of their monitoring_<name>_threshold input.
THRESHOLDS = (
    "alb_5xx",
    "alb_response_time",
    "unhealthy_hosts",
    "ecs_cpu",
    "ecs_memory",
    "nat_packets_dropped",
    "rds_cpu",
    "rds_free_storage_gib",
    "rds_connections",
    "redis_cpu",
    "redis_memory",
    "redis_evictions",
)

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
GIB = 1073741824

# Dashboard layout: a text header of this height, then metric widgets of 8 x 6, three a row.
HEADER_HEIGHT = 2
WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6
WIDGETS_PER_ROW = 3


def monitoring_problems(inputs: Mapping[str, Any]) -> list[str]:
    """One sentence per problem of the monitoring inputs (empty when all is well)."""
    name = "monitoring_problems"
    inputs = require_dict(inputs, "the input", name)
    missing = [key for key in MONITORING_INPUTS if key not in inputs]
    if missing:
        raise AnsibleFilterError("%s: the input lacks %s" % (name, ", ".join(missing)))
    problems = []
    period = inputs["monitoring_period"]
    seconds = jinja_int(period)
    if seconds not in (10, 30) and seconds % 60 != 0 or seconds <= 0:
        problems.append("monitoring_period: %s is not 10, 30 or a multiple of 60 seconds" % (period,))
    if jinja_int(inputs["monitoring_evaluation_periods"]) < 1:
        problems.append("monitoring_evaluation_periods: use 1 or more")
    for email in require_list(inputs["monitoring_alarm_emails"], "monitoring_alarm_emails", name):
        if not matches(EMAIL, email):
            problems.append("monitoring_alarm_emails: '%s' is not an e-mail address" % (email,))
    return problems


def monitoring_subscriptions(emails: list[str]) -> list[dict[str, str]]:
    """The SNS subscriptions of the alarm topic: one e-mail subscription per address, in order."""
    return [{"protocol": "email", "endpoint": email} for email in require_list(emails, "the input", "monitoring_subscriptions")]


class _Alarms(object):
    """Collects the alarms of one stack; every alarm has the same period and evaluation periods."""

    def __init__(self, prefix: str, period: int, evaluation_periods: int) -> None:
        self.prefix = prefix
        self.common = {"period": period, "evaluation_periods": evaluation_periods}
        self.alarms: list[dict[str, Any]] = []

    def add(self, name: str, namespace: str, metric_name: str, statistic: str, dimensions: dict[str, Any],
            threshold: float, comparison_operator: str, treat_missing_data: str, description: str) -> None:
        self.alarms.append(dict(
            self.common, name="%s%s" % (self.prefix, name), namespace=namespace, metric_name=metric_name,
            statistic=statistic, dimensions=dimensions, threshold=threshold,
            comparison_operator=comparison_operator, treat_missing_data=treat_missing_data,
            description=description))


def monitoring_alarms(stack: Mapping[str, Any], *, prefix: str, period: Any, evaluation_periods: Any,
                      thresholds: Mapping[str, Any], load_balancer_dimension: str, alb_name: str,
                      cluster_name: str, db_identifier: str, cache_id: str, cache_node: str) -> list[dict[str, Any]]:
    """The CloudWatch alarms of the stack ``stack`` (the ``stack`` result of ``stack_info``)."""
    name = "monitoring_alarms"
    stack = require_dict(stack, "the input (the stack found by stack_info)", name)
    thresholds = require_dict(thresholds, "thresholds", name)
    unknown = sorted(str(key) for key in thresholds if key not in THRESHOLDS)
    if unknown:
        raise AnsibleFilterError("%s: unknown threshold %s (known: %s)" % (name, ", ".join(unknown), ", ".join(THRESHOLDS)))
    missing = [key for key in THRESHOLDS if key not in thresholds]
    if missing:
        raise AnsibleFilterError("%s: thresholds lacks %s" % (name, ", ".join(missing)))
    limit = dict((key, strict_float(thresholds[key], "threshold %s" % key, name)) for key in THRESHOLDS)
    out = _Alarms(prefix, strict_int(period, "period", name), strict_int(evaluation_periods, "evaluation_periods", name))

    if load_balancer_dimension:
        lb = {"LoadBalancer": load_balancer_dimension}
        out.add("alb-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", dict(lb),
                limit["alb_5xx"], "GreaterThanThreshold", "notBreaching",
                "5xx answers of the services behind %s" % (alb_name,))
        out.add("alb-response-time", "AWS/ApplicationELB", "TargetResponseTime", "Average", dict(lb),
                limit["alb_response_time"], "GreaterThanThreshold", "notBreaching",
                "Average response time of the targets of %s in seconds" % (alb_name,))
        target_groups = require_dict(stack.get("target_groups", {}), "stack.target_groups", name)
        for tg_name, tg in target_groups.items():
            arn = require_dict(tg, "stack.target_groups.%s" % tg_name, name).get("arn")
            if not isinstance(arn, str):
                raise AnsibleFilterError("%s: stack.target_groups.%s has no arn" % (name, tg_name))
            out.add("%s-unhealthy-hosts" % (tg_name,), "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum",
                    dict(lb, TargetGroup=arn.split(":")[-1]), limit["unhealthy_hosts"], "GreaterThanThreshold",
                    "notBreaching", "Unhealthy targets in %s" % (tg_name,))

    services = require_dict(stack.get("services", {}), "stack.services", name)
    for svc in sorted(services.keys(), key=jinja_sort_key):
        for metric, key, suffix in (("CPUUtilization", "ecs_cpu", "cpu"), ("MemoryUtilization", "ecs_memory", "memory")):
            out.add("ecs-%s-%s" % (svc, suffix), "AWS/ECS", metric, "Average",
                    {"ClusterName": cluster_name, "ServiceName": svc}, limit[key], "GreaterThanThreshold", "missing",
                    "%s of the %s service in percent" % (metric, svc))

    nats = require_list(stack.get("nat_gateways", []), "stack.nat_gateways", name)
    for index, nat in enumerate(nats, start=1):
        nat = require_dict(nat, "each of stack.nat_gateways", name)
        if "id" not in nat:
            raise AnsibleFilterError("%s: a NAT gateway of stack.nat_gateways has no id" % name)
        suffix = "" if len(nats) == 1 else "-%d" % index
        label = nat.get("name") or nat["id"]
        out.add("nat%s-port-allocation-errors" % suffix, "AWS/NATGateway", "ErrorPortAllocation", "Sum",
                {"NatGatewayId": nat["id"]}, 0.0, "GreaterThanThreshold", "notBreaching",
                "Connections the NAT gateway %s could not open" % (label,))
        out.add("nat%s-packets-dropped" % suffix, "AWS/NATGateway", "PacketsDropCount", "Sum",
                {"NatGatewayId": nat["id"]}, limit["nat_packets_dropped"], "GreaterThanThreshold", "notBreaching",
                "Packets dropped by the NAT gateway %s" % (label,))

    if stack.get("db_instance"):
        db = {"DBInstanceIdentifier": db_identifier}
        out.add("db-cpu", "AWS/RDS", "CPUUtilization", "Average", dict(db), limit["rds_cpu"],
                "GreaterThanThreshold", "missing", "CPU of %s in percent" % (db_identifier,))
        out.add("db-free-storage", "AWS/RDS", "FreeStorageSpace", "Minimum", dict(db),
                limit["rds_free_storage_gib"] * GIB, "LessThanThreshold", "missing",
                "Free storage of %s in bytes" % (db_identifier,))
        out.add("db-connections", "AWS/RDS", "DatabaseConnections", "Maximum", dict(db), limit["rds_connections"],
                "GreaterThanThreshold", "missing", "Connections to %s" % (db_identifier,))

    if stack.get("cache"):
        node = {"CacheClusterId": cache_node}
        out.add("redis-cpu", "AWS/ElastiCache", "EngineCPUUtilization", "Average", dict(node), limit["redis_cpu"],
                "GreaterThanThreshold", "missing", "Engine CPU of %s in percent" % (cache_id,))
        out.add("redis-memory", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average", dict(node),
                limit["redis_memory"], "GreaterThanThreshold", "missing", "Memory use of %s in percent" % (cache_id,))
        out.add("redis-evictions", "AWS/ElastiCache", "Evictions", "Sum", dict(node), limit["redis_evictions"],
                "GreaterThanThreshold", "notBreaching", "Keys evicted from %s" % (cache_id,))
    return out.alarms


def monitoring_dashboard(alarms: list[Mapping[str, Any]], *, region: str, environment: str, project: str,
                         alb_name: str, cluster_name: str, services: Any, db_identifier: str,
                         cache_id: str) -> dict[str, list[dict[str, Any]]]:
    """The CloudWatch dashboard body: a text header, then one metric widget per alarm, three a row."""
    name = "monitoring_dashboard"
    alarms = require_list(alarms, "the input (the alarms)", name)
    if not isinstance(services, Mapping) and not is_list_or_tuple(services):
        raise AnsibleFilterError("%s: services must be a list of names or a dict, got %s" % (name, type(services).__name__))
    service_names = ", ".join(str(svc) for svc in sorted(services, key=jinja_sort_key))
    markdown = "# %s (%s)\nALB %s | cluster %s | services %s | DB %s | cache %s" % (
        environment, project, alb_name, cluster_name, service_names, db_identifier, cache_id)
    widgets: list[dict[str, Any]] = [{"type": "text", "x": 0, "y": 0, "width": 24, "height": HEADER_HEIGHT,
                                      "properties": {"markdown": markdown}}]
    for index, alarm in enumerate(alarms):
        alarm = require_dict(alarm, "each alarm", name)
        lacking = [key for key in ("name", "namespace", "metric_name", "statistic", "period", "threshold", "dimensions")
                   if key not in alarm]
        if lacking:
            raise AnsibleFilterError("%s: alarm %s lacks %s" % (name, alarm.get("name", index + 1), ", ".join(lacking)))
        metric = [alarm["namespace"], alarm["metric_name"]]
        for key, value in sorted(require_dict(alarm["dimensions"], "the dimensions of each alarm", name).items()):
            metric.extend([key, value])
        widgets.append({
            "type": "metric",
            "x": (index % WIDGETS_PER_ROW) * WIDGET_WIDTH,
            "y": HEADER_HEIGHT + (index // WIDGETS_PER_ROW) * WIDGET_HEIGHT,
            "width": WIDGET_WIDTH,
            "height": WIDGET_HEIGHT,
            "properties": {
                "title": alarm["name"], "region": region, "stat": alarm["statistic"], "period": alarm["period"],
                "view": "timeSeries", "metrics": [metric],
                "annotations": {"horizontal": [{"label": "alarm", "value": alarm["threshold"]}]},
            },
        })
    return {"widgets": widgets}


class FilterModule(object):
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "monitoring_problems": monitoring_problems,
            "monitoring_subscriptions": monitoring_subscriptions,
            "monitoring_alarms": monitoring_alarms,
            "monitoring_dashboard": monitoring_dashboard,
        }
