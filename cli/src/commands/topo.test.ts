import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerTopoCommands } from './topo.ts';

const testdata = (name: string) => fileURLToPath(new URL(`../../../shared/src/topology/testdata/${name}`, import.meta.url));

async function run(args: string[]): Promise<string> {
  let out = '';
  const program = new Command().exitOverride().option('-o, --output <format>');
  registerTopoCommands(program, { write: (t) => { out += t; } });
  await program.parseAsync(['node', 'aami', ...args]);
  return out;
}

test('aami topo parse: the summary, the matrix and the affinities of a DGX-1', async () => {
  const out = await run(['topo', 'parse', testdata('dgx1-v100-hybrid-cube-mesh.topo.txt')]);
  assert.match(out, /^8 GPU\(s\), 4 NIC\(s\); NVLink between 16 of 28 GPU pairs \(NV1 to NV2\)\./);
  assert.match(out, /│ GPU0 │ X +│ NV1 +│ NV1 +│ NV2 +│ NV2 +│ SYS/);
  assert.match(out, /│ GPU4 │ 20-39,60-79 +│ 1 /);
  assert.match(out, /NIC0 = mlx5_0/);
});

test('aami topo parse --nvlink names the links that are down; a PCIe board says it has no NVLink', async () => {
  const down = await run(['topo', 'parse', testdata('h100-8gpu-nv18.topo.txt'), '--nvlink', testdata('v100-links-down.nvlink-s.txt')]);
  assert.match(down, /NVLink down:\n {2}GPU 0 \(Tesla V100-SXM2-32GB\): link\(s\) 3, 5 inactive of 6/);
  const up = await run(['topo', 'parse', testdata('h100-8gpu-nv18.topo.txt'), '--nvlink', testdata('h100-2gpu.nvlink-s.txt')]);
  assert.match(up, /NV18 each/);
  assert.match(up, /NVLink: all 36 links of 2 GPUs are up\./);
  const pcie = await run(['topo', 'parse', testdata('h100-pcie-1gpu.topo.txt')]);
  assert.match(pcie, /^1 GPU\(s\); no NVLink\./);
});

test('aami topo parse -o json: the parsed matrix with its summary; a bad file names itself and the line', async () => {
  const json = JSON.parse(await run(['-o', 'json', 'topo', 'parse', testdata('old-driver-4gpu-mlx4.topo.txt')])) as { gpus: unknown[]; nics: Array<{ device: string }>; summary: { nvlinkPairs: number } };
  assert.equal(json.gpus.length, 4);
  assert.equal(json.nics[0]?.device, 'mlx4_0');
  assert.equal(json.summary.nvlinkPairs, 0);
  await assert.rejects(run(['topo', 'parse', testdata('v100-links-down.nvlink-s.txt')]), /v100-links-down\.nvlink-s\.txt: no topo -m matrix found/);
  await assert.rejects(run(['topo', 'parse', '/nonexistent/topo.txt']), /cannot read \/nonexistent\/topo\.txt/);
});

test('topo list names each node that differs and how; show ends with the expectation; hostile text is made safe', async () => {
  const { renderNodeTopology, renderTopologyList } = await import('./topo.ts');
  const deviation = { kind: 'links' as const, gpu: 2, actual: '16', expected: '18', text: 'GPU 2 has 16 of 18 NVLinks active (most of its 2 peer(s) have 18)' };
  const expected = (deviations: typeof deviation[]) => ({ kind: '8 × NVIDIA H100 80GB HBM3', source: 'peers' as const, peers: 3, gpus: [], deviations });
  const list = renderTopologyList({
    nodes: [
      { node: 'gpu-01', takenAt: 't', state: 'ok', expected: expected([]) },
      { node: 'gpu-02', takenAt: 't', state: 'ok', expected: expected([deviation]) },
    ],
    pins: [{ kind: '8 × NVIDIA H100 80GB HBM3', node: 'gpu-01', pinnedAt: 'p' }],
  });
  assert.match(list, /│ gpu-01 +│ ✔ read .*│ ✔ as 2 peer\(s\) /);
  assert.match(list, /│ gpu-02 +│ ✔ read .*│ ✖ 1 difference\(s\) vs 2 peer\(s\) /);
  assert.match(list, /Nodes that differ from what is expected:\n {2}gpu-02:\n {4}✖ GPU 2 has 16 of 18 NVLinks active/);
  assert.match(list, /Pins:\n {2}8 × NVIDIA H100 80GB HBM3: gpu-01/);
  assert.match(renderTopologyList({ nodes: [{ node: 'a', takenAt: 't', state: 'ok', expected: expected([]) }], pins: [] }), /No node differs from what is expected\./);
  const { parseTopoMatrix } = await import('@aami/shared');
  const { readFileSync } = await import('node:fs');
  const matrix = parseTopoMatrix(readFileSync(testdata('h100-8gpu-nv18.topo.txt'), 'utf8'));
  const show = renderNodeTopology({ node: 'gpu-02', takenAt: 't', state: 'ok', matrix, expected: { ...expected([deviation]), source: 'pinned', pinnedFrom: 'gpu-01' } });
  assert.match(show, /Expected: 8 × NVIDIA H100 80GB HBM3, judged against pinned from gpu-01\.\n✖ 1 difference\(s\):\n {2}✖ GPU 2 has 16/);
  const hostile = await run(['topo', 'parse', testdata('h100-pcie-1gpu.topo.txt')]);
  assert.doesNotMatch(hostile, /\x1b/, 'the terminal escapes of the saved file are not passed on');
});

test('aami topo NODE asks for the node as topo show does; topo alone prints the help', async () => {
  const asked: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string | URL) => {
    asked.push(String(url));
    return new Response(JSON.stringify({ node: 'gpu-01', takenAt: 't', state: 'no-gpu-tool' }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  const env = { AAMI_API_URL: process.env.AAMI_API_URL, AAMI_TOKEN: process.env.AAMI_TOKEN };
  process.env.AAMI_API_URL = 'http://127.0.0.1:9';
  process.env.AAMI_TOKEN = 'aami_test';
  try {
    assert.match(await run(['topo', 'gpu-01']), /gpu-01: taken t; no nvidia-smi on this node/);
    assert.match(asked[0] ?? '', /\/api\/v1\/topology\/gpu-01$/);
  } finally {
    globalThis.fetch = realFetch;
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
});
