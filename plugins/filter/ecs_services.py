# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the ECS services tier.

* ``ecs_services_problems`` checks the services and the log settings before any AWS call
  (roles/ecs_services/tasks/preflight.yml): one sentence per problem, each naming the variable.
* ``ecs_services_image_tag`` gives the image tag of each service.
* ``ecs_services_containers`` builds each service's container definition from the services and
  what stack_info found (database and Redis addresses, secret, load balancer, repositories).
* ``ecs_services_log_groups`` gives the ``log_groups`` option of
  ``apranova.aws_stack.cloudwatchlogs_log_groups``: one log group per service (tasks/logs.yml).

``ecs_services_image_tag`` and ``ecs_services_containers`` are used by roles/ecs_services/vars/main.yml. The checks follow Jinja's semantics,
which the roles used before: numbers go through Jinja's ``int`` filter (``'8000'`` and ``80.5``
count as 8000 and 80, what does not parse counts as 0), values are shown in messages as Jinja's
``~`` would print them, patterns are matched with ``re.match`` like the ``match`` test, and the
environment of a container is sorted by name without regard to case, like Jinja's ``sort``
(plugins/plugin_utils/filter_inputs.py). Docs: one YAML file per filter next to this file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.filter_inputs import (
    count_unique, is_sequence, jinja_int, jinja_sort_key, matches)

SERVICE_NAME = r"^[a-z][a-z0-9-]{0,62}$"
MAX_GRACE_PERIOD = 2147483647


def _services(filter_name: str, services: Any, required: Sequence[str]) -> list[Mapping[str, Any]]:
    """The list of service dicts, each with the keys required (argument_specs requires them too)."""
    if not is_sequence(services):
        raise AnsibleFilterError(f"{filter_name}: the input must be the list ecs_services_services, "
                                 f"got {type(services).__name__}")
    for index, svc in enumerate(services):
        if not isinstance(svc, Mapping):
            raise AnsibleFilterError(f"{filter_name}: ecs_services_services[{index}] must be a dict, "
                                     f"got {type(svc).__name__}")
        absent = [key for key in required if key not in svc]
        if absent:
            raise AnsibleFilterError(f"{filter_name}: ecs_services_services[{index}] lacks {', '.join(absent)}")
    return list(services)


def ecs_services_problems(services: Sequence[Mapping[str, Any]], log_retention_days: Any,
                          health_check_grace_period: Any, fargate_memory: Mapping[str, Sequence[int]],
                          log_retention_values: Sequence[int]) -> list[str]:
    """Return the problems of the services and the log settings, one sentence each (empty when all is well).

    ``fargate_memory`` maps each Fargate CPU size (as a string) to the memory sizes it accepts;
    ``log_retention_values`` lists the retentions CloudWatch accepts.
    """
    services = _services("ecs_services_problems", services, ("name", "cpu", "memory", "port"))
    if not isinstance(fargate_memory, Mapping):
        raise AnsibleFilterError("ecs_services_problems: fargate_memory must be a dict of CPU size to memory sizes, "
                                 f"got {type(fargate_memory).__name__}")
    if not is_sequence(log_retention_values):
        raise AnsibleFilterError("ecs_services_problems: log_retention_values must be a list, "
                                 f"got {type(log_retention_values).__name__}")
    out = []
    if len(services) == 0:
        out.append("ecs_services_services: the list is empty; list at least one service")
    names = [svc["name"] for svc in services]
    if count_unique(names) != len(names):
        out.append("ecs_services_services: a service name is listed twice")
    for svc in services:
        name, cpu, memory, port = svc["name"], svc["cpu"], svc["memory"], svc["port"]
        if not matches(SERVICE_NAME, name):
            out.append(f"ecs_services_services: name '{name!s}' must be lower-case letters, digits and hyphens")
        allowed = list(fargate_memory.get(str(cpu)) or [])
        if not allowed:
            out.append(f"ecs_services_services: cpu {cpu!s} of '{name!s}' is not a Fargate size;"
                       " use 256, 512, 1024, 2048, 4096, 8192 or 16384")
        elif jinja_int(memory) not in allowed:
            out.append(f"ecs_services_services: cpu {cpu!s} with memory {memory!s} of '{name!s}' is not a valid"
                       f" Fargate pair; with cpu {cpu!s} use memory {allowed[0]!s}-{allowed[-1]!s}")
        if jinja_int(port) < 1 or jinja_int(port) > 65535:
            out.append(f"ecs_services_services: port {port!s} of '{name!s}' is out of range; use 1-65535")
        if jinja_int(svc.get("desired_count", 1)) < 0:
            out.append(f"ecs_services_services: desired_count {svc['desired_count']!s} of '{name!s}'"
                       " is negative; use 0 or more")
    if jinja_int(log_retention_days) not in list(log_retention_values):
        out.append(f"ecs_services_log_retention_days: {log_retention_days!s} is not a retention CloudWatch accepts;"
                   f" use one of {', '.join(str(days) for days in log_retention_values)}")
    grace = jinja_int(health_check_grace_period)
    if grace < 0 or grace > MAX_GRACE_PERIOD:
        out.append("ecs_services_health_check_grace_period: use 0 or more seconds")
    return out


