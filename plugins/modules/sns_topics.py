#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sns_topics
short_description: Reconcile a set of standard SNS topics, their subscriptions and tags, in one task
version_added: 0.1.0
description:
  - Creates, updates and deletes a list of standard SNS topics in one call, with their display name,
    server-side encryption key, subscriptions and tags.
  - Fills a gap of the stock module M(community.aws.sns_topic), which manages one topic per task and
    reads it in about eleven sequential calls on a run that changes nothing (C(ListTopics) four
    times, the subscriptions three times, the attributes and the tags twice each); it also fails
    in check mode for a topic it would create ("not owned by this account").
  - Reads with as few calls as possible, side by side. One paginated C(ListTopics) finds every
    listed topic; then, for all the topics that exist at once, C(GetTopicAttributes), the paginated
    C(ListSubscriptionsByTopic) and (only when O(tags) is set) C(ListTagsForResource). A run that
    changes nothing on one topic makes 4 calls, 2 one after the other.
  - Writes only what differs. C(CreateTopic) carries the display name, the key and the tags of a new
    topic; C(SetTopicAttributes), C(Subscribe), C(Unsubscribe), C(TagResource) and C(UntagResource)
    change an existing one; C(DeleteTopic) deletes a topic with its subscriptions.
  - FIFO topics are not managed; a name ending in C(.fifo) is refused.
  - All input is validated before any API call, and every problem is reported at once.
author:
  - Apranova platform team (!UNKNOWN)
options:
  topics:
    description:
      - The topics. With O(state=present) each is created or updated to match; with O(state=absent)
        the topics with these names are deleted, their subscriptions with them (only
        O(topics[].name) is used).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Topic name, unique in the list, of 1 to 256 letters, digits, hyphens and underscores.
          - A topic of this account and region is found by this name.
        type: str
        required: true
      display_name:
        description:
          - The sender name of the topic's e-mail notifications (and the SMS prefix).
          - Unset leaves the current display name alone (none for a new topic).
        type: str
      kms_master_key_id:
        description:
          - The KMS key (id, ARN, alias such as V(alias/aws/sns), or alias ARN) that encrypts the
            topic's messages at rest (server-side encryption).
          - V("") turns server-side encryption off (sent as an empty C(KmsMasterKeyId)).
          - Unset leaves the current setting alone (a new topic is not encrypted).
          - The key is not checked when it is set; publishing fails if it cannot be used.
        type: str
      subscriptions:
        description:
          - The topic's subscriptions. Each is subscribed unless one with the same protocol and
            endpoint exists (confirmed or pending confirmation).
          - Unset leaves the subscriptions alone.
        type: list
        elements: dict
        suboptions:
          protocol:
            description: How messages are delivered.
            type: str
            required: true
            choices: [http, https, email, email-json, sms, sqs, application, lambda, firehose]
          endpoint:
            description:
              - Where they are delivered, by protocol; an e-mail address, a URL, a phone number
                (E.164; other characters are dropped, as AWS does), or the ARN of a queue, function,
                delivery stream or mobile endpoint.
            type: str
            required: true
      purge_subscriptions:
        description:
          - Unsubscribe the subscriptions of the topic that O(topics[].subscriptions) does not list.
          - A subscription still pending confirmation has no ARN, so C(Unsubscribe) cannot name it;
            it is left alone with a warning, and AWS deletes it 48 hours after it was made unless
            its owner confirms it.
          - Has no effect when O(topics[].subscriptions) is unset.
        type: bool
        default: true
  state:
    description: Whether the listed topics should exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - In check mode nothing is changed; the RV(topics[].arn) of a topic that would be created is null,
    and so is the RV(topics[].subscriptions[].arn) of a subscription that would be made.
  - E-mail and HTTP/S subscriptions wait for their owner's confirmation (RV(topics[].subscriptions[].pending_confirmation)).
    The moto emulator confirms every subscription at once.
  - Subscription attributes (filter policies, raw delivery) and topic policies are not managed; use
    M(community.aws.sns_topic) for those.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the alarm topic with one e-mail subscriber
  apranova.aws_stack.sns_topics:
    topics:
      - name: production-alarms
        display_name: production alarms
        subscriptions:
          - protocol: email
            endpoint: ops@example.com
    tags:
      Project: apranova
  register: alarm_topic

- name: Use its ARN
  ansible.builtin.debug:
    msg: "{{ alarm_topic.topic.arn }}"

- name: Two topics, one encrypted with the AWS managed key; leave the subscriptions of the second alone
  apranova.aws_stack.sns_topics:
    topics:
      - name: production-alarms
        kms_master_key_id: alias/aws/sns
        subscriptions:
          - {protocol: email, endpoint: ops@example.com}
          - {protocol: sms, endpoint: "+1 555 0100"}
      - name: production-deployments
        display_name: deployments

- name: Delete both topics and their subscriptions
  apranova.aws_stack.sns_topics:
    state: absent
    topics:
      - name: production-alarms
      - name: production-deployments
