"""The architecture guide against the emulator's state (issue 7).

site.yml runs once on a wiped emulator with the production inventory; every section of
reports/production/architecture.md is then compared with what boto3 reads from the emulator
(names, IDs, CIDRs, ports, sizes, rules, counts). Then the backend's CPU is raised in a copy of the
inventory and `site.yml --check` must print the new estimate and the difference, changing nothing.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from conftest import REPO, run_playbook

REPORT = REPO / "reports" / "production" / "architecture.md"
PRICES = yaml.safe_load((REPO / "roles" / "report" / "vars" / "main.yml").read_text())["__report_price_tables"]["us-east-1"]
HOURS = 730


# --- reading the guide ---------------------------------------------------------------------------

def sections(text):
    """'## Title' -> body."""
    out = {}
    for part in re.split(r"^## ", text, flags=re.M)[1:]:
        title, body = part.split("\n", 1) if "\n" in part else (part, "")
        out[title.strip()] = body
    return out


def table(body, first_header):
    """Rows (dicts) of the Markdown table whose header starts with ``| <first_header> |``."""
    lines = body.splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_header:
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                values = [c.strip() for c in row.strip().strip("|").split("|")]
                rows.append(dict(zip(cells, values)))
            return rows
    raise AssertionError("no table starting with %r in:\n%s" % (first_header, body[:2000]))


def name_tag(tags):
    return {t["Key"]: t["Value"] for t in tags or []}.get("Name")


# --- the emulator's state ------------------------------------------------------------------------

def read_state(emu):
    ec2, elb, ecs, rds = emu.client("ec2"), emu.client("elbv2"), emu.client("ecs"), emu.client("rds")
    vpc = [v for v in ec2.describe_vpcs()["Vpcs"] if name_tag(v.get("Tags")) == "production-vpc"]
    assert len(vpc) == 1, "expected one production-vpc, found %d" % len(vpc)
    vpc = vpc[0]
    vf = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    s = {"vpc": vpc}
    s["subnets"] = ec2.describe_subnets(Filters=vf)["Subnets"]
    s["igw"] = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"]
    s["nats"] = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["VpcId"] == vpc["VpcId"] and n["State"] == "available"]
    s["route_tables"] = ec2.describe_route_tables(Filters=vf)["RouteTables"]
    s["sgs"] = {g["GroupName"]: g for g in ec2.describe_security_groups(Filters=vf)["SecurityGroups"] if g["GroupName"] != "default"}
    s["lb"] = elb.describe_load_balancers(Names=["production-alb"])["LoadBalancers"][0]
    s["listeners"] = elb.describe_listeners(LoadBalancerArn=s["lb"]["LoadBalancerArn"])["Listeners"]
    s["rules"] = {lis["ListenerArn"]: elb.describe_rules(ListenerArn=lis["ListenerArn"])["Rules"] for lis in s["listeners"]}
    s["tgs"] = {t["TargetGroupArn"]: t for t in elb.describe_target_groups(LoadBalancerArn=s["lb"]["LoadBalancerArn"])["TargetGroups"]}
    s["cluster"] = ecs.describe_clusters(clusters=["production-cluster"])["clusters"][0]
    s["services"] = {x["serviceName"]: x for x in ecs.describe_services(cluster="production-cluster", services=["backend", "frontend"])["services"]}
    s["task_defs"] = {n: ecs.describe_task_definition(taskDefinition=x["taskDefinition"])["taskDefinition"] for n, x in s["services"].items()}
    s["db"] = rds.describe_db_instances(DBInstanceIdentifier="production-apranova-db")["DBInstances"][0]
    s["cache"] = emu.client("elasticache").describe_replication_groups(ReplicationGroupId="production-redis")["ReplicationGroups"][0]
    efs = emu.client("efs")
    s["fs"] = [f for f in efs.describe_file_systems()["FileSystems"] if name_tag(f.get("Tags")) == "production-efs"][0]
    s["mts"] = efs.describe_mount_targets(FileSystemId=s["fs"]["FileSystemId"])["MountTargets"]
    s["aps"] = efs.describe_access_points(FileSystemId=s["fs"]["FileSystemId"])["AccessPoints"]
    iam = emu.client("iam")
    s["roles"] = {}
    for role in ("production-ecs-task-execution", "production-ecs-task"):
        s["roles"][role] = {p: iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"]
                            for p in iam.list_role_policies(RoleName=role)["PolicyNames"]}
    s["repos"] = [r["repositoryName"] for r in emu.client("ecr").describe_repositories()["repositories"]]
    s["log_groups"] = [g["logGroupName"] for g in emu.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/")["logGroups"]]
    cw = emu.client("cloudwatch")
    s["alarms"] = [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="production-apranova-")["MetricAlarms"]]
    s["dashboards"] = [d["DashboardName"] for d in cw.list_dashboards(DashboardNamePrefix="production-overview")["DashboardEntries"]]
    s["secrets"] = [x["Name"] for x in emu.client("secretsmanager").list_secrets()["SecretList"] if x["Name"] == "production/apranova-db/master"]
    s["topics"] = [t["TopicArn"] for t in emu.client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":production-alarms")]
    s["account"] = emu.client("sts").get_caller_identity()["Account"]
    return s


@pytest.fixture(scope="module")
def built(emulator):
    """site.yml on a wiped emulator (what the ``aws`` fixture does, once for the module)."""
    emulator.reset()
    run = run_playbook(emulator, "site.yml", inventory="inventories/production")
    assert run.rc == 0, "site.yml failed (report not reached?):\n%s" % run
    assert REPORT.is_file(), "site.yml did not write %s" % REPORT
    # read at once: other site.yml runs on this machine write the same reports/production
    text = REPORT.read_text()
    dot = (REPORT.parent / "architecture.dot").read_text()
    svg = (REPORT.parent / "architecture.svg").exists()
    state = read_state(emulator)
    assert state["vpc"]["VpcId"] in text, "the guide is not about this emulator's stack (another run overwrote it?)"
    return {"emu": emulator, "run": run, "text": text, "dot": dot, "svg": svg, "sec": sections(text), "state": state}


# --- sections ------------------------------------------------------------------------------------

def test_every_section_of_the_hand_written_guide_is_there(built):
    assert list(built["sec"]) == [
        "Complete Architecture Diagram", "Traffic Flow", "Security Architecture", "Data Flow",
        "Geographic Distribution", "Resource Relationships", "Service Dependencies", "Cost Attribution",
        "Where to Find Everything", "Summary",
    ]
    assert "Not found in AWS" not in built["text"]


def test_diagram_text_mermaid_and_graphviz(built):
    body, st = built["sec"]["Complete Architecture Diagram"], built["state"]
    for value in (st["igw"][0]["InternetGatewayId"], st["nats"][0]["NatGatewayId"], st["nats"][0]["NatGatewayAddresses"][0]["PublicIp"],
                  st["cluster"]["clusterName"], st["db"]["DBInstanceIdentifier"], st["db"]["DBInstanceClass"],
                  "%d GB %s" % (st["db"]["AllocatedStorage"], st["db"]["StorageType"]), st["cache"]["CacheNodeType"],
                  st["fs"]["FileSystemId"], "Port %d (HTTP)" % st["listeners"][0]["Port"]):
        assert value in body, value
    for name, td in st["task_defs"].items():
        vcpu = "%g vCPU" % (int(td["cpu"]) / 1024)
        assert re.search(r"%s service.*?%s" % (name, re.escape(vcpu)), body, re.S), (name, vcpu)
    mermaid = re.search(r"```mermaid\n(.*?)```", body, re.S).group(1)
    assert mermaid.startswith("flowchart")
    assert 'alb -- "80 /api/*" --> svc_backend' in mermaid
    assert 'alb -- "80 default" --> svc_frontend' in mermaid
    for edge in ("svc_backend --> rds", "svc_backend --> redis", "svc_backend --> efs"):
        assert edge in mermaid
    dot = built["dot"]
    assert dot.startswith("digraph architecture") and st["fs"]["FileSystemId"] in dot
    assert 'alb -> svc_backend [label="/api/* :8000"];' in dot
    assert built["svg"] == bool(shutil.which("dot"))


def test_traffic_flow_has_the_listeners_real_rules_and_target_ports(built):
    body, st = built["sec"]["Traffic Flow"], built["state"]
    assert st["lb"]["DNSName"] in body
    expected = []
    for lis in st["listeners"]:
        for r in st["rules"][lis["ListenerArn"]]:
            tg = st["tgs"][r["Actions"][0]["TargetGroupArn"]]
            cond = ["path pattern \"%s\"" % v for c in r["Conditions"]
                    for v in (c.get("PathPatternConfig") or {}).get("Values", c.get("Values", []))]
            expected.append({"Listener": "%s:%d" % (lis["Protocol"], lis["Port"]),
                             "Priority": "default" if r["IsDefault"] else str(int(r["Priority"])),
                             "Condition": "any request" if r["IsDefault"] else ", ".join(cond),
                             "Action": r["Actions"][0]["Type"], "Target group": tg["TargetGroupName"],
                             "Target port": str(tg["Port"])})
    rows = table(body, "Listener")
    assert sorted(rows, key=str) == sorted(expected, key=str)
    # the guide's routing: / -> frontend 3000, /api/* and /admin/* -> backend 8000
    assert {(r["Priority"], r["Target group"], r["Target port"]) for r in rows} == {
        ("10", "production-backend-tg", "8000"), ("20", "production-backend-tg", "8000"), ("default", "production-frontend-tg", "3000")}
    tgs = {r["Target group"]: r for r in table(body, "Target group")}
    assert {n: (r["Port"], r["Service"]) for n, r in tgs.items()} == {
        t["TargetGroupName"]: (str(t["Port"]), t["TargetGroupName"].split("-")[1]) for t in st["tgs"].values()}


def _sg_rows(st):
    names = {g["GroupId"]: n for n, g in st["sgs"].items()}
    rows = set()
    for name, g in st["sgs"].items():
        for p in g["IpPermissions"]:
            proto = "all" if p["IpProtocol"] == "-1" else p["IpProtocol"]
            ports = "all" if proto == "all" else (str(p["FromPort"]) if p["FromPort"] == p["ToPort"] else "%d-%d" % (p["FromPort"], p["ToPort"]))
            for r in p.get("IpRanges", []):
                rows.add((name, g["GroupId"], proto, ports, r["CidrIp"]))
            for r in p.get("UserIdGroupPairs", []):
                rows.add((name, g["GroupId"], proto, ports, names.get(r["GroupId"], r["GroupId"])))
    return rows


def test_security_groups_match_the_four_layers(built):
    body, st = built["sec"]["Security Architecture"], built["state"]
    rows = {(r["Group"], r["ID"], r["Protocol"], r["Ports"], r["Source"]) for r in table(body, "Layer")}
    assert rows == _sg_rows(st)
    short = {(r[0], r[2], r[3], r[4]) for r in rows}
    assert {("production-alb-sg", "tcp", "80", "0.0.0.0/0"), ("production-alb-sg", "tcp", "443", "0.0.0.0/0"),
            ("production-ecs-sg", "all", "all", "production-alb-sg"),
            ("production-rds-sg", "tcp", "5432", "production-ecs-sg"),
            ("production-redis-sg", "tcp", "6379", "production-ecs-sg")} <= short
    # nothing else reaches the data tier
    assert {r for r in short if r[0] in ("production-rds-sg", "production-redis-sg", "production-ecs-sg")} == {
        ("production-ecs-sg", "all", "all", "production-alb-sg"), ("production-rds-sg", "tcp", "5432", "production-ecs-sg"),
        ("production-redis-sg", "tcp", "6379", "production-ecs-sg")}
    assert "├─ ALB SG (production-alb-sg, %s)" % st["sgs"]["production-alb-sg"]["GroupId"] in body


def test_iam_roles_and_policies(built):
    body, st = built["sec"]["Security Architecture"], built["state"]
    got = {}
    for r in table(body, "Role"):
        got.setdefault((r["Role"], r["Policy"]), set()).add((r["Effect"], r["Actions"], r["Resources"]))
    expected = {}
    for role, policies in st["roles"].items():
        for pname, doc in policies.items():
            if isinstance(doc, str):
                doc = json.loads(doc)
            stmts = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
            for s in stmts:
                acts = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
                res = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
                expected.setdefault((role, pname), set()).add((s["Effect"], " ".join(sorted(acts)), " ".join(sorted(res))))
    assert got == expected
    assert {key[0] for key in got} == {"production-ecs-task-execution", "production-ecs-task"}
    assert "ECS Task Execution Role (production-ecs-task-execution)" in body


def test_encryption_state(built):
    body, st = built["sec"]["Security Architecture"], built["state"]
    rows = {r["Resource"] + " " + r["ID"]: r for r in table(body, "Resource")}
    yn = {True: "yes", False: "no"}
    assert rows["EFS " + st["fs"]["FileSystemId"]]["At rest"] == yn[st["fs"]["Encrypted"]]
    assert rows["RDS production-apranova-db"]["At rest"] == yn[st["db"]["StorageEncrypted"]]
    assert rows["Redis production-redis"]["At rest"] == yn[st["cache"]["AtRestEncryptionEnabled"]]
    assert rows["Redis production-redis"]["In transit"] == yn[st["cache"]["TransitEncryptionEnabled"]]
    for lis in st["listeners"]:
        assert rows["ALB listener %s:%d" % (lis["Protocol"], lis["Port"])]["In transit"] == yn[lis["Protocol"] == "HTTPS"]
    transit = all(v["efsVolumeConfiguration"]["transitEncryption"] == "ENABLED"
                  for td in st["task_defs"].values() for v in td.get("volumes", []) if "efsVolumeConfiguration" in v)
    assert rows["EFS " + st["fs"]["FileSystemId"]]["In transit"] == yn[transit]


def test_data_flow(built):
    body, st = built["sec"]["Data Flow"], built["state"]
    db, cache = st["db"], st["cache"]
    assert "database %s at %s:%d" % (db["DBName"], db["Endpoint"]["Address"], db["Endpoint"]["Port"]) in body
    primary = cache["NodeGroups"][0]["PrimaryEndpoint"]
    assert "%s:%d" % (primary["Address"], primary["Port"]) in body
    assert "EFS (File System %s)" % st["fs"]["FileSystemId"] in body
    assert "access point %s" % st["aps"][0]["AccessPointId"] in body
    assert "backend service (%s:%d)" % (st["task_defs"]["backend"]["family"], st["task_defs"]["backend"]["revision"]) in body


def test_per_az_layout_of_subnets_and_mount_targets(built):
    body, st = built["sec"]["Geographic Distribution"], built["state"]
    rows = table(body, "Zone")
    got = {(r["Zone"], r["Tier"], r["Subnet"], r["CIDR"]) for r in rows}
    expected = {(s["AvailabilityZone"], name_tag(s["Tags"]).split("-")[1], s["SubnetId"], s["CidrBlock"]) for s in st["subnets"]}
    assert got == expected and len(got) == 4
    contains = {r["Subnet"]: r["Contains"] for r in rows}
    for mt in st["mts"]:
        assert mt["MountTargetId"] in contains[mt["SubnetId"]]
    assert st["nats"][0]["NatGatewayId"] in contains[st["nats"][0]["SubnetId"]]
    assert "Region: us-east-1" in body


def test_resource_relationships_with_real_ids(built):
    body, st = built["sec"]["Resource Relationships"], built["state"]
    ids = [st["vpc"]["VpcId"], st["igw"][0]["InternetGatewayId"], st["lb"]["LoadBalancerArn"], st["cluster"]["clusterArn"],
           st["db"]["DBInstanceArn"], st["cache"]["ARN"], st["fs"]["FileSystemId"], st["aps"][0]["AccessPointId"]]
    ids += [s["SubnetId"] for s in st["subnets"]] + [m["MountTargetId"] for m in st["mts"]] + list(st["tgs"])
    ids += [g["GroupId"] for g in st["sgs"].values()] + [lis["ListenerArn"] for lis in st["listeners"]]
    ids += [t["RouteTableId"] for t in st["route_tables"]] + [td["taskDefinitionArn"] for td in st["task_defs"].values()]
    missing = [i for i in ids if i not in body]
    assert not missing
    assert "Subnets (4 total)" in body and "Security Groups (%d)" % len(st["sgs"]) in body


def test_service_dependencies(built):
    body, st = built["sec"]["Service Dependencies"], built["state"]
    backend = body.split("Backend Service", 1)[1].split("\n\n", 1)[0]
    assert "RDS PostgreSQL production-apranova-db" in backend and "ElastiCache Redis production-redis" in backend
    assert "EFS %s" % st["fs"]["FileSystemId"] in backend and "Registered in: production-backend-tg" in backend
    frontend = body.split("Frontend Service", 1)[1].split("\n\n", 1)[0]
    assert "Registered in: production-frontend-tg" in frontend and "RDS" not in frontend


def _fargate(td, count):
    return count * (int(td["cpu"]) / 1024 * PRICES["fargate"]["vcpu_hour"] + int(td["memory"]) / 1024 * PRICES["fargate"]["gb_hour"]) * HOURS


def test_cost_attribution(built):
    body, st = built["sec"]["Cost Attribution"], built["state"]
    rows = {r["Line"]: r for r in table(body, "Category")}
    money = {k: float(r["Monthly (USD)"].strip("*")) for k, r in rows.items()}
    # within 15% of the hand-written guide, and traceable to the table
    for line, guide, keys in (("NAT Gateway", 33, ["nat_gateway.hour"]), ("ALB", 16, ["alb.hour"]),
                              ("RDS PostgreSQL production-apranova-db", 15, ["rds_instance_hour.db.t3.micro", "rds_storage_gb_month.gp3"]),
                              ("ElastiCache Redis production-redis", 12, ["elasticache_node_hour.cache.t3.micro"])):
        assert abs(money[line] - guide) <= 0.15 * guide, (line, money[line])
        for key in keys:
            node = PRICES
            for part in (key.split(".", 1) if key.count(".") > 1 else key.split(".")):
                node = node[part]
            assert "%s=%s" % (key, node) in rows[line]["Prices used"], (line, key)
    # from the live sizes: instance class, storage, node type
    assert money["RDS PostgreSQL production-apranova-db"] == pytest.approx(
        PRICES["rds_instance_hour"][st["db"]["DBInstanceClass"]] * HOURS
        + st["db"]["AllocatedStorage"] * PRICES["rds_storage_gb_month"][st["db"]["StorageType"]], abs=0.006)
    assert money["ElastiCache Redis production-redis"] == pytest.approx(
        PRICES["elasticache_node_hour"][st["cache"]["CacheNodeType"]] * HOURS * len(st["cache"]["MemberClusters"]), abs=0.006)
    assert money["NAT Gateway"] == pytest.approx(len(st["nats"]) * PRICES["nat_gateway"]["hour"] * HOURS, abs=0.006)
    # Fargate from the task definitions' sizes and desired counts
    for name, td in st["task_defs"].items():
        assert money["%s Fargate" % name] == pytest.approx(_fargate(td, st["services"][name]["desiredCount"]), abs=0.006)
    # EFS from the stated assumption
    assert "30 GB (assumed)" in rows["EFS"]["Computed as"] and money["EFS"] == pytest.approx(30 * PRICES["efs_standard_gb_month"])
    assert "EFS: 30 GB stored per file system" in body and "730 hours per month" in body
    assert "%d alarm(s)" % len(st["alarms"]) in rows["CloudWatch"]["Computed as"]
    total = money.pop("**Total**")
    assert total == pytest.approx(sum(money.values()), abs=0.03)
    assert "dated 2026-11" in body


def test_console_links_and_summary(built):
    links, summary, st = built["sec"]["Where to Find Everything"], built["sec"]["Summary"], built["state"]
    assert "https://console.aws.amazon.com/console/home?region=us-east-1" in links
    assert "clusters/production-cluster" in links and st["vpc"]["VpcId"] in links and st["fs"]["FileSystemId"] in links
    assert "**Account:** %s" % st["account"] in summary
    assert "**Region:** us-east-1" in summary
    assert "**VPC:** production-vpc (%s)" % st["vpc"]["CidrBlock"] in summary
    assert "**URL:** http://%s" % st["lb"]["DNSName"] in summary
    total = float(table(built["sec"]["Cost Attribution"], "Category")[-1]["Monthly (USD)"].strip("*"))
    assert "**Cost:** ~$%.0f/month" % total in summary
    # the resource count, kind by kind, against the emulator
    counted = {r["Kind"]: int(r["Count"].strip("*")) for r in table(summary, "Kind")}
    total_row = counted.pop("**total**")
    rules = sum(1 for rs in st["rules"].values() for r in rs if not r["IsDefault"])
    expected = {
        "VPC": 1, "subnets": len(st["subnets"]), "internet gateways": len(st["igw"]), "NAT gateways": len(st["nats"]),
        "Elastic IPs": len(st["nats"]),
        "route tables": len([t for t in st["route_tables"] if not any(a.get("Main") for a in t.get("Associations", []))]),
        "security groups": len(st["sgs"]), "load balancers": 1, "listeners": len(st["listeners"]), "listener rules": rules,
        "target groups": len(st["tgs"]), "ECS clusters": 1, "ECS services": len(st["services"]), "task definitions": len(st["task_defs"]),
        "IAM roles": len(st["roles"]), "RDS instances": 1, "secrets": len(st["secrets"]), "ElastiCache replication groups": 1,
        "EFS file systems": 1, "EFS mount targets": len(st["mts"]), "EFS access points": len(st["aps"]),
        "ECR repositories": len(st["repos"]), "log groups": len(st["log_groups"]), "alarms": len(st["alarms"]),
        "dashboards": len(st["dashboards"]), "SNS topics": len(st["topics"]),
    }
    assert counted == expected
    assert total_row == sum(expected.values())
    assert "**Resources:** %d total" % total_row in summary
    services = {r["AWS service"] for r in table(summary, "Kind") if r["Kind"] != "**total**"}
    assert "**Services:** %d AWS services" % len(services) in summary


def test_check_mode_prints_the_new_estimate_and_the_difference(built, tmp_path):
    emu = built["emu"]
    inv = tmp_path / "production"
    shutil.copytree(REPO / "inventories" / "production", inv)
    services = yaml.safe_load((REPO / "roles" / "ecs_services" / "defaults" / "main.yml").read_text())["ecs_services_services"]
    for svc in services:
        svc["image_tag"] = "latest"
        if svc["name"] == "backend":
            assert (svc["cpu"], svc["memory"]) == (512, 1024)
            svc["cpu"], svc["memory"] = 1024, 2048
    with open(inv / "group_vars" / "stack" / "main.yml", "a") as f:
        f.write("\n" + yaml.safe_dump({"ecs_services_services": services}, sort_keys=False))
    # a private report_dir: other runs on this machine may rewrite reports/production meanwhile
    guide_dir = tmp_path / "guide"

    run = run_playbook(emu, "site.yml", inventory=str(inv), check=True, extra_vars={"report_dir": str(guide_dir)})
    assert run.rc == 0, run

    live_total = float(table(built["sec"]["Cost Attribution"], "Category")[-1]["Monthly (USD)"].strip("*"))
    old_backend = _fargate(built["state"]["task_defs"]["backend"], 1)
    new_backend = (1 * PRICES["fargate"]["vcpu_hour"] + 2 * PRICES["fargate"]["gb_hour"]) * HOURS    # 36.04
    delta = round(new_backend, 2) - round(old_backend, 2)
    shown = run.out[run.out.find("PLAY [Architecture guide"):]
    # the unchanged parts of the inventory cost what the live stack costs: only the backend differs
    estimate = re.search(r"cost estimate from the inventory: \$(\d+\.\d\d)/month", shown)
    assert estimate, shown
    assert float(estimate.group(1)) == pytest.approx(live_total + delta, abs=0.011), shown
    assert "live stack: $%.2f/month" % live_total in shown, shown
    assert "backend Fargate +$%.2f/month ($%.2f -> $%.2f)" % (delta, old_backend, new_backend) in shown, shown
    # the backend line and the total, nothing else changed
    assert len(re.findall(r"[+-]\$\d+\.\d\d/month", shown)) == 2, shown
    # check mode changed nothing: the service still runs the old size, the guide is untouched
    td = emu.client("ecs").describe_task_definition(
        taskDefinition=emu.client("ecs").describe_services(cluster="production-cluster", services=["backend"])["services"][0]["taskDefinition"])
    assert td["taskDefinition"]["cpu"] == "512"
    assert not guide_dir.exists()


def test_a_tier_run_does_not_pay_for_the_report(emulator):
    run = run_playbook(emulator, "site.yml", inventory="inventories/production", tags="alb", args=["--list-tasks"])
    assert run.rc == 0, run
    assert "Read the stack back from AWS by name" not in run.out
    assert "Write the guide" not in run.out


def test_the_guide_is_stable_on_an_unchanged_stack(built, tmp_path):
    emu = built["emu"]
    first = run_playbook(emu, "playbooks/report.yml", inventory="inventories/production", extra_vars={"report_dir": str(tmp_path)})
    again = run_playbook(emu, "playbooks/report.yml", inventory="inventories/production", extra_vars={"report_dir": str(tmp_path)})
    assert first.rc == 0 and again.rc == 0, (first, again)
    assert again.changed == 0, again
    assert (tmp_path / "architecture.md").read_text() == built["text"]


def test_a_no_op_runs_guide_from_what_the_run_knew_is_the_guide_read_afresh(built, tmp_path):
    """In a no-op site.yml the report takes most of the stack from the run's lookups and modules
    (the known stack, issue 15); the guide must be the one playbooks/report.yml writes alone, which
    reads everything from the emulator, and the known stack must have spared the reads."""
    emu = built["emu"]
    ran = run_playbook(emu, "site.yml", inventory="inventories/production", extra_vars={"report_dir": str(tmp_path / "site")})
    alone = run_playbook(emu, "playbooks/report.yml", inventory="inventories/production", extra_vars={"report_dir": str(tmp_path / "alone")})
    assert ran.rc == 0 and alone.rc == 0, (ran, alone)
    # only the guide's files, written to a new directory, change
    assert [t for t in ran.changed_tasks() if not t.startswith("apranova.aws_stack.report :")] == [], ran.changed_tasks()
    assert (tmp_path / "site" / "architecture.md").read_text() == (tmp_path / "alone" / "architecture.md").read_text()
    assert (tmp_path / "site" / "architecture.dot").read_text() == (tmp_path / "alone" / "architecture.dot").read_text()


def test_the_guide_shows_what_the_run_changed_not_what_its_lookups_found_before(built, tmp_path):
    """The report takes from the run's known stack what the tiers' lookups found (issue 15), but a
    tier that changes a resource drops it from there: the ECS tier's lookup finds the backend at 3
    tasks, the tier sets it back to 1, and the guide must show 1, as the emulator holds."""
    emu = built["emu"]
    emu.client("ecs").update_service(cluster="production-cluster", service="backend", desiredCount=3)
    run = run_playbook(emu, "site.yml", inventory="inventories/production", extra_vars={"report_dir": str(tmp_path)})
    assert run.rc == 0, run
    assert "Create or update the Fargate services" in " ".join(run.changed_tasks()), run
    desired = emu.client("ecs").describe_services(cluster="production-cluster", services=["backend"])["services"][0]["desiredCount"]
    assert desired == 1
    guide = (tmp_path / "architecture.md").read_text()
    assert re.search(r"^\s*- backend: 1 task\(s\) in ", guide, flags=re.M), guide
    assert not re.search(r"^\s*- backend: 3 task\(s\)", guide, flags=re.M)
