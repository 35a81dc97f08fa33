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

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

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


def _vpc(ec2, name):
    vpcs = paginate(ec2, "describe_vpcs", Filters=[{"Name": "tag:Name", "Values": [name]}]).get("Vpcs") or []
    vpcs = [v for v in vpcs if tags_to_dict(v.get("Tags")).get("Name") == name]
    if not vpcs:
        return None
    v = sorted(vpcs, key=lambda x: x["VpcId"])[0]
    return {"id": v["VpcId"], "cidr_block": v["CidrBlock"], "name": name, "tags": tags_to_dict(v.get("Tags"))}


def _network(ec2, vpc_id):
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    subnets = {"public": [], "private": []}
    for s in paginate(ec2, "describe_subnets", Filters=filters).get("Subnets") or []:
        tags = tags_to_dict(s.get("Tags"))
        tier = tags.get("Tier")
        if tier in subnets:
            subnets[tier].append({"id": s["SubnetId"], "cidr_block": s["CidrBlock"],
                                  "availability_zone": s["AvailabilityZone"], "name": tags.get("Name")})
    for tier in subnets:
        subnets[tier].sort(key=lambda x: (x["availability_zone"], x["cidr_block"]))
    igws = paginate(ec2, "describe_internet_gateways",
                    Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]).get("InternetGateways") or []
    igw = igws[0] if igws else None
    nats = [n for n in paginate(ec2, "describe_nat_gateways", Filter=filters).get("NatGateways") or []
            if n.get("VpcId") == vpc_id and n.get("State") in _LIVE_NAT_STATES]
    return {
        "subnets": subnets,
        "internet_gateway": {"id": igw["InternetGatewayId"], "name": tags_to_dict(igw.get("Tags")).get("Name")} if igw else None,
        "nat_gateways": [
            {"id": n["NatGatewayId"], "subnet_id": n["SubnetId"], "state": n["State"],
             "name": tags_to_dict(n.get("Tags")).get("Name"),
             "public_ip": (n.get("NatGatewayAddresses") or [{}])[0].get("PublicIp"),
             "allocation_id": (n.get("NatGatewayAddresses") or [{}])[0].get("AllocationId")}
            for n in sorted(nats, key=lambda x: x["NatGatewayId"])
        ],
    }


def _security_groups(ec2, vpc_id, names):
    found = paginate(
        ec2, "describe_security_groups",
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": list(names)}],
    ).get("SecurityGroups") or []
    return {g["GroupName"]: g["GroupId"] for g in found if g["GroupName"] in names}


def _db_instance(rds, identifier):
    try:
        db = rds.describe_db_instances(aws_retry=True, DBInstanceIdentifier=identifier)["DBInstances"][0]
    except is_boto3_error_code("DBInstanceNotFound"):
        return None
    if db.get("DBInstanceStatus") == "deleting":
        return None
    endpoint = db.get("Endpoint") or {}
    return {
        "identifier": db["DBInstanceIdentifier"], "arn": db.get("DBInstanceArn"),
        "status": db.get("DBInstanceStatus"), "address": endpoint.get("Address"),
        "port": endpoint.get("Port") or db.get("DbInstancePort"), "db_name": db.get("DBName"),
        "engine": db.get("Engine"), "engine_version": db.get("EngineVersion"),
        "instance_class": db.get("DBInstanceClass"), "allocated_storage": db.get("AllocatedStorage"),
        "storage_encrypted": db.get("StorageEncrypted"), "multi_az": db.get("MultiAZ"),
        "publicly_accessible": db.get("PubliclyAccessible"),
        # read by playbooks/teardown.yml to refuse before deleting anything
        "deletion_protection": bool(db.get("DeletionProtection")),
        "security_group_ids": [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])],
        "subnet_group": (db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
        # used by the architecture report (stack_report)
        "storage_type": db.get("StorageType"), "availability_zone": db.get("AvailabilityZone"),
        "secondary_availability_zone": db.get("SecondaryAvailabilityZone"),
    }


