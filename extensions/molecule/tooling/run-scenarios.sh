#!/usr/bin/env bash
# Runs `molecule test` for every scenario under extensions/molecule/ (where molecule looks in a collection). Scenarios on the docker driver get a private dockerd
# and the locally built systemd host image, both set up here and the daemon stopped again at the end.
# Without dockerd or debootstrap those scenarios are skipped with the reason, except in CI (CI=true), where
# that is an error.
set -euo pipefail
cd "$(dirname "$0")/../../.."
tooling=extensions/molecule/tooling
export RAYBOOK_TEST_RUN=${RAYBOOK_TEST_RUN:-/run/raybook-test}
export DOCKER_HOST="unix://$RAYBOOK_TEST_RUN/docker.sock"
# The systemd host mounts the project's venv read-only; it needs the Python that venv was made from too.
RAYBOOK_VENV_PYTHON_HOME=$(dirname "$(dirname "$(readlink -f .venv/bin/python)")")
export RAYBOOK_VENV_PYTHON_HOME

local_scenarios=() docker_scenarios=()
for config in extensions/molecule/*/molecule.yml; do
  scenario=$(basename "$(dirname "$config")")
  if grep -qE '^  name: docker$' "$config"; then docker_scenarios+=("$scenario"); else local_scenarios+=("$scenario"); fi
done

for scenario in "${local_scenarios[@]}"; do
  molecule test -s "$scenario"
done

if [ ${#docker_scenarios[@]} -eq 0 ]; then exit 0; fi
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  reason="dockerd or debootstrap missing (apt-get install docker.io debootstrap)"
  if [ "${CI:-}" = true ]; then echo "run-scenarios.sh: $reason" >&2; exit 1; fi
  echo "SKIPPED molecule scenarios ${docker_scenarios[*]}: $reason" >&2
  exit 0
fi
# The docker scenario's inner Docker keeps its images in this host folder (overlay2 needs a real filesystem).
export RAYBOOK_TEST_STATE=${RAYBOOK_TEST_STATE:-/var/lib/raybook-test}
mkdir -p "$RAYBOOK_TEST_STATE/docker-in-docker"
logs=$(mktemp -d)
"$tooling/dockerd.sh" start
trap '"$tooling/dockerd.sh" stop; rm -rf "$RAYBOOK_TEST_STATE/docker-in-docker" "$logs"' EXIT
"$tooling/build-image.sh"
"$tooling/build-mirror.sh" >/dev/null
# Each docker scenario has its own containers: they run RAYBOOK_MOLECULE_JOBS at a time (the cores' count by default),
# each into its own log; the logs are printed whole, in order, at the end.
at_once=${RAYBOOK_MOLECULE_JOBS:-$(nproc)}
if ! [[ $at_once =~ ^[1-9][0-9]*$ ]]; then
  echo "run-scenarios.sh: RAYBOOK_MOLECULE_JOBS: expected a whole number of 1 or more, got '$at_once'" >&2; exit 2
fi
run_scenario() {
  local status=0 started=$SECONDS
  molecule test -s "$1" >"$logs/$1.log" 2>&1 || status=$?
  echo "$status" >"$logs/$1.status"
  echo "molecule scenario $1: exit $status after $((SECONDS - started)) s"
}
for scenario in "${docker_scenarios[@]}"; do
  while [ "$(jobs -pr | wc -l)" -ge "$at_once" ]; do wait -n || true; done
  run_scenario "$scenario" &
done
wait
failed=()
for scenario in "${docker_scenarios[@]}"; do
  echo "===== molecule scenario $scenario"
  cat "$logs/$scenario.log"
  [ "$(cat "$logs/$scenario.status")" = 0 ] || failed+=("$scenario")
done
if [ ${#failed[@]} -gt 0 ]; then echo "run-scenarios.sh: failed: ${failed[*]}" >&2; exit 1; fi
