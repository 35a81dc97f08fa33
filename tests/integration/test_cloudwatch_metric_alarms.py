"""Integration test of apranova.aws_stack.cloudwatch_metric_alarms against the moto server."""

from __future__ import annotations

import time

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/cloudwatch_metric_alarms/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAMES = ["itest-alb-5xx", "itest-ecs-cpu", "itest-rds-free-storage"]

# What PutMetricAlarm accepts, out of a DescribeAlarms entry (to re-put an alarm out of band).
_PUT_KEYS = (
    "AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
    "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit",
    "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData",
)


def _alarms(cw, prefix="itest-"):
    alarms = cw.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]
    return {a["AlarmName"]: a for a in alarms}


def _dims(alarm):
    return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def _tags(cw, arn):
    return {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def _run(aws, phase, topic_arn):
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=phase, extra_vars={"topic_arn": topic_arn})
    assert run.rc == 0, run
    return run


def test_cloudwatch_metric_alarms(aws):
    cw = aws.client("cloudwatch")
    topic_arn = aws.client("sns").create_topic(Name="itest-alarms")["TopicArn"]

    # Invalid input fails before any API call: nothing is created.
    _run(aws, "invalid", topic_arn)
    assert cw.describe_alarms()["MetricAlarms"] == []

    # Create: three alarms with their dimensions, thresholds and actions.
    _run(aws, "create", topic_arn)
    alarms = _alarms(cw)
    assert sorted(alarms) == NAMES
    alb, ecs, rds = (alarms[n] for n in NAMES)
    assert alb["Threshold"] == 10.0
    assert alb["Statistic"] == "Sum"
    assert alb["Period"] == 300 and alb["EvaluationPeriods"] == 2
    assert alb["ComparisonOperator"] == "GreaterThanThreshold"
    assert alb["TreatMissingData"] == "notBreaching"
    assert alb["AlarmDescription"] == "ALB returns 5xx errors"
    assert _dims(alb) == {"LoadBalancer": "app/itest-alb/0123456789abcdef", "AvailabilityZone": "us-east-1a"}
    assert alb["AlarmActions"] == [topic_arn]
    assert alb["OKActions"] == [topic_arn]
    assert ecs["Threshold"] == 80.0
    assert ecs["DatapointsToAlarm"] == 2 and ecs["EvaluationPeriods"] == 3
    assert ecs["Unit"] == "Percent"
    assert _dims(ecs) == {"ClusterName": "itest", "ServiceName": "web"}
    assert ecs["AlarmActions"] == [topic_arn] and ecs["OKActions"] == []
    assert rds["Threshold"] == 2147483648.0
    assert rds["ComparisonOperator"] == "LessThanThreshold"
    assert _dims(rds) == {"DBInstanceIdentifier": "itest-db"}
    assert rds["InsufficientDataActions"] == [topic_arn]
    for alarm in alarms.values():
        assert _tags(cw, alarm["AlarmArn"]) == {"Project": "itest", "Tier": "monitoring"}
    stamps = {n: a["AlarmConfigurationUpdatedTimestamp"] for n, a in alarms.items()}

    # Update one threshold: only that alarm is put again.
    time.sleep(0.05)  # make a re-put visible in the millisecond timestamps
    _run(aws, "update", topic_arn)
    alarms = _alarms(cw)
    assert alarms["itest-ecs-cpu"]["Threshold"] == 90.0
    assert alarms["itest-ecs-cpu"]["AlarmConfigurationUpdatedTimestamp"] > stamps["itest-ecs-cpu"]
    assert alarms["itest-alb-5xx"]["AlarmConfigurationUpdatedTimestamp"] == stamps["itest-alb-5xx"]
    assert alarms["itest-rds-free-storage"]["AlarmConfigurationUpdatedTimestamp"] == stamps["itest-rds-free-storage"]
    assert alarms["itest-ecs-cpu"]["DatapointsToAlarm"] == 2
    assert _dims(alarms["itest-ecs-cpu"]) == {"ClusterName": "itest", "ServiceName": "web"}
    stamps = {n: a["AlarmConfigurationUpdatedTimestamp"] for n, a in alarms.items()}

    # A run that changes nothing: one DescribeAlarms by prefix (3 alarms, one page) and the three
    # alarms' tags in one GetResources of the tagging API's index (up to 100 ARNs a call), which
    # answers every alarm with the tags the module wants, so no ListTagsForResource (was 1 + 3).
    before = aws.aws_calls()
    _run(aws, "noop", topic_arn)
    assert aws.aws_calls() - before == 2
    assert {n: a["AlarmConfigurationUpdatedTimestamp"] for n, a in _alarms(cw).items()} == stamps

    # Out-of-band edit of the ALB 5xx threshold: detected by check mode and repaired.
    edited = {k: v for k, v in alarms["itest-alb-5xx"].items() if k in _PUT_KEYS}
    edited["Threshold"] = 999.0
    cw.put_metric_alarm(**edited)
    assert _alarms(cw)["itest-alb-5xx"]["Threshold"] == 999.0
    time.sleep(0.05)
    _run(aws, "drift", topic_arn)
    alarms = _alarms(cw)
    assert alarms["itest-alb-5xx"]["Threshold"] == 10.0
    assert alarms["itest-ecs-cpu"]["AlarmConfigurationUpdatedTimestamp"] == stamps["itest-ecs-cpu"]
    assert alarms["itest-rds-free-storage"]["AlarmConfigurationUpdatedTimestamp"] == stamps["itest-rds-free-storage"]

    # Purge: an unlisted alarm under the prefix goes, one outside the prefix stays.
    for name in ("itest-stale", "other-keep"):
        cw.put_metric_alarm(AlarmName=name, Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                            Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    _run(aws, "purge", topic_arn)
    assert sorted(_alarms(cw)) == NAMES
    assert list(_alarms(cw, "other-")) == ["other-keep"]

    # Delete the three alarms by name; the alarm outside the prefix is untouched.
    _run(aws, "delete", topic_arn)
    assert _alarms(cw) == {}
    assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["other-keep"]
