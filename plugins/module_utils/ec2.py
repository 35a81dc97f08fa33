# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2/VPC API layer of apranova.aws_stack: VPCs, internet gateways, subnets, NAT gateways, Elastic IPs, route tables.

Every boto3 call of the network modules lives here. Clients are expected to come from
``base.aws_client(module, "ec2")`` (or any
``RetryingBotoClientWrapper``), so every call passes ``aws_retry=True``.

* describe functions return lists (filtered server side where the emulators honour the filter,
  and always re-checked client side), single lookups return ``None`` when not found;
* errors are raised as ``AnsibleEC2Error`` with a message naming the action and the resource;
* ``normalise_*`` turn AWS shapes into the snake_case dicts the modules compare and return;
* ``plan_*`` / ``*_changes`` are pure functions (no API calls) that the modules and the unit
  tests share.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import DEFAULT_ATTEMPTS
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import Note
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import concurrently
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import dict_to_tags
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_code
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_decorator
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_only
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import retry_while
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tag_changes
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import tags_to_dict

# "Does not exist" error codes of the resources handled here.
NOT_FOUND_CODES = [
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidRoute.NotFound",
    "InvalidAssociationID.NotFound",
    "NatGatewayNotFound",
    "InvalidNatGatewayID.NotFound",
    "InvalidAllocationID.NotFound",
    "InvalidInternetGatewayID.NotFound",
]

# A resource created a moment ago may not be visible to the next call yet (eventual
# consistency). Calls that follow a create retry on these for a short while only, so a
# genuinely wrong id still fails fast.
JUST_CREATED_CODES = [
    "InvalidSubnetID.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidNatGatewayID.NotFound",
    "NatGatewayNotFound",
    "InvalidGatewayID.NotFound",
    "InvalidAllocationID.NotFound",
    "InvalidInternetGatewayID.NotFound",
]

# Only these codes: the calls it wraps are made with aws_retry=True, which retries the transient answers.
just_created_retry = retry_only(JUST_CREATED_CODES, attempts=5, delay=1, max_delay=8)

# How long a delete rides out AWS's refusals while the network interfaces of resources deleted a
# moment ago (load balancer, DB, cache, mount targets, NAT gateway, Fargate tasks) are released.
# AWS releases those interfaces asynchronously, in minutes; terraform-provider-aws waits up to
# its delete timeout (20 min for subnets, 15 for security groups) on the same codes. The network
# teardown deletes the security groups first, and ec2_security_groups waits (up to 15 min) until
# no interface uses them, so what is left here is AWS catching up: 5 minutes, and a subnet held
# by something live fails in minutes rather than after 20.
RELEASE_TIMEOUT = 300

# A just-created id that the next call does not see yet (eventual consistency): waited for this long.
JUST_CREATED_TIMEOUT = 120

# DeleteSubnet / DeleteRouteTable / DetachInternetGateway: "DependencyViolation" while something
# still uses the subnet (an ENI being released), the table (an association), the gateway (a mapped
# public address).
DEPENDENCY_CODES = ["DependencyViolation"]

# ReleaseAddress of an Elastic IP whose NAT gateway is deleting (or just deleted): AWS answers
# "InvalidIPAddress.InUse" while the address is associated (ReleaseAddress API reference) and, for
# an address of a NAT gateway, "AuthFailure" until the gateway has let go of it (seen in the field:
# kubernetes/kops#1604, eformat/sno-for-100#5 and #9, even just after the gateway reads "deleted").
# AuthFailure is only ridden out for an address that a NAT gateway of this call was holding.
ADDRESS_IN_USE_CODES = ["InvalidIPAddress.InUse"]
ADDRESS_OF_NAT_CODES = ADDRESS_IN_USE_CODES + ["AuthFailure"]

# NAT gateway states that count as "the gateway exists".
NAT_LIVE_STATES = ("pending", "available")
# NAT gateway states whose network interface no longer holds its Elastic IP for real.
NAT_DEAD_STATES = ("deleted", "failed")

# Route target keys this collection manages, and the others it reports but leaves alone.
ROUTE_TARGET_KEYS = ("GatewayId", "NatGatewayId")
OTHER_ROUTE_TARGET_KEYS = (
    "InstanceId",
    "NetworkInterfaceId",
    "VpcPeeringConnectionId",
    "TransitGatewayId",
    "EgressOnlyInternetGatewayId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
)


EC2NetworkErrorHandler = error_handler(AnsibleEC2Error, NOT_FOUND_CODES)


def _paginate(client: Any, method: str, result_key: str, **params: Any) -> List[Dict[str, Any]]:
    """Every page of a describe API (``base.paginate``: the walk under the retry policy), ``result_key`` joined."""
    return paginate(client, method, **params).get(result_key) or []


def _filters(filters: Dict[str, Iterable[str]]) -> List[Dict[str, Any]]:
    """``{"vpc-id": ["vpc-1"]}`` -> boto3 filter list (empty value lists are dropped)."""
    return [{"Name": name, "Values": list(values)} for name, values in filters.items() if values]


def _not_yet_visible(code: str, ids: Iterable[str]) -> Exception:
    """A ClientError as AWS would send it for ids a describe left out (retried like the real one)."""
    from botocore.exceptions import ClientError

    message = f"The ids {', '.join(sorted(ids))} are not visible yet"
    return ClientError({"Error": {"Code": code, "Message": message}}, "Describe")


def _once_visible(describe: Callable[[], List[Dict[str, Any]]], id_key: str, ids: Iterable[str], codes: List[str], timeout: float,
                  note: Optional[Note], what: str) -> List[Dict[str, Any]]:
    """``describe()`` once every id of ``ids`` (some created a moment ago) is in its answer (EC2
    eventual consistency): tried again on ``codes``, AWS's or ours for an id left out, for ``timeout``
    seconds, each wait noted."""
    wanted = set(ids)

    def call() -> List[Dict[str, Any]]:
        found = describe()
        missing = wanted - {item.get(id_key) for item in found}
        if missing:
            raise _not_yet_visible(codes[0], missing)
        return found

    return retry_while(call, codes, timeout=timeout, note=note, what=what)


