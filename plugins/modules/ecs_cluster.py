#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_cluster
short_description: Manage an ECS cluster, its Container Insights setting and capacity providers
version_added: 0.1.0
description:
  - Creates, updates and deletes an Amazon ECS cluster.
  - Fills these gaps of M(community.aws.ecs_cluster) - it has no Container Insights setting, no
    tags, no check mode, and a rerun fails with C(KeyError capacityProviders) when no capacity
    providers are declared.
  - The cluster is always looked up first; C(create_cluster) is only called for a cluster that
    does not exist (or is C(INACTIVE)), because on some endpoints (moto) it silently resets an
    existing cluster.
  - An unset option leaves that attribute of an existing cluster alone.
  - In a fresh account C(create_cluster) answers C(InvalidParameterException) "Unable to assume the service
    linked role" until the ECS service-linked role (which C(create_cluster) itself asks IAM to create) has
    propagated. That passes with time and is tried again for up to five minutes; each wait is listed in
    C(waited). Deleting a cluster whose services are still draining is tried again the same way.
author:
  - apranova.aws_stack contributors (!UNKNOWN)
options:
  name:
    description:
      - Name of the cluster.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the cluster, V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
  container_insights:
    description:
      - The C(containerInsights) cluster setting.
      - V(enhanced) is the Container Insights with enhanced observability of newer AWS regions.
    type: str
    choices: [enabled, disabled, enhanced]
  capacity_providers:
    description:
      - Capacity providers associated with the cluster, for example V(FARGATE) and V(FARGATE_SPOT).
      - When set, replaces the current list.
    type: list
    elements: str
  default_capacity_provider_strategy:
    description:
      - The default capacity provider strategy of the cluster. When set, replaces the current strategy.
      - Every O(default_capacity_provider_strategy[].capacity_provider) must be one of the cluster's capacity providers.
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description:
          - Name of the capacity provider.
        type: str
        required: true
      weight:
        description:
          - Relative share of tasks launched with this provider.
        type: int
        default: 0
      base:
        description:
          - Minimum number of tasks run with this provider.
        type: int
        default: 0
  force:
    description:
      - With O(state=absent), a cluster that still has services is refused unless O(force=true). In check
        mode it is a warning instead, and the cluster is reported as deleted, since in a real run an earlier
        task (the teardown's) deletes the services first.
      - With O(force=true) its services are scaled to 0 and deleted first, then the cluster is deleted
        once they are C(INACTIVE).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create a Fargate cluster with Container Insights
  apranova.aws_stack.ecs_cluster:
    name: apranova-prod
    container_insights: enabled
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      - capacity_provider: FARGATE
        weight: 1
        base: 1
    tags:
      Project: apranova

- name: Delete the cluster and every service still in it
  apranova.aws_stack.ecs_cluster:
    name: apranova-prod
    state: absent
    force: true
"""

RETURN = r"""
cluster:
  description: The cluster after the change (in check mode, as it would be). Empty when O(state=absent).
  returned: always
  type: dict
  contains:
    cluster_name:
      description: Name of the cluster.
      returned: when the cluster exists
      type: str
      sample: apranova-prod
    cluster_arn:
      description: ARN of the cluster (absent in check mode before creation).
      returned: when the cluster exists
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:cluster/apranova-prod
    status:
      description: Status of the cluster.
      returned: when the cluster exists
      type: str
      sample: ACTIVE
    settings:
      description: Cluster settings, name (snake_case) to value.
      returned: when the cluster exists
      type: dict
      sample: {"container_insights": "enabled"}
    capacity_providers:
      description: Capacity providers of the cluster, sorted.
      returned: when the cluster exists
      type: list
      elements: str
      sample: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      description: Default capacity provider strategy, sorted by provider.
      returned: when the cluster exists
      type: list
      elements: dict
      sample: [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}]
    active_services_count:
      description: The C(activeServicesCount) reported by ECS (moto always reports 0).
      returned: when the cluster exists
      type: int
      sample: 2
    tags:
      description: Tags of the cluster.
      returned: when the cluster exists
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

from typing import Any, Dict, List, Optional

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import ecs
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Context
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Outcome
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import run_state
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import wait_for

SERVICE_DRAIN_TIMEOUT = 600


def _check_strategy(capacity_providers: Optional[List[str]], strategy: Optional[List[dict]]) -> None:
    if capacity_providers is None or strategy is None:
        return
    unknown = sorted({s["capacity_provider"] for s in strategy} - set(capacity_providers))
    if unknown:
        raise ecs.ECSUsageError(
            "default_capacity_provider_strategy names %s, which %s not in capacity_providers %s; add %s to "
            "capacity_providers or remove it from the strategy"
            % (", ".join(unknown), "is" if len(unknown) == 1 else "are", sorted(capacity_providers), ", ".join(unknown)))


