#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudwatch_metric_alarms
short_description: Reconcile a set of CloudWatch metric alarms in one task
version_added: 0.1.0
description:
  - Creates, updates and deletes a whole set of CloudWatch metric alarms in one call.
  - Fills a gap of the stock modules, M(amazon.aws.cloudwatch_metric_alarm) takes one task per alarm
    (about 0.6 s of overhead each) and cannot remove the alarms that are no longer wanted.
  - Reads the current alarms with one paginated C(DescribeAlarms) (by O(name_prefix), plus one per
    100 listed names outside it), calls C(PutMetricAlarm) only for alarms that are new or differ, and
    removes alarms with C(DeleteAlarms) (100 names per call).
  - When O(tags) is set, reads the listed alarms' tags with one C(GetResources) of the Resource Groups
    Tagging API (100 ARNs per call), and with CloudWatch's C(ListTagsForResource), side by side, only
    for the alarms that C(GetResources) does not return or returns with tags that differ from
    O(tags); then C(TagResource) / C(UntagResource) where CloudWatch's answer differs. A run that
    changes nothing makes C(DescribeAlarms) and one C(GetResources).
  - Alarms are compared after normalising both sides (dimensions as a dict, thresholds as floats,
    action lists as sets, the values AWS leaves out filled in with their AWS meaning).
  - C(PutMetricAlarm) replaces the whole alarm, so options left unset at every level
    (the action lists, O(alarms[].description), O(alarms[].unit)) are sent with the alarm's current
    value, which leaves them alone.
  - Only metric alarms on a single metric are managed; metric-math and anomaly-detection alarms are
    not (use M(amazon.aws.cloudwatch_metric_alarm) for those).
  - All input is validated before any API call, and every problem is reported at once.
author:
  - Apranova platform team (!UNKNOWN)
