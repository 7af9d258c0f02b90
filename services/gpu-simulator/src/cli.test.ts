import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseGpuQuery, parseNvlinkStatus } from '@aami/shared';
import { buildFaultRequest, parseSmiArgs, parseStartArgs, runCli } from './cli.ts';
import { startFleet } from './index.ts';
import { makeGpuIdentities } from './gpu-identity.ts';
import { GPU_MODELS } from './gpu-models.ts';
import { INVALID_ARGUMENTS } from './nvidia-smi/render.ts';
import { FleetOptions } from './options.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

describe('CLI', () => {
  it('start flags override the AAMI_SIM_* environment, which overrides defaults', () => {
    const env = { AAMI_SIM_NODES: '10', AAMI_SIM_MODEL: 'a100', AAMI_SIM_BASE_PORT: '20000', AAMI_BIND: '0.0.0.0' };
    const o = FleetOptions.parse(parseStartArgs(['--nodes', '4', '--gpus', '2', '--log-dir', '/tmp/x', '--node-prefix', 'n-'], env));
    assert.deepEqual(
      [o.nodes, o.gpus, o.model, o.basePort, o.bind, o.controlBind, o.logDir, o.nodePrefix, o.controlPort, o.counters],
      [4, 2, 'A100', 20000, '0.0.0.0', '0.0.0.0', '/tmp/x', 'n-', 9500, 'aami'],
    );
    assert.throws(() => parseStartArgs(['--bogus', '1'], {}), /bogus/);
  });

  it('inject flags become a validated fault request', () => {
    assert.deepEqual(buildFaultRequest('xid', { gpu: '3', xid: '79' }), { type: 'xid', gpu: 3, xid: 79 });
    assert.deepEqual(buildFaultRequest('temperature', { target: '95', duration: '10' }), { type: 'temperature', gpu: 0, targetC: 95, durationS: 10 });
    assert.deepEqual(buildFaultRequest('throttle', { reasons: 'hw_slowdown, power_brake' }).type, 'throttle');
    assert.throws(() => buildFaultRequest('xid', { gpu: '1' }), /bad fault: xid/);
    assert.throws(() => buildFaultRequest('nope', {}), /bad fault/);
    assert.deepEqual(buildFaultRequest('retired-pages', { gpu: '2', sbe: '3', dbe: '0', pending: 'no' }), { type: 'retired-pages', gpu: 2, sbe: 3, dbe: 0, pending: false });
    assert.deepEqual(buildFaultRequest('row-remap-pending', { rows: '4' }), { type: 'row-remap-pending', gpu: 0, rows: 4 });
    assert.deepEqual(buildFaultRequest('pcie-replay', { gpu: '1', 'per-minute': '50' }), { type: 'pcie-replay', gpu: 1, perMinute: 50 });
    assert.deepEqual(buildFaultRequest('nvlink', { duration: '20' }), { type: 'nvlink', gpu: 0, link: 3, errorsPerS: 40, durationS: 20 });
    assert.deepEqual(buildFaultRequest('reboot', {}), { type: 'reboot' });
    assert.throws(() => buildFaultRequest('retired-pages', { pending: 'maybe' }), /bad fault: pending: /);
    assert.throws(() => buildFaultRequest('pcie-replay', { 'per-minute': '-1' }), /bad fault: perMinute: /);
  });

  it('inject, list and clear talk to a running fleet', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'gpu-sim-cli-'));
    const sim = await startFleet({ nodes: 2, gpus: 2, basePort: 0, controlPort: 0, logDir });
    try {
      const env = { AAMI_SIM_CONTROL_URL: sim.controlUrl };
      let c = capture();
      assert.equal(await runCli(['inject', 'gpu-node-02', 'fall-off-bus', '--gpu', '1'], env, c.io), 0);
      assert.match(c.out.join(''), /gpu-node-02: fall-off-bus injected\n {2}\[\s*\d+\.\d{6}\] NVRM: Xid \(PCI:0000:2a:00\): 79, /);
      c = capture();
      assert.equal(await runCli(['list'], env, c.io), 0);
      assert.match(c.out.join(''), /^gpu-node-02\tup\t1\/2 GPUs\t\S+\tfall-off-bus@gpu1$/m);
      c = capture();
      assert.equal(await runCli(['clear', 'gpu-node-02'], env, c.io), 0);
      assert.equal(c.out.join(''), 'gpu-node-02: cleared 1 fault(s)\n');
      c = capture();
      assert.equal(await runCli(['inject', 'gpu-node-09', 'node-down'], env, c.io), 1);
      assert.match(c.err.join(''), /^404: no simulated node called gpu-node-09/);
      c = capture();
      assert.equal(await runCli(['inject', 'gpu-node-01', 'xid', '--gpu', '7', '--xid', '13'], env, c.io), 1);
      assert.match(c.err.join(''), /^400: node gpu-node-01 has GPUs 0\.\.1, not 7\n {2}gpu: no such GPU/);
    } finally {
      await sim.stop();
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  it('prints usage without a command', async () => {
    const c = capture();
    assert.equal(await runCli([], {}, c.io), 2);
    assert.match(c.out.join(''), /fault types:\n {2}temperature/);
    assert.match(c.out.join(''), /^ {2}row-remap-pending {2}rows \(default 1\)/m);
    assert.match(c.out.join(''), /^ {2}reboot {13}the node reboots/m);
  });

  it('smi prints what nvidia-smi would for the arguments after --, with its exit code', async () => {
    let c = capture();
    assert.equal(await runCli(['smi', '--board', 'h100-nv18', '--seed', 'gpu-node-05', '--down', '2:3,2:7', '--', 'nvlink', '-s'], {}, c.io), 0);
    const gpus = parseNvlinkStatus(c.out.join(''));
    assert.deepEqual(gpus.flatMap((g) => g.links.filter((l) => l.gbps === null).map((l) => `${g.index}:${l.link}`)), ['2:3', '2:7']);
    assert.deepEqual(gpus.map((g) => g.uuid), makeGpuIdentities('gpu-node-05', 8, GPU_MODELS.H100).map((g) => g.uuid));
    c = capture();
    assert.equal(await runCli(['smi', '--board', 'a100-nv12', '--', '-L'], {}, c.io), 0);
    assert.equal(c.out.join('').split('\n').filter(Boolean).length, 8);
    assert.match(c.out.join(''), /^GPU 0: NVIDIA A100-SXM4-80GB \(UUID: GPU-/);
    // Without --seed the UUIDs are those of the fleet's first node.
    assert.deepEqual(parseSmiArgs(['--board', 'pcie', '--', 'topo', '-m']).opts, { seed: 'gpu-node-01', downLinks: [] });
    c = capture();
    assert.equal(await runCli(['smi', '--board', 'pcie', '--', 'topo', '-m', '-x'], {}, c.io), 2);
    assert.equal(c.out.join(''), INVALID_ARGUMENTS);
  });

  it('smi flags that are wrong are refused by name', async () => {
    const refused = async (argv: string[]) => {
      const c = capture();
      assert.equal(await runCli(argv, {}, c.io), 1, argv.join(' '));
      assert.deepEqual(c.out, []);
      return c.err.join('');
    };
    assert.match(await refused(['smi', '--board', 'pcie', '--down', '0:1', '--', '-L']), /^--down: the pcie board has no NVLink/);
    assert.match(await refused(['smi', '--board', 'h100-nv18', '--down', '2-3', '--', '-L']), /^--down: "2-3" is not GPU:LINK/);
    assert.match(await refused(['smi', '--board', 'h100-nv18', '--down', '2:18', '--', '-L']), /^--down: GPU 2 has links 0\.\.17, not 18/);
    assert.match(await refused(['smi', '--board', 'nope', '--', '-L']), /^--board: unknown board "nope"; the boards are h100-nv18, a100-nv12, pcie/);
    assert.match(await refused(['smi', '--board', 'h100-nv18', '--seed', ' ', '--', '-L']), /^--seed: /);
    assert.match(await refused(['smi', '--board', 'h100-nv18', '--bogus', 'x', '--', '-L']), /--bogus/);
    assert.match(await refused(['smi', '--', '-L']), /^smi needs --board/);
    assert.match(await refused(['smi', '--board', 'h100-nv18', 'topo', '-m']), /^smi needs -- before the nvidia-smi arguments/);
    assert.match(await refused(['smi-files', '--board', 'h100-nv18']), /^smi-files needs --out DIR/);
    assert.match(await refused(['smi-script', '--out', '/tmp/x']), /^smi-script needs --root/);
    assert.match(await refused(['smi-script', '--root', "/srv/it's", '--out', '/tmp/x']), /^--root: .*single quote/);
  });

  it('smi-files writes the answers of one node, smi-script an executable nvidia-smi that serves them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpu-sim-cli-smi-'));
    try {
      let c = capture();
      assert.equal(await runCli(['smi-files', '--board', 'h100-nv18', '--seed', 'gpu-node-04', '--down', '1:0', '--out', join(dir, 'files')], {}, c.io), 0);
      assert.deepEqual(readdirSync(join(dir, 'files')).sort(), ['L.txt', 'nvlink-e.txt', 'nvlink-s.txt', 'query-gpu.csv', 'topo-m.txt']);
      assert.match(c.out.join(''), /^h100-nv18 \(seed gpu-node-04, down 1:0\): wrote 5 files to /);
      const ids = parseGpuQuery(readFileSync(join(dir, 'files', 'query-gpu.csv'), 'utf8'));
      assert.deepEqual(ids.map((g) => g.uuid), makeGpuIdentities('gpu-node-04', 8, GPU_MODELS.H100).map((g) => g.uuid));
      assert.match(readFileSync(join(dir, 'files', 'nvlink-s.txt'), 'utf8'), /^GPU 1: .*\n\t Link 0: <inactive>\n/m);

      const script = join(dir, 'nvidia-smi');
      writeFileSync(script, 'old', { mode: 0o644 }); // an existing file ends up executable too
      c = capture();
      assert.equal(await runCli(['smi-script', '--root', join(dir, 'files'), '--out', script], {}, c.io), 0);
      assert.equal(statSync(script).mode & 0o777, 0o755);
      assert.match(readFileSync(script, 'utf8'), /^#!\/bin\/sh\n/);
      assert.match(c.out.join(''), /^wrote .*nvidia-smi: nvidia-smi answering from /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