def ensure_present(client: Any, params: Dict[str, Any], ctx: Context) -> Outcome:
    """Create the cluster, or bring the options that are set to their value; ``cluster`` is the normalised cluster."""
    name = params["name"]
    container_insights = params["container_insights"]
    capacity_providers = params["capacity_providers"]
    strategy = params["default_capacity_provider_strategy"]
    tags, purge_tags = params["tags"], params["purge_tags"]
    current = ecs.get_cluster(client, name)
    desired_settings = [{"name": "containerInsights", "value": container_insights}] if container_insights else None
    want_strategy = ecs.normalize_strategy(strategy) if strategy is not None else None

    if current is None:
        _check_strategy(capacity_providers if capacity_providers is not None else [], strategy)
        after = {
            "cluster_name": name, "status": "ACTIVE",
            "settings": {"container_insights": container_insights or "disabled"},
            "capacity_providers": sorted(capacity_providers or []),
            "default_capacity_provider_strategy": want_strategy or [],
            "active_services_count": 0, "tags": merged_tags({}, tags, purge_tags),
        }
        if ctx.check_mode:
            return Outcome(True, {"cluster": after}, before={}, after=after)
        ecs.create_cluster(
            client, name, settings=desired_settings, capacity_providers=capacity_providers,
            strategy=ecs.strategy_to_aws(want_strategy) if want_strategy is not None else None, tags=tags, note=ctx.note,
        )
        after = ecs.normalize_cluster(ecs.get_cluster(client, name))
        return Outcome(True, {"cluster": after}, before={}, after=after)

    before = ecs.normalize_cluster(current)
    after = dict(before, settings=dict(before["settings"]))
    actions = []

    if container_insights and before["settings"].get("container_insights", "disabled") != container_insights:
        after["settings"]["container_insights"] = container_insights
        actions.append(lambda: ecs.update_cluster_settings(client, name, desired_settings))

    want_cps = sorted(capacity_providers) if capacity_providers is not None else before["capacity_providers"]
    want_strat = want_strategy if want_strategy is not None else before["default_capacity_provider_strategy"]
    if want_cps != before["capacity_providers"] or want_strat != before["default_capacity_provider_strategy"]:
        _check_strategy(want_cps, want_strat)
        after["capacity_providers"] = want_cps
        after["default_capacity_provider_strategy"] = want_strat
        actions.append(lambda: ecs.put_cluster_capacity_providers(client, name, want_cps, ecs.strategy_to_aws(want_strat)))

    to_set, to_remove = tag_changes(before["tags"], tags, purge_tags)
    if to_set or to_remove:
        after["tags"] = merged_tags(before["tags"], tags, purge_tags)
        arn = before["cluster_arn"]
        actions.append(lambda: ecs.untag_resource(client, arn, to_remove))
        actions.append(lambda: ecs.tag_resource(client, arn, to_set))

    if not actions:
        return Outcome(False, {"cluster": before}, before=before, after=before)
    if ctx.check_mode:
        return Outcome(True, {"cluster": after}, before=before, after=after)
    for action in actions:
        action()
    after = ecs.normalize_cluster(ecs.get_cluster(client, name))
    return Outcome(True, {"cluster": after}, before=before, after=after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: Context) -> Outcome:
    """Delete the cluster; its services too with ``force`` (scaled to 0, deleted, drained first)."""
    name = params["name"]
    current = ecs.get_cluster(client, name)
    if current is None:
        return Outcome(False, {"cluster": {}}, before={}, after={})
    before = ecs.normalize_cluster(current)
    services = ecs.live_services(client, name)
    if services and not params["force"]:
        names = sorted(s["serviceName"] for s in services)
        message = ("ECS cluster %s still has %d service(s): %s. Delete them first (apranova.aws_stack.ecs_service "
                   "state=absent) or set force: true to delete them with the cluster" % (name, len(names), ", ".join(names)))
        if not ctx.check_mode:
            raise ecs.ECSUsageError(message)
        # check mode: an earlier task of the play (the teardown's) deletes them in a real run
        ctx.warn(message + " (check mode: assuming an earlier task deletes them)")
    if ctx.check_mode:
        return Outcome(True, {"cluster": {}}, before=before, after={})
    for service in services:
        if service.get("desiredCount"):
            ecs.update_service(client, cluster=name, service=service["serviceArn"], desiredCount=0)
        ecs.delete_service(client, name, service["serviceArn"])
    if services:
        arns = [s["serviceArn"] for s in services]
        drained = wait_for(lambda: all(s.get("status") == "INACTIVE" for s in ecs.describe_services(client, name, arns)),
                           timeout=SERVICE_DRAIN_TIMEOUT)
        if not drained:
            raise ecs.ECSUsageError("the services of ECS cluster %s were not INACTIVE after %d seconds; run the task "
                                    "again once they have drained" % (name, SERVICE_DRAIN_TIMEOUT))
    ecs.delete_cluster(client, name, note=ctx.note)
    return Outcome(True, {"cluster": {}}, before=before, after={})


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        container_insights=dict(type="str", choices=["enabled", "disabled", "enhanced"]),
        capacity_providers=dict(type="list", elements="str"),
        default_capacity_provider_strategy=dict(
            type="list", elements="dict",
            options=dict(
                capacity_provider=dict(type="str", required=True),
                weight=dict(type="int", default=0),
                base=dict(type="int", default=0),
            ),
        ),
        force=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = aws_client(module, "ecs")
    run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
