"""The log groups, task definitions, alarms and dashboard the modules return, published into the
run's known stack (``discovery.PUBLISHES``), equal what the lookups and the report read of the same
resources; and the report takes them from there without a call (issue 15).

Each module's ``ensure_present`` runs against moto in-process, and its real result is fed to
``discovery.after_module``, as the collection's action plugin does after the module returns.
"""

from __future__ import annotations

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery
from ansible_collections.apranova.aws_stack.plugins.module_utils import report
from ansible_collections.apranova.aws_stack.plugins.modules import cloudwatch_dashboard
from ansible_collections.apranova.aws_stack.plugins.modules import cloudwatch_metric_alarms
from ansible_collections.apranova.aws_stack.plugins.modules import cloudwatchlogs_log_groups
from ansible_collections.apranova.aws_stack.plugins.modules import ecs_task_definition
from .test_discovery import KNOWN
from .test_discovery import recording


def run(ensure, client, params):
    """The module's result (its return values and ``changed``), as the action plugin gets it."""
    outcome = ensure(client, params, base.Context())
    return dict(outcome.result, changed=outcome.changed)


def log_groups(*names):
    return {"log_groups": [{"name": n, "retention": 30, "kms_key_id": None, "tags": None} for n in names],
            "tags": {"Project": "p"}, "purge_tags": True, "state": "present"}


def task_definition(family, image="img:1"):
    return {"family": family, "state": "present", "cpu": "512", "memory": "1024", "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"], "execution_role_arn": "arn:aws:iam::123456789012:role/exec",
            "task_role_arn": None, "runtime_platform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
            "container_definitions": [{
                "name": family, "image": image, "portMappings": [{"containerPort": 8000}],
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}],
                "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/" + family}}}],
            "volumes": [{"name": "data", "efsVolumeConfiguration": {
                "fileSystemId": "fs-1", "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"}}}],
            "tags": {"Service": family}, "purge_tags": True, "replace_previous": False}


def alarm(name, threshold=80.0):
    return dict(name=name, metric_name="CPUUtilization", namespace="AWS/ECS", statistic="Average", extended_statistic=None,
                dimensions={"ClusterName": "c"}, period=60, evaluation_periods=1, datapoints_to_alarm=None, threshold=threshold,
                comparison_operator="GreaterThanThreshold", treat_missing_data="missing", description=None, unit=None,
                actions_enabled=True, alarm_actions=None, ok_actions=None, insufficient_data_actions=None)


def alarms(names, purge=True):
    return {"alarms": [alarm(n) for n in names], "alarm_actions": None, "ok_actions": None, "insufficient_data_actions": None,
            "name_prefix": "t-app-", "purge_alarms": purge, "tags": None, "purge_tags": True, "state": "present"}


DASHBOARD = {"name": "t-dash", "body": {"widgets": []}, "state": "present"}


def test_the_log_groups_the_module_returns_are_what_a_lookup_reads_changed_or_not(moto_clients):
    logs = moto_clients("logs")
    made = run(cloudwatchlogs_log_groups.ensure_present, logs, log_groups("/ecs/web"))
    assert made["changed"]
    # a change drops the module's groups (CHANGES_KNOWN), then what it made is published
    known = discovery.after_module(dict(KNOWN), "apranova.aws_stack.cloudwatchlogs_log_groups", made)
    assert known["log_groups"] == discovery._log_groups(logs, ["/ecs/web"])
    logs.put_retention_policy(logGroupName="/ecs/web", retentionInDays=30)
    logs.create_log_group(logGroupName="/ecs/api")
    logs.put_retention_policy(logGroupName="/ecs/api", retentionInDays=30)
    logs.tag_resource(resourceArn=logs.describe_log_groups(logGroupNamePrefix="/ecs/api")["logGroups"][0]["logGroupArn"],
                      tags={"Project": "p"})
    same = run(cloudwatchlogs_log_groups.ensure_present, logs, log_groups("/ecs/web", "/ecs/api"))
    assert not same["changed"]
    known = discovery.after_module(dict(KNOWN), "apranova.aws_stack.cloudwatchlogs_log_groups", same)
    assert known["log_groups"] == discovery._log_groups(logs, ["/ecs/web", "/ecs/api"])
    # and a lookup of the run takes them without a call
    calls = []
    stack, missing, _unavailable = discovery.find_stack(recording(moto_clients, calls),
                                                        {"log_group_names": ["/ecs/web", "/ecs/api"], "known": known})
    assert calls == [] and missing == [] and stack["log_groups"] == discovery._log_groups(logs, ["/ecs/web", "/ecs/api"])


