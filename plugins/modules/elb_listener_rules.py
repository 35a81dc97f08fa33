#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: elb_listener_rules
version_added: 0.1.0
short_description: Manage the rules of one Application Load Balancer listener as a list
description:
  - Reconciles the non-default rules of ONE existing ALB listener with the list given in O(rules).
  - The stock M(amazon.aws.elb_application_lb) manages rules too, inside the listeners of a whole
    load balancer (since amazon.aws 11.1.0 also while it creates the load balancer; earlier releases
    failed with C(ListenerArn None)). This module reconciles the rule set of one listener on its own,
    so the load balancer tier changes its routing without restating the load balancer, and adds what
    that reconciliation needs - rules matched by C(Name) tag, priorities moved one rule at a time
    through a free temporary priority, the whole list validated before any call, and a check mode
    that answers before the listener exists.
  - Conditions are given as plain lists (O(rules[].conditions.path_patterns) ...) and always sent in the
    C(PathPatternConfig)/C(HostHeaderConfig)/C(HttpRequestMethodConfig)/C(SourceIpConfig) form, so a
    condition can hold several values.
  - Desired rules are matched to existing ones by C(Name) tag when O(rules[].name) is given, else by
    identical conditions, else by priority (a rule carrying a different C(Name) tag is never taken over
    by priority alone). Matched rules are modified in place; missing rules are created; priorities
    are changed one rule at a time, through a free temporary priority when rules swap or a wanted
    priority is still held by a rule that moves away or is deleted.
  - Rules of the listener that are not listed are deleted only with O(purge_rules=true); otherwise a
    listed rule may not want the priority of an unlisted one. The listener's default rule (its
    default action) is never touched; manage it with the listener.
  - The list is validated before any API call (priority range, duplicate priorities or names, empty or
    duplicate conditions, more than 5 condition values or 5 wildcards per rule, one action per rule).
  - In check mode, a listener or a target group name that does not exist yet gives a warning and the
    rules as they would be created, so a whole stack can be checked before it exists.
author:
  - Apranova platform team (!UNKNOWN)
