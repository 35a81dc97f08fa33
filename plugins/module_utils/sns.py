# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SNS API layer: standard topics, their subscriptions and tags, read as a set.

Every boto3 call of the ``sns`` service made by this collection's own modules lives here, with
``aws_retry=True`` (or ``base.paginate``, the paginator walk under the same retry policy), "not
found" turned into ``None``, and the normalisers that turn AWS shapes into the snake_case dicts
the modules compare and return. Validation and comparison helpers are pure functions, tested
offline.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import concurrently
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

# Retried besides the transient answers (SNS API doc): ConcurrentAccess "Can't perform multiple
# operations on a tag simultaneously. Perform the operations sequentially."; StaleTag "A tag has been
# added to a resource with the same ARN as a deleted resource. Wait a short while and then retry"
# (a topic created again right after the teardown deleted it).
RETRY_CODES = ("ConcurrentAccess", "StaleTag")

# Subscribe's protocols (SNS API doc: SubscribeInput.Protocol).
PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
# Protocols whose subscriptions wait for the endpoint owner's ConfirmSubscription (SNS API doc:
# Subscribe, "If the endpoint type is HTTP/S or email ... the endpoint owner must run the
# ConfirmSubscription action"); a cross-account endpoint waits too, which a module cannot tell.
CONFIRMED_BY_OWNER = ("http", "https", "email", "email-json")
# What ListSubscriptionsByTopic shows instead of an ARN: a subscription not confirmed yet (it has no
# ARN, so Unsubscribe cannot name it; AWS deletes it 48 hours after it was made unless it is
# confirmed) and one deleted by another account (gone after 72 hours). See docs/aws-behaviour.md.
PENDING = "PendingConfirmation"
DELETED = "Deleted"
# Subscribe's answer for a subscription that needs confirmation, without ReturnSubscriptionArn.
PENDING_ANSWER = "pending confirmation"

# CreateTopicInput.Name: 1 to 256 letters, digits, hyphens and underscores (".fifo" for FIFO topics).
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class AnsibleSNSError(AnsibleAWSError):
    pass


SNSErrorHandler = error_handler(AnsibleSNSError, ["NotFound", "ResourceNotFound"])


# ---------------------------------------------------------------------------------------------
# API calls
# ---------------------------------------------------------------------------------------------


@SNSErrorHandler.common_error_handler("list the topics")
def list_topic_arns(client: Any) -> List[str]:
    """The ARN of every topic of the account in the client's region: one paginated ListTopics."""
    return [t["TopicArn"] for t in paginate(client, "list_topics").get("Topics", [])]


@SNSErrorHandler.list_error_handler("get the attributes of topic {arn}")
def get_topic_attributes(client: Any, arn: str) -> Optional[Dict[str, str]]:
    return client.get_topic_attributes(aws_retry=True, TopicArn=arn).get("Attributes") or {}


@SNSErrorHandler.list_error_handler("list the subscriptions of topic {arn}")
def list_subscriptions(client: Any, arn: str) -> Optional[List[dict]]:
    return paginate(client, "list_subscriptions_by_topic", TopicArn=arn).get("Subscriptions", [])


@SNSErrorHandler.list_error_handler("list the tags of topic {arn}")
def list_topic_tags(client: Any, arn: str) -> Optional[Dict[str, str]]:
    return tags_to_dict(client.list_tags_for_resource(aws_retry=True, ResourceArn=arn).get("Tags"))


@SNSErrorHandler.common_error_handler("create topic {name}")
def create_topic(client: Any, name: str, attributes: Dict[str, str], tags: Optional[Dict[str, str]]) -> str:
    """CreateTopic; returns the new topic's ARN. CreateTopic is idempotent by name (SNS API doc:
    CreateTopic), so a retry after a lost reply answers the same topic."""
    params: Dict[str, Any] = {"Name": name}
    if attributes:
        params["Attributes"] = dict(attributes)
    if tags:
        params["Tags"] = dict_to_tags(tags)
    return client.create_topic(aws_retry=True, **params)["TopicArn"]