def _secret(sm, name):
    try:
        s = sm.describe_secret(aws_retry=True, SecretId=name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    return {"arn": s["ARN"], "name": s["Name"], "scheduled_for_deletion": bool(s.get("DeletedDate"))}


def _cache(ec, group_id):
    try:
        g = ec.describe_replication_groups(aws_retry=True, ReplicationGroupId=group_id)["ReplicationGroups"][0]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    if g.get("Status") == "deleting":
        return None
    primary = {}
    for ng in g.get("NodeGroups") or []:
        primary = ng.get("PrimaryEndpoint") or primary
    endpoint = g.get("ConfigurationEndpoint") or primary
    return {
        "id": g["ReplicationGroupId"], "arn": g.get("ARN"), "status": g.get("Status"),
        "address": endpoint.get("Address"), "port": endpoint.get("Port"),
        "node_type": g.get("CacheNodeType"), "at_rest_encryption": g.get("AtRestEncryptionEnabled"),
        "transit_encryption": g.get("TransitEncryptionEnabled"),
        # used by the architecture report (stack_report)
        "engine": g.get("Engine"), "member_clusters": list(g.get("MemberClusters") or []),
        "automatic_failover": g.get("AutomaticFailover"), "multi_az": g.get("MultiAZ"),
        "auth_token_enabled": g.get("AuthTokenEnabled"),
        "nodes": [{"cluster_id": m.get("CacheClusterId"), "availability_zone": m.get("PreferredAvailabilityZone"),
                   "role": m.get("CurrentRole")}
                  for ng in g.get("NodeGroups") or [] for m in ng.get("NodeGroupMembers") or []],
    }


def _efs(efs, name, access_point_name):
    fs = None
    for f in paginate(efs, "describe_file_systems").get("FileSystems") or []:
        if tags_to_dict(f.get("Tags")).get("Name") == name and f.get("LifeCycleState") not in ("deleting", "deleted"):
            fs = f
    if fs is None:
        return None, None, []
    fs_id = fs["FileSystemId"]
    mts = paginate(efs, "describe_mount_targets", FileSystemId=fs_id).get("MountTargets") or []
    mount_targets = [{"id": m["MountTargetId"], "subnet_id": m["SubnetId"], "ip_address": m.get("IpAddress"),
                      "availability_zone": m.get("AvailabilityZoneName")} for m in mts]
    ap = None
    if access_point_name:
        for a in paginate(efs, "describe_access_points", FileSystemId=fs_id).get("AccessPoints") or []:
            if tags_to_dict(a.get("Tags")).get("Name") == access_point_name or a.get("Name") == access_point_name:
                ap = {"id": a["AccessPointId"], "arn": a["AccessPointArn"], "name": access_point_name,
                      "posix_user": a.get("PosixUser"), "root_directory": (a.get("RootDirectory") or {}).get("Path")}
    return ({"id": fs_id, "arn": fs.get("FileSystemArn"), "name": name, "encrypted": fs.get("Encrypted"),
             "state": fs.get("LifeCycleState"),
             # used by the architecture report (stack_report)
             "performance_mode": fs.get("PerformanceMode"), "throughput_mode": fs.get("ThroughputMode"),
             "size_in_bytes": (fs.get("SizeInBytes") or {}).get("Value")}, ap, mount_targets)


def _load_balancer(elb, name):
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
             "security_group_ids": lb.get("SecurityGroups", []), "state": (lb.get("State") or {}).get("Code"),
             "subnet_ids": sorted(az["SubnetId"] for az in lb.get("AvailabilityZones", []))}, listeners)


def _target_groups(elb, names):
    out = {}
    for name in names:
        try:
            tg = elb.describe_target_groups(aws_retry=True, Names=[name])["TargetGroups"][0]
        except is_boto3_error_code("TargetGroupNotFound"):
            continue
        out[name] = {"arn": tg["TargetGroupArn"], "port": tg.get("Port"), "protocol": tg.get("Protocol"),
                     "target_type": tg.get("TargetType"), "health_check_path": tg.get("HealthCheckPath")}
    return out


def _cluster(ecs, name):
    found = ecs.describe_clusters(aws_retry=True, clusters=[name])["clusters"]
    found = [c for c in found if c.get("status") == "ACTIVE"]
    if not found:
        return None
    return {"name": name, "arn": found[0]["clusterArn"]}


def _services(ecs, cluster, names):
    out = {}
    for i in range(0, len(names), 10):
        for s in ecs.describe_services(aws_retry=True, cluster=cluster, services=names[i:i + 10])["services"]:
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


def _repositories(ecr, names):
    out = {}
    for name in names:
        try:
            r = ecr.describe_repositories(aws_retry=True, repositoryNames=[name])["repositories"][0]
        except is_boto3_error_code("RepositoryNotFoundException"):
            continue
        out[name] = {"arn": r["repositoryArn"], "uri": r["repositoryUri"],
                     # used by the architecture report (stack_report)
                     "scan_on_push": (r.get("imageScanningConfiguration") or {}).get("scanOnPush"),
                     "image_tag_mutability": r.get("imageTagMutability"),
                     "encryption_type": (r.get("encryptionConfiguration") or {}).get("encryptionType")}
    return out


def _log_groups(logs, names):
    out = {}
    for name in names:
        for g in paginate(logs, "describe_log_groups", logGroupNamePrefix=name).get("logGroups") or []:
            if g["logGroupName"] == name:
                out[name] = {"arn": g.get("arn"), "retention_in_days": g.get("retentionInDays"),
                             "stored_bytes": g.get("storedBytes")}  # stored_bytes: for stack_report
    return out


def _topic(sns, name):
    for t in paginate(sns, "list_topics").get("Topics") or []:
        if t["TopicArn"].split(":")[-1] == name:
            return {"arn": t["TopicArn"], "name": name}
    return None


