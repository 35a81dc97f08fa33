#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: elb_load_balancer
version_added: 0.1.0
short_description: Manage an Application Load Balancer and its listeners
description:
  - Creates, updates or deletes one Application Load Balancer (ALB) with its attributes, tags and
    listeners (each with its default action). Listener rules belong to
    M(apranova.aws_stack.elb_listener_rules).
  - Fills gaps of the stock M(amazon.aws.elb_application_lb) module, which fails with
    C(KeyError 'idle_timeout_timeout_seconds') when the endpoint leaves out attributes that were never
    set (moto does; amazon.aws 11.4.0 still indexes the attribute). Rules are left to
    M(apranova.aws_stack.elb_listener_rules), so a routing change does not restate the load balancer.
  - The load balancer is always looked up by name first (moto creates a second ALB when
    C(CreateLoadBalancer) is called with an existing name), and listeners are matched by port (moto
    accepts a second listener on a port; an extra one found on a port is deleted).
  - Subnets, security groups and the IP address type are changed in place; the scheme cannot change
    (error).
  - Each attribute in O(attributes) is only touched when set; it is compared with
    C(DescribeLoadBalancerAttributes), where a missing key counts as AWS's default.
  - With O(state=absent), a load balancer with deletion protection is not deleted unless
    O(disable_deletion_protection=true) (the module enforces this itself, because moto stores
    deletion protection without enforcing it).
author:
  - Apranova platform team (!UNKNOWN)
options:
  name:
    description:
      - Name of the load balancer, 1 to 32 letters, digits or hyphens (not at either end, not starting
        with C(internal-)). The identity of the load balancer.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the load balancer; V(absent) deletes it (and its listeners and rules).
    type: str
    choices: [present, absent]
    default: present
  scheme:
    description:
      - V(internet-facing) or V(internal). Cannot change on an existing load balancer.
    type: str
    choices: [internet-facing, internal]
    default: internet-facing
  subnets:
    description:
      - IDs of the subnets, at least two in different Availability Zones. Required to create the load
        balancer; changed in place (C(SetSubnets)) when they differ. Order does not matter.
    type: list
    elements: str
  security_groups:
    description:
      - IDs of the security groups. Changed in place (C(SetSecurityGroups)) when they differ. Left alone
        when unset.
    type: list
    elements: str
  ip_address_type:
    description:
      - V(ipv4) or V(dualstack) (needs IPv6 CIDRs on the subnets).
    type: str
    choices: [ipv4, dualstack]
    default: ipv4
  attributes:
    description:
      - Load balancer attributes. Each one is only compared and changed when set.
    type: dict
    suboptions:
      deletion_protection:
        description: Protect the load balancer from deletion (AWS default V(false)).
        type: bool
      idle_timeout:
        description: Idle timeout of connections in seconds, 1-4000 (AWS default 60).
        type: int
      drop_invalid_header_fields:
        description: Drop HTTP headers with invalid names (AWS default V(false)).
        type: bool
      http2:
        description: Accept HTTP/2 from clients (AWS default V(true)).
        type: bool
  listeners:
    description:
      - The listeners, matched to existing ones by port. Left alone when unset.
      - Only the default action of each listener is managed; rules are left alone.
    type: list
    elements: dict
    suboptions:
      port:
        description: Port the listener accepts traffic on (1-65535). One listener per port.
        type: int
        required: true
      protocol:
        description: V(HTTP) or V(HTTPS).
        type: str
        choices: [HTTP, HTTPS]
        default: HTTP
      certificate_arn:
        description: ARN of the default certificate (ACM or IAM). Required for, and only allowed with, HTTPS.
        type: str
      ssl_policy:
        description: Security policy of an HTTPS listener; ignored for HTTP.
        type: str
        default: ELBSecurityPolicy-TLS13-1-2-2021-06
      default_action:
        description:
          - What the listener does with requests no rule matches; exactly one of
            O(listeners[].default_action.forward), O(listeners[].default_action.redirect),
            O(listeners[].default_action.fixed_response).
        type: dict
        required: true
        suboptions:
          forward:
            description:
              - Forward to this target group, given by ARN or by name (looked up with C(DescribeTargetGroups)).
            type: str
          redirect:
            description:
              - Redirect the request. The same keys, with the same meaning, as a rule's redirect
                (O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.redirect); the
                argument spec is shared).
            type: dict
            suboptions:
              protocol:
                description: See O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.redirect.protocol).
                type: str
              port:
                description: See O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.redirect.port).
                type: str
              host:
                description: See O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.redirect.host).
                type: str
              path:
                description: See O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.redirect.path).
                type: str
              query:
                description: See O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.redirect.query).
                type: str
              status_code:
                description: See O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.redirect.status_code).
                type: str
                required: true
                choices: [HTTP_301, HTTP_302]
          fixed_response:
            description:
              - Answer with a fixed response. The same keys, with the same meaning, as a rule's fixed
                response (O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.fixed_response);
                the argument spec is shared).
            type: dict
            suboptions:
              status_code:
                description: See O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.fixed_response.status_code).
                type: str
                required: true
              content_type:
                description: See O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.fixed_response.content_type).
                type: str
                choices: [text/plain, text/css, text/html, application/javascript, application/json]
              message_body:
                description: See O(apranova.aws_stack.elb_listener_rules#module:rules[].actions.fixed_response.message_body).
                type: str
  purge_listeners:
    description:
      - Delete listeners on ports not in O(listeners). Has no effect when O(listeners) is unset.
    type: bool
    default: true
  disable_deletion_protection:
    description:
      - With O(state=absent), turn deletion protection off before deleting. Without it a protected load
        balancer is not deleted and the task fails.
    type: bool
    default: false
  wait:
    description:
      - Wait until the load balancer is C(active) (O(state=present)) or gone (O(state=absent)).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true).
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
seealso:
  - module: apranova.aws_stack.elb_listener_rules
    description: The rules of a listener; its redirect and fixed response actions are documented there.
  - module: apranova.aws_stack.elb_target_groups
