// Fault sequences through the tracker and the evaluation, as the analyzer runs them every cycle:
// each step changes what Prometheus would answer, and the GPU's state, action and reason follow.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthAction, HealthState, GpuHealth } from '@aami/shared';
import { evaluateGpu, evaluateNode } from './evaluate.ts';
import { emptyMemory, type HealthMemory } from './memory.ts';
import { STATE_CEILING } from './score.ts';
import type { FleetObservation } from './source.ts';
import { bumpXid, observation, setField } from './testing.ts';
import { clearFindings, trackFleet, type XidLookup } from './tracker.ts';

const NODE = 'gpu-node-01';
const lookup: XidLookup = (xid) => (xid === 79
  ? { title: 'GPU has fallen off the bus', bucket: 'RESTART_BM' }
  : xid === 13 ? { title: 'Graphics engine exception', bucket: 'RESTART_APP' }
    : xid === 94 ? { title: 'Contained ECC error', bucket: 'RESTART_APP' } : { title: 'not in the catalog', bucket: '' });
const settings = { rebootThreshold: 2, lookbackMs: 72 * 3600_000 };
const MIN = 60_000;

/** Runs steps against one memory; each step edits the observation and returns nothing. */
class Fleet {
  memory: HealthMemory = emptyMemory();
  obs: FleetObservation = observation([NODE], 2);
  now = Date.UTC(2026, 11, 3, 3, 0);

  cycle(): GpuHealth[] {
    this.now += MIN;
    const t = trackFleet(this.memory, this.obs, lookup, settings, this.now);
    return t.snapshots.map((s) => evaluateGpu(s));
  }
  gpu(k: number): GpuHealth {
    const g = this.cycle().find((x) => x.gpu === k);
    assert.ok(g, `GPU ${k} missing`);
    return g;
  }
  reboot(): void {
    this.obs.bootTimes.set(NODE, (this.obs.bootTimes.get(NODE) ?? 0) + 3600);
  }
}

function expectGpu(g: GpuHealth, state: HealthState, action: HealthAction, reason?: RegExp) {
  assert.equal(g.state, state, JSON.stringify(g.reasons));
  assert.equal(g.action, action, JSON.stringify(g.reasons));
  if (reason) assert.match(g.reasons[0]?.reason ?? '', reason);
}

