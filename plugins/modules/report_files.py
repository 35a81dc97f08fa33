#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: report_files
short_description: Write the files of the architecture guide, only those whose content differs
version_added: 0.1.0
description:
  - Writes each of I(files) into the directory I(path), which is created when missing.
  - A file is written only when its content or its mode differs from what is on disk; each write
    goes to a temporary file in the same directory, renamed over the old one, so a reader never
    sees half a file.
  - The report role renders the guide and its diagram in the controller and writes them with this
    module in one task. Like every module of the collection it runs in the controller's own Python
    when the task targets the controller, where C(ansible.builtin.copy) starts two new Pythons per
    file (its C(stat) and C(copy) modules).
  - Supports check mode (says what would be written) and diff (the old and new content of each file).
author:
  - Apranova platform team (@apranova)
options:
  path:
    description: The directory the files are written to.
    type: path
    required: true
  files:
    description: The files to write.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The file name, without a directory (C(architecture.md)).
        type: str
        required: true
      content:
        description: The whole text of the file.
        type: str
        required: true
  mode:
    description: Permissions of every file written.
    type: str
    default: "0644"
  directory_mode:
    description: Permissions of I(path) when the module creates it (an existing directory is left as it is).
    type: str
    default: "0755"
"""

EXAMPLES = r"""
- name: Write the guide and the Graphviz source of its diagram
  apranova.aws_stack.report_files:
    path: "{{ report_dir }}"
    files:
      - name: architecture.md
        content: "{{ lookup('ansible.builtin.template', 'architecture.md.j2') }}"
      - name: architecture.dot
        content: "{{ lookup('ansible.builtin.template', 'architecture.dot.j2') }}"
  register: guide

- name: Render the diagram when its source changed
  ansible.builtin.command:
    argv: [dot, -Tsvg, "{{ report_dir }}/architecture.dot", -o, "{{ report_dir }}/architecture.svg"]
  changed_when: true
  when: "'architecture.dot' in guide.written"
"""

RETURN = r"""
written:
  description: Names of the files written (in check mode, those that would be), in the order given.
  returned: always
  type: list
  elements: str
  sample: ["architecture.md"]
paths:
  description: Full path of every file given, written or already up to date.
  returned: always
  type: list
  elements: str
  sample: ["/srv/report/architecture.md", "/srv/report/architecture.dot"]
"""

import os
import stat
import tempfile
from typing import Any, Dict, List, Optional

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes


def validate(params: Dict[str, Any]) -> List[str]:
    """Errors in the arguments, each saying what to change; nothing is written when there is one."""
    errors = []
    names = [f["name"] for f in params["files"]]
    for name in names:
        if not name or name in (".", "..") or "/" in name or os.sep in name or "\0" in name:
            errors.append(f"files: name {name!r} is not a plain file name; give a name without a directory "
                          "(the files are written into path).")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        errors.append(f"files: {', '.join(duplicated)} is given more than once; give each file once.")
    for option in ("mode", "directory_mode"):
        try:
            value = int(params[option], 8)
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value <= 0o7777:
            errors.append(f"{option}: {params[option]!r} is not an octal mode; give one such as \"0644\".")
    return errors


def current(path: str) -> Optional[Dict[str, Any]]:
    """The content (bytes) and permission bits of the file at ``path``; None when there is none."""
    try:
        with open(path, "rb") as f:
            content = f.read()
        return {"content": content, "mode": stat.S_IMODE(os.stat(path).st_mode)}
    except FileNotFoundError:
        return None


def write(path: str, content: bytes, mode: int) -> None:
    """Replace the file at ``path`` with ``content`` in one rename."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".report-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def ensure(params: Dict[str, Any], check_mode: bool) -> Dict[str, Any]:
    directory = params["path"]
    mode, directory_mode = int(params["mode"], 8), int(params["directory_mode"], 8)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ValueError(f"path {directory} exists and is not a directory; give a directory for the report.")
    made_directory = not os.path.isdir(directory)
    if made_directory and not check_mode:
        os.makedirs(directory, mode=directory_mode)
        os.chmod(directory, directory_mode)

    written, paths, diffs = [], [], []
    for item in params["files"]:
        path = os.path.join(directory, item["name"])
        paths.append(path)
        content = to_bytes(item["content"], errors="surrogate_or_strict")
        old = None if made_directory else current(path)
        if old is not None and old["content"] == content and old["mode"] == mode:
            continue
        written.append(item["name"])
        diffs.append({
            "before_header": path, "after_header": path,
            "before": "" if old is None else old["content"].decode("utf-8", "replace"),
            "after": item["content"],
        })
        if not check_mode:
            write(path, content, mode)
    return {"changed": bool(written or made_directory), "written": written, "paths": paths, "diff": diffs}


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            files=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                content=dict(type="str", required=True),
            )),
            mode=dict(type="str", default="0644"),
            directory_mode=dict(type="str", default="0755"),
        ),
        supports_check_mode=True,
    )
    errors = validate(module.params)
    if errors:
        module.fail_json(msg=" ".join(errors), errors=errors)
    try:
        result = ensure(module.params, module.check_mode)
    except (OSError, ValueError) as e:
        module.fail_json(msg=f"Failed to write the report files into {module.params['path']}: {e}")
    else:
        if not module._diff:
            result.pop("diff")
        module.exit_json(**result)


if __name__ == "__main__":
    main()
