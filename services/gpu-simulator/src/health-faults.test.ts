// The faults that drive the analyzer's GPU health checks: row remapping (pending, failure), page
// retirement, PCIe replays against the link's generation and width, NVLink CRC bursts and reboots.
// Each test reads the node's /metrics text, so names, labels and values are what dcgm-exporter prints.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ValidationError } from '@aami/shared';
import { FaultRequest } from './faults.ts';
import { GPU_MODELS, type GpuModel } from './gpu-models.ts';
import { startFleet } from './index.ts';
import type { SimNode } from './sim-node.ts';
import { label, manualClock, scrape, testNode, valueOf } from './test-support.ts';

const XID_COUNTER = fileURLToPath(new URL('../../../node-files/aami-xid-counter', import.meta.url));

/** The exact series line dcgm-exporter prints for `field` on GPU `gpu` of a node called node-01. */
function expectedLine(node: SimNode, field: string, gpu: number, value: number): string {
  const id = node.identities[gpu];
  assert.ok(id);
  return (
    `${field}{gpu="${gpu}",UUID="${id.uuid}",pci_bus_id="${id.pciBusId}",device="nvidia${gpu}",` +
    `modelName="${node.model.name}",Hostname="node-01",DCGM_FI_DRIVER_VERSION="580.159.04"} ${value}`
  );
}

function linesOf(node: SimNode, field: string): string[] {
  return node.metricsText().split('\n').filter((l) => l.startsWith(`${field}{`));
}

/** The issues of a request the schema refuses, as path -> message. */
function issues(input: unknown): string[] {
  const r = FaultRequest.safeParse(input);
  assert.equal(r.success, false, JSON.stringify(input));
  return r.error?.issues.map((i) => i.path.join('.')) ?? [];
}

function refused(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return err;
  }
  assert.fail('no ValidationError');
}

describe('health fault requests', () => {
  it('fill their defaults', () => {
    assert.deepEqual(FaultRequest.parse({ type: 'row-remap-pending' }), { type: 'row-remap-pending', gpu: 0, rows: 1 });
    assert.deepEqual(FaultRequest.parse({ type: 'row-remap-failure', gpu: 3 }), { type: 'row-remap-failure', gpu: 3 });
    assert.deepEqual(FaultRequest.parse({ type: 'retired-pages' }), { type: 'retired-pages', gpu: 0, sbe: 0, dbe: 1, pending: true });
    assert.deepEqual(FaultRequest.parse({ type: 'pcie-replay' }), { type: 'pcie-replay', gpu: 0, perMinute: 200 });
    assert.deepEqual(FaultRequest.parse({ type: 'nvlink' }), { type: 'nvlink', gpu: 0, link: 3, errorsPerS: 40 }, 'no durationS: climbs until clear, as before');
    assert.deepEqual(FaultRequest.parse({ type: 'nvlink', durationS: 30 }).type, 'nvlink');
    assert.deepEqual(FaultRequest.parse({ type: 'reboot' }), { type: 'reboot' });
  });

  it('name the field they refuse', () => {
    assert.deepEqual(issues({ type: 'pcie-replay', perMinute: -1 }), ['perMinute']);
    assert.deepEqual(issues({ type: 'pcie-replay', perMinute: 'lots' }), ['perMinute']);
    assert.deepEqual(issues({ type: 'retired-pages', pending: 'maybe' }), ['pending']);
    assert.deepEqual(issues({ type: 'retired-pages', dbe: 1.5 }), ['dbe']);
    assert.deepEqual(issues({ type: 'row-remap-pending', rows: 0 }), ['rows']);
    assert.deepEqual(issues({ type: 'nvlink', durationS: -5 }), ['durationS']);
    assert.deepEqual(issues({ type: 'row-remap-failure', gpu: 64 }), ['gpu']);
    const { node, cleanup } = testNode({ gpus: 2 });
    try {
      const err = refused(() => node.inject({ type: 'pcie-replay', gpu: 1, perMinute: -3 }));
      assert.deepEqual(err.details.map((d) => d.path), ['perMinute']);
      assert.equal(node.faults.length, 0);
    } finally {
      cleanup();
    }
  });

  it('are refused on a board that repairs memory the other way, naming the type', () => {
    const h100 = testNode({ gpus: 1 });
    const v100 = testNode({ gpus: 1, model: GPU_MODELS.V100 });
    try {
      const a = refused(() => h100.node.inject({ type: 'retired-pages' }));
      assert.deepEqual(a.details.map((d) => d.path), ['type']);
      assert.match(a.message, /NVIDIA H100 80GB HBM3 remaps rows instead of retiring pages/);
      for (const type of ['row-remap-pending', 'row-remap-failure'] as const) {
        const b = refused(() => v100.node.inject({ type }));
        assert.deepEqual(b.details.map((d) => d.path), ['type']);
        assert.match(b.message, /Tesla V100-SXM2-32GB retires pages instead of remapping rows/);
      }
    } finally {
      h100.cleanup();
      v100.cleanup();
    }
  });
});

