# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a deployed stack back in full, for the architecture guide (module stack_report).

Two layers:

* ``gather(client, params)``: finds the stack by name through the shared lookup
  (``discovery.find_stack``), then fetches what the guide needs on top of it by id (security-group
  rules, route tables, listener rules and target groups, task definitions, IAM roles and their
  policies, alarms, dashboards, image sizes, the account id). Every call is a describe/list/get
  with ``aws_retry=True``; "not found" becomes ``None`` or an empty list.
* pure normalisers (``normalise_*``, ``bill_of_materials``, ``count_resources``) that turn AWS
  shapes into the snake_case dicts the report template reads; they are unit-tested offline.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2_security_groups as sgapi
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import concurrently
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

ClientErrors = discovery.ClientErrors

PROTOCOL_NAMES = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp"}


# --- normalisers (pure) --------------------------------------------------------------------------

def _ports(entry: dict) -> Tuple[str, str]:
    proto = PROTOCOL_NAMES.get(entry["protocol"], entry["protocol"])
    if proto == "all":
        return proto, "all"
    lo, hi = entry["from_port"], entry["to_port"]
    if lo is None or (lo in (0, -1) and hi in (65535, -1)):
        return proto, "all"
    return proto, str(lo) if lo == hi else "%s-%s" % (lo, hi)


def normalise_rule_entries(entries: Iterable[dict], group_names: Dict[str, str]) -> List[dict]:
    """Rules as module ec2_security_groups returns them (one per protocol, port range and source;
    ``ec2_security_groups.normalise_permissions``) -> [{protocol, ports, from_port, to_port, source,
    source_type, source_id}].

    ``group_names`` maps security-group ids to names, so rules read "from production-alb-sg".
    """
    out = []
    for entry in entries:
        proto, ports = _ports(entry)
        base = {"protocol": proto, "ports": ports, "from_port": entry["from_port"], "to_port": entry["to_port"]}
        if entry.get("cidr_ip") or entry.get("cidr_ipv6"):
            cidr = entry.get("cidr_ip") or entry["cidr_ipv6"]
            out.append(dict(base, source=cidr, source_type="cidr", source_id=cidr))
        elif "source_group_id" in entry:
            gid = entry["source_group_id"]
            out.append(dict(base, source=group_names.get(gid, gid), source_type="security_group", source_id=gid))
        elif entry.get("prefix_list_id"):
            out.append(dict(base, source=entry["prefix_list_id"], source_type="prefix_list", source_id=entry["prefix_list_id"]))
    return sorted(out, key=lambda x: (x["from_port"] if x["from_port"] is not None else -1, x["protocol"], x["source"]))


def normalise_rules(permissions: Optional[List[dict]], group_names: Dict[str, str]) -> List[dict]:
    """IpPermissions -> the guide's rules (``normalise_rule_entries``), one per source."""
    return normalise_rule_entries(sgapi.normalise_permissions(permissions), group_names)


def normalise_security_group(group: dict, group_names: Dict[str, str]) -> dict:
    """A group as module ec2_security_groups returns it (``ec2_security_groups.normalise_group``) -> the guide's."""
    return {
        "id": group["group_id"], "name": group["group_name"], "description": group.get("description"),
        "ingress": normalise_rule_entries(group.get("ingress") or [], group_names),
        "egress": normalise_rule_entries(group.get("egress") or [], group_names),
    }


def normalise_route_table(table: dict) -> dict:
    routes = []
    for r in table.get("Routes") or []:
        dest = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") or r.get("DestinationPrefixListId")
        target = (r.get("NatGatewayId") or r.get("GatewayId") or r.get("TransitGatewayId")
                  or r.get("VpcPeeringConnectionId") or r.get("NetworkInterfaceId") or r.get("InstanceId"))
        routes.append({"destination": dest, "target": target, "state": r.get("State")})
    return {
        "id": table["RouteTableId"], "name": tags_to_dict(table.get("Tags")).get("Name"),
        "main": any(a.get("Main") for a in table.get("Associations") or []),
        "subnet_ids": sorted(a["SubnetId"] for a in table.get("Associations") or [] if a.get("SubnetId")),
        "routes": sorted(routes, key=lambda x: (x["destination"] or "")),
    }


