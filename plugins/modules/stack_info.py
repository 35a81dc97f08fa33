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
  account_id:
    description:
      - The AWS account the stack belongs in (the inventory's C(aws_account_id)). The task asks STS
        who the credentials are (as O(caller=true) does) and fails, naming both account ids, when
        they are of another account. Deploying one environment into another's account is the
        mistake this stops, before any change.
    type: str
  known:
    description:
      - A stack found earlier in the same run, in the shape of RV(stack), that is the fact
        C(ansible_facts.aws_stack_known) that every call of this module leaves (see RV(ansible_facts)).
      - What it already holds is not read again - the VPC with its subnets and gateways, each
        security group, target group, repository, log group and service by name, the load balancer
        with its listeners, the cluster, the topic, the secret, the account. A database or a cache
        is taken from it only once available with its address, a file system only once available;
        anything it lacks, or holds under another name, is read as without it.
      - It is taken only from the same C(ansible-playbook) run (it carries the run's process id and
        start time); a fact cache keeps facts between runs, and another run's known stack is ignored.
      - Every module of the collection that reports a change drops from the fact what it may have
        changed (the collection's action plugin does this after the module returns; a module from
        elsewhere that changes something drops all but the account), so a later lookup reads that
        part again; and modules that have just read or made what a lookup asks for add it (the
        repositories, topic, secret, target groups, load balancer with its listeners, file system,
        mount targets and access point they return, and the roles for
        M(apranova.aws_stack.stack_report)). The teardown reads the stack afresh.
    type: dict
  required_by:
    description:
      - The tier that asks, when what it asks for must exist (the lookup a tier makes before it builds).
      - What the other tiers build and is not found (everything in RV(missing) but what this tier
        builds itself, see RV(needed)) then fails the task with a message that names it and the
        C(--tags) to run first; in check mode the task succeeds with RV(end_tier=true) instead, and
        warns with RV(msg), so the tier can end for the run (a check of a stack not built yet).
      - One of C(network), C(registry), C(data), C(alb), C(ecs_services), C(monitoring).
    type: str
    choices: [network, registry, data, alb, ecs_services, monitoring]
  required_subnets:
    description:
      - With O(required_by), the subnet tiers (C(Tier) tag, C(public) or C(private)) that must have
        subnets in at least two Availability Zones, as a load balancer and an RDS or ElastiCache
        subnet group need. Needs O(vpc_name).
    type: list
    elements: str
    choices: [public, private]
    default: []
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

- name: Stop unless the credentials are those of the production account
  apranova.aws_stack.stack_info:
    account_id: "123456789012"

- name: Find what the load balancer tier needs, failing when the network tier is not built
  apranova.aws_stack.stack_info:
    vpc_name: production-vpc
    security_group_names: [production-alb-sg]
    required_by: alb
    required_subnets: [public]
  register: found

- name: End the tier in check mode when what it needs is not built yet
  ansible.builtin.meta: end_host
  when: found.end_tier
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
needed:
  description: With O(required_by), the lines of RV(missing) that other tiers build, and subnet tiers short of zones.
  returned: when O(required_by) is set
  type: list
  elements: str
  sample: ["vpc production-vpc"]
needed_tiers:
  description: With O(required_by), the tiers that build what is needed, in the order they are built.
  returned: when O(required_by) is set
  type: list
  elements: str
  sample: ["network"]
end_tier:
  description: With O(required_by), true in check mode when something is needed (the asking tier cannot be checked yet).
  returned: when O(required_by) is set
  type: bool
  sample: false
msg:
  description: With RV(end_tier=true), why the tier ends for this run (also given as a warning).
  returned: when RV(end_tier) is true
  type: str
  sample: "check mode: vpc production-vpc not built yet; the alb tier would be built after the network tier"
ansible_facts:
  description: Facts for the rest of the run.
  returned: always
  type: dict
  contains:
    aws_stack_known:
      description:
        - O(known) combined with RV(stack) (what was read replaces what was known; groups, target groups,
          repositories, log groups and services merge by name), for the O(known) of the next lookup of the run.
      returned: always
      type: dict
      sample: {vpc: {id: vpc-0abc, cidr_block: 10.0.0.0/16, name: production-vpc}, security_groups: {production-alb-sg: sg-0abc}}
unavailable:
  description:
    - Services the endpoint does not serve (it answered HTTP 501, as LocalStack's free build does
      for ELBv2, ECS, ECR, RDS, ElastiCache and EFS); what was asked of them is in I(missing).
  returned: always
  type: list
  elements: str
  sample: ["rds", "elbv2"]
"""

from typing import Any, Dict

from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery


def read(client: discovery.Clients, module: Any) -> Dict[str, Any]:
    stack, missing, unavailable = discovery.find_stack(client, module.params)
    result = {"stack": stack, "missing": missing, "unavailable": unavailable,
              "ansible_facts": {"aws_stack_known": discovery.combine(module.params["known"], stack)}}
    expected = module.params["account_id"]
    if expected and stack["account_id"] != expected:
        module.fail_json(
            msg="these AWS credentials are of account %s (%s), but the inventory names account %s (aws_account_id):"
                " use the credentials, profile or role (aws_role_arn) of account %s, or correct aws_account_id" % (
                    stack["account_id"], stack.get("caller_arn"), expected, expected), **result)
    tier = module.params["required_by"]
    if tier:
        needed, tiers = discovery.requirements(tier, stack, missing, module.params["required_subnets"])
        result.update(needed=needed, needed_tiers=tiers, end_tier=bool(needed) and module.check_mode)
        if needed and module.check_mode:
            result["msg"] = "check mode: %s not built yet; the %s tier would be built after the %s tier%s" % (
                ", ".join(needed), tier, ", ".join(tiers), "s" if len(tiers) > 1 else "")
            module.warn(result["msg"])  # the tier then ends with a meta task, which cannot say why
        elif needed:
            module.fail_json(
                msg="%s tier: needs %s, which the %s tier%s build%s; run `ansible-playbook site.yml --tags %s` first" % (
                    tier, ", ".join(needed), ", ".join(tiers), "s" if len(tiers) > 1 else "", "" if len(tiers) > 1 else "s",
                    ",".join(tiers)),
                **result)
    return result


def main() -> None:
    options = dict(
        target_group_names=dict(type="list", elements="str"),
        caller=dict(type="bool", default=False),
        known=dict(type="dict"),
        account_id=dict(type="str"),
        required_by=dict(type="str", choices=list(discovery.BUILD_ORDER)),
        required_subnets=dict(type="list", elements="str", choices=["public", "private"], default=[]),
    )
    discovery.run_lookup(options, read, "Failed to look up the stack")


if __name__ == "__main__":
    main()
