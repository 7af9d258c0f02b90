import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DoctorNodesResponse, ErrorEnvelope, createLogger } from '@aami/shared';
import { createApp } from './app.ts';
import { NodeDoctor, parseNodeFacts, parseNodeTime, wantedExporterVersions, type NodeDoctorDeps } from './doctor.ts';
import { InstallService } from './install-service.ts';
import { createWorkerMetrics } from './metrics.ts';
import { MemoryRunStore } from './runs.ts';
import { SshError } from './ssh/errors.ts';
import type { ExecResult, SshSession } from './ssh/executor.ts';
import type { HostKey, HostKeyCheck } from './ssh/known-hosts.ts';
import type { NodeTarget } from './targets.ts';
import { TopologyService } from './topology.ts';

const key = (name: string): HostKey => ({ type: 'ssh-ed25519', base64: Buffer.from(name).toString('base64'), fingerprint: `SHA256:${name}` });
const installed = (components: Record<string, string>) => Buffer.from(JSON.stringify({
  managed_by: 'aami', updated_at: '2026-01-01T00:00:00Z', run_id: 'r1',
  components: Object.fromEntries(Object.entries(components).map(([n, version]) => [n, { version, units: [], files: {} }])),
})).toString('base64');

const targets: Record<string, NodeTarget> = {
  good: { name: 'good', host: '10.0.0.1', port: 22, username: 'root', keyPath: '/k' },
  old: { name: 'old', host: '10.0.0.2', port: 22, username: 'root', keyPath: '/k' },
  rotated: { name: 'rotated', host: '10.0.0.3', port: 2222, username: 'root', keyPath: '/k' },
  fresh: { name: 'fresh', host: '10.0.0.4', port: 22, username: 'root', keyPath: '/k' },
  down: { name: 'down', host: '10.0.0.5', port: 22, username: 'root', keyPath: '/k' },
};

/** What each fake node answers; `clock` is the node's time in seconds as `date` prints it. */
interface FakeNode { check: HostKeyCheck; clock?: string; facts?: string; slowMs?: number }

function fakes(nodes: Record<string, FakeNode>, over: Partial<NodeDoctorDeps> = {}) {
  const logins: string[] = [];
  let active = 0;
  let peak = 0;
  let nowMs = 1_800_000_000_000;
  const deps: NodeDoctorDeps = {
    nodes: { get: async (n) => targets[n], names: async () => Object.keys(nodes) },
    now: () => nowMs,
    ssh: {
      offeredHostKey: async (t) => {
        const node = Object.values(targets).find((x) => x.host === t.host)!;
        active++;
        peak = Math.max(peak, active);
        try {
          await new Promise((r) => setTimeout(r, nodes[node.name]?.slowMs ?? 1));
          if (node.name === 'down') throw new SshError('unreachable', `root@${t.host}:22: connection refused`, t.host);
          return key(node.name);
        } finally {
          active--;
        }
      },
      withSession: async (t, fn) => {
        const node = Object.values(targets).find((x) => x.host === t.host)!;
        logins.push(node.name);
        const answer = nodes[node.name]!;
        const session: SshSession = {
          target: t,
          exec: async (command): Promise<ExecResult> => {
            // The round trip of `date` takes 40 ms of the control node's clock.
            if (command.startsWith('date')) { nowMs += 40; return { code: 0, signal: null, stdout: `${answer.clock ?? ''}\n`, stderr: '', durationMs: 40 }; }
            return { code: 0, signal: null, stdout: answer.facts ?? 'x86_64\n---\n\n', stderr: '', durationMs: 1 };
          },
        };
        return fn(session);
      },
    },
    knownHosts: {
      check: async (host) => nodes[Object.values(targets).find((x) => x.host === host)!.name]!.check,
      keys: async () => [key('on-file')],
    },
    wanted: async (arch): Promise<Record<string, string[]>> => (arch === 'amd64' ? { node_exporter: ['1.8.2'], dcgm_exporter: ['3.3.5-3.4.0', '3.3.6-3.4.1'] } : {}),
    ...over,
  };
  return { deps, logins, peak: () => peak, now: () => nowMs };
}

