import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFleet, type RunningFleet } from './index.ts';
import { parsePromText } from './prom-text.ts';

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const post = (url: string, body: unknown) => json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('fleet and control API over HTTP', () => {
  let sim: RunningFleet;
  let logDir: string;
  let api: string;

  before(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'gpu-sim-api-'));
    sim = await startFleet({ nodes: 3, gpus: 2, basePort: 0, controlPort: 0, logDir, nodePrefix: 'sim-' });
    api = sim.controlUrl ?? '';
  });
  after(async () => {
    await sim.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('serves each node on its own listener, named with the prefix', async () => {
    assert.deepEqual(sim.nodes.map((n) => n.name), ['sim-01', 'sim-02', 'sim-03']);
    assert.equal(new Set(sim.nodes.map((n) => n.url)).size, 3);
    for (const n of sim.nodes) {
      const res = await fetch(n.url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      const fams = parsePromText(await res.text());
      const host = fams[0]?.samples[0]?.labels.find(([k]) => k === 'Hostname')?.[1];
      assert.equal(host, n.name);
    }
    assert.equal((await fetch(sim.nodes[0]?.url.replace('/metrics', '/nope') ?? '')).status, 404);
  });

  it('lists nodes and shows one with its GPU identities', async () => {
    const list = await json(`${api}/nodes`);
    assert.equal(list.status, 200);
    assert.equal((list.body.nodes as unknown[]).length, 3);
    const one = await json(`${api}/nodes/sim-02`);
    const gpus = one.body.gpus as Array<{ pciBusId: string; kernelPci: string; present: boolean }>;
    assert.equal(gpus.length, 2);
    assert.equal(gpus[0]?.kernelPci, '0000:18:00');
    assert.equal(one.body.logFile, join(logDir, 'sim-02.kern.log'));
  });

  it('injects an Xid: 201 with the kernel line, which is in the node log and on /metrics', async () => {
    const r = await post(`${api}/nodes/sim-01/faults`, { type: 'xid', gpu: 1, xid: 31 });
    assert.equal(r.status, 201);
    const line = (r.body.event as { kernelLines: string[] }).kernelLines[0] ?? '';
    assert.match(line, /NVRM: Xid \(PCI:0000:2a:00\): 31, /);
    assert.equal(readFileSync(join(logDir, 'sim-01.kern.log'), 'utf8').trimEnd().split('\n').at(-1), line);
    const text = await (await fetch(sim.nodes[0]?.url ?? '')).text();
    assert.match(text, /^DCGM_FI_DEV_XID_ERRORS\{gpu="1",.*,err_code="31",err_msg="GPU memory page fault"\} 31$/m);
  });

  it('answers 400 with details for a bad fault and 404 for an unknown node or route', async () => {
    const bad = await post(`${api}/nodes/sim-01/faults`, { type: 'temperature', targetC: 'hot' });
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.body.details as Array<{ path: string }>).map((d) => d.path), ['targetC']);
    const gpu = await post(`${api}/nodes/sim-01/faults`, { type: 'fall-off-bus', gpu: 9 });
    assert.equal(gpu.status, 400);
    const notJson = await json(`${api}/nodes/sim-01/faults`, { method: 'POST', body: '{oops' });
    assert.equal(notJson.status, 400);
    assert.equal((await post(`${api}/nodes/sim-99/faults`, { type: 'node-down' })).status, 404);
    assert.equal((await json(`${api}/nodes/sim-99`)).status, 404);
    assert.equal((await json(`${api}/whatever`)).status, 404);
  });

  it('node-down closes the port; clear opens it again on the same address', async () => {
    const url = sim.nodes[2]?.url ?? '';
    assert.equal((await fetch(url)).status, 200);
    const down = await post(`${api}/nodes/sim-03/faults`, { type: 'node-down' });
    assert.equal(down.status, 201);
    await assert.rejects(fetch(url), 'connection refused while down');
    const listed = (await json(`${api}/nodes`)).body.nodes as Array<{ name: string; up: boolean; faults: Array<{ type: string }> }>;
    assert.deepEqual(listed.find((n) => n.name === 'sim-03')?.faults.map((f) => f.type), ['node-down']);
    assert.equal(listed.find((n) => n.name === 'sim-03')?.up, false);
    const cleared = await json(`${api}/nodes/sim-03/faults`, { method: 'DELETE' });
    assert.deepEqual(cleared, { status: 200, body: { cleared: 1 } });
    assert.equal((await fetch(url)).status, 200);
  });

  it('fall-off-bus over the API: the GPU disappears from that node only, clear returns it', async () => {
    await post(`${api}/nodes/sim-02/faults`, { type: 'fall-off-bus', gpu: 0 });
    const count = async (i: number) => (await (await fetch(sim.nodes[i]?.url ?? '')).text()).match(/^DCGM_FI_DEV_GPU_TEMP\{/gm)?.length ?? 0;
    assert.equal(await count(1), 1);
    assert.equal(await count(0), 2);
    const shown = (await json(`${api}/nodes/sim-02`)).body.gpus as Array<{ present: boolean; lastXid: number }>;
    assert.deepEqual(shown.map((g) => [g.present, g.lastXid]), [[false, 79], [true, 0]]);
    await json(`${api}/nodes/sim-02/faults`, { method: 'DELETE' });
    assert.equal(await count(1), 2);
  });
});
