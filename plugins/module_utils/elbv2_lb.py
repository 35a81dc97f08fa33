# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ELBv2 load balancers, listeners and target groups: API layer, normalisers, planning.

Used by ``elb_load_balancer`` and ``elb_target_groups``. Three parts:

* the API layer: every boto3 ``elbv2`` call these modules make, with ``aws_retry=True`` (the
  client comes from ``base.aws_client(module, "elbv2")``),
  "not found" turned into ``None``/``False``, other errors raised as ``elbv2.AnsibleELBv2Error``
  (``elbv2.ELBv2ErrorHandler``: one error handler, one ``describe_rules`` and ``describe_tags`` for
  the service);
* normalisers: AWS shapes -> the snake_case dicts the modules compare and return;
* pure planning/validation helpers (no API calls), unit-tested offline.

Listener default actions use the action normalisers of ``elbv2.py`` (shared with
``elb_listener_rules``), so a forward/redirect/fixed response has one shape in the collection.

Emulator facts this file is written around (moto 5.2.5):
* ``describe_load_balancer_attributes`` omits ``idle_timeout.timeout_seconds`` (and others) until
  they are set: missing attributes are read as AWS's defaults (:data:`LB_ATTRIBUTE_DEFAULTS`).
* ``create_load_balancer`` on an existing name creates a second load balancer and a duplicate
  port is accepted by ``create_listener``: callers look up by name / by port first.
* an HTTP listener comes back with an ``SslPolicy``: ignored for HTTP listeners.
* ``describe_target_groups(Names=[...])`` fails as a whole when one name is missing (as AWS does):
  :func:`describe_target_groups_by_names` falls back to one call per name for that batch.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Note
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_while
from ansible_collections.apranova.aws_stack.plugins.module_utils import elbv2
from ansible_collections.apranova.aws_stack.plugins.module_utils.elbv2 import ELBv2ErrorHandler

NAME_MAX = 32
NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
NAMES_BATCH = 20
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# DeleteTargetGroup answers ResourceInUse (ResourceInUseException) while a listener or rule still
# forwards to the group, and for a while after the load balancer that did is deleted (the
# deletion is asynchronous). terraform-provider-aws retries it for 2 minutes on delete.
IN_USE_CODES = ["ResourceInUse"]
TARGET_GROUP_RELEASE_TIMEOUT = 300

# option name -> (AWS attribute key, kind, AWS default when the key is missing)
LB_ATTRIBUTES = {
    "deletion_protection": ("deletion_protection.enabled", "bool", False),
    "idle_timeout": ("idle_timeout.timeout_seconds", "int", 60),
    "drop_invalid_header_fields": ("routing.http.drop_invalid_header_fields.enabled", "bool", False),
    "http2": ("routing.http2.enabled", "bool", True),
}
LB_ATTRIBUTE_DEFAULTS = {key: spec[2] for key, spec in LB_ATTRIBUTES.items()}

DEREGISTRATION_DELAY_KEY = "deregistration_delay.timeout_seconds"
DEREGISTRATION_DELAY_DEFAULT = 300

# health_check option -> (key in describe_target_groups, parameter of create/modify_target_group)
HEALTH_CHECK_FIELDS = {
    "protocol": ("HealthCheckProtocol", "HealthCheckProtocol"),
    "port": ("HealthCheckPort", "HealthCheckPort"),
    "path": ("HealthCheckPath", "HealthCheckPath"),
    "interval": ("HealthCheckIntervalSeconds", "HealthCheckIntervalSeconds"),
    "timeout": ("HealthCheckTimeoutSeconds", "HealthCheckTimeoutSeconds"),
    "healthy_threshold": ("HealthyThresholdCount", "HealthyThresholdCount"),
    "unhealthy_threshold": ("UnhealthyThresholdCount", "UnhealthyThresholdCount"),
    "matcher": (None, "Matcher"),
}
HEALTH_CHECK_INTS = ("interval", "timeout", "healthy_threshold", "unhealthy_threshold")