describe('node doctor', () => {
  it('reads the skew against the middle of the request and compares installed exporters with the store, only where the pinned key is offered', async () => {
    const f = fakes({
      good: { check: { status: 'match', key: key('good') }, clock: '1800000000.520000000', facts: `x86_64\n---\n${installed({ node_exporter: '1.8.2', dcgm_exporter: '3.3.6-3.4.1', xid_counter: 'abc' })}\n` },
      old: { check: { status: 'match', key: key('old') }, clock: '1799999990.000000000', facts: `aarch64\n---\n${installed({ node_exporter: '1.5.0' })}\n` },
      rotated: { check: { status: 'changed', pinned: key('before') } },
      fresh: { check: { status: 'new' } },
      down: { check: { status: 'new' } },
    });
    const res = DoctorNodesResponse.parse(await new NodeDoctor(f.deps).check(undefined));
    const by = Object.fromEntries(res.results.map((r) => [r.node, r]));
    assert.deepEqual(res.results.map((r) => r.node), ['good', 'old', 'rotated', 'fresh', 'down'], 'config order');
    // 1800000000.52 against the middle of a 40 ms round trip that started at 1800000000.000: +0.5 s.
    assert.deepEqual(by.good?.clock, { skew_s: 0.5, uncertainty_s: 0.02 });
    assert.equal(by.good?.arch, 'amd64');
    assert.deepEqual(by.good?.exporters, [
      { name: 'dcgm_exporter', installed: '3.3.6-3.4.1', wanted: ['3.3.5-3.4.0', '3.3.6-3.4.1'] },
      { name: 'node_exporter', installed: '1.8.2', wanted: ['1.8.2'] },
    ], 'the Xid counter is not an exporter');
    assert.deepEqual(by.good?.host_key, { status: 'match', offered: 'SHA256:good', pinned: 'SHA256:good' });
    assert.equal(by.old?.arch, 'arm64');
    assert.deepEqual(by.old?.exporters, [{ name: 'node_exporter', installed: '1.5.0', wanted: [] }], 'no arm64 artifact: nothing to compare with');
    assert.ok((by.old?.clock?.skew_s ?? 0) < -9.9);
    assert.deepEqual(by.rotated?.host_key, { status: 'changed', offered: 'SHA256:rotated', pinned: 'SHA256:before' });
    assert.equal(by.rotated?.clock, null);
    assert.deepEqual(by.fresh?.host_key, { status: 'new', offered: 'SHA256:fresh', pinned: null });
    assert.equal(by.down?.failure?.kind, 'unreachable');
    assert.match(by.down?.failure?.message ?? '', /connection refused/);
    assert.deepEqual(f.logins.sort(), ['good', 'old'], 'no login where the key is changed or not pinned yet');
  });

  it('a revoked key names the key on file, and no login follows', async () => {
    const f = fakes({ good: { check: { status: 'revoked', key: key('good') } } });
    const [r] = (await new NodeDoctor(f.deps).check(['good'])).results;
    assert.deepEqual(r?.host_key, { status: 'revoked', offered: 'SHA256:good', pinned: 'SHA256:on-file' });
    assert.deepEqual(f.logins, []);
  });

  it('looks at no more nodes at once than its bound, and answers nodes it had no time for as not checked', async () => {
    const many: Record<string, FakeNode> = {};
    for (const n of ['good', 'old', 'rotated', 'fresh']) many[n] = { check: { status: 'new' }, slowMs: 30 };
    const f = fakes(many, { concurrency: 2 });
    await new NodeDoctor({ ...f.deps, now: Date.now }).check(undefined);
    assert.equal(f.peak(), 2);

    const slow = fakes({ good: { check: { status: 'new' }, slowMs: 1 }, old: { check: { status: 'new' }, slowMs: 3000 } }, { now: Date.now });
    const t0 = Date.now();
    const res = await new NodeDoctor(slow.deps).check(undefined, 1000);
    assert.ok(Date.now() - t0 < 2500, 'answers at its deadline');
    assert.equal(res.results[0]?.host_key.status, 'new');
    assert.deepEqual(res.results[1]?.failure, { kind: 'timeout', message: 'old was not checked within 1 s' });
  });

  it('parses what a node prints without trusting it', () => {
    assert.deepEqual(parseNodeTime('1800000000.123456789\n'), { seconds: 1800000000.123456789, precise: true });
    assert.deepEqual(parseNodeTime('1800000000.N\n'), { seconds: 1800000000, precise: false }, "busybox's date without %N");
    assert.equal(parseNodeTime('Thu Dec  4 10:00:00 UTC 2026'), undefined);
    assert.equal(parseNodeTime(`${'9'.repeat(100000)}`), undefined);
    const long = 'v'.repeat(10_000);
    assert.deepEqual(parseNodeFacts(`x86_64\n---\n${installed({ node_exporter: long })}\n`).exporters, [{ name: 'node_exporter', installed: 'v'.repeat(64) }], 'a version is capped');
    assert.deepEqual(parseNodeFacts('x86_64\n---\n\n'), { arch: 'amd64', exporters: null }, 'no installed.json');
    assert.deepEqual(parseNodeFacts(`x86_64\n---\n${Buffer.from('{"not":"a record"}').toString('base64')}\n`), { arch: 'amd64', exporters: null });
    assert.deepEqual(parseNodeFacts('\u001b]0;pwned\u0007\n---\n!!!\n'), { arch: null, exporters: null }, 'a machine name with control characters is dropped');
  });

  it("takes the store's newest node_exporter, and either the newest dcgm-exporter image or binary", async () => {
    const store = { latest: async (name: string, arch: string) => (arch !== 'amd64' ? undefined : ({ node_exporter: { version: '1.8.2' }, 'dcgm-exporter-image': { version: '3.3.6' }, 'dcgm-exporter': { version: '3.3.5' } } as Record<string, { version: string }>)[name]) };
    assert.deepEqual(await wantedExporterVersions(store as never, 'amd64'), { node_exporter: ['1.8.2'], dcgm_exporter: ['3.3.6', '3.3.5'] });
    assert.deepEqual(await wantedExporterVersions(store as never, 'arm64'), { node_exporter: [], dcgm_exporter: [] });
  });
});

