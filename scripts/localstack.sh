#!/usr/bin/env bash
# LocalStack (open-source localstack-core, no Docker, no auth token) on 127.0.0.1.
#   scripts/localstack.sh install|start|stop|status|endpoint
# It lives in its own virtualenv ($LOCALSTACK_VENV, default .venv-localstack; Python >= 3.12)
# because its pins clash with the controller's. Environment: LOCALSTACK_PORT (default 4566).
# What it emulates here (open-source build): EC2/VPC, IAM, STS, CloudWatch Logs and alarms, SNS,
# Secrets Manager, S3, KMS. ELBv2, ECS, ECR, RDS, ElastiCache and EFS answer 501 (paid image only).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${LOCALSTACK_VENV:-$here/.venv-localstack}
port=${LOCALSTACK_PORT:-4566}
dir=${EMULATOR_DIR:-$here/.emulator}
state="$dir/localstack-$port"
pidfile="$dir/localstack-$port.pid"
logfile="$dir/localstack-$port.log"
url="http://127.0.0.1:$port"
pins=(localstack-core[runtime]==2026.3.0 'cbor2<6' pyopenssl==25.3.0 'cryptography<47' service-identity)

alive() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
answers() { python3 -c "import urllib.request; urllib.request.urlopen('$url/_localstack/health', timeout=2)" >/dev/null 2>&1; }

case "${1:-}" in
  install)
    stamp="$venv/.localstack-pins"
    if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "${pins[*]}" ]; then exit 0; fi
    py=$("$here/scripts/find-python.sh")
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    echo "localstack: installing ${pins[*]} into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" 2> >(grep -v "^WARNING: Location" >&2)
    echo "${pins[*]}" >"$stamp" ;;
  start)
    mkdir -p "$state/fs" "$state/config"
    if alive && answers; then echo "localstack already running at $url"; exit 0; fi
    [ -x "$venv/bin/python" ] || { echo "localstack: not installed; run '$0 install'" >&2; exit 1; }
    OVERRIDE_IN_DOCKER=0 GATEWAY_LISTEN="127.0.0.1:$port" PERSISTENCE=0 DISABLE_EVENTS=1 \
      SKIP_INFRA_DOWNLOADS=1 FILESYSTEM_ROOT="$state/fs" CONFIG_DIR="$state/config" \
      nohup "$venv/bin/python" -m localstack.runtime.main >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 300); do
      if answers; then echo "localstack running at $url (pid $(cat "$pidfile"))"; exit 0; fi
      alive || { echo "localstack exited; see $logfile" >&2; tail -30 "$logfile" >&2; exit 1; }
      sleep 0.2
    done
    echo "localstack: no answer from $url after 60 s; see $logfile" >&2; exit 1 ;;
  stop)
    if alive; then
      pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      echo "localstack stopped (pid $pid)"
    else
      echo "localstack not running on port $port"
    fi
    rm -f "$pidfile"; rm -rf "$state" ;;
  status)
    if alive && answers; then echo "running at $url"; else echo "not running"; exit 1; fi ;;
  endpoint) echo "$url" ;;
  *) echo "usage: $0 install|start|stop|status|endpoint" >&2; exit 2 ;;
esac
