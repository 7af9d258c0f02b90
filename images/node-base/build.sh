#!/usr/bin/env bash
# Builds the local Node.js base image (a stand-in for node:24-bookworm-slim) from this machine's
# Node.js 24 and npm, on top of the Debian base image from images/build-base.sh. Reused when an
# image with the same Node.js version is already there, unless --force.
#
# Settings (environment):
#   AAMI_NODE_BASE_IMAGE  tag to build                  (default aami/node-base:24-bookworm)
#   AAMI_BASE_IMAGE       Debian base to build FROM     (default aami/debian-base:bookworm)
#   AAMI_NODE_BIN         node binary to copy           (default: the repo's .tools/node, else `node` on PATH)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
image=${AAMI_NODE_BASE_IMAGE:-aami/node-base:24-bookworm}
base=${AAMI_BASE_IMAGE:-aami/debian-base:bookworm}
force=0
[ "${1:-}" = "--force" ] && force=1

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node_bin=${AAMI_NODE_BIN:-}
if [ -z "$node_bin" ]; then
  for cand in "$repo/.tools/node/bin/node" "$(command -v node || true)"; do
    if [ -n "$cand" ] && [ -x "$cand" ] && [ "$(major "$cand")" -ge 24 ]; then node_bin=$cand; break; fi
  done
fi
[ -n "$node_bin" ] || { echo "node-base: no Node.js >= 24 found (run make setup, or set AAMI_NODE_BIN)" >&2; exit 1; }
node_bin=$(readlink -f "$node_bin")
version=$("$node_bin" --version)

# npm: the one next to that node, else the one on PATH (pure JavaScript, runs on any recent node).
npm_dir=""
for cand in "$(dirname "$node_bin")/../lib/node_modules/npm" "$(dirname "$(readlink -f "$(command -v npm || echo /nonexistent)")")/.."; do
  if [ -f "$cand/bin/npm-cli.js" ]; then npm_dir=$(cd "$cand" && pwd); break; fi
done
[ -n "$npm_dir" ] || { echo "node-base: npm not found" >&2; exit 1; }

"$here/../ensure-docker.sh"
"$here/../build-base.sh"

if [ "$force" -eq 0 ] && [ "$(docker image inspect -f '{{.Config.Env}}' "$image" 2>/dev/null | grep -o "NODE_VERSION=$version" || true)" = "NODE_VERSION=$version" ]; then
  echo "node-base: $image ($version) already present (use --force to rebuild)"
  exit 0
fi

ctx=$(mktemp -d /var/tmp/aami-node-base.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp "$here/Dockerfile" "$ctx/"
cp "$node_bin" "$ctx/node"
cp -a "$npm_dir" "$ctx/npm"
echo "node-base: building $image from $node_bin ($version) and npm $(node -p "require('$npm_dir/package.json').version" 2>/dev/null || echo '?')"
docker build -q --build-arg "BASE_IMAGE=$base" --build-arg "NODE_VERSION=$version" -t "$image" "$ctx" >/dev/null \
  2> >(grep -v -e 'DEPRECATED' -e 'legacy builder' -e 'buildx' -e 'docs.docker.com/go/buildx' -e '^ *$' >&2)
echo "node-base: built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
