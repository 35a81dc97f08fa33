#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_service
short_description: Manage an ECS service, optionally waiting for its rollout to finish
version_added: 0.1.0
description:
  - Creates, updates and deletes an Amazon ECS service in an existing cluster.
  - Fills these gaps of M(community.aws.ecs_service) - it reports a change on every run when given a task
    definition ARN (it compares C(family:revision)), and it cannot wait for a deployment to reach a steady
    state. Here task definitions are compared as full ARNs (O(task_definition) given as C(family:revision) or
    C(family) is resolved to the ARN first), and O(wait=true) waits for the rollout and fails with the
    reason when it fails or the deployment circuit breaker rolls it back.
  - The service is always looked up first; C(create_service) is only called when no live service of that name
    exists, because on some endpoints (moto) it silently replaces an existing service.
  - After a creation the service is read back; settings the endpoint dropped (moto's C(create_service) drops
    deploymentConfiguration, healthCheckGracePeriodSeconds and enableExecuteCommand) are then set with
    C(update_service). On AWS this second call does not happen, because nothing differs.
  - An unset option leaves that attribute of an existing service alone.
  - O(launch_type) and the network mode of the task definition cannot change after creation; the module
    fails and says to recreate the service. O(load_balancers) can change (C(update_service) supports it on AWS).
  - C(create_service) carries a C(clientToken) made once per creation, so a retried call that had in fact
    succeeded returns the same service instead of failing or making a second one.
  - In a fresh account C(create_service) answers C(InvalidParameterException) "Unable to assume the service
    linked role" until the ECS service-linked role has propagated, and "does not have an associated load
    balancer" for a target group attached to a listener a moment ago. Both pass with time and are tried
    again for up to five minutes; each wait is listed in C(waited).
notes:
  - O(wait=true) needs an endpoint that runs tasks and completes rollouts (AWS does); against one that does
    not, the wait ends with a timeout.
author:
  - apranova.aws_stack contributors (!UNKNOWN)