@SNSErrorHandler.common_error_handler("set {name} of topic {arn}")
def set_topic_attribute(client: Any, arn: str, name: str, value: str) -> bool:
    client.set_topic_attributes(aws_retry=True, TopicArn=arn, AttributeName=name, AttributeValue=value)
    return True


@SNSErrorHandler.common_error_handler("subscribe {protocol}:{endpoint} to topic {arn}")
def subscribe(client: Any, arn: str, protocol: str, endpoint: str) -> str:
    """Subscribe; returns the subscription's ARN, or ``PENDING_ANSWER`` while it awaits confirmation."""
    return client.subscribe(aws_retry=True, TopicArn=arn, Protocol=protocol, Endpoint=endpoint).get("SubscriptionArn") or PENDING_ANSWER


@SNSErrorHandler.deletion_error_handler("unsubscribe {subscription_arn}")
def unsubscribe(client: Any, subscription_arn: str) -> bool:
    client.unsubscribe(aws_retry=True, SubscriptionArn=subscription_arn)
    return True


@SNSErrorHandler.common_error_handler("tag topic {arn}")
def tag_topic(client: Any, arn: str, tags: Dict[str, str]) -> bool:
    client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=dict_to_tags(tags))
    return True


@SNSErrorHandler.common_error_handler("untag topic {arn}")
def untag_topic(client: Any, arn: str, keys: Iterable[str]) -> bool:
    client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=list(keys))
    return True


@SNSErrorHandler.deletion_error_handler("delete topic {arn}")
def delete_topic(client: Any, arn: str) -> bool:
    """DeleteTopic, which deletes the topic's subscriptions too and is idempotent (SNS API doc)."""
    client.delete_topic(aws_retry=True, TopicArn=arn)
    return True


def topic_name_of(arn: str) -> str:
    """The name in a topic ARN (``arn:aws:sns:<region>:<account>:<name>``; names hold no colon)."""
    return arn.rsplit(":", 1)[-1]


def find_topics(client: Any, names: Iterable[str]) -> Dict[str, str]:
    """Name -> ARN of the ``names`` that exist: one ListTopics walk for all of them."""
    wanted = set(names)
    if not wanted:
        return {}
    return {topic_name_of(arn): arn for arn in list_topic_arns(client) if topic_name_of(arn) in wanted}


def read_topics(client: Any, arns: Dict[str, str], with_tags: bool) -> Dict[str, Optional[dict]]:
    """Name -> ``{"attributes", "subscriptions", "tags"}`` of each topic of ``arns`` (name -> ARN).

    Every read of every topic at once (``base.concurrently``): GetTopicAttributes, the
    ListSubscriptionsByTopic walk and, with ``with_tags``, ListTagsForResource, none of which depends
    on another. A topic that vanished since it was listed reads as ``None``.
    """
    names = list(arns)
    per_topic = 3 if with_tags else 2
    calls = []
    for name in names:
        arn = arns[name]
        calls.append(lambda arn=arn: get_topic_attributes(client, arn))
        calls.append(lambda arn=arn: list_subscriptions(client, arn))
        if with_tags:
            calls.append(lambda arn=arn: list_topic_tags(client, arn))
    answers = concurrently(calls)
    out: Dict[str, Optional[dict]] = {}
    for index, name in enumerate(names):
        attributes, subscriptions, *tags = answers[index * per_topic:(index + 1) * per_topic]
        if attributes is None or subscriptions is None or (with_tags and tags[0] is None):
            out[name] = None
            continue
        out[name] = {"attributes": attributes, "subscriptions": subscriptions, "tags": tags[0] if with_tags else None}
    return out


# ---------------------------------------------------------------------------------------------
# Validation, normalisation, comparison (no API calls)
# ---------------------------------------------------------------------------------------------


