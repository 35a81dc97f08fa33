"""Offline tests of apranova.aws_stack.rds_subnet_group and elasticache_subnet_group (moto in process).

Each reads its group in as few round trips as it can (the DB group and its tags; the cache group
once), changes only what differs, reads nothing back after a change, and refuses bad input with a
message that says what to change.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.modules import elasticache_subnet_group as cache_mod
from ansible_collections.apranova.aws_stack.plugins.modules import rds_subnet_group as rds_mod
from ...aws_answers import retrying


@pytest.fixture
def subnets(offline_aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return sorted(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
                  for i, z in ((1, "a"), (2, "b"), (3, "c")))


def modify_as_aws_does(client, service):
    """moto's ModifyDBSubnetGroup drops the group (it pops it and never puts it back), and moto has
    neither ModifyCacheSubnetGroup nor DeleteCacheSubnetGroup: the test answers them as AWS does
    (the group changed in place; deleted), in moto's own state."""
    raw = boto3.client(service, region_name="us-east-1")
    asked = {}

    def take(params, **kwargs):
        asked.clear()
        asked.update(params)

    def ok(body):
        return AWSResponse(None, 200, {}, None), body

    def modify_db_group(**kwargs):
        name = asked["DBSubnetGroupName"]
        raw.delete_db_subnet_group(DBSubnetGroupName=name)
        return ok(raw.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=asked["DBSubnetGroupDescription"],
                                             SubnetIds=asked["SubnetIds"]))

    def cache_groups():
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.elasticache.models import elasticache_backends
        return elasticache_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].cache_subnet_groups

    def modify_cache_group(**kwargs):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.elasticache.models import CacheSubnetGroup
        name = asked["CacheSubnetGroupName"]
        cache_groups()[name] = CacheSubnetGroup(DEFAULT_ACCOUNT_ID, "us-east-1", name, asked["CacheSubnetGroupDescription"],
                                                asked["SubnetIds"], cache_groups()[name].tags)
        return ok({"CacheSubnetGroup": raw.describe_cache_subnet_groups(CacheSubnetGroupName=name)["CacheSubnetGroups"][0]})

    def delete_cache_group(**kwargs):
        cache_groups().pop(asked["CacheSubnetGroupName"])
        return ok({})

    answers = {"rds": {"ModifyDBSubnetGroup": modify_db_group},
               "elasticache": {"ModifyCacheSubnetGroup": modify_cache_group, "DeleteCacheSubnetGroup": delete_cache_group}}
    for operation, answer in answers[service].items():
        client.meta.events.register(f"before-parameter-build.{service}.{operation}", take)
        client.meta.events.register(f"before-call.{service}.{operation}", answer)


def calls_of(client):
    seen = []
    client.meta.events.register("before-call.*.*", lambda model, **kw: seen.append(model.name))
    return seen


def rds_params(subnet_ids, **kw):
    return dict({"name": "Prod-DB-Subnets", "description": "db subnets", "subnets": subnet_ids,
                 "tags": {"Env": "prod"}, "purge_tags": True, "state": "present"}, **kw)


def cache_params(subnet_ids, **kw):
    return dict({"name": "prod-redis-subnets", "description": "cache subnets", "subnets": subnet_ids, "state": "present"}, **kw)


def test_db_subnet_group_is_created_then_unchanged_in_two_round_trips(subnets):
    client = retrying(boto3.client("rds", region_name="us-east-1"))
    check = rds_mod.ensure_present(client, rds_params(subnets[:2]), base.Context(check_mode=True))
    assert check.changed and check.result["subnet_group"]["subnet_ids"] == subnets[:2]
    assert client.describe_db_subnet_groups()["DBSubnetGroups"] == []  # check mode made nothing

    made = rds_mod.ensure_present(client, rds_params(subnets[:2]), base.Context())
    group = made.result["subnet_group"]
    assert made.changed and group["name"] == "prod-db-subnets" and group["subnet_ids"] == subnets[:2]
    [found] = client.describe_db_subnet_groups(DBSubnetGroupName="prod-db-subnets")["DBSubnetGroups"]
    assert sorted(s["SubnetIdentifier"] for s in found["Subnets"]) == subnets[:2]
    tags = client.list_tags_for_resource(ResourceName=found["DBSubnetGroupArn"])["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Env": "prod"} == group["tags"]

    calls = calls_of(client)
    again = rds_mod.ensure_present(client, rds_params(list(reversed(subnets[:2]))), base.Context())
    assert not again.changed and again.result["subnet_group"] == dict(group, status=again.result["subnet_group"]["status"])
    assert calls == ["DescribeDBSubnetGroups", "ListTagsForResource"]


