"""Offline tests of ec2_security_groups: the rule normalisers and comparison in
plugins/module_utils/ec2_security_groups.py, and the module's ensure_present/ensure_absent
replayed against moto's in-process backend (``mock_aws``; no network).
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import ec2_security_groups as sg
from ansible_collections.apranova.aws_stack.plugins.modules import ec2_security_groups as module
from ...aws_answers import no_sleep, retrying


def rule(**kw):
    base = dict(protocol="tcp", from_port=None, to_port=None, ports=None, cidr_ip=None, cidr_ipv6=None,
                source_group=None, description=None)
    base.update(kw)
    return base


# ---------------------------------------------------------------- protocol / cidr normalisers

@pytest.mark.parametrize("given,expected", [
    ("tcp", "tcp"), ("TCP", "tcp"), ("6", "tcp"), (6, "tcp"), ("17", "udp"), ("icmp", "icmp"), ("1", "icmp"),
    ("58", "icmpv6"), ("all", "-1"), ("-1", "-1"), ("ALL", "-1"), ("50", "50"), ("050", "50"),
])
def test_normalise_protocol(given, expected):
    assert sg.normalise_protocol(given) == expected


@pytest.mark.parametrize("bad", ["tcpp", "256", "-2", ""])
def test_normalise_protocol_rejects(bad):
    with pytest.raises(sg.RuleError, match="protocol"):
        sg.normalise_protocol(bad)


def test_normalise_cidr():
    assert sg.normalise_cidr("10.0.0.0/16") == "10.0.0.0/16"
    assert sg.normalise_cidr("10.1.2.3") == "10.1.2.3/32"
    assert sg.normalise_cidr("2001:DB8:0:0::/64", ipv6=True) == "2001:db8::/64"
    with pytest.raises(sg.RuleError, match="did you mean 10.0.0.0/16"):
        sg.normalise_cidr("10.0.0.1/16")
    with pytest.raises(sg.RuleError, match="cidr_ipv6"):
        sg.normalise_cidr("10.0.0.0/16", ipv6=True)
    with pytest.raises(sg.RuleError, match="not a valid CIDR"):
        sg.normalise_cidr("nonsense")


# ---------------------------------------------------------------- expand_rule

def test_expand_rule_single_port_and_list_of_sources():
    entries = sg.expand_rule(rule(ports=443, cidr_ip=["0.0.0.0/0", "10.0.0.0/8"], cidr_ipv6="::/0", description="web"))
    assert entries == [
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "0.0.0.0/0", "description": "web"},
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.0.0.0/8", "description": "web"},
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv6": "::/0", "description": "web"},
    ]


def test_expand_rule_all_and_icmp_and_numbered():
    (entry,) = sg.expand_rule(rule(protocol="all", source_group="alb"))
    assert entry == {"protocol": "-1", "from_port": None, "to_port": None, "source_group": "alb", "description": None}
    (entry,) = sg.expand_rule(rule(protocol="icmp", cidr_ip="10.0.0.0/8"))
    assert (entry["from_port"], entry["to_port"]) == (-1, -1)
    (entry,) = sg.expand_rule(rule(protocol="50", cidr_ip="10.0.0.0/8"))
    assert (entry["protocol"], entry["from_port"], entry["to_port"]) == ("50", None, None)


def test_expand_rule_range_and_one_sided():
    (entry,) = sg.expand_rule(rule(from_port=1024, to_port=2048, cidr_ip="10.0.0.0/8"))
    assert (entry["from_port"], entry["to_port"]) == (1024, 2048)
    (entry,) = sg.expand_rule(rule(from_port=22, cidr_ip="10.0.0.0/8"))
    assert (entry["from_port"], entry["to_port"]) == (22, 22)


@pytest.mark.parametrize("kw,message", [
    (dict(cidr_ip="10.0.0.0/8"), "needs ports"),
    (dict(ports=80, from_port=80, cidr_ip="10.0.0.0/8"), "not both"),
    (dict(from_port=90, to_port=80, cidr_ip="10.0.0.0/8"), "greater than"),
    (dict(ports=70000, cidr_ip="10.0.0.0/8"), "out of range"),
    (dict(protocol="all", ports=80, cidr_ip="10.0.0.0/8"), "covers all ports"),
    (dict(ports=80), "needs a source"),
    (dict(ports=80, cidr_ip="10.0.0.1/8"), "did you mean"),
])
def test_expand_rule_errors_name_the_rule(kw, message):
    with pytest.raises(sg.RuleError, match=message) as err:
        sg.expand_rule(rule(**kw), "security_groups[x].ingress[0]")
    assert str(err.value).startswith("security_groups[x].ingress[0]: ")


# ---------------------------------------------------------------- AWS shapes -> entries

PERMISSIONS = [
    {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-alb", "UserId": "123", "Description": "lb"}],
     "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": []},
    {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "web"}],
     "Ipv6Ranges": [{"CidrIpv6": "::/0"}], "PrefixListIds": [{"PrefixListId": "pl-1"}]},
]


def test_normalise_permissions_one_entry_per_source():
    entries = sg.normalise_permissions(PERMISSIONS, {"sg-alb": "alb"})
    assert sorted(map(sg.rule_key, entries)) == sorted([
        ("-1", None, None, "source_group_id", "sg-alb"),
        ("tcp", 80, 80, "cidr_ip", "0.0.0.0/0"),
        ("tcp", 80, 80, "cidr_ipv6", "::/0"),
        ("tcp", 80, 80, "prefix_list_id", "pl-1"),
    ])
    by_key = {sg.rule_key(e): e for e in entries}
    assert by_key[("-1", None, None, "source_group_id", "sg-alb")]["source_group_name"] == "alb"
    assert by_key[("-1", None, None, "source_group_id", "sg-alb")]["description"] == "lb"
    assert by_key[("tcp", 80, 80, "cidr_ipv6", "::/0")]["description"] is None


def test_rule_record_keys_match_permission_keys():
    records = [
        {"SecurityGroupRuleId": "sgr-1", "IpProtocol": "-1", "FromPort": -1, "ToPort": -1,
         "ReferencedGroupInfo": {"GroupId": "sg-alb"}},
        {"SecurityGroupRuleId": "sgr-2", "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIpv4": "0.0.0.0/0"},
        {"SecurityGroupRuleId": "sgr-3", "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIpv6": "::/0"},
    ]
    keys = {sg.normalise_rule_record(r)[0] for r in records}
    assert keys <= {sg.rule_key(e) for e in sg.normalise_permissions(PERMISSIONS)}


def test_to_ip_permissions_round_trip():
    entries = sg.normalise_permissions(PERMISSIONS, {"sg-alb": "alb"})
    again = sg.normalise_permissions(sg.to_ip_permissions(entries), {"sg-alb": "alb"})
    assert again == entries
    perms = sg.to_ip_permissions(entries, with_description=False)
    assert all("Description" not in item for p in perms for k in ("IpRanges", "UserIdGroupPairs") for item in p.get(k, []))
    assert {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-alb"}]} in perms


# ---------------------------------------------------------------- compare

def entry(port, cidr, description=None, protocol="tcp"):
    return {"protocol": protocol, "from_port": port, "to_port": port, "cidr_ip": cidr, "description": description}


def test_compare_ignores_descriptions_for_identity():
    current = [entry(80, "0.0.0.0/0", "old"), entry(22, "10.0.0.0/8")]
    desired = [entry(80, "0.0.0.0/0", "new"), entry(443, "0.0.0.0/0")]
    to_add, to_remove, to_describe = sg.compare_rules(current, desired)
    assert to_add == [entry(443, "0.0.0.0/0")]
    assert to_remove == [entry(22, "10.0.0.0/8")]
    assert to_describe == [entry(80, "0.0.0.0/0", "new")]
    planned = sg.apply_to_rules(current, to_add, to_remove, to_describe)
    assert sorted(map(sg.rule_key, planned)) == sorted(map(sg.rule_key, desired))
    assert [e["description"] for e in planned if e["from_port"] == 80] == ["new"]


def test_compare_no_purge_and_unset_description():
    current = [entry(80, "0.0.0.0/0", "kept"), entry(22, "10.0.0.0/8")]
    to_add, to_remove, to_describe = sg.compare_rules(current, [entry(80, "0.0.0.0/0")], purge=False)
    assert (to_add, to_remove, to_describe) == ([], [], [])


def test_compare_equal_is_empty():
    current = sg.normalise_permissions(PERMISSIONS)
    assert sg.compare_rules(current, [dict(e) for e in current]) == ([], [], [])


def test_default_egress_follows_vpc_ipv6():
    assert [sg.rule_key(e) for e in sg.default_egress({"VpcId": "vpc-1"})] == [("-1", None, None, "cidr_ip", "0.0.0.0/0")]
    vpc6 = {"Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600::/56", "Ipv6CidrBlockState": {"State": "associated"}}]}
    assert len(sg.default_egress(vpc6)) == 2


def test_referencing_entries_skips_self_references():
    group = {"GroupId": "sg-a", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": "sg-a"}, {"GroupId": "sg-b"}]},
    ], "IpPermissionsEgress": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-b"}]}]}
    found = sg.referencing_entries(group, {"sg-a", "sg-b"})
    assert [(egress, e["source_group_id"]) for egress, e in found] == [(False, "sg-b"), (True, "sg-b")]


# ---------------------------------------------------------------- module logic against mock_aws


@pytest.fixture
def ec2(offline_aws):
    yield retrying(boto3.client("ec2", region_name="us-east-1"))


def chain():
    return [
        {"name": "alb", "description": "lb", "tags": None, "egress": None,
         "ingress": [rule(ports=443, cidr_ip=["0.0.0.0/0"], description="https")]},
        {"name": "ecs", "description": "svc", "tags": None, "egress": None,
         "ingress": [rule(protocol="all", source_group="alb")]},
        {"name": "rds", "description": "db", "tags": {"Tier": "data"}, "egress": [],
         "ingress": [rule(ports=5432, source_group="ecs")]},
    ]


def params(vpc_id, groups, state="present", tags=None, purge_tags=True, purge_rules=True, purge_rules_egress=True,
           wait_timeout=sg.DELETE_TIMEOUT):
    """``module.params`` as ``main()`` hands them to ``ensure_*`` (after ``validate``)."""
    result = {"vpc_id": vpc_id, "security_groups": groups, "state": state, "tags": tags, "purge_tags": purge_tags,
              "purge_rules": purge_rules, "purge_rules_egress": purge_rules_egress, "wait_timeout": wait_timeout}
    module.validate(result)
    return result


class Run:
    """One ``ensure_*`` call: its ``Outcome`` read as the module returns it, the warnings and waits it gave."""

    def __init__(self, ensure, client, params, check_mode=False, **kwargs):
        self.warnings, self.notes = [], []
        ctx = base.Context(check_mode=check_mode, note=self.notes.append, warn=self.warnings.append)
        self.outcome = ensure(client, params, ctx, **kwargs)
        self.changed, self.before, self.after = self.outcome.changed, self.outcome.before, self.outcome.after

    def __iter__(self):
        """``changed, result, before, after, warnings`` (present) / ``changed, deleted, before`` (absent)."""
        result = self.outcome.result
        if "deleted_group_ids" in result:
            assert result["security_groups"] == [] and result["group_ids"] == {} and self.after == {}
            return iter((self.changed, result["deleted_group_ids"], self.before))
        assert result["group_ids"] == {g["group_name"]: g["group_id"] for g in result["security_groups"]}
        return iter((self.changed, result["security_groups"], self.before, self.after, self.warnings))


def present(ec2, vpc_id, groups, check_mode=False, tags=None, purge_rules=True):
    return Run(module.ensure_present, ec2, params(vpc_id, groups, tags=tags, purge_rules=purge_rules), check_mode)


def absent(ec2, vpc_id, groups, check_mode=False, wait_timeout=sg.DELETE_TIMEOUT, **kwargs):
    return Run(module.ensure_absent, ec2, params(vpc_id, groups, "absent", wait_timeout=wait_timeout), check_mode, **kwargs)


def test_validate_checks_what_needs_no_aws_call():
    """``main()`` runs these before any AWS call; absent needs names only."""
    module.validate({"state": "absent", "security_groups": [{"name": "a"}, {"name": "a", "description": None}]})
    with pytest.raises(sg.RuleError, match="security_groups b: a description is required when state=present"):
        module.validate({"state": "present", "security_groups": [{"name": "a", "description": "x"}, {"name": "b"}]})
    with pytest.raises(sg.RuleError, match="lists a more than once"):
        module.validate({"state": "present", "security_groups": [{"name": "a", "description": "x"}] * 2})


def test_ensure_present_check_then_apply_then_idempotent(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    changed, result, before, after, warnings = present(ec2, vpc_id, chain(), check_mode=True)
    assert changed and before == {} and warnings == []
    assert [g["group_id"] for g in result] == [None, None, None]
    assert result[2]["ingress"][0]["source_group_name"] == "ecs"
    assert result[2]["egress"] == []
    names = {g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    assert names == {"default"}, "check mode created something"

    changed, result, _, _, _ = present(ec2, vpc_id, chain())
    ids = {g["group_name"]: g["group_id"] for g in result}
    assert changed and all(i.startswith("sg-") for i in ids.values())
    rds = ec2.describe_security_groups(GroupIds=[ids["rds"]])["SecurityGroups"][0]
    assert rds["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == ids["ecs"]
    assert rds["IpPermissionsEgress"] == []
    assert {t["Key"]: t["Value"] for t in rds["Tags"]} == {"Name": "rds", "Tier": "data"}

    for check_mode in (True, False):
        changed, again, _, _, warnings = present(ec2, vpc_id, chain(), check_mode=check_mode)
        assert not changed and again == result and warnings == []


def test_ensure_present_revokes_drift_and_updates_description(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    _, result, _, _, _ = present(ec2, vpc_id, chain())
    alb = result[0]["group_id"]
    ec2.authorize_security_group_ingress(GroupId=alb, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    groups = chain()
    groups[0]["ingress"][0]["description"] = "https everywhere"

    changed, planned, _, _, _ = present(ec2, vpc_id, groups, check_mode=True)
    assert changed and [e["from_port"] for e in planned[0]["ingress"]] == [443]
    assert len(ec2.describe_security_groups(GroupIds=[alb])["SecurityGroups"][0]["IpPermissions"]) == 2

    changed, result, _, _, _ = present(ec2, vpc_id, groups)
    perms = ec2.describe_security_groups(GroupIds=[alb])["SecurityGroups"][0]["IpPermissions"]
    assert changed and len(perms) == 1
    assert perms[0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0", "Description": "https everywhere"}]
    assert result[0] == planned[0]

    # purge_rules=false keeps an unlisted rule
    ec2.authorize_security_group_ingress(GroupId=alb, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    changed, _, _, _, _ = present(ec2, vpc_id, groups, purge_rules=False)
    assert not changed


def test_ensure_present_warns_on_description_and_fails_on_unknown_source(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    present(ec2, vpc_id, chain())
    groups = chain()
    groups[0]["description"] = "another"
    changed, _, _, _, warnings = present(ec2, vpc_id, groups)
    assert not changed
    assert len(warnings) == 1 and "cannot change a group's description" in warnings[0]

    groups = chain()
    groups[2]["ingress"][0]["source_group"] = "nope"
    with pytest.raises(sg.RuleError, match=r"security_groups\[rds\].ingress\[0\].*'nope'"):
        present(ec2, vpc_id, groups)
    with pytest.raises(sg.RuleError, match="does not exist"):
        present(ec2, "vpc-00000000", chain())
    with pytest.raises(sg.RuleError, match="more than once"):
        present(ec2, vpc_id, chain() + chain()[:1])


def test_ensure_present_resolves_existing_group_by_name_and_id(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    bastion = ec2.create_security_group(GroupName="bastion", Description="b", VpcId=vpc_id)["GroupId"]
    groups = [{"name": "app", "description": "app", "tags": None, "egress": None, "ingress": [
        rule(ports=22, source_group="bastion"), rule(ports=2222, source_group=bastion)]}]
    _, result, _, _, _ = present(ec2, vpc_id, groups)
    assert {(e["from_port"], e["source_group_id"], e["source_group_name"]) for e in result[0]["ingress"]} == {
        (22, bastion, "bastion"), (2222, bastion, "bastion")}


def test_ensure_absent_revokes_references_and_refuses_groups_in_use(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    _, result, _, _, _ = present(ec2, vpc_id, chain())
    ids = {g["group_name"]: g["group_id"] for g in result}
    other = ec2.create_security_group(GroupName="other", Description="o", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_egress(GroupId=other, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": ids["rds"]}]}])

    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[ids["ecs"]], Description="task eni")["NetworkInterface"]
    with pytest.raises(sg.RuleError, match=rf"ecs \({ids['ecs']}\) is attached to {eni['NetworkInterfaceId']}.*task eni"):
        absent(ec2, vpc_id, [{"name": "ecs"}, {"name": "rds"}], False, wait_timeout=0)
    # check mode: a warning, the groups shown as deleted (a teardown's earlier task deletes what uses them)
    run = absent(ec2, vpc_id, [{"name": "ecs"}, {"name": "rds"}], True)
    assert run.changed and len(run.warnings) == 1 and eni["NetworkInterfaceId"] in run.warnings[0] and "check mode" in run.warnings[0]
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])

    changed, deleted, before = absent(ec2, vpc_id, [{"name": "ecs"}, {"name": "rds"}], True)
    assert changed and deleted == {"ecs": ids["ecs"], "rds": ids["rds"]} and set(before) == {"ecs", "rds"}
    in_vpc = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    assert len(in_vpc) == 5, "check mode deleted something"

    changed, deleted, _ = absent(ec2, vpc_id, [{"name": "ecs"}, {"name": "rds"}], False)
    remaining = {g["GroupName"]: g for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]}
    assert changed and set(remaining) == {"default", "alb", "other"}
    assert remaining["other"]["IpPermissionsEgress"] == [
        {"IpProtocol": "-1", "UserIdGroupPairs": [], "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": []}]
    assert tuple(absent(ec2, vpc_id, [{"name": "ecs"}, {"name": "rds"}], False)) == (False, {}, {})
    with pytest.raises(sg.RuleError, match="default"):
        absent(ec2, vpc_id, [{"name": "default"}], False)


def test_group_rule_description_not_applied_by_moto_gives_a_warning(ec2):
    """moto keeps the old description of a rule whose source is a group (AWS updates it)."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    present(ec2, vpc_id, chain())
    groups = chain()
    groups[1]["ingress"][0]["description"] = "from the load balancer"
    changed, result, _, _, warnings = present(ec2, vpc_id, groups)
    assert changed
    assert len(warnings) == 1 and "the endpoint kept description None of ingress rule" in warnings[0]
    assert result[1]["ingress"][0]["description"] is None, "the result must show what the endpoint has"


