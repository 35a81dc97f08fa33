"""Every state module documents the return values ``base.run_state`` adds, in the same words.

``waited`` (always) and ``diff`` (with --diff) come from ``module_utils/base.run_state``. A RETURN
doc fragment would hold them once, but ansible-core 2.19 does not read fragments in RETURN
(``extends_documentation_fragment`` there arrived in 2.20; 2.19's ansible-doc fails on it), and the
collection supports 2.19: each module carries the two entries, and this test keeps the copies equal
and complete. The modules' docs are read as ansible-doc reads them (the RETURN string literal).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

MODULES = Path(__file__).resolve().parents[4] / "plugins" / "modules"


def _literal(path: Path, name: str) -> str | None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return node.value.value
    return None


STATE_MODULES = sorted(p for p in MODULES.glob("*.py") if "run_state(" in p.read_text())


def test_the_state_modules_are_found():
    assert len(STATE_MODULES) >= 15, [p.name for p in STATE_MODULES]


@pytest.mark.parametrize("path", STATE_MODULES, ids=lambda p: p.stem)
def test_waited_and_diff_are_documented_as_everywhere_else(path):
    returned = yaml.safe_load(_literal(path, "RETURN"))
    reference = yaml.safe_load(_literal(STATE_MODULES[0], "RETURN"))
    assert "extends_documentation_fragment" not in returned, "ansible-core 2.19 cannot read fragments in RETURN"
    for key in ("waited", "diff"):
        assert key in returned, f"{path.name}: RETURN lacks {key!r}, which base.run_state returns"
        assert returned[key] == reference[key], f"{path.name}: {key!r} documented unlike {STATE_MODULES[0].name}"
    assert returned["waited"]["returned"] == "always" and returned["diff"]["returned"] == "when diff mode is on"
