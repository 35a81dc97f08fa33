# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CloudWatch API layer: metric alarms (as a set) and dashboards.

Every boto3 call of the ``cloudwatch`` service made by this collection lives here (and the one
call of the Resource Groups Tagging API, ``resourcegroupstaggingapi``, that reads the alarms' tags), with
``aws_retry=True`` (or ``base.paginate``, the paginator walk under the same retry policy), "not found" turned into
``None``, and the normalisers that turn AWS shapes into the snake_case dicts the modules compare
and return. The validation and comparison helpers are pure functions, tested offline.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterable, Iterator, List, Optional

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import (
    concurrently,
    dict_to_tags,
    paginate,
    tag_changes,
    tags_to_dict,
)

# DescribeAlarms (AlarmNames) and DeleteAlarms take at most 100 names per call.
BATCH_SIZE = 100
# GetResources takes at most 100 ARNs (ResourceARNList: min 1, max 100), and no pagination
# parameter beside them (docs/aws-behaviour.md, "CloudWatch metric alarms' tags").
TAGGING_BATCH_SIZE = 100

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
COMPARISON_OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
# Valid AWS names that only work with anomaly-detection bands (metric math + ThresholdMetricId).
ANOMALY_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
TREAT_MISSING_DATA = ("missing", "notBreaching", "breaching", "ignore")
UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
    "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
    "Count/Second", "None",
)
ACTION_KEYS = ("alarm_actions", "ok_actions", "insufficient_data_actions")

# p99, p99.9, tm90, tm(10%:90%), wm98, tc(:0.5), ts(80%:), PR(100:2000), IQM ...
_EXTENDED_STATISTIC = re.compile(
    r"^(p(100(\.0+)?|\d{1,2}(\.\d+)?)"
    r"|(tm|wm|tc|ts|TM|WM|TC|TS)(\d{1,2}(\.\d+)?|100)"
    r"|(tm|wm|tc|ts|pr|TM|WM|TC|TS|PR)\([^()]*:[^()]*\)"
    r"|IQM)$"
)
_DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")

# The keys of a normalised alarm that describe its configuration (what a put can change).
ALARM_CONFIG_KEYS = (
    "metric_name",
    "namespace",
    "statistic",
    "extended_statistic",
    "dimensions",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "threshold",
    "comparison_operator",
    "treat_missing_data",
    "description",
    "unit",
    "actions_enabled",
) + ACTION_KEYS

# What the module returns for each alarm, in this order.
ALARM_RETURN_KEYS = ("name", "arn") + ALARM_CONFIG_KEYS + ("state_value",)


class AnsibleCloudWatchError(AnsibleAWSError):
    pass


CloudWatchErrorHandler = error_handler(AnsibleCloudWatchError, ["ResourceNotFound", "ResourceNotFoundException"])


