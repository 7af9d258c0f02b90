import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ValidationError } from '../errors.ts';
import { parseNvlinkStatus, parseTopoMatrix, summarizeTopo, type TopoMatrix } from './index.ts';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const link = (m: TopoMatrix, a: string, b: string) => m.links.find((l) => (l.a === a && l.b === b) || (l.a === b && l.b === a));
const refused = (text: string, pattern: RegExp) => assert.throws(() => parseTopoMatrix(text), (err: unknown) => err instanceof ValidationError && pattern.test(err.message));

describe('nvidia-smi topo -m', () => {
  it('a PCIe H100 captured on a real node (terminal escapes in the header): one GPU, no NVLink', () => {
    const m = parseTopoMatrix(fixture('h100-pcie-1gpu.topo.txt'));
    assert.deepEqual(m.gpus, [{ name: 'GPU0', index: 0, cpuAffinity: '0-15', numaAffinity: '0', gpuNumaId: null }]);
    assert.deepEqual(m.links, []);
    assert.deepEqual(summarizeTopo(m), { gpus: 1, nics: 0, nvlinkPairs: 0, gpuPairs: 0, minNvlinks: null, maxNvlinks: null });
  });

  it('8x H100 NV18, space-separated: 28 NVLink pairs, every one NV18, affinity per NUMA node', () => {
    const m = parseTopoMatrix(fixture('h100-8gpu-nv18.topo.txt'));
    assert.equal(m.gpus.length, 8);
    assert.deepEqual(link(m, 'GPU0', 'GPU1'), { a: 'GPU0', b: 'GPU1', type: 'NV', nvlinks: 18 });
    assert.deepEqual(summarizeTopo(m), { gpus: 8, nics: 0, nvlinkPairs: 28, gpuPairs: 28, minNvlinks: 18, maxNvlinks: 18 });
    assert.deepEqual([m.gpus[3]?.cpuAffinity, m.gpus[3]?.numaAffinity, m.gpus[4]?.cpuAffinity, m.gpus[4]?.numaAffinity], ['0-55,112-167', '0', '56-111,168-223', '1']);
  });

  it('a DGX-1 hybrid cube mesh, tab-separated with NIC rows: NV1 and NV2 mixed, NICs named by the legend', () => {
    const m = parseTopoMatrix(fixture('dgx1-v100-hybrid-cube-mesh.topo.txt'));
    const s = summarizeTopo(m);
    assert.deepEqual([s.gpus, s.nics, s.nvlinkPairs, s.gpuPairs, s.minNvlinks, s.maxNvlinks], [8, 4, 16, 28, 1, 2]);
    assert.deepEqual(link(m, 'GPU0', 'GPU3'), { a: 'GPU0', b: 'GPU3', type: 'NV', nvlinks: 2 });
    assert.equal(link(m, 'GPU0', 'GPU5')?.type, 'SYS');
    assert.equal(link(m, 'GPU2', 'NIC1')?.type, 'PIX');
    assert.deepEqual(m.nics.map((n) => `${n.name}=${n.device}`), ['NIC0=mlx5_0', 'NIC1=mlx5_1', 'NIC2=mlx5_2', 'NIC3=mlx5_3']);
    // Six NVLinks per V100, as the board has: the counts add up per GPU.
    for (const g of m.gpus) {
      const total = m.links.filter((l) => (l.a === g.name || l.b === g.name) && l.type === 'NV').reduce((n, l) => n + (l.nvlinks ?? 0), 0);
      assert.equal(total, 6, `${g.name} has ${total} NVLinks`);
    }
  });

  it('an older driver: CPU Affinity only, SOC read as SYS, a NIC column (mlx4_0) without a row', () => {
    const m = parseTopoMatrix(fixture('old-driver-4gpu-mlx4.topo.txt'));
    assert.deepEqual(m.gpus.map((g) => [g.name, g.cpuAffinity, g.numaAffinity]), [['GPU0', '0-9,20-29', null], ['GPU1', '0-9,20-29', null], ['GPU2', '10-19,30-39', null], ['GPU3', '10-19,30-39', null]]);
    assert.equal(link(m, 'GPU0', 'GPU2')?.type, 'SYS');
    assert.equal(link(m, 'GPU1', 'mlx4_0')?.type, 'PHB');
    assert.deepEqual(m.nics, [{ name: 'mlx4_0', device: 'mlx4_0' }]);
    assert.equal(summarizeTopo(m).nvlinkPairs, 0);
  });

  it('what it cannot read is refused, quoting the line', () => {
    const h100 = fixture('h100-8gpu-nv18.topo.txt');
    refused('Failed to initialize NVML: Driver/library version mismatch\n', /no topo -m matrix found/);
    refused('\tGPU0\tGPU1\tCPU Affinity\nnonsense\t X \tNV4\t0-7\n', /a matrix row starts with "nonsense", which is not in the header \(line 2/);
    refused(h100.replace('GPU1    NV18     X      NV18', 'GPU1    NV12     X      NV18'), /not symmetric: GPU0-GPU1 is NV18 but GPU1-GPU0 is NV12.*line 6: "GPU1 /);
    refused(h100.replace('GPU2    NV18    NV18     X ', 'GPU2    NV18    NV18    FOO '), /"FOO" is not a topo -m connection.*line 7: "GPU2/);
    refused(h100.replace(/^GPU7 .*$/m, ''), /GPU7 is in the header but has no row/);
    refused(h100.replace('GPU3    NV18    NV18    NV18     X ', 'GPU3    NV18    NV18    NV18'), /GPU3 against itself must be X, not NV18 \(line 8/);
    refused('\tGPU0\tGPU1\nGPU0\t X \nGPU1\tNV4\t X \n', /GPU0 has 1 connection\(s\); the header names 2 device\(s\) \(line 2/);
    refused('x'.repeat(1_000_001), /at most 1000000 are read/);
  });

  it('hostile input does not stall it: a 1 MB line of spaces and tabs is refused quickly', () => {
    const started = performance.now();
    refused(`        GPU0    CPU Affinity\nGPU0 ${' \t'.repeat(400_000)}Y`, /not a topo -m connection/);
    assert.ok(performance.now() - started < 1000, `${(performance.now() - started).toFixed(0)} ms`);
  });
});

describe('nvidia-smi nvlink -s', () => {
  it('an H100 with all 18 links up at 26.562 GB/s', () => {
    const gpus = parseNvlinkStatus(fixture('h100-2gpu.nvlink-s.txt'));
    assert.deepEqual(gpus.map((g) => [g.index, g.model, g.links.length]), [[0, 'NVIDIA H100 80GB HBM3', 18], [1, 'NVIDIA H100 80GB HBM3', 18]]);
    assert.ok(gpus.every((g) => g.links.every((l) => l.gbps === 26.562)));
    assert.match(gpus[0]?.uuid ?? '', /^GPU-4f6c2a1e-/);
  });

  it('a V100 with links 3 and 5 inactive', () => {
    const [gpu] = parseNvlinkStatus(fixture('v100-links-down.nvlink-s.txt'));
    assert.deepEqual(gpu?.links.filter((l) => l.gbps === null).map((l) => l.link), [3, 5]);
    assert.equal(gpu?.links.filter((l) => l.gbps !== null).length, 4);
  });

  it('a board without NVLink prints nothing (the captured H100 PCIe) and parses to no GPUs; a bad link line is quoted', () => {
    assert.deepEqual(parseNvlinkStatus(''), []);
    assert.throws(() => parseNvlinkStatus('GPU 0: Tesla V100 (UUID: GPU-1)\n Link 0: fast'), /line 2 is not "Link N: <speed> GB\/s".*"Link 0: fast"/);
    assert.throws(() => parseNvlinkStatus('Link 0: 25.781 GB/s'), /comes before any "GPU N:" line/);
  });
});
