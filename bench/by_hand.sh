#!/usr/bin/env bash
# The guide's steps done by hand with Ray's CLI, for bench/run.py to time against site.yml: start a head, submit
# train, infer and serve (deploy, then query) and wait for each. Usage: by_hand.sh STORAGE_DIR
set -euo pipefail
storage=$1
cd "$(dirname "$0")/.."
address=http://127.0.0.1:8265
runtime_env="{\"env_vars\": {\"RAYBOOK_STORAGE_PATH\": \"$storage\"}}"
ray start --head --node-ip-address 127.0.0.1 --dashboard-host 127.0.0.1 --disable-usage-stats >/dev/null
until ray job list --address "$address" >/dev/null 2>&1; do sleep 1; done
submit() {
  local folder=$1; shift
  ray job submit --address "$address" --working-dir "workloads/$folder" --runtime-env-json "$runtime_env" -- "$@" >/dev/null
}
submit train python train.py --epochs 10 --workers 2
submit infer python infer.py --rows 5000 --actors 2
submit serve python -c "from ray import serve; import serve_app; serve.run(serve_app.app, name='classifier', route_prefix='/classify')"
submit serve python query.py --url http://127.0.0.1:8000/classify --requests 50
