# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ELBv2 API layer and listener-rule reconciliation for apranova.aws_stack.

Three parts:

* the API layer: every boto3 ``elbv2`` call of this collection, with ``aws_retry=True``
  (the client comes from ``base.aws_client(module, "elbv2")``),
  "not found" turned into ``None``/``False``, other errors raised as :class:`AnsibleELBv2Error`;
* normalisers: AWS rule shapes -> the snake_case dicts the module compares and returns
  (conditions as ``{path_patterns: [...], host_headers: [...], ...}``, actions as
  ``{target_group_arn: ...}`` / ``{redirect: {...}}`` / ``{fixed_response: {...}}``), and back;
* pure reconciliation: validation of the desired rule list, matching desired to current rules,
  and a collision-free plan of creates, modifications, deletions and priority moves.

The ``redirect`` and ``fixed_response`` actions are one shape in the collection: the argument
specs (:func:`redirect_spec`, :func:`fixed_response_spec`), the normaliser of an action option
(:func:`desired_action`) and the lookup of a forward's target group by name
(:class:`TargetGroupArns`) serve both a rule's ``actions`` (``elb_listener_rules``) and a
listener's ``default_action`` (``elb_load_balancer``).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple, Type

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Context
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

MIN_PRIORITY = 1
MAX_PRIORITY = 50000
# AWS quotas per rule (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html)
MAX_CONDITION_VALUES = 5
MAX_WILDCARDS = 5
DESCRIBE_TAGS_BATCH = 20

# condition option name -> (AWS Field, AWS config key), in the order conditions are sent
CONDITION_FIELDS = (
    ("path_patterns", "path-pattern", "PathPatternConfig"),
    ("host_headers", "host-header", "HostHeaderConfig"),
    ("http_request_methods", "http-request-method", "HttpRequestMethodConfig"),
    ("source_ips", "source-ip", "SourceIpConfig"),
)
CONDITION_KEYS = tuple(c[0] for c in CONDITION_FIELDS)

# AWS fills these in when a redirect leaves a part out ("keep what the request had")
REDIRECT_DEFAULTS = {
    "protocol": "#{protocol}",
    "port": "#{port}",
    "host": "#{host}",
    "path": "/#{path}",
    "query": "#{query}",
}
REDIRECT_API_KEYS = {
    "protocol": "Protocol",
    "port": "Port",
    "host": "Host",
    "path": "Path",
    "query": "Query",
    "status_code": "StatusCode",
}
REDIRECT_STATUS_CODES = ["HTTP_301", "HTTP_302"]
FIXED_RESPONSE_CONTENT_TYPES = ["text/plain", "text/css", "text/html", "application/javascript", "application/json"]


class AnsibleELBv2Error(AnsibleAWSError):
    pass


ELBv2ErrorHandler = error_handler(AnsibleELBv2Error, ["ListenerNotFound", "RuleNotFound", "TargetGroupNotFound", "LoadBalancerNotFound"])


# ---------------------------------------------------------------------------------------------
# Argument specs of the actions (elb_listener_rules ``rules[].actions``, elb_load_balancer
# ``listeners[].default_action``); each call returns a new dict
# ---------------------------------------------------------------------------------------------


def redirect_spec() -> Dict[str, dict]:
    """The options of a ``redirect`` action."""
    return dict(
        protocol=dict(type="str"),
        port=dict(type="str"),
        host=dict(type="str"),
        path=dict(type="str"),
        query=dict(type="str"),
        status_code=dict(type="str", required=True, choices=list(REDIRECT_STATUS_CODES)),
    )


def fixed_response_spec() -> Dict[str, dict]:
    """The options of a ``fixed_response`` action."""
    return dict(
        status_code=dict(type="str", required=True),
        content_type=dict(type="str", choices=list(FIXED_RESPONSE_CONTENT_TYPES)),
        message_body=dict(type="str"),
    )


