"""Offline tests of apranova.aws_stack.efs_access_point and the access point part of module_utils/efs.py."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import efs
from ansible_collections.apranova.aws_stack.plugins.modules import efs_access_point as mod
from ...aws_answers import AWSAnswers, retrying

ROOT = {"path": "/workspaces", "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "755"}}
USER = {"uid": 1000, "gid": 1000, "secondary_gids": None}


def current(posix=None, root=None):
    return {"posix_user": efs.normalize_posix_user(posix), "root_directory": efs.normalize_root_directory(root)}


def test_normalizers():
    assert efs.normalize_posix_user({"Uid": 1, "Gid": 2, "SecondaryGids": [5, 3]}) == {
        "uid": 1, "gid": 2, "secondary_gids": [3, 5]}
    assert efs.normalize_posix_user(None) is None
    assert efs.normalize_root_directory(None) == {"path": "/", "creation_info": None}
    assert efs.normalize_root_directory(
        {"Path": "/w", "CreationInfo": {"OwnerUid": 1, "OwnerGid": 2, "Permissions": "0755"}}
    ) == {"path": "/w", "creation_info": {"owner_uid": 1, "owner_gid": 2, "permissions": "755"}}
    assert efs.normalize_root_directory({"Path": "/", "CreationInfo": {"OwnerUid": 0, "OwnerGid": 0,
                                                                       "Permissions": "000"}})["creation_info"][
        "permissions"] == "000"
    assert efs.posix_user_to_api(USER) == {"Uid": 1000, "Gid": 1000}
    assert efs.posix_user_to_api(dict(USER, secondary_gids=[7])) == {"Uid": 1000, "Gid": 1000, "SecondaryGids": [7]}
    assert efs.root_directory_to_api(ROOT) == {
        "Path": "/workspaces", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "755"}}


def test_differences():
    have = current({"Uid": 1000, "Gid": 1000},
                   {"Path": "/workspaces", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0755"}})
    assert efs.access_point_differences(have, USER, ROOT) == []
    assert efs.access_point_differences(have) == []  # unset options leave it alone
    assert efs.access_point_differences(have, dict(USER, uid=1001)) == ["posix_user"]
    assert efs.access_point_differences(have, dict(USER, secondary_gids=[5])) == ["posix_user"]
    assert efs.access_point_differences(have, root_directory={"path": "/other", "creation_info": None}) == [
        "root_directory"]
    # A trailing slash is the same directory; unset creation_info is not compared.
    assert efs.access_point_differences(have, root_directory={"path": "/workspaces/", "creation_info": None}) == []
    changed_info = {"path": "/workspaces", "creation_info": dict(ROOT["creation_info"], permissions="750")}
    assert efs.access_point_differences(have, root_directory=changed_info) == ["root_directory"]
    assert efs.access_point_differences(current(None), USER) == ["posix_user"]


def test_merged_root_keeps_creation_info_of_same_path():
    have = efs.normalize_root_directory(efs.root_directory_to_api(ROOT))
    assert mod.merged_root(None, have) == have
    assert mod.merged_root({"path": "/workspaces", "creation_info": None}, have) == have
    assert mod.merged_root({"path": "/new", "creation_info": None}, have) == {"path": "/new", "creation_info": None}


def test_validate():
    p = dict(name="ap", tags=None, root_directory=ROOT)
    assert mod.validate(p) == []
    assert mod.validate(dict(p, tags={"Name": "x"})) == [
        "tags.Name (x) differs from name (ap); the Name tag is the access point's name, so drop it from tags "
        "or make it equal."
    ]
    ok = dict(p, root_directory={"path": "/", "creation_info": dict(ROOT["creation_info"], permissions="0750")})
    assert mod.validate(ok) == []
    # An unquoted 0755 reaches the module as YAML's octal integer 493.
    bad = dict(p, root_directory={"path": "/", "creation_info": dict(ROOT["creation_info"], permissions="493")})
    assert "quote it in YAML" in mod.validate(bad)[0]
    bad = dict(p, root_directory={"path": "/", "creation_info": dict(ROOT["creation_info"], permissions="rwx")})
    assert "octal digits" in mod.validate(bad)[0]


def test_find_by_name():
    aps = [{"AccessPointId": "fsap-1", "Tags": [{"Key": "Name", "Value": "a"}], "LifeCycleState": "available"},
           {"AccessPointId": "fsap-2", "Tags": [{"Key": "Name", "Value": "a"}], "LifeCycleState": "deleting"},
           {"AccessPointId": "fsap-3", "Tags": [], "Name": "b", "LifeCycleState": "available"}]
    assert [a["AccessPointId"] for a in efs.find_access_points_by_name(aps, "a")] == ["fsap-1"]
    assert [a["AccessPointId"] for a in efs.find_access_points_by_name(aps, "b")] == ["fsap-3"]


# --- against moto's in-process backend ----------------------------------------------------------


@pytest.fixture
def world(offline_aws):
    raw = boto3.client("efs", region_name="us-east-1")
    fs_id = raw.create_file_system(CreationToken="unit")["FileSystemId"]
    yield retrying(raw, efs.RETRY_CODES), raw, fs_id


def present(client, p, check_mode):
    """``ensure_present`` as ``run_state`` calls it: ``(changed, replaced, diff before, access_point returned)``."""
    out = mod.ensure_present(client, p, base.Context(check_mode=check_mode))
    assert out.after == out.result["access_point"]
    return out.changed, out.result["replaced"], out.before, out.result["access_point"]


def absent(client, p, check_mode):
    out = mod.ensure_absent(client, p, base.Context(check_mode=check_mode))
    assert out.after == out.result["access_point"] == {} and out.result["replaced"] is False
    return out.changed, out.result["replaced"], out.before, out.result["access_point"]


def params(fs_id, **overrides):
    base = dict(file_system_id=fs_id, name="ws", posix_user=USER, root_directory=ROOT, tags={"Env": "t"},
                purge_tags=True, state="present")
    base.update(overrides)
    return base


def test_lifecycle(world):
    client, raw, fs_id = world
    p = params(fs_id)
    changed, replaced, before, after = present(client, p, check_mode=True)
    assert changed and not replaced and before is None and after["access_point_id"] is None
    assert raw.describe_access_points(FileSystemId=fs_id)["AccessPoints"] == []

    changed, replaced, _before, after = present(client, p, check_mode=False)
    ap_id = after["access_point_id"]
    assert changed and ap_id.startswith("fsap-") and after["tags"] == {"Name": "ws", "Env": "t"}
    assert present(client, p, check_mode=False)[0] is False

    # Tags only: in place.
    changed, replaced, _before, after = present(client, params(fs_id, tags={"Env": "u"}), False)
    assert changed and not replaced and after["access_point_id"] == ap_id and after["tags"]["Env"] == "u"

    # Immutable change: replaced; settings left unset are carried over.
    q = params(fs_id, posix_user=dict(USER, uid=2000), root_directory=None, tags=None)
    changed, replaced, before, after = present(client, q, check_mode=True)
    assert changed and replaced and after["access_point_id"] is None
    assert [a["AccessPointId"] for a in raw.describe_access_points(FileSystemId=fs_id)["AccessPoints"]] == [ap_id]
    changed, replaced, before, after = present(client, q, check_mode=False)
    assert changed and replaced and before["posix_user"]["uid"] == 1000
    assert after["posix_user"]["uid"] == 2000 and after["root_directory"] == before["root_directory"]
    assert after["tags"] == {"Name": "ws", "Env": "u"}
    aps = raw.describe_access_points(FileSystemId=fs_id)["AccessPoints"]
    assert [a["AccessPointId"] for a in aps] == [after["access_point_id"]] and after["access_point_id"] != ap_id
    assert present(client, q, check_mode=False)[:2] == (False, False)

    gone = params(fs_id, state="absent")
    assert absent(client, gone, check_mode=True)[0] is True
    assert absent(client, gone, check_mode=False)[0] is True
    assert raw.describe_access_points(FileSystemId=fs_id)["AccessPoints"] == []
    assert absent(client, gone, check_mode=False)[0] is False


def test_an_access_point_found_proves_its_file_system(world):
    """A no-op reads DescribeAccessPoints only; the file system is read when no access point is found."""
    client, raw, fs_id = world
    p = params(fs_id)
    present(client, p, check_mode=False)
    calls = []
    raw.meta.events.register("before-call.efs.*", lambda model, **_kw: calls.append(model.name))
    assert present(client, p, check_mode=False)[0] is False
    assert calls == ["DescribeAccessPoints"]
    del calls[:]
    assert present(client, params(fs_id, name="other"), check_mode=True)[0] is True
    assert calls == ["DescribeAccessPoints", "DescribeFileSystems"]


def test_missing_file_system(world):
    client, _raw, _fs_id = world
    with pytest.raises(efs.AnsibleEFSError, match="create it first"):
        present(client, params("fs-00000000"), check_mode=True)
    assert absent(client, params("fs-00000000", state="absent"), check_mode=False)[0] is False


# ---------------------------------------------------------------- AWS's transient answers (issue 13)


def test_create_sends_one_client_token_for_all_retries(world):
    """CreateAccessPoint carried out, its reply lost (a 500): the retry carries the same
    ClientToken (botocore would make a new one per attempt), so AWS answers the same access point."""
    client, _raw, fs_id = world
    answers = AWSAnswers(client, "CreateAccessPoint", "InternalError", 1, status=500, after_success=True)
    present(client, params(fs_id), check_mode=False)
    tokens = [sent.get("ClientToken") for sent in answers.sent]
    assert len(tokens) == 2 and tokens[0] and tokens[0] == tokens[1]


def test_duplicate_names_are_an_error(world):
    client, raw, fs_id = world
    ids = sorted(raw.create_access_point(FileSystemId=fs_id, Tags=[{"Key": "Name", "Value": "ws"}])["AccessPointId"]
                 for _ in range(2))
    with pytest.raises(efs.AnsibleEFSError) as error:
        present(client, params(fs_id), check_mode=True)
    message = error.value.message
    assert message.startswith(f"2 access points of {fs_id} are named ws (")
    assert all(ap_id in message for ap_id in ids)
    assert message.endswith("); delete all but one, since this module finds access points by their Name tag.")