options:
  alarms:
    description:
      - The alarms. With O(state=present) each is created or updated to match; with
        O(state=absent) the alarms with these names are deleted (only O(alarms[].name) is used).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Alarm name, unique in the list (at most 255 characters).
        type: str
        required: true
      metric_name:
        description: Name of the metric (for example V(CPUUtilization)). Required when O(state=present).
        type: str
      namespace:
        description: Namespace of the metric (for example V(AWS/ECS)). Required when O(state=present).
        type: str
      statistic:
        description:
          - Statistic applied to the metric, one of V(SampleCount), V(Average), V(Sum), V(Minimum),
            V(Maximum).
          - Exactly one of O(alarms[].statistic) and O(alarms[].extended_statistic) is required when
            O(state=present).
        type: str
      extended_statistic:
        description:
          - Percentile statistic such as V(p99) or V(p99.9) (trimmed forms such as V(tm99) are
            accepted too).
          - Mutually exclusive with O(alarms[].statistic).
        type: str
      dimensions:
        description:
          - Dimensions of the metric as a dict of name to value (values are sent as strings).
          - Unset means the metric has no dimensions.
        type: dict
      period:
        description: Length in seconds of each evaluated period, V(10), V(30) or a multiple of 60.
        type: int
        default: 60
      evaluation_periods:
        description: Number of periods evaluated, 1 or more.
        type: int
        default: 1
      datapoints_to_alarm:
        description:
          - Number of breaching periods (out of O(alarms[].evaluation_periods)) that trigger the alarm.
          - Unset means O(alarms[].evaluation_periods), which is what AWS does when it is not set.
        type: int
      threshold:
        description: Value the statistic is compared with. Required when O(state=present).
        type: float
      comparison_operator:
        description:
          - How the statistic is compared with O(alarms[].threshold), one of
            V(GreaterThanOrEqualToThreshold), V(GreaterThanThreshold), V(LessThanThreshold),
            V(LessThanOrEqualToThreshold). Required when O(state=present).
        type: str
      treat_missing_data:
        description: How missing data points are treated, one of V(missing), V(notBreaching), V(breaching), V(ignore).
        type: str
        default: missing
      description:
        description: Description of the alarm. Unset leaves the current description alone.
        type: str
      unit:
        description:
          - Unit of the metric the alarm watches (for example V(Percent), V(Count), V(Bytes)); the
            AWS unit names are accepted.
          - Unset leaves the current unit alone.
        type: str
      actions_enabled:
        description: Whether the actions run when the alarm changes state.
        type: bool
        default: true
      alarm_actions:
        description:
          - ARNs (for example SNS topics) notified when the alarm goes to C(ALARM), at most 5.
          - Unset uses the module-level O(alarm_actions).
        type: list
        elements: str
      ok_actions:
        description: ARNs notified when the alarm goes to C(OK). Unset uses the module-level O(ok_actions).
        type: list
        elements: str
      insufficient_data_actions:
        description:
          - ARNs notified when the alarm goes to C(INSUFFICIENT_DATA).
          - Unset uses the module-level O(insufficient_data_actions).
        type: list
        elements: str
  alarm_actions:
    description:
      - Default O(alarms[].alarm_actions) for every alarm that does not set its own.
      - Unset here and on the alarm leaves the alarm's current actions alone (none for a new alarm).
    type: list
    elements: str
  ok_actions:
    description: Default O(alarms[].ok_actions) for every alarm that does not set its own.
    type: list
    elements: str
  insufficient_data_actions:
    description: Default O(alarms[].insufficient_data_actions) for every alarm that does not set its own.
    type: list
    elements: str
  name_prefix:
    description:
      - The scope of O(purge_alarms), for example V(production-).
      - Also used to read the current alarms with one paginated call.
    type: str
  purge_alarms:
    description:
      - Delete the metric alarms whose names start with O(name_prefix) and are not in O(alarms).
      - With O(state=absent) and an empty O(alarms) this deletes every alarm under the prefix.
      - Requires O(name_prefix).
    type: bool
    default: false
  state:
    description: Whether the listed alarms should exist.
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - Tags applied to every listed alarm (through C(TagResource) / C(UntagResource)).
      - The current tags are read with C(tag:GetResources) (Resource Groups Tagging API), confirmed
        with C(cloudwatch:ListTagsForResource) where needed; without C(tag:GetResources) (or where
        the endpoint does not serve that API) each alarm's tags are read with C(ListTagsForResource).
      - Unset leaves the alarms' tags alone and costs no API call.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove the tags of the listed alarms that are not in O(tags) (C(aws:) tags are never touched).
    type: bool
    default: true
notes:
  - In check mode nothing is changed; the returned C(arn) and C(state_value) of an alarm that would
    be created are null.
  - The Resource Groups Tagging API is used as an index, CloudWatch as the authority.
    C(GetResources) returns only resources that are or were tagged, and its index can lag behind a
    tag change just made, so an alarm it leaves out or shows with other tags than O(tags) is read
    again with C(ListTagsForResource), and only that answer decides a change. When C(GetResources)
    fails (C(AccessDenied) because the policy lacks C(tag:GetResources), an endpoint without that
    API, throttling after the retries), the module reads every alarm's tags with
    C(ListTagsForResource) instead, without a warning, since the results are the same (at one call
    per alarm more).
  - On the moto emulator a new alarm starts in state C(OK) (AWS starts in C(INSUFFICIENT_DATA)), and
    the tags of a deleted alarm survive and reappear on an alarm created later under the same name;
    the module compares a new alarm's tags after creating it, so those stale tags are purged too.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Reconcile the service alarms, removing stale ones under the prefix
  apranova.aws_stack.cloudwatch_metric_alarms:
    name_prefix: production-
    purge_alarms: true
    alarm_actions: ["{{ alarm_topic_arn }}"]
    ok_actions: ["{{ alarm_topic_arn }}"]
    tags:
      Project: apranova
    alarms:
      - name: production-alb-5xx
        namespace: AWS/ApplicationELB
        metric_name: HTTPCode_ELB_5XX_Count
        statistic: Sum
        dimensions:
          LoadBalancer: app/production-alb/0123456789abcdef
        period: 300
        evaluation_periods: 2
        threshold: 10
        comparison_operator: GreaterThanThreshold
        treat_missing_data: notBreaching
        description: ALB returns 5xx errors
      - name: production-ecs-cpu
        namespace: AWS/ECS
        metric_name: CPUUtilization
        statistic: Average
        dimensions:
          ClusterName: production
          ServiceName: web
        period: 300
        evaluation_periods: 3
        datapoints_to_alarm: 2
        threshold: 80
        comparison_operator: GreaterThanOrEqualToThreshold
      - name: production-alb-latency-p99
        namespace: AWS/ApplicationELB
        metric_name: TargetResponseTime
        extended_statistic: p99
        dimensions:
          LoadBalancer: app/production-alb/0123456789abcdef
        threshold: 1.5
        comparison_operator: GreaterThanThreshold
        alarm_actions: []   # this one pages nobody

