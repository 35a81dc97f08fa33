# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS API layer for the ecs_cluster, ecs_task_definition and ecs_service modules.

Every boto3 call of ECS made by this collection lives here, with ``aws_retry=True`` (the
client comes from ``base.aws_client(module, "ecs")``), "not
found" turned into ``None`` and the normalisers that turn AWS shapes into the snake_case
dicts the modules compare and return.

Emulator facts this layer is written around (moto 5.2.5, see docs of each function):

* ``create_cluster`` / ``create_service`` on an existing name silently reset or replace
  the resource, so the modules always describe first.
* ``delete_cluster`` / ``delete_service`` leave the resource describable with status
  ``INACTIVE`` (AWS does the same for a while); ``get_cluster``/``get_service`` treat an
  ``INACTIVE`` resource as absent.
* ``list_services`` also lists ``INACTIVE`` services; ``activeServicesCount`` stays 0.
* ``describe_task_definition`` with a bare family returns the newest revision even when it
  is ``INACTIVE``, and ``list_task_definitions`` ignores ``sort``: the latest ACTIVE revision
  is therefore found by listing and taking the highest revision number.
* ``create_service`` drops deploymentConfiguration, healthCheckGracePeriodSeconds and
  enableExecuteCommand; ``update_service`` keeps them.
* ``update_service(taskDefinition=...)`` stores the string it was given, so this layer always
  passes a full task definition ARN.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Note
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_code
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_while
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

# InvalidParameterException messages that pass with time, and how long they are tried again.
# - A fresh account: CreateCluster "attempts to create the Amazon ECS service-linked role for your
#   account" (CreateCluster API reference); until AWSServiceRoleForECS has propagated, CreateCluster
#   (with capacity providers) and CreateService answer "Unable to assume the service linked role.
#   Please verify that the ECS service linked role exists." (terraform-provider-aws retries it in
#   retryClusterCreate and on service create, for its IAM propagation timeout).
# - A target group attached to a listener a moment ago: CreateService answers "The target group
#   with targetGroupArn ... does not have an associated load balancer." (terraform-provider-aws
#   retries it on service create and update).
SERVICE_LINKED_ROLE_NOT_READY = "Unable to assume the service linked role"
TARGET_GROUP_NOT_ATTACHED = "does not have an associated load balancer"
PROPAGATION_TIMEOUT = 300
# A role or an attachment being propagated is usually there within seconds: the first try again comes
# after 1 s, then 2, 4 ... (base.retry_while's doubling), rather than retry_while's 2 s start for a
# dependency being released.
PROPAGATION_FIRST_DELAY = 1.0


class _NotReadyYet(Exception):
    """An InvalidParameterException whose message says it passes with time.

    It carries a code of its own (the AWS code and the message matched), so that
    ``base.retry_while`` retries it and notes it, and no other InvalidParameterException.
    """

    def __init__(self, error: BaseException, message: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.response = {"Error": {"Code": "InvalidParameterException (%s)" % message}}


def retry_not_ready(call: Callable[[], Any], messages: List[str], timeout: float = PROPAGATION_TIMEOUT,
                    note: Optional[Note] = None, what: str = "the call") -> Any:
    """``call()``, tried again for up to ``timeout`` seconds while ECS answers an
    InvalidParameterException with one of ``messages``; any other error is raised at once."""

    def attempt() -> Any:
        try:
            return call()
        except Exception as e:  # only ClientErrors with a listed message are retried
            if error_code(e) == "InvalidParameterException":
                text = (e.response.get("Error") or {}).get("Message") or ""
                for message in messages:
                    if message.lower() in text.lower():
                        raise _NotReadyYet(e, message) from e
            raise

    codes = ["InvalidParameterException (%s)" % m for m in messages]
    try:
        return retry_while(attempt, codes, timeout=timeout, note=note, what=what, delay=PROPAGATION_FIRST_DELAY)
    except _NotReadyYet as e:
        raise e.error from None


class AnsibleECSError(AnsibleAWSError):
    pass


class ECSUsageError(ValueError):
    """A request that cannot work as asked; the message says what to change.

    A ``ValueError``: ``base.run_state`` fails the task with its message.
    """


class ECSRolloutError(Exception):
    """A service rollout that failed or did not reach a steady state; the message says why.

    ``details`` (the latest service events, the service) are added to the module's failure
    result, which ``base.run_state`` would not do: ``ecs_service`` fails with it itself.
    """

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


ECSErrorHandler = error_handler(AnsibleECSError, ["ClusterNotFoundException", "ServiceNotFoundException"])


def ecs_tags_to_dict(tag_list: Optional[List[dict]]) -> Dict[str, str]:
    """ECS tag list (lower-case ``key``/``value``) -> dict without ``aws:`` tags."""
    return tags_to_dict(tag_list or [], "key", "value")


def dict_to_ecs_tags(tags: Optional[dict]) -> List[dict]:
    return dict_to_tags(tags or {}, "key", "value")


# --------------------------------------------------------------------------------------------
# Tags (clusters, services and task definitions share the calls)
# --------------------------------------------------------------------------------------------


@ECSErrorHandler.common_error_handler("tag ECS resource {arn}")
def tag_resource(client: Any, arn: str, tags: Optional[dict]) -> None:
    if tags:
        client.tag_resource(aws_retry=True, resourceArn=arn, tags=dict_to_ecs_tags(tags))


@ECSErrorHandler.common_error_handler("untag ECS resource {arn}")
def untag_resource(client: Any, arn: str, keys: Optional[List[str]]) -> None:
    if keys:
        client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=list(keys))


