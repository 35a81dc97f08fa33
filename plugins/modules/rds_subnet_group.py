#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rds_subnet_group
short_description: Create, update and delete one RDS DB subnet group
version_added: 0.1.0
description:
  - Manages one DB subnet group, that is its description, its subnets and its tags.
  - Takes the options of C(amazon.aws.rds_subnet_group) that the data tier uses, and reads the group
    in two round trips (the group, then its tags) where the stock module makes four calls one after
    another (it reads the group and its tags again after comparing, even when nothing changed).
  - Nothing is read back after a change; the result is the answers of the calls that made it.
author:
  - Apranova platform team (!UNKNOWN)
options:
  name:
    description:
      - Name of the DB subnet group. RDS stores it in lower case.
    type: str
    required: true
  description:
    description:
      - Description of the group. Required with O(state=present).
    type: str
  subnets:
    description:
      - IDs of the subnets of the group, in at least two availability zones of one VPC. Required with
        O(state=present); the group's subnets are made exactly these.
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
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - A group that a DB instance still uses cannot be deleted; AWS refuses it
    (C(InvalidDBSubnetGroupStateFault)) while an instance of the group is being deleted, and the
    module tries again for up to five minutes.
"""

EXAMPLES = r"""
- name: Create the DB subnet group over the private subnets
  apranova.aws_stack.rds_subnet_group:
    name: production-db-subnets
    description: production database subnets
    subnets: [subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788]
    tags:
      Environment: production

- name: Delete it
  apranova.aws_stack.rds_subnet_group:
    name: production-db-subnets
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
      sample: production-db-subnets
    description:
      description: Description of the group.
      type: str
      sample: production database subnets
    vpc_id:
      description: VPC of the group's subnets (null in check mode before the group exists).
      type: str
      sample: vpc-0123456789abcdef0
    subnet_ids:
      description: IDs of the group's subnets, sorted.
      type: list
      elements: str
      sample: [subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788]
    status:
      description: Status AWS gives the group.
      type: str
      sample: Complete
    arn:
      description: ARN of the group.
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:subgrp:production-db-subnets
    tags:
      description: Tags of the group.
      type: dict
      sample: {Environment: production}
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
from ansible_collections.apranova.aws_stack.plugins.module_utils import rds
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes

# How long a delete rides out an instance of the group that is still being deleted.
IN_USE_TIMEOUT = 300


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    name, description = params["name"].lower(), params["description"]
    subnets = sorted(set(params["subnets"]))
    tags, purge_tags = params["tags"], params["purge_tags"]
    group = rds.describe_db_subnet_group(client, name)
    if group is None:
        after = {"name": name, "description": description, "vpc_id": None, "subnet_ids": subnets, "status": None,
                 "arn": None, "tags": merged_tags({}, tags, purge_tags)}
        if not ctx.check_mode:
            after = rds.normalise_db_subnet_group(
                rds.create_db_subnet_group(client, name, description, subnets, after["tags"]), after["tags"])
        return base.Outcome(True, {"subnet_group": after}, before={}, after=after)

    before = rds.normalise_db_subnet_group(group, rds.list_tags(client, group["DBSubnetGroupArn"]))
    to_set, to_remove = tag_changes(before["tags"], tags, purge_tags)
    modify = before["description"] != description or before["subnet_ids"] != subnets
    after = dict(before, description=description, subnet_ids=subnets, tags=merged_tags(before["tags"], tags, purge_tags))
    if not (modify or to_set or to_remove):
        return base.Outcome(False, {"subnet_group": before}, before=before, after=before)
    if not ctx.check_mode:
        if modify:
            after = dict(rds.normalise_db_subnet_group(rds.modify_db_subnet_group(client, name, description, subnets)),
                         tags=after["tags"])
        if to_remove:
            rds.remove_tags(client, before["arn"], to_remove)
        if to_set:
            rds.add_tags(client, before["arn"], to_set)
    return base.Outcome(True, {"subnet_group": after}, before=before, after=after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    name = params["name"].lower()
    group = rds.describe_db_subnet_group(client, name)
    if group is None:
        return base.Outcome(False, {"subnet_group": {}}, before={}, after={})
    before = rds.normalise_db_subnet_group(group)
    if not ctx.check_mode:
        rds.delete_db_subnet_group(client, name, timeout=IN_USE_TIMEOUT, note=ctx.note)
    return base.Outcome(True, {"subnet_group": {}}, before=before, after={})


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        subnets=dict(type="list", elements="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["state"] == "present":
        errors = base.subnet_group_errors(module.params)
        if errors:
            module.fail_json(msg=" ".join(errors))
    client = aws_client(module, "rds")
    base.run_state(module, client, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
