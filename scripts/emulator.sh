#!/usr/bin/env bash
# Start, stop or reset the local AWS emulator (moto's server) on 127.0.0.1.
#   scripts/emulator.sh start|stop|status|reset|endpoint
# Environment: EMULATOR_PORT (default 5000), EMULATOR_DIR (default .emulator), VENV (default .venv).
# The PID is recorded in $EMULATOR_DIR/moto-$PORT.pid and the log in moto-$PORT.log; stop kills by PID.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
port=${EMULATOR_PORT:-5000}
dir=${EMULATOR_DIR:-$here/.emulator}
venv=${VENV:-$here/.venv}
pidfile="$dir/moto-$port.pid"
logfile="$dir/moto-$port.log"
url="http://127.0.0.1:$port"

alive() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
answers() { python3 - "$url" <<'PY' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=2)
PY
}

case "${1:-}" in
  start)
    mkdir -p "$dir"
    if alive && answers; then echo "emulator already running at $url (pid $(cat "$pidfile"))"; exit 0; fi
    if answers; then echo "emulator: something else already answers on $url; set EMULATOR_PORT" >&2; exit 1; fi
    [ -x "$venv/bin/moto_server" ] || { echo "emulator: $venv/bin/moto_server not found; run 'make venv' first" >&2; exit 1; }
    MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
      if answers; then echo "emulator running at $url (pid $(cat "$pidfile"))"; exit 0; fi
      alive || { echo "emulator: moto_server exited; see $logfile" >&2; tail -20 "$logfile" >&2; exit 1; }
      sleep 0.1
    done
    echo "emulator: no answer from $url after 10 s; see $logfile" >&2; exit 1 ;;
  stop)
    if alive; then
      pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      echo "emulator stopped (pid $pid)"
    else
      echo "emulator not running on port $port"
    fi
    rm -f "$pidfile" ;;
  status)
    if alive && answers; then echo "running at $url (pid $(cat "$pidfile"))"; else echo "not running"; exit 1; fi ;;
  reset)
    python3 -c "import urllib.request as u; u.urlopen(u.Request('$url/moto-api/reset', method='POST'), timeout=30)"
    echo "emulator state wiped" ;;
  endpoint)
    echo "$url" ;;
  *)
    echo "usage: $0 start|stop|status|reset|endpoint" >&2; exit 2 ;;
esac
