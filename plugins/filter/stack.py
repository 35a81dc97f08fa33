# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the whole stack, for the tiers' lookups.

* ``stack_known`` gives the ``known`` option of ``apranova.aws_stack.stack_info``: the stack this
  run's lookups and modules found so far, on this host and on the hosts the other tiers run on
  (site.yml runs registry, data and the load balancer side by side on hosts of their own,
  playbooks/tiers.yml). Doc: stack_known.yml next to this file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

KNOWN_FACT = "aws_stack_known"  # discovery.KNOWN_FACT


def _known_of(hostvars: Any, host: str) -> Any:
    """The known stack fact of ``host`` (None when the host is not in the inventory or has none)."""
    if host not in hostvars:
        return None
    facts = hostvars[host].get("ansible_facts") or {}
    return facts.get(KNOWN_FACT)


def stack_known(hostvars: Any, me: str, tier_hosts: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The known stack of host ``me`` merged with those of the hosts in ``tier_hosts`` (tier -> host);
    None when nothing is known yet."""
    name = "stack_known"
    if not isinstance(me, str) or not me:
        raise AnsibleFilterError("%s: the host must be a non-empty string (inventory_hostname), got %r" % (name, me))
    tier_hosts = tier_hosts or {}
    if not isinstance(tier_hosts, Mapping) or not all(isinstance(h, str) for h in tier_hosts.values()):
        raise AnsibleFilterError("%s: the tier hosts must map tier names to host names, got %r" % (name, tier_hosts))
    # imported here: the loader imports every filter file of the collection for any one of its
    # filters, and the preflight's templates need none of boto3, which discovery imports
    from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery

    own = _known_of(hostvars, me)
    others = {host: _known_of(hostvars, host) for host in set(tier_hosts.values()) if host != me}
    return discovery.merge_hosts(own, me, dict(tier_hosts), others)


class FilterModule(object):
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "stack_known": stack_known,
        }
