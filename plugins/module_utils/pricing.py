# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS Price List API layer (``pricing`` client): the report's price table, read for one region.

The report role prices the stack with a table of on-demand list prices in USD
(``roles/report/vars/main.yml``, ``__report_price_tables``; the keys are listed in
``plugins/filter/cost.py``). ``read_prices`` reads the same keys, in the same units, from the Price
List API for any region, so the cost filters take either table:

* one ``PRICES`` entry per table key: the service code, the ``TERM_MATCH`` filters that narrow the
  answer server-side, and the usage type that picks the product among those answered;
* products are filtered by their ``regionCode`` attribute (the priced region, e.g. ``eu-west-1``),
  not by the ``location`` display name, so no region -> location table is needed. ``GetProducts``
  filters on any product attribute (botocore's pricing model: ``Filter.Field``, "ServiceCode, and
  all attribute names"); the products carry ``regionCode``;
* usage types carry a region prefix that is not regular (``EU-NatGateway-Hours``,
  ``USE1-Fargate-GB-Hours``, and none at all for some us-east-1 products), so a usage type is
  matched as itself or as ``<prefix>-<itself>``, never as a substring (``Fargate-vCPU-Hours:perCPU``
  must not match ``...-Fargate-ARM-vCPU-Hours:perCPU`` or ``...-SpotUsage:Fargate-vCPU-Hours:perCPU``);
* a key without a product, with products of different prices, or with a unit of another kind
  (hours for a GB-month price ...) is reported with the call that was made and fails the read:
  a price is never taken as 0 because it was not found.

The Price List API answers only at its own endpoints (``API_REGIONS``), whatever region is priced:
the client is made for one of those (``client``). Every call is ``GetProducts`` through
``base.paginate`` (botocore's paginator, the walk retried under the collection's retry policy).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import error_handler
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import paginate

# The regions with a Price List Query API endpoint (AWS Price List Query API, endpoints:
# api.pricing.<region>.amazonaws.com). The prices of every region are read from any of them.
API_REGIONS = ("us-east-1", "eu-central-1", "ap-south-1")
DEFAULT_API_REGION = "us-east-1"

# The classes and node types of the dated table (roles/report/vars/main.yml), read by default.
DB_INSTANCE_CLASSES = ("db.t3.micro", "db.t3.small", "db.t4g.micro")
CACHE_NODE_TYPES = ("cache.t3.micro", "cache.t3.small", "cache.t4g.micro")
# rds_storage_gb_month.<type>: the usage type (without its region prefix) and the volumeType attribute.
STORAGE_TYPES = (("gp3", "RDS:GP3-Storage", "General Purpose-GP3"), ("gp2", "RDS:GP2-Storage", "General Purpose"))

SOURCE = "price-list-api"
CURRENCY = "USD"
FORMAT_VERSION = "aws_v1"
PAGE_SIZE = 100  # GetProducts' MaxResults (1 to 100)

# What one unit of each table key is. The Price List names units its own way per service
# ("Hrs", "hours", "GB-Hours", "LCU-Hrs", "GB-Mo", "GB", "Alarms", "Secrets", "Dashboards").
HOUR, GB_MONTH, GB, MONTH = "hour", "GB-month", "GB", "month"


class PricingError(AnsibleAWSError):
    pass


PricingErrorHandler = error_handler(PricingError, "NotFoundException")


class MissingPrices(Exception):
    """Some keys of the table have no usable price; ``missing`` says which, and the call made for each."""

    def __init__(self, region: str, missing: List[Dict[str, Any]]) -> None:
        self.region = region
        self.missing = missing
        keys = ", ".join(m["key"] for m in missing)
        super().__init__("The AWS Price List API gave no usable price for %d key(s) of the %s price table (%s): %s"
                         % (len(missing), region, keys, "; ".join(m["message"] for m in missing)))


@dataclass(frozen=True)
class Price:
    """One key of the price table and how the Price List API is asked for it."""

    key: Tuple[str, ...]                      # its path in the table: ("alb", "lcu_hour"), ("rds_instance_hour", "db.t3.micro")
    service_codes: Tuple[str, ...]            # tried in order until one answers the usage type
    filters: Tuple[Tuple[str, str], ...]      # TERM_MATCH filters besides ServiceCode (and regionCode)
    usagetype: str                            # the usage type, without its region prefix
    unit: str                                 # HOUR, GB_MONTH, GB or MONTH
    regional: bool = True                     # False: one price for every region (CloudWatch dashboards)

    @property
    def label(self) -> str:
        """The key as the cost filters name it: ``rds_instance_hour.db.t3.micro``."""
        return ".".join(self.key)


def prices_to_read(db_instance_classes: Sequence[str] = DB_INSTANCE_CLASSES,
                   cache_node_types: Sequence[str] = CACHE_NODE_TYPES) -> List[Price]:
    """Every key of the report's price table (plugins/filter/cost.py) for these classes and node types."""
    table = [
        Price(("fargate", "vcpu_hour"), ("AmazonECS",), (("productFamily", "Compute"),), "Fargate-vCPU-Hours:perCPU", HOUR),
        Price(("fargate", "gb_hour"), ("AmazonECS",), (("productFamily", "Compute"),), "Fargate-GB-Hours", HOUR),
        Price(("nat_gateway", "hour"), ("AmazonEC2",), (("productFamily", "NAT Gateway"),), "NatGateway-Hours", HOUR),
        Price(("nat_gateway", "gb_processed"), ("AmazonEC2",), (("productFamily", "NAT Gateway"),), "NatGateway-Bytes", GB),
        # Load balancers have their own service code; some regions' products are still filed under AmazonEC2.
        Price(("alb", "hour"), ("AWSELB", "AmazonEC2"), (("productFamily", "Load Balancer-Application"),),
              "LoadBalancerUsage", HOUR),
        Price(("alb", "lcu_hour"), ("AWSELB", "AmazonEC2"), (("productFamily", "Load Balancer-Application"),),
              "LCUUsage", HOUR),
    ]
    for klass in db_instance_classes:
        table.append(Price(("rds_instance_hour", klass), ("AmazonRDS",),
                           (("productFamily", "Database Instance"), ("databaseEngine", "PostgreSQL"),
                            ("deploymentOption", "Single-AZ"), ("instanceType", klass)),
                           "InstanceUsage:" + klass, HOUR))
    for name, usagetype, volume_type in STORAGE_TYPES:
        # Storage is priced for every engine at once (databaseEngine "Any").
        table.append(Price(("rds_storage_gb_month", name), ("AmazonRDS",),
                           (("productFamily", "Database Storage"), ("databaseEngine", "Any"),
                            ("deploymentOption", "Single-AZ"), ("volumeType", volume_type)),
                           usagetype, GB_MONTH))
    for node_type in cache_node_types:
        table.append(Price(("elasticache_node_hour", node_type), ("AmazonElastiCache",),
                           (("productFamily", "Cache Instance"), ("cacheEngine", "Redis"), ("instanceType", node_type)),
                           "NodeUsage:" + node_type, HOUR))
    table += [
        Price(("efs_standard_gb_month",), ("AmazonEFS",), (("productFamily", "Storage"),), "TimedStorage-ByteHrs", GB_MONTH),
        Price(("ecr_gb_month",), ("AmazonECR",), (("productFamily", "EC2 Container Registry"),), "TimedStorage-ByteHrs", GB_MONTH),
        Price(("logs", "ingest_gb"), ("AmazonCloudWatch",), (("productFamily", "Data Payload"),), "DataProcessing-Bytes", GB),
        Price(("logs", "stored_gb_month"), ("AmazonCloudWatch",), (("productFamily", "Storage Snapshot"),),
              "TimedStorage-ByteHrs", GB_MONTH),
        Price(("alarm_month",), ("AmazonCloudWatch",), (("productFamily", "Alarm"),), "CW:AlarmMonitorUsage", MONTH),
        # One price for every region: the product has no regionCode; asked for by its usage type.
        Price(("dashboard_month",), ("AmazonCloudWatch",), (("productFamily", "Dashboard"), ("usagetype", "DashboardsUsageHour")),
              "DashboardsUsageHour", MONTH, regional=False),
        Price(("secret_month",), ("AWSSecretsManager",), (("productFamily", "Secret"),), "AWSSecretsManager-Secrets", MONTH),
    ]
    return table


# --- the API ----------------------------------------------------------------------------------------

def client(module: Any, api_region: str = DEFAULT_API_REGION) -> Any:
    """The ``pricing`` client of ``module`` at the Price List API endpoint of ``api_region``, with the
    collection's retry policy (``base.aws_client``); every other connection option is the module's."""
    return aws_client(module, "pricing", region=api_region)


def filters_for(price: Price, region: str) -> List[Dict[str, str]]:
    """The ``Filters`` of ``GetProducts`` for ``price`` in ``region`` (regionCode first, then the key's own)."""
    pairs = ([("regionCode", region)] if price.regional else []) + list(price.filters)
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in pairs]


