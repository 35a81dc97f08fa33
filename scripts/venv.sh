#!/usr/bin/env bash
# Create (or refresh) the controller virtualenv at $VENV (default .venv) with the pinned
# requirements: requirements.txt (Ansible, emulator, tests) and requirements-docs.txt (the docs
# linter the lint stage runs), in one pip call before any stage starts, so no stage installs into
# the venv while others run from it. Idempotent: it reinstalls only when one of them or
# constraints.txt changes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$here/.venv}
py=$("$here/scripts/find-python.sh")
stamp="$venv/.requirements.sha"
want=$(cat "$here/requirements.txt" "$here/requirements-docs.txt" "$here/constraints.txt" | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "venv: creating $venv with $py ($("$py" -V 2>&1))"
  "$py" -m venv "$venv"
fi
echo "venv: installing pinned requirements (ansible bundles amazon.aws and community.aws; ~2 min)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" \
  -r "$here/requirements-docs.txt" -c "$here/constraints.txt" 2> >(grep -v "^WARNING: Location" >&2)
echo "$want" >"$stamp"
# Whole outputs are read before they are searched: a reader that stops early (grep -q, head -1)
# closes the pipe while ansible still writes, and ansible prints a Broken pipe traceback.
collections=$("$venv/bin/ansible-galaxy" collection list amazon.aws 2>/dev/null || true)
case "$collections" in
  *amazon.aws*) ;;
  *) echo "venv: amazon.aws is missing from the installed ansible package" >&2; exit 1 ;;
esac
version=$("$venv/bin/ansible" --version)
echo "venv: ready (${version%%$'\n'*})"
