import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  judgeTopologies,
  parseGpuQuery,
  parseNvlinkErrors,
  parseNvlinkStatus,
  parseTopoMatrix,
  sumNvlinkErrors,
  summarizeTopo,
  topoProfile,
  type TopoProfile,
} from '@aami/shared';
import { GPU_MODELS } from '../gpu-models.ts';
import { makeGpuIdentities } from '../gpu-identity.ts';
import { boardByKey, SMI_BOARDS, type SmiBoard } from './boards.ts';
import { checkDownLinks, INVALID_ARGUMENTS, parseDownLinks, renderSmi, SMI_FORMS, type SmiForm, type SmiOptions } from './render.ts';
import { SMI_FILES, smiScript, writeSmiFiles } from './script.ts';

const QUERY = ['--query-gpu=index,uuid,pci.bus_id,name', '--format=csv,noheader'];

/** Every output of one board, parsed by the shared parsers the topology collector uses. */
function parsed(board: SmiBoard, opts: SmiOptions) {
  const out = (args: string[]) => {
    const a = renderSmi(board, opts, args);
    assert.equal(a.code, 0, `nvidia-smi ${args.join(' ')} exits 0`);
    return a.stdout;
  };
  const matrix = parseTopoMatrix(out(['topo', '-m']));
  return {
    matrix,
    summary: summarizeTopo(matrix),
    nvlink: parseNvlinkStatus(out(['nvlink', '-s'])),
    errors: parseNvlinkErrors(out(['nvlink', '-e'])),
    identity: parseGpuQuery(out(QUERY)),
    list: out(['-L']),
  };
}

const pair = (m: ReturnType<typeof parseTopoMatrix>, a: string, b: string) => {
  const l = m.links.find((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a));
  assert.ok(l, `${a}-${b} is in the matrix`);
  return l.type === 'NV' ? `NV${l.nvlinks}` : l.type;
};

const gpuPairs = (m: ReturnType<typeof parseTopoMatrix>) => m.links.filter((l) => l.a.startsWith('GPU') && l.b.startsWith('GPU'));

