"""The tiers site.yml runs side by side (playbooks/tiers.yml), each on a host of its own.

1. A tier that fails beside others stops the run once they are done: the tiers after them (the ECS
   services, monitoring), the wait, the report and the summary do not run, and the run fails. The
   ECS tier's log groups and cluster, built beside them, are there; its roles and services are not.
2. The tier hosts take localhost's values of the stack's variables wherever the inventory sets
   them, host vars of localhost included: a stack named by host vars is built under that name.
3. A --limit that leaves the tier hosts out fails before any change, naming them.
"""

from __future__ import annotations

import yaml

from conftest import REPO, run_playbook


def test_a_tier_that_fails_beside_others_stops_the_run_after_them(aws):
    # passes the preflight (a zone of the region), fails in the data tier once its lookup has the
    # private subnets (none in that zone)
    run = run_playbook(aws, "site.yml", extra_vars={"data_efs_mount_target_azs": ["us-east-1a", "us-east-1c"]})
    assert run.rc != 0, run
    said = " ".join(run.out.split())
    assert "data_efs_mount_target_azs lists us-east-1c" in said, run
    # the mount-target check fails on both hosts of the data tier (database and cache; file
    # system), before any change of the tier
    assert "the run stops: tier_data, tier_data_efs failed" in said, run
    assert aws.client("rds").describe_db_instances()["DBInstances"] == [], run
    assert aws.client("elasticache").describe_replication_groups()["ReplicationGroups"] == [], run
    assert aws.client("efs").describe_file_systems()["FileSystems"] == [], run
    # the tiers beside it finished theirs (the ECS tier's log groups and cluster among them); nothing after them ran
    assert aws.client("elbv2").describe_load_balancers()["LoadBalancers"], run
    assert aws.client("ecr").describe_repositories()["repositories"], run
    ecs = aws.client("ecs")
    assert [c.rsplit("/", 1)[-1] for c in ecs.list_clusters()["clusterArns"]] == ["production-cluster"], run
    assert aws.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/")["logGroups"], run
    assert ecs.list_services(cluster="production-cluster")["serviceArns"] == [], run
    assert ecs.list_task_definitions()["taskDefinitionArns"] == [], run
    assert not [r for r in aws.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("production-")], run
    assert aws.client("sns").list_topics()["Topics"] == [], run
    assert "ALB URL" not in run.out, run


def test_the_tier_hosts_take_localhosts_host_vars(aws, tmp_path):
    group_vars = yaml.safe_load((REPO / "inventories/production/group_vars/stack/main.yml").read_text())
    localhost = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                 **group_vars, "stack_ecr_prefix": "hostvars"}
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"stack": {"hosts": {"localhost": localhost}}}))
    # the registry runs on a tier host of its own
    run = run_playbook(aws, "site.yml", inventory=str(inventory), tags="registry", args=["--skip-tags", "report"])
    assert run.rc == 0, run
    assert "tier_registry" in run.out, run
    names = sorted(r["repositoryName"] for r in aws.client("ecr").describe_repositories()["repositories"])
    assert names and all(n.startswith("hostvars/") for n in names), names


def test_a_limit_that_leaves_the_tier_hosts_out_fails_before_any_change(aws):
    run = run_playbook(aws, "site.yml", args=["--limit", "localhost"])
    assert run.rc != 0, run
    said = " ".join(run.out.split())
    assert "which --limit localhost leaves out" in said and "tier_data" in said, run
    assert aws.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["production-vpc"]}])["Vpcs"] == [], run
    # the tier hosts named in the limit, the run goes on
    run = run_playbook(aws, "site.yml", args=["--limit", "localhost:tier_*", "--skip-tags", "report"], tags="network,registry")
    assert run.rc == 0, run
    assert aws.client("ecr").describe_repositories()["repositories"], run
