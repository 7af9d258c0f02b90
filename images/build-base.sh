#!/usr/bin/env bash
# Builds a plain Debian base image from scratch with debootstrap + `docker import`, because no
# container registry can be reached here. Idempotent: an image already present is reused unless
# --force is given. General on purpose: any AAMI image (test nodes, compose services) starts FROM it.
#
# Settings (environment):
#   AAMI_BASE_IMAGE      image tag to build          (default aami/debian-base:bookworm)
#   AAMI_BASE_SUITE      Debian suite                (default bookworm)
#   AAMI_BASE_INCLUDE    extra packages, comma list  (default ca-certificates)
#   AAMI_DEBIAN_MIRROR   mirror URL                  (default: the one apt uses on this machine)
#   AAMI_DEBOOTSTRAP_CACHE  where downloaded .debs are kept between builds
#                        (default /var/cache/aami-debootstrap/<suite>)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
image=${AAMI_BASE_IMAGE:-aami/debian-base:bookworm}
suite=${AAMI_BASE_SUITE:-bookworm}
include=${AAMI_BASE_INCLUDE:-ca-certificates}
force=0
[ "${1:-}" = "--force" ] && force=1

"$here/ensure-docker.sh"

if [ "$force" -eq 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "build-base: $image already present (use --force to rebuild)"
  exit 0
fi

# The mirror apt already uses here (deb822 .sources or one-line .list files), first Debian one.
detect_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    uri=$(grep -hoE '(URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)https?://[^[:space:]]+/debian/?([[:space:]]|$)' "$f" 2>/dev/null \
      | grep -v -- '-security' | head -n1 | grep -oE 'https?://[^[:space:]]+' || true)
    if [ -n "$uri" ]; then echo "${uri%/}"; return 0; fi
  done
  echo "http://deb.debian.org/debian"
}
mirror=${AAMI_DEBIAN_MIRROR:-$(detect_mirror)}

command -v debootstrap >/dev/null || { echo "build-base: debootstrap is not installed (Debian package debootstrap)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "build-base: debootstrap needs root" >&2; exit 1; }

# HTTPS mirrors: make debootstrap's wget trust the machine's CA bundle.
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  wgetrc=$(mktemp)
  printf 'ca_certificate = /etc/ssl/certs/ca-certificates.crt\n' >"$wgetrc"
  export WGETRC="$wgetrc"
  export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
fi

cache=${AAMI_DEBOOTSTRAP_CACHE:-/var/cache/aami-debootstrap/$suite}
mkdir -p "$cache"
work=$(mktemp -d /var/tmp/aami-base.XXXXXX)
cleanup() { rm -rf "$work" "${wgetrc:-}"; }
trap cleanup EXIT

echo "build-base: debootstrap $suite from $mirror (include: $include) ..."
debootstrap --variant=minbase --include="$include" --cache-dir="$cache" "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  echo "build-base: debootstrap failed; last lines:" >&2; tail -n 30 "$work/debootstrap.log" >&2
  [ -f "$work/rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$work/rootfs/debootstrap/debootstrap.log" >&2
  exit 1
}

root=$work/rootfs
# Same mirror inside, so `apt-get install` in images built FROM this one works where this did.
scheme_host_suite_line="deb $mirror $suite main"
{
  echo "$scheme_host_suite_line"
  echo "deb $mirror $suite-updates main"
} >"$root/etc/apt/sources.list"
# Small, container-friendly apt: no recommends, no docs, no cache left in layers.
cat >"$root/etc/apt/apt.conf.d/90aami-container" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
APT
cat >"$root/etc/dpkg/dpkg.cfg.d/90aami-nodoc" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
DPKG
# Services must not start while an image is being built.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log "$root/debootstrap"
: >"$root/etc/machine-id"
rm -f "$root/etc/hostname"

echo "build-base: importing as $image ..."
tar --numeric-owner --xattrs -C "$root" -c . | docker import \
  --change 'CMD ["/bin/bash"]' \
  --change 'ENV LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive' \
  --message "debootstrap $suite ($mirror), built by images/build-base.sh" \
  - "$image" >/dev/null
echo "build-base: built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
