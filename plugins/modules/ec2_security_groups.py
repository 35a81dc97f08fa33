#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ec2_security_groups
short_description: Reconcile a set of security groups of one VPC, rules that reference each other included
version_added: 0.1.0
description:
  - Creates, updates or deletes a whole set of EC2 security groups of one VPC in one task.
  - Fills gaps of M(amazon.aws.ec2_security_group), which manages one group per task, sleeps a fixed
    3 seconds per group, and needs groups that reference each other (the database allows the
    service, the service allows the load balancer) to be created in the right order.
    Here all missing groups are created first, then the rules of every group are reconciled,
    with O(security_groups[].ingress[].source_group) naming any group of the set.
  - A group is identified by its name (C(GroupName)) within O(vpc_id); its C(Name) tag is set to the
    same name.
  - Rules are compared in a normalised form, one entry per protocol, port range and source;
    descriptions are not part of a rule's identity. A rule whose description alone differs is updated
    in place (C(UpdateSecurityGroupRuleDescriptions*)), never revoked and re-added.
  - The description of an existing group cannot be changed in AWS; a different
    O(security_groups[].description) gives a warning and the group is kept (not recreated).
  - With O(state=absent) the listed groups are deleted after the rules of any group of the VPC that
    reference them are revoked, so a chain of groups goes in one call. A group still attached to a
    network interface (load balancer, ECS task, RDS instance, cache node, mount target) is waited
    for, up to O(wait_timeout) seconds, since AWS releases the interfaces of a resource deleted a moment
    ago asynchronously, in minutes. If they are still there then, the module fails and names
    them. C(DependencyViolation) on the delete itself is then tried again for up to 3 minutes
    (less if O(wait_timeout) is less). Each wait is listed in C(waited). In check mode a group in
    use gives a warning naming the interfaces and is shown as deleted, since in a real run of a
    teardown an earlier task deletes what uses it.
