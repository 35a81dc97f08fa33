"""Offline tests of what the tiers' filters share (plugins/plugin_utils/filter_inputs.py).

The expected values are written out: what Jinja's ``int`` and ``float`` filters, Ansible's ``match``
test and its ``unique`` and ``flatten`` filters give for the same input, and the messages the
filters have always given for input of the wrong type.
"""

from __future__ import annotations

import collections
import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.plugin_utils import filter_inputs as fi


# ---------------------------------------------------------------- Jinja's and Ansible's semantics


@pytest.mark.parametrize("value,expected", [
    (80, 80), ("80", 80), ("8.9", 8), (8.9, 8), (-8.9, -8), ("-5", -5), (" 42 ", 42), (True, 1), (False, 0),
    ("abc", 0), ("", 0), (None, 0), ([], 0), ({}, 0), ("0x10", 0), ("1e3", 1000), ("1e999", 0), ("inf", 0), ("nan", 0),
    (b"42", 42),
])
def test_jinja_int(value, expected):
    assert fi.jinja_int(value) == expected


@pytest.mark.parametrize("value,expected", [(300, 300), ("300", 300), ("45.9", 45), (300.5, 300), (3.0, 3), (True, 1)])
def test_strict_int_reads_numbers_as_jinja_does(value, expected):
    assert fi.strict_int(value, "period", "monitoring_alarms") == expected


@pytest.mark.parametrize("value,shown", [(None, "None"), ("abc", "'abc'"), ("", "''"), ([2], "[2]"), ("inf", "'inf'"),
                                         (float("inf"), "inf")])
def test_strict_int_refuses_what_jinja_turns_into_0(value, shown):
    with pytest.raises(AnsibleFilterError) as err:
        fi.strict_int(value, "period", "monitoring_alarms")
    assert str(err.value) == "monitoring_alarms: period must be a number, got %s" % shown


def test_strict_float():
    assert fi.strict_float("0.5", "threshold x", "f") == 0.5
    assert fi.strict_float(2, "threshold x", "f") == 2.0
    with pytest.raises(AnsibleFilterError) as err:
        fi.strict_float("high", "threshold redis_cpu", "monitoring_alarms")
    assert str(err.value) == "monitoring_alarms: threshold redis_cpu must be a number, got 'high'"
    with pytest.raises(AnsibleFilterError, match=re.escape("f: threshold x must be a number, got None")):
        fi.strict_float(None, "threshold x", "f")


@pytest.mark.parametrize("pattern,value,expected", [
    ("us-east-1", "us-east-1a", True),  # anchored at the start only
    ("east", "us-east-1a", False),
    (r"^[a-z]+$", "abc\n", True),  # $ accepts a final newline
    (r"^[a-z]+$", "abc\nx", False),
    (r"^[0-9]+$", 42, True),  # the value as text
    (r"^None$", None, True),
    (r"^[0-7]{3}$", 755, True),
])
def test_matches_is_ansibles_match_test(pattern, value, expected):
    assert fi.matches(pattern, value) is expected


def test_jinja_sort_key():
    assert fi.jinja_sort_key("Worker") == "worker"
    assert fi.jinja_sort_key(3) == 3
    assert sorted(["Worker", "backend", "api"], key=fi.jinja_sort_key) == ["api", "backend", "Worker"]


@pytest.mark.parametrize("values,expected", [
    ([], 0),
    (["us-east-1a", "us-east-1b"], 2),
    (["us-east-1a", "US-EAST-1A"], 1),  # case-insensitive, as Ansible's unique
    ([10, "10", 10.0], 2),
    ([[1], [1], {"a": 1}, {"a": 1}], 2),  # unhashable items: plain equality
])
def test_count_unique(values, expected):
    assert fi.count_unique(values) == expected


def test_flatten_is_ansibles():
    assert fi.flatten(["/a", ["/b", ["/c", None]], "null", "None", ("/d",), []]) == ["/a", "/b", "/c", "/d"]
    assert fi.flatten(["ab"]) == ["ab"]


# ---------------------------------------------------------------- input types


@pytest.mark.parametrize("value,sequence,list_or_tuple", [
    ([1], True, True), ((1,), True, True), (range(2), True, False), (collections.UserList([1]), True, False),
    ("ab", False, False), (b"ab", False, False), ({"a": 1}, False, False), (None, False, False), (3, False, False),
])
def test_is_sequence_is_wider_than_is_list_or_tuple(value, sequence, list_or_tuple):
    assert fi.is_sequence(value) is sequence
    assert fi.is_list_or_tuple(value) is list_or_tuple


def test_require_sequence():
    assert fi.require_sequence((1, 2), "the zones", "network_subnets") == [1, 2]
    assert fi.require_sequence(range(2), "the zones", "network_subnets") == [0, 1]
    for value, kind in (("us-east-1a", "str"), ({"a": 1}, "dict"), (None, "NoneType")):
        with pytest.raises(AnsibleFilterError) as err:
            fi.require_sequence(value, "the zones", "network_subnets")
        assert str(err.value) == "network_subnets: the zones must be a list, got %s" % kind


def test_require_list():
    assert fi.require_list((1, 2), "the lines", "report_cost_lines") == [1, 2]
    for value, kind in (("x", "str"), ({}, "dict"), (range(2), "range")):
        with pytest.raises(AnsibleFilterError) as err:
            fi.require_list(value, "the lines", "report_cost_lines")
        assert str(err.value) == "report_cost_lines: the lines must be a list, got %s" % kind


def test_require_dict():
    stack = {"vpc": None}
    assert fi.require_dict(stack, "the stack", "f") is stack
    with pytest.raises(AnsibleFilterError) as err:
        fi.require_dict([], "thresholds", "monitoring_alarms")
    assert str(err.value) == "monitoring_alarms: thresholds must be a dict, got list"


def test_require_key_shows_the_entry():
    assert fi.require_key({"id": "subnet-1"}, "id", "a subnet", "f") == "subnet-1"
    assert fi.require_key({"id": None}, "id", "a subnet", "f") is None
    with pytest.raises(AnsibleFilterError) as err:
        fi.require_key({"name": "nat"}, "subnet_id", "a NAT gateway", "network_nat_teardown")
    assert str(err.value) == "network_nat_teardown: a NAT gateway has no 'subnet_id' ({'name': 'nat'})"


def test_require_length():
    assert fi.require_length(["/a", "/b"], "the path_patterns", "f") == 2
    assert fi.require_length("/s", "the path_patterns", "f") == 2  # text has a length, as Jinja's length says
    assert fi.require_length({}, "the path_patterns", "f") == 0
    with pytest.raises(AnsibleFilterError) as err:
        fi.require_length(None, "the path_patterns of rule 'api'", "alb_problems")
    assert str(err.value) == "alb_problems: the path_patterns of rule 'api' must be a list, got NoneType"
