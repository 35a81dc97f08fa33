# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API layer and rule logic for the ``ec2_security_groups`` module.

Two halves:

* the thin boto3 layer (every EC2 call the module makes, with retries, "not found" turned into
  ``None``/``False`` and one error type, :class:`SecurityGroupError`);
* pure functions that turn the module's rule options and AWS's ``IpPermissions`` into one common,
  normalised form (one entry per protocol / port range / source) and compare the two.

Normalised rule entry (a dict)::

    {"protocol": "tcp", "from_port": 443, "to_port": 443,
     "cidr_ip": "0.0.0.0/0",            # exactly one of cidr_ip, cidr_ipv6,
                                        # source_group_id (+ source_group_name), prefix_list_id
     "description": "HTTPS"}            # None when the rule has none

``protocol`` is ``tcp``, ``udp``, ``icmp``, ``icmpv6``, ``-1`` (all) or an IP protocol number as a
string; ports are ``None`` where the protocol has none (``-1`` and numbered protocols).
The identity of a rule (:func:`rule_key`) leaves the description out.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Note
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_decorator
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_while
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

# A group created a moment ago may not be visible yet to the calls that follow (AWS is
# eventually consistent): those calls retry on "not found" too.
_AFTER_CREATE_CODES = ["InvalidGroup.NotFound", "InvalidGroupId.NotFound"]

# DeleteSecurityGroup answers "DependencyViolation" while a network interface still uses the group
# (those of a load balancer, DB, cache, mount target or task deleted a moment ago are released by
# AWS asynchronously, in minutes) or another group's rule still references it.
# terraform-provider-aws retries it for the delete timeout (15 min). Here the interfaces AWS lists
# are waited for first (up to the module's wait_timeout, DELETE_TIMEOUT by default); once none is
# listed, the delete itself rides the code out for DEPENDENCY_RETRY_TIMEOUT at most, so a group
# held by something that lists no interface and is not going away fails in minutes, not 15.
DELETE_RETRY_CODES = ["DependencyViolation"]
DELETE_TIMEOUT = 900
DEPENDENCY_RETRY_TIMEOUT = 180

PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1", "-1": "-1"}
PORTED_PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6")
SOURCE_KINDS = ("cidr_ip", "cidr_ipv6", "source_group_id", "prefix_list_id")


class SecurityGroupError(AnsibleAWSError):
    """An EC2 call of this module failed (``message`` says which, ``exception`` has the AWS error)."""


class RuleError(ValueError):
    """The module's input cannot be turned into rules; the message says what to change."""


SecurityGroupErrorHandler = error_handler(SecurityGroupError, ["InvalidGroup.NotFound", "InvalidGroupId.NotFound", "InvalidVpcID.NotFound"])


# --------------------------------------------------------------------------------------------
# boto3 layer
# --------------------------------------------------------------------------------------------


@SecurityGroupErrorHandler.list_error_handler("describe VPC {vpc_id}")
def get_vpc(client: Any, vpc_id: str) -> Optional[Dict[str, Any]]:
    """The VPC as AWS describes it, or ``None``."""
    vpcs = client.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)["Vpcs"]
    return vpcs[0] if vpcs else None


