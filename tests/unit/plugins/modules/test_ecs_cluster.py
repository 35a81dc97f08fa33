"""Offline tests of the cluster helpers in module_utils/ecs.py and of ecs_cluster's ensure_*
functions against moto's in-process mock."""

from __future__ import annotations


import boto3
import pytest

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ecs
from ansible_collections.apranova.aws_stack.plugins.modules import ecs_cluster
from ...aws_answers import retrying


def test_normalize_cluster_without_capacity_providers():
    # the shape moto returns when none were declared: no capacityProviders key (stock module: KeyError)
    raw = {"clusterName": "c", "clusterArn": "arn:c", "status": "ACTIVE", "activeServicesCount": 0,
           "settings": [{"name": "containerInsights", "value": "enabled"}], "tags": [{"key": "a", "value": "1"}]}
    assert ecs.normalize_cluster(raw) == {
        "cluster_name": "c", "cluster_arn": "arn:c", "status": "ACTIVE",
        "settings": {"container_insights": "enabled"}, "capacity_providers": [],
        "default_capacity_provider_strategy": [], "active_services_count": 0, "tags": {"a": "1"},
    }


def test_strategy_normalisation_fills_defaults_and_sorts():
    assert ecs.normalize_strategy([{"capacityProvider": "FARGATE_SPOT", "weight": 3},
                                   {"capacity_provider": "FARGATE", "weight": 1, "base": None}]) == [
        {"capacity_provider": "FARGATE", "weight": 1, "base": 0},
        {"capacity_provider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ]


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("ecs", region_name="us-east-1"))


STRATEGY = [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}]


def cluster_params(name="c1", container_insights=None, capacity_providers=None, strategy=None, tags=None,
                   purge_tags=True, force=False, state="present"):
    """The module's params (as AnsibleAWSModule hands them to ensure_*)."""
    return {"name": name, "state": state, "container_insights": container_insights,
            "capacity_providers": capacity_providers, "default_capacity_provider_strategy": strategy,
            "force": force, "tags": tags, "purge_tags": purge_tags}


def present(client, check_mode, **params):
    return ecs_cluster.ensure_present(client, cluster_params(**params), base.Context(check_mode=check_mode))


def absent(client, force, check_mode, name="c1"):
    return ecs_cluster.ensure_absent(client, cluster_params(name, force=force, state="absent"),
                                     base.Context(check_mode=check_mode))


def test_ensure_present_four_steps(client):
    args = dict(container_insights="enabled", capacity_providers=["FARGATE", "FARGATE_SPOT"], strategy=STRATEGY,
                tags={"P": "x"}, purge_tags=True)
    outcome = present(client, True, **args)
    assert outcome.changed and outcome.before == {} and ecs.get_cluster(client, "c1") is None
    assert outcome.result == {"cluster": outcome.after}
    outcome = present(client, False, **args)
    assert outcome.changed and outcome.after["settings"] == {"container_insights": "enabled"}
    assert outcome.result == {"cluster": outcome.after}
    assert present(client, True, **args).changed is False
    assert present(client, False, **args).changed is False
    # unset options leave the cluster alone
    assert present(client, False).changed is False


def test_ensure_present_updates_only_what_differs(client):
    present(client, False, container_insights="enabled", tags={"a": "1", "b": "2"})
    outcome = present(client, True, container_insights="disabled", tags={"a": "1"})
    before, after = outcome.before, outcome.after
    assert outcome.changed and after["settings"]["container_insights"] == "disabled" and after["tags"] == {"a": "1"}
    assert before["settings"]["container_insights"] == "enabled"  # check mode changed nothing
    raw = ecs.get_cluster(client, "c1")
    assert ecs.settings_dict(raw["settings"]) == {"container_insights": "enabled"}
    outcome = present(client, False, tags={"c": "3"}, purge_tags=False)
    assert outcome.changed and ecs.normalize_cluster(ecs.get_cluster(client, "c1"))["tags"] == {"a": "1", "b": "2", "c": "3"}


def test_strategy_must_name_a_provider_of_the_cluster(client):
    with pytest.raises(ecs.ECSUsageError, match="FARGATE_SPOT, which is not in capacity_providers"):
        present(client, True, capacity_providers=["FARGATE"],
                strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}])


def test_ensure_absent_refuses_services_unless_forced(client):
    client.create_cluster(clusterName="c1")
    td = client.register_task_definition(family="f", containerDefinitions=[{"name": "a", "image": "i", "memory": 64}])
    for name in ("web", "old"):
        client.create_service(cluster="c1", serviceName=name, desiredCount=1,
                              taskDefinition=td["taskDefinition"]["taskDefinitionArn"])
    client.delete_service(cluster="c1", service="old", force=True)  # INACTIVE, still listed by moto
    with pytest.raises(ecs.ECSUsageError, match=r"still has 1 service\(s\): web\. .*force: true"):
        absent(client, False, False)
    # check mode: the teardown's earlier task would have deleted them; a warning, not a failure
    warnings = []
    outcome = ecs_cluster.ensure_absent(client, cluster_params("c1", force=False, state="absent"),
                                        base.Context(check_mode=True, warn=warnings.append))
    assert outcome.changed is True and outcome.after == {} and ecs.get_cluster(client, "c1") is not None
    assert len(warnings) == 1 and "still has 1 service(s): web" in warnings[0] and "check mode" in warnings[0]
    assert absent(client, True, True).changed is True
    assert ecs.get_cluster(client, "c1") is not None
    outcome = absent(client, True, False)
    assert outcome.changed is True and outcome.result == {"cluster": {}} and outcome.before["cluster_name"] == "c1"
    assert ecs.get_cluster(client, "c1") is None
    assert ecs.describe_service(client, "c1", "web")["status"] == "INACTIVE"
    assert absent(client, True, False).changed is False


# ---------------------------------------------------------------- a fresh account (issue 13), stubbed

import functools

from botocore.stub import Stubber

SLR = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."


@pytest.fixture
def stubbed(fake_credentials, monkeypatch):
    monkeypatch.setattr(ecs, "retry_while", functools.partial(base.retry_while, sleep=lambda s: None))
    raw = boto3.client("ecs", region_name="us-east-1")
    with Stubber(raw) as stub:
        yield stub, retrying(raw)
        stub.assert_no_pending_responses()


def test_create_cluster_waits_for_the_service_linked_role(stubbed):
    stub, client = stubbed
    request = {"clusterName": "c", "capacityProviders": ["FARGATE"]}
    stub.add_client_error("create_cluster", "InvalidParameterException", SLR, expected_params=request)
    stub.add_client_error("create_cluster", "InvalidParameterException", SLR, expected_params=request)
    stub.add_response("create_cluster", {"cluster": {"clusterName": "c", "status": "ACTIVE"}}, request)
    notes = []
    assert ecs.create_cluster(client, "c", capacity_providers=["FARGATE"], note=notes.append)["clusterName"] == "c"
    assert len(notes) == 2 and "Unable to assume the service linked role" in notes[0]


def test_create_cluster_other_invalid_parameter_fails_at_once(stubbed):
    stub, client = stubbed
    stub.add_client_error("create_cluster", "InvalidParameterException", "The capacity provider NOPE is not valid.")
    with pytest.raises(ecs.AnsibleECSError):
        ecs.create_cluster(client, "c", capacity_providers=["NOPE"])
