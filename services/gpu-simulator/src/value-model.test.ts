import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFieldCatalog } from './field-catalog.ts';
import { label, scrape, testNode } from './test-support.ts';
import type { GpuSample } from './value-model.ts';

// RETIRED_* is blank on an H100 (row remapping instead of page retirement), so it has no series to watch.
const COUNTERS = loadFieldCatalog('aami')
  .metrics.filter((m) => m.type === 'counter' && !m.name.startsWith('DCGM_FI_DEV_RETIRED_'))
  .map((m) => m.name);

/** Samples GPU 0..n of a node every `stepS` for `hours`. */
function series(hours: number, stepS: number, name = 'gpu-node-42'): Array<{ t: number; gpus: GpuSample[] }> {
  const { node, clock, cleanup } = testNode({ name, gpus: 2 });
  try {
    const out: Array<{ t: number; gpus: GpuSample[] }> = [];
    for (let t = 0; t <= hours * 3600; t += stepS) {
      out.push({ t, gpus: node.samples() as GpuSample[] });
      clock.advance(stepS * 1000);
    }
    return out;
  } finally {
    cleanup();
  }
}

describe('value model', () => {
  const day = series(8, 15);

  it('counters never decrease across scrapes, whatever the gap, through faults and clear', () => {
    const { node, clock, cleanup } = testNode({ gpus: 4 });
    try {
      let prev = new Map<string, number>();
      const steps = [1, 15, 15, 0.2, 300, 15, 3600, 2, 15, 45, 0, 15];
      for (let round = 0; round < 60; round++) {
        if (round === 10) void node.inject({ type: 'ecc-dbe', gpu: 1, count: 3 });
        if (round === 11) void node.inject({ type: 'row-remap-pending', gpu: 0, rows: 2 });
        if (round === 12) void node.inject({ type: 'nvlink', gpu: 2, link: 1, errorsPerS: 5 });
        if (round === 13) void node.inject({ type: 'pcie-replay', gpu: 0, perMinute: 500 });
        if (round === 14) void node.inject({ type: 'throttle', gpu: 3, reasons: ['hw_power_brake', 'hw_thermal'] });
        if (round === 15) void node.inject({ type: 'nvlink', gpu: 1, errorsPerS: 100, durationS: 20 });
        if (round === 16) void node.inject({ type: 'row-remap-failure', gpu: 3 });
        if (round === 20) node.clear();
        const f = scrape(node);
        const now = new Map<string, number>();
        for (const name of COUNTERS) {
          for (const s of f.get(name)?.samples ?? []) now.set(`${name}/${label(s, 'gpu')}`, s.value);
        }
        for (const [k, v] of prev) {
          const nv = now.get(k);
          assert.ok(nv !== undefined, `${k} vanished`);
          assert.ok(nv >= v, `${k} went from ${v} to ${nv} in round ${round}`);
        }
        prev = now;
        clock.advance((steps[round % steps.length] ?? 15) * 1000);
      }
      assert.equal(prev.size, COUNTERS.length * 4, 'all counters were seen');
    } finally {
      cleanup();
    }
  });

  it('framebuffer used + free + reserved is always the H100 total, with 480 MiB reserved', () => {
    for (const { gpus } of day) {
      for (const g of gpus) {
        assert.equal(g.fbUsedMiB + g.fbFreeMiB + g.fbReservedMiB, 81559);
        assert.equal(g.fbReservedMiB, 480);
        assert.ok(g.fbUsedMiB >= 0 && g.fbFreeMiB >= 0);
      }
    }
  });

  it('utilisation wanders with the job pattern: idle stretches and busy stretches with jitter', () => {
    const utils = day.map((x) => x.gpus[0]?.gpuUtil ?? -1);
    assert.ok(utils.some((u) => u === 0), 'some idle time');
    assert.ok(utils.some((u) => u > 60), 'some heavy load');
    assert.ok(new Set(utils).size > 15, 'not a constant or a square wave');
    assert.ok(utils.every((u) => u >= 0 && u <= 100));
  });

  it('an idle H100 reads like the real one in the fixtures', () => {
    const idle = day.map((x) => x.gpus[0]).find((g) => g !== undefined && g.gpuUtil === 0);
    assert.ok(idle);
    assert.equal(idle.smClockMHz, 345);
    assert.equal(idle.memClockMHz, 2619);
    assert.equal(idle.fbUsedMiB, 0);
    assert.equal(idle.fbFreeMiB, 81079);
    assert.equal(idle.throttleReasons, 0x1);
    assert.ok(idle.powerW > 68 && idle.powerW < 76, `idle power ${idle.powerW}`);
  });

  it('power follows load', () => {
    const all = day.flatMap((x) => x.gpus);
    const idle = all.filter((g) => g.gpuUtil === 0).map((g) => g.powerW);
    const busy = all.filter((g) => g.gpuUtil >= 80).map((g) => g.powerW);
    assert.ok(idle.length > 0 && busy.length > 0);
    assert.ok(Math.max(...idle) < 80, 'idle stays near 72 W');
    assert.ok(Math.min(...busy) > 350, 'heavy load draws hundreds of watts');
    assert.ok(Math.max(...busy) <= 700, 'never above the 700 W limit');
  });

  it('temperature follows load with a lag, not a jump', () => {
    const g = day.map((x) => ({ t: x.t, u: x.gpus[0]?.gpuUtil ?? 0, temp: x.gpus[0]?.gpuTempC ?? 0 }));
    // First idle -> busy step that stays busy for 5 minutes.
    const i = g.findIndex((p, k) => k > 20 && g[k - 1]?.u === 0 && p.u > 50 && g.slice(k, k + 20).every((q) => q.u > 30));
    assert.ok(i > 0, 'the day has a job starting');
    const before = g[i - 1]?.temp ?? NaN;
    const at = g[i]?.temp ?? NaN;
    const later = g[i + 16]?.temp ?? NaN; // 4 minutes on
    assert.ok(at - before < (later - before) * 0.6, `jumped at once: ${before} -> ${at} -> ${later}`);
    assert.ok(later - before >= 8, `warmed up under load: ${before} -> ${later}`);
  });

  it('the energy counter grows by power x time (mJ)', () => {
    for (let k = 1; k < day.length; k++) {
      const a = day[k - 1]?.gpus[0];
      const b = day[k]?.gpus[0];
      if (!a || !b) continue;
      const watts = (b.energyMj - a.energyMj) / 1000 / 15;
      const lo = Math.min(a.powerW, b.powerW) * 0.8;
      const hi = Math.max(a.powerW, b.powerW) * 1.25 + 5;
      if (Math.abs(a.gpuUtil - b.gpuUtil) < 20) assert.ok(watts >= lo && watts <= hi, `${watts} W between ${a.powerW} and ${b.powerW}`);
    }
  });

  it('GPUs of one node run the same job; different nodes run different ones', () => {
    const busyTogether = day.filter((x) => (x.gpus[0]?.gpuUtil ?? 0) > 0 === (x.gpus[1]?.gpuUtil ?? 0) > 0).length;
    assert.equal(busyTogether, day.length);
    const other = series(8, 15, 'gpu-node-43');
    const differ = day.filter((x, k) => (x.gpus[0]?.gpuUtil === 0) !== (other[k]?.gpus[0]?.gpuUtil === 0)).length;
    assert.ok(differ > 0);
  });
});
