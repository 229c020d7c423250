#!/usr/bin/env bash
# Builds local/debian-systemd:bookworm, a fresh Debian host with systemd as PID 1, with no registry:
# debootstrap a minimal rootfs, add systemd and python3 in a chroot, `docker import` it. The rootfs tarball is
# cached (keyed by this script's content), so later runs only re-import it (seconds).
set -euo pipefail
image=local/debian-systemd:bookworm
cache=${RAYBOOK_TEST_CACHE:-/var/cache/raybook-test}
recipe=$(sha256sum "$0" | cut -c1-12)
tarball="$cache/debian-systemd-bookworm-$recipe.tar"

if docker image inspect "$image" >/dev/null 2>&1 && [ -f "$tarball" ]; then
  exit 0
fi
if [ ! -f "$tarball" ]; then
  command -v debootstrap >/dev/null || { echo "build-image.sh: debootstrap not installed" >&2; exit 1; }
  mkdir -p "$cache"
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  cleanup() {
    for mount in dev/pts dev proc sys; do umount -l "$rootfs/$mount" 2>/dev/null || true; done
    rm -rf "$rootfs"
  }
  trap cleanup EXIT
  debootstrap --variant=minbase bookworm "$rootfs" >"$cache/debootstrap.log" 2>&1 \
    || { echo "build-image.sh: debootstrap failed; see $cache/debootstrap.log" >&2; exit 1; }
  mount -t proc proc "$rootfs/proc"
  mount -t sysfs sys "$rootfs/sys"
  mount --rbind /dev "$rootfs/dev"
  chroot "$rootfs" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends systemd systemd-sysv dbus python3 sudo ca-certificates iproute2 >/dev/null \
      && apt-get clean && rm -rf /var/lib/apt/lists/*'
  for mount in dev/pts dev proc sys; do umount -l "$rootfs/$mount" 2>/dev/null || true; done
  : >"$rootfs/etc/machine-id"
  tar -C "$rootfs" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
fi
docker import --change 'CMD ["/sbin/init"]' "$tarball" "$image" >/dev/null
