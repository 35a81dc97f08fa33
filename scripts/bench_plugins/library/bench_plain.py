#!/usr/bin/python
"""Benchmark micro module (scripts/bench.py, extras): an AnsibleModule that exits at once,
importing boto3 first when asked (what a module's own imports cost)."""
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"boto3": {"type": "bool", "default": False}}, supports_check_mode=True)
    if module.params["boto3"]:
        import boto3  # noqa: F401  pylint: disable=unused-import
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
