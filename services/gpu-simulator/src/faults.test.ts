import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ValidationError } from '@aami/shared';
import { FaultRequest, throttleMask } from './faults.ts';
import { kernelPciFromBusId } from './gpu-identity.ts';
import { label, scrape, testNode, valueOf } from './test-support.ts';

const XID_LINE = /^\[\s*\d+\.\d{6}\] NVRM: Xid \(PCI:([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2})\): (\d+), (.*)$/;

function logLines(path: string | undefined): string[] {
  return readFileSync(path ?? '', 'utf8').trimEnd().split('\n');
}

describe('fault requests', () => {
  it('fill defaults and refuse nonsense', () => {
    assert.deepEqual(FaultRequest.parse({ type: 'temperature' }), { type: 'temperature', gpu: 0, targetC: 92, durationS: 60 });
    assert.deepEqual(FaultRequest.parse({ type: 'throttle', gpu: 2, reasons: ['power_brake', 'SW-POWER-CAP'] }).type, 'throttle');
    assert.equal(FaultRequest.safeParse({ type: 'xid', gpu: 0 }).success, false, 'xid needs a code');
    assert.equal(FaultRequest.safeParse({ type: 'nvlink', xid: 13 }).success, false, '13 is no NVLink Xid');
    assert.equal(FaultRequest.safeParse({ type: 'melt' }).success, false);
    assert.equal(throttleMask(['hw_slowdown', 'hw_thermal', 'hw_power_brake', 'sw_power_cap']), 0x8 | 0x40 | 0x80 | 0x4);
  });
});

