"""Integration test of apranova.aws_stack.ecs_cluster against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ecs_cluster/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAME = "ecs-cluster-it"


def _describe(ecs, name):
    clusters = ecs.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])["clusters"]
    return clusters[0] if clusters else None


def _insights(cluster):
    return {s["name"]: s["value"] for s in cluster.get("settings", [])}.get("containerInsights")


def _tags(cluster):
    return {t["key"]: t["value"] for t in cluster.get("tags") or []}


def test_ecs_cluster(aws):
    ecs = aws.client("ecs")

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="create")
    assert run.rc == 0, run
    cluster = _describe(ecs, NAME)
    assert cluster["status"] == "ACTIVE"
    assert _insights(cluster) == "enabled"
    assert sorted(cluster["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    assert _tags(cluster) == {"Project": "apranova", "Tier": "ecs"}
    # exactly one cluster: the reruns did not create or reset anything
    assert ecs.list_clusters()["clusterArns"] == [cluster["clusterArn"]]

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="update")
    assert run.rc == 0, run
    cluster = _describe(ecs, NAME)
    assert _insights(cluster) == "disabled"
    assert _tags(cluster) == {"Project": "apranova"}
    # the refused strategy change left the providers alone
    assert sorted(cluster["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="delete")
    assert run.rc == 0, run
    cluster = _describe(ecs, NAME)
    assert cluster is None or cluster["status"] == "INACTIVE"


def test_ecs_cluster_with_services(aws):
    ecs = aws.client("ecs")
    busy = "ecs-cluster-busy"
    ecs.create_cluster(clusterName=busy)
    td = ecs.register_task_definition(
        family="busy", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=busy, serviceName="web", taskDefinition=td, desiredCount=1, launchType="EC2")

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="busy")
    assert run.rc == 0, run
    assert ecs.describe_services(cluster=busy, services=["web"])["services"][0]["status"] == "INACTIVE"
    cluster = _describe(ecs, busy)
    assert cluster is None or cluster["status"] == "INACTIVE"
