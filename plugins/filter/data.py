# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the data tier (filters ``data_problems`` and ``data_mount_targets``).

* ``data_problems`` checks the tier's inputs before any AWS call (roles/data/tasks/preflight.yml)
  and returns one sentence per problem, in a fixed order, each naming the variable to change.
* ``data_mount_targets`` builds the EFS mount targets the tier wants (roles/data/vars/main.yml).

The checks follow Jinja's semantics, which the roles used before: numbers go through Jinja's
``int`` filter (``'20'`` and ``20.5`` count as 20, what does not parse counts as 0), values are
shown in messages as Jinja's ``~`` would print them, and patterns are matched with ``re.match``
like the ``match`` test (plugins/plugin_utils/filter_inputs.py). Docs: data_problems.yml and
data_mount_targets.yml next to this file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.filter_inputs import is_sequence, jinja_int, matches

# Every input data_problems reads, in the order its checks run.
DATA_INPUTS = (
    "data_rds_engine",
    "data_rds_engine_version",
    "data_rds_instance_class",
    "data_rds_allocated_storage",
    "data_rds_max_allocated_storage",
    "data_rds_storage_type",
    "data_rds_port",
    "data_rds_db_name",
    "data_rds_master_username",
    "data_rds_backup_retention_days",
    "data_rds_password_length",
    "data_redis_engine",
    "data_redis_node_type",
    "data_redis_engine_version",
    "data_redis_port",
    "data_redis_num_cache_clusters",
    "data_redis_automatic_failover",
    "data_redis_snapshot_retention_days",
    "data_efs_performance_mode",
    "data_efs_throughput_mode",
    "data_efs_transition_to_ia",
    "data_efs_access_point_path",
    "data_efs_directory_permissions",
    "data_efs_posix_uid",
    "data_efs_posix_gid",
)

RDS_ENGINES = ("postgres", "mysql", "mariadb")
RDS_STORAGE_TYPES = ("gp2", "gp3", "io1", "io2", "standard")
RDS_RESERVED_USERNAMES = ("admin", "rdsadmin")
REDIS_ENGINES = ("redis", "valkey")
EFS_PERFORMANCE_MODES = ("generalPurpose", "maxIO")
EFS_THROUGHPUT_MODES = ("bursting", "elastic", "provisioned")
EFS_TRANSITIONS = ("", "AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS",
                   "AFTER_60_DAYS", "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS")
POSIX_ID_MAX = 4294967295

ENGINE_VERSION = r"^[0-9]+(\.[0-9]+){0,2}$"


def _out_of(value: Any, low: int, high: int) -> bool:
    number = jinja_int(value)
    return number < low or number > high


