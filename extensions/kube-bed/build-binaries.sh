#!/usr/bin/env bash
# Builds the kube bed's binaries from the Go module proxy at the versions pinned in go/*/go.mod (each go.sum
# checked in): Kubernetes' commands, kind, helm, the KubeRay operator, etcd, CoreDNS, crictl and containerd; and the pause
# binary from the pause.c of the same Kubernetes release. Kept in the cache under a hash of this recipe, so a
# second run prints the folder at once.
#   build-binaries.sh   -> prints the folder that holds bin/
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${RAYBOOK_TEST_CACHE:-/var/cache/raybook-test}
recipe=$(cd "$here" && cat build-binaries.sh modules.sh go/*/go.mod go/*/go.sum go/*/tools.go | sha256sum | cut -c1-12)
out="$cache/kube-bed/binaries-$recipe"
if [ -f "$out/.done" ]; then echo "$out"; exit 0; fi
command -v go >/dev/null || { echo "build-binaries.sh: go not found (Go 1.26 is needed)" >&2; exit 1; }
# Only this recipe's binaries are kept.
find "$cache/kube-bed" -maxdepth 1 -name 'binaries-*' ! -name "binaries-$recipe" -exec rm -rf {} +
mkdir -p "$out/bin"
log="$out/build.log"
: >"$log"

# shellcheck source=modules.sh
. "$here/modules.sh"

build() {  # build TOOL-FOLDER OUTPUT PACKAGE [LDFLAGS]
  local started=$SECONDS
  (cd "$here/go/$1" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w ${4:-}" -o "$out/bin/$2" "$3") >>"$log" 2>&1 \
    || { echo "build-binaries.sh: building $2 failed; see $log" >&2; exit 1; }
  echo "built $2 in $((SECONDS - started)) s" >>"$log"
}

kube=v$(module_version k8s.io/kubernetes kubernetes)
minor=$(echo "$kube" | cut -d. -f2)
stamp=""
for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp="$stamp -X $package.gitVersion=$kube -X $package.gitMajor=1 -X $package.gitMinor=$minor"
  stamp="$stamp -X $package.gitTreeState=clean -X $package.buildDate=1970-01-01T00:00:00Z"
done
for command in kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl; do
  build kubernetes "$command" "k8s.io/kubernetes/cmd/$command" "$stamp"
done
build kind kind sigs.k8s.io/kind
build helm helm helm.sh/helm/v3/cmd/helm \
  "-X helm.sh/helm/v3/internal/version.version=v$(module_version helm.sh/helm/v3 helm)"
build kuberay kuberay-operator github.com/ray-project/kuberay/ray-operator
build etcd etcd go.etcd.io/etcd/server/v3
build crictl crictl sigs.k8s.io/cri-tools/cmd/crictl
build coredns coredns github.com/coredns/coredns
containerd_version=v$(module_version github.com/containerd/containerd/v2 containerd)
for command in containerd containerd-shim-runc-v2 ctr; do
  build containerd "$command" "github.com/containerd/containerd/v2/cmd/$command" \
    "-X github.com/containerd/containerd/v2/version.Version=$containerd_version"
done
pause_source=$(module_dir k8s.io/kubernetes kubernetes)/build/pause/linux/pause.c
gcc -Os -static -DVERSION="\"$kube\"" -o "$out/bin/pause" "$pause_source" >>"$log" 2>&1 \
  || { echo "build-binaries.sh: building pause failed; see $log" >&2; exit 1; }
touch "$out/.done"
echo "$out"
