"""Offline tests of the task definition normalisers in module_utils/ecs.py and of
ecs_task_definition's ensure_* functions against moto's in-process mock."""

from __future__ import annotations

import copy

import boto3
import pytest


from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ecs
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_decorator
from ansible_collections.apranova.aws_stack.plugins.modules import ecs_task_definition
from ...aws_answers import retrying

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"


def backend_spec(image="backend:1.0.0", port=8000):
    return ecs.task_definition_spec(
        "backend",
        [{
            "name": "backend",
            "image": image,
            "portMappings": [{"containerPort": port}],
            "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": SECRET}],
            "healthCheck": {"command": ["CMD", "true"]},
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/backend"}},
        }],
        cpu="512", memory="1024", requires_compatibilities=["FARGATE"],
        volumes=[{"name": "data", "efsVolumeConfiguration": {
            "fileSystemId": "fs-1", "transitEncryption": "ENABLED",
            "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"}}}],
    )


def as_aws_returns(spec):
    """The spec the way AWS describes the registered revision: defaults filled in, lists reordered."""
    td = copy.deepcopy(spec)
    c = td["containerDefinitions"][0]
    c.update(cpu=0, essential=True, volumesFrom=[], systemControls=[])
    c["portMappings"] = [dict(pm, hostPort=pm["containerPort"], protocol="tcp") for pm in c["portMappings"]]
    c["environment"] = list(reversed(c["environment"]))
    c["healthCheck"] = dict(c["healthCheck"], interval=30, timeout=5, retries=3)
    c["mountPoints"] = [dict(m, readOnly=False) for m in c["mountPoints"]]
    c["logConfiguration"]["secretOptions"] = []
    td["volumes"][0]["efsVolumeConfiguration"]["rootDirectory"] = "/"
    td.update(taskDefinitionArn="arn:aws:ecs:us-east-1:123456789012:task-definition/backend:1", revision=1,
              status="ACTIVE", compatibilities=["EC2", "FARGATE"], placementConstraints=[],
              requiresAttributes=[{"name": "ecs.capability.efsAuth"}])
    return td


def test_spec_coerces_templated_integers_and_stringifies_cpu():
    spec = ecs.task_definition_spec("f", [{"name": "a", "image": "i", "portMappings": [{"containerPort": "8000"}],
                                           "memoryReservation": "256"}], cpu=512, memory=1024)
    assert spec["containerDefinitions"][0]["portMappings"][0]["containerPort"] == 8000
    assert spec["containerDefinitions"][0]["memoryReservation"] == 256
    assert (spec["cpu"], spec["memory"], spec["networkMode"]) == ("512", "1024", "awsvpc")


def test_aws_filled_defaults_are_not_a_difference():
    spec = backend_spec()
    assert ecs.task_definition_differences(spec, as_aws_returns(spec)) == []


@pytest.mark.parametrize("change, expected", [
    (lambda td: td["containerDefinitions"][0].update(image="backend:2"), ["containerDefinitions"]),
    (lambda td: td["containerDefinitions"][0]["secrets"][0].update(valueFrom=SECRET + "x"), ["containerDefinitions"]),
    (lambda td: td["containerDefinitions"][0].update(essential=False), ["containerDefinitions"]),
    (lambda td: td["containerDefinitions"][0]["portMappings"][0].update(protocol="udp"), ["containerDefinitions"]),
    (lambda td: td.update(cpu="1024"), ["cpu"]),
    (lambda td: td.update(executionRoleArn="arn:aws:iam::1:role/x"), ["executionRoleArn"]),
    (lambda td: td["volumes"][0]["efsVolumeConfiguration"]["authorizationConfig"].update(iam="DISABLED"), ["volumes"]),
    (lambda td: td["volumes"][0]["efsVolumeConfiguration"].update(rootDirectory="/srv"), ["volumes"]),
])
def test_real_changes_are_differences(change, expected):
    spec = backend_spec()
    current = as_aws_returns(spec)
    change(current)
    assert ecs.task_definition_differences(spec, current) == expected


def test_host_port_only_ignored_when_it_cannot_differ():
    bridge = {"networkMode": "bridge", "containerDefinitions": [
        {"name": "a", "image": "i", "portMappings": [{"containerPort": 80, "hostPort": 0}]}]}
    assert ecs.comparable_task_definition(bridge)["containerDefinitions"][0]["portMappings"] == [
        {"containerPort": 80, "hostPort": 0}]
    same = {"networkMode": "bridge", "containerDefinitions": [
        {"name": "a", "image": "i", "portMappings": [{"containerPort": 80, "hostPort": 80}]}]}
    assert ecs.comparable_task_definition(same)["containerDefinitions"][0]["portMappings"] == [{"containerPort": 80}]