options:
  name:
    description:
      - Name of the service.
      - One of O(name) and O(services) is required.
    type: str
  services:
    description:
      - Several services of the cluster in one task, each a dict of this module's options for one
        service - O(name) (required), O(task_definition), O(desired_count), O(launch_type),
        O(platform_version), O(network_configuration), O(load_balancers), O(deployment_configuration),
        O(health_check_grace_period_seconds), O(enable_execute_command), O(propagate_tags),
        O(force_new_deployment), O(tags) - checked as those options are. An option an element
        leaves unset takes the value given at the top level of the task; O(cluster), O(state),
        O(wait), O(wait_timeout) and O(purge_tags) are the task's.
      - The services are read, changed and waited for side by side, so the task costs about one
        service's round trips and the longest rollout (a loop of the module costs them one after
        another).
      - Mutually exclusive with O(name).
    type: list
    elements: dict
  cluster:
    description:
      - Name or ARN of the cluster the service runs in. The cluster must exist.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the service.
      - V(absent) scales it to 0 and deletes it (forced); with O(wait=true) waits until it is C(INACTIVE).
    type: str
    default: present
    choices: [present, absent]
  task_definition:
    description:
      - Task definition to run - a full ARN, C(family:revision), or C(family) for the latest C(ACTIVE) revision.
      - Required to create the service.
    type: str
  desired_count:
    description:
      - Number of tasks to keep running. Required to create the service.
    type: int
  launch_type:
    description:
      - Launch type; cannot change after creation.
    type: str
    default: FARGATE
    choices: [FARGATE, EC2, EXTERNAL]
  platform_version:
    description:
      - Fargate platform version, for example V(LATEST) or V(1.4.0).
    type: str
  network_configuration:
    description:
      - The awsvpc network configuration; required to create a service whose task definition uses C(awsvpc).
    type: dict
    suboptions:
      subnets:
        description:
          - IDs of the subnets the tasks run in.
        type: list
        elements: str
        required: true
      security_groups:
        description:
          - IDs of the security groups of the tasks. When unset, the current groups are left alone
            (at creation ECS uses the VPC's default group).
        type: list
        elements: str
      assign_public_ip:
        description:
          - Whether the tasks get a public IP address.
        type: bool
        default: false
  load_balancers:
    description:
      - Target groups the service registers its tasks with. When set, replaces the current list
        (V([]) removes them all).
    type: list
    elements: dict
    suboptions:
      target_group_arn:
        description:
          - ARN of the target group.
        type: str
        required: true
      container_name:
        description:
          - Name of the container (as in the task definition) to register.
        type: str
        required: true
      container_port:
        description:
          - Port of that container to register.
        type: int
        required: true
  deployment_configuration:
    description:
      - Deployment parameters. Only the sub-options that are set are compared and changed.
    type: dict
    suboptions:
      minimum_healthy_percent:
        description:
          - Lower limit of running tasks during a deployment, in percent of O(desired_count).
        type: int
      maximum_percent:
        description:
          - Upper limit of running and pending tasks during a deployment, in percent of O(desired_count).
        type: int
      deployment_circuit_breaker:
        description:
          - The deployment circuit breaker.
        type: dict
        suboptions:
          enable:
            description:
              - Whether the circuit breaker stops a deployment whose tasks keep failing.
            type: bool
            default: false
          rollback:
            description:
              - Whether a stopped deployment is rolled back to the last completed one.
            type: bool
            default: false
  health_check_grace_period_seconds:
    description:
      - Seconds during which failed load balancer health checks of a new task are ignored.
    type: int
  enable_execute_command:
    description:
      - Whether ECS Exec is enabled for the tasks.
    type: bool
  propagate_tags:
    description:
      - Where the tags of the tasks are copied from.
    type: str
    choices: [TASK_DEFINITION, SERVICE, NONE]
  force_new_deployment:
    description:
      - Start a new deployment even if nothing changed (for example to pull a moved image tag).
        Reports a change on every run.
    type: bool
    default: false
  wait:
    description:
      - With O(state=present), wait until the service is steady - one deployment, the PRIMARY one, with
        rolloutState C(COMPLETED) and runningCount equal to desiredCount. A deployment whose rolloutState is
        C(FAILED), or a rollback by the circuit breaker, fails the task with C(rolloutStateReason) and the
        latest service events.
      - With O(state=absent), wait until the service is C(INACTIVE).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true).
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run the backend behind the ALB, waiting for the rollout
  apranova.aws_stack.ecs_service:
    name: backend
    cluster: apranova-prod
    task_definition: "{{ backend_td.task_definition.task_definition_arn }}"
    desired_count: 2
    network_configuration:
      subnets: "{{ private_subnet_ids }}"
      security_groups: ["{{ backend_sg_id }}"]
      assign_public_ip: false
    load_balancers:
      - target_group_arn: "{{ backend_tg_arn }}"
        container_name: backend
        container_port: 8000
    deployment_configuration:
      minimum_healthy_percent: 100
      maximum_percent: 200
      deployment_circuit_breaker:
        enable: true
        rollback: true
    health_check_grace_period_seconds: 60
    propagate_tags: SERVICE
    wait: true
    tags:
      Project: apranova

- name: Delete the service
  apranova.aws_stack.ecs_service:
    name: backend
    cluster: apranova-prod
    state: absent

- name: Both services of the stack in one task, read and changed side by side
  apranova.aws_stack.ecs_service:
    cluster: apranova-prod
    services:
      - name: frontend
        task_definition: apranova-frontend
        desired_count: 1
      - name: backend
        task_definition: apranova-backend
        desired_count: 2
    network_configuration:
      subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
      security_groups: [sg-0123456789abcdef0]
  register: deployed  # deployed.services[1].service.desired_count
