# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find the resources of one stack by name (the lookup behind the stack_info module).

Every lookup filters by id or name server-side and by tags client-side: emulators ignore some
tag filters, and their tagging APIs miss resource types. Every list that AWS may answer in pages
is read whole through ``base.paginate`` (the paginator walk under the collection's retry policy);
the other calls name one resource (or at most ten services) and get one page.
"""

from __future__ import annotations

import json
import os

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

try:
    from urllib.parse import unquote
except ImportError:  # pragma: no cover
    from urllib import unquote

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import elasticache
from ansible_collections.apranova.aws_stack.plugins.module_utils import rds
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import concurrently
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

try:
    ClientErrors = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except NameError:
    ClientErrors = (Exception,)

_LIVE_NAT_STATES = ("pending", "available")

# The names a stack is found by: the options stack_info and stack_report share (each adds its own).
LOOKUP_OPTIONS = dict(
    vpc_name=dict(type="str"),
    security_group_names=dict(type="list", elements="str"),
    db_instance_identifier=dict(type="str"),
    db_secret_name=dict(type="str"),
    cache_id=dict(type="str"),
    efs_name=dict(type="str"),
    efs_access_point_name=dict(type="str"),
    load_balancer_name=dict(type="str"),
    cluster_name=dict(type="str"),
    service_names=dict(type="list", elements="str"),
    repository_names=dict(type="list", elements="str"),
    log_group_names=dict(type="list", elements="str"),
    topic_name=dict(type="str"),
)


# Which tier builds each kind of resource find_stack reports missing, and the order tiers are built in.
TIER_OF = {
    "vpc": "network", "security group": "network", "subnets": "network",
    "repository": "registry",
    "db instance": "data", "secret": "data", "replication group": "data", "file system": "data", "access point": "data",
    "load balancer": "alb", "target group": "alb",
    "cluster": "ecs_services", "service": "ecs_services", "log group": "ecs_services",
    "topic": "monitoring",
}
BUILD_ORDER = ("network", "registry", "data", "alb", "ecs_services", "monitoring")
# A load balancer and an RDS or ElastiCache subnet group need subnets in at least two Availability
# Zones (ELBv2 API doc: CreateLoadBalancer Subnets "at least two Availability Zones"; RDS
# CreateDBSubnetGroup and ElastiCache CreateCacheSubnetGroup: "at least two AZs" / DBSubnetGroupDoesNotCoverEnoughAZs).
MIN_ZONES = 2


def tier_of(line: str) -> Optional[str]:
    """The tier that builds what a ``missing`` line names (``"db instance x"`` -> ``data``)."""
    for kind in sorted(TIER_OF, key=len, reverse=True):
        if line.startswith(kind + " "):
            return TIER_OF[kind]
    return None


def requirements(tier: str, stack: dict, missing: List[str], subnet_tiers: List[str]) -> Tuple[List[str], List[str]]:
    """What ``tier`` needs that other tiers have not built: ``(needed lines, tiers to run first)``.

    ``missing`` is find_stack's; lines of what ``tier`` builds itself are not needed from others.
    Each subnet tier of ``subnet_tiers`` (``public``, ``private``) must have subnets in ``MIN_ZONES`` zones.
    """
    needed = [line for line in missing if tier_of(line) != tier]
    if stack.get("vpc") is not None:
        for name in subnet_tiers:
            zones = {s["availability_zone"] for s in (stack.get("subnets") or {}).get(name, [])}
            if len(zones) < MIN_ZONES:
                needed.append("subnets %s in %d availability zones (found %d)" % (name, MIN_ZONES, len(zones)))
    tiers = {tier_of(line) for line in needed}
    return needed, [t for t in BUILD_ORDER if t in tiers]


Clients = Callable[[str], Any]  # client(service): a retrying boto3 client of the module (base.aws_client)


def run_lookup(options: Dict[str, dict], read: Callable[[Clients, Any], Dict[str, Any]], failure: str) -> None:
    """The ``main()`` of a module that finds a stack by name (stack_info, stack_report).

    Its options are ``LOOKUP_OPTIONS`` and its own ``options``; it supports check mode and never
    changes anything. ``read(client, module)`` returns the module's return values; a botocore
    error fails the task with ``failure`` and AWS's message.
    """
    module = AnsibleAWSModule(argument_spec=dict(LOOKUP_OPTIONS, **options), supports_check_mode=True)

    def client(service: str) -> Any:
        return aws_client(module, service)

    try:
        result = read(client, module)
    except ClientErrors as e:
        module.fail_json_aws(e, msg=failure)
    module.exit_json(changed=False, **result)


def _vpc(ec2: Any, name: str) -> Optional[dict]:
    vpcs = paginate(ec2, "describe_vpcs", Filters=[{"Name": "tag:Name", "Values": [name]}]).get("Vpcs") or []
    vpcs = [v for v in vpcs if tags_to_dict(v.get("Tags")).get("Name") == name]
    if not vpcs:
        return None
    v = sorted(vpcs, key=lambda x: x["VpcId"])[0]
    return {"id": v["VpcId"], "cidr_block": v["CidrBlock"], "name": name, "tags": tags_to_dict(v.get("Tags"))}


def _network(ec2: Any, vpc_id: str) -> dict:
    """The VPC's subnets and gateways: three reads by the VPC's id, side by side (one round trip)."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    found_subnets, igws, found_nats = concurrently([
        lambda: paginate(ec2, "describe_subnets", Filters=filters).get("Subnets") or [],
        lambda: paginate(ec2, "describe_internet_gateways",
                         Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]).get("InternetGateways") or [],
        lambda: paginate(ec2, "describe_nat_gateways", Filter=filters).get("NatGateways") or [],
    ])
    igw = igws[0] if igws else None
    nats = [n for n in found_nats if n.get("VpcId") == vpc_id and n.get("State") in _LIVE_NAT_STATES]
    return {
        "subnets": subnets_by_tier((s["SubnetId"], s["CidrBlock"], s["AvailabilityZone"], tags_to_dict(s.get("Tags")))
                                   for s in found_subnets),
        "internet_gateway": {"id": igw["InternetGatewayId"], "name": tags_to_dict(igw.get("Tags")).get("Name")} if igw else None,
        "nat_gateways": nat_gateways((n["NatGatewayId"], n["SubnetId"], n["State"], tags_to_dict(n.get("Tags")),
                                      (n.get("NatGatewayAddresses") or [{}])[0]) for n in nats),
    }


def subnets_by_tier(subnets: Iterable[Tuple[str, str, str, Dict[str, str]]]) -> Dict[str, List[dict]]:
    """``(id, cidr, zone, tags)`` of a VPC's subnets -> the stack's public and private subnets (their C(Tier) tag)."""
    out: Dict[str, List[dict]] = {"public": [], "private": []}
    for subnet_id, cidr, zone, tags in subnets:
        if tags.get("Tier") in out:
            out[tags["Tier"]].append({"id": subnet_id, "cidr_block": cidr, "availability_zone": zone, "name": tags.get("Name")})
    for tier in out:
        out[tier].sort(key=lambda x: (x["availability_zone"], x["cidr_block"]))
    return out