# ---------------------------------------------------------------------------------------------
# API layer: load balancers
# ---------------------------------------------------------------------------------------------


@ELBv2ErrorHandler.list_error_handler("describe load balancer {name}", [])
def describe_load_balancers_by_name(client: Any, name: str) -> List[dict]:
    """Every load balancer called ``name`` (normally 0 or 1; moto can hold duplicates)."""
    return client.describe_load_balancers(Names=[name], aws_retry=True).get("LoadBalancers", [])


@ELBv2ErrorHandler.list_error_handler("describe load balancer {arn}", None)
def describe_load_balancer(client: Any, arn: str) -> Optional[dict]:
    """The load balancer with this ARN, or ``None``."""
    found = client.describe_load_balancers(LoadBalancerArns=[arn], aws_retry=True).get("LoadBalancers", [])
    return found[0] if found else None


@ELBv2ErrorHandler.list_error_handler("describe attributes of load balancer {arn}", None)
def describe_load_balancer_attributes(client: Any, arn: str) -> Optional[List[dict]]:
    """The raw ``Attributes`` list, or ``None`` when the load balancer is gone."""
    return client.describe_load_balancer_attributes(LoadBalancerArn=arn, aws_retry=True).get("Attributes", [])


@ELBv2ErrorHandler.common_error_handler("modify attributes of load balancer {arn}")
def modify_load_balancer_attributes(client: Any, arn: str, attributes: List[dict]) -> bool:
    client.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=attributes, aws_retry=True)
    return True


@ELBv2ErrorHandler.common_error_handler("create load balancer {name}")
def create_load_balancer(client: Any, name: str, subnets: Iterable[str], security_groups: Optional[Iterable[str]], scheme: str,
                         ip_address_type: str, tags: Optional[Dict[str, str]] = None) -> dict:
    params = dict(
        Name=name,
        Subnets=list(subnets),
        Scheme=scheme,
        Type="application",
        IpAddressType=ip_address_type,
    )
    if security_groups:
        params["SecurityGroups"] = list(security_groups)
    if tags:
        params["Tags"] = dict_to_tags(tags)
    return client.create_load_balancer(aws_retry=True, **params)["LoadBalancers"][0]


@ELBv2ErrorHandler.common_error_handler("set the subnets of load balancer {arn}")
def set_subnets(client: Any, arn: str, subnets: Iterable[str]) -> bool:
    client.set_subnets(LoadBalancerArn=arn, Subnets=list(subnets), aws_retry=True)
    return True


@ELBv2ErrorHandler.common_error_handler("set the security groups of load balancer {arn}")
def set_security_groups(client: Any, arn: str, security_groups: Iterable[str]) -> bool:
    client.set_security_groups(LoadBalancerArn=arn, SecurityGroups=list(security_groups), aws_retry=True)
    return True


@ELBv2ErrorHandler.common_error_handler("set the IP address type of load balancer {arn}")
def set_ip_address_type(client: Any, arn: str, ip_address_type: str) -> bool:
    client.set_ip_address_type(LoadBalancerArn=arn, IpAddressType=ip_address_type, aws_retry=True)
    return True


@ELBv2ErrorHandler.deletion_error_handler("delete load balancer {arn}")
def delete_load_balancer(client: Any, arn: str) -> bool:
    client.delete_load_balancer(LoadBalancerArn=arn, aws_retry=True)
    return True


# ---------------------------------------------------------------------------------------------
# API layer: listeners
# ---------------------------------------------------------------------------------------------


@ELBv2ErrorHandler.list_error_handler("describe listeners of load balancer {lb_arn}", None)
def describe_listeners(client: Any, lb_arn: str) -> Optional[List[dict]]:
    """All listeners of a load balancer, or ``None`` when it does not exist."""
    return paginate(client, "describe_listeners", LoadBalancerArn=lb_arn).get("Listeners", [])


