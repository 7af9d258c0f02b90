#!/usr/bin/env bash
# Builds aami/test-node:bookworm (systemd + sshd + sudo) FROM the debootstrap base, for the
# install-worker's container tests and `make e2e-install`. Idempotent: reuses an image whose
# baked-in test key matches the key given; --force rebuilds.
#
#   images/build-node.sh PUBKEY_FILE [--force]
# PUBKEY_FILE: the public key allowed to log in as "aami" (sudo) and "nosudo" (no sudo).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
image=${AAMI_NODE_IMAGE:-aami/test-node:bookworm}
pubkey_file=${1:?usage: build-node.sh PUBKEY_FILE [--force]}
force=0
[ "${2:-}" = "--force" ] && force=1
pubkey=$(head -n1 "$pubkey_file")
key_label=$(printf '%s' "$pubkey" | sha256sum | cut -c1-16)

"$here/build-base.sh"

if [ "$force" -eq 0 ] && [ "$(docker image inspect -f '{{index .Config.Labels "aami.test-key"}}' "$image" 2>/dev/null || true)" = "$key_label" ]; then
  echo "build-node: $image already present for this key (use --force to rebuild)"
  exit 0
fi
echo "build-node: building $image ..."
docker build -q --build-arg "AUTHORIZED_KEY=$pubkey" --label "aami.test-key=$key_label" -t "$image" "$here/node" >/dev/null
echo "build-node: built $image"
