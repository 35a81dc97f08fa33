"""scripts/aws_model.py through scripts/aws_proxy.py --aws-model, in front of a moto server.

One moto_server and one in-process proxy (free loopback ports) serve the module; every test
starts from POST /moto-api/reset through the proxy (which wipes the model too) and drives a fake
clock at time scale 1, so an AWS duration passes in no time. boto3 calls through the proxy show
that every modelled refusal reaches botocore as a ClientError with AWS's code.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[3]

import aws_model
import aws_proxy

REGION = "us-east-1"
MOTO = Path(sys.executable).parent / "moto_server"


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t

    def advance(self, seconds):
        self.t += seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def stack():
    port = _free_port()
    moto = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=dict(os.environ))
    moto_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(moto_url + "/moto-api/", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or moto.poll() is not None:
                moto.kill()
                raise RuntimeError("moto_server did not start")
            time.sleep(0.1)
    server = aws_proxy.make_server(["--listen", "127.0.0.1:0", "--target", moto_url, "--aws-model", "--time-scale", "1"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = "http://127.0.0.1:%d" % server.server_address[1]
    yield url, aws_proxy.Proxy.model
    server.shutdown()
    server.server_close()
    moto.terminate()
    moto.wait(10)


@pytest.fixture
def env(stack):
    url, model = stack
    urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=60)
    clock = Clock()
    model.clock, model.scale, model.page_size, model.lost_replies = clock, 1.0, 0, 0.0

    class Env:
        pass

    e = Env()
    e.url, e.model, e.clock = url, model, clock
    e.client = lambda svc: boto3.client(svc, region_name=REGION, endpoint_url=url, aws_access_key_id="testing",
                                        aws_secret_access_key="testing", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    return e


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response["Error"]["Code"]


def network(e):
    ec2 = e.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    e.clock.advance(aws_model.EC2_CONSISTENCY)
    return ec2, vpc, subnets, sg


# --------------------------------------------------------------------------------------------
# pure functions

def test_bump_minor_and_pages():
    assert aws_model.bump_minor("16.4") == "16.5"
    assert aws_model.bump_minor("8.0.35") == "8.0.36"
    assert aws_model.bump_minor("16") == "16"
    items = list(range(5))
    assert aws_model.page(items, 0, 2) == ([0, 1], "awsmodel-2")
    assert aws_model.page(items, 4, 2) == ([4], None)
    assert aws_model.token_offset("awsmodel-4") == 4 and aws_model.token_offset("moto-token") is None
    assert aws_model.plist({"A.member.2": "y", "A.member.1": "x", "B.1": "z"}, "A") == ["x", "y"]


def test_cli_needs_aws_model_for_its_options():
    with pytest.raises(SystemExit):
        aws_proxy.make_server(["--listen", "127.0.0.1:0", "--time-scale", "1"])


# --------------------------------------------------------------------------------------------
# EC2: NAT gateway, EIP, IGW, eventual consistency

def test_nat_gateway_lifecycle_holds_eip_and_igw(env):
    ec2, vpc, subnets, _sg = network(env)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=alloc)["NatGateway"]
    assert nat["State"] == "pending"
    nat_id = nat["NatGatewayId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    # EC2 eventual consistency: the new id is unknown for a moment
    assert code_of(ec2.describe_nat_gateways, NatGatewayIds=[nat_id]) == "NatGatewayNotFound"
    assert code_of(ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id) == \
        "InvalidNatGatewayID.NotFound"
    env.clock.advance(aws_model.EC2_CONSISTENCY)
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"] == "pending"
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)  # AWS accepts a pending target
    env.clock.advance(aws_model.NAT_CREATE)
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"] == "available"
    assert code_of(ec2.release_address, AllocationId=alloc) == "InvalidIPAddress.InUse"
    assert code_of(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc) == "DependencyViolation"
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"] == "deleting"
    assert code_of(ec2.release_address, AllocationId=alloc) == "InvalidIPAddress.InUse"
    assert code_of(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc) == "DependencyViolation"
    assert code_of(ec2.delete_subnet, SubnetId=subnets[0]) == "DependencyViolation"
    env.clock.advance(aws_model.NAT_DELETE)
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"] == "deleted"
    ec2.release_address(AllocationId=alloc)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)


def test_new_subnet_and_security_group_not_found_at_first(env):
    ec2 = env.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="x", Description="x", VpcId=vpc)["GroupId"]
    assert code_of(ec2.describe_subnets, SubnetIds=[subnet]) == "InvalidSubnetID.NotFound"
    assert code_of(ec2.describe_security_groups, GroupIds=[sg]) == "InvalidGroup.NotFound"
    env.clock.advance(aws_model.EC2_CONSISTENCY)
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["SubnetId"] == subnet
    assert ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["GroupId"] == sg


# --------------------------------------------------------------------------------------------
# RDS

def _db(env, subnets, sg, **kw):
    rds = env.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="dbsub", DBSubnetGroupDescription="d", SubnetIds=subnets)
    args = dict(DBInstanceIdentifier="db1", DBInstanceClass="db.t3.micro", Engine="postgres", EngineVersion="16.4",
                MasterUsername="app", MasterUserPassword="secret123456", AllocatedStorage=20, DBSubnetGroupName="dbsub",
                VpcSecurityGroupIds=[sg])
    args.update(kw)
    return rds, rds.create_db_instance(**args)["DBInstance"]


def test_db_instance_creating_refusals_and_deleting(env):
    ec2, _vpc, subnets, sg = network(env)
    rds, db = _db(env, subnets, sg)
    assert db["DBInstanceStatus"] == "creating" and "Endpoint" not in db
    got = rds.describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
    assert got["DBInstanceStatus"] == "creating" and "Endpoint" not in got and got.get("DbInstancePort", 0) == 0
    assert code_of(rds.modify_db_instance, DBInstanceIdentifier="db1", BackupRetentionPeriod=3, ApplyImmediately=True) == \
        "InvalidDBInstanceState"
    assert code_of(rds.delete_db_instance, DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="final") == "InvalidDBInstanceState"
    env.clock.advance(aws_model.DB_CREATE)
    got = rds.describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
    assert got["DBInstanceStatus"] == "available" and got["Endpoint"]["Address"]
    rds.modify_db_instance(DBInstanceIdentifier="db1", BackupRetentionPeriod=3, ApplyImmediately=True)
    assert code_of(rds.delete_db_subnet_group, DBSubnetGroupName="dbsub") == "InvalidDBSubnetGroupStateFault"
    assert rds.delete_db_instance(DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="final")["DBInstance"]["DBInstanceStatus"] == \
        "deleting"
    assert rds.describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]["DBInstanceStatus"] == "deleting"
    assert [d["DBInstanceStatus"] for d in rds.describe_db_instances()["DBInstances"]] == ["deleting"]
    assert code_of(rds.modify_db_instance, DBInstanceIdentifier="db1", BackupRetentionPeriod=2) == "InvalidDBInstanceState"
    assert code_of(rds.delete_db_subnet_group, DBSubnetGroupName="dbsub") == "InvalidDBSubnetGroupStateFault"
    assert code_of(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"
    assert code_of(ec2.delete_subnet, SubnetId=subnets[1]) == "DependencyViolation"
    env.clock.advance(aws_model.DB_DELETE)
    assert code_of(rds.describe_db_instances, DBInstanceIdentifier="db1") == "DBInstanceNotFound"
    assert rds.describe_db_instances()["DBInstances"] == []
    assert rds.describe_db_snapshots(DBSnapshotIdentifier="final")["DBSnapshots"]
    rds.delete_db_subnet_group(DBSubnetGroupName="dbsub")
    ec2.delete_security_group(GroupId=sg)


def test_db_instance_created_again_under_its_name_after_a_delete_that_kept_its_automated_backups(env):
    # moto names an instance's automated snapshot rds:<id>-<minute> and keeps it after a delete with
    # DeleteAutomatedBackups=false, so a second instance of that name made in the same minute was refused
    # (DBSnapshotAlreadyExists); AWS keys retained automated backups by DbiResourceId and creates it
    _ec2, _vpc, subnets, sg = network(env)
    rds, _db_ = _db(env, subnets, sg)
    env.clock.advance(aws_model.DB_CREATE)
    rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True, DeleteAutomatedBackups=False)
    env.clock.advance(aws_model.DB_DELETE)
    assert code_of(rds.describe_db_instances, DBInstanceIdentifier="db1") == "DBInstanceNotFound"
    again = rds.create_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.t3.micro", Engine="postgres",
                                   MasterUsername="u", MasterUserPassword="p" * 12, AllocatedStorage=20,
                                   DBSubnetGroupName="dbsub", VpcSecurityGroupIds=[sg])["DBInstance"]
    assert again["DBInstanceStatus"] == "creating"
    # a live instance's automated backups are left alone: a second create of a live name is refused as before
    assert code_of(rds.create_db_instance, DBInstanceIdentifier="db1", DBInstanceClass="db.t3.micro", Engine="postgres",
                   MasterUsername="u", MasterUserPassword="p" * 12, AllocatedStorage=20) == "DBInstanceAlreadyExists"
    assert rds.describe_db_snapshots(DBInstanceIdentifier="db1", SnapshotType="automated")["DBSnapshots"]


def test_rds_minor_upgrade_endpoint(env):
    env.model.scale = 0.0
    _ec2, _vpc, subnets, sg = network(env)
    rds, _db_ = _db(env, subnets, sg)
    with urllib.request.urlopen(urllib.request.Request(env.url + "/aws-model/rds-minor-upgrade", method="POST"), timeout=30) as r:
        answer = json.loads(r.read())
    assert answer["upgraded"] == [{"db_instance": "db1", "from": "16.4", "to": "16.5"}]
    assert rds.describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]["EngineVersion"] == "16.5"


# --------------------------------------------------------------------------------------------
# ElastiCache

def _cache(env, subnets, sg, members=1):
    ec = env.client("elasticache")
    ec.create_cache_subnet_group(CacheSubnetGroupName="csg", CacheSubnetGroupDescription="c", SubnetIds=subnets)
    rg = ec.create_replication_group(ReplicationGroupId="redis1", ReplicationGroupDescription="r", Engine="redis",
                                     EngineVersion="7.0", CacheNodeType="cache.t3.micro", NumCacheClusters=members,
                                     CacheSubnetGroupName="csg", SecurityGroupIds=[sg], AtRestEncryptionEnabled=True,
                                     TransitEncryptionEnabled=True, PreferredCacheClusterAZs=[f"{REGION}b"])["ReplicationGroup"]
    return ec, rg


def test_replication_group_lifecycle_and_members(env):
    ec2, vpc, subnets, sg = network(env)
    ec, rg = _cache(env, subnets, sg)
    assert rg["Status"] == "creating"
    got = ec.describe_replication_groups(ReplicationGroupId="redis1")["ReplicationGroups"][0]
    assert got["Status"] == "creating" and "PrimaryEndpoint" not in got and "ConfigurationEndpoint" not in got
    assert all("PrimaryEndpoint" not in ng and "ReaderEndpoint" not in ng for ng in got.get("NodeGroups", []))
    member = got["MemberClusters"][0]
    cluster = ec.describe_cache_clusters(CacheClusterId=member)["CacheClusters"][0]
    assert cluster["CacheClusterStatus"] == "creating" and cluster["ReplicationGroupId"] == "redis1"
    assert code_of(ec.modify_replication_group, ReplicationGroupId="redis1", SnapshotRetentionLimit=1, ApplyImmediately=True) == \
        "InvalidReplicationGroupState"
    assert code_of(ec.delete_replication_group, ReplicationGroupId="redis1") == "InvalidReplicationGroupState"
    env.clock.advance(aws_model.RG_CREATE)
    got = ec.describe_replication_groups(ReplicationGroupId="redis1")["ReplicationGroups"][0]
    assert got["Status"] == "available" and got["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    sg2 = ec2.create_security_group(GroupName="app2", Description="app2", VpcId=vpc)["GroupId"]
    ec.modify_replication_group(ReplicationGroupId="redis1", SecurityGroupIds=[sg2], EngineVersion="7.1", ApplyImmediately=True)
    cluster = ec.describe_cache_clusters(CacheClusterId=member, ShowCacheNodeInfo=True)["CacheClusters"][0]
    assert cluster["CacheClusterStatus"] == "available"
    assert cluster["EngineVersion"] == "7.1" and cluster["CacheSubnetGroupName"] == "csg" and cluster["Engine"] == "redis"
    assert cluster["SecurityGroups"] == [{"SecurityGroupId": sg2, "Status": "active"}]
    assert cluster["PreferredAvailabilityZone"] == f"{REGION}b" and cluster["CacheNodeType"] == "cache.t3.micro"
    assert cluster["AtRestEncryptionEnabled"] is True and cluster["TransitEncryptionEnabled"] is True
    assert cluster["CacheNodes"][0]["Endpoint"]["Port"] == 6379
    assert member in [c["CacheClusterId"] for c in ec.describe_cache_clusters()["CacheClusters"]]
    assert code_of(ec.delete_cache_subnet_group, CacheSubnetGroupName="csg") == "CacheSubnetGroupInUse"
    ec.delete_replication_group(ReplicationGroupId="redis1")
    assert ec.describe_replication_groups(ReplicationGroupId="redis1")["ReplicationGroups"][0]["Status"] == "deleting"
    assert code_of(ec.delete_cache_subnet_group, CacheSubnetGroupName="csg") == "CacheSubnetGroupInUse"
    assert code_of(ec2.delete_security_group, GroupId=sg2) == "DependencyViolation"
    env.clock.advance(aws_model.RG_DELETE)
    assert code_of(ec.describe_replication_groups, ReplicationGroupId="redis1") == "ReplicationGroupNotFoundFault"
    assert ec.describe_replication_groups()["ReplicationGroups"] == []
    assert code_of(ec.describe_cache_clusters, CacheClusterId=member) == "CacheClusterNotFound"
    ec.delete_cache_subnet_group(CacheSubnetGroupName="csg")
    assert ec.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    assert code_of(ec.describe_cache_subnet_groups, CacheSubnetGroupName="csg") == "CacheSubnetGroupNotFoundFault"
    ec2.delete_security_group(GroupId=sg2)


def test_cache_gaps_filled_at_time_scale_zero(env):
    env.model.scale = 0.0
    _ec2, _vpc, subnets, sg = network(env)
    ec, rg = _cache(env, subnets, sg, members=2)
    assert rg["Status"] == "available" and rg["MemberClusters"] == ["redis1-001", "redis1-002"]
    assert [c["CacheClusterId"] for c in ec.describe_cache_clusters(CacheClusterId="redis1-002")["CacheClusters"]] == ["redis1-002"]
    cluster = ec.describe_cache_clusters(CacheClusterId=rg["MemberClusters"][0])["CacheClusters"][0]
    assert cluster["SecurityGroups"] == [{"SecurityGroupId": sg, "Status": "active"}] and cluster["EngineVersion"] == "7.0"
    ec.delete_replication_group(ReplicationGroupId="redis1")
    assert code_of(ec.describe_replication_groups, ReplicationGroupId="redis1") == "ReplicationGroupNotFoundFault"
    ec.delete_cache_subnet_group(CacheSubnetGroupName="csg")
    assert code_of(ec.delete_cache_subnet_group, CacheSubnetGroupName="csg") == "CacheSubnetGroupNotFoundFault"


def test_cache_names_can_be_used_again(env):
    """A rebuild after a teardown: the same cache subnet group and replication group names again."""
    env.model.scale = 0.0
    ec2, vpc, subnets, sg = network(env)
    ec, _rg = _cache(env, subnets, sg)
    ec.delete_replication_group(ReplicationGroupId="redis1")
    ec.delete_cache_subnet_group(CacheSubnetGroupName="csg")
    new = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.9.0/24", AvailabilityZone=f"{REGION}c")["Subnet"]["SubnetId"]
    ec.create_cache_subnet_group(CacheSubnetGroupName="csg", CacheSubnetGroupDescription="again", SubnetIds=[new])
    group = ec.describe_cache_subnet_groups(CacheSubnetGroupName="csg")["CacheSubnetGroups"][0]
    assert [x["SubnetIdentifier"] for x in group["Subnets"]] == [new] and group["VpcId"] == vpc
    assert group["Subnets"][0]["SubnetAvailabilityZone"]["Name"] == f"{REGION}c"
    ec.modify_cache_subnet_group(CacheSubnetGroupName="csg", SubnetIds=[new, subnets[0]])  # moto: not implemented
    group = ec.describe_cache_subnet_groups()["CacheSubnetGroups"][0]
    assert [x["SubnetIdentifier"] for x in group["Subnets"]] == [new, subnets[0]]
    env.model.scale = 1.0
    env.clock.advance(aws_model.RG_DELETE)  # (the time scale changed: the first group's deletion is over)
    rg = ec.create_replication_group(ReplicationGroupId="redis1", ReplicationGroupDescription="again", Engine="redis",
                                     CacheNodeType="cache.t3.micro", CacheSubnetGroupName="csg",
                                     SecurityGroupIds=[sg])["ReplicationGroup"]
    assert rg["ReplicationGroupId"] == "redis1" and rg["Status"] == "creating" and rg["MemberClusters"] == ["redis1-001"]
    assert [(g["ReplicationGroupId"], g["Status"]) for g in ec.describe_replication_groups()["ReplicationGroups"]] == \
        [("redis1", "creating")]
    env.clock.advance(aws_model.RG_CREATE)
    got = ec.describe_replication_groups(ReplicationGroupId="redis1")["ReplicationGroups"][0]
    assert got["Status"] == "available" and got["ARN"].endswith(":replicationgroup:redis1")
    assert ec.describe_cache_clusters(CacheClusterId="redis1-001")["CacheClusters"][0]["ReplicationGroupId"] == "redis1"
    ec.add_tags_to_resource(ResourceName=got["ARN"], Tags=[{"Key": "Name", "Value": "again"}])
    assert ec.list_tags_for_resource(ResourceName=got["ARN"])["TagList"] == [{"Key": "Name", "Value": "again"}]
    assert code_of(ec.delete_cache_subnet_group, CacheSubnetGroupName="csg") == "CacheSubnetGroupInUse"
    ec.delete_replication_group(ReplicationGroupId="redis1")
    env.clock.advance(aws_model.RG_DELETE)
    assert code_of(ec.describe_replication_groups, ReplicationGroupId="redis1") == "ReplicationGroupNotFoundFault"
    ec.delete_cache_subnet_group(CacheSubnetGroupName="csg")


# --------------------------------------------------------------------------------------------
# ELBv2

def test_load_balancer_provisioning_and_released_enis(env):
    ec2, vpc, subnets, sg = network(env)
    elb = env.client("elbv2")
    lb = elb.create_load_balancer(Name="alb", Subnets=subnets, SecurityGroups=[sg])["LoadBalancers"][0]
    assert lb["State"]["Code"] == "provisioning"
    arn = lb["LoadBalancerArn"]
    env.clock.advance(aws_model.LB_CREATE)
    assert elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"] == "active"
    tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    elb.delete_load_balancer(LoadBalancerArn=arn)
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert code_of(elb.delete_target_group, TargetGroupArn=tg) == "ResourceInUse"
    assert code_of(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"
    assert code_of(ec2.delete_subnet, SubnetId=subnets[1]) == "DependencyViolation"
    env.clock.advance(aws_model.LB_TG_IN_USE)
    elb.delete_target_group(TargetGroupArn=tg)
    assert code_of(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"
    env.clock.advance(aws_model.LB_ENI_RELEASE - aws_model.LB_TG_IN_USE)
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=subnets[1])


# --------------------------------------------------------------------------------------------
# EFS

def test_file_system_and_mount_targets(env):
    ec2, _vpc, subnets, sg = network(env)
    efs = env.client("efs")
    fs = efs.create_file_system(CreationToken="tok-1")
    assert fs["LifeCycleState"] == "creating"
    fs_id = fs["FileSystemId"]
    assert code_of(efs.create_mount_target, FileSystemId=fs_id, SubnetId=subnets[0], SecurityGroups=[sg]) == \
        "IncorrectFileSystemLifeCycleState"
    assert code_of(efs.create_access_point, FileSystemId=fs_id) == "IncorrectFileSystemLifeCycleState"
    env.clock.advance(aws_model.EFS_CREATE)
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["LifeCycleState"] == "available"
    assert code_of(efs.create_file_system, CreationToken="tok-1") == "FileSystemAlreadyExists"
    env.model.lost_replies = 1.0  # rest-json 500; the retry with the same ClientToken answers the first answer
    assert code_of(efs.create_access_point, FileSystemId=fs_id, ClientToken="ap-tok") == "InternalFailure"
    env.model.lost_replies = 0.0
    ap = efs.create_access_point(FileSystemId=fs_id, ClientToken="ap-tok")["AccessPointId"]
    assert [a["AccessPointId"] for a in efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]] == [ap]
    efs.delete_access_point(AccessPointId=ap)
    mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnets[0], SecurityGroups=[sg])
    assert mt["LifeCycleState"] == "creating"
    assert efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"][0]["LifeCycleState"] == "creating"
    env.clock.advance(aws_model.MT_CREATE)
    assert efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"][0]["LifeCycleState"] == "available"
    efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
    assert [m["LifeCycleState"] for m in efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]] == ["deleting"]
    assert efs.describe_mount_targets(MountTargetId=mt["MountTargetId"])["MountTargets"][0]["LifeCycleState"] == "deleting"
    assert code_of(efs.delete_file_system, FileSystemId=fs_id) == "FileSystemInUse"
    assert code_of(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"
    env.clock.advance(aws_model.MT_DELETE)
    assert efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"] == []
    efs.delete_file_system(FileSystemId=fs_id)
    ec2.delete_security_group(GroupId=sg)


# --------------------------------------------------------------------------------------------
# ECS

def _ecs(env):
    ecs = env.client("ecs")
    if env.model.scale:
        ecs.list_clusters()  # a describe creates no service-linked role ...
        env.clock.advance(aws_model.ECS_SLR)
        assert code_of(ecs.create_cluster, clusterName="c1") == "InvalidParameterException"  # ... the first create does
        env.clock.advance(aws_model.ECS_SLR)
    ecs.create_cluster(clusterName="c1")
    td = {"family": "app", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
          "containerDefinitions": [{"name": "app", "image": "nginx", "essential": True}]}
    first = ecs.register_task_definition(**td)["taskDefinition"]["taskDefinitionArn"]
    second = ecs.register_task_definition(**td)["taskDefinition"]["taskDefinitionArn"]
    return ecs, first, second


def test_service_rollout_drain_and_cluster_delete(env):
    ec2, _vpc, subnets, sg = network(env)
    ecs, first, second = _ecs(env)
    net = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}
    ecs.create_service(cluster="c1", serviceName="web", taskDefinition=first, desiredCount=2, launchType="FARGATE",
                       networkConfiguration=net)
    svc = ecs.describe_services(cluster="c1", services=["web"])["services"][0]
    assert svc["deployments"][0]["rolloutState"] == "IN_PROGRESS" and svc["runningCount"] == 0
    assert code_of(ecs.create_service, cluster="c1", serviceName="web", taskDefinition=first) == "InvalidParameterException"
    env.clock.advance(aws_model.ECS_ROLLOUT)
    svc = ecs.describe_services(cluster="c1", services=["web"])["services"][0]
    assert [(d["status"], d["rolloutState"], d["runningCount"], d["taskDefinition"]) for d in svc["deployments"]] == \
        [("PRIMARY", "COMPLETED", 2, first)]
    assert svc["runningCount"] == svc["desiredCount"] == 2 and svc["pendingCount"] == 0
    ecs.update_service(cluster="c1", service="web", taskDefinition=second)
    svc = ecs.describe_services(cluster="c1", services=["web"])["services"][0]
    assert svc["deployments"][0]["taskDefinition"] == second and svc["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert svc["deployments"][0]["runningCount"] == 0 and len(svc["deployments"]) == 2
    env.clock.advance(aws_model.ECS_ROLLOUT)
    svc = ecs.describe_services(cluster="c1", services=["web"])["services"][0]
    assert [(d["status"], d["rolloutState"], d["taskDefinition"]) for d in svc["deployments"]] == [("PRIMARY", "COMPLETED", second)]
    assert code_of(ecs.delete_cluster, cluster="c1") == "ClusterContainsServicesException"
    assert code_of(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"
    ecs.update_service(cluster="c1", service="web", desiredCount=0)
    ecs.delete_service(cluster="c1", service="web")
    assert ecs.describe_services(cluster="c1", services=["web"])["services"][0]["status"] == "DRAINING"
    assert ecs.list_services(cluster="c1")["serviceArns"] == []
    assert code_of(ecs.create_service, cluster="c1", serviceName="web", taskDefinition=first) == "InvalidParameterException"
    assert code_of(ecs.delete_cluster, cluster="c1") == "ClusterContainsServicesException"
    assert code_of(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"
    env.clock.advance(aws_model.ECS_DRAIN)
    assert ecs.describe_services(cluster="c1", services=["web"])["services"][0]["status"] == "INACTIVE"
    ecs.delete_cluster(cluster="c1")
    ec2.delete_security_group(GroupId=sg)


# --------------------------------------------------------------------------------------------
# pagination, idempotency tokens, lost replies

def test_small_pages(env):
    env.model.page_size = 2
    ec2, vpc, _subnets, _sg = network(env)
    for i in range(3):
        ec2.create_security_group(GroupName=f"g{i}", Description="g", VpcId=vpc)
        ec2.create_route_table(VpcId=vpc)
    first = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    assert len(first["SecurityGroups"]) == 2 and first["NextToken"]

    def whole_pages(request, **kwargs):
        request.headers[aws_model.WHOLE_PAGES_HEADER] = "off"

    ec2.meta.events.register("before-send", whole_pages)
    whole = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    assert len(whole["SecurityGroups"]) == 5 and not whole.get("NextToken")  # a test's own reads: no pages
    ec2.meta.events.unregister("before-send", whole_pages)
    every = [g for p in ec2.get_paginator("describe_security_groups").paginate(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
             for g in p["SecurityGroups"]]
    assert len(every) == 5  # default + app + g0..g2
    tables = [t for p in ec2.get_paginator("describe_route_tables").paginate() for t in p["RouteTables"]]
    assert len({t["RouteTableId"] for t in tables}) == len(tables) >= 4
    assert len(ec2.describe_subnets()["Subnets"]) == 2
    ecs = env.client("ecs")
    for _i in range(3):
        ecs.register_task_definition(family="f", containerDefinitions=[{"name": "a", "image": "nginx", "memory": 128}])
    assert len(ecs.list_task_definitions()["taskDefinitionArns"]) == 2
    assert len([a for p in ecs.get_paginator("list_task_definitions").paginate() for a in p["taskDefinitionArns"]]) == 3
    logs = env.client("logs")
    for i in range(3):
        logs.create_log_group(logGroupName=f"/app/{i}")
    assert len(logs.describe_log_groups()["logGroups"]) == 2
    assert len([g for p in logs.get_paginator("describe_log_groups").paginate() for g in p["logGroups"]]) == 3
    elb = env.client("elbv2")
    for i in range(3):
        elb.create_target_group(Name=f"t{i}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    assert len(elb.describe_target_groups()["TargetGroups"]) == 2
    assert len([t for p in elb.get_paginator("describe_target_groups").paginate() for t in p["TargetGroups"]]) == 3
    assert len(elb.describe_target_groups(Names=["t0", "t1", "t2"])["TargetGroups"]) == 3  # named: one answer


def test_lost_reply_and_client_token(env):
    ec2, _vpc, subnets, _sg = network(env)
    env.model.scale = 0.0
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    env.model.lost_replies = 1.0  # the create is done upstream, its answer is lost
    assert code_of(ec2.create_nat_gateway, SubnetId=subnets[0], AllocationId=alloc, ClientToken="tok-1") == "InternalError"
    env.model.lost_replies = 0.0
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=alloc, ClientToken="tok-1")["NatGateway"]
    assert [n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"]] == [nat["NatGatewayId"]]
    env.model.lost_replies = 1.0  # no token: the retry makes a second address
    assert code_of(ec2.allocate_address, Domain="vpc") == "InternalError"
    env.model.lost_replies = 0.0
    ec2.allocate_address(Domain="vpc")
    assert len(ec2.describe_addresses()["Addresses"]) == 3
    ecs, first, _second = _ecs(env)
    env.model.lost_replies = 1.0
    assert code_of(ecs.create_service, cluster="c1", serviceName="web", taskDefinition=first, desiredCount=1,
                   clientToken="svc-tok") == "InternalFailure"
    env.model.lost_replies = 0.0
    svc = ecs.create_service(cluster="c1", serviceName="web", taskDefinition=first, desiredCount=1, clientToken="svc-tok")
    assert svc["service"]["serviceName"] == "web"


def test_proxy_log_names_the_model_refusals(env, tmp_path):
    log = tmp_path / "calls.jsonl"
    aws_proxy.Proxy.log_file = open(log, "a", encoding="utf-8")
    try:
        ec2 = env.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
        assert code_of(ec2.describe_subnets, SubnetIds=[subnet]) == "InvalidSubnetID.NotFound"
    finally:
        aws_proxy.Proxy.log_file.close()
        aws_proxy.Proxy.log_file = None
    # the fixture's reset may be logged too: its handler records it after answering, by then into this log
    calls = [c for c in map(json.loads, log.read_text().splitlines()) if c["service"] != "emulator"]
    assert [(c["action"], c["status"], c["model"]) for c in calls] == [
        ("CreateVpc", 200, None), ("CreateSubnet", 200, None), ("DescribeSubnets", 400, "InvalidSubnetID.NotFound")]


def test_a_major_version_alone_creates_the_default_minor(env):
    env.model.scale = 0.0
    _ec2, _vpc, subnets, sg = network(env)
    rds = env.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="majsub", DBSubnetGroupDescription="d", SubnetIds=subnets)
    rds.create_db_instance(DBInstanceIdentifier="db16", Engine="postgres", EngineVersion="16", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="u", MasterUserPassword="p4ssw0rd-long",
                           DBSubnetGroupName="majsub", VpcSecurityGroupIds=[sg])
    version = rds.describe_db_instances(DBInstanceIdentifier="db16")["DBInstances"][0]["EngineVersion"]
    assert version == "16.%d" % aws_model.DEFAULT_MINOR
