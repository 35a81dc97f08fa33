"""Offline tests of the report role's filters (plugins/filter/report.py).

The expected values are written out: they are what the Jinja program of roles/report/vars/main.yml
built from the same inputs before it became these filters.
"""

from __future__ import annotations

import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.filter import cost, report

# ecs_services_services of roles/ecs_services/defaults/main.yml (the production inventory keeps them).
PRODUCTION_SERVICES = [
    {"name": "backend", "cpu": 512, "memory": 1024, "port": 8000, "desired_count": 1, "image_tag": "latest",
     "target_group": "backend", "data": True, "efs_mount_path": "/app/workspaces", "environment": {}},
    {"name": "frontend", "cpu": 256, "memory": 512, "port": 3000, "desired_count": 1, "image_tag": "latest",
     "target_group": "frontend", "public_api_url": True, "environment": {}},
]

# The us-east-1 table of 2026-11, the part the lines below use.
PRICES = {
    "region": "us-east-1", "date": "2026-11", "currency": "USD",
    "fargate": {"vcpu_hour": 0.04048, "gb_hour": 0.004445},
    "nat_gateway": {"hour": 0.045, "gb_processed": 0.045},
    "alb": {"hour": 0.0225, "lcu_hour": 0.008},
}


# --- report_fargate_bill -------------------------------------------------------------------------

def test_production_fargate_bill():
    assert report.report_fargate_bill(PRODUCTION_SERVICES) == [
        {"name": "backend", "cpu": 512, "memory": 1024, "count": 1, "architecture": "X86_64"},
        {"name": "frontend", "cpu": 256, "memory": 512, "count": 1, "architecture": "X86_64"},
    ]


def test_fargate_bill_reads_numbers_like_jinja():
    services = [
        {"name": "Api", "cpu": "1024", "memory": 2048.0},  # no desired_count: one task
        {"name": "worker", "cpu": 256, "memory": "512", "desired_count": "3"},
        {"name": "zero", "cpu": 256.9, "memory": "512.5", "desired_count": 0},
    ]
    assert report.report_fargate_bill(services) == [
        {"name": "Api", "cpu": 1024, "memory": 2048, "count": 1, "architecture": "X86_64"},
        {"name": "worker", "cpu": 256, "memory": 512, "count": 3, "architecture": "X86_64"},
        {"name": "zero", "cpu": 256, "memory": 512, "count": 0, "architecture": "X86_64"},
    ]
    assert report.report_fargate_bill([]) == []


@pytest.mark.parametrize("services,message", [
    ({"name": "backend"}, "report_fargate_bill: the input (the services) must be a list, got dict"),
    (["backend"], "report_fargate_bill: each service must be a dict, got str"),
    ([{"name": "backend", "cpu": 256}], "report_fargate_bill: service backend lacks memory"),
    ([{"cpu": 256, "memory": 512}], "report_fargate_bill: service 1 lacks name"),
    ([{"name": "backend", "cpu": "a lot", "memory": 512}], "report_fargate_bill: the cpu of service backend must be a number, got 'a lot'"),
    ([{"name": "backend", "cpu": 256, "memory": 512, "desired_count": None}],
     "report_fargate_bill: the desired_count of service backend must be a number, got None"),
])
def test_fargate_bill_wrong_input(services, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        report.report_fargate_bill(services)


# --- report_cost_lines ---------------------------------------------------------------------------

def test_cost_lines_of_an_estimate():
    bill = {"fargate": report.report_fargate_bill(PRODUCTION_SERVICES), "nat_gateways": 1, "load_balancers": 1}
    estimate = cost.stack_cost(bill, PRICES, {"hours_per_month": 730}, region="us-east-1")
    assert report.report_cost_lines(estimate) == [
        "  backend Fargate: $18.02 = 1 task x (0.5 vCPU x $0.04048 + 1 GB x $0.004445) x 730 h",
        "  frontend Fargate: $9.01 = 1 task x (0.25 vCPU x $0.04048 + 0.5 GB x $0.004445) x 730 h",
        "  NAT Gateway: $32.85 = 1 x ($0.045 x 730 h + 0 GB processed x $0.045)",
        "  ALB: $16.43 = 1 x ($0.0225 + 0 LCU x $0.008) x 730 h",
    ]


def test_cost_lines_format():
    estimate = {"lines": [{"label": "EFS", "monthly": 9.0, "formula": "f1"}, {"label": "ECR", "monthly": 0.1, "formula": "f2"},
                          {"label": "Big", "monthly": 1234.5, "formula": "f3"}]}
    assert report.report_cost_lines(estimate) == ["  EFS: $9.00 = f1", "  ECR: $0.10 = f2", "  Big: $1234.50 = f3"]


def test_no_estimate_no_line():
    # a region without a price table: the role passes {}
    assert report.report_cost_lines({}) == []
    assert report.report_cost_lines({"lines": []}) == []


@pytest.mark.parametrize("estimate,message", [
    ([], "report_cost_lines: the input (a stack_cost estimate) must be a dict, got list"),
    ({"lines": {"label": "EFS"}}, "report_cost_lines: the lines of the estimate must be a list, got dict"),
    ({"lines": ["EFS"]}, "report_cost_lines: each line of the estimate must be a dict, got str"),
    ({"lines": [{"label": "EFS", "monthly": 9.0}]}, "report_cost_lines: a line of the estimate lacks formula"),
    ({"lines": [{"label": "EFS", "monthly": "9", "formula": "f"}]}, "report_cost_lines: the monthly cost of EFS must be a number, got '9'"),
])
def test_cost_lines_wrong_input(estimate, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        report.report_cost_lines(estimate)


# --- wiring --------------------------------------------------------------------------------------

def test_filter_names():
    assert sorted(report.FilterModule().filters()) == ["report_cost_lines", "report_fargate_bill"]