describe('fault effects', () => {
  it('temperature: ramps to the target over the duration, then thermal throttle bits and violation time follow', () => {
    const { node, clock, cleanup } = testNode({ gpus: 2 });
    try {
      const start = valueOf(scrape(node), 'DCGM_FI_DEV_GPU_TEMP', 1);
      node.inject({ type: 'temperature', gpu: 1, targetC: 92, durationS: 60 });
      clock.advance(30_000);
      const mid = valueOf(scrape(node), 'DCGM_FI_DEV_GPU_TEMP', 1);
      assert.ok(Math.abs(mid - (start + 92) / 2) <= 1.5, `halfway ${mid} between ${start} and 92`);
      clock.advance(30_000);
      const f = scrape(node);
      assert.equal(valueOf(f, 'DCGM_FI_DEV_GPU_TEMP', 1), 92);
      assert.ok(valueOf(f, 'DCGM_FI_DEV_MEMORY_TEMP', 1) > 80);
      assert.ok((valueOf(f, 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', 1) & 0x40) !== 0, 'HW thermal slowdown at 92 C');
      assert.ok(valueOf(f, 'DCGM_FI_DEV_GPU_TEMP', 0) < 80, 'the other GPU is untouched');
      const viol = valueOf(f, 'DCGM_FI_DEV_THERMAL_VIOLATION', 1);
      clock.advance(10_000);
      assert.ok(valueOf(scrape(node), 'DCGM_FI_DEV_THERMAL_VIOLATION', 1) >= viol + 9e9, 'thermal violation ns accumulate');
      node.clear();
      clock.advance(5_000);
      const cooling = valueOf(scrape(node), 'DCGM_FI_DEV_GPU_TEMP', 1);
      assert.ok(cooling < 92 && cooling > 75, `cools with a lag after clear: ${cooling}`);
    } finally {
      cleanup();
    }
  });

  it('memory-leak: framebuffer nearly full (>97 %), utilisation under 2 %, sums still right', () => {
    const { node, clock, cleanup } = testNode({ gpus: 2 });
    try {
      node.inject({ type: 'memory-leak', gpu: 0, durationS: 30 });
      clock.advance(31_000);
      for (let k = 0; k < 5; k++) {
        const f = scrape(node);
        const used = valueOf(f, 'DCGM_FI_DEV_FB_USED', 0);
        const free = valueOf(f, 'DCGM_FI_DEV_FB_FREE', 0);
        const reserved = valueOf(f, 'DCGM_FI_DEV_FB_RESERVED', 0);
        assert.equal(used + free + reserved, 81559);
        assert.ok(used / (used + free) > 0.97, `fill ${used / (used + free)}`);
        assert.ok(valueOf(f, 'DCGM_FI_DEV_GPU_UTIL', 0) < 2);
        clock.advance(15_000);
      }
    } finally {
      cleanup();
    }
  });

  it('ecc-dbe: DBE counters jump by the count, rows are remapped, Xid 48 is logged and shown', () => {
    const { node, cleanup } = testNode({ gpus: 2 });
    try {
      const before = scrape(node);
      const out = node.inject({ type: 'ecc-dbe', gpu: 1, count: 3 });
      const after = scrape(node);
      for (const name of ['DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'DCGM_FI_DEV_ECC_DBE_AGG_TOTAL', 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS']) {
        assert.equal(valueOf(after, name, 1) - valueOf(before, name, 1), 3, name);
        assert.equal(valueOf(after, name, 0), valueOf(before, name, 0), `${name} on the healthy GPU`);
      }
      assert.equal(valueOf(after, 'DCGM_FI_DEV_XID_ERRORS', 1), 48);
      assert.equal(out.fault, undefined, 'an event, not a lasting fault');
      const line = out.event.kernelLines[0] ?? '';
      assert.equal(XID_LINE.exec(line)?.[2], '48');
      assert.equal(logLines(node.kernelLog?.path).at(-1), line);
    } finally {
      cleanup();
    }
  });

  it('nvlink: CRC, replay and recovery counters climb while active; Xid 74 on H100, or the R575+ 145 form on request', () => {
    const { node, clock, cleanup } = testNode({ gpus: 2 });
    try {
      const names = ['DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL', 'DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL', 'DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL', 'DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL'];
      const out = node.inject({ type: 'nvlink', gpu: 0, link: 5, errorsPerS: 40 });
      assert.match(out.event.kernelLines[0] ?? '', /\): 74, pid='<unknown>', name=<unknown>, NVLink: fatal error detected on link 5\(/);
      const a = scrape(node);
      clock.advance(60_000);
      const b = scrape(node);
      for (const n of names) assert.ok(valueOf(b, n, 0) > valueOf(a, n, 0), `${n} climbs`);
      assert.ok(valueOf(b, names[0] ?? '', 0) - valueOf(a, names[0] ?? '', 0) >= 2000, '40/s for a minute');
      assert.equal(valueOf(b, names[0] ?? '', 1), 0, 'other GPU clean');
      const five = node.inject({ type: 'nvlink', gpu: 1, xid: 145, link: 10 });
      assert.match(five.event.kernelLines[0] ?? '', /\): 145, RLW_REMAP Nonfatal XC0 i0 Link 10 \(0x[0-9a-f]{8} 0x00000001( 0x00000000){4}\)$/);
      node.clear();
      const c = scrape(node);
      clock.advance(60_000);
      assert.equal(valueOf(scrape(node), names[0] ?? '', 0), valueOf(c, names[0] ?? '', 0), 'stops climbing after clear, keeps its value');
    } finally {
      cleanup();
    }
  });

  it('throttle: the reasons bitmask is set and the SM clock drops', () => {
    const { node, clock, cleanup } = testNode({ gpus: 1 });
    try {
      // Find a moment the node's job is running so the clock would otherwise be at boost.
      let guard = 0;
      while (valueOf(scrape(node), 'DCGM_FI_DEV_GPU_UTIL', 0) < 30 && guard++ < 500) clock.advance(60_000);
      const boost = valueOf(scrape(node), 'DCGM_FI_DEV_SM_CLOCK', 0);
      node.inject({ type: 'throttle', gpu: 0, reasons: ['hw_slowdown', 'hw_thermal', 'hw_power_brake', 'sw_power_cap'] });
      const f = scrape(node);
      const mask = valueOf(f, 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', 0);
      assert.equal(mask & 0xcc, 0xcc, `mask 0x${mask.toString(16)}`);
      assert.ok(valueOf(f, 'DCGM_FI_DEV_SM_CLOCK', 0) < boost * 0.5, 'clocks held down');
      const pv = valueOf(f, 'DCGM_FI_DEV_POWER_VIOLATION', 0);
      clock.advance(15_000);
      assert.ok(valueOf(scrape(node), 'DCGM_FI_DEV_POWER_VIOLATION', 0) >= pv + 14e9);
      node.clear();
      assert.equal(valueOf(scrape(node), 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', 0) & 0xc8, 0);
    } finally {
      cleanup();
    }
  });

  it('xid: sets the last-Xid gauge, counts in the window by xid label, logs the NVRM line with the process', () => {
    const { node, clock, cleanup } = testNode({ gpus: 2, xidWindowMs: 60_000 });
    try {
      const count = (gpu: number) => scrape(node).get('DCGM_EXP_XID_ERRORS_COUNT')?.samples.filter((s) => label(s, 'gpu') === String(gpu)) ?? [];
      assert.deepEqual(count(1).map((s) => [label(s, 'xid'), s.value]), [[undefined, 0]], 'no Xid yet: one zero series without xid');
      assert.equal(valueOf(scrape(node), 'DCGM_FI_DEV_XID_ERRORS', 1), 0);
      const out = node.inject({ type: 'xid', gpu: 1, xid: 13, pid: 2345, process: 'python3' });
      assert.match(out.event.kernelLines[0] ?? '', /\): 13, pid=2345, name=python3, Graphics SM Warp Exception on \(GPC \d, TPC \d, SM \d\): Out Of Range Address$/);
      clock.advance(1000);
      node.inject({ type: 'xid', gpu: 1, xid: 13 });
      node.inject({ type: 'xid', gpu: 1, xid: 94 });
      const xidSample = scrape(node).get('DCGM_FI_DEV_XID_ERRORS')?.samples.find((s) => label(s, 'gpu') === '1');
      assert.ok(xidSample);
      assert.deepEqual([xidSample.value, label(xidSample, 'err_code'), label(xidSample, 'err_msg')], [94, '94', 'Contained ECC error']);
      assert.deepEqual(count(1).map((s) => [label(s, 'xid'), label(s, 'window_size_in_ms'), s.value]), [['13', '60000', 2], ['94', '60000', 1]]);
      assert.deepEqual(count(0).map((s) => s.value), [0]);
      clock.advance(61_000);
      assert.deepEqual(count(1).map((s) => [label(s, 'xid'), s.value]), [[undefined, 0]], 'events leave the window');
      assert.equal(valueOf(scrape(node), 'DCGM_FI_DEV_XID_ERRORS', 1), 94, 'the gauge keeps the last Xid');
    } finally {
      cleanup();
    }
  });

  it('fall-off-bus: that GPU vanishes, Xid 79 is logged for its PCI address; clear brings it back with XID_ERRORS 79', () => {
    const { node, cleanup } = testNode({ gpus: 4 });
    try {
      const out = node.inject({ type: 'fall-off-bus', gpu: 2 });
      const f = scrape(node);
      for (const fam of f.values()) {
        assert.ok(!fam.samples.some((s) => label(s, 'gpu') === '2'), `${fam.name} still has gpu 2`);
        assert.equal(fam.samples.length, 3, fam.name);
      }
      const busId = node.identities[2]?.pciBusId ?? '';
      const m = XID_LINE.exec(out.event.kernelLines[0] ?? '');
      assert.ok(m, out.event.kernelLines[0]);
      assert.equal(m[1], kernelPciFromBusId(busId));
      assert.equal(m[2], '79');
      assert.match(m[3] ?? '', /^pid=(\d+|'<unknown>'), name=(\S+), GPU has fallen off the bus\.$/);
      const lines = logLines(node.kernelLog?.path);
      assert.equal(lines.at(-1), out.event.kernelLines[0]);
      assert.match(lines.at(-3) ?? '', new RegExp(`NVRM: GPU at PCI:${m[1]}: ${node.identities[2]?.uuid}$`));
      assert.equal(node.clear().cleared, 1);
      const back = scrape(node);
      assert.equal(back.get('DCGM_FI_DEV_GPU_TEMP')?.samples.length, 4);
      const xs = back.get('DCGM_FI_DEV_XID_ERRORS')?.samples.find((s) => label(s, 'gpu') === '2');
      assert.equal(xs?.value, 79);
      assert.equal(xs && label(xs, 'err_msg'), 'GPU has fallen off the bus');
    } finally {
      cleanup();
    }
  });

  it('node-down marks the node down until clear (the fleet closes the listener)', () => {
    const { node, cleanup } = testNode({ gpus: 1 });
    try {
      const out = node.inject({ type: 'node-down' });
      assert.equal(node.down, true);
      assert.equal(out.fault?.request.type, 'node-down');
      node.clear();
      assert.equal(node.down, false);
      assert.equal(node.faults.length, 0);
    } finally {
      cleanup();
    }
  });

  it('refuses a GPU the node does not have', () => {
    const { node, cleanup } = testNode({ gpus: 2 });
    try {
      assert.throws(() => node.inject({ type: 'xid', gpu: 2, xid: 13 }), ValidationError);
    } finally {
      cleanup();
    }
  });
});
