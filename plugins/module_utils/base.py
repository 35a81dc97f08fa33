# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by every module of apranova.aws_stack.

Service-specific API layers (``ec2.py``, ``efs.py`` ...) build on these; a module
never talks to boto3 without going through one of them.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Type

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info, is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

# One retry layer. botocore retries throttling, 5xx and connection errors itself (its standard
# mode: botocore/retries/standard.py), and AWSRetry retries around each call again: under the stock
# modules that multiplies (10 botocore attempts x 10 AWSRetry tries). This collection's clients
# (``aws_client``) turn botocore's retries off and retry here, once, with the attempts the operator
# gave botocore (``aws_config.retries``, ``aws_max_attempts`` in group_vars/all): the same codes,
# statuses and connection errors botocore's standard mode retries, plus each call's own codes
# (a dependency still being created or released: ``efs.RETRY_CODES`` ...). Doing it here, not in
# botocore, also lets a create without an idempotency token look for what a lost reply created
# before it tries again (``ec2.allocate_address``); botocore would simply send it again.
TRANSIENT_CODES = frozenset([
    # AWSRetry's own list (amazon.aws module_utils/retries.py)
    "RequestLimitExceeded", "Unavailable", "ServiceUnavailable", "InternalFailure", "InternalError",
    "TooManyRequestsException", "Throttling",
    # botocore standard mode's throttling and transient codes (retries/standard.py), but
    # LimitExceededException: ECS, ECR and Secrets Manager answer it for a quota, which time does not lift
    "ThrottlingException", "ThrottledException", "RequestThrottledException", "RequestThrottled",
    "ProvisionedThroughputExceededException", "TransactionInProgressException", "BandwidthLimitExceeded",
    "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException",
    # declared by the services' models: EFS TooManyRequests, CloudWatch Logs ServiceUnavailableException
    "TooManyRequests", "ServiceUnavailableException",
])
# HTTP statuses retried whatever the code (botocore standard mode: 429 throttling, 500/502/503/504 transient)
TRANSIENT_STATUSES = (429, 500, 502, 503, 504)
CONNECTION_ERROR = "ConnectionError"
# Attempts per call when aws_config names none (botocore's standard mode default is 3; the roles pass 10)
DEFAULT_ATTEMPTS = 10

try:
    import boto3
    from ansible.module_utils.ansible_release import __version__ as _ANSIBLE_VERSION
    from botocore.config import Config as _BotocoreConfig
    from botocore.exceptions import BotoCoreError as _BotoCoreError
    from botocore.exceptions import NoRegionError as _NoRegionError
    from botocore.exceptions import ClientError as _ClientError
    from botocore.exceptions import ConnectionError as _BotocoreConnectionError
    from botocore.exceptions import HTTPClientError as _HTTPClientError

    _RETRIED = (_ClientError, _BotocoreConnectionError, _HTTPClientError)
except ImportError:  # AnsibleAWSModule reports the missing botocore
    boto3 = _BotocoreConfig = _ClientError = None
    _RETRIED = ()


Note = Callable[[str], None]


def error_handler(exception: Type[AnsibleAWSError], missing_codes: Any) -> Type[AWSErrorHandler]:
    """An amazon.aws ``AWSErrorHandler`` class: botocore errors become ``exception``, and the
    ``list_error_handler``/``deletion_error_handler`` decorators read ``missing_codes`` (one code or
    a list) as "not found" (``None`` / nothing to delete)."""
    class Handler(AWSErrorHandler):
        _CUSTOM_EXCEPTION = exception

        @classmethod
        def _is_missing(cls) -> Any:
            return is_boto3_error_code(missing_codes)

    return Handler


class StackRetry(AWSRetry):
    """The collection's retry layer: what botocore's standard mode retries, plus the codes given.

    An HTTP 501 is final ("not implemented" does not pass with time: an emulator answers it for a
    service it does not serve, and ten tries with backoff would only delay the answer by minutes).
    """

    base_class = _RETRIED

    @staticmethod
    def status_code_from_exception(error: BaseException) -> str:
        if _ClientError is None or not isinstance(error, _ClientError):
            return CONNECTION_ERROR
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 501:
            return "NotImplemented"
        code = AWSRetry.status_code_from_exception(error)
        if status in TRANSIENT_STATUSES and code not in TRANSIENT_CODES:
            return "HTTP %s" % status
        return code

    @staticmethod
    def found(response_code: str, catch_extra_error_codes: Optional[Iterable[str]] = None) -> bool:
        return (response_code in TRANSIENT_CODES or response_code == CONNECTION_ERROR
                or response_code.startswith("HTTP ") or response_code in (catch_extra_error_codes or ()))


