import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { ErrorEnvelope, HostKeyTrustResult, HostKeyView, InstallRun, InstallRunStarted, InstallRunsList, NodesTestResponse, createLogger } from '@aami/shared';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeTopology, TopologyList, TopologyPinResponse, TopologyRefreshResponse, TopologyUnpinResponse } from '@aami/shared';
import { createWorkerMetrics } from './metrics.ts';
import { createApp } from './app.ts';
import { scheduleTopologyRefresh, TopologyService } from './topology.ts';
import { InstallService } from './install-service.ts';
import { MemoryRunStore } from './runs.ts';
import { SshError } from './ssh/errors.ts';
import type { SshSession } from './ssh/executor.ts';
import { RevokedHostKeyError, type HostKey, type HostKeyCheck } from './ssh/known-hosts.ts';
import type { NodeTarget } from './targets.ts';

const SERVICE_TOKEN = 'service-token-for-tests-0123';
const testdata = (name: string) => readFileSync(new URL(`../../../shared/src/topology/testdata/${name}`, import.meta.url), 'utf8');
const TOPO = testdata('dgx1-v100-hybrid-cube-mesh.topo.txt');
const NVLINK = testdata('v100-links-down.nvlink-s.txt');

const nodes: Record<string, NodeTarget> = {
  a: { name: 'a', host: '10.0.0.1', port: 22, username: 'root', keyPath: '/k' },
  b: { name: 'b', host: '10.0.0.2', port: 2222, username: 'root', keyPath: '/k' },
};

const offered: HostKey = { type: 'ssh-ed25519', base64: Buffer.from('new').toString('base64'), fingerprint: 'SHA256:new' };
const old: HostKey = { type: 'ssh-ed25519', base64: Buffer.from('old').toString('base64'), fingerprint: 'SHA256:old' };

