"""The deployer policy's ARN patterns against the production stack's real ARNs (docs/deployer-policy.json).

moto checks the policy's actions, not its Resource ARNs, so tests/stack/test_deployer_policy.py
also checks the patterns against the ARNs themselves, with the functions here. Its lifecycle, after
the build, reads the ARN of every resource of the kinds the policy scopes by name (RDS, ElastiCache,
ELBv2, ECS, ECR, CloudWatch Logs, CloudWatch, SNS, IAM, Secrets Manager; ``stack_arns``), and after
the teardown the snapshots that leaves (the final DB snapshot; ``snapshot_arns``). Then:

1. every real ARN has AWS's format for its resource type: the ARN formats of the Service
   Authorization Reference in scripts/deployer_policy_iam.json (moto's ARNs are read, not trusted);
2. every ARN pattern of a statement whose Resource is not "*" matches a real ARN of its resource type;
3. every real ARN of a resource type a statement scopes is matched by that statement, so each of its
   actions is allowed on it; every action of such a statement acts on a resource type of the stack
   that the statement scopes; every resource type read here is scoped by some statement.

A test breaks copies of the policy (``production-*`` -> ``prod-*``, a resource type dropped from a
statement, a service left unscoped) and expects each check to report it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Callable, NamedTuple

from conftest import REPO


POLICY = REPO / "docs" / "deployer-policy.json"
# the Service Authorization Reference's resource types of the policy's actions and their ARN formats
IAM_DATA = json.loads((REPO / "scripts" / "deployer_policy_iam.json").read_text())

# Names of the Service Authorization Reference's ARN variables that may hold a "/": an IAM role's
# path, ECR's namespaced repositories, log group names, Secrets Manager names.
SLASHED = {"RoleNameWithPath", "RepositoryName", "LogGroupName", "SecretId"}

# Service-linked roles: AWS makes them (moto does not), at path /aws-service-role/<service principal>/
# (IAM User Guide, "Create a service-linked role"), with the names of each service's guide:
# "Using service-linked roles for Amazon ECS", "Service-linked role for Elastic Load Balancing",
# "Using service-linked roles for Amazon RDS", "Using Service-Linked Roles for Amazon ElastiCache".
SERVICE_LINKED_ROLES = {
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
    "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
    "rds.amazonaws.com": "AWSServiceRoleForRDS",
    "elasticache.amazonaws.com": "AWSServiceRoleForElastiCache",
}


class Kind(NamedTuple):
    """A resource type of the Service Authorization Reference (service, type), and for IAM roles
    whether they are service-linked (made by AWS, not by iam:CreateRole)."""

    service: str
    type: str
    variant: str = ""

    def __str__(self) -> str:
        return "%s:%s%s" % (self.service, self.type, " (%s)" % self.variant if self.variant else "")


# --- IAM's matching and AWS's ARN formats ----------------------------------------------------------

def iam_match(pattern: str, arn: str) -> bool:
    """Whether a Resource pattern matches ``arn`` as IAM matches it (IAM User Guide, "IAM JSON policy
    elements: Resource"): ``*`` any run of characters and ``?`` one, within a segment (the parts
    between colons); a ``*`` that is the last character of a segment can run past colons."""
    out = []
    for i, ch in enumerate(pattern):
        if ch == "*":
            out.append(".*" if i + 1 == len(pattern) or pattern[i + 1] == ":" else "[^:]*")
        elif ch == "?":
            out.append("[^:]")
        else:
            out.append(re.escape(ch))
    return re.fullmatch("".join(out), arn) is not None


def arn_formats() -> dict[Kind, re.Pattern]:
    """Kind -> a regular expression of AWS's ARN format of it (a variable: one or more characters
    other than ":" and, unless it is a name that may hold one, "/"; a pattern's "*" fits too)."""
    out = {}
    for service, types in IAM_DATA["arns"].items():
        for type_, fmt in types.items():
            parts = re.split(r"(\$\{\w+\})", fmt.replace("${Partition}", "aws"))
            rx = "".join(("[^:]+" if p[2:-1] in SLASHED else "[^:/]+") if p.startswith("${") else re.escape(p)
                         for p in parts)
            out[Kind(service, type_)] = re.compile(rx)
    return out