# ---------------------------------------------------------------------------------------------
# API layer
# ---------------------------------------------------------------------------------------------


@ELBv2ErrorHandler.list_error_handler("describe rules of listener {listener_arn}", None)
def describe_rules(client: Any, listener_arn: str) -> Optional[List[dict]]:
    """All rules of a listener (the default rule included), or ``None`` when it does not exist."""
    return paginate(client, "describe_rules", ListenerArn=listener_arn).get("Rules", [])


@ELBv2ErrorHandler.list_error_handler("describe tags of {arns}", {})
def describe_tags(client: Any, arns: Iterable[str]) -> Dict[str, Dict[str, str]]:
    """``{arn: tag dict}`` (``aws:`` tags left out) for ELBv2 resources, 20 ARNs per call."""
    result = {}
    arns = list(arns)
    for start in range(0, len(arns), DESCRIBE_TAGS_BATCH):
        batch = arns[start:start + DESCRIBE_TAGS_BATCH]
        response = client.describe_tags(ResourceArns=batch, aws_retry=True)
        for description in response.get("TagDescriptions", []):
            result[description["ResourceArn"]] = tags_to_dict(description.get("Tags"))
    return result


@ELBv2ErrorHandler.list_error_handler("describe target group {name}", None)
def find_target_group_arn(client: Any, name: str) -> Optional[str]:
    """The ARN of the target group called ``name``, or ``None``."""
    groups = client.describe_target_groups(Names=[name], aws_retry=True).get("TargetGroups", [])
    return groups[0]["TargetGroupArn"] if groups else None


class TargetGroupArns:
    """Target group names -> ARNs for one run, each name looked up once (``DescribeTargetGroups``).

    A name that does not exist fails the run with ``error(message)``. In check mode it gives the
    warning ``message + check_mode_suffix`` instead and a placeholder ARN, so that a whole stack
    can be checked before its target groups exist.
    """

    def __init__(self, client: Any, ctx: Context, error: Type[Exception] = ValueError,
                 check_mode_suffix: str = " (check mode: shown as it would be)") -> None:
        self.client = client
        self.ctx = ctx
        self.error = error
        self.check_mode_suffix = check_mode_suffix
        self._found: Dict[str, Optional[str]] = {}

    def arn(self, name: str, message: str) -> str:
        """The ARN of target group ``name``; ``message`` says what to do when it does not exist."""
        if name not in self._found:
            self._found[name] = find_target_group_arn(self.client, name)
        arn = self._found[name]
        if arn is not None:
            return arn
        if not self.ctx.check_mode:
            raise self.error(message)
        self.ctx.warn(message + self.check_mode_suffix)
        return f"arn:aws:elasticloadbalancing:unknown:targetgroup/{name}/unknown"


@ELBv2ErrorHandler.common_error_handler("create rule at priority {priority}")
def create_rule(client: Any, listener_arn: str, priority: int, conditions: List[dict], actions: List[dict],
                tags: Optional[Dict[str, str]] = None) -> dict:
    params = dict(ListenerArn=listener_arn, Priority=priority, Conditions=conditions, Actions=actions)
    if tags:
        params["Tags"] = dict_to_tags(tags)
    return client.create_rule(aws_retry=True, **params)["Rules"][0]


@ELBv2ErrorHandler.common_error_handler("modify rule {rule_arn}")
def modify_rule(client: Any, rule_arn: str, conditions: List[dict], actions: List[dict]) -> dict:
    return client.modify_rule(RuleArn=rule_arn, Conditions=conditions, Actions=actions, aws_retry=True)["Rules"][0]


@ELBv2ErrorHandler.common_error_handler("set the priority of rule {rule_arn} to {priority}")
def set_rule_priority(client: Any, rule_arn: str, priority: int) -> bool:
    """Move ONE rule (a batched call is checked against the old priorities and fails on swaps)."""
    client.set_rule_priorities(RulePriorities=[{"RuleArn": rule_arn, "Priority": priority}], aws_retry=True)
    return True


