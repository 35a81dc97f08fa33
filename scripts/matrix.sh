#!/usr/bin/env bash
# The ansible-core version matrix: on each release of tests/matrix/ansible-core.txt (the main venv,
# requirements.txt, covers 2.21), in a venv of its own,
#   1. ansible-test sanity (scripts/sanity.sh, with tests/sanity/ignore-<major.minor>.txt),
#   2. the unit tests of the collection's plugins (tests/unit/plugins),
#   3. the installed-collection stage: the tarball built, installed, apranova.aws_stack.site
#      converged on the emulator and rerun with changed=0 (scripts/test.sh installed).
#   scripts/matrix.sh [VERSION ...]     (default: every version in the list; make matrix)
# Each venv holds that ansible-core, the main venv's pins of boto3/botocore, moto, pytest and
# ansible-builder, and a copy of the amazon.aws and community.aws the main venv has (the `ansible`
# package's, see requirements.txt; both declare requires_ansible >=2.17.0): Galaxy is not needed.
# A venv is reused while its version and the pins are unchanged. Exits non-zero when any step of
# any version failed; every step runs regardless, so one run shows every failure.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
main=${VENV:-$here/.venv}
"$here/scripts/venv.sh"
if [ $# -gt 0 ]; then versions=("$@"); else mapfile -t versions < <(grep -E '^[0-9]' tests/matrix/ansible-core.txt); fi
site_of() { "$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }

make_venv() {  # version venv (explicit returns: it runs left of ||, where set -e does not apply)
  local version=$1 venv=$2 pins stamp want
  pins=$(grep -E '^(boto3|botocore|moto\[server\]|pytest|pytest-xdist|ansible-builder)==' requirements.txt)
  want=$(printf '%s\n%s\n' "$version" "$pins" | cat - constraints.txt | sha256sum | cut -d' ' -f1)
  stamp="$venv/.matrix.sha"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  [ -x "$venv/bin/python" ] || "$(scripts/find-python.sh)" -m venv "$venv"
  echo "matrix: installing ansible-core $version into $venv"
  # constraints.txt pins ansible-core 2.21 (and the ansible package): those lines do not apply here
  grep -vE '^(ansible|ansible-core)==' constraints.txt >"$venv/constraints.txt"
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "ansible-core==$version" $pins \
    -c "$venv/constraints.txt" 2> >(grep -v "^WARNING: Location" >&2) || return 1
  local from to
  from="$(site_of "$main")/ansible_collections" to="$(site_of "$venv")/ansible_collections"
  for c in amazon/aws community/aws; do
    rm -rf "${to:?}/$c" && mkdir -p "$to/${c%/*}" && cp -r "$from/$c" "$to/$c" || return 1
  done
  echo "$want" >"$stamp"
}

failed=() timings=()
for version in "${versions[@]}"; do
  minor=${version%.*} venv="$here/.venv-core-${version%.*}"
  printf '\n=== ansible-core %s ===\n' "$version"
  [ -f "tests/sanity/ignore-$minor.txt" ] || { echo "matrix: tests/sanity/ignore-$minor.txt is missing" >&2; failed+=("$version:setup"); continue; }
  make_venv "$version" "$venv" || { failed+=("$version:venv"); continue; }
  # the whole output read first: a reader that stops early (head -1) breaks ansible's pipe
  got=$("$venv/bin/ansible" --version) && got=${got%%$'\n'*}
  [[ "$got" == *"[core $version]"* ]] || { echo "matrix: $venv runs $got, not $version" >&2; failed+=("$version:venv"); continue; }
  echo "matrix: $got"
  # sanity on one core, unit then the installed converge on the other; their output in order after
  logs="$here/.emulator/matrix-$minor" && mkdir -p "$logs"
  start=$SECONDS
  ( rc=0; VENV="$venv" scripts/sanity.sh >"$logs/sanity.log" 2>&1 || rc=$?; echo "$rc" >"$logs/sanity.rc" ) &
  sanity_pid=$!
  for step in unit installed; do
    rc=0
    case $step in
      unit) PATH="$venv/bin:$PATH" ANSIBLE_CONFIG="$here/ansible.cfg" "$venv/bin/python" -m pytest -q -p no:cacheprovider \
              tests/unit/plugins >"$logs/unit.log" 2>&1 || rc=$? ;;
      installed) VENV="$venv" scripts/test.sh installed >"$logs/installed.log" 2>&1 || rc=$? ;;
    esac
    echo "$rc" >"$logs/$step.rc"
  done
  wait "$sanity_pid" || true
  for step in sanity unit installed; do
    printf -- '--- ansible-core %s: %s ---\n' "$version" "$step"
    cat "$logs/$step.log"
    [ "$(cat "$logs/$step.rc")" = 0 ] || failed+=("$version:$step")
  done
  timings+=("$version $((SECONDS - start)) s")
done
printf '\n=== matrix times: %s ===\n' "$(IFS=,; echo "${timings[*]}")"
if [ ${#failed[@]} -gt 0 ]; then
  for f in "${failed[@]}"; do
    v=${f%%:*} step=${f#*:}
    if [ -f "$here/.emulator/matrix-${v%.*}/$step.log" ]; then
      printf '\n=== end of the output of %s ===\n' "$f"; tail -n 40 "$here/.emulator/matrix-${v%.*}/$step.log"
    fi
  done
  printf '\n=== matrix FAILED: %s ===\n' "${failed[*]}"; exit 1
fi
printf '\n=== matrix passed: ansible-core %s ===\n' "${versions[*]}"
