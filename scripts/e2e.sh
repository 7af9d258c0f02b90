#!/usr/bin/env bash
# `make e2e`: the compose stack end to end, in images built here. No registry can be reached, so
# everything an image needs is made locally, and reused when it is already there:
#   1. a Docker engine (images/ensure-docker.sh starts dockerd when none answers)
#   2. the Debian base image (images/build-base.sh: debootstrap + docker import)
#   3. stand-ins for redis:7, prom/prometheus and prom/alertmanager from Debian's packages
#      (images/standins/build.sh), which the compose file's AAMI_*_IMAGE variables point at
#   4. a Node.js 24 base image from this machine's Node.js (images/node-base/build.sh), passed to
#      AAMI's Dockerfile as NODE_IMAGE
#   5. AAMI's images, one `docker build --target <service>` each (npm ci --omit=dev inside; the
#      local CAs of this machine are passed as EXTRA_CA_CERTS for a TLS-intercepting proxy)
#   6. the scenario, integration-tests/e2e/compose.e2e.ts (phases and timings: see that file)
# Prints how long each step took.
#
# Settings (environment): AAMI_E2E_PROJECT (compose project, default aami-compose-e2e), AAMI_E2E_KEEP=1
# (leave the stack running), AAMI_EXTRA_CA_FILE (PEM of extra CAs for the builds; default: every
# /usr/local/share/ca-certificates/*.crt), AAMI_COMPOSE (compose command), AAMI_E2E_SKIP_BUILD=1
# (use the images already tagged).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH="$repo/.tools/node/bin:$repo/node_modules/.bin:$PATH"

declare -a steps=()
step_start=0
begin() { step_start=$(date +%s); echo; echo "=== e2e: $1"; }
end() { local s=$(( $(date +%s) - step_start )); steps+=("$(printf '%-26s %5ss' "$1" "$s")"); echo "=== e2e: $1 done in ${s}s"; }
summary() { echo; echo "=== e2e build steps"; for s in "${steps[@]}"; do echo "    $s"; done; }
trap summary EXIT

# The legacy builder's deprecation notice says nothing about this build; keep the rest of stderr.
quiet_build() { "$@" 2> >(grep -v -e 'DEPRECATED' -e 'legacy builder' -e 'buildx' -e 'docs.docker.com/go/buildx' -e '^ *$' >&2); }

begin "docker engine"
# What the run needs from Debian: the engine, compose v1 (unless a compose is there already) and
# debootstrap for the base image. Installed here when missing, as the Makefile's apt target does.
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then missing+=(docker-compose); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e: installing ${missing[*]}"
  sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
images/ensure-docker.sh
docker version --format 'engine {{.Server.Version}}'
end "docker engine"

export AAMI_VERSION=${AAMI_VERSION:-e2e}
export AAMI_IMAGE_REPO=${AAMI_IMAGE_REPO:-aami}
extra_ca_file=${AAMI_EXTRA_CA_FILE:-}
if [ -z "$extra_ca_file" ] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  extra_ca_file=$(mktemp)
  cat /usr/local/share/ca-certificates/*.crt >"$extra_ca_file"
fi
export AAMI_EXTRA_CA_FILE=$extra_ca_file

if [ "${AAMI_E2E_SKIP_BUILD:-0}" != 1 ]; then
  begin "debian base image"
  images/build-base.sh
  end "debian base image"

  begin "third-party stand-ins"
  standins=$(images/standins/build.sh)
  end "third-party stand-ins"
  # shellcheck disable=SC2046 # one NAME=value per line
  export $(echo "$standins" | xargs)

  begin "node base image"
  images/node-base/build.sh
  end "node base image"

  node_image=${AAMI_NODE_BASE_IMAGE:-aami/node-base:24-bookworm}
  ca_args=()
  if [ -n "$extra_ca_file" ]; then ca_args=(--build-arg "EXTRA_CA_CERTS=$(cat "$extra_ca_file")"); fi
  for target in api-gateway rule-compiler notification-relay analyzer install-worker gpu-simulator slack-sink; do
    begin "image $target"
    quiet_build docker build -q --target "$target" \
      --build-arg "NODE_IMAGE=$node_image" \
      --build-arg "PROMETHEUS_IMAGE=$AAMI_PROMETHEUS_IMAGE" \
      --build-arg "ALERTMANAGER_IMAGE=$AAMI_ALERTMANAGER_IMAGE" \
      "${ca_args[@]}" \
      -t "$AAMI_IMAGE_REPO/$target:$AAMI_VERSION" . >/dev/null
    end "image $target"
  done
  docker image ls --format '    {{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^    ($AAMI_IMAGE_REPO/|aami-standin/|aami/node-base|aami/debian-base)" || true
else
  export AAMI_REDIS_IMAGE=${AAMI_REDIS_IMAGE:-aami-standin/redis:7}
  export AAMI_PROMETHEUS_IMAGE=${AAMI_PROMETHEUS_IMAGE:-aami-standin/prometheus:debian}
  export AAMI_ALERTMANAGER_IMAGE=${AAMI_ALERTMANAGER_IMAGE:-aami-standin/alertmanager:debian}
fi

begin "scenario"
node integration-tests/e2e/compose.e2e.ts
end "scenario"
