#!/usr/bin/env bash
# Start, stop or reset the local AWS emulator on 127.0.0.1: moto's server behind the test harness's
# model of AWS (scripts/emulator.py, the one place that starts it).
#   scripts/emulator.sh start|stop|status|reset|endpoint
# Environment: EMULATOR_PORT (default 5000), EMULATOR_DIR (default .emulator), VENV (default .venv),
# EMULATOR_TIME_SCALE (default 0: the model's AWS durations are instant; 0.02 plays them 50x faster).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$here/.venv}
[ -x "$venv/bin/python" ] || { echo "emulator: $venv/bin/python not found; run 'make venv' first" >&2; exit 1; }
case "${1:-}" in
  start|stop|status|reset|endpoint) exec "$venv/bin/python" "$here/scripts/emulator.py" "$1" ;;
  *) echo "usage: $0 start|stop|status|reset|endpoint" >&2; exit 2 ;;
esac