class _OnlyTheseCodes(StackRetry):
    @staticmethod
    def found(response_code: str, catch_extra_error_codes: Optional[Iterable[str]] = None) -> bool:
        return response_code in (catch_extra_error_codes or ())


def retry_decorator(extra_codes: Optional[Iterable[str]] = None, attempts: int = DEFAULT_ATTEMPTS) -> Callable:
    """The retry policy of every client of this collection: jittered exponential backoff, ``attempts`` in all."""
    return StackRetry.jittered_backoff(retries=attempts, delay=1, max_delay=20, catch_extra_error_codes=list(extra_codes or ()))


def retry_only(codes: Iterable[str], attempts: int = 5, delay: float = 1, max_delay: float = 8) -> Callable:
    """A retry of ``codes`` only, around calls that are already retried (``aws_retry=True``) for the rest."""
    return _OnlyTheseCodes.jittered_backoff(retries=attempts, delay=delay, max_delay=max_delay, catch_extra_error_codes=list(codes))


def attempts_of(aws_config: Optional[dict]) -> int:
    """Attempts per call that ``aws_config`` asks botocore for (``max_attempts`` counts retries only)."""
    retries = (aws_config or {}).get("retries") or {}
    if retries.get("total_max_attempts") is not None:
        return max(1, int(retries["total_max_attempts"]))
    if retries.get("max_attempts") is not None:
        return max(1, int(retries["max_attempts"]) + 1)
    return DEFAULT_ATTEMPTS


# One boto3 session per process for each profile and AWS_* environment, shared by the clients of
# every module run in it. A new session costs more than the client made from it (botocore
# registers and checks its ~140 event handlers, builds its endpoint resolver and loads the models
# again: 10-25 ms a client, against 2-8 ms from a session that made one before), and
# plugins/plugin_utils/in_process.py makes this session in ansible-playbook's process before the
# workers fork, so each task starts with it. A session holds no credentials of its own here
# until a client is made without keys (boto3's chain then resolves them once per process).
_SESSIONS: Dict[Tuple[Optional[str], Tuple[Tuple[str, str], ...]], Any] = {}
_SESSIONS_LOCK = threading.Lock()  # a boto3 session is not thread-safe; clients are


