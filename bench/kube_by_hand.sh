#!/usr/bin/env bash
# The guide's Kubernetes steps by hand on the kube bed, for bench/kube.py to time against site.yml: kubectl, kind
# and helm from the bed's mirror, kind create cluster, kind load the two images, helm install the operator and a
# RayCluster from the bed's chart repository, port-forward the dashboard, ray job submit (the guide's Step 4), then
# kind delete cluster (not timed).
# Usage: kube_by_hand.sh OVERRIDES_YML (written by extensions/kube-bed/bed.sh up); prints the seconds the steps took.
set -euo pipefail
started=$(date +%s.%N)
overrides=$1
value() { python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))[sys.argv[2]])' "$overrides" "$1"; }
mirror=$(value raybook_mirror_url)
repo=$(value kuberay_operator_chart_repo_url)
kuberay=$(value kuberay_version)
node_image=$(value kind_cluster_node_image)
ray_version=$(sed -n 's/^ray==\([0-9.]*\).*/\1/p' "$(dirname "$0")/../requirements-node.txt" | head -n1)
cluster=raybook-by-hand
work=$(mktemp -d)
bin=$work/bin
export KUBECONFIG=$work/kubeconfig
trap '"$bin/kind" delete cluster --name "$cluster" >/dev/null 2>&1 || true; kill "${forward:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

# Step 0 of the guide: kubectl, kind and helm, here from the bed's mirror.
mkdir -p "$bin"
curl -fsSLo "$bin/kubectl" "$mirror/kubectl/v$(value k8s_tools_kubectl_version)/linux/amd64/kubectl"
curl -fsSLo "$bin/kind" "$mirror/kind/v$(value k8s_tools_kind_version)/kind-linux-amd64"
curl -fsSL "$mirror/helm/helm-v$(value k8s_tools_helm_version)-linux-amd64.tar.gz" | tar -xzC "$bin" --strip-components=1 linux-amd64/helm
chmod 0755 "$bin/kubectl" "$bin/kind"

# The bed's host runs cgroup v1, which the kubelet refuses unless told (as the bed's overrides tell site.yml).
cat >"$work/kind.yaml" <<KIND
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
kubeadmConfigPatches:
  - |
    kind: KubeletConfiguration
    failCgroupV1: false
KIND
"$bin/kind" create cluster --name "$cluster" --image "$node_image" --config "$work/kind.yaml" --wait 300s >/dev/null 2>&1
"$bin/kind" load docker-image --name "$cluster" "rayproject/ray:$ray_version" "quay.io/kuberay/operator:v$kuberay" >/dev/null
"$bin/helm" install kuberay-operator kuberay-operator --repo "$repo" --version "$kuberay" \
  --namespace kuberay-system --create-namespace --wait >/dev/null
# The same sizes as the bed gives site.yml's RayCluster: a core each at most, a quarter asked for.
"$bin/helm" install raycluster ray-cluster --repo "$repo" --version "$kuberay" --wait \
  --set image.tag="$ray_version" --set image.pullPolicy=IfNotPresent \
  --set head.resources.limits.cpu=1 --set head.resources.requests.cpu=250m \
  --set head.resources.limits.memory=3Gi --set head.resources.requests.memory=3Gi \
  --set worker.resources.limits.cpu=1 --set worker.resources.requests.cpu=250m \
  --set worker.resources.limits.memory=2Gi --set worker.resources.requests.memory=2Gi >/dev/null
"$bin/kubectl" wait --for=condition=Ready pod --selector ray.io/cluster=raycluster-kuberay --timeout=600s >/dev/null
"$bin/kubectl" port-forward svc/raycluster-kuberay-head-svc 18266:8265 >/dev/null 2>&1 &
forward=$!
until curl -fsS http://127.0.0.1:18266/api/version >/dev/null 2>&1; do sleep 1; done
ray job submit --address http://127.0.0.1:18266 -- python -c "import ray; ray.init(); print(ray.cluster_resources())" >/dev/null
python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 1))" "$started"
