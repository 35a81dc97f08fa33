# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ElastiCache API layer of apranova.aws_stack.

Every ElastiCache call of the ``elasticache_*`` modules goes through here: each one with
``aws_retry=True`` (the client is made with ``base.aws_client(module, "elasticache", RETRY_CODES)``), "not found"
turned into ``None`` / ``False``, and other AWS errors raised as :class:`AnsibleElastiCacheError`.
The normalisers and planners are pure functions, so the comparison logic is testable offline.

Where AWS keeps what: a replication group reports its description, node type, engine, failover,
Multi-AZ, encryption, KMS key, snapshot retention and endpoints (the port comes from the primary
endpoint); the engine version, cache subnet group and VPC security groups live on its member
cache clusters. moto 5.2.5 does not make member clusters describable, ignores
``NumCacheClusters`` (one member), ignores ``EngineVersion`` / ``SecurityGroupIds`` in
``ModifyReplicationGroup`` and keeps a deleted group in ``deleting`` forever; the planners
therefore treat a member-cluster attribute that cannot be read as "unknown" (not compared,
reported back to the caller) rather than as "different".
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_while
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import wait_for

# A group that is still being created / modified refuses changes for a moment.
RETRY_CODES = ["InvalidReplicationGroupState"]

# "The requested replication group is not in the available state" (InvalidReplicationGroupStateFault):
# DeleteReplicationGroup / ModifyReplicationGroup of a group still creating, modifying or snapshotting.
GROUP_STATE_CODES = ["InvalidReplicationGroupState"]

# "The requested cache subnet group is currently in use" (CacheSubnetGroupInUse); DeleteCacheSubnetGroup:
# "You cannot delete a default cache subnet group or one that is associated with any clusters."
SUBNET_GROUP_IN_USE_CODES = ["CacheSubnetGroupInUse"]

# Status values of a replication group (AWS): creating, available, modifying, deleting,
# create-failed, snapshotting.
FAILED_STATES = ("create-failed",)

# Characters AWS allows in an AUTH token besides letters and digits.
AUTH_TOKEN_SPECIALS = "!&#$^<>-"


class AnsibleElastiCacheError(AnsibleAWSError):
    pass


class ElastiCacheStateError(Exception):
    """A replication group is not in a state the caller can work with (message says why)."""


ReplicationGroupErrorHandler = error_handler(AnsibleElastiCacheError, "ReplicationGroupNotFoundFault")


CacheClusterErrorHandler = error_handler(AnsibleElastiCacheError, ["CacheClusterNotFound", "CacheClusterNotFoundFault"])


TagsErrorHandler = error_handler(AnsibleElastiCacheError, ["ReplicationGroupNotFoundFault", "CacheClusterNotFound", "CacheSubnetGroupNotFoundFault"])


# ---------------------------------------------------------------------------------------------
# API calls
# ---------------------------------------------------------------------------------------------


@ReplicationGroupErrorHandler.list_error_handler("describe replication group {replication_group_id}")
def describe_replication_group(client: Any, replication_group_id: str) -> Optional[Dict[str, Any]]:
    """The group as AWS describes it, or ``None`` when there is no such group."""
    groups = client.describe_replication_groups(ReplicationGroupId=replication_group_id, aws_retry=True)
    for group in groups.get("ReplicationGroups", []):
        if group.get("ReplicationGroupId") == replication_group_id:
            return group
    return None


@CacheClusterErrorHandler.list_error_handler("describe cache cluster {cache_cluster_id}")
def describe_cache_cluster(client: Any, cache_cluster_id: str) -> Optional[Dict[str, Any]]:
    """A (member) cache cluster, or ``None`` when it cannot be found."""
    clusters = client.describe_cache_clusters(CacheClusterId=cache_cluster_id, aws_retry=True)
    for cluster in clusters.get("CacheClusters", []):
        if cluster.get("CacheClusterId") == cache_cluster_id:
            return cluster
    return None