def _batches(items: Iterable[str], size: int = BATCH_SIZE) -> Iterator[List[str]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------------------------------------
# Alarms: API calls
# ---------------------------------------------------------------------------------------------


def _paginate_metric_alarms(client: Any, **params: Any) -> List[dict]:
    return paginate(client, "describe_alarms", AlarmTypes=["MetricAlarm"], **params).get("MetricAlarms", [])


@CloudWatchErrorHandler.list_error_handler("describe alarms with prefix {prefix}", default_value=[])
def describe_alarms_by_prefix(client: Any, prefix: str) -> List[dict]:
    return _paginate_metric_alarms(client, AlarmNamePrefix=prefix)


@CloudWatchErrorHandler.list_error_handler("describe alarms by name", default_value=[])
def describe_alarms_by_names(client: Any, names: Iterable[str]) -> List[dict]:
    alarms = []
    for batch in _batches(sorted(set(names))):
        alarms.extend(_paginate_metric_alarms(client, AlarmNames=batch))
    return alarms


def find_alarms(client: Any, names: List[str], prefix: Optional[str] = None) -> Dict[str, dict]:
    """Current metric alarms keyed by name: the listed ``names`` and, with ``prefix``, every
    alarm whose name starts with it. One paginated DescribeAlarms by prefix, plus one per 100
    listed names that fall outside the prefix (AWS takes either a prefix or names, not both)."""
    found = []
    outside = list(names)
    if prefix:
        found.extend(describe_alarms_by_prefix(client, prefix))
        outside = [n for n in names if not n.startswith(prefix)]
    if outside:
        found.extend(describe_alarms_by_names(client, outside))
    wanted = set(names)
    return {
        a["AlarmName"]: a
        for a in found
        if a["AlarmName"] in wanted or (prefix and a["AlarmName"].startswith(prefix))
    }


@CloudWatchErrorHandler.common_error_handler("create or update alarm {params[AlarmName]}")
def put_metric_alarm(client: Any, params: Dict[str, Any]) -> bool:
    client.put_metric_alarm(aws_retry=True, **params)
    return True


@CloudWatchErrorHandler.deletion_error_handler("delete alarms {names}")
def delete_alarms(client: Any, names: List[str]) -> bool:
    for batch in _batches(names):
        client.delete_alarms(aws_retry=True, AlarmNames=batch)
    return True


@CloudWatchErrorHandler.list_error_handler("list the tags of {arn}", default_value={})
def list_alarm_tags(client: Any, arn: str) -> Dict[str, str]:
    return tags_to_dict(client.list_tags_for_resource(aws_retry=True, ResourceARN=arn).get("Tags"))


def index_alarm_tags(tagging_client: Any, arns: Iterable[str]) -> Optional[Dict[str, Dict[str, str]]]:
    """The tags of the alarms of ``arns`` by ARN, as the Resource Groups Tagging API's index has them.

    One ``GetResources(ResourceARNList=...)`` per 100 ARNs. An alarm absent from the answer is
    unknown, not untagged: GetResources returns only resources that are or were tagged, and its
    index may lag behind a tag change just made. ``None`` when the API cannot be used (any botocore
    error after the client's retries: ``tag:GetResources`` not granted, an endpoint that does not
    serve the API, throttling): the caller then reads every alarm's tags from CloudWatch.
    """
    found: Dict[str, Dict[str, str]] = {}
    try:
        for batch in _batches(arns, TAGGING_BATCH_SIZE):
            answer = tagging_client.get_resources(aws_retry=True, ResourceARNList=batch)
            for mapping in answer.get("ResourceTagMappingList") or []:
                found[mapping["ResourceARN"]] = tags_to_dict(mapping.get("Tags"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return None
    return found


def _tags_differ(current: Dict[str, str], desired_tags: Optional[Dict[str, Any]], purge_tags: bool) -> bool:
    to_set, to_remove = tag_changes(current, desired_tags, purge_tags)
    return bool(to_set or to_remove)


def read_alarm_tags(cw_client: Any, tagging_client: Any, arns: List[Optional[str]], desired_tags: Optional[Dict[str, Any]],
                    purge_tags: bool = True) -> List[Dict[str, str]]:
    """The tags of each alarm of ``arns``, in their order, for the ``tags``/``purge_tags`` update to ``desired_tags``.

    The tagging API's index is read first (``index_alarm_tags``: one call per 100 alarms); CloudWatch's
    ``ListTagsForResource``, the authority, is asked (side by side) only for the alarms the index
    does not answer or answers with tags that would need a change, so a stale index costs a read,
    never a needless write. When the index cannot be used, every alarm is read from CloudWatch.
    An ARN is None only for an alarm that check mode would create: it has no tags yet (no call).
    """
    known = [arn for arn in arns if arn]
    index = index_alarm_tags(tagging_client, known) if known else {}
    if index is None:
        index = {}
    to_confirm = [arn for arn in known if arn not in index or _tags_differ(index[arn], desired_tags, purge_tags)]
    confirmed = dict(zip(to_confirm, concurrently([(lambda arn=arn: list_alarm_tags(cw_client, arn)) for arn in to_confirm])))
    return [confirmed[arn] if arn in confirmed else index[arn] if arn else {} for arn in arns]


@CloudWatchErrorHandler.common_error_handler("tag {arn}")
def tag_alarm(client: Any, arn: str, tags: Dict[str, str]) -> bool:
    client.tag_resource(aws_retry=True, ResourceARN=arn, Tags=dict_to_tags(tags))
    return True


@CloudWatchErrorHandler.deletion_error_handler("untag {arn}")
def untag_alarm(client: Any, arn: str, keys: Iterable[str]) -> bool:
    client.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=list(keys))
    return True


# ---------------------------------------------------------------------------------------------
# Alarms: validation, normalisation, comparison (no API calls)
# ---------------------------------------------------------------------------------------------


def validate_alarm_specs(alarms: Optional[List[dict]], state: str, name_prefix: Optional[str] = None,
                         purge_alarms: bool = False) -> List[str]:
    """Every problem with the module's input, as messages that say what to change.

    Runs before any API call. ``alarms`` are the module's ``alarms`` option (argument-spec
    defaults applied).
    """
    errors = []
    if purge_alarms and not name_prefix:
        errors.append(
            "purge_alarms=true needs name_prefix: it is the scope of the purge (only alarms whose names "
            "start with it are deleted). Set name_prefix, or set purge_alarms=false."
        )
    seen = {}
    for index, alarm in enumerate(alarms or []):
        name = alarm.get("name")
        where = f"alarms[{index}]" + (f" ({name})" if name else "")
        if not name:
            errors.append(f"{where}: name is required and must not be empty.")
            continue
        if len(name) > 255:
            errors.append(f"{where}: name is {len(name)} characters long; AWS allows at most 255.")
        if name in seen:
            errors.append(f"{where}: the name {name!r} is already used by alarms[{seen[name]}]; alarm names must be unique.")
        else:
            seen[name] = index
        if state != "present":
            continue
        for key in ("metric_name", "namespace", "threshold", "comparison_operator"):
            if alarm.get(key) in (None, ""):
                errors.append(f"{where}: {key} is required when state=present.")
        statistic, extended = alarm.get("statistic"), alarm.get("extended_statistic")
        if statistic and extended:
            errors.append(
                f"{where}: set either statistic ({statistic}) or extended_statistic ({extended}), not both."
            )
        elif not statistic and not extended:
            errors.append(
                f"{where}: set statistic (one of {', '.join(STATISTICS)}) or extended_statistic (for example p99)."
            )
        if statistic and statistic not in STATISTICS:
            errors.append(f"{where}: statistic {statistic!r} is not valid; use one of {', '.join(STATISTICS)}, "
                          "or extended_statistic for percentiles (p99).")
        if extended and not _EXTENDED_STATISTIC.match(extended):
            errors.append(f"{where}: extended_statistic {extended!r} is not valid; use a percentile such as p90 "
                          "or p99.9, or a trimmed form such as tm99 or tm(10%:90%).")
        operator = alarm.get("comparison_operator")
        if operator in ANOMALY_OPERATORS:
            errors.append(f"{where}: comparison_operator {operator} needs an anomaly-detection band (metric math), "
                          f"which this module does not manage; use one of {', '.join(COMPARISON_OPERATORS)}.")
        elif operator and operator not in COMPARISON_OPERATORS:
            errors.append(f"{where}: comparison_operator {operator!r} is not valid; use one of "
                          f"{', '.join(COMPARISON_OPERATORS)}.")
        period = alarm.get("period")
        if period is None or period <= 0 or (period not in (10, 30) and period % 60 != 0):
            errors.append(f"{where}: period {period} is not valid; use 10, 30 or a multiple of 60 (seconds).")
        evaluation_periods = alarm.get("evaluation_periods")
        if evaluation_periods is None or evaluation_periods < 1:
            errors.append(f"{where}: evaluation_periods must be 1 or more (got {evaluation_periods}).")
        datapoints = alarm.get("datapoints_to_alarm")
        if datapoints is not None and evaluation_periods is not None and evaluation_periods >= 1:
            if datapoints < 1 or datapoints > evaluation_periods:
                errors.append(f"{where}: datapoints_to_alarm must be between 1 and evaluation_periods "
                              f"({evaluation_periods}), got {datapoints}.")
        treat = alarm.get("treat_missing_data")
        if treat not in TREAT_MISSING_DATA:
            errors.append(f"{where}: treat_missing_data {treat!r} is not valid; use one of "
                          f"{', '.join(TREAT_MISSING_DATA)}.")
        unit = alarm.get("unit")
        if unit is not None and unit not in UNITS:
            errors.append(f"{where}: unit {unit!r} is not valid; use one of {', '.join(UNITS)}.")
        dimensions = alarm.get("dimensions")
        if dimensions and len(dimensions) > 30:
            errors.append(f"{where}: {len(dimensions)} dimensions given; AWS allows at most 30.")
        for key in ACTION_KEYS:
            actions = alarm.get(key)
            if actions is not None and len(actions) > 5:
                errors.append(f"{where}: {key} lists {len(actions)} actions; AWS allows at most 5.")
    return errors


def dimensions_to_dict(dimensions: Optional[List[dict]]) -> Dict[str, Any]:
    """AWS ``[{Name, Value}]`` -> dict sorted by name."""
    return {d["Name"]: d.get("Value") for d in sorted(dimensions or [], key=lambda d: d["Name"])}


def normalize_dimensions(dimensions: Optional[dict]) -> Dict[str, str]:
    """A dimensions dict from the user -> dict of strings, sorted by name."""
    return {str(k): str(v) for k, v in sorted((dimensions or {}).items(), key=lambda kv: str(kv[0]))}


def normalize_alarm(raw: Optional[dict]) -> Optional[dict]:
    """One ``MetricAlarms`` entry of DescribeAlarms -> the snake_case dict the module compares
    and returns. Fields AWS leaves out take their AWS meaning: no TreatMissingData is
    ``missing``, no DatapointsToAlarm is ``evaluation_periods``."""
    if raw is None:
        return None
    evaluation_periods = raw.get("EvaluationPeriods")
    threshold = raw.get("Threshold")
    return {
        "name": raw["AlarmName"],
        "arn": raw.get("AlarmArn"),
        "metric_name": raw.get("MetricName"),
        "namespace": raw.get("Namespace"),
        "statistic": raw.get("Statistic"),
        "extended_statistic": raw.get("ExtendedStatistic"),
        "dimensions": dimensions_to_dict(raw.get("Dimensions")),
        "period": raw.get("Period"),
        "evaluation_periods": evaluation_periods,
        "datapoints_to_alarm": raw.get("DatapointsToAlarm") or evaluation_periods,
        "threshold": float(threshold) if threshold is not None else None,
        "comparison_operator": raw.get("ComparisonOperator"),
        "treat_missing_data": raw.get("TreatMissingData") or "missing",
        "description": raw.get("AlarmDescription"),
        "unit": raw.get("Unit"),
        "actions_enabled": bool(raw.get("ActionsEnabled", True)),
        "alarm_actions": list(raw.get("AlarmActions") or []),
        "ok_actions": list(raw.get("OKActions") or []),
        "insufficient_data_actions": list(raw.get("InsufficientDataActions") or []),
        "state_value": raw.get("StateValue"),
    }


def desired_alarm(spec: dict, common_actions: Optional[dict] = None, current: Optional[dict] = None) -> dict:
    """The normalised alarm the module wants, from one ``alarms`` entry.

    ``common_actions`` holds the module-level ``alarm_actions`` / ``ok_actions`` /
    ``insufficient_data_actions`` (used by an alarm that does not set its own). Options that are
    unset at both levels (actions, ``description``, ``unit``) keep the ``current`` value, since
    PutMetricAlarm replaces the whole alarm. ``dimensions`` unset means none;
    ``datapoints_to_alarm`` unset means ``evaluation_periods`` (AWS's meaning).
    """
    current = current or {}
    common_actions = common_actions or {}
    evaluation_periods = spec.get("evaluation_periods")
    want = {
        "name": spec["name"],
        "arn": current.get("arn"),
        "metric_name": spec.get("metric_name"),
        "namespace": spec.get("namespace"),
        "statistic": spec.get("statistic") or None,
        "extended_statistic": spec.get("extended_statistic") or None,
        "dimensions": normalize_dimensions(spec.get("dimensions")),
        "period": spec.get("period"),
        "evaluation_periods": evaluation_periods,
        "datapoints_to_alarm": spec.get("datapoints_to_alarm") or evaluation_periods,
        "threshold": float(spec["threshold"]) if spec.get("threshold") is not None else None,
        "comparison_operator": spec.get("comparison_operator"),
        "treat_missing_data": spec.get("treat_missing_data") or "missing",
        "description": spec["description"] if spec.get("description") is not None else current.get("description"),
        "unit": spec["unit"] if spec.get("unit") is not None else current.get("unit"),
        "actions_enabled": True if spec.get("actions_enabled") is None else bool(spec["actions_enabled"]),
        "state_value": current.get("state_value"),
    }
    for key in ACTION_KEYS:
        if spec.get(key) is not None:
            want[key] = list(spec[key])
        elif common_actions.get(key) is not None:
            want[key] = list(common_actions[key])
        else:
            want[key] = list(current.get(key) or [])
    return want


def _comparable(alarm: dict, key: str) -> Any:
    value = alarm.get(key)
    if key in ACTION_KEYS:
        return sorted(set(value or []))
    if key == "threshold" and value is not None:
        return float(value)
    if key == "description":
        return value or None
    return value


def alarm_differences(current: dict, desired: dict) -> List[str]:
    """The configuration keys whose values differ (empty list: nothing to do)."""
    return [k for k in ALARM_CONFIG_KEYS if _comparable(current, k) != _comparable(desired, k)]


def alarm_put_params(desired: dict, current_raw: Optional[dict] = None, tags: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """PutMetricAlarm parameters for a normalised desired alarm.

    ``current_raw`` (the DescribeAlarms entry) carries over what this module does not manage but a
    put would otherwise reset (EvaluateLowSampleCountPercentile of percentile alarms). ``tags`` is
    sent only when creating: AWS ignores Tags on an update.
    """
    params = {
        "AlarmName": desired["name"],
        "MetricName": desired["metric_name"],
        "Namespace": desired["namespace"],
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(desired["dimensions"].items())],
        "Period": desired["period"],
        "EvaluationPeriods": desired["evaluation_periods"],
        "DatapointsToAlarm": desired["datapoints_to_alarm"],
        "Threshold": float(desired["threshold"]),
        "ComparisonOperator": desired["comparison_operator"],
        "TreatMissingData": desired["treat_missing_data"],
        "ActionsEnabled": desired["actions_enabled"],
        "AlarmActions": list(desired["alarm_actions"]),
        "OKActions": list(desired["ok_actions"]),
        "InsufficientDataActions": list(desired["insufficient_data_actions"]),
    }
    if desired.get("extended_statistic"):
        params["ExtendedStatistic"] = desired["extended_statistic"]
        if current_raw and current_raw.get("EvaluateLowSampleCountPercentile"):
            params["EvaluateLowSampleCountPercentile"] = current_raw["EvaluateLowSampleCountPercentile"]
    else:
        params["Statistic"] = desired["statistic"]
    if desired.get("description") is not None:
        params["AlarmDescription"] = desired["description"]
    if desired.get("unit") is not None:
        params["Unit"] = desired["unit"]
    if tags:
        params["Tags"] = dict_to_tags(tags)
    return params


def public_alarm(alarm: dict, tags: Optional[Dict[str, str]] = None) -> dict:
    """The dict returned for one alarm (``tags`` added when the module manages them)."""
    result = {k: alarm.get(k) for k in ALARM_RETURN_KEYS}
    for key in ACTION_KEYS:
        result[key] = list(result[key] or [])
    result["dimensions"] = dict(result["dimensions"] or {})
    if tags is not None:
        result["tags"] = dict(tags)
    return result


# ---------------------------------------------------------------------------------------------
# Dashboards
# ---------------------------------------------------------------------------------------------


def validate_dashboard_name(name: Optional[str]) -> Optional[str]:
    if not name or not _DASHBOARD_NAME.match(name):
        return (f"name {name!r} is not a valid dashboard name: use 1 to 255 letters, digits, "
                "dashes (-) and underscores (_).")
    return None


def parse_dashboard_body(body: Any) -> dict:
    """The ``body`` option (dict, or JSON text) -> dict. Raises ValueError with a message that
    says what to change."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError as e:
            raise ValueError(f"body is not valid JSON ({e}); pass a dict or a JSON object as text.") from None
    if not isinstance(body, dict):
        raise ValueError(f"body must be a JSON object such as {{\"widgets\": [...]}}, not a {type(body).__name__}.")
    # Round-trip so Ansible's own string/number types compare equal to what AWS returns.
    return json.loads(json.dumps(body))


def dashboard_body_text(body: dict) -> str:
    """The DashboardBody sent to AWS: compact JSON with sorted keys (stable for diffs)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def normalize_dashboard(raw: Optional[dict]) -> Optional[dict]:
    """GetDashboard output -> ``{name, arn, body (dict), size}``; size is the stored body in bytes."""
    if raw is None:
        return None
    text = raw.get("DashboardBody") or "{}"
    try:
        body = json.loads(text)
    except ValueError:
        body = text
    return {
        "name": raw.get("DashboardName"),
        "arn": raw.get("DashboardArn"),
        "body": body,
        "size": len(text.encode("utf-8")),
    }


def _dashboard_missing(error: BaseException) -> bool:
    """LocalStack answers a missing dashboard with InvalidParameterValue '... does not exist.'"""
    err = getattr(error, "response", {}).get("Error", {})
    return err.get("Code") == "InvalidParameterValue" and "does not exist" in err.get("Message", "")


@CloudWatchErrorHandler.list_error_handler("get dashboard {name}")
def get_dashboard(client: Any, name: str) -> Optional[dict]:
    try:
        return client.get_dashboard(aws_retry=True, DashboardName=name)
    except botocore.exceptions.ClientError as e:
        if _dashboard_missing(e):
            return None
        raise


@CloudWatchErrorHandler.common_error_handler("put dashboard {name}")
def put_dashboard(client: Any, name: str, body_text: str) -> List[dict]:
    """Returns the DashboardValidationMessages (warnings AWS accepted the body with)."""
    result = client.put_dashboard(aws_retry=True, DashboardName=name, DashboardBody=body_text)
    return result.get("DashboardValidationMessages") or []


@CloudWatchErrorHandler.deletion_error_handler("delete dashboard {name}")
def delete_dashboard(client: Any, name: str) -> bool:
    client.delete_dashboards(aws_retry=True, DashboardNames=[name])
    return True
