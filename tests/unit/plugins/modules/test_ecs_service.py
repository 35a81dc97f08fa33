"""Offline tests of the service helpers in module_utils/ecs.py (comparison, rollout state) and of
ecs_service's ensure_* functions against moto's in-process mock."""

from __future__ import annotations


import boto3
import pytest

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ecs
from ansible_collections.apranova.aws_stack.plugins.modules import ecs_service
from ...aws_answers import retrying

TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
TD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123"


def aws_service(**overrides):
    service = {
        "serviceName": "web", "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/web", "status": "ACTIVE",
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c", "taskDefinition": TD1, "desiredCount": 2,
        "runningCount": 2, "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-b", "subnet-a"],
                                                         "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "web", "containerPort": 8000}],
        "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                                    "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        "healthCheckGracePeriodSeconds": 60, "enableExecuteCommand": False, "propagateTags": "NONE",
        "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": TD1, "desiredCount": 2,
                         "runningCount": 2, "rolloutState": "COMPLETED", "rolloutStateReason": "done"}],
        "events": [{"message": "(service web) has reached a steady state."}],
        "tags": [{"key": "P", "value": "x"}],
    }
    service.update(overrides)
    return service


DESIRED = {
    "task_definition": TD1, "desired_count": 2, "platform_version": None,
    "network_configuration": {"subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-1"],
                              "assign_public_ip": False},
    "load_balancers": [{"target_group_arn": TG, "container_name": "web", "container_port": 8000}],
    "deployment_configuration": {"minimum_healthy_percent": 100, "maximum_percent": None,
                                 "deployment_circuit_breaker": {"enable": True, "rollback": True}},
    "health_check_grace_period_seconds": 60, "enable_execute_command": None, "propagate_tags": None,
}


def test_no_difference_when_everything_matches():
    assert ecs.service_updates(ecs.normalize_service(aws_service()), DESIRED) == ({}, [])


def test_unset_options_leave_attributes_alone():
    desired = {k: None for k in DESIRED}
    assert ecs.service_updates(ecs.normalize_service(aws_service()), desired) == ({}, [])


def test_task_definition_change_is_the_only_update():
    params, changed = ecs.service_updates(ecs.normalize_service(aws_service()), dict(DESIRED, task_definition=TD2))
    assert params == {"taskDefinition": TD2} and changed == ["task_definition"]


def test_dropped_settings_after_create_are_detected():
    # what moto's create_service returns: no deploymentConfiguration, grace period or exec flag
    current = ecs.normalize_service(aws_service(deploymentConfiguration=None, healthCheckGracePeriodSeconds=None,
                                                enableExecuteCommand=None))
    params, changed = ecs.service_updates(current, dict(DESIRED, enable_execute_command=True))
    assert changed == ["deployment_configuration", "health_check_grace_period_seconds", "enable_execute_command"]
    assert params["deploymentConfiguration"] == {"minimumHealthyPercent": 100, "deploymentCircuitBreaker": {
        "enable": True, "rollback": True}}
    assert params["healthCheckGracePeriodSeconds"] == 60 and params["enableExecuteCommand"] is True


def test_partial_deployment_configuration_keeps_the_rest():
    params, _changed = ecs.service_updates(
        ecs.normalize_service(aws_service()),
        dict(DESIRED, deployment_configuration={"minimum_healthy_percent": 50, "maximum_percent": None,
                                                "deployment_circuit_breaker": None}))
    assert params["deploymentConfiguration"] == {"minimumHealthyPercent": 50, "maximumPercent": 200,
                                                 "deploymentCircuitBreaker": {"enable": True, "rollback": True}}


def test_network_and_load_balancer_changes():
    current = ecs.normalize_service(aws_service())
    params, changed = ecs.service_updates(current, dict(DESIRED, network_configuration={
        "subnets": ["subnet-a"], "security_groups": None, "assign_public_ip": True}))
    assert changed == ["network_configuration"]
    assert params["networkConfiguration"] == {"awsvpcConfiguration": {"subnets": ["subnet-a"],
                                                                      "assignPublicIp": "ENABLED"}}
    params, changed = ecs.service_updates(current, dict(DESIRED, load_balancers=[]))
    assert changed == ["load_balancers"] and params["loadBalancers"] == []