def test_the_task_definitions_the_module_returns_unchanged_are_what_the_report_reads_by_arn(moto_clients):
    ecs = moto_clients("ecs")
    known = dict(KNOWN)
    for family in ("t-backend", "t-frontend"):  # the role's loop: one module run per service
        made = run(ecs_task_definition.ensure_present, ecs, task_definition(family))
        assert made["changed"]
        assert "task_definitions" not in discovery.after_module(known, "apranova.aws_stack.ecs_task_definition", made)
        same = run(ecs_task_definition.ensure_present, ecs, task_definition(family))
        assert not same["changed"]
        known = discovery.after_module(known, "apranova.aws_stack.ecs_task_definition", same)
    arns = [ecs.list_task_definitions(familyPrefix=f)["taskDefinitionArns"][-1] for f in ("t-backend", "t-frontend")]
    assert known["task_definitions"] == {
        arn: report.normalise_task_definition(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]) for arn in arns}
    assert known["task_definitions"][arns[0]]["architecture"] == "ARM64"
    assert known["task_definitions"][arns[0]]["efs_volumes"][0]["access_point_id"] == "fsap-1"
    # a new revision (a change) drops every detail, this family's and the others'
    changed = run(ecs_task_definition.ensure_present, ecs, task_definition("t-backend", image="img:2"))
    assert "task_definitions" not in discovery.after_module(known, "apranova.aws_stack.ecs_task_definition", changed)


