#!/usr/bin/python
"""Benchmark micro module (scripts/bench.py, extras): AnsibleAWSModule up to ``step``: ``base`` (the
module alone), ``client`` (+ an ec2 client), ``call`` (+ one DescribeVpcs)."""
from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main():
    module = AnsibleAWSModule(argument_spec={"step": {"choices": ["base", "client", "call"], "default": "base"}},
                              supports_check_mode=True)
    if module.params["step"] != "base":
        client = module.client("ec2")
        if module.params["step"] == "call":
            client.describe_vpcs(VpcIds=[])
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