@ReplicationGroupErrorHandler.common_error_handler("create replication group {params[ReplicationGroupId]}")
def create_replication_group(client: Any, params: Dict[str, Any]) -> Dict[str, Any]:
    return client.create_replication_group(aws_retry=True, **params)["ReplicationGroup"]


@ReplicationGroupErrorHandler.common_error_handler("modify replication group {replication_group_id}")
def modify_replication_group(client: Any, replication_group_id: str, params: Dict[str, Any]) -> Dict[str, Any]:
    return client.modify_replication_group(ReplicationGroupId=replication_group_id, aws_retry=True, **params)[
        "ReplicationGroup"
    ]


@ReplicationGroupErrorHandler.deletion_error_handler("delete replication group {replication_group_id}")
def delete_replication_group(client: Any, replication_group_id: str, final_snapshot_identifier: Optional[str] = None,
                             timeout: float = 0, note: Optional[Callable[[str], None]] = None) -> bool:
    """Start the deletion; ``False`` when the group was already gone.

    While AWS answers InvalidReplicationGroupState (the group is not available yet), the call is
    tried again for up to ``timeout`` seconds.
    """
    params = {"ReplicationGroupId": replication_group_id}
    if final_snapshot_identifier:
        params["FinalSnapshotIdentifier"] = final_snapshot_identifier
    retry_while(lambda: client.delete_replication_group(aws_retry=True, **params), GROUP_STATE_CODES,
                timeout=timeout, note=note, what=f"delete replication group {replication_group_id}")
    return True


CacheSubnetGroupErrorHandler = error_handler(AnsibleElastiCacheError, "CacheSubnetGroupNotFoundFault")


@CacheSubnetGroupErrorHandler.list_error_handler("describe cache subnet group {name}")
def describe_cache_subnet_group(client: Any, name: str) -> Optional[Dict[str, Any]]:
    """The cache subnet group ``name``, or ``None``."""
    groups = client.describe_cache_subnet_groups(CacheSubnetGroupName=name, aws_retry=True).get("CacheSubnetGroups")
    return groups[0] if groups else None


@CacheSubnetGroupErrorHandler.common_error_handler("create cache subnet group {name}")
def create_cache_subnet_group(client: Any, name: str, description: str, subnet_ids: List[str]) -> Dict[str, Any]:
    return client.create_cache_subnet_group(aws_retry=True, CacheSubnetGroupName=name,
                                            CacheSubnetGroupDescription=description,
                                            SubnetIds=list(subnet_ids))["CacheSubnetGroup"]


@CacheSubnetGroupErrorHandler.common_error_handler("modify cache subnet group {name}")
def modify_cache_subnet_group(client: Any, name: str, description: str, subnet_ids: List[str]) -> Dict[str, Any]:
    return client.modify_cache_subnet_group(aws_retry=True, CacheSubnetGroupName=name,
                                            CacheSubnetGroupDescription=description,
                                            SubnetIds=list(subnet_ids))["CacheSubnetGroup"]


def normalise_cache_subnet_group(group: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """A DescribeCacheSubnetGroups entry as the module returns it (``{}`` for none)."""
    if not group:
        return {}
    return {
        "name": group.get("CacheSubnetGroupName"),
        "description": group.get("CacheSubnetGroupDescription"),
        "vpc_id": group.get("VpcId"),
        "subnet_ids": sorted(s["SubnetIdentifier"] for s in group.get("Subnets") or [] if s.get("SubnetIdentifier")),
        "arn": group.get("ARN"),
    }


@CacheSubnetGroupErrorHandler.deletion_error_handler("delete cache subnet group {name}")
def delete_cache_subnet_group(client: Any, name: str, timeout: float = 0, note: Optional[Callable[[str], None]] = None) -> bool:
    """DeleteCacheSubnetGroup; ``False`` when the group was already gone.

    AWS answers CacheSubnetGroupInUse while a cluster of the group is still being deleted; that
    is tried again for up to ``timeout`` seconds.
    """
    retry_while(lambda: client.delete_cache_subnet_group(CacheSubnetGroupName=name, aws_retry=True),
                SUBNET_GROUP_IN_USE_CODES, timeout=timeout, note=note, what=f"delete cache subnet group {name}")
    return True


@TagsErrorHandler.list_error_handler("list tags of {arn}", default_value={})
def list_tags(client: Any, arn: str) -> Dict[str, str]:
    """Tags of an ElastiCache resource as a dict (``aws:`` tags left out)."""
    return tags_to_dict(client.list_tags_for_resource(ResourceName=arn, aws_retry=True).get("TagList", []))


@TagsErrorHandler.common_error_handler("tag {arn}")
def add_tags(client: Any, arn: str, tags: Dict[str, Any]) -> bool:
    client.add_tags_to_resource(ResourceName=arn, Tags=dict_to_tags(tags), aws_retry=True)
    return True


@TagsErrorHandler.common_error_handler("untag {arn}")
def remove_tags(client: Any, arn: str, keys: Iterable[str]) -> bool:
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=list(keys), aws_retry=True)
    return True