@SecurityGroupErrorHandler.list_error_handler("describe the security groups of VPC {vpc_id}", [])
def describe_vpc_groups(client: Any, vpc_id: str) -> List[Dict[str, Any]]:
    """Every security group of the VPC (raw AWS shape)."""
    result = paginate(client, "describe_security_groups", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return [g for g in result["SecurityGroups"] if g.get("VpcId") == vpc_id]


def _describe_by_group(client: Any, operation: str, result_key: str, group_ids: Iterable[str]) -> List[Dict[str, Any]]:
    """Every ``result_key`` item of the describe ``operation`` filtered by ``group-id`` (none for no group)."""
    if not group_ids:
        return []
    return paginate(client, operation, Filters=[{"Name": "group-id", "Values": sorted(group_ids)}])[result_key]


@SecurityGroupErrorHandler.list_error_handler("describe the rules of security groups {group_ids}", [])
def describe_group_rules(client: Any, group_ids: Iterable[str]) -> List[Dict[str, Any]]:
    """The individual rules (``SecurityGroupRules``) of the given groups, with their ids."""
    return _describe_by_group(client, "describe_security_group_rules", "SecurityGroupRules", group_ids)


@SecurityGroupErrorHandler.common_error_handler("describe the network interfaces using {group_ids}")
def describe_interfaces_using(client: Any, group_ids: Iterable[str]) -> List[Dict[str, Any]]:
    """Network interfaces that have any of the groups attached."""
    return _describe_by_group(client, "describe_network_interfaces", "NetworkInterfaces", group_ids)


@SecurityGroupErrorHandler.common_error_handler("create security group {name} in {vpc_id}")
def create_group(client: Any, name: str, description: str, vpc_id: str, tags: Optional[Dict[str, Any]]) -> str:
    """Create a group, tagged at creation; return its id."""
    params = dict(GroupName=name, Description=description, VpcId=vpc_id)
    if tags:
        params["TagSpecifications"] = [{"ResourceType": "security-group", "Tags": dict_to_tags(tags)}]
    return client.create_security_group(aws_retry=True, **params)["GroupId"]


@SecurityGroupErrorHandler.deletion_error_handler("delete security group {group_id}")
def delete_group(client: Any, group_id: str, timeout: float = DELETE_TIMEOUT, note: Optional[Note] = None) -> bool:
    """Delete a group; ``DependencyViolation`` is tried again for ``timeout`` seconds (noted)."""
    retry_while(
        lambda: client.delete_security_group(GroupId=group_id, aws_retry=True),
        DELETE_RETRY_CODES, timeout=timeout, note=note, what=f"delete security group {group_id}",
    )
    return True


@SecurityGroupErrorHandler.common_error_handler("authorize rules on security group {group_id}")
@retry_decorator(_AFTER_CREATE_CODES)
def authorize(client: Any, group_id: str, egress: bool, ip_permissions: List[Dict[str, Any]]) -> bool:
    call = client.authorize_security_group_egress if egress else client.authorize_security_group_ingress
    call(GroupId=group_id, IpPermissions=ip_permissions)
    return True


@SecurityGroupErrorHandler.common_error_handler("revoke rules of security group {group_id}")
def revoke(client: Any, group_id: str, egress: bool, rule_ids: Optional[Iterable[str]] = None,
           ip_permissions: Optional[List[Dict[str, Any]]] = None) -> bool:
    """Revoke by rule id (exact, whatever the description) and/or by permission."""
    call = client.revoke_security_group_egress if egress else client.revoke_security_group_ingress
    if rule_ids:
        call(GroupId=group_id, SecurityGroupRuleIds=list(rule_ids), aws_retry=True)
    if ip_permissions:
        call(GroupId=group_id, IpPermissions=ip_permissions, aws_retry=True)
    return True


@SecurityGroupErrorHandler.common_error_handler("update rule descriptions of security group {group_id}")
def update_descriptions(client: Any, group_id: str, egress: bool, ip_permissions: List[Dict[str, Any]]) -> bool:
    if egress:
        call = client.update_security_group_rule_descriptions_egress
    else:
        call = client.update_security_group_rule_descriptions_ingress
    call(GroupId=group_id, IpPermissions=ip_permissions, aws_retry=True)
    return True


@SecurityGroupErrorHandler.common_error_handler("tag security group {group_id}")
@retry_decorator(_AFTER_CREATE_CODES)
def set_tags(client: Any, group_id: str, tags: Dict[str, Any]) -> bool:
    client.create_tags(Resources=[group_id], Tags=dict_to_tags(tags))
    return True


@SecurityGroupErrorHandler.common_error_handler("untag security group {group_id}")
def remove_tags(client: Any, group_id: str, keys: Iterable[str]) -> bool:
    client.delete_tags(Resources=[group_id], Tags=[{"Key": k} for k in keys], aws_retry=True)
    return True


# --------------------------------------------------------------------------------------------
# normalisers
# --------------------------------------------------------------------------------------------


def normalise_protocol(value: Any) -> str:
    """``tcp``/``udp``/``icmp``/``icmpv6``/``-1`` or a protocol number as a string."""
    text = str(value).strip().lower()
    if text in PROTOCOL_NAMES:
        return PROTOCOL_NAMES[text]
    if text in PORTED_PROTOCOLS:
        return text
    if text.isdigit() and 0 <= int(text) <= 255:
        return str(int(text))
    raise RuleError(f"protocol {value!r} is not valid: use tcp, udp, icmp, icmpv6, all (or -1) or an IP protocol number 0-255")


def normalise_cidr(value: str, ipv6: bool = False) -> str:
    """The canonical text of a CIDR (``10.0.0.0/16``, compressed lower-case IPv6)."""
    text = str(value).strip()
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as e:
        try:
            loose = ipaddress.ip_network(text, strict=False)
            hint = f"; did you mean {loose}?"
        except ValueError:
            hint = ""
        raise RuleError(f"{'cidr_ipv6' if ipv6 else 'cidr_ip'} {text!r} is not a valid CIDR ({e}){hint}") from None
    if (network.version == 6) != ipv6:
        raise RuleError(
            f"{text!r} is an IPv{network.version} network: put IPv4 ranges in cidr_ip and IPv6 ranges in cidr_ipv6"
        )
    return str(network)


def _loose_cidr(value: str) -> str:
    """Canonical form of a CIDR read from AWS, unchanged if it does not parse."""
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return value


def _ports(protocol: str, from_port: Optional[int], to_port: Optional[int]) -> Tuple[Optional[int], Optional[int]]:
    if protocol not in PORTED_PROTOCOLS:
        return None, None
    return (None if from_port is None else int(from_port)), (None if to_port is None else int(to_port))


def _description(value: Optional[str]) -> Optional[str]:
    return value if value else None


def rule_key(entry: Dict[str, Any]) -> Tuple[Any, ...]:
    """Identity of a normalised rule: protocol, ports and source, not the description."""
    for kind in SOURCE_KINDS:
        if entry.get(kind):
            return (entry["protocol"], entry["from_port"], entry["to_port"], kind, entry[kind])
    # A source group of this call that does not exist yet (check mode) has a name only.
    return (entry["protocol"], entry["from_port"], entry["to_port"], "source_group_name", entry.get("source_group_name"))


def _sort_key(entry: Dict[str, Any]) -> Tuple[str, ...]:
    key = rule_key(entry)
    return tuple("" if v is None else str(v).zfill(6) if isinstance(v, int) else str(v) for v in key)


def sort_rules(entries: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return sorted(entries, key=_sort_key)


def expand_rule(rule: Dict[str, Any], where: str = "") -> List[Dict[str, Any]]:
    """One rule option -> normalised entries (one per source), ``source_group`` still unresolved.

    Entries sourced from a group carry ``source_group`` (the name or id as given); see
    :func:`resolve_sources`.
    """
    prefix = f"{where}: " if where else ""
    try:
        protocol = normalise_protocol(rule.get("protocol") if rule.get("protocol") is not None else "tcp")
    except RuleError as e:
        raise RuleError(prefix + str(e)) from None
    from_port, to_port, ports = rule.get("from_port"), rule.get("to_port"), rule.get("ports")
    if ports is not None:
        if from_port is not None or to_port is not None:
            raise RuleError(prefix + "give either ports (one port) or from_port/to_port (a range), not both")
        from_port = to_port = ports
    if protocol in ("tcp", "udp"):
        if from_port is None and to_port is None:
            raise RuleError(prefix + f"protocol {protocol} needs ports, or from_port and to_port")
        if from_port is None or to_port is None:
            from_port = to_port = from_port if from_port is not None else to_port
        for port in (from_port, to_port):
            if not 0 <= int(port) <= 65535:
                raise RuleError(prefix + f"port {port} is out of range 0-65535")
        if int(from_port) > int(to_port):
            raise RuleError(prefix + f"from_port {from_port} is greater than to_port {to_port}")
    elif protocol in ("icmp", "icmpv6"):
        # ICMP type (from_port) and code (to_port); -1 means all.
        from_port = -1 if from_port is None else from_port
        to_port = -1 if to_port is None else to_port
    elif from_port is not None or to_port is not None:
        raise RuleError(
            prefix + f"protocol {rule.get('protocol')} covers all ports: drop from_port/to_port/ports, "
            "or use tcp/udp/icmp to restrict ports"
        )
    from_port, to_port = _ports(protocol, from_port, to_port)

    description = _description(rule.get("description"))
    base = {"protocol": protocol, "from_port": from_port, "to_port": to_port}
    entries = []
    try:
        for cidr in _as_list(rule.get("cidr_ip")):
            entries.append(dict(base, cidr_ip=normalise_cidr(cidr), description=description))
        for cidr in _as_list(rule.get("cidr_ipv6")):
            entries.append(dict(base, cidr_ipv6=normalise_cidr(cidr, ipv6=True), description=description))
    except RuleError as e:
        raise RuleError(prefix + str(e)) from None
    if rule.get("source_group"):
        entries.append(dict(base, source_group=str(rule["source_group"]), description=description))
    if not entries:
        raise RuleError(prefix + "a rule needs a source: cidr_ip, cidr_ipv6 or source_group")
    return entries


def _as_list(value: Any) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v not in (None, "")]
    return [value] if value != "" else []


def resolve_sources(entries: List[Dict[str, Any]], resolve: Callable[[str], Tuple[Optional[str], str]]) -> List[Dict[str, Any]]:
    """Replace ``source_group`` by ``source_group_id``/``source_group_name``.

    ``resolve(value) -> (group_id or None, group_name)``; it raises :class:`RuleError` for an
    unknown group.
    """
    resolved = []
    for entry in entries:
        entry = dict(entry)
        if "source_group" in entry:
            group_id, group_name = resolve(entry.pop("source_group"))
            entry["source_group_id"] = group_id
            entry["source_group_name"] = group_name
        resolved.append(entry)
    return resolved


def normalise_permissions(ip_permissions: Optional[List[Dict[str, Any]]], names_by_id: Optional[Dict[str, str]] = None) -> List[Dict[str, Any]]:
    """AWS ``IpPermissions``/``IpPermissionsEgress`` -> normalised entries (one per source)."""
    names_by_id = names_by_id or {}
    entries = []
    for perm in ip_permissions or []:
        protocol = normalise_protocol(perm.get("IpProtocol", "-1"))
        from_port, to_port = _ports(protocol, perm.get("FromPort"), perm.get("ToPort"))
        base = {"protocol": protocol, "from_port": from_port, "to_port": to_port}
        for item in perm.get("IpRanges") or []:
            entries.append(dict(base, cidr_ip=_loose_cidr(item["CidrIp"]), description=_description(item.get("Description"))))
        for item in perm.get("Ipv6Ranges") or []:
            entries.append(dict(base, cidr_ipv6=_loose_cidr(item["CidrIpv6"]), description=_description(item.get("Description"))))
        for item in perm.get("UserIdGroupPairs") or []:
            group_id = item.get("GroupId")
            entries.append(dict(
                base, source_group_id=group_id,
                source_group_name=names_by_id.get(group_id, item.get("GroupName")),
                description=_description(item.get("Description")),
            ))
        for item in perm.get("PrefixListIds") or []:
            entries.append(dict(base, prefix_list_id=item["PrefixListId"], description=_description(item.get("Description"))))
    return sort_rules(entries)


def normalise_rule_record(record: Dict[str, Any]) -> Tuple[Tuple[Any, ...], str]:
    """One ``SecurityGroupRules`` record (describe_security_group_rules) -> (key, rule id)."""
    protocol = normalise_protocol(record.get("IpProtocol", "-1"))
    from_port, to_port = _ports(protocol, record.get("FromPort"), record.get("ToPort"))
    entry = {"protocol": protocol, "from_port": from_port, "to_port": to_port}
    if record.get("CidrIpv4"):
        entry["cidr_ip"] = _loose_cidr(record["CidrIpv4"])
    elif record.get("CidrIpv6"):
        entry["cidr_ipv6"] = _loose_cidr(record["CidrIpv6"])
    elif record.get("ReferencedGroupInfo"):
        entry["source_group_id"] = record["ReferencedGroupInfo"].get("GroupId")
    elif record.get("PrefixListId"):
        entry["prefix_list_id"] = record["PrefixListId"]
    return rule_key(entry), record["SecurityGroupRuleId"]


def compare_rules(current: List[Dict[str, Any]], desired: List[Dict[str, Any]],
                  purge: bool = True) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], List[Dict[str, Any]]]:
    """``(to_add, to_remove, to_describe)`` between normalised entry lists.

    ``to_describe`` are desired entries that exist but whose description differs (a desired
    description of ``None`` leaves the current one alone).
    """
    current_by_key = {rule_key(e): e for e in current}
    desired_by_key = {}
    for entry in desired:
        desired_by_key[rule_key(entry)] = entry
    to_add = [e for k, e in desired_by_key.items() if k not in current_by_key]
    to_remove = [e for k, e in current_by_key.items() if k not in desired_by_key] if purge else []
    to_describe = [
        e for k, e in desired_by_key.items()
        if k in current_by_key and e.get("description") is not None
        and e.get("description") != current_by_key[k].get("description")
    ]
    return sort_rules(to_add), sort_rules(to_remove), sort_rules(to_describe)


