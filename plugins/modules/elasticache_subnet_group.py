#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: elasticache_subnet_group
short_description: Create, update and delete one ElastiCache cache subnet group
version_added: 0.1.0
description:
  - Manages one cache subnet group, that is its description and its subnets.
  - Takes the options of C(community.aws.elasticache_subnet_group), and reads the group once where
    the stock module reads it twice, one call after the other, even when nothing changes.
  - Nothing is read back after a change; the result is the answer of the call that made it.
author:
  - Apranova platform team (!UNKNOWN)
options:
  name:
    description:
      - Name of the cache subnet group. ElastiCache stores it in lower case.
    type: str
    required: true
  description:
    description:
      - Description of the group. Required with O(state=present).
    type: str
  subnets:
    description:
      - IDs of the subnets of the group, in one VPC. Required with O(state=present); the group's
        subnets are made exactly these.
    type: list
    elements: str
  state:
    description:
      - Whether the group should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - A group that a replication group still uses cannot be deleted; AWS refuses it
    (C(CacheSubnetGroupInUse)) while a replication group of it is being deleted, and the module tries
    again for up to ten minutes.
"""

EXAMPLES = r"""
- name: Create the cache subnet group over the private subnets
  apranova.aws_stack.elasticache_subnet_group:
    name: production-redis-subnets
    description: production cache subnets
    subnets: [subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788]

- name: Delete it
  apranova.aws_stack.elasticache_subnet_group:
    name: production-redis-subnets
    state: absent
"""

RETURN = r"""
subnet_group:
  description: The group after the task (C({}) when it does not exist).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the group.
      type: str
      sample: production-redis-subnets
    description:
      description: Description of the group.
      type: str
      sample: production cache subnets
    vpc_id:
      description: VPC of the group's subnets (null in check mode before the group exists).
      type: str
      sample: vpc-0123456789abcdef0
    subnet_ids:
      description: IDs of the group's subnets, sorted.
      type: list
      elements: str
      sample: [subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788]
    arn:
      description: ARN of the group.
      type: str
      sample: arn:aws:elasticache:us-east-1:123456789012:subnetgroup:production-redis-subnets
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

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import elasticache
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client

# How long a delete rides out a replication group of the group that is still being deleted.
IN_USE_TIMEOUT = 600


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    name, description = params["name"].lower(), params["description"]
    subnets = sorted(set(params["subnets"]))
    before = elasticache.normalise_cache_subnet_group(elasticache.describe_cache_subnet_group(client, name))
    if not before:
        after = {"name": name, "description": description, "vpc_id": None, "subnet_ids": subnets, "arn": None}
        if not ctx.check_mode:
            after = elasticache.normalise_cache_subnet_group(
                elasticache.create_cache_subnet_group(client, name, description, subnets))
        return base.Outcome(True, {"subnet_group": after}, before={}, after=after)
    if before["description"] == description and before["subnet_ids"] == subnets:
        return base.Outcome(False, {"subnet_group": before}, before=before, after=before)
    after = dict(before, description=description, subnet_ids=subnets)
    if not ctx.check_mode:
        after = elasticache.normalise_cache_subnet_group(
            elasticache.modify_cache_subnet_group(client, name, description, subnets))
    return base.Outcome(True, {"subnet_group": after}, before=before, after=after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    name = params["name"].lower()
    before = elasticache.normalise_cache_subnet_group(elasticache.describe_cache_subnet_group(client, name))
    if not before:
        return base.Outcome(False, {"subnet_group": {}}, before={}, after={})
    if not ctx.check_mode:
        elasticache.delete_cache_subnet_group(client, name, timeout=IN_USE_TIMEOUT, note=ctx.note)
    return base.Outcome(True, {"subnet_group": {}}, before=before, after={})


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        subnets=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["state"] == "present":
        errors = base.subnet_group_errors(module.params)
        if errors:
            module.fail_json(msg=" ".join(errors))
    client = aws_client(module, "elasticache")
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