# ---------------------------------------------------------------------------------------------
# Waits
# ---------------------------------------------------------------------------------------------


def wait_available(client: Any, replication_group_id: str, timeout: float,
                   sleep: Optional[Callable[[float], None]] = None) -> Optional[Dict[str, Any]]:
    """Wait until the group is ``available``; return it, or ``None`` on timeout.

    Raises :class:`ElastiCacheStateError` when the group disappears or its creation failed.
    """

    def check() -> Optional[Dict[str, Any]]:
        group = describe_replication_group(client, replication_group_id)
        if group is None:
            raise ElastiCacheStateError(f"Replication group {replication_group_id} disappeared while waiting for it")
        if group.get("Status") in FAILED_STATES:
            raise ElastiCacheStateError(
                f"Replication group {replication_group_id} is in state {group['Status']}; delete it and create it again"
            )
        if group.get("Status") == "available":
            return group
        return None

    kwargs = {"sleep": sleep} if sleep else {}
    return wait_for(check, timeout=timeout, **kwargs)


def wait_gone(client: Any, replication_group_id: str, timeout: float, sleep: Optional[Callable[[float], None]] = None) -> bool:
    """Wait until the group no longer exists; ``True`` when it is gone, ``False`` on timeout."""

    def check() -> bool:
        return describe_replication_group(client, replication_group_id) is None

    kwargs = {"sleep": sleep} if sleep else {}
    return bool(wait_for(check, timeout=timeout, **kwargs))


def deletion_settled(client: Any, group: Optional[Dict[str, Any]]) -> bool:
    """Whether a deletion can be considered finished.

    True when the group is gone, or when it reports ``deleting`` and none of its member clusters
    can be described any more (its nodes are gone; only the group's record remains). On AWS the
    member clusters stay describable (``deleting``) until their nodes are removed, and the record
    goes shortly after; moto keeps the record in ``deleting`` forever and never had describable
    members, so this returns at once there.
    """
    if group is None:
        return True
    if group.get("Status") != "deleting":
        return False
    for member in group.get("MemberClusters") or []:
        if describe_cache_cluster(client, member) is not None:
            return False
    return True


def wait_deletion_settled(client: Any, replication_group_id: str, timeout: float,
                          sleep: Optional[Callable[[float], None]] = None) -> bool:
    """Wait until :func:`deletion_settled`; ``True`` when settled, ``False`` on timeout."""

    def check() -> bool:
        return deletion_settled(client, describe_replication_group(client, replication_group_id))

    kwargs = {"sleep": sleep} if sleep else {}
    return bool(wait_for(check, timeout=timeout, **kwargs))


# ---------------------------------------------------------------------------------------------
# Normalisers
# ---------------------------------------------------------------------------------------------


