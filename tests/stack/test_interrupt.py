"""Interrupted runs (issue 6): a cold site.yml stopped at any point, then rerun, ends as if uninterrupted.

Each case wipes the emulator, starts a cold ``site.yml`` in its own session and stops it at one
point: right after the AWS call that creates a resource. The playbook talks to the emulator
through a small loopback forwarder (``Gate``) which, once that call has been answered, holds every
later AWS request unanswered, so the module is cut off exactly between creating a resource and
whatever it does next (the resource that depends on it, the next item, the next task), however
slow the machine. Some cases send SIGINT to the process group, as Ctrl-C in a terminal does; the
others SIGKILL the whole group, as a lost CI runner or an OOM kill would. Then site.yml runs again
to completion and the emulator must hold exactly the stack of an uninterrupted run: the stack
checker finds nothing, no resource exists twice, no network interface is left without the NAT
gateway or mount target that owns it, and the VPC has exactly the default security group and the
stack's five.

Each case costs a partial and a full run (3-5 minutes on a busy 2-core machine); the reruns skip
the report tier, which only reads.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import re
import signal
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import BIN, REPO, run_playbook

from .stack_checks import check_stack, inventory_values

# scripts/aws_proxy.py knows how to name the service and action of an AWS request
_spec = importlib.util.spec_from_file_location("aws_proxy", REPO / "scripts" / "aws_proxy.py")
aws_proxy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(aws_proxy)

ENV = "production"


class Point:
    def __init__(self, name, call, sig, tier):
        self.name, self.call, self.sig, self.tier = name, call, sig, tier

    def __repr__(self):
        return self.name


# (service, action) as scripts/aws_proxy.py names them (REST calls: "METHOD path"); the run is
# stopped as soon as the emulator's answer to the first such call has gone back to the module.
POINTS = [
    Point("vpc-created", ("ec2", "CreateVpc"), signal.SIGKILL, "network"),
    Point("nat-eip-allocated", ("ec2", "AllocateAddress"), signal.SIGKILL, "network"),
    Point("first-mount-target", ("elasticfilesystem", "POST /2015-02-01/mount-targets"), signal.SIGINT, "data"),
    Point("alb-without-listeners", ("elasticloadbalancing", "CreateLoadBalancer"), signal.SIGKILL, "alb"),
    Point("first-service-created", ("ecs", "CreateService"), signal.SIGINT, "ecs_services"),
]

# What an uninterrupted site.yml leaves in a wiped emulator (production inventory), counted
# over the whole region, so that a duplicate without the stack's names is counted too.
EXPECTED = {
    "vpcs (not default)": 1,
    "subnets (not default)": 4,
    "internet gateways (not on the default VPC)": 1,
    "nat gateways (any state)": 1,
    "elastic ips": 1,
    "route tables in the vpc": 3,
    "security groups in the vpc": ["default", "production-alb-sg", "production-ecs-sg", "production-efs-sg",
                                   "production-rds-sg", "production-redis-sg"],
    "load balancers": 1,
    "listeners": 1,
    "listener rules": 3,
    "target groups": 2,
    "db instances": 1,
    "db subnet groups": 1,
    "replication groups": 1,
    "cache subnet groups (not default)": 1,
    "file systems": 1,
    "mount targets": 2,
    "access points": 1,
    "secrets": 1,
    "repositories": 2,
    "ecs clusters (active)": 1,
    "ecs services (active)": 2,
    "task definitions (active revisions)": {"production-backend": 1, "production-frontend": 1},
    "log groups": 2,
    "iam roles of the stack": 2,
    "sns topics": 1,
    "dashboards": 1,
}


def region_inventory(aws) -> tuple[dict, dict]:
    """(counts of what the stack creates, network interfaces of the stack's VPC by owner)."""
    ec2 = aws.client("ec2")
    vpcs = ec2.describe_vpcs()["Vpcs"]
    default_vpcs = {v["VpcId"] for v in vpcs if v.get("IsDefault")}
    stack_vpcs = [v["VpcId"] for v in vpcs if not v.get("IsDefault")]
    inv = {
        "vpcs (not default)": len(stack_vpcs),
        "subnets (not default)": len([s for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] not in default_vpcs]),
        "internet gateways (not on the default VPC)": len([
            g for g in ec2.describe_internet_gateways()["InternetGateways"]
            if not {a.get("VpcId") for a in g.get("Attachments", [])} & default_vpcs]),
        "nat gateways (any state)": len(ec2.describe_nat_gateways()["NatGateways"]),
        "elastic ips": len(ec2.describe_addresses()["Addresses"]),
    }
    flt = [{"Name": "vpc-id", "Values": stack_vpcs[:1] or ["none"]}]
    inv["route tables in the vpc"] = len(ec2.describe_route_tables(Filters=flt)["RouteTables"])
    inv["security groups in the vpc"] = sorted(g["GroupName"] for g in ec2.describe_security_groups(Filters=flt)["SecurityGroups"])

    elb = aws.client("elbv2")
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    listeners = [x for lb in lbs for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]]
    inv["load balancers"] = len(lbs)
    inv["listeners"] = len(listeners)
    inv["listener rules"] = sum(len(elb.describe_rules(ListenerArn=x["ListenerArn"])["Rules"]) for x in listeners)
    inv["target groups"] = len(elb.describe_target_groups()["TargetGroups"])

    rds = aws.client("rds")
    inv["db instances"] = len(rds.describe_db_instances()["DBInstances"])
    inv["db subnet groups"] = len(rds.describe_db_subnet_groups()["DBSubnetGroups"])
    ec = aws.client("elasticache")
    inv["replication groups"] = len(ec.describe_replication_groups()["ReplicationGroups"])
    inv["cache subnet groups (not default)"] = len([g for g in ec.describe_cache_subnet_groups()["CacheSubnetGroups"]
                                                    if g["CacheSubnetGroupName"] != "default"])

    efs = aws.client("efs")
    fss = efs.describe_file_systems()["FileSystems"]
    mts = [m for f in fss for m in efs.describe_mount_targets(FileSystemId=f["FileSystemId"])["MountTargets"]]
    inv["file systems"] = len(fss)
    inv["mount targets"] = len(mts)
    inv["access points"] = len(efs.describe_access_points()["AccessPoints"])

    inv["secrets"] = len(aws.client("secretsmanager").list_secrets()["SecretList"])
    inv["repositories"] = len(aws.client("ecr").describe_repositories()["repositories"])
    ecs = aws.client("ecs")
    clusters = [c for c in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"])["clusters"]
                if c["status"] == "ACTIVE"] if ecs.list_clusters()["clusterArns"] else []
    inv["ecs clusters (active)"] = len(clusters)
    services = 0
    for c in clusters:
        arns = ecs.list_services(cluster=c["clusterArn"])["serviceArns"]
        if arns:
            services += len([s for s in ecs.describe_services(cluster=c["clusterArn"], services=arns)["services"]
                             if s["status"] == "ACTIVE"])
    inv["ecs services (active)"] = services
    families = {}
    for arn in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]:
        family = arn.rsplit("/", 1)[1].rsplit(":", 1)[0]
        families[family] = families.get(family, 0) + 1
    inv["task definitions (active revisions)"] = families
    inv["log groups"] = len(aws.client("logs").describe_log_groups()["logGroups"])
    inv["iam roles of the stack"] = len([r for r in aws.client("iam").list_roles()["Roles"]
                                         if r["RoleName"].startswith(f"{ENV}-")])
    inv["sns topics"] = len(aws.client("sns").list_topics()["Topics"])
    inv["dashboards"] = len(aws.client("cloudwatch").list_dashboards()["DashboardEntries"])

    # every network interface in the stack's VPC belongs to a live NAT gateway or a mount target
    owners = {}
    for nat in ec2.describe_nat_gateways()["NatGateways"]:
        if nat["State"] in ("pending", "available"):
            for a in nat.get("NatGatewayAddresses", []):
                owners[a.get("NetworkInterfaceId")] = "nat " + nat["NatGatewayId"]
    for m in mts:
        owners[m.get("NetworkInterfaceId")] = "mount target " + m["MountTargetId"]
    enis = {}
    if stack_vpcs:
        for eni in ec2.describe_network_interfaces(Filters=flt)["NetworkInterfaces"]:
            enis[eni["NetworkInterfaceId"]] = owners.get(eni["NetworkInterfaceId"], "ORPHAN: " + (eni.get("Description") or "no description"))
    return inv, enis


