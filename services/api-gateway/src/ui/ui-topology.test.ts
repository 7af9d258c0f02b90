// The topology drawing's layout (services/api-gateway/ui/src/views/topology-drawing.ts), run under
// Node on the shared parsers' fixtures: what nvidia-smi prints on an 8-GPU NVSwitch board and on a
// DGX-1 hybrid cube mesh, judged with the shared judgeTopologies, so the drawing reads exactly
// what the install worker answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  judgeTopologies, parseNvlinkStatus, parseTopoMatrix, summarizeTopo, topoProfile, type NodeTopology, type NvlinkGpu, type TopoMatrix,
} from '@aami/shared';
import { drawTopology, layoutTopology, overlaps, type SvgAttrs, type TopoLayout } from '../../ui/src/views/topology-drawing.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../../shared/src/topology/testdata/${name}`, import.meta.url), 'utf8');

/** `nvidia-smi nvlink -s` of `gpus` GPUs with `links` links each; `down` lists "gpu:link" inactive. */
function nvlinkText(gpus: number, links: number, model: string, down: readonly string[] = []): string {
  const out: string[] = [];
  for (let g = 0; g < gpus; g++) {
    out.push(`GPU ${g}: ${model} (UUID: GPU-4f6c2a1e-0000-4000-8000-${String(g).padStart(12, '0')})`);
    for (let l = 0; l < links; l++) out.push(`\t Link ${l}: ${down.includes(`${g}:${l}`) ? '<inactive>' : '26.562 GB/s'}`);
  }
  return `${out.join('\n')}\n`;
}

/** A node's topology as the worker answers it, with `expected` worked out from `peers` (name -> nvlink -s). */
function judged(matrix: TopoMatrix, nodes: Record<string, NvlinkGpu[]>, which: string, own: TopoMatrix = matrix): NodeTopology {
  const profiles = new Map(Object.entries(nodes).map(([n, nv]) => [n, topoProfile(n === which ? own : matrix, undefined, nv)]));
  const expected = judgeTopologies(profiles, []).get(which)!;
  matrix = own;
  const nvlink = nodes[which]!;
  return {
    node: which, takenAt: '2026-05-01T00:00:00Z', state: 'ok', summary: summarizeTopo(matrix), matrix, nvlink, expected,
    inactiveLinks: nvlink.flatMap((g) => g.links.filter((l) => l.gbps === null).map((l) => `GPU ${g.index} link ${l.link}`)),
  };
}

/** No two boxes (GPUs, NICs, the bar) overlap, and all lie inside the drawing. */
function assertNoOverlap(l: TopoLayout): void {
  const boxes = [...l.gpus.map((g) => ({ ...g, what: g.name })), ...l.nics.map((n) => ({ ...n, what: n.name })), ...(l.bar ? [{ ...l.bar, what: 'bar' }] : [])];
  for (const [i, a] of boxes.entries()) {
    assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.w <= l.width && a.y + a.h <= l.height, `${a.what} lies inside the ${l.width}×${l.height} drawing`);
    for (const b of boxes.slice(i + 1)) assert.ok(!overlaps(a, b), `${a.what} and ${b.what} overlap`);
  }
  for (const [i, a] of l.groups.entries()) for (const b of l.groups.slice(i + 1)) assert.ok(!overlaps(a, b), `groups ${a.label} and ${b.label} overlap`);
  for (const g of l.gpus) {
    const group = l.groups.find((x) => x.gpus.includes(g.name));
    assert.ok(group && g.x >= group.x && g.x + g.w <= group.x + group.w && g.y >= group.y && g.y + g.h <= group.y + group.h, `${g.name} is inside its group box`);
  }
}

/** A plain-object SVG, to read what the drawing would show. */
interface FakeNode { tag: string; attrs: SvgAttrs; children: Array<FakeNode | string> }
const fake = (tag: string, attrs: SvgAttrs, ...children: Array<FakeNode | string | null | undefined | false>): FakeNode =>
  ({ tag, attrs, children: children.filter((c): c is FakeNode | string => c !== null && c !== undefined && c !== false) });
