# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the registry tier (``registry_repositories``).

* ``registry_repositories`` turns the tier's repository names into the ``repositories`` option of
  ``apranova.aws_stack.ecr_repositories``: one entry per name, named ``<prefix>/<name>``, each with
  the same settings (roles/registry/vars/main.yml). Doc: registry_repositories.yml next to this file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.filter_inputs import require_dict, require_list


def registry_repositories(names: list[str], prefix: str, settings: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """``[{"name": "<prefix>/<name>", **settings}, ...]`` for the names, in their order (named as the
    other tiers name them: ``stack_ecr_prefix ~ '/' ~ name``)."""
    name = "registry_repositories"
    names = require_list(names, "the input", name)
    if not isinstance(prefix, str) or not prefix:
        raise AnsibleFilterError("%s: the prefix must be a non-empty string, got %r" % (name, prefix))
    settings = dict(require_dict(settings, "the settings", name)) if settings is not None else {}
    if "name" in settings:
        raise AnsibleFilterError("%s: the settings must not hold a name (each repository gets its own)" % name)
    return [dict({"name": "%s/%s" % (prefix, repository)}, **settings) for repository in names]


class FilterModule(object):
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "registry_repositories": registry_repositories,
        }