class Gate:
    """A loopback forwarder to ``target`` that, once ``call`` has been answered with a success,
    holds every later AWS request unanswered (until ``stop``): the run can change nothing more."""

    def __init__(self, target: str, call: tuple[str, str]):
        self.target, self.call = urllib.parse.urlparse(target), call
        self.tripped, self.released = threading.Event(), threading.Event()
        self.calls: list[tuple[str, str, int]] = []
        self.held: list[tuple[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "Gate":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                service, action, protocol = aws_proxy.describe(self.headers, self.path, body)
                if protocol == "rest":
                    action = "%s %s" % (self.command, urllib.parse.urlparse(self.path).path)
                if gate.tripped.is_set() and not self.path.startswith("/moto-api"):
                    gate.held.append((service, action))
                    gate.released.wait(900)
                    self.close_connection = True
                    return  # never answered: the caller is stopped meanwhile
                conn = http.client.HTTPConnection(gate.target.hostname, gate.target.port, timeout=300)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in aws_proxy.HOP_HEADERS}
                headers["Host"] = self.headers.get("Host", gate.target.netloc)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                    out = [(k, v) for k, v in resp.getheaders() if k.lower() not in aws_proxy.HOP_HEADERS]
                finally:
                    conn.close()
                gate.calls.append((service, action, resp.status))
                if (service, action) == gate.call and resp.status < 300:
                    gate.tripped.set()  # before the answer goes out: the caller's next call is held
                self.send_response(resp.status)
                for k, v in out:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        return Handler


def interrupted_run(aws, point, out_path, timeout=1200):
    """Start a cold site.yml through a ``Gate`` and stop it when ``point.call`` has been answered.

    Returns (seconds until the stop, return code, output, the first AWS call held back).
    """
    gate = Gate(aws.url, point.call).start()
    env = aws.env(AWS_ENDPOINT_URL=gate.url, PYTHONUNBUFFERED="1")
    cmd = [str(BIN / "ansible-playbook"), "site.yml", "-i", f"inventories/{ENV}", "--skip-tags", "report"]
    started = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not gate.tripped.wait(0.2):
            if proc.poll() is not None:
                pytest.fail(f"site.yml ended (rc {proc.returncode}) before {point.call} was answered:\n"
                            + out_path.read_text()[-4000:])
            if time.monotonic() - started > timeout:
                pytest.fail(f"no {point.call} within {timeout}s:\n" + out_path.read_text()[-4000:])
        # let the module reach its next AWS call (held by the gate), or end its task, then stop
        deadline = time.monotonic() + 30
        while not gate.held and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        stopped_at = time.monotonic() - started
        os.killpg(proc.pid, point.sig)  # the whole group: ansible-playbook, its worker, the module
        try:
            rc = proc.wait(120)
        except subprocess.TimeoutExpired:
            rc = None
    finally:
        try:  # nothing of the run may live on after the test (SIGINT normally leaves nothing either)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(30)
        gate.stop()
    return stopped_at, rc, out_path.read_text(), (gate.held or [None])[0]


# The points are split over two files (this one and test_interrupt_late.py) so that two xdist
# workers share them: --dist loadfile keeps a file on one worker, and five cases are the suite's
# longest file.
EARLY, LATE = POINTS[:3], POINTS[3:]


@pytest.mark.parametrize("point", EARLY, ids=repr)
def test_interrupted_site_converges_on_rerun(aws, point, tmp_path):
    interrupted_site_converges_on_rerun(aws, point, tmp_path)


def interrupted_site_converges_on_rerun(aws, point, tmp_path):
    stopped_at, rc, out, held = interrupted_run(aws, point, tmp_path / "interrupted.out")
    partial, _ = region_inventory(aws)
    print(f"{point.name}: {signal.Signals(point.sig).name} after {stopped_at:.0f}s, rc {rc}, "
          f"next call held back: {held}; left behind: "
          + ", ".join(f"{k} {v}" for k, v in partial.items() if v and not isinstance(v, list)))
    assert rc != 0, "site.yml was not stopped:\n" + out[-3000:]
    assert "PLAY RECAP" not in out, "site.yml finished before the stop: the point was not mid-run\n" + out[-3000:]
    # the play of the tier: "Tier <tier>: ...", or "Tiers ... side by side" naming it (playbooks/tiers.yml)
    play = out.rsplit("PLAY [", 1)[-1].split("]", 1)[0]
    assert play.startswith("Tier") and re.search(r"\b%s\b" % point.tier, play), f"not stopped in the {point.tier} tier:\n" + out[-3000:]

    rerun = run_playbook(aws, "site.yml", inventory=f"inventories/{ENV}", args=["--skip-tags", "report"])
    assert rerun.rc == 0, f"site.yml after the stop at {point.name} failed:\n{rerun}"

    problems = check_stack(aws.client, inventory_values(ENV))
    assert problems == [], f"after the stop at {point.name} and a rerun:\n" + "\n".join(problems)
    inv, enis = region_inventory(aws)
    diff = {k: (inv.get(k), want) for k, want in EXPECTED.items() if inv.get(k) != want}
    assert diff == {}, f"after the stop at {point.name} and a rerun, (found, expected): {diff}"
    orphans = {k: v for k, v in enis.items() if v.startswith("ORPHAN")}
    assert orphans == {}, f"network interfaces nothing owns: {orphans} (all: {enis})"
    assert len(enis) == 3, f"expected the NAT's and two mount targets' interfaces: {enis}"