def shared_session(profile: Optional[str] = None) -> Any:
    """This process's boto3 session for ``profile`` and the current ``AWS_*`` environment."""
    key = (profile or None, tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_"))))
    with _SESSIONS_LOCK:
        if key not in _SESSIONS:
            _SESSIONS[key] = boto3.session.Session(profile_name=profile or None)
        return _SESSIONS[key]


def _client(module: Any, service: str, aws_config: Any, region: Optional[str]) -> Any:
    """A boto3 client as amazon.aws ``boto3_conn`` makes it for ``module.client``, from the shared session."""
    module_region, endpoint, params = get_aws_connection_info(module)
    params.pop("aws_config", None)
    session = shared_session(params.pop("profile_name", None))
    config = _BotocoreConfig(user_agent="APN/1.0 Ansible/%s apranova.aws_stack" % _ANSIBLE_VERSION).merge(aws_config)
    try:
        with _SESSIONS_LOCK:
            return session.client(service, config=config, region_name=region or module_region, endpoint_url=endpoint, **params)
    except _NoRegionError:
        module.fail_json(msg="The %s module requires a region and none was found in configuration, environment"
                             " variables or module parameters" % module._name)  # pylint: disable=protected-access
    except (ValueError, _BotoCoreError) as e:
        module.fail_json_aws(e, msg="Couldn't connect to AWS")


def aws_client(module: Any, service: str, extra_codes: Optional[Iterable[str]] = None, region: Optional[str] = None) -> Any:
    """``module.client(service)`` with one retry layer: this collection's (see ``TRANSIENT_CODES``).

    botocore's own retries are turned off for this client (``total_max_attempts: 1``); calls made with
    ``aws_retry=True`` are tried ``attempts_of(aws_config)`` times on the transient answers and on
    ``extra_codes``. Every other ``aws_config`` setting is kept. ``region`` overrides the module's
    own region for this client (an API served from a few regions only, such as the Price List's).
    The client comes from the process's shared session (``shared_session``), except when amazon.aws's
    recording hook (placebo, its own tests) is on.
    """
    config = dict(module.params.get("aws_config") or {})
    attempts = attempts_of(config)
    config["retries"] = {"mode": "standard", "total_max_attempts": 1}
    decorator = retry_decorator(extra_codes, attempts)
    if any(name.startswith("_ANSIBLE_PLACEBO") for name in os.environ):
        extra = {"region": region} if region else {}
        client = module.client(service, retry_decorator=decorator, aws_config=_BotocoreConfig(**config), **extra)
    else:
        client = RetryingBotoClientWrapper(_client(module, service, _BotocoreConfig(**config), region), decorator)
    client.stack_attempts = attempts  # what ``paginate`` retries a walk with
    return client


def paginate(client: Any, operation: str, **params: Any) -> dict:
    """The full result of a paginated ``operation`` (botocore's paginator), pages retried too.

    ``client.get_paginator(...)`` bypasses the ``aws_retry=True`` wrapper of the client that
    ``aws_client`` returns, so a throttled page would fail the module. Here the whole walk is
    retried with the collection's policy (pages are read-only), as many times as the client's calls.
    """
    @retry_decorator(attempts=getattr(client, "stack_attempts", DEFAULT_ATTEMPTS))
    def _walk():
        return client.get_paginator(operation).paginate(**params).build_full_result()

    return _walk()


def concurrently(calls: Sequence[Callable[[], Any]], workers: int = 8) -> List[Any]:
    """The results of independent ``calls``, in their order, made side by side in threads.

    For reads that do not depend on each other: at AWS's 50-300 ms per call, a module's reads of
    several services cost the slowest chain instead of their sum. botocore clients are thread-safe,
    creating one is not (boto3 docs, "Multithreading or multiprocessing with clients"): make the
    clients before, in the calling thread. Calls on one client are best kept in one call here, in
    their order. At most ``workers`` at a time (Terraform refreshes ten at once); a call that raises
    makes this raise the exception of the first such call in ``calls`` order, after all have ended.
    """
    if len(calls) < 2:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(workers, len(calls))) as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.result() for future in futures]


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(error, "response", None) or {}
    return (response.get("Error") or {}).get("Code", "")