const textOf = (n: FakeNode | string): string => (typeof n === 'string' ? n : n.tag === 'title' ? '' : n.children.map(textOf).join(' '));
const find = (n: FakeNode, pred: (x: FakeNode) => boolean): FakeNode[] =>
  [...(pred(n) ? [n] : []), ...n.children.flatMap((c) => (typeof c === 'string' ? [] : find(c, pred)))];

const NV18 = parseTopoMatrix(fixture('h100-8gpu-nv18.topo.txt'));
const DGX1 = parseTopoMatrix(fixture('dgx1-v100-hybrid-cube-mesh.topo.txt'));
const H100 = 'NVIDIA H100 80GB HBM3';

test('an 8-GPU NV18 board is drawn as an NVSwitch bar with one edge per GPU labelled 18, grouped by NUMA node', () => {
  const healthy = parseNvlinkStatus(nvlinkText(8, 18, H100));
  const l = layoutTopology(judged(NV18, { a: healthy, b: healthy }, 'a'));
  assert.equal(l.mode, 'switch');
  assert.equal(l.bar?.label, 'NVSwitch');
  assert.equal(l.edges.length, 8);
  assert.deepEqual(l.edges.map((e) => [e.kind, e.a, e.label, e.degraded]), Array.from({ length: 8 }, (_, i) => ['switch', `GPU${i}`, '18', false]));
  assert.deepEqual(l.groups.map((g) => [g.label, g.gpus.length]), [['NUMA 0 · CPUs 0-55,112-167', 4], ['NUMA 1 · CPUs 56-111,168-223', 4]]);
  assert.deepEqual(l.degradedGpus, []);
  assert.ok(l.gpus.every((g) => g.detail === '18/18 NVLinks' && !g.mark));
  assertNoOverlap(l);
  // Every edge runs from its GPU box to the bar.
  for (const e of l.edges) {
    const g = l.gpus.find((x) => x.name === e.a)!;
    assert.match(e.d, new RegExp(`^M ${g.x + g.w / 2} ${g.y + g.h} L ${g.x + g.w / 2} ${l.bar!.y}$`));
  }
});

test('without nvlink -s the NVSwitch edges say NV18; the matrix alone is enough', () => {
  const l = layoutTopology({ node: 'n', takenAt: '2026-05-01T00:00:00Z', state: 'ok', matrix: NV18 });
  assert.equal(l.mode, 'switch');
  assert.deepEqual(l.edges.map((e) => e.label), Array(8).fill('NV18'));
  assert.ok(l.gpus.every((g) => g.detail === ''));
});

test('GPU 2 with links 3 and 7 down on an NVSwitch board: its box and edge are degraded and say 16/18', () => {
  const healthy = parseNvlinkStatus(nvlinkText(8, 18, H100));
  const down = parseNvlinkStatus(nvlinkText(8, 18, H100, ['2:3', '2:7']));
  const t = judged(NV18, { a: healthy, b: healthy, c: down }, 'c');
  assert.deepEqual(t.expected?.deviations.map((d) => d.text), ['GPU 2 has 16 of 18 NVLinks active (most of its 2 peer(s) have 18)']);
  const l = layoutTopology(t);
  assert.equal(l.mode, 'switch');
  assert.deepEqual(l.degradedGpus, [2]);
  const g2 = l.gpus[2]!;
  assert.equal(g2.mark, '✕ 16/18');
  assert.equal(g2.detail, '✕ 16/18 NVLinks');
  assert.match(g2.title, /inactive: link 3, link 7/);
  assert.match(g2.title, /GPU 2 has 16 of 18 NVLinks active/);
  const e2 = l.edges.find((e) => e.a === 'GPU2')!;
  assert.deepEqual([e2.label, e2.degraded], ['✕ 16/18', true]);
  assert.equal(l.edges.filter((e) => e.degraded).length, 1);
  // The drawing carries the mark as text and the degraded class on GPU 2 only.
  const svg = drawTopology(l, fake, 'Topology of c');
  const marked = find(svg, (n) => n.tag === 'g' && String(n.attrs.class).includes('degraded'));
  assert.deepEqual(marked.map((n) => [n.attrs.class, n.attrs['data-gpu'] ?? n.attrs['data-a']]), [['topo-edge topo-edge-switch degraded', 'GPU2'], ['topo-gpu degraded', 2]]);
  assert.match(textOf(marked[1]!), /GPU 2 ✕ 16\/18 NVLinks/);
  assert.equal(svg.attrs.role, 'img');
  assert.match(textOf(find(svg, (n) => n.tag === 'desc')[0]!.children[0]!), /1 GPU marked as not as expected/);

  // As nvidia-smi prints it then: topo -m also shows every pair of GPU 2 as NV16. Still GPU 2 alone is marked.
  const lower = structuredClone(NV18);
  for (const x of lower.links) if (x.a === 'GPU2' || x.b === 'GPU2') x.nvlinks = 16;
  const both = judged(NV18, { a: healthy, b: healthy, c: down }, 'c', lower);
  assert.equal(both.expected?.deviations.length, 8, 'the links, and the 7 pairs of GPU 2');
  const lb = layoutTopology(both);
  assert.equal(lb.mode, 'switch');
  assert.deepEqual(lb.degradedGpus, [2]);
  assert.equal(lb.gpus[2]!.mark, '✕ 16/18');
  assert.deepEqual(lb.edges.filter((e) => e.degraded).map((e) => e.a), ['GPU2']);
});

