#!/usr/bin/env bash
# A private Docker daemon for the molecule scenarios: own socket, data root and pid file, started and stopped
# by the test tooling itself (no systemd as PID 1 on the test machine).
#   dockerd.sh start   -> prints nothing; the socket is $RAYBOOK_DOCKER_SOCKET
#   dockerd.sh stop
set -euo pipefail
state=${RAYBOOK_TEST_STATE:-/var/lib/raybook-test}
run=${RAYBOOK_TEST_RUN:-/run/raybook-test}
socket="$run/docker.sock"
pidfile="$run/dockerd.pid"

case "${1:-}" in
  start)
    mkdir -p "$state/docker" "$run/exec"
    if [ -S "$socket" ] && DOCKER_HOST="unix://$socket" docker info >/dev/null 2>&1; then
      exit 0
    fi
    command -v dockerd >/dev/null || { echo "dockerd.sh: dockerd not installed (apt-get install docker.io)" >&2; exit 1; }
    # runc-bounded: --privileged containers (kind's nodes) ask for capabilities this VM lacks; it drops those.
    dockerd --data-root "$state/docker" --exec-root "$run/exec" -H "unix://$socket" --pidfile "$pidfile" \
      --add-runtime "bounded=$(cd "$(dirname "$0")" && pwd)/runc-bounded" --default-runtime bounded \
      >"$run/dockerd.log" 2>&1 &
    for _ in $(seq 60); do
      DOCKER_HOST="unix://$socket" docker info >/dev/null 2>&1 && exit 0
      sleep 1
    done
    echo "dockerd.sh: dockerd did not answer on $socket within 60s; see $run/dockerd.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      for _ in $(seq 30); do [ -f "$pidfile" ] || break; sleep 1; done
    fi
    ;;
  *)
    echo "usage: dockerd.sh start|stop" >&2
    exit 2
    ;;
esac
