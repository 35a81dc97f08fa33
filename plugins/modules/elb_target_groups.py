#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: elb_target_groups
version_added: 0.1.0
short_description: Manage a set of ELBv2 target groups in one task
description:
  - Creates, updates or deletes the target groups listed in O(target_groups), in one call.
  - Fills gaps of the stock M(community.aws.elb_target_group) module, which manages one group per
    task and has no check mode (so C(--check --diff) cannot show drift).
  - Groups are found by name with one C(DescribeTargetGroups) call per 20 names (a batch that holds
    a missing name is retried name by name), then their attributes and tags are read.
  - The health check and the deregistration delay are updated in place. Port, protocol, target type
    and VPC cannot change on an existing group; a difference is reported as an error that says what
    to do.
  - Registered targets are never touched (ECS services register and deregister them).
  - With O(state=absent) the listed groups are deleted. A group still used by a listener or a rule
    gives an error naming the load balancer and the listener/rule (in check mode, a warning, so that
    a teardown that deletes the load balancer first can be checked). A group that no listener or
    rule uses any more but that AWS still calls C(ResourceInUse) (its load balancer was deleted a
    moment ago) is tried again for up to 5 minutes; each wait is listed in C(waited).
author:
  - Apranova platform team (!UNKNOWN)
options:
  state:
    description:
      - V(present) creates or updates the listed groups; V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
  vpc_id:
    description:
      - The VPC of the target groups. Required with O(state=present) unless every group is of
        O(target_groups[].target_type=lambda).
    type: str
  target_groups:
    description:
      - The target groups. Groups that exist but are not listed are left alone.
      - With O(state=absent) only O(target_groups[].name) is used.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the target group, 1 to 32 letters, digits or hyphens (not at either end). Unique in the list.
        type: str
        required: true
      port:
        description:
          - Port the targets receive traffic on. Required unless O(target_groups[].target_type=lambda). Immutable.
        type: int
      protocol:
        description:
          - Protocol to the targets. Immutable. Ignored for the C(lambda) target type; a C(alb) target group always uses C(TCP).
        type: str
        choices: [HTTP, HTTPS]
        default: HTTP
      target_type:
        description:
          - What is registered as target. V(ip) is what ECS Fargate (awsvpc) services need. Immutable.
        type: str
        choices: [ip, instance, lambda, alb]
        default: ip
      health_check:
        description:
          - Health check settings. Only the settings given are compared and changed; the others keep
            their current (or, on creation, AWS default) values.
        type: dict
        suboptions:
          path:
            description: Path of the health check request, for example C(/api/health/).
            type: str
          protocol:
            description: Protocol of the health check request.
            type: str
            choices: [HTTP, HTTPS]
          port:
            description: Port of the health check, a number or C(traffic-port) (the target's port).
            type: str
            default: traffic-port
          interval:
            description: Seconds between health checks (5-300).
            type: int
          timeout:
            description: Seconds without a response that count as a failure (2-120); smaller than O(target_groups[].health_check.interval).
            type: int
          healthy_threshold:
            description: Consecutive successes before a target counts as healthy (2-10).
            type: int
          unhealthy_threshold:
            description: Consecutive failures before a target counts as unhealthy (2-10).
            type: int
          matcher:
            description: HTTP codes of a healthy response, for example C(200), C(200,204) or C(200-399).
            type: str
      deregistration_delay:
        description:
          - Seconds to let in-flight requests finish before a deregistered target is removed (0-3600).
            Left alone when unset (AWS default 300).
        type: int
      tags:
        description:
          - Tags of this group, merged over the common O(tags) (this group's values win).
        type: dict
  tags:
    description:
      - Tags put on every listed group, merged with O(target_groups[].tags).
      - When neither O(tags) nor O(target_groups[].tags) is set, a group's tags are left alone.
    type: dict
    aliases: ['resource_tags']
  purge_tags:
    description:
      - With O(purge_tags=true) and O(tags) or O(target_groups[].tags) set, tags of a group that are
        not wanted are removed. C(aws:) tags are ignored.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode; in check mode no mutating API is called.
"""

EXAMPLES = r"""
- name: Target groups of the backend and the frontend (Fargate services, target_type ip)
  apranova.aws_stack.elb_target_groups:
    vpc_id: "{{ vpc_id }}"
    target_groups:
      - name: backend
        port: 8000
        health_check:
          path: /api/health/
          matcher: "200-399"
          interval: 30
          timeout: 5
        deregistration_delay: 30
      - name: frontend
        port: 3000
        health_check:
          path: /
    tags:
      Project: apranova
  register: tgs

- name: Use the backend group's ARN
  ansible.builtin.debug:
    msg: "{{ tgs.target_groups[0].target_group_arn }}"

- name: Delete both groups (after the load balancer that uses them)
  apranova.aws_stack.elb_target_groups:
    state: absent
    target_groups:
      - name: backend
      - name: frontend
"""

RETURN = r"""
target_groups:
  description:
    - The listed target groups after the run (in check mode, as they would be), in the order of
      O(target_groups). Empty with O(state=absent).
    - With C(--diff), the sides of C(diff) hold the listed groups in this shape keyed by name, before
      the run (the groups that existed) and after it.
  returned: always
  type: list
  elements: dict
  contains:
    target_group_arn:
      description: ARN of the group; V(null) in check mode for a group that would be created.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/backend/73e2d6bc24d8a067
    target_group_name:
      description: Name of the group.
      type: str
      sample: backend
    port:
      description: Port of the targets (V(null) for lambda).
      type: int
      sample: 8000
    protocol:
      description: Protocol to the targets (V(null) for lambda).
      type: str
      sample: HTTP
    target_type:
      description: Target type.
      type: str
      sample: ip
    vpc_id:
      description: VPC of the group (V(null) for lambda).
      type: str
      sample: vpc-0123456789abcdef0
    health_check:
      description: Health check settings, in the shape of O(target_groups[].health_check), plus C(enabled).
      type: dict
      sample: {"enabled": true, "protocol": "HTTP", "port": "traffic-port", "path": "/api/health/",
               "interval": 30, "timeout": 5, "healthy_threshold": 5, "unhealthy_threshold": 2, "matcher": "200-399"}
    deregistration_delay:
      description: Deregistration delay in seconds.
      type: int
      sample: 300
    load_balancer_arns:
      description: ARNs of the load balancers that route to the group, sorted.
      type: list
      elements: str
      sample: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"]
    tags:
      description: Tags of the group (C(aws:) tags left out).
      type: dict
      sample: {"Project": "apranova"}
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

from typing import Any, Dict, Iterable

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils import elbv2_lb


class TargetGroupError(ValueError):
    """A refusal the operator must act on (``run_state`` fails the task with its message)."""


def read_target_groups(client: Any, names: Iterable[str]) -> Dict[str, dict]:
    """``{name: normalised group}`` for the names that exist (the tags of all and each group's attributes read side by side)."""
    raw = elbv2_lb.describe_target_groups_by_names(client, names)
    if not raw:
        return {}
    arns = [g["TargetGroupArn"] for g in raw.values()]
    tags, *attributes = base.concurrently(
        [lambda: elbv2_lb.describe_tags(client, arns)]
        + [(lambda arn=arn: elbv2_lb.describe_target_group_attributes(client, arn)) for arn in arns])
    return {name: elbv2_lb.normalize_target_group(group, attrs or [], tags.get(group["TargetGroupArn"], {}))
            for (name, group), attrs in zip(raw.items(), attributes)}


def _by_name(groups: Iterable[dict]) -> Dict[str, dict]:
    """The diff side of a list of normalised groups: keyed by name."""
    return {g["target_group_name"]: g for g in groups}


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create or update every listed group (``target_groups``: after the run, in input order)."""
    groups, vpc_id = params["target_groups"], params["vpc_id"]
    common_tags, purge_tags, check_mode = params["tags"], params["purge_tags"], ctx.check_mode
    names = [g["name"] for g in groups]
    current = read_target_groups(client, names)
    errors = []
    for index, group in enumerate(groups):
        if group["name"] in current:
            errors.extend(
                elbv2_lb.immutable_errors(current[group["name"]], group, vpc_id, f"target_groups[{index}] ({group['name']})")
            )
    if errors:
        raise TargetGroupError(" ".join(errors))

    changed = False
    touched = []
    predicted = {}
    for group in groups:
        name = group["name"]
        wanted_tags = elbv2_lb.group_tags(common_tags, group.get("tags"))
        existing = current.get(name)
        if existing is None:
            changed = True
            predicted[name] = elbv2_lb.predicted_target_group(group, vpc_id, wanted_tags)
            if not check_mode:
                created = elbv2_lb.create_target_group(
                    client, name, elbv2_lb.target_group_create_params(group, vpc_id, wanted_tags)
                )
                delay = group.get("deregistration_delay")
                if delay is not None and delay != elbv2_lb.DEREGISTRATION_DELAY_DEFAULT:
                    elbv2_lb.modify_target_group_attributes(
                        client,
                        created["TargetGroupArn"],
                        [{"Key": elbv2_lb.DEREGISTRATION_DELAY_KEY, "Value": str(delay)}],
                    )
                touched.append(name)
            continue

        after = dict(existing, health_check=dict(existing["health_check"]))
        arn = existing["target_group_arn"]
        health = elbv2_lb.health_check_changes(
            existing["health_check"],
            elbv2_lb.desired_health_check(group.get("health_check"), group.get("target_type") or "ip"),
        )
        delay = group.get("deregistration_delay")
        delay_changed = delay is not None and delay != existing["deregistration_delay"]
        to_set, to_remove = tag_changes(existing["tags"], wanted_tags, purge_tags)
        if health:
            after["health_check"].update(health)
        if delay_changed:
            after["deregistration_delay"] = delay
        if to_set or to_remove:
            after["tags"] = merged_tags(existing["tags"], wanted_tags, purge_tags)
        predicted[name] = after
        if not (health or delay_changed or to_set or to_remove):
            continue
        changed = True
        if check_mode:
            continue
        if health:
            elbv2_lb.modify_target_group(client, arn, elbv2_lb.health_check_to_api(health))
        if delay_changed:
            elbv2_lb.modify_target_group_attributes(
                client, arn, [{"Key": elbv2_lb.DEREGISTRATION_DELAY_KEY, "Value": str(delay)}]
            )
        elbv2_lb.update_tags(client, arn, to_set, to_remove)
        touched.append(name)

    before = [current[n] for n in names if n in current]
    if touched:
        predicted.update(read_target_groups(client, touched))
    after = [predicted[n] for n in names]
    return base.Outcome(changed, {"target_groups": after}, before=_by_name(before), after=_by_name(after))


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete every listed group that exists (``target_groups``: ``[]``)."""
    names = [g["name"] for g in params["target_groups"]]
    current = read_target_groups(client, names)
    before = [current[n] for n in names if n in current]
    errors = []
    for group in before:
        users = elbv2_lb.find_target_group_users(client, group["target_group_arn"], group["load_balancer_arns"])
        if users:
            where = "; ".join(f"load balancer {lb} ({what})" for lb, what in users)
            message = (
                f"target group {group['target_group_name']} is still used by {where}. Point that listener/rule "
                "at another target group or delete the load balancer first (apranova.aws_stack.elb_load_balancer "
                "state=absent)"
            )
            if ctx.check_mode:
                ctx.warn(message + "; check mode: shown as deleted.")
            else:
                errors.append(message + ".")
    if errors:
        raise TargetGroupError(" ".join(errors))
    outcome = base.Outcome(bool(before), {"target_groups": []}, before=_by_name(before), after={})
    if not before or ctx.check_mode:
        return outcome
    for group in before:
        # No live listener or rule forwards to it (checked above): a ResourceInUse now is the
        # load balancer deleted a moment ago, which AWS is still releasing. Ride it out.
        result = elbv2_lb.delete_target_group(
            client, group["target_group_arn"], in_use_timeout=elbv2_lb.TARGET_GROUP_RELEASE_TIMEOUT, note=ctx.note
        )
        if result is None:
            lbs = ", ".join(elbv2_lb.load_balancer_name_from_arn(a) for a in group["load_balancer_arns"]) or "unknown"
            errors.append(
                f"target group {group['target_group_name']} is in use by a listener or rule (load balancers: {lbs}); "
                "point it at another target group or delete the load balancer first."
            )
    if errors:
        raise TargetGroupError(" ".join(errors))
    return outcome


def main() -> None:
    health_check_spec = dict(
        path=dict(type="str"),
        protocol=dict(type="str", choices=["HTTP", "HTTPS"]),
        port=dict(type="str", default="traffic-port"),
        interval=dict(type="int"),
        timeout=dict(type="int"),
        healthy_threshold=dict(type="int"),
        unhealthy_threshold=dict(type="int"),
        matcher=dict(type="str"),
    )
    group_spec = dict(
        name=dict(type="str", required=True),
        port=dict(type="int"),
        protocol=dict(type="str", choices=["HTTP", "HTTPS"], default="HTTP"),
        target_type=dict(type="str", choices=["ip", "instance", "lambda", "alb"], default="ip"),
        health_check=dict(type="dict", options=health_check_spec),
        deregistration_delay=dict(type="int"),
        tags=dict(type="dict"),
    )
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_id=dict(type="str"),
        target_groups=dict(type="list", elements="dict", required=True, options=group_spec),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    errors = elbv2_lb.validate_target_groups(params["target_groups"], params["state"], params["vpc_id"])
    if errors:
        module.fail_json(msg="Invalid target_groups: " + " ".join(errors), errors=errors)

    client = aws_client(module, "elbv2")
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
