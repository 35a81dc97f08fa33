"""Offline tests of plugins/module_utils/ecr.py: the pure helpers, and the reads against moto's
in-process ECR with every call counted."""

from __future__ import annotations

import json
import threading

import boto3
import pytest

from ansible_collections.apranova.aws_stack.plugins.module_utils import ecr
from ...aws_answers import AWSAnswers, retrying

POLICY = {"rules": [
    {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                                      "countNumber": 7}, "action": {"type": "expire"}},
    {"rulePriority": 2, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20},
     "action": {"type": "expire"}},
]}

# A minimal Docker image manifest (what PutImage needs to store an image).
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                                  "digest": "sha256:" + "a" * 64}, "layers": []})


class Calls:
    """Every ECR operation a client makes, in order, and the threads that made them."""

    def __init__(self, client):
        self.operations, self.threads = [], set()
        getattr(client, "client", client).meta.events.register("before-call.ecr.*", self._record)

    def _record(self, model, **kwargs):
        self.operations.append(model.name)
        self.threads.add(threading.get_ident())


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("ecr", region_name="us-east-1"))


def test_find_repositories_reads_all_names_in_one_call(client):
    for name in ("a/one", "a/two", "a/other"):
        client.create_repository(repositoryName=name)
    calls = Calls(client)
    found = ecr.find_repositories(client, ["a/one", "a/two"])
    assert sorted(found) == ["a/one", "a/two"]
    assert calls.operations == ["DescribeRepositories"]


def test_find_repositories_falls_back_to_one_call_per_name_side_by_side(client):
    # AWS fails the whole call when one name is missing: each name is then described on its own.
    client.create_repository(repositoryName="a/one")
    calls = Calls(client)
    found = ecr.find_repositories(client, ["a/one", "a/missing", "a/gone"])
    assert sorted(found) == ["a/one"]
    assert calls.operations == ["DescribeRepositories"] * 4
    assert len(calls.threads) > 1  # the three fallbacks ran in threads


def test_find_repositories_batches_names_by_100(client):
    names = ["r/%03d" % i for i in range(150)]
    for name in names:
        client.create_repository(repositoryName=name)
    calls = Calls(client)
    assert len(ecr.find_repositories(client, names)) == 150
    assert calls.operations == ["DescribeRepositories"] * 2