def test_db_subnet_group_subnets_description_and_tags_are_reconciled(subnets):
    client = retrying(boto3.client("rds", region_name="us-east-1"))
    modify_as_aws_does(client, "rds")
    rds_mod.ensure_present(client, rds_params(subnets[:2]), base.Context())
    changed = rds_mod.ensure_present(client, rds_params(subnets, description="new", tags={"Team": "data"}), base.Context())
    assert changed.changed and changed.before["subnet_ids"] == subnets[:2]
    assert changed.after["subnet_ids"] == subnets and changed.after["description"] == "new"
    assert changed.after["tags"] == {"Team": "data"}
    [found] = client.describe_db_subnet_groups(DBSubnetGroupName="prod-db-subnets")["DBSubnetGroups"]
    assert found["DBSubnetGroupDescription"] == "new" and len(found["Subnets"]) == 3
    tags = client.list_tags_for_resource(ResourceName=found["DBSubnetGroupArn"])["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Team": "data"}
    # tags left alone when not given
    kept = rds_mod.ensure_present(client, rds_params(subnets, description="new", tags=None), base.Context())
    assert not kept.changed and kept.result["subnet_group"]["tags"] == {"Team": "data"}


def test_db_subnet_group_is_deleted_once(subnets):
    client = retrying(boto3.client("rds", region_name="us-east-1"))
    rds_mod.ensure_present(client, rds_params(subnets[:2]), base.Context())
    assert rds_mod.ensure_absent(client, rds_params(None, state="absent"), base.Context(check_mode=True)).changed
    assert len(client.describe_db_subnet_groups()["DBSubnetGroups"]) == 1
    gone = rds_mod.ensure_absent(client, rds_params(None, state="absent"), base.Context())
    assert gone.changed and gone.before["name"] == "prod-db-subnets" and gone.result == {"subnet_group": {}}
    assert client.describe_db_subnet_groups()["DBSubnetGroups"] == []
    assert not rds_mod.ensure_absent(client, rds_params(None, state="absent"), base.Context()).changed


def test_cache_subnet_group_is_created_changed_and_deleted_reading_it_once(subnets):
    client = retrying(boto3.client("elasticache", region_name="us-east-1"))
    modify_as_aws_does(client, "elasticache")
    made = cache_mod.ensure_present(client, cache_params(subnets[:2]), base.Context())
    assert made.changed and made.result["subnet_group"]["subnet_ids"] == subnets[:2]
    calls = calls_of(client)
    again = cache_mod.ensure_present(client, cache_params(subnets[:2]), base.Context())
    assert not again.changed and calls == ["DescribeCacheSubnetGroups"]
    changed = cache_mod.ensure_present(client, cache_params(subnets, description="new"), base.Context())
    assert changed.changed and changed.after["subnet_ids"] == subnets and changed.after["description"] == "new"
    [found] = client.describe_cache_subnet_groups(CacheSubnetGroupName="prod-redis-subnets")["CacheSubnetGroups"]
    assert found["CacheSubnetGroupDescription"] == "new" and len(found["Subnets"]) == 3
    gone = cache_mod.ensure_absent(client, cache_params(None, state="absent"), base.Context())
    assert gone.changed and not cache_mod.ensure_absent(client, cache_params(None, state="absent"), base.Context()).changed


def test_bad_input_says_what_to_change():
    validate = base.subnet_group_errors
    errors = " ".join(validate({"name": "x", "description": "", "subnets": ["subnet-1", "subnet-1"]}))
    assert "description is required with state present" in errors
    assert "subnets lists subnet-1 more than once" in errors
    assert "subnets is required" in " ".join(validate({"name": "x", "description": "d", "subnets": None}))
    assert validate({"name": "x", "description": "d", "subnets": ["subnet-1", "subnet-2"]}) == []