def _tg_name(arn: Optional[str]) -> Optional[str]:
    # arn:...:targetgroup/<name>/<id>
    return arn.split(":targetgroup/")[-1].split("/")[0] if arn else None


def normalise_action(action: dict, target_groups: Dict[str, dict]) -> dict:
    """One listener/rule action -> {type, target_group, target_port, ...}."""
    kind = action.get("Type")
    out = {"type": kind}
    if kind == "forward":
        arns = [action["TargetGroupArn"]] if action.get("TargetGroupArn") else []
        arns += [t["TargetGroupArn"] for t in ((action.get("ForwardConfig") or {}).get("TargetGroups") or [])
                 if t.get("TargetGroupArn") not in arns]
        out["target_groups"] = [_tg_name(a) for a in arns]
        out["target_group"] = out["target_groups"][0] if out["target_groups"] else None
        tg = target_groups.get(out["target_group"]) or {}
        out["target_port"] = tg.get("port")
        out["target_protocol"] = tg.get("protocol")
    elif kind == "redirect":
        cfg = action.get("RedirectConfig") or {}
        out["redirect"] = {"protocol": cfg.get("Protocol"), "port": cfg.get("Port"), "status_code": cfg.get("StatusCode")}
    elif kind == "fixed-response":
        cfg = action.get("FixedResponseConfig") or {}
        out["fixed_response"] = {"status_code": cfg.get("StatusCode"), "content_type": cfg.get("ContentType")}
    return out


def normalise_conditions(conditions: Optional[List[dict]]) -> Dict[str, List[str]]:
    """Rule conditions -> {path_patterns: [...], host_headers: [...], ...}; reads both the legacy
    ``Values`` form and the ``*Config`` form (moto echoes only the form that was sent)."""
    fields = {
        "path-pattern": ("path_patterns", "PathPatternConfig"),
        "host-header": ("host_headers", "HostHeaderConfig"),
        "http-request-method": ("http_request_methods", "HttpRequestMethodConfig"),
        "source-ip": ("source_ips", "SourceIpConfig"),
    }
    out = {}
    for cond in conditions or []:
        name, cfg_key = fields.get(cond.get("Field"), (cond.get("Field"), None))
        values = list(((cond.get(cfg_key) or {}).get("Values") if cfg_key else None) or cond.get("Values") or [])
        out.setdefault(name, [])
        out[name].extend(v for v in values if v not in out[name])
    return out


def normalise_rule(rule: dict, target_groups: Dict[str, dict]) -> dict:
    prio = rule.get("Priority")
    default = bool(rule.get("IsDefault")) or prio == "default"
    return {
        "priority": None if default else int(prio),
        "is_default": default,
        "conditions": normalise_conditions(rule.get("Conditions")),
        "actions": [normalise_action(a, target_groups) for a in sorted(rule.get("Actions") or [], key=lambda a: a.get("Order", 0))],
    }


def sort_rules(rules: List[dict]) -> List[dict]:
    """Numbered rules by priority, the default rule last."""
    return sorted(rules, key=lambda r: (r["is_default"], r["priority"] or 0))


