#!/usr/bin/env bash
# `make dev`: AAMI as local processes, no Docker. Starts redis-server, the rule compiler (which
# writes Prometheus' and Alertmanager's configs), Prometheus, Alertmanager and every AAMI service
# on 127.0.0.1, logs under .run/, and stops them all on Ctrl-C.
#   AAMI_DATA_DIR   data folder (config.yaml, tokens, generated files)     default ./data
#   AAMI_DEV_SIM=N  also run the GPU simulator with N nodes on ports 9400+ (control API :9500)
set -euo pipefail
# Logs and data hold secrets (tokens, passwords in config.yaml): everything made here is owner-only.
umask 077
cd "$(dirname "$0")/.."
root=$PWD
export AAMI_DATA_DIR=${AAMI_DATA_DIR:-$root/data}
run=$root/.run
mkdir -p "$AAMI_DATA_DIR" "$run"
# The umask only covers new files: close the folders too, for logs and data left by older runs.
chmod 700 "$AAMI_DATA_DIR" "$run"
export AAMI_BIND=127.0.0.1
export AAMI_REDIS_URL=${AAMI_REDIS_URL:-redis://127.0.0.1:6379}
export AAMI_PROMETHEUS_URL=http://127.0.0.1:9090 AAMI_ALERTMANAGER_URL=http://127.0.0.1:9093
export AAMI_RELAY_URL=http://127.0.0.1:8081 AAMI_ANALYZER_URL=http://127.0.0.1:8082
export AAMI_RULE_COMPILER_URL=http://127.0.0.1:8083 AAMI_INSTALL_WORKER_URL=http://127.0.0.1:8084
# The credentials the parts present to each other (service token, Redis, Prometheus,
# Alertmanager), made once in data/secrets/ by the same program as compose's aami-init. Its stdout
# only ever shows a new Grafana admin password, and make dev runs no Grafana.
node services/api-gateway/src/bootstrap/main.ts --single-user >/dev/null
secrets=$AAMI_DATA_DIR/secrets
export AAMI_PROMETHEUS_PASSWORD_FILE=$secrets/prometheus-password AAMI_ALERTMANAGER_PASSWORD_FILE=$secrets/alertmanager-password
# The secret Alertmanager presents to the relay (made by the same program, above).
export AAMI_RELAY_TOKEN_FILE=$secrets/relay-token
# The first admin API token, made here once (aami_ + 32 random bytes, URL-safe base64, as the
# gateway makes them) and handed to the gateway by path, so it never goes through a log.
# An AAMI_ADMIN_TOKEN set by the caller wins in the gateway, so then there is nothing to make.
if [ -n "${AAMI_ADMIN_TOKEN:-}" ]; then
  admin_token_msg="Admin token: the one in AAMI_ADMIN_TOKEN"
else
  export AAMI_ADMIN_TOKEN_FILE=$AAMI_DATA_DIR/admin-token
  shown=${AAMI_ADMIN_TOKEN_FILE#"$root"/}
  if [ -s "$AAMI_ADMIN_TOKEN_FILE" ]; then
    admin_token_msg="Admin token: in $shown (readable by you only)"
  else
    admin_token=aami_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    rm -f "$AAMI_ADMIN_TOKEN_FILE" # an empty leftover may have a wider mode; a new file gets the umask's
    printf '%s\n' "$admin_token" >"$AAMI_ADMIN_TOKEN_FILE"
    admin_token_msg="Admin token (new, shown this once; also in $shown, readable by you only):  $admin_token"
  fi
fi

pids=()
stop() {
  echo; echo "stopping..."
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

port_busy() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
wait_http() { for _ in $(seq 1 150); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done; echo "timed out waiting for $1 (see $run/*.log)"; return 1; }
start() { # name, log, command...
  local name=$1; shift
  "$@" >"$run/$name.log" 2>&1 &
  pids+=($!)
  echo "  $name (pid $!, log .run/$name.log)"
}

echo "AAMI dev stack, data in $AAMI_DATA_DIR"
if port_busy 6379; then
  # Someone else's Redis does not know AAMI's ACL user: use it as it is (say so).
  echo "  redis: using the one already on 127.0.0.1:6379, with the credentials in AAMI_REDIS_URL (if any)"
else
  mkdir -p "$AAMI_DATA_DIR/redis"
  start redis redis-server --port 6379 --bind 127.0.0.1 --dir "$AAMI_DATA_DIR/redis" --appendonly yes --save '' --aclfile "$secrets/redis.acl"
  export AAMI_REDIS_USERNAME=aami AAMI_REDIS_PASSWORD_FILE=$secrets/redis-password
fi
[ -f "$AAMI_DATA_DIR/config.yaml" ] || node cli/src/main.ts init --dir "$AAMI_DATA_DIR" >/dev/null
for p in 8080 8081 8082 8083 8084 9090 9093; do port_busy $p && { echo "port $p is in use: stop what runs there first"; exit 1; }; done

start rule-compiler node services/rule-compiler/src/main.ts
for _ in $(seq 1 150); do [ -f "$AAMI_DATA_DIR/generated/prometheus/prometheus.yml" ] && break; sleep 0.2; done
# config.yaml's prometheus.retention, as the rule compiler wrote it into prometheus.yml (compose does the same).
retention=$(sed -n 's/^# aami-retention: \([0-9a-z]*\)$/\1/p' "$AAMI_DATA_DIR/generated/prometheus/prometheus.yml" 2>/dev/null)
start prometheus prometheus --config.file="$AAMI_DATA_DIR/generated/prometheus/prometheus.yml" \
  --storage.tsdb.path="$AAMI_DATA_DIR/prometheus" --storage.tsdb.retention.time="${retention:-15d}" \
  --web.listen-address=127.0.0.1:9090 --web.enable-lifecycle \
  --web.config.file="$secrets/prometheus-web.yml"
start alertmanager prometheus-alertmanager --config.file="$AAMI_DATA_DIR/generated/alertmanager/alertmanager.yml" \
  --storage.path="$AAMI_DATA_DIR/alertmanager" --web.listen-address=127.0.0.1:9093 --cluster.listen-address= \
  --web.config.file="$secrets/alertmanager-web.yml"
start api-gateway node services/api-gateway/src/main.ts
start notification-relay node services/notification-relay/src/main.ts
start analyzer node services/analyzer/src/main.ts
start install-worker node services/install-worker/src/main.ts
if [ -n "${AAMI_DEV_SIM:-}" ]; then
  start gpu-simulator node services/gpu-simulator/src/cli.ts start --nodes "$AAMI_DEV_SIM" --base-port 9400 --log-dir "$run/sim-logs" --control-port 9500
fi
wait_http http://127.0.0.1:8080/healthz
cat <<MSG

AAMI is up:  API + Web UI  http://127.0.0.1:8080    Prometheus http://127.0.0.1:9090    Alertmanager http://127.0.0.1:9093
$admin_token_msg
Prometheus and Alertmanager ask for user aami with the password in data/secrets/prometheus-password
and data/secrets/alertmanager-password; Redis for user aami with data/secrets/redis-password.
Use the CLI:  export AAMI_URL=http://127.0.0.1:8080 AAMI_TOKEN=<admin token>;  npx aami status
Ctrl-C stops everything.
MSG
wait -n "${pids[@]}" || true
echo "a process exited; see .run/*.log"
