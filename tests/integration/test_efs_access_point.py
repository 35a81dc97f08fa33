"""Integration test of apranova.aws_stack.efs_access_point against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/efs_access_point/main.yml"
INVENTORY = "tests/integration/inventory.yml"


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _access_points(efs, fs_id):
    return efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]


def test_efs_access_point(aws):
    efs = aws.client("efs")
    fs_id = efs.create_file_system(CreationToken="it-efs-ap", Tags=[{"Key": "Name", "Value": "it-efs-ap"}])[
        "FileSystemId"
    ]
    # An access point of another name must be left alone throughout.
    other = efs.create_access_point(FileSystemId=fs_id, Tags=[{"Key": "Name", "Value": "other"}])["AccessPointId"]

    def run(tags):
        result = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=tags, extra_vars={"file_system_id": fs_id})
        assert result.rc == 0, result

    def ours():
        found = [ap for ap in _access_points(efs, fs_id) if _tags(ap).get("Name") == "it-efs-workspaces"]
        assert [ap["AccessPointId"] for ap in _access_points(efs, fs_id) if _tags(ap).get("Name") == "other"] == [other]
        return found

    # uid/gid 1000, /workspaces, created 1000:1000 755.
    run("create")
    found = ours()
    assert len(found) == 1
    ap = found[0]
    ap_id = ap["AccessPointId"]
    assert ap["PosixUser"]["Uid"] == 1000 and ap["PosixUser"]["Gid"] == 1000
    assert ap["RootDirectory"]["Path"] == "/workspaces"
    assert ap["RootDirectory"]["CreationInfo"] == {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "755"}
    assert _tags(ap) == {"Name": "it-efs-workspaces", "Environment": "test"}

    # Tags change in place.
    run("tags")
    found = ours()
    assert [a["AccessPointId"] for a in found] == [ap_id]
    assert _tags(efs.list_tags_for_resource(ResourceId=ap_id)) == {"Name": "it-efs-workspaces", "Environment": "staging"}

    # Another uid: replaced (new id, old one gone), path and tags kept.
    run("replace")
    found = ours()
    assert len(found) == 1
    assert found[0]["AccessPointId"] != ap_id
    assert found[0]["PosixUser"]["Uid"] == 1001
    assert found[0]["RootDirectory"]["Path"] == "/workspaces"
    assert _tags(found[0]) == {"Name": "it-efs-workspaces", "Environment": "staging"}
    assert ap_id not in {a["AccessPointId"] for a in _access_points(efs, fs_id)}

    # Deleted.
    run("delete")
    assert ours() == []