FORMATS = arn_formats()


def kind_of(arn: str) -> Kind | None:
    """The resource type whose AWS format ``arn`` (an ARN or a Resource pattern) has; None if none
    or more than one."""
    # CloudWatch Logs: a log group's "arn" ends in ":*" (its streams), "logGroupArn" does not
    # (CloudWatch Logs API Reference, LogGroup); the policy names both forms
    plain = arn[:-2] if arn.startswith("arn:aws:logs:") and arn.endswith(":*") else arn
    kinds = [k for k, rx in FORMATS.items() if rx.fullmatch(plain)]
    if len(kinds) != 1:
        return None
    kind = kinds[0]
    if kind == Kind("iam", "role") and plain.split(":", 5)[5].startswith("role/aws-service-role/"):
        kind = Kind("iam", "role", "service-linked")
    return kind


# --- the policy -----------------------------------------------------------------------------------

def scoped_statements(policy: dict) -> list[dict]:
    """The statements whose Resource is not "*", each with its patterns as a list."""
    out = []
    for st in policy["Statement"]:
        patterns = [st["Resource"]] if isinstance(st["Resource"], str) else list(st["Resource"])
        if patterns != ["*"]:
            actions = [st["Action"]] if isinstance(st["Action"], str) else list(st["Action"])
            out.append({"Sid": st.get("Sid", "?"), "Action": actions, "Resource": patterns})
    return out


def action_kinds(action: str, real: dict[Kind, set[str]]) -> set[Kind]:
    """The kinds of the stack's resources ``action`` can act on (its resource types in the
    Service Authorization Reference, scripts/deployer_policy_iam.json)."""
    types = IAM_DATA["actions"].get(action, {})
    service = action.split(":")[0]
    return {k for k in real if k.service == service and k.type in types}


# --- the checks: each returns its problems, one line each -----------------------------------------

def unknown_formats(arns: list[str]) -> list[str]:
    """Check 1: ARNs in no AWS format, or in more than one."""
    return ["%s: not in AWS's ARN format of any one resource type" % arn for arn in arns if kind_of(arn) is None]


def patterns_matching_nothing(policy: dict, real: dict[Kind, set[str]]) -> list[str]:
    """Check 2: patterns that match no real ARN of their kind."""
    problems = []
    for st in scoped_statements(policy):
        for pattern in st["Resource"]:
            kind = kind_of(pattern)
            if kind is None:
                problems.append("%s: %s is not in AWS's ARN format of any one resource type" % (st["Sid"], pattern))
            elif not any(iam_match(pattern, arn) for arn in real.get(kind, ())):
                problems.append("%s: %s matches no %s of the stack: %s" % (st["Sid"], pattern, kind, sorted(real.get(kind, ()))))
    return problems


def arns_not_matched(policy: dict, real: dict[Kind, set[str]]) -> list[str]:
    """Check 3: real ARNs of a kind a statement scopes that the statement does not match."""
    problems = []
    for st in scoped_statements(policy):
        for kind in sorted({kind_of(p) for p in st["Resource"]} - {None}):
            for arn in sorted(real.get(kind, ())):
                if not any(iam_match(p, arn) for p in st["Resource"]):
                    problems.append("%s: the stack's %s %s matches none of %s" % (st["Sid"], kind, arn, st["Resource"]))
    return problems


def kinds_not_scoped(policy: dict, real: dict[Kind, set[str]]) -> list[str]:
    """Check 3 too: actions whose statement scopes none of the kinds they act on, kinds no statement scopes."""
    problems = []
    scoped: set[Kind] = set()
    for st in scoped_statements(policy):
        kinds = {kind_of(p) for p in st["Resource"]}
        scoped |= kinds
        for action in st["Action"]:
            if not action_kinds(action, real) & kinds:
                problems.append("%s: %s acts on %s of the stack, none of them in its Resource %s"
                                % (st["Sid"], action, sorted(map(str, action_kinds(action, real))), st["Resource"]))
    problems += ["%s: the stack has some, no statement scopes them" % (kind,) for kind in sorted(set(real) - scoped)]
    return problems


