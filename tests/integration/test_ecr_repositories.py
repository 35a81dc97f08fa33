"""Integration test of apranova.aws_stack.ecr_repositories against the moto server."""

from __future__ import annotations

import json

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ecr_repositories/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAMES = ["it-ecr/backend", "it-ecr/frontend"]


def _repositories(ecr):
    return {r["repositoryName"]: r for r in ecr.describe_repositories()["repositories"]}


def _policy(ecr, name):
    return json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])


def _counts(policy):
    """rulePriority -> countNumber of a lifecycle policy."""
    return {rule["rulePriority"]: rule["selection"]["countNumber"] for rule in policy["rules"]}


def _tags(ecr, arn):
    return {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=arn)["tags"]}


def _run(aws, phase):
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=phase)
    assert run.rc == 0, run
    return run


def _calls_of(aws, phase):
    """The AWS calls one phase made (nothing else talks to the emulator meanwhile)."""
    before = aws.aws_calls()
    _run(aws, phase)
    return aws.aws_calls() - before


def test_ecr_repositories(aws):
    ecr = aws.client("ecr")

    # Invalid input fails before any API call: nothing is created.
    _run(aws, "invalid")
    assert _repositories(ecr) == {}

    # Create (four steps): both repositories with their settings, tags and policies.
    _run(aws, "create")
    repos = _repositories(ecr)
    assert sorted(repos) == NAMES
    backend, frontend = repos["it-ecr/backend"], repos["it-ecr/frontend"]
    assert backend["imageScanningConfiguration"]["scanOnPush"] is True
    assert backend["imageTagMutability"] == "IMMUTABLE"
    assert backend["encryptionConfiguration"]["encryptionType"] == "AES256"
    assert frontend["imageScanningConfiguration"]["scanOnPush"] is False
    assert frontend["imageTagMutability"] == "MUTABLE"
    assert frontend["encryptionConfiguration"]["encryptionType"] == "KMS"
    for name in NAMES:
        assert _counts(_policy(ecr, name)) == {1: 7, 2: 20}
        assert _tags(ecr, repos[name]["repositoryArn"]) == {"Project": "itest", "Tier": "registry"}

    # A no-op as the registry role makes it (no tags): one DescribeRepositories for both, then the
    # two lifecycle policies side by side. Only the names: the DescribeRepositories alone.
    assert _calls_of(aws, "noop") == 3
    assert _calls_of(aws, "bare") == 1

    # Update (four steps): scanning off, tags mutable, other numbers in both policies, a tag dropped.
    _run(aws, "update")
    repos = _repositories(ecr)
    backend = repos["it-ecr/backend"]
    assert backend["imageScanningConfiguration"]["scanOnPush"] is False
    assert backend["imageTagMutability"] == "MUTABLE"
    for name in NAMES:
        assert _counts(_policy(ecr, name)) == {1: 7, 2: 5}
        assert _tags(ecr, repos[name]["repositoryArn"]) == {"Project": "itest"}

    # Refusals leave everything as it was: another encryption (scanning not turned back on either),
    # and a deletion without force_delete while backend holds an image (frontend not deleted either).
    ecr.put_image(repositoryName="it-ecr/backend", imageTag="v1", imageManifest=json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                    "digest": "sha256:" + "a" * 64}, "layers": []}))
    _run(aws, "refuse")
    repos = _repositories(ecr)
    assert sorted(repos) == NAMES
    assert repos["it-ecr/backend"]["imageScanningConfiguration"]["scanOnPush"] is False
    assert repos["it-ecr/frontend"]["encryptionConfiguration"]["encryptionType"] == "KMS"

    # Delete (four steps), images included; a listed name that never existed is no error.
    _run(aws, "delete")
    assert _repositories(ecr) == {}
