"""Integration test of apranova.aws_stack.stack_info (the lookup every tier and the teardown stand on).

boto3 builds one resource of each kind the module finds by name, next to look-alikes it must not
take (a VPC whose Name only starts with the asked one, a subnet with no Tier tag, a NAT gateway
being deleted, a security group of the same name in another VPC), reads back the ids the module
must answer and passes them as extra vars; the playbook asserts the answers in check mode and in
a normal run, and that what is absent is reported missing, not failed. Afterwards boto3 checks
that the module created nothing.
"""

from __future__ import annotations

import json

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/stack_info/main.yml"
INVENTORY = "tests/integration/inventory.yml"


def _tags(name, **more):
    return [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in more.items()]


def _spec(kind, name, **more):
    return [{"ResourceType": kind, "Tags": _tags(name, **more)}]


def _build(aws):
    """The stack, and the ids the module must find (read back from the emulator, not typed)."""
    ec2, elb, ecs = aws.client("ec2"), aws.client("elbv2"), aws.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16", TagSpecifications=_spec("vpc", "it-info-vpc"))["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.7.0.0/16", TagSpecifications=_spec("vpc", "it-info-vpc-old"))["Vpc"]["VpcId"]
    subnets = {}
    for cidr, az, tier in (("10.8.1.0/24", "us-east-1b", "public"), ("10.8.0.0/24", "us-east-1a", "public"),
                           ("10.8.11.0/24", "us-east-1b", "private"), ("10.8.10.0/24", "us-east-1a", "private")):
        subnets[cidr] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=_spec(
            "subnet", f"it-info-{tier}-{az}", Tier=tier))["Subnet"]["SubnetId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.20.0/24", AvailabilityZone="us-east-1a")  # no Tier tag
    igw = ec2.create_internet_gateway(TagSpecifications=_spec("internet-gateway", "it-info-igw"))["InternetGateway"]
    ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc)
    nats = []
    for name in ("it-info-nat-a", "it-info-nat-gone"):
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nats.append(ec2.create_nat_gateway(SubnetId=subnets["10.8.0.0/24"], AllocationId=eip,
                                           TagSpecifications=_spec("natgateway", name))["NatGateway"]["NatGatewayId"])
    ec2.delete_nat_gateway(NatGatewayId=nats[1])
    alb_sg = ec2.create_security_group(GroupName="it-info-alb", Description="alb", VpcId=vpc)["GroupId"]
    ecs_sg = ec2.create_security_group(GroupName="it-info-ecs", Description="ecs", VpcId=vpc)["GroupId"]
    ec2.create_security_group(GroupName="it-info-alb", Description="same name, other VPC", VpcId=other)

    rds = aws.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="it-info-db", DBSubnetGroupDescription="db",
                               SubnetIds=[subnets["10.8.10.0/24"], subnets["10.8.11.0/24"]])
    rds.create_db_instance(DBInstanceIdentifier="it-info-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                           EngineVersion="16.4", MasterUsername="app", MasterUserPassword="not-a-real-one-1",
                           AllocatedStorage=20, DBSubnetGroupName="it-info-db", VpcSecurityGroupIds=[ecs_sg],
                           DeletionProtection=True, StorageEncrypted=True)
    secret = aws.client("secretsmanager").create_secret(Name="it-info/db", SecretString=json.dumps({"password": "x" * 20}))

    efs = aws.client("efs")
    fs = efs.create_file_system(CreationToken="it-info-fs", Encrypted=True, Tags=_tags("it-info-fs"))["FileSystemId"]
    efs.create_file_system(CreationToken="it-info-fs-2", Tags=_tags("it-info-fs-2"))
    mt = efs.create_mount_target(FileSystemId=fs, SubnetId=subnets["10.8.10.0/24"], SecurityGroups=[ecs_sg])["MountTargetId"]
    ap = efs.create_access_point(FileSystemId=fs, Tags=_tags("it-info-ap"), PosixUser={"Uid": 1000, "Gid": 1000},
                                 RootDirectory={"Path": "/media"})["AccessPointId"]

    lb = elb.create_load_balancer(Name="it-info-alb", Subnets=[subnets["10.8.0.0/24"], subnets["10.8.1.0/24"]],
                                  SecurityGroups=[alb_sg])["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="it-info-web", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip",
                                 HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    for port in (443, 80):  # created out of order: the module sorts by port
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=port, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])

    ecs.create_cluster(clusterName="it-info-cluster")
    ecs.create_cluster(clusterName="it-info-cluster-gone")
    ecs.delete_cluster(cluster="it-info-cluster-gone")
    taskdef = ecs.register_task_definition(family="it-info-web", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                                           cpu="256", memory="512", containerDefinitions=[
                                               {"name": "web", "image": "nginx", "essential": True}])["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="it-info-cluster", serviceName="it-info-web", taskDefinition=taskdef, desiredCount=0,
                       launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                           "subnets": [subnets["10.8.10.0/24"]], "securityGroups": [ecs_sg], "assignPublicIp": "DISABLED"}})
    repo = aws.client("ecr").create_repository(repositoryName="it-info/web")["repository"]["repositoryUri"]
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="/ecs/it-info/web")
    logs.create_log_group(logGroupName="/ecs/it-info/web-old")  # the asked name is its prefix
    logs.put_retention_policy(logGroupName="/ecs/it-info/web", retentionInDays=30)
    sns = aws.client("sns")
    topic = sns.create_topic(Name="it-info-alarms")["TopicArn"]
    sns.create_topic(Name="it-info-alarms-old")
    return {
        "it_vpc_id": vpc,
        "it_public": [subnets["10.8.0.0/24"], subnets["10.8.1.0/24"]],
        "it_private": [subnets["10.8.10.0/24"], subnets["10.8.11.0/24"]],
        "it_igw": igw["InternetGatewayId"], "it_nat": nats[0],
        "it_sgs": {"it-info-alb": alb_sg, "it-info-ecs": ecs_sg},
        "it_secret_arn": secret["ARN"], "it_fs": fs, "it_mt": mt, "it_ap": ap, "it_lb": lb, "it_tg": tg,
        "it_taskdef": taskdef, "it_repo_uri": repo, "it_topic": topic,
        "it_account": aws.client("sts").get_caller_identity()["Account"],
    }


def _inventory_of_ids(aws):
    """Everything that has an id, to show the module created nothing."""
    ec2 = aws.client("ec2")
    return {
        "vpcs": len(ec2.describe_vpcs()["Vpcs"]), "subnets": len(ec2.describe_subnets()["Subnets"]),
        "groups": len(ec2.describe_security_groups()["SecurityGroups"]),
        "file_systems": len(aws.client("efs").describe_file_systems()["FileSystems"]),
        "topics": len(aws.client("sns").list_topics()["Topics"]),
        "clusters": sorted(aws.client("ecs").list_clusters()["clusterArns"]),
    }


def test_stack_info(aws):
    ids = _build(aws)
    before = _inventory_of_ids(aws)
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=ids)
    assert run.rc == 0, run
    assert run.changed == 0, run
    assert _inventory_of_ids(aws) == before