def retry_while(call: Callable[[], Any], codes: Iterable[str], timeout: float = 600, note: Optional[Note] = None,
                what: str = "the call", delay: float = 2.0, max_delay: float = 20.0,
                sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> Any:
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


def _tag_wait_request(request: Any, **kwargs: Any) -> None:
    if _waiting[0]:
        agent = request.headers.get("User-Agent") or ""
        if isinstance(agent, bytes):
            agent = agent.decode("utf-8", "replace")
        request.headers["User-Agent"] = (agent + " " + WAIT_USER_AGENT).strip()


def mark_waits(client: Any) -> Any:
    """Make ``client`` tag the calls it makes inside ``wait_for`` (User-Agent, not signed). Returns it."""
    client.meta.events.register("before-send", _tag_wait_request, unique_id="apranova-aws-stack-wait-ua")
    return client


# A wait's pause: at least its first delay, at most a fifth of the time waited so far, up to its
# maximum (base.wait_for).
WAIT_FRACTION = 0.2


def wait_for(check: Callable[[], Any], timeout: float = 600, delay: float = 1.0, max_delay: float = 15.0,
             sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> Any:
    """Poll ``check()`` until it returns something truthy, or ``timeout`` seconds pass.

    The first check happens at once, so a resource that is already ready costs no sleep.
    Returns the truthy value, or ``None`` on timeout. Each pause is ``delay``, or a fifth of the
    time waited so far once that is longer (``WAIT_FRACTION``), up to ``max_delay``: with the
    defaults, a check every second for the first 5 s, then 6, 7.2, 8.6, 10.4 s ... and every 15 s
    from about 75 s. A resource that gets ready while waited for is then seen within a fifth of the
    time waited (a pause that doubles, or grows by half, makes that the whole or half of it, and
    a short wait's end depends on where its few checks fall), for a few more describes over a long
    wait: a 7-minute DB create costs 44 (botocore's DBInstanceAvailable waiter polls every 30 s:
    14; growth by half: 34).
    Calls of a client passed through ``mark_waits`` are marked as waits meanwhile.
    """
    started = clock()
    deadline = started + timeout
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
            pause = min(max_delay, max(delay, (now - started) * WAIT_FRACTION))
            sleep(min(pause, max(0.0, deadline - now)))
    finally:
        _waiting[0] = outer


def tags_to_dict(tag_list: Optional[List[dict]], key_name: str = "Key", value_name: str = "Value") -> Dict[str, str]:
    """AWS tag list -> dict, without AWS-managed ``aws:`` tags."""
    tags = boto3_tag_list_to_ansible_dict(tag_list or [], key_name, value_name)
    return {k: v for k, v in tags.items() if not k.startswith("aws:")}


def dict_to_tags(tags: Optional[dict], key_name: str = "Key", value_name: str = "Value") -> List[dict]:
    """dict -> AWS tag list (values as strings)."""
    return ansible_dict_to_boto3_tag_list({k: str(v) for k, v in (tags or {}).items()}, key_name, value_name)


def subnet_group_errors(params: Dict[str, Any]) -> List[str]:
    """What is wrong with the options of a subnet group module's ``state: present`` (RDS, ElastiCache),
    each saying what to change."""
    errors = []
    if not params.get("description"):
        errors.append("description is required with state present; give the group a description.")
    subnets = params.get("subnets") or []
    if not subnets:
        errors.append("subnets is required with state present; give the IDs of the group's subnets.")
    duplicated = sorted({s for s in subnets if subnets.count(s) > 1})
    if duplicated:
        errors.append(f"subnets lists {', '.join(duplicated)} more than once; give each subnet once.")
    return errors


def tag_changes(current: Optional[dict], desired: Optional[dict], purge: bool = True) -> Tuple[dict, list]:
    """Return ``(to_set, to_remove)`` for the ``tags``/``purge_tags`` pattern.

    ``desired`` of ``None`` means "leave the tags alone".
    """
    if desired is None:
        return {}, []
    current = {k: v for k, v in (current or {}).items() if not k.startswith("aws:")}
    desired = {k: str(v) for k, v in desired.items()}
    return compare_aws_tags(current, desired, purge_tags=purge)


def merged_tags(current: Optional[dict], desired: Optional[dict], purge: bool = True) -> Dict[str, str]:
    """The tag dict a resource will have after the ``tags``/``purge_tags`` update."""
    if desired is None:
        return dict(current or {})
    to_set, to_remove = tag_changes(current, desired, purge)
    result = {k: v for k, v in (current or {}).items() if k not in to_remove and not k.startswith("aws:")}
    result.update(to_set)
    return result


def name_of(tags: Any) -> Optional[str]:
    """The ``Name`` tag of a tag dict or AWS tag list, or ``None``."""
    if isinstance(tags, list):
        tags = tags_to_dict(tags)
    return (tags or {}).get("Name")


def diff_result(module: Any, before: Any, after: Any) -> dict:
    """A ``diff`` dict for the result when the user asked for ``--diff``, else ``{}``."""
    if not getattr(module, "_diff", False):
        return {}
    return {"diff": {"before": before if before is not None else {}, "after": after if after is not None else {}}}


# The contract of every module that makes a set of resources be (``state: present``) or not be
# (``state: absent``): ``ensure_present(client, params, ctx)`` and ``ensure_absent(client, params,
# ctx)`` return an ``Outcome``, and ``main()`` hands both to ``run_state``. ``client`` is the
# module's client (a dict of clients by service name where a module speaks to several services),
# ``params`` the module's parameters (after the module's own checks), ``ctx`` a ``Context``.
@dataclass
class Context:
    """What an ``ensure_*`` function may do besides calling AWS."""

    check_mode: bool = False
    note: Note = field(default=lambda message: None)  # one line per wait AWS imposed (returned as ``waited``)
    warn: Note = field(default=lambda message: None)  # a warning shown to the operator
    secret: Note = field(default=lambda value: None)  # a value masked in every result, warning and error


@dataclass
class Outcome:
    """What an ``ensure_*`` function did (or, in check mode, would do).

    ``result`` holds the module's own return values; ``before`` and ``after`` are the ``--diff``
    states (``None`` reads as ``{}``).
    """

    changed: bool
    result: Dict[str, Any] = field(default_factory=dict)
    before: Any = None
    after: Any = None


Ensure = Callable[[Any, Dict[str, Any], Context], Outcome]


def item_params(params: Dict[str, Any], items: str, element: Dict[str, Any]) -> Dict[str, Any]:
    """One element of the list option ``items`` as the module's parameters: the element's set keys
    over the top-level ones (an element's unset option takes the top-level value)."""
    return dict({k: v for k, v in params.items() if k != items}, **{k: v for k, v in element.items() if v is not None})


def list_elements(params: Dict[str, Any], items: str, key: str, what: str, argument_spec: Dict[str, Any],
                  options: Sequence[str], problems: Callable[[Dict[str, Any], str], List[str]]) -> Tuple[list, List[str]]:
    """``(the elements checked and normalised, what is wrong)`` of the list option ``items`` (one
    ``what`` per element, named by its ``key``) of a module that manages one resource by its
    top-level options or a set of them by ``items`` (``one_or_each``).

    Each element is checked against the module's own ``options`` of one resource (types, choices,
    ``key`` required), without their defaults and aliases: an element's unset option takes the
    task's value (``item_params``). Then the module's ``problems(element_params, where)`` for each
    element over the task's options, and a name given twice. Unknown keys are refused.
    """
    spec = {k: {o: v for o, v in argument_spec[k].items() if o not in ("default", "aliases")} for k in options}
    spec[key]["required"] = True
    checked, found = [], []
    for i, element in enumerate(params[items]):
        unknown = sorted(set(element) - set(options))
        if unknown:
            found.append("%s[%d]: %s not an option of one %s (one of %s)" % (items, i, ", ".join(unknown), what, ", ".join(options)))
            continue
        outcome = ArgumentSpecValidator(spec).validate(element)
        found.extend("%s[%d]: %s" % (items, i, m) for m in outcome.error_messages)
        checked.append({k: v for k, v in outcome.validated_parameters.items() if k in element})
    names = [e[key] for e in checked if e.get(key)]
    found.extend("%s names %s %s more than once" % (items, what, n) for n in sorted(set(names)) if names.count(n) > 1)
    with_checked = dict(params, **{items: checked})
    found.extend(x for i, e in enumerate(checked)
                 for x in problems(item_params(with_checked, items, e), "%s[%d] (%s): " % (items, i, e.get(key))))
    return checked, found


def one_or_each(ensure: Ensure, items: str, key: str) -> Ensure:
    """``ensure`` for a module that manages one resource by its top-level options, or a set of them
    by the list option ``items`` (when given): then ``ensure`` runs for each element
    (``item_params``), side by side (``concurrently``). The outcome of a set: changed when any
    changed; ``result[items]`` each element's result, in the list's order; the diff sides keyed by
    each element's ``key`` (the resources' names). A failure of one element fails the whole (the
    first failing element's exception, after all have ended); what the others changed stays made.
    """
    def run(client: Any, params: Dict[str, Any], ctx: Context) -> Outcome:
        if params.get(items) is None:
            return ensure(client, params, ctx)
        each = [item_params(params, items, element) for element in params[items]]
        outcomes = concurrently([lambda p=p: ensure(client, p, ctx) for p in each])
        names = [p[key] for p in each]
        return Outcome(any(o.changed for o in outcomes), {items: [o.result for o in outcomes]},
                       before={n: o.before for n, o in zip(names, outcomes) if o.before},
                       after={n: o.after for n, o in zip(names, outcomes) if o.after})
    return run


def context_of(module: Any, waited: List[str]) -> Context:
    """The ``Context`` of an AnsibleAWSModule: its check mode, ``waited`` notes, warnings, no_log values."""
    def secret(value: str) -> None:
        if value:
            module.no_log_values.add(value)

    return Context(check_mode=module.check_mode, note=waited.append, warn=module.warn, secret=secret)


def run_state(module: Any, client: Any, present: Ensure, absent: Ensure, params: Optional[Dict[str, Any]] = None,
              errors: Tuple[Type[BaseException], ...] = (ValueError,)) -> None:
    """Run ``present`` or ``absent`` by ``params["state"]`` and end the module with its ``Outcome``.

    An exception of ``errors`` (a refusal the operator must fix: a bad value, a resource AWS will
    not change) fails the task with its message; an ``AnsibleAWSError`` with AWS's code and
    message. The result carries the outcome's ``result``, ``changed``, ``waited`` (always, ``[]``
    when AWS imposed no wait) and, with ``--diff``, ``diff``. ``params`` defaults to ``module.params``.
    """
    params = module.params if params is None else params
    waited: List[str] = []
    ensure = present if params.get("state", "present") == "present" else absent
    try:
        outcome = ensure(client, params, context_of(module, waited))
    except errors as e:
        module.fail_json(msg=str(e), waited=waited)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    result = dict(outcome.result)
    result.update(changed=outcome.changed, waited=waited)
    result.update(diff_result(module, outcome.before, outcome.after))
    module.exit_json(**result)