notes:
  - Supports check mode and diff mode; in check mode no mutating API is called. In check mode a
    target group name that does not exist yet gives a warning, so a whole stack can be checked before
    it exists.
  - Deleting the load balancer deletes its listeners and their rules.
"""

EXAMPLES = r"""
- name: ALB with HTTP redirected to HTTPS and HTTPS forwarding to the frontend
  apranova.aws_stack.elb_load_balancer:
    name: web
    subnets: "{{ public_subnet_ids }}"
    security_groups: ["{{ alb_sg_id }}"]
    attributes:
      deletion_protection: true
      idle_timeout: 60
      drop_invalid_header_fields: true
    listeners:
      - port: 80
        default_action:
          redirect:
            protocol: HTTPS
            port: "443"
            status_code: HTTP_301
      - port: 443
        protocol: HTTPS
        certificate_arn: "{{ certificate_arn }}"
        default_action:
          forward: frontend
    tags:
      Project: apranova
    wait: true
  register: alb

- name: Delete it, protection included
  apranova.aws_stack.elb_load_balancer:
    name: web
    state: absent
    disable_deletion_protection: true
    wait: true
"""

RETURN = r"""
load_balancer:
  description:
    - The load balancer after the run (in check mode, as it would be). Empty after deletion.
    - With C(--diff), the sides of C(diff) are the load balancer in this shape before and after the run.
  returned: always
  type: dict
  contains:
    load_balancer_arn:
      description: ARN of the load balancer; V(null) in check mode when it would be created.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188
    load_balancer_name:
      description: Name.
      type: str
      sample: web
    dns_name:
      description: DNS name.
      type: str
      sample: web-1234567890.us-east-1.elb.amazonaws.com
    canonical_hosted_zone_id:
      description: Route 53 hosted zone of the DNS name (for alias records).
      type: str
      sample: Z35SXDOTRQ7X7K
    scheme:
      description: Scheme.
      type: str
      sample: internet-facing
    state:
      description: State code (C(provisioning), C(active), ...).
      type: str
      sample: active
    type:
      description: Load balancer type.
      type: str
      sample: application
    ip_address_type:
      description: IP address type.
      type: str
      sample: ipv4
    vpc_id:
      description: VPC of the load balancer.
      type: str
      sample: vpc-0123456789abcdef0
    subnets:
      description: Subnet IDs, sorted.
      type: list
      elements: str
      sample: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_groups:
      description: Security group IDs, sorted.
      type: list
      elements: str
      sample: ["sg-0123456789abcdef0"]
    availability_zones:
      description: Availability Zone names, sorted.
      type: list
      elements: str
      sample: ["us-east-1a", "us-east-1b"]
    attributes:
      description: The managed attributes (AWS defaults filled in where the endpoint leaves a key out).
      type: dict
      sample: {"deletion_protection": true, "idle_timeout": 60, "drop_invalid_header_fields": true, "http2": true}
    listeners:
      description: Listeners, sorted by port.
      type: list
      elements: dict
      contains:
        listener_arn:
          description: ARN of the listener; V(null) in check mode when it would be created.
          type: str
          sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2
        port:
          description: Port.
          type: int
          sample: 443
        protocol:
          description: Protocol.
          type: str
          sample: HTTPS
        ssl_policy:
          description: Security policy (V(null) for HTTP).
          type: str
          sample: ELBSecurityPolicy-TLS13-1-2-2021-06
        certificate_arn:
          description: Default certificate (V(null) for HTTP).
          type: str
          sample: arn:aws:acm:us-east-1:123456789012:certificate/0b8e6f2c-1111-2222-3333-444455556666
        default_action:
          description:
            - The default action in the shape used by M(apranova.aws_stack.elb_listener_rules) return
              values. A forward gives C(target_group_arn) and C(target_group_name); a redirect gives every
              part with AWS's defaults filled in; a fixed response gives C(status_code), C(content_type),
              C(message_body). Actions this module does not manage appear under C(other).
          type: dict
          sample: {"redirect": {"protocol": "HTTPS", "port": "443", "host": "#{host}", "path": "/#{path}",
                                "query": "#{query}", "status_code": "HTTP_301"}}
    tags:
      description: Tags (C(aws:) tags left out).
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

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import wait_for
from ansible_collections.apranova.aws_stack.plugins.module_utils import elbv2
from ansible_collections.apranova.aws_stack.plugins.module_utils import elbv2_lb