describe('nvidia-smi on the simulated boards', () => {
  it('h100-nv18: 8 H100 on NVSwitch, every pair NV18, 18 links at 26.562 GB/s, 4 NICs on two NUMA nodes', () => {
    const p = parsed(SMI_BOARDS['h100-nv18'], { seed: 'gpu-node-01' });
    assert.deepEqual(p.summary, { gpus: 8, nics: 4, nvlinkPairs: 28, gpuPairs: 28, minNvlinks: 18, maxNvlinks: 18 });
    assert.deepEqual(p.matrix.nics, [0, 1, 2, 3].map((i) => ({ name: `NIC${i}`, device: `mlx5_${i}` })));
    assert.deepEqual(
      p.matrix.gpus.map((g) => [g.cpuAffinity, g.numaAffinity, g.gpuNumaId]),
      [...Array(4).fill(['0-55,112-167', '0', null]), ...Array(4).fill(['56-111,168-223', '1', null])],
    );
    // Each NIC is PIX to its own pair of GPUs, NODE to the rest of its NUMA node, SYS across.
    assert.deepEqual(['GPU0', 'GPU1', 'GPU2', 'GPU3', 'GPU4', 'GPU5', 'GPU6', 'GPU7'].map((g) => pair(p.matrix, g, 'NIC1')), ['NODE', 'NODE', 'PIX', 'PIX', 'SYS', 'SYS', 'SYS', 'SYS']);
    assert.deepEqual([pair(p.matrix, 'NIC0', 'NIC1'), pair(p.matrix, 'NIC1', 'NIC2'), pair(p.matrix, 'NIC2', 'NIC3')], ['NODE', 'SYS', 'NODE']);

    assert.equal(p.nvlink.length, 8);
    for (const g of p.nvlink) {
      assert.equal(g.model, 'NVIDIA H100 80GB HBM3');
      assert.deepEqual(g.links, Array.from({ length: 18 }, (_, link) => ({ link, gbps: 26.562 })));
    }
    assert.equal(p.errors.length, 8);
    for (const g of p.errors) {
      assert.equal(g.links.length, 18);
      assert.deepEqual(g.links[0]!.counters, { 'replay errors': 0, 'recovery errors': 0, 'crc errors': 0 });
      assert.equal(sumNvlinkErrors(g, 'error'), 0);
    }
    // UUIDs and PCI buses are the simulator's own for this node name (gpu-identity.ts, gpu-models.ts).
    const ids = makeGpuIdentities('gpu-node-01', 8, GPU_MODELS.H100);
    assert.deepEqual(
      p.identity,
      ids.map((id) => ({ index: id.index, uuid: id.uuid, pciBusId: id.pciBusId, model: 'NVIDIA H100 80GB HBM3' })),
    );
    assert.deepEqual(p.identity.map((g) => g.pciBusId), ['18', '2A', '3A', '5D', '9A', 'AB', 'BA', 'DB'].map((b) => `00000000:${b}:00.0`));
    assert.deepEqual(p.nvlink.map((g) => g.uuid), ids.map((id) => id.uuid));
    assert.equal(p.list, ids.map((id) => `GPU ${id.index}: NVIDIA H100 80GB HBM3 (UUID: ${id.uuid})\n`).join(''));
  });

  it('the seed decides the UUIDs: the same seed gives the same ones, another seed others', () => {
    const board = SMI_BOARDS['h100-nv18'];
    const uuids = (seed: string) => parseGpuQuery(renderSmi(board, { seed }, QUERY).stdout).map((g) => g.uuid);
    assert.deepEqual(uuids('gpu-node-07'), uuids('gpu-node-07'));
    assert.notDeepEqual(uuids('gpu-node-07'), uuids('gpu-node-08'));
    assert.equal(new Set(uuids('gpu-node-07')).size, 8);
  });

  it('a100-nv12: 8 A100 on NVSwitch, every pair NV12, 12 links at 25 GB/s', () => {
    const p = parsed(SMI_BOARDS['a100-nv12'], { seed: 'a100-node' });
    assert.deepEqual(p.summary, { gpus: 8, nics: 4, nvlinkPairs: 28, gpuPairs: 28, minNvlinks: 12, maxNvlinks: 12 });
    for (const g of p.nvlink) assert.deepEqual(g.links, Array.from({ length: 12 }, (_, link) => ({ link, gbps: 25 })));
    assert.deepEqual(p.errors.map((g) => g.links.length), Array(8).fill(12));
    assert.deepEqual(new Set(p.identity.map((g) => g.model)), new Set(['NVIDIA A100-SXM4-80GB']));
    assert.deepEqual(p.identity.map((g) => g.pciBusId), ['07', '0F', '47', '4E', '87', '90', 'B7', 'BD'].map((b) => `00000000:${b}:00.0`));
  });

  it('pcie: 8 H100 PCIe, no NVLink; PIX within a switch pair, NODE within a NUMA node, SYS across', () => {
    const board = SMI_BOARDS.pcie;
    const p = parsed(board, { seed: 'pcie-node' });
    assert.deepEqual(p.summary, { gpus: 8, nics: 4, nvlinkPairs: 0, gpuPairs: 28, minNvlinks: null, maxNvlinks: null });
    assert.deepEqual([pair(p.matrix, 'GPU0', 'GPU1'), pair(p.matrix, 'GPU0', 'GPU2'), pair(p.matrix, 'GPU0', 'GPU4'), pair(p.matrix, 'GPU6', 'GPU7')], ['PIX', 'NODE', 'SYS', 'PIX']);
    assert.equal(gpuPairs(p.matrix).filter((l) => l.type === 'PIX').length, 4);
    // Every GPU is listed and has no link lines: NVML's "all links are inActive" sentence in -s, nothing in -e.
    assert.deepEqual(p.nvlink.map((g) => [g.index, g.model, g.links.length]), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, 'NVIDIA H100 PCIe', 0]));
    assert.match(renderSmi(board, { seed: 'pcie-node' }, ['nvlink', '-s']).stdout, /^\t NVML: Unable to retrieve NVLink information as all links are inActive$/m);
    assert.deepEqual(p.errors.map((g) => g.links.length), Array(8).fill(0));
    assert.doesNotMatch(renderSmi(board, { seed: 'pcie-node' }, ['nvlink', '-e']).stdout, /Link/);
    assert.equal(p.identity.length, 8);
    assert.equal(new Set(p.identity.map((g) => g.pciBusId)).size, 8);
  });

  it('links 3 and 7 of GPU 2 down: <inactive> in -s, counters in -e, GPU 2 pairs NV16 and the rest NV18', () => {
    const board = SMI_BOARDS['h100-nv18'];
    const p = parsed(board, { seed: 'gpu-node-03', downLinks: [{ gpu: 2, link: 3 }, { gpu: 2, link: 7 }] });
    const inactive = p.nvlink.flatMap((g) => g.links.filter((l) => l.gbps === null).map((l) => `${g.index}:${l.link}`));
    assert.deepEqual(inactive, ['2:3', '2:7']);
    assert.deepEqual(p.nvlink.map((g) => g.links.filter((l) => l.gbps !== null).length), [18, 18, 16, 18, 18, 18, 18, 18]);
    for (const l of gpuPairs(p.matrix)) {
      assert.equal(l.nvlinks, l.a === 'GPU2' || l.b === 'GPU2' ? 16 : 18, `${l.a}-${l.b}`);
    }
    assert.deepEqual([p.summary.minNvlinks, p.summary.maxNvlinks, p.summary.nvlinkPairs], [16, 18, 28]);
    const gpu2 = p.errors.find((g) => g.index === 2)!;
    assert.deepEqual(gpu2.links.find((l) => l.link === 3)!.counters, { 'replay errors': 24, 'recovery errors': 3, 'crc errors': 5 });
    assert.deepEqual(gpu2.links.find((l) => l.link === 4)!.counters, { 'replay errors': 0, 'recovery errors': 0, 'crc errors': 0 });
    assert.deepEqual(p.errors.map((g) => sumNvlinkErrors(g, 'replay')), [0, 0, 48, 0, 0, 0, 0, 0]);
  });

  it('a down link can carry its own counters; two degraded GPUs meet at the smaller count; a GPU with no link left goes over PCIe', () => {
    const board = SMI_BOARDS['h100-nv18'];
    const own = renderSmi(board, { seed: 'n', downLinks: [{ gpu: 0, link: 1, errors: { replay: 2, recovery: 1, crc: 900 } }] }, ['nvlink', '-e']).stdout;
    assert.deepEqual(parseNvlinkErrors(own)[0]!.links[1]!.counters, { 'replay errors': 2, 'recovery errors': 1, 'crc errors': 900 });

    const downLinks = [
      ...[0, 1].map((link) => ({ gpu: 2, link })),
      ...[0, 1, 2, 3, 4].map((link) => ({ gpu: 5, link })),
      ...Array.from({ length: 18 }, (_, link) => ({ gpu: 1, link })),
    ];
    const m = parseTopoMatrix(renderSmi(board, { seed: 'n', downLinks }, ['topo', '-m']).stdout);
    assert.deepEqual([pair(m, 'GPU2', 'GPU5'), pair(m, 'GPU2', 'GPU3'), pair(m, 'GPU5', 'GPU7'), pair(m, 'GPU0', 'GPU3')], ['NV13', 'NV16', 'NV13', 'NV18']);
    assert.deepEqual([pair(m, 'GPU0', 'GPU1'), pair(m, 'GPU1', 'GPU2'), pair(m, 'GPU1', 'GPU4')], ['PIX', 'NODE', 'SYS']);
    const status = parseNvlinkStatus(renderSmi(board, { seed: 'n', downLinks }, ['nvlink', '-s']).stdout);
    assert.deepEqual(status.map((g) => g.links.filter((l) => l.gbps !== null).length), [18, 0, 16, 18, 18, 13, 18, 18]);
  });

  it('judged against two healthy peers, GPU 2 has 16 of 18 links and its seven pairs are NV16', () => {
    const board = SMI_BOARDS['h100-nv18'];
    const profile = (seed: string, downLinks: SmiOptions['downLinks'] = []): TopoProfile => {
      const p = parsed(board, { seed, downLinks });
      return topoProfile(p.matrix, p.identity, p.nvlink);
    };
    const nodes = new Map([
      ['gpu-node-01', profile('gpu-node-01')],
      ['gpu-node-02', profile('gpu-node-02')],
      ['gpu-node-03', profile('gpu-node-03', [{ gpu: 2, link: 3 }, { gpu: 2, link: 7 }])],
    ]);
    const judged = judgeTopologies(nodes, []);
    const bad = judged.get('gpu-node-03')!;
    assert.equal(bad.kind, '8 × NVIDIA H100 80GB HBM3');
    assert.deepEqual([bad.source, bad.peers], ['peers', 3]);
    assert.deepEqual(bad.gpus.find((g) => g.gpu === 2), { gpu: 2, active: 16, expected: 18 });
    const links = bad.deviations.filter((d) => d.kind === 'links');
    assert.deepEqual(links.map((d) => [d.gpu, d.actual, d.expected]), [[2, '16', '18']]);
    assert.match(links[0]!.text, /^GPU 2 has 16 of 18 NVLinks active/);
    const pairs = bad.deviations.filter((d) => d.kind === 'pair');
    assert.equal(pairs.length, 7);
    for (const d of pairs) {
      assert.ok(d.a === 'GPU2' || d.b === 'GPU2', `${d.a}-${d.b}`);
      assert.deepEqual([d.actual, d.expected], ['NV16', 'NV18']);
    }
    assert.deepEqual(judged.get('gpu-node-01')!.deviations, []);
    assert.deepEqual(judged.get('gpu-node-02')!.deviations, []);
  });

  it('refuses links that are not on the board, and anything down on pcie', () => {
    assert.throws(() => checkDownLinks(SMI_BOARDS.pcie, [{ gpu: 0, link: 0 }]), /the pcie board has no NVLink/);
    assert.throws(() => renderSmi(SMI_BOARDS.pcie, { seed: 'n', downLinks: [{ gpu: 0, link: 0 }] }, ['-L']), /no NVLink/);
    assert.throws(() => parseDownLinks('8:0', SMI_BOARDS['h100-nv18']), /GPU 8 is not on the h100-nv18 board \(GPUs 0\.\.7\)/);
    assert.throws(() => parseDownLinks('2:12', SMI_BOARDS['a100-nv12']), /GPU 2 has links 0\.\.11, not 12/);
    assert.throws(() => parseDownLinks('2:3,x', SMI_BOARDS['h100-nv18']), /"x" is not GPU:LINK/);
    assert.throws(() => parseDownLinks('', SMI_BOARDS['h100-nv18']), /"" is not GPU:LINK/);
    assert.throws(() => checkDownLinks(SMI_BOARDS['h100-nv18'], [{ gpu: 0, link: 0, errors: { replay: -1, recovery: 0, crc: 0 } }]), /replay errors must be a whole number/);
    assert.deepEqual(parseDownLinks(' 2:3, 2:7,2:3', SMI_BOARDS['h100-nv18']), [{ gpu: 2, link: 3 }, { gpu: 2, link: 7 }]);
    assert.equal(boardByKey(' H100-NV18 ').key, 'h100-nv18');
    assert.throws(() => boardByKey('dgx'), /unknown board "dgx"; the boards are h100-nv18, a100-nv12, pcie/);
  });

  it('answers argument forms it does not know like nvidia-smi: the invalid-combination line and exit 2', () => {
    const board = SMI_BOARDS['h100-nv18'];
    for (const args of [[], ['topo'], ['topo', '-m', '-i', '0'], ['nvlink', '-c'], ['--query-gpu=index,name', '--format=csv,noheader'], ['-L', 'x']]) {
      assert.deepEqual(renderSmi(board, { seed: 'n' }, args), { stdout: INVALID_ARGUMENTS, code: 2 }, args.join(' '));
    }
    assert.equal(INVALID_ARGUMENTS, "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n");
    // The long spellings answer like the short ones.
    assert.equal(renderSmi(board, { seed: 'n' }, ['nvlink', '--status']).stdout, renderSmi(board, { seed: 'n' }, ['nvlink', '-s']).stdout);
  });
});

