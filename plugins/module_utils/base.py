# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by every module of apranova.aws_stack.

Service-specific API layers (``ec2.py``, ``efs.py`` ...) build on these; a module
never talks to boto3 without going through one of them.
"""

from __future__ import annotations

import time

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

# Throttling and unavailability codes of the services this collection calls that AWSRetry's own
# list (RequestLimitExceeded, Unavailable, ServiceUnavailable, InternalFailure, InternalError,
# TooManyRequestsException, Throttling) does not name. botocore's service models: EFS declares
# ThrottlingException and TooManyRequests, CloudWatch Logs ThrottlingException and
# ServiceUnavailableException; ECS answers "Rate exceeded" as ThrottlingException without modelling
# it (botocore retries/standard.py retries ThrottlingException for every service). A service's own
# refusals that pass with time (a dependency still being created or released) are not here: its API
# layer names them (efs.RETRY_CODES, elasticache.RETRY_CODES).
EXTRA_RETRY_CODES = [
    "ThrottlingException",
    "TooManyRequests",
    "ServiceUnavailableException",
]


class StackRetry(AWSRetry):
    """AWSRetry, except that an HTTP 501 is final: "not implemented" does not pass with time.

    An emulator answers 501 (code InternalFailure) for a service it does not serve; retrying it
    ten times with backoff only delays the answer by minutes.
    """

    @staticmethod
    def status_code_from_exception(error):
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 501:
            return "NotImplemented"
        return AWSRetry.status_code_from_exception(error)


def retry_decorator(extra_codes=None):
    """The retry policy every client of this collection uses: jittered exponential backoff."""
    codes = list(EXTRA_RETRY_CODES)
    codes.extend(extra_codes or [])
    return StackRetry.jittered_backoff(retries=10, delay=1, max_delay=20, catch_extra_error_codes=codes)


def paginate(client, operation, **params):
    """The full result of a paginated ``operation`` (botocore's paginator), pages retried too.

    ``client.get_paginator(...)`` bypasses the ``aws_retry=True`` wrapper of the client that
    ``module.client(..., retry_decorator=...)`` returns, so a throttled page would fail the module.
    Here the whole walk is retried with the collection's policy (pages are read-only).
    """
    @retry_decorator()
    def _walk():
        return client.get_paginator(operation).paginate(**params).build_full_result()

    return _walk()


def error_code(error):
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(error, "response", None) or {}
    return (response.get("Error") or {}).get("Code", "")


def retry_while(call, codes, timeout=600, note=None, what="the call", delay=2.0, max_delay=20.0,
                sleep=time.sleep, clock=time.monotonic):
    """``call()``, tried again while AWS answers one of ``codes``, for at most ``timeout`` seconds.

    For the documented transient refusals of a dependency that AWS is still releasing or creating
    (``DependencyViolation`` while a deleted load balancer's network interfaces go away,
    ``CacheSubnetGroupInUse`` while a replication group is deleting, an ECS service-linked role
    not yet assumable in a fresh account ...): these pass with time, unlike a real error. Each wait
    is told to ``note(message)`` (the modules return the notes as ``waited``), so the time spent is
    visible with ``-v``. The last error is raised when the time is up; any other error at once.
    """
    deadline = clock() + timeout
    while True:
        try:
            return call()
        except Exception as e:  # only ClientErrors with a listed code are retried
            code = error_code(e)
            if code not in codes or clock() >= deadline:
                raise
            pause = min(delay, max(0.0, deadline - clock()))
            if note is not None:
                note("%s: AWS answered %s; trying again in %.0f s" % (what, code, pause))
            sleep(pause)
            delay = min(delay * 2, max_delay)


# Calls made while waiting carry this in their User-Agent (see ``mark_waits``), so a request log
# (CloudTrail's userAgent, the benchmark's proxy) tells a wait from a lookup.
WAIT_USER_AGENT = "apranova-aws-stack/wait"
_waiting = [False]


def _tag_wait_request(request, **kwargs):
    if _waiting[0]:
        agent = request.headers.get("User-Agent") or ""
        if isinstance(agent, bytes):
            agent = agent.decode("utf-8", "replace")
        request.headers["User-Agent"] = (agent + " " + WAIT_USER_AGENT).strip()


def mark_waits(client):
    """Make ``client`` tag the calls it makes inside ``wait_for`` (User-Agent, not signed). Returns it."""
    client.meta.events.register("before-send", _tag_wait_request, unique_id="apranova-aws-stack-wait-ua")
    return client


def wait_for(check, timeout=600, delay=1.0, max_delay=15.0, sleep=time.sleep, clock=time.monotonic):
    """Poll ``check()`` until it returns something truthy, or ``timeout`` seconds pass.

    The first check happens at once, so a resource that is already ready costs no sleep.
    Returns the truthy value, or ``None`` on timeout. The delay doubles up to ``max_delay``.
    Calls of a client passed through ``mark_waits`` are marked as waits meanwhile.
    """
    deadline = clock() + timeout
    outer = _waiting[0]
    _waiting[0] = True
    try:
        while True:
            value = check()
            if value:
                return value
            now = clock()
            if now >= deadline:
                return None
            sleep(min(delay, max(0.0, deadline - now)))
            delay = min(delay * 2, max_delay)
    finally:
        _waiting[0] = outer


def tags_to_dict(tag_list, key_name="Key", value_name="Value"):
    """AWS tag list -> dict, without AWS-managed ``aws:`` tags."""
    tags = boto3_tag_list_to_ansible_dict(tag_list or [], key_name, value_name)
    return {k: v for k, v in tags.items() if not k.startswith("aws:")}


def dict_to_tags(tags, key_name="Key", value_name="Value"):
    """dict -> AWS tag list (values as strings)."""
    return ansible_dict_to_boto3_tag_list({k: str(v) for k, v in (tags or {}).items()}, key_name, value_name)


def tag_changes(current, desired, purge=True):
    """Return ``(to_set, to_remove)`` for the ``tags``/``purge_tags`` pattern.

    ``desired`` of ``None`` means "leave the tags alone".
    """
    if desired is None:
        return {}, []
    current = {k: v for k, v in (current or {}).items() if not k.startswith("aws:")}
    desired = {k: str(v) for k, v in desired.items()}
    return compare_aws_tags(current, desired, purge_tags=purge)


def merged_tags(current, desired, purge=True):
    """The tag dict a resource will have after the ``tags``/``purge_tags`` update."""
    if desired is None:
        return dict(current or {})
    to_set, to_remove = tag_changes(current, desired, purge)
    result = {k: v for k, v in (current or {}).items() if k not in to_remove and not k.startswith("aws:")}
    result.update(to_set)
    return result


def name_of(tags):
    """The ``Name`` tag of a tag dict or AWS tag list, or ``None``."""
    if isinstance(tags, list):
        tags = tags_to_dict(tags)
    return (tags or {}).get("Name")


def diff_result(module, before, after):
    """A ``diff`` dict for the result when the user asked for ``--diff``, else ``{}``."""
    if not getattr(module, "_diff", False):
        return {}
    return {"diff": {"before": before if before is not None else {}, "after": after if after is not None else {}}}