class LoadBalancerError(ValueError):
    """A refusal the operator must act on (``run_state`` fails the task with its message)."""


def find_load_balancer(client: Any, name: str) -> Optional[dict]:
    """The raw load balancer called ``name``, or ``None``; an error when there are several."""
    found = elbv2_lb.describe_load_balancers_by_name(client, name)
    if len(found) > 1:
        arns = ", ".join(lb["LoadBalancerArn"] for lb in found)
        raise LoadBalancerError(
            f"{len(found)} load balancers are called {name}: {arns}. Delete the extra ones (keep the one the "
            "DNS records point at) and run again."
        )
    return found[0] if found else None


def read_load_balancer(client: Any, raw: dict) -> Optional[dict]:
    """Normalised load balancer (attributes, listeners, tags read side by side), or ``None`` when it is gone."""
    arn = raw["LoadBalancerArn"]
    attributes, listeners, tags = base.concurrently([
        lambda: elbv2_lb.describe_load_balancer_attributes(client, arn),
        lambda: elbv2_lb.describe_listeners(client, arn),
        lambda: elbv2_lb.describe_tags(client, [arn]),
    ])
    if attributes is None or listeners is None:
        return None
    return elbv2_lb.normalize_load_balancer(raw, attributes, listeners, tags.get(arn, {}))


def resolve_listeners(client: Any, listeners: List[dict], ctx: base.Context) -> List[dict]:
    """``listeners`` option -> normalised desired listeners (forward target groups resolved to ARNs)."""
    target_groups = elbv2.TargetGroupArns(client, ctx, LoadBalancerError, " Check mode: shown as it would be.")
    desired = []
    for index, listener in enumerate(listeners):
        target = listener["default_action"].get("forward")
        arn = None
        if target:
            if target.startswith("arn:"):
                arn = target
            else:
                arn = target_groups.arn(
                    target,
                    f"listeners[{index}] (port {listener['port']}): target group {target!r} not found; create it "
                    "first (apranova.aws_stack.elb_target_groups) or give its ARN in default_action.forward.",
                )
        desired.append(elbv2_lb.desired_listener(listener, arn))
    return desired


def apply_listeners(client: Any, lb_arn: str, create: List[dict], modify: List[Tuple[str, dict]], delete: List[str]) -> None:
    for arn in delete:
        elbv2_lb.delete_listener(client, arn)
    for arn, listener in modify:
        elbv2_lb.modify_listener(client, arn, elbv2_lb.listener_to_api(listener))
    for listener in create:
        elbv2_lb.create_listener(client, lb_arn, listener["port"], elbv2_lb.listener_to_api(listener))


def wait_active(client: Any, arn: str, timeout: int) -> dict:
    def check() -> Optional[dict]:
        raw = elbv2_lb.describe_load_balancer(client, arn)
        return raw if raw and (raw.get("State") or {}).get("Code") == "active" else None

    raw = wait_for(check, timeout=timeout)
    if raw is None:
        raise LoadBalancerError(
            f"load balancer {arn} was not active after {timeout} seconds; raise wait_timeout or look at its state."
        )
    return raw


