"""Offline tests of plugins/module_utils/cloudwatch.py (alarms) and the cloudwatch_metric_alarms
module's reconcile functions.

Validation, normalisation and comparison are pure functions. The reconcile functions run against
moto's in-process backend (``mock_aws``): no network, no server.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]

import boto3

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import cloudwatch as cw
from ansible_collections.apranova.aws_stack.plugins.modules import cloudwatch_metric_alarms as mod
from ...aws_answers import AWSAnswers, retrying

TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
OTHER = "arn:aws:sns:us-east-1:123456789012:pager"


def spec(name="p-cpu", **kw):
    """An ``alarms`` entry as the argument spec hands it over (defaults applied)."""
    base = dict(
        name=name, metric_name="CPUUtilization", namespace="AWS/ECS", statistic="Average",
        extended_statistic=None, dimensions={"ServiceName": "web", "ClusterName": "c1"}, period=60,
        evaluation_periods=1, datapoints_to_alarm=None, threshold=80.0,
        comparison_operator="GreaterThanThreshold", treat_missing_data="missing", description=None,
        unit=None, actions_enabled=True, alarm_actions=None, ok_actions=None, insufficient_data_actions=None,
    )
    base.update(kw)
    return base


def raw_alarm(name="p-cpu", **kw):
    """A DescribeAlarms entry."""
    base = {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        "ActionsEnabled": True,
        "OKActions": [],
        "AlarmActions": [TOPIC],
        "InsufficientDataActions": [],
        "StateValue": "OK",
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/ECS",
        "Statistic": "Average",
        "Dimensions": [{"Name": "ServiceName", "Value": "web"}, {"Name": "ClusterName", "Value": "c1"}],
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    base.update(kw)
    return base


# --- validation --------------------------------------------------------------------------------


def test_valid_specs_give_no_errors():
    assert cw.validate_alarm_specs([spec(), spec("p-lat", statistic=None, extended_statistic="p99.9", period=10)],
                                   "present") == []


def test_absent_needs_only_names():
    assert cw.validate_alarm_specs([{"name": "x", "period": 60, "evaluation_periods": 1}], "absent") == []


@pytest.mark.parametrize("changes, needle", [
    (dict(statistic="Sum", extended_statistic="p99"), "set either statistic (Sum) or extended_statistic (p99), not both"),
    (dict(statistic=None), "set statistic (one of SampleCount"),
    (dict(statistic="avg"), "statistic 'avg' is not valid"),
    (dict(statistic=None, extended_statistic="99"), "extended_statistic '99' is not valid"),
    (dict(comparison_operator="Bigger"), "comparison_operator 'Bigger' is not valid"),
    (dict(comparison_operator="GreaterThanUpperThreshold"), "needs an anomaly-detection band"),
    (dict(period=45), "period 45 is not valid; use 10, 30 or a multiple of 60"),
    (dict(period=0), "period 0 is not valid"),
    (dict(evaluation_periods=0), "evaluation_periods must be 1 or more"),
    (dict(evaluation_periods=2, datapoints_to_alarm=3), "datapoints_to_alarm must be between 1 and evaluation_periods (2)"),
    (dict(treat_missing_data="zero"), "treat_missing_data 'zero' is not valid"),
    (dict(unit="percent"), "unit 'percent' is not valid"),
    (dict(metric_name=None), "metric_name is required when state=present"),
    (dict(threshold=None), "threshold is required when state=present"),
    (dict(alarm_actions=[TOPIC] * 6), "alarm_actions lists 6 actions; AWS allows at most 5"),
])
def test_each_invalid_field_is_reported_with_the_alarm_name(changes, needle):
    errors = cw.validate_alarm_specs([spec(**changes)], "present")
    assert len(errors) == 1, errors
    assert errors[0].startswith("alarms[0] (p-cpu): ")
    assert needle in errors[0]


@pytest.mark.parametrize("period", [10, 30, 60, 120, 300, 3600, 86400])
def test_valid_periods(period):
    assert cw.validate_alarm_specs([spec(period=period)], "present") == []


def test_duplicates_and_purge_without_prefix():
    errors = cw.validate_alarm_specs([spec("a"), spec("b"), spec("a")], "present", name_prefix=None, purge_alarms=True)
    assert errors[0].startswith("purge_alarms=true needs name_prefix")
    assert "alarms[2] (a): the name 'a' is already used by alarms[0]" in errors[1]
    assert len(errors) == 2
    assert cw.validate_alarm_specs([], "absent", name_prefix="", purge_alarms=True)[0].startswith("purge_alarms=true")


def test_all_problems_are_reported_at_once():
    errors = cw.validate_alarm_specs([spec(period=45), spec("b", evaluation_periods=0, comparison_operator="x")], "present")
    assert len(errors) == 3


# --- normalisation and comparison ------------------------------------------------------------


def test_normalize_fills_in_aws_defaults():
    alarm = cw.normalize_alarm(raw_alarm(EvaluationPeriods=3))
    assert alarm["treat_missing_data"] == "missing"
    assert alarm["datapoints_to_alarm"] == 3
    assert alarm["dimensions"] == {"ClusterName": "c1", "ServiceName": "web"}
    assert list(alarm["dimensions"]) == ["ClusterName", "ServiceName"]
    assert alarm["description"] is None and alarm["extended_statistic"] is None
    assert cw.normalize_alarm(None) is None


def test_unchanged_alarm_has_no_differences():
    current = cw.normalize_alarm(raw_alarm())
    want = cw.desired_alarm(spec(threshold=80), {"alarm_actions": [TOPIC]}, current)
    assert cw.alarm_differences(current, want) == []


def test_dimension_order_int_values_and_action_order_do_not_matter():
    current = cw.normalize_alarm(raw_alarm(AlarmActions=[TOPIC, OTHER],
                                           Dimensions=[{"Name": "Port", "Value": "80"}]))
    want = cw.desired_alarm(spec(dimensions={"Port": 80}, alarm_actions=[OTHER, TOPIC]), None, current)
    assert want["dimensions"] == {"Port": "80"}
    assert cw.alarm_differences(current, want) == []


def test_explicit_datapoints_equal_to_evaluation_periods_matches_an_unset_one():
    current = cw.normalize_alarm(raw_alarm(EvaluationPeriods=3))
    want = cw.desired_alarm(spec(evaluation_periods=3, datapoints_to_alarm=3, alarm_actions=[TOPIC]), None, current)
    assert cw.alarm_differences(current, want) == []


@pytest.mark.parametrize("changes, key", [
    (dict(threshold=90), "threshold"),
    (dict(dimensions={"ClusterName": "c1"}), "dimensions"),
    (dict(dimensions=None), "dimensions"),
    (dict(period=300), "period"),
    (dict(treat_missing_data="notBreaching"), "treat_missing_data"),
    (dict(statistic=None, extended_statistic="p99"), "statistic"),
    (dict(alarm_actions=[]), "alarm_actions"),
    (dict(ok_actions=[TOPIC]), "ok_actions"),
    (dict(actions_enabled=False), "actions_enabled"),
    (dict(description="new"), "description"),
    (dict(evaluation_periods=3, datapoints_to_alarm=2), "datapoints_to_alarm"),
])
def test_one_change_is_one_difference(changes, key):
    current = cw.normalize_alarm(raw_alarm())
    want = cw.desired_alarm(spec(**changes), None, current)
    assert key in cw.alarm_differences(current, want)


def test_unset_options_keep_current_values_and_common_actions_apply():
    current = cw.normalize_alarm(raw_alarm(AlarmDescription="kept", Unit="Percent", OKActions=[OTHER]))
    want = cw.desired_alarm(spec(), {"alarm_actions": [OTHER], "ok_actions": None}, current)
    assert want["description"] == "kept"
    assert want["unit"] == "Percent"
    assert want["ok_actions"] == [OTHER]          # unset everywhere: left alone
    assert want["alarm_actions"] == [OTHER]       # module-level default
    want = cw.desired_alarm(spec(alarm_actions=[]), {"alarm_actions": [OTHER]}, current)
    assert want["alarm_actions"] == []            # the alarm's own list wins, even empty
    new = cw.desired_alarm(spec(), {}, None)
    assert new["description"] is None and new["alarm_actions"] == [] and new["arn"] is None


def test_put_params():
    want = cw.desired_alarm(spec(dimensions={"b": "2", "a": "1"}, description="d", unit="Percent"), {"alarm_actions": [TOPIC]})
    params = cw.alarm_put_params(want, tags={"Project": "p"})
    assert params["Dimensions"] == [{"Name": "a", "Value": "1"}, {"Name": "b", "Value": "2"}]
    assert params["Statistic"] == "Average" and "ExtendedStatistic" not in params
    assert params["DatapointsToAlarm"] == 1 and params["TreatMissingData"] == "missing"
    assert params["AlarmDescription"] == "d" and params["Unit"] == "Percent"
    assert params["Tags"] == [{"Key": "Project", "Value": "p"}]
    assert params["Threshold"] == 80.0 and isinstance(params["Threshold"], float)

    pct = cw.desired_alarm(spec(statistic=None, extended_statistic="p99"))
    params = cw.alarm_put_params(pct, raw_alarm(EvaluateLowSampleCountPercentile="ignore"))
    assert params["ExtendedStatistic"] == "p99" and "Statistic" not in params
    assert params["EvaluateLowSampleCountPercentile"] == "ignore"
    assert "Tags" not in params and "AlarmDescription" not in params and "Unit" not in params


def test_public_alarm_keys():
    result = cw.public_alarm(cw.normalize_alarm(raw_alarm()))
    assert list(result) == list(cw.ALARM_RETURN_KEYS)
    assert "tags" not in result
    assert cw.public_alarm(cw.normalize_alarm(raw_alarm()), {"a": "b"})["tags"] == {"a": "b"}


def test_purge_candidates():
    current = {"p-a": {}, "p-b": {}, "q-c": {}}
    assert mod.purge_candidates(current, ["p-a"], "p-", True) == ["p-b"]
    assert mod.purge_candidates(current, ["p-a"], "p-", False) == []
    assert mod.purge_candidates(current, [], None, True) == []


# --- against moto's in-process backend ----------------------------------------------------------


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("cloudwatch", region_name="us-east-1"))


@pytest.fixture
def tagging(offline_aws):
    yield retrying(boto3.client("resourcegroupstaggingapi", region_name="us-east-1"))


class Calls:
    """The operations (and their parameters) of the given clients, in the order they were sent."""

    def __init__(self, *clients):
        self.operations, self.params = [], []
        self._lock = threading.Lock()
        for c in clients:
            getattr(c, "client", c).meta.events.register("before-parameter-build", self._record)

    def _record(self, model, params, **kwargs):
        with self._lock:
            self.operations.append(model.name)
            self.params.append(dict(params))

    def count(self, operation):
        return self.operations.count(operation)

    def writes(self):
        return [op for op in self.operations if not op.startswith(("Describe", "Get", "List"))]


class Index:
    """A tagging client whose GetResources answers ``tags`` (ARN -> tag dict) for the ARNs it holds
    and leaves the others out, as the tagging API's index does for an alarm it does not know (yet)."""

    def __init__(self, tags):
        self.tags, self.sent = tags, []

    def get_resources(self, aws_retry=False, **params):
        self.sent.append(params)
        return {"ResourceTagMappingList": [
            {"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in self.tags[arn].items()]}
            for arn in params["ResourceARNList"] if arn in self.tags
        ]}


def unpack(outcome):
    """An Outcome as ``(changed, alarms, deleted_names, diff_before, diff_after)``."""
    assert sorted(outcome.result) == ["alarms", "deleted_alarms"]
    return outcome.changed, outcome.result["alarms"], outcome.result["deleted_alarms"], outcome.before, outcome.after


def present(client, alarms, check_mode=False, tags=None, prefix="p-", purge=False, common=None, tagging=None):
    """``ensure_present`` with the module's clients: ``client`` (CloudWatch) and ``tagging`` (the
    Resource Groups Tagging API; a fresh moto client unless given)."""
    common = common or {"alarm_actions": [TOPIC], "ok_actions": None, "insufficient_data_actions": None}
    params = dict(common, alarms=alarms, name_prefix=prefix, purge_alarms=purge, tags=tags, purge_tags=True, state="present")
    if tagging is None:
        tagging = retrying(boto3.client("resourcegroupstaggingapi", region_name="us-east-1"))
    clients = {"cloudwatch": client, "resourcegroupstaggingapi": tagging}
    return unpack(mod.ensure_present(clients, params, base.Context(check_mode=check_mode)))


def absent(client, alarms, name_prefix, purge_alarms, check_mode):
    params = dict(alarms=alarms, name_prefix=name_prefix, purge_alarms=purge_alarms, alarm_actions=None, ok_actions=None,
                  insufficient_data_actions=None, tags=None, purge_tags=True, state="absent")
    return unpack(mod.ensure_absent({"cloudwatch": client}, params, base.Context(check_mode=check_mode)))


def put_alarm(client, name, tags=None):
    """A metric alarm made out of band, with ``tags``; its ARN."""
    extra = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}
    client.put_metric_alarm(AlarmName=name, MetricName="M", Namespace="N", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold", **extra)
    return client.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]