@ECSErrorHandler.list_error_handler("list tags of ECS resource {arn}", default_value={})
def list_tags(client: Any, arn: str) -> Dict[str, str]:
    return ecs_tags_to_dict(client.list_tags_for_resource(aws_retry=True, resourceArn=arn).get("tags"))


# --------------------------------------------------------------------------------------------
# Clusters
# --------------------------------------------------------------------------------------------


@ECSErrorHandler.list_error_handler("describe ECS cluster {name}")
def describe_cluster(client: Any, name: str) -> Optional[dict]:
    """The raw cluster (settings and tags included), whatever its status, or ``None``."""
    result = client.describe_clusters(aws_retry=True, clusters=[name], include=["SETTINGS", "TAGS"])
    clusters = result.get("clusters") or []
    return clusters[0] if clusters else None


def get_cluster(client: Any, name: str) -> Optional[dict]:
    """The raw cluster if it exists and is not ``INACTIVE`` (deleted), else ``None``."""
    cluster = describe_cluster(client, name)
    if cluster is None or cluster.get("status") == "INACTIVE":
        return None
    return cluster


@ECSErrorHandler.common_error_handler("create ECS cluster {name}")
def create_cluster(client: Any, name: str, settings: Optional[List[dict]] = None,
                   capacity_providers: Optional[List[str]] = None, strategy: Optional[List[dict]] = None,
                   tags: Optional[dict] = None, timeout: float = PROPAGATION_TIMEOUT, note: Optional[Note] = None) -> dict:
    """CreateCluster; in a fresh account, tried again while the service-linked role propagates."""
    params = {"clusterName": name}
    if settings:
        params["settings"] = settings
    if capacity_providers is not None:
        params["capacityProviders"] = capacity_providers
    if strategy is not None:
        params["defaultCapacityProviderStrategy"] = strategy
    if tags:
        params["tags"] = dict_to_ecs_tags(tags)
    return retry_not_ready(lambda: client.create_cluster(aws_retry=True, **params)["cluster"],
                           [SERVICE_LINKED_ROLE_NOT_READY], timeout=timeout, note=note,
                           what="create ECS cluster %s" % name)


@ECSErrorHandler.common_error_handler("update the settings of ECS cluster {name}")
def update_cluster_settings(client: Any, name: str, settings: List[dict]) -> dict:
    return client.update_cluster(aws_retry=True, cluster=name, settings=settings)["cluster"]


@ECSErrorHandler.common_error_handler("set the capacity providers of ECS cluster {name}")
def put_cluster_capacity_providers(client: Any, name: str, capacity_providers: List[str], strategy: List[dict]) -> dict:
    return client.put_cluster_capacity_providers(
        aws_retry=True, cluster=name, capacityProviders=capacity_providers, defaultCapacityProviderStrategy=strategy
    )["cluster"]


_CLUSTER_BUSY = ("ClusterContainsServicesException", "ClusterContainsTasksException",
                 "ClusterContainsContainerInstancesException", "UpdateInProgressException")


