"""Integration test of apranova.aws_stack.cloudwatch_dashboard against the moto server."""

from __future__ import annotations

import json

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/cloudwatch_dashboard/main.yml"
INVENTORY = "tests/integration/inventory.yml"
NAME = "itest-overview"


def _run(aws, phase):
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags=phase)
    assert run.rc == 0, run
    return run


def _dashboards(cw):
    return {d["DashboardName"]: d for d in cw.list_dashboards()["DashboardEntries"]}


def _body(cw):
    return json.loads(cw.get_dashboard(DashboardName=NAME)["DashboardBody"])


def test_cloudwatch_dashboard(aws):
    cw = aws.client("cloudwatch")

    _run(aws, "invalid")
    assert _dashboards(cw) == {}

    _run(aws, "create")
    assert list(_dashboards(cw)) == [NAME]
    body = _body(cw)
    assert [w["properties"]["title"] for w in body["widgets"]] == ["ECS CPU", "ALB 5xx"]
    assert body["widgets"][0]["properties"]["metrics"] == [["AWS/ECS", "CPUUtilization", "ClusterName", "itest", "ServiceName", "web"]]
    assert body["widgets"][1]["properties"]["period"] == 60
    assert body["widgets"][1]["x"] == 12

    _run(aws, "update")
    body = _body(cw)
    assert [w["properties"]["title"] for w in body["widgets"]] == ["ECS CPU", "ALB 5xx errors"]
    assert body["widgets"][1]["properties"]["period"] == 300
    assert body["widgets"][1]["properties"]["stat"] == "Sum", "the recursive widget change lost a field"
    assert body["widgets"][0]["properties"]["period"] == 300

    _run(aws, "delete")
    assert _dashboards(cw) == {}