# --- the stack's ARNs, read from the emulator ------------------------------------------------------

def stack_arns(client: Callable) -> list[str]:
    """The ARN of every resource of the scoped kinds in the emulator (wiped, then production built)."""
    account = client("sts").get_caller_identity()["Account"]
    arns: list[str] = []
    rds = client("rds")
    arns += [d["DBInstanceArn"] for d in rds.describe_db_instances()["DBInstances"]]
    arns += [g["DBSubnetGroupArn"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]]

    ec = client("elasticache")
    arns += [g["ARN"] for g in ec.describe_replication_groups()["ReplicationGroups"]]
    clusters = ec.describe_cache_clusters()["CacheClusters"]
    arns += [c["ARN"] for c in clusters]
    arns += [g["ARN"] for g in ec.describe_cache_subnet_groups()["CacheSubnetGroups"]]
    # the parameter group the members use (the default one: CreateReplicationGroup requires it);
    # its ARN built in AWS's format from its name, as the members report only the name
    groups = {c["CacheParameterGroup"]["CacheParameterGroupName"] for c in clusters}
    arns += ["arn:aws:elasticache:%s:%s:parametergroup:%s" % (ec.meta.region_name, account, g) for g in sorted(groups)]

    elb = client("elbv2")
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        arns.append(lb["LoadBalancerArn"])
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            arns.append(listener["ListenerArn"])
            arns += [r["RuleArn"] for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]]
    arns += [t["TargetGroupArn"] for t in elb.describe_target_groups()["TargetGroups"]]

    ecs = client("ecs")
    for cluster in ecs.list_clusters()["clusterArns"]:
        arns.append(cluster)
        arns += ecs.list_services(cluster=cluster)["serviceArns"]
    arns += ecs.list_task_definitions()["taskDefinitionArns"]

    arns += [r["repositoryArn"] for r in client("ecr").describe_repositories()["repositories"]]
    for group in client("logs").describe_log_groups()["logGroups"]:
        arns += [group["logGroupArn"], group["arn"]]
    cw = client("cloudwatch")
    alarms = cw.describe_alarms()
    arns += [a["AlarmArn"] for a in alarms["MetricAlarms"] + alarms["CompositeAlarms"]]
    arns += [d["DashboardArn"] for d in cw.list_dashboards()["DashboardEntries"]]
    arns += [t["TopicArn"] for t in client("sns").list_topics()["Topics"]]
    arns += [r["Arn"] for r in client("iam").list_roles()["Roles"]]
    arns += ["arn:aws:iam::%s:role/aws-service-role/%s/%s" % (account, principal, name)
             for principal, name in SERVICE_LINKED_ROLES.items()]
    arns += [s["ARN"] for s in client("secretsmanager").list_secrets()["SecretList"]]
    return arns


def snapshot_arns(client: Callable) -> list[str]:
    """The snapshots the stack leaves: the teardown's final DB snapshot (and any ElastiCache one).

    Those taken on request only: the automated ones are AWS's, named "rds:<instance>-<date>"
    (Amazon RDS User Guide, "Amazon Resource Names (ARNs) in Amazon RDS") and
    "automatic.<group>-<date>" (ElastiCache DescribeSnapshots, SnapshotSource "system"), and no
    action of the deployer names one.
    """
    rds = client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    ec = client("elasticache").describe_snapshots(SnapshotSource="user")["Snapshots"]
    return [s["DBSnapshotArn"] for s in rds] + [s["ARN"] for s in ec]


def by_kind(arns: list[str]) -> dict[Kind, set[str]]:
    out: dict[Kind, set[str]] = defaultdict(set)
    for arn in arns:
        kind = kind_of(arn)
        if kind is not None:
            out[kind].add(arn)
    return dict(out)
