"""Offline tests of plugins/module_utils/pricing.py, the Price List API layer: how a product's price is
read (usage types behind region prefixes, on-demand terms, tiers, units), and what makes a key
missing. The products are written out here in the API's shape; the calls (pages, the fallback
service code, errors) and the whole table against a region's answers are in
tests/unit/plugins/modules/test_pricing_products.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.apranova.aws_stack.plugins.module_utils import pricing


def product(usagetype, usd="0.0480000000", unit="Hrs", tiers=None, reserved=False, sku="SKU1"):
    """One PriceList entry (parsed) with its on-demand price dimensions: ``tiers`` is a list of
    ``(beginRange, USD)``, else one dimension of ``usd``."""
    dims = {}
    for n, (begin, price) in enumerate(tiers or [("0", usd)]):
        dims["%s.JRTCKXETXF.R%d" % (sku, n)] = {"unit": unit, "beginRange": begin, "endRange": "Inf",
                                                "description": "$%s per %s" % (price, unit), "pricePerUnit": {"USD": price}}
    terms = {"OnDemand": {sku + ".JRTCKXETXF": {"priceDimensions": dims, "sku": sku, "offerTermCode": "JRTCKXETXF"}}}
    if reserved:
        terms["Reserved"] = {sku + ".HU7G6KETJZ": {"priceDimensions": {"r": {"unit": unit, "pricePerUnit": {"USD": "0.0010000000"}}}}}
    return {"product": {"productFamily": "NAT Gateway", "sku": sku,
                        "attributes": {"usagetype": usagetype, "regionCode": "eu-west-1"}},
            "serviceCode": "AmazonEC2", "terms": terms, "publicationDate": "2026-11-20T18:04:43Z"}


def key(label):
    return next(p for p in pricing.prices_to_read() if p.label == label)


FILTERS = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"}]


@pytest.mark.parametrize("usagetype,wanted,matches", [
    ("NatGateway-Hours", "NatGateway-Hours", True),                 # us-east-1: no prefix
    ("EU-NatGateway-Hours", "NatGateway-Hours", True),
    ("USE1-Fargate-vCPU-Hours:perCPU", "Fargate-vCPU-Hours:perCPU", True),
    ("EU-Fargate-ARM-vCPU-Hours:perCPU", "Fargate-vCPU-Hours:perCPU", False),
    ("EU-SpotUsage:Fargate-vCPU-Hours:perCPU", "Fargate-vCPU-Hours:perCPU", False),
    ("EU-IATimedStorage-ByteHrs", "TimedStorage-ByteHrs", False),     # EFS Infrequent Access
    ("EU-TimedStorage-Z-ByteHrs", "TimedStorage-ByteHrs", False),     # EFS One Zone
    ("EU-Multi-AZUsage:db.t3.micro", "InstanceUsage:db.t3.micro", False),
    ("", "NatGateway-Hours", False),
    (None, "NatGateway-Hours", False),
])
def test_a_usage_type_matches_itself_behind_a_region_prefix_only(usagetype, wanted, matches):
    assert pricing.usage_matches(usagetype, wanted) is matches


@pytest.mark.parametrize("unit,kind", [
    ("Hrs", pricing.HOUR), ("hours", pricing.HOUR), ("GB-Hours", pricing.HOUR), ("LCU-Hrs", pricing.HOUR),
    ("GB-Mo", pricing.GB_MONTH), ("GB", pricing.GB), ("Alarms", pricing.MONTH), ("Secrets", pricing.MONTH),
    ("Dashboards", pricing.MONTH),
])
def test_unit_kinds(unit, kind):
    assert pricing.unit_kind(unit) == kind


def test_on_demand_price_ignores_reserved_terms():
    usd, dimension = pricing.on_demand_price(product("EU-NatGateway-Hours", reserved=True))
    assert usd == 0.048 and dimension["unit"] == "Hrs"


def test_a_tiered_price_gives_its_first_paid_tier():
    # a free allowance first, then two paid tiers, listed out of order as the API may
    usd, dimension = pricing.on_demand_price(product("EU-CW:AlarmMonitorUsage", unit="Alarms",
                                                     tiers=[("1000", "0.05"), ("10", "0.10"), ("0", "0")]))
    assert usd == 0.10 and dimension["beginRange"] == "10"
    assert pricing.on_demand_price(product("X", tiers=[("0", "0")]))[0] == 0.0
    no_usd = product("X")
    no_usd["terms"]["OnDemand"]["SKU1.JRTCKXETXF"]["priceDimensions"]["SKU1.JRTCKXETXF.R0"]["pricePerUnit"] = {"CNY": "1"}
    assert pricing.on_demand_price(no_usd) is None


def test_pick_names_the_product_it_used():
    usd, source = pricing.pick(key("nat_gateway.hour"), [("AmazonEC2", FILTERS, [
        product("EU-NatGateway-Bytes", "0.0450000000", "GB", sku="BYTES"), product("EU-NatGateway-Hours", sku="HOURS")])])
    assert usd == 0.048
    assert source == {"service_code": "AmazonEC2", "sku": "HOURS", "usagetype": "EU-NatGateway-Hours", "unit": "Hrs",
                      "description": "$0.0480000000 per Hrs", "publication_date": "2026-11-20T18:04:43Z"}


def test_no_product_with_the_usage_type_is_missing_with_the_call_made():
    usd, missing = pricing.pick(key("nat_gateway.hour"), [("AmazonEC2", FILTERS, [product("EU-NatGateway-Bytes", unit="GB")])])
    assert usd is None
    assert missing["key"] == "nat_gateway.hour"
    assert missing["calls"] == ["get_products(ServiceCode=AmazonEC2, Filters=[regionCode=eu-west-1])"]
    assert "no product with usage type NatGateway-Hours" in missing["message"]


def test_products_of_different_prices_are_not_guessed_between():
    usd, missing = pricing.pick(key("nat_gateway.hour"), [("AmazonEC2", FILTERS, [
        product("EU-NatGateway-Hours", "0.048", sku="A"), product("EU-NatGateway-Hours", "0.052", sku="B")])])
    assert usd is None and "2 products with usage type NatGateway-Hours and different prices (0.048, 0.052)" in missing["problem"]
    # the same price twice is one price
    usd, dummy = pricing.pick(key("nat_gateway.hour"), [("AmazonEC2", FILTERS, [
        product("EU-NatGateway-Hours", sku="A"), product("EU-NatGateway-Hours", sku="B")])])
    assert usd == 0.048


def test_a_price_in_a_unit_of_another_kind_is_refused():
    usd, missing = pricing.pick(key("efs_standard_gb_month"), [("AmazonEFS", FILTERS, [
        product("EU-TimedStorage-ByteHrs", "0.0004520000", unit="GB-Hours")])])
    assert usd is None and "priced per GB-Hours, not per GB-month" in missing["problem"]


def test_the_table_keys_are_the_cost_filters_keys():
    labels = [p.label for p in pricing.prices_to_read(["db.m5.large"], ["cache.m5.large"])]
    assert labels == [
        "fargate.vcpu_hour", "fargate.gb_hour", "nat_gateway.hour", "nat_gateway.gb_processed", "alb.hour", "alb.lcu_hour",
        "rds_instance_hour.db.m5.large", "rds_storage_gb_month.gp3", "rds_storage_gb_month.gp2",
        "elasticache_node_hour.cache.m5.large", "efs_standard_gb_month", "ecr_gb_month", "logs.ingest_gb",
        "logs.stored_gb_month", "alarm_month", "dashboard_month", "secret_month"]


def test_filters_name_the_region_by_its_code_except_for_a_global_price():
    assert pricing.filters_for(key("rds_instance_hour.db.t3.micro"), "eu-west-1") == [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"},
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "Database Instance"},
        {"Type": "TERM_MATCH", "Field": "databaseEngine", "Value": "PostgreSQL"},
        {"Type": "TERM_MATCH", "Field": "deploymentOption", "Value": "Single-AZ"},
        {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "db.t3.micro"}]
    assert [f["Field"] for f in pricing.filters_for(key("dashboard_month"), "eu-west-1")] == ["productFamily", "usagetype"]
