#!/usr/bin/env bash
# Builds a module's real amd64 Dockerfile with podman, without any container registry and without network in the
# build: the FROM image comes from base-image.sh, and the Dockerfile's unchanged `RUN npm ci` reads the packages
# from an npm cache filled on the host beforehand (offline=true in a mounted ~/.npmrc). On the CI machines npm in a
# container cannot use the registry (SELF_SIGNED_CERT_IN_CHAIN: the host trusts an extra CA that containers do not
# have, with or without --network host), and a build that needs no network is the more reproducible one anyway.
#
# Usage: scripts/image/build.sh [kostal2mqtt|piko-simulator] [TAG]
# (default: kostal2mqtt, tagged localhost/<module>:ci-amd64). Only amd64: there is no emulation for arm here.
set -euo pipefail

module=${1:-kostal2mqtt}
tag=${2:-localhost/$module:ci-amd64}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# CACHE
# shellcheck source=versions.sh
source "$here/versions.sh"
dockerfile="$repo/modules/$module/Dockerfile.amd64"
log() { printf 'build-image: %s\n' "$*" >&2; }

[[ -f $dockerfile ]] || {
  log "no $dockerfile"
  exit 2
}

"$here/base-image.sh"

# The cache holds what package-lock.json names, dev dependencies included (the build stage compiles); it is
# refilled only when the lock file changes.
npm_cache="$CACHE/npm"
want=$(sha256sum "$repo/package-lock.json" | cut -d' ' -f1)
if [[ $(cat "$npm_cache/.package-lock.sha256" 2>/dev/null) != "$want" ]]; then
  log "filling the npm cache $npm_cache from package-lock.json"
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  cp "$repo/package.json" "$repo/package-lock.json" "$scratch/"
  (cd "$scratch" && npm ci --ignore-scripts --no-audit --no-fund --prefer-offline --cache "$npm_cache" --loglevel=error)
  printf '%s\n' "$want" >"$npm_cache/.package-lock.sha256"
fi
printf 'offline=true\nupdate-notifier=false\n' >"$CACHE/npmrc"

log "podman build -f modules/$module/Dockerfile.amd64 -t $tag"
"$here/podman" build \
  --pull=never --format docker --network none \
  --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
  --volume "$npm_cache:/root/.npm" --volume "$CACHE/npmrc:/root/.npmrc:ro" \
  --file "$dockerfile" --tag "$tag" "$repo"