@ELBv2ErrorHandler.deletion_error_handler("delete rule {rule_arn}")
def delete_rule(client: Any, rule_arn: str) -> bool:
    client.delete_rule(RuleArn=rule_arn, aws_retry=True)
    return True


@ELBv2ErrorHandler.common_error_handler("tag {arn}")
def add_tags(client: Any, arn: str, tags: Dict[str, str]) -> bool:
    client.add_tags(ResourceArns=[arn], Tags=dict_to_tags(tags), aws_retry=True)
    return True


@ELBv2ErrorHandler.common_error_handler("untag {arn}")
def remove_tags(client: Any, arn: str, keys: Iterable[str]) -> bool:
    client.remove_tags(ResourceArns=[arn], TagKeys=list(keys), aws_retry=True)
    return True


def read_listener_rules(client: Any, listener_arn: str) -> Optional[Tuple[List[dict], List[dict]]]:
    """``(every rule of the listener as AWS answers it, the non-default ones normalised and sorted by
    priority)``; ``None`` if no listener."""
    every = describe_rules(client, listener_arn)
    if every is None:
        return None
    raw = [rule for rule in every if not is_default_rule(rule)]
    tags = describe_tags(client, [rule["RuleArn"] for rule in raw]) if raw else {}
    return every, sort_rules([normalize_rule(rule, tags.get(rule["RuleArn"], {})) for rule in raw])


def list_listener_rules(client: Any, listener_arn: str) -> Optional[List[dict]]:
    """The listener's non-default rules, normalised and sorted by priority; ``None`` if no listener."""
    read = read_listener_rules(client, listener_arn)
    return None if read is None else read[1]


# ---------------------------------------------------------------------------------------------
# Normalisers
# ---------------------------------------------------------------------------------------------


def is_default_rule(rule: dict) -> bool:
    return bool(rule.get("IsDefault")) or str(rule.get("Priority")) == "default"


def sort_rules(rules: Iterable[dict]) -> List[dict]:
    return sorted(rules, key=lambda r: (r["priority"] is None, r["priority"] or 0, r.get("rule_arn") or ""))


def _values(condition: dict, config_key: str) -> List[str]:
    """Values of one AWS condition, whichever form it came in (moto echoes the form sent)."""
    config = condition.get(config_key)
    if config and config.get("Values") is not None:
        return list(config["Values"])
    return list(condition.get("Values") or [])


def normalize_conditions(conditions: Optional[List[dict]]) -> Dict[str, list]:
    """AWS ``Conditions`` -> ``{path_patterns: [...], ...}`` with sorted values, empty keys left out.

    Condition fields this collection does not manage (http-header, query-string) are kept under
    ``http_headers`` / ``query_strings`` so that a rule carrying them compares as different.
    """
    result = {}
    by_field = {field: (key, config_key) for key, field, config_key in CONDITION_FIELDS}
    for condition in conditions or []:
        field = condition.get("Field")
        if field in by_field:
            key, config_key = by_field[field]
            values = _values(condition, config_key)
            if values:
                result[key] = sorted(set(result.get(key, [])) | set(values))
        elif field == "http-header":
            config = condition.get("HttpHeaderConfig") or {}
            result.setdefault("http_headers", []).append(
                {"name": config.get("HttpHeaderName"), "values": sorted(config.get("Values") or [])}
            )
        elif field == "query-string":
            config = condition.get("QueryStringConfig") or {}
            pairs = [{"key": v.get("Key"), "value": v.get("Value")} for v in config.get("Values") or []]
            result.setdefault("query_strings", []).extend(pairs)
        elif field:
            result.setdefault("other", []).append(camel_dict_to_snake_dict(condition))
    return result


def desired_conditions(conditions: Optional[dict]) -> Dict[str, List[str]]:
    """The ``conditions`` option -> the normalised form (sorted, de-duplicated, empty keys left out)."""
    result = {}
    for key in CONDITION_KEYS:
        values = (conditions or {}).get(key)
        if values:
            result[key] = sorted(set(str(v) for v in values))
    return result


