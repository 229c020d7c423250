#!/usr/bin/env bash
# The kube bed: the guide's kind flow on this machine with nothing pulled from outside. It starts the private
# dockerd (kind's nodes run in it), builds the binaries and images (build-binaries.sh, build-images.sh), lays out
# a mirror of kubectl, helm and kind in the layout k8s_tools reads and KubeRay's charts as a chart repository, and
# serves it on loopback. The kind host is this machine: nested Docker inside a fresh host container cannot run
# kind's privileged nodes here (this VM's capability set is short, see runc-bounded).
#   bed.sh up     -> writes $RAYBOOK_KUBE_BED_DIR/overrides.yml (the inventory's overrides) and prints its path
#   bed.sh down   -> deletes the bed's kind clusters and stops the mirror
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=modules.sh
. "$here/modules.sh"
root=$(cd "$here/../.." && pwd)
tooling="$root/extensions/molecule/tooling"
bed=${RAYBOOK_KUBE_BED_DIR:-/var/lib/raybook-test/kube}
run=${RAYBOOK_TEST_RUN:-/run/raybook-test}
charts=${RAYBOOK_KUBERAY_CHARTS:-$root/../shared/kuberay-helm}
export DOCKER_HOST=${DOCKER_HOST:-unix://$run/docker.sock}
mirror_port=18091
arch=amd64

stop_mirror() {
  if [ -f "$bed/mirror.pid" ]; then kill "$(cat "$bed/mirror.pid")" 2>/dev/null || true; rm -f "$bed/mirror.pid"; fi
}

case "${1:-}" in
  up)
    "$tooling/dockerd.sh" start
    mkdir -p "$bed"
    binaries=$("$here/build-binaries.sh")/bin
    eval "$("$here/build-images.sh" node operator ray)"
    kind_version=$(module_version sigs.k8s.io/kind kind)
    helm_version=$(module_version helm.sh/helm/v3 helm)
    kuberay_version=$(module_version github.com/ray-project/kuberay/ray-operator kuberay)
    [ -d "$charts/$kuberay_version" ] || { echo "bed.sh: no KubeRay $kuberay_version charts under $charts (set RAYBOOK_KUBERAY_CHARTS to the folder of ../shared/kuberay-helm)" >&2; exit 1; }

    # The mirror, as k8s_tools reads it; helm in its published tarball layout.
    mirror="$bed/mirror"
    rm -rf "$mirror" && mkdir -p "$mirror/charts" "$mirror/helm" "$bed/helm-build/linux-$arch"
    install -D -m 0755 "$binaries/kubectl" "$mirror/kubectl/v$kubernetes_version/linux/$arch/kubectl"
    install -D -m 0755 "$binaries/kind" "$mirror/kind/v$kind_version/kind-linux-$arch"
    install -m 0755 "$binaries/helm" "$bed/helm-build/linux-$arch/helm"
    tar -C "$bed/helm-build" --mtime=@0 --owner=0 --group=0 -czf "$mirror/helm/helm-v$helm_version-linux-$arch.tar.gz" \
      "linux-$arch"
    # KubeRay's charts as a chart repository (helm package + helm repo index), served beside the tools.
    for chart in "$charts/$kuberay_version"/*/; do
      "$binaries/helm" package --destination "$mirror/charts" "$chart" >/dev/null
    done
    "$binaries/helm" repo index "$mirror/charts" --url "http://127.0.0.1:$mirror_port/charts"

    stop_mirror
    python3 -m http.server --bind 127.0.0.1 --directory "$mirror" "$mirror_port" >"$bed/mirror.log" 2>&1 &
    echo $! >"$bed/mirror.pid"

    sum() { sha256sum "$1" | cut -d' ' -f1; }
    cat >"$bed/overrides.yml" <<EOF
# Written by extensions/kube-bed/bed.sh: inventory/kind.yml's overrides for the bed on this machine.
kuberay_version: "$kuberay_version"
raybook_mirror_url: "http://127.0.0.1:$mirror_port"
kuberay_operator_chart_repo_url: "http://127.0.0.1:$mirror_port/charts"
k8s_tools_bin_dir: "$bed/bin"
k8s_tools_cache_dir: "$bed/cache"
k8s_tools_kubectl_version: "$kubernetes_version"
k8s_tools_helm_version: "$helm_version"
k8s_tools_kind_version: "$kind_version"
k8s_tools_checksums:
  kubectl: {"$kubernetes_version": {$arch: $(sum "$mirror/kubectl/v$kubernetes_version/linux/$arch/kubectl")}}
  helm: {"$helm_version": {$arch: $(sum "$mirror/helm/helm-v$helm_version-linux-$arch.tar.gz")}}
  kind: {"$kind_version": {$arch: $(sum "$mirror/kind/v$kind_version/kind-linux-$arch")}}
kind_cluster_kind_bin: "$bed/bin/kind"
kind_cluster_node_image: "$node_image"
kind_cluster_config_dir: "$bed/kind"
# This machine still runs cgroup v1, which the kubelet refuses unless told.
kind_cluster_kubeadm_config_patches: [{kind: KubeletConfiguration, failCgroupV1: false}]
# The pods' shared storage, kept with the bed's other state.
kind_cluster_extra_mounts:
  - {host_path: "$bed/storage", container_path: /var/lib/raybook-storage, owner: "1000", group: "100", mode: "0770"}
kuberay_operator_helm_binary: "$bed/bin/helm"
raycluster_kubectl: "$bed/bin/kubectl"
# Two cores, the control plane's and the operator's requests (0.95 CPU) among them: each Ray pod may use a core
# (Ray counts 1 CPU) and asks for a quarter, so that a second RayCluster fits beside this one.
# The head has room for train's two workers when the worker pod is lost, beside Serve's replicas.
raycluster_head: {cpu: 1, cpu_request: 250m, memory: 6Gi}
raycluster_worker_groups:
  - {name: cpu, replicas: 1, min_replicas: 1, max_replicas: 1, cpu: 1, cpu_request: 250m, memory: 3Gi}
# This machine has no systemd as PID 1: the bed's dockerd is started by extensions/molecule/tooling/dockerd.sh.
docker_manage_service: false
EOF
    echo "$bed/overrides.yml"
    ;;
  down)
    if [ -x "$bed/bin/kind" ]; then
      for cluster in $("$bed/bin/kind" get clusters 2>/dev/null); do "$bed/bin/kind" delete cluster --name "$cluster" >/dev/null; done
    fi
    stop_mirror
    ;;
  *)
    echo "usage: bed.sh up|down" >&2
    exit 2
    ;;
esac