@ECSErrorHandler.deletion_error_handler("delete ECS cluster {name}")
def delete_cluster(client: Any, name: str, timeout: float = 600, note: Optional[Note] = None) -> bool:
    """Delete a cluster; while AWS still reports draining services or stopping tasks, retry
    until ``timeout``. Returns ``True``, or ``False`` when the cluster was already gone."""
    retry_while(lambda: client.delete_cluster(aws_retry=True, cluster=name), list(_CLUSTER_BUSY),
                timeout=timeout, note=note, what="delete ECS cluster %s" % name)
    return True


def settings_dict(settings: Optional[List[dict]]) -> Dict[str, Any]:
    """``[{name: containerInsights, value: enabled}]`` -> ``{"container_insights": "enabled"}``."""
    return camel_dict_to_snake_dict({s["name"]: s.get("value") for s in settings or []})


def normalize_strategy(strategy: Optional[List[dict]]) -> List[dict]:
    """Capacity provider strategy (AWS or module shape) -> sorted module shape with defaults."""
    result = []
    for item in strategy or []:
        result.append({
            "capacity_provider": item.get("capacity_provider", item.get("capacityProvider")),
            "weight": int(item.get("weight") or 0),
            "base": int(item.get("base") or 0),
        })
    return sorted(result, key=lambda i: i["capacity_provider"] or "")


def strategy_to_aws(strategy: Optional[List[dict]]) -> List[dict]:
    return [{"capacityProvider": s["capacity_provider"], "weight": s["weight"], "base": s["base"]}
            for s in normalize_strategy(strategy)]


def normalize_cluster(cluster: Optional[dict]) -> dict:
    """Raw cluster -> the dict the ecs_cluster module returns."""
    if not cluster:
        return {}
    return {
        "cluster_name": cluster.get("clusterName"),
        "cluster_arn": cluster.get("clusterArn"),
        "status": cluster.get("status"),
        "settings": settings_dict(cluster.get("settings")),
        "capacity_providers": sorted(cluster.get("capacityProviders") or []),
        "default_capacity_provider_strategy": normalize_strategy(cluster.get("defaultCapacityProviderStrategy")),
        "active_services_count": cluster.get("activeServicesCount", 0),
        "tags": ecs_tags_to_dict(cluster.get("tags")),
    }


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


@ECSErrorHandler.list_error_handler("list the services of ECS cluster {cluster}", default_value=[])
def list_service_arns(client: Any, cluster: str) -> List[str]:
    return list(paginate(client, "list_services", cluster=cluster).get("serviceArns") or [])


@ECSErrorHandler.list_error_handler("describe services of ECS cluster {cluster}", default_value=[])
def describe_services(client: Any, cluster: str, names: Iterable[str]) -> List[dict]:
    services = []
    names = list(names)
    for start in range(0, len(names), 10):
        result = client.describe_services(aws_retry=True, cluster=cluster, services=names[start:start + 10],
                                          include=["TAGS"])
        services.extend(result.get("services") or [])
    return services


def describe_service(client: Any, cluster: str, name: str) -> Optional[dict]:
    """The raw service (tags included), whatever its status, or ``None``."""
    services = describe_services(client, cluster, [name])
    return services[0] if services else None


def get_service(client: Any, cluster: str, name: str) -> Optional[dict]:
    """The raw service unless it is missing or ``INACTIVE`` (deleted)."""
    service = describe_service(client, cluster, name)
    if service is None or service.get("status") == "INACTIVE":
        return None
    return service


def live_services(client: Any, cluster: str) -> List[dict]:
    """Services of a cluster that are not deleted yet (``ACTIVE`` or ``DRAINING``).

    ``list_services`` of the emulator lists deleted services too, so the status is read back.
    """
    arns = list_service_arns(client, cluster)
    return [s for s in describe_services(client, cluster, arns) if s.get("status") != "INACTIVE"]


@ECSErrorHandler.common_error_handler("create ECS service")
def create_service(client: Any, timeout: float = PROPAGATION_TIMEOUT, note: Optional[Note] = None, **params: Any) -> dict:
    """CreateService, with an idempotency token, tried again while ECS answers that the
    service-linked role is not assumable yet or the target group has no load balancer yet.

    ``clientToken`` ("An identifier that you provide to ensure the idempotency of the request",
    up to 36 ASCII characters) is made once here, unless given, so every retry of this one
    logical create carries the same token: a retried call that had in fact succeeded returns the
    same service instead of failing or making a second one.
    """
    params.setdefault("clientToken", str(uuid.uuid4()))
    return retry_not_ready(lambda: client.create_service(aws_retry=True, **params)["service"],
                           [SERVICE_LINKED_ROLE_NOT_READY, TARGET_GROUP_NOT_ATTACHED], timeout=timeout, note=note,
                           what="create ECS service %s" % params.get("serviceName"))


