"""Integration test of apranova.aws_stack.efs_mount_target against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/efs_mount_target/main.yml"
INVENTORY = "tests/integration/inventory.yml"


def _setup(ec2, efs):
    vpc_id = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]

    def subnet(cidr, az):
        return ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]

    def group(name):
        return ec2.create_security_group(VpcId=vpc_id, GroupName=name, Description="efs test")["GroupId"]

    fs_id = efs.create_file_system(CreationToken="it-efs-mt", Tags=[{"Key": "Name", "Value": "it-efs-mt"}])[
        "FileSystemId"
    ]
    return {
        "file_system_id": fs_id,
        "subnet_a": subnet("10.62.1.0/24", "us-east-1a"),
        "subnet_b": subnet("10.62.2.0/24", "us-east-1b"),
        "subnet_a2": subnet("10.62.3.0/24", "us-east-1a"),
        "sg_one": group("it-efs-one"),
        "sg_two": group("it-efs-two"),
    }


def _mount_targets(efs, fs_id):
    """{subnet_id: (mount target, security groups)} read back from the emulator."""
    result = {}
    for mt in efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]:
        groups = efs.describe_mount_target_security_groups(MountTargetId=mt["MountTargetId"])["SecurityGroups"]
        result[mt["SubnetId"]] = (mt, sorted(groups))
    return result


def test_efs_mount_target(aws):
    ec2, efs = aws.client("ec2"), aws.client("efs")
    ids = _setup(ec2, efs)
    fs_id = ids["file_system_id"]

    def run(tags):
        result = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=tags, extra_vars=ids)
        assert result.rc == 0, result

    # Two mount targets, one per subnet, in sg_one.
    run("create")
    mts = _mount_targets(efs, fs_id)
    assert set(mts) == {ids["subnet_a"], ids["subnet_b"]}
    assert [groups for _mt, groups in mts.values()] == [[ids["sg_one"]], [ids["sg_one"]]]
    assert mts[ids["subnet_a"]][0]["AvailabilityZoneName"] == "us-east-1a"
    assert mts[ids["subnet_b"]][0]["AvailabilityZoneName"] == "us-east-1b"
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["NumberOfMountTargets"] == 2
    # The network interfaces carry the group too.
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[mts[ids["subnet_a"]][0]["NetworkInterfaceId"]])
    assert [g["GroupId"] for g in eni["NetworkInterfaces"][0]["Groups"]] == [ids["sg_one"]]
    created = {subnet: mt["MountTargetId"] for subnet, (mt, _groups) in mts.items()}

    # Security groups changed in place: same mount targets, new group.
    run("security_groups")
    mts = _mount_targets(efs, fs_id)
    assert {subnet: mt["MountTargetId"] for subnet, (mt, _groups) in mts.items()} == created
    assert [groups for _mt, groups in mts.values()] == [[ids["sg_two"]], [ids["sg_two"]]]

    # Subnet b dropped with purge: one left, the one in subnet a.
    run("purge")
    mts = _mount_targets(efs, fs_id)
    assert list(mts) == [ids["subnet_a"]]
    assert mts[ids["subnet_a"]][0]["MountTargetId"] == created[ids["subnet_a"]]

    # Another subnet of zone a: refused without purge, replaced with it.
    run("conflict")
    mts = _mount_targets(efs, fs_id)
    assert list(mts) == [ids["subnet_a2"]]
    assert mts[ids["subnet_a2"]][1] == [ids["sg_one"]]

    # All deleted.
    run("delete")
    assert _mount_targets(efs, fs_id) == {}
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["NumberOfMountTargets"] == 0
