#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cloudwatchlogs_log_groups
short_description: Reconcile a list of CloudWatch Logs groups in one task
version_added: 0.1.0
description:
  - Creates, updates and deletes a list of Amazon CloudWatch Logs log groups in one call - their
    retention period, KMS key and tags.
  - Fills this gap of M(amazon.aws.cloudwatchlogs_log_group) - it takes one task per log group, and
    its calls for several groups are made one after the other.
  - Reads each listed group with one C(DescribeLogGroups) (its name as C(logGroupNamePrefix), the
    exact name matched in the answer), all side by side; then, when tags are managed, the tags of
    each existing group with one C(ListTagsForResource), side by side. A rerun for two groups that
    changes nothing makes four calls, two at a time.
  - An option left unset leaves that attribute of an existing group alone, and a new group gets
    AWS's default for it (no expiry, no KMS key, no tags).
  - All input is validated before any API call, and every problem is reported at once.
author:
  - Apranova platform team (!UNKNOWN)
options:
  log_groups:
    description:
      - The log groups. With O(state=present) each is created or updated to match; with
        O(state=absent) the groups with these names are deleted, with their log events (only
        O(log_groups[].name) is used).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the log group, unique in the list, for example V(/ecs/backend) (1 to 512 letters,
            digits and C(.), C(-), C(_), C(/), C(#); not starting with C(aws/)).
        type: str
        required: true
      retention:
        description:
          - How many days the log events are kept - one of the periods CloudWatch Logs accepts (V(1),
            V(3), V(5), V(7), V(14), V(30), V(60), V(90), V(120), V(150), V(180), V(365), V(400), V(545),
            V(731), V(1096), V(1827), V(2192), V(2557), V(2922), V(3288), V(3653)); a number given as a
            string is accepted.
          - V(0) or V(never) keeps them for ever (the group's retention policy is removed).
          - Unset leaves the retention of an existing group alone (no expiry for a new one).
        type: raw
      kms_key_id:
        description:
          - ARN of the KMS key that encrypts the group's log data (CloudWatch Logs takes the key's ARN,
            not an alias or a bare key id). A new group is created with it; an existing group with
            another key, or none, gets this one (C(AssociateKmsKey)).
          - An empty string takes the key off an existing group (C(DisassociateKmsKey)).
          - Unset leaves the key of an existing group alone (none for a new one).
          - The key policy must let CloudWatch Logs use the key, or AWS refuses the call.
        type: str
      tags:
        description:
          - Tags of this group only, on top of O(tags) (a key in both takes this value). Setting
            them makes the group's tags managed, with O(purge_tags).
        type: dict
  state:
    description: Whether the listed log groups should exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - O(tags) apply to every listed group; with O(log_groups[].tags) they are the group's tags. When
    either is set, the tags of each existing group are read (one C(ListTagsForResource) per group)
    and brought to them; when neither is, the tags are neither read nor changed.
  - The tagging calls name the group by its ARN without the trailing C(:*) (CloudWatch Logs API,
    C(ListTagsForResource)).
  - In check mode nothing is changed; the RV(log_groups[].arn) of a group that would be created is null.
  - When an account-level retention policy applies to a group, AWS reports that policy's period as
    the group's; the comparison uses what AWS reports.
  - The log group class, deletion protection, subscription filters and metric filters are not managed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the services' log groups, kept 30 days, tagged per service
  apranova.aws_stack.cloudwatchlogs_log_groups:
    log_groups:
      - name: /ecs/backend
        retention: 30
        tags: {Service: backend}
      - name: /ecs/frontend
        retention: 30
        kms_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
        tags: {Service: frontend}
    tags:
      Project: apranova
    purge_tags: true

- name: Keep the audit log for ever, leave its tags and key alone
  apranova.aws_stack.cloudwatchlogs_log_groups:
    log_groups:
      - name: /apranova/audit
        retention: never

- name: Delete two log groups and their events
  apranova.aws_stack.cloudwatchlogs_log_groups:
    state: absent
    log_groups:
      - name: /ecs/backend
      - name: /ecs/frontend
"""

RETURN = r"""
log_groups:
  description:
    - The listed log groups in input order, as they are after the run (as they would be, in check mode).
    - Empty when O(state=absent).
    - With C(--diff), the sides of C(diff) hold the groups that changed in this shape, keyed by name
      (a deleted group only before the run).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Log group name.
      returned: always
      type: str
      sample: /ecs/backend
    arn:
      description: Log group ARN, without the trailing C(:*); null for a group that check mode would create.
      returned: always
      type: str
      sample: arn:aws:logs:us-east-1:123456789012:log-group:/ecs/backend
    retention_in_days:
      description: Days the log events are kept; null for no expiry.
      returned: always
      type: int
      sample: 30
    kms_key_id:
      description: ARN of the KMS key of the group; null for none.
      returned: always
      type: str
      sample: null
    stored_bytes:
      description:
        - Bytes of log data the group stores, as C(DescribeLogGroups) reported it when the module read
          the group; V(0) for a group that check mode would create.
      returned: always
      type: int
      sample: 1048576
    tags:
      description: Tags of the group.
      returned: when O(tags) or O(log_groups[].tags) is set
      type: dict
      sample: {"Project": "apranova", "Service": "backend"}
deleted_log_groups:
  description: Names of the log groups deleted (that would be deleted, in check mode), in input order.
  returned: always
  type: list
  elements: str
  sample: ["/ecs/old"]
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

from typing import Any, Callable, Dict, List, Optional

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import logs
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes


def desired_tags(spec: Dict[str, Any], tags: Optional[dict]) -> Optional[Dict[str, Any]]:
    """The tags one group should have: the module's ``tags`` with the group's own on top; ``None``
    (leave the tags alone) when neither is set."""
    own = spec.get("tags")
    if tags is None and own is None:
        return None
    out = dict(tags or {})
    out.update(own or {})
    return out


def _public(group: dict, tags: Optional[dict]) -> dict:
    out = dict(group)
    if tags is not None:
        out["tags"] = tags
    return out


def _read_tags(client: Any, found: Dict[str, dict], wants: Dict[str, Optional[dict]]) -> Dict[str, dict]:
    """The tags of every existing group whose tags are managed, read side by side."""
    names = [name for name in found if wants[name] is not None]
    tags = base.concurrently([(lambda arn=logs.arn_of(found[name]): logs.list_tags(client, arn)) for name in names])
    return dict(zip(names, tags))


def _create(client: Any, name: str, retention: Any, kms_key_id: Optional[str], tags: Optional[dict],
            ctx: base.Context) -> dict:
    """Create one group (or, check mode, say what it would be) and give it its retention."""
    if ctx.check_mode:  # a new group stores nothing yet
        return {"name": name, "arn": None, "retention_in_days": retention or None, "kms_key_id": kms_key_id or None,
                "stored_bytes": 0}
    created = logs.create_log_group(client, name, kms_key_id or None, tags)
    if retention:
        logs.put_retention(client, name, retention, just_created=True, note=ctx.note)
    group = logs.describe_log_group(client, name)
    if group is None:
        return {"name": name, "arn": None, "retention_in_days": retention or None, "kms_key_id": kms_key_id or None,
                "stored_bytes": None}
    if not created and tags:
        # a retry after a lost answer found the group its first try made: the tags are given anyway
        logs.tag_log_group(client, logs.arn_of(group), tags)
    return logs.normalize_log_group(group)


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create the listed groups that do not exist, bring the others' set options to their value.

    ``log_groups``: the listed groups after the run; ``deleted_log_groups``: ``[]``. The diff sides
    hold the groups that changed, keyed by name.
    """
    specs, tags, purge_tags = params["log_groups"], params["tags"], params["purge_tags"]
    names = [spec["name"] for spec in specs]
    retentions = {spec["name"]: logs.parse_retention(spec.get("retention")) for spec in specs}
    keys = {spec["name"]: spec.get("kms_key_id") for spec in specs}
    wants = {spec["name"]: desired_tags(spec, tags) for spec in specs}
    found = logs.find_log_groups(client, names)
    current_tags = _read_tags(client, found, wants)

    results, before, after = [], {}, {}
    for name in names:
        want_tags, retention, key = wants[name], retentions[name], keys[name]
        if name not in found:
            new_tags = merged_tags({}, want_tags, purge_tags) if want_tags is not None else None
            after[name] = _public(_create(client, name, retention, key, new_tags, ctx), new_tags)
            results.append(after[name])
            continue

        was = logs.normalize_log_group(found[name])
        now = dict(was)
        actions: List[Callable[[], Any]] = []
        if retention is not None and retention != (was["retention_in_days"] or 0):
            now["retention_in_days"] = retention or None
            if retention:
                actions.append(lambda name=name, days=retention: logs.put_retention(client, name, days))
            else:
                actions.append(lambda name=name: logs.delete_retention(client, name))
        if key is not None and key != (was["kms_key_id"] or ""):
            now["kms_key_id"] = key or None
            if key:
                actions.append(lambda name=name, key=key: logs.associate_kms_key(client, name, key))
            else:
                actions.append(lambda name=name: logs.disassociate_kms_key(client, name))
        old_tags = new_tags = None
        if want_tags is not None:
            old_tags = current_tags.get(name, {})
            to_set, to_remove = tag_changes(old_tags, want_tags, purge_tags)
            new_tags = merged_tags(old_tags, want_tags, purge_tags)
            arn = was["arn"]
            if to_remove:
                actions.append(lambda arn=arn, keys=to_remove: logs.untag_log_group(client, arn, keys))
            if to_set:
                actions.append(lambda arn=arn, values=to_set: logs.tag_log_group(client, arn, values))
        result = _public(now, new_tags)
        results.append(result)
        if actions:
            before[name] = _public(was, old_tags)
            after[name] = result
            if not ctx.check_mode:
                for action in actions:
                    action()

    return base.Outcome(bool(after), {"log_groups": results, "deleted_log_groups": []}, before=before, after=after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete the listed groups that exist (``log_groups``: ``[]``)."""
    names = [spec["name"] for spec in params["log_groups"]]
    found = logs.find_log_groups(client, names)
    to_delete = [name for name in names if name in found]
    if not ctx.check_mode:
        for name in to_delete:
            logs.delete_log_group(client, name)
    before = {name: logs.normalize_log_group(found[name]) for name in to_delete}
    return base.Outcome(bool(to_delete), {"log_groups": [], "deleted_log_groups": to_delete}, before=before, after={})


def main() -> None:
    log_group_spec = dict(
        name=dict(type="str", required=True),
        retention=dict(type="raw"),
        kms_key_id=dict(type="str", no_log=False),  # a key ARN, not a secret
        tags=dict(type="dict"),
    )
    argument_spec = dict(
        log_groups=dict(type="list", elements="dict", required=True, options=log_group_spec),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    errors = logs.validate_log_groups(module.params["log_groups"], module.params["state"])
    for key in (module.params["tags"] or {}):
        if str(key).startswith("aws:"):
            errors.append("tags: tag %r: the aws: prefix is reserved for AWS." % key)
    if errors:
        module.fail_json(msg="Invalid log groups: " + " ".join(errors), errors=errors)

    client = aws_client(module, "logs")
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