describe('health fault effects', () => {
  it('PCIe link: DCGM_FI_DEV_PCIE_LINK_GEN / _WIDTH gauges with the board link (H100 Gen5 x16, A100 Gen4 x16, V100 Gen3 x16)', () => {
    const cases: Array<[GpuModel, number, number]> = [[GPU_MODELS.H100, 5, 16], [GPU_MODELS.A100, 4, 16], [GPU_MODELS.V100, 3, 16]];
    for (const [model, gen, width] of cases) {
      const { node, cleanup } = testNode({ gpus: 2, model });
      try {
        const text = node.metricsText();
        assert.match(text, /^# HELP DCGM_FI_DEV_PCIE_LINK_GEN PCIe current link generation\.\n# TYPE DCGM_FI_DEV_PCIE_LINK_GEN gauge\n/m);
        assert.match(text, /^# HELP DCGM_FI_DEV_PCIE_LINK_WIDTH PCIe current link width\.\n# TYPE DCGM_FI_DEV_PCIE_LINK_WIDTH gauge\n/m);
        assert.deepEqual(linesOf(node, 'DCGM_FI_DEV_PCIE_LINK_GEN'), [0, 1].map((g) => expectedLine(node, 'DCGM_FI_DEV_PCIE_LINK_GEN', g, gen)), model.key);
        assert.deepEqual(linesOf(node, 'DCGM_FI_DEV_PCIE_LINK_WIDTH'), [0, 1].map((g) => expectedLine(node, 'DCGM_FI_DEV_PCIE_LINK_WIDTH', g, width)), model.key);
      } finally {
        cleanup();
      }
    }
  });

  it('pcie-replay: the replay counter climbs at perMinute, well past the Gen5 x16 threshold (ceil(1.92 x 16) = 31/min), until clear', () => {
    const { node, clock, cleanup } = testNode({ gpus: 2 });
    try {
      const out = node.inject({ type: 'pcie-replay', gpu: 1 });
      assert.equal(out.fault?.request.type, 'pcie-replay', 'a state fault');
      const a = scrape(node);
      clock.advance(60_000);
      const b = scrape(node);
      const perMin = valueOf(b, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 1) - valueOf(a, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 1);
      assert.ok(perMin >= 199 && perMin <= 201, `${perMin} replays in a minute`);
      assert.ok(perMin > Math.ceil(1.92 * 16));
      assert.ok(valueOf(b, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 0) - valueOf(a, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 0) <= 1, 'the other GPU is quiet');
      assert.match(node.metricsText(), /^# TYPE DCGM_FI_DEV_PCIE_REPLAY_COUNTER counter$/m);
      assert.ok(linesOf(node, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER').includes(expectedLine(node, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 1, valueOf(b, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 1))));
      node.clear();
      const c = scrape(node);
      clock.advance(600_000);
      assert.ok(valueOf(scrape(node), 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 1) - valueOf(c, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 1) <= 1, 'stops after clear');
    } finally {
      cleanup();
    }
  });

  it('nvlink with durationS: a CRC burst that stops climbing after the duration and keeps its value', () => {
    const { node, clock, cleanup } = testNode({ gpus: 1 });
    try {
      const crc = () => valueOf(scrape(node), 'DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL', 0);
      node.inject({ type: 'nvlink', gpu: 0, errorsPerS: 40, durationS: 30 });
      const a = crc();
      clock.advance(12_345);
      clock.advance(47_655);
      const b = crc();
      assert.ok(Math.abs(b - a - 40 * 30) <= 1, `${b - a} errors in the 30 s burst`);
      clock.advance(120_000);
      assert.equal(crc(), b, 'no more errors after the burst');
      assert.equal(node.faults.length, 1, 'listed until clear, like any nvlink fault');
    } finally {
      cleanup();
    }
  });

  it('row-remap-pending: UNCORRECTABLE_REMAPPED_ROWS grows by rows, ROW_REMAP_PENDING is 1, Xid 63 is logged', () => {
    const { node, cleanup } = testNode({ gpus: 2 });
    try {
      const before = scrape(node);
      assert.deepEqual(linesOf(node, 'DCGM_FI_DEV_ROW_REMAP_PENDING'), [0, 1].map((g) => expectedLine(node, 'DCGM_FI_DEV_ROW_REMAP_PENDING', g, 0)));
      const out = node.inject({ type: 'row-remap-pending', gpu: 1, rows: 2 });
      const text = node.metricsText();
      assert.match(text, /^# HELP DCGM_FI_DEV_ROW_REMAP_PENDING Whether remapping of rows is pending\n# TYPE DCGM_FI_DEV_ROW_REMAP_PENDING gauge\n/m);
      assert.deepEqual(linesOf(node, 'DCGM_FI_DEV_ROW_REMAP_PENDING'), [expectedLine(node, 'DCGM_FI_DEV_ROW_REMAP_PENDING', 0, 0), expectedLine(node, 'DCGM_FI_DEV_ROW_REMAP_PENDING', 1, 1)]);
      const after = scrape(node);
      assert.equal(valueOf(after, 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 1) - valueOf(before, 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 1), 2);
      assert.equal(valueOf(after, 'DCGM_FI_DEV_ROW_REMAP_FAILURE', 1), 0);
      assert.equal(valueOf(after, 'DCGM_FI_DEV_XID_ERRORS', 1), 63);
      assert.match(out.event.kernelLines[0] ?? '', /NVRM: Xid \(PCI:0000:2a:00\): 63, pid='<unknown>', name=<unknown>, Row Remapper: New row \(0x[0-9a-f]{16}\) marked for remapping, reset gpu to activate\.$/);
      assert.equal(out.fault?.request.type, 'row-remap-pending');
      assert.ok(!after.has('DCGM_FI_DEV_RETIRED_PENDING'), 'an H100 still has no page retirement');
    } finally {
      cleanup();
    }
  });

  it('ecc-dbe on an H100 leaves the remap pending too; on a V100 it retires the pages, pending', () => {
    const h = testNode({ gpus: 1 });
    const v = testNode({ gpus: 1, model: GPU_MODELS.V100 });
    try {
      h.node.inject({ type: 'ecc-dbe', gpu: 0, count: 2 });
      assert.equal(valueOf(scrape(h.node), 'DCGM_FI_DEV_ROW_REMAP_PENDING', 0), 1);
      v.node.inject({ type: 'ecc-dbe', gpu: 0, count: 2 });
      const f = scrape(v.node);
      assert.deepEqual(['DCGM_FI_DEV_RETIRED_SBE', 'DCGM_FI_DEV_RETIRED_DBE', 'DCGM_FI_DEV_RETIRED_PENDING'].map((n) => valueOf(f, n, 0)), [0, 2, 1]);
      assert.equal(valueOf(f, 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 0), 2);
    } finally {
      h.cleanup();
      v.cleanup();
    }
  });

  it('row-remap-failure: ROW_REMAP_FAILURE 1 with Xid 64; it outlives a reboot, a clear ends it', () => {
    const { node, clock, cleanup } = testNode({ gpus: 2 });
    try {
      const out = node.inject({ type: 'row-remap-failure', gpu: 0 });
      assert.match(out.event.kernelLines[0] ?? '', /\): 64, pid='<unknown>', name=<unknown>, Row Remapper: Failed to mark row \(0x[0-9a-f]{16}\) for remapping, no spare row left in bank \d+\.$/);
      assert.deepEqual(linesOf(node, 'DCGM_FI_DEV_ROW_REMAP_FAILURE'), [expectedLine(node, 'DCGM_FI_DEV_ROW_REMAP_FAILURE', 0, 1), expectedLine(node, 'DCGM_FI_DEV_ROW_REMAP_FAILURE', 1, 0)]);
      clock.advance(60_000);
      node.inject({ type: 'reboot' });
      assert.equal(valueOf(scrape(node), 'DCGM_FI_DEV_ROW_REMAP_FAILURE', 0), 1, 'persistent: the InfoROM keeps it');
      assert.deepEqual(node.faults.map((f) => f.request.type), ['row-remap-failure']);
      assert.equal(node.clear().cleared, 1);
      assert.equal(valueOf(scrape(node), 'DCGM_FI_DEV_ROW_REMAP_FAILURE', 0), 0);
    } finally {
      cleanup();
    }
  });

  it('retired-pages on a V100: RETIRED_SBE/DBE grow, RETIRED_PENDING 1 and Xid 63 until a reboot; the remap fields are blank there', () => {
    const { node, clock, cleanup } = testNode({ gpus: 2, model: GPU_MODELS.V100 });
    try {
      const before = scrape(node);
      for (const n of ['DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 'DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', 'DCGM_FI_DEV_ROW_REMAP_FAILURE', 'DCGM_FI_DEV_ROW_REMAP_PENDING']) {
        assert.ok(!before.has(n), `${n} is blank on a V100, so dcgm-exporter prints nothing`);
      }
      assert.deepEqual(linesOf(node, 'DCGM_FI_DEV_RETIRED_DBE'), [0, 1].map((g) => expectedLine(node, 'DCGM_FI_DEV_RETIRED_DBE', g, 0)));
      const out = node.inject({ type: 'retired-pages', gpu: 1, sbe: 2, dbe: 1 });
      assert.match(out.event.kernelLines[0] ?? '', /NVRM: Xid \(PCI:0000:07:00\): 63, pid='<unknown>', name=<unknown>, Dynamic Page Retirement: New page \(0x[0-9a-f]{16}\) retired, reboot to activate\.$/);
      assert.equal(out.fault?.request.type, 'retired-pages', 'pending: a state until the reboot');
      const text = node.metricsText();
      for (const [n, help] of [
        ['DCGM_FI_DEV_RETIRED_SBE', 'Total number of retired pages due to single-bit errors.'],
        ['DCGM_FI_DEV_RETIRED_DBE', 'Total number of retired pages due to double-bit errors.'],
        ['DCGM_FI_DEV_RETIRED_PENDING', 'Total number of pages pending retirement.'],
      ] as const) {
        assert.ok(text.includes(`# HELP ${n} ${help}\n# TYPE ${n} counter\n`), n);
      }
      assert.ok(linesOf(node, 'DCGM_FI_DEV_RETIRED_SBE').includes(expectedLine(node, 'DCGM_FI_DEV_RETIRED_SBE', 1, 2)));
      assert.ok(linesOf(node, 'DCGM_FI_DEV_RETIRED_DBE').includes(expectedLine(node, 'DCGM_FI_DEV_RETIRED_DBE', 1, 1)));
      assert.ok(linesOf(node, 'DCGM_FI_DEV_RETIRED_PENDING').includes(expectedLine(node, 'DCGM_FI_DEV_RETIRED_PENDING', 1, 1)));
      assert.ok(linesOf(node, 'DCGM_FI_DEV_RETIRED_PENDING').includes(expectedLine(node, 'DCGM_FI_DEV_RETIRED_PENDING', 0, 0)));
      clock.advance(60_000);
      node.inject({ type: 'reboot' });
      const f = scrape(node);
      assert.deepEqual(['DCGM_FI_DEV_RETIRED_SBE', 'DCGM_FI_DEV_RETIRED_DBE', 'DCGM_FI_DEV_RETIRED_PENDING'].map((n) => valueOf(f, n, 1)), [2, 1, 0], 'retired at the reboot');
      assert.equal(node.faults.length, 0);
      const past = node.inject({ type: 'retired-pages', gpu: 0, sbe: 1, dbe: 0, pending: false });
      assert.equal(past.fault, undefined, 'already retired: an event');
      assert.deepEqual(past.event.kernelLines, []);
      assert.deepEqual(['DCGM_FI_DEV_RETIRED_SBE', 'DCGM_FI_DEV_RETIRED_PENDING'].map((n) => valueOf(scrape(node), n, 0)), [1, 0]);
    } finally {
      cleanup();
    }
  });
});

describe('reboot', () => {
  const SINCE_BOOT = ['DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 'DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL'];
  const PERSISTENT = ['DCGM_FI_DEV_ECC_SBE_AGG_TOTAL', 'DCGM_FI_DEV_ECC_DBE_AGG_TOTAL', 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 'DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS'];

  it('moves the boot time to now, restarts the since-boot counters, applies pending remaps, ends faults but a remap failure', () => {
    const { node, clock, cleanup } = testNode({ gpus: 4 });
    try {
      const firstBoot = node.bootTimeMs;
      assert.ok(firstBoot <= clock.now() - 3600_000, 'up for an hour at least when made');
      node.inject({ type: 'ecc-dbe', gpu: 0, count: 2 });
      node.inject({ type: 'pcie-replay', gpu: 0, perMinute: 600 });
      node.inject({ type: 'row-remap-failure', gpu: 1 });
      node.inject({ type: 'nvlink', gpu: 1, errorsPerS: 50 });
      node.inject({ type: 'fall-off-bus', gpu: 2 });
      node.inject({ type: 'temperature', gpu: 3, targetC: 95, durationS: 0 });
      node.inject({ type: 'throttle', gpu: 3, reasons: ['hw_slowdown'] });
      node.inject({ type: 'memory-leak', gpu: 3 });
      node.inject({ type: 'xid', gpu: 3, xid: 13 });
      node.inject({ type: 'node-down' });
      clock.advance(60_000);
      const before = scrape(node);
      assert.equal(valueOf(before, 'DCGM_FI_DEV_ROW_REMAP_PENDING', 0), 1);
      assert.ok(valueOf(before, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 0) >= 600);

      const out = node.inject({ type: 'reboot' });
      assert.equal(node.bootTimeMs, clock.now());
      assert.equal(node.bootMs, node.bootTimeMs);
      assert.equal(out.fault, undefined, 'a reboot is an event');
      assert.equal(node.down, false, 'the exporter is back');
      assert.deepEqual(node.faults.map((f) => f.request.type), ['row-remap-failure']);
      assert.match(out.event.kernelLines[0] ?? '', /^\[ {4}0\.000000\] Linux version 6\.8\.0-49-generic /);
      assert.match(out.event.kernelLines.join('\n'), /NVRM: loading NVIDIA UNIX Open Kernel Module/);

      const after = scrape(node);
      assert.equal(after.get('DCGM_FI_DEV_GPU_TEMP')?.samples.length, 4, 'the GPU that fell off the bus is back');
      for (let g = 0; g < 4; g++) {
        for (const n of SINCE_BOOT) assert.equal(valueOf(after, n, g), 0, `${n} gpu ${g}`);
        const xid = after.get('DCGM_FI_DEV_XID_ERRORS')?.samples.find((s) => label(s, 'gpu') === String(g));
        assert.deepEqual(xid && [xid.value, label(xid, 'err_code'), label(xid, 'err_msg')], [0, '0', 'No Error'], `XID_ERRORS gpu ${g}`);
        const window = after.get('DCGM_EXP_XID_ERRORS_COUNT')?.samples.filter((s) => label(s, 'gpu') === String(g)) ?? [];
        assert.deepEqual(window.map((s) => [label(s, 'xid'), s.value]), [[undefined, 0]], 'a new exporter has an empty Xid window');
        assert.ok(valueOf(after, 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', g) < 1000, 'energy counts from the driver load');
      }
      // GPU 2 was off the bus before, so it has nothing to compare with.
      for (const n of PERSISTENT) {
        for (const g of [0, 1, 3]) assert.equal(valueOf(after, n, g), valueOf(before, n, g), `${n} gpu ${g} survives the reboot`);
      }
      assert.equal(valueOf(after, 'DCGM_FI_DEV_ECC_DBE_AGG_TOTAL', 0), valueOf(before, 'DCGM_FI_DEV_ECC_DBE_AGG_TOTAL', 0));
      assert.ok(valueOf(after, 'DCGM_FI_DEV_ECC_DBE_AGG_TOTAL', 0) >= 2);
      assert.equal(valueOf(after, 'DCGM_FI_DEV_ROW_REMAP_PENDING', 0), 0, 'the remap took effect');
      assert.equal(valueOf(after, 'DCGM_FI_DEV_ROW_REMAP_FAILURE', 1), 1);

      clock.advance(120_000);
      const later = scrape(node);
      assert.ok(valueOf(later, 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 0) <= 1, 'pcie-replay ended');
      assert.equal(valueOf(later, 'DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL', 1), 0, 'nvlink ended');
      assert.equal(valueOf(later, 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', 3) & 0xc8, 0, 'throttle and thermal ended');
      assert.ok(valueOf(later, 'DCGM_FI_DEV_GPU_TEMP', 3) < 60, 'cooled once the ramp ended');
      const used = valueOf(later, 'DCGM_FI_DEV_FB_USED', 3);
      const free = valueOf(later, 'DCGM_FI_DEV_FB_FREE', 3);
      assert.ok(used / (used + free) < 0.97, 'the leak ended');
      assert.ok(valueOf(later, 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 0) > 0, 'and counting again');
    } finally {
      cleanup();
    }
  });

  it('appends the new boot to the kernel log with stamps from 0 again; the next Xid names the GPU again', () => {
    const { node, clock, cleanup } = testNode({ gpus: 2 });
    try {
      const path = node.kernelLog?.path ?? assert.fail('no kernel log');
      node.inject({ type: 'xid', gpu: 0, xid: 79 });
      const old = readFileSync(path, 'utf8');
      clock.advance(5_000);
      const out = node.inject({ type: 'reboot' });
      clock.advance(2_000);
      const xid = node.inject({ type: 'xid', gpu: 0, xid: 13 }).event.kernelLines[0] ?? '';
      const text = readFileSync(path, 'utf8');
      assert.ok(text.startsWith(old), 'appended, not rewritten: the counter keeps its byte offset');
      const lines = text.trimEnd().split('\n');
      assert.equal(lines.filter((l) => /^\[ {4}0\.000000\] Linux version /.test(l)).length, 2, 'two boots');
      assert.deepEqual(lines.slice(old.trimEnd().split('\n').length, -3), out.event.kernelLines);
      const stamp = (l: string) => Number(/^\[\s*(\d+\.\d{6})\]/.exec(l)?.[1]);
      assert.ok(stamp(xid) > 3.61 && stamp(xid) < 10, `new-boot stamp ${stamp(xid)}`);
      assert.match(lines.at(-3) ?? '', /NVRM: GPU at PCI:0000:18:00: GPU-/);
      assert.equal(lines.at(-1), xid);
    } finally {
      cleanup();
    }
  });

  it("AAMI's Xid counter keeps counting through a reboot (file mode: same inode, the offset only grows)", () => {
    const { node, clock, logDir, cleanup } = testNode({ gpus: 1 });
    try {
      const path = node.kernelLog?.path ?? assert.fail('no kernel log');
      const textDir = join(logDir, 'textfile');
      const count = () => {
        execFileSync('sh', [XID_COUNTER, '--source', 'file', '--log-file', path, '--state-dir', join(logDir, 'state'), '--textfile-dir', textDir]);
        return readFileSync(join(textDir, 'aami_xid.prom'), 'utf8');
      };
      node.inject({ type: 'xid', gpu: 0, xid: 79 });
      assert.match(count(), /^aami_xid_errors_total\{pci_bus_id="00000000:18:00\.0",xid="79"\} 1$/m);
      clock.advance(30_000);
      node.inject({ type: 'reboot' });
      assert.match(count(), /^aami_xid_errors_total\{pci_bus_id="00000000:18:00\.0",xid="79"\} 1$/m, 'the boot lines count nothing');
      clock.advance(30_000);
      node.inject({ type: 'xid', gpu: 0, xid: 79 });
      node.inject({ type: 'xid', gpu: 0, xid: 13 });
      const prom = count();
      assert.match(prom, /^aami_xid_errors_total\{pci_bus_id="00000000:18:00\.0",xid="79"\} 2$/m);
      assert.match(prom, /^aami_xid_errors_total\{pci_bus_id="00000000:18:00\.0",xid="13"\} 1$/m);
    } finally {
      cleanup();
    }
  });

  it('over the control API: a down node comes back up, and the node shows its new boot time', async () => {
    const clock = manualClock();
    const logDir = mkdtempSync(join(tmpdir(), 'gpu-sim-reboot-'));
    const sim = await startFleet({ nodes: 1, gpus: 1, basePort: 0, controlPort: 0, logDir, cacheTtlMs: 0 }, { clock: clock.now });
    try {
      const api = `${sim.controlUrl}/nodes/gpu-node-01`;
      const post = (body: unknown) => fetch(`${api}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const url = sim.nodes[0]?.url ?? '';
      assert.equal((await post({ type: 'node-down' })).status, 201);
      await assert.rejects(fetch(url));
      clock.advance(90_000);
      const res = await post({ type: 'reboot' });
      assert.equal(res.status, 201);
      assert.match(((await res.json()) as { event: { kernelLines: string[] } }).event.kernelLines[0] ?? '', /Linux version/);
      assert.equal((await fetch(url)).status, 200);
      const shown = (await (await fetch(api)).json()) as { bootTime: string; up: boolean; faults: unknown[] };
      assert.deepEqual([shown.bootTime, shown.up, shown.faults], [new Date(clock.now()).toISOString(), true, []]);
      const bad = await post({ type: 'retired-pages', gpu: 0 });
      assert.equal(bad.status, 400);
      assert.deepEqual(((await bad.json()) as { details: Array<{ path: string }> }).details.map((d) => d.path), ['type']);
    } finally {
      await sim.stop();
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