def test_find_alarms_by_prefix_and_by_names_in_batches(client):
    for i in range(150):
        client.put_metric_alarm(AlarmName=f"x-{i:03d}", MetricName="M", Namespace="N", Statistic="Sum", Period=60,
                                EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    client.put_metric_alarm(AlarmName="p-one", MetricName="M", Namespace="N", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    names = [f"x-{i:03d}" for i in range(0, 150, 1)]
    found = cw.find_alarms(client, names + ["p-one", "missing"], "p-")
    assert set(found) == set(names) | {"p-one"}
    assert set(cw.find_alarms(client, ["x-001"], None)) == {"x-001"}
    assert set(cw.find_alarms(client, [], "p-")) == {"p-one"}
    assert cw.find_alarms(client, [], None) == {}


def test_create_then_no_change_then_update_only_the_changed_alarm(client):
    alarms = [spec("p-cpu"), spec("p-mem", metric_name="MemoryUtilization")]
    changed, result, deleted, before, after = present(client, alarms, check_mode=True)
    assert changed and deleted == [] and before == {}
    assert sorted(after) == ["p-cpu", "p-mem"]
    assert [a["arn"] for a in result] == [None, None]
    assert client.describe_alarms()["MetricAlarms"] == []           # check mode wrote nothing

    changed, result, deleted, before, after = present(client, alarms)
    assert changed and [a["name"] for a in result] == ["p-cpu", "p-mem"]
    assert all(a["arn"] and a["state_value"] for a in result)
    stored = {a["AlarmName"]: a for a in client.describe_alarms()["MetricAlarms"]}
    assert stored["p-mem"]["MetricName"] == "MemoryUtilization"
    assert stored["p-cpu"]["AlarmActions"] == [TOPIC]

    assert present(client, alarms, check_mode=True)[0] is False
    assert present(client, alarms)[0] is False

    alarms[1] = spec("p-mem", metric_name="MemoryUtilization", threshold=95)
    stamp = stored["p-cpu"]["AlarmConfigurationUpdatedTimestamp"]
    changed, result, deleted, before, after = present(client, alarms)
    assert changed and list(after) == ["p-mem"] and before["p-mem"]["threshold"] == 80.0
    assert after["p-mem"]["threshold"] == 95.0
    stored = {a["AlarmName"]: a for a in client.describe_alarms()["MetricAlarms"]}
    assert stored["p-mem"]["Threshold"] == 95.0
    assert stored["p-cpu"]["AlarmConfigurationUpdatedTimestamp"] == stamp


def test_purge_and_absent(client):
    present(client, [spec("p-a"), spec("p-b"), spec("q-c")])
    changed, result, deleted, before, after = present(client, [spec("p-a"), spec("q-c")], purge=True, check_mode=True)
    assert changed and deleted == ["p-b"] and list(before) == ["p-b"] and after == {}
    assert len(client.describe_alarms()["MetricAlarms"]) == 3
    assert present(client, [spec("p-a"), spec("q-c")], purge=True)[2] == ["p-b"]
    assert sorted(a["AlarmName"] for a in client.describe_alarms()["MetricAlarms"]) == ["p-a", "q-c"]

    changed, result, deleted, before, after = absent(client, [{"name": "q-c"}, {"name": "nope"}], None, False, True)
    assert changed and deleted == ["q-c"] and result == []
    assert len(client.describe_alarms()["MetricAlarms"]) == 2
    assert absent(client, [{"name": "q-c"}], None, False, False)[2] == ["q-c"]
    assert absent(client, [{"name": "q-c"}], None, False, False)[0] is False
    # Everything under the prefix.
    assert absent(client, [], "p-", True, False)[2] == ["p-a"]
    assert client.describe_alarms()["MetricAlarms"] == []


def test_tags_are_set_updated_purged_and_stale_tags_of_a_recreated_alarm_removed(client):
    changed, result, *_ = present(client, [spec("p-a")], tags={"Project": "x", "Owner": "me"})
    arn = result[0]["arn"]
    assert result[0]["tags"] == {"Project": "x", "Owner": "me"}
    assert cw.list_alarm_tags(client, arn) == {"Project": "x", "Owner": "me"}
    assert present(client, [spec("p-a")], tags={"Project": "x", "Owner": "me"})[0] is False

    changed, result, deleted, before, after = present(client, [spec("p-a")], tags={"Project": "y"}, check_mode=True)
    assert changed and before["p-a"]["tags"] == {"Project": "x", "Owner": "me"} and after["p-a"]["tags"] == {"Project": "y"}
    assert cw.list_alarm_tags(client, arn) == {"Project": "x", "Owner": "me"}
    present(client, [spec("p-a")], tags={"Project": "y"})
    assert cw.list_alarm_tags(client, arn) == {"Project": "y"}

    # moto keeps the tags of a deleted alarm; a new alarm of the same name must not inherit them.
    absent(client, [{"name": "p-a"}], None, False, False)
    changed, result, *_ = present(client, [spec("p-a")], tags={"Fresh": "1"})
    assert result[0]["tags"] == {"Fresh": "1"}
    assert cw.list_alarm_tags(client, arn) == {"Fresh": "1"}
    assert present(client, [spec("p-a")], tags={"Fresh": "1"})[0] is False


# --- the alarms' tags: the tagging API's index, CloudWatch's ListTagsForResource the authority -------

TAGS = {"Project": "x", "Owner": "me"}


def test_a_no_op_reads_the_tags_of_all_alarms_with_one_get_resources(client, tagging):
    alarms = [spec("p-a"), spec("p-b"), spec("p-c")]
    assert present(client, alarms, tags=TAGS)[0] is True
    calls = Calls(client, tagging)
    changed, result, deleted, before, after = present(client, alarms, tags=TAGS, tagging=tagging)
    assert changed is False and before == {} and after == {}
    assert [a["tags"] for a in result] == [TAGS] * 3
    assert calls.operations == ["DescribeAlarms", "GetResources"]
    assert calls.params[1] == {"ResourceARNList": [a["arn"] for a in result]}   # no pagination parameter beside it
    # the same in check mode
    calls = Calls(client, tagging)
    assert present(client, alarms, tags=TAGS, tagging=tagging, check_mode=True)[0] is False
    assert calls.operations == ["DescribeAlarms", "GetResources"]


def test_an_alarm_the_index_leaves_out_is_read_from_cloudwatch(client):
    arns = [put_alarm(client, name, TAGS) for name in ("p-a", "p-b", "p-c")]
    index = Index({arns[0]: TAGS, arns[2]: TAGS})
    calls = Calls(client)
    assert cw.read_alarm_tags(client, index, arns, TAGS, True) == [TAGS] * 3
    assert calls.operations == ["ListTagsForResource"] and calls.params[0] == {"ResourceARN": arns[1]}
    assert index.sent == [{"ResourceARNList": arns}]


def test_an_alarm_that_check_mode_would_create_has_no_tags_and_costs_no_call(client):
    arn = put_alarm(client, "p-a", TAGS)
    index = Index({arn: TAGS})
    calls = Calls(client)
    assert cw.read_alarm_tags(client, index, [None, arn, None], TAGS, True) == [{}, TAGS, {}]
    assert index.sent == [{"ResourceARNList": [arn]}] and calls.operations == []
    assert cw.read_alarm_tags(client, index, [None], TAGS, True) == [{}]
    assert len(index.sent) == 1                                        # no ARN: no GetResources either


def test_a_stale_index_costs_a_read_never_a_write(client):
    arn = present(client, [spec("p-a")], tags=TAGS)[1][0]["arn"]
    # The index still shows the tags before the last change: CloudWatch (the authority) settles it.
    index = Index({arn: {"Project": "old"}})
    calls = Calls(client)
    changed, result, deleted, before, after = present(client, [spec("p-a")], tags=TAGS, tagging=index)
    assert changed is False and before == {} and after == {}
    assert result[0]["tags"] == TAGS
    assert calls.operations == ["DescribeAlarms", "ListTagsForResource"] and calls.writes() == []
    assert len(index.sent) == 1


def test_a_stale_index_and_a_real_difference_write_from_cloudwatchs_answer(client):
    arn = present(client, [spec("p-a")], tags={"Project": "old", "Extra": "1"})[1][0]["arn"]
    index = Index({arn: {"Project": "older"}})
    calls = Calls(client)
    changed, result, deleted, before, after = present(client, [spec("p-a")], tags=TAGS, tagging=index)
    assert changed is True
    assert before["p-a"]["tags"] == {"Project": "old", "Extra": "1"}       # CloudWatch's tags, not the index's
    assert after["p-a"]["tags"] == TAGS and result[0]["tags"] == TAGS
    assert calls.count("ListTagsForResource") == 1
    assert calls.writes() == ["UntagResource", "TagResource"]
    assert calls.params[calls.operations.index("UntagResource")]["TagKeys"] == ["Extra"]
    assert cw.list_alarm_tags(client, arn) == TAGS


def test_get_resources_refused_falls_back_to_one_list_tags_for_resource_per_alarm(client, tagging):
    alarms = [spec("p-a"), spec("p-b")]
    present(client, alarms, tags=TAGS)
    refused = AWSAnswers(tagging, "GetResources", "AccessDeniedException", times=1)
    calls = Calls(client, tagging)
    changed, result, deleted, before, after = present(client, alarms, tags=TAGS, tagging=tagging)
    assert changed is False and [a["tags"] for a in result] == [TAGS, TAGS]
    assert len(refused.sent) == 1                                      # not retried: AccessDenied does not pass
    assert calls.operations.count("GetResources") == 1
    assert calls.operations.count("ListTagsForResource") == 2 and calls.writes() == []


@pytest.mark.parametrize("code, status", [("NotImplemented", 501), ("ThrottledException", 400)])
def test_get_resources_unavailable_falls_back_too(client, tagging, monkeypatch, code, status):
    arns = [put_alarm(client, name, TAGS) for name in ("p-a", "p-b")]
    times = 100 if code == "ThrottledException" else 1                # throttled on every try: the retries give up
    AWSAnswers(tagging, "GetResources", code, times=times, status=status)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    calls = Calls(client)
    assert cw.read_alarm_tags(client, tagging, arns, TAGS, True) == [TAGS, TAGS]
    assert calls.operations == ["ListTagsForResource", "ListTagsForResource"]


def test_more_than_100_alarms_are_asked_in_batches_of_100(client, tagging):
    arns = [put_alarm(client, "p-%03d" % i, {"N": str(i)}) for i in range(150)]
    want = [{"N": str(i)} for i in range(150)]
    calls = Calls(tagging)
    index = cw.index_alarm_tags(tagging, arns)
    assert [len(p["ResourceARNList"]) for p in calls.params] == [100, 50]
    assert all(sorted(p) == ["ResourceARNList"] for p in calls.params)
    assert all(index[arn] == tags for arn, tags in zip(arns, want) if arn in index)
    # moto answers at most 50 resources per call whatever the list: the ones it leaves out are read from CloudWatch
    calls = Calls(client, tagging)
    assert cw.read_alarm_tags(client, tagging, arns, {}, False) == want
    assert calls.count("GetResources") == 2
    assert calls.count("ListTagsForResource") == 150 - len(index)

    fake = Index(dict(zip(arns, want)))
    calls = Calls(client)
    assert cw.read_alarm_tags(client, fake, arns, {}, False) == want
    assert [len(p["ResourceARNList"]) for p in fake.sent] == [100, 50] and calls.operations == []
