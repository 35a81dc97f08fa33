"""Offline tests of apranova.aws_stack.efs_file_system and the file system part of module_utils/efs.py.

Pure functions are tested directly; ``ensure_present`` / ``ensure_absent`` run against moto's
in-process backend (``mock_aws``) through the same retrying client wrapper the module uses.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import efs
from ansible_collections.apranova.aws_stack.plugins.modules import efs_file_system as mod
from ...aws_answers import AWSAnswers, no_sleep, retrying


def params(**overrides):
    base = dict(
        name="fs-unit", state="present", encrypted=True, kms_key_id=None, performance_mode="generalPurpose",
        throughput_mode=None, provisioned_throughput_in_mibps=None, lifecycle_policies=None, backup=None,
        tags=None, purge_tags=True, force=False, wait=True, wait_timeout=30,
    )
    base.update(overrides)
    return base


def lifecycle(ia=None, archive=None, primary=None):
    return {"transition_to_ia": ia, "transition_to_archive": archive, "transition_to_primary_storage_class": primary}


def raw_fs(fs_id="fs-1", name="fs-unit", token=None, state="available", **extra):
    tags = [{"Key": "Name", "Value": name}] if name else []
    fs = {"FileSystemId": fs_id, "CreationToken": token or name or fs_id, "LifeCycleState": state, "Tags": tags,
          "Encrypted": True, "PerformanceMode": "generalPurpose", "ThroughputMode": "bursting",
          "NumberOfMountTargets": 0, "SizeInBytes": {"Value": 6144}}
    fs.update(extra)
    return fs


# --- normalisers --------------------------------------------------------------------------------


def test_lifecycle_round_trip():
    api = [{"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}, {"TransitionToIA": "AFTER_30_DAYS"}]
    norm = efs.normalize_lifecycle_policies(api)
    assert norm == lifecycle(ia="AFTER_30_DAYS", primary="AFTER_1_ACCESS")
    assert efs.lifecycle_policies_to_api(norm) == [
        {"TransitionToIA": "AFTER_30_DAYS"}, {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"},
    ]
    assert efs.normalize_lifecycle_policies([]) == lifecycle()
    assert efs.lifecycle_policies_to_api(lifecycle()) == []
    assert efs.lifecycle_policies_to_api(None) == []


def test_normalize_file_system():
    fs = raw_fs(Tags=[{"Key": "Name", "Value": "x"}, {"Key": "aws:backup", "Value": "1"}],
                ThroughputMode="provisioned", ProvisionedThroughputInMibps=64)
    norm = efs.normalize_file_system(fs, [{"TransitionToIA": "AFTER_7_DAYS"}])
    assert norm["name"] == "x"
    assert norm["tags"] == {"Name": "x"}
    assert norm["provisioned_throughput_in_mibps"] == 64.0
    assert norm["size_in_bytes"] == 6144
    assert norm["lifecycle_policies"]["transition_to_ia"] == "AFTER_7_DAYS"
    # A stale rate of a non-provisioned file system is not reported.
    assert efs.normalize_file_system(raw_fs(ProvisionedThroughputInMibps=5))["provisioned_throughput_in_mibps"] is None
    assert efs.normalize_file_system(None) == {}


def test_find_by_name_prefers_name_tag_then_untagged_creation_token():
    tagged = raw_fs("fs-a", name="data", token="tok-a")
    untagged = raw_fs("fs-b", name=None, token="data")
    other = raw_fs("fs-c", name="other", token="data2")
    deleted = raw_fs("fs-d", name="data", state="deleted")
    assert efs.find_by_name([tagged, untagged, other, deleted], "data") == [tagged]
    assert efs.find_by_name([untagged, other], "data") == [untagged]
    # A creation token of a file system that carries another Name is not adopted.
    assert efs.find_by_name([raw_fs("fs-e", name="else", token="data")], "data") == []


@pytest.mark.parametrize("current,desired,expected", [
    ("arn:aws:kms:us-east-1:1:key/abc", None, True),
    ("arn:aws:kms:us-east-1:1:key/abc", "abc", True),
    ("arn:aws:kms:us-east-1:1:key/abc", "arn:aws:kms:us-east-1:1:key/abc", True),
    ("arn:aws:kms:us-east-1:1:key/abc", "def", False),
    ("arn:aws:kms:us-east-1:1:key/abc", "alias/mine", None),
    (None, "abc", False),
])
def test_same_kms_key(current, desired, expected):
    assert efs.same_kms_key(current, desired) is expected


def test_changes_immutable_settings_are_errors():
    current = efs.normalize_file_system(raw_fs())
    errors, updates = efs.file_system_changes(current, params(encrypted=False, performance_mode="maxIO"))
    assert len(errors) == 2
    assert "encryption can't be changed" in errors[0] and "encrypted: true" in errors[0]
    assert "performance_mode generalPurpose" in errors[1]
    assert updates == {}


def test_changes_throughput_lifecycle_backup():
    current = efs.normalize_file_system(raw_fs(), [{"TransitionToIA": "AFTER_30_DAYS"}])
    # Nothing asked, nothing to do (unset options leave attributes alone).
    assert efs.file_system_changes(current, params()) == ([], {})
    assert efs.file_system_changes(current, params(lifecycle_policies=lifecycle(ia="AFTER_30_DAYS"))) == ([], {})
    errors, updates = efs.file_system_changes(
        current,
        params(throughput_mode="provisioned", provisioned_throughput_in_mibps=10,
               lifecycle_policies=lifecycle(ia="AFTER_60_DAYS"), backup=True),
        backup_current=False,
    )
    assert errors == []
    assert updates == {
        "throughput": {"ThroughputMode": "provisioned", "ProvisionedThroughputInMibps": 10.0},
        "lifecycle_policies": lifecycle(ia="AFTER_60_DAYS"),
        "backup": True,
    }
    # An empty lifecycle dict removes every policy.
    assert efs.file_system_changes(current, params(lifecycle_policies={}))[1] == {"lifecycle_policies": lifecycle()}
    # Same backup state: no call.
    assert efs.file_system_changes(current, params(backup=True), backup_current=True)[1] == {}


def test_changes_provisioned_rate_only():
    current = efs.normalize_file_system(raw_fs(ThroughputMode="provisioned", ProvisionedThroughputInMibps=10))
    assert efs.file_system_changes(current, params(provisioned_throughput_in_mibps=10.0))[1] == {}
    assert efs.file_system_changes(current, params(provisioned_throughput_in_mibps=20))[1] == {
        "throughput": {"ProvisionedThroughputInMibps": 20.0}
    }
    after = efs.apply_file_system_updates(current, {"throughput": {"ThroughputMode": "elastic"}}, {"Name": "fs-unit"})
    assert after["throughput_mode"] == "elastic" and after["provisioned_throughput_in_mibps"] is None


def test_validate():
    assert mod.validate(params()) == []
    assert "kms_key_id needs encrypted: true" in mod.validate(params(encrypted=False, kms_key_id="k"))[0]
    assert "only applies to throughput_mode: provisioned" in mod.validate(
        params(throughput_mode="elastic", provisioned_throughput_in_mibps=5))[0]
    assert "differs from name" in mod.validate(params(tags={"Name": "other"}))[0]
    assert mod.validate(params(tags={"Name": "fs-unit"})) == []


def test_desired_tags_keep_name():
    assert efs.desired_tags(params(), {"a": "1"}) == ({"a": "1", "Name": "fs-unit"}, False)
    assert efs.desired_tags(params(tags={"b": "2"}), {"a": "1"}) == ({"b": "2", "Name": "fs-unit"}, True)


def test_validate_name_tag_message_names_the_file_system():
    assert mod.validate(params(tags={"Name": "other"})) == [
        "tags.Name (other) differs from name (fs-unit); the Name tag is the file system's name, so drop it "
        "from tags or make it equal."
    ]


# --- against moto's in-process backend ----------------------------------------------------------


@pytest.fixture
def clients(offline_aws):
    raw = boto3.client("efs", region_name="us-east-1")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    yield retrying(raw, efs.RETRY_CODES), raw, ec2


def present(client, p, check_mode):
    """``ensure_present`` as ``run_state`` calls it: ``(changed, diff before, file_system returned)``."""
    out = mod.ensure_present(client, p, base.Context(check_mode=check_mode))
    return out.changed, out.before, out.result["file_system"]


def absent(client, p, check_mode, note=None):
    ctx = base.Context(check_mode=check_mode) if note is None else base.Context(check_mode=check_mode, note=note)
    out = mod.ensure_absent(client, p, ctx)
    return out.changed, out.before, out.result["file_system"]


def test_create_is_idempotent_and_check_mode_calls_nothing(clients):
    client, raw, _ec2 = clients
    p = params(lifecycle_policies=lifecycle(ia="AFTER_30_DAYS"), tags={"Env": "test"}, backup=True)
    changed, before, after = present(client, p, check_mode=True)
    assert changed and before is None and after["file_system_id"] is None
    assert raw.describe_file_systems()["FileSystems"] == []

    changed, before, after = present(client, p, check_mode=False)
    assert changed and after["file_system_id"].startswith("fs-")
    fs_id = after["file_system_id"]
    assert raw.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == [
        {"TransitionToIA": "AFTER_30_DAYS"}
    ]
    assert raw.describe_backup_policy(FileSystemId=fs_id)["BackupPolicy"]["Status"] == "ENABLED"
    tags = {t["Key"]: t["Value"] for t in raw.list_tags_for_resource(ResourceId=fs_id)["Tags"]}
    assert tags == {"Name": "fs-unit", "Env": "test"}

    assert present(client, p, check_mode=True)[0] is False
    changed, before, after = present(client, p, check_mode=False)
    assert changed is False and after["file_system_id"] == fs_id
    assert len(raw.describe_file_systems()["FileSystems"]) == 1


def test_adopts_untagged_file_system_by_creation_token(clients):
    client, raw, _ec2 = clients
    fs_id = raw.create_file_system(CreationToken="fs-unit", Encrypted=True)["FileSystemId"]
    changed, _before, after = present(client, params(), check_mode=False)
    assert changed and after["file_system_id"] == fs_id and after["tags"] == {"Name": "fs-unit"}
    assert present(client, params(), check_mode=False)[0] is False


def test_creation_token_taken_by_other_name(clients):
    client, raw, _ec2 = clients
    raw.create_file_system(CreationToken="fs-unit", Tags=[{"Key": "Name", "Value": "someone-else"}])
    with pytest.raises(efs.AnsibleEFSError, match="already uses the creation token fs-unit"):
        present(client, params(), check_mode=False)


def test_update_lifecycle_and_tags(clients):
    client, raw, _ec2 = clients
    fs_id = present(client, params(tags={"a": "1"}), check_mode=False)[2]["file_system_id"]
    p = params(tags={"b": "2"}, lifecycle_policies=lifecycle(ia="AFTER_7_DAYS", primary="AFTER_1_ACCESS"))
    changed, before, after = present(client, p, check_mode=True)
    assert changed and after["tags"] == {"Name": "fs-unit", "b": "2"}
    assert raw.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == []
    changed, before, after = present(client, p, check_mode=False)
    assert changed and before["tags"] == {"Name": "fs-unit", "a": "1"}
    tags = {t["Key"]: t["Value"] for t in raw.list_tags_for_resource(ResourceId=fs_id)["Tags"]}
    assert tags == {"Name": "fs-unit", "b": "2"}
    assert len(raw.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"]) == 2
    assert present(client, p, check_mode=False)[0] is False


def test_immutable_change_raises(clients):
    client, _raw, _ec2 = clients
    present(client, params(), check_mode=False)
    with pytest.raises(efs.AnsibleEFSError, match="encryption can't be changed"):
        present(client, params(encrypted=False), check_mode=True)


def test_absent_refuses_mount_targets_without_force(clients):
    client, raw, ec2 = clients
    fs_id = present(client, params(), check_mode=False)[2]["file_system_id"]
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    raw.create_mount_target(FileSystemId=fs_id, SubnetId=subnet)
    raw.create_access_point(FileSystemId=fs_id, Tags=[{"Key": "Name", "Value": "ap"}])
    with pytest.raises(efs.AnsibleEFSError, match=f"still has 1 mount target.*in {subnet}.*force: true"):
        absent(client, params(state="absent"), check_mode=False)

    p = params(state="absent", force=True)
    assert absent(client, p, check_mode=True)[0] is True
    assert len(raw.describe_file_systems()["FileSystems"]) == 1
    changed, before, after = absent(client, p, check_mode=False)
    assert changed and before["file_system_id"] == fs_id and after == {}
    assert raw.describe_file_systems()["FileSystems"] == []
    assert raw.describe_access_points()["AccessPoints"] == []
    assert absent(client, p, check_mode=True)[0] is False
    assert absent(client, p, check_mode=False)[0] is False


def test_duplicate_names_are_an_error(clients):
    client, raw, _ec2 = clients
    for token in ("t1", "t2"):
        raw.create_file_system(CreationToken=token, Tags=[{"Key": "Name", "Value": "fs-unit"}])
    with pytest.raises(efs.AnsibleEFSError, match="2 file systems are named fs-unit"):
        present(client, params(), check_mode=True)


# ---------------------------------------------------------------- AWS's transient answers (issue 13)


def test_create_retried_after_a_lost_reply_adopts_the_file_system(clients):
    """CreateFileSystem carried out, its reply lost (a 500): the retry carries the same creation
    token, AWS answers FileSystemAlreadyExists, and that file system is the result (no second)."""
    client, raw, _ec2 = clients
    answers = AWSAnswers(client, "CreateFileSystem", "InternalError", 1, status=500, after_success=True)
    changed, _before, after = present(client, params(), check_mode=False)
    assert changed and answers.remaining == 0 and len(answers.sent) == 2
    assert answers.sent[0]["CreationToken"] == answers.sent[1]["CreationToken"] == "fs-unit"
    assert [fs["FileSystemId"] for fs in raw.describe_file_systems()["FileSystems"]] == [after["file_system_id"]]


def test_delete_waits_for_mount_targets_still_deleting(clients, monkeypatch):
    """A mount target deleted a moment ago (an earlier task, wait: false) is "deleting" for a
    while, and DeleteFileSystem answers FileSystemInUse until it is gone: the module waits for it
    and rides out the refusal, each wait noted."""
    no_sleep(monkeypatch, efs, "retry_while", "wait_for")
    client, raw, _ec2 = clients
    fs_id = present(client, params(), check_mode=False)[2]["file_system_id"]
    lingering = {"MountTargetId": "fsmt-0123456789abcdef0", "FileSystemId": fs_id, "SubnetId": "subnet-1",
                 "LifeCycleState": "deleting", "OwnerId": "123456789012"}
    describes = []

    def still_deleting(http_response, parsed, **kwargs):
        describes.append(1)
        if len(describes) <= 3 and http_response.status_code < 300:
            parsed.setdefault("MountTargets", []).append(dict(lingering))

    client.client.meta.events.register("after-call.efs.DescribeMountTargets", still_deleting)
    in_use = AWSAnswers(client, "DeleteFileSystem", "FileSystemInUse", 1)
    notes = []
    changed, _before, _after = absent(client, params(state="absent", wait=True), False, notes.append)
    assert changed and in_use.remaining == 0 and len(describes) > 3
    assert raw.describe_file_systems()["FileSystems"] == []
    assert "waiting for mount targets fsmt-0123456789abcdef0" in notes[0]
    assert "FileSystemInUse" in notes[1]


def test_outcome_diff_leaves_size_out_and_reads_none_as_nothing(clients):
    client, _raw, _ec2 = clients
    out = mod.ensure_present(client, params(), base.Context(check_mode=True))
    assert out.changed is True and out.before is None
    assert out.result["file_system"]["size_in_bytes"] == 0 and "size_in_bytes" not in out.after
    assert out.after == {k: v for k, v in out.result["file_system"].items() if k != "size_in_bytes"}
    out = mod.ensure_absent(client, params(state="absent"), base.Context(check_mode=False))
    assert out.changed is False and out.result == {"file_system": {}} and out.before is None and out.after is None
