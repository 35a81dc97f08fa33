#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_task_definition
short_description: Register ECS task definition revisions idempotently
version_added: 0.1.0
description:
  - Registers a revision of an ECS task definition family when the desired definition differs from
    the latest C(ACTIVE) revision, and deregisters the family's revisions with O(state=absent).
  - The desired definition and the latest C(ACTIVE) revision are compared after normalising both, so
    that values ECS fills in by itself do not count as a difference - C(essential=true), C(cpu=0),
    C(portMappings[].protocol=tcp), C(hostPort) equal to C(containerPort) (always so with C(awsvpc)),
    health check defaults (interval 30, timeout 5, retries 3), EFS C(rootDirectory=/), empty lists and
    dicts; C(environment) and C(secrets) are compared sorted by name, containers and volumes by name.
    Integer fields given as strings (a templated C(containerPort)) are sent as integers.
  - Fills these gaps of M(community.aws.ecs_taskdefinition) - it takes the container definitions in
    snake_case and rewrites them, compares a limited set of fields, and looks revisions up through
    the family's newest revision even when it is C(INACTIVE).
  - Tags only apply to the revision; a change of O(tags) alone re-tags the latest revision instead of
    registering a new one. Without O(tags), a new revision inherits the tags of the previous one.
author:
  - apranova.aws_stack contributors (!UNKNOWN)
options:
  family:
    description:
      - Name of the task definition family.
      - One of O(family) and O(task_definitions) is required.
    type: str
  task_definitions:
    description:
      - Several families in one task, each a dict of this module's options for one family -
        O(family) (required), O(cpu), O(memory), O(network_mode), O(requires_compatibilities),
        O(execution_role_arn), O(task_role_arn), O(container_definitions), O(volumes),
        O(runtime_platform), O(tags), O(replace_previous) - checked as those options are. An option
        an element leaves unset takes the value given at the top level of the task; O(state) and
        O(purge_tags) are the task's.
      - The families are read and registered side by side, so the task costs about one family's
        round trips (a loop of the module costs them one after another).
      - Mutually exclusive with O(family).
    type: list
    elements: dict
  state:
    description:
      - V(present) makes sure the latest C(ACTIVE) revision matches the definition, registering a new one if not.
      - V(absent) deregisters every C(ACTIVE) revision of the family.
    type: str
    default: present
    choices: [present, absent]
  replace_previous:
    description:
      - When a new revision is registered, deregister the C(ACTIVE) revision it replaces.
      - For a revision no service should ever fall back to, such as one registered before the
        endpoints it names existed. Deploys normally keep the previous revision for rollback.
    type: bool
    default: false
  cpu:
    description:
      - Task-level CPU units, as a string (V("256"), V("512"), V("1024") ...). Required by Fargate.
    type: str
  memory:
    description:
      - Task-level memory in MiB, as a string (V("512"), V("1024") ...). Required by Fargate.
    type: str
  network_mode:
    description:
      - Docker networking mode of the containers. Fargate requires V(awsvpc).
    type: str
    default: awsvpc
    choices: [awsvpc, bridge, host, none]
  requires_compatibilities:
    description:
      - Launch types the task definition is validated against.
    type: list
    elements: str
    default: [FARGATE]
  execution_role_arn:
    description:
      - ARN of the role the ECS agent uses to pull images, write logs and read the C(secrets) of O(container_definitions).
    type: str
  task_role_arn:
    description:
      - ARN of the role the containers assume.
    type: str
  container_definitions:
    description:
      - Container definitions in the AWS API shape (camelCase keys such as C(portMappings), C(logConfiguration),
        C(secrets) with C(valueFrom)), passed through as they are.
      - Required with O(state=present) (in each element of O(task_definitions), or at the top level).
    type: list
    elements: dict
  volumes:
    description:
      - Volumes in the AWS API shape, for example an C(efsVolumeConfiguration) with C(transitEncryption=ENABLED)
        and C(authorizationConfig) C({accessPointId, iam=ENABLED}).
    type: list
    elements: dict
  runtime_platform:
    description:
      - The C(runtimePlatform) in the AWS API shape, for example C({cpuArchitecture=ARM64, operatingSystemFamily=LINUX}).
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Register the backend task definition
  apranova.aws_stack.ecs_task_definition:
    family: apranova-backend
    cpu: "512"
    memory: "1024"
    execution_role_arn: "{{ execution_role_arn }}"
    task_role_arn: "{{ task_role_arn }}"
    container_definitions:
      - name: backend
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/backend:1.4.2"
        portMappings:
          - containerPort: 8000
        environment:
          - name: APP_ENV
            value: production
        secrets:
          - name: DATABASE_PASSWORD
            valueFrom: "{{ db_secret_arn }}"
        mountPoints:
          - sourceVolume: data
            containerPath: /data
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /ecs/apranova-backend
            awslogs-region: us-east-1
            awslogs-stream-prefix: backend
    volumes:
      - name: data
        efsVolumeConfiguration:
          fileSystemId: "{{ efs_id }}"
          transitEncryption: ENABLED
          authorizationConfig:
            accessPointId: "{{ access_point_id }}"
            iam: ENABLED
    tags:
      Project: apranova
  register: backend_td

