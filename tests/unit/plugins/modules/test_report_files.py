# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report_files: the report's files are written only when they differ, whole, and never outside path."""

from __future__ import annotations

import os
import stat

from ansible_collections.apranova.aws_stack.plugins.modules import report_files as module


def params(path, files, mode="0644", directory_mode="0755"):
    return {"path": str(path), "files": [{"name": n, "content": c} for n, c in files], "mode": mode,
            "directory_mode": directory_mode}


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_creates_the_directory_and_writes_every_file(tmp_path):
    target = tmp_path / "report" / "production"
    result = module.ensure(params(target, [("a.md", "# guide\n"), ("a.dot", "digraph {}\n")]), check_mode=False)
    assert result["changed"] and result["written"] == ["a.md", "a.dot"]
    assert result["paths"] == [str(target / "a.md"), str(target / "a.dot")]
    assert (target / "a.md").read_text() == "# guide\n" and (target / "a.dot").read_text() == "digraph {}\n"
    assert mode_of(target) == 0o755 and mode_of(target / "a.md") == 0o644
    assert sorted(os.listdir(target)) == ["a.dot", "a.md"]  # no temporary file left behind


def test_writes_only_the_files_that_differ(tmp_path):
    module.ensure(params(tmp_path, [("a.md", "one\n"), ("a.dot", "graph\n")]), check_mode=False)
    before = os.stat(tmp_path / "a.dot").st_ino
    result = module.ensure(params(tmp_path, [("a.md", "two\n"), ("a.dot", "graph\n")]), check_mode=False)
    assert result["changed"] and result["written"] == ["a.md"]
    assert (tmp_path / "a.md").read_text() == "two\n" and os.stat(tmp_path / "a.dot").st_ino == before
    again = module.ensure(params(tmp_path, [("a.md", "two\n"), ("a.dot", "graph\n")]), check_mode=False)
    assert not again["changed"] and again["written"] == []


def test_a_mode_that_differs_is_a_change(tmp_path):
    module.ensure(params(tmp_path, [("a.md", "x")]), check_mode=False)
    result = module.ensure(params(tmp_path, [("a.md", "x")], mode="0600"), check_mode=False)
    assert result["written"] == ["a.md"] and mode_of(tmp_path / "a.md") == 0o600


def test_check_mode_says_what_would_be_written_and_writes_nothing(tmp_path):
    (tmp_path / "a.md").write_text("old\n")
    result = module.ensure(params(tmp_path, [("a.md", "new\n"), ("b.md", "b\n")]), check_mode=True)
    assert result["changed"] and result["written"] == ["a.md", "b.md"]
    assert (tmp_path / "a.md").read_text() == "old\n" and not (tmp_path / "b.md").exists()
    assert result["diff"][0]["before"] == "old\n" and result["diff"][0]["after"] == "new\n"
    assert result["diff"][1]["before"] == ""
    missing = tmp_path / "missing"
    assert module.ensure(params(missing, [("a.md", "x")]), check_mode=True)["written"] == ["a.md"]
    assert not missing.exists()


def test_bad_names_and_modes_are_refused_before_anything_is_written(tmp_path):
    errors = module.validate(params(tmp_path, [("../escape.md", "x"), ("a.md", "x"), ("a.md", "y"), ("", "z")],
                                    mode="rw-r--r--"))
    text = " ".join(errors)
    assert "'../escape.md' is not a plain file name" in text and "'' is not a plain file name" in text
    assert "a.md is given more than once" in text
    assert "mode: 'rw-r--r--' is not an octal mode" in text
    assert module.validate(params(tmp_path, [("a.md", "x")])) == []
    assert os.listdir(tmp_path) == []


def test_a_path_that_is_a_file_is_an_error_that_says_so(tmp_path):
    (tmp_path / "report").write_text("")
    try:
        module.ensure(params(tmp_path / "report", [("a.md", "x")]), check_mode=False)
    except ValueError as e:
        assert "is not a directory" in str(e)
    else:
        raise AssertionError("a file as path was accepted")
