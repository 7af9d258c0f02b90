#!/usr/bin/env bash
# `make e2e-install`: the install-worker on 20 real node containers (systemd + sshd, unprivileged),
# driven by the real CLI, scraped by a real Prometheus. Checks what issue #7 asks:
#   1. `aami nodes install --all` installs node_exporter + the Xid timer on all 20; Prometheus up==1 for each
#   2. a second run reports "unchanged" for all 20, in a fraction of the first run's time
#   3. a worker killed mid-run: the run completes after a restart
#   4. a node with a changed host key is refused (not trusted silently) until `aami nodes trust`
# Needs: docker.io, debootstrap (first image build), redis-server, prometheus, prometheus-node-exporter.
# Env: E2E_NODES (default 20), E2E_KEEP=1 keeps containers and the work dir for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node/bin:$PWD/node_modules/.bin:$PATH"
N=${E2E_NODES:-20}
work=$(mktemp -d /tmp/aami-e2e-install.XXXXXX)
key_dir=${AAMI_TEST_NODE_KEY_DIR:-/var/tmp/aami-test-node}
key=$key_dir/id_ed25519
image=aami/test-node:bookworm
pids=()
containers=()

log() { printf '\n== %s\n' "$*"; }
fail() { printf '\nE2E FAILED: %s\n' "$*" >&2; exit 1; }
cleanup() {
  [ "${E2E_KEEP:-0}" = 1 ] && { echo "kept: $work, containers ${containers[*]}"; return; }
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ ${#containers[@]} -gt 0 ] && docker rm -f "${containers[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
aami() { node integration-tests/src/install-worker-cli.ts --url "$worker_url" "$@"; }
now_ms() { date +%s%3N; }

log "images"
images/ensure-docker.sh
mkdir -p "$key_dir" && chmod 700 "$key_dir"
[ -f "$key" ] || ssh-keygen -q -t ed25519 -N '' -C aami-test-node -f "$key"
images/build-node.sh "$key.pub"

log "$N node containers"
for i in $(seq 1 "$N"); do
  name=$(printf 'gpu%02d' "$i"); addr="127.0.1.$i"
  c=$(docker run -d --name "aami-e2e-$name-$$" --hostname "$name" --label aami.test=e2e-install \
      --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
      -p "$addr::22" -p "$addr::9100" "$image")
  containers+=("$c")
done
nodes_yaml=''
targets=''
for i in $(seq 1 "$N"); do
  c=${containers[$((i - 1))]}; name=$(printf 'gpu%02d' "$i"); addr="127.0.1.$i"
  sp=$(docker port "$c" 22/tcp | head -n1 | awk -F: '{print $NF}')
  mp=$(docker port "$c" 9100/tcp | head -n1 | awk -F: '{print $NF}')
  # docker-proxy accepts TCP before sshd runs inside: wait for the SSH banner itself.
  for _ in $(seq 1 120); do
    timeout 2 bash -c "exec 3<>/dev/tcp/$addr/$sp && head -c 7 <&3" 2>/dev/null | grep -q 'SSH-2.0' && break
    sleep 0.5
  done
  nodes_yaml+="  - { name: $name, ip: $addr, ssh_port: $sp }"$'\n'
  targets+="\"$addr:$mp\","
done

log "redis, prometheus, install-worker"
rport=$(free_port); pport=$(free_port); wport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 & pids+=($!)
cat >"$work/prometheus.yml" <<YAML
global: { scrape_interval: 2s }
scrape_configs:
  - job_name: node
    static_configs: [{ targets: [${targets%,}] }]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" --web.listen-address="127.0.0.1:$pport" --log.level=warn >"$work/prometheus.log" 2>&1 & pids+=($!)
cat >"$work/config.yaml" <<YAML
revision: 1
ssh: { user: aami, key: $key, port: 22, concurrency: 100, connect_timeout_s: 10, command_timeout_s: 300 }
nodes:
$nodes_yaml
YAML
start_worker() {
  AAMI_DATA_DIR=$work AAMI_CONFIG=$work/config.yaml AAMI_REDIS_URL=redis://127.0.0.1:$rport AAMI_INSTALL_WORKER_PORT=$wport \
  AAMI_ARTIFACTS_SEED_SYSTEM=1 AAMI_INSTALL_LOCK_MS=5000 AAMI_INSTALL_STALLED_MS=3000 AAMI_LOG_LEVEL=warn \
    node services/install-worker/src/main.ts >>"$work/worker.log" 2>&1 &
  worker_pid=$!; pids+=("$worker_pid")
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$wport/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done
  fail "install-worker did not start: $(tail -5 "$work/worker.log")"
}
worker_url=http://127.0.0.1:$wport
start_worker
prom_q() { curl -fsG "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).data.result.length))'; }

log "1. aami nodes install --all"
t0=$(now_ms); aami nodes install --all | tee "$work/run1.txt"; t1=$(now_ms)
first=$((t1 - t0))
grep -c '│ ✔ installed ' "$work/run1.txt" | grep -qx "$N" || fail "not all $N installed"
for _ in $(seq 1 60); do [ "$(prom_q 'up{job="node"} == 1')" = "$N" ] && break; sleep 1; done
[ "$(prom_q 'up{job="node"} == 1')" = "$N" ] || fail "Prometheus up==1 for $(prom_q 'up{job="node"} == 1') of $N"
for _ in $(seq 1 30); do [ "$(prom_q 'aami_xid_counter_last_run_timestamp_seconds')" = "$N" ] && break; sleep 1; done
echo "Prometheus: up==1 for $N/$N; Xid counter series on $(prom_q 'aami_xid_counter_last_run_timestamp_seconds')/$N"
for c in "${containers[@]}"; do docker exec "$c" systemctl is-active --quiet aami-xid-counter.timer || fail "Xid timer not active in $c"; done

log "2. second run"
t0=$(now_ms); aami nodes install --all | tee "$work/run2.txt"; t1=$(now_ms)
second=$((t1 - t0))
grep -c '│ ✔ unchanged ' "$work/run2.txt" | grep -qx "$N" || fail "not all $N unchanged"
echo "first run ${first} ms, second run ${second} ms ($(( second * 100 / first ))% of the first)"

log "3. worker killed mid-run"
aami nodes uninstall --all >/dev/null
run_id=$(aami nodes install --all --concurrency 4 --no-wait -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).runId))')
for _ in $(seq 1 100); do
  done_n=$(curl -fs "$worker_url/api/v1/install/runs/$run_id" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).counts.done))')
  [ "$done_n" -ge 2 ] && break; sleep 0.2
done
kill -9 "$worker_pid"; echo "killed the worker with $done_n of $N done"
start_worker
aami nodes install --attach "$run_id" | tee "$work/run3.txt"
grep -c '│ ✔ installed ' "$work/run3.txt" | grep -qx "$N" || fail "the run did not complete on all $N after the restart"

log "4. changed host key"
docker exec "${containers[0]}" bash -c 'rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && systemctl restart ssh'
if aami nodes install gpu01 | tee "$work/run4.txt"; then fail "a changed host key was accepted"; fi
grep -q 'host-key-changed' "$work/run4.txt" || fail "no host-key-changed reason"
aami nodes trust gpu01 --yes
aami nodes install gpu01 | grep -q '✔ unchanged' || fail "install after trust"

log "E2E PASSED: $N nodes; first install ${first} ms, second (unchanged) ${second} ms"