@PricingErrorHandler.list_error_handler("get the products of {service_code}", default_value=[])
def get_products(client: Any, service_code: str, filters: List[Dict[str, str]]) -> List[dict]:
    """Every product ``GetProducts`` answers for ``service_code`` and ``filters``, all pages, parsed
    (the API answers each product as a JSON string)."""
    result = paginate(client, "get_products", ServiceCode=service_code, Filters=filters,
                      FormatVersion=FORMAT_VERSION, MaxResults=PAGE_SIZE)
    return [json.loads(item) if isinstance(item, (str, bytes)) else item for item in result.get("PriceList") or []]


# --- reading a product (pure) ---------------------------------------------------------------------

def usagetype_of(product: dict) -> Optional[str]:
    """The ``usagetype`` attribute of a PriceList product."""
    return ((product.get("product") or {}).get("attributes") or {}).get("usagetype")


def usage_matches(usagetype: Optional[str], wanted: str) -> bool:
    """``usagetype`` is ``wanted`` itself or ``wanted`` behind a region prefix (``EU-``, ``USE1-``)."""
    return bool(usagetype) and (usagetype == wanted or usagetype.endswith("-" + wanted))


def unit_kind(unit: Optional[str]) -> str:
    """What a Price List unit counts: HOUR ("Hrs", "hours", "GB-Hours", "LCU-Hrs"), GB_MONTH ("GB-Mo"),
    GB ("GB") or MONTH (one thing for a month: "Alarms", "Secrets", "Dashboards")."""
    text = (unit or "").strip().lower()
    if text in ("gb-mo", "gb-month", "gb-months"):
        return GB_MONTH
    if text == "gb":
        return GB
    if "hr" in text or "hour" in text:
        return HOUR
    return MONTH


