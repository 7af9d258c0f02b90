import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ValidationError } from '../errors.ts';
import { judgeTopologies, parseGpuQuery, parseNvlinkErrors, parseNvlinkStatus, parseTopoMatrix, sumNvlinkErrors, topoProfile, type TopoPin } from './index.ts';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const NV18 = parseTopoMatrix(fixture('h100-8gpu-nv18.topo.txt'));
/** nvlink -s of 8 H100s with 18 links each; `down` lists "gpu:link" inactive. */
const nvlinkS = (down: string[] = []) => parseNvlinkStatus(Array.from({ length: 8 }, (_, g) => [
  `GPU ${g}: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-4000-8000-00000000000${g})`,
  ...Array.from({ length: 18 }, (_, l) => `\t Link ${l}: ${down.includes(`${g}:${l}`) ? '<inactive>' : '26.562 GB/s'}`),
].join('\n')).join('\n'));
/** The NV18 matrix with GPU `g`'s pairs at NV`n`. */
const withPairs = (g: string, n: number) => ({ ...NV18, links: NV18.links.map((l) => (l.a === g || l.b === g ? { ...l, nvlinks: n } : l)) });

describe('expected topology', () => {
  it('of three identical nodes, the one with two NVLinks down on GPU 2 is reported against its peers', () => {
    const judged = judgeTopologies(new Map([
      ['a', topoProfile(NV18, undefined, nvlinkS())],
      ['b', topoProfile(withPairs('GPU2', 16), undefined, nvlinkS(['2:3', '2:7']))],
      ['c', topoProfile(NV18, undefined, nvlinkS())],
    ]), []);
    assert.deepEqual([judged.get('a')?.deviations, judged.get('c')?.deviations], [[], []]);
    const b = judged.get('b')!;
    assert.deepEqual([b.kind, b.source, b.peers], ['8 × NVIDIA H100 80GB HBM3', 'peers', 3]);
    assert.deepEqual(b.gpus.find((g) => g.gpu === 2), { gpu: 2, active: 16, expected: 18 });
    assert.equal(b.deviations[0]?.text, 'GPU 2 has 16 of 18 NVLinks active (most of its 2 peer(s) have 18)');
    const pairs = b.deviations.filter((d) => d.kind === 'pair');
    assert.equal(pairs.length, 7, 'each of GPU 2\'s seven pairs is NV16');
    assert.deepEqual(pairs[0], { kind: 'pair', a: 'GPU0', b: 'GPU2', actual: 'NV16', expected: 'NV18', text: 'GPU0-GPU2 is NV16; most of its 2 peer(s) have NV18' });
  });

  it('of two nodes the weaker is reported (a tie goes to the better value); a node alone of its kind is its own reference', () => {
    const judged = judgeTopologies(new Map([
      ['a', topoProfile(NV18, undefined, nvlinkS(['0:0']))],
      ['b', topoProfile(NV18, undefined, nvlinkS())],
      ['v100', topoProfile(parseTopoMatrix(fixture('dgx1-v100-hybrid-cube-mesh.topo.txt')), undefined, parseNvlinkStatus(fixture('v100-links-down.nvlink-s.txt')))],
    ]), []);
    assert.deepEqual(judged.get('a')?.deviations.map((d) => d.text), ['GPU 0 has 17 of 18 NVLinks active (most of its 1 peer(s) have 18)']);
    assert.deepEqual(judged.get('b')?.deviations, []);
    assert.deepEqual([judged.get('v100')?.source, judged.get('v100')?.deviations], ['alone', []]);
  });

  it('a pin is the reference of its kind even against the majority; a GPU on another PCIe path is a pair deviation', () => {
    const pcie = { ...NV18, links: NV18.links.map((l) => (l.a === 'GPU0' && l.b === 'GPU1' ? { a: 'GPU0', b: 'GPU1', type: 'SYS' as const } : l)) };
    const pin: TopoPin = { kind: '8 × NVIDIA H100 80GB HBM3', node: 'ref', pinnedAt: '2026-12-04T00:00:00Z', profile: topoProfile(NV18, undefined, nvlinkS()) };
    const judged = judgeTopologies(new Map([
      ['a', topoProfile(NV18, undefined, nvlinkS(['1:1']))],
      ['b', topoProfile(NV18, undefined, nvlinkS(['1:1']))],
      ['c', topoProfile(pcie, undefined, nvlinkS())],
    ]), [pin]);
    assert.deepEqual(judged.get('a')?.deviations.map((d) => d.text), ['GPU 1 has 17 of 18 NVLinks active (pinned from ref: 18)']);
    assert.equal(judged.get('a')?.pinnedFrom, 'ref');
    assert.deepEqual(judged.get('c')?.deviations.map((d) => d.text), ['GPU0-GPU1 is SYS; pinned from ref: NV18']);
  });

  it('the kind comes from --query-gpu when it was read, else from nvlink -s', () => {
    const identity = parseGpuQuery('0, GPU-4f6c2a1e-0000-4000-8000-000000000000, 00000000:18:00.0, NVIDIA H100 PCIe\n');
    assert.equal(topoProfile(parseTopoMatrix(fixture('h100-pcie-1gpu.topo.txt')), identity).kind, '1 × NVIDIA H100 PCIe');
    assert.equal(topoProfile(parseTopoMatrix(fixture('h100-pcie-1gpu.topo.txt'))).kind, '1 × GPU');
  });
});