"""

RETURN = r"""
service:
  description: The service after the change (in check mode, as it would be). Empty when O(state=absent).
  returned: with O(name)
  type: dict
  contains:
    service_name:
      description: Name of the service.
      returned: when the service exists
      type: str
      sample: backend
    service_arn:
      description: ARN of the service (absent in check mode before creation).
      returned: when the service exists
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:service/apranova-prod/backend
    cluster_arn:
      description: ARN of the cluster.
      returned: when the service exists
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:cluster/apranova-prod
    status:
      description: Status of the service.
      returned: when the service exists
      type: str
      sample: ACTIVE
    task_definition:
      description: ARN of the task definition of the service.
      returned: when the service exists
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:task-definition/apranova-backend:3
    desired_count:
      description: Desired number of tasks.
      returned: when the service exists
      type: int
      sample: 2
    running_count:
      description: Number of running tasks.
      returned: when the service exists
      type: int
      sample: 2
    pending_count:
      description: Number of pending tasks.
      returned: when the service exists
      type: int
      sample: 0
    launch_type:
      description: Launch type.
      returned: when the service exists
      type: str
      sample: FARGATE
    platform_version:
      description: Platform version, if any.
      returned: when the service exists
      type: str
      sample: LATEST
    network_configuration:
      description: The awsvpc configuration (empty without one).
      returned: when the service exists
      type: dict
      sample: {"subnets": ["subnet-0123"], "security_groups": ["sg-0123"], "assign_public_ip": false}
    load_balancers:
      description: Target group bindings, sorted.
      returned: when the service exists
      type: list
      elements: dict
      sample: [{"target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/backend/0123",
                "container_name": "backend", "container_port": 8000}]
    deployment_configuration:
      description: Deployment configuration.
      returned: when the service exists
      type: dict
      sample: {"minimum_healthy_percent": 100, "maximum_percent": 200,
               "deployment_circuit_breaker": {"enable": true, "rollback": true}}
    health_check_grace_period_seconds:
      description: Health check grace period, or null.
      returned: when the service exists
      type: int
      sample: 60
    enable_execute_command:
      description: Whether ECS Exec is enabled.
      returned: when the service exists
      type: bool
      sample: false
    propagate_tags:
      description: Where task tags are copied from.
      returned: when the service exists
      type: str
      sample: SERVICE
    deployments:
      description: The service's deployments, shortened.
      returned: when the service exists
      type: list
      elements: dict
      sample: [{"id": "ecs-svc/1234", "status": "PRIMARY", "task_definition": "arn:aws:ecs:...:task-definition/apranova-backend:3",
                "desired_count": 2, "running_count": 2, "pending_count": 0, "failed_tasks": 0,
                "rollout_state": "COMPLETED", "rollout_state_reason": "ECS deployment ecs-svc/1234 completed."}]
    tags:
      description: Tags of the service.
      returned: when the service exists
      type: dict
      sample: {"Project": "apranova"}
services:
  description:
    - With O(services), what the module returns for one service (RV(service), RV(changed_attributes))
      for each element, in the order of O(services). Those keys are then not returned at the top level.
  returned: with O(services)
  type: list
  elements: dict
  sample: [{"service": {"service_name": "backend", "desired_count": 2}, "changed_attributes": []}]
changed_attributes:
  description:
    - Names of the options that differed and were (or would be) changed, plus V(tags) and
      V(force_new_deployment); V(created) or V(deleted) when the whole service was.
  returned: with O(name)
  type: list
  elements: str
  sample: [task_definition, desired_count]
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

from typing import Any, Dict, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import ecs
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Context
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Outcome
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import concurrently
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import list_elements
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import one_or_each
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import run_state
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import wait_for

# The options compared with the service (``ecs.service_updates``): unset leaves the attribute alone.
DESIRED_OPTIONS = ("task_definition", "desired_count", "platform_version", "network_configuration", "load_balancers",
                   "deployment_configuration", "health_check_grace_period_seconds", "enable_execute_command",
                   "propagate_tags")