@pytest.mark.parametrize("service, expected, state", [
    (aws_service(), TD1, "done"),
    (aws_service(runningCount=1), TD1, "waiting"),
    (aws_service(deployments=[dict(aws_service()["deployments"][0], rolloutState="IN_PROGRESS")]), TD1, "waiting"),
    (aws_service(deployments=[dict(aws_service()["deployments"][0], taskDefinition=TD2),
                              dict(aws_service()["deployments"][0], status="ACTIVE")]), TD2, "waiting"),
    (aws_service(deployments=[dict(aws_service()["deployments"][0], taskDefinition=TD2, rolloutState="FAILED",
                                   rolloutStateReason="tasks failed to start")]), TD2, "failed"),
    # rolled back by the circuit breaker: PRIMARY runs the old revision again
    (aws_service(), TD2, "failed"),
    # without rollback enabled, a PRIMARY on another revision is only not there yet
    (aws_service(deploymentConfiguration={}), TD2, "waiting"),
])
def test_rollout_status(service, expected, state):
    assert ecs.rollout_status(service, expected)[0] == state


def test_failed_rollout_reason():
    svc = aws_service(deployments=[dict(aws_service()["deployments"][0], rolloutState="FAILED",
                                        rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.")])
    assert ecs.rollout_status(svc, TD1) == ("failed", "ECS deployment circuit breaker: tasks failed to start.")


@pytest.fixture
def env(offline_aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
    client = retrying(boto3.client("ecs", region_name="us-east-1"))
    client.create_cluster(clusterName="c")
    for image in ("web:1", "web:2"):
        client.register_task_definition(family="web", cpu="256", memory="512", networkMode="awsvpc",
                                        requiresCompatibilities=["FARGATE"],
                                        containerDefinitions=[{"name": "web", "image": image}])
    desired = dict(DESIRED, task_definition="web:1", load_balancers=None,
                   network_configuration={"subnets": [subnet], "security_groups": [sg], "assign_public_ip": False})
    yield client, desired


def service_params(desired, cluster="c", launch_type="FARGATE", tags=None, wait=False, wait_timeout=5, state="present"):
    """The module's params (as AnsibleAWSModule hands them to ensure_*) with the options of ``desired``."""
    return dict(desired, name="web", cluster=cluster, state=state, launch_type=launch_type, force_new_deployment=False,
                tags=tags, purge_tags=True, wait=wait, wait_timeout=wait_timeout)


class Warned(list):
    def context(self, check_mode):
        return base.Context(check_mode=check_mode, warn=self.append)


def _present(client, desired, check_mode=False, wait=False, launch_type="FARGATE", tags=None, cluster="c",
             wait_timeout=5, warnings=None):
    ctx = (warnings if warnings is not None else Warned()).context(check_mode)
    return ecs_service.ensure_present(client, service_params(desired, cluster, launch_type, tags, wait, wait_timeout), ctx)


def _absent(client, wait, check_mode, cluster="c"):
    return ecs_service.ensure_absent(client, service_params(DESIRED, cluster, wait=wait, state="absent"),
                                     base.Context(check_mode=check_mode))


def test_create_sets_what_create_service_dropped(env):
    client, desired = env
    outcome = _present(client, desired, check_mode=True)
    assert outcome.changed and outcome.result["changed_attributes"] == ["created"] and ecs.get_service(client, "c", "web") is None
    assert outcome.result["service"]["task_definition"].endswith(":task-definition/web:1")
    assert outcome.before == {} and outcome.after == outcome.result["service"]

    outcome = _present(client, desired, tags={"P": "x"})
    raw = ecs.get_service(client, "c", "web")
    assert raw["healthCheckGracePeriodSeconds"] == 60
    assert raw["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert outcome.result["service"]["tags"] == {"P": "x"}
    # the short and full forms of the same revision are no change
    assert _present(client, desired, check_mode=True).changed is False
    assert _present(client, dict(desired, task_definition=raw["taskDefinition"])).changed is False


def test_a_service_on_the_task_definition_asked_for_reads_nothing_else(env):
    """No-op: one DescribeServices; the cluster and the revision are read only for a create or a change."""
    client, desired = env
    _present(client, desired)
    arn = ecs.get_service(client, "c", "web")["taskDefinition"]
    calls = []
    client.meta.events.register("before-call.ecs.*", lambda model, **_kw: calls.append(model.name))
    assert _present(client, dict(desired, task_definition=arn)).changed is False
    assert calls == ["DescribeServices"]
    del calls[:]
    # another revision: its network mode is checked against the running one's
    assert _present(client, dict(desired, task_definition=arn.replace("web:1", "web:2"))).changed is True
    assert sorted(calls[:3]) == ["DescribeServices", "DescribeTaskDefinition", "DescribeTaskDefinition"]


def test_update_in_place_and_immutable_launch_type(env):
    client, desired = env
    _present(client, desired)
    arn = ecs.get_service(client, "c", "web")["serviceArn"]
    outcome = _present(client, dict(desired, task_definition="web"))  # latest ACTIVE = 2
    after = outcome.result["service"]
    assert outcome.changed and outcome.result["changed_attributes"] == ["task_definition"]
    assert after["task_definition"].endswith("web:2")
    assert ecs.get_service(client, "c", "web")["serviceArn"] == arn
    with pytest.raises(ecs.ECSUsageError, match="launch_type FARGATE, which cannot change to EC2"):
        _present(client, desired, launch_type="EC2")


def test_create_needs_task_definition_and_network(env):
    client, desired = env
    with pytest.raises(ecs.ECSUsageError, match="desired_count is needed"):
        _present(client, dict(desired, desired_count=None))
    with pytest.raises(ecs.ECSUsageError, match="set network_configuration"):
        _present(client, dict(desired, network_configuration=None))
    with pytest.raises(ecs.ECSUsageError, match="matches no ACTIVE task definition"):
        _present(client, dict(desired, task_definition="web:7"))
    with pytest.raises(ecs.ECSUsageError, match="cluster nope does not exist"):
        _present(client, desired, cluster="nope")


def test_check_mode_warns_about_what_an_earlier_task_would_create(env):
    client, desired = env
    warnings = Warned()
    outcome = _present(client, dict(desired, task_definition="web:7"), check_mode=True, cluster="nope", warnings=warnings)
    assert outcome.changed and outcome.result["changed_attributes"] == ["created"]
    assert warnings == ["ECS cluster nope does not exist yet; assuming an earlier task creates it",
                        "task_definition web:7 matches no ACTIVE revision yet; assuming an earlier task registers it"]


def test_wait_times_out_with_a_clear_message(env):
    client, desired = env
    with pytest.raises(ecs.ECSRolloutError, match="did not reach a steady state within 1 seconds") as err:
        _present(client, desired, wait=True, wait_timeout=1)
    assert "raise wait_timeout" in str(err.value) and "service events" in str(err.value)
    assert "moto" not in str(err.value)  # the message is about the service, not about an emulator
    assert err.value.details["service"]["service_name"] == "web" and "events" in err.value.details


def test_wait_succeeds_when_tasks_run(env, monkeypatch):
    client, desired = env
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")  # moto then reports the rollout COMPLETED
    outcome = _present(client, desired, wait=True)
    after = outcome.result["service"]
    assert outcome.changed and after["running_count"] == 2 and after["deployments"][0]["rollout_state"] == "COMPLETED"


def test_ensure_absent(env):
    client, desired = env
    _present(client, desired)
    outcome = _absent(client, True, True)
    assert outcome.changed is True and outcome.result == {"service": {}, "changed_attributes": ["deleted"]}
    assert ecs.get_service(client, "c", "web") is not None
    assert _absent(client, True, False).changed is True
    assert ecs.describe_service(client, "c", "web")["status"] == "INACTIVE"
    outcome = _absent(client, True, False)
    assert outcome.changed is False and outcome.result == {"service": {}, "changed_attributes": []}
    assert _absent(client, True, False, cluster="missing-cluster").changed is False


# ---------------------------------------------------------------- AWS answers moto does not give (issue 13), stubbed

import functools

from botocore.stub import Stubber

SLR = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."
NO_LB = "The target group with targetGroupArn %s does not have an associated load balancer." % TG


@pytest.fixture
def stubbed(fake_credentials, monkeypatch):
    monkeypatch.setattr(ecs, "retry_while", functools.partial(base.retry_while, sleep=lambda s: None))
    raw = boto3.client("ecs", region_name="us-east-1")
    sent = []
    raw.meta.events.register("provide-client-params.ecs.*", lambda params, model, **kw: sent.append(
        (model.name, dict(params))))
    with Stubber(raw) as stub:
        yield stub, retrying(raw), sent
        stub.assert_no_pending_responses()


def test_create_service_rides_out_propagation_with_one_client_token(stubbed):
    stub, client, sent = stubbed
    stub.add_client_error("create_service", "InvalidParameterException", SLR)
    stub.add_client_error("create_service", "InvalidParameterException", NO_LB)
    stub.add_response("create_service", {"service": {"serviceName": "web", "status": "ACTIVE"}})
    notes = []
    service = ecs.create_service(client, note=notes.append, cluster="c", serviceName="web", taskDefinition=TD1,
                                 desiredCount=1)
    assert service["serviceName"] == "web"
    tokens = [params.get("clientToken") for name, params in sent if name == "CreateService"]
    assert len(tokens) == 3 and tokens[0] and len(set(tokens)) == 1 and len(tokens[0]) <= 36
    assert len(notes) == 2 and "service linked role" in notes[0] and "associated load balancer" in notes[1]
    # a second logical create gets a token of its own
    stub.add_response("create_service", {"service": {"serviceName": "api", "status": "ACTIVE"}})
    ecs.create_service(client, cluster="c", serviceName="api", taskDefinition=TD1, desiredCount=1)
    assert sent[-1][1]["clientToken"] != tokens[0]


def test_create_service_other_invalid_parameter_fails_at_once(stubbed):
    stub, client, sent = stubbed
    stub.add_client_error("create_service", "InvalidParameterException", "subnet-x is not valid")
    with pytest.raises(ecs.AnsibleECSError):
        ecs.create_service(client, cluster="c", serviceName="web", taskDefinition=TD1, desiredCount=1)
    assert len(sent) == 1


def test_list_services_reads_every_page_and_retries_a_throttled_one(stubbed):
    stub, client, sent = stubbed
    stub.add_response("list_services", {"serviceArns": ["arn:s1"], "nextToken": "t1"}, {"cluster": "c"})
    stub.add_client_error("list_services", "ThrottlingException", "Rate exceeded",
                          expected_params={"cluster": "c", "nextToken": "t1"})
    stub.add_response("list_services", {"serviceArns": ["arn:s1"], "nextToken": "t1"}, {"cluster": "c"})
    stub.add_response("list_services", {"serviceArns": ["arn:s2"]}, {"cluster": "c", "nextToken": "t1"})
    assert ecs.list_service_arns(client, "c") == ["arn:s1", "arn:s2"]


def test_several_services_in_one_task_are_read_and_changed_side_by_side(env, monkeypatch):
    """services: each element over the task's options; one concurrent round; results in order."""
    client, desired = env
    batches = []
    real = base.concurrently
    monkeypatch.setattr(base, "concurrently", lambda calls, **kw: batches.append(len(calls)) or real(calls, **kw))
    common = dict(service_params(desired, tags={"P": "x"}), name=None)
    elements = [{"name": "web"}, {"name": "api", "desired_count": 1, "tags": {"Service": "api"}}]
    outcome = base.one_or_each(ecs_service.ensure_present, "services", "name")(client, dict(common, services=elements), base.Context())
    assert outcome.changed and batches[0] == 2
    web, api = outcome.result["services"]
    assert web["changed_attributes"] == api["changed_attributes"] == ["created"]
    assert (web["service"]["desired_count"], api["service"]["desired_count"]) == (2, 1)
    assert (web["service"]["tags"], api["service"]["tags"]) == ({"P": "x"}, {"Service": "api"})
    assert sorted(outcome.after) == ["api", "web"]
    again = base.one_or_each(ecs_service.ensure_present, "services", "name")(client, dict(common, services=elements), base.Context())
    assert not again.changed and [r["changed_attributes"] for r in again.result["services"]] == [[], []]


def test_service_elements_are_checked_against_the_options_of_one_service():
    spec = {"name": dict(type="str"), "desired_count": dict(type="int"), "launch_type": dict(type="str", default="FARGATE", choices=["FARGATE", "EC2"])}
    spec.update({k: dict(type="raw") for k in ecs_service.PER_SERVICE if k not in spec})

    def service_elements(elements):
        return base.list_elements({"services": elements, "cluster": "c"}, "services", "name", "service", spec,
                                  ecs_service.PER_SERVICE, lambda p, where: [])

    checked, found = service_elements([{"name": "a", "desired_count": "3"}, {"name": "a", "launch_type": "EC2"}])
    # types are converted, and no default fills in what an element leaves to the task
    assert checked == [{"name": "a", "desired_count": 3}, {"name": "a", "launch_type": "EC2"}]
    assert found == ["services names service a more than once"]
    _checked, found = service_elements([{"desired_count": 1}, {"name": "b", "cluster": "c"}, {"name": "d", "launch_type": "X"}])
    assert found[0].startswith("services[0]: missing required arguments: name")
    assert found[1].startswith("services[1]: cluster not an option of one service")
    assert found[2].startswith("services[2]: value of launch_type must be one of: FARGATE, EC2")
    # then the module's own checks of each element over the task's options, naming the element
    _checked, found = base.list_elements(
        {"services": [{"name": "a", "desired_count": -1}], "cluster": "c", "desired_count": None}, "services", "name", "service",
        spec, ecs_service.PER_SERVICE, lambda p, where: ["%sdesired_count %d" % (where, p["desired_count"])] if p["desired_count"] < 0 else [])
    assert found == ["services[0] (a): desired_count -1"]