@ECSErrorHandler.common_error_handler("update ECS service")
def update_service(client: Any, **params: Any) -> dict:
    return client.update_service(aws_retry=True, **params)["service"]


@ECSErrorHandler.deletion_error_handler("delete ECS service {name}")
def delete_service(client: Any, cluster: str, name: str) -> dict:
    return client.delete_service(aws_retry=True, cluster=cluster, service=name, force=True)["service"]


def _assign_public_ip(value: Any) -> bool:
    return value == "ENABLED" if isinstance(value, str) else bool(value)


def normalize_network_configuration(network_configuration: Optional[dict]) -> dict:
    """AWS ``networkConfiguration`` -> ``{subnets, security_groups, assign_public_ip}``."""
    vpc = (network_configuration or {}).get("awsvpcConfiguration")
    if not vpc:
        return {}
    return {
        "subnets": sorted(vpc.get("subnets") or []),
        "security_groups": sorted(vpc.get("securityGroups") or []),
        "assign_public_ip": _assign_public_ip(vpc.get("assignPublicIp", "DISABLED")),
    }


def network_configuration_to_aws(nc: dict) -> dict:
    vpc = {"subnets": list(nc["subnets"]), "assignPublicIp": "ENABLED" if nc.get("assign_public_ip") else "DISABLED"}
    if nc.get("security_groups") is not None:
        vpc["securityGroups"] = list(nc["security_groups"])
    return {"awsvpcConfiguration": vpc}


def normalize_load_balancers(load_balancers: Optional[List[dict]]) -> List[dict]:
    result = []
    for lb in load_balancers or []:
        result.append({
            "target_group_arn": lb.get("target_group_arn", lb.get("targetGroupArn")),
            "container_name": lb.get("container_name", lb.get("containerName")),
            "container_port": int(lb.get("container_port", lb.get("containerPort")) or 0),
        })
    return sorted(result, key=lambda x: (x["target_group_arn"] or "", x["container_name"] or "", x["container_port"]))


def load_balancers_to_aws(load_balancers: Optional[List[dict]]) -> List[dict]:
    return [{"targetGroupArn": lb["target_group_arn"], "containerName": lb["container_name"],
             "containerPort": lb["container_port"]} for lb in normalize_load_balancers(load_balancers)]


def _circuit_breaker(breaker: dict) -> dict:
    return {"enable": bool(breaker.get("enable")), "rollback": bool(breaker.get("rollback"))}


def normalize_deployment_configuration(dc: Optional[dict]) -> dict:
    """AWS ``deploymentConfiguration`` -> snake_case (only the keys this collection manages)."""
    dc = dc or {}
    result = {}
    if "minimumHealthyPercent" in dc:
        result["minimum_healthy_percent"] = dc["minimumHealthyPercent"]
    if "maximumPercent" in dc:
        result["maximum_percent"] = dc["maximumPercent"]
    breaker = dc.get("deploymentCircuitBreaker")
    if breaker is not None:
        result["deployment_circuit_breaker"] = _circuit_breaker(breaker)
    return result


def deployment_configuration_to_aws(dc: dict) -> dict:
    result = {}
    if dc.get("minimum_healthy_percent") is not None:
        result["minimumHealthyPercent"] = dc["minimum_healthy_percent"]
    if dc.get("maximum_percent") is not None:
        result["maximumPercent"] = dc["maximum_percent"]
    breaker = dc.get("deployment_circuit_breaker")
    if breaker is not None:
        result["deploymentCircuitBreaker"] = _circuit_breaker(breaker)
    return result


def normalize_deployments(deployments: Optional[List[dict]]) -> List[dict]:
    keys = ("id", "status", "taskDefinition", "desiredCount", "runningCount", "pendingCount", "failedTasks",
            "rolloutState", "rolloutStateReason")
    return [camel_dict_to_snake_dict({k: d[k] for k in keys if k in d}) for d in deployments or []]


