"""The test harness's model of AWS's resource lifecycles, played on top of moto by scripts/aws_proxy.py.

moto makes everything ready at once, deletes at once (replication groups: never), and never says
"in use". With ``aws_proxy.py --aws-model [--time-scale F]`` every AWS call goes through
``AwsModel.handle``, which answers from what AWS would report at this moment: it is driven only by
the clock and by the ids it sees in the requests and answers (never by User-Agent marks). Due
events are processed lazily on each request; state sits behind one lock (ThreadingHTTPServer).

Every duration below is an AWS duration in seconds; the model waits duration x F (F=0: instant,
while everything that is not timing still applies). Errors are sent in the service's own wire
protocol (EC2 query XML, query ``ErrorResponse``, ECS/Logs json-1.1 ``__type``, EFS rest-json
``x-amzn-ErrorType``), so botocore raises ClientError with AWS's code.

| behaviour | AWS duration | code / answer | source |
|---|---|---|---|
| NAT gateway ``pending``, then ``available`` | 90 s | describe State | [nat] |
| NAT gateway ``deleting``, then ``deleted`` | 60 s | describe State | [nat] |
| EIP of a NAT gateway not yet ``deleted`` cannot be released | until deleted | InvalidIPAddress.InUse | [eip] |
| IGW detach while a NAT gateway / internet-facing ALB ENI maps a public address | until deleted / released | DependencyViolation | [igw] |
| DB instance ``creating``: no Endpoint, DbInstancePort 0 | 420 s | describe | [db] |
| DB instance ``deleting``, then gone (final snapshot kept, as moto makes it) | 300 s | describe, then DBInstanceNotFound | [dbdel] |
| DeleteDBSubnetGroup while an instance (also deleting) uses it | until gone | InvalidDBSubnetGroupStateFault | [dbsub] |
| ModifyDBInstance while not ``available`` (creating, deleting) | 420 s / 300 s | InvalidDBInstanceState | [dbstate] |
| DeleteDBInstance asking for a final snapshot while ``creating`` | 420 s | InvalidDBInstanceState | [dbstate] |
| replication group ``creating``: no Primary/Reader/Configuration/node-group endpoints | 420 s | describe | [rg] |
| replication group ``deleting``, then gone from every describe (moto: deleting forever) | 400 s | ReplicationGroupNotFoundFault | [rgdel] |
| Modify/DeleteReplicationGroup while ``creating`` or ``deleting`` | 420 s / 400 s | InvalidReplicationGroupState | [rgstate] |
| DeleteCacheSubnetGroup answered (moto: HTML 500); refused while a group uses it | until the group is gone | CacheSubnetGroupInUse | [csg] |
| member cache clusters of a replication group describable (moto: not), NumCacheClusters of them (moto: 1) | - | DescribeCacheClusters | [members] |
| load balancer ``provisioning``, then ``active`` | 150 s | describe State.Code | [lb] |
| DeleteTargetGroup of a just-deleted load balancer's target groups | 30 s | ResourceInUse | [tg] |
| SGs / subnets of a deleted load balancer held while its ENIs are released | 90 s | DependencyViolation | [dep] |
| EFS file system ``creating`` | 5 s | LifeCycleState | [fs] |
| mount target ``creating``; after DeleteMountTarget ``deleting``, then gone | 90 s / 60 s | LifeCycleState | [mt] |
| DeleteFileSystem while mount targets exist (also deleting ones) | until gone | FileSystemInUse | [fsinuse] |
| CreateMountTarget / CreateAccessPoint while the file system is ``creating`` | 5 s | IncorrectFileSystemLifeCycleState | [fsstate] |
| ECS rollout IN_PROGRESS, runningCount 0; then one PRIMARY COMPLETED, running = desired | 120 s | DescribeServices | [rollout] |
| ECS DeleteService: DRAINING, then INACTIVE; neither listed by ListServices | 60 s | DescribeServices status | [drain] |
| CreateService of a DRAINING service's name; of an ACTIVE one's (moto replaces it) | 60 s / - | InvalidParameterException | [svcname] |
| DeleteCluster while a service is not INACTIVE | until drained | ClusterContainsServicesException | [cluster] |
| SGs / subnets of tasks, DB instances, cache groups, mount targets held | until drained / gone | DependencyViolation | [dep] |
| fresh account: ECS service-linked role not assumable (CreateCluster, CreateService) | 20 s from the first CreateCluster or CreateService | InvalidParameterException | [slr] |
| a describe naming a new subnet / NAT gateway / security group | 3 s | InvalidSubnetID.NotFound, NatGatewayNotFound, InvalidGroup.NotFound | [ec] |
| CreateRoute / ReplaceRoute naming a new NAT gateway | 3 s | InvalidNatGatewayID.NotFound | [ec] |
| a route to a ``pending`` NAT gateway is accepted | - | CreateRoute succeeds | [route] |
| RDS automatic minor version upgrade (POST /aws-model/rds-minor-upgrade) | on demand | EngineVersion 16.4 -> 16.5 | [amvu] |
| CreateDBInstance of a deleted instance's name whose automated backups were kept (moto: DBSnapshotAlreadyExists in the same minute) | - | created | [retained] |
| CreateDBInstance with a major version only ("16") creates that major's default minor ("16.4") | - | EngineVersion | [major-only] |
| small pages (``--page-size``) of list/describe calls that name no ids | - | NextToken / NextMarker | [pages] |
| a create repeated with its idempotency token answers the first answer | - | the first answer | [token] |
| EFS CreateFileSystem repeated with its CreationToken | - | FileSystemAlreadyExists (moto does it) | [fstoken] |
| ``--lost-replies``: a create is done, but its answer is a 500 | - | InternalError / InternalFailure | [token] |

Sources (botocore service-2.json doc strings unless said otherwise):
- [nat] EC2 NatGateway.State: pending | failed | available | deleting | deleted.
- [eip] EC2 ReleaseAddress: "You must disassociate the Elastic IP address before you can release it. Otherwise, Amazon EC2
  returns an error (InvalidIPAddress.InUse)."
- [igw] EC2 DetachInternetGateway: "The VPC must not contain any running instances with Elastic IP addresses or public IPv4
  addresses"; AWS's message "Network vpc-... has some mapped public address(es). Please unmap those public address(es)
  before detaching the gateway." (seen in terraform-provider-aws destroy logs).
- [db] RDS DBInstance.Endpoint / DBInstanceStatus; AWS RDS user guide "Viewing Amazon RDS DB instance status" (creating).
- [dbdel] RDS DeleteDBInstance: "If you request a final DB snapshot, the status of the Amazon RDS DB instance is deleting until
  the DB snapshot is created."
- [dbsub] RDS InvalidDBSubnetGroupStateFault: "The DB subnet group cannot be deleted because it's in use."
- [dbstate] RDS InvalidDBInstanceStateFault (code InvalidDBInstanceState): "The DB instance isn't in a valid state."
- [rg] ElastiCache ReplicationGroup.Status (creating, available, modifying, deleting, ...), NodeGroup.PrimaryEndpoint.
- [rgdel] ElastiCache DeleteReplicationGroup: "Amazon ElastiCache immediately begins deleting the selected resources".
- [rgstate] ElastiCache InvalidReplicationGroupStateFault (code InvalidReplicationGroupState): "not in the available state".
- [csg] ElastiCache DeleteCacheSubnetGroup: "You cannot delete a default cache subnet group or one that is associated with
  any clusters."; CacheSubnetGroupInUse: "The requested cache subnet group is currently in use."
- [members] ElastiCache ReplicationGroup.MemberClusters ("The names of all the cache clusters that are part of this
  replication group") and the CacheCluster shape (DescribeCacheClusters).
- [lb] ELBv2 LoadBalancerState.Code: active | provisioning | active_impaired | failed.
- [tg] terraform-provider-aws lb_target_group delete retries ResourceInUse "is currently in use by a listener or a rule".
- [dep] EC2 DeleteSecurityGroup / DeleteSubnet (dependencies: DependencyViolation); terraform-provider-aws retries
  DependencyViolation on security group and subnet deletes (ENIs of ELB, RDS, ElastiCache, EFS, ECS are released late).
- [fs] EFS CreateFileSystem: "an initial lifecycle state creating".
- [mt] EFS MountTargetDescription.LifeCycleState; DeleteMountTarget: "The operation also deletes the associated network
  interface."
- [fsinuse] EFS FileSystemInUse: "Returned if a file system has mount targets."; DeleteFileSystem.
- [fsstate] EFS IncorrectFileSystemLifeCycleState: "Returned if the file system's lifecycle state is not available".
- [rollout] ECS Deployment.rolloutState / runningCount; the services-stable waiter (one deployment, running = desired).
- [drain] ECS DeleteService: "the service status moves from ACTIVE to DRAINING, and the service is no longer visible in the
  console or in the ListServices API operation. After all tasks have transitioned to either STOPPING or STOPPED status,
  the service status moves from DRAINING to INACTIVE".
- [svcname] ECS CreateService: service names must be unique in a cluster; AWS's messages "Unable to Start a service that
  is still Draining." (quoted by ecs-cli deploy scripts that sleep or retry on it) and "Creation of service was not
  idempotent.".
- [cluster] ECS ClusterContainsServicesException: "You can't delete a cluster that contains services."
- [slr] terraform-provider-aws ecs cluster create retries InvalidParameterException "Unable to assume the service linked
  role"; ECS "Using service-linked roles" guide (the role is created on first use).
- [ec] EC2 API reference "Eventual consistency in the Amazon EC2 API" (a resource may not be visible right after it is
  created; callers retry the NotFound codes).
- [route] EC2 CreateRoute: a target must exist, no state precondition on NatGatewayId; the NAT gateway guide adds the route
  right after CreateNatGateway.
- [amvu] RDS CreateDBInstance AutoMinorVersionUpgrade: "minor engine upgrades are applied automatically to the DB instance
  during the maintenance window" (on by default).
- [major-only] RDS DescribeDBEngineVersions DefaultOnly (each major has a default minor); terraform-provider-aws
  db_instance engine_version doc: with auto minor upgrades on, a version prefix such as "16" may be given.
- [retained] RDS DeleteDBInstance DeleteAutomatedBackups ("whether to remove automated backups immediately after the DB
  instance is deleted"); DBInstanceAutomatedBackup ("An automated backup of a DB instance ... that existed at the time you deleted the source
  instance") is keyed by DbiResourceId, "The resource ID for the source DB instance, which can't be changed and which is
  unique to an Amazon Web Services Region" (a new instance of the same name has a new one).
- [pages] the services' paginators (botocore paginators-1.json: NextToken / Marker).
- [token] EC2 CreateNatGateway ClientToken, ECS CreateService clientToken, EFS CreateAccessPoint ClientToken
  ("to ensure the idempotency of the request"); EC2 guide "Ensuring idempotency".
- [fstoken] EFS CreateFileSystem: "Otherwise, this operation returns a FileSystemAlreadyExists error with the ID of the
  existing file system."

moto's gaps the model also fills, so that names can be used again after a teardown: a cache subnet
group the model deleted can be created again (the model answers and describes it with its new
subnets; ModifyCacheSubnetGroup, an HTTP 500 in moto, is answered the same way), and a replication
group deleted for good can be created again under its id (moto, which keeps the old one
``deleting`` forever, holds the new one as ``<id>-rN``; the model translates ids, member ids and
ARNs both ways).

Not modelled: a DB instance's ``modifying`` / ``backing-up`` states and pending modifications;
replacing a live resource by name (ELBv2 CreateLoadBalancer on an existing name still makes a
second one in moto); eventual consistency outside EC2.
"""

