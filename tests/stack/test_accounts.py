"""Credentials per environment: each inventory names its account and the role to assume in it.

moto serves several accounts at once: a request signed with credentials from STS AssumeRole is
served in the account of the role's ARN (moto's multi-account support). moto does not check that
the role exists or trusts the caller, as AWS does; what is tested here is that every module of the
run, stock and custom, uses the inventory's role, and that the account guard stops a run whose
credentials are of another account before any change.
"""

from __future__ import annotations

import boto3

from conftest import REGION, run_playbook

STAGING, PRODUCTION = "111111111111", "222222222222"


def _in_account(emu, account: str, service: str):
    """A boto3 client of ``service`` in ``account`` (through a role of that account)."""
    creds = emu.client("sts").assume_role(RoleArn="arn:aws:iam::%s:role/inspector" % account,
                                          RoleSessionName="test-inspector")["Credentials"]
    return boto3.client(service, region_name=REGION, endpoint_url=emu.url, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def _what_is_there(client_of) -> dict:
    """Names of the stack's resources of each kind that the account holds."""
    def tag_names(items):
        return {t["Value"] for i in items for t in i.get("Tags", []) if t["Key"] == "Name"}

    return {
        "vpcs": tag_names(client_of("ec2").describe_vpcs()["Vpcs"]),
        "db instances": {d["DBInstanceIdentifier"] for d in client_of("rds").describe_db_instances()["DBInstances"]},
        "load balancers": {lb["LoadBalancerName"] for lb in client_of("elbv2").describe_load_balancers()["LoadBalancers"]},
        "clusters": {arn.rsplit("/", 1)[1] for arn in client_of("ecs").list_clusters()["clusterArns"]},
        "repositories": {r["repositoryName"] for r in client_of("ecr").describe_repositories()["repositories"]},
    }


def test_staging_and_production_converge_side_by_side_each_in_its_own_account(aws):
    home = aws.client("sts").get_caller_identity()["Account"]
    for env, account in (("staging", STAGING), ("production", PRODUCTION)):
        run = run_playbook(aws, "site.yml", inventory="inventories/%s" % env, args=["--skip-tags", "report"], extra_vars={
            "aws_account_id": account, "aws_role_arn": "arn:aws:iam::%s:role/apranova-deployer" % account,
            "aws_role_external_id": "apranova-%s" % env})
        assert run.rc == 0, run
        assert "Assume the environment's deployer role" in run.tasks_reported("ok"), run

    staging = _what_is_there(lambda service: _in_account(aws, STAGING, service))
    production = _what_is_there(lambda service: _in_account(aws, PRODUCTION, service))
    assert staging == {"vpcs": {"staging-vpc"}, "db instances": {"staging-apranova-db"}, "load balancers": {"staging-alb"},
                       "clusters": {"staging-cluster"}, "repositories": {"apranova/staging/backend", "apranova/staging/frontend"}}
    assert production == {"vpcs": {"production-vpc"}, "db instances": {"production-apranova-db"},
                          "load balancers": {"production-alb"}, "clusters": {"production-cluster"},
                          "repositories": {"apranova/backend", "apranova/frontend"}}  # the guide's names
    # the credentials the run started from are of a third account, where nothing was built
    assert home not in (STAGING, PRODUCTION)
    assert _what_is_there(aws.client) == {k: set() for k in production}

    # a rerun through the role finds everything where it is
    rerun = run_playbook(aws, "site.yml", inventory="inventories/production", args=["--skip-tags", "report"], extra_vars={
        "aws_account_id": PRODUCTION, "aws_role_arn": "arn:aws:iam::%s:role/apranova-deployer" % PRODUCTION,
        "aws_role_external_id": "apranova-production"})
    assert rerun.rc == 0 and rerun.changed == 0, rerun.changed_tasks()


def test_credentials_of_another_account_stop_the_run_before_any_change(aws):
    home = aws.client("sts").get_caller_identity()["Account"]
    for playbook, extra in (("site.yml", {}), ("playbooks/teardown.yml", {"confirm_teardown": "production"})):
        run = run_playbook(aws, playbook, extra_vars=dict(extra, aws_account_id="999999999999"))
        assert run.rc != 0, run
        said = " ".join(run.out.split())
        assert "credentials are of account %s" % home in said and "inventory names account 999999999999" in said, run
        assert "Stop unless the credentials are those of the inventory's account" in run.tasks_reported("fatal"), run
        assert run.changed == 0, run.changed_tasks()
    assert _what_is_there(aws.client) == {k: set() for k in ("vpcs", "db instances", "load balancers", "clusters", "repositories")}

    # the same inventory with the right account id goes on
    run = run_playbook(aws, "site.yml", tags="registry", extra_vars={"aws_account_id": home})
    assert run.rc == 0 and run.changed > 0, run