@ELBv2ErrorHandler.common_error_handler("create the :{port} listener of load balancer {lb_arn}")
def create_listener(client: Any, lb_arn: str, port: int, params: Dict[str, Any]) -> dict:
    return client.create_listener(LoadBalancerArn=lb_arn, aws_retry=True, **params)["Listeners"][0]


@ELBv2ErrorHandler.common_error_handler("modify listener {listener_arn}")
def modify_listener(client: Any, listener_arn: str, params: Dict[str, Any]) -> dict:
    return client.modify_listener(ListenerArn=listener_arn, aws_retry=True, **params)["Listeners"][0]


@ELBv2ErrorHandler.deletion_error_handler("delete listener {listener_arn}")
def delete_listener(client: Any, listener_arn: str) -> bool:
    client.delete_listener(ListenerArn=listener_arn, aws_retry=True)
    return True


# ---------------------------------------------------------------------------------------------
# API layer: target groups
# ---------------------------------------------------------------------------------------------


@ELBv2ErrorHandler.list_error_handler("describe target groups {names}", None)
def _describe_target_groups_batch(client: Any, names: Iterable[str]) -> Optional[List[dict]]:
    return client.describe_target_groups(Names=list(names), aws_retry=True).get("TargetGroups", [])


def describe_target_groups_by_names(client: Any, names: Iterable[str]) -> Dict[str, dict]:
    """``{name: raw target group}`` for the names that exist.

    One call per :data:`NAMES_BATCH` names; a batch with a missing name fails as a whole
    (``TargetGroupNotFound``, on AWS and moto alike) and is retried name by name.
    """
    found = {}
    names = list(dict.fromkeys(names))
    for start in range(0, len(names), NAMES_BATCH):
        batch = names[start:start + NAMES_BATCH]
        groups = _describe_target_groups_batch(client, batch)
        if groups is None:
            groups = []
            for name in batch:
                groups.extend(_describe_target_groups_batch(client, [name]) or [])
        for group in groups:
            found[group["TargetGroupName"]] = group
    return found


@ELBv2ErrorHandler.list_error_handler("describe attributes of target group {arn}", None)
def describe_target_group_attributes(client: Any, arn: str) -> Optional[List[dict]]:
    return client.describe_target_group_attributes(TargetGroupArn=arn, aws_retry=True).get("Attributes", [])


@ELBv2ErrorHandler.common_error_handler("create target group {name}")
def create_target_group(client: Any, name: str, params: Dict[str, Any]) -> dict:
    return client.create_target_group(Name=name, aws_retry=True, **params)["TargetGroups"][0]


@ELBv2ErrorHandler.common_error_handler("modify the health check of target group {arn}")
def modify_target_group(client: Any, arn: str, params: Dict[str, Any]) -> dict:
    return client.modify_target_group(TargetGroupArn=arn, aws_retry=True, **params)["TargetGroups"][0]


@ELBv2ErrorHandler.common_error_handler("modify attributes of target group {arn}")
def modify_target_group_attributes(client: Any, arn: str, attributes: List[dict]) -> bool:
    client.modify_target_group_attributes(TargetGroupArn=arn, Attributes=attributes, aws_retry=True)
    return True


@ELBv2ErrorHandler.deletion_error_handler("delete target group {arn}")
def delete_target_group(client: Any, arn: str, in_use_timeout: float = 0, note: Optional[Note] = None) -> Optional[bool]:
    """``True`` deleted, ``False`` already gone, ``None`` refused because a listener/rule uses it.

    ``in_use_timeout``: for a group that no live listener or rule forwards to any more (its load
    balancer was deleted a moment ago), AWS still answers ``ResourceInUse`` for a while; it is
    tried again for that many seconds (``base.retry_while``, each wait told to ``note``).
    """
    try:
        retry_while(
            lambda: client.delete_target_group(TargetGroupArn=arn, aws_retry=True),
            IN_USE_CODES, timeout=in_use_timeout, note=note, what=f"delete target group {elbv2.target_group_name_from_arn(arn)}",
        )
    except is_boto3_error_code("ResourceInUse"):
        return None
    return True


