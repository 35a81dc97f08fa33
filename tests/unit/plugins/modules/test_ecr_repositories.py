"""Offline tests of ecr_repositories's ensure_* functions against moto's in-process ECR, with every
call counted (the no-op of the registry role's two repositories: three calls, two side by side)."""

from __future__ import annotations

import json
import threading

import boto3
import pytest

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.modules import ecr_repositories as mod
from ...aws_answers import retrying

POLICY = {"rules": [
    {"rulePriority": 1, "description": "Expire untagged images",
     "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
     "action": {"type": "expire"}},
    {"rulePriority": 2, "description": "Keep the newest tagged images",
     "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}, "action": {"type": "expire"}},
]}

# A minimal Docker image manifest (what PutImage needs to store an image).
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                                  "digest": "sha256:" + "a" * 64}, "layers": []})


class Calls:
    def __init__(self, client):
        self.operations, self.threads, self.by_thread = [], set(), []
        client.client.meta.events.register("before-call.ecr.*", self._record)

    def _record(self, model, **kwargs):
        self.operations.append(model.name)
        self.threads.add(threading.get_ident())
        self.by_thread.append((model.name, threading.get_ident()))

    def writes(self):
        return [op for op in self.operations if not op.startswith(("Describe", "Get", "List"))]


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("ecr", region_name="us-east-1"))


def repo(name, **settings):
    """One entry of ``repositories`` as AnsibleAWSModule hands it over (unset options None; json as a string)."""
    entry = {"name": name, "scan_on_push": None, "image_tag_mutability": None, "lifecycle_policy": None,
             "encryption_configuration": None}
    entry.update(settings)
    if isinstance(entry["lifecycle_policy"], dict):
        entry["lifecycle_policy"] = json.dumps(entry["lifecycle_policy"])
    return entry


def params(repositories, tags=None, purge_tags=True, state="present", force_delete=False):
    return {"repositories": repositories, "tags": tags, "purge_tags": purge_tags, "state": state, "force_delete": force_delete}


def present(client, check_mode=False, **kw):
    return mod.ensure_present(client, params(**kw), base.Context(check_mode=check_mode))


def absent(client, check_mode=False, **kw):
    return mod.ensure_absent(client, params(state="absent", **kw), base.Context(check_mode=check_mode))


ROLE = [repo("apranova/backend", scan_on_push=True, image_tag_mutability="mutable", lifecycle_policy=POLICY),
        repo("apranova/frontend", scan_on_push=True, image_tag_mutability="mutable", lifecycle_policy=POLICY)]


def test_the_registry_roles_no_op_makes_three_calls_side_by_side(client):
    assert present(client, repositories=ROLE).changed
    calls = Calls(client)
    out = present(client, repositories=ROLE)
    assert not out.changed
    assert sorted(calls.operations) == ["DescribeRepositories", "GetLifecyclePolicy", "GetLifecyclePolicy"]
    # all three in worker threads, none in the calling thread: GetLifecyclePolicy takes the name, it
    # does not wait for DescribeRepositories (a pool may run two on one worker when one ends first)
    assert threading.get_ident() not in calls.threads
    assert [r["name"] for r in out.result["repositories"]] == ["apranova/backend", "apranova/frontend"]
    assert out.result["repositories"][0]["lifecycle_policy"] == POLICY
    assert "tags" not in out.result["repositories"][0]
    assert out.before == {} and out.after == {}


def test_four_steps_of_a_creation(client):
    tags = {"Project": "apranova"}
    calls = Calls(client)
    check = present(client, check_mode=True, repositories=ROLE, tags=tags)
    assert check.changed and calls.writes() == []
    assert check.result["repositories"][0]["arn"] is None
    assert check.result["repositories"][0]["tags"] == tags
    assert set(check.after) == {"apranova/backend", "apranova/frontend"} and check.before == {}

    created = present(client, repositories=ROLE, tags=tags)
    assert created.changed
    assert calls.writes() == ["CreateRepository", "PutLifecyclePolicy"] * 2
    raw = client.describe_repositories()["repositories"]
    assert all(r["imageScanningConfiguration"]["scanOnPush"] for r in raw)
    for r in raw:
        assert client.list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"] == [{"Key": "Project", "Value": "apranova"}]
    # what check mode announced is what was made, but for the ids AWS gave
    for announced, made in zip(check.result["repositories"], created.result["repositories"]):
        assert {k: v for k, v in announced.items() if k not in ("arn", "uri", "registry_id")} == \
            {k: v for k, v in made.items() if k not in ("arn", "uri", "registry_id")}

    assert not present(client, check_mode=True, repositories=ROLE, tags=tags).changed
    del calls.operations[:]
    again = present(client, repositories=ROLE, tags=tags)
    assert not again.changed
    # tags managed: one ListTagsForResource per repository, beside the lifecycle reads
    assert sorted(calls.operations) == ["DescribeRepositories", "GetLifecyclePolicy", "GetLifecyclePolicy",
                                        "ListTagsForResource", "ListTagsForResource"]