def test_the_alarms_are_published_only_when_the_module_read_every_alarm_under_its_prefix(moto_clients):
    cw = moto_clients("cloudwatch")
    cw.put_metric_alarm(AlarmName="other-alarm", MetricName="CPUUtilization", Namespace="AWS/ECS", Statistic="Average",
                        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    cw.put_metric_alarm(AlarmName="t-app-old", MetricName="CPUUtilization", Namespace="AWS/ECS", Statistic="Average",
                        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    clients = {"cloudwatch": cw}
    args = {"name_prefix": "t-app-", "purge_alarms": True, "alarms": []}
    names = ["t-app-cpu", "t-app-mem", "t-app-cpu-high"]
    # without purge_alarms the module answers only the listed alarms: t-app-old is under the prefix, not in the answer
    unpurged = run(cloudwatch_metric_alarms.ensure_present, clients, alarms(names, purge=False))
    unpurged = run(cloudwatch_metric_alarms.ensure_present, clients, alarms(names, purge=False))
    assert not unpurged["changed"]
    assert "alarms" not in discovery.after_module(dict(KNOWN), "apranova.aws_stack.cloudwatch_metric_alarms", unpurged,
                                                  dict(args, purge_alarms=False))
    purged = run(cloudwatch_metric_alarms.ensure_present, clients, alarms(names))
    assert purged["changed"] and purged["deleted_alarms"] == ["t-app-old"]
    assert "alarms" not in discovery.after_module(dict(KNOWN), "apranova.aws_stack.cloudwatch_metric_alarms", purged, args)
    same = run(cloudwatch_metric_alarms.ensure_present, clients, alarms(names))
    assert not same["changed"]
    known = discovery.after_module(dict(KNOWN), "apranova.aws_stack.cloudwatch_metric_alarms", same, args)
    assert known["alarms"]["name_prefix"] == "t-app-"
    assert known["alarms"]["alarms"] == report.alarms(cw, "t-app-")
    # the report's own prefix may be longer: what it would read is what the known stack holds under it
    calls = []
    for prefix in ("t-app-", "t-app-cpu", "t-app-none"):
        details = report.gather(recording(moto_clients, calls), {"alarm_name_prefix": prefix, "known": known})[1]
        assert calls == [] and details["alarms"] == report.alarms(cw, prefix)
    # a shorter or other prefix than the module's is read
    calls.clear()
    details = report.gather(recording(moto_clients, calls), {"alarm_name_prefix": "t-", "known": known})[1]
    assert calls == ["cloudwatch:DescribeAlarms"] and [a["name"] for a in details["alarms"]] == sorted(names)


def test_the_dashboard_the_module_returns_unchanged_is_what_the_report_reads(moto_clients):
    cw = moto_clients("cloudwatch")
    made = run(cloudwatch_dashboard.ensure_present, cw, DASHBOARD)
    assert made["changed"]
    assert "dashboards" not in discovery.after_module(dict(KNOWN), "apranova.aws_stack.cloudwatch_dashboard", made)
    known = dict(KNOWN)
    for name in ("t-dash", "t-other"):
        run(cloudwatch_dashboard.ensure_present, cw, dict(DASHBOARD, name=name))
        same = run(cloudwatch_dashboard.ensure_present, cw, dict(DASHBOARD, name=name))
        assert not same["changed"]
        known = discovery.after_module(known, "apranova.aws_stack.cloudwatch_dashboard", same)
    assert list(known["dashboards"].values()) == report.dashboards(cw, ["t-dash", "t-other"])
    calls = []
    _stack, details, missing = report.gather(recording(moto_clients, calls), {"dashboard_names": ["t-other", "t-dash"], "known": known})
    assert calls == [] and missing == [] and details["dashboards"] == report.dashboards(cw, ["t-other", "t-dash"])
    # a dashboard the known stack does not hold is read, with the others
    calls.clear()
    _stack, details, missing = report.gather(recording(moto_clients, calls), {"dashboard_names": ["t-dash", "t-none"], "known": known})
    assert calls == ["cloudwatch:ListDashboards"] * 2 and missing == ["dashboard t-none"]


def test_the_report_takes_the_services_task_definitions_from_the_known_stack(moto_clients):
    ecs = moto_clients("ecs")
    ecs.create_cluster(clusterName="t-cluster")
    known = dict(KNOWN, cluster={"name": "t-cluster"})
    for family in ("t-backend", "t-frontend"):
        run(ecs_task_definition.ensure_present, ecs, task_definition(family))
        known = discovery.after_module(known, "apranova.aws_stack.ecs_task_definition",
                                       run(ecs_task_definition.ensure_present, ecs, task_definition(family)))
        arn = ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"][-1]
        ecs.create_service(cluster="t-cluster", serviceName=family, taskDefinition=arn, desiredCount=1, launchType="FARGATE")
    params = {"cluster_name": "t-cluster", "service_names": ["t-backend", "t-frontend"]}
    calls = []
    read = report.gather(recording(moto_clients, calls), params)[1]["services"]
    # the services as a lookup of the run found them (the ARN each points at is the module's)
    known["services"] = discovery._services(ecs, "t-cluster", params["service_names"])
    calls.clear()
    details = report.gather(recording(moto_clients, calls), dict(params, known=known))[1]
    assert calls == [] and details["services"] == read
    # a service on a revision the known stack does not hold: its task definition is read
    del known["task_definitions"][known["services"]["t-frontend"]["task_definition"]]
    calls.clear()
    details = report.gather(recording(moto_clients, calls), dict(params, known=known))[1]
    assert calls == ["ecs:DescribeTaskDefinition"] and details["services"] == read
