import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LABEL_VALUE_MAX, NodeChartsResponse, NotFoundError, OverviewResponse, UnavailableError, ValidationError, XID_MARKERS_MAX, loadPresetCatalog,
  type CompileStatus, type InstallRunsList, type PromRangeGrid, type PromRangeSeries, type PromSample,
} from '@aami/shared';
import { healthCountExpr, overviewDomain, promqlString, type OverviewDeps } from './overview.ts';
import { FakeConfigStore, FakePrometheus } from './test-fakes.ts';
import { prometheusError } from '../routes/overview.ts';

const NOW_MS = 1_700_000_000_000;
const END = NOW_MS / 1000;
const H100 = 'NVIDIA H100 80GB HBM3';
const HOSTILE = `<img src=x onerror=alert(1)>"\\${'x'.repeat(400)}`;

const sample = (metric: Record<string, string>, value: string | number): PromSample => ({ metric, value: [END, String(value)] });
const gpuId = (node: string, gpu: number, extra: Record<string, string> = {}) => ({ node, gpu: String(gpu), UUID: `GPU-${node}-${gpu}`, modelName: H100, ...extra });

const COMPILE: CompileStatus = {
  state: 'failed',
  lastAttempt: { at: '2026-01-02T03:04:05.000Z', revision: 7, ok: false, durationMs: 12, changed: false, errors: [{ path: 'alerts.custom[0].expr', message: 'parse error' }], warnings: [] },
  lastSuccess: { at: '2026-01-01T00:00:00.000Z', revision: 6, hash: 'abc', summary: { nodes: 2, rules: 10, disabledRules: 0, ruleFiles: 3 }, files: { written: 1, removed: 0, unchanged: 3 } },
  reload: null,
};
const RUNS: InstallRunsList = {
  runs: [{
    id: 'run-1', action: 'install', nodes: ['n1', 'n2'], createdAt: '2026-01-02T00:00:00.000Z', status: 'done', total: 2,
    counts: { queued: 0, running: 0, retrying: 0, done: 1, failed: 1 }, results: { installed: 1, failed: 1 }, percent: 100,
  }],
};

/** Nodes n1, n2 and n3 configured; every source answers unless a test replaces it. */
function setup(config: Record<string, unknown> = {}, overrides: Partial<OverviewDeps> = {}) {
  const store = new FakeConfigStore({ nodes: ['n1', 'n2', 'n3'].map((name, i) => ({ name, ip: `10.0.0.${i + 1}` })), ...config });
  const prom = new FakePrometheus();
  const catalog = loadPresetCatalog();
  const domain = overviewDomain({
    store,
    prometheus: prom,
    firingAlerts: async () => ([{ severity: 'critical' }, { severity: 'critical' }, { severity: 'warning' }, { severity: 'page-me' }, {}] as Array<Record<string, string>>).map((labels) => ({ labels })),
    compileStatus: async () => COMPILE,
    installRuns: async () => RUNS,
    catalog: () => catalog,
    now: () => NOW_MS,
    ...overrides,
  });
  return { store, prom, domain };
}