def nat_gateways(gateways: Iterable[Tuple[str, str, str, Dict[str, str], Dict[str, Any]]]) -> List[dict]:
    """``(id, subnet, state, tags, primary address)`` of a VPC's live NAT gateways -> the stack's, by ID."""
    return [{"id": i, "subnet_id": subnet, "state": state, "name": tags.get("Name"),
             "public_ip": address.get("PublicIp"), "allocation_id": address.get("AllocationId")}
            for i, subnet, state, tags, address in sorted(gateways, key=lambda g: g[0])]


def _security_groups(ec2: Any, vpc_id: str, names: List[str]) -> Dict[str, str]:
    found = paginate(
        ec2, "describe_security_groups",
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": list(names)}],
    ).get("SecurityGroups") or []
    return {g["GroupName"]: g["GroupId"] for g in found if g["GroupName"] in names}


def _db_instance(client: Any, identifier: str) -> Optional[dict]:
    try:
        db = client.describe_db_instances(aws_retry=True, DBInstanceIdentifier=identifier)["DBInstances"][0]
    except is_boto3_error_code("DBInstanceNotFound"):
        return None
    if db.get("DBInstanceStatus") == "deleting":
        return None
    return db_instance_found(rds.normalise_db_instance(db))


def db_instance_found(db: Dict[str, Any]) -> dict:
    """What a lookup holds of a DB instance, from ``rds.normalise_db_instance``'s dict (what
    rds_db_instance returns, published as it is read). Never a password."""
    return {
        "identifier": db["db_instance_identifier"], "arn": db.get("db_instance_arn"), "status": db.get("db_instance_status"),
        # none until RDS assigns them: an instance not available yet reports no endpoint and port 0
        "address": (db.get("endpoint") or {}).get("address"), "port": db.get("port"), "db_name": db.get("db_name"),
        "engine": db.get("engine"), "engine_version": db.get("engine_version"), "instance_class": db.get("db_instance_class"),
        # false when an emulator leaves them out (moto: PubliclyAccessible)
        "allocated_storage": db.get("allocated_storage"), "storage_encrypted": bool(db.get("storage_encrypted")),
        "multi_az": bool(db.get("multi_az")), "publicly_accessible": bool(db.get("publicly_accessible")),
        # read by playbooks/teardown.yml to refuse before deleting anything
        "deletion_protection": bool(db.get("deletion_protection")),
        # every group as RDS lists them (vpc_security_group_ids leaves out those being removed, sorted)
        "security_group_ids": [g["vpc_security_group_id"] for g in db.get("vpc_security_groups") or []],
        "subnet_group": db.get("db_subnet_group_name"),
        # used by the architecture report (stack_report)
        "storage_type": db.get("storage_type"),
        "availability_zone": db.get("availability_zone"), "secondary_availability_zone": db.get("secondary_availability_zone"),
    }


