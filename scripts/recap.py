"""The PLAY RECAP totals of an ansible-playbook run's output, for the tests and the benchmark alike.

Read from the default callback's recap lines rather than the ``ansible.posix.json`` callback: the
tests also read the tasks' own output (messages, diffs, warnings) that only the default callback
prints, and one run serves both.
"""

from __future__ import annotations

import re

RECAP_LINE = re.compile(r"^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)"
                        r"\s+rescued=(\d+)\s+ignored=(\d+)", re.M)


def parse_recap(out: str) -> dict:
    """Totals over every host of every recap in ``out``: ok, changed, unreachable, failed, skipped, rescued, ignored."""
    stats = dict(ok=0, changed=0, unreachable=0, failed=0, skipped=0, rescued=0, ignored=0)
    for m in RECAP_LINE.finditer(out):
        for key, value in zip(stats, m.groups()):
            stats[key] += int(value)
    return stats
