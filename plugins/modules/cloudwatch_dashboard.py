#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudwatch_dashboard
short_description: Create, update or delete a CloudWatch dashboard
version_added: 0.1.0
description:
  - Manages one CloudWatch dashboard. Neither amazon.aws nor community.aws has a dashboard module.
  - The body is compared as parsed JSON with the stored one, so key order, whitespace and a dict
    versus JSON text make no difference; C(PutDashboard) is called only when the content differs.
  - The body is sent as compact JSON with sorted keys.
author:
  - Apranova platform team (!UNKNOWN)
options:
  name:
    description: Dashboard name, 1 to 255 letters, digits, dashes and underscores.
    type: str
    required: true
  body:
    description:
      - The dashboard body, as a dict or as JSON text holding an object, usually with a C(widgets) list.
      - See U(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
      - Required when O(state=present).
    type: raw
  state:
    description: Whether the dashboard should exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Warnings AWS returns with an accepted body (C(DashboardValidationMessages)) are passed on as task warnings.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Dashboard of the stack
  apranova.aws_stack.cloudwatch_dashboard:
    name: production-overview
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: ECS CPU
            region: us-east-1
            stat: Average
            period: 300
            metrics:
              - [AWS/ECS, CPUUtilization, ClusterName, production, ServiceName, web]

- name: Dashboard from a JSON template
  apranova.aws_stack.cloudwatch_dashboard:
    name: production-overview
    body: "{{ lookup('ansible.builtin.template', 'dashboard.json.j2') }}"

- name: Remove the dashboard
  apranova.aws_stack.cloudwatch_dashboard:
    name: production-overview
    state: absent
"""

RETURN = r"""
dashboard:
  description:
    - The dashboard after the run (what it would be, in check mode); empty when O(state=absent).
    - With C(--diff), the sides of C(diff) are the dashboard in this shape before and after the run
      (C({}) where it does not exist).
  returned: always
  type: dict
  contains:
    name:
      description: Dashboard name.
      returned: when the dashboard exists
      type: str
      sample: production-overview
    arn:
      description: Dashboard ARN; null when check mode would create the dashboard.
      returned: when the dashboard exists
      type: str
      sample: arn:aws:cloudwatch::123456789012:dashboard/production-overview
    body:
      description: The dashboard body, parsed.
      returned: when the dashboard exists
      type: dict
      sample: {"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {}}]}
    size:
      description: Size of the stored body in bytes.
      returned: when the dashboard exists
      type: int
      sample: 412
waited:
  description:
    - The waits AWS imposed that this call rode out, one line each (a resource just created not
      visible yet, a dependency still being released, a refusal that passes with time).
    - Empty when AWS imposed none. Shown with C(-v).
  returned: always
  type: list
  elements: str
  sample: ["delete subnet subnet-0123456789abcdef0: AWS answered DependencyViolation; trying again in 2 s"]
diff:
  description: The managed resources before and after, with C(--diff) (in check mode, the state the run would reach).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The state before the call (C({}) for nothing).
      type: raw
    after:
      description: The state after the call (C({}) for nothing).
      type: raw
"""

from typing import Any, Dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import AnsibleCloudWatchError
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import dashboard_body_text
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import delete_dashboard
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import get_dashboard
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import normalize_dashboard
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import parse_dashboard_body
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import put_dashboard
from ansible_collections.apranova.aws_stack.plugins.module_utils.cloudwatch import validate_dashboard_name


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Put the dashboard when its body differs. ``params["body"]`` is the parsed body (a dict)."""
    name, body = params["name"], params["body"]
    current = normalize_dashboard(get_dashboard(client, name))
    if current is not None and current["body"] == body:
        return base.Outcome(False, {"dashboard": current}, before=current, after=current)
    text = dashboard_body_text(body)
    if ctx.check_mode:
        planned = {"name": name, "arn": current["arn"] if current else None, "body": body, "size": len(text.encode("utf-8"))}
        return base.Outcome(True, {"dashboard": planned}, before=current, after=planned)
    for m in put_dashboard(client, name, text):
        ctx.warn(f"Dashboard {name}: {m.get('DataPath', '')} {m.get('Message', '')}".strip())
    stored = normalize_dashboard(get_dashboard(client, name))
    if stored is None:
        raise AnsibleCloudWatchError(message=f"Dashboard {name} was put but GetDashboard does not return it; run the task again.")
    return base.Outcome(True, {"dashboard": stored}, before=current, after=stored)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete the dashboard (``dashboard``: ``{}``)."""
    name = params["name"]
    current = normalize_dashboard(get_dashboard(client, name))
    if current is None:
        return base.Outcome(False, {"dashboard": {}}, before=None, after={})
    if not ctx.check_mode:
        delete_dashboard(client, name)
    return base.Outcome(True, {"dashboard": {}}, before=current, after={})


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        body=dict(type="raw"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["body"])],
    )
    problem = validate_dashboard_name(module.params["name"])
    if problem:
        module.fail_json(msg=problem)

    body = None
    if module.params["state"] == "present":
        try:
            body = parse_dashboard_body(module.params["body"])
        except ValueError as e:
            module.fail_json(msg=str(e))

    client = aws_client(module, "cloudwatch")
    base.run_state(module, client, ensure_present, ensure_absent, params=dict(module.params, body=body))


if __name__ == "__main__":
    main()