def create(client: Any, p: Dict[str, Any], desired_listeners: Optional[List[dict]], check_mode: bool) -> Optional[dict]:
    """Create the load balancer (or predict it). Returns the normalised result."""
    if not p["subnets"]:
        raise LoadBalancerError(
            f"load balancer {p['name']} does not exist and subnets is empty; give at least two subnet IDs in "
            "different Availability Zones to create it."
        )
    tags = merged_tags({}, p["tags"], True) if p["tags"] is not None else {}
    if check_mode:
        attributes = dict(elbv2_lb.LB_ATTRIBUTE_DEFAULTS)
        attributes.update({k: v for k, v in (p["attributes"] or {}).items() if v is not None})
        return {
            "load_balancer_arn": None,
            "load_balancer_name": p["name"],
            "dns_name": None,
            "canonical_hosted_zone_id": None,
            "scheme": p["scheme"],
            "state": None,
            "type": "application",
            "ip_address_type": p["ip_address_type"],
            "vpc_id": None,
            "subnets": sorted(set(p["subnets"])),
            "security_groups": sorted(set(p["security_groups"] or [])),
            "availability_zones": [],
            "attributes": attributes,
            "listeners": elbv2_lb.sort_listeners([dict(listener) for listener in desired_listeners or []]),
            "tags": tags,
        }
    raw = elbv2_lb.create_load_balancer(
        client, p["name"], p["subnets"], p["security_groups"], p["scheme"], p["ip_address_type"], tags
    )
    arn = raw["LoadBalancerArn"]
    current = elbv2_lb.normalize_lb_attributes(elbv2_lb.describe_load_balancer_attributes(client, arn) or [])
    changes = elbv2_lb.lb_attribute_changes(current, p["attributes"])
    if changes:
        elbv2_lb.modify_load_balancer_attributes(client, arn, elbv2_lb.lb_attributes_to_api(changes))
    for listener in desired_listeners or []:
        elbv2_lb.create_listener(client, arn, listener["port"], elbv2_lb.listener_to_api(listener))
    if p["wait"]:
        raw = wait_active(client, arn, p["wait_timeout"])
    return read_load_balancer(client, elbv2_lb.describe_load_balancer(client, arn) or raw)


def update(client: Any, raw: dict, current: dict, p: Dict[str, Any], desired_listeners: Optional[List[dict]],
           check_mode: bool) -> Tuple[bool, Optional[dict]]:
    """Bring an existing load balancer in line. Returns ``(changed, after)``."""
    name = p["name"]
    arn = current["load_balancer_arn"]
    if current["scheme"] != p["scheme"]:
        raise LoadBalancerError(
            f"load balancer {name} is {current['scheme']}, wanted {p['scheme']}; the scheme cannot change. Set "
            f"scheme: {current['scheme']}, or delete the load balancer (state: absent) and create it again."
        )
    after = dict(current)
    subnets = sorted(set(p["subnets"])) if p["subnets"] else None
    subnets_changed = subnets is not None and subnets != current["subnets"]
    groups = sorted(set(p["security_groups"])) if p["security_groups"] is not None else None
    groups_changed = groups is not None and groups != current["security_groups"]
    ip_changed = p["ip_address_type"] != current["ip_address_type"]
    attribute_changes = elbv2_lb.lb_attribute_changes(current["attributes"], p["attributes"])
    to_set, to_remove = tag_changes(current["tags"], p["tags"], p["purge_tags"])
    create_l, modify_l, delete_l = [], [], []
    if desired_listeners is not None:
        create_l, modify_l, delete_l, after["listeners"] = elbv2_lb.plan_listeners(
            desired_listeners, current["listeners"], p["purge_listeners"]
        )
    if subnets_changed:
        after["subnets"] = subnets
    if groups_changed:
        after["security_groups"] = groups
    if ip_changed:
        after["ip_address_type"] = p["ip_address_type"]
    if attribute_changes:
        after["attributes"] = dict(current["attributes"], **attribute_changes)
    if to_set or to_remove:
        after["tags"] = merged_tags(current["tags"], p["tags"], p["purge_tags"])
    changed = bool(
        subnets_changed or groups_changed or ip_changed or attribute_changes or to_set or to_remove
        or create_l or modify_l or delete_l
    )
    if check_mode:
        return changed, after
    if subnets_changed:
        elbv2_lb.set_subnets(client, arn, subnets)
    if groups_changed:
        elbv2_lb.set_security_groups(client, arn, groups)
    if ip_changed:
        elbv2_lb.set_ip_address_type(client, arn, p["ip_address_type"])
    if attribute_changes:
        elbv2_lb.modify_load_balancer_attributes(client, arn, elbv2_lb.lb_attributes_to_api(attribute_changes))
    elbv2_lb.update_tags(client, arn, to_set, to_remove)
    apply_listeners(client, arn, create_l, modify_l, delete_l)
    if p["wait"]:
        raw = wait_active(client, arn, p["wait_timeout"])
    if changed:
        return True, read_load_balancer(client, elbv2_lb.describe_load_balancer(client, arn) or raw)
    return False, current


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create the load balancer or bring it in line (``load_balancer``: as it is, or would be, after)."""
    raw = find_load_balancer(client, params["name"])
    desired_listeners = None
    if params["listeners"] is not None:
        desired_listeners = resolve_listeners(client, params["listeners"], ctx)
    if raw is None:
        after = create(client, params, desired_listeners, ctx.check_mode)
        return base.Outcome(True, {"load_balancer": after}, before={}, after=after)
    current = read_load_balancer(client, raw)
    if current is None:
        raise LoadBalancerError(f"load balancer {params['name']} disappeared while it was being read; run again.")
    changed, after = update(client, raw, current, params, desired_listeners, ctx.check_mode)
    return base.Outcome(changed, {"load_balancer": after}, before=current, after=after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete the load balancer (its listeners and rules go with it); ``load_balancer`` is then ``{}``."""
    name = params["name"]
    raw = find_load_balancer(client, name)
    current = read_load_balancer(client, raw) if raw is not None else None
    if current is None:
        return base.Outcome(False, {"load_balancer": {}}, before={}, after={})
    protected = current["attributes"]["deletion_protection"]
    if protected and not params["disable_deletion_protection"]:
        raise LoadBalancerError(
            f"load balancer {name} has deletion protection enabled, so it was not deleted. Set "
            "disable_deletion_protection: true to turn protection off and delete it in one task, or turn it off "
            "first (attributes: {deletion_protection: false}, state: present)."
        )
    if ctx.check_mode:
        return base.Outcome(True, {"load_balancer": {}}, before=current, after={})
    arn = current["load_balancer_arn"]
    if protected:
        elbv2_lb.modify_load_balancer_attributes(
            client, arn, elbv2_lb.lb_attributes_to_api({"deletion_protection": False})
        )
    elbv2_lb.delete_load_balancer(client, arn)
    if params["wait"]:
        wait_timeout = params["wait_timeout"]
        gone = wait_for(lambda: elbv2_lb.describe_load_balancer(client, arn) is None, timeout=wait_timeout)
        if not gone:
            raise LoadBalancerError(
                f"load balancer {name} still exists {wait_timeout} seconds after deletion; raise wait_timeout."
            )
    return base.Outcome(True, {"load_balancer": {}}, before=current, after={})


