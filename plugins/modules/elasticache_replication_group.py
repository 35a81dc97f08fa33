#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: elasticache_replication_group
short_description: Manage an ElastiCache (Redis OSS / Valkey) replication group
version_added: 0.1.0
description:
  - Create, update and delete an Amazon ElastiCache replication group with cluster mode disabled
    (one primary and up to five replicas), with encryption at rest and in transit, an optional
    AUTH token, automatic failover and Multi-AZ.
  - Fills a gap of the stock modules - M(community.aws.elasticache) manages single cache clusters
    only (no replication groups, so no encryption, AUTH or failover), and fails with
    C(KeyError 'CacheNodes') on every rerun against the moto emulator.
  - The group is looked up by O(replication_group_id) (lower-cased, as AWS stores it) before
    anything is created, so reruns never create a second group.
  - Changed in place (ModifyReplicationGroup) - O(description), O(cache_node_type) (scaling),
    O(engine_version), O(security_group_ids), O(automatic_failover), O(multi_az),
    O(snapshot_retention_limit), and O(engine) from V(redis) to V(valkey).
    Fixed at creation - O(at_rest_encryption), O(transit_encryption), O(port),
    O(cache_subnet_group_name), O(kms_key_id), O(auth_token) and O(num_cache_clusters); a
    difference in the first five fails with a message naming the option and saying that the group
    must be replaced, a different number of member clusters only warns.
  - The engine version, subnet group and security groups are read from the group's first member
    cache cluster. When that cluster cannot be described (the moto emulator never makes member
    clusters describable) those options are not compared, a warning says so, and the returned
    values are what this run sent to AWS, or null.
  - A group that is not C(available) yet (C(creating), C(modifying), C(snapshotting)) has no endpoint
    and AWS refuses to modify it (C(InvalidReplicationGroupState)). With O(wait=true) the module waits
    until it is available before comparing; with O(wait=false) it compares what AWS reports already,
    sends no ModifyReplicationGroup, and warns about any difference, which a later task with
    O(wait=true) applies.
  - A group found in state C(deleting) when O(state=present) is waited for (up to O(wait_timeout)
    when O(wait=true)) and then created again; if it is still there the module fails with a
    message to rerun once the deletion has finished. On moto a deleted group stays C(deleting)
    forever, so the same id cannot be used again in the same emulator session.
author:
  - Apranova platform team (!UNKNOWN)
