"""Offline tests of the dashboard half of plugins/module_utils/cloudwatch.py and the
cloudwatch_dashboard module's ensure functions (moto's in-process backend, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]

import boto3

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import cloudwatch as cw
from ansible_collections.apranova.aws_stack.plugins.modules import cloudwatch_dashboard as mod
from ...aws_answers import retrying

BODY = {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "hi"}}]}


def test_parse_body_from_dict_and_text():
    assert cw.parse_dashboard_body(BODY) == BODY
    assert cw.parse_dashboard_body(json.dumps(BODY, indent=4)) == BODY
    assert cw.parse_dashboard_body(json.dumps(BODY).encode()) == BODY


@pytest.mark.parametrize("body, needle", [
    ('{"widgets": [', "body is not valid JSON"),
    ("[1, 2]", "body must be a JSON object"),
    (["a"], "body must be a JSON object"),
    (None, "body must be a JSON object"),
])
def test_parse_body_rejects(body, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(")):
        cw.parse_dashboard_body(body)


def test_body_text_is_stable_and_compact():
    a = cw.dashboard_body_text({"b": 1, "a": [1, 2]})
    assert a == '{"a":[1,2],"b":1}'
    assert cw.dashboard_body_text(json.loads(a)) == a


@pytest.mark.parametrize("name, ok", [("prod-overview_1", True), ("", False), ("has space", False),
                                      ("a/b", False), ("x" * 255, True), ("x" * 256, False)])
def test_dashboard_name(name, ok):
    assert (cw.validate_dashboard_name(name) is None) is ok


def test_normalize_dashboard():
    raw = {"DashboardName": "d", "DashboardArn": "arn:aws:cloudwatch::1:dashboard/d", "DashboardBody": '{"widgets":[]}'}
    assert cw.normalize_dashboard(raw) == {"name": "d", "arn": "arn:aws:cloudwatch::1:dashboard/d",
                                           "body": {"widgets": []}, "size": 14}
    assert cw.normalize_dashboard(None) is None


@pytest.fixture
def client(offline_aws):
    yield retrying(boto3.client("cloudwatch", region_name="us-east-1"))


def present(client, name, body, check_mode):
    """``ensure_present``: ``(changed, dashboard, before, warnings)``."""
    warnings = []
    outcome = mod.ensure_present(client, dict(name=name, body=body, state="present"),
                                 base.Context(check_mode=check_mode, warn=warnings.append))
    assert outcome.after == outcome.result["dashboard"]
    return outcome.changed, outcome.result["dashboard"], outcome.before, warnings


def absent(client, name, check_mode):
    """``ensure_absent``: ``(changed, dashboard, before)``."""
    outcome = mod.ensure_absent(client, dict(name=name, body=None, state="absent"), base.Context(check_mode=check_mode))
    assert outcome.after == {}
    return outcome.changed, outcome.result["dashboard"], outcome.before


def test_four_steps_update_and_delete(client):
    changed, dashboard, before, warnings = present(client, "d", BODY, True)
    assert changed and before is None and dashboard["arn"] is None and dashboard["body"] == BODY
    assert client.list_dashboards()["DashboardEntries"] == []

    changed, dashboard, before, warnings = present(client, "d", BODY, False)
    assert changed and dashboard["arn"].endswith(":dashboard/d") and warnings == []
    assert json.loads(client.get_dashboard(DashboardName="d")["DashboardBody"]) == BODY
    assert present(client, "d", BODY, True)[0] is False
    assert present(client, "d", BODY, False)[0] is False

    # Stored with other key order and spacing (as the console would): still no change.
    client.put_dashboard(DashboardName="d", DashboardBody=json.dumps(BODY, indent=2, sort_keys=False))
    assert present(client, "d", cw.parse_dashboard_body(json.dumps(BODY)), False)[0] is False

    new = {"widgets": [dict(BODY["widgets"][0], width=12)]}
    changed, dashboard, before, _ = present(client, "d", new, False)
    assert changed and before["body"] == BODY and dashboard["body"] == new
    assert json.loads(client.get_dashboard(DashboardName="d")["DashboardBody"])["widgets"][0]["width"] == 12

    assert absent(client, "d", True)[0] is True
    assert len(client.list_dashboards()["DashboardEntries"]) == 1
    changed, dashboard, before = absent(client, "d", False)
    assert changed and dashboard == {} and before["body"] == new
    assert client.list_dashboards()["DashboardEntries"] == []
    assert absent(client, "d", True)[0] is False
    assert absent(client, "d", False)[0] is False
