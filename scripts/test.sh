#!/usr/bin/env bash
# The project's test suite, stage by stage: scripts/test.sh all|lint|docs|sanity|unit|integration|stack|installed|molecule
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

# The documentation as antsibull-docs renders it: schema and markup of every module, filter and
# role (meta/argument_specs.yml), rstcheck of the generated RST. Not the HTML site (make docs).
# The linter copies the collection and its galaxy.yml dependencies to a scratch collections path
# and runs ansible-doc there. The dependencies come from a slim copy (MANIFEST.json, meta/,
# doc_fragments, module_utils, plugin_utils of the installed amazon.aws/community.aws): enough for
# our modules' doc fragments and imports, and seconds instead of the minute and more ansible-doc
# takes over those two whole collections. (Copied from the venv itself they would also come out
# empty: a venv inside this checkout is "in git", and antsibull-docs copies only tracked files.)
# ansible-galaxy collection list, where antsibull-docs looks the dependencies up, orders the
# collection paths by name and the first wins: a checkout whose path sorts before $TMPDIR (CI's
# /check/... before /tmp) found the venv's copy first. ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
# leaves the slim copy the only one it sees.
docs() (
  stage "antsibull-docs lint-collection-docs --plugin-docs"
  # scripts/venv.sh installs the tooling (requirements-docs.txt).
  command -v antsibull-docs >/dev/null || { echo "docs: antsibull-docs missing; run make venv" >&2; exit 1; }
  deps=$(mktemp -d "${TMPDIR:-/tmp}/aws_stack-docs.XXXXXX")
  trap 'rm -rf "$deps"' EXIT
  for c in amazon.aws community.aws; do
    src=$(python -c "import ansible_collections.$c as m; print(m.__path__[0])") || exit 1
    dst="$deps/ansible_collections/${c/.//}"
    mkdir -p "$dst/plugins" && cp -r "$src/MANIFEST.json" "$src/meta" "$dst/" || exit 1
    for d in doc_fragments module_utils plugin_utils; do
      [ ! -d "$src/plugins/$d" ] || cp -r "$src/plugins/$d" "$dst/plugins/" || exit 1
    done
  done
  ANSIBLE_COLLECTIONS_PATH="$deps" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false antsibull-docs lint-collection-docs --plugin-docs \
    collections/ansible_collections/apranova/aws_stack || exit 1
  echo "docs: antsibull-docs lint clean"
)

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

# The collection as Galaxy users get it: build the tarball, install it into an empty collections
# path, and run the whole-stack playbook shipped in it (apranova.aws_stack.site) from a scratch
# directory holding only a copy of the production inventory, with no ansible.cfg of the checkout:
# roles, playbooks, group_vars and plugins can only come from the installed copy (amazon.aws and
# community.aws from the venv's site-packages). One converge (rc 0, with -vv: every task path must
# lie in the installed copy) and one rerun (changed=0), on an emulator of its own.
installed() (
  stage "installed collection: ansible-galaxy build + install, ansible-builder create, apranova.aws_stack.site on the emulator"
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/aws_stack-installed.XXXXXX")
  cols="$scratch/collections" work="$scratch/work"
  copy="$cols/ansible_collections/apranova/aws_stack"
  port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  emulator() { python "$here/scripts/emulator.py" "$1" --port "$port" --dir "$scratch/emulator"; }
  ok=0
  finish() {
    emulator stop >/dev/null || true
    if [ "$ok" = 1 ]; then rm -rf "$scratch"; else echo "installed: FAILED; logs and the installed copy kept in $scratch" >&2; fi
  }
  trap finish EXIT
  # What a user's shell holds: no AWS_/ANSIBLE_ setting of this harness (the checkout's ansible.cfg
  # finds the collection in ./collections, and ansible-galaxy would call it installed already), no
  # other collections path, the emulator's address.
  run() (
    for v in $(compgen -e); do case "$v" in AWS_*|ANSIBLE_*|MOLECULE_*) unset "$v" ;; esac; done
    export ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$cols" ANSIBLE_NOCOLOR=1 \
      AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
      AWS_DEFAULT_REGION=us-east-1
    cd "$work" && "$@"
  )
  # Explicit exits: under `all` this stage runs on the left of `||`, where set -e does not apply.
  mkdir -p "$scratch/build" "$cols" "$work" || exit 1
  printf '[defaults]\n' >"$work/ansible.cfg"   # a user's config, not the checkout's
  cp -r "$here/inventories/production" "$work/inventory" || exit 1
  run ansible-galaxy collection build "$here" --output-path "$scratch/build" || exit 1
  run ansible-galaxy collection install --offline --no-deps --force "$scratch"/build/apranova-aws_stack-*.tar.gz -p "$cols" || exit 1
  # The execution environment's definition, validated against the tarball just built: ansible-builder
  # writes the build context (Containerfile, requirements) without a container engine.
  mkdir -p "$scratch/ee" && cp "$here/execution-environment.yml" "$scratch"/build/apranova-aws_stack-*.tar.gz "$scratch/ee/" || exit 1
  ansible-builder create -f "$scratch/ee/execution-environment.yml" --context "$scratch/ee/context" --output-filename Containerfile >"$scratch/ee.log" 2>&1 \
    || { cat "$scratch/ee.log" >&2; echo "installed: ansible-builder create failed (execution-environment.yml)" >&2; exit 1; }
  grep -q "ansible-galaxy collection install /tmp/apranova-aws_stack-" "$scratch/ee/context/Containerfile" \
    && compgen -G "$scratch/ee/context/_build/_build/apranova-aws_stack-*.tar.gz" >/dev/null \
    || { echo "installed: the EE's build context does not carry and install the collection" >&2; exit 1; }
  echo "execution environment: ansible-builder create wrote $(ls "$scratch/ee/context" | tr '\n' ' ')"
  emulator start || exit 1
  # the recap's counts summed over its hosts (site.yml runs tiers on hosts of their own)
  recap() {
    python -c 'import sys; sys.path.insert(0, sys.argv[1]); from recap import parse_recap
print(" ".join("%s=%d" % kv for kv in parse_recap(open(sys.argv[2]).read()).items()) + " ")' "$here/scripts" "$1"
  }
  # The module documentation, too, comes from the installed copy.
  doc=$(run ansible-doc apranova.aws_stack.ec2_subnets) || exit 1
  case "${doc%%$'\n'*}" in
    *"($copy/plugins/modules/ec2_subnets.py)"*) ;;
    *) echo "installed: ansible-doc did not take the module from $copy: ${doc%%$'\n'*}" >&2; exit 1 ;;
  esac
  play=(ansible-playbook apranova.aws_stack.site -i inventory -e "report_dir=$work/reports/production")
  rc=0; run "${play[@]}" -vv >"$scratch/converge.log" 2>&1 || rc=$?
  echo "converge: rc=$rc $(recap "$scratch/converge.log")"
  if [ "$rc" -ne 0 ]; then tail -n 60 "$scratch/converge.log" >&2; exit 1; fi
  paths=$(sed -n 's/^task path: //p' "$scratch/converge.log")
  elsewhere=$(grep -v "^$copy/" <<<"$paths" || true)
  if [ -z "$paths" ] || [ -n "$elsewhere" ]; then
    echo "installed: tasks ran from outside $copy:" >&2; echo "${elsewhere:-(no task path printed)}" | sort -u | head >&2; exit 1
  fi
  echo "converge: $(wc -l <<<"$paths") tasks, every one from $copy"
  rc=0; run "${play[@]}" >"$scratch/rerun.log" 2>&1 || rc=$?
  stats=$(recap "$scratch/rerun.log")
  echo "rerun:    rc=$rc $stats"
  if [ "$rc" -ne 0 ] || [[ "$stats" != *" changed=0 "* ]]; then
    grep -B3 -A12 '^changed:' "$scratch/rerun.log" | head -n 80 >&2; tail -n 20 "$scratch/rerun.log" >&2; exit 1
  fi
  ok=1
)

