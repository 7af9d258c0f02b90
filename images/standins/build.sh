#!/usr/bin/env bash
# Builds stand-ins for the third-party images AAMI's compose file runs (redis, prometheus,
# alertmanager) from Debian's packages, FROM the local Debian base image, for machines that cannot
# pull from a registry (the e2e run). Docker's layer cache makes a second run take seconds.
# Prints the `AAMI_*_IMAGE=tag` lines to point docker-compose.yml at them.
#
# Settings (environment):
#   AAMI_BASE_IMAGE     Debian base to build FROM      (default aami/debian-base:bookworm)
#   AAMI_STANDIN_PREFIX tag prefix                     (default aami-standin)
#   AAMI_EXTRA_CA_FILE  PEM file of extra CAs apt must trust inside the build (optional)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${AAMI_BASE_IMAGE:-aami/debian-base:bookworm}
prefix=${AAMI_STANDIN_PREFIX:-aami-standin}
ca_args=()
if [ -n "${AAMI_EXTRA_CA_FILE:-}" ]; then ca_args=(--build-arg "EXTRA_CA_CERTS=$(cat "$AAMI_EXTRA_CA_FILE")"); fi

"$here/../build-base.sh" >&2

declare -A tags=([redis]="$prefix/redis:7" [prometheus]="$prefix/prometheus:debian" [alertmanager]="$prefix/alertmanager:debian")
declare -A envs=([redis]=AAMI_REDIS_IMAGE [prometheus]=AAMI_PROMETHEUS_IMAGE [alertmanager]=AAMI_ALERTMANAGER_IMAGE)
for name in redis prometheus alertmanager; do
  start=$(date +%s)
  docker build -q --build-arg "BASE_IMAGE=$base" "${ca_args[@]}" -t "${tags[$name]}" "$here/$name" >/dev/null 2> >(grep -v -e 'DEPRECATED' -e 'legacy builder' -e 'buildx' -e 'docs.docker.com/go/buildx' -e '^ *$' >&2)
  echo "standins: ${tags[$name]} ready in $(( $(date +%s) - start ))s" >&2
  echo "${envs[$name]}=${tags[$name]}"
done