def test_parse_task_definition_arn():
    assert ecs.parse_task_definition_arn("arn:aws:ecs:us-east-1:1:task-definition/web:12") == ("web", 12)
    assert ecs.parse_task_definition_arn("web:3") == ("web", 3)
    assert ecs.parse_task_definition_arn("web") == ("web", None)


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("ecs", region_name="us-east-1"))


def _active(client, family="backend"):
    return [ecs.parse_task_definition_arn(a)[1] for a in ecs.list_task_definition_arns(client, family)]


def backend_params(image="backend:1.0.0", tags=None, replace_previous=False, state="present"):
    """The module's params that ask for ``backend_spec(image)``."""
    spec = backend_spec(image)
    return {
        "family": "backend", "state": state, "cpu": "512", "memory": "1024", "network_mode": "awsvpc",
        "requires_compatibilities": ["FARGATE"], "execution_role_arn": None, "task_role_arn": None,
        "container_definitions": spec["containerDefinitions"], "volumes": spec["volumes"], "runtime_platform": None,
        "tags": tags, "purge_tags": True, "replace_previous": replace_previous,
    }


def present(client, image, tags, check_mode, replace_previous=False):
    return ecs_task_definition.ensure_present(client, backend_params(image, tags, replace_previous),
                                              base.Context(check_mode=check_mode))


def absent(client, family, check_mode):
    return ecs_task_definition.ensure_absent(client, dict(backend_params(state="absent"), family=family),
                                             base.Context(check_mode=check_mode))


def test_the_module_options_make_the_spec():
    assert ecs_task_definition.task_definition_spec(backend_params("backend:2")) == backend_spec("backend:2")


def test_ensure_present_is_idempotent_and_registers_once_per_change(client):
    outcome = present(client, "backend:1.0.0", {"P": "x"}, True)
    after = outcome.result["task_definition"]
    assert outcome.changed and outcome.before == {} and after["task_definition_arn"] is None and after["family"] == "backend"
    assert outcome.after == after and outcome.result["differences"] == ["family"]
    assert _active(client) == []  # check mode registered nothing

    outcome = present(client, "backend:1.0.0", {"P": "x"}, False)
    after = outcome.result["task_definition"]
    assert outcome.changed and after["revision"] == 1 and after["tags"] == {"P": "x"}
    outcome = present(client, "backend:1.0.0", {"P": "x"}, False)
    after = outcome.result["task_definition"]
    assert not outcome.changed and outcome.result["differences"] == [] and after["revision"] == 1

    outcome = present(client, "backend:2", None, False)
    after = outcome.result["task_definition"]
    assert outcome.changed and outcome.result["differences"] == ["containerDefinitions"] and after["revision"] == 2
    assert after["tags"] == {"P": "x"}  # tags unset: inherited from the previous revision
    assert _active(client) == [1, 2]

    outcome = present(client, "backend:2", {"P": "y"}, False)
    after = outcome.result["task_definition"]
    assert outcome.changed and outcome.result["differences"] == ["tags"] and after["revision"] == 2
    assert ecs.describe_task_definition(client, after["task_definition_arn"])[1] == {"P": "y"}


def test_latest_active_skips_a_newer_inactive_revision(client):
    for image in ("a", "b"):
        ecs.register_task_definition(client, backend_spec(image))
    ecs.deregister_task_definition(client, "backend:2")
    td, _tags = ecs.latest_active_task_definition(client, "backend")
    assert td["revision"] == 1
    assert ecs.resolve_task_definition_arn(client, "backend").endswith("backend:1")
    assert ecs.resolve_task_definition_arn(client, "nope") is None
    assert ecs.resolve_task_definition_arn(client, "backend:9") is None
    # comparing against revision 1, not the deregistered 2: image "b" is a change, "a" is not
    assert present(client, "a", None, True).changed is False


def test_latest_active_of_an_existing_family_is_one_call(client):
    """DescribeTaskDefinition of the family alone answers its latest ACTIVE revision: a no-op run
    reads each family in one round trip; only a family AWS does not know is listed too."""
    for image in ("a", "b"):
        ecs.register_task_definition(client, backend_spec(image))
    calls = []
    client.meta.events.register("before-call.ecs.*", lambda model, **kw: calls.append(model.name))
    td, _tags = ecs.latest_active_task_definition(client, "backend")
    assert td["revision"] == 2 and calls == ["DescribeTaskDefinition"]
    calls.clear()
    assert ecs.latest_active_task_definition(client, "nope") is None
    assert calls == ["DescribeTaskDefinition", "ListTaskDefinitions"]


def test_ensure_absent_deregisters_every_active_revision(client):
    for image in ("a", "b", "c"):
        ecs.register_task_definition(client, backend_spec(image))
    ecs.register_task_definition(client, dict(backend_spec("z"), family="backend-other"))
    assert absent(client, "backend", True).changed is True
    assert _active(client) == [1, 2, 3]
    outcome = absent(client, "backend", False)
    arns = outcome.result["deregistered"]
    assert outcome.changed and len(arns) == 3 and _active(client) == []
    assert outcome.result["task_definition"] == {} and outcome.before["revision"] == 3 and outcome.after == {}
    assert _active(client, "backend-other") == [1]
    assert absent(client, "backend", False).changed is False