def apply_to_rules(current: List[Dict[str, Any]], to_add: List[Dict[str, Any]], to_remove: List[Dict[str, Any]],
                   to_describe: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The entry list ``current`` becomes once the changes are made (for check mode)."""
    by_key = {rule_key(e): dict(e) for e in current}
    for entry in to_remove:
        by_key.pop(rule_key(entry), None)
    for entry in to_describe:
        by_key[rule_key(entry)]["description"] = entry["description"]
    for entry in to_add:
        by_key[rule_key(entry)] = dict(entry)
    return sort_rules(by_key.values())


def to_ip_permissions(entries: Iterable[Dict[str, Any]], with_description: bool = True) -> List[Dict[str, Any]]:
    """Normalised entries -> ``IpPermissions`` (one permission per protocol/port range)."""
    grouped = {}
    for entry in sort_rules(entries):
        head = (entry["protocol"], entry["from_port"], entry["to_port"])
        perm = grouped.get(head)
        if perm is None:
            perm = {"IpProtocol": entry["protocol"]}
            if entry["from_port"] is not None:
                perm["FromPort"] = entry["from_port"]
                perm["ToPort"] = entry["to_port"]
            grouped[head] = perm
        extra = {"Description": entry["description"]} if with_description and entry.get("description") else {}
        if entry.get("cidr_ip"):
            perm.setdefault("IpRanges", []).append(dict(CidrIp=entry["cidr_ip"], **extra))
        elif entry.get("cidr_ipv6"):
            perm.setdefault("Ipv6Ranges", []).append(dict(CidrIpv6=entry["cidr_ipv6"], **extra))
        elif entry.get("source_group_id"):
            perm.setdefault("UserIdGroupPairs", []).append(dict(GroupId=entry["source_group_id"], **extra))
        elif entry.get("prefix_list_id"):
            perm.setdefault("PrefixListIds", []).append(dict(PrefixListId=entry["prefix_list_id"], **extra))
    return list(grouped.values())


def default_egress(vpc: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The egress rules AWS gives a new group in ``vpc`` (allow all, IPv6 too if the VPC has it)."""
    entries = [{"protocol": "-1", "from_port": None, "to_port": None, "cidr_ip": "0.0.0.0/0", "description": None}]
    ipv6 = [a for a in (vpc or {}).get("Ipv6CidrBlockAssociationSet") or []
            if a.get("Ipv6CidrBlockState", {}).get("State", "associated") == "associated"]
    if ipv6:
        entries.append({"protocol": "-1", "from_port": None, "to_port": None, "cidr_ipv6": "::/0", "description": None})
    return entries


def normalise_group(group: Dict[str, Any], names_by_id: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """A raw AWS security group -> the dict the module returns."""
    names_by_id = dict(names_by_id or {})
    names_by_id.setdefault(group["GroupId"], group["GroupName"])
    return {
        "group_id": group["GroupId"],
        "group_name": group["GroupName"],
        "description": group.get("Description"),
        "vpc_id": group.get("VpcId"),
        "ingress": normalise_permissions(group.get("IpPermissions"), names_by_id),
        "egress": normalise_permissions(group.get("IpPermissionsEgress"), names_by_id),
        "tags": tags_to_dict(group.get("Tags")),
    }


def referencing_entries(group: Dict[str, Any], target_ids: Iterable[str]) -> List[Tuple[bool, Dict[str, Any]]]:
    """Normalised (ingress, egress) rules of ``group`` whose source is one of ``target_ids``.

    A group's references to itself are left out: they do not block its deletion.
    """
    found = []
    for egress, perms in ((False, group.get("IpPermissions")), (True, group.get("IpPermissionsEgress"))):
        for entry in normalise_permissions(perms):
            source = entry.get("source_group_id")
            if source in target_ids and source != group["GroupId"]:
                found.append((egress, entry))
    return found


def describe_interface(eni: Dict[str, Any]) -> str:
    """A short human description of what a network interface is."""
    parts = [eni["NetworkInterfaceId"]]
    details = []
    if eni.get("InterfaceType"):
        details.append(f"type {eni['InterfaceType']}")
    if eni.get("Description"):
        details.append(f"description {eni['Description']!r}")
    attachment = eni.get("Attachment") or {}
    if attachment.get("InstanceId"):
        details.append(f"instance {attachment['InstanceId']}")
    if eni.get("RequesterId") and eni.get("RequesterManaged"):
        details.append(f"managed by {eni['RequesterId']}")
    if details:
        parts.append("(" + ", ".join(details) + ")")
    return " ".join(parts)