def main() -> None:
    action_spec = dict(
        forward=dict(type="str"),
        redirect=dict(type="dict", options=elbv2.redirect_spec()),
        fixed_response=dict(type="dict", options=elbv2.fixed_response_spec()),
    )
    listener_spec = dict(
        port=dict(type="int", required=True),
        protocol=dict(type="str", choices=["HTTP", "HTTPS"], default="HTTP"),
        certificate_arn=dict(type="str"),
        ssl_policy=dict(type="str", default=elbv2_lb.DEFAULT_SSL_POLICY),
        default_action=dict(
            type="dict",
            required=True,
            options=action_spec,
            mutually_exclusive=[["forward", "redirect", "fixed_response"]],
            required_one_of=[["forward", "redirect", "fixed_response"]],
        ),
    )
    attributes_spec = dict(
        deletion_protection=dict(type="bool"),
        idle_timeout=dict(type="int"),
        drop_invalid_header_fields=dict(type="bool"),
        http2=dict(type="bool"),
    )
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        scheme=dict(type="str", choices=["internet-facing", "internal"], default="internet-facing"),
        subnets=dict(type="list", elements="str"),
        security_groups=dict(type="list", elements="str"),
        ip_address_type=dict(type="str", choices=["ipv4", "dualstack"], default="ipv4"),
        attributes=dict(type="dict", options=attributes_spec),
        listeners=dict(type="list", elements="dict", options=listener_spec),
        purge_listeners=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        disable_deletion_protection=dict(type="bool", default=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params

    errors = elbv2_lb.name_errors(p["name"], "load balancer", "name")
    if p["state"] == "present":
        errors.extend(elbv2_lb.validate_listeners(p["listeners"]))
        idle = (p["attributes"] or {}).get("idle_timeout")
        if idle is not None and not 1 <= idle <= 4000:
            errors.append(f"attributes.idle_timeout {idle} is out of range; use 1 to 4000 seconds.")
    if errors:
        module.fail_json(msg="Invalid options: " + " ".join(errors), errors=errors)

    client = mark_waits(aws_client(module, "elbv2"))
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
