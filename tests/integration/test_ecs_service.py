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


def test_ecs_service_several_services_in_one_task(aws):
    """Option services: a refused element fails before any change; two services made in one task, each
    with its own options over the task's, unchanged on a rerun, then deleted in one task."""
    ecs = aws.client("ecs")
    extra = _prerequisites(aws)
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags="set")
    assert run.rc == 0, run
    found = {s["serviceName"]: s for s in ecs.describe_services(cluster=CLUSTER, services=["web", "worker"],
                                                                include=["TAGS"])["services"]}
    assert sorted(found) == ["web", "worker"] and all(s["status"] == "ACTIVE" for s in found.values())
    assert (found["web"]["desiredCount"], found["worker"]["desiredCount"]) == (1, 2)
    # an element's tags replace the task's; an element without tags takes the task's
    assert {t["key"]: t["value"] for t in found["web"]["tags"]} == {"Service": "web"}
    assert {t["key"]: t["value"] for t in found["worker"]["tags"]} == {"Project": "apranova"}
    for svc in found.values():  # the task's network configuration, for both
        vpc = svc["networkConfiguration"]["awsvpcConfiguration"]
        assert sorted(vpc["subnets"]) == sorted(extra["subnet_ids"]) and vpc["securityGroups"] == [extra["security_group_id"]]
        assert svc["taskDefinition"] == extra["td1_arn"]
    # the refused element (worker at -1) made nothing before the task that made both
    assert len(ecs.list_services(cluster=CLUSTER)["serviceArns"]) == 2

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags="set_delete")
    assert run.rc == 0, run
    left = ecs.describe_services(cluster=CLUSTER, services=["web", "worker"])["services"]
    assert all(s["status"] == "INACTIVE" for s in left), left