def ecs_services_image_tag(services: Sequence[Mapping[str, Any]], image_tags: Mapping[str, Any]) -> dict[str, Any]:
    """Service name -> image tag: ``image_tags[name]``, else the service's ``image_tag``, else ``latest``."""
    services = _services("ecs_services_image_tag", services, ("name",))
    if not isinstance(image_tags, Mapping):
        raise AnsibleFilterError("ecs_services_image_tag: image_tags must be a dict of service name to tag, "
                                 f"got {type(image_tags).__name__}")
    out = {}
    for svc in services:
        name = svc["name"]
        out[name] = image_tags[name] if name in image_tags else svc.get("image_tag", "latest")
    return out


def _found(stack: Mapping[str, Any], key: str, service: Any) -> Mapping[str, Any]:
    """One resource of stack_info's ``stack``, or a clear error when it was not found."""
    found = stack.get(key)
    if not isinstance(found, Mapping):
        raise AnsibleFilterError(f"ecs_services_containers: the stack has no {key} (needed by service '{service!s}');"
                                 " run the tier that builds it first")
    return found


def ecs_services_containers(services: Sequence[Mapping[str, Any]], stack: Mapping[str, Any], image_tag: Mapping[str, Any],
                            data_ready: Any, ecr_prefix: str, log_group_prefix: str,
                            region: str) -> dict[str, dict[str, Any]]:
    """Service name -> container definition (ECS API shape) of the service's task definition.

    ``stack`` is what apranova.aws_stack.stack_info found; ``image_tag`` maps service name to tag
    (ecs_services_image_tag). A service with ``data`` gets DB_PORT and DB_NAME, and once
    ``data_ready`` (the database and Redis have addresses) DB_HOST, REDIS_HOST, REDIS_PORT and
    REDIS_URL, plus DB_PASSWORD and DB_USER as secrets read from the DB secret. The password
    itself never passes through here: only the secret's ARN.
    """
    services = _services("ecs_services_containers", services, ("name", "port"))
    for arg, value in (("stack", stack), ("image_tag", image_tag)):
        if not isinstance(value, Mapping):
            raise AnsibleFilterError(f"ecs_services_containers: {arg} must be a dict, got {type(value).__name__}")
    out = {}
    for svc in services:
        name = svc["name"]
        env: dict[Any, Any] = {}
        if svc.get("data", False):
            db = _found(stack, "db_instance", name)
            cache = _found(stack, "cache", name)
            env.update({"DB_PORT": str(db.get("port")), "DB_NAME": db.get("db_name")})
            if data_ready:
                scheme = "rediss://" if cache.get("transit_encryption") else "redis://"
                env.update({
                    "DB_HOST": db.get("address"),
                    "REDIS_HOST": cache.get("address"),
                    "REDIS_PORT": str(cache.get("port")),
                    "REDIS_URL": f"{scheme}{cache.get('address')!s}:{cache.get('port')!s}/0",
                })
        if svc.get("public_api_url", False):
            env["NEXT_PUBLIC_API_URL"] = f"http://{_found(stack, 'load_balancer', name).get('dns_name')!s}/api"
        extra = svc.get("environment", {})
        if not isinstance(extra, Mapping):
            raise AnsibleFilterError(f"ecs_services_containers: environment of service '{name!s}' must be a dict, "
                                     f"got {type(extra).__name__}")
        env.update(extra)
        repository = f"{ecr_prefix!s}/{name!s}"
        repositories = stack.get("repositories")
        if not isinstance(repositories, Mapping) or not isinstance(repositories.get(repository), Mapping):
            raise AnsibleFilterError(f"ecs_services_containers: the stack has no repository {repository};"
                                     " run the registry tier first")
        if name not in image_tag:
            raise AnsibleFilterError(f"ecs_services_containers: image_tag has no tag for service '{name!s}'")
        container: dict[str, Any] = {
            "name": name,
            "image": f"{repositories[repository].get('uri')!s}:{image_tag[name]!s}",
            "essential": True,
            "portMappings": [{"containerPort": jinja_int(svc["port"]), "protocol": "tcp"}],
            "environment": sorted(({"name": key, "value": value} for key, value in env.items()),
                                  key=lambda item: jinja_sort_key(item["name"])),
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": f"{log_group_prefix!s}/{name!s}",
                "awslogs-region": region,
                "awslogs-stream-prefix": name,
            }},
        }
        if svc.get("data", False):
            secret_arn = _found(stack, "db_secret", name).get("arn")
            container["secrets"] = [
                {"name": "DB_PASSWORD", "valueFrom": f"{secret_arn!s}:password::"},
                {"name": "DB_USER", "valueFrom": f"{secret_arn!s}:username::"},
            ]
        if svc.get("efs_mount_path", ""):
            container["mountPoints"] = [{"sourceVolume": "workspaces", "containerPath": svc["efs_mount_path"],
                                         "readOnly": False}]
        out[name] = container
    return out