describe('nvidia-smi nvlink -e and --query-gpu', () => {
  it('nvlink -e: every counter of every link, by its printed name; N/A is null', () => {
    const gpus = parseNvlinkErrors([
      'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-4f6c2a1e-0000-4000-8000-000000000000)',
      '\t Link 0: Replay Errors: 0', '\t Link 0: Recovery Errors: 2', '\t Link 0: CRC Errors: 5',
      '\t Link 1: Replay Errors: 1', '\t Link 1: Recovery Errors: 0', '\t Link 1: CRC Errors: N/A',
      'GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-4f6c2a1e-0000-4000-8000-000000000001)',
    ].join('\n'));
    assert.deepEqual(gpus[0]?.links[1], { link: 1, counters: { 'replay errors': 1, 'recovery errors': 0, 'crc errors': null } });
    assert.deepEqual([sumNvlinkErrors(gpus[0]!, 'crc'), sumNvlinkErrors(gpus[0]!, 'recovery'), gpus[1]?.links.length], [5, 2, 0]);
  });

  it('nvlink -e: a line that is not a counter is refused, quoting it', () => {
    assert.throws(() => parseNvlinkErrors('GPU 0: X\n\t Link 0: Replay Errors: lots'), (e: unknown) => e instanceof ValidationError && /line 2 .*"Link 0: Replay Errors: lots"/.test(e.message));
    assert.throws(() => parseNvlinkErrors('\t Link 0: CRC Errors: 1'), /before any "GPU N:" line/);
  });

  it('--query-gpu: index, UUID, PCI bus id and model; a header is skipped; a bad field names itself and its line', () => {
    assert.deepEqual(parseGpuQuery('index, uuid, pci.bus_id, name\n1, GPU-4f6c2a1e-0000-4000-8000-000000000001, 00000000:2A:00.0, NVIDIA H100 80GB HBM3\n'), [
      { index: 1, uuid: 'GPU-4f6c2a1e-0000-4000-8000-000000000001', pciBusId: '00000000:2A:00.0', model: 'NVIDIA H100 80GB HBM3' },
    ]);
    assert.throws(() => parseGpuQuery('0, GPU-4f6c2a1e-0000-4000-8000-000000000000, 18:00.0, H100'), /line 1 has PCI bus id "18:00.0"/);
    assert.throws(() => parseGpuQuery('0, GPU-4f6c2a1e-0000-4000-8000-000000000000'), /has 2 fields, not the 4/);
  });
});