def tag_specifications(resource_type: str, tags: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    if not tags:
        return []
    return [{"ResourceType": resource_type, "Tags": dict_to_tags(tags)}]


# ---------------------------------------------------------------------------------------------
# Tags (one pair of calls for every EC2 resource type)
# ---------------------------------------------------------------------------------------------


@EC2NetworkErrorHandler.common_error_handler("update the tags of {resource_id}")
def update_tags(client: Any, resource_id: str, to_set: Dict[str, str], to_remove: List[str]) -> bool:
    """Apply a ``base.tag_changes`` result; returns True when something was sent."""
    changed = False
    if to_remove:
        client.delete_tags(aws_retry=True, Resources=[resource_id], Tags=[{"Key": k} for k in to_remove])
        changed = True
    if to_set:
        just_created_retry(client.create_tags)(aws_retry=True, Resources=[resource_id], Tags=dict_to_tags(to_set))
        changed = True
    return changed


def item_tags(name: str, common_tags: Optional[Dict[str, Any]], extra_tags: Optional[Dict[str, Any]]) -> Tuple[Dict[str, str], bool]:
    """Desired tags of one item of a set: common tags, then the item's own, then ``Name``.

    Returns ``(tags, purge_allowed)``. When neither the common nor the item's tags are given,
    only ``Name`` is managed and other tags are left alone (``purge_allowed`` is False), which is
    the amazon.aws "tags unset means leave them alone" rule.
    """
    if common_tags is None and extra_tags is None:
        return {"Name": name}, False
    tags = {k: str(v) for k, v in (common_tags or {}).items()}
    tags.update({k: str(v) for k, v in (extra_tags or {}).items()})
    tags["Name"] = name
    return tags, True


def item_tag_changes(current_tags: Optional[Dict[str, str]], name: str, common_tags: Optional[Dict[str, Any]],
                     extra_tags: Optional[Dict[str, Any]], purge_tags: bool) -> Tuple[Dict[str, str], List[str], Dict[str, str]]:
    """``(to_set, to_remove, resulting_tags)`` for one item of a set."""
    desired, purge_allowed = item_tags(name, common_tags, extra_tags)
    to_set, to_remove = tag_changes(current_tags or {}, desired, purge_tags and purge_allowed)
    result = {k: v for k, v in (current_tags or {}).items() if k not in to_remove}
    result.update(to_set)
    return to_set, to_remove, result


def name_tag(resource: Dict[str, Any]) -> Optional[str]:
    """The ``Name`` tag of an AWS resource dict (``Tags`` list), or ``None``."""
    return tags_to_dict(resource.get("Tags")).get("Name")


def duplicates(values: Iterable[Any]) -> List[Any]:
    seen, dup = set(), []
    for value in values:
        if value in seen and value not in dup:
            dup.append(value)
        seen.add(value)
    return dup


# ---------------------------------------------------------------------------------------------
# VPC
# ---------------------------------------------------------------------------------------------


@EC2NetworkErrorHandler.list_error_handler("describe VPC {vpc_id}", None)
def describe_vpc(client: Any, vpc_id: str) -> Optional[Dict[str, Any]]:
    vpcs = client.describe_vpcs(aws_retry=True, VpcIds=[vpc_id]).get("Vpcs") or []
    return vpcs[0] if vpcs else None


def require_vpc(client: Any, vpc_id: str) -> None:
    if describe_vpc(client, vpc_id) is None:
        raise AnsibleEC2Error(message=f"VPC {vpc_id} does not exist in this region: check vpc_id (and region).")


# The DNS attributes of a VPC: option name -> the Attribute of DescribeVpcAttribute. AWS reads and
# changes them one per call (DescribeVpcAttribute: "You can specify only one attribute at a time";
# ModifyVpcAttribute: "Use separate requests for each attribute").
VPC_DNS_ATTRIBUTES = {"dns_support": "enableDnsSupport", "dns_hostnames": "enableDnsHostnames"}

# What AWS gives a VPC created without them (Amazon VPC User Guide, "DNS attributes for your VPC":
# a VPC not created by the console wizard has enableDnsSupport true, enableDnsHostnames false).
VPC_DNS_AT_CREATION = {"dns_support": True, "dns_hostnames": False}

# VPC primary CIDR sizes AWS accepts (CreateVpc: "between /16 and /28").
VPC_PREFIX_LENGTHS = (16, 28)


def normalise_vpc_cidr(cidr: str) -> str:
    """``normalise_cidr`` and a netmask AWS accepts for a VPC, else ``ValueError`` saying what to change."""
    canonical = normalise_cidr(cidr)
    low, high = VPC_PREFIX_LENGTHS
    if not low <= ipaddress.IPv4Network(canonical).prefixlen <= high:
        raise ValueError(f"cidr_block {canonical}: a VPC's CIDR block must be between /{low} and /{high}; use e.g. 10.0.0.0/16")
    return canonical


@EC2NetworkErrorHandler.list_error_handler("describe the VPCs named {name}", [])
def describe_vpcs_by_name(client: Any, name: str) -> List[Dict[str, Any]]:
    """VPCs whose Name tag is ``name`` (filtered server side, re-checked client side), with their tags and CIDRs."""
    vpcs = _paginate(client, "describe_vpcs", "Vpcs", Filters=_filters({"tag:Name": [name]}))
    return [v for v in vpcs if name_tag(v) == name]


def vpc_matches(vpc: Dict[str, Any], name: str, cidr_block: Optional[str]) -> bool:
    """Identity of a VPC here, as amazon.aws ec2_vpc_net's: its Name tag and its primary CIDR
    (any CIDR when ``cidr_block`` is ``None``); a VPC being deleted is no longer it."""
    return (name_tag(vpc) == name and vpc.get("State") != "deleting"
            and (cidr_block is None or vpc.get("CidrBlock") == cidr_block))


def find_vpc(vpcs: List[Dict[str, Any]], name: str, cidr_block: Optional[str]) -> Optional[Dict[str, Any]]:
    """The one VPC of ``vpcs`` named ``name`` with primary CIDR ``cidr_block``, or ``None``;
    ``ValueError`` naming the ids when several match (which one is meant cannot be told)."""
    matches = sorted((v for v in vpcs if vpc_matches(v, name, cidr_block)), key=lambda v: v.get("VpcId") or "")
    if len(matches) > 1:
        ids = ", ".join(v.get("VpcId") or "?" for v in matches)
        which = f"named {name} with CIDR block {cidr_block}" if cidr_block else f"named {name}"
        raise ValueError(
            f"{len(matches)} VPCs are {which}: {ids}. A VPC is identified by its Name tag and CIDR block, so "
            "this module cannot tell which one to manage: delete or rename the extra ones and run again."
        )
    return matches[0] if matches else None


@EC2NetworkErrorHandler.common_error_handler("read {attribute} of VPC {vpc_id}")
def describe_vpc_attribute(client: Any, vpc_id: str, attribute: str) -> bool:
    """One DNS attribute (``enableDnsSupport`` / ``enableDnsHostnames``) of a VPC."""
    answer = client.describe_vpc_attribute(aws_retry=True, VpcId=vpc_id, Attribute=attribute)
    return bool((answer.get(attribute[0].upper() + attribute[1:]) or {}).get("Value"))


def describe_vpc_dns(client: Any, vpc_id: str) -> Dict[str, bool]:
    """``{"dns_support": bool, "dns_hostnames": bool}``: the two DescribeVpcAttribute calls, side by side."""
    calls = [lambda attribute=attribute: describe_vpc_attribute(client, vpc_id, attribute) for attribute in VPC_DNS_ATTRIBUTES.values()]
    return dict(zip(VPC_DNS_ATTRIBUTES, concurrently(calls)))


@EC2NetworkErrorHandler.common_error_handler("create VPC {tags[Name]} ({cidr_block})")
def create_vpc(client: Any, cidr_block: str, tags: Dict[str, str], instance_tenancy: Optional[str] = None) -> Dict[str, Any]:
    """CreateVpc, tagged at creation (``TagSpecifications``: the VPC is never without its Name).

    CreateVpc takes no idempotency token. So every attempt after the first looks for a VPC with
    this Name tag and CIDR block first: an attempt that AWS carried out but whose reply was lost (a
    5xx or throttling answer after the fact, which the retry policy tries again) is then adopted
    instead of creating a second VPC. The caller looked up before and found none.
    """
    params = dict(CidrBlock=cidr_block, TagSpecifications=tag_specifications("vpc", tags))
    if instance_tenancy:
        params["InstanceTenancy"] = instance_tenancy
    attempts = []

    def attempt() -> Dict[str, Any]:
        if attempts:
            found = [v for v in describe_vpcs_by_name(client, tags["Name"]) if vpc_matches(v, tags["Name"], cidr_block)]
            if found:
                return sorted(found, key=lambda v: v.get("VpcId") or "")[0]
        attempts.append(True)
        return client.create_vpc(**params)["Vpc"]

    return retry_decorator(attempts=getattr(client, "stack_attempts", DEFAULT_ATTEMPTS))(attempt)()


@EC2NetworkErrorHandler.common_error_handler("set {attribute}={value} on VPC {vpc_id}")
def set_vpc_attribute(client: Any, vpc_id: str, attribute: str, value: bool, timeout: float = 0,
                      note: Optional[Note] = None) -> bool:
    """ModifyVpcAttribute of one DNS attribute. ``timeout``: for a VPC created a moment ago, how
    long ``InvalidVpcID.NotFound`` (EC2 eventual consistency) is tried again, each wait noted."""
    key = attribute[0].upper() + attribute[1:]
    retry_while(
        lambda: client.modify_vpc_attribute(aws_retry=True, VpcId=vpc_id, **{key: {"Value": bool(value)}}),
        ["InvalidVpcID.NotFound"], timeout=timeout, note=note, what=f"set {attribute} on VPC {vpc_id}",
    )
    return True


@EC2NetworkErrorHandler.deletion_error_handler("delete VPC {vpc_id}")
def delete_vpc(client: Any, vpc_id: str, timeout: float = RELEASE_TIMEOUT, note: Optional[Note] = None) -> bool:
    """Delete a VPC; ``DependencyViolation`` (what was in it, deleted a moment ago, still being
    released) is tried again for ``timeout`` seconds, each wait told to ``note``."""
    retry_while(
        lambda: client.delete_vpc(aws_retry=True, VpcId=vpc_id),
        DEPENDENCY_CODES, timeout=timeout, note=note, what=f"delete VPC {vpc_id}",
    )
    return True


def _snake_list(items: Optional[List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    return [camel_dict_to_snake_dict(item) for item in items or []]


def normalise_vpc(vpc: Dict[str, Any], dns: Optional[Dict[str, bool]] = None) -> Dict[str, Any]:
    """A VPC in amazon.aws ec2_vpc_net's result shape (snake_case, ``id``, ``name``, tags as a
    dict) plus its DNS attributes when ``dns`` is given."""
    tags = tags_to_dict(vpc.get("Tags"))
    result = {
        "id": vpc.get("VpcId"),
        "name": tags.get("Name"),
        "cidr_block": vpc.get("CidrBlock"),
        "cidr_block_association_set": _snake_list(vpc.get("CidrBlockAssociationSet")),
        "ipv6_cidr_block_association_set": _snake_list(vpc.get("Ipv6CidrBlockAssociationSet")),
        "dhcp_options_id": vpc.get("DhcpOptionsId"),
        "instance_tenancy": vpc.get("InstanceTenancy"),
        "is_default": bool(vpc.get("IsDefault", False)),
        "owner_id": vpc.get("OwnerId"),
        "state": vpc.get("State"),
        "tags": tags,
    }
    if dns is not None:
        result.update(dns)
    return result


def plan_vpc_dns(current: Dict[str, bool], dns_support: Optional[bool], dns_hostnames: Optional[bool]) -> List[Tuple[str, bool]]:
    """The ModifyVpcAttribute calls, in order, that bring ``current`` (``{"dns_support": ..,
    "dns_hostnames": ..}``) to the options that are set (``None`` leaves one alone).

    AWS enables DNS hostnames only where DNS support is on: support is turned on before hostnames,
    and hostnames off before support. ``ValueError`` when the result would be hostnames without support.
    """
    after = dict(current)
    if dns_support is not None:
        after["dns_support"] = dns_support
    if dns_hostnames is not None:
        after["dns_hostnames"] = dns_hostnames
    if after["dns_hostnames"] and not after["dns_support"]:
        raise ValueError(
            "DNS hostnames need DNS support: with dns_support false, set dns_hostnames: false too"
            if dns_support is False else
            "DNS hostnames need DNS support, which this VPC has off: set dns_support: true with dns_hostnames: true"
        )
    order = ["dns_support", "dns_hostnames"] if after["dns_support"] else ["dns_hostnames", "dns_support"]
    return [(key, after[key]) for key in order if after[key] != current.get(key)]


# ---------------------------------------------------------------------------------------------
# Internet gateway
# ---------------------------------------------------------------------------------------------

# AttachInternetGateway of a gateway already attached to this VPC (an attempt carried out whose
# reply was lost, tried again by the retry layer): AWS answers this code (EC2 API error codes:
# "Resource.AlreadyAssociated"), the gateway is attached as wanted.
ALREADY_ATTACHED_CODES = ["Resource.AlreadyAssociated"]
# DetachInternetGateway of a gateway that is not attached (any more): "Gateway.NotAttached".
NOT_ATTACHED_CODES = ["Gateway.NotAttached"]


def igw_attached_vpcs(igw: Dict[str, Any]) -> List[str]:
    """The VPC ids a gateway is attached (or attaching, detaching) to; ``[]`` for a detached gateway."""
    return [a.get("VpcId") for a in igw.get("Attachments") or [] if a.get("State") != "detached" and a.get("VpcId")]


@EC2NetworkErrorHandler.list_error_handler("describe the internet gateway of VPC {vpc_id}", [])
def describe_vpc_internet_gateways(client: Any, vpc_id: str) -> List[Dict[str, Any]]:
    """The gateways attached to ``vpc_id`` (filter ``attachment.vpc-id``, re-checked client side), tags included:
    one DescribeInternetGateways."""
    igws = _paginate(client, "describe_internet_gateways", "InternetGateways", Filters=_filters({"attachment.vpc-id": [vpc_id]}))
    return [g for g in igws if vpc_id in igw_attached_vpcs(g)]


@EC2NetworkErrorHandler.list_error_handler("describe the detached internet gateways named {name}", [])
def describe_detached_internet_gateways(client: Any, name: str) -> List[Dict[str, Any]]:
    """The gateways attached to no VPC whose Name tag is ``name`` (a create whose attach never came:
    CreateInternetGateway takes no idempotency token), oldest id first."""
    igws = _paginate(client, "describe_internet_gateways", "InternetGateways", Filters=_filters({"tag:Name": [name]}))
    found = [g for g in igws if name_tag(g) == name and not igw_attached_vpcs(g)]
    return sorted(found, key=lambda g: g.get("InternetGatewayId") or "")


@EC2NetworkErrorHandler.common_error_handler("create an internet gateway")
def create_internet_gateway(client: Any, tags: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """CreateInternetGateway, tagged at creation (``TagSpecifications``).

    CreateInternetGateway takes no idempotency token. So, when the gateway has a Name tag, every
    attempt after the first looks for a detached gateway with this Name first: an attempt that AWS
    carried out but whose reply was lost (a 5xx or throttling answer after the fact, which the
    retry policy tries again) is then adopted instead of creating a second gateway.
    """
    params = {}
    spec = tag_specifications("internet-gateway", tags)
    if spec:
        params["TagSpecifications"] = spec
    name = (tags or {}).get("Name")
    attempts = []

    def attempt() -> Dict[str, Any]:
        if attempts and name:
            found = describe_detached_internet_gateways(client, name)
            if found:
                return found[0]
        attempts.append(True)
        return client.create_internet_gateway(**params)["InternetGateway"]

    return retry_decorator(attempts=getattr(client, "stack_attempts", DEFAULT_ATTEMPTS))(attempt)()


@EC2NetworkErrorHandler.common_error_handler("attach internet gateway {igw_id} to VPC {vpc_id}")
def attach_internet_gateway(client: Any, igw_id: str, vpc_id: str, timeout: float = 0, note: Optional[Note] = None) -> bool:
    """AttachInternetGateway. ``timeout``: for a gateway created a moment ago, how long
    ``InvalidInternetGatewayID.NotFound`` (EC2 eventual consistency) is tried again, each wait noted.
    ``Resource.AlreadyAssociated`` for this very VPC (a retried attach whose first reply was lost) is
    the attachment wanted."""
    from botocore.exceptions import ClientError

    try:
        retry_while(
            lambda: client.attach_internet_gateway(aws_retry=True, InternetGatewayId=igw_id, VpcId=vpc_id),
            ["InvalidInternetGatewayID.NotFound"], timeout=timeout, note=note, what=f"attach internet gateway {igw_id}",
        )
    except ClientError as e:
        if error_code(e) not in ALREADY_ATTACHED_CODES:
            raise
        igws = client.describe_internet_gateways(aws_retry=True, InternetGatewayIds=[igw_id]).get("InternetGateways") or []
        if not igws or igw_attached_vpcs(igws[0]) != [vpc_id]:
            raise
    return True


@EC2NetworkErrorHandler.deletion_error_handler("detach internet gateway {igw_id} from VPC {vpc_id}")
def detach_internet_gateway(client: Any, igw_id: str, vpc_id: str, timeout: float = RELEASE_TIMEOUT,
                            note: Optional[Note] = None) -> bool:
    """DetachInternetGateway; ``DependencyViolation`` ("Network vpc-... has some mapped public
    address(es)": a NAT gateway or load balancer deleted a moment ago still maps a public address)
    is tried again for ``timeout`` seconds, each wait told to ``note``. A gateway no longer attached
    is detached as wanted."""
    from botocore.exceptions import ClientError

    try:
        retry_while(
            lambda: client.detach_internet_gateway(aws_retry=True, InternetGatewayId=igw_id, VpcId=vpc_id),
            DEPENDENCY_CODES, timeout=timeout, note=note, what=f"detach internet gateway {igw_id} from VPC {vpc_id}",
        )
    except ClientError as e:
        if error_code(e) not in NOT_ATTACHED_CODES:
            raise
    return True


@EC2NetworkErrorHandler.deletion_error_handler("delete internet gateway {igw_id}")
def delete_internet_gateway(client: Any, igw_id: str, timeout: float = JUST_CREATED_TIMEOUT, note: Optional[Note] = None) -> bool:
    """DeleteInternetGateway; ``DependencyViolation`` (a detach of a moment ago not seen everywhere
    yet) is tried again for ``timeout`` seconds, each wait noted. A gateway already gone is nothing to delete."""
    retry_while(
        lambda: client.delete_internet_gateway(aws_retry=True, InternetGatewayId=igw_id),
        DEPENDENCY_CODES, timeout=timeout, note=note, what=f"delete internet gateway {igw_id}",
    )
    return True


def normalise_internet_gateway(igw: Dict[str, Any]) -> Dict[str, Any]:
    """A gateway in amazon.aws ec2_vpc_igw's result names (``gateway_id``, ``vpc_id``, tags as a dict)
    plus its ``attachments`` and ``owner_id``."""
    vpcs = igw_attached_vpcs(igw)
    return {
        "gateway_id": igw.get("InternetGatewayId"),
        "vpc_id": vpcs[0] if vpcs else None,
        "attachments": _snake_list(igw.get("Attachments")),
        "owner_id": igw.get("OwnerId"),
        "tags": tags_to_dict(igw.get("Tags")),
    }


# ---------------------------------------------------------------------------------------------
# Subnets
# ---------------------------------------------------------------------------------------------


def normalise_cidr(cidr: str) -> str:
    """Canonical IPv4 CIDR text, or raise ``ValueError`` with a message saying what to change."""
    try:
        network = ipaddress.IPv4Network(str(cidr), strict=True)
    except ValueError as e:
        raise ValueError(f"{cidr!r} is not a valid IPv4 network in CIDR notation ({e}); use e.g. 10.0.1.0/24") from None
    return str(network)


@EC2NetworkErrorHandler.list_error_handler("describe the subnets of VPC {vpc_id}", [])
def describe_subnets(client: Any, vpc_id: str) -> List[Dict[str, Any]]:
    subnets = _paginate(client, "describe_subnets", "Subnets", Filters=_filters({"vpc-id": [vpc_id]}))
    return [s for s in subnets if s.get("VpcId") == vpc_id]


@EC2NetworkErrorHandler.list_error_handler("describe subnets {subnet_ids}", [])
def describe_subnets_by_id(client: Any, subnet_ids: Iterable[str]) -> List[Dict[str, Any]]:
    if not subnet_ids:
        return []
    return _paginate(client, "describe_subnets", "Subnets", SubnetIds=list(subnet_ids))


@EC2NetworkErrorHandler.common_error_handler("create subnet {cidr_block} in {availability_zone} of VPC {vpc_id}")
def create_subnet(client: Any, vpc_id: str, cidr_block: str, availability_zone: str, tags: Optional[Dict[str, str]]) -> Dict[str, Any]:
    params = dict(VpcId=vpc_id, CidrBlock=cidr_block, AvailabilityZone=availability_zone)
    spec = tag_specifications("subnet", tags)
    if spec:
        params["TagSpecifications"] = spec
    return client.create_subnet(aws_retry=True, **params)["Subnet"]


@EC2NetworkErrorHandler.common_error_handler("set MapPublicIpOnLaunch={value} on subnet {subnet_id}")
def set_map_public_ip_on_launch(client: Any, subnet_id: str, value: bool) -> bool:
    just_created_retry(client.modify_subnet_attribute)(
        aws_retry=True, SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": bool(value)}
    )
    return True


@EC2NetworkErrorHandler.deletion_error_handler("delete subnet {subnet_id}")
def delete_subnet(client: Any, subnet_id: str, timeout: float = RELEASE_TIMEOUT, note: Optional[Note] = None) -> bool:
    """Delete a subnet; ``DependencyViolation`` (an interface of a resource deleted a moment ago
    is still being released) is tried again for ``timeout`` seconds, each wait told to ``note``."""
    retry_while(
        lambda: client.delete_subnet(aws_retry=True, SubnetId=subnet_id),
        DEPENDENCY_CODES, timeout=timeout, note=note, what=f"delete subnet {subnet_id}",
    )
    return True


def normalise_subnet(subnet: Dict[str, Any]) -> Dict[str, Any]:
    tags = tags_to_dict(subnet.get("Tags"))
    return {
        "id": subnet.get("SubnetId"),
        "name": tags.get("Name"),
        "cidr_block": subnet.get("CidrBlock"),
        "availability_zone": subnet.get("AvailabilityZone"),
        "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch", False)),
        "vpc_id": subnet.get("VpcId"),
        "tags": tags,
    }


def plan_subnet(current: Optional[Dict[str, Any]], desired: Dict[str, Any], common_tags: Optional[Dict[str, Any]],
                purge_tags: bool) -> Dict[str, Any]:
    """Compare one normalised subnet with one desired entry (cidr already canonical).

    Returns a dict ``{create, map_public_ip_on_launch, tags_to_set, tags_to_remove, after}``
    where ``map_public_ip_on_launch`` is the new value or ``None`` (no change) and ``after`` is
    the normalised subnet as it will be. Raises ``ValueError`` when the subnet would have to
    move to another AZ, which AWS cannot do.
    """
    name = desired["name"]
    if current is None:
        tags, _purge = item_tags(name, common_tags, desired.get("tags"))
        return {
            "create": True,
            "map_public_ip_on_launch": bool(desired.get("map_public_ip_on_launch")) or None,
            "tags_to_set": tags,
            "tags_to_remove": [],
            "after": {
                "id": None,
                "name": name,
                "cidr_block": desired["cidr"],
                "availability_zone": desired["az"],
                "map_public_ip_on_launch": bool(desired.get("map_public_ip_on_launch")),
                "vpc_id": desired.get("vpc_id"),
                "tags": tags,
            },
        }
    if current["availability_zone"] != desired["az"]:
        raise ValueError(
            f"Subnet {current['id']} ({current['cidr_block']}) is in {current['availability_zone']}, "
            f"not {desired['az']}: a subnet cannot move to another AZ. Set az: {current['availability_zone']} "
            f"for '{name}', or delete the subnet first (state: absent) and run again."
        )
    map_public = bool(desired.get("map_public_ip_on_launch"))
    to_set, to_remove, tags = item_tag_changes(current["tags"], name, common_tags, desired.get("tags"), purge_tags)
    after = dict(current, name=tags.get("Name"), map_public_ip_on_launch=map_public, tags=tags)
    return {
        "create": False,
        "map_public_ip_on_launch": map_public if map_public != current["map_public_ip_on_launch"] else None,
        "tags_to_set": to_set,
        "tags_to_remove": to_remove,
        "after": after,
    }


def plan_changes(plan: Dict[str, Any]) -> bool:
    return bool(
        plan["create"] or plan["map_public_ip_on_launch"] is not None or plan["tags_to_set"] or plan["tags_to_remove"]
    )


# ---------------------------------------------------------------------------------------------
# Elastic IPs
# ---------------------------------------------------------------------------------------------


@EC2NetworkErrorHandler.list_error_handler("describe Elastic IPs named {names}", [])
def describe_addresses_by_name(client: Any, names: Iterable[str]) -> List[Dict[str, Any]]:
    """VPC Elastic IPs whose Name tag is in ``names`` (tag filter re-checked client side)."""
    if not names:
        return []
    names = list(names)
    result = client.describe_addresses(aws_retry=True, Filters=_filters({"tag:Name": names, "domain": ["vpc"]}))
    addresses = result.get("Addresses") or []
    return [a for a in addresses if tags_to_dict(a.get("Tags")).get("Name") in names]


@EC2NetworkErrorHandler.list_error_handler("describe Elastic IP {allocation_id}", None)
def describe_address(client: Any, allocation_id: str) -> Optional[Dict[str, Any]]:
    addresses = client.describe_addresses(aws_retry=True, AllocationIds=[allocation_id]).get("Addresses") or []
    return addresses[0] if addresses else None


@EC2NetworkErrorHandler.common_error_handler("allocate an Elastic IP named {tags[Name]}")
def allocate_address(client: Any, tags: Optional[Dict[str, str]], taken: Iterable[str] = ()) -> Dict[str, Any]:
    """Allocate a VPC Elastic IP tagged at creation (``TagSpecifications``).

    AllocateAddress takes no idempotency token. So every attempt first looks for a free address
    with this Name tag (not in ``taken``): an attempt that AWS carried out but whose reply was
    lost (a 5xx or throttling answer after the fact, which the retry policy tries again) is then
    adopted instead of allocating a second address.
    """
    params = dict(Domain="vpc")
    spec = tag_specifications("elastic-ip", tags)
    if spec:
        params["TagSpecifications"] = spec
    attempts = []

    def attempt() -> Dict[str, Any]:
        if attempts and tags and tags.get("Name"):
            for address in describe_addresses_by_name(client, [tags["Name"]]):
                if address.get("AllocationId") not in taken and address_is_free(address):
                    return address
        attempts.append(True)
        return client.allocate_address(**params)

    return retry_decorator()(attempt)()


@EC2NetworkErrorHandler.deletion_error_handler("release Elastic IP {allocation_id}")
def release_address(client: Any, allocation_id: str, held_by_nat: bool = False, timeout: float = RELEASE_TIMEOUT,
                    note: Optional[Note] = None) -> bool:
    """Release an Elastic IP. ``held_by_nat``: a NAT gateway deleted by this run held it, so the
    refusals AWS gives while the gateway lets go of the address are ridden out for ``timeout``."""
    retry_while(
        lambda: client.release_address(aws_retry=True, AllocationId=allocation_id),
        ADDRESS_OF_NAT_CODES if held_by_nat else ADDRESS_IN_USE_CODES,
        timeout=timeout if held_by_nat else 0, note=note, what=f"release Elastic IP {allocation_id}",
    )
    return True


@EC2NetworkErrorHandler.deletion_error_handler("disassociate Elastic IP association {association_id}")
def disassociate_address(client: Any, association_id: str) -> bool:
    client.disassociate_address(aws_retry=True, AssociationId=association_id)
    return True


def address_is_free(address: Dict[str, Any], dead_enis: Iterable[str] = ()) -> bool:
    """An Elastic IP that nothing live holds.

    AWS frees the address of a deleted NAT gateway; moto keeps it associated with the dead
    gateway's network interface, so an association to one of ``dead_enis`` counts as free.
    """
    if address.get("InstanceId"):
        return False
    if not address.get("AssociationId") and not address.get("NetworkInterfaceId"):
        return True
    return address.get("NetworkInterfaceId") in set(dead_enis or ())


# ---------------------------------------------------------------------------------------------
# NAT gateways
# ---------------------------------------------------------------------------------------------


@EC2NetworkErrorHandler.list_error_handler(
    "describe the NAT gateways asked for (subnets: {subnet_ids}; VPC: {vpc_id}; ids: {nat_gateway_ids})", [])
def describe_nat_gateways(client: Any, subnet_ids: Optional[List[str]] = None, nat_gateway_ids: Optional[List[str]] = None,
                          states: Optional[List[str]] = None, vpc_id: Optional[str] = None) -> List[Dict[str, Any]]:
    """NAT gateways by subnet, VPC and/or id (server side), re-filtered client side.

    moto ignores ``tag:`` filters and returns deleted gateways, so identity (Name tag, state)
    is always decided by the caller on the returned list.
    """
    params = {}
    filters = _filters({"subnet-id": subnet_ids or [], "state": states or [], "vpc-id": [vpc_id] if vpc_id else []})
    if filters:
        params["Filter"] = filters
    if nat_gateway_ids:
        params["NatGatewayIds"] = list(nat_gateway_ids)
    gateways = _paginate(client, "describe_nat_gateways", "NatGateways", **params)
    if subnet_ids:
        gateways = [g for g in gateways if g.get("SubnetId") in subnet_ids]
    if states:
        gateways = [g for g in gateways if g.get("State") in states]
    if nat_gateway_ids:
        gateways = [g for g in gateways if g.get("NatGatewayId") in nat_gateway_ids]
    if vpc_id:
        gateways = [g for g in gateways if g.get("VpcId") == vpc_id]
    return gateways


def client_token() -> str:
    """An idempotency token for one logical create (EC2 takes up to 64 ASCII characters)."""
    return str(uuid.uuid4())


@EC2NetworkErrorHandler.common_error_handler("create NAT gateway {tags[Name]} in subnet {subnet_id}")
def create_nat_gateway(client: Any, subnet_id: str, allocation_id: str, tags: Optional[Dict[str, str]],
                       token: Optional[str] = None) -> Dict[str, Any]:
    """CreateNatGateway with one ``ClientToken`` for the call and all its retries.

    botocore fills in a fresh token on every attempt when none is given, so a retry of a call
    whose reply was lost would create a second gateway; with the same token AWS answers the
    first gateway again (EC2 "Ensuring idempotency").
    """
    params = dict(SubnetId=subnet_id, AllocationId=allocation_id, ClientToken=token or client_token())
    spec = tag_specifications("natgateway", tags)
    if spec:
        params["TagSpecifications"] = spec
    return just_created_retry(client.create_nat_gateway)(aws_retry=True, **params)["NatGateway"]


@EC2NetworkErrorHandler.common_error_handler("read back NAT gateways {nat_gateway_ids} just created")
def describe_just_created_nat_gateways(client: Any, nat_gateway_ids: List[str], timeout: float = JUST_CREATED_TIMEOUT,
                                       note: Optional[Note] = None) -> List[Dict[str, Any]]:
    """NAT gateways by id, for ids a create returned a moment ago (``NatGatewayNotFound`` /
    ``InvalidNatGatewayID.NotFound`` or a missing id tried again for ``timeout`` seconds)."""
    if not nat_gateway_ids:
        return []
    return _once_visible(lambda: describe_nat_gateways_raw(client, nat_gateway_ids), "NatGatewayId", nat_gateway_ids,
                         ["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"], timeout, note, "read NAT gateways just created")


def describe_nat_gateways_raw(client: Any, nat_gateway_ids: List[str]) -> List[Dict[str, Any]]:
    """NAT gateways by id; "not found" raised (for callers that retry it)."""
    gateways = _paginate(client, "describe_nat_gateways", "NatGateways", NatGatewayIds=list(nat_gateway_ids))
    return [g for g in gateways if g.get("NatGatewayId") in nat_gateway_ids]


@EC2NetworkErrorHandler.deletion_error_handler("delete NAT gateway {nat_gateway_id}")
def delete_nat_gateway(client: Any, nat_gateway_id: str) -> bool:
    client.delete_nat_gateway(aws_retry=True, NatGatewayId=nat_gateway_id)
    return True


def nat_primary_address(gateway: Dict[str, Any]) -> Dict[str, Any]:
    addresses = gateway.get("NatGatewayAddresses") or []
    for address in addresses:
        if address.get("IsPrimary"):
            return address
    return addresses[0] if addresses else {}


def nat_enis(gateways: Iterable[Dict[str, Any]]) -> Set[str]:
    return {a.get("NetworkInterfaceId") for g in gateways for a in (g.get("NatGatewayAddresses") or []) if a.get("NetworkInterfaceId")}


def normalise_nat_gateway(gateway: Dict[str, Any]) -> Dict[str, Any]:
    tags = tags_to_dict(gateway.get("Tags"))
    address = nat_primary_address(gateway)
    return {
        "id": gateway.get("NatGatewayId"),
        "name": tags.get("Name"),
        "subnet_id": gateway.get("SubnetId"),
        "vpc_id": gateway.get("VpcId"),
        "state": gateway.get("State"),
        "allocation_id": address.get("AllocationId"),
        "public_ip": address.get("PublicIp"),
        "tags": tags,
    }


def find_nat_gateway(gateways: List[Dict[str, Any]], name: str, subnet_id: str) -> Tuple[Optional[Dict[str, Any]], List[Dict[str, Any]]]:
    """The live NAT gateway named ``name`` in ``subnet_id``: ``(gateway, extra_matches)``.

    Identity is Name tag + subnet among gateways in ``pending``/``available``; when several
    match (left behind by another tool), the oldest one is the gateway and the rest are returned
    so the module can warn about them.
    """
    matches = [
        g
        for g in gateways
        if g.get("SubnetId") == subnet_id
        and g.get("State") in NAT_LIVE_STATES
        and tags_to_dict(g.get("Tags")).get("Name") == name
    ]
    matches.sort(key=lambda g: (str(g.get("CreateTime") or ""), g.get("NatGatewayId") or ""))
    if not matches:
        return None, []
    return matches[0], matches[1:]


def eip_name(nat_name: str) -> str:
    return f"{nat_name}-eip"


# ---------------------------------------------------------------------------------------------
# Route tables
# ---------------------------------------------------------------------------------------------


@EC2NetworkErrorHandler.list_error_handler("describe the route tables of VPC {vpc_id}", [])
def describe_route_tables(client: Any, vpc_id: str) -> List[Dict[str, Any]]:
    tables = _paginate(client, "describe_route_tables", "RouteTables", Filters=_filters({"vpc-id": [vpc_id]}))
    return [t for t in tables if t.get("VpcId") == vpc_id]


@EC2NetworkErrorHandler.common_error_handler("read back route tables {route_table_ids} of VPC {vpc_id}")
def describe_just_created_route_tables(client: Any, vpc_id: str, route_table_ids: List[str], timeout: float = JUST_CREATED_TIMEOUT,
                                       note: Optional[Note] = None) -> List[Dict[str, Any]]:
    """The VPC's route tables, once every id of ``route_table_ids`` (some created a moment ago) is
    visible (EC2 eventual consistency), tried again for ``timeout`` seconds."""
    return _once_visible(lambda: describe_route_tables(client, vpc_id), "RouteTableId", route_table_ids,
                         ["InvalidRouteTableID.NotFound"], timeout, note, "read route tables just created")


@EC2NetworkErrorHandler.common_error_handler("create route table {tags[Name]} in VPC {vpc_id}")
def create_route_table(client: Any, vpc_id: str, tags: Optional[Dict[str, str]]) -> Dict[str, Any]:
    params = dict(VpcId=vpc_id)
    spec = tag_specifications("route-table", tags)
    if spec:
        params["TagSpecifications"] = spec
    return client.create_route_table(aws_retry=True, **params)["RouteTable"]


@EC2NetworkErrorHandler.deletion_error_handler("delete route table {route_table_id}")
def delete_route_table(client: Any, route_table_id: str, timeout: float = RELEASE_TIMEOUT, note: Optional[Note] = None) -> bool:
    """Delete a route table; ``DependencyViolation`` (an association removed a moment ago still
    counted) is tried again for ``timeout`` seconds."""
    retry_while(
        lambda: just_created_retry(client.delete_route_table)(aws_retry=True, RouteTableId=route_table_id),
        DEPENDENCY_CODES, timeout=timeout, note=note, what=f"delete route table {route_table_id}",
    )
    return True


def _send_route(call: Callable[..., Any], verb: str, route_table_id: str, destination_cidr_block: str, target: Dict[str, str],
                timeout: float, note: Optional[Note]) -> bool:
    """CreateRoute / ReplaceRoute (``call``), the just-created codes tried again for ``timeout`` seconds, noted."""
    retry_while(
        lambda: call(aws_retry=True, RouteTableId=route_table_id, DestinationCidrBlock=destination_cidr_block, **target),
        JUST_CREATED_CODES, timeout=timeout, note=note, what=f"{verb} route {destination_cidr_block} in {route_table_id}",
    )
    return True


@EC2NetworkErrorHandler.common_error_handler("create route {destination_cidr_block} -> {target} in {route_table_id}")
def create_route(client: Any, route_table_id: str, destination_cidr_block: str, target: Dict[str, str],
                 timeout: float = JUST_CREATED_TIMEOUT, note: Optional[Note] = None) -> bool:
    """CreateRoute. AWS accepts a route to a NAT gateway that is still ``pending``; only a gateway
    id a few seconds old may answer ``InvalidNatGatewayID.NotFound`` (eventual consistency,
    boto/boto3#779): the just-created codes are tried again for ``timeout`` seconds, noted."""
    return _send_route(client.create_route, "create", route_table_id, destination_cidr_block, target, timeout, note)


@EC2NetworkErrorHandler.common_error_handler("replace route {destination_cidr_block} -> {target} in {route_table_id}")
def replace_route(client: Any, route_table_id: str, destination_cidr_block: str, target: Dict[str, str],
                  timeout: float = JUST_CREATED_TIMEOUT, note: Optional[Note] = None) -> bool:
    """ReplaceRoute, with the just-created codes tried again as in ``create_route``."""
    return _send_route(client.replace_route, "replace", route_table_id, destination_cidr_block, target, timeout, note)


@EC2NetworkErrorHandler.deletion_error_handler("delete route {destination_cidr_block} from {route_table_id}")
def delete_route(client: Any, route_table_id: str, destination_cidr_block: str) -> bool:
    client.delete_route(aws_retry=True, RouteTableId=route_table_id, DestinationCidrBlock=destination_cidr_block)
    return True


@EC2NetworkErrorHandler.common_error_handler("associate subnet {subnet_id} with route table {route_table_id}")
def associate_route_table(client: Any, route_table_id: str, subnet_id: str) -> Optional[str]:
    result = just_created_retry(client.associate_route_table)(aws_retry=True, RouteTableId=route_table_id, SubnetId=subnet_id)
    return result.get("AssociationId")


@EC2NetworkErrorHandler.common_error_handler("move association {association_id} to route table {route_table_id}")
def replace_route_table_association(client: Any, association_id: str, route_table_id: str) -> Optional[str]:
    result = just_created_retry(client.replace_route_table_association)(
        aws_retry=True, AssociationId=association_id, RouteTableId=route_table_id
    )
    return result.get("NewAssociationId")


@EC2NetworkErrorHandler.deletion_error_handler("disassociate route table association {association_id}")
def disassociate_route_table(client: Any, association_id: str) -> bool:
    client.disassociate_route_table(aws_retry=True, AssociationId=association_id)
    return True


def is_main_route_table(table: Dict[str, Any]) -> bool:
    return any(a.get("Main") for a in table.get("Associations") or [])


def route_target(route: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """``(key, value)`` of a route's target in boto3 spelling, e.g. ``("NatGatewayId", "nat-1")``."""
    for key in ROUTE_TARGET_KEYS + OTHER_ROUTE_TARGET_KEYS:
        if route.get(key):
            return key, route[key]
    return None, None


def is_managed_route(route: Dict[str, Any]) -> bool:
    """Whether ``purge_routes`` may touch a route.

    Never the ``local`` route, never a propagated (VGW) route, and only IPv4 destinations.
    ``Origin`` is read with ``.get``: LocalStack omits it.
    """
    if not route.get("DestinationCidrBlock"):
        return False
    if route.get("GatewayId") == "local":
        return False
    if route.get("Origin") in ("CreateRouteTable", "EnableVgwRoutePropagation"):
        return False
    return True


def _snake(key: str) -> str:
    out = ""
    for ch in key:
        out += "_" + ch.lower() if ch.isupper() else ch
    return out.lstrip("_")


def normalise_route(route: Dict[str, Any]) -> Dict[str, Any]:
    result = {"destination_cidr_block": route.get("DestinationCidrBlock")}
    key, value = route_target(route)
    if key:
        result[_snake(key)] = value
    result["state"] = route.get("State")
    return result


def table_subnet_associations(table: Dict[str, Any]) -> Dict[str, Optional[str]]:
    """``{subnet_id: association_id}`` of a table's explicit subnet associations."""
    return {
        a["SubnetId"]: a.get("RouteTableAssociationId")
        for a in table.get("Associations") or []
        if a.get("SubnetId") and (a.get("AssociationState") or {}).get("State", "associated") in ("associated", "associating")
    }


def normalise_route_table(table: Dict[str, Any]) -> Dict[str, Any]:
    tags = tags_to_dict(table.get("Tags"))
    return {
        "id": table.get("RouteTableId"),
        "name": tags.get("Name"),
        "vpc_id": table.get("VpcId"),
        "routes": [normalise_route(r) for r in table.get("Routes") or [] if r.get("DestinationCidrBlock")],
        "subnet_ids": sorted(table_subnet_associations(table)),
        "tags": tags,
    }


def desired_route_target(route: Dict[str, Any], allow_unknown: bool = False) -> Tuple[str, Tuple[Optional[str], Optional[str]]]:
    """Validate one desired route: ``(cidr, (key, value))``; raise ``ValueError`` saying what to fix.

    With ``allow_unknown`` (check mode), a route without any target is accepted as
    ``(cidr, (None, None))``: its gateway is created by an earlier task of the same run, so its
    id is not known yet.
    """
    cidr = route.get("destination_cidr_block")
    targets = [(k, route.get(o)) for k, o in (("GatewayId", "gateway_id"), ("NatGatewayId", "nat_gateway_id")) if route.get(o)]
    if not targets and allow_unknown:
        return normalise_cidr(cidr), (None, None)
    if len(targets) != 1:
        raise ValueError(
            f"Route {cidr}: set exactly one of gateway_id or nat_gateway_id (got {len(targets)})."
        )
    return normalise_cidr(cidr), targets[0]


def plan_routes(current_routes: Optional[List[Dict[str, Any]]], desired_routes: Optional[List[Dict[str, Any]]], purge_routes: bool,
                allow_unknown: bool = False) -> Dict[str, List[Any]]:
    """Compare a table's current routes with the desired ones.

    ``desired_routes`` is ``None`` (leave routes alone) or a list of route dicts as in the module
    options. Returns ``{"create": [(cidr, target)], "replace": [(cidr, target)], "delete": [cidr]}``
    with ``target`` a one-item dict such as ``{"NatGatewayId": "nat-1"}`` (empty for a target not
    known yet, see ``desired_route_target``).
    """
    plan = {"create": [], "replace": [], "delete": []}
    if desired_routes is None:
        return plan
    current = {r["DestinationCidrBlock"]: r for r in current_routes or [] if r.get("DestinationCidrBlock")}
    wanted = {}
    for route in desired_routes:
        cidr, (key, value) = desired_route_target(route, allow_unknown)
        if cidr in wanted:
            raise ValueError(f"Route {cidr} is listed twice in one route table: keep one entry per destination.")
        wanted[cidr] = (key, value)
    for cidr, (key, value) in wanted.items():
        existing = current.get(cidr)
        target = {key: value} if key else {}
        if existing is None:
            plan["create"].append((cidr, target))
        elif not is_managed_route(existing):
            raise ValueError(
                f"Route {cidr} is the VPC's local route or a propagated route, which this module never changes: remove it from routes."
            )
        elif route_target(existing) != (key, value):
            plan["replace"].append((cidr, target))
    if purge_routes:
        for cidr, route in current.items():
            if cidr not in wanted and is_managed_route(route):
                plan["delete"].append(cidr)
    return plan


def apply_route_plan_to_routes(current_routes: Optional[List[Dict[str, Any]]], plan: Dict[str, List[Any]]) -> List[Dict[str, Any]]:
    """The normalised routes a table will have after ``plan`` (for check mode and diffs)."""
    routes = {r["DestinationCidrBlock"]: dict(r) for r in current_routes or [] if r.get("DestinationCidrBlock")}
    for cidr in plan["delete"]:
        routes.pop(cidr, None)
    for cidr, target in plan["create"] + plan["replace"]:
        route = {"DestinationCidrBlock": cidr, "State": "active", "Origin": "CreateRoute"}
        route.update(target)
        routes[cidr] = route
    return [normalise_route(r) for r in routes.values()]


def plan_associations(table_id: str, desired_subnets: Optional[List[str]], purge_subnets: bool,
                      subnet_owner: Dict[str, Tuple[str, Optional[str]]]) -> Dict[str, List[Any]]:
    """Association changes of one table.

    ``subnet_owner`` maps every explicitly associated subnet of the VPC to
    ``(route_table_id, association_id)``; it is updated in place so that several tables of
    one call see each other's moves. Returns ``{"associate": [subnet], "replace":
    [(subnet, association_id, from_table)], "disassociate": [(subnet, association_id)]}``.
    """
    plan = {"associate": [], "replace": [], "disassociate": []}
    if desired_subnets is None:
        return plan
    desired = list(dict.fromkeys(desired_subnets))
    for subnet in desired:
        owner = subnet_owner.get(subnet)
        if owner is None:
            plan["associate"].append(subnet)
            subnet_owner[subnet] = (table_id, None)
        elif owner[0] != table_id:
            plan["replace"].append((subnet, owner[1], owner[0]))
            subnet_owner[subnet] = (table_id, None)
    if purge_subnets:
        for subnet, (owner_table, association_id) in list(subnet_owner.items()):
            if owner_table == table_id and subnet not in desired:
                plan["disassociate"].append((subnet, association_id))
                del subnet_owner[subnet]
    return plan
