#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stack_report
short_description: Read a deployed stack back in full, for its architecture guide and cost
version_added: 0.1.0
description:
  - Finds the stack by name with the same lookup as M(apranova.aws_stack.stack_info), then reads
    what an architecture guide needs on top of it, by id, from the live resources - security-group
    rules, route tables, the listeners' rules and target groups, the services' task definitions,
    IAM roles with their policies, alarms, dashboards, image sizes and the account id.
  - Returns a bill of materials in the shape the C(apranova.aws_stack.stack_cost) filter prices.
  - The stock C(*_info) modules answer one service each and leave the joining by name to the
    playbook; this module joins them for one stack, with tag filtering done client-side so it gives
    the same answer on AWS and on emulators whose tag filters are incomplete.
  - Read-only; never returns secret values.
author:
  - Apranova platform team (@apranova)
options:
  vpc_name:
    description: Name tag of the VPC; also reads its subnets, route tables, internet and NAT gateways.
    type: str
  security_group_names:
    description: Group names in the VPC whose rules the guide lists (needs I(vpc_name)).
    type: list
    elements: str
  db_instance_identifier:
    description: RDS instance identifier.
    type: str
  db_secret_name:
    description: Name of the Secrets Manager secret holding the database credentials (only its name and ARN are read).
    type: str
  cache_id:
    description: ElastiCache replication group id.
    type: str
  efs_name:
    description: Name tag of the EFS file system; also reads its mount targets.
    type: str
  efs_access_point_name:
    description: Name tag of the file system's access point (needs I(efs_name)).
    type: str
  load_balancer_name:
    description: Name of the application load balancer; also reads its listeners, rules and target groups.
    type: str
  cluster_name:
    description: ECS cluster name.
    type: str
  service_names:
    description: ECS service names in I(cluster_name); their task definitions are read too.
    type: list
    elements: str
  repository_names:
    description: ECR repository names; their images are counted and sized.
    type: list
    elements: str
  log_group_names:
    description: CloudWatch Logs group names.
    type: list
    elements: str
  topic_name:
    description: SNS topic name of the alarms.
    type: str
  role_names:
    description: IAM role names whose inline and attached policies the guide lists.
    type: list
    elements: str
  alarm_name_prefix:
    description: Prefix of the stack's CloudWatch metric alarm names.
    type: str
  dashboard_names:
    description: CloudWatch dashboard names.
    type: list
    elements: str
  known:
    description:
      - The stack the lookups of this run found, the fact C(ansible_facts.aws_stack_known) that
        M(apranova.aws_stack.stack_info) leaves; what it holds is not found again (its O(apranova.aws_stack.stack_info#module:known)
        tells what is taken from it, and that only a known stack of the same C(ansible-playbook) run is used).
      - Every module of the collection that reports a change in the run drops from the fact what it
        may have changed (the collection's action plugin does this after the module returns), so what
        is taken from it is what AWS holds now. The IAM roles are taken from it when
        M(apranova.aws_stack.iam_roles) of the same run returned them all; the route tables, the
        security groups with their rules, the listener rules, the services' task definitions, the
        alarms and the dashboards when M(apranova.aws_stack.ec2_route_tables),
        M(apranova.aws_stack.ec2_security_groups), M(apranova.aws_stack.elb_listener_rules),
        M(apranova.aws_stack.ecs_task_definition), M(apranova.aws_stack.cloudwatch_metric_alarms)
        (with C(purge_alarms) under a prefix of O(alarm_name_prefix)) and
        M(apranova.aws_stack.cloudwatch_dashboard) of the same run returned them, changing nothing,
        and no module changed anything after; the load balancer's target groups and the image sizes
        are always read.
      - Unset, the whole stack is read.
    type: dict
notes:
  - A member of the C(apranova.aws_stack.aws_stack) action group (meta/runtime.yml), so
    C(module_defaults) of C(group/apranova.aws_stack.aws_stack) give it the connection options.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the production stack back
  apranova.aws_stack.stack_report:
    vpc_name: production-vpc
    security_group_names: [production-alb-sg, production-ecs-sg, production-rds-sg, production-redis-sg]
    db_instance_identifier: production-apranova-db
    cache_id: production-redis
    efs_name: production-efs
    load_balancer_name: production-alb
    cluster_name: production-cluster
    service_names: [backend, frontend]
    repository_names: [apranova/backend, apranova/frontend]
    role_names: [production-ecs-task-execution, production-ecs-task]
    alarm_name_prefix: production-apranova-
  register: live

- name: Price it
  ansible.builtin.debug:
    msg: "{{ (live.bill | apranova.aws_stack.stack_cost(prices_us_east_1)).total }}"
  vars:
    prices_us_east_1: {date: "2026-11", nat_gateway: {hour: 0.045, gb_processed: 0.045}}
"""

RETURN = r"""
stack:
  description: What the shared lookup found (same keys as M(apranova.aws_stack.stack_info)'s C(stack)).
  returned: always
  type: dict
  sample:
    vpc: {id: vpc-0abc, cidr_block: 10.0.0.0/16, name: production-vpc}
    db_instance: {identifier: production-apranova-db, instance_class: db.t3.micro, allocated_storage: 20}
details:
  description: What the guide needs on top of I(stack), read by id.
  returned: always
  type: dict
  contains:
    account_id:
      description: The account the credentials belong to.
      type: str
      sample: "123456789012"
    security_groups:
      description: Each group with its ingress and egress rules, one entry per source; sources that are groups are named.
      type: list
      elements: dict
      sample: [{name: production-rds-sg, id: sg-1, ingress: [{protocol: tcp, ports: "5432", source: production-ecs-sg, source_type: security_group}]}]
    route_tables:
      description: Route tables of the VPC with their subnets and routes.
      type: list
      elements: dict
      sample: [{name: production-private-rt, subnet_ids: [subnet-1], routes: [{destination: 0.0.0.0/0, target: nat-1}]}]
    target_groups:
      description: Target groups of the load balancer by name.
      type: dict
      sample: {production-backend-tg: {port: 8000, protocol: HTTP, health_check_path: /api/health/}}
    listeners:
      description: Listeners with C(encrypted), their rules by priority (default rule last) and default action.
      type: list
      elements: dict
      sample: [{port: 80, protocol: HTTP, encrypted: false, rules: [{priority: 10, conditions: {path_patterns: [/api/*]},
                actions: [{type: forward, target_group: production-backend-tg, target_port: 8000}]}]}]
    services:
      description: ECS services with their task definition (cpu units, memory MiB, containers, EFS volumes).
      type: list
      elements: dict
      sample: [{name: backend, desired_count: 1, task_definition: {cpu: 512, memory: 1024, architecture: X86_64}}]
    iam_roles:
      description: IAM roles with trusted services, inline policy statements and attached managed policies.
      type: list
      elements: dict
      sample: [{name: production-ecs-task, inline_policies: [{name: task, statements: [{effect: Allow, actions: [elasticfilesystem:ClientMount]}]}]}]
    alarms:
      description: Metric alarms whose name starts with I(alarm_name_prefix).
      type: list
      elements: dict
      sample: [{name: production-apranova-db-cpu, namespace: AWS/RDS, metric: CPUUtilization}]
    dashboards:
      description: Dashboards found among I(dashboard_names).
      type: list
      elements: dict
      sample: [{name: production-overview}]
    images:
      description: Image count and bytes stored per repository.
      type: dict
      sample: {apranova/backend: {images: 3, size_bytes: 699400000}}
    layout:
      description: One entry per availability zone - subnets, NAT gateways, mount targets, DB role, cache nodes, services.
      type: list
      elements: dict
      sample: [{name: us-east-1a, public_subnets: [], private_subnets: [], mount_targets: [], db_role: primary}]
    resources:
      description: Resources found by kind, their total and the AWS services they belong to.
      type: dict
      sample: {total: 31, services: [Amazon ECS, Amazon VPC], by_kind: [{kind: subnets, service: Amazon VPC, count: 4}]}
bill:
  description: Bill of materials for the C(apranova.aws_stack.stack_cost) filter.
  returned: always
  type: dict
  sample:
    fargate: [{name: backend, cpu: 512, memory: 1024, count: 1, architecture: X86_64}]
    nat_gateways: 1
    load_balancers: 1
    db_instances: [{name: production-apranova-db, instance_class: db.t3.micro, multi_az: false, storage_type: gp3, storage_gb: 20}]
    cache_clusters: [{name: production-redis, node_type: cache.t3.micro, nodes: 1}]
    file_systems: 1
    repositories: 2
    log_groups: 2
    alarms: 14
    dashboards: 1
    secrets: 1
exists:
  description: Whether any resource of the stack was found.
  returned: always
  type: bool
  sample: true
missing:
  description: One line per resource that was asked for and not found.
  returned: always
  type: list
  elements: str
  sample: ["load balancer production-alb"]
region:
  description: The region that was read.
  returned: always
  type: str
  sample: us-east-1
"""

from typing import Any, Dict

from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery
from ansible_collections.apranova.aws_stack.plugins.module_utils import report


def read(client: discovery.Clients, module: Any) -> Dict[str, Any]:
    stack, details, missing = report.gather(client, module.params)
    return {
        "stack": stack, "details": details, "missing": missing,
        "bill": report.bill_of_materials(stack, details),
        "exists": details["resources"]["total"] > 0, "region": module.region,
    }


def main() -> None:
    options = dict(
        role_names=dict(type="list", elements="str"),
        alarm_name_prefix=dict(type="str"),
        dashboard_names=dict(type="list", elements="str"),
        known=dict(type="dict"),
    )
    discovery.run_lookup(options, read, "Failed to read the stack back for its report")


if __name__ == "__main__":
    main()