def data_problems(inputs: Mapping[str, Any]) -> list[str]:
    """Return the problems of the data tier's inputs, one sentence each (empty when all is well).

    ``inputs`` maps each name of ``DATA_INPUTS`` to its value.
    """
    if not isinstance(inputs, Mapping):
        raise AnsibleFilterError("data_problems: the input must be a dict of the data_* variables, got %s"
                                 % type(inputs).__name__)
    absent = [name for name in DATA_INPUTS if name not in inputs]
    if absent:
        raise AnsibleFilterError("data_problems: the input lacks %s" % ", ".join(absent))
    v = inputs
    out = []
    engine = v["data_rds_engine"]
    if engine not in RDS_ENGINES:
        out.append(f"data_rds_engine: '{engine!s}' is not supported; use postgres, mysql or mariadb")
    if not matches(ENGINE_VERSION, str(v["data_rds_engine_version"])):
        out.append(f"data_rds_engine_version: '{v['data_rds_engine_version']!s}' is not an engine version;"
                   " use the form 16 or 16.4")
    if not matches(r"^db\.[a-z0-9]+\.[a-z0-9]+$", v["data_rds_instance_class"]):
        out.append(f"data_rds_instance_class: '{v['data_rds_instance_class']!s}' is not an RDS instance class"
                   " such as db.t3.micro")
    if _out_of(v["data_rds_allocated_storage"], 20, 65536):
        out.append(f"data_rds_allocated_storage: {v['data_rds_allocated_storage']!s} GiB is outside what {engine!s}"
                   " accepts; use 20 to 65536")
    max_storage = jinja_int(v["data_rds_max_allocated_storage"])
    if max_storage != 0 and max_storage <= jinja_int(v["data_rds_allocated_storage"]):
        out.append("data_rds_max_allocated_storage: must be 0 (off) or larger than data_rds_allocated_storage")
    if v["data_rds_storage_type"] not in RDS_STORAGE_TYPES:
        out.append(f"data_rds_storage_type: '{v['data_rds_storage_type']!s}' is not one of gp2, gp3, io1, io2, standard")
    if _out_of(v["data_rds_port"], 1150, 65535):
        out.append(f"data_rds_port: {v['data_rds_port']!s} is out of range; RDS accepts 1150-65535")
    if not matches(r"^[A-Za-z][A-Za-z0-9_]{0,62}$", v["data_rds_db_name"]):
        out.append(f"data_rds_db_name: '{v['data_rds_db_name']!s}' must start with a letter and hold only letters,"
                   " digits and _ (max 63)")
    username = v["data_rds_master_username"]
    if not matches(r"^[A-Za-z][A-Za-z0-9_]{0,15}$", username) or str(username).lower() in RDS_RESERVED_USERNAMES:
        out.append(f"data_rds_master_username: '{username!s}' must start with a letter, hold letters, digits and _"
                   " (max 16) and not be a reserved word")
    if _out_of(v["data_rds_backup_retention_days"], 1, 35):
        out.append(f"data_rds_backup_retention_days: {v['data_rds_backup_retention_days']!s} is out of range;"
                   " automated backups need 1-35 days")
    if _out_of(v["data_rds_password_length"], 16, 128):
        out.append("data_rds_password_length: use 16 to 128 characters")
    if v["data_redis_engine"] not in REDIS_ENGINES:
        out.append(f"data_redis_engine: '{v['data_redis_engine']!s}' is not redis or valkey")
    if not matches(r"^cache\.[a-z0-9]+\.[a-z0-9]+$", v["data_redis_node_type"]):
        out.append(f"data_redis_node_type: '{v['data_redis_node_type']!s}' is not a cache node type such as cache.t3.micro")
    if not matches(ENGINE_VERSION, str(v["data_redis_engine_version"])):
        out.append(f"data_redis_engine_version: '{v['data_redis_engine_version']!s}' is not an engine version;"
                   " use the form 7.1")
    if _out_of(v["data_redis_port"], 1, 65535):
        out.append(f"data_redis_port: {v['data_redis_port']!s} is out of range; use 1-65535")
    if _out_of(v["data_redis_num_cache_clusters"], 1, 6):
        out.append("data_redis_num_cache_clusters: use 1 to 6 nodes")
    # Truthiness, as the Jinja `if` had it (argument_specs has already checked it is a boolean).
    if v["data_redis_automatic_failover"] and jinja_int(v["data_redis_num_cache_clusters"]) < 2:
        out.append("data_redis_automatic_failover: needs data_redis_num_cache_clusters of 2 or more")
    if _out_of(v["data_redis_snapshot_retention_days"], 0, 35):
        out.append("data_redis_snapshot_retention_days: use 0 to 35")
    if v["data_efs_performance_mode"] not in EFS_PERFORMANCE_MODES:
        out.append(f"data_efs_performance_mode: '{v['data_efs_performance_mode']!s}' is not generalPurpose or maxIO")
    if v["data_efs_throughput_mode"] not in EFS_THROUGHPUT_MODES:
        out.append(f"data_efs_throughput_mode: '{v['data_efs_throughput_mode']!s}' is not bursting, elastic or provisioned")
    if v["data_efs_transition_to_ia"] not in EFS_TRANSITIONS:
        out.append(f"data_efs_transition_to_ia: '{v['data_efs_transition_to_ia']!s}' is not an EFS lifecycle value"
                   " such as AFTER_30_DAYS")
    if not matches(r"^/[A-Za-z0-9_./-]*$", v["data_efs_access_point_path"]):
        out.append(f"data_efs_access_point_path: '{v['data_efs_access_point_path']!s}' must be an absolute path")
    if not matches(r"^0?[0-7]{3}$", str(v["data_efs_directory_permissions"])):
        out.append(f"data_efs_directory_permissions: '{v['data_efs_directory_permissions']!s}' must be octal such as 0755")
    for name in ("data_efs_posix_uid", "data_efs_posix_gid"):
        if _out_of(v[name], 0, POSIX_ID_MAX):
            out.append(f"{name}: must be 0 to {POSIX_ID_MAX}")
    return out


def data_mount_targets(subnet_ids: Sequence[str], security_group_id: str | None) -> list[dict[str, Any]]:
    """One EFS mount target per subnet, each in the one security group given.

    The group id is passed on as it is: ec2_security_groups gives null in check mode for a group
    it has not created yet.
    """
    if not is_sequence(subnet_ids):
        raise AnsibleFilterError("data_mount_targets: the input must be a list of subnet ids, got %s"
                                 % type(subnet_ids).__name__)
    return [{"subnet_id": subnet_id, "security_groups": [security_group_id]} for subnet_id in subnet_ids]


class FilterModule(object):
    def filters(self) -> dict[str, Any]:
        return {"data_problems": data_problems, "data_mount_targets": data_mount_targets}
