// The health service end to end in one process: the real source, tracker, checks and HTTP routes
// on a fake Prometheus; the memory file on disk survives a restart; the series are exported.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { FleetHealthResponse, HealthClearResponse, NodeHealthResponse, createLogger, loadXidCatalog } from '@aami/shared';
import { createApp } from '../app.ts';
import { HealthService } from './service.ts';
import { bumpXid, fakePrometheus, observation, setField } from './testing.ts';

const catalog = loadXidCatalog();
const log = createLogger('test', 'error');

describe('health service', () => {
  let dir: string;
  const obs = observation(['node-a', 'node-b'], 2);
  let clock = Date.UTC(2026, 11, 3, 3, 0);
  const make = (registry = new Registry()) => new HealthService({
    query: fakePrometheus(obs, '5m', () => clock), memoryPath: join(dir, 'health', 'state.json'), catalog, registry, log,
    intervalMs: 3_600_000, rateWindow: '5m', rebootThreshold: 2, lookbackMs: 72 * 3600_000, clock: () => clock,
  });
  const step = async (s: HealthService) => { clock += 60_000; await s.evaluate(); };

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'aami-health-')); });

  it('answers the fleet worst first and exports the series', async () => {
    const registry = new Registry();
    const s = make(registry);
    await step(s);
    setField(obs, 'node-b', 1, 'remapFailure', 1);
    await step(s);
    const fleet = FleetHealthResponse.parse(s.fleet());
    assert.deepEqual(fleet.nodes.map((n) => [n.node, n.state]), [['node-b', 'unhealthy'], ['node-a', 'healthy']]);
    assert.deepEqual(fleet.counts, { healthy: 3, unknown: 0, degraded: 0, unhealthy: 1 });
    assert.equal(fleet.evaluation.queries, 24);
    const text = await registry.metrics();
    assert.match(text, /aami_gpu_health_state\{node="node-b",gpu="1",UUID="GPU-node-b-1",pci_bus_id="00000000:42:00.0",state="unhealthy"\} 1/);
    assert.match(text, /aami_gpu_health_state\{node="node-b",gpu="1",UUID="GPU-node-b-1",pci_bus_id="00000000:42:00.0",state="healthy"\} 0/);
    assert.match(text, /aami_gpu_health_action\{[^}]*gpu="1"[^}]*action="inspect-hardware"\} 1/);
    assert.match(text, /aami_gpu_health_score\{node="node-a",gpu="0",[^}]*\} 100/);
    assert.match(text, /aami_node_health_score\{node="node-b"\} \d+/);
    setField(obs, 'node-b', 1, 'remapFailure', 0);
    await step(s);
    assert.equal(s.fleet().counts.unhealthy, 0);
    const history = s.node('node-b', 1).history;
    assert.deepEqual(history.map((t) => [t.from, t.to]), [['unhealthy', 'healthy'], ['healthy', 'unhealthy']]);
  });

  it('keeps an escalation across an analyzer restart, and clear is audited', async () => {
    let s = make();
    await step(s);
    for (let i = 0; i < 3; i++) {
      bumpXid(obs, 'node-a', 0, 79);
      await step(s);
      if (i < 2) obs.bootTimes.set('node-a', (obs.bootTimes.get('node-a') ?? 0) + 3600);
    }
    assert.equal(s.node('node-a', 0).gpus[0]?.action, 'inspect-hardware');
    await s.stop();
    assert.equal((await stat(join(dir, 'health', 'state.json'))).mode & 0o777, 0o600);
    s = make(); // a new analyzer process on the same data volume
    await step(s);
    const g = s.node('node-a', 0).gpus[0];
    assert.equal(g?.state, 'unhealthy');
    assert.equal(g?.action, 'inspect-hardware');
    assert.match(g?.reasons[0]?.reason ?? '', /Xid 79 \(.+\) at .*, the 3rd time since .* after 2 reboots/);

    const app = createApp({ serviceToken: 'service-token-for-tests-0123', catalog, log, health: s });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fetch = (url: string, init: RequestInit = {}) => globalThis.fetch(url, { ...init, headers: { authorization: 'Bearer service-token-for-tests-0123', ...(init.headers as Record<string, string> | undefined) } });
    try {
      const bad = await fetch(`${base}/api/v1/health/node-a/clear`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gpu: 0 }) });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: { details: Array<{ path: string }> } }).error.details[0]?.path, 'reason');
      const badGpu = await fetch(`${base}/api/v1/health/node-a?gpu=64`);
      assert.equal(badGpu.status, 400);
      assert.equal(((await badGpu.json()) as { error: { details: Array<{ path: string }> } }).error.details[0]?.path, 'gpu');
      assert.equal((await fetch(`${base}/api/v1/health/${encodeURIComponent('bad name;rm')}`)).status, 400);
      const missing = await fetch(`${base}/api/v1/health/no-such-node`);
      assert.equal(missing.status, 404);
      const res = await fetch(`${base}/api/v1/health/node-a/clear`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-aami-actor': 'ops-alice' }, body: JSON.stringify({ gpu: 0, reason: 'GPU 0 replaced, ticket 4411' }),
      });
      assert.equal(res.status, 200);
      const cleared = HealthClearResponse.parse(await res.json());
      assert.equal(cleared.by, 'ops-alice');
      assert.equal(cleared.cleared, 1);
      const node = NodeHealthResponse.parse(await (await fetch(`${base}/api/v1/health/node-a?gpu=0`)).json());
      assert.equal(node.gpus[0]?.state, 'healthy');
      assert.deepEqual([node.history[0]?.from, node.history[0]?.to], ['unhealthy', 'healthy'], 'the clear shows in the history');
      const saved = JSON.parse(await readFile(join(dir, 'health', 'state.json'), 'utf8')) as { audit: Array<{ by: string; reason: string }> };
      assert.deepEqual(saved.audit.map((a) => [a.by, a.reason]), [['ops-alice', 'GPU 0 replaced, ticket 4411']]);
    } finally {
      await new Promise((r) => server.close(r));
      await s.stop();
    }
  });

  it('a Prometheus that fails keeps the previous answer and says why', async () => {
    const s = make();
    await step(s);
    const before = s.fleet().nodes.length;
    const failing = new HealthService({
      query: async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:9090'); }, memoryPath: join(dir, 'other.json'), catalog, registry: new Registry(), log,
      intervalMs: 3_600_000, rateWindow: '5m', rebootThreshold: 2, lookbackMs: 3600_000,
    });
    await failing.evaluate();
    assert.match(failing.fleet().evaluation.lastError ?? '', /ECONNREFUSED/);
    assert.equal(before, 2);
  });

  it('a damaged memory file stops the start with the file named', async () => {
    const { writeFile } = await import('node:fs/promises');
    const path = join(dir, 'broken.json');
    await writeFile(path, '{"version": 1, "tracks": "nope"}');
    const s = new HealthService({ query: fakePrometheus(obs), memoryPath: path, catalog, registry: new Registry(), log, intervalMs: 1000, rateWindow: '5m', rebootThreshold: 2, lookbackMs: 1 });
    await assert.rejects(s.start(), new RegExp(`${path}: tracks`));
  });

  after(() => {});
});