options:
  replication_group_id:
    description:
      - Identifier of the replication group, 1 to 40 letters, digits or hyphens, starting with a
        letter. AWS stores it in lower case; so does this module.
    type: str
    required: true
    aliases: ['name']
  description:
    description:
      - Description of the replication group. Changed in place.
      - When unset, an existing group keeps its description and a new one gets C(Managed by Ansible).
    type: str
  engine:
    description:
      - Cache engine. An existing V(redis) group can be upgraded in place to V(valkey) (set
        O(engine_version) to a Valkey version too); any other engine change fails.
    type: str
    choices: ['redis', 'valkey']
    default: redis
  engine_version:
    description:
      - Engine version, for example V(7.1). A version given as a prefix matches the full version AWS
        reports (V(7.1) matches C(7.1.0), V(6.x) matches C(6.2.6)). Changed in place (upgrades only,
        AWS refuses downgrades).
      - Not set - AWS chooses the default version at creation and the version is left alone.
    type: str
  cache_node_type:
    description:
      - Node type of every cache cluster of the group, for example V(cache.t3.micro).
      - Required to create the group; changing it scales the group in place.
    type: str
  num_cache_clusters:
    description:
      - Number of cache clusters (one primary plus replicas), 1 to 6. Used at creation only; a group
        with a different number of members gets a warning, not a change.
      - The moto emulator ignores it and always creates one member cluster.
    type: int
    default: 1
  automatic_failover:
    description:
      - Whether a replica is promoted automatically when the primary fails.
      - V(true) requires O(num_cache_clusters) of 2 or more (checked before any API call).
    type: bool
    default: false
  multi_az:
    description:
      - Whether Multi-AZ is enabled. V(true) requires O(automatic_failover=true).
    type: bool
    default: false
  port:
    description:
      - Port the nodes accept connections on. Fixed at creation.
    type: int
    default: 6379
  cache_subnet_group_name:
    description:
      - Name of the cache subnet group (the VPC subnets) the group is placed in. Fixed at creation.
      - Not set at creation - AWS uses the default VPC.
    type: str
  security_group_ids:
    description:
      - IDs of the VPC security groups of the group's clusters. When set, replaces the current list
        in place.
    type: list
    elements: str
  at_rest_encryption:
    description:
      - Whether data at rest is encrypted. Fixed at creation.
    type: bool
    default: true
  transit_encryption:
    description:
      - Whether connections use TLS. Fixed at creation by this module (AWS can switch it on an
        existing group in two steps through transit encryption mode C(preferred); this module does
        not do that and fails with a message instead).
    type: bool
    default: true
  auth_token:
    description:
      - AUTH token (password) clients must send, 16 to 128 letters, digits or C(!&#$^<>-).
        Requires O(transit_encryption=true). Used at creation only; the token itself is never
        read back or returned (only RV(replication_group.auth_token_enabled)).
      - Set on an existing group that has no AUTH token, the module fails (replace the group).
    type: str
  kms_key_id:
    description:
      - KMS key (ID, ARN or alias) for encryption at rest; requires O(at_rest_encryption=true).
        Fixed at creation. Not set - the AWS-owned key is used.
    type: str
  snapshot_retention_limit:
    description:
      - Number of days automatic snapshots are kept (0 turns them off), 0 to 35. Changed in place.
        Not set - left alone (AWS default 0).
    type: int
  apply_immediately:
    description:
      - Whether in-place changes are applied at once rather than in the next maintenance window.
      - With V(false), AWS may still report the old node type or version until the window, so
        reruns report a change until then.
    type: bool
    default: true
  final_snapshot_identifier:
    description:
      - With O(state=absent), the name of a snapshot AWS takes before deleting the group.
    type: str
  delete_subnet_group:
    description:
      - With O(state=absent), once the group is deleted, delete the cache subnet group
        O(cache_subnet_group_name) too (it must not be used by another cluster).
      - Implies waiting for the deletion, whatever O(wait) says, also when an earlier task or run
        started it. AWS answers C(CacheSubnetGroupInUse) while the group's nodes are released; that is
        tried again for up to O(wait_timeout) seconds, each wait listed in C(waited).
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the group, V(absent) deletes it.
      - A group already in state C(deleting) counts as absent (no change); with O(wait=true) its
        deletion is waited for.
      - With V(absent), a group that is not available yet (for example still C(creating) after an
        interrupted build) is first waited for until it is available, up to O(wait_timeout) and
        whatever O(wait) says, since AWS refuses to delete it before (C(InvalidReplicationGroupState)).
    type: str
    choices: ['present', 'absent']
    default: present
  wait:
    description:
      - Whether to wait until the group is C(available) after a create or update, or, after a
        delete, until it is gone.
      - A deletion also counts as finished when the group reports C(deleting) and none of its member
        clusters can be described any more (its nodes are gone and only the group's record is
        left). On AWS the record disappears shortly after; the moto emulator keeps it in
        C(deleting) forever and has no describable members, so the wait ends at once there.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait (see O(wait)); also how long to wait for a group found in state
        C(deleting) to disappear before creating it again, for a group to become available before
        its deletion, and to retry the deletion calls AWS refuses while a dependency settles.
    type: int
    default: 1800
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create a Redis replication group with TLS, encryption at rest and AUTH
  apranova.aws_stack.elasticache_replication_group:
    replication_group_id: app-redis
    description: Session cache of the app
    engine: redis
    engine_version: "7.1"
    cache_node_type: cache.t3.micro
    num_cache_clusters: 2
    automatic_failover: true
    multi_az: true
    cache_subnet_group_name: app-cache
    security_group_ids:
      - sg-0123456789abcdef0
    auth_token: "{{ redis_auth_token }}"
    snapshot_retention_limit: 7
    tags:
      Name: app-redis
  register: redis

- name: Scale the node type in place
  apranova.aws_stack.elasticache_replication_group:
    replication_group_id: app-redis
    cache_node_type: cache.t3.small
    num_cache_clusters: 2
    automatic_failover: true
    multi_az: true

- name: Delete the group, keeping a final snapshot
  apranova.aws_stack.elasticache_replication_group:
    replication_group_id: app-redis
    state: absent
    final_snapshot_identifier: app-redis-final
"""

RETURN = r"""
replication_group:
  description:
    - The replication group, snake_cased. After O(state=absent) the group as AWS last described
      it (status C(deleting)), or an empty dict when it is gone.
    - In check mode, the group as it would be after the change (values AWS would choose are null).
  returned: always
  type: dict
  contains:
    replication_group_id:
      description: Identifier of the group.
      returned: when the group exists
      type: str
      sample: app-redis
    arn:
      description: ARN of the group.
      returned: when the group exists
      type: str
      sample: arn:aws:elasticache:us-east-1:123456789012:replicationgroup:app-redis
    status:
      description: C(creating), C(available), C(modifying), C(deleting), C(create-failed) or C(snapshotting).
      returned: when the group exists
      type: str
      sample: available
    description:
      description: Description of the group.
      returned: when the group exists
      type: str
      sample: Session cache of the app
    engine:
      description: Cache engine.
      returned: when the group exists
      type: str
      sample: redis
    engine_version:
      description:
        - Engine version of the first member cluster; when it cannot be described, the version this
          run sent, else null.
      returned: when the group exists
      type: str
      sample: 7.1.0
    cache_node_type:
      description: Node type.
      returned: when the group exists
      type: str
      sample: cache.t3.micro
    port:
      description: Port of the primary endpoint.
      returned: when the group exists
      type: int
      sample: 6379
    primary_endpoint:
      description: Endpoint of the primary node (writes).
      returned: when the group exists
      type: dict
      contains:
        address:
          description: DNS name.
          type: str
          returned: when the group has one
          sample: master.app-redis.abc123.use1.cache.amazonaws.com
        port:
          description: Port.
          type: int
          returned: when the group has one
          sample: 6379
    reader_endpoint:
      description: Endpoint spreading reads over the replicas (C(address), C(port)); null when AWS reports none (moto never does).
      returned: when the group exists
      type: dict
      sample: {"address": "replica.app-redis.abc123.use1.cache.amazonaws.com", "port": 6379}
    endpoint:
      description:
        - Where clients connect, as the lookups of M(apranova.aws_stack.stack_info) read it - the
          configuration endpoint of a group with cluster mode enabled, else the primary endpoint.
        - C(address) and C(port) are null while AWS reports no endpoint (the group is C(creating)).
      returned: when the group exists
      type: dict
      sample: {"address": "master.app-redis.abc123.use1.cache.amazonaws.com", "port": 6379}
      contains:
        address:
          description: DNS name.
          type: str
          returned: always
          sample: master.app-redis.abc123.use1.cache.amazonaws.com
        port:
          description: Port.
          type: int
          returned: always
          sample: 6379
    member_clusters:
      description: IDs of the member cache clusters.
      returned: when the group exists
      type: list
      elements: str
      sample: ["app-redis-001", "app-redis-002"]
    nodes:
      description:
        - The nodes of the group's node groups, as AWS lists them; empty while AWS lists none.
      returned: when the group exists
      type: list
      elements: dict
      sample: [{"cluster_id": "app-redis-001", "availability_zone": "us-east-1a", "role": "primary"}]
      contains:
        cluster_id:
          description: The member cache cluster of the node.
          type: str
          returned: always
          sample: app-redis-001
        availability_zone:
          description: Availability Zone of the node.
          type: str
          returned: always
          sample: us-east-1a
        role:
          description: C(primary) or C(replica); null while AWS reports none.
          type: str
          returned: always
          sample: primary
    automatic_failover:
      description: Whether automatic failover is enabled (or being enabled).
      returned: when the group exists
      type: bool
      sample: true
    automatic_failover_status:
      description:
        - The group's C(AutomaticFailover) as AWS reports it - C(enabled), C(disabled), C(enabling) or C(disabling).
        - In check mode, the status the change would reach.
      returned: when the group exists
      type: str
      sample: enabled
    multi_az:
      description: Whether Multi-AZ is enabled.
      returned: when the group exists
      type: bool
      sample: true
    multi_az_status:
      description:
        - The group's C(MultiAZ) as AWS reports it - C(enabled) or C(disabled).
        - In check mode, the status the change would reach.
      returned: when the group exists
      type: str
      sample: enabled
    at_rest_encryption_enabled:
      description: Whether data at rest is encrypted.
      returned: when the group exists
      type: bool
      sample: true
    transit_encryption_enabled:
      description: Whether connections use TLS.
      returned: when the group exists
      type: bool
      sample: true
    auth_token_enabled:
      description: Whether clients must send an AUTH token (the token is never returned).
      returned: when the group exists
      type: bool
      sample: true
    kms_key_id:
      description: KMS key used for encryption at rest, null for the AWS-owned key.
      returned: when the group exists
      type: str
      sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    snapshot_retention_limit:
      description: Days automatic snapshots are kept.
      returned: when the group exists
      type: int
      sample: 7
    security_group_ids:
      description:
        - Security groups of the first member cluster; when it cannot be described, the list this
          run sent, else null.
      returned: when the group exists
      type: list
      elements: str
      sample: ["sg-0123456789abcdef0"]
    cache_subnet_group_name:
      description:
        - Subnet group of the first member cluster; when it cannot be described, the name this run
          sent, else null.
      returned: when the group exists
      type: str
      sample: app-cache
    tags:
      description: Tags of the group (without C(aws:) tags).
      returned: when the group exists
      type: dict
      sample: {"Name": "app-redis"}
subnet_group_deleted:
  description: Whether the cache subnet group existed and was (or, in check mode, would be) deleted.
  returned: when O(state=absent) and O(delete_subnet_group=true)
  type: bool
  sample: true
waited:
  description:
    - The waits AWS imposed that this call rode out, one line each (a resource just created not
      visible yet, a dependency still being released, a refusal that passes with time).
    - Empty when AWS imposed none. Shown with C(-v).
  returned: always
  type: list
  elements: str
  sample: ["delete subnet subnet-0123456789abcdef0: AWS answered DependencyViolation; trying again in 2 s"]
diff:
  description: The managed resources before and after, with C(--diff) (in check mode, the state the run would reach).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The state before the call (C({}) for nothing).
      type: raw
    after:
      description: The state after the call (C({}) for nothing).
      type: raw
"""

from typing import Any, Dict, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import elasticache as ec
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import merged_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import mark_waits
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes


class ReplicationGroupFailure(Exception):
    """A condition the user has to fix; the message says what to change."""


def _read(client: Any, group: Dict[str, Any], known: Optional[Dict[str, Any]] = None) -> Tuple[Optional[Dict[str, Any]], bool]:
    """Describe the first member cluster and the tags, side by side, and normalise ``group``."""
    members = group.get("MemberClusters") or []
    member, tags = base.concurrently([
        lambda: ec.describe_cache_cluster(client, members[0]) if members else None,
        lambda: ec.list_tags(client, group["ARN"]) if group.get("ARN") else {},
    ])
    return ec.normalize_replication_group(group, member=member, tags=tags, known=known), member is not None


def _wait_available(client: Any, group_id: str, params: Dict[str, Any]) -> Dict[str, Any]:
    try:
        group = ec.wait_available(client, group_id, params["wait_timeout"])
    except ec.ElastiCacheStateError as e:
        raise ReplicationGroupFailure(str(e))
    if group is None:
        raise ReplicationGroupFailure(
            f"Timed out after {params['wait_timeout']}s waiting for replication group {group_id} to become"
            " available; raise wait_timeout or rerun later"
        )
    return group


def _create(client: Any, group_id: str, params: Dict[str, Any], check_mode: bool) -> base.Outcome:
    if not params.get("cache_node_type"):
        raise ReplicationGroupFailure(
            f"cache_node_type is required to create replication group {group_id} (for example cache.t3.micro)"
        )
    if check_mode:
        return _outcome(True, None, ec.preview_new_group(params))
    request = ec.create_params(dict(params, replication_group_id=group_id))
    group = ec.create_replication_group(client, request)
    if params["wait"]:
        group = _wait_available(client, group_id, params)
    else:
        group = ec.describe_replication_group(client, group_id) or group
    known = {
        "engine_version": params.get("engine_version"),
        "cache_subnet_group_name": params.get("cache_subnet_group_name"),
        "security_group_ids": params.get("security_group_ids"),
    }
    after, _described = _read(client, group, known)
    return _outcome(True, None, after)


def _outcome(changed: bool, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]],
             **result: Any) -> base.Outcome:
    """``replication_group`` (``{}`` when there is none) and the module's other return values, and the diff."""
    return base.Outcome(changed, dict(result, replication_group=after or {}), before=before, after=after)


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create or update the group."""
    check_mode = ctx.check_mode
    group_id = params["replication_group_id"]
    group = ec.describe_replication_group(client, group_id)

    if group is not None and group.get("Status") == "deleting":
        if check_mode:
            ctx.warn(
                f"Replication group {group_id} is still being deleted; a real run waits up to wait_timeout for the"
                " deletion to finish and then creates it again"
            )
            return _outcome(True, None, ec.preview_new_group(params))
        gone = params["wait"] and ec.wait_gone(client, group_id, params["wait_timeout"])
        if not gone:
            waited = f"waited {params['wait_timeout']}s" if params["wait"] else "wait=false"
            raise ReplicationGroupFailure(
                f"Replication group {group_id} is still being deleted ({waited}); rerun when deletion has finished,"
                " or use another replication_group_id"
            )
        group = None

    if group is None:
        return _create(client, group_id, params, check_mode)

    if group.get("Status") != "available" and params["wait"] and not check_mode:
        # Compare only once the group is available: while it is creating it has no endpoint (so
        # no port), and AWS refuses ModifyReplicationGroup (InvalidReplicationGroupState).
        group = _wait_available(client, group_id, params)

    current, described = _read(client, group)
    modify, problems, unknown, notes = ec.plan_update(current, params)
    if problems:
        raise ReplicationGroupFailure("; ".join(problems))
    for note in notes:
        ctx.warn(note)
    if unknown:
        ctx.warn(
            f"Could not read {', '.join(sorted(set(unknown)))} of replication group {group_id} (its member cluster"
            f" {(current['member_clusters'] or ['-'])[0]} cannot be described); not compared"
        )

    if modify and group.get("Status") != "available" and not check_mode:
        # wait=false and the group is not available yet: AWS would refuse the modification.
        # Leave it to a task with wait=true (the end-of-run wait), which waits first.
        ctx.warn(
            f"Replication group {group_id} is {group.get('Status')}, not available:"
            f" {', '.join(sorted(modify))} not changed yet; a task with wait: true (the end-of-run wait) waits until"
            " it is available and applies them"
        )
        modify = {}

    to_set, to_remove = tag_changes(current["tags"], params.get("tags"), params["purge_tags"])
    after = ec.apply_modify(current, modify)
    after["tags"] = merged_tags(current["tags"], params.get("tags"), params["purge_tags"])
    changed = bool(modify or to_set or to_remove)
    if check_mode or not changed:
        return _outcome(changed, current, after)

    known = {}
    if modify:
        ec.modify_replication_group(client, group_id, dict(modify, ApplyImmediately=params["apply_immediately"]))
        known = {
            "engine_version": modify.get("EngineVersion", current.get("engine_version")),
            "security_group_ids": modify.get("SecurityGroupIds", current.get("security_group_ids")),
            "cache_subnet_group_name": current.get("cache_subnet_group_name"),
        }
    if to_remove:
        ec.remove_tags(client, current["arn"], to_remove)
    if to_set:
        ec.add_tags(client, current["arn"], to_set)

    if modify and params["wait"]:
        group = _wait_available(client, group_id, params)
    else:
        group = ec.describe_replication_group(client, group_id) or group
    after, _described = _read(client, group, known or None)
    return _outcome(True, current, after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete the group, then, with ``delete_subnet_group``, its cache subnet group.

    ``replication_group`` is the group as AWS last described it (``{}`` when it is gone),
    ``subnet_group_deleted`` whether the cache subnet group existed and was (or would be) deleted
    (see :func:`delete_subnet_group`).
    """
    changed, before, after = delete_group(client, params, ctx)
    result = {}
    if params["delete_subnet_group"]:
        result["subnet_group_deleted"] = delete_subnet_group(client, params, ctx)
        changed = changed or result["subnet_group_deleted"]
    return _outcome(changed, before, after, **result)


def delete_group(client: Any, params: Dict[str, Any], ctx: base.Context) -> Tuple[bool, Optional[Dict[str, Any]], Optional[Dict[str, Any]]]:
    """Delete the group. Returns ``(changed, before, after)``.

    With ``delete_subnet_group`` the deletion is waited for whatever ``wait`` says, so that the
    cache subnet group can be deleted next (:func:`delete_subnet_group`).
    """
    check_mode = ctx.check_mode
    group_id = params["replication_group_id"]
    wait = params["wait"] or params.get("delete_subnet_group")
    group = ec.describe_replication_group(client, group_id)
    if group is None:
        return False, None, None

    if group.get("Status") == "deleting":
        # Deleted by an earlier task or run (perhaps interrupted): wait for it all the same.
        current, _described = _read(client, group)
        if wait and not check_mode:
            _wait_deleted(client, group_id, params)
            group = ec.describe_replication_group(client, group_id)
            current = _read(client, group)[0] if group else None
        return False, current, current

    current, _described = _read(client, group)
    if check_mode:
        return True, current, None

    if group.get("Status") not in ("available",) + ec.FAILED_STATES:
        # creating / modifying / snapshotting (a build interrupted half-way): AWS refuses the
        # deletion (InvalidReplicationGroupState) until the group is available. Wait for that, up
        # to wait_timeout, whatever wait says (wait is about the deletion itself).
        _wait_available(client, group_id, params)
    deleted = ec.delete_replication_group(client, group_id, params.get("final_snapshot_identifier"),
                                          timeout=params["wait_timeout"], note=ctx.note)
    if not deleted:
        return False, current, None
    if wait:
        _wait_deleted(client, group_id, params)
    group = ec.describe_replication_group(client, group_id)
    after = _read(client, group)[0] if group else None
    return True, current, after


def delete_subnet_group(client: Any, params: Dict[str, Any], ctx: base.Context) -> bool:
    """Delete ``cache_subnet_group_name`` once no cluster uses it. Returns whether it existed.

    Called after :func:`delete_group` waited for the group's deletion; AWS answers
    CacheSubnetGroupInUse until the group's nodes are released, which is ridden out for up to
    ``wait_timeout`` seconds (each wait noted).
    """
    name = params["cache_subnet_group_name"]
    if ctx.check_mode:
        return ec.describe_cache_subnet_group(client, name) is not None
    return bool(ec.delete_cache_subnet_group(client, name, timeout=params["wait_timeout"], note=ctx.note))


def _wait_deleted(client: Any, group_id: str, params: Dict[str, Any]) -> None:
    if not ec.wait_deletion_settled(client, group_id, params["wait_timeout"]):
        raise ReplicationGroupFailure(
            f"Timed out after {params['wait_timeout']}s waiting for replication group {group_id} to be deleted;"
            " raise wait_timeout or rerun later"
        )


def main() -> None:
    argument_spec = dict(
        replication_group_id=dict(type="str", required=True, aliases=["name"]),
        description=dict(type="str"),
        engine=dict(type="str", choices=["redis", "valkey"], default="redis"),
        engine_version=dict(type="str"),
        cache_node_type=dict(type="str"),
        num_cache_clusters=dict(type="int", default=1),
        automatic_failover=dict(type="bool", default=False),
        multi_az=dict(type="bool", default=False),
        port=dict(type="int", default=6379),
        cache_subnet_group_name=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        at_rest_encryption=dict(type="bool", default=True),
        transit_encryption=dict(type="bool", default=True),
        auth_token=dict(type="str", no_log=True),
        kms_key_id=dict(type="str"),
        snapshot_retention_limit=dict(type="int"),
        apply_immediately=dict(type="bool", default=True),
        final_snapshot_identifier=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        delete_subnet_group=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec, supports_check_mode=True,
        required_if=[("delete_subnet_group", True, ["cache_subnet_group_name"])],
    )

    params = dict(module.params)
    params["replication_group_id"] = params["replication_group_id"].lower()
    problems = []
    bad_id = ec.check_replication_group_id(params["replication_group_id"])
    if bad_id:
        problems.append(bad_id)
    problems.extend(ec.validate_params(params))
    if problems:
        module.fail_json(msg="; ".join(problems))

    client = mark_waits(aws_client(module, "elasticache", ec.RETRY_CODES))
    base.run_state(module, client, ensure_present, ensure_absent, params=params, errors=(ReplicationGroupFailure,))


if __name__ == "__main__":
    main()
