"""Offline tests of the data tier's filters (plugins/filter/data.py).

The expected problems are written out word for word: tests/stack/test_bad_input.py looks for
parts of them, and they are the messages the roles' Jinja gave before it moved into the filter
(rendered with ansible-core's templar and pasted here), including Jinja's ``int`` reading.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.filter import data

# The production inputs: roles/data/defaults/main.yml, written out.
GOOD = {
    "data_rds_engine": "postgres",
    "data_rds_engine_version": "16",
    "data_rds_instance_class": "db.t3.micro",
    "data_rds_allocated_storage": 20,
    "data_rds_max_allocated_storage": 0,
    "data_rds_storage_type": "gp3",
    "data_rds_port": 5432,
    "data_rds_db_name": "apranova_db",
    "data_rds_master_username": "apranova_admin",
    "data_rds_backup_retention_days": 7,
    "data_rds_password_length": 32,
    "data_redis_engine": "redis",
    "data_redis_node_type": "cache.t3.micro",
    "data_redis_engine_version": "7.1",
    "data_redis_port": 6379,
    "data_redis_num_cache_clusters": 1,
    "data_redis_automatic_failover": False,
    "data_redis_snapshot_retention_days": 1,
    "data_efs_performance_mode": "generalPurpose",
    "data_efs_throughput_mode": "bursting",
    "data_efs_transition_to_ia": "AFTER_30_DAYS",
    "data_efs_access_point_path": "/workspaces",
    "data_efs_directory_permissions": "0755",
    "data_efs_posix_uid": 1000,
    "data_efs_posix_gid": 1000,
}


def inputs(**changes):
    out = dict(GOOD)
    out.update(changes)
    return out


def test_production_inputs_have_no_problem():
    assert data.data_problems(GOOD) == []


def test_every_problem_in_order():
    bad = inputs(
        data_rds_engine="oracle", data_rds_engine_version="sixteen", data_rds_instance_class="m5.large",
        data_rds_allocated_storage="10", data_rds_max_allocated_storage=5, data_rds_storage_type="sc1", data_rds_port=80,
        data_rds_db_name="1db", data_rds_master_username="Admin", data_rds_backup_retention_days=0,
        data_rds_password_length=8, data_redis_engine="memcached", data_redis_node_type="db.t3.micro",
        data_redis_engine_version="latest", data_redis_port=70000, data_redis_num_cache_clusters=0,
        data_redis_automatic_failover=True, data_redis_snapshot_retention_days=-1, data_efs_performance_mode="fast",
        data_efs_throughput_mode="max", data_efs_transition_to_ia="AFTER_2_DAYS", data_efs_access_point_path="relative",
        data_efs_directory_permissions="999", data_efs_posix_uid=-1, data_efs_posix_gid=4294967296,
    )
    assert data.data_problems(bad) == [
        "data_rds_engine: 'oracle' is not supported; use postgres, mysql or mariadb",
        "data_rds_engine_version: 'sixteen' is not an engine version; use the form 16 or 16.4",
        "data_rds_instance_class: 'm5.large' is not an RDS instance class such as db.t3.micro",
        "data_rds_allocated_storage: 10 GiB is outside what oracle accepts; use 20 to 65536",
        "data_rds_max_allocated_storage: must be 0 (off) or larger than data_rds_allocated_storage",
        "data_rds_storage_type: 'sc1' is not one of gp2, gp3, io1, io2, standard",
        "data_rds_port: 80 is out of range; RDS accepts 1150-65535",
        "data_rds_db_name: '1db' must start with a letter and hold only letters, digits and _ (max 63)",
        "data_rds_master_username: 'Admin' must start with a letter, hold letters, digits and _ (max 16) and not be a reserved word",
        "data_rds_backup_retention_days: 0 is out of range; automated backups need 1-35 days",
        "data_rds_password_length: use 16 to 128 characters",
        "data_redis_engine: 'memcached' is not redis or valkey",
        "data_redis_node_type: 'db.t3.micro' is not a cache node type such as cache.t3.micro",
        "data_redis_engine_version: 'latest' is not an engine version; use the form 7.1",
        "data_redis_port: 70000 is out of range; use 1-65535",
        "data_redis_num_cache_clusters: use 1 to 6 nodes",
        "data_redis_automatic_failover: needs data_redis_num_cache_clusters of 2 or more",
        "data_redis_snapshot_retention_days: use 0 to 35",
        "data_efs_performance_mode: 'fast' is not generalPurpose or maxIO",
        "data_efs_throughput_mode: 'max' is not bursting, elastic or provisioned",
        "data_efs_transition_to_ia: 'AFTER_2_DAYS' is not an EFS lifecycle value such as AFTER_30_DAYS",
        "data_efs_access_point_path: 'relative' must be an absolute path",
        "data_efs_directory_permissions: '999' must be octal such as 0755",
        "data_efs_posix_uid: must be 0 to 4294967295",
        "data_efs_posix_gid: must be 0 to 4294967295",
    ]


# The data_* cases of tests/stack/test_bad_input.py, with the whole message each gives.
@pytest.mark.parametrize("changes,expected", [
    pytest.param({"data_rds_allocated_storage": 10},
                 ["data_rds_allocated_storage: 10 GiB is outside what postgres accepts; use 20 to 65536"], id="rds-storage-below-minimum"),
    pytest.param({"data_rds_engine_version": "sixteen"},
                 ["data_rds_engine_version: 'sixteen' is not an engine version; use the form 16 or 16.4"], id="rds-engine-version-format"),
    pytest.param({"data_redis_node_type": "db.t3.micro"},
                 ["data_redis_node_type: 'db.t3.micro' is not a cache node type such as cache.t3.micro"], id="redis-node-type"),
    pytest.param({"data_redis_automatic_failover": True},
                 ["data_redis_automatic_failover: needs data_redis_num_cache_clusters of 2 or more"], id="redis-failover-one-node"),
])
def test_bad_input_cases(changes, expected):
    assert data.data_problems(inputs(**changes)) == expected


@pytest.mark.parametrize("changes,expected", [
    # Jinja's int: '20.7' and 20.7 count as 20, 'abc' as 0 (autoscaling off), '5432' as 5432
    pytest.param({"data_rds_allocated_storage": "20.7", "data_rds_max_allocated_storage": "abc", "data_rds_port": "5432"}, [],
                 id="numbers-as-jinja-int-reads-them"),
    pytest.param({"data_redis_port": "x"}, ["data_redis_port: x is out of range; use 1-65535"], id="text-port-counts-as-0"),
    pytest.param({"data_efs_posix_gid": 4294967295.9, "data_rds_backup_retention_days": 35.5}, [], id="floats-truncated"),
    # versions and permissions are checked as text: a float, an int and a three-part version pass
    pytest.param({"data_rds_engine_version": 16.4, "data_redis_engine_version": 7, "data_efs_directory_permissions": 755}, [],
                 id="numbers-as-text"),
    pytest.param({"data_rds_engine_version": "16.4.1.2"},
                 ["data_rds_engine_version: '16.4.1.2' is not an engine version; use the form 16 or 16.4"], id="four-part-version"),
    # the match test is re.match: $ also matches before a final newline
    pytest.param({"data_rds_engine_version": "16\n", "data_efs_access_point_path": "/workspaces\n"}, [], id="final-newline"),
    pytest.param({"data_rds_master_username": "RDSADMIN"},
                 ["data_rds_master_username: 'RDSADMIN' must start with a letter, hold letters, digits and _ (max 16)"
                  " and not be a reserved word"], id="reserved-username-any-case"),
    pytest.param({"data_rds_master_username": "a" * 17},
                 ["data_rds_master_username: 'aaaaaaaaaaaaaaaaa' must start with a letter, hold letters, digits and _ (max 16)"
                  " and not be a reserved word"], id="username-too-long"),
    pytest.param({"data_rds_db_name": "a" * 64},
                 ["data_rds_db_name: '" + "a" * 64 + "' must start with a letter and hold only letters, digits and _ (max 63)"],
                 id="db-name-too-long"),
    pytest.param({"data_rds_instance_class": None},
                 ["data_rds_instance_class: 'None' is not an RDS instance class such as db.t3.micro"], id="null-shown-as-jinja-shows-it"),
    # max equal to allocated is not larger
    pytest.param({"data_rds_allocated_storage": 70000, "data_rds_max_allocated_storage": 70000},
                 ["data_rds_allocated_storage: 70000 GiB is outside what postgres accepts; use 20 to 65536",
                  "data_rds_max_allocated_storage: must be 0 (off) or larger than data_rds_allocated_storage"], id="max-storage-equal"),
    pytest.param({"data_rds_max_allocated_storage": 21}, [], id="max-storage-larger"),
    # failover is checked for truth, as the Jinja `if` did: the string 'false' is true
    pytest.param({"data_redis_automatic_failover": "false"},
                 ["data_redis_automatic_failover: needs data_redis_num_cache_clusters of 2 or more"], id="failover-string-is-true"),
    pytest.param({"data_redis_automatic_failover": True, "data_redis_num_cache_clusters": "2"}, [], id="failover-two-nodes"),
    pytest.param({"data_redis_num_cache_clusters": "7", "data_redis_automatic_failover": True},
                 ["data_redis_num_cache_clusters: use 1 to 6 nodes"], id="seven-nodes"),
    pytest.param({"data_efs_transition_to_ia": ""}, [], id="lifecycle-off"),
    pytest.param({"data_efs_posix_uid": 4294967295, "data_efs_posix_gid": 0, "data_redis_snapshot_retention_days": 35,
                  "data_rds_password_length": 128, "data_rds_port": 65535, "data_rds_engine": "mariadb",
                  "data_redis_engine": "valkey", "data_efs_throughput_mode": "elastic", "data_efs_performance_mode": "maxIO"},
                 [], id="upper-bounds-accepted"),
])
def test_edge_cases(changes, expected):
    assert data.data_problems(inputs(**changes)) == expected


def test_problems_need_a_dict():
    with pytest.raises(AnsibleFilterError, match="data_problems: the input must be a dict of the data_\\* variables, got str"):
        data.data_problems("postgres")


def test_problems_name_the_missing_inputs():
    partial = dict(GOOD)
    del partial["data_efs_posix_gid"]
    del partial["data_rds_port"]
    with pytest.raises(AnsibleFilterError) as err:
        data.data_problems(partial)
    assert str(err.value) == "data_problems: the input lacks data_rds_port, data_efs_posix_gid"


def test_type_errors_do_not_show_the_value():
    with pytest.raises(AnsibleFilterError) as err:
        data.data_problems(["s3cr3t-value"])
    assert "s3cr3t" not in str(err.value)
    assert str(err.value) == "data_problems: the input must be a dict of the data_* variables, got list"


def test_mount_targets_one_per_subnet_in_the_group():
    assert data.data_mount_targets(["subnet-0priv1", "subnet-0priv2"], "sg-0efs") == [
        {"subnet_id": "subnet-0priv1", "security_groups": ["sg-0efs"]},
        {"subnet_id": "subnet-0priv2", "security_groups": ["sg-0efs"]},
    ]


def test_mount_targets_keep_a_check_mode_null_group():
    # ec2_security_groups gives null for a group it has not created yet (check mode)
    assert data.data_mount_targets(["subnet-0priv1"], None) == [{"subnet_id": "subnet-0priv1", "security_groups": [None]}]


def test_mount_targets_of_no_subnet():
    assert data.data_mount_targets([], "sg-0efs") == []


@pytest.mark.parametrize("subnets", ["subnet-0priv1", {"subnet-0priv1": 1}, None])
def test_mount_targets_need_a_list(subnets):
    with pytest.raises(AnsibleFilterError, match="data_mount_targets: the input must be a list of subnet ids"):
        data.data_mount_targets(subnets, "sg-0efs")


def test_filter_names():
    filters = data.FilterModule().filters()
    assert sorted(filters) == ["data_mount_targets", "data_problems"]
    assert filters["data_problems"] is data.data_problems
    assert filters["data_mount_targets"] is data.data_mount_targets
