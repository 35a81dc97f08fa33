"""Offline tests of apranova.aws_stack.pricing_products (and its API layer, plugins/module_utils/pricing.py)
against recorded-style answers of the AWS Price List API: fixtures/pricing_get_products_eu-west-1.json,
the GetProducts answers for eu-west-1 in call order, written in the API's documented shape (see
fixtures/README.md; they were not recorded from AWS). botocore's Stubber plays them to a real
``pricing`` client and checks each request against the one recorded with it.

Also here: the cost filter (plugins/filter/cost.py) prices a bill with the module's table, and the
report role (roles/report/vars/main.yml) takes that table, and names it, only when asked to.
"""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from botocore.stub import Stubber

from ansible_collections.apranova.aws_stack.plugins.filter import cost
from ansible_collections.apranova.aws_stack.plugins.module_utils import pricing
from ansible_collections.apranova.aws_stack.plugins.modules import pricing_products
from ...aws_answers import retrying
from ..filter.test_cost import DEFAULTS, GUIDE_BILL   # the guide's production stack, the role's defaults

REPO = Path(__file__).resolve().parents[4]
ANSWERS = json.loads((Path(__file__).parent / "fixtures" / "pricing_get_products_eu-west-1.json").read_text())
TODAY = datetime.date(2026, 12, 5)

# What the answers hold for eu-west-1, written out.
EU_WEST_1 = {
    "region": "eu-west-1", "date": "2026-12-05", "currency": "USD", "source": "price-list-api",
    "fargate": {"vcpu_hour": 0.04048, "gb_hour": 0.004445},
    "nat_gateway": {"hour": 0.048, "gb_processed": 0.048},
    "alb": {"hour": 0.0252, "lcu_hour": 0.008},
    "rds_instance_hour": {"db.t3.micro": 0.019, "db.t3.small": 0.038, "db.t4g.micro": 0.017},
    "rds_storage_gb_month": {"gp3": 0.127, "gp2": 0.127},
    "elasticache_node_hour": {"cache.t3.micro": 0.018, "cache.t3.small": 0.036, "cache.t4g.micro": 0.017},
    "efs_standard_gb_month": 0.33,
    "ecr_gb_month": 0.10,
    "logs": {"ingest_gb": 0.57, "stored_gb_month": 0.03},
    "alarm_month": 0.10,
    "dashboard_month": 3.00,
    "secret_month": 0.40,
}


def dated_table(region="us-east-1"):
    import yaml
    return yaml.safe_load((REPO / "roles" / "report" / "vars" / "main.yml").read_text())["__report_price_tables"][region]


def paths(table, prefix=()):
    """The key paths of a price table: ('nat_gateway', 'hour'), ('rds_instance_hour', 'db.t3.micro') ..."""
    out = set()
    for k, v in table.items():
        out |= paths(v, prefix + (k,)) if isinstance(v, dict) else {prefix + (k,)}
    return out


def play(stub, exchanges):
    """Queue the answers on ``stub``, each a copy: botocore's paginator extends the first page's
    list with the next pages, and the Stubber hands out the very object it was given."""
    for exchange in exchanges:
        assert exchange["operation"] == "GetProducts"
        stub.add_response("get_products", copy.deepcopy(exchange["response"]), exchange["request"])


def without_products(service_code):
    """The recorded answers, with ``service_code``'s answer emptied (the API has no such product)."""
    exchanges = copy.deepcopy(ANSWERS["exchanges"])
    hits = [e for e in exchanges if e["request"]["ServiceCode"] == service_code]
    assert len(hits) == 1
    hits[0]["response"]["PriceList"] = []
    return exchanges


@pytest.fixture
def api(fake_credentials):
    raw = boto3.client("pricing", region_name="us-east-1")
    stub = Stubber(raw)
    stub.activate()
    yield stub, retrying(raw)
    stub.deactivate()


# --- the table, from the answers ---------------------------------------------------------------------

def test_the_eu_west_1_table_has_the_regions_prices(api):
    stub, client = api
    play(stub, ANSWERS["exchanges"])
    table, sources = pricing.read_prices(client, "eu-west-1", today=TODAY)
    stub.assert_no_pending_responses()      # every recorded call made, in order, each with its request
    assert table == EU_WEST_1
    # each price names its product, as the API answered it
    assert sources["fargate.vcpu_hour"]["usagetype"] == "EU-Fargate-vCPU-Hours:perCPU"   # not ARM, Spot or Windows
    assert sources["efs_standard_gb_month"]["usagetype"] == "EU-TimedStorage-ByteHrs"    # not IA or One Zone
    assert sources["rds_storage_gb_month.gp3"]["unit"] == "GB-Mo"
    assert sources["dashboard_month"]["usagetype"] == "DashboardsUsageHour"
    assert set(sources) == {".".join(p) for p in paths(table) if p[0] not in ("region", "date", "currency", "source")}


