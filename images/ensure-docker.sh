#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine: when `docker info` fails and dockerd is
# installed, starts dockerd in the background (log: ${AAMI_DOCKERD_LOG:-/tmp/dockerd.log}) and
# waits up to 60 s for it. Exit 0 when the engine answers, 1 when it cannot be had.
set -euo pipefail

if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: no Docker engine answers and dockerd is not installed (Debian package docker.io)" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-docker: no Docker engine answers; start it (sudo dockerd &) or run as root" >&2
  exit 1
fi
log=${AAMI_DOCKERD_LOG:-/tmp/dockerd.log}
# Another caller may be starting it right now: one starter at a time.
exec 9>/tmp/aami-ensure-docker.lock
flock 9
if ! docker info >/dev/null 2>&1; then
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    echo "ensure-docker: starting dockerd (log: $log)" >&2
    nohup dockerd >"$log" 2>&1 </dev/null &
  fi
  for _ in $(seq 1 120); do
    if docker info >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
fi
if ! docker info >/dev/null 2>&1; then
  echo "ensure-docker: dockerd did not come up; last lines of $log:" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
fi