/** `check`: what known_hosts says of the offered key; `pinnedBy`: hosts whose test login pins `offered`. */
async function serve(opts: { check?: HostKeyCheck; revoked?: boolean; pinnedBy?: string[] } = {}) {
  const added: Array<{ name: string; data: unknown; opts?: Record<string, unknown> }> = [];
  const trusted: string[] = [];
  const runs = new MemoryRunStore();
  const service = new InstallService({
    queue: { addBulk: async (jobs) => { added.push(...jobs); } },
    runs,
    nodes: { get: async (n) => nodes[n], names: async () => Object.keys(nodes) },
    ssh: {
      withSession: async (t, fn) => {
        if (t.host === '10.0.0.2') throw new SshError('unreachable', 'root@10.0.0.2:2222: connection refused', 'x');
        const session: SshSession = {
          target: t,
          exec: async () => ({ code: 0, signal: null, stdout: 'user=root\nsudo=root\narch=x86_64\n', stderr: '', durationMs: 3 }),
          ...(opts.pinnedBy?.includes(t.host) ? { pinnedHostKey: offered } : {}),
        };
        return fn(session);
      },
      offeredHostKey: async () => offered,
    },
    knownHosts: {
      check: async () => opts.check ?? { status: 'changed', pinned: old },
      keys: async () => [old],
      trust: async (host) => {
        if (opts.revoked) throw new RevokedHostKeyError(host, 22, offered);
        trusted.push(host);
        return [old];
      },
    },
    policy: { attempts: 2, backoffMs: 10 },
  });
  const topology = new TopologyService({
    nodes: { get: async (n) => nodes[n], names: async () => Object.keys(nodes) },
    ssh: {
      // Node a prints a DGX-1's topo -m and two NVLinks down; node b does not answer.
      withSession: async (t, fn) => {
        if (t.host === '10.0.0.2') throw new SshError('unreachable', 'root@10.0.0.2:2222: connection refused', 'x');
        const answer = (command: string) => (command.includes('topo -m') ? TOPO : command.includes('nvlink -s') ? NVLINK : '');
        return fn({ target: t, exec: async (command) => ({ code: 0, signal: null, stdout: answer(command), stderr: '', durationMs: 5 }) });
      },
    },
    dir: await mkdtemp(join(tmpdir(), 'aami-topology-')),
    now: () => new Date('2026-12-04T10:00:00Z'),
  });
  const registry = createWorkerMetrics({ judged: () => topology.judged() });
  const server = createApp({ service, topology, log: createLogger('test', 'error'), version: 't', serviceToken: SERVICE_TOKEN, registry }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${SERVICE_TOKEN}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { base, call, added, trusted, runs, close: () => new Promise((r) => server.close(r)) };
}

test('POST /install/runs queues one job per node with a stable job id and retry policy; GET shows the run', async (t) => {
  const s = await serve();
  t.after(s.close);
  const started = await s.call('POST', '/api/v1/install/runs', { all: true, concurrency: 8 });
  assert.equal(started.status, 202);
  InstallRunStarted.parse(started.body);
  const runId = started.body.runId as string;
  assert.deepEqual(started.body.nodes, ['a', 'b']);
  assert.deepEqual(s.added.map((j) => j.opts?.jobId), [`${runId}.a`, `${runId}.b`]);
  assert.deepEqual(s.added[0]?.data, { node: 'a', action: 'install', runId });
  assert.equal(s.added[0]?.opts?.attempts, 2);
  const run = await s.call('GET', `/api/v1/install/runs/${runId}`);
  assert.equal(run.status, 200);
  InstallRun.parse(run.body);
  assert.deepEqual([run.body.status, run.body.total, run.body.concurrency, run.body.percent], ['running', 2, 8, 0]);
  const list = await s.call('GET', '/api/v1/install/runs');
  assert.equal(InstallRunsList.parse(list.body).runs.length, 1);
});

test('bad requests are 400 naming the problem; unknown runs and nodes are 404', async (t) => {
  const s = await serve();
  t.after(s.close);
  const unknown = await s.call('POST', '/api/v1/install/runs', { nodes: ['a', 'zz', 'yy'] });
  assert.equal(unknown.status, 400);
  assert.match(ErrorEnvelope.parse(unknown.body).error.message, /unknown node\(s\): zz, yy/);
  assert.equal((await s.call('POST', '/api/v1/install/runs', { action: 'reboot', all: true })).status, 400);
  assert.equal((await s.call('POST', '/api/v1/install/runs', {})).status, 400);
  assert.equal((await s.call('POST', '/api/v1/install/runs', { all: true, concurrency: 0 })).status, 400);
  assert.equal(s.added.length, 0);
  assert.equal((await s.call('GET', '/api/v1/install/runs/nope')).status, 404);
  assert.equal((await s.call('GET', '/api/v1/install/nodes/a/last')).status, 404);
  assert.equal((await s.call('POST', '/api/v1/nodes/zz/trust', {})).status, 404);
  assert.equal((await s.call('GET', '/api/v1/install/whatever')).status, 404);
});

test('POST /nodes/test reports each node, reachable or not', async (t) => {
  const s = await serve();
  t.after(s.close);
  const res = await s.call('POST', '/api/v1/nodes/test', {});
  assert.equal(res.status, 200);
  NodesTestResponse.parse(res.body);
  assert.deepEqual([res.body.ok, res.body.failed], [1, 1]);
  const [a, b] = res.body.results as Array<Record<string, unknown>>;
  assert.deepEqual([a?.ok, a?.sudo, a?.user], [true, 'root', 'root']);
  assert.deepEqual([b?.ok, b?.kind], [false, 'unreachable']);
  assert.equal(a?.notes, undefined, 'a login that pinned nothing has no note');
});

test('POST /nodes/test: a first contact that pinned the node\'s key says so', async (t) => {
  const s = await serve({ pinnedBy: ['10.0.0.1'] });
  t.after(s.close);
  const res = await s.call('POST', '/api/v1/nodes/test', { nodes: ['a'] });
  const [a] = res.body.results as Array<Record<string, unknown>>;
  assert.deepEqual(a?.pinnedHostKey, { type: 'ssh-ed25519', fingerprint: 'SHA256:new' });
  assert.deepEqual(a?.notes, ['pinned new host key SHA256:new for a']);
});

test('GET /nodes/:name/host-key shows the offered key beside the pinned one and changes nothing', async (t) => {
  const changed = await serve();
  t.after(changed.close);
  const res = await changed.call('GET', '/api/v1/nodes/b/host-key');
  assert.equal(res.status, 200);
  HostKeyView.parse(res.body);
  assert.deepEqual(res.body, { node: 'b', host: '10.0.0.2', port: 2222, type: 'ssh-ed25519', fingerprint: 'SHA256:new', pinned: 'SHA256:old', status: 'changed' });
  assert.deepEqual(changed.trusted, []);
  assert.equal((await changed.call('GET', '/api/v1/nodes/zz/host-key')).status, 404);
  const fresh = await serve({ check: { status: 'new' } });
  t.after(fresh.close);
  assert.deepEqual([(await fresh.call('GET', '/api/v1/nodes/a/host-key')).body.pinned, (await fresh.call('GET', '/api/v1/nodes/a/host-key')).body.status], [null, 'new']);
});

test('POST /nodes/:name/trust refuses a key listed as @revoked', async (t) => {
  const s = await serve({ revoked: true });
  t.after(s.close);
  const res = await s.call('POST', '/api/v1/nodes/a/trust', {});
  assert.equal(res.status, 409);
  assert.match((res.body.error as { message: string }).message, /@revoked.*nothing was changed/);
});

test('POST /nodes/:name/trust pins the offered key, and refuses one that does not match --fingerprint', async (t) => {
  const s = await serve();
  t.after(s.close);
  const refused = await s.call('POST', '/api/v1/nodes/a/trust', { fingerprint: 'SHA256:other' });
  assert.equal(refused.status, 409);
  assert.equal(s.trusted.length, 0);
  const ok = await s.call('POST', '/api/v1/nodes/a/trust', { fingerprint: 'SHA256:new' });
  assert.equal(ok.status, 200);
  HostKeyTrustResult.parse(ok.body);
  assert.deepEqual(ok.body, { node: 'a', host: '10.0.0.1', port: 22, type: 'ssh-ed25519', fingerprint: 'SHA256:new', previous: 'SHA256:old', changed: true });
  assert.deepEqual(s.trusted, ['10.0.0.1']);
});

test('without the service token nothing runs; a write that is not JSON is refused before it is read', async (t) => {
  const s = await serve();
  t.after(s.close);
  const anonymous = await fetch(`${s.base}/api/v1/install/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'uninstall', all: true }) });
  assert.equal(anonymous.status, 401);
  assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'unauthorized');
  const wrong = await fetch(`${s.base}/api/v1/install/runs`, { headers: { authorization: 'Bearer not-the-service-token' } });
  assert.equal(wrong.status, 401);
  // A body-less POST is what a browser may send cross-site without asking first.
  const simple = await fetch(`${s.base}/api/v1/nodes/a/trust`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_TOKEN}` } });
  assert.equal(simple.status, 415);
  const form = await fetch(`${s.base}/api/v1/nodes/a/trust`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'fingerprint=x' });
  assert.equal(form.status, 415);
  assert.deepEqual([s.added.length, s.trusted.length], [0, 0], 'no job queued, no key pinned');
  assert.equal((await fetch(`${s.base}/healthz`)).status, 200, '/healthz stays open');
});