# ---------------------------------------------------------------- AWS's transient refusals (issue 13)


class Flaky:
    """A client whose ``operation`` answers ``code`` the first ``times`` calls, like AWS while the
    network interfaces of a resource deleted a moment ago are being released."""

    def __init__(self, client, operation, code, times):
        self._client, self._operation, self._code, self.remaining = client, operation, code, times

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name != self._operation:
            return attr

        def call(*args, **kwargs):
            if self.remaining > 0:
                self.remaining -= 1
                from botocore.exceptions import ClientError
                raise ClientError({"Error": {"Code": self._code, "Message": "resource sg has a dependent object"}}, name)
            return attr(*args, **kwargs)
        return call


def test_delete_rides_out_dependency_violation(ec2, monkeypatch):
    """DeleteSecurityGroup answers DependencyViolation for a while after the load balancer (or DB,
    cache, mount target, task) that used the group is deleted: tried again, and each wait noted."""
    no_sleep(monkeypatch, sg)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    present(ec2, vpc_id, chain())
    flaky = Flaky(ec2, "delete_security_group", "DependencyViolation", 2)
    run = absent(flaky, vpc_id, [{"name": "alb"}], False, 60)
    changed, deleted, _ = run
    notes = run.notes
    assert changed and set(deleted) == {"alb"} and flaky.remaining == 0
    assert len(notes) == 2 and all("DependencyViolation" in n for n in notes)
    names = {g["GroupName"] for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]}
    assert "alb" not in names


