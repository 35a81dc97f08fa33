#!/usr/bin/env bash
# Print the path of a Python >= 3.12 for the controller virtualenv.
# Order: $PYTHON (override), python3.13/python3.12/python3 on PATH, pyenv's installed versions.
# pyenv shims for versions that are installed but not enabled fail when called by name, so every
# candidate is actually run before it is accepted.
set -u
want_major=3
want_minor=12

ok() {
  "$1" -c "import sys, venv; sys.exit(0 if sys.version_info >= ($want_major, $want_minor) else 1)" >/dev/null 2>&1
}

if [ -n "${PYTHON:-}" ]; then
  if ok "$PYTHON"; then command -v "$PYTHON" 2>/dev/null || echo "$PYTHON"; exit 0; fi
  echo "find-python: PYTHON=$PYTHON is not a working Python >= $want_major.$want_minor with venv" >&2
  exit 1
fi

candidates=()
for name in python3.13 python3.12 python3; do
  p=$(command -v "$name" 2>/dev/null) && candidates+=("$p")
done
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for d in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -rV); do
    candidates+=("$d/bin/python3")
  done
fi
for c in /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do
  candidates+=("$c")
done

for c in "${candidates[@]}"; do
  [ -x "$c" ] || continue
  if ok "$c"; then echo "$c"; exit 0; fi
done

cat >&2 <<MSG
find-python: no Python >= $want_major.$want_minor found (ansible-core 2.21 needs it on the controller).
Tried: ${candidates[*]:-nothing}
Install one (e.g. 'pyenv install 3.13', or 'apt-get install python3.13 python3.13-venv'),
or point PYTHON at it: make deploy PYTHON=/path/to/python3.13
MSG
exit 1