options:
  listener_arn:
    description:
      - ARN of the listener whose rules are managed.
    type: str
    required: true
  rules:
    description:
      - The rules the listener should have, in any order.
      - An empty list together with O(purge_rules=true) deletes every non-default rule.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Identity of the rule, stored as its C(Name) tag; the preferred way to match a rule across runs.
          - Unique within O(rules).
        type: str
      priority:
        description:
          - Rule priority, 1 (evaluated first) to 50000. Unique within O(rules).
        type: int
        required: true
      conditions:
        description:
          - What a request must match. At least one condition; AWS allows at most 5 values over all
            conditions of a rule, and at most 5 wildcards (C(*) or C(?)) in paths and hosts.
          - Values are compared as sets (order and duplicates do not matter).
        type: dict
        required: true
        suboptions:
          path_patterns:
            description: Path patterns, for example C(/api/*) (case sensitive, up to 128 characters each).
            type: list
            elements: str
          host_headers:
            description: Host names, for example C(*.example.com).
            type: list
            elements: str
          http_request_methods:
            description: HTTP methods, for example C(GET) (upper case).
            type: list
            elements: str
          source_ips:
            description: Client address ranges in CIDR form, for example C(10.0.0.0/8).
            type: list
            elements: str
      actions:
        description:
          - What the rule does; exactly one of O(rules[].actions.target_group_arn),
            O(rules[].actions.target_group_name), O(rules[].actions.redirect),
            O(rules[].actions.fixed_response).
        type: dict
        required: true
        suboptions:
          target_group_arn:
            description: Forward to this target group.
            type: str
          target_group_name:
            description:
              - Forward to the target group with this name (looked up with C(DescribeTargetGroups)).
            type: str
          redirect:
            description:
              - Redirect the request. Parts left out keep the request's value (C(#{protocol}),
                C(#{port}), C(#{host}), C(/#{path}), C(#{query})).
            type: dict
            suboptions:
              protocol:
                description: C(HTTP), C(HTTPS) or C(#{protocol}).
                type: str
              port:
                description: Port (1-65535) or C(#{port}).
                type: str
              host:
                description: Host name or C(#{host}).
                type: str
              path:
                description: Absolute path starting with C(/), or C(/#{path}).
                type: str
              query:
                description: Query string without the leading C(?), or C(#{query}).
                type: str
              status_code:
                description: Permanent (C(HTTP_301)) or temporary (C(HTTP_302)) redirect.
                type: str
                required: true
                choices: [HTTP_301, HTTP_302]
          fixed_response:
            description: Answer the request with a fixed response.
            type: dict
            suboptions:
              status_code:
                description: HTTP status code, C(2XX), C(4XX) or C(5XX).
                type: str
                required: true
              content_type:
                description: Content type of the body.
                type: str
                choices: [text/plain, text/css, text/html, application/javascript, application/json]
              message_body:
                description: The body (up to 1024 characters).
                type: str
      tags:
        description:
          - Tags of this rule, merged over the common O(tags) (this rule's values win).
          - The C(Name) tag is always O(rules[].name) when that is set.
        type: dict
  purge_rules:
    description:
      - Delete the listener's non-default rules that are not matched by an entry of O(rules).
    type: bool
    default: false
  tags:
    description:
      - Tags put on every rule, merged with O(rules[].tags) and the C(Name) tag.
      - When neither O(tags) nor O(rules[].tags) is set, only the C(Name) tag is ensured and other
        tags are left alone.
    type: dict
    aliases: ['resource_tags']
  purge_tags:
    description:
      - With O(purge_tags=true) and O(tags) or O(rules[].tags) set, tags of a rule that are not wanted
        are removed. C(aws:) tags are ignored.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
seealso:
  - module: apranova.aws_stack.elb_load_balancer
    description: The load balancer and its listeners (their default actions take the same redirect and fixed response keys).
notes:
  - Each priority change is its own C(SetRulePriorities) call, because a batched call is checked
    against the old priorities (moto rejects a swap in one call with C(PriorityInUse)).
  - Condition fields this module does not manage (C(http-header), C(query-string)) and actions it does
    not manage (weighted forwards, authentication) are replaced when a listed rule carries them.
"""

EXAMPLES = r"""
- name: Route /api and /admin to the backend, everything else to the listener's default
  apranova.aws_stack.elb_listener_rules:
    listener_arn: "{{ listener_arn }}"
    rules:
      - name: api
        priority: 10
        conditions:
          path_patterns: ["/api/*", "/health"]
        actions:
          target_group_name: backend
      - name: admin
        priority: 20
        conditions:
          path_patterns: ["/admin/*"]
          source_ips: ["10.0.0.0/8"]
        actions:
          target_group_arn: "{{ backend_tg_arn }}"
      - name: old-docs
        priority: 30
        conditions:
          host_headers: ["docs.example.com"]
        actions:
          redirect:
            host: www.example.com
            path: /docs
            status_code: HTTP_301
      - name: blocked
        priority: 40
        conditions:
          path_patterns: ["/internal/*"]
        actions:
          fixed_response:
            status_code: "403"
            content_type: text/plain
            message_body: Forbidden
    tags:
      Project: apranova
    purge_rules: true

- name: Delete every non-default rule of the listener
  apranova.aws_stack.elb_listener_rules:
    listener_arn: "{{ listener_arn }}"
    rules: []
    purge_rules: true
"""

RETURN = r"""
listener_arn:
  description: ARN of the listener.
  returned: always
  type: str
  sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2
rules:
  description:
    - The listener's non-default rules after the run (in check mode, as they would be), sorted by
      priority. Unlisted rules kept because O(purge_rules=false) are included.
    - With C(--diff), each side of C(diff) is a dict that holds this list (before or after) under
      C(rules), so Ansible's callbacks can render it.
  returned: always
  type: list
  elements: dict
  contains:
    rule_arn:
      description: ARN of the rule; V(null) in check mode for a rule that would be created.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee
    name:
      description: The rule's C(Name) tag, V(null) when it has none.
      type: str
      sample: api
    priority:
      description: Priority of the rule.
      type: int
      sample: 10
    conditions:
      description:
        - Conditions in the shape of the O(rules[].conditions) option, values sorted, empty keys left out.
        - Conditions this module does not manage appear under C(http_headers), C(query_strings) or C(other).
      type: dict
      sample: {"path_patterns": ["/api/*", "/health"]}
    actions:
      description:
        - The action in the shape of the O(rules[].actions) option. A forward gives both
          C(target_group_arn) and C(target_group_name) (taken from the ARN); a redirect gives every
          part with AWS's defaults filled in. Actions this module does not manage appear under C(other).
      type: dict
      sample: {"target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/backend/73e2d6bc24d8a067",
               "target_group_name": "backend"}
    is_default:
      description: Always V(false); the default rule is not managed or returned.
      type: bool
      sample: false
    tags:
      description: Tags of the rule (C(aws:) tags left out).
      type: dict
      sample: {"Name": "api", "Project": "apranova"}
all_rules:
  description:
    - Every rule of the listener, its default rule included, as C(DescribeRules) answered the
      module's last read of them (after its changes; in check mode, as they are), with the keys in
      snake_case. Empty in check mode when the listener does not exist yet.
    - The architecture report of the same run (M(apranova.aws_stack.stack_report)) takes them from
      there instead of reading them again.
  returned: always
  type: list
  elements: dict
  sample: [{"rule_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
            "priority": "10", "is_default": false,
            "conditions": [{"field": "path-pattern", "path_pattern_config": {"values": ["/api/*"]}}],
            "actions": [{"type": "forward", "order": 1,
                         "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/backend/73e2d6bc24d8a067"}]},
           {"rule_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/0123456789abcdef",
            "priority": "default", "is_default": true, "conditions": [],
            "actions": [{"type": "forward",
                         "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/frontend/0123456789abcdef"}]}]
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

from typing import Any, Dict, List

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils import elbv2


def resolve_rules(client: Any, params: Dict[str, Any], ctx: base.Context) -> List[dict]:
    """The ``rules`` option -> the normalised desired rules ``elbv2.plan`` works on (target groups resolved)."""
    target_groups = elbv2.TargetGroupArns(client, ctx)
    desired = []
    for index, rule in enumerate(params["rules"]):
        actions = rule["actions"]
        arn = actions.get("target_group_arn")
        if not arn and actions.get("target_group_name"):
            name = actions["target_group_name"]
            arn = target_groups.arn(
                name, f"rules[{index}]: target group {name!r} not found; create it first or give actions.target_group_arn."
            )
        tags, purge = elbv2.rule_tags(rule.get("name"), params["tags"], rule.get("tags"), params["purge_tags"])
        desired.append(
            {
                "name": rule.get("name"),
                "priority": rule["priority"],
                "conditions": elbv2.desired_conditions(rule["conditions"]),
                "actions": elbv2.desired_action(actions, arn),
                "tags": tags,
                "purge_tags": purge,
            }
        )
    return desired


def apply_operations(client: Any, listener_arn: str, desired: List[dict], operations: List[tuple]) -> None:
    """Run the planned operations in order; created rules' ARNs replace their ``new:`` keys."""
    arns = {}
    for operation in operations:
        kind, key = operation[0], operation[1]
        arn = arns.get(key, key)
        if kind == "create":
            rule = desired[operation[2]]
            created = elbv2.create_rule(
                client,
                listener_arn,
                operation[3],
                elbv2.conditions_to_api(rule["conditions"]),
                elbv2.actions_to_api(rule["actions"]),
                rule["tags"],
            )
            arns[key] = created["RuleArn"]
        elif kind == "modify":
            rule = desired[operation[2]]
            elbv2.modify_rule(
                client, arn, elbv2.conditions_to_api(rule["conditions"]), elbv2.actions_to_api(rule["actions"])
            )
        elif kind == "tag":
            to_set, to_remove = operation[2], operation[3]
            if to_remove:
                elbv2.remove_tags(client, arn, to_remove)
            if to_set:
                elbv2.add_tags(client, arn, to_set)
        elif kind == "delete":
            elbv2.delete_rule(client, arn)
        elif kind == "move":
            elbv2.set_rule_priority(client, arn, operation[2])


def ensure_rules(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Reconcile the listener's rules with ``rules`` (the module has no ``state``: present and absent alike).

    The diff sides hold the rule lists under ``rules``: the stdout callback cannot render a bare
    list ("'list' object has no attribute 'splitlines'"), so --diff would show nothing.
    """
    listener_arn = params["listener_arn"]
    read = elbv2.read_listener_rules(client, listener_arn)
    if read is None:
        message = f"listener {listener_arn} not found; create the load balancer and listener first"
        if not ctx.check_mode:
            raise ValueError(message + " (or correct listener_arn).")
        ctx.warn(message + " (check mode: rules shown as they would be created).")
        read = ([], [])
    every, current = read
    desired = resolve_rules(client, params, ctx)
    operations, after = elbv2.plan(desired, current, params["purge_rules"])
    if not operations:
        after = current
    elif not ctx.check_mode:
        apply_operations(client, listener_arn, desired, operations)
        every, after = elbv2.read_listener_rules(client, listener_arn) or ([], [])
    return base.Outcome(
        bool(operations),
        {"listener_arn": listener_arn, "rules": after, "all_rules": [camel_dict_to_snake_dict(r) for r in every]},
        before={"rules": current}, after={"rules": after},
    )


def main() -> None:
    actions_spec = dict(
        target_group_arn=dict(type="str"),
        target_group_name=dict(type="str"),
        redirect=dict(type="dict", options=elbv2.redirect_spec()),
        fixed_response=dict(type="dict", options=elbv2.fixed_response_spec()),
    )
    conditions_spec = dict(
        path_patterns=dict(type="list", elements="str"),
        host_headers=dict(type="list", elements="str"),
        http_request_methods=dict(type="list", elements="str"),
        source_ips=dict(type="list", elements="str"),
    )
    rule_spec = dict(
        name=dict(type="str"),
        priority=dict(type="int", required=True),
        conditions=dict(type="dict", required=True, options=conditions_spec),
        actions=dict(
            type="dict",
            required=True,
            options=actions_spec,
            mutually_exclusive=[["target_group_arn", "target_group_name", "redirect", "fixed_response"]],
            required_one_of=[["target_group_arn", "target_group_name", "redirect", "fixed_response"]],
        ),
        tags=dict(type="dict"),
    )
    argument_spec = dict(
        listener_arn=dict(type="str", required=True),
        rules=dict(type="list", elements="dict", required=True, options=rule_spec),
        purge_rules=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    errors = elbv2.validate_rules(module.params["rules"])
    if errors:
        module.fail_json(msg="Invalid rules: " + " ".join(errors), errors=errors)

    client = aws_client(module, "elbv2")
    # elbv2.PlanError is a ValueError: a rule list the operator must change
    base.run_state(module, client, ensure_rules, ensure_rules)


if __name__ == "__main__":
    main()