test('GPU 2\'s pairs shown weaker than expected on an NVSwitch board: the bar stays, and GPU 2 (in every such pair) is the one marked', () => {
  const lower = structuredClone(NV18);
  for (const l of lower.links) if (l.a === 'GPU2' || l.b === 'GPU2') l.nvlinks = 16;
  const profiles = new Map([['a', topoProfile(NV18)], ['b', topoProfile(NV18)], ['c', topoProfile(lower)]]);
  const l = layoutTopology({ node: 'c', takenAt: '2026-05-01T00:00:00Z', state: 'ok', matrix: lower, expected: judgeTopologies(profiles, []).get('c')! });
  assert.equal(l.mode, 'switch', 'the expected counts are all NV18, so it is still an NVSwitch board');
  assert.deepEqual(l.degradedGpus, [2], 'GPU 2 is in all 7 pairs that differ; each other GPU in one');
  assert.equal(l.gpus[2]!.mark, '✕ differs');
  assert.equal(l.gpus[2]!.detail, '✕ a pair differs');
  assert.match(l.gpus[2]!.title, /GPU0-GPU2 is NV16; most of its 2 peer\(s\) have NV18/);
  assert.equal(l.edges.length, 8);
});

test('the DGX-1 hybrid cube mesh: 16 NV1/NV2 edges, NUMA 0 above NUMA 1, NICs next to the GPUs they are PIX to', () => {
  const six = parseNvlinkStatus(nvlinkText(8, 6, 'Tesla V100-SXM2-32GB'));
  const l = layoutTopology(judged(DGX1, { a: six, b: six }, 'a'));
  assert.equal(l.mode, 'mesh');
  assert.equal(l.bar, undefined);
  const nv = l.edges.filter((e) => e.kind === 'nvlink');
  assert.equal(nv.length, 16);
  assert.deepEqual(nv.filter((e) => e.label === 'NV2').length, 8);
  assert.deepEqual(nv.filter((e) => e.label === 'NV1').length, 8);
  assert.ok(nv.every((e) => !e.degraded));
  assert.equal(nv.find((e) => e.a === 'GPU0' && e.b === 'GPU4')?.label, 'NV2');
  assert.equal(nv.find((e) => e.a === 'GPU0' && e.b === 'GPU5'), undefined, 'SYS pairs have no edge');
  assert.deepEqual(l.groups.map((g) => g.label), ['NUMA 0 · CPUs 0-19,40-59', 'NUMA 1 · CPUs 20-39,60-79']);
  const g0 = l.gpus[0]!;
  const g4 = l.gpus[4]!;
  assert.ok(g4.y > g0.y + g0.h, 'NUMA 1 is drawn below NUMA 0');
  // NIC0 is PIX to GPU0 and GPU1: it sits above them, between their centres, with two PIX edges.
  const nic0 = l.nics.find((n) => n.name === 'NIC0')!;
  assert.deepEqual(nic0.near, ['GPU0', 'GPU1']);
  assert.equal(nic0.device, 'mlx5_0');
  assert.ok(nic0.y + nic0.h <= g0.y);
  assert.equal(nic0.x + nic0.w / 2, (l.gpus[0]!.x + l.gpus[1]!.x + GPU_CENTRE * 2) / 2);
  assert.deepEqual(l.edges.filter((e) => e.b === 'NIC0').map((e) => [e.kind, e.a, e.label]), [['pcie', 'GPU0', 'PIX'], ['pcie', 'GPU1', 'PIX']]);
  // GPU0-GPU2's label, at its arc's apex, would sit on the GPU1-GPU5 line: it is moved beside it.
  const g1 = l.gpus[1]!;
  assert.equal(Math.abs(nv.find((e) => e.a === 'GPU0' && e.b === 'GPU2')!.lx - (g1.x + g1.w / 2)), 22);
  const nic2 = l.nics.find((n) => n.name === 'NIC2')!;
  assert.ok(nic2.y >= g4.y + g4.h, 'NIC2 (PIX to GPU4 and GPU5) is below them');
  assertNoOverlap(l);
});
const GPU_CENTRE = 56;

