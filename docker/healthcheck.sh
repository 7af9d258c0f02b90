#!/bin/bash
# Container healthcheck of AAMI's images: GET $AAMI_HEALTHCHECK_URL (http://host:port/path) must
# answer 200. Plain bash (/dev/tcp), no process start-up cost, so a short interval stays cheap.
set -u
url=${1:-${AAMI_HEALTHCHECK_URL:-}}
[ -n "$url" ] || { echo "AAMI_HEALTHCHECK_URL is not set" >&2; exit 1; }
rest=${url#http://}
hostport=${rest%%/*}
path=/${rest#*/}
[ "$rest" = "$hostport" ] && path=/
host=${hostport%:*}
port=${hostport##*:}
[ "$host" = "$hostport" ] && port=80
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
IFS= read -r -t 3 status <&3 || exit 1
case $status in
  "HTTP/1."[01]" 200 "*) exit 0 ;;
  *) echo "unhealthy: $status" >&2; exit 1 ;;
esac