def test_a_throttled_describe_is_retried_not_taken_for_missing(client, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    client.create_repository(repositoryName="a/one")
    AWSAnswers(client, "DescribeRepositories", "ThrottlingException", 1)
    assert sorted(ecr.find_repositories(client, ["a/one"])) == ["a/one"]


def test_a_create_whose_answer_was_lost_adopts_the_repository_it_made(client, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    lost = AWSAnswers(client, "CreateRepository", "InternalFailure", 1, status=500, after_success=True)
    repo = ecr.create_repository(client, "a/one", True, "IMMUTABLE", None, {"Project": "x"})
    assert len(lost.sent) == 2  # tried again after the 500, answered RepositoryAlreadyExists
    assert repo["repositoryName"] == "a/one" and repo["imageTagMutability"] == "IMMUTABLE"
    assert [r["repositoryName"] for r in client.describe_repositories()["repositories"]] == ["a/one"]


def test_lifecycle_policy_absent_is_none_and_put_is_read_back_parsed(client):
    client.create_repository(repositoryName="a/one")
    assert ecr.get_lifecycle_policy(client, "a/one") is None
    assert ecr.get_lifecycle_policy(client, "a/missing") is None
    ecr.put_lifecycle_policy(client, "a/one", POLICY)
    assert ecr.get_lifecycle_policy(client, "a/one") == POLICY


def test_delete_of_a_repository_with_images_says_what_to_do(client):
    client.create_repository(repositoryName="a/full")
    client.put_image(repositoryName="a/full", imageTag="v1", imageManifest=MANIFEST)
    assert ecr.has_images(client, "a/full") is True
    with pytest.raises(ecr.RepositoryNotEmpty, match="a/full still holds images; set force_delete: true"):
        ecr.delete_repository(client, "a/full", force=False)
    assert ecr.delete_repository(client, "a/full", force=True) is True
    assert ecr.delete_repository(client, "a/full", force=True) is False  # already gone
    assert ecr.has_images(client, "a/full") is False


def test_parse_and_normalize_lifecycle_policy():
    assert ecr.parse_lifecycle_policy(None) is None
    assert ecr.parse_lifecycle_policy(json.dumps(POLICY)) == POLICY
    with pytest.raises(ValueError):
        ecr.parse_lifecycle_policy("[1]")
    with pytest.raises(ValueError):
        ecr.parse_lifecycle_policy("{not json")
    reordered = {"rules": list(reversed(POLICY["rules"]))}
    assert ecr.normalize_lifecycle_policy(reordered) == POLICY
    assert ecr.normalize_lifecycle_policy(None) is None


def test_validate_repositories_reports_every_problem():
    errors = ecr.validate_repositories([
        {"name": "Upper/Case"},
        {"name": "ok/one", "image_tag_mutability": "immutable", "lifecycle_policy": json.dumps(POLICY)},
        {"name": "ok/one", "image_tag_mutability": "sometimes"},
        {"name": "k", "encryption_configuration": {"encryption_type": "AES256", "kms_key": "alias/x"}},
        {"name": "bad/policy", "lifecycle_policy": "[]"},
    ], "present")
    assert errors == [
        "repositories[0] (Upper/Case): the name must be 2 to 256 lower-case letters, digits and . _ - separated by / "
        "(for example apranova/backend).",
        "repositories[2] (ok/one): the name is already used by repositories[1]; list each repository once.",
        "repositories[2] (ok/one): image_tag_mutability 'sometimes' is not MUTABLE or IMMUTABLE.",
        "repositories[3] (k): the name must be 2 to 256 lower-case letters, digits and . _ - separated by / "
        "(for example apranova/backend).",
        "repositories[3] (k): encryption_configuration.kms_key is only used with encryption_type KMS or KMS_DSSE.",
        "repositories[4] (bad/policy): lifecycle_policy is not valid: a lifecycle policy is a JSON object with a "
        "'rules' list.",
    ]
    # with state=absent only the names count
    assert ecr.validate_repositories([{"name": "ok/one", "image_tag_mutability": "sometimes"}], "absent") == []


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("current,desired,difference", [
    ({"encryption_type": "AES256", "kms_key": None}, None, None),
    ({"encryption_type": "AES256", "kms_key": None}, {"encryption_type": "AES256"}, None),
    ({"encryption_type": "AES256", "kms_key": None}, {"encryption_type": "KMS"}, "encryption_type is AES256, not KMS"),
    ({"encryption_type": "KMS", "kms_key": KEY}, {"encryption_type": "KMS"}, None),
    ({"encryption_type": "KMS", "kms_key": KEY}, {"encryption_type": "KMS", "kms_key": KEY}, None),
    ({"encryption_type": "KMS", "kms_key": KEY}, {"encryption_type": "KMS", "kms_key": "1234abcd-12ab-34cd-56ef-1234567890ab"}, None),
    ({"encryption_type": "KMS", "kms_key": KEY}, {"encryption_type": "KMS", "kms_key": "alias/any"}, None),
    ({"encryption_type": "KMS", "kms_key": KEY}, {"encryption_type": "KMS", "kms_key": "other-key-id"},
     "kms_key is %s, not other-key-id" % KEY),
])
def test_encryption_difference(current, desired, difference):
    assert ecr.encryption_difference(current, desired) == difference


def test_normalize_repository_fills_aws_defaults():
    assert ecr.normalize_repository({"repositoryName": "a/b", "repositoryArn": "arn", "repositoryUri": "uri",
                                     "registryId": "123"}) == {
        "name": "a/b", "arn": "arn", "uri": "uri", "registry_id": "123", "scan_on_push": False,
        "image_tag_mutability": "MUTABLE", "encryption_configuration": {"encryption_type": "AES256", "kms_key": None},
    }
