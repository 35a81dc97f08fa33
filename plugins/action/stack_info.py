# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one action plugin: it runs a module in the controller's Python when the task targets it.

Every module of the collection, its own and the stock ones it re-exports, is routed here by
meta/runtime.yml (``plugin_routing.action.<module>.redirect``); the file carries the name of the
stack_info module because ansible-test pairs an action plugin with the module of its name for its
documentation. How and when a module runs in process: plugins/plugin_utils/in_process.py.
"""

from __future__ import annotations

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.in_process import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    pass


ActionModule.warm()