author: Apranova platform team (@apranova)
options:
  vpc_id:
    description: ID of the VPC the groups belong to.
    type: str
    required: true
  state:
    description:
      - V(present) creates and updates the listed groups.
      - V(absent) deletes the listed groups (only O(security_groups[].name) is used).
    type: str
    choices: [present, absent]
    default: present
  security_groups:
    description: The groups, in the order they are returned.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Group name (C(GroupName)) and C(Name) tag; unique within the VPC.
        type: str
        required: true
      description:
        description:
          - Group description. Required when O(state=present).
          - Cannot be changed once the group exists (AWS has no API for it); a difference gives a warning.
        type: str
      ingress:
        description:
          - Inbound rules. With O(purge_rules=true) (the default) inbound rules not listed are revoked;
            an empty list revokes all. When omitted, an existing group's inbound rules are left as they are.
        type: list
        elements: dict
        suboptions: &rule_options
          protocol:
            description:
              - V(tcp), V(udp), V(icmp), V(icmpv6), V(all) (same as V(-1)) or an IP protocol number.
              - Protocols other than tcp, udp, icmp and icmpv6 cover all ports; give no ports with them.
            type: str
            default: tcp
          from_port:
            description:
              - First port of the range (tcp, udp), or ICMP type (icmp, default V(-1), all types).
            type: int
          to_port:
            description:
              - Last port of the range (tcp, udp), or ICMP code (icmp, default V(-1), all codes).
            type: int
          ports:
            description: A single port; shorthand for O(security_groups[].ingress[].from_port) and
              O(security_groups[].ingress[].to_port) with the same value.
            type: int
          cidr_ip:
            description: IPv4 CIDR(s) the traffic comes from (ingress) or goes to (egress).
            type: list
            elements: str
          cidr_ipv6:
            description: IPv6 CIDR(s) the traffic comes from (ingress) or goes to (egress).
            type: list
            elements: str
          source_group:
            description:
              - A group of O(security_groups) by name, or the name or C(sg-) id of an existing group of
                O(vpc_id).
            type: str
          description:
            description:
              - Description of the rule (applies to each of its sources). Not part of the rule's
                identity; when omitted, the current description is left as it is.
            type: str
      egress:
        description:
          - Outbound rules, same form as O(security_groups[].ingress).
          - When omitted, the outbound rules are left as they are (a new group keeps AWS's default
            allow-all rule). When given, O(purge_rules_egress) decides whether unlisted ones are revoked.
        type: list
        elements: dict
        suboptions: *rule_options
      tags:
        description: Tags of this group, merged over the common O(tags) (this group's value wins).
        type: dict
  purge_rules:
    description: Revoke inbound rules that are not listed in O(security_groups[].ingress).
    type: bool
    default: true
  purge_rules_egress:
    description:
      - Revoke outbound rules that are not listed in O(security_groups[].egress).
      - Applies only to groups whose O(security_groups[].egress) is given.
    type: bool
    default: true
  wait_timeout:
    description:
      - With O(state=absent), how many seconds to wait for the network interfaces still using the
        groups to be released (and, up to 3 minutes of it, to try the delete again while AWS answers
        C(DependencyViolation)).
      - V(0) fails at once when an interface still uses a group.
    type: int
    default: 900
notes:
  - Rules are revoked by their rule id (C(SecurityGroupRuleIds)), so a rule goes whatever its description.
  - If neither O(tags) nor O(security_groups[].tags) is given, tags are left alone except for the
    C(Name) tag. Otherwise O(purge_tags) removes tags that are in neither.
  - In check mode a group that does not exist yet has no id (V(null)); rules that reference it carry
    its name in C(source_group_name) and a V(null) C(source_group_id).
  - "moto (the AWS emulator) does not update the description of a rule whose source is a group; the
    module then warns that the endpoint kept the old description."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the security groups of the stack
  apranova.aws_stack.ec2_security_groups:
    vpc_id: "{{ vpc_id }}"
    tags:
      Project: apranova
    security_groups:
      - name: apranova-alb
        description: Load balancer
        ingress:
          - {protocol: tcp, ports: 80, cidr_ip: 0.0.0.0/0, description: HTTP}
          - {protocol: tcp, ports: 443, cidr_ip: 0.0.0.0/0, description: HTTPS}
      - name: apranova-ecs
        description: ECS tasks
        ingress:
          - {protocol: all, source_group: apranova-alb}
      - name: apranova-rds
        description: PostgreSQL
        ingress:
          - {protocol: tcp, ports: 5432, source_group: apranova-ecs}
        egress: []
      - name: apranova-redis
        description: Redis
        ingress:
          - {protocol: tcp, from_port: 6379, to_port: 6379, source_group: apranova-ecs}
  register: sg

- name: Use the ids
  ansible.builtin.debug:
    msg: "{{ sg.group_ids['apranova-rds'] }}"

- name: Delete the chain in one call (references between them are revoked first)
  apranova.aws_stack.ec2_security_groups:
    vpc_id: "{{ vpc_id }}"
    state: absent
    security_groups:
      - name: apranova-alb
      - name: apranova-ecs
      - name: apranova-rds
      - name: apranova-redis
"""

RETURN = r"""
security_groups:
  description:
    - The groups in the order of O(security_groups), as they are after the call (as they would be,
      in check mode). Empty with O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    group_id:
      returned: always
      description: Group id; V(null) in check mode for a group not created yet.
      type: str
      sample: sg-0123456789abcdef0
    group_name:
      returned: always
      description: Group name.
      type: str
      sample: apranova-rds
    description:
      returned: always
      description: Group description (the current one if it differs from the requested one).
      type: str
      sample: PostgreSQL
    vpc_id:
      returned: always
      description: VPC id.
      type: str
      sample: vpc-0123456789abcdef0
    ingress:
      returned: always
      description: Inbound rules, normalised, one entry per protocol, port range and source.
      type: list
      elements: dict
      contains:
        protocol:
          returned: always
          description: V(tcp), V(udp), V(icmp), V(icmpv6), V(-1) (all) or a protocol number.
          type: str
          sample: tcp
        from_port:
          returned: always
          description: First port (ICMP type); V(null) for protocols without ports.
          type: int
          sample: 5432
        to_port:
          returned: always
          description: Last port (ICMP code); V(null) for protocols without ports.
          type: int
          sample: 5432
        cidr_ip:
          description: IPv4 source, for CIDR rules.
          type: str
          returned: for IPv4 CIDR rules
          sample: 0.0.0.0/0
        cidr_ipv6:
          description: IPv6 source, for IPv6 CIDR rules.
          type: str
          returned: for IPv6 CIDR rules
          sample: "::/0"
        source_group_id:
          description: Id of the source group.
          type: str
          returned: for rules whose source is a group
          sample: sg-0fedcba9876543210
        source_group_name:
          description: Name of the source group, when it is a group of the VPC.
          type: str
          returned: for rules whose source is a group
          sample: apranova-ecs
        prefix_list_id:
          description: Source prefix list.
          type: str
          returned: for prefix-list rules (not managed by this module, but reported and purged)
          sample: pl-63a5400a
        description:
          returned: always
          description: Rule description.
          type: str
          sample: PostgreSQL from the services
    egress:
      returned: always
      description: Outbound rules, same form as RV(security_groups[].ingress).
      type: list
      elements: dict
      sample: [{"protocol": "-1", "from_port": null, "to_port": null, "cidr_ip": "0.0.0.0/0", "description": null}]
    tags:
      returned: always
      description: Tags of the group.
      type: dict
      sample: {"Name": "apranova-rds", "Project": "apranova"}
group_ids:
  description: Group name -> id for the groups of O(security_groups) (V(null) in check mode for a group not created yet).
  returned: always
  type: dict
  sample: {"apranova-alb": "sg-0123456789abcdef0", "apranova-rds": "sg-0fedcba9876543210"}
deleted_group_ids:
  description: With O(state=absent), name -> id of the groups deleted (that would be deleted, in check mode).
  returned: when O(state=absent)
  type: dict
  sample: {"apranova-rds": "sg-0fedcba9876543210"}
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

import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2_security_groups as sgapi
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import wait_for


RULE_OPTIONS = dict(
    protocol=dict(type="str", default="tcp"),
    from_port=dict(type="int"),
    to_port=dict(type="int"),
    ports=dict(type="int"),
    cidr_ip=dict(type="list", elements="str"),
    cidr_ipv6=dict(type="list", elements="str"),
    source_group=dict(type="str"),
    description=dict(type="str"),
)


def validate(params: Dict[str, Any]) -> None:
    """The checks of the input that need no AWS call; a ``RuleError`` says what to change."""
    names = [g["name"] for g in params["security_groups"]]
    if params["state"] == "absent":
        if "default" in names:
            raise sgapi.RuleError("the VPC's default security group cannot be deleted: remove 'default' from security_groups")
        return
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise sgapi.RuleError(f"security_groups lists {', '.join(duplicates)} more than once; names must be unique")
    missing_description = [g["name"] for g in params["security_groups"] if not g.get("description")]
    if missing_description:
        raise sgapi.RuleError(
            f"security_groups {', '.join(missing_description)}: a description is required when state=present"
        )


def desired_rules(groups: List[Dict[str, Any]], vpc_groups: List[Dict[str, Any]], vpc_id: str) -> Dict[str, Dict[str, Any]]:
    """Expand and resolve the rule options of every group; fail (RuleError) before any change.

    Returns ``{name: {"ingress": [...] or None, "egress": [...] or None}}``; entries sourced from a
    group of this call carry the group's name, and its id when it exists already.
    """
    listed = [g["name"] for g in groups]
    by_name = {g["GroupName"]: g for g in vpc_groups}
    by_id = {g["GroupId"]: g for g in vpc_groups}

    def resolve(value: str) -> Tuple[Optional[str], str]:
        if value in listed:
            existing = by_name.get(value)
            return (existing["GroupId"] if existing else None), value
        if value in by_id:
            return value, by_id[value]["GroupName"]
        if value in by_name:
            return by_name[value]["GroupId"], value
        raise sgapi.RuleError(
            f"source_group {value!r} is neither a group of security_groups nor the name or id of an existing "
            f"security group of VPC {vpc_id}"
        )

    result = {}
    for group in groups:
        rules = {}
        for direction in ("ingress", "egress"):
            if group.get(direction) is None:
                rules[direction] = None
                continue
            entries = []
            for index, rule in enumerate(group[direction]):
                where = f"security_groups[{group['name']}].{direction}[{index}]"
                expanded = sgapi.expand_rule(rule, where)
                try:
                    entries.extend(sgapi.resolve_sources(expanded, resolve))
                except sgapi.RuleError as e:
                    raise sgapi.RuleError(f"{where}: {e}") from None
            rules[direction] = entries
        result[group["name"]] = rules
    return result


def desired_tags(group: Dict[str, Any], common_tags: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Tags a group should have, or ``None`` when only the Name tag is managed."""
    if common_tags is None and group.get("tags") is None:
        return None
    tags = dict(common_tags or {})
    tags.update(group.get("tags") or {})
    tags["Name"] = group["name"]
    return tags


def _fill_source_ids(entries: List[Dict[str, Any]], ids: Dict[str, Optional[str]]) -> List[Dict[str, Any]]:
    """Give entries that reference a group created in this run its new id."""
    filled = []
    for entry in entries:
        if entry.get("source_group_name") and not entry.get("source_group_id"):
            entry = dict(entry, source_group_id=ids.get(entry["source_group_name"]))
        filled.append(entry)
    return filled


def _revoke(client: Any, group_id: str, egress: bool, entries: List[Dict[str, Any]]) -> None:
    """Revoke entries of one group, by rule id where the rule can be found."""
    records = sgapi.describe_group_rules(client, [group_id])
    ids_by_key = {}
    for record in records:
        if bool(record.get("IsEgress")) == egress:
            key, rule_id = sgapi.normalise_rule_record(record)
            ids_by_key.setdefault(key, []).append(rule_id)
    rule_ids, leftovers = [], []
    for entry in entries:
        found = ids_by_key.get(sgapi.rule_key(entry))
        if found:
            rule_ids.extend(found)
        else:
            leftovers.append(entry)
    sgapi.revoke(client, group_id, egress, rule_ids=rule_ids,
                 ip_permissions=sgapi.to_ip_permissions(leftovers, with_description=False))


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """The groups, their rules and tags as listed; ``diff`` before/after are ``{name: group}``."""
    vpc_id, groups, common_tags, check_mode = params["vpc_id"], params["security_groups"], params["tags"], ctx.check_mode
    warnings = []
    names = [g["name"] for g in groups]
    # Every VPC has a default security group, which cannot be deleted (docs/aws-behaviour.md): no
    # group found means no VPC (or one not visible yet), which only then is looked up.
    vpc_groups = sgapi.describe_vpc_groups(client, vpc_id)
    vpc = None if vpc_groups else sgapi.get_vpc(client, vpc_id)
    if not vpc_groups and vpc is None:
        raise sgapi.RuleError(f"VPC {vpc_id} does not exist in this region: create it first or fix vpc_id")

    rules = desired_rules(groups, vpc_groups, vpc_id)  # fails on bad input before any change
    by_name = {g["GroupName"]: g for g in vpc_groups}
    names_by_id = {g["GroupId"]: g["GroupName"] for g in vpc_groups}

    changed = False
    before = {}
    current = {}  # name -> normalised group (as it is now, or as it will be created)
    for group in groups:
        name = group["name"]
        existing = by_name.get(name)
        tags = desired_tags(group, common_tags)
        if existing is not None:
            before[name] = sgapi.normalise_group(existing, names_by_id)
            current[name] = sgapi.normalise_group(existing, names_by_id)
            if existing.get("Description") != group["description"]:
                warnings.append(
                    f"security group {name} ({existing['GroupId']}) has description {existing.get('Description')!r}, "
                    f"not {group['description']!r}: AWS cannot change a group's description in place, so it is kept. "
                    "To apply it, delete and recreate the group (state=absent, then present) or rename the group."
                )
            continue
        changed = True
        create_tags = dict(tags) if tags is not None else {"Name": name}
        vpc = vpc or sgapi.get_vpc(client, vpc_id) or {}  # read only for a group to create: its default egress
        new = {
            "group_id": None, "group_name": name, "description": group["description"], "vpc_id": vpc_id,
            "ingress": [], "egress": sgapi.default_egress(vpc), "tags": create_tags,
        }
        if not check_mode:
            new["group_id"] = sgapi.create_group(client, name, group["description"], vpc_id, create_tags)
            names_by_id[new["group_id"]] = name
        current[name] = new

    if changed and not check_mode:
        # Start the rule comparison of new groups from what AWS gave them (default egress rules).
        fresh = {g["GroupName"]: g for g in sgapi.describe_vpc_groups(client, vpc_id)}
        for group in groups:
            name = group["name"]
            if name not in by_name and name in fresh:
                current[name] = sgapi.normalise_group(fresh[name], names_by_id)

    ids = {name: current[name]["group_id"] for name in names}

    after = {}
    for group in groups:
        name = group["name"]
        state = current[name]
        group_id = state["group_id"]
        result = dict(state)

        # Tags: Name always, the rest through tags/purge_tags.
        tags = desired_tags(group, common_tags)
        if tags is None:
            to_set, to_remove = tag_changes(state["tags"], {"Name": name}, purge=False)
            result["tags"] = merged_tags(state["tags"], {"Name": name}, purge=False)
        else:
            to_set, to_remove = tag_changes(state["tags"], tags, purge=params["purge_tags"])
            result["tags"] = merged_tags(state["tags"], tags, purge=params["purge_tags"])
        if to_set or to_remove:
            changed = True
            if not check_mode:
                if to_set:
                    sgapi.set_tags(client, group_id, to_set)
                if to_remove:
                    sgapi.remove_tags(client, group_id, to_remove)

        for direction, purge in (("ingress", params["purge_rules"]), ("egress", params["purge_rules_egress"])):
            wanted = rules[name][direction]
            if wanted is None:
                continue
            if not check_mode:
                wanted = _fill_source_ids(wanted, ids)
            to_add, to_revoke, to_describe = sgapi.compare_rules(state[direction], wanted, purge)
            result[direction] = sgapi.apply_to_rules(state[direction], to_add, to_revoke, to_describe)
            if not (to_add or to_revoke or to_describe):
                continue
            changed = True
            if check_mode:
                continue
            egress = direction == "egress"
            if to_add:
                sgapi.authorize(client, group_id, egress, sgapi.to_ip_permissions(to_add))
            if to_revoke:
                _revoke(client, group_id, egress, to_revoke)
            if to_describe:
                sgapi.update_descriptions(client, group_id, egress, sgapi.to_ip_permissions(to_describe))
        after[name] = result

    if changed and not check_mode:
        # Return what AWS has now, not what was asked for.
        fresh = {g["GroupName"]: g for g in sgapi.describe_vpc_groups(client, vpc_id)}
        fresh_names = {g["GroupId"]: g["GroupName"] for g in fresh.values()}
        for name in names:
            if name in fresh:
                actual = sgapi.normalise_group(fresh[name], fresh_names)
                warnings.extend(_unapplied_descriptions(name, after[name], actual))
                after[name] = actual
    for warning in warnings:
        ctx.warn(warning)
    result = [after[name] for name in names]
    return base.Outcome(changed, {"security_groups": result, "group_ids": {g["group_name"]: g["group_id"] for g in result}},
                        before=before, after=after)


def _unapplied_descriptions(name: str, expected: Dict[str, Any], actual: Dict[str, Any]) -> List[str]:
    """Warnings for rule descriptions the endpoint did not take (moto, for group sources)."""
    found = []
    for direction in ("ingress", "egress"):
        have = {sgapi.rule_key(e): e.get("description") for e in actual[direction]}
        for entry in expected[direction]:
            key = sgapi.rule_key(entry)
            if key in have and entry.get("description") and have[key] != entry["description"]:
                found.append(
                    f"security group {name}: the endpoint kept description {have[key]!r} of {direction} rule "
                    f"{'/'.join(str(k) for k in key if k is not None)} instead of {entry['description']!r}"
                )
    return found


def absent_outcome(changed: bool, deleted: Dict[str, str], before: Dict[str, Any]) -> base.Outcome:
    return base.Outcome(changed, {"security_groups": [], "group_ids": {}, "deleted_group_ids": deleted}, before=before, after={})


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context, *,
                  clock: Callable[[], float] = time.monotonic) -> base.Outcome:
    """Deletes the listed groups; ``deleted_group_ids`` name -> id, ``diff`` before is ``{name: group}``."""
    vpc_id, wait_timeout, check_mode = params["vpc_id"], params["wait_timeout"], ctx.check_mode
    names = [g["name"] for g in params["security_groups"]]
    vpc_groups = sgapi.describe_vpc_groups(client, vpc_id)
    by_name = {g["GroupName"]: g for g in vpc_groups}
    names_by_id = {g["GroupId"]: g["GroupName"] for g in vpc_groups}
    targets = {name: by_name[name] for name in names if name in by_name}
    if not targets:
        return absent_outcome(False, {}, {})
    before = {name: sgapi.normalise_group(g, names_by_id) for name, g in targets.items()}
    target_ids = {g["GroupId"] for g in targets.values()}

    def interfaces_using() -> Dict[str, List[str]]:
        found = {}
        for eni in sgapi.describe_interfaces_using(client, target_ids):
            for attached in eni.get("Groups") or []:
                if attached.get("GroupId") in target_ids:
                    found.setdefault(attached["GroupId"], []).append(sgapi.describe_interface(eni))
        return found

    in_use = interfaces_using()
    waited_for = 0
    if in_use and not check_mode and wait_timeout > 0:
        # The interfaces of a load balancer, DB, cache, mount target or task deleted a moment ago
        # are released by AWS asynchronously (minutes): wait for them rather than fail.
        ctx.note(
            f"security groups {', '.join(sorted(names_by_id[g] for g in in_use))} are still attached to "
            f"{sum(len(e) for e in in_use.values())} network interface(s); waiting up to {wait_timeout}s for AWS "
            "to release them"
        )
        start = clock()
        if wait_for(lambda: not interfaces_using(), timeout=wait_timeout):
            in_use = {}
        else:
            in_use = interfaces_using()
        waited_for = int(clock() - start)
    if in_use:
        details = "; ".join(
            f"{names_by_id[group_id]} ({group_id}) is attached to {', '.join(enis)}"
            for group_id, enis in sorted(in_use.items())
        )
        after_wait = f" after waiting {waited_for}s" if waited_for else ""
        message = (
            f"cannot delete security groups still in use{after_wait}: {details}. Delete or detach what uses them first "
            "(load balancer, ECS service, RDS instance, cache cluster, EFS mount target, instance), or change "
            "its security groups."
        )
        if not check_mode:
            raise sgapi.RuleError(message)
        # check mode: in a real run an earlier task (the teardown's) deletes what uses them
        ctx.warn(message + " (check mode: assuming an earlier task deletes what uses them)")

    deleted = {name: g["GroupId"] for name, g in targets.items()}
    if check_mode:
        return absent_outcome(True, deleted, before)

    for group in vpc_groups:
        references = sgapi.referencing_entries(group, target_ids)
        for egress in (False, True):
            entries = [entry for is_egress, entry in references if is_egress == egress]
            if entries:
                _revoke(client, group["GroupId"], egress, entries)
    for name in names:
        if name in targets:
            sgapi.delete_group(
                client, targets[name]["GroupId"], timeout=min(max(wait_timeout, 0), sgapi.DEPENDENCY_RETRY_TIMEOUT), note=ctx.note
            )
    return absent_outcome(True, deleted, before)


def main() -> None:
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        security_groups=dict(
            type="list", elements="dict", required=True,
            options=dict(
                name=dict(type="str", required=True),
                description=dict(type="str"),
                ingress=dict(type="list", elements="dict", options=RULE_OPTIONS),
                egress=dict(type="list", elements="dict", options=RULE_OPTIONS),
                tags=dict(type="dict"),
            ),
        ),
        purge_rules=dict(type="bool", default=True),
        purge_rules_egress=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        validate(module.params)
    except sgapi.RuleError as e:
        module.fail_json(msg=str(e))
    client = mark_waits(aws_client(module, "ec2"))
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
