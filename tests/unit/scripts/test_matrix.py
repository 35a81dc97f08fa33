"""The ansible-core matrix, the declared support and the README's compatibility table agree.

``tests/matrix/ansible-core.txt`` lists what ``make matrix`` tests besides requirements.txt's
ansible-core; ``meta/runtime.yml`` declares the lowest of them, the roles' ``min_ansible_version``
too, and the README's table names each. A release dropped from (or added to) the matrix without
the rest following fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]


def matrix() -> list[str]:
    lines = (REPO / "tests/matrix/ansible-core.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def main_core() -> str:
    return re.search(r"^ansible-core==(\S+)$", (REPO / "requirements.txt").read_text(), re.M).group(1)


def minor(version: str) -> tuple[int, int]:
    major, minor_, *_ = version.split(".")
    return int(major), int(minor_)


def test_the_matrix_names_exact_releases_other_than_the_main_one():
    versions = matrix()
    assert len(versions) >= 2, "at least the two newest minor releases besides the main one"
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in versions), versions
    minors = [minor(v) for v in versions] + [minor(main_core())]
    assert len(set(minors)) == len(minors), "one release per minor, the main venv's not repeated"


def test_each_release_has_its_sanity_ignore_file():
    for version in matrix() + [main_core()]:
        assert (REPO / ("tests/sanity/ignore-%d.%d.txt" % minor(version))).is_file(), version


def test_requires_ansible_and_the_roles_declare_the_lowest_tested_release():
    lowest = min(minor(v) for v in matrix() + [main_core()])
    runtime = yaml.safe_load((REPO / "meta/runtime.yml").read_text())
    assert runtime["requires_ansible"] == ">=%d.%d.0" % lowest
    for meta in sorted(REPO.glob("roles/*/meta/main.yml")):
        info = yaml.safe_load(meta.read_text())["galaxy_info"]
        assert str(info["min_ansible_version"]) == "%d.%d" % lowest, meta


def test_the_readme_table_names_every_tested_release():
    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| ansible-core \| (\d+\.\d+\.\d+)", readme, re.M)
    assert sorted(rows) == sorted(matrix() + [main_core()])
