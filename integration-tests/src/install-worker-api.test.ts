// The install-worker as a process on a real Redis, driven through its HTTP API, the real CLI and
// the gateway's proxy router, against OpenSSH sshd on loopback (no Docker): SSH tests, a node that
// cannot be reached (retried, then failed with its reason), a host without systemd (refused with
// its reason), host-key change and trust.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { ConfigStore } from '@aami/shared';
import { HARNESS_SERVICE_TOKEN, freePort, makeTempDir, serviceAuth, startAamiService, startRedis, startSshd, waitFor, type AamiService, type RedisServer, type SshServer } from './harness/index.ts';
import { aami } from './install-worker-nodes.ts';
import { installProxyRouter } from '../../services/api-gateway/src/routes/install-proxy.ts';

let redis: RedisServer;
let sshd: SshServer;
let worker: AamiService;

before(async () => {
  const dir = await makeTempDir('install-api');
  [redis, sshd] = await Promise.all([startRedis(), startSshd()]);
  const store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create({
    ssh: { user: sshd.user, key: sshd.keyPath, port: 22, concurrency: 10, connect_timeout_s: 3, command_timeout_s: 60 },
    nodes: [
      { name: 'local', ip: '127.0.0.1', ssh_port: sshd.port },
      { name: 'dead', ip: '127.0.0.2', ssh_port: await freePort() },
    ],
  });
  worker = await startAamiService('install-worker', 'AAMI_INSTALL_WORKER_PORT', {
    AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_REDIS_URL: redis.url, AAMI_ARTIFACTS_SEED_SYSTEM: '1',
    AAMI_INSTALL_ATTEMPTS: '2', AAMI_INSTALL_BACKOFF_MS: '200',
  });
});

after(async () => {
  await worker?.stop();
  await sshd?.stop();
  await redis?.stop();
});

test('aami nodes test: reachable and unreachable nodes, in one table, exit 1 when any failed', async () => {
  const res = await aami(worker.url, ['nodes', 'test']);
  assert.equal(res.code, 1);
  assert.match(res.stdout, /│ local +│ ✔ ok +│ \d+ ms +│ \S+ +│ (root|yes|no) /);
  assert.match(res.stdout, /│ dead +│ ✖ unreachable +│ .*connection refused/);
  assert.match(res.stdout, /1 reachable, 1 not/);
  assert.match(res.stderr, /1 node\(s\) could not be reached/);
});

test('an unreachable node is retried, then fails with its reason; a host without systemd is refused with its reason', async () => {
  const res = await aami(worker.url, ['nodes', 'install', 'dead', 'local', '-o', 'json']);
  assert.equal(res.code, 1, res.stderr);
  const run = JSON.parse(res.stdout) as { status: string; states: Array<{ node: string; state: string; kind?: string; reason?: string; attempts: number }> };
  assert.equal(run.status, 'done');
  const dead = run.states.find((s) => s.node === 'dead');
  assert.deepEqual([dead?.state, dead?.kind, dead?.attempts], ['failed', 'unreachable', 2]);
  assert.match(dead?.reason ?? '', /connection refused/);
  const local = run.states.find((s) => s.node === 'local');
  // The machine running the tests is not a systemd host (or, if it is, the run still must not
  // silently succeed without a unit); either way the reason says why.
  assert.equal(local?.state, 'failed');
  assert.ok(['unsupported', 'no-sudo', 'unit-failed', 'verify-failed'].includes(local?.kind ?? ''), JSON.stringify(local));
  const last = await (await fetch(`${worker.url}/api/v1/install/nodes/dead/last`, { headers: serviceAuth })).json() as { kind: string };
  assert.equal(last.kind, 'unreachable');
});

test('a changed host key shows in nodes test; aami nodes trust pins the new key and the node answers again', async () => {
  await sshd.rotateHostKey();
  const refused = await aami(worker.url, ['nodes', 'test', 'local', '-o', 'json']);
  assert.equal(refused.code, 1);
  const r = (JSON.parse(refused.stdout) as { results: Array<{ kind: string; reason: string }> }).results[0];
  assert.equal(r?.kind, 'host-key-changed');
  assert.match(r?.reason ?? '', /aami nodes trust local/);
  const trust = await aami(worker.url, ['nodes', 'trust', 'local', '--yes', '-o', 'json']);
  assert.equal(trust.code, 0, trust.stderr);
  const t = JSON.parse(trust.stdout) as { changed: boolean; fingerprint: string; previous: string | null };
  assert.equal(t.changed, true);
  assert.notEqual(t.previous, null);
  const ok = await aami(worker.url, ['nodes', 'test', 'local']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
});

test('the gateway proxy router forwards the install API with method, path and body, and answers 503 when the worker is away', async (t) => {
  const app = express();
  app.use(express.json());
  const api = express.Router();
  api.use(installProxyRouter(worker.url, HARNESS_SERVICE_TOKEN));
  api.use((_req, res) => { res.status(404).json({ error: { code: 'not_found' } }); });
  app.use('/api/v1', api);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const deadWorker = express();
  const api2 = express.Router();
  api2.use(installProxyRouter(`http://127.0.0.1:${await freePort()}`, HARNESS_SERVICE_TOKEN));
  deadWorker.use(express.json());
  deadWorker.use('/api/v1', api2);
  const server2 = deadWorker.listen(0, '127.0.0.1');
  await new Promise((r) => server2.once('listening', r));
  t.after(() => { server.close(); server2.close(); });
  const gw = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const started = await fetch(`${gw}/api/v1/install/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'verify', nodes: ['dead'] }) });
  assert.equal(started.status, 202);
  const { runId } = (await started.json()) as { runId: string };
  await waitFor(async () => ((await (await fetch(`${gw}/api/v1/install/runs/${runId}`)).json()) as { status: string }).status === 'done', 30_000, 'verify run');
  const bad = await fetch(`${gw}/api/v1/install/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nodes: ['nope'] }) });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /unknown node\(s\): nope/);
  const tested = await fetch(`${gw}/api/v1/nodes/test`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nodes: ['local'] }) });
  assert.equal(((await tested.json()) as { ok: number }).ok, 1);
  // Paths the proxy does not own fall through to the gateway's own routers.
  assert.equal((await fetch(`${gw}/api/v1/nodes/local`)).status, 404);
  const away = await fetch(`http://127.0.0.1:${(server2.address() as AddressInfo).port}/api/v1/install/runs/x`);
  assert.equal(away.status, 503);
  assert.match(((await away.json()) as { error: { message: string } }).error.message, /install-worker .* is not reachable/);
});