def not_emulated(error):
    """True for the 501 an emulator answers for a service it does not emulate (LocalStack's free build)."""
    response = getattr(error, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 501


def find_stack(client, params):
    """Look up what ``params`` names. ``client(service)`` returns a retrying boto3 client.

    Returns ``(stack, missing, unavailable)``. ``unavailable`` lists the services the endpoint
    does not serve (HTTP 501, e.g. LocalStack's free build); what was asked of them is missing.
    """
    stack, missing, unavailable = {}, [], []
    p = params

    def section(service, wanted, lookup):
        """Run one lookup; a service the endpoint does not serve makes its resources missing."""
        if not wanted:
            return
        try:
            lookup(client(service))
        except ClientErrors as e:
            if not not_emulated(e):
                raise
            unavailable.append(service)
            missing.extend("%s (%s is not served by this endpoint)" % (w, service) for w in wanted)

    def vpc(ec2):
        stack["vpc"] = _vpc(ec2, p["vpc_name"])
        if stack["vpc"] is None:
            missing.append("vpc %s" % p["vpc_name"])
            return
        stack.update(_network(ec2, stack["vpc"]["id"]))
        if p.get("security_group_names"):
            stack["security_groups"] = _security_groups(ec2, stack["vpc"]["id"], p["security_group_names"])
            missing.extend("security group %s" % n for n in p["security_group_names"] if n not in stack["security_groups"])

    def db(rds):
        stack["db_instance"] = _db_instance(rds, p["db_instance_identifier"])
        if stack["db_instance"] is None:
            missing.append("db instance %s" % p["db_instance_identifier"])

    def secret(sm):
        stack["db_secret"] = _secret(sm, p["db_secret_name"])
        if stack["db_secret"] is None:
            missing.append("secret %s" % p["db_secret_name"])

    def cache(ec):
        stack["cache"] = _cache(ec, p["cache_id"])
        if stack["cache"] is None:
            missing.append("replication group %s" % p["cache_id"])

    def efs(efs_client):
        fs, ap, mts = _efs(efs_client, p["efs_name"], p.get("efs_access_point_name"))
        stack.update(file_system=fs, access_point=ap, mount_targets=mts)
        if fs is None:
            missing.append("file system %s" % p["efs_name"])
        elif p.get("efs_access_point_name") and ap is None:
            missing.append("access point %s" % p["efs_access_point_name"])

    def lb(elb):
        found, listeners = _load_balancer(elb, p["load_balancer_name"])
        stack.update(load_balancer=found, listeners=listeners)
        if found is None:
            missing.append("load balancer %s" % p["load_balancer_name"])

    def tgs(elb):
        stack["target_groups"] = _target_groups(elb, p["target_group_names"])
        missing.extend("target group %s" % n for n in p["target_group_names"] if n not in stack["target_groups"])

    def cluster(ecs):
        stack["cluster"] = _cluster(ecs, p["cluster_name"])
        if stack["cluster"] is None:
            missing.append("cluster %s" % p["cluster_name"])
        elif p.get("service_names"):
            stack["services"] = _services(ecs, p["cluster_name"], p["service_names"])
            missing.extend("service %s" % n for n in p["service_names"] if n not in stack["services"])

    def repos(ecr):
        stack["repositories"] = _repositories(ecr, p["repository_names"])
        missing.extend("repository %s" % n for n in p["repository_names"] if n not in stack["repositories"])

    def logs(logs_client):
        stack["log_groups"] = _log_groups(logs_client, p["log_group_names"])
        missing.extend("log group %s" % n for n in p["log_group_names"] if n not in stack["log_groups"])

    def topic(sns):
        stack["topic"] = _topic(sns, p["topic_name"])
        if stack["topic"] is None:
            missing.append("topic %s" % p["topic_name"])

    if p.get("caller"):
        identity = client("sts").get_caller_identity(aws_retry=True)
        stack["account_id"] = identity["Account"]
        stack["partition"] = identity["Arn"].split(":")[1]
    section("ec2", p.get("vpc_name") and ["vpc %s" % p["vpc_name"]], vpc)
    section("rds", p.get("db_instance_identifier") and ["db instance %s" % p["db_instance_identifier"]], db)
    section("secretsmanager", p.get("db_secret_name") and ["secret %s" % p["db_secret_name"]], secret)
    section("elasticache", p.get("cache_id") and ["replication group %s" % p["cache_id"]], cache)
    section("efs", p.get("efs_name") and ["file system %s" % p["efs_name"]], efs)
    section("elbv2", p.get("load_balancer_name") and ["load balancer %s" % p["load_balancer_name"]], lb)
    section("elbv2", p.get("target_group_names") and ["target group %s" % n for n in p["target_group_names"]], tgs)
    section("ecs", p.get("cluster_name") and ["cluster %s" % p["cluster_name"]], cluster)
    section("ecr", p.get("repository_names") and ["repository %s" % n for n in p["repository_names"]], repos)
    section("logs", p.get("log_group_names") and ["log group %s" % n for n in p["log_group_names"]], logs)
    section("sns", p.get("topic_name") and ["topic %s" % p["topic_name"]], topic)
    return stack, missing, sorted(set(unavailable))