def normalize_service(service: Optional[dict]) -> dict:
    """Raw service -> the dict the ecs_service module returns."""
    if not service:
        return {}
    return {
        "service_name": service.get("serviceName"),
        "service_arn": service.get("serviceArn"),
        "cluster_arn": service.get("clusterArn"),
        "status": service.get("status"),
        "task_definition": service.get("taskDefinition"),
        "desired_count": service.get("desiredCount"),
        "running_count": service.get("runningCount"),
        "pending_count": service.get("pendingCount"),
        "launch_type": service.get("launchType"),
        "platform_version": service.get("platformVersion"),
        "network_configuration": normalize_network_configuration(service.get("networkConfiguration")),
        "load_balancers": normalize_load_balancers(service.get("loadBalancers")),
        "deployment_configuration": normalize_deployment_configuration(service.get("deploymentConfiguration")),
        "health_check_grace_period_seconds": service.get("healthCheckGracePeriodSeconds"),
        "enable_execute_command": bool(service.get("enableExecuteCommand", False)),
        "propagate_tags": service.get("propagateTags"),
        "deployments": normalize_deployments(service.get("deployments")),
        "tags": ecs_tags_to_dict(service.get("tags")),
    }


def service_updates(current: dict, desired: Dict[str, Any]) -> Tuple[dict, List[str]]:
    """Compare a normalised current service with the desired settings.

    ``desired`` uses the keys of ``normalize_service``; a key that is absent or ``None`` leaves
    the attribute alone. ``desired["task_definition"]`` must already be a full ARN.
    Returns ``(params, changed_keys)``: ``params`` are the ``update_service`` keyword arguments
    (without cluster/service), ``changed_keys`` the module-level names of what differs.
    """
    params = {}
    changed = []

    def want(key: str) -> bool:
        return desired.get(key) is not None

    if want("task_definition") and desired["task_definition"] != current.get("task_definition"):
        params["taskDefinition"] = desired["task_definition"]
        changed.append("task_definition")
    if want("desired_count") and desired["desired_count"] != current.get("desired_count"):
        params["desiredCount"] = desired["desired_count"]
        changed.append("desired_count")
    if want("platform_version") and desired["platform_version"] != current.get("platform_version"):
        params["platformVersion"] = desired["platform_version"]
        changed.append("platform_version")
    if want("network_configuration"):
        want_nc = dict(desired["network_configuration"])
        have_nc = current.get("network_configuration") or {}
        cmp_nc = {
            "subnets": sorted(want_nc.get("subnets") or []),
            "security_groups": sorted(want_nc["security_groups"]) if want_nc.get("security_groups") is not None
            else have_nc.get("security_groups"),
            "assign_public_ip": bool(want_nc.get("assign_public_ip")),
        }
        if cmp_nc != {k: have_nc.get(k) for k in cmp_nc}:
            params["networkConfiguration"] = network_configuration_to_aws(want_nc)
            changed.append("network_configuration")
    if desired.get("load_balancers") is not None:
        want_lbs = normalize_load_balancers(desired["load_balancers"])
        if want_lbs != normalize_load_balancers(current.get("load_balancers")):
            params["loadBalancers"] = load_balancers_to_aws(want_lbs)
            changed.append("load_balancers")
    if want("deployment_configuration"):
        have_dc = current.get("deployment_configuration") or {}
        merged = copy.deepcopy(have_dc)
        for key, value in desired["deployment_configuration"].items():
            if value is None:
                continue
            if key == "deployment_circuit_breaker":
                value = _circuit_breaker(value)
            merged[key] = value
        if merged != have_dc:
            params["deploymentConfiguration"] = deployment_configuration_to_aws(merged)
            changed.append("deployment_configuration")
    if want("health_check_grace_period_seconds") and \
            desired["health_check_grace_period_seconds"] != current.get("health_check_grace_period_seconds"):
        params["healthCheckGracePeriodSeconds"] = desired["health_check_grace_period_seconds"]
        changed.append("health_check_grace_period_seconds")
    if want("enable_execute_command") and \
            bool(desired["enable_execute_command"]) != bool(current.get("enable_execute_command")):
        params["enableExecuteCommand"] = bool(desired["enable_execute_command"])
        changed.append("enable_execute_command")
    if want("propagate_tags") and desired["propagate_tags"] != (current.get("propagate_tags") or "NONE"):
        params["propagateTags"] = desired["propagate_tags"]
        changed.append("propagate_tags")
    return params, changed


