"""Offline tests of the ECS services tier's filters (plugins/filter/ecs_services.py).

Every expected value is written out. They are what the roles' Jinja gave before it moved into the
filters (rendered with ansible-core's templar from the same inputs and pasted here): the preflight
messages word for word (tests/stack/test_bad_input.py looks for parts of them), the tiers to run
first, the image tags and the container definitions the task definitions are registered with.
The stack below has the shape apranova.aws_stack.stack_info returns (module_utils/discovery.py).
"""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.filter import ecs_services

# roles/ecs_services/vars/main.yml, written out.
FARGATE_MEMORY = {
    "256": [512, 1024, 2048],
    "512": [1024, 2048, 3072, 4096],
    "1024": [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    "2048": list(range(4096, 16385, 1024)),
    "4096": list(range(8192, 30721, 1024)),
    "8192": list(range(16384, 61441, 4096)),
    "16384": list(range(32768, 122881, 8192)),
}
LOG_RETENTION_VALUES = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

# The production services (roles/ecs_services/defaults/main.yml, image tags rendered).
SERVICES = [
    {"name": "backend", "cpu": 512, "memory": 1024, "port": 8000, "desired_count": 1, "image_tag": "latest",
     "target_group": "backend", "data": True, "efs_mount_path": "/app/workspaces", "environment": {}},
    {"name": "frontend", "cpu": 256, "memory": 512, "port": 3000, "desired_count": 1, "image_tag": "latest",
     "target_group": "frontend", "public_api_url": True, "environment": {}},
]

ACCOUNT = "123456789012"
DB_HOST = "production-apranova-db.c9akciq32xyz.us-east-1.rds.amazonaws.com"
REDIS_HOST = "master.production-redis.abcdef.use1.cache.amazonaws.com"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/apranova-db/master-AbCdEf"
ALB_DNS = "production-alb-1234567890.us-east-1.elb.amazonaws.com"


def repository(name):
    return {"arn": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{name}",
            "uri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/{name}",
            "scan_on_push": True, "image_tag_mutability": "MUTABLE", "encryption_type": "AES256"}


# What stack_info finds for the production stack once the data tier is available.
STACK = {
    "account_id": ACCOUNT,
    "partition": "aws",
    "vpc": {"id": "vpc-0abc", "cidr_block": "10.0.0.0/16", "name": "production-vpc", "tags": {"Name": "production-vpc"}},
    "subnets": {
        "public": [{"id": "subnet-0pub1", "cidr_block": "10.0.1.0/24", "availability_zone": "us-east-1a", "name": "production-public-us-east-1a"},
                   {"id": "subnet-0pub2", "cidr_block": "10.0.2.0/24", "availability_zone": "us-east-1b", "name": "production-public-us-east-1b"}],
        "private": [{"id": "subnet-0priv1", "cidr_block": "10.0.11.0/24", "availability_zone": "us-east-1a", "name": "production-private-us-east-1a"},
                    {"id": "subnet-0priv2", "cidr_block": "10.0.12.0/24", "availability_zone": "us-east-1b", "name": "production-private-us-east-1b"}],
    },
    "internet_gateway": {"id": "igw-0abc", "name": "production-igw"},
    "nat_gateways": [],
    "security_groups": {"production-ecs-sg": "sg-0ecs"},
    "db_instance": {
        "identifier": "production-apranova-db", "arn": f"arn:aws:rds:us-east-1:{ACCOUNT}:db:production-apranova-db",
        "status": "available", "address": DB_HOST, "port": 5432, "db_name": "apranova_db", "engine": "postgres",
        "engine_version": "16.4", "instance_class": "db.t3.micro", "allocated_storage": 20, "storage_encrypted": True,
        "multi_az": False, "publicly_accessible": False, "deletion_protection": True, "security_group_ids": ["sg-0rds"],
        "subnet_group": "production-db-subnets", "storage_type": "gp3", "availability_zone": "us-east-1a",
        "secondary_availability_zone": None,
    },
    "db_secret": {"arn": SECRET_ARN, "name": "production/apranova-db/master", "scheduled_for_deletion": False},
    "cache": {
        "id": "production-redis", "arn": f"arn:aws:elasticache:us-east-1:{ACCOUNT}:replicationgroup:production-redis",
        "status": "available", "address": REDIS_HOST, "port": 6379, "node_type": "cache.t3.micro", "at_rest_encryption": True,
        "transit_encryption": True, "engine": "redis", "member_clusters": ["production-redis-001"],
        "automatic_failover": "disabled", "multi_az": "disabled", "auth_token_enabled": False,
        "nodes": [{"cluster_id": "production-redis-001", "availability_zone": "us-east-1a", "role": "primary"}],
    },
    "file_system": {"id": "fs-0123456789abcdef0", "arn": f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:file-system/fs-0123456789abcdef0",
                    "name": "production-efs", "encrypted": True, "state": "available"},
    "access_point": {"id": "fsap-0123456789abcdef0", "arn": f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:access-point/fsap-0123456789abcdef0",
                     "name": "production-workspaces", "posix_user": {"Uid": 1000, "Gid": 1000}, "root_directory": "/workspaces"},
    "mount_targets": [{"id": "fsmt-01", "subnet_id": "subnet-0priv1", "ip_address": "10.0.11.10", "availability_zone": "us-east-1a"}],
    "load_balancer": {"deletion_protection": True, "name": "production-alb", "dns_name": ALB_DNS, "scheme": "internet-facing",
                      "arn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/production-alb/50dc6c495c0c9188",
                      "security_group_ids": ["sg-0alb"], "state": "active", "subnet_ids": ["subnet-0pub1", "subnet-0pub2"]},
    "listeners": [],
    "target_groups": {"production-backend-tg": {"arn": "arn:tg/b", "port": 8000, "protocol": "HTTP"},
                      "production-frontend-tg": {"arn": "arn:tg/f", "port": 3000, "protocol": "HTTP"}},
    "cluster": {"name": "production-cluster", "arn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/production-cluster"},
    "services": {"frontend": {"arn": "arn:svc/frontend", "task_definition": "arn:td/frontend:3", "desired_count": 1, "running_count": 1}},
    "repositories": {name: repository(name) for name in ("apranova/backend", "apranova/frontend", "apranova/worker")},
}

LOGS = {"ecr_prefix": "apranova", "log_group_prefix": "/ecs", "region": "us-east-1"}


def problems(services=None, log_retention_days=30, health_check_grace_period=60):
    return ecs_services.ecs_services_problems(
        SERVICES if services is None else services, log_retention_days=log_retention_days,
        health_check_grace_period=health_check_grace_period, fargate_memory=FARGATE_MEMORY,
        log_retention_values=LOG_RETENTION_VALUES)


def services(**changes):
    out = copy.deepcopy(SERVICES)
    out[0].update(changes)
    return out


# --- ecs_services_problems ---------------------------------------------------------------------------

def test_production_services_have_no_problem():
    assert problems() == []


# The ecs_services_* cases of tests/stack/test_bad_input.py, with the whole message each gives.
@pytest.mark.parametrize("kwargs,expected", [
    pytest.param({"services": services(cpu=512, memory=512)},
                 ["ecs_services_services: cpu 512 with memory 512 of 'backend' is not a valid Fargate pair; with cpu 512 use memory 1024-4096"],
                 id="fargate-cpu-memory"),
    pytest.param({"services": services(cpu=300)},
                 ["ecs_services_services: cpu 300 of 'backend' is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384"],
                 id="fargate-cpu"),
    pytest.param({"services": services(port=70000)},
                 ["ecs_services_services: port 70000 of 'backend' is out of range; use 1-65535"], id="container-port-range"),
    pytest.param({"services": services(desired_count=-1)},
                 ["ecs_services_services: desired_count -1 of 'backend' is negative; use 0 or more"], id="negative-desired-count"),
    pytest.param({"log_retention_days": 45},
                 ["ecs_services_log_retention_days: 45 is not a retention CloudWatch accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90, 120,"
                  " 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"], id="log-retention"),
    pytest.param({"services": []}, ["ecs_services_services: the list is empty; list at least one service"], id="empty-service-list"),
])
def test_bad_input_cases(kwargs, expected):
    assert problems(**kwargs) == expected


def test_every_problem_in_order():
    bad = [
        {"name": "Backend", "cpu": 300, "memory": 512, "port": 8000},
        {"name": "backend", "cpu": 512, "memory": 512, "port": 70000, "desired_count": -1},
        {"name": "api", "cpu": "1024", "memory": "2048", "port": "0", "desired_count": "-2"},
        {"name": "big", "cpu": 2048, "memory": 3000, "port": 8080, "desired_count": 0},
        {"name": "x_y", "cpu": 16384, "memory": 122880, "port": 1},
        {"name": "huge", "cpu": 8192, "memory": 20000, "port": 65535, "desired_count": None},
        {"name": "f", "cpu": 512.0, "memory": 1024, "port": 80},
    ]
    assert problems(bad, log_retention_days="30", health_check_grace_period=2147483648) == [
        # names are compared without regard to case, like Ansible's unique
        "ecs_services_services: a service name is listed twice",
        "ecs_services_services: name 'Backend' must be lower-case letters, digits and hyphens",
        "ecs_services_services: cpu 300 of 'Backend' is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384",
        "ecs_services_services: cpu 512 with memory 512 of 'backend' is not a valid Fargate pair; with cpu 512 use memory 1024-4096",
        "ecs_services_services: port 70000 of 'backend' is out of range; use 1-65535",
        "ecs_services_services: desired_count -1 of 'backend' is negative; use 0 or more",
        "ecs_services_services: port 0 of 'api' is out of range; use 1-65535",
        "ecs_services_services: desired_count -2 of 'api' is negative; use 0 or more",
        "ecs_services_services: cpu 2048 with memory 3000 of 'big' is not a valid Fargate pair; with cpu 2048 use memory 4096-16384",
        "ecs_services_services: name 'x_y' must be lower-case letters, digits and hyphens",
        "ecs_services_services: cpu 8192 with memory 20000 of 'huge' is not a valid Fargate pair; with cpu 8192 use memory 16384-61440",
        # the CPU size is looked up as text: 512.0 is not "512"
        "ecs_services_services: cpu 512.0 of 'f' is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384",
        "ecs_services_health_check_grace_period: use 0 or more seconds",
    ]


def test_empty_list_and_bad_log_settings():
    assert problems([], log_retention_days=45, health_check_grace_period=-1) == [
        "ecs_services_services: the list is empty; list at least one service",
        "ecs_services_log_retention_days: 45 is not a retention CloudWatch accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150,"
        " 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        "ecs_services_health_check_grace_period: use 0 or more seconds",
    ]


def test_exact_duplicate_name():
    assert problems(services(name="frontend")) == ["ecs_services_services: a service name is listed twice"]


@pytest.mark.parametrize("bad,message", [
    pytest.param("backend", "ecs_services_problems: the input must be the list ecs_services_services, got str", id="not-a-list"),
    pytest.param(["backend"], "ecs_services_problems: ecs_services_services[0] must be a dict, got str", id="not-a-dict"),
    pytest.param([{"name": "backend", "cpu": 512}], "ecs_services_problems: ecs_services_services[0] lacks memory, port", id="keys-missing"),
])
def test_problems_reject_wrong_input(bad, message):
    with pytest.raises(AnsibleFilterError) as err:
        problems(bad)
    assert str(err.value) == message


def test_problems_need_the_constants():
    with pytest.raises(AnsibleFilterError, match="fargate_memory must be a dict"):
        ecs_services.ecs_services_problems(SERVICES, 30, 60, [512], LOG_RETENTION_VALUES)
    with pytest.raises(AnsibleFilterError, match="log_retention_values must be a list"):
        ecs_services.ecs_services_problems(SERVICES, 30, 60, FARGATE_MEMORY, "30")


# --- ecs_services_image_tag ------------------------------------------------------------------------------

def test_image_tag_of_production():
    assert ecs_services.ecs_services_image_tag(SERVICES, {}) == {"backend": "latest", "frontend": "latest"}


def test_image_tag_precedence():
    svcs = [{"name": "backend", "image_tag": "v7"}, {"name": "frontend", "image_tag": "v1"}, {"name": "worker"},
            {"name": "cron", "image_tag": ""}]
    # image_tags wins even with a null; a service without image_tag deploys latest; "" stays ""
    assert ecs_services.ecs_services_image_tag(svcs, {"worker": "w1", "frontend": None}) == {
        "backend": "v7", "frontend": None, "worker": "w1", "cron": ""}


def test_image_tag_rejects_wrong_input():
    with pytest.raises(AnsibleFilterError, match="image_tags must be a dict of service name to tag, got list"):
        ecs_services.ecs_services_image_tag(SERVICES, ["v1"])
    with pytest.raises(AnsibleFilterError, match=r"ecs_services_services\[0\] lacks name"):
        ecs_services.ecs_services_image_tag([{"cpu": 256}], {})


# --- ecs_services_containers ----------------------------------------------------------------------------

PRODUCTION_CONTAINERS = {
    "backend": {
        "name": "backend",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/apranova/backend:latest",
        "essential": True,
        "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
        "environment": [
            {"name": "DB_HOST", "value": "production-apranova-db.c9akciq32xyz.us-east-1.rds.amazonaws.com"},
            {"name": "DB_NAME", "value": "apranova_db"},
            {"name": "DB_PORT", "value": "5432"},
            {"name": "REDIS_HOST", "value": "master.production-redis.abcdef.use1.cache.amazonaws.com"},
            {"name": "REDIS_PORT", "value": "6379"},
            {"name": "REDIS_URL", "value": "rediss://master.production-redis.abcdef.use1.cache.amazonaws.com:6379/0"},
        ],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/backend", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "backend"}},
        "secrets": [
            {"name": "DB_PASSWORD",
             "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/apranova-db/master-AbCdEf:password::"},
            {"name": "DB_USER",
             "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/apranova-db/master-AbCdEf:username::"},
        ],
        "mountPoints": [{"sourceVolume": "workspaces", "containerPath": "/app/workspaces", "readOnly": False}],
    },
    "frontend": {
        "name": "frontend",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/apranova/frontend:latest",
        "essential": True,
        "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
        "environment": [{"name": "NEXT_PUBLIC_API_URL", "value": "http://production-alb-1234567890.us-east-1.elb.amazonaws.com/api"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/frontend", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "frontend"}},
    },
}


def containers(svcs=None, stack=None, image_tag=None, data_ready=True, **logs):
    return ecs_services.ecs_services_containers(
        SERVICES if svcs is None else svcs, STACK if stack is None else stack,
        image_tag={"backend": "latest", "frontend": "latest"} if image_tag is None else image_tag,
        data_ready=data_ready, **dict(LOGS, **logs))


def test_production_containers():
    got = containers()
    assert got == PRODUCTION_CONTAINERS
    # the keys in the order the Jinja built them (the task definition is compared as it is registered)
    assert list(got) == ["backend", "frontend"]
    assert list(got["backend"]) == ["name", "image", "essential", "portMappings", "environment", "logConfiguration",
                                    "secrets", "mountPoints"]
    assert list(got["frontend"]) == ["name", "image", "essential", "portMappings", "environment", "logConfiguration"]


def test_containers_before_the_data_tier_is_available():
    stack = copy.deepcopy(STACK)
    stack["db_instance"].update(status="creating", address=None)
    stack["cache"].update(status="creating", address=None, port=None)
    got = containers(stack=stack, image_tag={"backend": "v42", "frontend": "latest"}, data_ready=False)
    assert got["backend"]["image"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/apranova/backend:v42"
    # no address yet: only the port and name of the database; the secret is there already
    assert got["backend"]["environment"] == [{"name": "DB_NAME", "value": "apranova_db"}, {"name": "DB_PORT", "value": "5432"}]
    assert got["backend"]["secrets"] == PRODUCTION_CONTAINERS["backend"]["secrets"]
    assert got["frontend"] == PRODUCTION_CONTAINERS["frontend"]


def test_containers_environment_order_overrides_and_plain_redis():
    stack = copy.deepcopy(STACK)
    stack["cache"].update(transit_encryption=False, port=6380)
    svcs = [
        {"name": "backend", "cpu": 512, "memory": 1024, "port": "8000", "desired_count": 2, "image_tag": "v7",
         "target_group": "backend", "data": True, "efs_mount_path": "/app/workspaces",
         "environment": {"DB_NAME": "override", "a_lower": "x", "Zeta": 1, "db_host": "lower-dup", "LOG_LEVEL": "info"}},
        {"name": "frontend", "cpu": 256, "memory": 512, "port": 3000, "target_group": "frontend", "public_api_url": True,
         "environment": {"B": "2", "a": "1"}, "data": False, "efs_mount_path": ""},
        {"name": "worker", "cpu": 256, "memory": 512, "port": 9000},
    ]
    got = containers(svcs, stack, image_tag={"backend": "v7", "frontend": None, "worker": "w1"})
    # backend and frontend as in production but for their images and environments
    assert got == {
        "backend": dict(
            PRODUCTION_CONTAINERS["backend"],
            image="123456789012.dkr.ecr.us-east-1.amazonaws.com/apranova/backend:v7",
            # sorted by name without regard to case (Jinja's sort), equal names in insertion order;
            # the service's environment wins (DB_NAME) and keeps its values as they are (Zeta: 1)
            environment=[
                {"name": "a_lower", "value": "x"},
                {"name": "DB_HOST", "value": "production-apranova-db.c9akciq32xyz.us-east-1.rds.amazonaws.com"},
                {"name": "db_host", "value": "lower-dup"},
                {"name": "DB_NAME", "value": "override"},
                {"name": "DB_PORT", "value": "5432"},
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "REDIS_HOST", "value": "master.production-redis.abcdef.use1.cache.amazonaws.com"},
                {"name": "REDIS_PORT", "value": "6380"},
                {"name": "REDIS_URL", "value": "redis://master.production-redis.abcdef.use1.cache.amazonaws.com:6380/0"},
                {"name": "Zeta", "value": 1},
            ],
        ),
        "frontend": dict(
            PRODUCTION_CONTAINERS["frontend"],
            image="123456789012.dkr.ecr.us-east-1.amazonaws.com/apranova/frontend:None",
            environment=[
                {"name": "a", "value": "1"},
                {"name": "B", "value": "2"},
                {"name": "NEXT_PUBLIC_API_URL", "value": "http://production-alb-1234567890.us-east-1.elb.amazonaws.com/api"},
            ],
        ),
        "worker": {
            "name": "worker",
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/apranova/worker:w1",
            "essential": True,
            "portMappings": [{"containerPort": 9000, "protocol": "tcp"}],
            "environment": [],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/worker", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "worker"}},
        },
    }


def test_containers_of_another_environment():
    stack = copy.deepcopy(STACK)
    stack["repositories"] = {"apranova/staging/frontend": repository("apranova/staging/frontend")}
    got = containers([SERVICES[1]], stack, image_tag={"frontend": "v3"},
                     ecr_prefix="apranova/staging", log_group_prefix="/ecs/staging", region="eu-west-1")
    assert got["frontend"]["image"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/apranova/staging/frontend:v3"
    assert got["frontend"]["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/staging/frontend", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "frontend"}}


def test_containers_without_a_repository():
    stack = copy.deepcopy(STACK)
    del stack["repositories"]["apranova/frontend"]
    with pytest.raises(AnsibleFilterError) as err:
        containers(stack=stack)
    assert str(err.value) == "ecs_services_containers: the stack has no repository apranova/frontend; run the registry tier first"


def test_containers_without_the_database():
    stack = dict(STACK, db_instance=None)
    with pytest.raises(AnsibleFilterError) as err:
        containers(stack=stack)
    assert str(err.value) == ("ecs_services_containers: the stack has no db_instance (needed by service 'backend');"
                              " run the tier that builds it first")


def test_containers_error_does_not_show_the_environment():
    svcs = services(environment=["API_TOKEN=s3cr3t"])
    with pytest.raises(AnsibleFilterError) as err:
        containers(svcs)
    assert str(err.value) == "ecs_services_containers: environment of service 'backend' must be a dict, got list"
    assert "s3cr3t" not in str(err.value)


def test_containers_reject_wrong_input():
    with pytest.raises(AnsibleFilterError, match="ecs_services_containers: stack must be a dict, got NoneType"):
        ecs_services.ecs_services_containers(SERVICES, None, {}, True, **LOGS)
    with pytest.raises(AnsibleFilterError, match="ecs_services_containers: image_tag has no tag for service 'frontend'"):
        containers(image_tag={"backend": "latest"})


def test_filter_names():
    filters = ecs_services.FilterModule().filters()
    assert filters == {
        "ecs_services_problems": ecs_services.ecs_services_problems,
        "ecs_services_image_tag": ecs_services.ecs_services_image_tag,
        "ecs_services_containers": ecs_services.ecs_services_containers,
        "ecs_services_log_groups": ecs_services.ecs_services_log_groups,
        "ecs_services_task_definitions": ecs_services.ecs_services_task_definitions,
        "ecs_services_service_options": ecs_services.ecs_services_service_options,
    }


# --- ecs_services_log_groups ----------------------------------------------------------------------------


def test_log_groups_one_per_service_with_the_service_tag():
    # what roles/ecs_services/tasks/logs.yml looped over before: <prefix>/<name>, the retention, Service tag
    assert ecs_services.ecs_services_log_groups([{"name": "backend", "cpu": 256}, {"name": "frontend"}], "/ecs", 30) == [
        {"name": "/ecs/backend", "retention": 30, "tags": {"Service": "backend"}},
        {"name": "/ecs/frontend", "retention": 30, "tags": {"Service": "frontend"}},
    ]
    assert ecs_services.ecs_services_log_groups([], "/ecs", 30) == []


def test_log_groups_refuse_a_bad_input():
    with pytest.raises(AnsibleFilterError, match="ecs_services_log_groups: the input must be the list ecs_services_services"):
        ecs_services.ecs_services_log_groups({"name": "backend"}, "/ecs", 30)
    with pytest.raises(AnsibleFilterError, match=r"ecs_services_log_groups: ecs_services_services\[0\] lacks name"):
        ecs_services.ecs_services_log_groups([{"cpu": 256}], "/ecs", 30)
    with pytest.raises(AnsibleFilterError, match="ecs_services_log_groups: the prefix must be a non-empty string"):
        ecs_services.ecs_services_log_groups([{"name": "backend"}], "", 30)


# --- ecs_services_task_definitions and ecs_services_service_options -------------------------------


def test_task_definitions_are_one_family_per_service_with_the_volumes_only_where_mounted():
    services = [{"name": "frontend", "cpu": 256, "memory": 512},
                {"name": "backend", "cpu": 512, "memory": 1024, "efs_mount_path": "/data"}]
    containers = {"frontend": {"name": "frontend", "image": "f:1"}, "backend": {"name": "backend", "image": "b:1"}}
    volumes = [{"name": "workspaces"}]
    out = ecs_services.ecs_services_task_definitions(services, containers, volumes, "prod", {"Project": "p"}, ["backend"])
    assert out == [
        {"family": "prod-frontend", "cpu": "256", "memory": "512", "container_definitions": [containers["frontend"]],
         "volumes": [], "tags": {"Project": "p", "Service": "frontend"}, "replace_previous": False},
        {"family": "prod-backend", "cpu": "512", "memory": "1024", "container_definitions": [containers["backend"]],
         "volumes": volumes, "tags": {"Project": "p", "Service": "backend"}, "replace_previous": True},
    ]
    with pytest.raises(AnsibleFilterError, match="no container definition for backend"):
        ecs_services.ecs_services_task_definitions(services, {"frontend": {}}, volumes, "prod", {})


def test_service_options_take_each_revision_hold_and_target_group():
    services = [{"name": "frontend", "target_group": "frontend", "port": 3000},
                {"name": "backend", "target_group": "backend", "port": 8000, "desired_count": 2},
                {"name": "worker"}]
    registered = [{"task_definition": {"task_definition_arn": "arn:td/frontend:3"}},
                  {"task_definition": {"family": "prod-backend"}},  # check mode: no ARN yet
                  {"task_definition": {"task_definition_arn": "arn:td/worker:1"}}]
    groups = {"prod-frontend-tg": {"arn": "arn:tg/f"}, "prod-backend-tg": {"arn": "arn:tg/b"}}
    out = ecs_services.ecs_services_service_options(services, registered, ["backend"], groups, "prod", 60, {"Project": "p"})
    assert out[0] == {"name": "frontend", "task_definition": "arn:td/frontend:3", "desired_count": 1,
                      "load_balancers": [{"target_group_arn": "arn:tg/f", "container_name": "frontend", "container_port": 3000}],
                      "health_check_grace_period_seconds": 60, "tags": {"Project": "p", "Service": "frontend"}}
    assert (out[1]["task_definition"], out[1]["desired_count"]) == ("prod-backend", 0)
    assert out[2] == {"name": "worker", "task_definition": "arn:td/worker:1", "desired_count": 1, "load_balancers": [],
                      "tags": {"Project": "p", "Service": "worker"}}
    with pytest.raises(AnsibleFilterError, match="target group prod-backend-tg .* run the alb tier first"):
        ecs_services.ecs_services_service_options(services, registered, [], {"prod-frontend-tg": {"arn": "a"}}, "prod", 60, {})
    with pytest.raises(AnsibleFilterError, match="same services, in the same order"):
        ecs_services.ecs_services_service_options(services, registered[:2], [], groups, "prod", 60, {})