molecule_default() {
  stage "molecule test -s default (moto server)"
  # a scenario state left by an interrupted run (instances "created" on an emulator long gone)
  # would make molecule skip its create: start from none
  molecule reset -s default >/dev/null 2>&1 || true
  molecule test -s default
}

molecule_localstack() {
  stage "molecule test -s localstack (LocalStack on the host)"
  molecule reset -s localstack >/dev/null 2>&1 || true
  scripts/localstack.sh install && molecule test -s localstack
}

case "${1:-all}" in
  lint) lint ;;
  docs) docs ;;
  sanity) sanity ;;
  unit) unit ;;
  integration) integration ;;
  stack) stack ;;
  installed) installed ;;
  molecule) molecule_default; molecule_localstack ;;
  molecule-default) molecule_default ;;
  molecule-localstack) molecule_localstack ;;
  all)
    # Every stage runs even when an earlier one failed, so one run shows every failure.
    failed=() timings=()
    mkdir -p "$here/.emulator" && rm -f "$here"/.emulator/stage-*
    # LocalStack's install is mostly downloads: start it now, in the background, and let its
    # stage wait for it (the stage installs again in the foreground if this one failed).
    scripts/localstack.sh install >"$here/.emulator/localstack-install.log" 2>&1 &
    install_pid=$!
    # Three lines of work side by side, each on about one core: lint then docs, sanity, unit.
    # (Four side by side on two cores slowed each.) Their output is shown afterwards, in order.
    run_logged() {  # a stage: its output to .emulator/stage-<name>.log, "<rc> <seconds>" to .rc
      local start=$SECONDS rc=0
      ( "$1" ) >"$here/.emulator/stage-$1.log" 2>&1 || rc=$?
      echo "$rc $((SECONDS - start))" >"$here/.emulator/stage-$1.rc"
    }
    pids=()
    for group in "lint docs" sanity unit; do
      ( for s in $group; do run_logged "$s"; done ) &
      pids+=($!)
    done
    wait "${pids[@]}" || true
    for s in lint docs sanity unit; do
      cat "$here/.emulator/stage-$s.log"
      read -r rc seconds <"$here/.emulator/stage-$s.rc"
      [ "$rc" -eq 0 ] || failed+=("$s")
      timings+=("$s $seconds s (side by side)")
    done
    for s in integration stack installed molecule_default molecule_localstack; do
      [ "$s" != molecule_localstack ] || wait "$install_pid" || cat "$here/.emulator/localstack-install.log" >&2
      start=$SECONDS rc=0
      ( "$s" ) 2>&1 | tee "$here/.emulator/stage-$s.log" || rc=$?
      [ "$rc" -eq 0 ] || failed+=("$s")
      timings+=("$s $((SECONDS - start)) s")
    done
    stage "stage times: $(IFS=,; echo "${timings[*]}")"
    if [ ${#failed[@]} -gt 0 ]; then
      # The end of each failed stage's output again, last: a CI page that shows only the tail
      # of the log still shows why.
      for s in "${failed[@]}"; do
        stage "end of the output of failed stage $s"
        tail -n 40 "$here/.emulator/stage-$s.log"
      done
      stage "FAILED stages: ${failed[*]}"; exit 1
    fi
    stage "all stages passed" ;;
  *) echo "usage: $0 all|lint|docs|sanity|unit|integration|stack|installed|molecule" >&2; exit 2 ;;
esac
