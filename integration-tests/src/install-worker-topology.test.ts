// The install worker's topology service and its metrics, over an SSH stand-in that answers with the
// GPU simulator's nvidia-smi (a test may use both services; a service may not import another).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardByKey } from '../../services/gpu-simulator/src/nvidia-smi/boards.ts';
import { renderSmi } from '../../services/gpu-simulator/src/nvidia-smi/render.ts';
import { createWorkerMetrics } from '../../services/install-worker/src/metrics.ts';
import { TopologyService } from '../../services/install-worker/src/topology.ts';
import type { NodeTarget } from '../../services/install-worker/src/targets.ts';

/** Three H100 nodes over a fake SSH that answers like the simulator's board; `down` per node. */
async function service(down: Record<string, Array<{ gpu: number; link: number }>> = {}) {
  const configured = new Set(['a', 'b', 'c']);
  const target = (n: string): NodeTarget => ({ name: n, host: n, port: 22, username: 'root', keyPath: '/k' });
  const dir = await mkdtemp(join(tmpdir(), 'aami-topology-unit-'));
  const topology = new TopologyService({
    nodes: { get: async (n) => (configured.has(n) ? target(n) : undefined), names: async () => [...configured] },
    ssh: {
      withSession: async (t, fn) => fn({
        target: t,
        exec: async (command) => {
          const args = /\$\(nvidia-smi (.*?) 2>&1\)/.exec(command)?.[1]?.split(' ') ?? [];
          const answer = renderSmi(boardByKey('h100-nv18'), { seed: t.host, downLinks: down[t.host] ?? [] }, args);
          return { code: answer.code, signal: null, stdout: answer.stdout, stderr: '', durationMs: 1 };
        },
      }),
    },
    dir,
  });
  return { topology, dir, configured };
}

test('two links down on one of three identical nodes: reported against its peers, exported, and gone once the node leaves config.yaml', async () => {
  const { topology, configured } = await service({ b: [{ gpu: 2, link: 3 }, { gpu: 2, link: 7 }] });
  const results = await topology.refresh(['a', 'b', 'c']);
  assert.deepEqual(results.map((r) => [r.node, r.state, r.identity?.length, r.nvlinkErrors?.length]), [['a', 'ok', 8, 8], ['b', 'ok', 8, 8], ['c', 'ok', 8, 8]]);
  const b = results[1]!.expected!;
  assert.deepEqual([b.source, b.peers, b.deviations[0]?.text], ['peers', 3, 'GPU 2 has 16 of 18 NVLinks active (most of its 2 peer(s) have 18)']);
  const metrics = createWorkerMetrics({ judged: () => topology.judged() });
  const text = await metrics.metrics();
  assert.match(text, /aami_nvlink_links_active\{node="b",gpu="2"\} 16/);
  assert.match(text, /aami_nvlink_links_expected\{node="b",gpu="2"\} 18/);
  assert.match(text, /aami_topology_deviations\{node="b"\} 8/, 'the links of GPU 2, and its seven pairs at NV16');
  assert.match(text, /aami_topology_deviations\{node="a"\} 0/);
  configured.delete('b');
  assert.doesNotMatch(await metrics.metrics(), /node="b"/, 'a removed node is no longer exported');
  assert.deepEqual((await topology.list()).nodes.map((n) => n.node), ['a', 'c']);
});

test('a kept snapshot that cannot be read is listed as failed, naming its file; the others are still judged', async () => {
  const { topology, dir } = await service();
  await writeFile(join(dir, 'c.json'), '{"node": "c", "state": "ok", truncated');
  await writeFile(join(dir, 'a.json'), `${JSON.stringify({ node: 'a', takenAt: '2026-12-04T10:00:00.000Z', state: 'failed', reason: 'unreachable: connection refused' })}\n`);
  const list = await topology.list();
  const c = list.nodes.find((n) => n.node === 'c');
  assert.equal(c?.state, 'failed');
  assert.match(c?.reason ?? '', /c\.json cannot be read/);
  assert.deepEqual(list.nodes.find((n) => n.node === 'a'), { node: 'a', takenAt: '2026-12-04T10:00:00.000Z', state: 'failed', reason: 'unreachable: connection refused' });
  await topology.refresh(['c']);
  assert.equal((await topology.list()).nodes.find((n) => n.node === 'c')?.state, 'ok', 'a refresh replaces the unreadable file');
});

test('one scrape judges the fleet once for all three gauges', async () => {
  let calls = 0;
  const registry = createWorkerMetrics({ judged: async () => { calls++; return new Map(); } });
  await registry.metrics();
  assert.equal(calls, 1);
  await registry.metrics();
  assert.equal(calls, 2, 'the next scrape judges again');
});