def conditions_to_api(conditions: Dict[str, List[str]]) -> List[dict]:
    """Normalised conditions -> AWS ``Conditions``, always in the ``<Field>Config`` form."""
    result = []
    for key, field, config_key in CONDITION_FIELDS:
        values = conditions.get(key)
        if values:
            result.append({"Field": field, config_key: {"Values": list(values)}})
    return result


def target_group_name_from_arn(arn: Optional[str]) -> Optional[str]:
    """``arn:...:targetgroup/<name>/<id>`` -> ``<name>``."""
    if not arn or ":targetgroup/" not in arn:
        return None
    return arn.split(":targetgroup/", 1)[1].split("/")[0]


def forward_action(target_group_arn: Optional[str]) -> Dict[str, Optional[str]]:
    return {"target_group_arn": target_group_arn, "target_group_name": target_group_name_from_arn(target_group_arn)}


def desired_redirect(redirect: Optional[dict]) -> Dict[str, Optional[str]]:
    result = {key: (redirect or {}).get(key) or default for key, default in REDIRECT_DEFAULTS.items()}
    result["port"] = str(result["port"])
    result["status_code"] = (redirect or {}).get("status_code")
    return result


def desired_fixed_response(fixed: dict) -> Dict[str, Optional[str]]:
    return {
        "status_code": str(fixed.get("status_code")),
        "content_type": fixed.get("content_type") or None,
        "message_body": fixed.get("message_body") or None,
    }


def desired_action(action: dict, target_group_arn: Optional[str] = None) -> dict:
    """An action option -> the normalised action: a forward to ``target_group_arn`` when that is
    given (resolved by the caller), else the option's ``redirect``, else its ``fixed_response``."""
    if target_group_arn:
        return forward_action(target_group_arn)
    if action.get("redirect"):
        return {"redirect": desired_redirect(action["redirect"])}
    return {"fixed_response": desired_fixed_response(action["fixed_response"])}


def normalize_actions(actions: Optional[List[dict]]) -> dict:
    """AWS ``Actions`` -> one normalised action dict in the shape of the ``actions`` option.

    A rule whose actions this collection does not manage (weighted forwards to several target
    groups, stickiness, authentication, several actions) comes back as ``{other: [...]}``.
    """
    actions = sorted(actions or [], key=lambda a: a.get("Order", 0))
    if len(actions) == 1:
        action = actions[0]
        kind = action.get("Type")
        if kind == "forward":
            arn = action.get("TargetGroupArn")
            config = action.get("ForwardConfig") or {}
            groups = config.get("TargetGroups") or []
            sticky = (config.get("TargetGroupStickinessConfig") or {}).get("Enabled")
            if not arn and len(groups) == 1 and not sticky:
                arn = groups[0].get("TargetGroupArn")
            if arn and not sticky and len(groups) <= 1:
                return forward_action(arn)
        elif kind == "redirect":
            config = action.get("RedirectConfig") or {}
            return {"redirect": desired_redirect({key: config.get(api) for key, api in REDIRECT_API_KEYS.items()})}
        elif kind == "fixed-response":
            config = action.get("FixedResponseConfig") or {}
            return {
                "fixed_response": desired_fixed_response(
                    {
                        "status_code": config.get("StatusCode"),
                        "content_type": config.get("ContentType"),
                        "message_body": config.get("MessageBody"),
                    }
                )
            }
    return {"other": [camel_dict_to_snake_dict(a) for a in actions]}


