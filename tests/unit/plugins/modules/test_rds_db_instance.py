"""Offline tests of plugins/module_utils/rds.py and the rds_db_instance logic.

Pure helpers (normaliser, modification planner) are tested directly; ``ensure_present`` /
``ensure_absent`` run against moto's in-process backend (``mock_aws``), no network.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import rds
from ansible_collections.apranova.aws_stack.plugins.modules import rds_db_instance as mod
from ...aws_answers import retrying

RAW = {
    "DBInstanceIdentifier": "db1",
    "DBInstanceArn": "arn:aws:rds:us-east-1:123456789012:db:db1",
    "DBInstanceStatus": "available",
    "Engine": "postgres",
    "EngineVersion": "16.4",
    "DBInstanceClass": "db.t3.micro",
    "AllocatedStorage": 20,
    "StorageType": "gp3",
    "StorageEncrypted": True,
    "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234",
    "DBName": "apranova_db",
    "MasterUsername": "admin",
    "Endpoint": {"Address": "db1.x.us-east-1.rds.amazonaws.com", "Port": 5432, "HostedZoneId": "Z"},
    "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-2", "Status": "active"},
                          {"VpcSecurityGroupId": "sg-1", "Status": "active"},
                          {"VpcSecurityGroupId": "sg-old", "Status": "removing"}],
    "DBSubnetGroup": {"DBSubnetGroupName": "grp", "VpcId": "vpc-1"},
    "PubliclyAccessible": False,
    "MultiAZ": False,
    "BackupRetentionPeriod": 1,
    "PreferredBackupWindow": "03:00-04:00",
    "DeletionProtection": False,
    "CopyTagsToSnapshot": True,
    "AutoMinorVersionUpgrade": True,
    "TagList": [{"Key": "a", "Value": "b"}, {"Key": "aws:x", "Value": "y"}],
}


def opts(**kw):
    """Module params with every optional attribute unset (as a task that sets nothing)."""
    base = {k: None for k in rds.CREATE_KEYS}
    base.update(master_username=None, db_instance_identifier="db1")
    base.update(kw)
    return base


# --------------------------------------------------------------------------- normaliser

def test_normalise_db_instance():
    n = rds.normalise_db_instance(RAW)
    assert n["db_instance_identifier"] == "db1"
    assert n["endpoint"] == {"address": "db1.x.us-east-1.rds.amazonaws.com", "port": 5432}
    assert n["port"] == 5432
    assert n["vpc_security_group_ids"] == ["sg-1", "sg-2"]
    # every group in RDS's order with its status, the one being removed included
    assert n["vpc_security_groups"] == [{"vpc_security_group_id": "sg-2", "status": "active"},
                                        {"vpc_security_group_id": "sg-1", "status": "active"},
                                        {"vpc_security_group_id": "sg-old", "status": "removing"}]
    assert (n["availability_zone"], n["secondary_availability_zone"]) == (None, None)
    n = rds.normalise_db_instance(dict(RAW, AvailabilityZone="us-east-1a", SecondaryAvailabilityZone="us-east-1b"))
    assert (n["availability_zone"], n["secondary_availability_zone"]) == ("us-east-1a", "us-east-1b")
    assert n["db_subnet_group_name"] == "grp"
    assert n["tags"] == {"a": "b"}
    assert n["pending_modified_values"] == {}
    assert not any("password" in k for k in n)
    assert rds.normalise_db_instance(None) == {}


def test_normalise_without_endpoint_uses_instance_port():
    raw = dict(RAW, Endpoint=None, DbInstancePort=3306)
    n = rds.normalise_db_instance(raw)
    assert n["endpoint"] == {} and n["port"] == 3306


def test_pending_values_count_as_applied():
    raw = dict(RAW, PendingModifiedValues={"DBInstanceClass": "db.t3.small", "AllocatedStorage": 30,
                                           "MasterUserPassword": "****"})
    n = rds.normalise_db_instance(raw)
    assert n["pending_modified_values"] == {"db_instance_class": "db.t3.small", "allocated_storage": 30}
    changes, errors = rds.plan_modification(n, opts(db_instance_class="db.t3.small", allocated_storage=30))
    assert changes == {} and errors == []
    assert not rds.is_ready(raw, require_no_pending=True)
    assert rds.is_ready(raw)


def test_is_ready():
    assert rds.is_ready(dict(RAW, DBInstanceStatus="storage-optimization"))
    assert not rds.is_ready(dict(RAW, DBInstanceStatus="modifying"))
    assert not rds.is_ready(None)


# --------------------------------------------------------------------------- planner

def test_nothing_set_changes_nothing():
    assert rds.plan_modification(rds.normalise_db_instance(RAW), opts()) == ({}, [])


def test_same_values_change_nothing():
    current = rds.normalise_db_instance(RAW)
    same = opts(engine="POSTGRES", engine_version="16", db_instance_class="db.t3.micro", allocated_storage=20,
                storage_type="gp3", storage_encrypted=True, db_name="apranova_db", master_username="admin",
                db_subnet_group_name="grp", vpc_security_group_ids=["sg-2", "sg-1", "sg-1"], port=5432,
                publicly_accessible=False, multi_az=False, backup_retention_period=1,
                preferred_backup_window="03:00-04:00", deletion_protection=False, copy_tags_to_snapshot=True,
                auto_minor_version_upgrade=True)
    assert rds.plan_modification(current, same) == ({}, [])


def test_modifiable_changes():
    current = rds.normalise_db_instance(RAW)
    changes, errors = rds.plan_modification(current, opts(
        db_instance_class="db.t3.small", allocated_storage=30, max_allocated_storage=100,
        vpc_security_group_ids=["sg-3"], deletion_protection=True, engine_version="16.6",
        backup_retention_period=7, storage_type="gp2"))
    assert errors == []
    assert changes == {"db_instance_class": "db.t3.small", "allocated_storage": 30, "max_allocated_storage": 100,
                       "vpc_security_group_ids": ["sg-3"], "deletion_protection": True, "engine_version": "16.6",
                       "backup_retention_period": 7, "storage_type": "gp2"}
    params = rds.modify_params(current, changes, True)
    assert params["ApplyImmediately"] is True
    assert params["AllocatedStorage"] == 30 and params["VpcSecurityGroupIds"] == ["sg-3"]
    assert "AllowMajorVersionUpgrade" not in params


def test_major_upgrade_is_allowed_explicitly():
    current = rds.normalise_db_instance(RAW)
    changes, dummy = rds.plan_modification(current, opts(engine_version="17.2"))
    assert rds.modify_params(current, changes, False)["AllowMajorVersionUpgrade"] is True
    mysql = rds.normalise_db_instance(dict(RAW, Engine="mysql", EngineVersion="5.7.44"))
    changes, dummy = rds.plan_modification(mysql, opts(engine_version="8.0.35"))
    assert rds.modify_params(mysql, changes, False)["AllowMajorVersionUpgrade"] is True
    changes, dummy = rds.plan_modification(mysql, opts(engine_version="5.7.45"))
    assert "AllowMajorVersionUpgrade" not in rds.modify_params(mysql, changes, False)


def test_storage_decrease_is_an_error():
    changes, errors = rds.plan_modification(rds.normalise_db_instance(RAW), opts(allocated_storage=10))
    assert changes == {}
    assert len(errors) == 1 and "cannot shrink from 20 to 10" in errors[0]


def test_engine_downgrade_is_an_error():
    changes, errors = rds.plan_modification(rds.normalise_db_instance(RAW), opts(engine_version="15.7"))
    assert changes == {} and "cannot go down from 16.4 to 15.7" in errors[0]


def test_max_storage_below_storage_is_an_error():
    dummy, errors = rds.plan_modification(rds.normalise_db_instance(RAW), opts(allocated_storage=50, max_allocated_storage=40))
    assert any("max_allocated_storage (40) must be at least allocated_storage (50)" in e for e in errors)


@pytest.mark.parametrize("key,value", [
    ("engine", "mysql"), ("storage_encrypted", False), ("db_name", "other"),
    ("master_username", "root"), ("db_subnet_group_name", "other-grp"),
])
def test_immutable_attributes_are_errors(key, value):
    changes, errors = rds.plan_modification(rds.normalise_db_instance(RAW), opts(**{key: value}))
    assert changes == {}
    assert len(errors) == 1 and errors[0].startswith(f"{key} cannot change in place")


@pytest.mark.parametrize("current,desired,satisfied,downgrade", [
    ("16.4", "16", True, False),
    ("16.4", "16.4", True, False),
    ("16.4", "16.6", False, False),
    ("16.4", "17", False, False),
    ("16.4", "15.7", False, True),
    ("16.4", "16.3", False, True),
    ("8.0.35", "8.0", True, False),
    ("8.0.35", "8.0.4", False, True),
    ("8.0.4", "8.0.35", False, False),
    ("10.11", "10.2", False, True),
    ("10.2", "10.11", False, False),
])
def test_versions(current, desired, satisfied, downgrade):
    assert rds.version_satisfied(current, desired) is satisfied
    if not satisfied:  # the planner asks about a downgrade only then
        assert rds.is_downgrade(current, desired) is downgrade


def test_create_params_hold_password_predicted_does_not():
    p = opts(engine="postgres", db_instance_class="db.t3.micro", allocated_storage=20, storage_encrypted=True,
             vpc_security_group_ids=["sg-1"], copy_tags_to_snapshot=True)
    created = rds.create_params(p, "admin", "s3cr3t-value", {"a": "b"})
    assert created["MasterUserPassword"] == "s3cr3t-value"
    assert created["VpcSecurityGroupIds"] == ["sg-1"] and created["Tags"] == [{"Key": "a", "Value": "b"}]
    assert "KmsKeyId" not in created and "DBName" not in created
    predicted = rds.predicted_instance(p, "admin", {"a": "b"})
    assert "s3cr3t-value" not in json.dumps(predicted)
    assert predicted["db_instance_identifier"] == "db1" and predicted["tags"] == {"a": "b"}
    assert predicted["vpc_security_groups"] == [{"vpc_security_group_id": "sg-1", "status": "active"}]
    assert predicted["availability_zone"] is None


def test_default_final_snapshot_identifier():
    now = datetime.datetime(2026, 11, 25, 18, 9, 11, tzinfo=datetime.timezone.utc)
    assert mod.default_final_snapshot_identifier("db1", now) == "db1-final-20261125180911"


# --------------------------------------------------------------------------- module logic on mock_aws

@pytest.fixture
def env(offline_aws):
    raw = {s: boto3.client(s, region_name="us-east-1") for s in ("rds", "secretsmanager", "kms", "ec2")}
    wrapped = {s: retrying(c) for s, c in raw.items()}
    raw["secretsmanager"].create_secret(Name="db-secret", SecretString=json.dumps({"username": "admin", "password": "Pw-0123456789"}))
    yield raw, wrapped


def module_params(**kw):
    base = dict(
        db_instance_identifier="db1", engine="postgres", engine_version=None, db_instance_class="db.t3.micro",
        allocated_storage=20, max_allocated_storage=None, storage_type="gp3", storage_encrypted=True,
        kms_key_id=None, db_name="apranova_db", port=5432, master_username=None,
        master_user_password_secret="db-secret", db_subnet_group_name=None, vpc_security_group_ids=None,
        publicly_accessible=False, multi_az=None, backup_retention_period=None, preferred_backup_window=None,
        deletion_protection=None, copy_tags_to_snapshot=True, auto_minor_version_upgrade=None,
        apply_immediately=True, tags={"Project": "apranova"}, purge_tags=True, state="present",
        skip_final_snapshot=False, final_snapshot_identifier=None, delete_automated_backups=False,
        disable_deletion_protection=False, wait=True, wait_timeout=60, delete_subnet_group=False,
    )
    base.update(kw)
    return base


def ctx(check_mode=False, registered=None, warnings=None, notes=None):
    """A Context that collects what the module registers for masking, warns and notes."""
    return base.Context(check_mode=check_mode,
                        secret=(registered if registered is not None else set()).add,
                        warn=(warnings if warnings is not None else []).append,
                        note=(notes if notes is not None else []).append)


def present(wrapped, p, check_mode=False, registered=None, warnings=None):
    """``(changed, before, after)`` of ensure_present; its result's db_instance is the diff's after."""
    outcome = mod.ensure_present(wrapped, p, ctx(check_mode, registered, warnings))
    assert outcome.result == {"db_instance": outcome.after}
    return outcome.changed, outcome.before, outcome.after


def absent(rds_client, p, check_mode=False, notes=None):
    """The Outcome of ensure_absent (the RDS client only: the absent path uses no other)."""
    return mod.ensure_absent({"rds": rds_client}, p, ctx(check_mode, notes=notes))


def test_create_reads_secret_and_registers_it(env):
    raw, wrapped = env
    registered = set()
    changed, before, after = present(wrapped, module_params(), registered=registered)
    assert changed and before == {}
    assert "Pw-0123456789" in registered
    assert "Pw-0123456789" not in json.dumps(after)
    got = raw["rds"].describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
    assert got["MasterUsername"] == "admin"  # from the secret's username key
    assert got["StorageType"] == "gp3" and got["StorageEncrypted"] is True and got["DBName"] == "apranova_db"
    assert present(wrapped, module_params())[0] is False


def test_check_mode_create_calls_nothing_mutating(env):
    raw, wrapped = env
    changed, dummy, after = present(wrapped, module_params(), check_mode=True)
    assert changed and after["db_instance_arn"] is None and after["master_username"] == "admin"
    assert raw["rds"].describe_db_instances()["DBInstances"] == []


def test_create_needs_class_storage_secret(env):
    dummy, wrapped = env
    with pytest.raises(mod.TaskError, match="to create it set db_instance_class, allocated_storage, master_user_password_secret"):
        present(wrapped, module_params(db_instance_class=None, allocated_storage=None, master_user_password_secret=None))


def test_missing_secret(env):
    raw, wrapped = env
    with pytest.raises(mod.TaskError, match="was not found"):
        present(wrapped, module_params(master_user_password_secret="nope"))
    warnings = []
    assert present(wrapped, module_params(master_user_password_secret="nope"), check_mode=True, warnings=warnings)[0]
    assert warnings and "does not exist" in warnings[0]


def test_bad_secret_document(env):
    raw, wrapped = env
    raw["secretsmanager"].create_secret(Name="plain", SecretString="just-a-password-hunter2")
    registered = set()
    with pytest.raises(mod.TaskError) as err:
        present(wrapped, module_params(master_user_password_secret="plain"), registered=registered)
    assert "does not hold JSON" in str(err.value) and "hunter2" not in str(err.value)
    assert "just-a-password-hunter2" in registered


def test_unchanged_instance_not_ready_is_waited_for_only_with_wait(env, monkeypatch):
    raw, wrapped = env
    present(wrapped, module_params(wait=False))
    real = mod.rds.describe_db_instance
    monkeypatch.setattr(mod.rds, "describe_db_instance",
                        lambda c, i: dict(real(c, i), DBInstanceStatus="creating") if real(c, i) else None)
    waited = []
    monkeypatch.setattr(mod, "wait_until_ready", lambda c, i, t, require_no_pending=False: waited.append(i) or real(c, i))
    assert present(wrapped, module_params(wait=False))[0] is False and waited == []
    assert present(wrapped, module_params(), check_mode=True)[0] is False and waited == []
    changed, dummy, after = present(wrapped, module_params())
    assert changed is False and waited == ["db1"] and after["db_instance_status"] == "available"


def test_modify_and_errors(env):
    raw, wrapped = env
    present(wrapped, module_params())
    changed, before, after = present(wrapped, module_params(allocated_storage=30, tags={"Project": "x"}))
    assert changed and before["allocated_storage"] == 20 and after["allocated_storage"] == 30
    got = raw["rds"].describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
    assert got["AllocatedStorage"] == 30
    assert raw["rds"].list_tags_for_resource(ResourceName=got["DBInstanceArn"])["TagList"] == [{"Key": "Project", "Value": "x"}]
    # moto would accept the decrease; the module refuses it before calling anything
    with pytest.raises(mod.TaskError, match="cannot shrink from 30 to 20"):
        present(wrapped, module_params(allocated_storage=20, tags={"Project": "x"}))
    with pytest.raises(mod.TaskError, match="engine cannot change in place"):
        present(wrapped, module_params(engine="mysql", allocated_storage=30, tags={"Project": "x"}))
    assert raw["rds"].describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]["AllocatedStorage"] == 30


def test_delete_with_protection_and_final_snapshot(env):
    raw, wrapped = env
    present(wrapped, module_params(deletion_protection=True))
    with pytest.raises(mod.TaskError, match="disable_deletion_protection: true"):
        absent(wrapped["rds"], module_params(state="absent"))
    # check mode predicts, changes nothing
    delete = module_params(state="absent", disable_deletion_protection=True, final_snapshot_identifier="db1-last")
    outcome = absent(wrapped["rds"], delete, True)
    assert outcome.changed and outcome.result["final_snapshot_identifier"] == "db1-last"
    assert outcome.before["deletion_protection"] is True and outcome.after == {}
    assert raw["rds"].describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]["DeletionProtection"] is True
    outcome = absent(
        wrapped["rds"], module_params(state="absent", disable_deletion_protection=True, final_snapshot_identifier="db1-last"))
    assert outcome.changed and outcome.result["final_snapshot_identifier"] == "db1-last"
    assert outcome.result["db_instance"]["db_instance_identifier"] == "db1"
    assert "subnet_group_deleted" not in outcome.result  # delete_subnet_group not asked
    assert raw["rds"].describe_db_instances()["DBInstances"] == []
    assert raw["rds"].describe_db_snapshots(DBSnapshotIdentifier="db1-last")["DBSnapshots"]
    assert absent(wrapped["rds"], module_params(state="absent")) == base.Outcome(False, {"db_instance": {}}, before={}, after={})


def test_delete_skip_final_snapshot(env):
    raw, wrapped = env
    present(wrapped, module_params())
    outcome = absent(wrapped["rds"], module_params(state="absent", skip_final_snapshot=True))
    assert outcome.changed and "final_snapshot_identifier" not in outcome.result
    manual = [s for s in raw["rds"].describe_db_snapshots()["DBSnapshots"] if s.get("SnapshotType") == "manual"]
    assert manual == []


# --------------------------------------------------------------------------- AWS lifecycle (issue 13)
# Answers moto does not give: an instance still creating (no endpoint, port 0), a minor version
# RDS upgraded by itself, refusals while a dependency settles. Stubbed, so an unexpected call
# (a ModifyDBInstance against a creating instance, a DeleteDBInstance before it is available)
# fails the test.

import functools

from botocore.stub import Stubber


CREATING = {k: v for k, v in RAW.items() if k != "Endpoint"}
CREATING.update(DBInstanceStatus="creating", DbInstancePort=0)


@pytest.fixture
def stubbed(fake_credentials, monkeypatch):
    no_sleep = functools.partial(base.wait_for, sleep=lambda s: None)
    monkeypatch.setattr(mod, "wait_for", no_sleep)
    monkeypatch.setattr(rds, "retry_while", functools.partial(base.retry_while, sleep=lambda s: None))
    client = boto3.client("rds", region_name="us-east-1")
    with Stubber(client) as stub:
        yield stub, retrying(client)
        stub.assert_no_pending_responses()


def described(instance):
    return {"DBInstances": [instance]}


def same_as_raw(**kw):
    """Module params that ask for exactly what RAW has (so nothing differs once it is available)."""
    same = dict(
        engine_version="16.4", db_instance_class="db.t3.micro", allocated_storage=20, port=5432,
        master_user_password_secret=None, db_subnet_group_name="grp", vpc_security_group_ids=["sg-1", "sg-2"],
        backup_retention_period=1, tags={"a": "b"})
    same.update(kw)
    return module_params(**same)


@pytest.mark.parametrize("reported,asked", [("16.8", "16.4"), ("16.8", "16"), ("16.4", "16.2"),
                                            ("8.0.40", "8.0.35"), ("10.11.9", "10.11")])
def test_minor_version_rds_applied_itself_is_accepted(reported, asked):
    engine = "mysql" if reported.startswith("8.") else ("mariadb" if reported.startswith("10.11") else "postgres")
    current = rds.normalise_db_instance(dict(RAW, Engine=engine, EngineVersion=reported))
    assert rds.plan_modification(current, opts(engine_version=asked)) == ({}, [])


def test_versions_above_current_upgrade_and_lower_major_fails():
    current = rds.normalise_db_instance(dict(RAW, EngineVersion="16.8"))
    assert rds.plan_modification(current, opts(engine_version="16.9")) == ({"engine_version": "16.9"}, [])
    assert rds.plan_modification(current, opts(engine_version="17")) == ({"engine_version": "17"}, [])
    changes, errors = rds.plan_modification(current, opts(engine_version="15"))
    assert changes == {} and "cannot go down from 16.8 to 15" in errors[0] and "set engine_version to 16" in errors[0]


def test_major_only_version_is_created_as_asked(env):
    raw, wrapped = env
    present(wrapped, module_params(engine_version="16"))
    assert raw["rds"].describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]["EngineVersion"] == "16"


def test_rerun_while_creating_sends_no_modification(stubbed):
    stub, client = stubbed
    # wait=false (the request phase of a rerun during the first build): port 0 is not a difference
    stub.add_response("describe_db_instances", described(CREATING), {"DBInstanceIdentifier": "db1"})
    clients = {"rds": client, "secretsmanager": None, "kms": None}
    outcome = mod.ensure_present(clients, same_as_raw(wait=False), ctx())
    changed, before, after = outcome.changed, outcome.before, outcome.result["db_instance"]
    assert changed is False and before["port"] is None and after["db_instance_status"] == "creating"
    # a real difference is not sent either while creating: warned, left to the task with wait=true
    warnings = []
    stub.add_response("describe_db_instances", described(CREATING), {"DBInstanceIdentifier": "db1"})
    outcome = mod.ensure_present(clients, same_as_raw(wait=False, allocated_storage=30), ctx(warnings=warnings))
    assert outcome.changed is False and "allocated_storage not changed yet" in warnings[0]
    # wait=true: waits until available, then compares (nothing differs, nothing is sent)
    stub.add_response("describe_db_instances", described(CREATING), {"DBInstanceIdentifier": "db1"})
    stub.add_response("describe_db_instances", described(CREATING), {"DBInstanceIdentifier": "db1"})
    stub.add_response("describe_db_instances", described(RAW), {"DBInstanceIdentifier": "db1"})
    outcome = mod.ensure_present(clients, same_as_raw(wait=True), ctx())
    assert outcome.changed is False and outcome.result["db_instance"]["port"] == 5432


def test_delete_of_creating_instance_waits_until_available(stubbed):
    stub, client = stubbed
    stub.add_response("describe_db_instances", described(CREATING), {"DBInstanceIdentifier": "db1"})
    stub.add_response("describe_db_instances", described(CREATING), {"DBInstanceIdentifier": "db1"})
    stub.add_response("describe_db_instances", described(dict(RAW, DBInstanceStatus="backing-up")),
                      {"DBInstanceIdentifier": "db1"})
    stub.add_response("describe_db_instances", described(RAW), {"DBInstanceIdentifier": "db1"})
    delete = {"DBInstanceIdentifier": "db1", "SkipFinalSnapshot": False, "FinalDBSnapshotIdentifier": "db1-last",
              "DeleteAutomatedBackups": False}
    # second line of defence: a refusal that still comes is tried again, and noted
    stub.add_client_error("delete_db_instance", "InvalidDBInstanceState", "Instance db1 is not available",
                          expected_params=delete)
    stub.add_response("delete_db_instance", {"DBInstance": dict(RAW, DBInstanceStatus="deleting")}, delete)
    notes = []
    outcome = absent(client, module_params(state="absent", wait=False, final_snapshot_identifier="db1-last"), notes=notes)
    assert outcome.changed and outcome.result["final_snapshot_identifier"] == "db1-last"
    assert outcome.result["db_instance"]["db_instance_status"] == "deleting"
    assert len(notes) == 1 and "InvalidDBInstanceState" in notes[0]


def test_delete_of_failed_instance_needs_skip_final_snapshot(stubbed):
    stub, client = stubbed
    stub.add_response("describe_db_instances", described(dict(RAW, DBInstanceStatus="incompatible-network")),
                      {"DBInstanceIdentifier": "db1"})
    with pytest.raises(mod.TaskError, match="skip_final_snapshot: true"):
        absent(client, module_params(state="absent", wait=False))


def test_deleting_instance_is_waited_for_then_subnet_group_deleted(stubbed):
    stub, client = stubbed
    params = module_params(state="absent", wait=False, delete_subnet_group=True, db_subnet_group_name="grp")
    # an earlier (interrupted) run started the deletion: waited for all the same
    stub.add_response("describe_db_instances", described(dict(RAW, DBInstanceStatus="deleting")),
                      {"DBInstanceIdentifier": "db1"})
    stub.add_response("describe_db_instances", described(dict(RAW, DBInstanceStatus="deleting")),
                      {"DBInstanceIdentifier": "db1"})
    stub.add_client_error("describe_db_instances", "DBInstanceNotFound", http_status_code=404,
                          expected_params={"DBInstanceIdentifier": "db1"})
    # then the subnet group goes, once RDS stops answering "in use"
    stub.add_client_error("delete_db_subnet_group", "InvalidDBSubnetGroupStateFault", "in use",
                          expected_params={"DBSubnetGroupName": "grp"})
    stub.add_response("delete_db_subnet_group", {}, {"DBSubnetGroupName": "grp"})
    notes = []
    outcome = absent(client, params, notes=notes)
    # nothing deleted on the instance's side (an earlier run did), the subnet group is: changed
    assert outcome.result["db_instance"]["db_instance_status"] == "deleting"
    assert outcome.result["subnet_group_deleted"] is True and outcome.changed is True
    assert "final_snapshot_identifier" not in outcome.result
    assert len(notes) == 1 and "InvalidDBSubnetGroupStateFault" in notes[0]
    # the instance and the subnet group both gone already: nothing to do
    stub.add_client_error("describe_db_instances", "DBInstanceNotFound", http_status_code=404,
                          expected_params={"DBInstanceIdentifier": "db1"})
    stub.add_client_error("delete_db_subnet_group", "DBSubnetGroupNotFoundFault", http_status_code=404,
                          expected_params={"DBSubnetGroupName": "grp"})
    outcome = absent(client, params)
    assert outcome == base.Outcome(False, {"db_instance": {}, "subnet_group_deleted": False}, before={}, after={})
    stub.add_client_error("delete_db_subnet_group", "DBSubnetGroupNotFoundFault", http_status_code=404,
                          expected_params={"DBSubnetGroupName": "grp"})
    assert mod.delete_subnet_group(client, params, ctx()) is False


def test_check_mode_subnet_group_deletion_only_looks(stubbed):
    stub, client = stubbed
    params = module_params(state="absent", delete_subnet_group=True, db_subnet_group_name="grp")
    stub.add_client_error("describe_db_instances", "DBInstanceNotFound", http_status_code=404,
                          expected_params={"DBInstanceIdentifier": "db1"})
    stub.add_response("describe_db_subnet_groups", {"DBSubnetGroups": [{"DBSubnetGroupName": "grp"}]},
                      {"DBSubnetGroupName": "grp"})
    outcome = absent(client, params, check_mode=True)
    assert outcome.changed is True and outcome.result == {"db_instance": {}, "subnet_group_deleted": True}