from __future__ import annotations

import copy
import http.client
import json
import random
import re
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field

# AWS durations, seconds (scaled by --time-scale).
NAT_CREATE = 90
NAT_DELETE = 60
DB_CREATE = 420
DB_DELETE = 300
RG_CREATE = 420
RG_DELETE = 400  # longer than DB_DELETE: code that waits for the DB and assumes the cache is gone too is caught
LB_CREATE = 150
LB_ENI_RELEASE = 90
LB_TG_IN_USE = 30
EFS_CREATE = 5
MT_CREATE = 90
MT_DELETE = 60
ECS_ROLLOUT = 120
ECS_DRAIN = 60
ECS_SLR = 20
EC2_CONSISTENCY = 3

SLR_MESSAGE = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."
DEFAULT_MINOR = 4  # the minor version AWS picks when a create names a major version only
TOKEN_PREFIX = "awsmodel-"
# A test's own reads (not the collection's) ask for whole answers with this header set to "off".
WHOLE_PAGES_HEADER = "X-Aws-Model-Pages"
REQUEST_ID = "00000000-0000-0000-0000-00000000a0b5"
XML_NS = {
    "ec2": "http://ec2.amazonaws.com/doc/2016-11-15/",
    "rds": "http://rds.amazonaws.com/doc/2014-10-31/",
    "elasticache": "http://elasticache.amazonaws.com/doc/2015-02-02/",
    "elasticloadbalancing": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
}
EFS = "elasticfilesystem"


# --------------------------------------------------------------------------------------------
# Requests, answers, errors

@dataclass
class Call:
    """One AWS request as the proxy received it."""

    method: str
    path: str
    headers: dict
    body: bytes
    service: str
    action: str
    protocol: str
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.params:
            self.params = parse_params(self)

    def header(self, name, default=""):
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return default


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes
    note: str | None = None  # the error code when the model refused the call itself (logged by the proxy)

    @property
    def ok(self):
        return 200 <= self.status < 300


