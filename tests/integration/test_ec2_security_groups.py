"""Integration test of apranova.aws_stack.ec2_security_groups against the moto server.

boto3 creates the VPC and, between the playbook's phases (``--tags``), makes out-of-band changes
(an extra rule, a group outside the module that references the chain, a network interface using a
group); after each phase the groups are read back from the emulator with boto3.
"""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ec2_security_groups/main.yml"
INVENTORY = "tests/integration/inventory.yml"
CHAIN = ("it-alb", "it-ecs", "it-rds", "it-redis")


def _groups(ec2, vpc_id):
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    return {g["GroupName"]: g for g in groups}


def _rules(permissions):
    """IpPermissions -> set of (protocol, from, to, source) read from the emulator."""
    rules = set()
    for perm in permissions:
        head = (perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"))
        for item in perm.get("IpRanges", []):
            rules.add(head + (item["CidrIp"],))
        for item in perm.get("Ipv6Ranges", []):
            rules.add(head + (item["CidrIpv6"],))
        for item in perm.get("UserIdGroupPairs", []):
            rules.add(head + (item["GroupId"],))
    return rules


def _descriptions(permissions):
    return {
        (perm["IpProtocol"], perm.get("FromPort"), item["CidrIp"]): item.get("Description")
        for perm in permissions for item in perm.get("IpRanges", [])
    }


def _rule_ids(ec2, group_id):
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    return sorted(r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"])


def _tags(group):
    return {t["Key"]: t["Value"] for t in group.get("Tags", [])}


def _run(aws, vpc_id, tags, **kw):
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=tags, extra_vars=dict({"vpc_id": vpc_id}, **kw.pop("extra_vars", {})), **kw)
    assert run.rc == 0, run
    return run


def test_ec2_security_groups(aws):
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.61.1.0/24")["Subnet"]["SubnetId"]

    # --- create: the stack's chain, four steps asserted in the playbook
    _run(aws, vpc_id, "create")
    groups = _groups(ec2, vpc_id)
    assert set(groups) == {"default", *CHAIN}
    ids = {name: groups[name]["GroupId"] for name in CHAIN}
    assert _rules(groups["it-alb"]["IpPermissions"]) == {("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 443, 443, "0.0.0.0/0")}
    assert _rules(groups["it-ecs"]["IpPermissions"]) == {("-1", None, None, ids["it-alb"])}
    assert _rules(groups["it-rds"]["IpPermissions"]) == {("tcp", 5432, 5432, ids["it-ecs"])}
    assert _rules(groups["it-redis"]["IpPermissions"]) == {("tcp", 6379, 6379, ids["it-ecs"])}
    # egress: [] revoked the default allow-all of it-rds; the others keep it (egress not given).
    assert _rules(groups["it-rds"]["IpPermissionsEgress"]) == set()
    assert _rules(groups["it-redis"]["IpPermissionsEgress"]) == {("-1", None, None, "0.0.0.0/0")}
    assert _descriptions(groups["it-alb"]["IpPermissions"]) == {("tcp", 80, "0.0.0.0/0"): "HTTP", ("tcp", 443, "0.0.0.0/0"): "HTTPS"}
    assert groups["it-ecs"]["Description"] == "ECS tasks"
    assert _tags(groups["it-rds"]) == {"Name": "it-rds", "Project": "it-sg", "Tier": "data"}
    assert _tags(groups["it-alb"]) == {"Name": "it-alb", "Project": "it-sg"}

    # --- drift: an extra port authorised behind the module's back is detected and revoked
    ec2.authorize_security_group_ingress(GroupId=ids["it-rds"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
    ])
    assert len(_rules(_groups(ec2, vpc_id)["it-rds"]["IpPermissions"])) == 2
    _run(aws, vpc_id, "drift", diff=True)
    groups = _groups(ec2, vpc_id)
    assert _rules(groups["it-rds"]["IpPermissions"]) == {("tcp", 5432, 5432, ids["it-ecs"])}
    assert {name: groups[name]["GroupId"] for name in CHAIN} == ids

    # --- update: one rule description changes in place (same rule ids, nothing revoked)
    alb_rule_ids = _rule_ids(ec2, ids["it-alb"])
    _run(aws, vpc_id, "update")
    groups = _groups(ec2, vpc_id)
    assert _descriptions(groups["it-alb"]["IpPermissions"]) == {
        ("tcp", 80, "0.0.0.0/0"): "HTTP", ("tcp", 443, "0.0.0.0/0"): "HTTPS from anywhere",
    }
    assert _rule_ids(ec2, ids["it-alb"]) == alb_rule_ids, "the rule was re-created instead of updated"

    # --- a group outside the module references it-ecs: deletion must revoke that rule first
    outsider = ec2.create_security_group(GroupName="it-outsider", Description="not managed", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=outsider, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": ids["it-ecs"]}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.61.0.0/16"}]},
    ])

    # --- a network interface still uses it-ecs: deletion is refused, nothing is touched
    eni = ec2.create_network_interface(SubnetId=subnet_id, Groups=[ids["it-ecs"]], Description="it-test-eni")
    eni_id = eni["NetworkInterface"]["NetworkInterfaceId"]
    _run(aws, vpc_id, "in_use", extra_vars={"eni_id": eni_id})
    groups = _groups(ec2, vpc_id)
    assert set(groups) == {"default", "it-outsider", *CHAIN}
    assert _rules(groups["it-rds"]["IpPermissions"]) == {("tcp", 5432, 5432, ids["it-ecs"])}
    assert ("tcp", 22, 22, ids["it-ecs"]) in _rules(groups["it-outsider"]["IpPermissions"])
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)

    # --- delete: the whole chain in one call, four steps asserted in the playbook
    _run(aws, vpc_id, "delete")
    groups = _groups(ec2, vpc_id)
    assert set(groups) == {"default", "it-outsider"}
    # Only the reference to the deleted group was revoked from the outsider.
    assert _rules(groups["it-outsider"]["IpPermissions"]) == {("tcp", 22, 22, "10.61.0.0/16")}
