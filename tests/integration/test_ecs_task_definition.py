"""Integration test of apranova.aws_stack.ecs_task_definition against the moto server."""

from __future__ import annotations

import json

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ecs_task_definition/main.yml"
INVENTORY = "tests/integration/inventory.yml"
FAMILY = "ecs-td-it-backend"


def _prerequisites(aws):
    iam = aws.client("iam")
    role = iam.create_role(
        RoleName="ecs-td-it-execution",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    )["Role"]["Arn"]
    secret = aws.client("secretsmanager").create_secret(Name="ecs-td-it/db", SecretString="s3cr3t")["ARN"]
    efs = aws.client("efs")
    fs = efs.create_file_system(CreationToken="ecs-td-it", Encrypted=True)["FileSystemId"]
    ap = efs.create_access_point(FileSystemId=fs, PosixUser={"Uid": 1000, "Gid": 1000})["AccessPointId"]
    return {"execution_role_arn": role, "secret_arn": secret, "efs_id": fs, "access_point_id": ap}


def _revisions(ecs, status):
    arns = ecs.list_task_definitions(familyPrefix=FAMILY, status=status)["taskDefinitionArns"]
    return sorted(int(a.rsplit(":", 1)[1]) for a in arns)


def test_ecs_task_definition(aws):
    ecs = aws.client("ecs")
    extra = _prerequisites(aws)

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags="create")
    assert run.rc == 0, run
    assert _revisions(ecs, "ACTIVE") == [1]
    got = ecs.describe_task_definition(taskDefinition=f"{FAMILY}:1", include=["TAGS"])
    td = got["taskDefinition"]
    assert (td["cpu"], td["memory"], td["networkMode"]) == ("512", "1024", "awsvpc")
    assert td["requiresCompatibilities"] == ["FARGATE"]
    assert td["executionRoleArn"] == extra["execution_role_arn"]
    (backend,) = td["containerDefinitions"]
    assert backend["image"] == "backend:1.0.0"
    assert backend["portMappings"][0]["containerPort"] == 8000
    assert isinstance(backend["portMappings"][0]["containerPort"], int)
    assert backend["secrets"] == [{"name": "DATABASE_PASSWORD", "valueFrom": extra["secret_arn"]}]
    assert backend["logConfiguration"]["logDriver"] == "awslogs"
    efs = td["volumes"][0]["efsVolumeConfiguration"]
    assert efs["fileSystemId"] == extra["efs_id"]
    assert efs["transitEncryption"] == "ENABLED"
    assert efs["authorizationConfig"] == {"accessPointId": extra["access_point_id"], "iam": "ENABLED"}
    assert {t["key"]: t["value"] for t in got["tags"]} == {"Project": "apranova"}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags="update")
    assert run.rc == 0, run
    # the image change registered exactly one revision; the tag change none
    assert _revisions(ecs, "ACTIVE") == [1, 2]
    got = ecs.describe_task_definition(taskDefinition=f"{FAMILY}:2", include=["TAGS"])
    assert got["taskDefinition"]["containerDefinitions"][0]["image"] == "backend:1.1.0"
    assert {t["key"]: t["value"] for t in got["tags"]} == {"Project": "apranova", "Tier": "backend"}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags="delete")
    assert run.rc == 0, run
    assert _revisions(ecs, "ACTIVE") == []
    assert _revisions(ecs, "INACTIVE") == [1, 2]


def test_ecs_task_definition_several_families_in_one_task(aws):
    """Option task_definitions: two families registered in one task, each with its own options over
    the task's (an element's tags replace the task's), no new revision on a rerun."""
    ecs = aws.client("ecs")
    extra = _prerequisites(aws)
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags="set")
    assert run.rc == 0, run
    web = ecs.describe_task_definition(taskDefinition="ecs-td-it-web", include=["TAGS"])
    worker = ecs.describe_task_definition(taskDefinition="ecs-td-it-worker", include=["TAGS"])
    assert (web["taskDefinition"]["revision"], worker["taskDefinition"]["revision"]) == (1, 1)
    assert (web["taskDefinition"]["cpu"], worker["taskDefinition"]["cpu"]) == ("256", "512")
    # the task's execution role and network mode for both
    assert web["taskDefinition"]["executionRoleArn"] == worker["taskDefinition"]["executionRoleArn"] == extra["execution_role_arn"]
    assert web["taskDefinition"]["networkMode"] == worker["taskDefinition"]["networkMode"] == "awsvpc"
    assert {t["key"]: t["value"] for t in web["tags"]} == {"Service": "web"}
    assert {t["key"]: t["value"] for t in worker["tags"]} == {"Project": "apranova"}
    # the refused families (asked for first) made nothing: revision 1 is the task's that made both
    assert ecs.list_task_definitions(familyPrefix="ecs-td-it-web")["taskDefinitionArns"] == [web["taskDefinition"]["taskDefinitionArn"]]