test('GPU 0 with links 3 and 5 inactive on a DGX-1 is marked, against its peers and when it is alone', () => {
  const six = parseNvlinkStatus(nvlinkText(8, 6, 'Tesla V100-SXM2-32GB'));
  const down = parseNvlinkStatus(nvlinkText(8, 6, 'Tesla V100-SXM2-32GB', ['0:3', '0:5']));
  // The shared fixture: GPU 0 alone, links 3 and 5 inactive.
  const fixtureDown = parseNvlinkStatus(fixture('v100-links-down.nvlink-s.txt'));
  assert.deepEqual(fixtureDown[0]!.links.filter((x) => x.gbps === null).map((x) => x.link), [3, 5]);
  const withPeers = layoutTopology(judged(DGX1, { a: six, b: six, c: down }, 'c'));
  assert.deepEqual(withPeers.degradedGpus, [0]);
  assert.equal(withPeers.gpus[0]!.mark, '✕ 4/6');
  assert.ok(withPeers.gpus.slice(1).every((g) => !g.degraded && g.detail === '6/6 NVLinks'));
  // Alone of its kind (its own reference, no deviation), the inactive links still mark it.
  const alone = layoutTopology(judged(DGX1, { c: [...fixtureDown, ...six.slice(1)] }, 'c'));
  assert.equal(alone.gpus[0]!.degraded, true);
  assert.equal(alone.gpus[0]!.mark, '✕ 4/6');
  assert.deepEqual(alone.degradedGpus, [0]);
});

test('a DGX-1 pair that lost its NVLinks is still drawn, dashed and marked with what it is and should be', () => {
  const broken = structuredClone(DGX1);
  const pair = broken.links.find((x) => x.a === 'GPU0' && x.b === 'GPU3')!;
  pair.type = 'SYS';
  delete pair.nvlinks;
  const profiles = new Map([['a', topoProfile(DGX1)], ['b', topoProfile(DGX1)], ['c', topoProfile(broken)]]);
  const l = layoutTopology({ node: 'c', takenAt: '2026-05-01T00:00:00Z', state: 'ok', matrix: broken, expected: judgeTopologies(profiles, []).get('c')! });
  assert.equal(l.mode, 'mesh');
  assert.equal(l.edges.filter((e) => e.kind === 'nvlink').length, 16, 'the expected pair is drawn though topo -m has no NVLink there');
  const e = l.edges.find((x) => x.a === 'GPU0' && x.b === 'GPU3')!;
  assert.deepEqual([e.label, e.degraded], ['✕ SYS/NV2', true]);
  assert.match(e.title, /GPU0-GPU3 is SYS; most of its 2 peer\(s\) have NV2/);
  assert.deepEqual(l.degradedGpus, [0, 3]);
  assert.equal(l.gpus[0]!.mark, '✕ differs');
  assert.equal(l.gpus[0]!.detail, '✕ a pair differs');
});

