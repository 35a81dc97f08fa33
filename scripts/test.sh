#!/usr/bin/env bash
# The project's test suite, stage by stage: scripts/test.sh all|lint|sanity|unit|integration|stack|molecule
# `make test` runs `all`. Each stage starts the emulators it needs and stops them again.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
venv=${VENV:-$here/.venv}
export PATH="$venv/bin:$PATH" ANSIBLE_CONFIG="$here/ansible.cfg" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
jobs=${TEST_JOBS:-2}

stage() { printf '\n=== %s ===\n' "$*"; }

lint() {
  stage "ansible-lint (production profile)"
  ansible-lint --profile production --offline
}

sanity() {
  stage "ansible-test sanity"
  scripts/sanity.sh
}

unit() {
  stage "unit tests (offline)"
  python -m pytest -q tests/unit
}

integration() {
  stage "module integration tests (moto server)"
  python -m pytest -q -n "$jobs" tests/integration
}

stack() {
  stage "stack tests: site.yml on the emulator (acceptance, bad input, faults, interruptions, secrets)"
  # --dist loadfile: a stack file builds one stack in a module fixture and its tests build on it
  # in order, so a file must stay on one worker (the default "load" splits it across workers).
  # Three workers on two cores: much of a stack test is waiting (the lifecycle model's scaled AWS
  # times). (--dist loadgroup would spread the single tests better, but xdist 3.8's group marks
  # are lost under pytest 9: a grouped file was split across workers.)
  python -m pytest -q -n "${STACK_JOBS:-3}" --dist loadfile tests/stack
}

molecule_default() {
  stage "molecule test -s default (moto server)"
  molecule test -s default
}

molecule_localstack() {
  stage "molecule test -s localstack (LocalStack on the host)"
  scripts/localstack.sh install && molecule test -s localstack
}

case "${1:-all}" in
  lint) lint ;;
  sanity) sanity ;;
  unit) unit ;;
  integration) integration ;;
  stack) stack ;;
  molecule) molecule_default; molecule_localstack ;;
  molecule-default) molecule_default ;;
  molecule-localstack) molecule_localstack ;;
  all)
    # Every stage runs even when an earlier one failed, so one run shows every failure.
    failed=() timings=()
    mkdir -p "$here/.emulator"
    # LocalStack's install is mostly downloads: start it now, in the background, and let its
    # stage wait for it (the stage installs again in the foreground if this one failed).
    scripts/localstack.sh install >"$here/.emulator/localstack-install.log" 2>&1 &
    install_pid=$!
    # lint, sanity and unit each use one core: run them side by side, then show their output in order.
    declare -A pids
    for s in lint sanity unit; do
      ( start=$SECONDS; rc=0; "$s" || rc=$?; echo "stage-time $((SECONDS - start))"; exit $rc ) \
        >"$here/.emulator/stage-$s.log" 2>&1 &
      pids[$s]=$!
    done
    for s in lint sanity unit; do
      rc=0; wait "${pids[$s]}" || rc=$?
      grep -v '^stage-time ' "$here/.emulator/stage-$s.log" || true
      [ "$rc" -eq 0 ] || failed+=("$s")
      timings+=("$s $(sed -n 's/^stage-time //p' "$here/.emulator/stage-$s.log") s (side by side)")
    done
    for s in integration stack molecule_default molecule_localstack; do
      [ "$s" != molecule_localstack ] || wait "$install_pid" || cat "$here/.emulator/localstack-install.log" >&2
      start=$SECONDS
      ( "$s" ) || failed+=("$s")
      timings+=("$s $((SECONDS - start)) s")
    done
    stage "stage times: $(IFS=,; echo "${timings[*]}")"
    if [ ${#failed[@]} -gt 0 ]; then stage "FAILED stages: ${failed[*]}"; exit 1; fi
    stage "all stages passed" ;;
  *) echo "usage: $0 all|lint|sanity|unit|integration|stack|molecule" >&2; exit 2 ;;
esac
