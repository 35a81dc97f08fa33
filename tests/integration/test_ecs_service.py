"""Integration test of apranova.aws_stack.ecs_service against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ecs_service/main.yml"
INVENTORY = "tests/integration/inventory.yml"
CLUSTER = "ecs-svc-it"
FAMILY = "ecs-svc-it-backend"


def _prerequisites(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.42.1.0/24", "us-east-1a"), ("10.42.2.0/24", "us-east-1b"))
    ]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="ecs-svc-it", Description="backend tasks")["GroupId"]
    tg = aws.client("elbv2").create_target_group(
        Name="ecs-svc-it", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip",
    )["TargetGroups"][0]["TargetGroupArn"]
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    td = {
        "family": FAMILY, "cpu": "512", "memory": "1024", "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
    }
    arns = [
        ecs.register_task_definition(**td, containerDefinitions=[{
            "name": "backend", "image": image, "portMappings": [{"containerPort": 8000}]}],
        )["taskDefinition"]["taskDefinitionArn"]
        for image in ("backend:1.0.0", "backend:1.1.0")
    ]
    return {"subnet_ids": subnets, "security_group_id": sg, "target_group_arn": tg,
            "td1_arn": arns[0], "td2_arn": arns[1]}


def _service(ecs):
    services = ecs.describe_services(cluster=CLUSTER, services=["backend"], include=["TAGS"])["services"]
    return services[0] if services else None


def test_ecs_service(aws):
    ecs = aws.client("ecs")
    extra = _prerequisites(aws)

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags="create")
    assert run.rc == 0, run
    svc = _service(ecs)
    assert svc["status"] == "ACTIVE"
    assert svc["launchType"] == "FARGATE"
    assert svc["desiredCount"] == 2
    assert svc["taskDefinition"] == extra["td1_arn"]
    vpc = svc["networkConfiguration"]["awsvpcConfiguration"]
    assert sorted(vpc["subnets"]) == sorted(extra["subnet_ids"])
    assert vpc["securityGroups"] == [extra["security_group_id"]]
    assert vpc["assignPublicIp"] == "DISABLED"
    assert svc["loadBalancers"] == [{"targetGroupArn": extra["target_group_arn"], "containerName": "backend",
                                     "containerPort": 8000}]
    # moto's create_service drops these three; the module must have set them afterwards
    dc = svc["deploymentConfiguration"]
    assert dc["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (dc["minimumHealthyPercent"], dc["maximumPercent"]) == (100, 200)
    assert svc["healthCheckGracePeriodSeconds"] == 60
    assert svc["enableExecuteCommand"] is True
    assert svc["propagateTags"] == "SERVICE"
    assert {t["key"]: t["value"] for t in svc["tags"]} == {"Project": "apranova"}
    # one service, never replaced by a second create_service
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == [svc["serviceArn"]]
    deployment_id = svc["deployments"][0]["id"]

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags="update")
    assert run.rc == 0, run
    svc = _service(ecs)
    assert svc["taskDefinition"] == extra["td2_arn"]
    assert svc["launchType"] == "FARGATE"
    # updated in place: same service, same deployment record (a re-create would start a new one)
    assert svc["deployments"][0]["id"] == deployment_id
    assert svc["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags="delete")
    assert run.rc == 0, run
    svc = _service(ecs)
    assert svc is None or svc["status"] == "INACTIVE"