- name: Delete two alarms by name
  apranova.aws_stack.cloudwatch_metric_alarms:
    state: absent
    alarms:
      - name: production-ecs-cpu
      - name: production-alb-5xx

- name: Delete every alarm of the stack
  apranova.aws_stack.cloudwatch_metric_alarms:
    state: absent
    name_prefix: production-
    purge_alarms: true
"""

RETURN = r"""
alarms:
  description:
    - The listed alarms in input order, as they are after the run (as they would be, in check mode).
    - Empty when O(state=absent).
    - With C(--diff), the sides of C(diff) hold the alarms that changed in this shape, keyed by alarm
      name (a deleted alarm only before the run).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Alarm name.
      returned: always
      type: str
      sample: production-ecs-cpu
    arn:
      description: Alarm ARN; null for an alarm that check mode would create.
      returned: always
      type: str
      sample: arn:aws:cloudwatch:us-east-1:123456789012:alarm:production-ecs-cpu
    metric_name:
      description: Metric name.
      returned: always
      type: str
      sample: CPUUtilization
    namespace:
      description: Metric namespace.
      returned: always
      type: str
      sample: AWS/ECS
    statistic:
      description: Statistic, null when the alarm uses an extended statistic.
      returned: always
      type: str
      sample: Average
    extended_statistic:
      description: Percentile statistic, null when the alarm uses a statistic.
      returned: always
      type: str
      sample: p99
    dimensions:
      description: Metric dimensions, name to value.
      returned: always
      type: dict
      sample: {"ClusterName": "production", "ServiceName": "web"}
    period:
      description: Period in seconds.
      returned: always
      type: int
      sample: 300
    evaluation_periods:
      description: Number of periods evaluated.
      returned: always
      type: int
      sample: 3
    datapoints_to_alarm:
      description: Breaching periods that trigger the alarm (equal to RV(alarms[].evaluation_periods) when AWS has none set).
      returned: always
      type: int
      sample: 2
    threshold:
      description: Threshold.
      returned: always
      type: float
      sample: 80.0
    comparison_operator:
      description: Comparison operator.
      returned: always
      type: str
      sample: GreaterThanOrEqualToThreshold
    treat_missing_data:
      description: How missing data is treated.
      returned: always
      type: str
      sample: missing
    description:
      description: Alarm description, null when it has none.
      returned: always
      type: str
      sample: ECS service CPU above 80%
    unit:
      description: Unit of the metric, null when the alarm has none.
      returned: always
      type: str
      sample: Percent
    actions_enabled:
      description: Whether the actions run.
      returned: always
      type: bool
      sample: true
    alarm_actions:
      description: ARNs notified on C(ALARM).
      returned: always
      type: list
      elements: str
      sample: ["arn:aws:sns:us-east-1:123456789012:production-alarms"]
    ok_actions:
      description: ARNs notified on C(OK).
      returned: always
      type: list
      elements: str
      sample: []
    insufficient_data_actions:
      description: ARNs notified on C(INSUFFICIENT_DATA).
      returned: always
      type: list
      elements: str
      sample: []
    state_value:
      description: Current alarm state (C(OK), C(ALARM), C(INSUFFICIENT_DATA)); null for an alarm that check mode would create.
      returned: always
      type: str
      sample: INSUFFICIENT_DATA
    tags:
      description: Tags of the alarm.
      returned: when O(tags) is set
      type: dict
      sample: {"Project": "apranova"}