test('POST /topology/refresh reads each node over SSH and keeps it; GET shows the last one; a node that does not answer fails with its reason', async (t) => {
  const s = await serve();
  t.after(s.close);
  const refreshed = await s.call('POST', '/api/v1/topology/refresh', { all: true });
  assert.equal(refreshed.status, 200);
  const r = TopologyRefreshResponse.parse(refreshed.body);
  assert.deepEqual([r.ok, r.failed], [1, 1]);
  const [a, b] = r.results;
  assert.deepEqual([a?.state, a?.summary?.nvlinkPairs, a?.summary?.minNvlinks, a?.inactiveLinks], ['ok', 16, 1, ['GPU 0 link 3', 'GPU 0 link 5']]);
  assert.equal(b?.state, 'failed');
  assert.match(b?.reason ?? '', /^unreachable: .*connection refused/);
  const one = NodeTopology.parse((await s.call('GET', '/api/v1/topology/a')).body);
  assert.equal(one.takenAt, '2026-12-04T10:00:00.000Z');
  assert.equal(one.matrix?.links.find((l) => l.a === 'GPU0' && l.b === 'GPU3')?.nvlinks, 2);
  const list = TopologyList.parse((await s.call('GET', '/api/v1/topology')).body);
  assert.deepEqual(list.nodes.map((n) => [n.node, n.state]), [['a', 'ok'], ['b', 'failed']]);
  assert.equal((await s.call('GET', '/api/v1/topology/zz')).status, 404);
  assert.equal((await s.call('POST', '/api/v1/topology/refresh', { nodes: ['zz'] })).status, 400, 'an unknown node is refused, naming it');
});

