#!/usr/bin/env bash
# The fleet's steps done by hand, for bench/fleet.py to time against site.yml over the same fresh hosts: over SSH,
# Python's venv package and Ray from the mirror on every host at once, `ray start` on the head and then on each
# worker, then train, infer and serve submitted on the head and waited for.
#   fleet_by_hand.sh BED_JSON WORKER_CPUS
set -euo pipefail
bed=$1
worker_cpus=$2
read_bed() { python3 -c "import json, sys; print(eval(sys.argv[2], json.load(open(sys.argv[1]))))" "$bed" "$1"; }
key=$(read_bed 'key')
mirror=$(read_bed 'mirror_url')
storage=$(read_bed 'shared_path')
head=$(read_bed 'hosts["head"]')
workers=("$(read_bed 'hosts["worker1"]')" "$(read_bed 'hosts["worker2"]')")
options=(-i "$key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes)
on() { local host=$1; shift; ssh "${options[@]}" "root@$host" "$@"; }
mirror_host=${mirror#http://}
mirror_host=${mirror_host%%:*}
install="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
  && python3 -m venv /opt/by-hand && /opt/by-hand/bin/pip install -q --no-index --find-links $mirror/pip/ \
     --trusted-host $mirror_host 'ray[default,serve,train,data]==2.60.0' torch==2.13.0"
ray="RAY_USAGE_STATS_ENABLED=0 PATH=/opt/by-hand/bin:\$PATH ray"

for host in "$head" "${workers[@]}"; do on "$host" "$install" & done
wait
on "$head" "$ray start --head --node-ip-address $head --num-cpus 0 --disable-usage-stats >/dev/null"
for worker in "${workers[@]}"; do
  on "$worker" "$ray start --address $head:6379 --node-ip-address $worker --num-cpus $worker_cpus \
    --disable-usage-stats >/dev/null" &
done
wait
cd "$(dirname "$0")/.."
scp -r -q "${options[@]}" workloads/train workloads/infer workloads/serve "root@$head:/root/"
runtime_env="{\\\"env_vars\\\": {\\\"RAYBOOK_STORAGE_PATH\\\": \\\"$storage\\\"}}"
submit() {
  local folder=$1; shift
  on "$head" "cd /root && $ray job submit --address http://127.0.0.1:8265 --working-dir $folder \
    --runtime-env-json \"$runtime_env\" -- $* >/dev/null"
}
submit train python train.py --epochs 10
submit infer python infer.py --rows 5000 --actors 2
on "$head" "cat >/root/serve/deploy.py" <<'PY'
from ray import serve
import serve_app
serve.run(serve_app.app, name="classifier", route_prefix="/classify")
PY
submit serve python deploy.py
submit serve python query.py --url http://127.0.0.1:8000/classify --requests 50
