"""Read a deployed stack back from the emulator with boto3 and compare it with what the
architecture guide and an inventory call for. Used by the pytest stack tests and by
molecule/default's verify step (``python tests/stack/stack_checks.py --inventory production``).

Expected values come from the inventory's group_vars (environment name, region, CIDRs, zones)
and from the architecture (ports, sizes, rules); everything compared is read from the emulator.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import boto3
import yaml

REPO = Path(__file__).resolve().parents[2]


# What the stacks must look like, typed here from ../shared/reference/architecture-guide.md (the
# production inventory's values) and the staging environment's own, not read from the inventories
# the playbooks read: a wrong value typed in an inventory fails the tests instead of checking itself.
EXPECTED = {
    "production": {
        "env": "production", "region": "us-east-1", "vpc_cidr": "10.0.0.0/16", "azs": ["us-east-1a", "us-east-1b"],
        "public": ["10.0.1.0/24", "10.0.2.0/24"], "private": ["10.0.11.0/24", "10.0.12.0/24"],
        "ecr_prefix": "apranova", "log_prefix": "/ecs",  # apranova/backend, /ecs/backend as in the guide
    },
    "staging": {
        "env": "staging", "region": "us-east-1", "vpc_cidr": "10.20.0.0/16", "azs": ["us-east-1a", "us-east-1b"],
        "public": ["10.20.1.0/24", "10.20.2.0/24"], "private": ["10.20.11.0/24", "10.20.12.0/24"],
        "ecr_prefix": "apranova/staging", "log_prefix": "/ecs/staging",
    },
}


def inventory_values(inventory: str) -> dict:
    """The expected values of a stack: literals for production and staging; for any other
    inventory (the command line below, on a user's own) read from its group_vars."""
    if inventory in EXPECTED:
        return dict(EXPECTED[inventory])
    path = REPO / "inventories" / inventory / "group_vars" / "stack" / "main.yml"
    values = yaml.safe_load(path.read_text())
    env = values["stack_environment"]
    return {
        "env": env,
        "region": values["aws_region"],
        "vpc_cidr": values["network_vpc_cidr"],
        "azs": values["network_availability_zones"],
        "public": values["network_public_subnet_cidrs"],
        "private": values["network_private_subnet_cidrs"],
        # group_vars/all/main.yml: per-environment unless the inventory sets them (production keeps
        # the guide's apranova/<service> and /ecs/<service>)
        "ecr_prefix": values.get("stack_ecr_prefix", "%s/%s" % (values.get("stack_project", "apranova"), env)),
        "log_prefix": values.get("stack_log_group_prefix", "/ecs/%s" % env),
    }


class Clients:
    def __init__(self, endpoint: str, region: str):
        self.endpoint, self.region = endpoint, region

    def __call__(self, service):
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


def _name(tags):
    return {t["Key"]: t["Value"] for t in tags or []}.get("Name")


def _rules(group):
    """A security group's ingress as a set of (protocol, from, to, source)."""
    out = set()
    for p in group["IpPermissions"]:
        proto = p.get("IpProtocol")
        for r in p.get("IpRanges", []):
            out.add((proto, p.get("FromPort"), p.get("ToPort"), r["CidrIp"]))
        for r in p.get("UserIdGroupPairs", []):
            out.add((proto, p.get("FromPort"), p.get("ToPort"), r["GroupId"]))
        for r in p.get("Ipv6Ranges", []):
            out.add((proto, p.get("FromPort"), p.get("ToPort"), r["CidrIpv6"]))
    return out


class Checker:
    def __init__(self, client, exp):
        self.c, self.e, self.problems = client, exp, []
        self.env = exp["env"]

    def expect(self, cond, message):
        if not cond:
            self.problems.append(message)
        return cond

    # --- network --------------------------------------------------------------------------------
    def network(self):
        ec2, env, e = self.c("ec2"), self.env, self.e
        vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if _name(v.get("Tags")) == f"{env}-vpc"]
        if not self.expect(len(vpcs) == 1, f"expected 1 VPC {env}-vpc, found {len(vpcs)}"):
            return None
        vpc = vpcs[0]
        self.vpc_id = vpc["VpcId"]
        self.expect(vpc["CidrBlock"] == e["vpc_cidr"], f"VPC CIDR {vpc['CidrBlock']} != {e['vpc_cidr']}")
        for attr in ("enableDnsSupport", "enableDnsHostnames"):
            value = ec2.describe_vpc_attribute(VpcId=self.vpc_id, Attribute=attr)
            key = attr[0].upper() + attr[1:]
            self.expect(value[key]["Value"], f"VPC {attr} is off")
        flt = [{"Name": "vpc-id", "Values": [self.vpc_id]}]
        subnets = ec2.describe_subnets(Filters=flt)["Subnets"]
        got = sorted((s["CidrBlock"], s["AvailabilityZone"], s["MapPublicIpOnLaunch"]) for s in subnets)
        want = sorted([(c, az, True) for c, az in zip(e["public"], e["azs"])]
                      + [(c, az, False) for c, az in zip(e["private"], e["azs"])])
        self.expect(got == want, f"subnets {got} != {want}")
        self.subnets = {s["CidrBlock"]: s["SubnetId"] for s in subnets}
        self.public_ids = sorted(self.subnets[c] for c in e["public"] if c in self.subnets)
        self.private_ids = sorted(self.subnets[c] for c in e["private"] if c in self.subnets)
        igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [self.vpc_id]}])["InternetGateways"]
        self.expect(len(igws) == 1 and _name(igws[0].get("Tags")) == f"{env}-igw", f"expected 1 IGW {env}-igw, found {[_name(i.get('Tags')) for i in igws]}")
        nats = [n for n in ec2.describe_nat_gateways()["NatGateways"]
                if n.get("VpcId") == self.vpc_id and n["State"] in ("pending", "available")]
        self.expect(len(nats) == 1, f"expected 1 NAT gateway, found {len(nats)}")
        if nats:
            nat = nats[0]
            self.expect(_name(nat.get("Tags")) == f"{env}-nat", f"NAT is named {_name(nat.get('Tags'))}")
            self.expect(nat["SubnetId"] == self.subnets.get(e["public"][0]), "NAT is not in the first public subnet")
            alloc = nat["NatGatewayAddresses"][0]["AllocationId"]
            eips = [a for a in ec2.describe_addresses()["Addresses"]
                    if a["AllocationId"] == alloc or (_name(a.get("Tags")) or "").startswith(f"{env}-nat")]
            self.expect(len(eips) == 1, f"expected 1 EIP for the NAT, found {len(eips)}")
            self.nat_id = nat["NatGatewayId"]
        tables = ec2.describe_route_tables(Filters=flt)["RouteTables"]
        igw_id = igws[0]["InternetGatewayId"] if igws else None
        for cidr in e["public"] + e["private"]:
            sid = self.subnets.get(cidr)
            table = [t for t in tables if any(a.get("SubnetId") == sid for a in t.get("Associations", []))]
            if not self.expect(len(table) == 1, f"subnet {cidr} has {len(table)} route tables"):
                continue
            default = [r for r in table[0]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
            if cidr in e["public"]:
                self.expect(len(default) == 1 and default[0].get("GatewayId") == igw_id, f"public subnet {cidr} does not route to the IGW")
            else:
                self.expect(len(default) == 1 and default[0].get("NatGatewayId") == getattr(self, "nat_id", None), f"private subnet {cidr} does not route to the NAT")
        groups = {g["GroupName"]: g for g in ec2.describe_security_groups(Filters=flt)["SecurityGroups"]}
        self.sg = {n: g["GroupId"] for n, g in groups.items()}
        names = {k: f"{env}-{k}-sg" for k in ("alb", "ecs", "rds", "redis")}
        for k, n in names.items():
            self.expect(n in groups, f"security group {n} missing")
        if all(n in groups for n in names.values()):
            alb, ecs = self.sg[names["alb"]], self.sg[names["ecs"]]
            want = {
                "alb": {("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 443, 443, "0.0.0.0/0")},
                "ecs": {("-1", None, None, alb)},
                "rds": {("tcp", 5432, 5432, ecs)},
                "redis": {("tcp", 6379, 6379, ecs)},
            }
            for k, rules in want.items():
                got = _rules(groups[names[k]])
                self.expect(got == rules, f"{names[k]} ingress {sorted(map(str, got))} != {sorted(map(str, rules))}")
        return vpc

    # --- registry -------------------------------------------------------------------------------
    def registry(self):
        ecr = self.c("ecr")
        repos = {r["repositoryName"]: r for r in ecr.describe_repositories()["repositories"]}
        for name in (f"{self.e['ecr_prefix']}/backend", f"{self.e['ecr_prefix']}/frontend"):
            if not self.expect(name in repos, f"repository {name} missing"):
                continue
            self.expect(repos[name]["imageScanningConfiguration"]["scanOnPush"], f"{name}: scan on push is off")
            policy = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
            statuses = {r["selection"]["tagStatus"] for r in policy["rules"]}
            self.expect("untagged" in statuses, f"{name}: no rule expiring untagged images")

    # --- data -------------------------------------------------------------------------------------
    def data(self):
        env = self.env
        rds = self.c("rds")
        dbs = [d for d in rds.describe_db_instances()["DBInstances"] if d["DBInstanceIdentifier"] == f"{env}-apranova-db"]
        if self.expect(len(dbs) == 1, f"expected DB {env}-apranova-db"):
            db = dbs[0]
            for key, want in (("Engine", "postgres"), ("DBInstanceClass", "db.t3.micro"), ("AllocatedStorage", 20),
                              ("DBName", "apranova_db"), ("PubliclyAccessible", False), ("StorageEncrypted", True)):
                self.expect(db.get(key) == want, f"DB {key} = {db.get(key)!r}, expected {want!r}")
            self.expect(db["Endpoint"]["Port"] == 5432, f"DB port {db['Endpoint']['Port']}")
            self.expect(db.get("BackupRetentionPeriod", 0) >= 1, "DB has no automated backups")
            sgs = [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]]
            self.expect(sgs == [self.sg.get(f"{env}-rds-sg")], f"DB security groups {sgs}")
            subnet_ids = sorted(s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"])
            self.expect(subnet_ids == self.private_ids, f"DB subnet group {subnet_ids} != private {self.private_ids}")
        ec = self.c("elasticache")
        groups = [g for g in ec.describe_replication_groups()["ReplicationGroups"]
                  if g["ReplicationGroupId"] == f"{env}-redis" and g["Status"] != "deleting"]
        if self.expect(len(groups) == 1, f"expected Redis {env}-redis"):
            g = groups[0]
            self.expect(g["CacheNodeType"] == "cache.t3.micro", f"Redis node type {g['CacheNodeType']}")
            port = g["NodeGroups"][0]["PrimaryEndpoint"]["Port"]
            self.expect(port == 6379, f"Redis port {port}")
            self.expect(g.get("AtRestEncryptionEnabled") and g.get("TransitEncryptionEnabled"), "Redis not encrypted")
        subnet_group = ec.describe_cache_subnet_groups(CacheSubnetGroupName=f"{env}-cache-subnets")["CacheSubnetGroups"][0]
        self.expect(sorted(s["SubnetIdentifier"] for s in subnet_group["Subnets"]) == self.private_ids, "cache subnet group is not the private subnets")
        efs = self.c("efs")
        fss = [f for f in efs.describe_file_systems()["FileSystems"] if _name(f.get("Tags")) == f"{env}-efs"]
        if self.expect(len(fss) == 1, f"expected 1 file system {env}-efs, found {len(fss)}"):
            fs = fss[0]
            self.expect(fs["Encrypted"], "EFS not encrypted")
            mts = efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]
            self.expect(sorted(m["SubnetId"] for m in mts) == self.private_ids, f"mount targets {[m['SubnetId'] for m in mts]} != private subnets")
            efs_sg = self.sg.get(f"{env}-efs-sg")
            for m in mts:
                sgs = efs.describe_mount_target_security_groups(MountTargetId=m["MountTargetId"])["SecurityGroups"]
                self.expect(sgs == [efs_sg], f"mount target {m['MountTargetId']} in {sgs}, expected the NFS group")
            aps = efs.describe_access_points(FileSystemId=fs["FileSystemId"])["AccessPoints"]
            self.expect(len(aps) == 1 and aps[0]["PosixUser"]["Uid"] == 1000, "expected one access point with uid 1000")
        ec2 = self.c("ec2")
        nfs = ec2.describe_security_groups(GroupIds=[self.sg[f"{env}-efs-sg"]])["SecurityGroups"][0] if f"{env}-efs-sg" in self.sg else None
        if self.expect(nfs is not None, "NFS security group missing"):
            self.expect(_rules(nfs) == {("tcp", 2049, 2049, self.sg.get(f"{env}-ecs-sg"))}, f"NFS group ingress {_rules(nfs)}")
        sm = self.c("secretsmanager")
        secret = sm.describe_secret(SecretId=f"{env}/apranova-db/master")
        self.expect(secret["Name"] == f"{env}/apranova-db/master", "DB secret missing")

    # --- alb --------------------------------------------------------------------------------------
    def alb(self):
        env = self.env
        elb = self.c("elbv2")
        lbs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == f"{env}-alb"]
        if not self.expect(len(lbs) == 1, f"expected 1 ALB {env}-alb, found {len(lbs)}"):
            return
        lb = lbs[0]
        self.expect(lb["Scheme"] == "internet-facing", "ALB is not internet-facing")
        self.expect(sorted(a["SubnetId"] for a in lb["AvailabilityZones"]) == self.public_ids, "ALB is not in the public subnets")
        self.expect(lb["SecurityGroups"] == [self.sg.get(f"{env}-alb-sg")], f"ALB groups {lb['SecurityGroups']}")
        tgs = {t["TargetGroupName"]: t for t in elb.describe_target_groups()["TargetGroups"]}
        be, fe = tgs.get(f"{env}-backend-tg"), tgs.get(f"{env}-frontend-tg")
        self.expect(be and be["Port"] == 8000 and be["TargetType"] == "ip", "backend target group is not ip:8000")
        self.expect(fe and fe["Port"] == 3000 and fe["TargetType"] == "ip", "frontend target group is not ip:3000")
        self.tgs = {k: v["TargetGroupArn"] for k, v in tgs.items()}
        listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        http = [x for x in listeners if x["Port"] == 80]
        if not self.expect(len(http) == 1, "expected one :80 listener"):
            return
        default = http[0]["DefaultActions"][0]
        self.expect(default.get("TargetGroupArn") == (fe or {}).get("TargetGroupArn"), "listener :80 default is not the frontend")
        rules = [r for r in elb.describe_rules(ListenerArn=http[0]["ListenerArn"])["Rules"] if not r["IsDefault"]]
        got = set()
        for r in rules:
            for cond in r["Conditions"]:
                values = (cond.get("PathPatternConfig") or {}).get("Values") or cond.get("Values") or []
                for v in values:
                    got.add((v, r["Actions"][0].get("TargetGroupArn")))
        want = {("/api/*", (be or {}).get("TargetGroupArn")), ("/admin/*", (be or {}).get("TargetGroupArn"))}
        self.expect(got == want, f"listener rules {sorted(map(str, got))} != {sorted(map(str, want))}")

    # --- ecs ----------------------------------------------------------------------------------------
    def ecs(self):
        env = self.env
        ecs = self.c("ecs")
        clusters = ecs.describe_clusters(clusters=[f"{env}-cluster"], include=["SETTINGS"])["clusters"]
        clusters = [c for c in clusters if c["status"] == "ACTIVE"]
        if not self.expect(len(clusters) == 1, f"cluster {env}-cluster missing"):
            return
        settings = {s["name"]: s["value"] for s in clusters[0].get("settings", [])}
        self.expect(settings.get("containerInsights") in ("enabled", "enhanced"), "Container Insights off")
        services = {s["serviceName"]: s for s in ecs.describe_services(cluster=f"{env}-cluster", services=["backend", "frontend"])["services"] if s["status"] == "ACTIVE"}
        sizes = {"backend": ("512", "1024", 8000), "frontend": ("256", "512", 3000)}
        for name, (cpu, mem, port) in sizes.items():
            svc = services.get(name)
            if not self.expect(svc is not None, f"service {name} missing"):
                continue
            self.expect(svc.get("launchType") == "FARGATE", f"{name} is not FARGATE")
            self.expect(svc["desiredCount"] == 1, f"{name} desired count {svc['desiredCount']}")
            net = svc["networkConfiguration"]["awsvpcConfiguration"]
            self.expect(sorted(net["subnets"]) == self.private_ids, f"{name} not in the private subnets")
            self.expect(net["securityGroups"] == [self.sg.get(f"{env}-ecs-sg")], f"{name} groups {net['securityGroups']}")
            self.expect(net.get("assignPublicIp") == "DISABLED", f"{name} has a public IP")
            lbs = svc.get("loadBalancers", [])
            self.expect(len(lbs) == 1 and lbs[0]["containerPort"] == port and lbs[0]["targetGroupArn"] == getattr(self, "tgs", {}).get(f"{env}-{name}-tg"),
                        f"{name} is not bound to its target group on {port}")
            td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
            self.expect((td["cpu"], td["memory"]) == (cpu, mem), f"{name} task size {td['cpu']}/{td['memory']}")
            container = td["containerDefinitions"][0]
            log = container["logConfiguration"]["options"]["awslogs-group"]
            self.expect(log == f"{self.e['log_prefix']}/{name}", f"{name} logs to {log}")
            env_names = {x["name"] for x in container.get("environment", [])}
            if name == "backend":
                self.expect(any(v.get("efsVolumeConfiguration") for v in td.get("volumes", [])), "backend has no EFS volume")
                secrets = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
                self.expect("DB_PASSWORD" in secrets and "secretsmanager" in secrets["DB_PASSWORD"], "DB password is not a secret reference")
                self.expect("DB_PASSWORD" not in env_names, "DB password in the plain environment")
                self.expect({"DB_HOST", "DB_PORT", "DB_NAME", "REDIS_HOST"} <= env_names, f"backend environment {env_names}")

    # --- monitoring -----------------------------------------------------------------------------------
    def monitoring(self):
        env = self.env
        logs = self.c("logs")
        for name in (f"{self.e['log_prefix']}/backend", f"{self.e['log_prefix']}/frontend"):
            groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
            self.expect(groups and groups[0].get("retentionInDays"), f"log group {name} missing or without retention")
        topics = [t["TopicArn"] for t in self.c("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f":{env}-alarms")]
        if not self.expect(len(topics) == 1, "alarm topic missing"):
            return
        alarms = self.c("cloudwatch").describe_alarms(AlarmNamePrefix=f"{env}-apranova-")["MetricAlarms"]
        metrics = {(a["Namespace"], a["MetricName"]) for a in alarms if topics[0] in a.get("AlarmActions", [])}
        for want in [("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"), ("AWS/ApplicationELB", "TargetResponseTime"),
                     ("AWS/ApplicationELB", "UnHealthyHostCount"), ("AWS/ECS", "CPUUtilization"), ("AWS/ECS", "MemoryUtilization"),
                     ("AWS/RDS", "CPUUtilization"), ("AWS/RDS", "FreeStorageSpace"), ("AWS/RDS", "DatabaseConnections"),
                     ("AWS/ElastiCache", "EngineCPUUtilization"), ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage"),
                     ("AWS/ElastiCache", "Evictions")]:
            self.expect(want in metrics, f"no alarm on {want} wired to the topic")
        dashboards = [d["DashboardName"] for d in self.c("cloudwatch").list_dashboards()["DashboardEntries"]]
        if self.expect(f"{env}-overview" in dashboards, "dashboard missing"):
            body = self.c("cloudwatch").get_dashboard(DashboardName=f"{env}-overview")["DashboardBody"]
            for name in (f"{env}-alb", "backend", "frontend", f"{env}-apranova-db", f"{env}-redis"):
                self.expect(name in body, f"dashboard does not name {name}")


    # --- what LocalStack's free build can hold beyond the network -------------------------------------
    def access(self):
        """IAM roles of the tasks and the log groups they write to."""
        env = self.env
        iam = self.c("iam")
        for role in (f"{env}-ecs-task-execution", f"{env}-ecs-task"):
            try:
                found = iam.get_role(RoleName=role)["Role"]
            except iam.exceptions.NoSuchEntityException:
                self.expect(False, f"IAM role {role} missing")
                continue
            doc = found["AssumeRolePolicyDocument"]
            doc = json.loads(doc) if isinstance(doc, str) else doc
            self.expect("ecs-tasks.amazonaws.com" in json.dumps(doc), f"{role} is not assumable by ECS tasks")
            self.expect(iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == [], f"{role} has managed policies")
        policies = iam.list_role_policies(RoleName=f"{env}-ecs-task-execution")["PolicyNames"]
        self.expect(policies == ["task-execution"], f"execution role policies {policies}")
        logs = self.c("logs")
        for name in (f"{self.e['log_prefix']}/backend", f"{self.e['log_prefix']}/frontend"):
            groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
            self.expect(groups and groups[0].get("retentionInDays"), f"log group {name} missing or without retention")

    def nat_alarms(self):
        """The alarm topic, the NAT gateway's alarms wired to it, and the dashboard."""
        env = self.env
        topics = [t["TopicArn"] for t in self.c("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f":{env}-alarms")]
        if not self.expect(len(topics) == 1, "alarm topic missing"):
            return
        alarms = self.c("cloudwatch").describe_alarms(AlarmNamePrefix=f"{env}-apranova-nat")["MetricAlarms"]
        wired = [a for a in alarms if topics[0] in a.get("AlarmActions", []) and a["Dimensions"][0]["Value"] == getattr(self, "nat_id", None)]
        self.expect(len(wired) >= 2, f"expected the NAT gateway's alarms wired to the topic, found {[a['AlarmName'] for a in alarms]}")
        dashboards = [d["DashboardName"] for d in self.c("cloudwatch").list_dashboards()["DashboardEntries"]]
        self.expect(f"{env}-overview" in dashboards, "dashboard missing")


def check_stack(client, exp, tiers=("network", "registry", "data", "alb", "ecs", "monitoring")):
    """Problems found (empty when the stack is as expected)."""
    chk = Checker(client, exp)
    if chk.network() is None:
        return chk.problems
    for tier in tiers[1:]:
        getattr(chk, tier)()
    return chk.problems


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check a deployed stack against an inventory.")
    parser.add_argument("--inventory", default="production")
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--tiers", default="network,registry,data,alb,ecs,monitoring")
    args = parser.parse_args(argv)
    exp = inventory_values(args.inventory)
    problems = check_stack(Clients(args.endpoint, exp["region"]), exp, tuple(args.tiers.split(",")))
    for p in problems:
        print("FAIL:", p)
    print("stack %s: %d problem(s), tiers %s" % (exp["env"], len(problems), args.tiers))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