/** The analyzer's GPUs per node and state, as the count query answers (before the nodes are kept to config.yaml's). */
const STATE_COUNTS: PromSample[] = [
  sample({ node: 'n1', state: 'healthy' }, 2),
  sample({ node: 'n1', state: 'degraded' }, 1),
  sample({ node: 'n2', state: 'unknown' }, 1),
  sample({ node: 'n2', state: '<b>on fire</b>' }, 1),
  sample({ node: 'ghost', state: 'unhealthy' }, 5),
];
const COUNT_QUERY = /^count by \(node, state\) \(max by \(node, gpu, state\) \(aami_gpu_health_state\{state="unhealthy"/;

/**
 * n1 up with GPUs 0..2; n2 up with one hostile GPU and series that are no GPU; n3 has no up series;
 * a node config.yaml does not list; the analyzer's verdicts on n1 and n2 (and the unlisted node).
 */
function fleet(prom: FakePrometheus, counts: PromSample[] | Error = STATE_COUNTS) {
  return prom
    .onInstant(COUNT_QUERY, counts)
    .onInstant(/^min by \(node\) \(up\{job="node_exporter"\}\)$/, [sample({ node: 'n1' }, 1), sample({ node: 'n2' }, 1), sample({ node: 'ghost' }, 1)])
    .onInstant(/^max by \(node, gpu, UUID, modelName\) \(DCGM_FI_DEV_GPU_TEMP\)$/, [
      sample(gpuId('n1', 2), 90.46),
      sample(gpuId('n1', 0), 50),
      sample(gpuId('n1', 1), 80),
      sample(gpuId('n2', 0, { UUID: HOSTILE, modelName: HOSTILE }), 'NaN'),
      sample(gpuId('n2', 0, { UUID: 'GPU-second-series-of-the-same-index' }), 40),
      sample(gpuId('n2', 1, { gpu: 'abc' }), 40),
      sample(gpuId('n2', 64), 40),
      sample(gpuId('ghost', 0), 99),
    ]);
}

test('the temperature overview: every configured GPU with its value and level, counts, and two queries for the whole fleet', async () => {
  const { prom, domain } = setup();
  fleet(prom);
  const o = OverviewResponse.parse(await domain.overview('temperature'));
  assert.equal(o.metric, 'temperature');
  assert.equal(o.at, END);
  assert.deepEqual(o.legend, { unit: '°C', warn: 75, bad: 85, states: null });
  const cut = HOSTILE.slice(0, LABEL_VALUE_MAX);
  assert.deepEqual(o.models, [H100, cut]);
  assert.deepEqual(o.nodes, [
    { name: 'n1', up: true, gpus: [[0, 'GPU-n1-0', 0, 50, 0], [1, 'GPU-n1-1', 0, 80, 1], [2, 'GPU-n1-2', 0, 90.5, 2]] },
    { name: 'n2', up: true, gpus: [[0, cut, 1, null, 0]] },
    { name: 'n3', up: false, gpus: [] },
  ]);
  assert.deepEqual(o.summary.nodes, { configured: 3, up: 2, down: 1 });
  assert.deepEqual(o.summary.gpus, { reporting: 4, with_value: 3, warn: 1, bad: 1, states: { healthy: 2, degraded: 1, unknown: 1 } });
  assert.deepEqual(o.summary.alerts, { critical: 2, warning: 1, info: 0, other: 2 });
  assert.deepEqual(o.summary.compile, { state: 'failed', revision: 7, compiled_at: '2026-01-02T03:04:05.000Z', live_revision: 6, error: 'alerts.custom[0].expr: parse error' });
  const { nodes: _nodes, ...run } = RUNS.runs[0]!;
  assert.deepEqual(o.summary.install, run);
  assert.deepEqual(o.unavailable, []);
  // The temperature is the identity query's own value: three queries (up, the GPUs, the health
  // counts), none naming a node.
  assert.equal(prom.asked.length, 3);
  for (const q of prom.asked) assert.doesNotMatch(q.expr, /n1|n2|n3/);
});

test("the thresholds of the legend are config.yaml's: an override moves a GPU from bad to warn", async () => {
  const { prom, domain } = setup({ alerts: { overrides: { GPUTemperatureCritical: { threshold: 95 } } } });
  fleet(prom);
  const o = OverviewResponse.parse(await domain.overview('temperature'));
  assert.deepEqual(o.legend, { unit: '°C', warn: 75, bad: 95, states: null });
  assert.deepEqual(o.nodes[0]?.gpus[2], [2, 'GPU-n1-2', 0, 90.5, 1]);
  assert.deepEqual([o.summary.gpus.warn, o.summary.gpus.bad], [2, 0]);
});

test('memory, utilization and power are one aggregated query each, joined to the GPUs by node and index', async () => {
  for (const [metric, pattern, legend] of [
    ['memory', /^max by \(node, gpu\) \(100 \* DCGM_FI_DEV_FB_USED \/ clamp_min\(DCGM_FI_DEV_FB_USED \+ DCGM_FI_DEV_FB_FREE \+ DCGM_FI_DEV_FB_RESERVED, 1\)\)$/, { unit: '%', warn: 90, bad: null, states: null }],
    ['utilization', /^max by \(node, gpu\) \(DCGM_FI_DEV_GPU_UTIL\)$/, { unit: '%', warn: null, bad: null, states: null }],
    ['power', /^max by \(node, gpu\) \(DCGM_FI_DEV_POWER_USAGE\)$/, { unit: 'W', warn: null, bad: null, states: null }],
  ] as const) {
    const { prom, domain } = setup();
    fleet(prom).onInstant(pattern, [sample({ node: 'n1', gpu: '0' }, 97.04), sample({ node: 'n1', gpu: '1' }, 12), sample({ node: 'n3', gpu: '5' }, 'Inf')]);
    const o = OverviewResponse.parse(await domain.overview(metric));
    assert.deepEqual(o.legend, legend, metric);
    const level = metric === 'memory' ? 1 : 0;
    assert.deepEqual(o.nodes[0]?.gpus, [[0, 'GPU-n1-0', 0, 97, level], [1, 'GPU-n1-1', 0, 12, 0], [2, 'GPU-n1-2', 0, null, 0]], metric);
    // A GPU only the value query knows (no identity) is still shown, without UUID or model.
    assert.deepEqual(o.nodes[2]?.gpus, [[5, null, null, null, 0]], metric);
    assert.deepEqual(o.summary.gpus, { reporting: 4, with_value: 2, warn: level, bad: 0, states: { healthy: 2, degraded: 1, unknown: 1 } }, metric);
    assert.equal(prom.asked.length, 4, metric);
  }
});

test("the health overview colours GPUs by the analyzer's state, counts them by state, and takes the worse of two", async () => {
  const { prom, domain } = setup();
  fleet(prom).onInstant(/^max by \(node, gpu, UUID, state\) \(aami_gpu_health_state == 1\)$/, [
    sample({ node: 'n1', gpu: '0', UUID: 'GPU-n1-0', state: 'healthy' }, 1),
    sample({ node: 'n1', gpu: '1', UUID: 'GPU-n1-1', state: 'unhealthy' }, 1),
    sample({ node: 'n1', gpu: '1', UUID: 'GPU-n1-1', state: 'degraded' }, 1),
    sample({ node: 'n1', gpu: '2', UUID: 'GPU-n1-2', state: 'degraded' }, 1),
    sample({ node: 'n1', gpu: '2', UUID: 'GPU-n1-2', state: 'healthy' }, 1),
    sample({ node: 'n2', gpu: '0', state: '<b>on fire</b>' }, 1),
    sample({ node: 'n3', gpu: '3', UUID: 'GPU-gone-from-dcgm', state: 'unknown' }, 1),
  ]);
  const o = OverviewResponse.parse(await domain.overview('health'));
  assert.deepEqual(o.legend, { unit: null, warn: null, bad: null, states: ['healthy', 'unknown', 'degraded', 'unhealthy'] });
  assert.deepEqual(o.nodes.map((n) => n.gpus), [
    [[0, 'GPU-n1-0', 0, 0, 0], [1, 'GPU-n1-1', 0, 3, 2], [2, 'GPU-n1-2', 0, 2, 1]],
    [[0, HOSTILE.slice(0, LABEL_VALUE_MAX), 1, null, 0]],
    [[3, 'GPU-gone-from-dcgm', null, 1, 0]],
  ]);
  assert.deepEqual(o.summary.gpus.states, { healthy: 1, unhealthy: 1, degraded: 1, unknown: 1 });
  assert.deepEqual([o.summary.gpus.with_value, o.summary.gpus.warn, o.summary.gpus.bad], [4, 1, 1]);
  // The health values hold the counts already: no count query on top.
  assert.equal(prom.asked.length, 3);
  assert.ok(!prom.asked.some((q) => COUNT_QUERY.test(q.expr)));
});

test('every other metric counts the GPUs by health state too: one query for the fleet, each GPU once at its worst state', async () => {
  assert.equal(healthCountExpr(), 'count by (node, state) ('
    + ['unhealthy', 'degraded', 'unknown', 'healthy'].map((st) => `max by (node, gpu, state) (aami_gpu_health_state{state="${st}", gpu=~"0?[0-9]|[1-5][0-9]|6[0-3]"} == 1)`).join(' or on (node, gpu) ')
    + ')');
  // No series of the analyzer in Prometheus: an empty record, which is not the same as "could not ask".
  const none = setup();
  fleet(none.prom, []).onInstant(/DCGM_FI_DEV_GPU_UTIL/, [sample({ node: 'n1', gpu: '0' }, 40)]);
  const o = OverviewResponse.parse(await none.domain.overview('utilization'));
  assert.deepEqual(o.summary.gpus.states, {});
  assert.deepEqual(o.unavailable, []);
  // The count query failing leaves the states null and names Prometheus; the metric is still answered.
  const failing = setup();
  fleet(failing.prom, new Error('prometheus query failed (HTTP 422: query timed out)'));
  const o2 = OverviewResponse.parse(await failing.domain.overview('temperature'));
  assert.equal(o2.summary.gpus.states, null);
  assert.deepEqual([o2.summary.gpus.with_value, o2.summary.gpus.warn, o2.summary.gpus.bad], [3, 1, 1]);
  assert.deepEqual(o2.unavailable, [{ source: 'prometheus', message: 'prometheus query failed (HTTP 422: query timed out)' }]);
});

test('a source that does not answer leaves its parts null and is named; the rest is still answered', async () => {
  const down = async () => { throw new Error('connect ECONNREFUSED'); };
  const { prom, domain } = setup({}, { firingAlerts: down, compileStatus: down, installRuns: async () => ({ runs: [] }) });
  prom.onInstant(/./, new Error('Prometheus at http://prom:9090 is not reachable (fetch failed)'));
  const o = OverviewResponse.parse(await domain.overview('power'));
  assert.deepEqual(o.nodes, [{ name: 'n1', up: null, gpus: [] }, { name: 'n2', up: null, gpus: [] }, { name: 'n3', up: null, gpus: [] }]);
  assert.deepEqual(o.summary, {
    nodes: { configured: 3, up: null, down: null },
    gpus: { reporting: null, with_value: null, warn: null, bad: null, states: null },
    alerts: null, compile: null, install: null,
  });
  assert.deepEqual(o.unavailable, [
    { source: 'prometheus', message: 'Prometheus at http://prom:9090 is not reachable (fetch failed)' },
    { source: 'alertmanager', message: 'connect ECONNREFUSED' },
    { source: 'rule-compiler', message: 'connect ECONNREFUSED' },
  ]);
  // A compile status the schema does not know is a problem of the rule compiler, not a crash.
  const odd = setup({}, { compileStatus: async () => ({ state: 'exploded' }) });
  fleet(odd.prom);
  const o2 = OverviewResponse.parse(await odd.domain.overview('temperature'));
  assert.equal(o2.summary.compile, null);
  assert.deepEqual(o2.unavailable.map((u) => u.source), ['rule-compiler']);
});

// --- charts ---

const STEP = 15;
const START = END - 240 * STEP;
/** A range series with a value at grid points `from..to` (inclusive), `value(i)` at point i. */
const points = (metric: Record<string, string>, from: number, to: number, value: (i: number) => number | string, start = START, step = STEP): PromRangeSeries => ({
  metric, values: Array.from({ length: to - from + 1 }, (_, k) => [start + (from + k) * step, String(value(from + k))] as [number, string]),
});

function chartsFleet(prom: FakePrometheus) {
  return prom
    .onInstant(/^max by \(gpu, UUID, modelName, pci_bus_id, DCGM_FI_DRIVER_VERSION\) \(timestamp\(DCGM_FI_DEV_GPU_TEMP\{node="n1"\}\) or max_over_time\(timestamp\(DCGM_FI_DEV_GPU_TEMP\{node="n1"\}\)\[3600s:15s\]\)\)$/, [
      sample({ gpu: '0', UUID: 'GPU-a', modelName: H100, pci_bus_id: '00000000:18:00.0', DCGM_FI_DRIVER_VERSION: '570.1' }, END - 1800),
      sample({ gpu: '0', UUID: 'GPU-a', modelName: H100, pci_bus_id: '00000000:18:00.0', DCGM_FI_DRIVER_VERSION: '580.2' }, END - 5),
      sample({ gpu: '1', UUID: 'GPU-b', modelName: HOSTILE, pci_bus_id: '00000000:2a:00.0', DCGM_FI_DRIVER_VERSION: '580.2' }, END - 600),
      sample({ gpu: 'x', UUID: 'GPU-c', modelName: H100, pci_bus_id: '00000000:3B:00.0' }, END),
    ])
    .onInstant(/^label_replace\(max by \(gpu\) \(DCGM_FI_DEV_GPU_UTIL\{node="n1"\}\), "series", "utilization", "", ""\) or label_replace/, [
      sample({ gpu: '0', series: 'utilization' }, 77.77), sample({ gpu: '0', series: 'clock_reasons' }, 72), sample({ gpu: '0', series: 'temperature' }, 61),
      sample({ gpu: '0', series: 'not-a-kind' }, 1),
    ])
    .onRange(/^max by \(gpu\) \(avg_over_time\(DCGM_FI_DEV_GPU_UTIL\{node="n1"\}\[15s\]\)\)$/, [points({ gpu: '0' }, 0, 240, (i) => i / 3), points({ gpu: '1' }, 100, 120, () => 50)])
    .onRange(/DCGM_FI_DEV_FB_USED\{node="n1"\}\[15s\]/, [points({ gpu: '0' }, 0, 240, () => 12.345)])
    .onRange(/^max by \(gpu\) \(max_over_time\(DCGM_FI_DEV_GPU_TEMP\{node="n1"\}\[15s\]\)\)$/, [points({ gpu: '0' }, 0, 240, () => 60)])
    .onRange(/^max by \(gpu\) \(avg_over_time\(DCGM_FI_DEV_POWER_USAGE\{node="n1"\}\[15s\]\)\)$/, [])
    .onRange(/^max by \(gpu\) \(last_over_time\(DCGM_FI_DEV_CLOCK_THROTTLE_REASONS\{node="n1"\}\[15s\]\)\)$/, [points({ gpu: '0' }, 230, 240, () => 72)])
    // The Xid counter's last value before the range: 79 on GPU 0 was counted once, days ago.
    .onRange(/last_over_time\(aami_xid_errors_total\{node="n1"\}\[7d\]\)/, (grid) => {
      assert.deepEqual(grid, { start: START - 2 * STEP, end: START - 2 * STEP, step: STEP });
      return [{ metric: { pci_bus_id: '00000000:18:00.0', xid: '79' }, values: [[grid.start, '1']] }];
    })
    .onRange(/^max by \(pci_bus_id, xid\) \(last_over_time\(aami_xid_errors_total\{node="n1"\}\[15s\]\)\)$/, (grid) => {
      assert.deepEqual(grid, { start: START - STEP, end: END, step: STEP });
      const x = (from: number, to: number, value: (i: number) => number) => points({}, from, to, value, START - STEP);
      return [
        // GPU 0, Xid 79: the node was down at the start of the range (no point), then 1 as before, then 3 at point 201.
        { metric: { pci_bus_id: '00000000:18:00.0', xid: '79' }, values: x(21, 241, (i) => (i < 201 ? 1 : 3)).values },
        // GPU 1 (lower-case bus id from the Xid counter is the same GPU), Xid 13: new at point 51.
        { metric: { pci_bus_id: '00000000:2A:00.0', xid: '13' }, values: x(51, 241, () => 2).values },
        // Known before the range (its first point is the one before the range): no marker, until it restarts at 0 and counts 1.
        { metric: { pci_bus_id: '00000000:2A:00.0', xid: '31' }, values: x(0, 241, (i) => (i < 150 ? 5 : i < 160 ? 0 : 1)).values },
        // A bus id that is none of the node's GPUs, and an xid label that is no number.
        { metric: { pci_bus_id: '00000000:99:00.0', xid: '48' }, values: x(100, 241, () => 1).values },
        { metric: { pci_bus_id: '00000000:18:00.0', xid: '<script>' }, values: x(100, 241, () => 1).values },
      ];
    });
}

test("a node's charts: about 240 points per series, identity as last seen, readings now, and Xid markers from counter increases", async () => {
  const { prom, domain } = setup({ prometheus: { scrape_interval: '1s' } });
  chartsFleet(prom);
  const c = NodeChartsResponse.parse(await domain.charts('n1', '1h'));
  assert.deepEqual([c.node, c.range, c.start, c.end, c.step, c.points], ['n1', '1h', START, END, STEP, 241]);
  assert.deepEqual(c.gpus.map((g) => [g.gpu, g.uuid, g.model, g.pci_bus_id, g.driver_version, g.last_seen]), [
    [0, 'GPU-a', H100, '00000000:18:00.0', '580.2', END - 5],
    [1, 'GPU-b', HOSTILE.slice(0, LABEL_VALUE_MAX), '00000000:2a:00.0', '580.2', END - 600],
  ]);
  const [g0, g1] = c.gpus;
  assert.deepEqual(g0?.current, { utilization: 77.8, memory: null, temperature: 61, power: null, clock_reasons: 72 });
  for (const series of Object.values(g0!.series)) assert.equal(series.length, 241);
  assert.equal(g0?.series.utilization[3], 1);
  assert.equal(g0?.series.utilization[240], 80);
  assert.equal(g0?.series.memory[17], 12.3);
  assert.deepEqual(g0?.series.power, new Array(241).fill(null));
  assert.deepEqual(g0?.series.clock_reasons.slice(228), [null, null, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72]);
  assert.deepEqual(g1?.series.utilization.slice(99, 122), [null, ...new Array(21).fill(50), null]);
  assert.deepEqual(c.xids, [
    { t: START + 50 * STEP, xid: 13, count: 2, pci_bus_id: '00000000:2A:00.0', gpu: 1 },
    { t: START + 99 * STEP, xid: 48, count: 1, pci_bus_id: '00000000:99:00.0', gpu: null },
    { t: START + 159 * STEP, xid: 31, count: 1, pci_bus_id: '00000000:2A:00.0', gpu: 1 },
    { t: START + 200 * STEP, xid: 79, count: 2, pci_bus_id: '00000000:18:00.0', gpu: 0 },
  ]);
  assert.equal(c.xids_truncated, false);
  assert.deepEqual(c.clock_reason_bits.find((b) => b.mask === 0x8), { mask: 8, name: 'hw_slowdown' });
  // One query per kind for the whole node: identity, readings now, five series, the Xids and their base.
  assert.equal(prom.asked.length, 9);
  for (const q of prom.asked) assert.match(q.expr, /\{node="n1"\}/);
});

test('each range has about 240 points; each step window holds a few scrapes whatever the step', async () => {
  for (const [range, step, window] of [['1h', 15, '120s'], ['6h', 90, '120s'], ['24h', 360, '360s'], ['7d', 2520, '2520s']] as const) {
    const { prom, domain } = setup({ prometheus: { scrape_interval: '30s' } });
    prom.onInstant(/./, []).onRange(/./, []);
    const c = NodeChartsResponse.parse(await domain.charts('n2', range));
    assert.deepEqual([c.step, c.points, c.end - c.start], [step, 241, 240 * step], range);
    const grids = prom.asked.filter((q) => q.kind === 'range' && !/\[7d\]/.test(q.expr)).map((q) => q.grid as PromRangeGrid);
    assert.ok(grids.every((g) => g.step === step && g.end === END), range);
    assert.match(prom.asked.find((q) => /GPU_UTIL/.test(q.expr) && q.kind === 'range')!.expr, new RegExp(`\\[${window}\\]`), range);
    assert.deepEqual(c.gpus, []);
  }
});

test('charts of an unknown node are a NotFoundError and of a malformed name a ValidationError, both before any query', async () => {
  const { prom, domain } = setup();
  await assert.rejects(domain.charts('n9', '1h'), NotFoundError);
  await assert.rejects(domain.charts('n1"}) or vector(1', '1h'), ValidationError);
  await assert.rejects(domain.charts('', '1h'), ValidationError);
  assert.deepEqual(prom.asked, []);
});

test("Prometheus failing a chart fails the request with the reader's error", async () => {
  const { prom, domain } = setup();
  const down = new UnavailableError('Prometheus at http://prom:9090 is not reachable (fetch failed)');
  prom.onInstant(/./, []).onRange(/GPU_TEMP/, down).onRange(/./, []);
  await assert.rejects(domain.charts('n1', '6h'), (err) => err === down);
});

test('Xid markers are capped at the newest XID_MARKERS_MAX', async () => {
  const { prom, domain } = setup();
  prom.onInstant(/./, []).onRange(/\[7d\]/, []).onRange(/aami_xid_errors_total/, () =>
    Array.from({ length: 3 }, (_, k) => ({ metric: { pci_bus_id: `00000000:0${k}:00.0`, xid: '13' }, values: points({}, 0, 241, (i) => i, START - STEP).values })))
    .onRange(/./, []);
  const c = NodeChartsResponse.parse(await domain.charts('n1', '1h'));
  assert.equal(c.xids.length, XID_MARKERS_MAX);
  assert.equal(c.xids_truncated, true);
  assert.equal(c.xids.at(-1)?.t, END);
  assert.ok(c.xids.every((m, i) => i === 0 || c.xids[i - 1]!.t <= m.t));
});

test('PromQL strings escape quotes, backslashes and line breaks', () => {
  assert.equal(promqlString('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
});

test("Prometheus' failures become the gateway's upstream errors: unreachable 503, refused or failed 502", () => {
  const refused = Object.assign(new TypeError('fetch failed'), { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
  const e1 = prometheusError(refused, 'http://127.0.0.1:9');
  assert.deepEqual([e1.status, e1.code, e1.message], [503, 'unavailable', 'Prometheus at http://127.0.0.1:9 is not reachable (fetch failed: connect ECONNREFUSED 127.0.0.1:9)']);
  const slow = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
  assert.deepEqual([prometheusError(slow, 'http://p').status, prometheusError(slow, 'http://p').message], [503, 'Prometheus at http://p is not reachable (no answer in time)']);
  const auth = prometheusError(new Error('prometheus refused the credentials (HTTP 401): check AAMI_PROMETHEUS_PASSWORD_FILE'), 'http://p');
  assert.deepEqual([auth.status, auth.code], [502, 'upstream_auth']);
  const bad = prometheusError(new Error('prometheus range query failed (HTTP 422: query timed out): up'), 'http://p');
  assert.deepEqual([bad.status, bad.code], [502, 'upstream_error']);
});