def ecs_services_log_groups(services: Sequence[Mapping[str, Any]], prefix: str, retention: Any) -> list[dict[str, Any]]:
    """``[{"name": "<prefix>/<name>", "retention": retention, "tags": {"Service": name}}, ...]``, one
    log group per service in their order (the group the service's container writes to)."""
    services = _services("ecs_services_log_groups", services, ("name",))
    if not isinstance(prefix, str) or not prefix:
        raise AnsibleFilterError("ecs_services_log_groups: the prefix must be a non-empty string, got %r" % (prefix,))
    return [{"name": "%s/%s" % (prefix, svc["name"]), "retention": retention, "tags": {"Service": svc["name"]}}
            for svc in services]


def ecs_services_task_definitions(services: Sequence[Mapping[str, Any]], containers: Mapping[str, Any], volumes: Sequence[Any],
                                  family_prefix: str, tags: Mapping[str, Any],
                                  replace_previous: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The O(task_definitions) of ecs_task_definition for the services, one family per service in their order."""
    services = _services("ecs_services_task_definitions", services, ("name", "cpu", "memory"))
    if not isinstance(containers, Mapping) or not isinstance(tags, Mapping):
        raise AnsibleFilterError("ecs_services_task_definitions: containers and tags must be dicts")
    missing = [svc["name"] for svc in services if svc["name"] not in containers]
    if missing:
        raise AnsibleFilterError("ecs_services_task_definitions: no container definition for %s" % ", ".join(missing))
    return [{"family": "%s-%s" % (family_prefix, svc["name"]), "cpu": str(svc["cpu"]), "memory": str(svc["memory"]),
             "container_definitions": [containers[svc["name"]]],
             "volumes": list(volumes) if svc.get("efs_mount_path") else [],
             "tags": dict(tags, Service=svc["name"]), "replace_previous": svc["name"] in replace_previous}
            for svc in services]


def ecs_services_service_options(services: Sequence[Mapping[str, Any]], task_definitions: Sequence[Mapping[str, Any]],
                                 held: Sequence[str], target_groups: Mapping[str, Any], name_prefix: str,
                                 grace_period: Any, tags: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The O(services) of ecs_service for the services, in their order: each one's revision (from
    ecs_task_definition's O(task_definitions) result, same order; the family when it has no ARN, in
    check mode), its count (0 while held), its target group's load balancer and its tags."""
    services = _services("ecs_services_service_options", services, ("name",))
    if not is_sequence(task_definitions) or len(task_definitions) != len(services):
        raise AnsibleFilterError("ecs_services_service_options: task_definitions must be the task_definitions result "
                                 "of ecs_task_definition for the same services, in the same order")
    out = []
    for svc, registered in zip(services, task_definitions):
        name = svc["name"]
        arn = ((registered or {}).get("task_definition") or {}).get("task_definition_arn")
        option = {"name": name, "task_definition": arn or "%s-%s" % (name_prefix, name),
                  "desired_count": 0 if name in held else svc.get("desired_count", 1),
                  "load_balancers": [], "tags": dict(tags, Service=name)}
        if svc.get("target_group"):
            group_name = "%s-%s-tg" % (name_prefix, svc["target_group"])
            group = (target_groups or {}).get(group_name)
            if not isinstance(group, Mapping) or not group.get("arn"):
                raise AnsibleFilterError("ecs_services_service_options: target group %s (of service '%s') was not found;"
                                         " run the alb tier first" % (group_name, name))
            option["load_balancers"] = [{"target_group_arn": group["arn"], "container_name": name, "container_port": svc["port"]}]
            option["health_check_grace_period_seconds"] = grace_period
        out.append(option)
    return out


class FilterModule(object):
    def filters(self) -> dict[str, Any]:
        return {
            "ecs_services_problems": ecs_services_problems,
            "ecs_services_image_tag": ecs_services_image_tag,
            "ecs_services_containers": ecs_services_containers,
            "ecs_services_log_groups": ecs_services_log_groups,
            "ecs_services_task_definitions": ecs_services_task_definitions,
            "ecs_services_service_options": ecs_services_service_options,
        }