def _range_start(dimension: dict) -> float:
    try:
        return float(dimension.get("beginRange") or 0)
    except ValueError:
        return 0.0


def on_demand_price(product: dict) -> Optional[Tuple[float, dict]]:
    """``(USD price, price dimension)`` of the product's on-demand terms, or ``None`` without one.

    A tiered price (several dimensions by ``beginRange``) gives its first paid tier: a free first
    tier is an allowance, not the list price the table holds. All tiers free gives 0.
    """
    dimensions = []
    for term in ((product.get("terms") or {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get(CURRENCY)
            if usd is None:
                continue
            dimensions.append((_range_start(dimension), float(usd), dimension))
    if not dimensions:
        return None
    dimensions.sort(key=lambda d: d[0])
    paid = [d for d in dimensions if d[1] > 0]
    dummy, usd, dimension = (paid or dimensions)[0]
    return usd, dimension


def _call_text(service_code: str, filters: List[Dict[str, str]]) -> str:
    return "get_products(ServiceCode=%s, Filters=[%s])" % (
        service_code, ", ".join("%s=%s" % (f["Field"], f["Value"]) for f in filters))


def pick(price: Price, answers: List[Tuple[str, List[Dict[str, str]], List[dict]]]) -> Tuple[Optional[float], dict]:
    """The price of ``price`` among the ``answers`` (``(service code, filters, products)`` per call,
    in the order tried): ``(USD, source)``, or ``(None, missing entry)``.

    The first call whose products have the usage type decides. Its products must agree on one
    price, in a unit of the key's kind.
    """
    calls = [_call_text(code, filters) for code, filters, dummy in answers]
    for tried, (service_code, filters, products) in enumerate(answers, start=1):
        found = []
        for product in products:
            if not usage_matches(usagetype_of(product), price.usagetype):
                continue
            priced = on_demand_price(product)
            if priced is not None:
                found.append((priced, product))
        if not found:
            continue
        amounts = sorted(set(usd for (usd, dummy), dummy2 in found))
        units = sorted(set(dimension.get("unit") or "" for (dummy, dimension), dummy2 in found))
        wrong_units = [u for u in units if unit_kind(u) != price.unit]
        problem = None
        if len(amounts) > 1:
            problem = "%d products with usage type %s and different prices (%s)" % (
                len(found), price.usagetype, ", ".join("%g" % a for a in amounts))
        elif wrong_units:
            problem = "the product with usage type %s is priced per %s, not per %s" % (
                price.usagetype, "/".join(wrong_units), price.unit)
        if problem:
            return None, _missing(price, calls[:tried], problem)
        (usd, dimension), product = found[0]
        return usd, {
            "service_code": service_code,
            "sku": (product.get("product") or {}).get("sku"),
            "usagetype": usagetype_of(product),
            "unit": dimension.get("unit"),
            "description": dimension.get("description"),
            "publication_date": product.get("publicationDate"),
        }
    return None, _missing(price, calls, "no product with usage type %s (or <region prefix>-%s)"
                          % (price.usagetype, price.usagetype))


def _missing(price: Price, calls: List[str], problem: str) -> dict:
    return {
        "key": price.label,
        "calls": calls,
        "problem": problem,
        "message": "%s: %s answered %s" % (price.label, " then ".join(calls), problem),
    }


def _put(table: Dict[str, Any], key: Tuple[str, ...], value: float) -> None:
    node = table
    for part in key[:-1]:
        node = node.setdefault(part, {})
    node[key[-1]] = value


# --- the table ----------------------------------------------------------------------------------

def read_prices(client: Any, region: str, db_instance_classes: Sequence[str] = DB_INSTANCE_CLASSES,
                cache_node_types: Sequence[str] = CACHE_NODE_TYPES,
                today: Optional[datetime.date] = None) -> Tuple[Dict[str, Any], Dict[str, dict]]:
    """``(table, sources)``: the price table of ``region`` in the shape of the dated one (plus
    ``source: price-list-api``; ``date`` is the day it was read, UTC) and, per key, the product it
    came from. Raises ``MissingPrices`` naming every key without a usable price.

    Keys asked for with the same service code and filters share one call (both Fargate prices,
    both NAT prices ...); a second service code is asked only when the first has no product with
    the usage type.
    """
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    table: Dict[str, Any] = {"region": region, "date": today.isoformat(), "currency": CURRENCY, "source": SOURCE}
    sources: Dict[str, dict] = {}
    missing: List[dict] = []
    answered: Dict[Tuple[str, Tuple[Tuple[str, str], ...]], List[dict]] = {}

    def products(service_code: str, filters: List[Dict[str, str]]) -> List[dict]:
        cache_key = (service_code, tuple((f["Field"], f["Value"]) for f in filters))
        if cache_key not in answered:
            answered[cache_key] = get_products(client, service_code, filters)
        return answered[cache_key]

    for price in prices_to_read(db_instance_classes, cache_node_types):
        filters = filters_for(price, region)
        answers = []
        for service_code in price.service_codes:
            answers.append((service_code, filters, products(service_code, filters)))
            if any(usage_matches(usagetype_of(p), price.usagetype) for p in answers[-1][2]):
                break
        usd, source = pick(price, answers)
        if usd is None:
            missing.append(source)
            continue
        _put(table, price.key, usd)
        sources[price.label] = source
    if missing:
        raise MissingPrices(region, missing)
    return table, sources