def wait_for_inactive(client: Any, cluster: str, name: str, timeout: int) -> None:
    def gone() -> bool:
        service = ecs.describe_service(client, cluster, name)
        return service is None or service.get("status") == "INACTIVE"

    if not wait_for(gone, timeout=timeout, delay=2.0, max_delay=15.0):
        raise ecs.ECSUsageError("service %s in cluster %s was not INACTIVE after %d seconds; raise wait_timeout or "
                                "run the task again later" % (name, cluster, timeout))


# A rollout is polled every second, then at a fifth of the time waited (base.wait_for) up to 15 s: a
# short rollout (a service held at 0 tasks, a task definition that only changed its environment) is
# seen done within about a second, a long one costs one describe per 15 s (boto3's services_stable
# waiter polls every 15 s).
ROLLOUT_FIRST_DELAY = 1.0
ROLLOUT_MAX_DELAY = 15.0


def wait_for_steady_state(client: Any, cluster: str, name: str, task_definition: Optional[str], timeout: int) -> dict:
    """Poll until the rollout is done; raise ``ECSRolloutError`` when it fails or times out."""
    last = {}

    def steady() -> Optional[dict]:
        service = ecs.describe_service(client, cluster, name)
        status, reason = ecs.rollout_status(service, task_definition)
        last.update(service=service, reason=reason)
        if status == "failed":
            raise ecs.ECSRolloutError("the deployment of ECS service %s failed: %s" % (name, reason),
                                      events=ecs.latest_events(service), service=ecs.normalize_service(service))
        return service if status == "done" else None

    service = wait_for(steady, timeout=timeout, delay=ROLLOUT_FIRST_DELAY, max_delay=ROLLOUT_MAX_DELAY)
    if service is None:
        raise ecs.ECSRolloutError(
            "ECS service %s did not reach a steady state within %d seconds (%s); raise wait_timeout, or look "
            "at the service events (below) for why its tasks do not start or stay unhealthy"
            % (name, timeout, last.get("reason")),
            events=ecs.latest_events(last.get("service")), service=ecs.normalize_service(last.get("service")))
    return service


def _create_params(cluster: str, name: str, desired: Dict[str, Any], launch_type: str, tags: Optional[dict]) -> dict:
    params = {
        "cluster": cluster,
        "serviceName": name,
        "taskDefinition": desired["task_definition"],
        "desiredCount": desired["desired_count"],
        "launchType": launch_type,
        "schedulingStrategy": "REPLICA",
    }
    if desired.get("platform_version"):
        params["platformVersion"] = desired["platform_version"]
    if desired.get("network_configuration"):
        params["networkConfiguration"] = ecs.network_configuration_to_aws(desired["network_configuration"])
    if desired.get("load_balancers"):
        params["loadBalancers"] = ecs.load_balancers_to_aws(desired["load_balancers"])
    if desired.get("deployment_configuration"):
        params["deploymentConfiguration"] = ecs.deployment_configuration_to_aws(desired["deployment_configuration"])
    if desired.get("health_check_grace_period_seconds") is not None:
        params["healthCheckGracePeriodSeconds"] = desired["health_check_grace_period_seconds"]
    if desired.get("enable_execute_command") is not None:
        params["enableExecuteCommand"] = desired["enable_execute_command"]
    if desired.get("propagate_tags"):
        params["propagateTags"] = desired["propagate_tags"]
    if tags:
        params["tags"] = ecs.dict_to_ecs_tags(tags)
    return params


def _planned_service(cluster: str, name: str, desired: Dict[str, Any], launch_type: str, tags: Optional[dict]) -> dict:
    """What a new service will look like (check mode)."""
    planned = {
        "service_name": name, "status": "ACTIVE", "task_definition": desired["task_definition"],
        "desired_count": desired["desired_count"], "running_count": 0, "pending_count": 0,
        "launch_type": launch_type, "platform_version": desired.get("platform_version"),
        "network_configuration": {}, "load_balancers": ecs.normalize_load_balancers(desired.get("load_balancers")),
        "deployment_configuration": {},
        "health_check_grace_period_seconds": desired.get("health_check_grace_period_seconds"),
        "enable_execute_command": bool(desired.get("enable_execute_command")),
        "propagate_tags": desired.get("propagate_tags") or "NONE", "deployments": [], "tags": dict(tags or {}),
    }
    if desired.get("network_configuration"):
        planned["network_configuration"] = ecs.normalize_network_configuration(
            ecs.network_configuration_to_aws(desired["network_configuration"]))
    if desired.get("deployment_configuration"):
        planned["deployment_configuration"] = ecs.normalize_deployment_configuration(
            ecs.deployment_configuration_to_aws(desired["deployment_configuration"]))
    return planned