test('16 GPUs on an NVSwitch board lay out in two bands around the bar, no boxes overlapping', () => {
  const names = Array.from({ length: 16 }, (_, i) => `GPU${i}`);
  const nics = Array.from({ length: 8 }, (_, i) => `NIC${i}`);
  const all = [...names, ...nics];
  const cell = (a: string, b: string): string => {
    if (a === b) return 'X';
    if (a.startsWith('GPU') && b.startsWith('GPU')) return 'NV6';
    if (a.startsWith('NIC') && b.startsWith('NIC')) return Math.floor(Number(a.slice(3)) / 4) === Math.floor(Number(b.slice(3)) / 4) ? 'NODE' : 'SYS';
    const g = Number((a.startsWith('GPU') ? a : b).slice(3));
    const n = Number((a.startsWith('NIC') ? a : b).slice(3));
    return Math.floor(g / 2) === n ? 'PIX' : Math.floor(g / 8) === Math.floor(n / 4) ? 'NODE' : 'SYS';
  };
  const rows = all.map((a) => [a, ...all.map((b) => cell(a, b)), ...(a.startsWith('GPU') ? [Number(a.slice(3)) < 8 ? '0-47' : '48-95', Number(a.slice(3)) < 8 ? '0' : '1', 'N/A'] : [])].join('\t'));
  const text = [`\t${all.join('\t')}\tCPU Affinity\tNUMA Affinity\tGPU NUMA ID`, ...rows, '', 'NIC Legend:', '', ...nics.map((n, i) => `  ${n}: mlx5_${i}`)].join('\n');
  const matrix = parseTopoMatrix(text);
  const l = layoutTopology({ node: 'dgx2', takenAt: '2026-05-01T00:00:00Z', state: 'ok', matrix, nvlink: parseNvlinkStatus(nvlinkText(16, 6, 'Tesla V100-SXM3-32GB')) });
  assert.equal(l.mode, 'switch');
  assert.equal(l.gpus.length, 16);
  assert.equal(l.edges.filter((e) => e.kind === 'switch').length, 16);
  assert.equal(l.edges.filter((e) => e.kind === 'pcie').length, 16);
  assert.deepEqual(l.groups.map((g) => g.gpus.length), [8, 8]);
  assert.ok(l.gpus[8]!.y > l.bar!.y + l.bar!.h && l.gpus[7]!.y + l.gpus[7]!.h < l.bar!.y, 'NUMA 0 above the bar, NUMA 1 below');
  assert.ok(l.width <= 1200, `readable: ${l.width} wide for 8 GPUs a row`);
  assertNoOverlap(l);

  // The same 16 GPUs with no NUMA reported are one NUMA-less group, split over two boxes of 8.
  const noNuma = { ...matrix, gpus: matrix.gpus.map((g) => ({ ...g, cpuAffinity: null, numaAffinity: null })) };
  const u = layoutTopology({ node: 'x', takenAt: '2026-05-01T00:00:00Z', state: 'ok', matrix: noNuma });
  assert.deepEqual(u.groups.map((g) => g.label), ['GPUs (NUMA node not reported) (GPUs 0–7)', 'GPUs (NUMA node not reported) (GPUs 8–15)']);
  assertNoOverlap(u);
});

test('NICs on no GPU\'s PCIe switch get a row of their own; a board without NVLink has no GPU edges', () => {
  const l = layoutTopology({ node: 'old', takenAt: '2026-05-01T00:00:00Z', state: 'ok', matrix: parseTopoMatrix(fixture('old-driver-4gpu-mlx4.topo.txt')) });
  assertNoOverlap(l);
  const one = layoutTopology({ node: 'p', takenAt: '2026-05-01T00:00:00Z', state: 'ok', matrix: parseTopoMatrix(fixture('h100-pcie-1gpu.topo.txt')) });
  assert.equal(one.mode, 'pcie');
  assert.equal(one.edges.filter((e) => e.kind !== 'pcie').length, 0);
  assertNoOverlap(one);
  assert.deepEqual(layoutTopology({ node: 'f', takenAt: '2026-05-01T00:00:00Z', state: 'failed', reason: 'unreachable' }).gpus, []);
});

test('labels from a node are text: a hostile NIC device name stays one text child', () => {
  const m = structuredClone(DGX1);
  m.nics[0]!.device = '<script>alert(1)</script>';
  const svg = drawTopology(layoutTopology({ node: 'n', takenAt: '2026-05-01T00:00:00Z', state: 'ok', matrix: m }), fake, 'T');
  const nic = find(svg, (n) => n.attrs['data-nic'] === 'NIC0')[0]!;
  assert.ok(nic.children.some((c) => typeof c !== 'string' && c.children.includes('<script>alert(1)</script>')));
});