def _endpoint(value: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if not value or not value.get("Address"):
        return None
    return {"address": value.get("Address"), "port": value.get("Port")}


def connection_endpoint(group: Dict[str, Any]) -> Dict[str, Any]:
    """Where clients connect to ``group`` (a DescribeReplicationGroups entry): its configuration
    endpoint (cluster mode enabled), else the primary endpoint of its node group; ``address`` and
    ``port`` are None while AWS reports none. What a lookup reads (``discovery``) and the module returns."""
    primary = {}
    for node_group in group.get("NodeGroups") or []:
        primary = node_group.get("PrimaryEndpoint") or primary
    endpoint = group.get("ConfigurationEndpoint") or primary
    return {"address": endpoint.get("Address"), "port": endpoint.get("Port")}


def group_nodes(group: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every node of ``group``'s node groups: its cache cluster, Availability Zone and role (primary / replica)."""
    return [{"cluster_id": m.get("CacheClusterId"), "availability_zone": m.get("PreferredAvailabilityZone"),
             "role": m.get("CurrentRole")}
            for node_group in group.get("NodeGroups") or [] for m in node_group.get("NodeGroupMembers") or []]


def _enabled(value: Optional[str]) -> bool:
    """``enabled`` / ``enabling`` -> True, ``disabled`` / ``disabling`` / missing -> False."""
    return value in ("enabled", "enabling")


def normalize_replication_group(group: Optional[Dict[str, Any]], member: Optional[Dict[str, Any]] = None,
                                tags: Optional[Dict[str, str]] = None,
                                known: Optional[Dict[str, Any]] = None) -> Optional[Dict[str, Any]]:
    """AWS ReplicationGroup (+ one member CacheCluster) -> the dict the module compares and returns.

    ``member`` is a described member cache cluster (engine version, subnet group and security
    groups come from it). When it is ``None`` those three come from ``known`` (what this run
    sent to AWS), else they are ``None`` ("unknown").
    """
    if group is None:
        return None
    known = known or {}
    node_groups = group.get("NodeGroups") or []
    first = node_groups[0] if node_groups else {}
    primary = _endpoint(first.get("PrimaryEndpoint"))
    reader = _endpoint(first.get("ReaderEndpoint"))
    configuration = _endpoint(group.get("ConfigurationEndpoint"))
    port = None
    for endpoint in (primary, configuration, reader):
        if endpoint and endpoint.get("port") is not None:
            port = endpoint["port"]
            break

    if member is not None:
        engine_version = member.get("EngineVersion")
        subnet_group = member.get("CacheSubnetGroupName")
        security_group_ids = sorted(sg["SecurityGroupId"] for sg in member.get("SecurityGroups") or [])
        if port is None and member.get("ConfigurationEndpoint"):
            port = member["ConfigurationEndpoint"].get("Port")
    else:
        engine_version = known.get("engine_version")
        subnet_group = known.get("cache_subnet_group_name")
        security_group_ids = known.get("security_group_ids")
        if security_group_ids is not None:
            security_group_ids = sorted(security_group_ids)

    return {
        "replication_group_id": group.get("ReplicationGroupId"),
        "arn": group.get("ARN"),
        "status": group.get("Status"),
        "description": group.get("Description"),
        "engine": group.get("Engine"),
        "engine_version": engine_version,
        "cache_node_type": group.get("CacheNodeType"),
        "port": port,
        "primary_endpoint": primary,
        "reader_endpoint": reader,
        "endpoint": connection_endpoint(group),
        "member_clusters": list(group.get("MemberClusters") or []),
        "nodes": group_nodes(group),
        "automatic_failover": _enabled(group.get("AutomaticFailover")),
        "automatic_failover_status": group.get("AutomaticFailover"),
        "multi_az": _enabled(group.get("MultiAZ")),
        "multi_az_status": group.get("MultiAZ"),
        "at_rest_encryption_enabled": bool(group.get("AtRestEncryptionEnabled")),
        "transit_encryption_enabled": bool(group.get("TransitEncryptionEnabled")),
        "auth_token_enabled": bool(group.get("AuthTokenEnabled")),
        "kms_key_id": group.get("KmsKeyId"),
        "snapshot_retention_limit": group.get("SnapshotRetentionLimit"),
        "security_group_ids": security_group_ids,
        "cache_subnet_group_name": subnet_group,
        "tags": dict(tags or {}),
    }


# ---------------------------------------------------------------------------------------------
# Planning (pure functions)
# ---------------------------------------------------------------------------------------------


def validate_params(params: Dict[str, Any]) -> List[str]:
    """Problems with the options that no API call is needed to see; a list of messages."""
    problems = []
    state = params.get("state", "present")
    if state != "present":
        return problems
    num = params.get("num_cache_clusters")
    if num is not None and not 1 <= num <= 6:
        problems.append(f"num_cache_clusters must be between 1 and 6 (a primary and up to 5 replicas), got {num}")
    if params.get("automatic_failover") and (num is None or num < 2):
        problems.append(
            "automatic_failover=true needs a replica to fail over to: set num_cache_clusters to 2 or more,"
            " or set automatic_failover=false"
        )
    if params.get("multi_az") and not params.get("automatic_failover"):
        problems.append("multi_az=true requires automatic_failover=true (and num_cache_clusters >= 2)")
    token = params.get("auth_token")
    if token is not None:
        if not params.get("transit_encryption"):
            problems.append("auth_token requires transit_encryption=true (AWS only accepts an AUTH token with TLS)")
        if not 16 <= len(token) <= 128:
            problems.append(f"auth_token must be 16 to 128 characters long, got {len(token)}")
        bad = sorted({c for c in token if not (c.isascii() and c.isalnum()) and c not in AUTH_TOKEN_SPECIALS})
        if bad:
            problems.append(
                f"auth_token may only contain letters, digits and {AUTH_TOKEN_SPECIALS}; remove {' '.join(repr(c) for c in bad)}"
            )
    if params.get("kms_key_id") and not params.get("at_rest_encryption"):
        problems.append("kms_key_id is only used with at_rest_encryption=true; set it or drop kms_key_id")
    port = params.get("port")
    if port is not None and not 1 <= port <= 65535:
        problems.append(f"port must be between 1 and 65535, got {port}")
    limit = params.get("snapshot_retention_limit")
    if limit is not None and not 0 <= limit <= 35:
        problems.append(f"snapshot_retention_limit must be between 0 and 35 days, got {limit}")
    return problems


def create_params(params: Dict[str, Any]) -> Dict[str, Any]:
    """Parameters of ``CreateReplicationGroup`` for the module's options."""
    request = {
        "ReplicationGroupId": params["replication_group_id"],
        "ReplicationGroupDescription": params.get("description") or DEFAULT_DESCRIPTION,
        "Engine": params["engine"],
        "CacheNodeType": params["cache_node_type"],
        "NumCacheClusters": params["num_cache_clusters"],
        "AutomaticFailoverEnabled": params["automatic_failover"],
        "MultiAZEnabled": params["multi_az"],
        "Port": params["port"],
        "AtRestEncryptionEnabled": params["at_rest_encryption"],
        "TransitEncryptionEnabled": params["transit_encryption"],
    }
    optional = (
        ("engine_version", "EngineVersion"),
        ("cache_subnet_group_name", "CacheSubnetGroupName"),
        ("security_group_ids", "SecurityGroupIds"),
        ("auth_token", "AuthToken"),
        ("kms_key_id", "KmsKeyId"),
        ("snapshot_retention_limit", "SnapshotRetentionLimit"),
    )
    for option, key in optional:
        if params.get(option) is not None:
            request[key] = params[option]
    if params.get("tags"):
        request["Tags"] = dict_to_tags(params["tags"])
    return request


def version_matches(desired: Optional[str], current: Optional[str]) -> bool:
    """Whether engine version ``current`` satisfies ``desired``.

    ``7.1`` matches ``7.1.0``; ``6.x`` matches ``6.2.6``; ``6.2`` does not match ``6.0.5``.
    """
    if desired is None or current is None:
        return True
    desired = str(desired).strip()
    current = str(current).strip()
    if desired == current:
        return True
    prefix = desired[:-2] if desired.endswith(".x") else desired
    return current.startswith(prefix + ".")


def kms_key_matches(desired: Optional[str], current: Optional[str]) -> bool:
    """Whether KMS key ``current`` (AWS reports an ARN) is the one ``desired`` names.

    ``desired`` may be an ARN, a key id, or an alias (``alias/name`` or alias ARN); an alias
    cannot be resolved without KMS, so it is compared literally against the reported value.
    """
    if not desired:
        return True
    if not current:
        return False
    if desired == current:
        return True
    return current.endswith("/" + desired) or current.endswith(":" + desired)


# The description of a new group when none is given.
DEFAULT_DESCRIPTION = "Managed by Ansible"

# Options that ModifyReplicationGroup changes in place: (option, normalised key, API key).
MODIFIABLE = (
    ("description", "description", "ReplicationGroupDescription"),
    ("cache_node_type", "cache_node_type", "CacheNodeType"),
    ("engine_version", "engine_version", "EngineVersion"),
    ("security_group_ids", "security_group_ids", "SecurityGroupIds"),
    ("automatic_failover", "automatic_failover", "AutomaticFailoverEnabled"),
    ("multi_az", "multi_az", "MultiAZEnabled"),
    ("snapshot_retention_limit", "snapshot_retention_limit", "SnapshotRetentionLimit"),
)


def plan_update(current: Dict[str, Any], params: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str], List[str], List[str]]:
    """Compare a normalised group with the options.

    Returns ``(modify, problems, unknown, notes)``:
    ``modify`` the ``ModifyReplicationGroup`` parameters (empty: nothing to change, apart from
    ``ApplyImmediately`` which the caller adds); ``problems`` messages about options that differ
    but cannot be changed in place (the caller fails with them); ``unknown`` the options that
    were set but could not be compared because AWS did not report the attribute; ``notes``
    warnings about options that are only used at creation.
    """
    modify = {}
    problems = []
    unknown = []
    notes = []
    group_id = current["replication_group_id"]

    for option, key, api_key in MODIFIABLE:
        desired = params.get(option)
        if desired is None:
            continue
        have = current.get(key)
        if key in ("engine_version", "security_group_ids") and have is None:
            unknown.append(option)
            continue
        if key == "engine_version":
            if not version_matches(desired, have):
                modify[api_key] = desired
        elif key == "security_group_ids":
            if sorted(set(desired)) != sorted(set(have)):
                modify[api_key] = sorted(set(desired))
        elif desired != have:
            modify[api_key] = desired

    engine = params.get("engine")
    if engine and current.get("engine") and engine != current["engine"]:
        if current["engine"] == "redis" and engine == "valkey":
            modify["Engine"] = engine
        else:
            problems.append(
                f"engine cannot change from {current['engine']} to {engine} (only redis -> valkey is an in-place"
                f" upgrade); set engine={current['engine']} or replace replication group {group_id}"
            )

    def immutable(option: str, have: Any, desired: Any) -> None:
        problems.append(
            f"{option} cannot be changed on an existing replication group ({group_id} has {have!r}, the task asks"
            f" for {desired!r}); set {option}={have!r} or delete the group and create it again (replace it)"
        )

    if params.get("at_rest_encryption") is not None and params["at_rest_encryption"] != current.get(
        "at_rest_encryption_enabled"
    ):
        immutable("at_rest_encryption", current.get("at_rest_encryption_enabled"), params["at_rest_encryption"])
    if params.get("transit_encryption") is not None and params["transit_encryption"] != current.get(
        "transit_encryption_enabled"
    ):
        immutable("transit_encryption", current.get("transit_encryption_enabled"), params["transit_encryption"])
    if params.get("port") is not None:
        if current.get("port") is None:
            unknown.append("port")
        elif params["port"] != current["port"]:
            immutable("port", current["port"], params["port"])
    if params.get("cache_subnet_group_name") is not None:
        have = current.get("cache_subnet_group_name")
        if have is None:
            unknown.append("cache_subnet_group_name")
        elif params["cache_subnet_group_name"].lower() != have.lower():
            immutable("cache_subnet_group_name", have, params["cache_subnet_group_name"])
    if params.get("kms_key_id") and current.get("at_rest_encryption_enabled"):
        if not kms_key_matches(params["kms_key_id"], current.get("kms_key_id")):
            immutable("kms_key_id", current.get("kms_key_id"), params["kms_key_id"])
    if params.get("auth_token") is not None and not current.get("auth_token_enabled"):
        problems.append(
            f"replication group {group_id} was created without an AUTH token, and this module sets auth_token at"
            " creation only; drop auth_token, or replace the group (AWS can also add one with"
            " ModifyReplicationGroup AuthTokenUpdateStrategy=SET, which this module does not do)"
        )

    num = params.get("num_cache_clusters")
    members = current.get("member_clusters") or []
    if num is not None and members and num != len(members):
        notes.append(
            f"replication group {group_id} has {len(members)} member cluster(s), num_cache_clusters={num}: this module"
            " sets the number of clusters at creation only (AWS: IncreaseReplicaCount / DecreaseReplicaCount;"
            " moto ignores NumCacheClusters and always creates one)"
        )
    return modify, problems, unknown, notes


NORMALISED_BY_API_KEY = {api_key: key for _option, key, api_key in MODIFIABLE}
NORMALISED_BY_API_KEY["Engine"] = "engine"


def apply_modify(current: Dict[str, Any], modify: Dict[str, Any]) -> Dict[str, Any]:
    """The normalised group as it will be once ``modify`` (API keys) has been applied."""
    after = dict(current)
    for api_key, value in modify.items():
        key = NORMALISED_BY_API_KEY.get(api_key)
        if key is None:
            continue
        after[key] = sorted(value) if isinstance(value, list) else value
        if key in ("automatic_failover", "multi_az"):
            after[key + "_status"] = _status(value)
    return after


def _status(enabled: Optional[bool]) -> Optional[str]:
    """The ``AutomaticFailover`` / ``MultiAZ`` status a group reaches once the setting ``enabled`` is applied."""
    return None if enabled is None else ("enabled" if enabled else "disabled")


def preview_new_group(params: Dict[str, Any]) -> Dict[str, Any]:
    """The normalised dict of a group that check mode would create (unknown values ``None``)."""
    return {
        "replication_group_id": params["replication_group_id"],
        "arn": None,
        "status": "creating",
        "description": params.get("description") or DEFAULT_DESCRIPTION,
        "engine": params["engine"],
        "engine_version": params.get("engine_version"),
        "cache_node_type": params.get("cache_node_type"),
        "port": params["port"],
        "primary_endpoint": None,
        "reader_endpoint": None,
        "endpoint": {"address": None, "port": None},
        "member_clusters": [],
        "nodes": [],
        "automatic_failover": params["automatic_failover"],
        "automatic_failover_status": _status(params["automatic_failover"]),
        "multi_az": params["multi_az"],
        "multi_az_status": _status(params["multi_az"]),
        "at_rest_encryption_enabled": params["at_rest_encryption"],
        "transit_encryption_enabled": params["transit_encryption"],
        "auth_token_enabled": params.get("auth_token") is not None,
        "kms_key_id": params.get("kms_key_id"),
        "snapshot_retention_limit": params.get("snapshot_retention_limit"),
        "security_group_ids": sorted(params["security_group_ids"]) if params.get("security_group_ids") else None,
        "cache_subnet_group_name": params.get("cache_subnet_group_name"),
        "tags": {k: str(v) for k, v in (params.get("tags") or {}).items()},
    }


_ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def check_replication_group_id(replication_group_id: str) -> Optional[str]:
    """A message when ``replication_group_id`` is not a valid id (after lower-casing), else ``None``."""
    if not 1 <= len(replication_group_id) <= 40 or not _ID_RE.match(replication_group_id):
        return (
            f"replication_group_id {replication_group_id!r} is not valid: use 1 to 40 letters, digits or hyphens,"
            " starting with a letter, without two consecutive hyphens or a trailing hyphen"
        )
    return None