def _find_task_definition(client: Any, ref: str) -> Tuple[Optional[str], Optional[dict]]:
    """Task definition option -> (ARN, raw task definition), ``(None, None)`` when no ACTIVE revision matches.

    An ARN or ``family:revision`` costs one DescribeTaskDefinition (it answers the ARN too); a family
    alone is listed first for its latest ACTIVE revision.
    """
    if ecs.parse_task_definition_arn(ref)[1] is not None:
        found = ecs.describe_task_definition(client, ref)
        return (found[0]["taskDefinitionArn"], found[0]) if found else (None, None)
    arn = ecs.resolve_task_definition_arn(client, ref)
    found = ecs.describe_task_definition(client, arn) if arn else None
    return arn, (found[0] if found else None)


def _resolve(ref: str, found: Tuple[Optional[str], Optional[dict]], ctx: Context) -> Tuple[str, Optional[dict]]:
    """What ``_find_task_definition`` found for ``ref``; in check mode an unknown one is kept as given."""
    if found[0] is None:
        if ctx.check_mode:
            ctx.warn("task_definition %s matches no ACTIVE revision yet; assuming an earlier task registers it" % ref)
            return ref, None
        raise ecs.ECSUsageError("task_definition %s matches no ACTIVE task definition revision; register it first "
                                "(apranova.aws_stack.ecs_task_definition) or fix the family/revision" % ref)
    return found


def _outcome(changed: bool, before: dict, after: dict, changed_attributes: list) -> Outcome:
    return Outcome(changed, {"service": after, "changed_attributes": changed_attributes}, before=before, after=after)