def test_the_table_has_the_keys_of_the_dated_table_and_other_prices(api):
    stub, client = api
    play(stub, ANSWERS["exchanges"])
    table, dummy = pricing.read_prices(client, "eu-west-1", today=TODAY)
    us_east_1 = dated_table()
    assert paths(table) - {("source",)} == paths(us_east_1)
    differ = sorted(".".join(p) for p in paths(us_east_1) - {("region",), ("date",)} if
                    _at(table, p) != _at(us_east_1, p))
    assert differ == ["alb.hour", "efs_standard_gb_month", "elasticache_node_hour.cache.t3.micro",
                      "elasticache_node_hour.cache.t3.small", "elasticache_node_hour.cache.t4g.micro",
                      "logs.ingest_gb", "nat_gateway.gb_processed", "nat_gateway.hour",
                      "rds_instance_hour.db.t3.micro", "rds_instance_hour.db.t3.small", "rds_instance_hour.db.t4g.micro",
                      "rds_storage_gb_month.gp2", "rds_storage_gb_month.gp3"]


def _at(table, path):
    for part in path:
        table = table[part]
    return table


def test_every_page_is_read_and_a_throttled_page_is_tried_again(api):
    stub, client = api
    first, second = ANSWERS["exchanges"][:2]            # Fargate's answer comes in two pages
    assert "NextToken" in first["response"] and second["request"]["NextToken"] == first["response"]["NextToken"]
    stub.add_response("get_products", copy.deepcopy(first["response"]), first["request"])
    stub.add_client_error("get_products", "ThrottlingException", "Rate exceeded", http_status_code=400,
                          expected_params=second["request"])
    play(stub, [first, second])                          # the walk, tried again from its first page
    products = pricing.get_products(client, "AmazonECS", first["request"]["Filters"])
    stub.assert_no_pending_responses()
    usagetypes = [p["product"]["attributes"]["usagetype"] for p in products]
    assert len(usagetypes) == 7 and "EU-Fargate-vCPU-Hours:perCPU" in usagetypes   # on the second page only


def test_a_product_missing_from_the_answers_fails_naming_the_key_and_the_filters(api):
    stub, client = api
    play(stub, without_products("AmazonEFS"))
    with pytest.raises(pricing.MissingPrices) as e:
        pricing.read_prices(client, "eu-west-1", today=TODAY)
    stub.assert_no_pending_responses()                   # the other keys were still read
    assert [m["key"] for m in e.value.missing] == ["efs_standard_gb_month"]
    assert str(e.value) == (
        "The AWS Price List API gave no usable price for 1 key(s) of the eu-west-1 price table (efs_standard_gb_month): "
        "efs_standard_gb_month: get_products(ServiceCode=AmazonEFS, Filters=[regionCode=eu-west-1, productFamily=Storage]) "
        "answered no product with usage type TimedStorage-ByteHrs (or <region prefix>-TimedStorage-ByteHrs)")


# --- the module --------------------------------------------------------------------------------------

def run_module(monkeypatch, capsys, args, exchanges):
    """``pricing_products.main()`` with ``args``; its client answers ``exchanges`` (Stubber). Returns
    ``(exit code, result, the raw pricing client)``."""
    made = {}
    real_client = pricing.client

    def client(module, api_region=pricing.DEFAULT_API_REGION):
        wrapped = real_client(module, api_region)
        stub = Stubber(wrapped.client)
        play(stub, exchanges)
        stub.activate()
        made.update(client=wrapped.client, stub=stub)
        return wrapped

    monkeypatch.setattr(pricing, "client", client)
    with patch_module_args(args), pytest.raises(SystemExit) as end:
        pricing_products.main()
    made["stub"].deactivate()
    return end.value.code, json.loads(capsys.readouterr().out), made["client"]