# ---------------------------------------------------------------------------------------------
# API layer: tags (load balancers and target groups)
# ---------------------------------------------------------------------------------------------


# Tags are read and written by the listener-rule layer's calls (module_utils/elbv2.py): one implementation.
describe_tags = elbv2.describe_tags
add_tags = elbv2.add_tags
remove_tags = elbv2.remove_tags


def update_tags(client: Any, arn: str, to_set: Dict[str, str], to_remove: List[str]) -> None:
    if to_remove:
        remove_tags(client, arn, to_remove)
    if to_set:
        add_tags(client, arn, to_set)


# ---------------------------------------------------------------------------------------------
# Validation (no API calls)
# ---------------------------------------------------------------------------------------------


def name_errors(name: Optional[str], what: str, label: str) -> List[str]:
    """Errors in an ALB / target group name (1-32 letters, digits, hyphens; no hyphen at the ends)."""
    errors = []
    if not name:
        return [f"{label}: the {what} name is empty; give a name of 1-{NAME_MAX} characters."]
    if len(name) > NAME_MAX:
        errors.append(f"{label}: {what} name {name!r} has {len(name)} characters; AWS allows at most {NAME_MAX}.")
    if not NAME_RE.match(name):
        errors.append(
            f"{label}: {what} name {name!r} may only hold letters, digits and hyphens, and may not start or end "
            "with a hyphen."
        )
    if what == "load balancer" and name.lower().startswith("internal-"):
        errors.append(f"{label}: load balancer name {name!r} may not start with 'internal-'.")
    return errors


def validate_listeners(listeners: Optional[List[dict]]) -> List[str]:
    """Errors (list of str) in the ``listeners`` option, found without any API call."""
    errors = []
    seen = {}
    for index, listener in enumerate(listeners or []):
        port = listener.get("port")
        label = f"listeners[{index}] (port {port})"
        if port is None or not 1 <= port <= 65535:
            errors.append(f"{label}: port must be an integer from 1 to 65535.")
        elif port in seen:
            errors.append(f"{label}: port {port} is also used by listeners[{seen[port]}]; one listener per port.")
        else:
            seen[port] = index
        protocol = listener.get("protocol") or "HTTP"
        if protocol == "HTTPS" and not listener.get("certificate_arn"):
            errors.append(f"{label}: an HTTPS listener needs certificate_arn (an ACM or IAM certificate ARN).")
        if protocol == "HTTP" and listener.get("certificate_arn"):
            errors.append(f"{label}: certificate_arn only applies to HTTPS listeners; remove it or set protocol: HTTPS.")
        action = listener.get("default_action") or {}
        given = [key for key in ("forward", "redirect", "fixed_response") if action.get(key)]
        if len(given) != 1:
            errors.append(
                f"{label}: default_action needs exactly one of forward, redirect, fixed_response "
                f"(got {', '.join(given) or 'none'})."
            )
    return errors


def validate_target_groups(groups: Optional[List[dict]], state: str, vpc_id: Optional[str]) -> List[str]:
    """Errors (list of str) in the ``target_groups`` option, found without any API call."""
    errors = []
    seen = {}
    if state == "present" and not vpc_id:
        if any((g.get("target_type") or "ip") != "lambda" for g in groups or []):
            errors.append("vpc_id is required with state=present (the VPC the target groups belong to).")
    for index, group in enumerate(groups or []):
        name = group.get("name")
        label = f"target_groups[{index}]" + (f" ({name})" if name else "")
        errors.extend(name_errors(name, "target group", label))
        if name in seen:
            errors.append(f"{label}: name {name!r} is also used by target_groups[{seen[name]}]; names must be unique.")
        elif name:
            seen[name] = index
        if state != "present":
            continue
        target_type = group.get("target_type") or "ip"
        port = group.get("port")
        if target_type == "lambda":
            if port is not None:
                errors.append(f"{label}: a lambda target group has no port; remove port.")
        elif port is None:
            errors.append(f"{label}: port is required for target_type {target_type}.")
        elif not 1 <= port <= 65535:
            errors.append(f"{label}: port {port} is out of range; use 1 to 65535.")
        health = group.get("health_check") or {}
        interval, timeout = health.get("interval"), health.get("timeout")
        if interval is not None and timeout is not None and timeout >= interval:
            errors.append(
                f"{label}: health_check.timeout ({timeout}) must be smaller than health_check.interval ({interval})."
            )
        delay = group.get("deregistration_delay")
        if delay is not None and not 0 <= delay <= 3600:
            errors.append(f"{label}: deregistration_delay {delay} is out of range; use 0 to 3600 seconds.")
    return errors


