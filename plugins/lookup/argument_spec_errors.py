# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: argument_spec_errors
short_description: What is wrong with a role's inputs, by the role's own argument spec
version_added: 0.3.0
author: Apranova platform team (@apranova)
description:
  - Checks the variables a role's argument spec (C(meta/argument_specs.yml)) names, as the task sees
    them, against that spec, exactly as M(ansible.builtin.validate_argument_spec) does, and returns
    the error messages, an empty list when every input is valid.
  - It returns the errors rather than failing, so that one task can check the spec first and the
    tier's own checks after it (each of the collection's roles does so in C(tasks/preflight.yml),
    with M(ansible.builtin.fail)); the tier's checks are evaluated only when the spec holds, so they
    never see a value of the wrong type.
options:
  _terms:
    description: The path of the role (C(role_path) in a role's task).
    required: true
    type: list
    elements: path
  entry_point:
    description: The entry point of the spec.
    type: str
    default: main
notes:
  - Use C(query), or C(lookup) with C(wantlist=true), to get the list.
"""

EXAMPLES = r"""
- name: Check the role's inputs, then the tier's own checks, before any AWS call
  ansible.builtin.fail:
    msg: "network tier: {{ __input_problems | join('; ') }}"
  when: __input_problems | length > 0
  vars:
    # the tier's own checks (a filter) only when the spec holds
    __input_problems: "{{ query('apranova.aws_stack.argument_spec_errors', role_path) or __problems }}"
    __problems: "{{ network_vpc_cidr | apranova.aws_stack.cidr_problems({}) }}"
"""

RETURN = r"""
_raw:
  description: The error messages, one per problem; empty when the inputs are valid.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        entry_point = self.get_option("entry_point")
        variables = variables or {}
        errors = []
        for role_path in terms:
            path = os.path.join(role_path, "meta", "argument_specs.yml")
            try:
                spec = (self._loader.load_from_file(path) or {})["argument_specs"][entry_point].get("options") or {}
            except (KeyError, TypeError) as ex:
                raise AnsibleLookupError("%s has no argument spec for the entry point %s" % (path, entry_point)) from ex
            provided = self._templar.template({name: variables[name] for name in spec if name in variables})
            result = ArgumentSpecValidator(spec).validate(provided, validate_role_argument_spec=True)
            errors.extend(result.error_messages)
        return errors
