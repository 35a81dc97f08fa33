"""Offline tests of the registry tier's filter (plugins/filter/registry.py)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.filter import registry


def test_the_filters_of_the_tier():
    assert sorted(registry.FilterModule().filters()) == ["registry_repositories"]


def test_one_entry_per_name_under_the_prefix_with_the_same_settings():
    policy = {"rules": [{"rulePriority": 1}]}
    assert registry.registry_repositories(["backend", "frontend"], "apranova",
                                          {"scan_on_push": True, "lifecycle_policy": policy}) == [
        {"name": "apranova/backend", "scan_on_push": True, "lifecycle_policy": {"rules": [{"rulePriority": 1}]}},
        {"name": "apranova/frontend", "scan_on_push": True, "lifecycle_policy": {"rules": [{"rulePriority": 1}]}},
    ]


def test_names_only_without_settings_and_the_prefix_as_the_other_tiers_join_it():
    assert registry.registry_repositories(["backend"], "apranova/staging") == [{"name": "apranova/staging/backend"}]
    assert registry.registry_repositories([], "apranova") == []


@pytest.mark.parametrize("args,message", [
    (("backend", "apranova"), "registry_repositories"),
    ((["backend"], ""), "the prefix must be a non-empty string"),
    ((["backend"], "apranova", {"name": "x"}), "must not hold a name"),
    ((["backend"], "apranova", ["scan_on_push"]), "registry_repositories"),
])
def test_bad_input_names_the_filter(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        registry.registry_repositories(*args)
