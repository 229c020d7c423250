#!/usr/bin/env bash
# Downloads the Ray nodes' pinned set (requirements-node.txt, every file checked against its sha256) into a
# wheelhouse cached under a hash of the lock: the fleet's pip mirror and the kube bed's Ray image install from it.
#   wheelhouse.sh   -> prints the wheelhouse's folder
set -euo pipefail
cache=${RAYBOOK_TEST_CACHE:-/var/cache/raybook-test}
lock=$(cd "$(dirname "$0")/../../.." && pwd)/requirements-node.txt
wheelhouse="$cache/wheelhouse-$(sha256sum "$lock" | cut -c1-12)"
if [ ! -f "$wheelhouse/.complete" ]; then
  mkdir -p "$wheelhouse"
  python -m pip download --quiet --require-hashes --no-deps --dest "$wheelhouse" -r "$lock" 2>"$cache/wheelhouse.log" \
    || { echo "wheelhouse.sh: pip download failed; see $cache/wheelhouse.log" >&2; exit 1; }
  touch "$wheelhouse/.complete"
fi
echo "$wheelhouse"
