// The install-worker end to end on real nodes: systemd + sshd containers (unprivileged), the real
// worker process on a real Redis, the real CLI, real node_exporter installed as a systemd unit and
// scraped by a real Prometheus. Covers a GPU node (fake nvidia-smi + a dcgm-exporter stand-in), the
// second run being "unchanged", no sudo, a full disk, a wrong key, a changed host key and `trust`,
// a node going down mid-run, a worker killed mid-run, and uninstall.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigStore } from '@aami/shared';
import { makeTempDir, serviceAuth, startAamiService, startPrometheus, startRedis, waitFor, type AamiService, type PrometheusServer, type RedisServer } from './harness/index.ts';
import { aami, buildDcgmStandIn, dockerUnavailable, NODE_KEY, prepareNodeImage, startNode, type TestNode } from './install-worker-nodes.ts';
import { ArtifactStore } from '../../services/install-worker/src/artifacts/store.ts';
import { binaryVersion } from '../../services/install-worker/src/artifacts/upstream.ts';

// No Docker engine is a failure, not a skip: `make setup` installs docker.io and the harness starts
// dockerd, so a missing engine means the machine is not set up and these checks did not run.
const skip = await dockerUnavailable();
const opts = { timeout: 10 * 60_000 } as const;

interface RunView {
  id: string;
  status: string;
  counts: Record<string, number>;
  durationMs?: number;
  states: Array<{ node: string; state: string; step?: string; result?: string; kind?: string; reason?: string; attempts: number; durationMs?: number; notes?: string[]; versions?: Record<string, string> }>;
}

let dir: string;
let redis: RedisServer;
let prom: PrometheusServer;
let worker: AamiService;
let store: ConfigStore;
let workerEnv: NodeJS.ProcessEnv;
const nodes: Record<string, TestNode> = {};
const timings: Record<string, number> = {};