def ensure_present(client: Any, params: Dict[str, Any], ctx: Context) -> Outcome:
    """Create the service, or bring the options that are set to their value; with ``wait``, wait for its rollout.

    ``service`` is the normalised service, ``changed_attributes`` the options that differed.
    """
    cluster, name, launch_type = params["cluster"], params["name"], params["launch_type"]
    tags, purge_tags = params["tags"], params["purge_tags"]
    wait, wait_timeout, check_mode = params["wait"], params["wait_timeout"], ctx.check_mode
    desired = {key: params[key] for key in DESIRED_OPTIONS}
    ref = desired.get("task_definition")
    # The service first (None as well when its cluster does not exist). An ACTIVE service proves its
    # cluster exists (ECS deletes a cluster only once it has no ACTIVE service: DeleteCluster,
    # ClusterContainsServicesException), and a service already on the task definition ARN asked for
    # needs that revision read for nothing: then the run reads nothing else. Otherwise the cluster
    # and the task definition are read side by side.
    raw = ecs.describe_service(client, cluster, name)
    active = raw is not None and raw.get("status") == "ACTIVE"
    same_td = bool(ref) and active and ref.startswith("arn:") and raw.get("taskDefinition") == ref
    found_cluster, found_td = concurrently([
        (lambda: raw) if active else (lambda: ecs.get_cluster(client, cluster)),
        (lambda: (None, None)) if same_td or not ref else (lambda: _find_task_definition(client, ref)),
    ])
    if found_cluster is None:
        if not check_mode:
            raise ecs.ECSUsageError("ECS cluster %s does not exist (or is INACTIVE); create it first with "
                                    "apranova.aws_stack.ecs_cluster" % cluster)
        ctx.warn("ECS cluster %s does not exist yet; assuming an earlier task creates it" % cluster)

    new_td = None
    if ref and not same_td:
        desired["task_definition"], new_td = _resolve(ref, found_td, ctx)

    if raw is not None and raw.get("status") == "DRAINING" and not check_mode:
        # A service being deleted cannot be recreated under its name until it is INACTIVE.
        wait_for_inactive(client, cluster, name, wait_timeout)
        raw = None
    if raw is not None and raw.get("status") != "ACTIVE":
        raw = None

    if raw is None:
        missing = [k for k in ("task_definition", "desired_count") if desired.get(k) is None]
        if missing:
            raise ecs.ECSUsageError("ECS service %s does not exist; %s needed to create it"
                                    % (name, " and ".join(missing) + (" are" if len(missing) > 1 else " is")))
        if new_td and new_td.get("networkMode") == "awsvpc" and not desired.get("network_configuration"):
            raise ecs.ECSUsageError("task definition %s uses network mode awsvpc; set network_configuration "
                                    "(subnets, security_groups) to create service %s" % (desired["task_definition"], name))
        if check_mode:
            return _outcome(True, {}, _planned_service(cluster, name, desired, launch_type, tags), ["created"])
        ecs.create_service(client, note=ctx.note, **_create_params(cluster, name, desired, launch_type, tags))
        current = ecs.normalize_service(ecs.get_service(client, cluster, name))
        # moto drops deploymentConfiguration, the grace period and enableExecuteCommand on create.
        updates, _dummy = ecs.service_updates(current, desired)
        if updates:
            ecs.update_service(client, cluster=cluster, service=name, **updates)
        after = ecs.get_service(client, cluster, name)
        if wait:
            after = wait_for_steady_state(client, cluster, name, desired["task_definition"], wait_timeout)
        return _outcome(True, {}, ecs.normalize_service(after), ["created"])

    before = ecs.normalize_service(raw)
    if before["task_definition"] and not before["task_definition"].startswith("arn:"):
        before["task_definition"] = ecs.resolve_task_definition_arn(client, before["task_definition"]) \
            or before["task_definition"]

    if before["launch_type"] and before["launch_type"] != launch_type:
        raise ecs.ECSUsageError("ECS service %s has launch_type %s, which cannot change to %s; delete the service "
                                "(state: absent) and create it again, or keep launch_type: %s"
                                % (name, before["launch_type"], launch_type, before["launch_type"]))
    if new_td and desired["task_definition"] != before["task_definition"]:
        found = ecs.describe_task_definition(client, before["task_definition"])
        old_mode = found[0].get("networkMode") if found else None
        if old_mode and new_td.get("networkMode") and old_mode != new_td["networkMode"]:
            raise ecs.ECSUsageError(
                "task definition %s uses network mode %s but service %s was created with network mode %s, which "
                "cannot change; register the task definition with network_mode %s or recreate the service"
                % (desired["task_definition"], new_td["networkMode"], name, old_mode, old_mode))

    updates, changed_attributes = ecs.service_updates(before, desired)
    if params["force_new_deployment"]:
        updates["forceNewDeployment"] = True
        changed_attributes.append("force_new_deployment")
    to_set, to_remove = tag_changes(before["tags"], tags, purge_tags)
    if to_set or to_remove:
        changed_attributes.append("tags")

    changed = bool(changed_attributes)
    if check_mode:
        after = ecs.apply_updates(before, updates)
        after["tags"] = merged_tags(before["tags"], tags, purge_tags)
        return _outcome(changed, before, after, changed_attributes)

    if updates:
        ecs.update_service(client, cluster=cluster, service=name, **updates)
    if to_remove:
        ecs.untag_resource(client, before["service_arn"], to_remove)
    if to_set:
        ecs.tag_resource(client, before["service_arn"], to_set)
    after = ecs.get_service(client, cluster, name) if changed else raw
    if wait:
        after = wait_for_steady_state(client, cluster, name, after.get("taskDefinition"), wait_timeout)
    after = ecs.normalize_service(after)
    if not changed:
        after["task_definition"] = before["task_definition"]
    return _outcome(changed, before, after, changed_attributes)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: Context) -> Outcome:
    """Scale the service to 0 and delete it; with ``wait``, wait until it is INACTIVE."""
    cluster, name = params["cluster"], params["name"]
    raw = ecs.get_service(client, cluster, name)
    if raw is None:
        return _outcome(False, {}, {}, [])
    before = ecs.normalize_service(raw)
    if ctx.check_mode:
        return _outcome(True, before, {}, ["deleted"])
    if raw.get("desiredCount"):
        ecs.update_service(client, cluster=cluster, service=name, desiredCount=0)
    ecs.delete_service(client, cluster, name)
    if params["wait"]:
        wait_for_inactive(client, cluster, name, params["wait_timeout"])
    return _outcome(True, before, {}, ["deleted"])


