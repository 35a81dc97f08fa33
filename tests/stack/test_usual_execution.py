"""The stack with every module run the usual way, each in its own Python (APRANOVA_AWS_STACK_IN_PROCESS=0).

The other stack tests run the modules inside the controller's Python (plugins/plugin_utils/
in_process.py); this one proves that the collection does not depend on it: a cold site.yml with
the switch off builds the same stack. (Reruns are the other stack files' subject; run the usual way
a no-op run costs three times the CPU, which the suite's time budget spends better elsewhere.)
"""

from __future__ import annotations

from conftest import run_playbook

from .stack_checks import check_stack, inventory_values

USUAL = {"APRANOVA_AWS_STACK_IN_PROCESS": "0"}
SKIP = ["--skip-tags", "report,summary"]


def test_site_converges_with_every_module_in_its_own_python(aws):
    first = run_playbook(aws, "site.yml", args=SKIP + ["-vvv"], env=USUAL, timeout=1800)
    assert first.rc == 0, first
    assert "runs as a separate process (APRANOVA_AWS_STACK_IN_PROCESS is off)" in first.out
    assert check_stack(aws.client, inventory_values("production")) == []