deleted_alarms:
  description: Names of the alarms deleted (that would be deleted, in check mode), sorted.
  returned: always
  type: list
  elements: str
  sample: ["production-old-alarm"]
waited:
  description:
    - The waits AWS imposed that this call rode out, one line each (a resource just created not
      visible yet, a dependency still being released, a refusal that passes with time).
    - Empty when AWS imposed none. Shown with C(-v).
  returned: always
  type: list
  elements: str
  sample: ["delete subnet subnet-0123456789abcdef0: AWS answered DependencyViolation; trying again in 2 s"]
diff:
  description: The managed resources before and after, with C(--diff) (in check mode, the state the run would reach).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The state before the call (C({}) for nothing).
      type: raw
    after:
      description: The state after the call (C({}) for nothing).
      type: raw
"""

from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import ACTION_KEYS
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import AnsibleCloudWatchError
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import alarm_differences
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import alarm_put_params
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import delete_alarms
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import describe_alarms_by_names
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import desired_alarm
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import find_alarms
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import normalize_alarm
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import public_alarm
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import read_alarm_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import put_metric_alarm
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import tag_alarm
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import untag_alarm
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import validate_alarm_specs


def purge_candidates(current: Iterable[str], names: Iterable[str], name_prefix: Optional[str], purge_alarms: bool) -> List[str]:
    """Names of the current alarms under ``name_prefix`` that are not listed."""
    if not (purge_alarms and name_prefix):
        return []
    listed = set(names)
    return sorted(n for n in current if n.startswith(name_prefix) and n not in listed)


def _reconcile_tags(client: Any, arn: Optional[str], before: Dict[str, str], desired_tags: Dict[str, Any],
                    purge_tags: bool, check_mode: bool) -> Tuple[bool, Dict[str, str], Dict[str, str]]:
    """Bring one alarm's tags from ``before`` to ``desired_tags``; returns ``(changed, before, after)``."""
    to_set, to_remove = tag_changes(before, desired_tags, purge_tags)
    after = merged_tags(before, desired_tags, purge_tags)
    if not (to_set or to_remove):
        return False, before, after
    if not check_mode:
        if to_remove:
            untag_alarm(client, arn, to_remove)
        if to_set:
            tag_alarm(client, arn, to_set)
    return True, before, after


