# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs amazon.aws.ec2_vpc_net (apranova.aws_stack.ec2_vpc_net redirects to it) in the controller's Python.

See plugin_utils/in_process.py; the module itself is the stock one, unchanged.
"""

from __future__ import annotations

from ansible_collections.apranova.aws_stack.plugins.plugin_utils.in_process import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    WARM_SERVICES = ('ec2',)


ActionModule.warm()