@pytest.mark.parametrize("api_region", [None, "eu-central-1", "ap-south-1"])
def test_the_client_calls_the_api_endpoint_not_the_priced_region(fake_credentials, monkeypatch, capsys, api_region):
    # region: what module_defaults (group/apranova.aws_stack.aws_stack) gives every module of the stack
    args = {"price_region": "eu-west-1", "region": "eu-west-1"}
    if api_region:
        args["api_region"] = api_region
    code, result, client = run_module(monkeypatch, capsys, args, ANSWERS["exchanges"])
    endpoint = api_region or "us-east-1"
    assert client.meta.region_name == endpoint
    assert client.meta.endpoint_url == "https://api.pricing.%s.amazonaws.com" % endpoint
    assert code == 0 and result["changed"] is False and result["missing"] == []
    assert result["prices"]["region"] == "eu-west-1"      # the priced region: the regionCode filter
    assert result["prices"]["date"] == datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert dict(result["prices"], date="2026-12-05") == EU_WEST_1


def test_an_endpoint_region_without_the_api_is_refused(fake_credentials, capsys):
    with patch_module_args({"price_region": "eu-west-1", "api_region": "eu-west-1"}), pytest.raises(SystemExit) as end:
        pricing_products.main()
    result = json.loads(capsys.readouterr().out)
    assert end.value.code == 1 and "api_region" in result["msg"] and "eu-central-1" in result["msg"]


def test_it_reads_in_check_mode(fake_credentials, monkeypatch, capsys):
    args = {"price_region": "eu-west-1", "_ansible_check_mode": True}
    code, result, dummy = run_module(monkeypatch, capsys, args, ANSWERS["exchanges"])
    assert code == 0 and result["prices"]["nat_gateway"] == {"hour": 0.048, "gb_processed": 0.048}


def test_the_module_fails_naming_the_missing_key_and_its_call(fake_credentials, monkeypatch, capsys):
    code, result, dummy = run_module(monkeypatch, capsys, {"price_region": "eu-west-1"}, without_products("AWSSecretsManager"))
    assert code == 1 and result["failed"] is True
    assert "secret_month: get_products(ServiceCode=AWSSecretsManager, Filters=[regionCode=eu-west-1, productFamily=Secret])" \
        in result["msg"]
    assert [m["key"] for m in result["missing"]] == ["secret_month"]
    assert "prices" not in result


# --- the cost filter and the report role take the table ------------------------------------------

def test_the_cost_filter_prices_a_bill_with_the_modules_table(api):
    stub, client = api
    play(stub, ANSWERS["exchanges"])
    table, dummy = pricing.read_prices(client, "eu-west-1", today=TODAY)
    result = cost.stack_cost(GUIDE_BILL, table, DEFAULTS, region="eu-west-1")
    lines = {line["key"]: line for line in result["lines"]}
    assert result["unpriced"] == [] and result["price_date"] == "2026-12-05"
    assert lines["nat"]["exact"] == pytest.approx(35.04)                 # 0.048 x 730
    db = lines["rds:production-apranova-db"]
    assert db["exact"] == pytest.approx(16.41)                           # 0.019 x 730 + 20 GB x 0.127
    assert db["prices"] == {"rds_instance_hour.db.t3.micro": 0.019, "rds_storage_gb_month.gp3": 0.127}
    assert lines["efs"]["exact"] == pytest.approx(9.90)                  # 30 GB x 0.33
    assert lines["cloudwatch"]["exact"] == pytest.approx(5.60)           # 2 x (0.57 + 0.03) + 14 x 0.10 + 3.00
    # backend 18.02005 + frontend 9.010025 + NAT 35.04 + ALB 18.396 + RDS 16.41 + Redis 13.14 + EFS 9.90
    # + ECR 0.10 + CloudWatch 5.60 + Secrets 0.40 (the us-east-1 table: 119.12)
    assert result["total"] == pytest.approx(126.02)