def actions_to_api(action: dict) -> List[dict]:
    """A normalised action dict -> AWS ``Actions`` (a list of one action)."""
    if action.get("target_group_arn"):
        return [{"Type": "forward", "TargetGroupArn": action["target_group_arn"]}]
    if action.get("redirect"):
        redirect = action["redirect"]
        return [{"Type": "redirect", "RedirectConfig": {api: redirect[key] for key, api in REDIRECT_API_KEYS.items()}}]
    if action.get("fixed_response"):
        fixed = action["fixed_response"]
        config = {"StatusCode": fixed["status_code"]}
        if fixed.get("content_type"):
            config["ContentType"] = fixed["content_type"]
        if fixed.get("message_body"):
            config["MessageBody"] = fixed["message_body"]
        return [{"Type": "fixed-response", "FixedResponseConfig": config}]
    raise ValueError(f"no action to send in {action!r}")


def normalize_rule(rule: dict, tags: Optional[Dict[str, str]]) -> dict:
    """One AWS rule (+ its tag dict) -> the returned/compared shape. Priority becomes an int."""
    priority = rule.get("Priority")
    return {
        "rule_arn": rule.get("RuleArn"),
        "name": (tags or {}).get("Name"),
        "priority": int(priority) if priority not in (None, "default") else None,
        "conditions": normalize_conditions(rule.get("Conditions")),
        "actions": normalize_actions(rule.get("Actions")),
        "is_default": False,
        "tags": dict(tags or {}),
    }


# ---------------------------------------------------------------------------------------------
# Reconciliation (pure functions: no API calls)
# ---------------------------------------------------------------------------------------------


def _condition_label(conditions: Dict[str, List[str]]) -> str:
    return ", ".join(f"{key}={values}" for key, values in conditions.items()) or "(none)"


def validate_rules(rules: Optional[List[dict]]) -> List[str]:
    """Errors (list of str) in the desired rule list, found without any API call.

    ``rules`` are the raw option dicts. Checks: priority range, duplicate priorities, duplicate
    names, empty conditions, more than 5 condition values or wildcards per rule, two rules with
    the same conditions, a rule without an action.
    """
    errors = []
    seen_priorities = {}
    seen_names = {}
    seen_conditions = []
    for index, rule in enumerate(rules or []):
        label = f"rules[{index}]" + (f" (name {rule.get('name')})" if rule.get("name") else "")
        priority = rule.get("priority")
        if priority is None or not MIN_PRIORITY <= priority <= MAX_PRIORITY:
            errors.append(
                f"{label}: priority {priority} is out of range; use an integer from {MIN_PRIORITY} to {MAX_PRIORITY}."
            )
        elif priority in seen_priorities:
            errors.append(
                f"{label}: priority {priority} is also used by rules[{seen_priorities[priority]}]; "
                "give every rule its own priority."
            )
        else:
            seen_priorities[priority] = index
        name = rule.get("name")
        if name:
            if name in seen_names:
                errors.append(f"{label}: name {name!r} is also used by rules[{seen_names[name]}]; names must be unique.")
            else:
                seen_names[name] = index
        raw_conditions = rule.get("conditions") or {}
        for key in CONDITION_KEYS:
            if any(v is None or str(v) == "" for v in raw_conditions.get(key) or []):
                errors.append(f"{label}: conditions.{key} contains an empty value; remove it.")
        conditions = desired_conditions(raw_conditions)
        if not conditions:
            errors.append(
                f"{label}: conditions are empty; give at least one of {', '.join(CONDITION_KEYS)} "
                "(the listener's default action covers requests no rule matches)."
            )
        else:
            count = sum(len(values) for values in conditions.values())
            if count > MAX_CONDITION_VALUES:
                errors.append(
                    f"{label}: {count} condition values, AWS allows at most {MAX_CONDITION_VALUES} per rule "
                    "(path_patterns, host_headers, http_request_methods and source_ips together); "
                    "split the rule into several rules."
                )
            wildcards = sum(
                value.count("*") + value.count("?")
                for key in ("path_patterns", "host_headers")
                for value in conditions.get(key, [])
            )
            if wildcards > MAX_WILDCARDS:
                errors.append(
                    f"{label}: {wildcards} wildcards (* or ?) in path_patterns/host_headers, AWS allows at most "
                    f"{MAX_WILDCARDS} per rule; split the rule into several rules."
                )
            for other_index, other in seen_conditions:
                if other == conditions:
                    errors.append(
                        f"{label}: the same conditions ({_condition_label(conditions)}) as rules[{other_index}]; "
                        "the rule with the higher priority number would never match. Merge or change them."
                    )
                    break
            seen_conditions.append((index, conditions))
        actions = rule.get("actions") or {}
        given = [key for key in ("target_group_arn", "target_group_name", "redirect", "fixed_response") if actions.get(key)]
        if len(given) != 1:
            errors.append(
                f"{label}: actions needs exactly one of target_group_arn, target_group_name, redirect, fixed_response"
                f" (got {', '.join(given) or 'none'})."
            )
    return errors