def test_update_changes_only_what_differs_and_reports_both_sides(client):
    present(client, repositories=ROLE, tags={"Project": "apranova", "Old": "x"})
    other = dict(POLICY, rules=[dict(POLICY["rules"][0]), dict(POLICY["rules"][1], selection=dict(POLICY["rules"][1]["selection"], countNumber=5))])
    wanted = [repo("apranova/backend", scan_on_push=False, image_tag_mutability="IMMUTABLE"),
              repo("apranova/frontend", lifecycle_policy=other)]
    calls = Calls(client)
    check = present(client, check_mode=True, repositories=wanted, tags={"Project": "apranova"})
    assert check.changed and calls.writes() == []
    assert check.before["apranova/backend"]["scan_on_push"] is True
    assert check.after["apranova/backend"]["image_tag_mutability"] == "IMMUTABLE"
    assert check.after["apranova/frontend"]["lifecycle_policy"]["rules"][1]["selection"]["countNumber"] == 5
    assert check.before["apranova/frontend"]["tags"] == {"Project": "apranova", "Old": "x"}

    out = present(client, repositories=wanted, tags={"Project": "apranova"})
    assert out.changed
    assert sorted(calls.writes()) == ["PutImageScanningConfiguration", "PutImageTagMutability", "PutLifecyclePolicy",
                                      "UntagResource", "UntagResource"]
    backend = client.describe_repositories(repositoryNames=["apranova/backend"])["repositories"][0]
    assert backend["imageTagMutability"] == "IMMUTABLE" and not backend["imageScanningConfiguration"]["scanOnPush"]
    text = client.get_lifecycle_policy(repositoryName="apranova/frontend")["lifecyclePolicyText"]
    assert json.loads(text)["rules"][1]["selection"]["countNumber"] == 5
    # backend's policy was not managed here: left as it was
    assert json.loads(client.get_lifecycle_policy(repositoryName="apranova/backend")["lifecyclePolicyText"]) == POLICY
    assert not present(client, repositories=wanted, tags={"Project": "apranova"}).changed


def test_policy_given_as_json_text_in_another_order_is_no_change(client):
    present(client, repositories=ROLE)
    text = json.dumps({"rules": list(reversed(POLICY["rules"]))}, indent=4)
    assert not present(client, repositories=[repo("apranova/backend", lifecycle_policy=text)]).changed


def test_an_encryption_difference_is_refused_before_any_change(client):
    client.create_repository(repositoryName="a/kms", encryptionConfiguration={"encryptionType": "KMS"})
    client.create_repository(repositoryName="a/plain")
    calls = Calls(client)
    with pytest.raises(ValueError) as refused:
        present(client, repositories=[repo("a/plain", scan_on_push=True),
                                      repo("a/kms", encryption_configuration={"encryption_type": "AES256", "kms_key": None}),
                                      repo("a/new")])
    assert "cannot change it" in str(refused.value)
    assert "a/kms: encryption_type is KMS, not AES256" in str(refused.value)
    assert calls.writes() == []
    # the same type is no difference (AWS picked the managed key: no key asked)
    assert not present(client, repositories=[repo("a/kms", encryption_configuration={"encryption_type": "KMS", "kms_key": None})]).changed


def test_absent_deletes_the_listed_repositories_that_exist(client):
    present(client, repositories=ROLE)
    calls = Calls(client)
    check = absent(client, check_mode=True, repositories=[repo("apranova/frontend"), repo("apranova/none")])
    assert check.changed and calls.writes() == []
    assert check.result == {"repositories": [], "deleted_repositories": ["apranova/frontend"]}
    assert set(check.before) == {"apranova/frontend"} and check.after == {}
    out = absent(client, repositories=[repo("apranova/frontend"), repo("apranova/none")])
    assert out.changed and "DeleteRepository" in calls.writes()
    assert [r["repositoryName"] for r in client.describe_repositories()["repositories"]] == ["apranova/backend"]
    assert not absent(client, repositories=[repo("apranova/frontend")]).changed


def test_absent_refuses_repositories_with_images_before_deleting_any(client):
    present(client, repositories=ROLE)
    client.put_image(repositoryName="apranova/frontend", imageTag="v1",
                     imageManifest=MANIFEST)
    with pytest.raises(ValueError, match="apranova/frontend still holds images; set force_delete: true.*nothing was deleted"):
        absent(client, repositories=ROLE)
    assert len(client.describe_repositories()["repositories"]) == 2
    calls = Calls(client)
    assert absent(client, repositories=ROLE, force_delete=True).changed
    assert "ListImages" not in calls.operations  # force_delete: no need to look
    assert client.describe_repositories()["repositories"] == []


def test_options_left_unset_leave_a_repository_alone(client):
    present(client, repositories=ROLE, tags={"Project": "apranova"})
    calls = Calls(client)
    out = present(client, repositories=[repo("apranova/backend")])
    assert not out.changed
    assert calls.operations == ["DescribeRepositories"]
    assert "lifecycle_policy" not in out.result["repositories"][0]