def normalise_task_definition(td: dict) -> dict:
    containers = []
    for c in td.get("containerDefinitions") or []:
        containers.append({
            "name": c.get("name"), "image": c.get("image"),
            "ports": [p.get("containerPort") for p in c.get("portMappings") or []],
            "log_group": ((c.get("logConfiguration") or {}).get("options") or {}).get("awslogs-group"),
            "mount_points": [m.get("containerPath") for m in c.get("mountPoints") or []],
            "secrets": [s.get("name") for s in c.get("secrets") or []],
            # names only: values may be configuration the guide has no business printing
            "environment_names": sorted(e.get("name") for e in c.get("environment") or []),
        })
    volumes = []
    for v in td.get("volumes") or []:
        efs = v.get("efsVolumeConfiguration")
        if efs:
            volumes.append({"name": v.get("name"), "file_system_id": efs.get("fileSystemId"),
                            "transit_encryption": efs.get("transitEncryption") == "ENABLED",
                            "access_point_id": (efs.get("authorizationConfig") or {}).get("accessPointId")})
    cpu, memory = td.get("cpu"), td.get("memory")
    return {
        "arn": td.get("taskDefinitionArn"), "family": td.get("family"), "revision": td.get("revision"),
        "cpu": int(cpu) if cpu else None, "memory": int(memory) if memory else None,
        "architecture": (td.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64",
        "execution_role_arn": td.get("executionRoleArn"), "task_role_arn": td.get("taskRoleArn"),
        "containers": containers, "efs_volumes": volumes,
    }


def _az_of_subnet(subnets: Dict[str, List[dict]]) -> Dict[str, str]:
    out = {}
    for tier in ("public", "private"):
        for s in subnets.get(tier, []):
            out[s["id"]] = s["availability_zone"]
    return out


def layout_by_az(stack: Dict[str, Any], details: Dict[str, Any]) -> List[dict]:
    """Per-AZ layout: subnets of each tier, NAT gateways, mount targets, the DB's zone, cache nodes."""
    subnets = stack.get("subnets") or {"public": [], "private": []}
    az_of = _az_of_subnet(subnets)
    zones = sorted(set(az_of.values()) | set(m.get("availability_zone") for m in stack.get("mount_targets") or [] if m.get("availability_zone")))
    db = stack.get("db_instance") or {}
    cache = stack.get("cache") or {}
    lb = stack.get("load_balancer") or {}
    out = []
    for az in zones:
        out.append({
            "name": az,
            "public_subnets": [s for s in subnets.get("public", []) if s["availability_zone"] == az],
            "private_subnets": [s for s in subnets.get("private", []) if s["availability_zone"] == az],
            "nat_gateways": [n for n in stack.get("nat_gateways") or [] if az_of.get(n.get("subnet_id")) == az],
            "load_balancer": bool(lb) and any(az_of.get(s) == az for s in lb.get("subnet_ids") or []),
            "mount_targets": [m for m in stack.get("mount_targets") or []
                              if (m.get("availability_zone") or az_of.get(m.get("subnet_id"))) == az],
            "db_role": ("primary" if db.get("availability_zone") == az else
                        "standby" if db.get("secondary_availability_zone") == az else None),
            "cache_nodes": [n for n in cache.get("nodes") or [] if n.get("availability_zone") == az],
            "services": sorted(svc["name"] for svc in details.get("services") or []
                               if any(az_of.get(s) == az for s in svc.get("subnet_ids") or [])),
        })
    return out


def bill_of_materials(stack: Dict[str, Any], details: Dict[str, Any]) -> Dict[str, Any]:
    """What the cost model prices (see plugins/filter/cost.py), from the live resources."""
    fargate = []
    for svc in details.get("services") or []:
        td = svc.get("task_definition") or {}
        if svc.get("launch_type") not in (None, "FARGATE") and not td:
            continue
        fargate.append({"name": svc["name"], "cpu": td.get("cpu") or 0, "memory": td.get("memory") or 0,
                        "count": svc.get("desired_count") or 0, "architecture": td.get("architecture") or "X86_64"})
    db = stack.get("db_instance")
    cache = stack.get("cache")
    return {
        "fargate": fargate,
        "nat_gateways": len(stack.get("nat_gateways") or []),
        "load_balancers": 1 if stack.get("load_balancer") else 0,
        "db_instances": [{"name": db["identifier"], "instance_class": db.get("instance_class"), "multi_az": bool(db.get("multi_az")),
                          "storage_type": db.get("storage_type") or "gp2", "storage_gb": db.get("allocated_storage") or 0}] if db else [],
        "cache_clusters": [{"name": cache["id"], "node_type": cache.get("node_type"),
                            "nodes": len(cache.get("member_clusters") or []) or 1}] if cache else [],
        "file_systems": 1 if stack.get("file_system") else 0,
        "repositories": len(stack.get("repositories") or {}),
        "log_groups": len(stack.get("log_groups") or {}),
        "alarms": len(details.get("alarms") or []),
        "dashboards": len(details.get("dashboards") or []),
        "secrets": 1 if stack.get("db_secret") else 0,
    }


def count_resources(stack: Dict[str, Any], details: Dict[str, Any]) -> Dict[str, Any]:
    """Resources found, by kind (what the guide's summary counts), and the AWS services they belong to."""
    lb = stack.get("load_balancer")
    kinds = [
        ("VPC", "Amazon VPC", 1 if stack.get("vpc") else 0),
        ("subnets", "Amazon VPC", len((stack.get("subnets") or {}).get("public", [])) + len((stack.get("subnets") or {}).get("private", []))),
        ("internet gateways", "Amazon VPC", 1 if stack.get("internet_gateway") else 0),
        ("NAT gateways", "Amazon VPC", len(stack.get("nat_gateways") or [])),
        ("Elastic IPs", "Amazon VPC", len([n for n in stack.get("nat_gateways") or [] if n.get("allocation_id")])),
        ("route tables", "Amazon VPC", len([t for t in details.get("route_tables") or [] if not t["main"]])),
        ("security groups", "Amazon VPC", len(details.get("security_groups") or [])),
        ("load balancers", "Elastic Load Balancing", 1 if lb else 0),
        ("listeners", "Elastic Load Balancing", len(details.get("listeners") or [])),
        ("listener rules", "Elastic Load Balancing",
         sum(len([r for r in lis.get("rules") or [] if not r["is_default"]]) for lis in details.get("listeners") or [])),
        ("target groups", "Elastic Load Balancing", len(details.get("target_groups") or {})),
        ("ECS clusters", "Amazon ECS", 1 if stack.get("cluster") else 0),
        ("ECS services", "Amazon ECS", len(details.get("services") or [])),
        ("task definitions", "Amazon ECS", len([s for s in details.get("services") or [] if s.get("task_definition")])),
        ("IAM roles", "AWS IAM", len(details.get("iam_roles") or [])),
        ("RDS instances", "Amazon RDS", 1 if stack.get("db_instance") else 0),
        ("secrets", "AWS Secrets Manager", 1 if stack.get("db_secret") else 0),
        ("ElastiCache replication groups", "Amazon ElastiCache", 1 if stack.get("cache") else 0),
        ("EFS file systems", "Amazon EFS", 1 if stack.get("file_system") else 0),
        ("EFS mount targets", "Amazon EFS", len(stack.get("mount_targets") or [])),
        ("EFS access points", "Amazon EFS", 1 if stack.get("access_point") else 0),
        ("ECR repositories", "Amazon ECR", len(stack.get("repositories") or {})),
        ("log groups", "Amazon CloudWatch", len(stack.get("log_groups") or {})),
        ("alarms", "Amazon CloudWatch", len(details.get("alarms") or [])),
        ("dashboards", "Amazon CloudWatch", len(details.get("dashboards") or [])),
        ("SNS topics", "Amazon SNS", 1 if stack.get("topic") else 0),
    ]
    by_kind = [{"kind": k, "service": s, "count": n} for k, s, n in kinds if n]
    services = sorted(set(x["service"] for x in by_kind))
    return {"by_kind": by_kind, "total": sum(x["count"] for x in by_kind), "services": services}


# --- API layer -----------------------------------------------------------------------------------

def account_id(sts: Any) -> str:
    return sts.get_caller_identity(aws_retry=True)["Account"]


def _referenced(groups: List[dict]) -> set:
    """Ids of the groups the inbound rules of ``groups`` (as ec2_security_groups returns them) name, other than ``groups``."""
    return (set(e["source_group_id"] for g in groups for e in g.get("ingress") or [] if e.get("source_group_id"))
            - set(g["group_id"] for g in groups))


def security_groups(ec2: Any, group_ids: Iterable[str]) -> List[dict]:
    if not group_ids:
        return []
    groups = [sgapi.normalise_group(g) for g in ec2.describe_security_groups(aws_retry=True, GroupIds=sorted(group_ids))["SecurityGroups"]]
    # names of every group a rule points at, so rules read "from production-alb-sg"
    names = dict((g["group_id"], g["group_name"]) for g in groups)
    referenced = _referenced(groups)
    if referenced:
        try:
            for g in ec2.describe_security_groups(aws_retry=True, GroupIds=sorted(referenced))["SecurityGroups"]:
                names[g["GroupId"]] = g["GroupName"]
        except is_boto3_error_code("InvalidGroup.NotFound"):
            pass
    return [normalise_security_group(g, names) for g in groups]


def sort_groups(groups: List[dict], names: Optional[List[str]]) -> List[dict]:
    """The guide's groups in the order of ``names`` (O(security_group_names)), then by name."""
    order = list(names or [])
    return sorted(groups, key=lambda g: (order.index(g["name"]) if g["name"] in order else len(order), g["name"]))


def known_security_groups(known: Dict[str, dict], group_ids: Iterable[str]) -> Optional[List[dict]]:
    """What ``security_groups(ec2, group_ids)`` reads, from ``known`` (group id -> the group as
    ec2_security_groups returns it); None unless it holds every group and every group their inbound
    rules name."""
    group_ids = list(group_ids)
    if not all(i in known for i in group_ids):
        return None
    groups = [known[i] for i in sorted(group_ids)]
    referenced = _referenced(groups)
    if not all(i in known for i in referenced):
        return None
    names = dict((i, known[i]["group_name"]) for i in list(group_ids) + sorted(referenced))
    return [normalise_security_group(g, names) for g in groups]


def vpc_route_tables(tables: List[dict], vpc_id: str) -> List[dict]:
    """DescribeRouteTables' ``RouteTables`` -> the guide's route tables of ``vpc_id``."""
    return sorted((normalise_route_table(t) for t in tables if t.get("VpcId", vpc_id) == vpc_id),
                  key=lambda t: (t["main"], t["name"] or "", t["id"]))


def route_tables(ec2: Any, vpc_id: str) -> List[dict]:
    return vpc_route_tables(ec2.describe_route_tables(aws_retry=True, Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"], vpc_id)


def load_balancer_details(elb: Any, lb_arn: str, listeners: List[dict],
                          known_rules: Optional[Dict[str, List[dict]]] = None) -> Tuple[Dict[str, dict], List[dict]]:
    """Target groups of the load balancer by name, and each listener with its rules.

    ``known_rules`` (listener ARN -> DescribeRules' ``Rules``) are the rules of the listeners the
    run has read already; the others are read.
    """
    tgs = {}
    for tg in elb.describe_target_groups(aws_retry=True, LoadBalancerArn=lb_arn)["TargetGroups"]:
        tgs[tg["TargetGroupName"]] = {
            "arn": tg["TargetGroupArn"], "port": tg.get("Port"), "protocol": tg.get("Protocol"),
            "target_type": tg.get("TargetType"), "health_check_path": tg.get("HealthCheckPath"),
            "health_check_matcher": (tg.get("Matcher") or {}).get("HttpCode"),
        }
    out = []
    for lis in listeners:
        raw = (known_rules or {}).get(lis["arn"])
        if raw is None:
            raw = paginate(elb, "describe_rules", ListenerArn=lis["arn"]).get("Rules", [])
        rules = sort_rules([normalise_rule(r, tgs) for r in raw])
        out.append(dict(lis, encrypted=lis.get("protocol") in ("HTTPS", "TLS"), rules=rules,
                        default_action=next((r["actions"][0] for r in rules if r["is_default"] and r["actions"]), None)))
    return tgs, out


def service_details(ecs: Any, services: Dict[str, dict], known: Optional[Dict[str, dict]] = None) -> List[dict]:
    """Each service (from discovery) with its task definition's size and containers.

    ``known`` maps task definition ARNs to what is already known of them (``normalise_task_definition``'s
    shape); only the others are read."""
    out = []
    cache = dict(known or {})
    for name in sorted(services):
        svc = dict(services[name], name=name)
        arn = svc.get("task_definition")
        if arn and arn not in cache:
            try:
                cache[arn] = normalise_task_definition(ecs.describe_task_definition(aws_retry=True, taskDefinition=arn)["taskDefinition"])
            except is_boto3_error_code("ClientException"):
                cache[arn] = None
        svc["task_definition"] = cache.get(arn) if arn else None
        svc["target_groups"] = [_tg_name(lb.get("target_group_arn")) for lb in svc.get("load_balancers") or []]
        out.append(svc)
    return out


def iam_roles(iam: Any, names: Optional[List[str]]) -> List[dict]:
    out = []
    for name in names or []:
        try:
            role = iam.get_role(aws_retry=True, RoleName=name)["Role"]
        except is_boto3_error_code("NoSuchEntity"):
            continue
        inline = {}
        for pname in paginate(iam, "list_role_policies", RoleName=name).get("PolicyNames", []):
            inline[pname] = iam.get_role_policy(aws_retry=True, RoleName=name, PolicyName=pname)["PolicyDocument"]
        managed = [(p["PolicyName"], p["PolicyArn"])
                   for p in paginate(iam, "list_attached_role_policies", RoleName=name).get("AttachedPolicies", [])]
        out.append(discovery.iam_role(name, role["Arn"], role.get("Description"), role.get("AssumeRolePolicyDocument"), inline, managed))
    return out


def alarms(cw: Any, prefix: str) -> List[dict]:
    out = []
    for a in paginate(cw, "describe_alarms", AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"]).get("MetricAlarms", []):
        if a["AlarmName"].startswith(prefix):
            out.append({"name": a["AlarmName"], "namespace": a.get("Namespace"), "metric": a.get("MetricName"),
                        "threshold": a.get("Threshold"), "comparison": a.get("ComparisonOperator")})
    return sorted(out, key=lambda a: a["name"])


def dashboards(cw: Any, names: Optional[List[str]]) -> List[dict]:
    out = []
    for name in names or []:
        for d in cw.list_dashboards(aws_retry=True, DashboardNamePrefix=name).get("DashboardEntries", []):
            if d["DashboardName"] == name:
                out.append({"name": name, "arn": d.get("DashboardArn")})
    return out


def image_sizes(ecr: Any, repositories: Optional[Dict[str, dict]]) -> Dict[str, dict]:
    """Images and bytes stored per repository (for the guide; the estimate uses the assumption).

    The repositories are read side by side."""
    def sizes(name: str) -> Optional[dict]:
        try:
            images = paginate(ecr, "describe_images", repositoryName=name).get("imageDetails", [])
        except is_boto3_error_code("RepositoryNotFoundException"):
            return None
        return {"images": len(images), "size_bytes": sum(img.get("imageSizeInBytes") or 0 for img in images)}

    names = sorted(repositories or {})
    found = concurrently([(lambda n=n: sizes(n)) for n in names])
    return {name: size for name, size in zip(names, found) if size is not None}


def gather(client: discovery.Clients, params: Dict[str, Any]) -> Tuple[dict, dict, List[str]]:
    """``(stack, details, missing)`` for the names in ``params``; ``client(service)`` returns a retrying client.

    Two rounds of reads: the stack by name (``discovery.find_stack``, which takes from
    ``params["known"]`` what the run's lookups found and nothing has changed since), then what the
    guide needs of it by id, each service's reads on its own client, the services side by side
    (``base.concurrently``). The details the run's modules published in ``known`` (roles, route
    tables, security groups, listener rules, task definitions, alarms, dashboards:
    ``discovery.PUBLISHES``) are not read again.
    """
    stack, missing, unavailable = discovery.find_stack(client, params)
    details: Dict[str, Any] = {"unavailable": list(unavailable)}
    reads: List[Callable[[], Dict[str, Any]]] = []  # each returns keys of ``details``; clients made in this thread

    known = params.get("known") or {}
    if known.get("_run") != discovery.run_marker():
        known = {}  # another run's known stack: nothing of it is taken
    if known.get("account_id"):
        details["account_id"] = known["account_id"]
    else:
        sts = client("sts")
        reads.append(lambda: {"account_id": account_id(sts)})
    if stack.get("vpc"):
        vpc_id, group_ids = stack["vpc"]["id"], list((stack.get("security_groups") or {}).values())
        # what the network modules of this run read and published (discovery.DETAIL_KEYS: nothing changed since)
        tables = known.get("route_tables")
        if tables and tables.get("vpc_id") == vpc_id:
            details["route_tables"] = vpc_route_tables(tables["tables"], vpc_id)
        groups = known_security_groups(known.get("security_group_details") or {}, group_ids)
        if groups is not None:
            details["security_groups"] = sort_groups(groups, params.get("security_group_names"))
        if groups is None or "route_tables" not in details:
            ec2 = client("ec2")

            def network() -> Dict[str, Any]:
                out = {}
                if "route_tables" not in details:
                    out["route_tables"] = route_tables(ec2, vpc_id)
                if groups is None:
                    out["security_groups"] = sort_groups(security_groups(ec2, group_ids), params.get("security_group_names"))
                return out
            reads.append(network)
    lb = stack.get("load_balancer")
    if lb:
        elb = client("elbv2")
        known_rules = known.get("listener_rules")
        reads.append(lambda: dict(zip(("target_groups", "listeners"),
                                      load_balancer_details(elb, lb["arn"], stack.get("listeners") or [], known_rules))))
    if stack.get("services"):
        # the task definitions the ecs_task_definition module of this run published, by ARN
        known_tds = dict(known.get("task_definitions") or {})
        if all(svc.get("task_definition") in known_tds for svc in stack["services"].values() if svc.get("task_definition")):
            details["services"] = service_details(None, stack["services"], known_tds)
        else:
            ecs = client("ecs")
            reads.append(lambda: {"services": service_details(ecs, stack["services"], known_tds)})
    known_roles = discovery._all_named(known.get("iam_roles"), list(params.get("role_names") or []))
    if params.get("role_names") and known_roles is not None:  # the roles module of this run published them
        details["iam_roles"] = [known_roles[n] for n in params["role_names"]]
    elif params.get("role_names"):
        iam = client("iam")
        reads.append(lambda: {"iam_roles": iam_roles(iam, params["role_names"])})
    prefix, dashboard_names = params.get("alarm_name_prefix"), list(params.get("dashboard_names") or [])
    # every metric alarm under a prefix of the report's, published by the alarms module of this run
    known_alarms = known.get("alarms")
    if prefix and isinstance(known_alarms, dict) and prefix.startswith(known_alarms["name_prefix"]):
        details["alarms"] = [a for a in known_alarms["alarms"] if a["name"].startswith(prefix)]
    known_dashboards = discovery._all_named(known.get("dashboards"), dashboard_names)
    if dashboard_names and known_dashboards is not None:
        details["dashboards"] = [known_dashboards[n] for n in dashboard_names]
    read_alarms, read_dashboards = prefix and "alarms" not in details, dashboard_names and "dashboards" not in details
    if read_alarms or read_dashboards:
        cw = client("cloudwatch")

        def monitoring() -> Dict[str, Any]:
            out = {}
            if read_alarms:
                out["alarms"] = alarms(cw, prefix)
            if read_dashboards:
                out["dashboards"] = dashboards(cw, dashboard_names)
            return out
        reads.append(monitoring)
    if stack.get("repositories"):
        ecr = client("ecr")
        reads.append(lambda: {"images": image_sizes(ecr, stack["repositories"])})
    for answer in concurrently(reads):
        details.update(answer)

    if "iam_roles" in details:
        found_roles = set(r["name"] for r in details["iam_roles"])
        missing.extend("IAM role %s" % n for n in params["role_names"] if n not in found_roles)
    if "dashboards" in details:
        found_dashboards = set(d["name"] for d in details["dashboards"])
        missing.extend("dashboard %s" % n for n in params["dashboard_names"] if n not in found_dashboards)

    details["layout"] = layout_by_az(stack, details)
    details["resources"] = count_resources(stack, details)
    return stack, details, missing
