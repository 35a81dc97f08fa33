"""The whole stack's filter (plugins/filter/stack.py): the known stack merged over the tiers' hosts."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.filter import stack
from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery

RUN = discovery.run_marker()
HOSTS = {"network": "localhost", "data": "tier_data", "alb": "tier_alb"}


def test_the_filters_of_the_stack():
    assert sorted(stack.FilterModule().filters()) == ["stack_known"]


def test_a_host_gets_its_own_fact_merged_with_the_other_tiers_hosts():
    vpc = {"id": "vpc-1", "name": "prod-vpc"}
    hostvars = {"localhost": {"ansible_facts": {"aws_stack_known": {"_run": RUN, "vpc": vpc}}},
                "tier_data": {"ansible_facts": {}},
                "tier_alb": {"ansible_facts": {"aws_stack_known": {"_run": RUN, "load_balancer": {"name": "lb"}}}}}
    assert stack.stack_known(hostvars, "tier_data", HOSTS) == {"_run": RUN, "vpc": vpc, "load_balancer": {"name": "lb"}}
    # a tier host the inventory does not have (a tier playbook run alone) counts as one that found nothing
    assert stack.stack_known({"localhost": hostvars["localhost"]}, "localhost", HOSTS) == {"_run": RUN, "vpc": vpc}
    assert stack.stack_known({"localhost": {}}, "localhost", HOSTS) is None
    assert stack.stack_known({"localhost": hostvars["localhost"]}, "localhost") == {"_run": RUN, "vpc": vpc}


@pytest.mark.parametrize("me, tier_hosts, message", [
    ("", HOSTS, "the host must be a non-empty string"),
    ("localhost", ["tier_data"], "the tier hosts must map tier names to host names"),
    ("localhost", {"data": 3}, "the tier hosts must map tier names to host names"),
])
def test_bad_arguments_say_what_to_change(me, tier_hosts, message):
    with pytest.raises(AnsibleFilterError, match=message):
        stack.stack_known({}, me, tier_hosts)


def test_the_fact_read_is_the_one_the_modules_leave():
    assert stack.KNOWN_FACT == discovery.KNOWN_FACT
