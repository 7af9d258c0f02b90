// The GPU simulator against the real consumers of dcgm-exporter output: a real Prometheus scrapes 50
// simulated 8-GPU nodes and must see exactly dcgm-exporter's default field set with its label names on
// every GPU; promtool must find nothing but the lint notes the real exporter also gets.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadFieldCatalog, startFleet, type RunningFleet } from '@aami/gpu-simulator';
import { promtoolCheckMetrics, startPrometheus, waitFor, type TestPrometheus } from './gpu-simulator-helpers.ts';

const NODES = 50;
const GPUS = 8;
const DEFAULT_FIELDS = loadFieldCatalog('default').metrics.map((m) => m.name);
const DCGM_LABELS = ['gpu', 'UUID', 'pci_bus_id', 'device', 'modelName', 'Hostname', 'DCGM_FI_DRIVER_VERSION'];
const num = (v: [number, string] | undefined) => Number(v?.[1]);

describe('GPU simulator scraped by a real Prometheus', { timeout: 120_000 }, () => {
  let sim: RunningFleet;
  let prom: TestPrometheus;
  let logDir: string;

  before(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'gpu-sim-it-'));
    sim = await startFleet({ nodes: NODES, gpus: GPUS, model: 'H100', counters: 'default', basePort: 0, controlPort: 0, logDir });
    prom = await startPrometheus(sim.nodes.map((n) => n.target), 1);
    await waitFor('every target up with all its GPUs', async () => {
      const up = await prom.query('count(up == 1)');
      const gpus = await prom.query('count(DCGM_FI_DEV_GPU_TEMP)');
      return num(up[0]?.value) === NODES && num(gpus[0]?.value) === NODES * GPUS ? true : undefined;
    });
  });

  after(async () => {
    await prom?.stop();
    await sim?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('stores exactly the default field set, once per GPU of every node', async () => {
    const byName = await prom.query('count by (__name__) ({__name__=~"DCGM_.+"})');
    assert.deepEqual(byName.map((r) => r.metric.__name__).sort(), [...DEFAULT_FIELDS].sort());
    for (const r of byName) assert.equal(num(r.value), NODES * GPUS, r.metric.__name__);
    const perGpu = await prom.query('count by (instance, gpu) ({__name__=~"DCGM_.+"})');
    assert.equal(perGpu.length, NODES * GPUS);
    for (const r of perGpu) assert.equal(num(r.value), DEFAULT_FIELDS.length, `${r.metric.instance} gpu ${r.metric.gpu}`);
  });

  it("every series has dcgm-exporter's label names (XID_ERRORS adds err_code/err_msg) and a consistent identity", async () => {
    const series = await prom.series('{__name__=~"DCGM_.+"}');
    assert.equal(series.length, NODES * GPUS * DEFAULT_FIELDS.length);
    const identity = new Map<string, string>();
    const hostOf = new Map(sim.nodes.map((n) => [n.target, n.name]));
    for (const s of series) {
      const expected = ['__name__', 'instance', 'job', ...DCGM_LABELS, ...(s.__name__ === 'DCGM_FI_DEV_XID_ERRORS' ? ['err_code', 'err_msg'] : [])];
      assert.deepEqual(Object.keys(s).sort(), expected.sort(), s.__name__);
      assert.equal(s.Hostname, hostOf.get(s.instance ?? ''));
      assert.equal(s.modelName, 'NVIDIA H100 80GB HBM3');
      assert.equal(s.device, `nvidia${s.gpu}`);
      assert.match(s.pci_bus_id ?? '', /^00000000:[0-9A-F]{2}:00\.0$/);
      const key = `${s.instance}/${s.gpu}`;
      const id = `${s.UUID}|${s.pci_bus_id}`;
      assert.equal(identity.get(key) ?? id, id, `one UUID and bus id per GPU (${key})`);
      identity.set(key, id);
    }
    assert.equal(new Set([...identity.values()].map((v) => v.split('|')[0])).size, NODES * GPUS, 'UUIDs unique across the fleet');
  });

  it('values make sense to PromQL: FB sums to the H100 total, energy only rises', async () => {
    const sums = await prom.query('DCGM_FI_DEV_FB_USED + ignoring() DCGM_FI_DEV_FB_FREE + ignoring() DCGM_FI_DEV_FB_RESERVED');
    assert.equal(sums.length, NODES * GPUS);
    for (const r of sums) assert.equal(num(r.value), 81559);
    await waitFor('a few samples', async () => ((await prom.query('count(count_over_time(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION[1m]) >= 3)'))[0] ? true : undefined));
    const resets = await prom.query('sum(resets(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION[1m]))');
    assert.equal(num(resets[0]?.value), 0);
  });

  it('a GPU that falls off the bus leaves Prometheus on the next scrape', async () => {
    const node = sim.nodes[7];
    assert.ok(node);
    await sim.fleet.inject(node.name, { type: 'fall-off-bus', gpu: 3 });
    const left = await waitFor('gpu 3 gone', async () => {
      const r = await prom.query(`count(DCGM_FI_DEV_GPU_TEMP{Hostname="${node.name}"})`);
      return num(r[0]?.value) === GPUS - 1 ? true : undefined;
    });
    assert.equal(left, true);
    await sim.fleet.clear(node.name);
  });

  it('promtool finds no errors, only the lint notes the real dcgm-exporter output also triggers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpu-sim-lint-'));
    const one = await startFleet({ nodes: 1, gpus: GPUS, counters: 'aami', basePort: 0, controlPort: null, logDir: dir });
    try {
      const name = one.nodes[0]?.name ?? '';
      await one.fleet.inject(name, { type: 'xid', gpu: 0, xid: 13 });
      await one.fleet.inject(name, { type: 'nvlink', gpu: 1 });
      const text = await (await fetch(one.nodes[0]?.url ?? '')).text();
      const { code, lines } = await promtoolCheckMetrics(text);
      // Exit 3 means "lint problems only"; 1 would be a parse error.
      assert.ok(code === 0 || code === 3, `promtool exit ${code}: ${lines.join('\n')}`);
      const counters = new Set(loadFieldCatalog('aami').metrics.filter((m) => m.type === 'counter').map((m) => m.name));
      for (const l of lines) {
        assert.doesNotMatch(l, /^error/i, "a parse error");
        const total = /^(\S+) counter metrics should have "_total" suffix$/.exec(l);
        const camel = /^(\S+) label names should be written in 'snake_case' not 'camelCase'$/.exec(l);
        const typed = /^(\S+) metric name should not include type 'counter'$/.exec(l);
        // All three come from dcgm-exporter's own naming: counters are named after DCGM fields (upper case,
        // no _total), one label is called modelName, and one field is DCGM_FI_DEV_PCIE_REPLAY_COUNTER.
        const ok =
          (total !== null && counters.has(total[1] ?? '')) ||
          (camel !== null && text.includes(`${camel[1]}{`)) ||
          (typed !== null && typed[1] === 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER');
        assert.ok(ok, `unexpected promtool output: ${l}`);
      }
      // The same check does catch a broken exposition.
      const broken = await promtoolCheckMetrics(text.replace('",DCGM_FI_DRIVER_VERSION="', '"DCGM_FI_DRIVER_VERSION="'));
      assert.equal(broken.code, 1);
      assert.match(broken.lines.join('\n'), /^error while linting/m);
    } finally {
      await one.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
