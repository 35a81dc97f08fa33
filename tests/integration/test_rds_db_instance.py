"""Integration test of apranova.aws_stack.rds_db_instance against the moto server.

The VPC, two subnets, the DB subnet group and a security group are made here with boto3; the
playbook creates the secret (secretsmanager_password) and the instance. Between phases this file
reads the instance back from the emulator, and checks that the master password (read from the
secret with boto3) appears in no ansible-playbook output, -vvv included.
"""

from __future__ import annotations

import json
import re

import botocore.exceptions
import pytest

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/rds_db_instance/main.yml"
INVENTORY = "tests/integration/inventory.yml"
DB_ID = "it-db"
SECRET = "it/rds-master"


def _network(aws):
    ec2 = aws.client("ec2")
    rds = aws.client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.30.1.0/24", "us-east-1a"), ("10.30.2.0/24", "us-east-1b"))
    ]
    rds.create_db_subnet_group(DBSubnetGroupName="it-db-subnets", DBSubnetGroupDescription="it", SubnetIds=subnets)
    sg = ec2.create_security_group(GroupName="it-db", Description="it", VpcId=vpc)["GroupId"]
    return {"it_subnet_group": "it-db-subnets", "it_security_group": sg}


def _instance(rds):
    return rds.describe_db_instances(DBInstanceIdentifier=DB_ID)["DBInstances"][0]


def test_rds_db_instance(aws):
    rds = aws.client("rds")
    sm = aws.client("secretsmanager")
    extra = _network(aws)

    def run(tags, verbose=False):
        result = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, extra_vars=extra, tags=tags,
                              args=["-vvv"] if verbose else None)
        assert result.rc == 0, result
        assert result.failed == 0, result
        return result

    outputs = [run("create", verbose=True)]
    password = json.loads(sm.get_secret_value(SecretId=SECRET)["SecretString"])["password"]
    assert len(password) == 32
    db = _instance(rds)
    assert len(rds.describe_db_instances()["DBInstances"]) == 1, "apply again created a second instance"
    assert db["DBInstanceStatus"] == "available"
    assert db["Engine"] == "postgres"
    assert db["DBInstanceClass"] == "db.t3.micro"
    assert db["AllocatedStorage"] == 20
    assert db["StorageType"] == "gp3"
    assert db["StorageEncrypted"] is True
    assert db["DBName"] == "apranova_db"
    assert db["Endpoint"]["Port"] == 5432
    assert db["MasterUsername"] == "itadmin", "the user name was not taken from the secret"
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == extra["it_subnet_group"]
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [extra["it_security_group"]]
    assert db["PubliclyAccessible"] is False
    assert db["CopyTagsToSnapshot"] is True
    assert db["BackupRetentionPeriod"] == 7
    assert db["DeletionProtection"] is False
    assert {t["Key"]: t["Value"] for t in db["TagList"]} == {"Project": "it"}
    arn = db["DBInstanceArn"]

    outputs.append(run("grow", verbose=True))
    db = _instance(rds)
    assert db["AllocatedStorage"] == 30
    assert db["DBInstanceArn"] == arn, "the instance was replaced instead of modified"
    assert db["DBInstanceClass"] == "db.t3.micro" and db["BackupRetentionPeriod"] == 7, "unset options changed"

    outputs.append(run("refuse"))
    db = _instance(rds)
    assert db["AllocatedStorage"] == 30 and db["Engine"] == "postgres" and db["DBName"] == "apranova_db"

    outputs.append(run("protect"))
    assert _instance(rds)["DeletionProtection"] is True

    outputs.append(run("delete", verbose=True))
    with pytest.raises(botocore.exceptions.ClientError) as err:
        _instance(rds)
    assert err.value.response["Error"]["Code"] == "DBInstanceNotFound"
    finals = [s for s in rds.describe_db_snapshots(DBInstanceIdentifier=DB_ID)["DBSnapshots"]
              if re.fullmatch(DB_ID + r"-final-\d{14}", s["DBSnapshotIdentifier"])]
    assert len(finals) == 1, "exactly one final snapshot expected"
    assert finals[0]["DBInstanceIdentifier"] == DB_ID
    assert finals[0]["AllocatedStorage"] == 30

    for result in outputs:
        assert password not in result.out, "the master password appears in ansible-playbook output"