const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${worker.url}${path}`, { method, headers: { 'content-type': 'application/json', ...serviceAuth }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const startRun = (action: string, names: string[], concurrency?: number) => api<{ runId: string }>('POST', '/api/v1/install/runs', { action, nodes: names, ...(concurrency ? { concurrency } : {}) }).then((r) => r.runId);
async function finished(runId: string, timeoutMs = 180_000): Promise<RunView> {
  let view: RunView | undefined;
  await waitFor(async () => {
    view = await api<RunView>('GET', `/api/v1/install/runs/${runId}`);
    return view.status === 'done';
  }, timeoutMs, `run ${runId}`);
  return view as RunView;
}
const stateOf = (run: RunView, node: string) => run.states.find((s) => s.node === node);
/** Lets the worker's config cache (2 s) see a config change. */
const configSettles = () => new Promise((r) => setTimeout(r, 2200));

async function setNodes(list: Array<{ node: TestNode; user?: string; key?: string }>) {
  await store.update((c) => {
    c.nodes = list.map(({ node, user, key }) => ({ name: node.name, ip: node.address, ssh_port: node.sshPort, labels: {}, ...(user ? { ssh_user: user } : {}), ...(key ? { ssh_key: key } : {}) }));
  });
  await configSettles();
}

before(async () => {
  if (skip) throw new Error(`Docker is not available, so the install-worker cannot be tested on real nodes: ${skip}`);
  await prepareNodeImage();
  dir = await makeTempDir('install-docker');
  // GPU nodes get dcgm-exporter from the store: here a static stand-in with dcgm-exporter's flags.
  const artifacts = new ArtifactStore(join(dir, 'artifacts'));
  await artifacts.importFile('/usr/bin/prometheus-node-exporter', { name: 'node_exporter', version: await binaryVersion('/usr/bin/prometheus-node-exporter'), arch: 'amd64' });
  await artifacts.importFile(buildDcgmStandIn(dir), { name: 'dcgm-exporter', version: '0.0.0-aami-standin', arch: 'amd64' });
  const started = await Promise.all([
    startNode('n1', '127.0.0.11'),
    startNode('n2', '127.0.0.12'),
    startNode('n3', '127.0.0.13', { gpu: true }),
    startNode('n4', '127.0.0.14'),
    startNode('full', '127.0.0.15', { tmpfs: { '/usr/local': 'rw,size=2m' } }),
    startRedis(),
  ]);
  for (const n of started.slice(0, 5) as TestNode[]) nodes[n.name] = n;
  redis = started[5] as RedisServer;
  store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create({ ssh: { user: 'aami', key: NODE_KEY, port: 22, concurrency: 100, connect_timeout_s: 5, command_timeout_s: 120 }, nodes: [] });
  await setNodes([{ node: nodes.n1! }, { node: nodes.n2! }, { node: nodes.n3! }, { node: nodes.n4!, user: 'nosudo' }, { node: nodes.full! }]);
  const targets = ['n1', 'n2', 'n3', 'n4'].map((n) => `${nodes[n]!.address}:${nodes[n]!.metricsPort}`);
  prom = await startPrometheus({
    configYaml: `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: node\n    static_configs: [{ targets: ${JSON.stringify(targets)} }]\n  - job_name: dcgm\n    static_configs: [{ targets: ["${nodes.n3!.address}:${nodes.n3!.dcgmPort}"] }]\n`,
  });
  workerEnv = {
    AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_REDIS_URL: redis.url, AAMI_ARTIFACTS_DIR: join(dir, 'artifacts'),
    AAMI_INSTALL_LOCK_MS: '4000', AAMI_INSTALL_STALLED_MS: '2000', AAMI_INSTALL_ATTEMPTS: '2', AAMI_INSTALL_BACKOFF_MS: '500', AAMI_INSTALL_VERIFY_WAIT_S: '15',
  };
  worker = await startAamiService('install-worker', 'AAMI_INSTALL_WORKER_PORT', workerEnv);
});

after(async () => {
  if (skip) return;
  await worker?.stop();
  await prom?.stop();
  await redis?.stop();
  await Promise.all(Object.values(nodes).map((n) => n.container.stop({ timeout: 0 }).catch(() => {})));
  if (Object.keys(timings).length) console.log(`install timings (ms): ${JSON.stringify(timings)}`);
});

test('aami nodes test: every node answers over SSH; the no-sudo user is reported as such', opts, async () => {
  const t0 = Date.now();
  const res = await aami(worker.url, ['nodes', 'test', '--all']);
  timings.nodesTest = Date.now() - t0;
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /│ n1 +│ ✔ ok +│ \d+ ms +│ aami +│ yes/);
  assert.match(res.stdout, /│ n4 +│ ✔ ok +│ \d+ ms +│ nosudo +│ no/);
  assert.match(res.stdout, /5 reachable, 0 not/);
});

test('aami nodes install --all: node_exporter + Xid timer everywhere, dcgm-exporter only on the GPU node; no-sudo and full-disk nodes fail with their reason and stop no one', opts, async () => {
  const t0 = Date.now();
  const res = await aami(worker.url, ['nodes', 'install', '--all']);
  timings.firstInstall = Date.now() - t0;
  assert.equal(res.code, 1, `${res.stdout}\n${res.stderr}`);
  assert.match(res.stdout, /│ n1 +│ ✔ installed +│ [\d.]+s +│ no nvidia-smi on this node: dcgm-exporter not installed/);
  assert.match(res.stdout, /│ n2 +│ ✔ installed/);
  assert.match(res.stdout, /│ n3 +│ ✔ installed +│ [\d.]+s +│ GPUs: NVIDIA H100 80GB HBM3/);
  assert.match(res.stdout, /│ n4 +│ ✖ failed \(no-sudo\) +│ [\d.]+s +│ nosudo may not run sudo without a password/);
  assert.match(res.stdout, /│ full +│ ✖ failed \(disk-full\) +│ [\d.]+s +│ disk full: \/usr\/local\/bin has [\d.]+ (KiB|MiB) free/);
  assert.match(res.stderr, /2 of 5 node\(s\) failed/);

  for (const n of ['n1', 'n2', 'n3']) {
    const node = nodes[n]!;
    const units = await node.exec('systemctl is-active aami-node-exporter.service aami-xid-counter.timer; systemctl is-enabled aami-node-exporter.service aami-xid-counter.timer; id -u aami-exporter >/dev/null && echo user-ok; test -d /var/lib/node_exporter/textfile_collector && echo textfile-ok; cat /etc/aami/installed.json');
    assert.match(units.output, /^active\nactive\nenabled\nenabled\nuser-ok\ntextfile-ok\n/, `${n}: ${units.output}`);
    const record = JSON.parse(units.output.slice(units.output.indexOf('{'))) as { components: Record<string, { version: string }> };
    assert.equal(record.components.node_exporter?.version, '1.5.0');
    assert.equal(Boolean(record.components.dcgm_exporter), n === 'n3');
  }
  assert.match((await nodes.n3!.exec('systemctl is-active aami-dcgm-exporter.service; cat /etc/aami/dcgm-counters.csv | grep -c DCGM_FI_')).output, /^active\n\d+\n/);
  // Nothing was left half-installed on the refused nodes.
  assert.match((await nodes.n4!.exec('test -e /usr/local/bin/node_exporter && echo present || echo absent')).output, /absent/);

  // A real Prometheus scrapes every installed node: up == 1, and the Xid counter's series are there.
  // Both halves are waited for: the refused node's target reads up == 0 only after its first scrape.
  await waitFor(async () => (await prom.query('up{job="node"} == 1')).length === 3 && (await prom.query('up{job="node"} == 0')).length === 1, 60_000, 'three node_exporters up and the refused node down');
  const down = await prom.query('up{job="node"} == 0');
  assert.deepEqual(down.map((r) => r.metric.instance), [`${nodes.n4!.address}:${nodes.n4!.metricsPort}`]);
  await waitFor(async () => (await prom.query('aami_xid_counter_last_run_timestamp_seconds')).length === 3, 30_000, 'xid counter series');
  await waitFor(async () => (await prom.query('up{job="dcgm"} == 1')).length === 1 && (await prom.query('DCGM_FI_DEV_GPU_TEMP')).length === 1, 30_000, 'dcgm stand-in scraped');
});

test('a second run changes nothing ("unchanged", no upload, no restart); the fixed node gets installed', opts, async () => {
  await setNodes([{ node: nodes.n1! }, { node: nodes.n2! }, { node: nodes.n3! }, { node: nodes.n4! }]);
  const before = (await nodes.n1!.exec('stat -c %Y.%i /usr/local/bin/node_exporter; systemctl show -p MainPID --value aami-node-exporter.service')).output;
  const t0 = Date.now();
  const res = await aami(worker.url, ['nodes', 'install', '--all', '-o', 'json']);
  timings.secondInstall = Date.now() - t0;
  assert.equal(res.code, 0, res.stderr);
  const run = JSON.parse(res.stdout) as RunView;
  assert.deepEqual(run.states.map((s) => `${s.node}:${s.result}`), ['n1:unchanged', 'n2:unchanged', 'n3:unchanged', 'n4:installed']);
  for (const s of run.states.slice(0, 3)) timings[`unchanged_${s.node}`] = s.durationMs ?? -1;
  const afterRun = (await nodes.n1!.exec('stat -c %Y.%i /usr/local/bin/node_exporter; systemctl show -p MainPID --value aami-node-exporter.service')).output;
  assert.equal(afterRun, before, 'same file, same process: nothing was replaced or restarted');
  const last = await api<{ result: string; runId: string }>('GET', '/api/v1/install/nodes/n4/last');
  assert.deepEqual([last.result, last.runId], ['installed', run.id]);
  await waitFor(async () => (await prom.query('up{job="node"} == 1')).length === 4, 60_000, 'four node_exporters up');
});

test('a wrong key fails as "auth" at the first attempt (no retry)', opts, async () => {
  const otherKey = join(dir, 'wrong_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
  await setNodes([{ node: nodes.n1! }, { node: nodes.n2!, key: otherKey }, { node: nodes.n3! }, { node: nodes.n4! }]);
  const run = await finished(await startRun('install', ['n2']));
  const s = stateOf(run, 'n2');
  assert.deepEqual([s?.state, s?.kind, s?.attempts], ['failed', 'auth', 1]);
  assert.match(s?.reason ?? '', /refused our SSH key/);
  await setNodes([{ node: nodes.n1! }, { node: nodes.n2! }, { node: nodes.n3! }, { node: nodes.n4! }]);
});

test('a node whose host key changed is refused, not trusted silently; aami nodes trust accepts the new key', opts, async () => {
  const knownHosts = join(dir, 'known_hosts');
  const pinnedBefore = await readFile(knownHosts, 'utf8');
  await nodes.n1!.exec('rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && systemctl restart ssh.service');
  const run = await finished(await startRun('install', ['n1']));
  const s = stateOf(run, 'n1');
  assert.deepEqual([s?.state, s?.kind, s?.attempts], ['failed', 'host-key-changed', 1]);
  assert.match(s?.reason ?? '', /has changed .*aami nodes trust n1/);
  assert.equal(await readFile(knownHosts, 'utf8'), pinnedBefore, 'the pinned key was not replaced');

  const newFp = (await nodes.n1!.exec('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).output.split(' ')[1] ?? '';
  const wrong = await aami(worker.url, ['nodes', 'trust', 'n1', '--fingerprint', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /not the expected/);
  const trust = await aami(worker.url, ['nodes', 'trust', 'n1', '--fingerprint', newFp]);
  assert.equal(trust.code, 0, trust.stderr);
  assert.match(trust.stdout, new RegExp(`Pinned the new host key of n1 .*${newFp.replace(/[+/]/g, '\\$&')}`));
  const again = await finished(await startRun('install', ['n1']));
  assert.equal(stateOf(again, 'n1')?.result, 'unchanged');
});

test('a node that goes down mid-run fails as unreachable after its retries; the other node finishes', opts, async () => {
  // n1 is freshly uninstalled so its install does real work while n2 waits its turn (concurrency 1).
  const un = await finished(await startRun('uninstall', ['n1']));
  assert.equal(stateOf(un, 'n1')?.result, 'uninstalled');
  assert.match((await nodes.n1!.exec('systemctl is-active aami-node-exporter.service; test -e /usr/local/bin/node_exporter && echo present || echo absent')).output, /inactive\nabsent/);
  const runId = await startRun('install', ['n1', 'n2'], 1);
  await waitFor(async () => stateOf(await api<RunView>('GET', `/api/v1/install/runs/${runId}`), 'n1')?.state === 'running', 30_000, 'n1 running');
  await nodes.n2!.container.stop({ timeout: 0 });
  const run = await finished(runId);
  assert.equal(stateOf(run, 'n1')?.result, 'installed');
  const n2 = stateOf(run, 'n2');
  assert.equal(n2?.state, 'failed');
  assert.ok(['unreachable', 'timeout', 'connection-lost'].includes(n2?.kind ?? ''), JSON.stringify(n2));
  assert.equal(n2?.attempts, 2, 'retried: unreachable is transient');
});

test('a worker killed mid-run loses nothing: after a restart the run completes', opts, async () => {
  await setNodes([{ node: nodes.n1! }, { node: nodes.n3! }, { node: nodes.n4! }]);
  const un = await finished(await startRun('uninstall', ['n1', 'n3', 'n4']));
  assert.deepEqual(un.states.map((s) => s.result), ['uninstalled', 'uninstalled', 'uninstalled']);
  const runId = await startRun('install', ['n1', 'n3', 'n4'], 1);
  await waitFor(async () => {
    const v = await api<RunView>('GET', `/api/v1/install/runs/${runId}`);
    return v.counts.done === 1 && (v.counts.running ?? 0) >= 1;
  }, 60_000, 'first node done');
  await worker.daemon.kill();
  worker = await startAamiService('install-worker', 'AAMI_INSTALL_WORKER_PORT', workerEnv);
  const run = await finished(runId, 120_000);
  assert.deepEqual(run.states.map((s) => `${s.node}:${s.state}:${s.result}`), ['n1:done:installed', 'n3:done:installed', 'n4:done:installed']);
  await waitFor(async () => (await prom.query('up{job="node"} == 1')).length === 3, 60_000, 'n1, n3, n4 scraped again');
});

test('aami nodes uninstall removes units, files and the service user', opts, async () => {
  const res = await aami(worker.url, ['nodes', 'uninstall', 'n3', 'n4']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /│ n3 +│ ✔ uninstalled/);
  const left = await nodes.n3!.exec('systemctl is-active aami-node-exporter.service aami-dcgm-exporter.service aami-xid-counter.timer; ls /usr/local/bin /etc/systemd/system | grep aami | grep -vc "[.]d$"; getent passwd aami-exporter || echo no-user; test -e /etc/aami/installed.json || echo no-record');
  assert.match(left.output, /^inactive\ninactive\ninactive\n0\nno-user\nno-record\n$/);
});