def ensure_present(clients: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create or update the listed alarms, purge the unlisted ones under the prefix.

    ``clients``: ``cloudwatch`` and, when tags are managed, ``resourcegroupstaggingapi``.
    ``alarms``: the listed alarms after the run; ``deleted_alarms``: the names purged. The diff
    sides hold the alarms that changed (a deleted one only in ``before``), keyed by name.
    """
    client = clients["cloudwatch"]
    alarms, name_prefix, purge_alarms = params["alarms"], params["name_prefix"], params["purge_alarms"]
    tags, purge_tags, check_mode = params["tags"], params["purge_tags"], ctx.check_mode
    common_actions = {key: params[key] for key in ACTION_KEYS}
    names = [a["name"] for a in alarms]
    current_raw = find_alarms(client, names, name_prefix)
    original = {name: normalize_alarm(raw) for name, raw in current_raw.items()}

    desired = {}
    to_put = []
    for spec in alarms:
        name = spec["name"]
        want = desired_alarm(spec, common_actions, original.get(name))
        desired[name] = want
        if name not in original or alarm_differences(original[name], want):
            to_put.append(name)
    to_delete = purge_candidates(original, names, name_prefix, purge_alarms)

    final = dict(original)
    if check_mode:
        final.update((name, desired[name]) for name in to_put)
    else:
        for name in to_put:
            new_tags = tags if name not in original else None
            put_metric_alarm(client, alarm_put_params(desired[name], current_raw.get(name), new_tags))
        if to_delete:
            delete_alarms(client, to_delete)
        if to_put:
            # Read back what AWS stored: the ARN and state of new alarms, and proof of the update.
            read_back = {raw["AlarmName"]: normalize_alarm(raw) for raw in describe_alarms_by_names(client, to_put)}
            final.update(read_back)
            missing = [name for name in to_put if name not in read_back]
            if missing:
                raise AnsibleCloudWatchError(
                    message=f"Alarms {', '.join(missing)} were put but DescribeAlarms does not return them; run the task again."
                )

    changed_names = list(to_put)
    tags_before, tags_after = {}, {}
    if tags is not None:
        arns = [final[name].get("arn") for name in names]
        current = read_alarm_tags(client, clients["resourcegroupstaggingapi"], arns, tags, purge_tags)
        for name, arn, current_tags in zip(names, arns, current):
            tags_changed, tags_before[name], tags_after[name] = _reconcile_tags(
                client, arn, current_tags, tags, purge_tags, check_mode
            )
            if tags_changed and name not in changed_names:
                changed_names.append(name)

    results = [public_alarm(final[name], tags_after.get(name) if tags is not None else None) for name in names]

    before, after = {}, {}
    for name in changed_names:
        if name in original:
            before[name] = public_alarm(original[name], tags_before.get(name) if tags is not None else None)
        after[name] = public_alarm(final[name], tags_after.get(name) if tags is not None else None)
    for name in to_delete:
        before[name] = public_alarm(original[name])
    changed = bool(changed_names or to_delete)
    return base.Outcome(changed, {"alarms": results, "deleted_alarms": to_delete}, before=before, after=after)


def ensure_absent(clients: Dict[str, Any], params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete the listed alarms and, with ``purge_alarms``, every alarm under the prefix (``alarms``: ``[]``)."""
    client = clients["cloudwatch"]
    names = [a["name"] for a in params["alarms"]]
    name_prefix, purge_alarms = params["name_prefix"], params["purge_alarms"]
    current = {name: normalize_alarm(raw) for name, raw in find_alarms(client, names, name_prefix).items()}
    to_delete = sorted(set(n for n in names if n in current) | set(purge_candidates(current, names, name_prefix, purge_alarms)))
    if to_delete and not ctx.check_mode:
        delete_alarms(client, to_delete)
    before = {name: public_alarm(current[name]) for name in to_delete}
    return base.Outcome(bool(to_delete), {"alarms": [], "deleted_alarms": to_delete}, before=before, after={})


def main() -> None:
    alarm_spec = dict(
        name=dict(type="str", required=True),
        metric_name=dict(type="str"),
        namespace=dict(type="str"),
        statistic=dict(type="str"),
        extended_statistic=dict(type="str"),
        dimensions=dict(type="dict"),
        period=dict(type="int", default=60),
        evaluation_periods=dict(type="int", default=1),
        datapoints_to_alarm=dict(type="int"),
        threshold=dict(type="float"),
        comparison_operator=dict(type="str"),
        treat_missing_data=dict(type="str", default="missing"),
        description=dict(type="str"),
        unit=dict(type="str"),
        actions_enabled=dict(type="bool", default=True),
        alarm_actions=dict(type="list", elements="str"),
        ok_actions=dict(type="list", elements="str"),
        insufficient_data_actions=dict(type="list", elements="str"),
    )
    argument_spec = dict(
        alarms=dict(type="list", elements="dict", default=[], options=alarm_spec),
        alarm_actions=dict(type="list", elements="str"),
        ok_actions=dict(type="list", elements="str"),
        insufficient_data_actions=dict(type="list", elements="str"),
        name_prefix=dict(type="str"),
        purge_alarms=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    errors = validate_alarm_specs(params["alarms"], params["state"], params["name_prefix"], params["purge_alarms"])
    if errors:
        module.fail_json(msg="Invalid alarm definitions: " + " ".join(errors), errors=errors)

    clients = {"cloudwatch": aws_client(module, "cloudwatch")}
    if params["state"] == "present" and params["tags"] is not None:
        # the alarms' tags are read from the tagging API's index (made here, before the reads' threads)
        clients["resourcegroupstaggingapi"] = aws_client(module, "resourcegroupstaggingapi")
    base.run_state(module, clients, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