def canonical_endpoint(protocol: str, endpoint: str) -> str:
    """The endpoint as AWS stores it: an SMS number keeps only its digits and ``+`` (E.164)."""
    if protocol == "sms":
        return re.sub(r"[^0-9+]", "", endpoint)
    return endpoint


def subscription_key(protocol: str, endpoint: str) -> Tuple[str, str]:
    return (protocol, canonical_endpoint(protocol, endpoint))


def validate_topics(topics: Optional[List[dict]], state: str) -> List[str]:
    """Every problem with the module's input, as messages that say what to change (before any API call)."""
    errors = []
    seen: Dict[str, int] = {}
    for index, topic in enumerate(topics or []):
        name = topic.get("name")
        where = f"topics[{index}]" + (f" ({name})" if name else "")
        if not name:
            errors.append(f"{where}: name is required and must not be empty.")
            continue
        if name.endswith(".fifo"):
            errors.append(f"{where}: {name!r} names a FIFO topic; this module manages standard topics only "
                          "(use community.aws.sns_topic with topic_type=fifo), or drop the .fifo suffix.")
        elif name.startswith("arn:"):
            errors.append(f"{where}: name takes the topic's name, not its ARN ({name.rsplit(':', 1)[-1]!r}).")
        elif not _TOPIC_NAME.match(name):
            errors.append(f"{where}: name {name!r} is not a valid topic name: use 1 to 256 letters, digits, "
                          "hyphens (-) and underscores (_).")
        if name in seen:
            errors.append(f"{where}: the name {name!r} is already used by topics[{seen[name]}]; topic names must be unique.")
        else:
            seen[name] = index
        if state != "present":
            continue
        listed: Dict[Tuple[str, str], int] = {}
        for sub_index, sub in enumerate(topic.get("subscriptions") or []):
            protocol, endpoint = sub.get("protocol"), sub.get("endpoint")
            sub_where = f"{where}.subscriptions[{sub_index}]"
            if protocol not in PROTOCOLS:
                errors.append(f"{sub_where}: protocol {protocol!r} is not valid; use one of {', '.join(PROTOCOLS)}.")
                continue
            if not endpoint or not canonical_endpoint(protocol, endpoint):
                errors.append(f"{sub_where}: endpoint is required and must not be empty.")
                continue
            key = subscription_key(protocol, endpoint)
            if key in listed:
                errors.append(f"{sub_where}: {protocol}:{endpoint} is already listed as subscriptions[{listed[key]}].")
            else:
                listed[key] = sub_index
    return errors


def normalize_subscription(raw: dict) -> dict:
    """A ListSubscriptionsByTopic entry -> ``{protocol, endpoint, arn, pending_confirmation}``."""
    arn = raw.get("SubscriptionArn")
    pending = arn == PENDING
    return {
        "protocol": raw.get("Protocol"),
        "endpoint": raw.get("Endpoint"),
        "arn": None if pending else arn,
        "pending_confirmation": pending,
    }


def live_subscriptions(raw_list: Optional[List[dict]]) -> List[dict]:
    """The topic's subscriptions, normalised, without those deleted by another account (``Deleted``:
    no longer delivered to, not ours to unsubscribe), sorted by protocol and endpoint."""
    subs = [normalize_subscription(s) for s in raw_list or [] if s.get("SubscriptionArn") != DELETED]
    return sorted(subs, key=lambda s: (s["protocol"] or "", s["endpoint"] or ""))


def normalize_topic(arn: str, attributes: Dict[str, str], subscriptions: List[dict], tags: Optional[Dict[str, str]]) -> dict:
    """What the module returns and compares for one topic. ``kms_master_key_id`` is ``None``
    when the topic is not encrypted (GetTopicAttributes leaves the attribute out, or empty)."""
    topic = {
        "name": topic_name_of(arn),
        "arn": arn,
        "display_name": attributes.get("DisplayName") or "",
        "kms_master_key_id": attributes.get("KmsMasterKeyId") or None,
        "subscriptions": subscriptions,
    }
    if tags is not None:
        topic["tags"] = dict(tags)
    return topic