describe('nvidia-smi script', () => {
  const root = mkdtempSync(join(tmpdir(), 'gpu-sim-smi-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  const healthy: SmiOptions = { seed: 'gpu-node-01' };
  const degraded: SmiOptions = { seed: 'gpu-node-02', downLinks: [{ gpu: 2, link: 3 }, { gpu: 2, link: 7 }] };
  const h100 = SMI_BOARDS['h100-nv18'];

  /** Runs the script with /bin/sh, as sshd would on a Debian node. */
  const run = (script: string, args: string[], sshConnection?: string) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    if (sshConnection !== undefined) env.SSH_CONNECTION = sshConnection;
    const r = spawnSync('/bin/sh', [script, ...args], { env, cwd: root, encoding: 'utf8' });
    return { stdout: r.stdout, stderr: r.stderr, code: r.status };
  };

  it('writes one file per answered form, each what nvidia-smi would print', () => {
    const dir = join(root, 'files');
    const written = writeSmiFiles(dir, h100, degraded);
    assert.deepEqual(readdirSync(dir).sort(), ['L.txt', 'nvlink-e.txt', 'nvlink-s.txt', 'query-gpu.csv', 'topo-m.txt']);
    assert.equal(written.length, 5);
    for (const [form, file] of Object.entries(SMI_FILES) as Array<[SmiForm, string]>) {
      assert.equal(readFileSync(join(dir, file), 'utf8'), renderSmi(h100, degraded, SMI_FORMS[form][0]!).stdout, file);
    }
  });

  it('answers from ROOT/<server address> when that folder exists, else from ROOT', () => {
    // A root with a space and shell syntax in it: the script must take it as plain text.
    const base = join(root, 'smi $(touch pwned) `x` "q"');
    writeSmiFiles(base, h100, healthy);
    writeSmiFiles(join(base, '10.0.0.9'), h100, degraded);
    writeSmiFiles(join(base, 'fd00::9'), SMI_BOARDS.pcie, { seed: 'v6' });
    const script = join(root, 'nvidia-smi');
    writeFileSync(script, smiScript(base));

    for (const [form, spellings] of Object.entries(SMI_FORMS) as Array<[SmiForm, ReadonlyArray<readonly string[]>]>) {
      for (const args of spellings) {
        const here = run(script, [...args], '10.0.0.5 50022 10.0.0.9 22');
        assert.deepEqual([here.code, here.stdout], [0, renderSmi(h100, degraded, args).stdout], `${form}: ${args.join(' ')} on 10.0.0.9`);
        const other = run(script, [...args], '10.0.0.5 50022 10.0.0.8 22');
        assert.deepEqual([other.code, other.stdout], [0, renderSmi(h100, healthy, args).stdout], `${form}: ${args.join(' ')} on 10.0.0.8`);
      }
    }
    assert.equal(run(script, ['nvlink', '-s'], 'fd00::1 50022 fd00::9 22').stdout, renderSmi(SMI_BOARDS.pcie, { seed: 'v6' }, ['nvlink', '-s']).stdout);
    const local = run(script, ['topo', '-m']);
    assert.deepEqual([local.code, local.stdout], [0, renderSmi(h100, healthy, ['topo', '-m']).stdout]);
    // A server field that is not an address never becomes a path.
    mkdirSync(join(root, 'outside'), { recursive: true });
    writeFileSync(join(root, 'outside', 'topo-m.txt'), 'escaped\n');
    assert.equal(run(script, ['topo', '-m'], '10.0.0.5 50022 ../outside 22').stdout, renderSmi(h100, healthy, ['topo', '-m']).stdout);
    assert.equal(run(script, ['topo', '-m'], '10.0.0.5 50022').stdout, renderSmi(h100, healthy, ['topo', '-m']).stdout);
    assert.deepEqual(readdirSync(root).filter((f) => f === 'pwned'), []);
  });

  it('answers other arguments like nvidia-smi, with exit 2', () => {
    const base = join(root, 'plain');
    writeSmiFiles(base, h100, healthy);
    const script = join(root, 'nvidia-smi-plain');
    writeFileSync(script, smiScript(base));
    for (const args of [[], ['topo'], ['topo', '-m', 'extra'], ['nvlink', '-c'], ['--query-gpu=index,uuid,pci.bus_id,name'], ['*'], ['-L', '']]) {
      const r = run(script, args, '10.0.0.5 50022 10.0.0.9 22');
      assert.deepEqual([r.code, r.stdout], [2, INVALID_ARGUMENTS], JSON.stringify(args));
    }
  });

  it('fails, not answers, when a file is missing', () => {
    const base = join(root, 'empty');
    mkdirSync(base, { recursive: true });
    const script = join(root, 'nvidia-smi-empty');
    writeFileSync(script, smiScript(base));
    const r = run(script, ['topo', '-m']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /topo-m\.txt/);
  });

  it('refuses a root it cannot embed safely', () => {
    assert.throws(() => smiScript("/srv/it's"), /single quote/);
    assert.throws(() => smiScript('/srv/a\nrm -rf /'), /newline/);
    assert.throws(() => smiScript('/srv/a\rb'), /control character/);
    assert.throws(() => smiScript('srv/smi'), /not an absolute path/);
    assert.throws(() => smiScript(''), /empty/);
    assert.match(smiScript('/srv/smi'), /^#!\/bin\/sh\n/);
  });
});
