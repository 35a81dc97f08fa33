# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the elb_load_balancer module in the controller's Python when the task targets it (plugin_utils/in_process.py)."""

from __future__ import annotations

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.in_process import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    WARM_SERVICES = ('elbv2',)


ActionModule.warm()
