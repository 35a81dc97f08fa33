"""Offline tests of the cost model (plugins/filter/cost.py) and its price table.

Every expected figure below is computed by hand from the prices in the brief (us-east-1, 2026-11)
and written out, so a change in the model or in the table shows up as a failing number.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[4]

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.filter import cost

PRICE_FILE = REPO / "roles" / "report" / "vars" / "main.yml"


@pytest.fixture(scope="module")
def prices():
    return yaml.safe_load(PRICE_FILE.read_text())["__report_price_tables"]["us-east-1"]


# The production stack of the architecture guide, as the inventory describes it.
GUIDE_BILL = {
    "fargate": [
        {"name": "backend", "cpu": 512, "memory": 1024, "count": 1, "architecture": "X86_64"},
        {"name": "frontend", "cpu": 256, "memory": 512, "count": 1, "architecture": "X86_64"},
    ],
    "nat_gateways": 1,
    "load_balancers": 1,
    "db_instances": [{"name": "production-apranova-db", "instance_class": "db.t3.micro", "multi_az": False,
                      "storage_type": "gp3", "storage_gb": 20}],
    "cache_clusters": [{"name": "production-redis", "node_type": "cache.t3.micro", "nodes": 1}],
    "file_systems": 1,
    "repositories": 2,
    "log_groups": 2,
    "alarms": 14,
    "dashboards": 1,
    "secrets": 1,
}

# Role defaults of roles/report/defaults/main.yml.
DEFAULTS = {"hours_per_month": 730, "efs_gb": 30, "ecr_gb": 0.5, "log_ingest_gb": 1, "log_stored_gb": 1,
            "nat_processed_gb": 0, "alb_lcu": 0}


def lines(result):
    return {line["key"]: line for line in result["lines"]}


def test_price_table_is_dated_and_holds_the_briefs_prices(prices):
    assert prices["date"] == "2026-11"
    assert prices["currency"] == "USD"
    assert prices["fargate"] == {"vcpu_hour": 0.04048, "gb_hour": 0.004445}
    assert prices["nat_gateway"] == {"hour": 0.045, "gb_processed": 0.045}
    assert prices["alb"] == {"hour": 0.0225, "lcu_hour": 0.008}
    assert prices["rds_instance_hour"] == {"db.t3.micro": 0.018, "db.t3.small": 0.036, "db.t4g.micro": 0.016}
    assert prices["rds_storage_gb_month"] == {"gp3": 0.115, "gp2": 0.115}
    assert prices["elasticache_node_hour"] == {"cache.t3.micro": 0.017, "cache.t3.small": 0.034, "cache.t4g.micro": 0.016}
    assert prices["efs_standard_gb_month"] == 0.30
    assert prices["ecr_gb_month"] == 0.10
    assert prices["logs"] == {"ingest_gb": 0.50, "stored_gb_month": 0.03}
    assert prices["alarm_month"] == 0.10
    assert prices["dashboard_month"] == 3.00
    assert prices["secret_month"] == 0.40


def test_role_defaults_match_the_models_defaults():
    defaults = yaml.safe_load((REPO / "roles" / "report" / "defaults" / "main.yml").read_text())
    assert defaults["report_hours_per_month"] == 730
    keys = ("efs_gb", "ecr_gb", "log_ingest_gb", "log_stored_gb", "nat_processed_gb", "alb_lcu")
    assert {k: defaults["report_assumed_" + k] for k in keys} == {k: v for k, v in DEFAULTS.items() if k != "hours_per_month"}
    assert cost.DEFAULT_ASSUMPTIONS == {k: float(v) if k != "hours_per_month" else v for k, v in DEFAULTS.items()}


def test_guide_stack_hand_computed(prices):
    result = cost.stack_cost(GUIDE_BILL, prices, DEFAULTS, region="us-east-1")
    got = lines(result)
    # backend: 0.5 vCPU x 0.04048 x 730 = 14.7752, 1 GB x 0.004445 x 730 = 3.24485
    assert got["fargate:backend"]["exact"] == pytest.approx(18.02005)
    assert got["fargate:backend"]["monthly"] == 18.02
    # frontend: 0.25 x 0.04048 x 730 = 7.3876, 0.5 x 0.004445 x 730 = 1.622425
    assert got["fargate:frontend"]["exact"] == pytest.approx(9.010025)
    assert got["nat"]["exact"] == pytest.approx(32.85)               # 0.045 x 730
    assert got["alb"]["exact"] == pytest.approx(16.425)              # 0.0225 x 730
    assert got["rds:production-apranova-db"]["exact"] == pytest.approx(15.44)  # 0.018 x 730 + 20 x 0.115
    assert got["elasticache:production-redis"]["exact"] == pytest.approx(12.41)  # 0.017 x 730
    assert got["efs"]["exact"] == pytest.approx(9.00)                # 30 GB x 0.30
    assert got["ecr"]["exact"] == pytest.approx(0.10)                # 2 x 0.5 GB x 0.10
    # 2 x (1 x 0.50 + 1 x 0.03) + 14 x 0.10 + 1 x 3.00
    assert got["cloudwatch"]["exact"] == pytest.approx(5.46)
    assert got["secrets"]["exact"] == pytest.approx(0.40)
    assert result["total"] == pytest.approx(119.12)
    assert result["unpriced"] == []
    assert result["price_date"] == "2026-11"
    assert result["by_service"]["ECS Fargate"] == pytest.approx(27.03)


@pytest.mark.parametrize("key,guide", [("nat", 33), ("alb", 16), ("rds:production-apranova-db", 15),
                                       ("elasticache:production-redis", 12)])
def test_agrees_with_the_hand_written_guide_within_15_percent(prices, key, guide):
    line = lines(cost.stack_cost(GUIDE_BILL, prices, DEFAULTS))[key]
    assert abs(line["monthly"] - guide) <= 0.15 * guide


def test_each_line_names_the_prices_it_used(prices):
    got = lines(cost.stack_cost(GUIDE_BILL, prices, DEFAULTS))
    assert got["nat"]["prices"] == {"nat_gateway.hour": 0.045, "nat_gateway.gb_processed": 0.045}
    assert got["alb"]["prices"] == {"alb.hour": 0.0225, "alb.lcu_hour": 0.008}
    assert got["rds:production-apranova-db"]["prices"] == {"rds_instance_hour.db.t3.micro": 0.018,
                                                           "rds_storage_gb_month.gp3": 0.115}
    assert got["elasticache:production-redis"]["prices"] == {"elasticache_node_hour.cache.t3.micro": 0.017}
    assert got["fargate:backend"]["formula"] == "1 task x (0.5 vCPU x $0.04048 + 1 GB x $0.004445) x 730 h"
    assert got["efs"]["formula"] == "1 file system(s) x 30 GB (assumed) x $0.3 per GB-month"


def test_categories_and_percentages(prices):
    result = cost.stack_cost(GUIDE_BILL, prices, DEFAULTS)
    cats = {c["name"]: c for c in result["categories"]}
    assert [c["name"] for c in result["categories"]] == ["Compute", "Database", "Networking", "Storage", "Other"]
    assert cats["Networking"]["monthly"] == pytest.approx(49.28)     # 32.85 + 16.425 (rounded per category)
    assert cats["Database"]["monthly"] == pytest.approx(27.85)
    assert cats["Networking"]["percent"] == round(100 * 49.275 / 119.115075)


def test_multi_az_doubles_instance_and_storage(prices):
    bill = {"db_instances": [{"name": "db", "instance_class": "db.t3.small", "multi_az": True, "storage_type": "gp2",
                              "storage_gb": 100}]}
    line = cost.stack_cost(bill, prices, DEFAULTS)["lines"][0]
    assert line["exact"] == pytest.approx(2 * (0.036 * 730 + 100 * 0.115))   # 75.56
    assert "Multi-AZ x2" in line["formula"]


def test_multi_az_given_as_string(prices):
    bill = {"db_instances": [{"name": "db", "instance_class": "db.t3.micro", "multi_az": "False", "storage_type": "gp3",
                              "storage_gb": 20}]}
    assert cost.stack_cost(bill, prices, DEFAULTS)["total"] == pytest.approx(15.44)


def test_cache_nodes_and_other_classes(prices):
    bill = {"cache_clusters": [{"name": "c", "node_type": "cache.t4g.micro", "nodes": 2}],
            "db_instances": [{"name": "d", "instance_class": "db.t4g.micro", "storage_gb": 20, "storage_type": "gp3"}]}
    got = lines(cost.stack_cost(bill, prices, DEFAULTS))
    assert got["elasticache:c"]["exact"] == pytest.approx(2 * 0.016 * 730)   # 23.36
    assert got["rds:d"]["exact"] == pytest.approx(0.016 * 730 + 20 * 0.115)  # 13.98


def test_fargate_desired_count_and_size(prices):
    bill = {"fargate": [{"name": "worker", "cpu": 1024, "memory": 3072, "count": 3}]}
    line = cost.stack_cost(bill, prices, DEFAULTS)["lines"][0]
    assert line["exact"] == pytest.approx(3 * (1 * 0.04048 + 3 * 0.004445) * 730)   # 117.852...
    assert line["label"] == "worker Fargate"


def test_fargate_string_sizes_as_in_task_definitions(prices):
    bill = {"fargate": [{"name": "api", "cpu": "512", "memory": "1024", "count": "1"}]}
    assert cost.stack_cost(bill, prices, DEFAULTS)["total"] == pytest.approx(18.02)


def test_zero_tasks_cost_nothing(prices):
    bill = {"fargate": [{"name": "idle", "cpu": 256, "memory": 512, "count": 0}]}
    assert cost.stack_cost(bill, prices, DEFAULTS)["total"] == 0


def test_assumptions_change_nat_alb_efs_ecr_logs(prices):
    a = dict(DEFAULTS, nat_processed_gb=100, alb_lcu=1, efs_gb=10, ecr_gb=2, log_ingest_gb=5, log_stored_gb=10)
    got = lines(cost.stack_cost(GUIDE_BILL, prices, a))
    assert got["nat"]["exact"] == pytest.approx(32.85 + 100 * 0.045)        # 37.35
    assert got["alb"]["exact"] == pytest.approx((0.0225 + 0.008) * 730)     # 22.265
    assert got["efs"]["exact"] == pytest.approx(3.0)
    assert got["ecr"]["exact"] == pytest.approx(0.4)
    assert got["cloudwatch"]["exact"] == pytest.approx(2 * (5 * 0.5 + 10 * 0.03) + 1.4 + 3.0)   # 10.0


def test_hours_per_month(prices):
    got = lines(cost.stack_cost({"nat_gateways": 2}, prices, dict(DEFAULTS, hours_per_month=720)))
    assert got["nat"]["exact"] == pytest.approx(2 * 0.045 * 720)
    assert "720 h" in got["nat"]["formula"]


def test_missing_price_is_reported_not_guessed(prices):
    bill = {"db_instances": [{"name": "big", "instance_class": "db.r6g.large", "storage_type": "gp3", "storage_gb": 20}],
            "nat_gateways": 1}
    result = cost.stack_cost(bill, prices, DEFAULTS)
    assert [line["key"] for line in result["lines"]] == ["nat"]
    assert result["total"] == pytest.approx(32.85)
    assert result["unpriced"] == ["no price 'rds_instance_hour.db.r6g.large' in the us-east-1 price table "
                                  "(roles/report/vars/main.yml): add it"]


def test_arm_fargate_is_not_priced_with_x86_prices(prices):
    result = cost.stack_cost({"fargate": [{"name": "a", "cpu": 256, "memory": 512, "count": 1, "architecture": "ARM64"}]},
                             prices, DEFAULTS)
    assert result["lines"] == []
    assert "ARM64" in result["unpriced"][0]


def test_empty_bill_costs_nothing(prices):
    result = cost.stack_cost({}, prices, DEFAULTS)
    assert result["total"] == 0 and result["lines"] == [] and result["categories"] == []


def test_bad_input_says_what_to_change(prices):
    with pytest.raises(AnsibleFilterError, match="unknown assumption 'efs_tb'"):
        cost.stack_cost({}, prices, {"efs_tb": 1})
    with pytest.raises(AnsibleFilterError, match="fargate cpu of api must be a number"):
        cost.stack_cost({"fargate": [{"name": "api", "cpu": "half", "memory": 512}]}, prices, DEFAULTS)
    with pytest.raises(AnsibleFilterError, match="no price table for region eu-west-3"):
        cost.stack_cost({}, {}, DEFAULTS, region="eu-west-3")
    with pytest.raises(AnsibleFilterError, match="must not be negative"):
        cost.stack_cost({}, prices, {"efs_gb": -1})


def test_diff_names_the_line_and_the_amount(prices):
    live = cost.stack_cost(GUIDE_BILL, prices, DEFAULTS)
    bigger = dict(GUIDE_BILL, fargate=[dict(GUIDE_BILL["fargate"][0], cpu=1024, memory=2048), GUIDE_BILL["fargate"][1]])
    planned = cost.stack_cost(bigger, prices, DEFAULTS)
    diff = cost.stack_cost_diff(planned, live)
    assert [c["key"] for c in diff["changes"]] == ["fargate:backend"]
    change = diff["changes"][0]
    # 1 vCPU + 2 GB: 29.5504 + 6.4897 = 36.0401 -> 36.04; before 18.02
    assert change["new"] == 36.04 and change["old"] == 18.02 and change["delta"] == pytest.approx(18.02)
    assert change["text"] == "backend Fargate +$18.02/month ($18.02 -> $36.04)"
    assert diff["total_delta"] == pytest.approx(18.02)
    assert diff["text"] == "total +$18.02/month ($119.12 -> $137.14)"


def test_diff_new_removed_and_cheaper_lines(prices):
    old = cost.stack_cost({"nat_gateways": 2, "fargate": [{"name": "old", "cpu": 256, "memory": 512, "count": 1}]},
                          prices, DEFAULTS)
    new = cost.stack_cost({"nat_gateways": 1, "load_balancers": 1}, prices, DEFAULTS)
    texts = [c["text"] for c in cost.stack_cost_diff(new, old)["changes"]]
    assert texts == [
        "NAT Gateway -$32.85/month ($65.70 -> $32.85)",
        "ALB +$16.43/month (new) ($0.00 -> $16.43)",
        "old Fargate -$9.01/month (removed) ($9.01 -> $0.00)",
    ]


def test_diff_without_changes_and_without_a_live_stack(prices):
    live = cost.stack_cost(GUIDE_BILL, prices, DEFAULTS)
    assert cost.stack_cost_diff(live, live)["changes"] == []
    fresh = cost.stack_cost_diff(live, {})
    assert len(fresh["changes"]) == len(live["lines"])
    assert fresh["total_delta"] == pytest.approx(119.12)


def test_filters_are_registered():
    assert set(cost.FilterModule().filters()) == {"stack_cost", "stack_cost_diff"}