describe('POST /api/v1/doctor/nodes', () => {
  it('needs the service token, refuses unknown names with a 400, and answers the schema', async (t) => {
    const f = fakes({ good: { check: { status: 'match', key: key('good') }, clock: '1800000000.020000000' } });
    const nodes = { get: async (n: string) => (n === 'good' ? targets.good : undefined), names: async () => ['good'] };
    const service = new InstallService({ queue: { addBulk: async () => {} }, runs: new MemoryRunStore(), nodes, ssh: f.deps.ssh, knownHosts: { ...f.deps.knownHosts, trust: async () => [] } });
    const topology = new TopologyService({ nodes, ssh: f.deps.ssh, dir: await mkdtemp(join(tmpdir(), 'aami-doctor-')) });
    const app = createApp({ service, topology, log: createLogger('test', 'error'), version: 't', serviceToken: 'svc-token-0123456789', registry: createWorkerMetrics({ judged: () => topology.judged() }), doctor: new NodeDoctor({ ...f.deps, nodes }) });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    t.after(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/doctor/nodes`;
    const post = (body: unknown, token = 'svc-token-0123456789') => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post({}, 'wrong')).status, 401);
    const bad = await post({ nodes: ['nope'] });
    assert.equal(bad.status, 400);
    assert.match(ErrorEnvelope.parse(await bad.json()).error.message, /unknown node\(s\): nope/);
    assert.equal((await post({ timeout_ms: 5 })).status, 400, 'a timeout under a second is refused');
    const ok = await post({});
    assert.equal(ok.status, 200);
    const answer = DoctorNodesResponse.parse(await ok.json());
    assert.deepEqual(answer.results.map((r) => [r.node, r.host_key.status, r.clock?.skew_s]), [['good', 'match', 0]]);
  });
});