def parse_params(call: Call) -> dict:
    if call.protocol == "query":
        return dict(urllib.parse.parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
    out = {}
    if call.protocol == "rest":
        out.update(urllib.parse.parse_qsl(urllib.parse.urlparse(call.path).query, keep_blank_values=True))
    if call.protocol in ("json", "rest") and call.body:
        try:
            data = json.loads(call.body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            out.update(data)
    return out


def plist(params: dict, prefix: str) -> list:
    """Values of a query-protocol list parameter: ``Prefix.N`` or ``Prefix.member.N``."""
    pat = re.compile(r"^%s\.(?:member\.|item\.)?(\d+)$" % re.escape(prefix))
    found = sorted((int(m.group(1)), v) for k, v in params.items() for m in [pat.match(k)] if m)
    return [v for _n, v in found]


def error_reply(service: str, protocol: str, code: str, message: str, status: int = 400) -> Reply:
    """An AWS error in the service's own wire protocol."""
    esc = _xml_escape
    if protocol == "query" and service == "ec2":
        body = ('<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message>'
                "</Error></Errors><RequestID>%s</RequestID></Response>" % (esc(code), esc(message), REQUEST_ID))
        return Reply(status, {"Content-Type": "text/xml;charset=UTF-8"}, body.encode(), code)
    if protocol == "query":
        kind = "Receiver" if status >= 500 else "Sender"
        body = ('<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s'
                "</Message></Error><RequestId>%s</RequestId></ErrorResponse>" % (kind, esc(code), esc(message), REQUEST_ID))
        return Reply(status, {"Content-Type": "text/xml"}, body.encode(), code)
    if protocol == "rest":
        body = json.dumps({"ErrorCode": code, "Message": message}).encode()
        return Reply(status, {"Content-Type": "application/json", "x-amzn-ErrorType": code,
                              "x-amzn-RequestId": REQUEST_ID}, body, code)
    body = json.dumps({"__type": code, "message": message}).encode()
    return Reply(status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": REQUEST_ID}, body, code)


def internal_error(service: str, protocol: str) -> Reply:
    """The 500 of a reply lost after the create was done (--lost-replies)."""
    code = "InternalError" if service == "ec2" else "InternalFailure"
    return error_reply(service, protocol, code, "We encountered an internal error. Please try again. (lost reply, aws_model)",
                       500)


def _xml_escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------------------------
# XML and JSON helpers

def xml_load(body: bytes):
    root = ET.fromstring(body)
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def xml_dump(root) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root)


def xml_reply(reply: Reply, root) -> Reply:
    headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-length"}
    return Reply(reply.status, headers, xml_dump(root))


def with_child(root, id_tag: str):
    """(parent, element) of every element that has a direct child ``id_tag``."""
    for parent in root.iter():
        for el in list(parent):
            if el.find(id_tag) is not None:
                yield parent, el


def set_text(el, tag: str, value) -> None:
    node = el.find(tag)
    if node is None:
        node = ET.SubElement(el, tag)
    node.text = str(value)


def drop(el, *tags) -> None:
    for tag in tags:
        for node in el.findall(tag):
            el.remove(node)


def xml_response(service: str, action: str, result_children: list) -> bytes:
    """A query-protocol success answer ``<ActionResponse><ActionResult>...``."""
    root = ET.Element("%sResponse" % action, {"xmlns": XML_NS.get(service, "")})
    result = ET.SubElement(root, "%sResult" % action)
    for child in result_children:
        result.append(child)
    meta = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(meta, "RequestId").text = REQUEST_ID
    return b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root)


def forwarded_json(call, forward):
    """moto's answer to ``call`` and its JSON body, or ``None`` for the body when moto refused the call."""
    reply = forward(call)
    return reply, (json.loads(reply.body) if reply.ok else None)


def json_reply(reply: Reply, data) -> Reply:
    headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-length"}
    return Reply(reply.status, headers, json.dumps(data).encode())


def cluster_name(value) -> str:
    value = value or "default"
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def bump_minor(version: str) -> str:
    """16.4 -> 16.5; 8.0.35 -> 8.0.36; a version without a numeric last part is kept."""
    parts = version.split(".")
    if len(parts) < 2 or not parts[-1].isdigit():
        return version
    parts[-1] = str(int(parts[-1]) + 1)
    return ".".join(parts)


def page(items: list, offset: int, size: int) -> tuple[list, str | None]:
    """One page of ``items`` from ``offset`` and the token of the next page (None at the end)."""
    chunk = items[offset:offset + size]
    nxt = offset + size
    return chunk, (TOKEN_PREFIX + str(nxt) if nxt < len(items) else None)


def token_offset(token) -> int | None:
    if isinstance(token, str) and token.startswith(TOKEN_PREFIX) and token[len(TOKEN_PREFIX):].isdigit():
        return int(token[len(TOKEN_PREFIX):])
    return None


# --------------------------------------------------------------------------------------------
# The model

# Creates whose answer --lost-replies may lose, and their idempotency token parameter (None: none).
CREATES = {
    ("ec2", "CreateNatGateway"): "ClientToken",
    ("ec2", "AllocateAddress"): None,
    ("ecs", "CreateService"): "clientToken",
    (EFS, "POST /2015-02-01/file-systems"): None,  # CreationToken: AWS answers FileSystemAlreadyExists (moto too)
    (EFS, "POST /2015-02-01/access-points"): "ClientToken",
    ("elasticloadbalancing", "CreateLoadBalancer"): None,
    ("rds", "CreateDBInstance"): None,
    ("elasticache", "CreateReplicationGroup"): None,
}

# Paginated calls: (service, action) -> (list key/element, request size param, request token param,
# answer token element, params naming specific resources: no paging then).
PAGED = {
    ("ec2", "DescribeSubnets"): ("subnetSet", "MaxResults", "NextToken", "nextToken", ("SubnetId",)),
    ("ec2", "DescribeSecurityGroups"): ("securityGroupInfo", "MaxResults", "NextToken", "nextToken", ("GroupId", "GroupName")),
    ("ec2", "DescribeRouteTables"): ("routeTableSet", "MaxResults", "NextToken", "nextToken", ("RouteTableId",)),
    ("elasticloadbalancing", "DescribeTargetGroups"): ("TargetGroups", "PageSize", "Marker", "NextMarker", ("TargetGroupArns", "Names")),
    ("ecs", "ListServices"): ("serviceArns", "maxResults", "nextToken", "nextToken", ()),
    ("ecs", "ListTaskDefinitions"): ("taskDefinitionArns", "maxResults", "nextToken", "nextToken", ()),
    ("logs", "DescribeLogGroups"): ("logGroups", "limit", "nextToken", "nextToken", ("logGroupIdentifiers",)),
}


class AwsModel:
    """AWS's lifecycle on top of moto. ``handle(call, forward)`` answers one AWS call."""

    def __init__(self, target: str, time_scale: float = 0.0, page_size: int = 0, lost_replies: float = 0.0,
                 seed=None, clock=time.monotonic):
        self.target = urllib.parse.urlparse(target)
        self.scale = float(time_scale)
        self.page_size = int(page_size)
        self.lost_replies = float(lost_replies)
        self.rng = random.Random(seed)
        self.clock = clock
        self.lock = threading.RLock()
        self.reset()

    # -- state --------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.nats: dict = {}        # nat id -> {created, deleted, vpc, subnet, allocations}
            self.fresh: dict = {}       # ec2 id (subnet, sg, nat) -> created
            self.dbs: dict = {}         # db id -> {created, deleted, ghost (XML element), subnet_group, sgs, subnets}
            self.rgs: dict = {}         # rg id -> {created, deleted, params..., members}
            self.csgs: dict = {}        # cache subnet group name -> subnet ids
            self.csg_deleted: set = set()
            self.csg_override: dict = {}  # cache subnet group name -> the element the model describes (recreated, modified)
            self.rg_alias: dict = {}    # replication group id -> the id moto knows its recreation by
            self.lbs: dict = {}         # lb arn -> {created, deleted, sgs, subnets, vpc, public, tgs}
            self.fss: dict = {}         # fs id -> created
            self.mts: dict = {}         # mount target id -> {created, deleted, fs, subnet, sgs, json}
            self.services: dict = {}    # (cluster, name) -> {...}
            self.ecs_first = None       # time of the first CreateCluster/CreateService since reset
            self.tokens: dict = {}      # (service, action, token) -> Reply
            self.auth: dict = {}        # service -> headers of its latest call (for internal calls)

    def now(self) -> float:
        return self.clock()

    def within(self, start, aws_seconds) -> bool:
        """True while ``aws_seconds`` (scaled) have not passed since ``start``."""
        return start is not None and self.now() < start + aws_seconds * self.scale

    # -- internal calls to moto -------------------------------------------------------------------
    def send(self, method: str, path: str, headers: dict, body: bytes) -> Reply:
        conn = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return Reply(resp.status, dict(resp.getheaders()), resp.read())
        finally:
            conn.close()

    def query(self, service: str, params: dict) -> Reply | None:
        """A query-protocol call to moto with the headers of this service's latest call."""
        headers = self.auth.get(service)
        if headers is None:
            return None
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "x-amz-target")}
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        return self.send("POST", "/", headers, urllib.parse.urlencode(params).encode())

    # -- entry points -------------------------------------------------------------------------------
    def handle(self, call: Call, forward) -> Reply:
        """Answer ``call``; ``forward(call) -> Reply`` sends it (or a rewritten copy) to moto."""
        with self.lock:
            self.auth[call.service] = dict(call.headers)
            if call.service == "ecs" and call.action in ("CreateCluster", "CreateService") and self.ecs_first is None:
                # [slr] CreateCluster makes ECS create the account's service-linked role: it is not
                # assumable for a while after the first call that needs it (describes create nothing)
                self.ecs_first = self.now()
            handler = getattr(self, "_%s" % re.sub(r"[^A-Za-z0-9]", "_", "%s_%s" % (call.service, call.action)), None)
            key = (call.service, call.action)
            token_param = CREATES.get(key)
            token = call.params.get(token_param) if token_param else None
            if token and (call.service, call.action, token) in self.tokens:
                return self.tokens[(call.service, call.action, token)]  # AWS: a repeat answers the first answer
            if call.service == "elasticache":
                call = self._rg_alias_request(call)
            if key in PAGED and self.page_size > 0 and call.header(WHOLE_PAGES_HEADER).lower() != "off":
                reply = self._paged(call, forward)
            elif handler is None and call.service == EFS:
                reply = self._efs(call, forward)
            elif handler is None:
                reply = forward(call)
            else:
                reply = handler(call, forward)
            if call.service == "elasticache" and self.rg_alias:
                reply = self._rg_alias_reply(reply)
            if key in CREATES and reply.ok:
                if token:
                    self.tokens[(call.service, call.action, token)] = reply
                if self.lost_replies and self.rng.random() < self.lost_replies:
                    return internal_error(call.service, call.protocol)
            return reply

    def control(self, method: str, path: str) -> Reply | None:
        """The model's own endpoints under /aws-model/."""
        if path.rstrip("/") == "/aws-model/rds-minor-upgrade" and method == "POST":
            with self.lock:
                return self.rds_minor_upgrade()
        if path.rstrip("/") == "/aws-model/state" and method == "GET":
            with self.lock:
                data = {"time_scale": self.scale, "nat_gateways": sorted(self.nats), "db_instances": sorted(self.dbs),
                        "replication_groups": sorted(self.rgs), "load_balancers": sorted(self.lbs),
                        "mount_targets": sorted(self.mts), "services": ["%s/%s" % k for k in sorted(self.services)],
                        "deleted_cache_subnet_groups": sorted(self.csg_deleted)}
            return Reply(200, {"Content-Type": "application/json"}, json.dumps(data).encode())
        return None

    def err(self, call: Call, code: str, message: str, status: int = 400) -> Reply:
        return error_reply(call.service, call.protocol, code, message, status)

    # -- holds: security groups, subnets, public addresses ---------------------------------------
    def holders(self):
        """(what, security group ids, subnet ids, vpc, public) of everything that still has ENIs."""
        for nat_id, n in self.nats.items():
            if not self._nat_gone(n):
                yield "NAT gateway %s" % nat_id, (), (n["subnet"],), n["vpc"], True
        for db_id, d in self.dbs.items():
            yield "DB instance %s" % db_id, d["sgs"], d["subnets"], None, False
        for rg_id, g in self.rgs.items():
            if not self._rg_gone(g):
                yield "replication group %s" % rg_id, g["sgs"], self.csgs.get(g["subnet_group"], ()), None, False
        for arn, lb in self.lbs.items():
            if lb["deleted"] is None or self.within(lb["deleted"], LB_ENI_RELEASE):
                yield "load balancer %s" % arn, lb["sgs"], lb["subnets"], lb["vpc"], lb["public"]
        for mt_id, m in self.mts.items():
            yield "mount target %s" % mt_id, m["sgs"], (m["subnet"],), None, False
        for (cluster, name), s in self.services.items():
            if (s["deleted"] is None and s["desired"] > 0) or self.within(s["deleted"], ECS_DRAIN):
                yield "ECS service %s/%s" % (cluster, name), s["sgs"], s["subnets"], None, False

    def _held(self, kind: str, ident: str):
        for what, sgs, subnets, _vpc, _public in self.holders():
            if ident in (sgs if kind == "sg" else subnets):
                return what
        return None

    # ============================================================================================
    # EC2

    def _fresh(self, ident) -> bool:
        return ident in self.fresh and self.within(self.fresh[ident], EC2_CONSISTENCY)

    def _nat_state(self, n) -> str:
        if n["deleted"] is not None:
            return "deleting" if self.within(n["deleted"], NAT_DELETE) else "deleted"
        return "pending" if self.within(n["created"], NAT_CREATE) else "available"

    def _nat_gone(self, n) -> bool:
        return self._nat_state(n) == "deleted"

    def _ec2_CreateNatGateway(self, call, forward):
        reply = forward(call)
        if not reply.ok:
            return reply
        root = xml_load(reply.body)
        for _p, el in with_child(root, "natGatewayId"):
            nat_id = el.findtext("natGatewayId")
            allocations = [a.text for a in el.iter("allocationId")] + plist(call.params, "AllocationId")
            self.nats[nat_id] = {"created": self.now(), "deleted": None, "vpc": el.findtext("vpcId"),
                                 "subnet": el.findtext("subnetId") or call.params.get("SubnetId"),
                                 "allocations": set(a for a in allocations if a)}
            self.fresh[nat_id] = self.now()
            set_text(el, "state", self._nat_state(self.nats[nat_id]))
        return xml_reply(reply, root)

    def _ec2_DescribeNatGateways(self, call, forward):
        for nat_id in plist(call.params, "NatGatewayId"):
            if self._fresh(nat_id):  # EC2 eventual consistency: the new id is not visible everywhere yet
                return self.err(call, "NatGatewayNotFound", "NAT gateway %s was not found" % nat_id)
        reply = forward(call)
        if not reply.ok:
            return reply
        root = xml_load(reply.body)
        for _p, el in with_child(root, "natGatewayId"):
            n = self.nats.get(el.findtext("natGatewayId"))
            if n is not None:
                set_text(el, "state", self._nat_state(n))
        return xml_reply(reply, root)

    def _ec2_DeleteNatGateway(self, call, forward):
        reply = forward(call)
        n = self.nats.get(call.params.get("NatGatewayId"))
        if reply.ok and n is not None and n["deleted"] is None:
            n["deleted"] = self.now()
        return reply

    def _ec2_ReleaseAddress(self, call, forward):
        alloc = call.params.get("AllocationId")
        for nat_id, n in self.nats.items():
            if alloc in n["allocations"] and not self._nat_gone(n):
                # EC2 ReleaseAddress doc: disassociate first, "Otherwise, Amazon EC2 returns an error (InvalidIPAddress.InUse)"
                return self.err(call, "InvalidIPAddress.InUse", "Address %s is in use by %s (%s)." % (alloc, nat_id, self._nat_state(n)))
        return forward(call)

    def _ec2_DetachInternetGateway(self, call, forward):
        vpc = call.params.get("VpcId")
        for what, _sgs, _subnets, holder_vpc, public in self.holders():
            if public and holder_vpc == vpc:
                return self.err(call, "DependencyViolation", "Network %s has some mapped public address(es). Please unmap those "
                                "public address(es) before detaching the gateway. (%s)" % (vpc, what))
        return forward(call)

    def _ec2_route(self, call, forward):
        nat_id = call.params.get("NatGatewayId")
        if nat_id and self._fresh(nat_id):
            return self.err(call, "InvalidNatGatewayID.NotFound", "The natGateway ID '%s' does not exist" % nat_id)
        return forward(call)  # a pending NAT gateway is a valid target (EC2 CreateRoute: existence only)

    _ec2_CreateRoute = _ec2_ReplaceRoute = _ec2_route

    def _ec2_CreateSubnet(self, call, forward):
        reply = forward(call)
        if reply.ok:
            for el in xml_load(reply.body).iter("subnetId"):
                self.fresh[el.text] = self.now()
                break
        return reply

    def _ec2_CreateSecurityGroup(self, call, forward):
        reply = forward(call)
        if reply.ok:
            group = xml_load(reply.body).findtext("groupId")
            if group:
                self.fresh[group] = self.now()
        return reply

    def _ec2_DescribeSubnets(self, call, forward):
        for subnet in plist(call.params, "SubnetId"):
            if self._fresh(subnet):
                return self.err(call, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist" % subnet)
        return forward(call)

    def _ec2_DescribeSecurityGroups(self, call, forward):
        for group in plist(call.params, "GroupId"):
            if self._fresh(group):
                return self.err(call, "InvalidGroup.NotFound", "The security group '%s' does not exist" % group)
        return forward(call)

    def _ec2_DeleteSecurityGroup(self, call, forward):
        group = call.params.get("GroupId")
        what = self._held("sg", group) if group else None
        if what:
            return self.err(call, "DependencyViolation", "resource %s has a dependent object (%s)" % (group, what))
        return forward(call)

    def _ec2_DeleteSubnet(self, call, forward):
        subnet = call.params.get("SubnetId")
        what = self._held("subnet", subnet)
        if what:
            return self.err(call, "DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted. (%s)" % (subnet, what))
        return forward(call)

    # ============================================================================================
    # RDS

    def _lifecycle(self, record, create_time) -> str:
        """``creating`` for ``create_time`` after its create, ``available`` then, ``deleting`` once deleted."""
        if record["deleted"] is not None:
            return "deleting"
        return "creating" if self.within(record["created"], create_time) else "available"

    def _expire(self, table: dict, delete_time) -> None:
        """Forget what was deleted more than ``delete_time`` ago."""
        for key in [k for k, r in table.items() if r["deleted"] is not None and not self.within(r["deleted"], delete_time)]:
            del table[key]

    def _db_status(self, d) -> str:
        return self._lifecycle(d, DB_CREATE)

    def _db_expire(self) -> None:
        self._expire(self.dbs, DB_DELETE)

    def _db_show(self, el, d) -> None:
        status = self._db_status(d)
        if status != "available":
            set_text(el, "DBInstanceStatus", status)
        if status == "creating":  # no address yet, and port 0 where the answer carries it
            drop(el, "Endpoint")
            if el.find("DbInstancePort") is not None:
                set_text(el, "DbInstancePort", 0)

    def _db_record(self, el, created) -> dict:
        return {"created": created, "deleted": None, "ghost": None,
                "subnet_group": el.findtext("DBSubnetGroup/DBSubnetGroupName"),
                "sgs": tuple(x.text for x in el.iter("VpcSecurityGroupId")),
                "subnets": tuple(x.text for x in el.iter("SubnetIdentifier"))}

    def _rds_CreateDBInstance(self, call, forward):
        self._db_expire()
        version = call.params.get("EngineVersion", "")
        if re.fullmatch(r"\d+", version):
            # [major-only] AWS creates the engine's default minor of that major (moto would store "16")
            pairs = [(k, "%s.%s" % (v, DEFAULT_MINOR) if k == "EngineVersion" else v)
                     for k, v in urllib.parse.parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True)]
            call = Call(call.method, call.path, call.headers, urllib.parse.urlencode(pairs).encode(), call.service,
                        call.action, call.protocol)
        db_id = call.params.get("DBInstanceIdentifier", "").lower()
        if db_id in self.dbs and self.dbs[db_id]["deleted"] is not None:
            return self.err(call, "DBInstanceAlreadyExists", "DB instance %s is still being deleted" % db_id)
        if db_id not in self.dbs:
            self._db_drop_retained_snapshots(db_id)
        reply = forward(call)
        if not reply.ok:
            return reply
        root = xml_load(reply.body)
        for _p, el in with_child(root, "DBInstanceIdentifier"):
            self.dbs[el.findtext("DBInstanceIdentifier")] = d = self._db_record(el, self.now())
            self._db_show(el, d)
        return xml_reply(reply, root)

    def _db_drop_retained_snapshots(self, db_id: str) -> None:
        """[retained] moto keeps a deleted instance's automated snapshots under rds:<id>-<minute> and names
        a new instance's first one the same way, refusing it in the same minute; AWS keys retained
        automated backups by DbiResourceId. Before a create of a name with no instance, moto's are dropped."""
        version = {"Version": "2014-10-31"}
        found = self.query("rds", {"Action": "DescribeDBInstances", "DBInstanceIdentifier": db_id, **version})
        if found is None or found.ok:
            return  # no credentials seen yet, or moto has a live instance of that name: it answers the create
        listing = self.query("rds", {"Action": "DescribeDBSnapshots", "DBInstanceIdentifier": db_id,
                                     "SnapshotType": "automated", **version})
        if listing is None or not listing.ok:
            return
        for snap in xml_load(listing.body).iter("DBSnapshotIdentifier"):  # xml_load drops the namespace
            if (snap.text or "").startswith("rds:"):
                self.query("rds", {"Action": "DeleteDBSnapshot", "DBSnapshotIdentifier": snap.text, **version})

    def _rds_DescribeDBInstances(self, call, forward):
        self._db_expire()
        wanted = call.params.get("DBInstanceIdentifier")
        reply = forward(call)
        ghosts = [d for k, d in self.dbs.items() if d["ghost"] is not None and (wanted is None or k == wanted)]
        if not reply.ok:
            if ghosts and wanted:
                listing = ET.Element("DBInstances")
                listing.append(copy.deepcopy(ghosts[0]["ghost"]))
                return Reply(200, {"Content-Type": "text/xml"}, xml_response("rds", "DescribeDBInstances", [listing]))
            return reply
        root = xml_load(reply.body)
        for _p, el in with_child(root, "DBInstanceIdentifier"):
            db_id = el.findtext("DBInstanceIdentifier")
            d = self.dbs.get(db_id)
            if d is None:  # made before the model saw it: as old as AWS allows
                d = self.dbs[db_id] = self._db_record(el, float("-inf"))
            self._db_show(el, d)
        listing = root.find(".//DBInstances")
        if listing is not None and not plist(call.params, "Filters.Filter"):
            for d in ghosts:
                listing.append(copy.deepcopy(d["ghost"]))
        return xml_reply(reply, root)

    def _rds_ModifyDBInstance(self, call, forward):
        self._db_expire()
        d = self.dbs.get(call.params.get("DBInstanceIdentifier", "").lower())
        if d is not None and self._db_status(d) != "available":
            return self.err(call, "InvalidDBInstanceState", "Database instance is not in available state (it is %s)." % self._db_status(d))
        reply = forward(call)
        if reply.ok and d is not None:
            for _p, el in with_child(xml_load(reply.body), "DBInstanceIdentifier"):
                d["sgs"] = tuple(x.text for x in el.iter("VpcSecurityGroupId"))
        return reply

    def _rds_DeleteDBInstance(self, call, forward):
        self._db_expire()
        db_id = call.params.get("DBInstanceIdentifier", "").lower()
        d = self.dbs.get(db_id)
        if d is not None and d["deleted"] is not None:
            return self.err(call, "InvalidDBInstanceState", "Instance %s is already being deleted." % db_id)
        if d is not None and self._db_status(d) == "creating" and call.params.get("SkipFinalSnapshot", "false").lower() != "true":
            return self.err(call, "InvalidDBInstanceState", "Instance %s is currently creating - a final snapshot cannot be taken." % db_id)
        reply = forward(call)
        if not reply.ok:
            return reply
        root = xml_load(reply.body)
        for _p, el in with_child(root, "DBInstanceIdentifier"):
            d = self.dbs.get(db_id) or self._db_record(el, float("-inf"))
            if self.scale > 0:
                d["deleted"] = self.now()
                set_text(el, "DBInstanceStatus", "deleting")
                ghost = copy.deepcopy(el)
                ghost.tag = "DBInstance"
                d["ghost"] = ghost
                self.dbs[db_id] = d
            else:
                self.dbs.pop(db_id, None)
        return xml_reply(reply, root)

    def _rds_DeleteDBSubnetGroup(self, call, forward):
        self._db_expire()
        name = call.params.get("DBSubnetGroupName")
        users = sorted(k for k, d in self.dbs.items() if d["subnet_group"] == name)
        if users:
            return self.err(call, "InvalidDBSubnetGroupStateFault", "Cannot delete the subnet group '%s' because at least one database "
                            "instance: %s is still using it." % (name, users[0]))
        return forward(call)

    def rds_minor_upgrade(self) -> Reply:
        """AWS applying a minor version upgrade to every available DB instance, in moto itself."""
        self._db_expire()
        done = []
        listing = self.query("rds", {"Action": "DescribeDBInstances", "Version": "2014-10-31"})
        if listing is None or not listing.ok:
            return Reply(409, {"Content-Type": "application/json"},
                         json.dumps({"upgraded": [], "error": "no RDS call seen since reset"}).encode())
        for _p, el in with_child(xml_load(listing.body), "DBInstanceIdentifier"):
            db_id, version = el.findtext("DBInstanceIdentifier"), el.findtext("EngineVersion") or ""
            d = self.dbs.get(db_id)
            if d is not None and self._db_status(d) != "available":
                continue
            new = bump_minor(version)
            if new == version:
                continue
            answer = self.query("rds", {"Action": "ModifyDBInstance", "Version": "2014-10-31", "DBInstanceIdentifier": db_id,
                                        "EngineVersion": new, "ApplyImmediately": "true"})
            if answer is not None and answer.ok:
                done.append({"db_instance": db_id, "from": version, "to": new})
        return Reply(200, {"Content-Type": "application/json"}, json.dumps({"upgraded": done}).encode())

    # ============================================================================================
    # ElastiCache

    def _rg_status(self, g) -> str:
        if g["deleted"] is not None:
            return "deleting" if self.within(g["deleted"], RG_DELETE) else "deleted"
        return "creating" if self.within(g["created"], RG_CREATE) else "available"

    def _rg_gone(self, g) -> bool:
        return self._rg_status(g) == "deleted"

    def _csg_subnets(self, name):
        if name and name not in self.csgs:
            reply = self.query("elasticache", {"Action": "DescribeCacheSubnetGroups", "Version": "2015-02-02",
                                               "CacheSubnetGroupName": name})
            if reply is not None and reply.ok:
                self.csgs[name] = tuple(x.text for x in xml_load(reply.body).iter("SubnetIdentifier"))
        return self.csgs.get(name, ())

    def _csg_element(self, name, description, subnets):
        """A CacheSubnetGroup element as AWS describes one (VPC and zones read from EC2)."""
        el = ET.Element("CacheSubnetGroup")
        ET.SubElement(el, "CacheSubnetGroupName").text = name
        ET.SubElement(el, "CacheSubnetGroupDescription").text = description
        params = {"Action": "DescribeSubnets", "Version": "2016-11-15"}
        params.update({"SubnetId.%d" % (i + 1): subnet for i, subnet in enumerate(subnets)})
        found = self.query("ec2", params) if subnets else None
        zones, vpc = {}, ""
        if found is not None and found.ok:
            for _p, item in with_child(xml_load(found.body), "subnetId"):
                zones[item.findtext("subnetId")] = item.findtext("availabilityZone")
                vpc = item.findtext("vpcId") or vpc
        ET.SubElement(el, "VpcId").text = vpc
        listing = ET.SubElement(el, "Subnets")
        for subnet in subnets:
            node = ET.SubElement(listing, "Subnet")
            ET.SubElement(node, "SubnetIdentifier").text = subnet
            ET.SubElement(ET.SubElement(node, "SubnetAvailabilityZone"), "Name").text = zones.get(subnet, "")
        return el

    def _csg_answer(self, action, name, description, subnets) -> Reply:
        el = self._csg_element(name, description, subnets)
        self.csg_override[name] = copy.deepcopy(el)
        self.csgs[name] = tuple(subnets)
        return Reply(200, {"Content-Type": "text/xml"}, xml_response("elasticache", action, [el]))

    def _elasticache_CreateCacheSubnetGroup(self, call, forward):
        name = call.params.get("CacheSubnetGroupName")
        subnets = plist(call.params, "SubnetIds.SubnetIdentifier") or plist(call.params, "SubnetIds")
        if name in self.csg_deleted:  # moto still holds the one the model deleted: the model answers
            self.csg_deleted.discard(name)
            return self._csg_answer("CreateCacheSubnetGroup", name, call.params.get("CacheSubnetGroupDescription", ""), subnets)
        reply = forward(call)
        if reply.ok:
            self.csgs[name] = tuple(subnets)
        return reply

    def _elasticache_ModifyCacheSubnetGroup(self, call, forward):
        """moto does not implement it (HTTP 500): the model answers, and describes the group so from now on."""
        name = call.params.get("CacheSubnetGroupName")
        if name in self.csg_deleted:
            return self.err(call, "CacheSubnetGroupNotFoundFault", "CacheSubnetGroup %s not found." % name)
        found = self.query("elasticache", {"Action": "DescribeCacheSubnetGroups", "Version": "2015-02-02", "CacheSubnetGroupName": name})
        if found is None or not found.ok:
            return found or self.err(call, "CacheSubnetGroupNotFoundFault", "CacheSubnetGroup %s not found." % name)
        current = next((el for _p, el in with_child(xml_load(found.body), "CacheSubnetGroupName")), None)
        subnets = plist(call.params, "SubnetIds.SubnetIdentifier") or plist(call.params, "SubnetIds")
        subnets = subnets or [x.text for x in current.iter("SubnetIdentifier")]
        description = call.params.get("CacheSubnetGroupDescription") or current.findtext("CacheSubnetGroupDescription") or ""
        return self._csg_answer("ModifyCacheSubnetGroup", name, description, subnets)

    def _elasticache_DeleteCacheSubnetGroup(self, call, forward):
        name = call.params.get("CacheSubnetGroupName")
        if name in self.csg_deleted:
            return self.err(call, "CacheSubnetGroupNotFoundFault", "CacheSubnetGroup %s not found." % name)
        users = sorted(k for k, g in self.rgs.items() if g["subnet_group"] == name and not self._rg_gone(g))
        if users:
            return self.err(call, "CacheSubnetGroupInUse", "Cache subnet group %s is currently in use by a cache cluster "
                            "(replication group %s is %s)." % (name, users[0], self._rg_status(self.rgs[users[0]])))
        found = self.query("elasticache", {"Action": "DescribeCacheSubnetGroups", "Version": "2015-02-02", "CacheSubnetGroupName": name})
        if found is None or not found.ok:
            return found or self.err(call, "CacheSubnetGroupNotFoundFault", "CacheSubnetGroup %s not found." % name)
        self.csg_deleted.add(name)  # moto cannot delete one (HTML 500): the model forgets it instead
        self.csg_override.pop(name, None)
        body = ('<?xml version="1.0" encoding="UTF-8"?><DeleteCacheSubnetGroupResponse xmlns="%s"><ResponseMetadata><RequestId>%s'
                "</RequestId></ResponseMetadata></DeleteCacheSubnetGroupResponse>" % (XML_NS["elasticache"], REQUEST_ID))
        return Reply(200, {"Content-Type": "text/xml"}, body.encode())

    def _elasticache_DescribeCacheSubnetGroups(self, call, forward):
        name = call.params.get("CacheSubnetGroupName")
        if name in self.csg_deleted:
            return self.err(call, "CacheSubnetGroupNotFoundFault", "CacheSubnetGroup %s not found." % name)
        reply = forward(call)
        if not reply.ok or not (self.csg_deleted or self.csg_override):
            return reply
        root = xml_load(reply.body)
        for parent, el in list(with_child(root, "CacheSubnetGroupName")):
            if el.findtext("CacheSubnetGroupName") in self.csg_deleted:
                parent.remove(el)
            elif el.findtext("CacheSubnetGroupName") in self.csg_override:
                index = list(parent).index(el)
                parent.remove(el)
                parent.insert(index, copy.deepcopy(self.csg_override[el.findtext("CacheSubnetGroupName")]))
        return xml_reply(reply, root)

    # A replication group deleted for good stays "deleting" in moto forever, so its id cannot be
    # created again there. The model creates it again in moto under an alias (<id>-rN) and
    # translates at the boundary: real id -> alias in requests, alias -> real id in answers.
    def _rg_alias_request(self, call):
        p = call.params
        rg_id = p.get("ReplicationGroupId")
        if call.action == "CreateReplicationGroup" and rg_id:
            current = self.rg_alias.get(rg_id, rg_id)
            g = self.rgs.get(current)
            if g is not None and self._rg_gone(g):
                n = 2
                while "%s-r%d" % (rg_id[:35], n) in self.rgs:
                    n += 1
                self.rg_alias[rg_id] = "%s-r%d" % (rg_id[:35], n)
        if not self.rg_alias:
            return call

        def alias(value):
            for real, moto_id in self.rg_alias.items():
                if value == real:
                    return moto_id
                if re.fullmatch(re.escape(real) + r"-\d{3}(-\d{3})?", value):
                    return moto_id + value[len(real):]
                m = re.fullmatch(r"(arn:[^:]+:elasticache:[^:]*:[^:]*:(?:replicationgroup|cluster):)(.*)", value)
                if m and m.group(2) != alias(m.group(2)):
                    return m.group(1) + alias(m.group(2))
            return value
        pairs = [(k, alias(v)) for k, v in urllib.parse.parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True)]
        body = urllib.parse.urlencode(pairs).encode()
        return Call(call.method, call.path, call.headers, body, call.service, call.action, call.protocol)

    def _rg_alias_reply(self, reply):
        body = reply.body
        for real, moto_id in self.rg_alias.items():
            body = body.replace(moto_id.encode(), real.encode())
        return Reply(reply.status, {k: v for k, v in reply.headers.items() if k.lower() != "content-length"}, body, reply.note)

    def _elasticache_CreateCacheCluster(self, call, forward):
        if call.params.get("CacheSubnetGroupName") in self.csg_deleted:
            return self.err(call, "CacheSubnetGroupNotFoundFault", "CacheSubnetGroup %s not found." % call.params["CacheSubnetGroupName"])
        return forward(call)

    def _elasticache_CreateReplicationGroup(self, call, forward):
        p = call.params
        if p.get("CacheSubnetGroupName") in self.csg_deleted:
            return self.err(call, "CacheSubnetGroupNotFoundFault", "CacheSubnetGroup %s not found." % p["CacheSubnetGroupName"])
        reply = forward(call)
        if not reply.ok:
            return reply
        root = xml_load(reply.body)
        for _p, el in with_child(root, "ReplicationGroupId"):
            rg_id = el.findtext("ReplicationGroupId")
            self.rgs[rg_id] = g = {
                "created": self.now(), "deleted": None, "subnet_group": p.get("CacheSubnetGroupName"),
                "sgs": tuple(plist(p, "SecurityGroupIds.SecurityGroupId") or plist(p, "SecurityGroupIds")),
                "engine": p.get("Engine") or "redis", "engine_version": p.get("EngineVersion") or el.findtext("EngineVersion") or "7.1",
                "node_type": p.get("CacheNodeType") or el.findtext("CacheNodeType"),
                "azs": plist(p, "PreferredCacheClusterAZs.AvailabilityZone") or plist(p, "PreferredCacheClusterAZs"),
                "at_rest": (p.get("AtRestEncryptionEnabled") or "false").lower(),
                "transit": (p.get("TransitEncryptionEnabled") or "false").lower(),
                "auth": "true" if p.get("AuthToken") else "false",
                "port": p.get("Port") or "6379", "snapshot_retention": p.get("SnapshotRetentionLimit") or "0",
                "parameter_group": p.get("CacheParameterGroupName") or "default.redis7",
                "region": (re.search(r"Credential=[^/]+/\d+/([^/]+)/", call.header("Authorization")) or [None, "us-east-1"])[1],
                "members": self._member_ids(rg_id, [m.text for m in el.iter("ClusterId")], p.get("NumCacheClusters")),
                "arn_prefix": (el.findtext("ARN") or "").split(":replicationgroup:")[0],
                "created_text": el.findtext("ReplicationGroupCreateTime") or time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            }
            self._csg_subnets(g["subnet_group"])
            self._rg_show(el, g)
        return xml_reply(reply, root)

    @staticmethod
    def _member_ids(rg_id, listed, num) -> list:
        """AWS makes NumCacheClusters members <id>-001, -002, ... (moto makes one)."""
        members = list(listed)
        count = int(num) if num and str(num).isdigit() else len(members)
        for i in range(len(members) + 1, count + 1):
            members.append("%s-%03d" % (rg_id, i))
        return members

    def _rg_show(self, el, g) -> None:
        status = self._rg_status(g)
        set_text(el, "Status", status)
        listing = el.find("MemberClusters")
        if listing is not None and len(listing) < len(g["members"]):
            for node in list(listing):
                listing.remove(node)
            for member in g["members"]:
                ET.SubElement(listing, "ClusterId").text = member
        if status == "creating":
            drop(el, "PrimaryEndpoint", "ReaderEndpoint", "ConfigurationEndpoint")
            for node in el.iter("NodeGroup"):
                drop(node, "PrimaryEndpoint", "ReaderEndpoint")
            for node in el.iter("NodeGroupMember"):
                drop(node, "ReadEndpoint")

    def _elasticache_DescribeReplicationGroups(self, call, forward):
        rg_id = call.params.get("ReplicationGroupId")
        g = self.rgs.get(rg_id)
        if g is not None and self._rg_gone(g):
            return self.err(call, "ReplicationGroupNotFoundFault", "Replication group %s not found." % rg_id, 404)
        reply = forward(call)
        if not reply.ok:
            return reply
        root = xml_load(reply.body)
        for parent, el in list(with_child(root, "ReplicationGroupId")):
            g = self.rgs.get(el.findtext("ReplicationGroupId"))
            if g is None:
                continue
            if self._rg_gone(g):
                parent.remove(el)
            else:
                self._rg_show(el, g)
        return xml_reply(reply, root)

    def _rg_refuse(self, call, verb):
        rg_id = call.params.get("ReplicationGroupId")
        g = self.rgs.get(rg_id)
        if g is None:
            return None
        status = self._rg_status(g)
        if status == "deleted":
            return self.err(call, "ReplicationGroupNotFoundFault", "Replication group %s not found." % rg_id, 404)
        if status != "available":
            return self.err(call, "InvalidReplicationGroupState", "Replication group %s has status %s which is not valid for %s."
                            % (rg_id, status, verb))
        return None

    def _elasticache_ModifyReplicationGroup(self, call, forward):
        refused = self._rg_refuse(call, "modification")
        if refused is not None:
            return refused
        reply = forward(call)
        g = self.rgs.get(call.params.get("ReplicationGroupId"))
        if reply.ok and g is not None:
            p = call.params
            sgs = plist(p, "SecurityGroupIds.SecurityGroupId") or plist(p, "SecurityGroupIds")
            if sgs:
                g["sgs"] = tuple(sgs)
            if (p.get("ApplyImmediately") or "").lower() == "true":
                for param, key in (("EngineVersion", "engine_version"), ("CacheNodeType", "node_type"),
                                   ("CacheParameterGroupName", "parameter_group")):
                    if p.get(param):
                        g[key] = p[param]
            if p.get("SnapshotRetentionLimit"):
                g["snapshot_retention"] = p["SnapshotRetentionLimit"]
            if p.get("TransitEncryptionEnabled"):
                g["transit"] = p["TransitEncryptionEnabled"].lower()
        return reply

    def _elasticache_DeleteReplicationGroup(self, call, forward):
        refused = self._rg_refuse(call, "deletion")
        if refused is not None:
            return refused
        reply = forward(call)  # moto keeps it "deleting" forever: the model hides it once the window is over
        g = self.rgs.get(call.params.get("ReplicationGroupId"))
        if reply.ok and g is not None:
            g["deleted"] = self.now()
        return reply

    def _member_xml(self, rg_id, g, member, index, show_nodes):
        status = self._rg_status(g)
        c = ET.Element("CacheCluster")

        def add(tag, value):
            ET.SubElement(c, tag).text = str(value)
        add("CacheClusterId", member)
        add("ReplicationGroupId", rg_id)
        add("CacheClusterStatus", status)
        add("Engine", g["engine"])
        add("EngineVersion", g["engine_version"])
        add("CacheNodeType", g["node_type"])
        add("NumCacheNodes", 1)
        azs = g["azs"]
        add("PreferredAvailabilityZone", azs[index] if index < len(azs) else "%s%s" % (g["region"], "abc"[index % 3]))
        add("CacheClusterCreateTime", g["created_text"])
        add("PreferredMaintenanceWindow", "sun:05:00-sun:06:00")
        add("CacheSubnetGroupName", g["subnet_group"] or "default")
        add("AutoMinorVersionUpgrade", "true")
        add("SnapshotRetentionLimit", g["snapshot_retention"])
        add("AuthTokenEnabled", g["auth"])
        add("TransitEncryptionEnabled", g["transit"])
        add("AtRestEncryptionEnabled", g["at_rest"])
        add("ReplicationGroupLogDeliveryEnabled", "false")
        add("NetworkType", "ipv4")
        add("IpDiscovery", "ipv4")
        if g["arn_prefix"]:
            add("ARN", "%s:cluster:%s" % (g["arn_prefix"], member))
        pg = ET.SubElement(c, "CacheParameterGroup")
        ET.SubElement(pg, "CacheParameterGroupName").text = g["parameter_group"]
        ET.SubElement(pg, "ParameterApplyStatus").text = "in-sync"
        sgs = ET.SubElement(c, "SecurityGroups")
        for sg in g["sgs"]:
            m = ET.SubElement(sgs, "member")
            ET.SubElement(m, "SecurityGroupId").text = sg
            ET.SubElement(m, "Status").text = "active"
        if show_nodes:
            nodes = ET.SubElement(c, "CacheNodes")
            node = ET.SubElement(nodes, "CacheNode")
            ET.SubElement(node, "CacheNodeId").text = "0001"
            ET.SubElement(node, "CacheNodeStatus").text = status
            ET.SubElement(node, "CacheNodeCreateTime").text = g["created_text"]
            if status == "available":
                ep = ET.SubElement(node, "Endpoint")
                ET.SubElement(ep, "Address").text = "%s.cache.amazonaws.com" % member
                ET.SubElement(ep, "Port").text = str(g["port"])
        return c

    def _members(self):
        for rg_id, g in self.rgs.items():
            if not self._rg_gone(g):
                for index, member in enumerate(g["members"]):
                    yield rg_id, g, member, index

    def _elasticache_DescribeCacheClusters(self, call, forward):
        wanted = call.params.get("CacheClusterId")
        show = (call.params.get("ShowCacheNodeInfo") or "").lower() == "true"
        members = [self._member_xml(rg_id, g, m, i, show) for rg_id, g, m, i in self._members() if wanted in (None, m)]
        if wanted and members:
            listing = ET.Element("CacheClusters")
            listing.extend(members)
            return Reply(200, {"Content-Type": "text/xml"}, xml_response("elasticache", "DescribeCacheClusters", [listing]))
        reply = forward(call)
        if not reply.ok or wanted:
            return reply
        root = xml_load(reply.body)
        listing = root.find(".//CacheClusters")
        if listing is not None:
            known = {x.text for x in listing.iter("CacheClusterId")}
            listing.extend(m for m in members if m.findtext("CacheClusterId") not in known)
        return xml_reply(reply, root)

    # ============================================================================================
    # ELBv2

    def _lb_show(self, el, lb) -> None:
        state = el.find("State")
        if state is not None and self.within(lb["created"], LB_CREATE):
            set_text(state, "Code", "provisioning")

    def _lb_record(self, el, created) -> dict:
        return {"created": created, "deleted": None, "vpc": el.findtext("VpcId"),
                "sgs": tuple(x.text for x in el.findall("SecurityGroups/member")),
                "subnets": tuple(x.text for x in el.iter("SubnetId")),
                "public": el.findtext("Scheme") != "internal", "tgs": ()}

    def _elasticloadbalancing_CreateLoadBalancer(self, call, forward):
        reply = forward(call)
        if not reply.ok:
            return reply
        root = xml_load(reply.body)
        for _p, el in with_child(root, "LoadBalancerArn"):
            arn = el.findtext("LoadBalancerArn")
            lb = self.lbs.get(arn)
            if lb is None or lb["deleted"] is not None:
                lb = self.lbs[arn] = self._lb_record(el, self.now())
            self._lb_show(el, lb)
        return xml_reply(reply, root)

    def _elasticloadbalancing_DescribeLoadBalancers(self, call, forward):
        reply = forward(call)
        if not reply.ok:
            return reply
        root = xml_load(reply.body)
        for _p, el in with_child(root, "LoadBalancerArn"):
            arn = el.findtext("LoadBalancerArn")
            if arn not in self.lbs:
                self.lbs[arn] = self._lb_record(el, float("-inf"))
            self._lb_show(el, self.lbs[arn])
        return xml_reply(reply, root)

    def _elasticloadbalancing_DeleteLoadBalancer(self, call, forward):
        arn = call.params.get("LoadBalancerArn")
        tgs = ()
        found = self.query("elasticloadbalancing", {"Action": "DescribeTargetGroups", "Version": "2015-12-01", "LoadBalancerArn": arn})
        if found is not None and found.ok:
            tgs = tuple(x.text for x in xml_load(found.body).iter("TargetGroupArn"))
        if arn not in self.lbs:
            lbs = self.query("elasticloadbalancing", {"Action": "DescribeLoadBalancers", "Version": "2015-12-01",
                                                      "LoadBalancerArns.member.1": arn})
            if lbs is not None and lbs.ok:
                for _p, el in with_child(xml_load(lbs.body), "LoadBalancerArn"):
                    self.lbs[arn] = self._lb_record(el, float("-inf"))
        reply = forward(call)
        lb = self.lbs.get(arn)
        if reply.ok and lb is not None and lb["deleted"] is None:
            lb["deleted"], lb["tgs"] = self.now(), tgs
        return reply

    def _elasticloadbalancing_DeleteTargetGroup(self, call, forward):
        arn = call.params.get("TargetGroupArn")
        for lb_arn, lb in self.lbs.items():
            if arn in lb["tgs"] and self.within(lb["deleted"], LB_TG_IN_USE):
                return self.err(call, "ResourceInUse", "Target group '%s' is currently in use by a listener or a rule "
                                "(load balancer %s is being deleted)" % (arn, lb_arn))
        return forward(call)

    # ============================================================================================
    # EFS (rest-json): routed by method and path

    def _efs(self, call, forward):
        method, path = call.method, urllib.parse.urlparse(call.path).path.rstrip("/")
        if path == "/2015-02-01/file-systems" and method == "POST":
            return self._efs_create_fs(call, forward)
        if path == "/2015-02-01/file-systems" and method == "GET":
            return self._efs_describe_fs(call, forward)
        m = re.match(r"^/2015-02-01/file-systems/([^/]+)$", path)
        if m and method == "DELETE":
            return self._efs_delete_fs(call, forward, m.group(1))
        if path == "/2015-02-01/mount-targets" and method == "POST":
            return self._efs_create_mt(call, forward)
        if path == "/2015-02-01/mount-targets" and method == "GET":
            return self._efs_describe_mt(call, forward)
        m = re.match(r"^/2015-02-01/mount-targets/([^/]+)$", path)
        if m and method == "DELETE":
            return self._efs_delete_mt(call, forward, m.group(1))
        if path == "/2015-02-01/access-points" and method == "POST":
            refused = self._efs_fs_creating(call, call.params.get("FileSystemId"))
            return refused or forward(call)
        return forward(call)

    def _fs_state(self, fs_id):
        return "creating" if self.within(self.fss.get(fs_id), EFS_CREATE) else "available"

    def _efs_fs_creating(self, call, fs_id):
        if fs_id and self._fs_state(fs_id) == "creating":
            return self.err(call, "IncorrectFileSystemLifeCycleState", "File system '%s' is in 'creating' state." % fs_id, 409)
        return None

    def _efs_create_fs(self, call, forward):
        reply, data = forwarded_json(call, forward)
        if data is None:
            return reply
        self.fss[data.get("FileSystemId")] = self.now()
        data["LifeCycleState"] = self._fs_state(data.get("FileSystemId"))
        return json_reply(reply, data)

    def _efs_describe_fs(self, call, forward):
        reply, data = forwarded_json(call, forward)
        if data is None:
            return reply
        for fs in data.get("FileSystems") or []:
            if fs.get("LifeCycleState") == "available":
                fs["LifeCycleState"] = self._fs_state(fs.get("FileSystemId"))
        return json_reply(reply, data)

    def _efs_delete_fs(self, call, forward, fs_id):
        self._mt_expire()
        if any(m["fs"] == fs_id for m in self.mts.values()):
            return self.err(call, "FileSystemInUse", "File system '%s' has mount targets created in it." % fs_id, 409)
        reply = forward(call)
        if reply.ok:
            self.fss.pop(fs_id, None)
        return reply

    def _mt_state(self, m) -> str:
        return self._lifecycle(m, MT_CREATE)

    def _mt_expire(self) -> None:
        self._expire(self.mts, MT_DELETE)

    def _efs_create_mt(self, call, forward):
        refused = self._efs_fs_creating(call, call.params.get("FileSystemId"))
        if refused is not None:
            return refused
        reply, data = forwarded_json(call, forward)
        if data is None:
            return reply
        self.mts[data.get("MountTargetId")] = m = {
            "created": self.now(), "deleted": None, "fs": data.get("FileSystemId"), "subnet": data.get("SubnetId"),
            "sgs": tuple(call.params.get("SecurityGroups") or ()), "json": dict(data)}
        data["LifeCycleState"] = self._mt_state(m)
        return json_reply(reply, data)

    def _efs_describe_mt(self, call, forward):
        self._mt_expire()
        fs_id, mt_id = call.params.get("FileSystemId"), call.params.get("MountTargetId")
        reply = forward(call)
        ghosts = [dict(m["json"], LifeCycleState="deleting") for k, m in self.mts.items()
                  if m["deleted"] is not None and ((fs_id and m["fs"] == fs_id) or (mt_id and k == mt_id))]
        if not reply.ok:
            if ghosts and mt_id:
                return Reply(200, {"Content-Type": "application/json"}, json.dumps({"MountTargets": ghosts}).encode())
            return reply
        data = json.loads(reply.body)
        for item in data.get("MountTargets") or []:
            m = self.mts.get(item.get("MountTargetId"))
            if m is not None:
                m["json"] = dict(item)
                item["LifeCycleState"] = self._mt_state(m)
        data["MountTargets"] = (data.get("MountTargets") or []) + ghosts
        return json_reply(reply, data)

    def _efs_delete_mt(self, call, forward, mt_id):
        self._mt_expire()
        m = self.mts.get(mt_id)
        if m is not None and m["deleted"] is not None:
            return self.err(call, "MountTargetNotFound", "Mount target '%s' does not exist." % mt_id, 404)
        reply = forward(call)
        if reply.ok and m is not None:
            if self.scale > 0:
                m["deleted"] = self.now()  # moto forgot it; the model shows it deleting, holding its ENI
            else:
                del self.mts[mt_id]
        return reply

    # ============================================================================================
    # ECS

    def _ecs_slr(self, call):
        if self.ecs_first is None:
            return None
        if call.action in ("CreateCluster", "CreateService") and self.within(self.ecs_first, ECS_SLR):
            return self.err(call, "InvalidParameterException", SLR_MESSAGE)
        return None

    def _svc_key(self, svc) -> tuple:
        return cluster_name(svc.get("clusterArn")), svc.get("serviceName")

    def _svc_net(self, params) -> tuple:
        vpc = ((params.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {})
        return tuple(vpc.get("securityGroups") or ()), tuple(vpc.get("subnets") or ())

    def _ecs_CreateService(self, call, forward):
        refused = self._ecs_slr(call)
        if refused is not None:
            return refused
        old = self.services.get((cluster_name(call.params.get("cluster")), call.params.get("serviceName")))
        if old is not None and old["deleted"] is None:  # moto replaces it silently
            return self.err(call, "InvalidParameterException", "Creation of service was not idempotent.")
        if old is not None and self.within(old["deleted"], ECS_DRAIN):
            return self.err(call, "InvalidParameterException", "Unable to Start a service that is still Draining.")
        reply = forward(call)
        if not reply.ok:
            return reply
        svc = json.loads(reply.body).get("service") or {}
        sgs, subnets = self._svc_net(call.params)
        self.services[self._svc_key(svc)] = s = {
            "arn": svc.get("serviceArn"), "rollout": self.now(), "td": svc.get("taskDefinition"), "prev_td": None, "prev_desired": 0,
            "desired": svc.get("desiredCount") or 0, "deleted": None, "sgs": sgs, "subnets": subnets}
        data = json.loads(reply.body)
        self._svc_show(data["service"], s)
        return json_reply(reply, data)

    def _ecs_UpdateService(self, call, forward):
        self._ecs_slr(call)
        reply, data = forwarded_json(call, forward)
        if data is None:
            return reply
        svc = data.get("service") or {}
        key = self._svc_key(svc)
        s = self.services.get(key)
        if s is None:
            return reply
        td, desired = svc.get("taskDefinition"), svc.get("desiredCount") or 0
        if td != s["td"] or desired != s["desired"] or call.params.get("forceNewDeployment"):
            s.update(prev_td=s["td"], prev_desired=s["desired"] if not self.within(s["rollout"], ECS_ROLLOUT) else s["prev_desired"],
                     rollout=self.now(), td=td, desired=desired)
        sgs, subnets = self._svc_net(call.params)
        if sgs or subnets:
            s["sgs"], s["subnets"] = sgs or s["sgs"], subnets or s["subnets"]
        self._svc_show(svc, s)
        return json_reply(reply, data)

    def _svc_show(self, svc, s) -> None:
        """What AWS's DescribeServices says at this moment about a service."""
        if s["deleted"] is not None:
            svc["status"] = "DRAINING" if self.within(s["deleted"], ECS_DRAIN) else "INACTIVE"
            svc["desiredCount"] = svc["runningCount"] = svc["pendingCount"] = 0
            return
        desired = s["desired"]
        svc["desiredCount"] = desired
        base = dict((svc.get("deployments") or [{}])[0])
        primary = dict(base, status="PRIMARY", taskDefinition=s["td"], desiredCount=desired, failedTasks=0)
        if self.within(s["rollout"], ECS_ROLLOUT):
            primary.update(runningCount=0, pendingCount=desired, rolloutState="IN_PROGRESS",
                           rolloutStateReason="ECS deployment %s in progress." % primary.get("id", "ecs-svc"))
            deployments = [primary]
            old_running = s["prev_desired"] if s["prev_td"] else 0
            if s["prev_td"] and s["prev_desired"]:
                deployments.append(dict(base, id="ecs-svc/%d" % zlib.crc32(s["prev_td"].encode()), status="ACTIVE",
                                        taskDefinition=s["prev_td"], desiredCount=s["prev_desired"],
                                        runningCount=s["prev_desired"], pendingCount=0, rolloutState="COMPLETED"))
            svc["runningCount"], svc["pendingCount"] = old_running, desired
        else:
            primary.update(runningCount=desired, pendingCount=0, rolloutState="COMPLETED",
                           rolloutStateReason="ECS deployment %s completed." % primary.get("id", "ecs-svc"))
            deployments = [primary]
            svc["runningCount"], svc["pendingCount"] = desired, 0
        svc["deployments"] = deployments

    def _ecs_DescribeServices(self, call, forward):
        self._ecs_slr(call)
        reply, data = forwarded_json(call, forward)
        if data is None:
            return reply
        for svc in data.get("services") or []:
            s = self.services.get(self._svc_key(svc))
            if s is None:
                if svc.get("status") != "ACTIVE":
                    continue
                # made before the model saw it: its rollout finished long ago
                s = self.services[self._svc_key(svc)] = {
                    "arn": svc.get("serviceArn"), "rollout": float("-inf"), "td": svc.get("taskDefinition"), "prev_td": None, "prev_desired": 0,
                    "desired": svc.get("desiredCount") or 0, "deleted": None, "sgs": (), "subnets": ()}
            self._svc_show(svc, s)
        return json_reply(reply, data)

    def _ecs_DeleteService(self, call, forward):
        self._ecs_slr(call)
        reply, data = forwarded_json(call, forward)
        if data is None:
            return reply
        svc = data.get("service") or {}
        s = self.services.get(self._svc_key(svc))
        if s is not None and s["deleted"] is None:
            s["deleted"] = self.now()
            self._svc_show(svc, s)
        return json_reply(reply, data)

    def _ecs_ListServices(self, call, forward):
        """DRAINING and INACTIVE services are not listed (moto lists INACTIVE ones)."""
        reply = forward(call)
        gone = {s["arn"] for s in self.services.values() if s["deleted"] is not None}
        if not reply.ok or not gone:
            return reply
        data = json.loads(reply.body)
        data["serviceArns"] = [a for a in data.get("serviceArns") or [] if a not in gone]
        return json_reply(reply, data)

    def _ecs_DeleteCluster(self, call, forward):
        self._ecs_slr(call)
        name = cluster_name(call.params.get("cluster"))
        for (cluster, svc_name), s in self.services.items():
            if cluster == name and (s["deleted"] is None or self.within(s["deleted"], ECS_DRAIN)):
                return self.err(call, "ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active "
                                "(service %s is %s)." % (svc_name, "ACTIVE" if s["deleted"] is None else "DRAINING"))
        return forward(call)

    def _ecs_CreateCluster(self, call, forward):
        return self._ecs_slr(call) or forward(call)

    # ============================================================================================
    # Pagination

    def _paged(self, call, forward):
        list_key, size_param, token_param, answer_token, specific = PAGED[(call.service, call.action)]
        p = call.params
        if any(plist(p, s) or p.get(s) for s in specific):
            handler = getattr(self, "_%s_%s" % (call.service, call.action), None)
            return handler(call, forward) if handler else forward(call)
        offset = token_offset(p.get(token_param))
        if p.get(token_param) and offset is None:
            return forward(call)  # not the model's token
        size = self.page_size
        try:
            if p.get(size_param):
                size = min(size, int(p[size_param]))
        except ValueError:
            pass
        if call.protocol == "query":
            kept = [(k, v) for k, v in urllib.parse.parse_qsl(call.body.decode(), keep_blank_values=True)
                    if k not in (size_param, token_param)]
            body = urllib.parse.urlencode(kept).encode()
        else:
            body = json.dumps({k: v for k, v in p.items() if k not in (size_param, token_param)}).encode()
        inner = Call(call.method, call.path, call.headers, body, call.service, call.action, call.protocol)
        handler = getattr(self, "_%s_%s" % (call.service, call.action), None)
        reply = handler(inner, forward) if handler else forward(inner)
        if not reply.ok:
            return reply
        if call.protocol == "query":
            root = xml_load(reply.body)
            listing = root.find(".//%s" % list_key)
            for holder in root.iter():
                drop(holder, answer_token)
            if listing is None:
                return reply
            items = list(listing)
            chunk, nxt = page(items, offset or 0, size)
            for item in items:
                listing.remove(item)
            listing.extend(chunk)
            if nxt:
                parent = next(el for el in root.iter() if listing in list(el))
                ET.SubElement(parent, answer_token).text = nxt
            return xml_reply(reply, root)
        data = json.loads(reply.body)
        chunk, nxt = page(data.get(list_key) or [], offset or 0, size)
        data[list_key] = chunk
        data.pop(answer_token, None)
        if nxt:
            data[answer_token] = nxt
        return json_reply(reply, data)
