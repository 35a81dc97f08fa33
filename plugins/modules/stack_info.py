#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stack_info
short_description: Find the resources of one stack by name, in one call
version_added: 0.1.0
description:
  - The shared lookup every tier uses when it runs alone, and the source of the end-of-run summary.
  - Finds each resource it is asked for by its name (Name tag, identifier or resource name), with
    describe calls that filter by id or name and tag filtering done client-side, so it gives the same
    answer on AWS and on emulators whose tag filters and tagging API are incomplete.
  - Only the resources named in the options are looked up; an option left unset costs no API call.
  - Never returns secret values, only the secret's ARN and name.
author: Apranova platform team (@apranova)
options:
  vpc_name:
    description: Name tag of the VPC. Also returns its subnets (by their C(Tier) tag), internet gateway and NAT gateways.
    type: str
  security_group_names:
    description: Group names to look up in the VPC (needs I(vpc_name)).
    type: list
    elements: str
  db_instance_identifier:
    description: RDS instance identifier.
    type: str
  db_secret_name:
    description: Name of the Secrets Manager secret holding the database credentials.
    type: str
  cache_id:
    description: ElastiCache replication group id.
    type: str
  efs_name:
    description: Name tag of the EFS file system. Also returns its mount targets.
    type: str
  efs_access_point_name:
    description: Name tag of the access point of the file system (needs I(efs_name)).
    type: str
  load_balancer_name:
    description: Name of the application load balancer. Also returns its listeners and their rules.
    type: str
  target_group_names:
    description: Target group names.
    type: list
    elements: str
  cluster_name:
    description: ECS cluster name.
    type: str
  service_names:
    description: ECS service names in I(cluster_name).
    type: list
    elements: str
  repository_names:
    description: ECR repository names.
    type: list
    elements: str
  log_group_names:
    description: CloudWatch Logs group names.
    type: list
    elements: str
  topic_name:
    description: SNS topic name.
    type: str
  caller:
    description: Also return the account id and partition of the caller (one STS call).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find what the load balancer tier needs
  apranova.aws_stack.stack_info:
    vpc_name: production-vpc
    security_group_names: [production-alb-sg]
  register: found

- name: Stop when the network tier is missing
  ansible.builtin.assert:
    that: found.stack.vpc is not none
    fail_msg: run the network tier first
"""

RETURN = r"""
stack:
  description: What was found; a resource that was asked for and not found is C(null) (or absent from its dict).
  returned: always
  type: dict
  sample:
    vpc: {id: vpc-0abc, cidr_block: 10.0.0.0/16, name: production-vpc}
    subnets: {public: [{id: subnet-1, cidr_block: 10.0.1.0/24, availability_zone: us-east-1a, name: production-public-us-east-1a}], private: []}
    security_groups: {production-alb-sg: sg-0abc}
    db_instance: {identifier: production-apranova-db, address: db.example, port: 5432, status: available}
missing:
  description: One line per resource that was asked for and not found.
  returned: always
  type: list
  elements: str
  sample: ["vpc production-vpc"]
unavailable:
  description:
    - Services the endpoint does not serve (it answered HTTP 501, as LocalStack's free build does
      for ELBv2, ECS, ECR, RDS, ElastiCache and EFS); what was asked of them is in I(missing).
  returned: always
  type: list
  elements: str
  sample: ["rds", "elbv2"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery


def main():
    argument_spec = dict(
        discovery.LOOKUP_OPTIONS,
        target_group_names=dict(type="list", elements="str"),
        caller=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    def client(service):
        return aws_client(module, service)

    try:
        stack, missing, unavailable = discovery.find_stack(client, module.params)
    except discovery.ClientErrors as e:
        module.fail_json_aws(e, msg="Failed to look up the stack")
    module.exit_json(changed=False, stack=stack, missing=missing, unavailable=unavailable)


if __name__ == "__main__":
    main()