def role_vars(**variables):
    """A templar over the report role's defaults and vars (as the role sees them) plus ``variables``."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.utils.yaml import from_yaml
    from ansible.template import Templar, trust_as_template

    merged = {}
    for path in ("defaults", "vars"):
        merged.update(from_yaml(trust_as_template((REPO / "roles" / "report" / path / "main.yml").read_text())))
    merged.update(variables)
    templar = Templar(loader=DataLoader(), variables=merged)
    return lambda expression: templar.template(trust_as_template("{{ %s }}" % expression))


def test_the_role_prices_with_the_dated_table_unless_asked():
    render = role_vars(aws_region="us-east-1")
    assert render("report_price_list_refresh") is False
    assert render("__report_prices") == dated_table()
    assert render("__report_price_table_label") == "dated us-east-1 price table of 2026-11"
    render = role_vars(aws_region="eu-west-1")
    assert render("__report_priced") is False
    assert render("__report_price_table_label") == "no price table for eu-west-1"


def test_the_role_prices_with_the_modules_table_when_asked():
    render = role_vars(aws_region="eu-west-1", report_price_list_refresh=True, __report_price_list={"prices": EU_WEST_1})
    assert render("__report_prices") == EU_WEST_1 and render("__report_priced") is True
    assert render("__report_price_table_label") == "AWS Price List API, eu-west-1, fetched 2026-12-05"
    # the classes and node types asked for: the inventory's and the live stack's, once each
    render = role_vars(__report_inventory_bill={"db_instances": [{"instance_class": "db.t4g.micro"}],
                                                "cache_clusters": [{"node_type": "cache.t4g.micro"}]},
                       __report_live={"bill": {"db_instances": [{"instance_class": "db.t3.micro"}, {"instance_class": "db.t4g.micro"}],
                                               "cache_clusters": []}})
    assert render("__report_price_list_db_classes") == ["db.t4g.micro", "db.t3.micro"]
    assert render("__report_price_list_cache_types") == ["cache.t4g.micro"]


def test_the_role_reads_the_api_only_when_asked():
    import yaml
    tasks = yaml.safe_load((REPO / "roles" / "report" / "tasks" / "main.yml").read_text())
    calls = [t for t in tasks if "apranova.aws_stack.pricing_products" in t]
    assert len(calls) == 1
    assert calls[0]["when"] == "report_price_list_refresh"
    assert calls[0]["apranova.aws_stack.pricing_products"]["price_region"] == "{{ aws_region }}"
    assert calls[0]["register"] == "__report_price_list"
    spec = yaml.safe_load((REPO / "roles" / "report" / "meta" / "argument_specs.yml").read_text())
    assert spec["argument_specs"]["main"]["options"]["report_price_list_refresh"]["default"] is False


# --- calls the recorded answers do not show ---------------------------------------------------------

def alb_answer():
    """The recorded AWSELB exchange (both load balancer prices)."""
    hits = [e for e in ANSWERS["exchanges"] if e["request"]["ServiceCode"] == "AWSELB"]
    assert len(hits) == 1
    return hits[0]


def only_the_load_balancer(monkeypatch):
    wanted = [p for p in pricing.prices_to_read() if p.key[0] == "alb"]
    monkeypatch.setattr(pricing, "prices_to_read", lambda *a: wanted)


def test_load_balancer_prices_are_asked_of_amazonec2_when_awselb_has_none(api, monkeypatch):
    stub, client = api
    only_the_load_balancer(monkeypatch)
    recorded = alb_answer()
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []}, recorded["request"])
    stub.add_response("get_products", copy.deepcopy(recorded["response"]), dict(recorded["request"], ServiceCode="AmazonEC2"))
    table, sources = pricing.read_prices(client, "eu-west-1")
    stub.assert_no_pending_responses()                   # two keys, one call per service code
    assert table["alb"] == {"hour": 0.0252, "lcu_hour": 0.008}
    assert sources["alb.lcu_hour"]["service_code"] == "AmazonEC2"


def test_a_key_found_under_neither_service_code_names_both_calls(api, monkeypatch):
    stub, client = api
    only_the_load_balancer(monkeypatch)
    request = alb_answer()["request"]
    for code in ("AWSELB", "AmazonEC2"):
        stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []}, dict(request, ServiceCode=code))
    with pytest.raises(pricing.MissingPrices) as e:
        pricing.read_prices(client, "eu-west-1")
    stub.assert_no_pending_responses()
    assert [m["key"] for m in e.value.missing] == ["alb.hour", "alb.lcu_hour"]
    assert e.value.missing[0]["calls"] == [
        "get_products(ServiceCode=AWSELB, Filters=[regionCode=eu-west-1, productFamily=Load Balancer-Application])",
        "get_products(ServiceCode=AmazonEC2, Filters=[regionCode=eu-west-1, productFamily=Load Balancer-Application])"]


def test_an_api_error_is_the_layers_error(api):
    stub, client = api
    stub.add_client_error("get_products", "AccessDeniedException", "not authorized to perform: pricing:GetProducts",
                          http_status_code=400)
    with pytest.raises(pricing.PricingError) as e:
        pricing.get_products(client, "AmazonEC2", [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"}])
    assert "Failed to get the products of AmazonEC2" in str(e.value)