def apply_updates(current: dict, params: dict) -> dict:
    """The normalised service as it will look after ``update_service(**params)`` (check mode)."""
    after = copy.deepcopy(current)
    mapping = {
        "taskDefinition": "task_definition", "desiredCount": "desired_count", "platformVersion": "platform_version",
        "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
        "enableExecuteCommand": "enable_execute_command", "propagateTags": "propagate_tags",
    }
    for aws_key, key in mapping.items():
        if aws_key in params:
            after[key] = params[aws_key]
    if "networkConfiguration" in params:
        after["network_configuration"] = normalize_network_configuration(params["networkConfiguration"])
    if "loadBalancers" in params:
        after["load_balancers"] = normalize_load_balancers(params["loadBalancers"])
    if "deploymentConfiguration" in params:
        after["deployment_configuration"] = normalize_deployment_configuration(params["deploymentConfiguration"])
    return after


def rollout_status(service: Optional[dict], expected_task_definition: Optional[str] = None) -> Tuple[str, str]:
    """Where a service's rollout stands: ``("done"|"waiting"|"failed", reason)``.

    Done means steady state: a single deployment, the PRIMARY one, with rolloutState COMPLETED
    (when the API reports one) and runningCount == desiredCount. A deployment whose
    rolloutState is FAILED, or a PRIMARY deployment that runs another task definition than the
    one asked for (the circuit breaker rolled back), is a failure.
    """
    if not service:
        return "failed", "the service does not exist"
    deployments = service.get("deployments") or []
    failed = [d for d in deployments if d.get("rolloutState") == "FAILED"]
    if failed:
        return "failed", failed[0].get("rolloutStateReason") or "deployment %s failed" % failed[0].get("id")
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return "waiting", "no PRIMARY deployment yet"
    if expected_task_definition and primary.get("taskDefinition") != expected_task_definition:
        breaker = (service.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
        if breaker.get("rollback"):
            return "failed", ("the PRIMARY deployment runs %s instead of %s: the deployment circuit breaker rolled "
                              "back (or the endpoint does not model deployments). %s"
                              % (primary.get("taskDefinition"), expected_task_definition,
                                 primary.get("rolloutStateReason") or ""))
        return "waiting", "the PRIMARY deployment still runs %s" % primary.get("taskDefinition")
    state = primary.get("rolloutState")
    if state is not None and state != "COMPLETED":
        return "waiting", "rolloutState is %s: %s" % (state, primary.get("rolloutStateReason") or "")
    if len(deployments) != 1:
        return "waiting", "%d deployments are still active" % len(deployments)
    if service.get("runningCount") != service.get("desiredCount"):
        return "waiting", "runningCount %s != desiredCount %s" % (service.get("runningCount"),
                                                                  service.get("desiredCount"))
    return "done", primary.get("rolloutStateReason") or "steady state"


def latest_events(service: Optional[dict], count: int = 5) -> List[str]:
    return [e.get("message") for e in (service or {}).get("events") or []][:count]


# --------------------------------------------------------------------------------------------
# Task definitions
# --------------------------------------------------------------------------------------------


def parse_task_definition_arn(arn: str) -> Tuple[str, Optional[int]]:
    """``arn:...:task-definition/family:3`` or ``family:3`` -> ``("family", 3)``; ``family`` -> ``("family", None)``."""
    name = arn.split("/")[-1] if arn.startswith("arn:") else arn
    if ":" in name:
        family, revision = name.rsplit(":", 1)
        try:
            return family, int(revision)
        except ValueError:
            return name, None
    return name, None


@ECSErrorHandler.common_error_handler("list the task definitions of family {family}")
def list_task_definition_arns(client: Any, family: str, status: str = "ACTIVE") -> List[str]:
    """ARNs of the revisions of exactly ``family`` with ``status``, lowest revision first."""
    arns = paginate(client, "list_task_definitions", familyPrefix=family, status=status).get("taskDefinitionArns") or []
    arns = [a for a in arns if parse_task_definition_arn(a)[0] == family]
    return sorted(set(arns), key=lambda a: parse_task_definition_arn(a)[1] or 0)


@ECSErrorHandler.common_error_handler("describe task definition {ref}")
def describe_task_definition(client: Any, ref: str) -> Optional[Tuple[dict, Dict[str, str]]]:
    """``(task_definition, tags)`` for an ARN or ``family:revision``, or ``None`` if unknown."""
    try:
        result = client.describe_task_definition(aws_retry=True, taskDefinition=ref, include=["TAGS"])
    except is_boto3_error_code("ClientException"):
        return None
    return result["taskDefinition"], ecs_tags_to_dict(result.get("tags"))


def latest_active_task_definition(client: Any, family: str) -> Optional[Tuple[dict, Dict[str, str]]]:
    """``(task_definition, tags)`` of the highest ACTIVE revision of ``family``, or ``None``.

    DescribeTaskDefinition given the family alone answers its latest ACTIVE revision (ECS API
    reference, DescribeTaskDefinition ``taskDefinition``): one call where a family exists. A family
    AWS does not know (ClientException), or an answer that is not ACTIVE, is checked by listing the
    ACTIVE revisions.
    """
    found = describe_task_definition(client, family)
    if found and found[0].get("status", "ACTIVE") == "ACTIVE":
        return found
    arns = list_task_definition_arns(client, family)
    if not arns:
        return None
    return describe_task_definition(client, arns[-1])


def resolve_task_definition_arn(client: Any, ref: str) -> Optional[str]:
    """ARN, ``family:revision`` or ``family`` (latest ACTIVE) -> ARN of an existing revision, or ``None``."""
    family, revision = parse_task_definition_arn(ref)
    if revision is None:
        latest = list_task_definition_arns(client, family)
        return latest[-1] if latest else None
    found = describe_task_definition(client, ref)
    return found[0]["taskDefinitionArn"] if found else None


@ECSErrorHandler.common_error_handler("register a task definition")
def register_task_definition(client: Any, spec: dict, tags: Optional[dict] = None) -> dict:
    params = copy.deepcopy(spec)
    if tags:
        params["tags"] = dict_to_ecs_tags(tags)
    return client.register_task_definition(aws_retry=True, **params)["taskDefinition"]


@ECSErrorHandler.common_error_handler("deregister task definition {arn}")
def deregister_task_definition(client: Any, arn: str) -> dict:
    return client.deregister_task_definition(aws_retry=True, taskDefinition=arn)["taskDefinition"]


# Keys of container definitions (at any depth) that are integers in the API; a templated
# value arrives as a string, which boto3 would reject.
_INT_KEYS = frozenset((
    "containerPort", "hostPort", "cpu", "memory", "memoryReservation", "startTimeout", "stopTimeout",
    "interval", "timeout", "retries", "startPeriod", "softLimit", "hardLimit", "transitEncryptionPort",
    "containerPortRangeStart", "containerPortRangeEnd", "sharedMemorySize", "maxSwap", "swappiness", "size",
))


def _coerce_ints(value: Any, key: Optional[str] = None) -> Any:
    if isinstance(value, dict):
        return {k: _coerce_ints(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_coerce_ints(v) for v in value]
    if key in _INT_KEYS and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def task_definition_spec(family: str, container_definitions: Optional[List[dict]], cpu: Optional[Any] = None,
                         memory: Optional[Any] = None, network_mode: Optional[str] = "awsvpc",
                         requires_compatibilities: Optional[List[str]] = None, execution_role_arn: Optional[str] = None,
                         task_role_arn: Optional[str] = None, volumes: Optional[List[dict]] = None,
                         runtime_platform: Optional[dict] = None) -> dict:
    """The ``register_task_definition`` request (without tags) for the module's options."""
    spec = {"family": family, "containerDefinitions": _coerce_ints(copy.deepcopy(container_definitions or []))}
    if cpu is not None:
        spec["cpu"] = str(cpu)
    if memory is not None:
        spec["memory"] = str(memory)
    if network_mode:
        spec["networkMode"] = network_mode
    if requires_compatibilities:
        spec["requiresCompatibilities"] = list(requires_compatibilities)
    if execution_role_arn:
        spec["executionRoleArn"] = execution_role_arn
    if task_role_arn:
        spec["taskRoleArn"] = task_role_arn
    if volumes:
        spec["volumes"] = _coerce_ints(copy.deepcopy(volumes))
    if runtime_platform:
        spec["runtimePlatform"] = copy.deepcopy(runtime_platform)
    return spec


def _prune(value: Any) -> Any:
    """Drop ``None``, empty lists and empty dicts, recursively."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        pruned = [_prune(v) for v in value]
        return [v for v in pruned if v is not None and v != [] and v != {}]
    return value


# Values AWS fills in when a key is omitted: key -> default.
_CONTAINER_DEFAULTS = {"essential": True, "cpu": 0}
_HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}


def normalize_container_definition(container: dict, network_mode: Optional[str] = "awsvpc") -> dict:
    """A container definition in a form where AWS-filled defaults and ordering do not matter."""
    c = _coerce_ints(copy.deepcopy(container))
    for key, default in _CONTAINER_DEFAULTS.items():
        if c.get(key) == default:
            c.pop(key)
    ports = []
    for pm in c.get("portMappings") or []:
        pm = dict(pm)
        if pm.get("protocol") == "tcp":
            pm.pop("protocol")
        if "hostPort" in pm and (network_mode == "awsvpc" or pm["hostPort"] == pm.get("containerPort")):
            pm.pop("hostPort")
        ports.append(pm)
    if ports:
        c["portMappings"] = sorted(ports, key=lambda p: (p.get("containerPort") or 0, p.get("protocol", ""),
                                                         p.get("name", "")))
    for key in ("environment", "secrets"):
        if c.get(key):
            c[key] = sorted(c[key], key=lambda e: e.get("name", ""))
    for key in ("mountPoints", "volumesFrom"):
        if c.get(key):
            c[key] = [{k: v for k, v in m.items() if not (k == "readOnly" and v is False)} for m in c[key]]
    if c.get("healthCheck"):
        c["healthCheck"] = {k: v for k, v in c["healthCheck"].items() if _HEALTH_CHECK_DEFAULTS.get(k) != v}
    return _prune(c)


def normalize_volume(volume: dict) -> dict:
    v = copy.deepcopy(volume)
    efs = v.get("efsVolumeConfiguration")
    if efs:
        if efs.get("rootDirectory") == "/":
            efs.pop("rootDirectory")
        if efs.get("transitEncryption") == "DISABLED":
            efs.pop("transitEncryption")
        auth = efs.get("authorizationConfig")
        if auth and auth.get("iam") == "DISABLED":
            auth.pop("iam")
    return _prune(_coerce_ints(v))


def comparable_task_definition(td: dict) -> dict:
    """A task definition (request spec or describe result) reduced to what this collection
    manages, normalised so that a spec and the revision registered from it compare equal."""
    network_mode = td.get("networkMode")
    return _prune({
        "family": td.get("family"),
        "cpu": str(td["cpu"]) if td.get("cpu") is not None else None,
        "memory": str(td["memory"]) if td.get("memory") is not None else None,
        "networkMode": network_mode,
        "requiresCompatibilities": sorted(td.get("requiresCompatibilities") or []),
        "executionRoleArn": td.get("executionRoleArn"),
        "taskRoleArn": td.get("taskRoleArn"),
        "runtimePlatform": td.get("runtimePlatform"),
        "containerDefinitions": sorted(
            (normalize_container_definition(c, network_mode) for c in td.get("containerDefinitions") or []),
            key=lambda c: c.get("name", "")),
        "volumes": sorted((normalize_volume(v) for v in td.get("volumes") or []), key=lambda v: v.get("name", "")),
    })


def task_definition_differences(desired_spec: dict, current: Optional[dict]) -> List[str]:
    """Top-level keys whose normalised value differs between a spec and a registered revision."""
    want = comparable_task_definition(desired_spec)
    have = comparable_task_definition(current or {})
    return sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))


def normalize_task_definition(td: Optional[dict], tags: Optional[dict] = None) -> dict:
    """Raw task definition -> the dict the ecs_task_definition module returns.

    ``container_definitions`` and ``volumes`` stay in the AWS camelCase shape (the shape the
    module takes them in): their keys include user data such as environment names.
    """
    if not td:
        return {}
    return {
        "task_definition_arn": td.get("taskDefinitionArn"),
        "family": td.get("family"),
        "revision": td.get("revision"),
        "status": td.get("status"),
        "cpu": td.get("cpu"),
        "memory": td.get("memory"),
        "network_mode": td.get("networkMode"),
        "requires_compatibilities": td.get("requiresCompatibilities") or [],
        "execution_role_arn": td.get("executionRoleArn"),
        "task_role_arn": td.get("taskRoleArn"),
        "runtime_platform": td.get("runtimePlatform") or {},
        "container_definitions": td.get("containerDefinitions") or [],
        "volumes": td.get("volumes") or [],
        "tags": dict(tags or {}),
    }