"""

RETURN = r"""
topics:
  description:
    - The listed topics in input order, as they are after the run (as they would be, in check mode).
    - Empty when O(state=absent).
    - With C(--diff), the sides of C(diff) hold the topics that changed in this shape, keyed by
      topic name (a deleted topic only before the run, with its name and ARN).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Topic name.
      returned: always
      type: str
      sample: production-alarms
    arn:
      description: Topic ARN; null for a topic that check mode would create.
      returned: always
      type: str
      sample: arn:aws:sns:us-east-1:123456789012:production-alarms
    display_name:
      description: Display name (empty when it has none).
      returned: always
      type: str
      sample: production alarms
    kms_master_key_id:
      description: The KMS key of server-side encryption, null when the topic is not encrypted.
      returned: always
      type: str
      sample: alias/aws/sns
    subscriptions:
      description: The topic's subscriptions, sorted by protocol and endpoint (not those another account deleted).
      returned: always
      type: list
      elements: dict
      contains:
        protocol:
          description: Protocol.
          returned: always
          type: str
          sample: email
        endpoint:
          description: Endpoint.
          returned: always
          type: str
          sample: ops@example.com
        arn:
          description: Subscription ARN; null while it is pending confirmation, and for one check mode would make.
          returned: always
          type: str
          sample: arn:aws:sns:us-east-1:123456789012:production-alarms:0b5c3a0e-8f3e-4b8e-9f57-1f3c2a6d9e10
        pending_confirmation:
          description: Whether the subscription waits for its owner's confirmation (in check mode, whether it would).
          returned: always
          type: bool
          sample: false
    tags:
      description: Tags of the topic (without C(aws:) tags).
      returned: when O(tags) is set
      type: dict
      sample: {"Project": "apranova"}
topic:
  description: The one topic, as in RV(topics), when O(topics) lists exactly one and O(state=present).
  returned: when O(topics) lists one topic and O(state=present)
  type: dict
  sample: {"name": "production-alarms", "arn": "arn:aws:sns:us-east-1:123456789012:production-alarms",
           "display_name": "production alarms", "kms_master_key_id": null, "subscriptions": [], "tags": {}}
deleted_topics:
  description: Names of the topics deleted (that would be deleted, in check mode), in input order.
  returned: always
  type: list
  elements: str
  sample: ["production-deployments"]
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

import copy
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import sns


def _new_subscription(protocol: str, endpoint: str, answer: Optional[str]) -> dict:
    """A subscription just made (``answer``: Subscribe's answer; ``None`` in check mode)."""
    if answer is None:
        pending = protocol in sns.CONFIRMED_BY_OWNER
        arn = None
    else:
        pending = not answer.startswith("arn:")
        arn = None if pending else answer
    return {"protocol": protocol, "endpoint": endpoint, "arn": arn, "pending_confirmation": pending}


def _sorted_subscriptions(subscriptions: List[dict]) -> List[dict]:
    return sorted(subscriptions, key=lambda s: (s["protocol"] or "", s["endpoint"] or ""))


def _reconcile_subscriptions(client: Any, arn: Optional[str], name: str, current: List[dict], spec: dict,
                             ctx: base.Context) -> Tuple[bool, List[dict]]:
    """Subscribe what is missing, unsubscribe what is not listed (with purge); ``(changed, after)``."""
    wanted = spec.get("subscriptions")
    if wanted is None:
        return False, current
    desired = [sns.subscription_key(s["protocol"], s["endpoint"]) for s in wanted]
    have = {(s["protocol"], s["endpoint"]): s for s in current}
    changed = False
    after = []
    for key, sub in have.items():
        if key in desired or not spec.get("purge_subscriptions", True):
            after.append(sub)
        elif sub["pending_confirmation"]:
            ctx.warn(f"topic {name}: the subscription {key[0]}:{key[1]} is not listed, but it is pending confirmation: "
                     "it has no ARN, so it cannot be unsubscribed. AWS deletes it 48 hours after it was made unless "
                     "its owner confirms it; run again after that, or after the confirmation, to remove it.")
            after.append(sub)
        else:
            changed = True
            if not ctx.check_mode:
                sns.unsubscribe(client, sub["arn"])
    for protocol, endpoint in desired:
        if (protocol, endpoint) in have:
            continue
        changed = True
        answer = None if ctx.check_mode else sns.subscribe(client, arn, protocol, endpoint)
        after.append(_new_subscription(protocol, endpoint, answer))
    return changed, _sorted_subscriptions(after)


def _reconcile_tags(client: Any, arn: Optional[str], current: Dict[str, str], tags: Optional[dict], purge: bool,
                    check_mode: bool) -> Tuple[bool, Optional[Dict[str, str]]]:
    if tags is None:
        return False, None
    to_set, to_remove = base.tag_changes(current, tags, purge)
    after = base.merged_tags(current, tags, purge)
    if not (to_set or to_remove):
        return False, after
    if not check_mode:
        if to_remove:
            sns.untag_topic(client, arn, to_remove)
        if to_set:
            sns.tag_topic(client, arn, to_set)
    return True, after