def test_replace_previous_deregisters_only_the_revision_it_replaces(client):
    present(client, "a", None, False)
    present(client, "b", None, False)
    # unchanged: nothing registered, nothing deregistered
    assert present(client, "b", None, False, replace_previous=True).changed is False
    assert _active(client) == [1, 2]
    # check mode: planned, nothing deregistered
    assert present(client, "c", None, True, replace_previous=True).changed
    assert _active(client) == [1, 2]
    outcome = present(client, "c", None, False, replace_previous=True)
    assert outcome.changed and outcome.result["task_definition"]["revision"] == 3
    assert _active(client) == [1, 3]


def test_list_task_definitions_reads_every_page_and_retries_a_throttled_one(monkeypatch):
    """The paginator walk goes through the retry policy (base.paginate), and no page is skipped."""
    from botocore.stub import Stubber

    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    raw = boto3.client("ecs", region_name="us-east-1")
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/%s"
    first = {"familyPrefix": "backend", "status": "ACTIVE"}
    with Stubber(raw) as stub:
        stub.add_response("list_task_definitions", {"taskDefinitionArns": [arn % "backend:2", arn % "backend-x:9"],
                                                    "nextToken": "t1"}, first)
        stub.add_client_error("list_task_definitions", "ThrottlingException", "Rate exceeded",
                              expected_params=dict(first, nextToken="t1"))
        stub.add_response("list_task_definitions", {"taskDefinitionArns": [arn % "backend:2", arn % "backend-x:9"],
                                                    "nextToken": "t1"}, first)
        stub.add_response("list_task_definitions", {"taskDefinitionArns": [arn % "backend:10"]},
                          dict(first, nextToken="t1"))
        client = RetryingBotoClientWrapper(raw, retry_decorator())
        assert ecs.list_task_definition_arns(client, "backend") == [arn % "backend:2", arn % "backend:10"]
        stub.assert_no_pending_responses()


def test_several_families_in_one_task_are_read_side_by_side_and_take_the_tasks_values(client, monkeypatch):
    """task_definitions: each element over the top-level options; one concurrent round for all families."""
    common = dict(backend_params(), family=None, cpu=None, memory=None, container_definitions=None, volumes=None)
    frontend = {"family": "frontend", "cpu": "256", "memory": "512", "tags": {"Service": "frontend"},
                "container_definitions": [{"name": "frontend", "image": "frontend:1"}]}
    backend = {"family": "backend", "cpu": "512", "memory": "1024", "container_definitions": backend_spec()["containerDefinitions"],
               "volumes": backend_spec()["volumes"], "replace_previous": None}
    params = dict(common, tags={"P": "x"}, task_definitions=[frontend, backend])
    batches = []
    real = base.concurrently
    monkeypatch.setattr(base, "concurrently", lambda calls, **kw: batches.append(len(calls)) or real(calls, **kw))
    outcome = base.one_or_each(ecs_task_definition.ensure_present, "task_definitions", "family")(client, params, base.Context())
    assert outcome.changed and batches == [2]
    first, second = outcome.result["task_definitions"]
    assert first["task_definition"]["family"] == "frontend" and first["task_definition"]["tags"] == {"Service": "frontend"}
    assert first["task_definition"]["cpu"] == "256" and first["differences"] == ["family"]
    # an element's unset option takes the task's: the backend's tags and network mode
    assert second["task_definition"]["tags"] == {"P": "x"} and second["task_definition"]["network_mode"] == "awsvpc"
    assert sorted(outcome.after) == ["backend", "frontend"] and outcome.before == {}
    again = base.one_or_each(ecs_task_definition.ensure_present, "task_definitions", "family")(client, params, base.Context())
    assert not again.changed and [r["differences"] for r in again.result["task_definitions"]] == [[], []]
    gone = base.one_or_each(ecs_task_definition.ensure_absent, "task_definitions", "family")(client, dict(params, state="absent"), base.Context())
    assert gone.changed and [len(r["deregistered"]) for r in gone.result["task_definitions"]] == [1, 1]


def test_the_families_of_one_task_are_checked_each_and_named():
    p = dict(backend_params(), family=None, task_definitions=None)
    assert ecs_task_definition.problems(dict(p, container_definitions=None)) == [
        "container_definitions is required with state=present"]
    bad = dict(p, container_definitions=[{"name": "x"}], network_mode="bridge")
    assert ecs_task_definition.problems(bad, "task_definitions[1] (x): ") == [
        "task_definitions[1] (x): container_definitions[0] need both a name and an image (AWS camelCase keys)",
        "task_definitions[1] (x): requires_compatibilities includes FARGATE, which needs network_mode: awsvpc (got bridge)"]
