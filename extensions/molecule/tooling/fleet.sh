#!/usr/bin/env bash
# The fleet test bed: three fresh Debian hosts with systemd as PID 1, sshd and python3 and nothing of the project
# (head, worker1, worker2), plus an outsider host that no inventory names, as containers of the private test
# dockerd on their own bridge network. Ansible reaches them over SSH with a key made for the bed. A host folder is
# mounted at the same path on the three Ray hosts (standing in for NFS), and a wheelhouse of the node's lock
# (requirements-node.txt, downloaded with its hashes checked, once into the cache) is served over HTTP on the bed's
# network as raybook_mirror_url's pip/ folder.
#   fleet.sh up     -> writes $RAYBOOK_FLEET_DIR/bed.json (addresses, key, mirror URL, shared path)
#   fleet.sh down   -> removes the hosts, the network and the mirror's server
set -euo pipefail
tooling=$(cd "$(dirname "$0")" && pwd)
cache=${RAYBOOK_TEST_CACHE:-/var/cache/raybook-test}
bed=${RAYBOOK_FLEET_DIR:-/var/lib/raybook-test/fleet}
run=${RAYBOOK_TEST_RUN:-/run/raybook-test}
export DOCKER_HOST=${DOCKER_HOST:-unix://$run/docker.sock}
network=raybook-fleet
prefix=raybook-fleet-
image=local/debian-systemd-sshd:bookworm
hosts=(head worker1 worker2 outsider)
shared_path=/srv/raybook-shared
mirror_port=18080

build_image() {
  local recipe tarball
  recipe=$(sha256sum "$0" "$tooling/build-image.sh" | sha256sum | cut -c1-12)
  tarball="$cache/debian-systemd-sshd-bookworm-$recipe.tar"
  docker image inspect "$image" >/dev/null 2>&1 && [ -f "$tarball" ] && return
  if [ ! -f "$tarball" ]; then
    "$tooling/build-image.sh"
    docker rm -f "${prefix}build" >/dev/null 2>&1 || true
    docker run --name "${prefix}build" local/debian-systemd:bookworm /bin/sh -c 'apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null \
        && apt-get clean && rm -rf /var/lib/apt/lists/*' >"$cache/fleet-image.log" 2>&1 \
      || { echo "fleet.sh: installing openssh-server failed; see $cache/fleet-image.log" >&2; exit 1; }
    docker commit --change 'CMD ["/sbin/init"]' "${prefix}build" "$image" >/dev/null
    docker rm "${prefix}build" >/dev/null
    docker save -o "$tarball.partial" "$image"
    mv "$tarball.partial" "$tarball"
  else
    docker load -i "$tarball" >/dev/null
  fi
}

start_host() {
  local name=$1 volumes=()
  [ "$name" = outsider ] || volumes=(-v "$bed/shared:$shared_path")
  docker run -d --name "$prefix$name" --hostname "$name" --network "$network" \
    --cgroupns private --cap-add SYS_ADMIN --cap-add NET_ADMIN --tmpfs /run --tmpfs /run/lock \
    --stop-signal SIGRTMIN+3 --shm-size 1g "${volumes[@]}" "$image" >/dev/null
}

wait_for_ssh() {
  local address=$1
  for _ in $(seq 60); do
    ssh -i "$bed/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o ConnectTimeout=2 -o LogLevel=ERROR "root@$address" true 2>/dev/null && return
    sleep 1
  done
  echo "fleet.sh: no SSH answer from $address within 60s" >&2
  exit 1
}

down() {
  for name in "${hosts[@]}"; do docker rm -f "$prefix$name" >/dev/null 2>&1 || true; done
  docker network rm "$network" >/dev/null 2>&1 || true
  if [ -f "$bed/mirror.pid" ]; then kill "$(cat "$bed/mirror.pid")" 2>/dev/null || true; rm -f "$bed/mirror.pid"; fi
  # Files the hosts wrote as root into the shared folder go with the bed.
  rm -rf "$bed"
}

up() {
  "$tooling/dockerd.sh" start
  build_image
  wheelhouse=$("$tooling/wheelhouse.sh")
  down
  mkdir -p "$bed/shared"
  ssh-keygen -q -t ed25519 -N "" -C raybook-fleet -f "$bed/id_ed25519"
  docker network create "$network" >/dev/null
  for name in "${hosts[@]}"; do start_host "$name"; done
  gateway=$(docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' "$network")
  # The air-gap mirror's layout (raybook_mirror_url): the wheelhouse under pip/.
  mkdir -p "$bed/mirror"
  ln -s "$wheelhouse" "$bed/mirror/pip"
  python -m http.server --bind "$gateway" --directory "$bed/mirror" "$mirror_port" >"$bed/mirror.log" 2>&1 &
  echo $! >"$bed/mirror.pid"
  declare -A address
  for name in "${hosts[@]}"; do
    address[$name]=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$network\").IPAddress}}" "$prefix$name")
    docker exec -i "$prefix$name" sh -c 'mkdir -m 0700 -p /root/.ssh && cat >/root/.ssh/authorized_keys' \
      <"$bed/id_ed25519.pub"
  done
  for name in "${hosts[@]}"; do wait_for_ssh "${address[$name]}"; done
  python - "$bed/bed.json" <<PY
import json, sys
json.dump({
    "hosts": {"head": "${address[head]}", "worker1": "${address[worker1]}", "worker2": "${address[worker2]}",
              "outsider": "${address[outsider]}"},
    "containers": {name: "$prefix" + name for name in ("head", "worker1", "worker2", "outsider")},
    "key": "$bed/id_ed25519",
    "mirror_url": "http://$gateway:$mirror_port",
    "shared_path": "$shared_path",
    "shared_host_dir": "$bed/shared",
}, open(sys.argv[1], "w"), indent=2)
PY
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: fleet.sh up|down" >&2; exit 2 ;;
esac