def problems(p: Dict[str, Any], where: str = "") -> list:
    """What is wrong with one service's options (``where`` names the element of services)."""
    found = []
    if p["desired_count"] is not None and p["desired_count"] < 0:
        found.append("%sdesired_count must be 0 or more (got %d)" % (where, p["desired_count"]))
    if p["network_configuration"] is not None and not p["network_configuration"]["subnets"]:
        found.append("%snetwork_configuration.subnets must name at least one subnet" % where)
    return found


# The options of one service, which each element of O(services) takes (base.list_elements).
PER_SERVICE = ("name", "task_definition", "desired_count", "launch_type", "platform_version", "network_configuration",
               "load_balancers", "deployment_configuration", "health_check_grace_period_seconds",
               "enable_execute_command", "propagate_tags", "force_new_deployment", "tags")


def main() -> None:
    argument_spec = dict(
        name=dict(type="str"),
        services=dict(type="list", elements="dict"),
        cluster=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        task_definition=dict(type="str"),
        desired_count=dict(type="int"),
        launch_type=dict(type="str", default="FARGATE", choices=["FARGATE", "EC2", "EXTERNAL"]),
        platform_version=dict(type="str"),
        network_configuration=dict(
            type="dict",
            options=dict(
                subnets=dict(type="list", elements="str", required=True),
                security_groups=dict(type="list", elements="str"),
                assign_public_ip=dict(type="bool", default=False),
            ),
        ),
        load_balancers=dict(
            type="list", elements="dict",
            options=dict(
                target_group_arn=dict(type="str", required=True),
                container_name=dict(type="str", required=True),
                container_port=dict(type="int", required=True),
            ),
        ),
        deployment_configuration=dict(
            type="dict",
            options=dict(
                minimum_healthy_percent=dict(type="int"),
                maximum_percent=dict(type="int"),
                deployment_circuit_breaker=dict(
                    type="dict",
                    options=dict(
                        enable=dict(type="bool", default=False),
                        rollback=dict(type="bool", default=False),
                    ),
                ),
            ),
        ),
        health_check_grace_period_seconds=dict(type="int"),
        enable_execute_command=dict(type="bool"),
        propagate_tags=dict(type="str", choices=["TASK_DEFINITION", "SERVICE", "NONE"]),
        force_new_deployment=dict(type="bool", default=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=900),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              mutually_exclusive=[("name", "services")], required_one_of=[("name", "services")])
    p = module.params
    if p["services"] is None:
        found = problems(p)
    else:
        elements, found = list_elements(p, "services", "name", "service", argument_spec, PER_SERVICE, problems)
        p = dict(p, services=elements)
    if found:
        module.fail_json(msg="; ".join(found))

    client = mark_waits(aws_client(module, "ecs"))
    try:
        run_state(module, client, one_or_each(ensure_present, "services", "name"),
                  one_or_each(ensure_absent, "services", "name"), params=p)
    except ecs.ECSRolloutError as e:  # with the latest service events and the service, which run_state does not add
        module.fail_json(msg=str(e), **e.details)


if __name__ == "__main__":
    main()
