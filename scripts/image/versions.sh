# shellcheck shell=bash
# Sourced by the image scripts: the Node the images run (Dockerfiles: node:22-bookworm-slim) and where downloads are
# kept between runs. Pinned so CI's stand-in base image and the Node 22 test run are reproducible; 22.23.5 bundles
# npm 10.9.9 (its CHANGELOG), the pair the official node:22.23.5 image ships. Bump both together.
NODE_VERSION=${NODE_VERSION:-22.23.5}
NPM_VERSION=${NPM_VERSION:-10.9.9}
if [[ $(id -u) == 0 ]]; then
  CACHE=${KOSTAL_IMAGE_CACHE:-/var/cache/kostal2mqtt-image}
else
  CACHE=${KOSTAL_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kostal2mqtt-image}
fi

# npm_pack NAME VERSION: the package's tarball in $CACHE (fetched once; npm checks it against the registry's
# integrity), its path on stdout.
npm_pack() {
  local tarball="$CACHE/$1-$2.tgz" scratch
  if [[ ! -s $tarball ]]; then
    printf 'npm pack %s@%s\n' "$1" "$2" >&2
    mkdir -p "$CACHE"
    scratch=$(mktemp -d "$CACHE/pack.XXXXXX")
    (cd "$scratch" && npm pack --silent "$1@$2" >/dev/null) || {
      rm -rf "$scratch"
      return 1
    }
    mv "$scratch/$1-$2.tgz" "$tarball"
    rm -rf "$scratch"
  fi
  printf '%s\n' "$tarball"
}
