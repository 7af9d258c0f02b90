import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildFaultRequest, parseStartArgs, runCli } from './cli.ts';
import { startFleet } from './index.ts';
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
});
