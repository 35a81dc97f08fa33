"""Integration test of apranova.aws_stack.efs_file_system against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/efs_file_system/main.yml"
INVENTORY = "tests/integration/inventory.yml"


def _network(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.61.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sg_id = ec2.create_security_group(VpcId=vpc_id, GroupName="it-efs-fs", Description="efs test")["GroupId"]
    return subnet_id, sg_id


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _file_systems(efs, name):
    return [fs for fs in efs.describe_file_systems()["FileSystems"] if _tags(fs).get("Name") == name]


def test_efs_file_system(aws):
    ec2, efs = aws.client("ec2"), aws.client("efs")
    subnet_id, sg_id = _network(ec2)
    extra = {"subnet_id": subnet_id, "security_group_id": sg_id}

    # Four-step creation.
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="create", extra_vars=extra)
    assert run.rc == 0, run
    found = _file_systems(efs, "it-efs-fs")
    assert len(found) == 1
    fs = found[0]
    fs_id = fs["FileSystemId"]
    assert fs["CreationToken"] == "it-efs-fs"
    assert fs["Encrypted"] is True
    assert fs["PerformanceMode"] == "generalPurpose"
    assert _tags(fs) == {"Name": "it-efs-fs", "Environment": "test"}
    assert efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == [
        {"TransitionToIA": "AFTER_30_DAYS"}
    ]

    # Lifecycle policies and tags changed in place.
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="update", extra_vars=extra)
    assert run.rc == 0, run
    found = _file_systems(efs, "it-efs-fs")
    assert [f["FileSystemId"] for f in found] == [fs_id]
    policies = efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"]
    assert sorted(policies, key=str) == sorted(
        [{"TransitionToIA": "AFTER_60_DAYS"}, {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}], key=str
    )
    assert _tags(efs.list_tags_for_resource(ResourceId=fs_id)) == {
        "Name": "it-efs-fs", "Environment": "staging", "Owner": "data",
    }
    assert found[0]["Encrypted"] is True  # the refused change left it alone
    assert found[0]["ThroughputMode"] == "bursting"  # check mode changed nothing

    # Four-step deletion.
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="delete", extra_vars=extra)
    assert run.rc == 0, run
    assert _file_systems(efs, "it-efs-fs") == []
    assert efs.describe_file_systems()["FileSystems"] == []

    # A file system with a mount target and an access point: refused without force ...
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="force_setup", extra_vars=extra)
    assert run.rc == 0, run
    found = _file_systems(efs, "it-efs-force")
    assert len(found) == 1
    force_id = found[0]["FileSystemId"]
    assert len(efs.describe_mount_targets(FileSystemId=force_id)["MountTargets"]) == 1
    assert len(efs.describe_access_points(FileSystemId=force_id)["AccessPoints"]) == 1

    # ... and deleted with everything on it with force, in four steps.
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="force_delete", extra_vars=extra)
    assert run.rc == 0, run
    assert efs.describe_file_systems()["FileSystems"] == []
    assert efs.describe_access_points()["AccessPoints"] == []
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])["NetworkInterfaces"]
    assert enis == []
