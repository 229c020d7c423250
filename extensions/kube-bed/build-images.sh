#!/usr/bin/env bash
# Builds the kube bed's images with no registry, from the binaries of build-binaries.sh and Debian's packages:
#   - registry.k8s.io/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy}:vK8S, etcd, coredns and
#     pause at the tags kubeadm asks for, saved into the node image, whose containerd imports them at boot;
#   - kindest/node:vK8S, kind's node: Debian, systemd, containerd, runc, the bridge CNI, kubeadm/kubelet/kubectl
#     and kind's own base files (entrypoint, units, containerd config) from the kind module;
#   - quay.io/kuberay/operator:vKUBERAY and rayproject/ray:RAY (Debian's Python and the nodes' locked wheelhouse).
# Each image's filesystem is kept as a tarball under a hash of its recipe; a later run only imports (seconds).
#   build-images.sh [node|operator|ray ...]   -> prints KEY=VALUE lines: each image's name, kubernetes_version
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${RAYBOOK_TEST_CACHE:-/var/cache/raybook-test}
binaries=$("$here/build-binaries.sh")/bin
store="$cache/kube-bed"
mkdir -p "$store"
# Every root filesystem is made under this run's folder: whatever happens, its mounts and files go at exit.
work=$(mktemp -d "$store/work.XXXXXX")
cleanup() {
  { grep -o " $work/[^ ]*" /proc/mounts || true; } | sort -r | xargs -r umount -l
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=modules.sh
. "$here/modules.sh"
kubernetes=$(module_version k8s.io/kubernetes kubernetes)
kuberay=$(module_version github.com/ray-project/kuberay/ray-operator kuberay)
ray=$(sed -n 's/^ray\[[^]]*\]==\([0-9.]*\).*/\1/p' "$root/requirements-node.txt")
constants="$(module_dir k8s.io/kubernetes kubernetes)/cmd/kubeadm/app/constants/constants.go"
kubeadm_constant() { sed -n "s/^\s*$1 = \"\(.*\)\"/\1/p" "$constants"; }
etcd_tag=$(kubeadm_constant DefaultEtcdVersion)
coredns_tag=$(kubeadm_constant CoreDNSVersion)
pause_tag=$(kubeadm_constant PauseVersion)
kind_files="$(module_dir sigs.k8s.io/kind kind)/images/base/files"
recipe=$(cat "$0" "$here/node/"* "$root/requirements-node.txt" | sha256sum | cut -c1-8)-$(basename "$(dirname "$binaries")")
# Only this recipe's tarballs are kept (the Ray image's is gigabytes).
find "$store" -maxdepth 1 -name '*.tar' ! -name "*-$recipe.tar" ! -name debian-bookworm-minbase.tar -delete

# Commands in a chroot get none of this machine's settings (pip's find-links, proxies).
clean_env="/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root"

# A minimal Debian bookworm, the root of every image that needs more than one static binary.
debian_base() {
  local tarball="$store/debian-bookworm-minbase.tar" rootfs
  if [ ! -f "$tarball" ]; then
    rootfs=$(mktemp -d "$work/rootfs.XXXXXX")
    debootstrap --variant=minbase bookworm "$rootfs" >"$store/debootstrap.log" 2>&1 \
      || { echo "build-images.sh: debootstrap failed; see $store/debootstrap.log" >&2; exit 1; }
    tar -C "$rootfs" -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
    rm -rf "$rootfs"
  fi
  echo "$tarball"
}

# Unpacks the Debian base into a fresh folder and installs PACKAGES there with apt in a chroot.
debian_rootfs() {
  local rootfs
  rootfs=$(mktemp -d "$work/rootfs.XXXXXX")
  tar -C "$rootfs" -xf "$(debian_base)"
  mount -t proc proc "$rootfs/proc"
  mount --rbind /dev "$rootfs/dev"
  chroot "$rootfs" $clean_env /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends $* && apt-get clean && rm -rf /var/lib/apt/lists/*" >>"$store/apt.log" 2>&1 \
    || { echo "build-images.sh: installing $* failed; see $store/apt.log" >&2; exit 1; }
  umount -l "$rootfs/dev" "$rootfs/proc"
  echo "$rootfs"
}

# Packs a folder into the image's cached tarball (the folder is removed).
pack() {
  tar -C "$2" -cf "$1.partial" . && mv "$1.partial" "$1"
  rm -rf "$2"
}

# Whether IMAGE is there, built by this recipe.
current() { [ "$(docker image inspect -f '{{index .Config.Labels "raybook.recipe"}}' "$1" 2>/dev/null)" = "$recipe" ]; }

# Imports a cached filesystem tarball as IMAGE with Dockerfile-like CHANGES, unless this recipe's IMAGE is there.
import() {
  local tarball=$1 image=$2 changes=(--change "LABEL raybook.recipe=$recipe")
  shift 2
  for change in "$@"; do changes+=(--change "$change"); done
  current "$image" || docker import "${changes[@]}" "$tarball" "$image" >/dev/null
}

# A single static binary at PATH in an otherwise empty filesystem.
binary_image() {  # binary_image IMAGE BINARY PATH [CHANGES...]
  local image=$1 binary=$2 path=$3 tarball rootfs
  tarball="$store/$(echo "$image" | tr '/:' '__')-$recipe.tar"
  shift 3
  if [ ! -f "$tarball" ]; then
    rootfs=$(mktemp -d "$work/rootfs.XXXXXX")
    install -D -m 0755 "$binaries/$binary" "$rootfs$path"
    mkdir -p "$rootfs/tmp" "$rootfs/etc" && chmod 1777 "$rootfs/tmp"
    echo "nonroot:x:65532:65532::/tmp:/sbin/nologin" >"$rootfs/etc/passwd"
    pack "$tarball" "$rootfs"
  fi
  import "$tarball" "$image" 'ENV PATH=/usr/local/bin:/usr/bin:/bin' "$@"
}

control_plane_images() {
  local command
  for command in kube-apiserver kube-controller-manager kube-scheduler; do
    binary_image "registry.k8s.io/$command:v$kubernetes" "$command" "/usr/local/bin/$command"
  done
  binary_image "registry.k8s.io/etcd:$etcd_tag" etcd /usr/local/bin/etcd
  binary_image "registry.k8s.io/coredns/coredns:$coredns_tag" coredns /coredns 'ENTRYPOINT ["/coredns"]'
  binary_image "registry.k8s.io/pause:$pause_tag" pause /pause 'ENTRYPOINT ["/pause"]'
  # kube-proxy programs the node's iptables: it needs them in its image.
  local tarball="$store/kube-proxy-$recipe.tar" rootfs
  if [ ! -f "$tarball" ]; then
    rootfs=$(debian_rootfs iptables conntrack)
    install -m 0755 "$binaries/kube-proxy" "$rootfs/usr/local/bin/kube-proxy"
    pack "$tarball" "$rootfs"
  fi
  import "$tarball" "registry.k8s.io/kube-proxy:v$kubernetes"
}

node_image() {
  local image="kindest/node:v$kubernetes" tarball="$store/kind-node-$recipe.tar" rootfs saved
  if [ ! -f "$tarball" ]; then
    control_plane_images
    rootfs=$(debian_rootfs systemd systemd-sysv conntrack iptables nftables iproute2 ethtool util-linux mount kmod \
      libseccomp2 pigz bash ca-certificates curl jq procps runc containernetworking-plugins)
    # kind's base image, as its Dockerfile lays it out.
    cp -r "$kind_files/usr/local/bin/." "$rootfs/usr/local/bin/"
    mkdir -p "$rootfs/kind/images" "$rootfs/kind/manifests" "$rootfs/etc/kubernetes/manifests" "$rootfs/opt/cni/bin"
    cp -r "$kind_files/kind/." "$rootfs/kind/"
    cp -r "$kind_files/etc/." "$rootfs/etc/"
    chmod -R a+rX "$rootfs/kind" "$rootfs/etc/systemd/system" && chmod 0755 "$rootfs"/kind/bin/* "$rootfs"/usr/local/bin/*
    # The node lacks CAP_SYS_RESOURCE (this VM's bounding set has none), so pods may not lower their OOM score
    # below containerd's own; kind's entrypoint sets the same for nodes in a user namespace.
    sed -i -e "s|registry.k8s.io/pause:[0-9.]*|registry.k8s.io/pause:$pause_tag|" \
      -e "s|restrict_oom_score_adj = false|restrict_oom_score_adj = true|" "$rootfs/etc/containerd/config.toml"
    find "$rootfs/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
    rm -f "$rootfs"/lib/systemd/system/multi-user.target.wants/* "$rootfs"/etc/systemd/system/*.wants/* \
      "$rootfs"/lib/systemd/system/local-fs.target.wants/* "$rootfs"/lib/systemd/system/sockets.target.wants/*udev* \
      "$rootfs"/lib/systemd/system/sockets.target.wants/*initctl* "$rootfs"/lib/systemd/system/basic.target.wants/*
    echo "ReadKMsg=no" >>"$rootfs/etc/systemd/journald.conf"
    for command in containerd containerd-shim-runc-v2 ctr crictl; do install -m 0755 "$binaries/$command" "$rootfs/usr/local/bin/"; done
    for command in kubeadm kubelet kubectl; do install -m 0755 "$binaries/$command" "$rootfs/usr/bin/"; done
    cp /dev/null "$rootfs/etc/machine-id"
    cp "$rootfs"/usr/lib/cni/* "$rootfs/opt/cni/bin/"
    echo "v$kubernetes" >"$rootfs/kind/version"
    # The bed's own pieces: the CNI (a bridge on the one node; kindnetd is not served by the module proxy), the
    # unit that imports the control plane's images before the kubelet starts, and the OCI spec kind derives.
    install -m 0644 "$here/node/10-raybook-bridge.conflist" "$rootfs/etc/cni/net.d/10-raybook-bridge.conflist" -D
    install -m 0644 "$here/node/default-cni.yaml" "$rootfs/kind/manifests/default-cni.yaml"
    install -m 0644 "$here/node/raybook-import-images.service" "$rootfs/etc/systemd/system/"
    "$binaries/ctr" oci spec | chroot "$rootfs" jq '.hooks.createContainer[.hooks.createContainer | length]
        |= . + {"path": "/kind/bin/mount-product-files.sh"} | del(.process.rlimits)' >"$rootfs/etc/containerd/cri-base.json"
    for unit in kubelet containerd undo-mount-hacks raybook-import-images; do
      chroot "$rootfs" systemctl enable "$unit.service" >/dev/null 2>&1
    done
    chroot "$rootfs" systemctl mask systemd-binfmt.service >/dev/null 2>&1
    ln -sf /usr/lib/systemd/systemd "$rootfs/sbin/init"
    for saved in kube-apiserver:v$kubernetes kube-controller-manager:v$kubernetes kube-scheduler:v$kubernetes \
        kube-proxy:v$kubernetes etcd:$etcd_tag coredns/coredns:$coredns_tag pause:$pause_tag; do
      docker save -o "$rootfs/kind/images/$(echo "$saved" | tr '/:' '__').tar" "registry.k8s.io/$saved"
    done
    pack "$tarball" "$rootfs"
  fi
  import "$tarball" "$image-imported" 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'
  # systemd stops on SIGRTMIN+3; docker import cannot set a stop signal, a build from the imported image can.
  current "$image" \
    || printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\n' "$image-imported" | docker build --quiet --tag "$image" - >/dev/null 2>&1 \
    || { echo "build-images.sh: docker build of $image failed" >&2; exit 1; }
  echo "node_image=$image"
}

operator_image() {
  binary_image "quay.io/kuberay/operator:v$kuberay" kuberay-operator /manager 'USER 65532:65532' \
    'ENTRYPOINT ["/manager"]'
  echo "operator_image=quay.io/kuberay/operator:v$kuberay"
}

# Ray as the fleet's hosts run it: Debian's Python 3.11 and the locked wheelhouse, in a venv first on PATH; bash
# and wget for KubeRay's commands and probes; user ray (1000) as in Ray's own images.
ray_image() {
  local image="rayproject/ray:$ray" tarball="$store/ray-$recipe.tar" rootfs wheelhouse
  if [ ! -f "$tarball" ]; then
    wheelhouse=$("$root/extensions/molecule/tooling/wheelhouse.sh")
    rootfs=$(debian_rootfs python3 python3-venv bash wget procps ca-certificates)
    mkdir -p "$rootfs/wheelhouse" && mount --bind "$wheelhouse" "$rootfs/wheelhouse"
    cp "$root/requirements-node.txt" "$rootfs/tmp/requirements-node.txt"
    chroot "$rootfs" $clean_env /bin/sh -c "python3 -m venv /opt/ray && /opt/ray/bin/pip install --quiet --no-index \
        --find-links /wheelhouse --require-hashes -r /tmp/requirements-node.txt && useradd -m -u 1000 -g users ray" >&2 \
      || { echo "build-images.sh: installing Ray in its image failed" >&2; exit 1; }
    rm "$rootfs/tmp/requirements-node.txt"
    umount "$rootfs/wheelhouse"
    pack "$tarball" "$rootfs"
  fi
  import "$tarball" "$image" 'ENV PATH=/opt/ray/bin:/usr/local/bin:/usr/bin:/bin' 'USER 1000' 'WORKDIR /home/ray'
  echo "ray_image=$image"
}

[ $# -gt 0 ] || set -- node operator ray
for image in "$@"; do
  case $image in
    node | operator | ray) "${image}_image" ;;
    *) echo "build-images.sh: unknown image '$image' (expected node, operator or ray)" >&2; exit 2 ;;
  esac
done
# A tag imported again leaves its old image dangling.
docker image prune --force >/dev/null
echo "kubernetes_version=$kubernetes"