def _secret(sm: Any, name: str) -> Optional[dict]:
    try:
        s = sm.describe_secret(aws_retry=True, SecretId=name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    return {"arn": s["ARN"], "name": s["Name"], "scheduled_for_deletion": bool(s.get("DeletedDate"))}


def _cache(ec: Any, group_id: str) -> Optional[dict]:
    try:
        g = ec.describe_replication_groups(aws_retry=True, ReplicationGroupId=group_id)["ReplicationGroups"][0]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    if g.get("Status") == "deleting":
        return None
    return cache_found(elasticache.normalize_replication_group(g))


def cache_found(g: Dict[str, Any]) -> dict:
    """What a lookup holds of a replication group, from ``elasticache.normalize_replication_group``'s
    dict (what elasticache_replication_group returns, published as it is read)."""
    endpoint = g.get("endpoint") or {}  # the configuration endpoint, else the primary one
    return {
        "id": g["replication_group_id"], "arn": g.get("arn"), "status": g.get("status"),
        "address": endpoint.get("address"), "port": endpoint.get("port"), "node_type": g.get("cache_node_type"),
        "at_rest_encryption": bool(g.get("at_rest_encryption_enabled")), "transit_encryption": bool(g.get("transit_encryption_enabled")),
        # used by the architecture report (stack_report); AWS's status strings (enabled, enabling ...),
        # not the module's booleans
        "engine": g.get("engine"), "member_clusters": list(g.get("member_clusters") or []),
        "automatic_failover": g.get("automatic_failover_status"), "multi_az": g.get("multi_az_status"),
        "auth_token_enabled": bool(g.get("auth_token_enabled")), "nodes": [dict(n) for n in g.get("nodes") or []],
    }


def _efs(efs: Any, name: str, access_point_name: Optional[str]) -> Tuple[Optional[dict], Optional[dict], List[dict]]:
    fs = None
    for f in paginate(efs, "describe_file_systems").get("FileSystems") or []:
        if tags_to_dict(f.get("Tags")).get("Name") == name and f.get("LifeCycleState") not in ("deleting", "deleted"):
            fs = f
    if fs is None:
        return None, None, []
    fs_id = fs["FileSystemId"]
    # the mount targets and the access points of the file system, side by side
    mts, aps = concurrently([
        lambda: paginate(efs, "describe_mount_targets", FileSystemId=fs_id).get("MountTargets") or [],
        lambda: (paginate(efs, "describe_access_points", FileSystemId=fs_id).get("AccessPoints") or []) if access_point_name else [],
    ])
    mount_targets = [{"id": m["MountTargetId"], "subnet_id": m["SubnetId"], "ip_address": m.get("IpAddress"),
                      "availability_zone": m.get("AvailabilityZoneName")} for m in mts]
    ap = None
    if access_point_name:
        for a in aps:
            if tags_to_dict(a.get("Tags")).get("Name") == access_point_name or a.get("Name") == access_point_name:
                ap = {"id": a["AccessPointId"], "arn": a["AccessPointArn"], "name": access_point_name,
                      "posix_user": a.get("PosixUser"), "root_directory": (a.get("RootDirectory") or {}).get("Path")}
    return ({"id": fs_id, "arn": fs.get("FileSystemArn"), "name": name, "encrypted": fs.get("Encrypted"),
             "state": fs.get("LifeCycleState"),
             # used by the architecture report (stack_report)
             "performance_mode": fs.get("PerformanceMode"), "throughput_mode": fs.get("ThroughputMode"),
             "size_in_bytes": (fs.get("SizeInBytes") or {}).get("Value")}, ap, mount_targets)


def _load_balancer(elb: Any, name: str) -> Tuple[Optional[dict], List[dict]]:
    try:
        lb = elb.describe_load_balancers(aws_retry=True, Names=[name])["LoadBalancers"][0]
    except is_boto3_error_code("LoadBalancerNotFound"):
        return None, []
    listeners = []
    for lis in paginate(elb, "describe_listeners", LoadBalancerArn=lb["LoadBalancerArn"]).get("Listeners") or []:
        listeners.append({"arn": lis["ListenerArn"], "port": lis["Port"], "protocol": lis["Protocol"],
                          # used by the architecture report (stack_report)
                          "ssl_policy": lis.get("SslPolicy") if lis["Protocol"] in ("HTTPS", "TLS") else None,
                          "certificate_arns": [c["CertificateArn"] for c in lis.get("Certificates") or []]})
    listeners.sort(key=lambda x: x["port"])
    attrs = elb.describe_load_balancer_attributes(aws_retry=True, LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    attrs = {a["Key"]: a["Value"] for a in attrs}
    return ({"deletion_protection": attrs.get("deletion_protection.enabled") == "true",
             "arn": lb["LoadBalancerArn"], "name": name, "dns_name": lb.get("DNSName"), "scheme": lb.get("Scheme"),
             "security_group_ids": sorted(lb.get("SecurityGroups", [])), "state": (lb.get("State") or {}).get("Code"),
             "subnet_ids": sorted(az["SubnetId"] for az in lb.get("AvailabilityZones", []))}, listeners)


def _named(describe: Callable[[List[str]], List[dict]], names: List[str], not_found: str) -> List[dict]:
    """What ``describe(names)`` answers for all ``names`` in one call; when AWS refuses the whole call
    with ``not_found`` because one of them does not exist, what it answers for each name alone."""
    try:
        return describe(list(names))
    except is_boto3_error_code(not_found):
        if len(names) == 1:
            return []
    found = []
    for name in names:
        try:
            found.extend(describe([name]))
        except is_boto3_error_code(not_found):
            continue
    return found


def _target_groups(elb: Any, names: List[str]) -> Dict[str, dict]:
    out = {}
    for tg in _named(lambda batch: elb.describe_target_groups(aws_retry=True, Names=batch)["TargetGroups"],
                     names, "TargetGroupNotFound"):
        out[tg["TargetGroupName"]] = {"arn": tg["TargetGroupArn"], "port": tg.get("Port"), "protocol": tg.get("Protocol"),
                                      "target_type": tg.get("TargetType"), "health_check_path": tg.get("HealthCheckPath")}
    return {name: out[name] for name in names if name in out}


def _cluster(ecs: Any, name: str) -> Optional[dict]:
    found = ecs.describe_clusters(aws_retry=True, clusters=[name])["clusters"]
    found = [c for c in found if c.get("status") == "ACTIVE"]
    if not found:
        return None
    return {"name": name, "arn": found[0]["clusterArn"]}


def _services(ecs: Any, cluster: str, names: List[str]) -> Dict[str, dict]:
    """The ACTIVE services of ``names`` by name; none when the cluster does not exist
    (DescribeServices answers ClusterNotFoundException: ECS API doc)."""
    out = {}
    for i in range(0, len(names), 10):
        try:
            found = ecs.describe_services(aws_retry=True, cluster=cluster, services=names[i:i + 10])["services"]
        except is_boto3_error_code("ClusterNotFoundException"):
            return {}
        for s in found:
            vpc_config = (s.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            if s.get("status") == "ACTIVE":
                out[s["serviceName"]] = {"arn": s["serviceArn"], "task_definition": s.get("taskDefinition"),
                                         "desired_count": s.get("desiredCount"), "running_count": s.get("runningCount"),
                                         # used by the architecture report (stack_report)
                                         "launch_type": s.get("launchType"),
                                         "load_balancers": [{"target_group_arn": lb.get("targetGroupArn"),
                                                             "container_name": lb.get("containerName"),
                                                             "container_port": lb.get("containerPort")}
                                                            for lb in s.get("loadBalancers") or []],
                                         "subnet_ids": sorted(vpc_config.get("subnets") or []),
                                         "security_group_ids": sorted(vpc_config.get("securityGroups") or [])}
    return out


def _repositories(ecr: Any, names: List[str]) -> Dict[str, dict]:
    out = {}
    for r in _named(lambda batch: ecr.describe_repositories(aws_retry=True, repositoryNames=batch)["repositories"],
                    names, "RepositoryNotFoundException"):
        out[r["repositoryName"]] = {
            "arn": r["repositoryArn"], "uri": r["repositoryUri"],
            # used by the architecture report (stack_report)
            "scan_on_push": (r.get("imageScanningConfiguration") or {}).get("scanOnPush"),
            "image_tag_mutability": r.get("imageTagMutability"),
            "encryption_type": (r.get("encryptionConfiguration") or {}).get("encryptionType")}
    return {name: out[name] for name in names if name in out}


def _log_groups(logs: Any, names: List[str]) -> Dict[str, dict]:
    out = {}
    for name in names:
        for g in paginate(logs, "describe_log_groups", logGroupNamePrefix=name).get("logGroups") or []:
            if g["logGroupName"] == name:
                out[name] = {"arn": g.get("arn"), "retention_in_days": g.get("retentionInDays"),
                             "stored_bytes": g.get("storedBytes")}  # stored_bytes: for stack_report
    return out


def _topic(sns: Any, name: str) -> Optional[dict]:
    for t in paginate(sns, "list_topics").get("Topics") or []:
        if t["TopicArn"].split(":")[-1] == name:
            return {"arn": t["TopicArn"], "name": name}
    return None


def run_marker() -> str:
    """Which ``ansible-playbook`` run this module runs in: its process id and start time.

    The collection's modules run in the task's worker, a fork of ``ansible-playbook``
    (plugin_utils/in_process.py), so the parent process is the run. ``known`` is a fact, and a fact
    cache (``ANSIBLE_CACHE_PLUGIN``) keeps facts between runs: a known stack of another run (or of a
    module run in a process of its own, whose parent changes with each task) is not used.
    """
    parent = os.getppid()
    try:
        with open("/proc/%d/stat" % parent) as stat:
            started = stat.read().rsplit(")", 1)[1].split()[19]  # field 22, starttime
    except (OSError, IndexError):
        started = ""
    return "%d:%s" % (parent, started)


# Keys of ``stack`` that hold one resource per asked name (merged by name when found stacks are combined).
BY_NAME = ("security_groups", "target_groups", "services", "repositories", "log_groups", "iam_roles")


def _all_named(part: Any, names: List[str]) -> Optional[dict]:
    """``part``'s entries for ``names`` when it holds every one of them, else None."""
    if not isinstance(part, dict) or not all(n in part for n in names):
        return None
    return {n: part[n] for n in names}


def from_known(known: Dict[str, Any], option: str, p: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The keys of ``stack`` that ``known`` (a stack found earlier in the run) answers for ``option``.

    None when the option must be read: ``known`` has not found it, names another resource, or holds
    it in a state that is still changing. A database or cache is taken only once available with its
    address, a file system only once available: until then AWS gives no address (or refuses mount
    targets), so they are read again (docs/aws-behaviour.md). A NAT gateway still pending and a
    load balancer still provisioning are taken as they are: no tier needs them available, and the
    end-of-run wait publishes the state it leaves them in, which is what the report takes. The
    security groups of O(vpc_name) are answered separately (``known_groups``).
    """
    value = p[option]
    if option == "vpc_name":
        vpc = known.get("vpc")
        keys = ("subnets", "internet_gateway", "nat_gateways")
        if not vpc or vpc.get("name") != value or not all(k in known for k in keys):
            return None
        return dict({"vpc": vpc}, **{k: known[k] for k in keys})
    if option == "db_instance_identifier":
        db = known.get("db_instance")
        ok = db and db.get("identifier") == value and db.get("status") == "available" and db.get("address")
        return {"db_instance": db} if ok else None
    if option == "db_secret_name":
        secret = known.get("db_secret")
        return {"db_secret": secret} if secret and secret.get("name") == value and not secret.get("scheduled_for_deletion") else None
    if option == "cache_id":
        cache = known.get("cache")
        ok = cache and cache.get("id") == value and cache.get("status") == "available" and cache.get("address")
        return {"cache": cache} if ok else None
    if option == "efs_name":
        fs, ap_name = known.get("file_system"), p.get("efs_access_point_name")
        if not fs or fs.get("name") != value or fs.get("state") != "available" or "mount_targets" not in known:
            return None
        ap = known.get("access_point") if ap_name else None
        if ap_name and (not ap or ap.get("name") != ap_name):
            return None
        return {"file_system": fs, "access_point": ap, "mount_targets": known["mount_targets"]}
    if option == "load_balancer_name":
        lb = known.get("load_balancer")
        ok = lb and lb.get("name") == value and "listeners" in known
        return {"load_balancer": lb, "listeners": known["listeners"]} if ok else None
    if option == "cluster_name":
        cluster = known.get("cluster")
        if not cluster or cluster.get("name") != value:
            return None
        if not p.get("service_names"):
            return {"cluster": cluster}
        services = _all_named(known.get("services"), p["service_names"])
        return {"cluster": cluster, "services": services} if services is not None else None
    if option == "topic_name":
        topic = known.get("topic")
        return {"topic": topic} if topic and topic.get("name") == value else None
    key = {"target_group_names": "target_groups", "repository_names": "repositories", "log_group_names": "log_groups"}.get(option)
    if key:
        found = _all_named(known.get(key), list(value))
        return {key: found} if found is not None else None
    return None


def known_groups(known: Dict[str, Any], p: Dict[str, Any]) -> Optional[Dict[str, str]]:
    """The ids ``known`` holds of every security group O(security_group_names) asks for, else None."""
    names = p.get("security_group_names")
    return _all_named(known.get("security_groups"), list(names)) if names else {}


def combine(known: Optional[Dict[str, Any]], stack: Dict[str, Any]) -> Dict[str, Any]:
    """``known`` updated with a newer ``stack``: what was read replaces, the by-name parts merge by name.

    The result carries this run's marker (``_run``); a ``known`` of another run is dropped first.
    """
    run = run_marker()
    out = dict(known) if known and known.get("_run") == run else {}
    out["_run"] = run
    for key, value in stack.items():
        if key in BY_NAME and isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = dict(out[key], **value)
        else:
            out[key] = value
    return out


# The fact every lookup leaves (stack_info's RV(ansible_facts)), read by the next lookup of the run.
KNOWN_FACT = "aws_stack_known"

# What a module of this collection changes of a known stack when it reports ``changed``: the keys of
# ``stack`` it may have made stale. Read-only modules and modules whose resources no lookup holds
# (route tables, listener rules, roles, task definitions, alarms, dashboards) change none.
CHANGES_KNOWN = {
    "ec2_vpc": ("vpc", "subnets", "internet_gateway", "nat_gateways", "security_groups"),
    "ec2_subnets": ("subnets",), "ec2_internet_gateway": ("internet_gateway",), "ec2_nat_gateway": ("nat_gateways",),
    "ec2_security_groups": ("security_groups",), "ec2_route_tables": (),
    "ecr_repositories": ("repositories",),
    "secretsmanager_password": ("db_secret",), "rds_db_instance": ("db_instance",),
    "elasticache_replication_group": ("cache",),
    "efs_file_system": ("file_system", "access_point", "mount_targets"), "efs_mount_target": ("mount_targets",),
    "efs_access_point": ("access_point",),
    "elb_target_groups": ("target_groups",), "elb_load_balancer": ("load_balancer", "listeners"), "elb_listener_rules": (),
    "cloudwatchlogs_log_groups": ("log_groups",), "iam_roles": ("iam_roles",), "ecs_cluster": ("cluster", "services"),
    "ecs_task_definition": (), "ecs_service": ("services",),
    "sns_topics": ("topic",), "cloudwatch_metric_alarms": (), "cloudwatch_dashboard": (),
    "stack_info": (), "stack_report": (), "pricing_products": (),
    "report_files": (),  # files on the controller only
    "rds_subnet_group": (), "elasticache_subnet_group": (),
}
# The same for the stock modules the collection re-exports (meta/runtime.yml), by their FQCN: no
# lookup holds what they change. Any other module may change anything.
STOCK_CHANGES_KNOWN = {"amazon.aws.sts_assume_role": ()}
# What no change makes stale: who the credentials are, the run the known stack belongs to, and
# what this host's changes made stale so far (``_stale``, read by ``merge_hosts``).
_ALWAYS_KNOWN = ("_run", "account_id", "partition", "caller_arn", "_stale")
# Keys of the known stack that only the report reads (rules, routes, task definitions, alarms,
# dashboards): the details of resources that many modules touch in ways CHANGES_KNOWN cannot track
# one by one (a NAT gateway's creation changes a route's state, a target group's attachment its
# load balancer). So a module publishes them only when it changed nothing, and any change of any
# module drops them all: the report takes a detail only when nothing changed after it was read.
DETAIL_KEYS = ("route_tables", "security_group_details", "listener_rules", "task_definitions", "alarms", "dashboards")


# The tiers whose modules change each key of a known stack (CHANGES_KNOWN, by the role that runs
# each module); ``<tier>.<part>`` for a part of a tier that site.yml builds on a host of its own
# (the data tier's cache and file system, its database being ``data``; the ECS tier's log groups and
# cluster, which the tier builds itself when the run does not build them beside the other tiers). In site.yml some tiers run on
# hosts of their own, side by side (playbooks/tiers.yml, __stack_tier_hosts of group_vars/all);
# ``merge_hosts`` takes each key from the hosts of the tiers that change it.
KEY_TIERS = {
    "vpc": ("network",), "subnets": ("network",), "internet_gateway": ("network",), "nat_gateways": ("network",),
    "route_tables": ("network",),
    # the data tier's file system part adds the NFS group to the VPC (roles/data/tasks/build.yml)
    "security_groups": ("network", "data.file_system"), "security_group_details": ("network", "data.file_system"),
    "repositories": ("registry",),
    "db_secret": ("data",), "db_instance": ("data",), "cache": ("data.cache",), "file_system": ("data.file_system",),
    "access_point": ("data.file_system",), "mount_targets": ("data.file_system",),
    "target_groups": ("alb",), "load_balancer": ("alb",), "listeners": ("alb",), "listener_rules": ("alb",),
    # the log groups and the cluster: built by the ECS tier, or by its part beside the other tiers
    "log_groups": ("ecs_services", "ecs_services.cluster"), "iam_roles": ("ecs_services",),
    "cluster": ("ecs_services", "ecs_services.cluster"), "services": ("ecs_services", "ecs_services.cluster"),
    "task_definitions": ("ecs_services",),
    "topic": ("monitoring",), "alarms": ("monitoring",), "dashboards": ("monitoring",),
}
# Parts merged key by key when two hosts hold some of them (by name, or by id for the details).
_MERGED_BY_KEY = BY_NAME + ("security_group_details",)


def merge_hosts(own: Optional[Dict[str, Any]], me: str, tier_hosts: Dict[str, str],
                knowns: Dict[str, Optional[Dict[str, Any]]]) -> Optional[Dict[str, Any]]:
    """The known stack of host ``me`` (``own``, its fact) with what the run's other hosts know.

    ``tier_hosts`` maps a tier to the host it runs on (a tier it does not name runs on ``me``);
    ``knowns`` holds the facts of the other hosts (None: no fact). A host counts only with a known
    stack of this run. Each key of ``KEY_TIERS`` is taken from the hosts of the tiers that change
    it, after any other host's copy; once such a host changed it in this run (``_stale``), only
    their copies count (none: the change dropped it), not what another host took from them
    earlier, which may be stale now. A report detail (``DETAIL_KEYS``) is dropped when a host of
    another tier changed anything, as one host drops its details on any change. ``me``'s own
    ``_stale`` is kept.
    """
    run = run_marker()
    own = dict(own) if own and own.get("_run") == run else {}
    others = {h: k for h, k in knowns.items() if h != me and isinstance(k, dict) and k.get("_run") == run}
    if not others:
        return own or None
    hosts = dict(others, **{me: own})
    out = dict(own, _run=run)
    for key, tiers in KEY_TIERS.items():
        owners = [h for h in sorted(set(tier_hosts.get(t, me) for t in tiers)) if h in hosts]
        stale = [set(hosts[h].get("_stale") or ()) for h in owners]
        anything = any("*" in (hosts[h].get("_stale") or ()) for h in hosts)  # a module that may change anything ran
        if anything or any(key in s for s in stale):
            copies = owners  # changed in this run: only what its own tiers' hosts hold now
        else:
            copies = [h for h in hosts if h not in owners] + owners  # unchanged: any copy, its tiers' last
        if key in DETAIL_KEYS and any(hosts[h].get("_stale") for h in hosts if h not in owners):
            copies = []  # a change elsewhere may have changed it (see DETAIL_KEYS)
        parts = [hosts[h][key] for h in copies if key in hosts[h]]
        out.pop(key, None)
        if key in _MERGED_BY_KEY and parts and all(isinstance(p, dict) for p in parts):
            out[key] = {n: v for p in parts for n, v in p.items()}
        elif parts:
            out[key] = parts[-1]
    for other in others.values():  # who the credentials are: the same on every host
        out.update((k, other[k]) for k in ("account_id", "partition", "caller_arn") if k in other and k not in out)
    return out


def _own_name(module: str) -> Optional[str]:
    """The short name of a module of this collection (its FQCN or short name), else None."""
    namespace, name = module.rpartition(".")[::2]
    return name if namespace in ("", "apranova.aws_stack") else None


def forget(known: Dict[str, Any], module: str) -> Dict[str, Any]:
    """``known`` without what ``module`` (its FQCN) may have changed, after it reported ``changed``.

    The modules' own names are in ``CHANGES_KNOWN``, the stock ones the collection re-exports in
    ``STOCK_CHANGES_KNOWN``; any other module (a playbook's own) may have changed anything, and only
    ``_ALWAYS_KNOWN`` is kept.
    Every change drops the report's details (``DETAIL_KEYS``).

    The keys dropped are added to ``_stale`` (``*`` for any other module): what this host changed in
    the run, so that ``merge_hosts`` does not take another host's copy of them.
    """
    stale = CHANGES_KNOWN.get(_own_name(module), STOCK_CHANGES_KNOWN.get(module))
    if stale is None:
        out = {k: v for k, v in known.items() if k in _ALWAYS_KNOWN}
        stale = ("*",)
    else:
        out = {k: v for k, v in known.items() if k not in stale and k not in DETAIL_KEYS}
    out["_stale"] = sorted(set(known.get("_stale") or ()) | set(stale) | set(DETAIL_KEYS))
    return out


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def policy_statements(document: Any) -> List[dict]:
    """A policy document (dict, JSON or URL-encoded JSON) -> [{sid, effect, actions, resources, principals, condition}]."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            document = json.loads(unquote(document))
    out = []
    for st in _as_list((document or {}).get("Statement")):
        out.append({
            "sid": st.get("Sid"), "effect": st.get("Effect"),
            "actions": sorted(_as_list(st.get("Action"))),
            "resources": sorted(_as_list(st.get("Resource"))),
            "principals": st.get("Principal"),
            "condition": st.get("Condition"),
        })
    return out


def iam_role(name: str, arn: Optional[str], description: Optional[str], trust: Any,
             inline: Dict[str, Any], managed: List[Tuple[str, str]]) -> dict:
    """A role as the report shows it: ``inline`` maps policy names to documents, ``managed`` is (name, arn) pairs."""
    statements = policy_statements(trust)
    return {
        "name": name, "arn": arn, "description": description,
        "trusted_services": sorted(set(s for st in statements for s in _as_list((st.get("principals") or {}).get("Service")))),
        "inline_policies": sorted(({"name": k, "statements": policy_statements(v)} for k, v in inline.items()), key=lambda p: p["name"]),
        "managed_policies": sorted(({"name": n, "arn": a} for n, a in managed), key=lambda p: p["name"]),
    }


# What a module's result tells of the stack, in the shape the lookups and the report read: a module
# that has just read (or made) these resources publishes them into the run's known stack, and what
# reads the stack later in the run takes them from there. Each takes the module's result, its
# arguments and the known stack so far (which file system the mount targets and the access point
# belong to) and returns keys of ``stack``; only resources that exist (an ARN or id) are published.

def _account(arns: List[Optional[str]]) -> Dict[str, Any]:
    """The account and partition of the credentials, from the ARN of a resource they just read or made.

    A resource a module finds or makes without naming another account is the caller's own: its ARN's
    fifth field is the caller's account id (ARN format, AWS General Reference), which the ECS tier
    and the report would otherwise ask STS GetCallerIdentity for.
    """
    for arn in arns:
        parsed = parse_aws_arn(arn or "") or {}
        if parsed.get("account_id", "").isdigit():
            return {"account_id": parsed["account_id"], "partition": parsed["partition"]}
    return {}


def _published_roles(result: Dict[str, Any], _args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    roles = {}
    for name, role in (result.get("roles") or {}).items():
        if role.get("arn"):
            # a managed policy's name is the last part of its ARN (IAM policy names hold no "/")
            managed = [(arn.rsplit("/", 1)[-1], arn) for arn in role.get("managed_policies") or []]
            roles[name] = iam_role(name, role["arn"], role.get("description"), role.get("assume_role_policy_document"),
                                   role.get("inline_policies") or {}, managed)
    return {"iam_roles": roles} if roles else {}


def _published_repositories(result: Dict[str, Any], _args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    repos = {r["name"]: {"arn": r["arn"], "uri": r.get("uri"), "scan_on_push": r.get("scan_on_push"),
                         "image_tag_mutability": r.get("image_tag_mutability"),
                         "encryption_type": (r.get("encryption_configuration") or {}).get("encryption_type")}
             for r in result.get("repositories") or [] if r.get("arn")}
    return dict(_account([r["arn"] for r in repos.values()]), repositories=repos) if repos else {}


def _published_topic(result: Dict[str, Any], _args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    topics = [t for t in result.get("topics") or [] if t.get("arn")]
    # the known stack holds one topic (the alarms'); a module call managing several publishes none
    return {"topic": {"arn": topics[0]["arn"], "name": topics[0]["name"]}} if len(topics) == 1 else {}


def _published_secret(result: Dict[str, Any], _args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    secret = result.get("secret") or {}
    if not secret.get("arn"):
        return {}
    return {"db_secret": {"arn": secret["arn"], "name": secret["name"], "scheduled_for_deletion": bool(secret.get("deleted_date"))}}


def _published_db_instance(result: Dict[str, Any], args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    # an instance being deleted is none, as a lookup reads it. One still creating is published: a
    # lookup reads it again until it is available.
    db = result.get("db_instance") or {}
    if args.get("state") == "absent" or not db.get("db_instance_arn") or db.get("db_instance_status") == "deleting":
        return {}
    return {"db_instance": db_instance_found(db)}


def _published_cache(result: Dict[str, Any], args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    # a group being deleted is none, as a lookup reads it
    g = result.get("replication_group") or {}
    if args.get("state") == "absent" or not g.get("arn") or g.get("status") == "deleting":
        return {}
    return {"cache": cache_found(g)}


def _published_cluster(result: Dict[str, Any], args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    # a lookup finds only an ACTIVE cluster (an INACTIVE one is deleted, a PROVISIONING one not ready)
    cluster = result.get("cluster") or {}
    if args.get("state") == "absent" or not cluster.get("cluster_arn") or cluster.get("status") != "ACTIVE":
        return {}
    return {"cluster": {"name": cluster["cluster_name"], "arn": cluster["cluster_arn"]}}


def _published_target_groups(result: Dict[str, Any], _args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    groups = {}
    for tg in result.get("target_groups") or []:
        if tg.get("target_group_arn"):
            groups[tg["target_group_name"]] = {"arn": tg["target_group_arn"], "port": tg.get("port"), "protocol": tg.get("protocol"),
                                               "target_type": tg.get("target_type"),
                                               "health_check_path": (tg.get("health_check") or {}).get("path")}
    return dict(_account([g["arn"] for g in groups.values()]), target_groups=groups) if groups else {}


def _published_load_balancer(result: Dict[str, Any], _args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    lb = result.get("load_balancer") or {}
    if not lb.get("load_balancer_arn"):
        return {}
    listeners = [{"arn": lis["listener_arn"], "port": lis["port"], "protocol": lis["protocol"], "ssl_policy": lis.get("ssl_policy"),
                  # DescribeListeners answers only a listener's default certificate (ELBv2 API doc: Listener.Certificates)
                  "certificate_arns": [lis["certificate_arn"]] if lis.get("certificate_arn") else []}
                 for lis in lb.get("listeners") or []]
    return {"load_balancer": {"deletion_protection": bool((lb.get("attributes") or {}).get("deletion_protection")),
                              "arn": lb["load_balancer_arn"], "name": lb["load_balancer_name"], "dns_name": lb.get("dns_name"),
                              "scheme": lb.get("scheme"), "security_group_ids": sorted(lb.get("security_groups") or []),
                              "state": lb.get("state"), "subnet_ids": sorted(lb.get("subnets") or [])},
            "listeners": sorted(listeners, key=lambda x: x["port"])}


def _published_file_system(result: Dict[str, Any], _args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    fs = result.get("file_system") or {}
    if not fs.get("file_system_id"):
        return {}
    return {"file_system": {"id": fs["file_system_id"], "arn": fs.get("arn"), "name": fs.get("name"), "encrypted": fs.get("encrypted"),
                            "state": fs.get("life_cycle_state"), "performance_mode": fs.get("performance_mode"),
                            "throughput_mode": fs.get("throughput_mode"), "size_in_bytes": fs.get("size_in_bytes")}}


def _published_mount_targets(result: Dict[str, Any], args: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, Any]:
    # the module answers every mount target of O(file_system_id): the known file system's, or none of its
    if "mount_targets" not in result or args.get("file_system_id") != (known.get("file_system") or {}).get("id"):
        return {}
    return {"mount_targets": [{"id": m["mount_target_id"], "subnet_id": m["subnet_id"], "ip_address": m.get("ip_address"),
                               "availability_zone": m.get("availability_zone_name")}
                              for m in result["mount_targets"] if m.get("mount_target_id")]}


def _published_access_point(result: Dict[str, Any], _args: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, Any]:
    ap = result.get("access_point") or {}
    if not ap.get("access_point_id") or ap.get("file_system_id") != (known.get("file_system") or {}).get("id"):
        return {}
    user = ap.get("posix_user")
    posix = None
    if user:  # the API's shape, as DescribeAccessPoints answers it
        posix = {"Uid": user["uid"], "Gid": user["gid"]}
        if user.get("secondary_gids"):
            posix["SecondaryGids"] = list(user["secondary_gids"])
    return {"access_point": {"id": ap["access_point_id"], "arn": ap.get("access_point_arn"), "name": ap.get("name"),
                             "posix_user": posix, "root_directory": (ap.get("root_directory") or {}).get("path")}}


def _published_log_groups(result: Dict[str, Any], _args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    # the module answers the ARN without the trailing ":*" that DescribeLogGroups' ``arn`` has (docs/aws-behaviour.md)
    groups = {g["name"]: {"arn": g["arn"] + ":*", "retention_in_days": g.get("retention_in_days"), "stored_bytes": g.get("stored_bytes")}
              for g in result.get("log_groups") or [] if g.get("arn")}
    return {"log_groups": groups} if groups else {}


def _published_task_definition(result: Dict[str, Any], _args: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, Any]:
    # report imports this module: its normaliser is imported when a module's result is published
    from ansible_collections.apranova.aws_stack.plugins.module_utils.report import normalise_task_definition

    # one family (O(family)), or one per element of O(task_definitions)
    answers = result["task_definitions"] if "task_definitions" in result else [result]
    published = {}
    for answer in answers:
        td = (answer or {}).get("task_definition") or {}
        if not td.get("task_definition_arn"):
            continue
        described = {"taskDefinitionArn": td["task_definition_arn"], "family": td.get("family"), "revision": td.get("revision"),
                     "cpu": td.get("cpu"), "memory": td.get("memory"), "runtimePlatform": td.get("runtime_platform"),
                     "executionRoleArn": td.get("execution_role_arn"), "taskRoleArn": td.get("task_role_arn"),
                     "containerDefinitions": td.get("container_definitions"), "volumes": td.get("volumes")}
        published[td["task_definition_arn"]] = normalise_task_definition(described)
    if not published:
        return {}
    # by ARN, merged with the revisions published before (by another task of the run)
    return {"task_definitions": dict(known.get("task_definitions") or {}, **published)}


def _published_alarms(result: Dict[str, Any], args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    # The module reads every metric alarm under O(name_prefix) but answers only the listed ones. With
    # purge_alarms and no change, every alarm under the prefix is listed (an unlisted one would have
    # been deleted, a missing one put): the answer is every metric alarm under the prefix.
    prefix = args.get("name_prefix")
    if not prefix or not boolean(args.get("purge_alarms", False), strict=False) or "alarms" not in result:
        return {}
    alarms = [{"name": a["name"], "namespace": a.get("namespace"), "metric": a.get("metric_name"),
               "threshold": a.get("threshold"), "comparison": a.get("comparison_operator")}
              for a in result["alarms"] if a.get("arn") and a["name"].startswith(prefix)]
    return {"alarms": {"name_prefix": prefix, "alarms": sorted(alarms, key=lambda a: a["name"])}}


def _published_dashboard(result: Dict[str, Any], _args: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, Any]:
    dashboard = result.get("dashboard") or {}
    if not dashboard.get("arn"):
        return {}
    # GetDashboard's DashboardArn is the one ListDashboards answers; by name, merged with those published before
    return {"dashboards": dict(known.get("dashboards") or {}, **{dashboard["name"]: {"name": dashboard["name"], "arn": dashboard["arn"]}})}


def _api_shape(items: List[dict]) -> List[dict]:
    """What a module returns snake_cased (``camel_dict_to_snake_dict``) back in the API's shape, for report's normalisers."""
    return [snake_dict_to_camel_dict(item, capitalize_first=True) for item in items]


def _published_route_tables(result: Dict[str, Any], args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    # the module answers every route table of O(vpc_id) (DescribeRouteTables filtered by vpc-id), as the report reads them
    if "vpc_route_tables" not in result or not args.get("vpc_id"):
        return {}
    return {"route_tables": {"vpc_id": args["vpc_id"], "tables": _api_shape(result["vpc_route_tables"])}}


def _published_security_groups(result: Dict[str, Any], args: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, Any]:
    groups = [g for g in result.get("security_groups") or [] if g.get("group_id")]
    if not groups:
        return {}
    # by id, merged with what the run's other calls of the module published (each manages a subset)
    details = dict(known.get("security_group_details") or {})
    details.update((g["group_id"], {k: g.get(k) for k in ("group_id", "group_name", "description", "ingress", "egress")})
                   for g in groups)
    out = {"security_group_details": details}
    # ids by name, as a lookup finds them in the known VPC: only for the groups of that VPC
    if args.get("vpc_id") and args["vpc_id"] == (known.get("vpc") or {}).get("id"):
        out["security_groups"] = {g["group_name"]: g["group_id"] for g in groups}
    return out


def _published_vpc(result: Dict[str, Any], _args: Dict[str, Any], _known: Dict[str, Any]) -> Dict[str, Any]:
    # The VPC the network tier manages (its Name tag and CIDR block). A lookup by name alone takes the
    # first VPC of that name; in a run that built the network, the tiers after it use the one it built.
    vpc = result.get("vpc") or {}
    if not vpc.get("id") or not vpc.get("name"):
        return {}
    return {"vpc": {"id": vpc["id"], "cidr_block": vpc.get("cidr_block"), "name": vpc["name"], "tags": dict(vpc.get("tags") or {})}}


def _in_known_vpc(args: Dict[str, Any], known: Dict[str, Any]) -> bool:
    """Whether the module's O(vpc_id) is the known stack's VPC: what it tells of that VPC is published, of another not."""
    return bool(args.get("vpc_id")) and args["vpc_id"] == (known.get("vpc") or {}).get("id")


def _published_subnets(result: Dict[str, Any], args: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, Any]:
    # the module answers every subnet of O(vpc_id) (vpc_subnets), as a lookup reads them
    if "vpc_subnets" not in result or not _in_known_vpc(args, known):
        return {}
    return {"subnets": subnets_by_tier((s["id"], s["cidr_block"], s["availability_zone"], s.get("tags") or {})
                                       for s in result["vpc_subnets"] if s.get("id"))}


def _published_internet_gateway(result: Dict[str, Any], args: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, Any]:
    # the gateway attached to O(vpc_id): AWS attaches one per VPC, the one a lookup finds by its attachment
    igw = result.get("gateway") or {}
    if not igw.get("gateway_id") or igw.get("vpc_id") != args.get("vpc_id") or not _in_known_vpc(args, known):
        return {}
    return {"internet_gateway": {"id": igw["gateway_id"], "name": (igw.get("tags") or {}).get("Name")}}


def _published_nat_gateways(result: Dict[str, Any], args: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, Any]:
    # the module answers every live gateway of O(vpc_id) (vpc_nat_gateways), as a lookup reads them
    if "vpc_nat_gateways" not in result or not _in_known_vpc(args, known):
        return {}
    return {"nat_gateways": nat_gateways((g["id"], g["subnet_id"], g["state"], g.get("tags") or {},
                                          {"PublicIp": g.get("public_ip"), "AllocationId": g.get("allocation_id")})
                                         for g in result["vpc_nat_gateways"] if g.get("id"))}


def _published_listener_rules(result: Dict[str, Any], _args: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, Any]:
    # every rule of the listener, the default one included (DescribeRules), by listener ARN
    if "all_rules" not in result or not result.get("listener_arn"):
        return {}
    return {"listener_rules": dict(known.get("listener_rules") or {}, **{result["listener_arn"]: _api_shape(result["all_rules"])})}


PUBLISHES = {"iam_roles": _published_roles, "ecr_repositories": _published_repositories, "sns_topics": _published_topic,
             "secretsmanager_password": _published_secret, "elb_target_groups": _published_target_groups,
             "elb_load_balancer": _published_load_balancer, "efs_file_system": _published_file_system,
             "efs_mount_target": _published_mount_targets, "efs_access_point": _published_access_point,
             "cloudwatchlogs_log_groups": _published_log_groups, "ecs_task_definition": _published_task_definition,
             "cloudwatch_metric_alarms": _published_alarms, "cloudwatch_dashboard": _published_dashboard,
             "ec2_route_tables": _published_route_tables, "ec2_security_groups": _published_security_groups,
             "elb_listener_rules": _published_listener_rules, "ec2_vpc": _published_vpc, "ec2_subnets": _published_subnets,
             "ec2_internet_gateway": _published_internet_gateway, "ec2_nat_gateway": _published_nat_gateways,
             "rds_db_instance": _published_db_instance, "elasticache_replication_group": _published_cache,
             "ecs_cluster": _published_cluster}


def after_module(known: Dict[str, Any], module: str, result: Dict[str, Any], args: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The run's known stack after ``module`` (its FQCN) returned ``result`` for ``args`` (not in check mode).

    What a change may have made stale is dropped (``forget``), then what the module's result tells
    (``PUBLISHES``) is merged in, by name for the by-name parts. A known stack of another run is
    returned as it is: the lookups ignore it. Without a known stack (no lookup has run yet), what the
    module publishes starts one.
    """
    if known and known.get("_run") != run_marker():
        return known
    changed = bool(result.get("changed"))
    out = forget(dict(known or {}, _run=run_marker()), module) if changed else dict(known or {}, _run=run_marker())
    publisher = PUBLISHES.get(_own_name(module))
    published = publisher(result, args or {}, out) if publisher else {}
    if changed:  # what a change answers may be what was asked, not yet what AWS holds
        published = {k: v for k, v in published.items() if k not in DETAIL_KEYS}
    if not known and not published and not changed:
        return known
    for key, value in published.items():
        out[key] = dict(out[key], **value) if key in BY_NAME and isinstance(out.get(key), dict) else value
    return out


def not_emulated(error: BaseException) -> bool:
    """True for the 501 an emulator answers for a service it does not emulate (LocalStack's free build)."""
    response = getattr(error, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 501


def find_stack(client: Clients, params: Dict[str, Any]) -> Tuple[dict, List[str], List[str]]:
    """Look up what ``params`` names. ``client(service)`` returns a retrying boto3 client.

    Returns ``(stack, missing, unavailable)``. ``unavailable`` lists the services the endpoint
    does not serve (HTTP 501, e.g. LocalStack's free build); what was asked of them is missing.
    The services are read side by side (``base.concurrently``), each service's lookups in their
    order on its own client; ``missing`` comes out in the order of the lookups below whatever the
    order the answers came in.
    """
    stack: Dict[str, Any] = {}
    p = params
    known = p.get("known") or {}
    if known.get("_run") != run_marker():  # another run's (a fact cache), or not made in this run's workers
        known = {}

    def into(key: str, find: Callable[[Any, Any], Any]) -> Callable[[Any, Any, List[str]], Any]:
        """A lookup that keeps what ``find`` returns as ``stack[key]``."""
        def lookup(service_client: Any, value: Any, _missing: List[str]) -> Any:
            stack[key] = find(service_client, value)
            return stack[key]
        return lookup

    def vpc(ec2: Any, name: str, missing: List[str]) -> Optional[dict]:
        network = from_known(known, "vpc_name", p)
        if network is not None:  # the VPC and its subnets and gateways are known: only groups not known yet are read
            stack.update(network)
        else:
            stack["vpc"] = _vpc(ec2, name)
        if stack["vpc"] is not None:
            # what is read by the VPC's id, side by side: its subnets and gateways, and its groups
            vpc_id, names = stack["vpc"]["id"], p.get("security_group_names")
            found, groups = concurrently([lambda: _network(ec2, vpc_id) if network is None else None,
                                          lambda: _security_groups(ec2, vpc_id, names) if names else None])
            stack.update(found or {})
            if names:
                stack["security_groups"] = groups
                missing.extend("security group %s" % n for n in names if n not in groups)
        return stack["vpc"]

    def efs(efs_client: Any, name: str, missing: List[str]) -> Optional[dict]:
        fs, ap, mts = _efs(efs_client, name, p.get("efs_access_point_name"))
        stack.update(file_system=fs, access_point=ap, mount_targets=mts)
        if fs is not None and p.get("efs_access_point_name") and ap is None:
            missing.append("access point %s" % p["efs_access_point_name"])
        return fs

    def lb(elb: Any, name: str, _missing: List[str]) -> Optional[dict]:
        found, listeners = _load_balancer(elb, name)
        stack.update(load_balancer=found, listeners=listeners)
        return found

    def cluster(ecs: Any, name: str, missing: List[str]) -> Optional[dict]:
        # the services side by side with their cluster (by its name); kept only when the cluster is
        # found. A cluster the run knows (services it does not know yet brought the lookup here) is not read again.
        known_cluster = known.get("cluster") if (known.get("cluster") or {}).get("name") == name else None
        found, services = concurrently([lambda: known_cluster or _cluster(ecs, name),
                                        lambda: _services(ecs, name, p["service_names"]) if p.get("service_names") else None])
        stack["cluster"] = found
        if found is not None and services is not None:
            stack["services"] = services
            missing.extend("service %s" % n for n in p["service_names"] if n not in services)
        return found

    # (service, option, what a missing name is, lookup(client, value, missing)); each writes its own keys of ``stack``
    lookups = [
        ("ec2", "vpc_name", "vpc", vpc),
        ("rds", "db_instance_identifier", "db instance", into("db_instance", _db_instance)),
        ("secretsmanager", "db_secret_name", "secret", into("db_secret", _secret)),
        ("elasticache", "cache_id", "replication group", into("cache", _cache)),
        ("efs", "efs_name", "file system", efs),
        ("elbv2", "load_balancer_name", "load balancer", lb),
        ("elbv2", "target_group_names", "target group", into("target_groups", _target_groups)),
        ("ecs", "cluster_name", "cluster", cluster),
        ("ecr", "repository_names", "repository", into("repositories", _repositories)),
        ("logs", "log_group_names", "log group", into("log_groups", _log_groups)),
        ("sns", "topic_name", "topic", into("topic", _topic)),
    ]
    wanted = [entry for entry in lookups if p.get(entry[1])]
    # what ``known`` answers costs no call (the VPC only when its groups are known too)
    answered = [entry for entry in wanted if entry[1] != "vpc_name" and from_known(known, entry[1], p) is not None]
    if p.get("vpc_name") and from_known(known, "vpc_name", p) is not None and known_groups(known, p) is not None:
        answered.append(lookups[0])
    for entry in answered:
        stack.update(from_known(known, entry[1], p))
        if entry[1] == "vpc_name" and p.get("security_group_names"):
            stack["security_groups"] = known_groups(known, p)
    wanted = [entry for entry in wanted if entry not in answered]

    def section(service_client: Any, service: str, option: str, what: str,
                lookup: Callable[[Any, Any, List[str]], Any]) -> Tuple[List[str], bool]:
        """``lookup(client, params[option], missing)``: (the lines of what it did not find, whether the
        endpoint serves ``service``). ``lookup`` returns what it found: the resource or ``None``, or for a
        list of names a dict by name. A service the endpoint does not serve makes every name missing."""
        value, missing = p[option], []
        names = list(value) if isinstance(value, (list, tuple)) else [value]
        try:
            found = lookup(service_client, value, missing)
        except ClientErrors as e:
            if not not_emulated(e):
                raise
            return ["%s %s (%s is not served by this endpoint)" % (what, n, service) for n in names], False
        if isinstance(value, (list, tuple)):
            missing.extend("%s %s" % (what, n) for n in names if n not in found)
        elif found is None:
            missing.append("%s %s" % (what, value))
        return missing, True

    def identity(sts: Any) -> None:
        caller = sts.get_caller_identity(aws_retry=True)
        stack.update(account_id=caller["Account"], partition=caller["Arn"].split(":")[1], caller_arn=caller["Arn"])

    def of_service(service_client: Any, service: str) -> Callable[[], List[Tuple[int, Tuple[List[str], bool]]]]:
        """The lookups of one service, in their order on its client: (index in ``wanted``, result)."""
        return lambda: [(i, section(service_client, *entry)) for i, entry in enumerate(wanted) if entry[0] == service]

    # the clients are made here, in this thread, before the reads run side by side
    reads = [of_service(client(service), service) for service in dict.fromkeys(entry[0] for entry in wanted)]
    if (p.get("caller") or p.get("account_id")) and known.get("account_id"):
        stack.update({k: known.get(k) for k in ("account_id", "partition", "caller_arn")})
    elif p.get("caller") or p.get("account_id"):
        sts = client("sts")
        reads.append(lambda: identity(sts) or [])
    results = dict(pair for answer in concurrently(reads) for pair in answer)
    missing: List[str] = []
    unavailable: List[str] = []
    for i, entry in enumerate(wanted):
        lines, served = results[i]
        missing.extend(lines)
        if not served:
            unavailable.append(entry[0])
    return stack, missing, sorted(set(unavailable))