- name: Register the revisions of two services in one task
  apranova.aws_stack.ecs_task_definition:
    task_definitions:
      - family: apranova-frontend
        cpu: "256"
        memory: "512"
        container_definitions: [{name: frontend, image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/frontend:2.0.1"}]
      - family: apranova-backend
        cpu: "512"
        memory: "1024"
        container_definitions: [{name: backend, image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/backend:1.4.2"}]
    execution_role_arn: "{{ execution_role_arn }}"
    tags:
      Project: apranova
  register: revisions  # revisions.task_definitions[1].task_definition.task_definition_arn

- name: Deregister every revision of the family
  apranova.aws_stack.ecs_task_definition:
    family: apranova-backend
    state: absent
"""

RETURN = r"""
task_definition:
  description:
    - The latest C(ACTIVE) revision after the change (in check mode, the definition that would be registered,
      without ARN or revision). Empty when O(state=absent).
  returned: with O(family)
  type: dict
  contains:
    task_definition_arn:
      description: ARN of the revision.
      returned: when a revision exists
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:task-definition/apranova-backend:3
    family:
      description: Family name.
      returned: when a revision exists
      type: str
      sample: apranova-backend
    revision:
      description: Revision number.
      returned: when a revision exists
      type: int
      sample: 3
    status:
      description: Status of the revision.
      returned: when a revision exists
      type: str
      sample: ACTIVE
    cpu:
      description: Task-level CPU units.
      returned: when a revision exists
      type: str
      sample: "512"
    memory:
      description: Task-level memory (MiB).
      returned: when a revision exists
      type: str
      sample: "1024"
    network_mode:
      description: Network mode.
      returned: when a revision exists
      type: str
      sample: awsvpc
    requires_compatibilities:
      description: Launch types the revision was validated against.
      returned: when a revision exists
      type: list
      elements: str
      sample: [FARGATE]
    execution_role_arn:
      description: Execution role ARN, or null.
      returned: when a revision exists
      type: str
      sample: arn:aws:iam::123456789012:role/apranova-ecs-execution
    task_role_arn:
      description: Task role ARN, or null.
      returned: when a revision exists
      type: str
      sample: arn:aws:iam::123456789012:role/apranova-backend-task
    runtime_platform:
      description: Runtime platform in the AWS shape.
      returned: when a revision exists
      type: dict
      sample: {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    container_definitions:
      description: Container definitions as ECS returns them (AWS camelCase shape, defaults filled in).
      returned: when a revision exists
      type: list
      elements: dict
      sample: [{"name": "backend", "image": "backend:1.4.2", "essential": true, "cpu": 0,
                "portMappings": [{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}]}]
    volumes:
      description: Volumes as ECS returns them (AWS camelCase shape).
      returned: when a revision exists
      type: list
      elements: dict
      sample: [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-0123", "rootDirectory": "/",
                "transitEncryption": "ENABLED", "authorizationConfig": {"accessPointId": "fsap-0123", "iam": "ENABLED"}}}]
    tags:
      description: Tags of the revision.
      returned: when a revision exists
      type: dict
      sample: {"Project": "apranova"}
task_definitions:
  description:
    - With O(task_definitions), what the module returns for one family (RV(task_definition),
      RV(differences) or RV(deregistered)) for each element, in the order of O(task_definitions).
      Those keys are then not returned at the top level.
  returned: with O(task_definitions)
  type: list
  elements: dict
  sample: [{"task_definition": {"family": "apranova-backend", "revision": 3}, "differences": []}]
deregistered:
  description: ARNs of the revisions deregistered (or that would be, in check mode) with O(state=absent).
  returned: with O(family) and O(state=absent)
  type: list
  elements: str
  sample: ["arn:aws:ecs:us-east-1:123456789012:task-definition/apranova-backend:1"]
differences:
  description:
    - Top-level fields (AWS names) in which the desired definition differed from the latest ACTIVE revision;
      V(family) alone when the family had no ACTIVE revision, V(tags) when only the tags changed.
  returned: with O(family) and O(state=present)
  type: list
  elements: str
  sample: [containerDefinitions]
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

from typing import Any, Dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import ecs
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Context
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Outcome
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import list_elements
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import one_or_each
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import run_state
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes


def task_definition_spec(params: Dict[str, Any]) -> dict:
    """The ``register_task_definition`` request (without tags) the module's options ask for."""
    return ecs.task_definition_spec(
        params["family"], params["container_definitions"], cpu=params["cpu"], memory=params["memory"],
        network_mode=params["network_mode"], requires_compatibilities=params["requires_compatibilities"],
        execution_role_arn=params["execution_role_arn"], task_role_arn=params["task_role_arn"],
        volumes=params["volumes"], runtime_platform=params["runtime_platform"],
    )


def ensure_present(client: Any, params: Dict[str, Any], ctx: Context) -> Outcome:
    """Register a revision when the definition differs from the latest ACTIVE one (re-tag it when only the tags do)."""
    spec = task_definition_spec(params)
    tags, purge_tags = params["tags"], params["purge_tags"]
    latest = ecs.latest_active_task_definition(client, spec["family"])
    current, current_tags = latest if latest else (None, {})
    before = ecs.normalize_task_definition(current, current_tags)
    differences = ecs.task_definition_differences(spec, current) if current else ["family"]

    if differences:
        new_tags = merged_tags(current_tags, tags, purge_tags)
        if ctx.check_mode:
            planned = ecs.normalize_task_definition(dict(spec, status="ACTIVE"), new_tags)
            return Outcome(True, {"task_definition": planned, "differences": differences}, before=before, after=planned)
        registered = ecs.register_task_definition(client, spec, new_tags)
        if params["replace_previous"] and current:
            ecs.deregister_task_definition(client, current["taskDefinitionArn"])
        found = ecs.describe_task_definition(client, registered["taskDefinitionArn"])
        after = ecs.normalize_task_definition(*found) if found else ecs.normalize_task_definition(registered, new_tags)
        return Outcome(True, {"task_definition": after, "differences": differences}, before=before, after=after)

    to_set, to_remove = tag_changes(current_tags, tags, purge_tags)
    if not (to_set or to_remove):
        return Outcome(False, {"task_definition": before, "differences": []}, before=before, after=before)
    after = dict(before, tags=merged_tags(current_tags, tags, purge_tags))
    if not ctx.check_mode:
        ecs.untag_resource(client, current["taskDefinitionArn"], to_remove)
        ecs.tag_resource(client, current["taskDefinitionArn"], to_set)
        after = ecs.normalize_task_definition(*ecs.describe_task_definition(client, current["taskDefinitionArn"]))
    return Outcome(True, {"task_definition": after, "differences": ["tags"]}, before=before, after=after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: Context) -> Outcome:
    """Deregister every ACTIVE revision of the family; ``deregistered`` lists their ARNs."""
    arns = ecs.list_task_definition_arns(client, params["family"])
    if not arns:
        return Outcome(False, {"task_definition": {}, "deregistered": []}, before={}, after={})
    found = ecs.describe_task_definition(client, arns[-1])
    before = ecs.normalize_task_definition(*found) if found else {}
    if not ctx.check_mode:
        for arn in arns:
            ecs.deregister_task_definition(client, arn)
    return Outcome(True, {"task_definition": {}, "deregistered": arns}, before=before, after={})


def problems(p: Dict[str, Any], where: str = "") -> list:
    """What is wrong with one family's options (``where`` names the element of task_definitions)."""
    found = []
    if p["state"] == "present":
        if not p.get("container_definitions"):
            found.append("%scontainer_definitions is required with state=present" % where)
        else:
            nameless = [i for i, c in enumerate(p["container_definitions"]) if not c.get("name") or not c.get("image")]
            if nameless:
                found.append("%scontainer_definitions[%s] need both a name and an image (AWS camelCase keys)"
                             % (where, ", ".join(str(i) for i in nameless)))
        if "FARGATE" in p["requires_compatibilities"] and p["network_mode"] != "awsvpc":
            found.append("%srequires_compatibilities includes FARGATE, which needs network_mode: awsvpc (got %s)"
                         % (where, p["network_mode"]))
    return found


# The options of one family, which each element of O(task_definitions) takes (base.list_elements).
PER_FAMILY = ("family", "cpu", "memory", "network_mode", "requires_compatibilities", "execution_role_arn", "task_role_arn",
              "container_definitions", "volumes", "runtime_platform", "tags", "replace_previous")


def main() -> None:
    argument_spec = dict(
        family=dict(type="str"),
        task_definitions=dict(type="list", elements="dict"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        network_mode=dict(type="str", default="awsvpc", choices=["awsvpc", "bridge", "host", "none"]),
        requires_compatibilities=dict(type="list", elements="str", default=["FARGATE"]),
        execution_role_arn=dict(type="str"),
        task_role_arn=dict(type="str"),
        container_definitions=dict(type="list", elements="dict"),
        volumes=dict(type="list", elements="dict"),
        runtime_platform=dict(type="dict"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        replace_previous=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("family", "task_definitions")],
        required_one_of=[("family", "task_definitions")],
    )
    p = module.params
    if p["task_definitions"] is None:
        found = problems(p)
    else:
        elements, found = list_elements(p, "task_definitions", "family", "family", argument_spec, PER_FAMILY, problems)
        p = dict(p, task_definitions=elements)
    if found:
        module.fail_json(msg="; ".join(found))

    client = aws_client(module, "ecs")
    run_state(module, client, one_or_each(ensure_present, "task_definitions", "family"),
              one_or_each(ensure_absent, "task_definitions", "family"), params=p)


if __name__ == "__main__":
    main()