def test_delete_gives_up_after_the_timeout(ec2, monkeypatch):
    no_sleep(monkeypatch, sg)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    present(ec2, vpc_id, chain())
    flaky = Flaky(ec2, "delete_security_group", "DependencyViolation", 10**6)
    with pytest.raises(sg.SecurityGroupError, match="delete security group"):
        absent(flaky, vpc_id, [{"name": "alb"}], False, 0)


def test_delete_waits_for_interfaces_being_released(ec2, monkeypatch):
    """An interface of a resource deleted a moment ago still uses the group: the module waits for
    AWS to release it (here it goes during the wait) instead of failing."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    _, result, _, _, _ = present(ec2, vpc_id, chain())
    ids = {g["group_name"]: g["group_id"] for g in result}
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[ids["alb"]], Description="ELB app/web")["NetworkInterface"]
    checks = []

    def released_during_the_wait(check, timeout):
        checks.append(timeout)
        ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
        return check()

    monkeypatch.setattr(module, "wait_for", released_during_the_wait)
    run = absent(ec2, vpc_id, [{"name": "alb"}], False, 30)
    changed, deleted, _ = run
    notes = run.notes
    assert changed and set(deleted) == {"alb"} and checks == [30]
    assert notes and "waiting up to 30s" in notes[0]

    # Still attached when the time is up: the error names the interface and the wait.
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[ids["ecs"]], Description="task eni")["NetworkInterface"]
    monkeypatch.setattr(module, "wait_for", lambda check, timeout: check())
    ticks = iter([0.0, 30.0])
    with pytest.raises(sg.RuleError, match=rf"after waiting 30s: ecs .* {eni['NetworkInterfaceId']}"):
        absent(ec2, vpc_id, [{"name": "ecs"}], False, 30, clock=lambda: next(ticks))


def test_rules_and_tags_of_a_group_just_created_ride_out_not_found(ec2):
    """EC2 eventual consistency: right after CreateSecurityGroup, AuthorizeSecurityGroupIngress and
    CreateTags may answer InvalidGroup.NotFound for the new id; they are tried again."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    flaky = Flaky(ec2, "authorize_security_group_ingress", "InvalidGroup.NotFound", 1)
    _, result, _, _, _ = present(flaky, vpc_id, chain()[:1])
    assert flaky.remaining == 0 and result[0]["group_id"] and len(result[0]["ingress"]) == 1
