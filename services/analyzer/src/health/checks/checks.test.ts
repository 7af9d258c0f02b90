// Each check on fakes: healthy input, each finding, and absent input (which must say unknown).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthAction, HealthState } from '@aami/shared';
import { HEALTHY_FIELDS, snapshot } from '../testing.ts';
import type { GpuSnapshot, HealthCheck, XidFinding } from '../types.ts';
import { ALL_CHECKS } from './all.ts';
import { replayLimit } from './pcie-replay/index.ts';

const byName = (name: string): HealthCheck => {
  const c = ALL_CHECKS.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name}`);
  return c;
};

interface Row { name: string; gpu: Partial<GpuSnapshot>; state: HealthState; action: HealthAction; reason: RegExp }

const xid = (over: Partial<XidFinding>): XidFinding => ({
  xid: 79, title: 'GPU has fallen off the bus', bucket: 'RESTART_BM', firstAt: Date.UTC(2026, 11, 3, 3, 12), lastAt: Date.UTC(2026, 11, 3, 3, 12),
  count: 1, rebootsSinceFirst: 0, inCurrentBoot: true, ...over,
});
const fields = (over: Partial<typeof HEALTHY_FIELDS>) => ({ fields: { ...HEALTHY_FIELDS, ...over } });
const without = (...keys: Array<keyof typeof HEALTHY_FIELDS>) => {
  const f: Partial<typeof HEALTHY_FIELDS> = { ...HEALTHY_FIELDS };
  for (const k of keys) delete f[k];
  return { fields: f };
};

const TABLE: Record<string, Row[]> = {
  exporter: [
    { name: 'answers', gpu: {}, state: 'healthy', action: 'none', reason: /answers/ },
    { name: 'down', gpu: { exporter: 'down' }, state: 'unknown', action: 'none', reason: /does not answer/ },
    { name: 'no target', gpu: { exporter: 'absent' }, state: 'unknown', action: 'none', reason: /no dcgm-exporter target/ },
  ],
  'fallen-off-bus': [
    { name: 'reporting', gpu: {}, state: 'healthy', action: 'none', reason: /reported/ },
    { name: 'gone while the exporter answers', gpu: { reporting: false, xids: [xid({})] }, state: 'unhealthy', action: 'reboot-node', reason: /GPU 0 \(00000000:41:00.0\) was reported before.*Xid 79 was logged at 2026-12-03 03:12 UTC/ },
    { name: 'exporter down: cannot tell', gpu: { reporting: false, exporter: 'down' }, state: 'unknown', action: 'none', reason: /no data/ },
  ],
  xid: [
    { name: 'none', gpu: {}, state: 'healthy', action: 'none', reason: /no Xid/ },
    { name: 'counter silent', gpu: { xidCounterReporting: false }, state: 'unknown', action: 'none', reason: /Xid counter on gpu-node-01/ },
    { name: 'Xid 79 this boot', gpu: { xids: [xid({})] }, state: 'unhealthy', action: 'reboot-node', reason: /^Xid 79 \(GPU has fallen off the bus\) at 2026-12-03 03:12 UTC$/ },
    { name: 'Xid 79 before the last reboot', gpu: { xids: [xid({ inCurrentBoot: false, rebootsSinceFirst: 1 })] }, state: 'healthy', action: 'none', reason: /no Xid/ },
    { name: 'Xid 79 escalated', gpu: { xids: [xid({ count: 3, rebootsSinceFirst: 2, escalatedAt: Date.UTC(2026, 11, 3, 3, 12) })] }, state: 'unhealthy', action: 'inspect-hardware', reason: /the 3rd time since .* after 2 reboots \(threshold 2\)/ },
    { name: 'Xid 13 (app) this boot', gpu: { xids: [xid({ xid: 13, title: 'Graphics engine exception', bucket: 'RESTART_APP' })] }, state: 'degraded', action: 'restart-app', reason: /^Xid 13/ },
    { name: 'hardware-class Xid survives reboot', gpu: { xids: [xid({ xid: 64, title: 'ECC page retirement error', bucket: 'CONTACT_SUPPORT', inCurrentBoot: false })] }, state: 'unhealthy', action: 'inspect-hardware', reason: /^Xid 64/ },
    { name: 'IGNORE bucket', gpu: { xids: [xid({ xid: 63, title: 'row remap', bucket: 'IGNORE' })] }, state: 'healthy', action: 'none', reason: /^Xid 63/ },
    { name: 'worst first, others named', gpu: { xids: [xid({ xid: 13, bucket: 'RESTART_APP', title: 'x' }), xid({})] }, state: 'unhealthy', action: 'reboot-node', reason: /^Xid 79 .*; and 1 more Xid: Xid 13$/ },
  ],
  'ecc-dbe': [
    { name: 'none', gpu: {}, state: 'healthy', action: 'none', reason: /no uncorrectable/ },
    { name: 'two DBEs', gpu: fields({ eccDbeVolatile: 2 }), state: 'unhealthy', action: 'reset-gpu', reason: /2 uncorrectable \(double-bit\) ECC errors/ },
    { name: 'absent', gpu: without('eccDbeVolatile'), state: 'unknown', action: 'none', reason: /no data/ },
  ],
  'row-remap': [
    { name: 'clean', gpu: {}, state: 'healthy', action: 'none', reason: /0 rows remapped/ },
    { name: 'failure', gpu: fields({ remapFailure: 1 }), state: 'unhealthy', action: 'inspect-hardware', reason: /failed/ },
    { name: 'pending', gpu: fields({ remapPending: 1 }), state: 'unhealthy', action: 'reset-gpu', reason: /pending/ },
    { name: 'many uncorrectable', gpu: fields({ remapUncorrectable: 512 }), state: 'degraded', action: 'inspect-hardware', reason: /512 rows/ },
    { name: 'just under the limit', gpu: fields({ remapUncorrectable: 511 }), state: 'healthy', action: 'none', reason: /511 rows/ },
    { name: 'absent', gpu: without('remapFailure', 'remapPending', 'remapUncorrectable'), state: 'unknown', action: 'none', reason: /no data/ },
  ],
  'retired-pages': [
    { name: 'clean', gpu: {}, state: 'healthy', action: 'none', reason: /0 pages retired/ },
    { name: 'pending', gpu: fields({ retiredPending: 1, retiredDbe: 1 }), state: 'degraded', action: 'reset-gpu', reason: /1 page waiting/ },
    { name: '63 retired', gpu: fields({ retiredSbe: 60, retiredDbe: 3 }), state: 'unhealthy', action: 'inspect-hardware', reason: /63 pages retired \(limit 63\)/ },
    { name: 'absent', gpu: without('retiredPending', 'retiredSbe', 'retiredDbe'), state: 'unknown', action: 'none', reason: /no data/ },
  ],
  'pcie-replay': [
    { name: 'quiet Gen5 x16', gpu: {}, state: 'healthy', action: 'none', reason: /limit 31\/min on Gen5 x16/ },
    { name: 'storm on Gen5 x16', gpu: fields({ pcieReplayPerMin: 200 }), state: 'degraded', action: 'inspect-hardware', reason: /200 PCIe replays\/min on a Gen5 x16 link \(limit 31\/min\)/ },
    { name: 'same rate fine on nothing: Gen4 x8 limit is 8', gpu: fields({ pcieReplayPerMin: 9, pcieLinkGen: 4, pcieLinkWidth: 8 }), state: 'degraded', action: 'inspect-hardware', reason: /limit 8\/min/ },
    { name: 'link shape absent', gpu: without('pcieLinkGen'), state: 'unknown', action: 'none', reason: /generation and width/ },
    { name: 'counter absent', gpu: without('pcieReplayPerMin'), state: 'unknown', action: 'none', reason: /PCIE_REPLAY/ },
  ],
  nvlink: [
    { name: 'clean', gpu: {}, state: 'healthy', action: 'none', reason: /no replays/ },
    { name: 'CRC storm', gpu: fields({ nvlinkCrcFlitPerS: 60, nvlinkCrcDataPerS: 40 }), state: 'unhealthy', action: 'inspect-hardware', reason: /100 NVLink CRC errors\/s/ },
    { name: 'a recovery', gpu: fields({ nvlinkRecoveryIncrease: 1 }), state: 'degraded', action: 'reset-gpu', reason: /1 NVLink replay\/recovery error in/ },
    { name: 'absent', gpu: without('nvlinkCrcFlitPerS', 'nvlinkCrcDataPerS', 'nvlinkReplayIncrease', 'nvlinkRecoveryIncrease', 'nvlinkLinksActive', 'nvlinkLinksExpected'), state: 'unknown', action: 'none', reason: /no data/ },
    { name: 'two links down at the topology read', gpu: fields({ nvlinkLinksActive: 16, nvlinkLinksExpected: 18 }), state: 'degraded', action: 'inspect-hardware', reason: /16 of 18 NVLinks active at the last topology read/ },
    { name: 'links down, counters absent', gpu: { fields: { ...without('nvlinkCrcFlitPerS', 'nvlinkCrcDataPerS', 'nvlinkReplayIncrease', 'nvlinkRecoveryIncrease').fields, nvlinkLinksActive: 17 } }, state: 'degraded', action: 'inspect-hardware', reason: /17 of 18 NVLinks/ },
    { name: 'links as expected', gpu: fields({ nvlinkLinksActive: 18, nvlinkLinksExpected: 18 }), state: 'healthy', action: 'none', reason: /no replays/ },
    { name: 'CRC storm and a link down', gpu: fields({ nvlinkCrcFlitPerS: 200, nvlinkLinksActive: 17, nvlinkLinksExpected: 18 }), state: 'unhealthy', action: 'inspect-hardware', reason: /200 NVLink CRC errors\/s .*; 17 of 18/ },
  ],
  slowdown: [
    { name: 'none', gpu: {}, state: 'healthy', action: 'none', reason: /thermal slowdown 0%/ },
    { name: 'thermal 5 %', gpu: fields({ thermalSlowdownRatio: 0.05 }), state: 'degraded', action: 'inspect-hardware', reason: /heat 5% .* cooling/ },
    { name: 'power 60 %', gpu: fields({ powerSlowdownRatio: 0.6 }), state: 'degraded', action: 'none', reason: /power limit 60%/ },
    { name: 'absent', gpu: without('thermalSlowdownRatio', 'powerSlowdownRatio'), state: 'unknown', action: 'none', reason: /no data/ },
  ],
  'memory-temperature': [
    { name: '45 °C', gpu: {}, state: 'healthy', action: 'none', reason: /45 °C/ },
    { name: '92 °C', gpu: fields({ memTemp: 92 }), state: 'degraded', action: 'inspect-hardware', reason: /92 °C \(warning from 90 °C\)/ },
    { name: '101 °C', gpu: fields({ memTemp: 101 }), state: 'unhealthy', action: 'inspect-hardware', reason: /101 °C \(limit 100 °C\)/ },
    { name: 'reads 0: no sensor', gpu: fields({ memTemp: 0 }), state: 'unknown', action: 'none', reason: /no data/ },
  ],
};

describe('health checks', () => {
  it('every check has a table, and every check in the table exists', () => {
    assert.deepEqual(Object.keys(TABLE).sort(), ALL_CHECKS.map((c) => c.name).sort());
  });
  for (const [name, rows] of Object.entries(TABLE)) {
    describe(name, () => {
      for (const row of rows) {
        it(row.name, () => {
          const r = byName(name).check(snapshot(row.gpu));
          assert.equal(r.check, name);
          assert.equal(r.state, row.state, r.reason);
          assert.equal(r.action, row.action, r.reason);
          assert.match(r.reason, row.reason);
        });
      }
    });
  }
  it('PCIe replay limits follow generation and width', () => {
    assert.equal(replayLimit(5, 16), 31);
    assert.equal(replayLimit(4, 16), 16);
    assert.equal(replayLimit(3, 16), 8);
    assert.equal(replayLimit(4, 8), 8);
    assert.equal(replayLimit(7, 16), undefined);
  });
});