describe('health scenarios', () => {
  it('a healthy GPU scores 100 and lists no reasons', () => {
    const f = new Fleet();
    const g = f.gpu(0);
    expectGpu(g, 'healthy', 'none');
    assert.equal(g.score, 100);
    assert.deepEqual(g.reasons, []);
  });

  it('Xids before AAMI watched the node only set the baseline; new ones count', () => {
    const f = new Fleet();
    bumpXid(f.obs, NODE, 0, 13); // already in the counter at AAMI's first look
    expectGpu(f.gpu(0), 'healthy', 'none');
    bumpXid(f.obs, NODE, 0, 13);
    expectGpu(f.gpu(0), 'degraded', 'restart-app', /^Xid 13 \(Graphics engine exception\)/);
  });

  it('Xid 79 twice across 2 reboots: inspect the hardware, and it stays through later reboots', () => {
    const f = new Fleet();
    f.cycle();
    bumpXid(f.obs, NODE, 1, 79);
    expectGpu(f.gpu(1), 'unhealthy', 'reboot-node', /^Xid 79/);
    f.reboot();
    expectGpu(f.gpu(1), 'healthy', 'none'); // the reboot was the fix, for now
    bumpXid(f.obs, NODE, 1, 79);
    expectGpu(f.gpu(1), 'unhealthy', 'reboot-node', /2nd time across 1 reboot/);
    f.reboot();
    expectGpu(f.gpu(1), 'healthy', 'none');
    bumpXid(f.obs, NODE, 1, 79);
    const g = f.gpu(1);
    expectGpu(g, 'unhealthy', 'inspect-hardware', /3rd time since .* after 2 reboots \(threshold 2\): reboots do not fix it/);
    assert.ok(g.score <= STATE_CEILING.unhealthy);
    f.reboot();
    expectGpu(f.gpu(1), 'unhealthy', 'inspect-hardware');
    expectGpu(f.gpu(0), 'healthy', 'none'); // the neighbour is not blamed
  });

  it('an app-class Xid does not escalate however often it returns', () => {
    const f = new Fleet();
    f.cycle();
    for (let i = 0; i < 4; i++) {
      bumpXid(f.obs, NODE, 0, 94);
      expectGpu(f.gpu(0), 'degraded', 'restart-app');
      f.reboot();
    }
  });

  it('clear forgets the escalation after a repair', () => {
    const f = new Fleet();
    f.cycle();
    for (let i = 0; i < 3; i++) {
      bumpXid(f.obs, NODE, 1, 79);
      f.cycle();
      if (i < 2) f.reboot();
    }
    expectGpu(f.gpu(1), 'unhealthy', 'inspect-hardware');
    assert.equal(clearFindings(f.memory, NODE, 1), 1);
    expectGpu(f.gpu(1), 'healthy', 'none');
  });

  it('findings older than the lookback are forgotten', () => {
    const f = new Fleet();
    f.cycle();
    bumpXid(f.obs, NODE, 0, 13);
    expectGpu(f.gpu(0), 'degraded', 'restart-app');
    f.now += settings.lookbackMs;
    expectGpu(f.gpu(0), 'healthy', 'none');
  });

  it('a GPU that vanishes from a live exporter has fallen off the bus; clear forgets it', () => {
    const f = new Fleet();
    f.cycle();
    f.obs.gpus = f.obs.gpus.filter((g) => g.identity.gpu !== 1);
    bumpXid(f.obs, NODE, 1, 79);
    const g = f.gpu(1);
    expectGpu(g, 'unhealthy', 'reboot-node');
    assert.ok(g.reasons.some((r) => r.check === 'fallen-off-bus' && /Xid 79 was logged/.test(r.reason)));
    clearFindings(f.memory, NODE, 1);
    assert.equal(f.cycle().length, 1);
  });

  it('an exporter that stops answering makes its GPUs unknown, not healthy', () => {
    const f = new Fleet();
    f.cycle();
    f.obs.exporters.set(NODE, 'down');
    f.obs.gpus = [];
    const g = f.gpu(0);
    assert.equal(g.state, 'unknown');
    assert.ok(g.score <= STATE_CEILING.unknown);
    assert.match(g.reasons[0]?.reason ?? '', /does not answer/);
  });

  it('pending remap, then reboot applies it', () => {
    const f = new Fleet();
    setField(f.obs, NODE, 0, 'remapPending', 1);
    expectGpu(f.gpu(0), 'unhealthy', 'reset-gpu', /pending/);
    setField(f.obs, NODE, 0, 'remapPending', 0);
    f.reboot();
    expectGpu(f.gpu(0), 'healthy', 'none');
  });

  it('missing counters make their checks unknown without making the GPU unknown', () => {
    const f = new Fleet();
    setField(f.obs, NODE, 0, 'pcieLinkGen', undefined);
    const g = f.gpu(0);
    assert.equal(g.state, 'healthy');
    assert.equal(g.reasons[0]?.check, 'pcie-replay');
    assert.equal(g.reasons[0]?.state, 'unknown');
    assert.ok(g.score < 100);
  });

  it('the score only moves when a check changes state (scrape jitter does not move it)', () => {
    const f = new Fleet();
    const scores = new Set<number>();
    for (const replay of [0, 3.2, 10.5, 29.9, 30.4]) {
      setField(f.obs, NODE, 0, 'pcieReplayPerMin', replay);
      setField(f.obs, NODE, 0, 'memTemp', 60 + replay / 10);
      scores.add(f.gpu(0).score);
    }
    assert.deepEqual([...scores], [100]);
    setField(f.obs, NODE, 0, 'pcieReplayPerMin', 200);
    const g = f.gpu(0);
    assert.equal(g.state, 'degraded');
    assert.equal(g.score, STATE_CEILING.degraded);
  });

  it('a node takes its worst GPU; an Xid without an address is a node-level finding', () => {
    const f = new Fleet();
    f.cycle();
    setField(f.obs, NODE, 1, 'eccDbeVolatile', 1);
    f.obs.xidCounters.push({ node: NODE, pciBusId: 'UNKNOWN', xid: 79, value: 1 });
    f.now += MIN;
    const t = trackFleet(f.memory, f.obs, lookup, settings, f.now);
    const node = evaluateNode(NODE, t.snapshots.map((s) => evaluateGpu(s)), t.nodeReasons.get(NODE));
    assert.equal(node.state, 'unhealthy');
    assert.equal(node.action, 'reboot-node');
    assert.match(node.reasons[0]?.reason ?? '', /Xid 79 .* on a GPU the log line does not name/);
    assert.equal(node.score, Math.min(...node.gpus.map((g) => g.score)));
  });
});