# ---------------------------------------------------------------------------------------------
# Normalisers: load balancer
# ---------------------------------------------------------------------------------------------


def _to_bool(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def normalize_lb_attributes(attribute_list: Optional[List[dict]]) -> Dict[str, Any]:
    """AWS ``Attributes`` -> ``{deletion_protection, idle_timeout, drop_invalid_header_fields, http2}``.

    A key AWS (or moto) leaves out reads as AWS's default for it.
    """
    raw = {a.get("Key"): a.get("Value") for a in attribute_list or []}
    result = {}
    for option, (key, kind, default) in LB_ATTRIBUTES.items():
        value = raw.get(key)
        if value is None or value == "":
            result[option] = default
        elif kind == "bool":
            result[option] = _to_bool(value)
        else:
            result[option] = int(value)
    return result


def lb_attribute_changes(current: Dict[str, Any], desired: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """``{option: value}`` for each attribute set in ``desired`` that differs from ``current``."""
    changes = {}
    for option in LB_ATTRIBUTES:
        wanted = (desired or {}).get(option)
        if wanted is not None and current.get(option) != wanted:
            changes[option] = wanted
    return changes


def lb_attributes_to_api(changes: Dict[str, Any]) -> List[dict]:
    result = []
    for option, value in changes.items():
        key, kind = LB_ATTRIBUTES[option][0], LB_ATTRIBUTES[option][1]
        result.append({"Key": key, "Value": ("true" if value else "false") if kind == "bool" else str(int(value))})
    return result


def normalize_listener(raw: dict) -> dict:
    """One AWS listener -> ``{listener_arn, port, protocol, ssl_policy, certificate_arn, default_action}``.

    ``ssl_policy`` and ``certificate_arn`` are ``None`` for HTTP listeners (moto reports a policy there).
    """
    protocol = raw.get("Protocol")
    https = protocol in ("HTTPS", "TLS")
    certificates = raw.get("Certificates") or []
    return {
        "listener_arn": raw.get("ListenerArn"),
        "port": int(raw["Port"]) if raw.get("Port") is not None else None,
        "protocol": protocol,
        "ssl_policy": raw.get("SslPolicy") if https else None,
        "certificate_arn": certificates[0].get("CertificateArn") if https and certificates else None,
        "default_action": elbv2.normalize_actions(raw.get("DefaultActions")),
    }


def normalize_load_balancer(raw: dict, attribute_list: Optional[List[dict]], listeners: Optional[List[dict]],
                            tags: Optional[Dict[str, str]]) -> dict:
    """AWS load balancer + attributes + listeners (raw) + tag dict -> the returned shape."""
    zones = raw.get("AvailabilityZones") or []
    return {
        "load_balancer_arn": raw.get("LoadBalancerArn"),
        "load_balancer_name": raw.get("LoadBalancerName"),
        "dns_name": raw.get("DNSName"),
        "canonical_hosted_zone_id": raw.get("CanonicalHostedZoneId"),
        "scheme": raw.get("Scheme"),
        "state": (raw.get("State") or {}).get("Code"),
        "type": raw.get("Type"),
        "ip_address_type": raw.get("IpAddressType"),
        "vpc_id": raw.get("VpcId"),
        "subnets": sorted(z["SubnetId"] for z in zones if z.get("SubnetId")),
        "security_groups": sorted(raw.get("SecurityGroups") or []),
        "availability_zones": sorted(z["ZoneName"] for z in zones if z.get("ZoneName")),
        "attributes": normalize_lb_attributes(attribute_list),
        "listeners": sort_listeners([normalize_listener(listener) for listener in listeners or []]),
        "tags": dict(tags or {}),
    }


def sort_listeners(listeners: Iterable[dict]) -> List[dict]:
    return sorted(listeners, key=lambda item: (item["port"] or 0, item.get("listener_arn") or ""))


def desired_listener(listener: dict, target_group_arn: Optional[str] = None) -> dict:
    """One ``listeners`` option entry -> the normalised listener (``listener_arn`` None).

    ``target_group_arn`` is the ARN of the target group a ``forward`` default action names.
    """
    protocol = listener.get("protocol") or "HTTP"
    https = protocol == "HTTPS"
    return {
        "listener_arn": None,
        "port": listener["port"],
        "protocol": protocol,
        "ssl_policy": (listener.get("ssl_policy") or DEFAULT_SSL_POLICY) if https else None,
        "certificate_arn": listener.get("certificate_arn") if https else None,
        "default_action": elbv2.desired_action(listener["default_action"], target_group_arn),
    }


def listener_to_api(listener: dict) -> Dict[str, Any]:
    """A normalised listener -> create/modify_listener parameters (without the ARNs)."""
    params = {
        "Port": listener["port"],
        "Protocol": listener["protocol"],
        "DefaultActions": elbv2.actions_to_api(listener["default_action"]),
    }
    if listener["protocol"] == "HTTPS":
        params["SslPolicy"] = listener["ssl_policy"]
        params["Certificates"] = [{"CertificateArn": listener["certificate_arn"]}]
    return params


def _listener_key(listener: dict) -> dict:
    return {k: v for k, v in listener.items() if k != "listener_arn"}


def plan_listeners(desired: List[dict], current: List[dict],
                   purge: bool) -> Tuple[List[dict], List[Tuple[str, dict]], List[str], List[dict]]:
    """Match desired listeners to current ones by port.

    Returns ``(create, modify, delete, predicted)``: ``create`` the desired listeners with no
    current listener on their port, ``modify`` ``[(listener_arn, desired)]`` where something
    differs, ``delete`` listener ARNs (unlisted ports with ``purge``; always a second listener
    on one port, which moto accepts and AWS refuses), ``predicted`` the listeners afterwards.
    """
    by_port = {}
    delete = []
    for listener in sort_listeners(current):
        if listener["port"] in by_port:
            delete.append(listener["listener_arn"])
        else:
            by_port[listener["port"]] = listener
    create, modify, predicted = [], [], []
    wanted_ports = set()
    for listener in desired:
        wanted_ports.add(listener["port"])
        existing = by_port.get(listener["port"])
        if existing is None:
            create.append(listener)
            predicted.append(dict(listener))
            continue
        if _listener_key(existing) != _listener_key(listener):
            modify.append((existing["listener_arn"], listener))
        predicted.append(dict(listener, listener_arn=existing["listener_arn"]))
    for port, listener in by_port.items():
        if port in wanted_ports:
            continue
        if purge:
            delete.append(listener["listener_arn"])
        else:
            predicted.append(dict(listener))
    return create, modify, delete, sort_listeners(predicted)


# ---------------------------------------------------------------------------------------------
# Normalisers: target groups
# ---------------------------------------------------------------------------------------------


def _int_or_none(value: Any) -> Optional[int]:
    return int(value) if value not in (None, "") else None


def normalize_health_check(raw: dict) -> Dict[str, Any]:
    """The health check fields of a raw target group -> the ``health_check`` option shape (+ enabled)."""
    matcher = raw.get("Matcher") or {}
    return {
        "enabled": raw.get("HealthCheckEnabled", True),
        "protocol": raw.get("HealthCheckProtocol"),
        "port": str(raw["HealthCheckPort"]) if raw.get("HealthCheckPort") is not None else None,
        "path": raw.get("HealthCheckPath"),
        "interval": _int_or_none(raw.get("HealthCheckIntervalSeconds")),
        "timeout": _int_or_none(raw.get("HealthCheckTimeoutSeconds")),
        "healthy_threshold": _int_or_none(raw.get("HealthyThresholdCount")),
        "unhealthy_threshold": _int_or_none(raw.get("UnhealthyThresholdCount")),
        "matcher": matcher.get("HttpCode") or matcher.get("GrpcCode"),
    }


def desired_health_check(option: Optional[dict], target_type: str = "ip") -> Dict[str, Any]:
    """The ``health_check`` option -> ``{key: value}`` of the keys that are set (port as str).

    A lambda target group has no health check port, so ``port`` is left out for it.
    """
    result = {}
    for key in HEALTH_CHECK_FIELDS:
        value = (option or {}).get(key)
        if value is None or (key == "port" and target_type == "lambda"):
            continue
        if key == "port":
            value = str(value)
        elif key in HEALTH_CHECK_INTS:
            value = int(value)
        result[key] = value
    return result


def health_check_changes(current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Any]:
    """``{key: value}`` of the desired health check settings that differ from ``current``."""
    return {key: value for key, value in desired.items() if current.get(key) != value}


def health_check_to_api(changes: Dict[str, Any]) -> Dict[str, Any]:
    params = {}
    for key, value in changes.items():
        api = HEALTH_CHECK_FIELDS[key][1]
        params[api] = {"HttpCode": value} if key == "matcher" else value
    return params


def normalize_target_group(raw: dict, attribute_list: Optional[List[dict]], tags: Optional[Dict[str, str]]) -> dict:
    """AWS target group + attributes + tag dict -> the returned shape."""
    attributes = {a.get("Key"): a.get("Value") for a in attribute_list or []}
    delay = attributes.get(DEREGISTRATION_DELAY_KEY)
    return {
        "target_group_arn": raw.get("TargetGroupArn"),
        "target_group_name": raw.get("TargetGroupName"),
        "port": raw.get("Port"),
        "protocol": raw.get("Protocol"),
        "target_type": raw.get("TargetType"),
        "vpc_id": raw.get("VpcId"),
        "health_check": normalize_health_check(raw),
        "deregistration_delay": int(delay) if delay not in (None, "") else None,
        "load_balancer_arns": sorted(raw.get("LoadBalancerArns") or []),
        "tags": dict(tags or {}),
    }


def group_tags(common_tags: Optional[dict], own_tags: Optional[dict]) -> Optional[Dict[str, str]]:
    """Desired tag dict for one target group (own tags win), or ``None`` when neither is set."""
    if common_tags is None and own_tags is None:
        return None
    desired = {str(k): str(v) for k, v in (common_tags or {}).items()}
    desired.update({str(k): str(v) for k, v in (own_tags or {}).items()})
    return desired


def immutable_errors(current: dict, group: dict, vpc_id: Optional[str], label: str) -> List[str]:
    """What differs in the attributes AWS cannot change on an existing target group."""
    errors = []
    target_type = group.get("target_type") or "ip"
    if current["target_type"] != target_type:
        errors.append(f"target_type is {current['target_type']}, wanted {target_type}")
    if target_type != "lambda":
        if group.get("port") is not None and current["port"] != group["port"]:
            errors.append(f"port is {current['port']}, wanted {group['port']}")
        protocol = group.get("protocol") or "HTTP"
        if target_type != "alb" and current["protocol"] != protocol:
            errors.append(f"protocol is {current['protocol']}, wanted {protocol}")
        if vpc_id and current["vpc_id"] != vpc_id:
            errors.append(f"vpc_id is {current['vpc_id']}, wanted {vpc_id}")
    if not errors:
        return []
    return [
        f"{label}: {'; '.join(errors)}. AWS cannot change these on an existing target group: use a new name "
        "(and point the listeners/rules at it), or delete the group first."
    ]


def predicted_target_group(group: dict, vpc_id: Optional[str], tags: Optional[Dict[str, str]]) -> dict:
    """What a target group created from ``group`` would look like (check mode)."""
    target_type = group.get("target_type") or "ip"
    lambda_type = target_type == "lambda"
    protocol = None if lambda_type else ("TCP" if target_type == "alb" else group.get("protocol") or "HTTP")
    health = {
        "enabled": True,
        "protocol": protocol if protocol in ("HTTP", "HTTPS") else "HTTP",
        "port": None if lambda_type else "traffic-port",
        "path": "/",
        "interval": 35 if lambda_type else 30,
        "timeout": 30 if lambda_type else 5,
        "healthy_threshold": 5,
        "unhealthy_threshold": 2,
        "matcher": "200",
    }
    health.update(desired_health_check(group.get("health_check"), target_type))
    delay = group.get("deregistration_delay")
    return {
        "target_group_arn": None,
        "target_group_name": group["name"],
        "port": None if lambda_type else group.get("port"),
        "protocol": protocol,
        "target_type": target_type,
        "vpc_id": None if lambda_type else vpc_id,
        "health_check": health,
        "deregistration_delay": None if lambda_type else (delay if delay is not None else DEREGISTRATION_DELAY_DEFAULT),
        "load_balancer_arns": [],
        "tags": dict(tags or {}),
    }


def target_group_create_params(group: dict, vpc_id: Optional[str], tags: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """create_target_group parameters (without Name) for one ``target_groups`` entry."""
    target_type = group.get("target_type") or "ip"
    params = {"TargetType": target_type}
    if target_type != "lambda":
        # a target group of target type alb (behind a Network Load Balancer) always speaks TCP
        protocol = "TCP" if target_type == "alb" else group.get("protocol") or "HTTP"
        params.update(Port=group["port"], Protocol=protocol, VpcId=vpc_id)
    params.update(health_check_to_api(desired_health_check(group.get("health_check"), target_type)))
    if tags:
        params["Tags"] = dict_to_tags(tags)
    return params


def action_target_group_arns(actions: Optional[List[dict]]) -> set:
    """Every target group ARN an AWS action list forwards to."""
    arns = set()
    for action in actions or []:
        if action.get("TargetGroupArn"):
            arns.add(action["TargetGroupArn"])
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
            if group.get("TargetGroupArn"):
                arns.add(group["TargetGroupArn"])
    return arns


def load_balancer_name_from_arn(arn: Optional[str]) -> Optional[str]:
    """``arn:...:loadbalancer/app/<name>/<id>`` -> ``<name>``."""
    if not arn or ":loadbalancer/" not in arn:
        return arn
    parts = arn.split(":loadbalancer/", 1)[1].split("/")
    return parts[1] if len(parts) > 2 else parts[0]


def find_target_group_users(client: Any, target_group_arn: str, load_balancer_arns: Optional[Iterable[str]]) -> List[Tuple[str, str]]:
    """``[(load balancer name, where)]`` of the listeners/rules that forward to the target group.

    Only the load balancers the target group names are searched (``LoadBalancerArns``); one that
    no longer exists is skipped (moto keeps a deleted load balancer in that list).
    """
    users = []
    for lb_arn in load_balancer_arns or []:
        listeners = describe_listeners(client, lb_arn)
        if not listeners:
            continue
        for listener in listeners:
            for rule in elbv2.describe_rules(client, listener["ListenerArn"]) or []:
                if target_group_arn not in action_target_group_arns(rule.get("Actions")):
                    continue
                if elbv2.is_default_rule(rule):
                    where = f"default action of the :{listener['Port']} listener"
                else:
                    where = f"rule priority {rule.get('Priority')} of the :{listener['Port']} listener"
                users.append((load_balancer_name_from_arn(lb_arn), where))
    return users