def rule_tags(name: Optional[str], common_tags: Optional[dict], own_tags: Optional[dict],
              purge_tags: bool) -> Tuple[Optional[Dict[str, str]], bool]:
    """``(desired tag dict or None, purge)`` for one rule.

    Without ``tags`` at either level only the ``Name`` tag is ensured and nothing is purged.
    """
    if common_tags is None and own_tags is None:
        return ({"Name": name} if name else None), False
    desired = {str(k): str(v) for k, v in (common_tags or {}).items()}
    desired.update({str(k): str(v) for k, v in (own_tags or {}).items()})
    if name:
        desired["Name"] = name
    return desired, purge_tags


def match_rules(desired: List[dict], current: List[dict]) -> Tuple[List[Optional[dict]], List[dict]]:
    """Pair desired with current rules: by Name tag, else identical conditions, else priority.

    ``desired``: list of dicts with ``name``, ``priority``, ``conditions`` (normalised).
    ``current``: normalised current rules. A current rule whose Name tag differs from the
    desired rule's name is never taken over by priority alone.
    Returns ``(matches, unmatched_current)``; ``matches`` is a list, index-aligned with
    ``desired``, of the matched current rule or ``None``.
    """
    matches = [None] * len(desired)
    free = list(current)

    def take(index: int, rule: dict) -> None:
        matches[index] = rule
        free.remove(rule)

    for index, rule in enumerate(desired):
        if rule.get("name"):
            found = [c for c in free if c.get("name") == rule["name"]]
            if found:
                take(index, found[0])
    for index, rule in enumerate(desired):
        if matches[index] is None:
            found = [c for c in free if c["conditions"] == rule["conditions"]]
            if found:
                take(index, found[0])
    for index, rule in enumerate(desired):
        if matches[index] is None:
            found = [
                c for c in free
                if c["priority"] == rule["priority"] and (not c.get("name") or not rule.get("name"))
            ]
            if found:
                take(index, found[0])
    return matches, free


class PlanError(ValueError):
    """A rule list that cannot be reached without the operator changing it (a refusal, as ``run_state`` reports it)."""


def _temporary_priority(occupied: Dict[int, str], reserved: Dict[int, int]) -> int:
    """The highest priority nobody holds or wants (lowest precedence while a rule is parked)."""
    for priority in range(MAX_PRIORITY, MIN_PRIORITY - 1, -1):
        if priority not in occupied and priority not in reserved:
            return priority
    raise PlanError("no free priority left on the listener to park a rule while moving it")