test('pinning a node makes its topology the expected one of its kind; /metrics exports active and expected NVLinks; unpin removes it', async (t) => {
  const s = await serve();
  t.after(s.close);
  await s.call('POST', '/api/v1/topology/refresh', { all: true });
  const alone = NodeTopology.parse((await s.call('GET', '/api/v1/topology/a')).body);
  assert.deepEqual([alone.expected?.source, alone.expected?.kind, alone.expected?.deviations], ['alone', '8 × Tesla V100-SXM2-32GB', []]);
  assert.equal((await s.call('POST', '/api/v1/topology/b/pin')).status, 400, 'a node whose topology could not be read cannot be pinned');
  const pinned = await s.call('POST', '/api/v1/topology/a/pin');
  assert.equal(pinned.status, 200);
  assert.deepEqual(TopologyPinResponse.parse(pinned.body).nodes, ['a']);
  const list = TopologyList.parse((await s.call('GET', '/api/v1/topology')).body);
  assert.deepEqual(list.pins.map((p) => [p.kind, p.node]), [['8 × Tesla V100-SXM2-32GB', 'a']]);
  assert.equal(list.nodes[0]?.expected?.source, 'pinned');
  const metrics = await (await fetch(`${s.base}/metrics`)).text();
  assert.match(metrics, /aami_nvlink_links_active\{node="a",gpu="0"\} 4/, 'GPU 0 of the fixture has 4 of 6 links up');
  assert.match(metrics, /aami_nvlink_links_expected\{node="a",gpu="0"\} 4/, 'pinned as it is: 4 is what is expected');
  assert.match(metrics, /aami_topology_deviations\{node="a"\} 0/);
  assert.doesNotMatch(metrics, /node="b"/, 'a node whose topology failed exports nothing');
  const removed = await s.call('DELETE', '/api/v1/topology/a/pin');
  assert.equal(TopologyUnpinResponse.parse(removed.body).removed.node, 'a');
  assert.equal((await s.call('DELETE', '/api/v1/topology/a/pin')).status, 404, 'no pin left to remove');
  assert.equal((await s.call('POST', '/api/v1/topology/zz/pin')).status, 404);
});

test('the topology schedule reads every node again at each interval, one pass at a time; 0 turns it off', async () => {
  const passes: string[][] = [];
  let release: () => void = () => {};
  const stop = scheduleTopologyRefresh({
    names: async () => ['a', 'b'],
    refresh: async (n) => { passes.push(n); await new Promise<void>((r) => { release = r; }); },
    everyMs: 20,
    log: { warn: () => {} },
  });
  await new Promise((r) => setTimeout(r, 110));
  assert.deepEqual(passes, [['a', 'b']], 'a pass still running is not started again');
  release();
  await new Promise((r) => setTimeout(r, 60));
  stop();
  assert.ok(passes.length >= 2, `${passes.length} passes`);
  const count = passes.length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(passes.length, count, 'stopped');
  let called = false;
  scheduleTopologyRefresh({ names: async () => { called = true; return []; }, refresh: async () => {}, everyMs: 0, log: { warn: () => {} } })();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(called, false);
});