def create(client: Any, spec: dict, tags: Optional[dict], ctx: base.Context) -> dict:
    """Create one topic with its attributes, tags and subscriptions; returns it as after the run."""
    name = spec["name"]
    display_name, key = spec.get("display_name"), spec.get("kms_master_key_id")
    attributes = {}
    if display_name:
        attributes["DisplayName"] = display_name
    if key:
        attributes["KmsMasterKeyId"] = key
    desired_tags = base.merged_tags({}, tags) if tags is not None else None
    arn = None if ctx.check_mode else sns.create_topic(client, name, attributes, desired_tags)
    topic = {"name": name, "arn": arn, "display_name": display_name or "", "kms_master_key_id": key or None}
    topic["subscriptions"] = _reconcile_subscriptions(client, arn, name, [], spec, ctx)[1]
    if tags is not None:
        topic["tags"] = desired_tags
    return topic


def update(client: Any, current: dict, spec: dict, tags: Optional[dict], purge_tags: bool,
           ctx: base.Context) -> Tuple[bool, dict]:
    """Bring one existing topic to ``spec``; ``(changed, the topic after the run)``."""
    arn, name = current["arn"], current["name"]
    after = copy.deepcopy(current)
    changed = False
    display_name, key = spec.get("display_name"), spec.get("kms_master_key_id")
    if display_name is not None and display_name != current["display_name"]:
        changed = True
        after["display_name"] = display_name
        if not ctx.check_mode:
            sns.set_topic_attribute(client, arn, "DisplayName", display_name)
    if key is not None and (key or None) != current["kms_master_key_id"]:
        changed = True
        after["kms_master_key_id"] = key or None
        if not ctx.check_mode:
            sns.set_topic_attribute(client, arn, "KmsMasterKeyId", key)
    subs_changed, after["subscriptions"] = _reconcile_subscriptions(client, arn, name, current["subscriptions"], spec, ctx)
    tags_changed, tags_after = _reconcile_tags(client, arn, current.get("tags") or {}, tags, purge_tags, ctx.check_mode)
    if tags is not None:
        after["tags"] = tags_after
    return changed or subs_changed or tags_changed, after


def current_topics(client: Any, names: List[str], with_tags: bool) -> Dict[str, dict]:
    """Name -> the normalised topic, for the listed topics that exist (one ListTopics, then every
    topic's reads side by side)."""
    arns = sns.find_topics(client, names)
    read = sns.read_topics(client, arns, with_tags)
    return {
        name: sns.normalize_topic(arns[name], got["attributes"], sns.live_subscriptions(got["subscriptions"]), got["tags"])
        for name, got in read.items() if got is not None
    }


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create or update the listed topics. ``topics``: each after the run; ``topic``: the one topic
    when one is listed. The diff sides hold the topics that changed, keyed by name."""
    specs, tags, purge_tags = params["topics"], params["tags"], params["purge_tags"]
    names = [spec["name"] for spec in specs]
    current = current_topics(client, names, tags is not None)
    results, before, after = [], {}, {}
    for spec in specs:
        name = spec["name"]
        if name not in current:
            topic = create(client, spec, tags, ctx)
            after[name] = topic
        else:
            changed, topic = update(client, current[name], spec, tags, purge_tags, ctx)
            if changed:
                before[name], after[name] = current[name], topic
        results.append(topic)
    result: Dict[str, Any] = {"topics": results, "deleted_topics": []}
    if len(results) == 1:
        result["topic"] = results[0]
    return base.Outcome(bool(after), result, before=before, after=after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete the listed topics that exist (one ListTopics, then one DeleteTopic each)."""
    names = [spec["name"] for spec in params["topics"]]
    arns = sns.find_topics(client, names)
    deleted = [name for name in dict.fromkeys(names) if name in arns]
    if not ctx.check_mode:
        for name in deleted:
            sns.delete_topic(client, arns[name])
    before = {name: {"name": name, "arn": arns[name]} for name in deleted}
    return base.Outcome(bool(deleted), {"topics": [], "deleted_topics": deleted}, before=before, after={})


def main() -> None:
    subscription_spec = dict(
        protocol=dict(type="str", required=True, choices=list(sns.PROTOCOLS)),
        endpoint=dict(type="str", required=True),
    )
    topic_spec = dict(
        name=dict(type="str", required=True),
        display_name=dict(type="str"),
        kms_master_key_id=dict(type="str", no_log=False),
        subscriptions=dict(type="list", elements="dict", options=subscription_spec),
        purge_subscriptions=dict(type="bool", default=True),
    )
    argument_spec = dict(
        topics=dict(type="list", elements="dict", default=[], options=topic_spec),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    errors = sns.validate_topics(params["topics"], params["state"])
    if errors:
        module.fail_json(msg="Invalid topic definitions: " + " ".join(errors), errors=errors)

    client = base.aws_client(module, "sns", sns.RETRY_CODES)
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