def plan(desired: List[dict], current: List[dict], purge_rules: bool) -> Tuple[List[tuple], List[dict]]:
    """A collision-free list of operations that turns ``current`` into ``desired``.

    ``desired``: list of dicts ``name``, ``priority``, ``conditions``, ``actions`` (normalised,
    target groups resolved), ``tags`` (desired dict or None), ``purge_tags``.
    ``current``: normalised current rules (non-default).

    Operations (tuples), in execution order:
      ``("create", key, index, priority)`` create desired[index] at ``priority`` (maybe a parking one),
      ``("modify", key, index)`` replace conditions and actions of a matched rule,
      ``("tag", key, to_set, to_remove)``,
      ``("delete", key)``,
      ``("move", key, priority)`` one ``set_rule_priorities`` call for one rule.
    Keys are rule ARNs for existing rules and ``"new:<index>"`` for created ones.
    Returns ``(operations, final)`` where ``final`` is the predicted list of rules afterwards.
    Raises :class:`PlanError` when a rule that stays (``purge_rules`` false) holds a wanted priority.
    """
    matches, unmatched = match_rules(desired, current)
    keep = [] if purge_rules else unmatched
    delete = unmatched if purge_rules else []
    targets = {rule["priority"]: index for index, rule in enumerate(desired)}

    conflicts = [c for c in keep if c["priority"] in targets]
    if conflicts:
        details = "; ".join(
            f"priority {c['priority']} is held by rule {c['rule_arn']}"
            + (f" (Name {c['name']})" if c.get("name") else "")
            + f", wanted by rules[{targets[c['priority']]}]"
            for c in conflicts
        )
        raise PlanError(
            f"{details}. That rule is not in 'rules'; set purge_rules: true to delete it, "
            "list it in 'rules', or choose another priority."
        )

    operations = []
    occupied = {c["priority"]: c["rule_arn"] for c in current}
    position = {c["rule_arn"]: c["priority"] for c in current}
    pending = {}
    final = [dict(c) for c in keep]

    # 1. creations, parked at a free priority when the wanted one is still held
    for index, rule in enumerate(desired):
        if matches[index] is not None:
            continue
        key = f"new:{index}"
        priority = rule["priority"]
        if priority in occupied:
            priority = _temporary_priority(occupied, targets)
            pending[key] = rule["priority"]
        operations.append(("create", key, index, priority))
        occupied[priority] = key
        position[key] = priority
        tags = dict(rule["tags"] or {})
        final.append(_predicted(None, rule, tags))

    # 2. in-place changes of matched rules: conditions/actions, tags; priority moves noted
    for index, rule in enumerate(desired):
        match = matches[index]
        if match is None:
            continue
        key = match["rule_arn"]
        if match["conditions"] != rule["conditions"] or match["actions"] != rule["actions"]:
            operations.append(("modify", key, index))
        to_set, to_remove = tag_changes(match["tags"], rule["tags"], rule["purge_tags"])
        if to_set or to_remove:
            operations.append(("tag", key, to_set, to_remove))
        if match["priority"] != rule["priority"]:
            pending[key] = rule["priority"]
        final.append(_predicted(key, rule, merged_tags(match["tags"], rule["tags"], rule["purge_tags"])))

    # 3. deletions free their priorities
    for rule in delete:
        operations.append(("delete", rule["rule_arn"]))
        occupied.pop(rule["priority"], None)
        position.pop(rule["rule_arn"], None)

    # 4. moves, one rule at a time; a cycle (e.g. a swap) goes through a parking priority
    while pending:
        progressed = False
        for key in sorted(pending, key=lambda k: pending[k]):
            target = pending[key]
            if target not in occupied:
                operations.append(("move", key, target))
                occupied.pop(position[key], None)
                occupied[target] = key
                position[key] = target
                del pending[key]
                progressed = True
        if not progressed:
            key = sorted(pending, key=lambda k: pending[k])[0]
            parking = _temporary_priority(occupied, targets)
            operations.append(("move", key, parking))
            occupied.pop(position[key], None)
            occupied[parking] = key
            position[key] = parking

    return operations, sort_rules(final)


def _predicted(rule_arn: Optional[str], rule: dict, tags: Dict[str, str]) -> dict:
    return {
        "rule_arn": rule_arn,
        "name": tags.get("Name"),
        "priority": rule["priority"],
        "conditions": rule["conditions"],
        "actions": rule["actions"],
        "is_default": False,
        "tags": tags,
    }
