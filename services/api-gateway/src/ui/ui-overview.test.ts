// The overview's and the node page's pure parts (services/api-gateway/ui/src/views/overview-map.ts,
// charts.ts, health-marks.ts and poll.ts), run under Node: the map's layout and hit-testing for 4,
// 1,000 and 10,000 nodes of 8 GPUs, keyboard moves, colours and levels, the drawing on a recording
// context, the GPU card's counts by health state, the health words the Health panel shares with the
// health screen, the charts answer shaped into uPlot's columns with its Xid markers, and the refresh
// timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeChartsResponse, OverviewGpu, OverviewLegend, OverviewNode, OverviewResponse } from '@aami/shared';
import {
  COLOUR_STEPS, MAP_PAD, SCALE, VIRIDIS, attention, cellCentre, cellOrigin, cellSentence, colourStep, drawMap, fillKey, gpuAt, hitTest, inkOn,
  keyColour, layoutMap, levelText, mapModel, metricDomain, moveCursor, nextAttention, slotsFor, tipLines, valueText, viridis,
  type MapCtx, type MapLayout,
} from '../../ui/src/views/overview-map.ts';
import { chartData, chartSummary, clockChart, fmtValue, gpuChart, gpuStyle, reasonsOf, timeAxis, xidMarks, yRange } from '../../ui/src/views/charts.ts';
import { nextDelay, startPoller, type PollEnv } from '../../ui/src/poll.ts';
import { STATES_WORST_FIRST, actionText, known, score, stateCounts, stateText } from '../../ui/src/views/health-marks.ts';

const TEMP_LEGEND: OverviewLegend = { unit: '°C', warn: 75, bad: 85, states: null };
const HEALTH_LEGEND: OverviewLegend = { unit: null, warn: null, bad: null, states: ['healthy', 'unknown', 'degraded', 'unhealthy'] };

/** `count` nodes of 8 GPUs at 50 °C; `hot` lists [node, gpu, °C] to change. */
function fleet(count: number, hot: Array<[number, number, number]> = []): OverviewResponse {
  const nodes: OverviewNode[] = Array.from({ length: count }, (_, i) => ({
    name: `gpu-node-${String(i + 1).padStart(5, '0')}`,
    up: true,
    gpus: Array.from({ length: 8 }, (_, g): OverviewGpu => [g, `GPU-${i}-${g}`, 0, 50, 0]),
  }));
  for (const [n, g, v] of hot) {
    const gpu = nodes[n]!.gpus[g]!;
    gpu[3] = v;
    gpu[4] = v > 85 ? 2 : v > 75 ? 1 : 0;
  }
  return {
    metric: 'temperature', at: 1_800_000_000, legend: TEMP_LEGEND, models: ['NVIDIA H100 80GB HBM3'], nodes, unavailable: [],
    summary: {
      nodes: { configured: count, up: count, down: 0 },
      gpus: { reporting: count * 8, with_value: count * 8, warn: 0, bad: 0, states: null },
      alerts: null, compile: null, install: null,
    },
  };
}

/** Every cell's centre hit-tests back to that cell, and no two cells overlap. */
function assertRoundTrip(l: MapLayout): void {
  const seen = new Set<string>();
  for (let node = 0; node < l.count; node++) {
    for (let slot = 0; slot < l.slots; slot++) {
      const c = cellCentre(l, { node, slot });
      assert.deepEqual(hitTest(l, c.x, c.y), { node, slot }, `node ${node} slot ${slot} at ${c.x},${c.y}`);
      const o = cellOrigin(l, { node, slot });
      const key = `${o.x},${o.y}`;
      assert.ok(!seen.has(key), `two cells at ${key}`);
      seen.add(key);
      assert.ok(o.x >= MAP_PAD && o.x + l.cell <= l.width - MAP_PAD + 0.001, `inside across: ${o.x}`);
      assert.ok(o.y >= MAP_PAD && o.y + l.cell <= l.height - MAP_PAD + 0.001, `inside down: ${o.y}`);
    }
  }
}

test('4 nodes of 8 GPUs: large named cells, 4 x 2 per node, every cell found again by its centre', () => {
  const l = layoutMap(4, 8, 1150, 660);
  assert.equal(l.cell, 40);
  assert.ok(l.label > 0, 'node names are drawn above the blocks');
  assert.deepEqual([l.blockCols, l.blockRows], [4, 2]);
  assert.equal(l.rows, 1);
  assert.deepEqual(cellOrigin(l, { node: 0, slot: 0 }), { x: MAP_PAD, y: MAP_PAD + l.label });
  // GPU 5 is the second row's second cell.
  assert.deepEqual(cellOrigin(l, { node: 1, slot: 5 }), { x: MAP_PAD + l.pitchX + l.cell + l.gap, y: MAP_PAD + l.label + l.cell + l.gap });
  assertRoundTrip(l);
  // The name line answers with the node, slot -1; between blocks and past the last node, nothing.
  assert.deepEqual(hitTest(l, MAP_PAD + 3, MAP_PAD + 3), { node: 0, slot: -1 });
  assert.equal(hitTest(l, MAP_PAD + l.blockW + 2, MAP_PAD + l.label + 5), null);
  assert.equal(hitTest(l, MAP_PAD + 4 * l.pitchX + 5, MAP_PAD + l.label + 5), null);
  assert.equal(hitTest(l, 2, 2), null);
});

test('1,000 nodes x 8 GPUs fit a window without scrolling far, and every one of the 8,000 cells hit-tests to itself', () => {
  const l = layoutMap(1000, 8, 1150, 660);
  assert.ok(l.height <= 660, `height ${l.height}`);
  assert.ok(l.cell >= 5, `cells stay visible: ${l.cell}px`);
  assert.equal(l.label, 0, 'no names at this density (the tooltip has them)');
  assertRoundTrip(l);
});

test('10,000 nodes: the smallest cells still lay out in order, and a hit-test is arithmetic, not a search', () => {
  const l = layoutMap(10_000, 8, 1150, 660);
  assert.ok(l.cell >= 2);
  assert.ok(l.cols * l.rows >= 10_000);
  const t0 = performance.now();
  for (let node = 0; node < 10_000; node += 7) {
    const c = cellCentre(l, { node, slot: node % 8 });
    assert.deepEqual(hitTest(l, c.x, c.y), { node, slot: node % 8 });
  }
  assert.ok(performance.now() - t0 < 500);
  const last = cellCentre(l, { node: 9999, slot: 7 });
  assert.equal(hitTest(l, last.x + l.pitchX, last.y), null, 'past the last node');
});

test('the keyboard cursor moves cell by cell across node blocks, and stays on the map at its edges', () => {
  const l = layoutMap(10, 8, 600, 2000);
  assert.ok(l.cols >= 2 && l.cols < 10, `${l.cols} blocks a row`);
  // Right from the end of a block's first row: the next node's first cell.
  assert.deepEqual(moveCursor(l, { node: 0, slot: 3 }, 'ArrowRight'), { node: 1, slot: 0 });
  assert.deepEqual(moveCursor(l, { node: 1, slot: 4 }, 'ArrowLeft'), { node: 0, slot: 7 });
  assert.deepEqual(moveCursor(l, { node: 0, slot: 1 }, 'ArrowDown'), { node: 0, slot: 5 });
  assert.deepEqual(moveCursor(l, { node: 0, slot: 5 }, 'ArrowDown'), { node: l.cols, slot: 1 });
  assert.deepEqual(moveCursor(l, { node: l.cols, slot: 1 }, 'ArrowUp'), { node: 0, slot: 5 });
  assert.deepEqual(moveCursor(l, { node: 0, slot: 0 }, 'ArrowLeft'), { node: 0, slot: 0 });
  assert.deepEqual(moveCursor(l, { node: 0, slot: 0 }, 'ArrowUp'), { node: 0, slot: 0 });
  assert.deepEqual(moveCursor(l, { node: 9, slot: 7 }, 'ArrowRight'), { node: 9, slot: 7 }, 'no node after the last');
  assert.deepEqual(moveCursor(l, { node: 9, slot: 7 }, 'ArrowDown'), { node: 9, slot: 7 });
  assert.deepEqual(moveCursor(l, { node: 4, slot: 2 }, 'Home'), { node: 0, slot: 0 });
  assert.deepEqual(moveCursor(l, { node: 4, slot: 2 }, 'End'), { node: 9, slot: 7 });
  assert.deepEqual(moveCursor(l, { node: 1, slot: 2 }, 'PageDown'), { node: 9, slot: 2 });
  assert.deepEqual(moveCursor(l, { node: 9, slot: 2 }, 'PageUp'), { node: 9 % l.cols, slot: 2 });
  // Six GPUs in a 4 x 2 block: the two unused cells are skipped.
  const six = layoutMap(3, 6, 600, 2000);
  assert.deepEqual(moveCursor(six, { node: 0, slot: 5 }, 'ArrowRight'), { node: 1, slot: 4 });
});

test('GPU slots are GPU indexes: a GPU that fell off the bus leaves a hole, and the hole says so', () => {
  const resp = fleet(2);
  resp.nodes[1]!.gpus.splice(3, 1); // gpu-node-00002 lost GPU 3
  const m = mapModel(resp);
  assert.equal(slotsFor(resp.nodes), 8);
  assert.equal(gpuAt(m, { node: 1, slot: 3 }), undefined);
  assert.equal(gpuAt(m, { node: 1, slot: 4 })?.[0], 4);
  assert.equal(cellSentence(m, { node: 1, slot: 3 }), 'gpu-node-00002 GPU 3: not reporting');
  const ctx = recorder();
  const counts = drawMap(ctx, layoutMap(2, 8, 800, 600), m);
  assert.equal(counts.cells, 15);
});

test('colours: viridis from dark blue-purple to yellow in 32 steps, health by state, a GPU without a reading grey', () => {
  assert.equal(viridis(0), VIRIDIS[0]);
  assert.equal(viridis(1), VIRIDIS.at(-1));
  assert.equal(SCALE.length, COLOUR_STEPS);
  assert.equal(colourStep(25, [25, 95]), 0);
  assert.equal(colourStep(95, [25, 95]), COLOUR_STEPS - 1);
  assert.equal(colourStep(130, [25, 95]), COLOUR_STEPS - 1, 'clamped');
  assert.equal(colourStep(-4, [25, 95]), 0);
  const temp = mapModel(fleet(1));
  assert.deepEqual(temp.domain, [25, 95]);
  assert.equal(fillKey(temp, [0, null, null, null, 0]), -1);
  assert.equal(keyColour(temp, -1), '#dfe3e8');
  const health = { metric: 'health' as const, legend: HEALTH_LEGEND, domain: [0, 3] as const };
  assert.equal(keyColour(health, fillKey(health, [0, null, null, 3, 2])), '#d55e00', 'unhealthy');
  assert.equal(keyColour(health, fillKey(health, [0, null, null, 0, 0])), '#009e73', 'healthy');
  assert.equal(inkOn('#440154'), '#ffffff');
  assert.equal(inkOn('#fde725'), '#111111');
  // Power's scale runs to the fleet's highest reading, rounded up to 50 W.
  const power = fleet(1);
  power.nodes[0]!.gpus[2]![3] = 612;
  assert.deepEqual(metricDomain('power', power.nodes, { unit: 'W', warn: null, bad: null, states: null }), [0, 650]);
});

test('words: a value with its unit, its level against the legend, and the sentence a screen reader hears', () => {
  const m = mapModel(fleet(3, [[1, 2, 91], [2, 0, 78]]));
  assert.equal(valueText(m, 91), '91 °C');
  assert.equal(valueText(m, 45.5), '45.5 °C');
  assert.equal(valueText(m, null), 'no reading');
  assert.equal(levelText(m, 2), 'above the critical level (85 °C)');
  assert.equal(levelText(m, 1), 'above the warning level (75 °C)');
  assert.equal(cellSentence(m, { node: 1, slot: 2 }), 'gpu-node-00002 GPU 2 (NVIDIA H100 80GB HBM3): 91 °C, above the critical level (85 °C)');
  assert.deepEqual(tipLines(m, { node: 1, slot: 2 }), ['gpu-node-00002 · GPU 2', 'NVIDIA H100 80GB HBM3', 'temperature: 91 °C', '✕ above the critical level (85 °C)', 'Click to open the node']);
  assert.equal(cellSentence(m, { node: 0, slot: -1 }), 'gpu-node-00001: 8 GPUs');
  const h = mapModel({ ...fleet(1), metric: 'health', legend: HEALTH_LEGEND });
  assert.equal(valueText(h, 2), 'degraded');
});

test('the GPUs that need a look: worst first, capped, and N walks through them in the map\'s order', () => {
  const m = mapModel(fleet(50, [[40, 1, 80], [3, 6, 99], [10, 2, 88], [3, 7, 77]]));
  const { rows, total } = attention(m, 2);
  assert.equal(total, 4);
  assert.deepEqual(rows.map((r) => [r.name, r.gpu, r.level]), [['gpu-node-00004', 6, 2], ['gpu-node-00011', 2, 2]]);
  assert.deepEqual(nextAttention(m, undefined), { node: 3, slot: 6 });
  assert.deepEqual(nextAttention(m, { node: 3, slot: 6 }), { node: 3, slot: 7 });
  assert.deepEqual(nextAttention(m, { node: 40, slot: 1 }), { node: 3, slot: 6 }, 'wraps around');
  assert.equal(nextAttention(mapModel(fleet(5)), undefined), undefined);
});

interface Recorder extends MapCtx {
  rects: number;
  fillStyles: string[];
  arcs: number;
  texts: string[];
}

/** A context that counts what is drawn. */
function recorder(): Recorder {
  const r: Recorder = {
    rects: 0, fillStyles: [], arcs: 0, texts: [],
    get fillStyle() { return this.fillStyles.at(-1); },
    set fillStyle(v: unknown) { this.fillStyles.push(String(v)); },
    strokeStyle: '', lineWidth: 1, font: '', textAlign: '', textBaseline: '',
    fillRect() { r.rects++; },
    strokeRect() {}, clearRect() {}, beginPath() {}, closePath() {}, moveTo() {}, lineTo() {},
    arc() { r.arcs++; }, rect() {}, fill() {}, stroke() {},
    fillText(t: string) { r.texts.push(t); },
    measureText: (t: string) => ({ width: t.length * 7 }),
    setLineDash() {}, save() {}, restore() {},
  };
  return r;
}

test('drawing 8,000 GPUs: one rectangle each, a handful of colour changes, and the hot GPU marked on top', () => {
  const m = mapModel(fleet(1000, [[500, 3, 96], [20, 0, 80]]));
  const l = layoutMap(1000, 8, 1150, 660);
  const ctx = recorder();
  const t0 = performance.now();
  const counts = drawMap(ctx, l, m);
  const ms = performance.now() - t0;
  assert.deepEqual({ cells: counts.cells, warn: counts.warn, bad: counts.bad, noValue: counts.noValue, down: counts.down }, { cells: 8000, warn: 1, bad: 1, noValue: 0, down: 0 });
  assert.equal(ctx.rects, 8000);
  assert.ok(ctx.fillStyles.length < 20, `fill colour set ${ctx.fillStyles.length} times`);
  assert.equal(ctx.arcs, 4, 'the bad mark: an edge, a halo and a disc, and the ring around it on a dense map');
  assert.ok(ms < 1000, `${ms} ms`);
  // With large cells, names and values are drawn as text.
  const small = recorder();
  const sm = mapModel(fleet(2, [[1, 1, 90]]));
  sm.nodes[0]!.up = false;
  const c = drawMap(small, layoutMap(2, 8, 1150, 660), sm);
  assert.equal(c.down, 1);
  assert.ok(small.texts.includes('✕ gpu-node-00001'), small.texts.join());
  assert.ok(small.texts.includes('gpu-node-00002'));
  assert.equal(small.texts.filter((t) => t === '50').length, 15, 'values in the 15 unmarked cells');
});

test('10,000 nodes draw in well under a second on the recording context', () => {
  const m = mapModel(fleet(10_000, [[9_999, 7, 99]]));
  const ctx = recorder();
  const t0 = performance.now();
  const counts = drawMap(ctx, layoutMap(10_000, 8, 1150, 660), m);
  assert.equal(counts.cells, 80_000);
  assert.equal(counts.bad, 1);
  assert.ok(performance.now() - t0 < 1500);
});

/** A charts answer: `gpus` GPUs over 5 points from t=1000, step 60. */
function charts(gpus = 2): NodeChartsResponse {
  const none = () => [null, null, null, null, null];
  return {
    node: 'gpu-node-01', range: '1h', start: 1000, end: 1240, step: 60, points: 5,
    gpus: Array.from({ length: gpus }, (_, g) => ({
      gpu: g, uuid: `GPU-${g}`, model: 'NVIDIA H100 80GB HBM3', pci_bus_id: `00000000:1${g}:00.0`, driver_version: '580.159.04', last_seen: 1240,
      current: { utilization: 50, memory: 10, temperature: 40 + g, power: 300, clock_reasons: g === 1 ? 0x40 | 0x20 : 0x1 },
      series: {
        utilization: [10, 20, null, 40, 50].map((v) => (v === null ? null : v + g)),
        memory: none(),
        temperature: [40, 41, 42, 43, 44 + g * 50],
        power: none(),
        clock_reasons: g === 1 ? [0, 0x40, 0x60, 0x1, null] : [0x1, 0x1, 0x4, 0x1, 0x1],
      },
    })),
    xids: [
      { t: 1060, xid: 79, count: 1, pci_bus_id: '00000000:11:00.0', gpu: 1 },
      { t: 1060, xid: 48, count: 1, pci_bus_id: '00000000:10:00.0', gpu: 0 },
      { t: 1180, xid: 13, count: 2, pci_bus_id: '00000000:99:00.0', gpu: null },
      { t: 500, xid: 13, count: 1, pci_bus_id: '00000000:99:00.0', gpu: null },
    ],
    xids_truncated: false,
    clock_reason_bits: [
      { mask: 0x1, name: 'gpu_idle' }, { mask: 0x4, name: 'sw_power_cap' }, { mask: 0x20, name: 'sw_thermal' }, { mask: 0x40, name: 'hw_thermal' },
    ],
  };
}

test('the GPU card by health state: null is "could not ask", an empty record "no verdict", else every state worst first', () => {
  assert.deepEqual(stateCounts(null, 32), { kind: 'unread' });
  assert.deepEqual(stateCounts({}, 32), { kind: 'none' });
  assert.deepEqual(stateCounts({ healthy: 0 }, 32), { kind: 'none' });
  assert.deepEqual(stateCounts({ healthy: 28, degraded: 1, unhealthy: 1 }, 32), {
    kind: 'counts',
    rows: [{ state: 'unhealthy', n: 1 }, { state: 'degraded', n: 1 }, { state: 'unknown', n: 0 }, { state: 'healthy', n: 28 }],
    notJudged: 2,
  });
  // Prometheus could not count the reporting GPUs, or the analyzer judged GPUs dcgm-exporter no longer reports.
  assert.equal((stateCounts({ healthy: 3 }, null) as { notJudged: number }).notJudged, 0);
  assert.equal((stateCounts({ healthy: 9 }, 8) as { notJudged: number }).notJudged, 0);
  assert.deepEqual(STATES_WORST_FIRST, ['unhealthy', 'degraded', 'unknown', 'healthy']);
});

test('health words shared by the health screen and the node page: an unknown state is drawn as unknown with its own text', () => {
  assert.equal(known('degraded'), 'degraded');
  assert.equal(known('<b>on fire</b>'), 'unknown');
  assert.equal(known('constructor'), 'unknown');
  assert.equal(stateText('unhealthy'), 'Unhealthy');
  assert.equal(stateText('<b>on fire</b>'), '<b>on fire</b>');
  assert.deepEqual([score(38.6), score(Number.NaN), score(100)], ['39', '?', '100']);
  assert.equal(actionText('reset-gpu'), 'stop the work on this GPU and reset it (nvidia-smi -r), or reboot the node');
  assert.equal(actionText('call-the-vendor'), 'call-the-vendor');
});

test('charts: the series become uPlot columns (Unix-second x, one y array per GPU, null as gaps)', () => {
  const r = charts();
  assert.deepEqual(timeAxis(r), [1000, 1060, 1120, 1180, 1240]);
  const u = gpuChart(r, 'utilization');
  assert.deepEqual(u.data, [[1000, 1060, 1120, 1180, 1240], [10, 20, null, 40, 50], [11, 21, null, 41, 51]]);
  assert.deepEqual(u.labels, ['GPU 0', 'GPU 1']);
  assert.equal(u.points, 8);
  assert.deepEqual(u.colours, [gpuStyle(0).stroke, gpuStyle(1).stroke]);
  assert.equal(gpuChart(r, 'memory').points, 0);
  assert.equal(chartSummary(gpuChart(r, 'memory'), 'Last hour', String), 'No data in the last hour.');
  assert.equal(chartSummary(gpuChart(r, 'temperature'), 'Last hour', (t) => `t${t}`), 'Highest: 94 °C on GPU 1 at t1240.');
  assert.deepEqual(yRange('utilization', u), [0, 100]);
  assert.deepEqual(yRange('temperature', gpuChart(r, 'temperature')), [30, 100]);
  // A series shorter than the grid is padded with gaps, not shifted.
  r.gpus[0]!.series.power = [300, 310];
  assert.deepEqual(gpuChart(r, 'power').data[1], [300, 310, null, null, null]);
  // The ninth GPU keeps a colour but gets a dash.
  assert.equal(gpuStyle(8).stroke, gpuStyle(0).stroke);
  assert.ok(gpuStyle(8).dash);
  assert.equal(gpuStyle(0).dash, undefined);
});

test('clock slowdown: per reason, how many GPUs had it at each point; idle is not a slowdown', () => {
  const c = clockChart(charts());
  assert.deepEqual(c.labels, ['power cap', 'software thermal limit', 'hardware thermal limit']);
  assert.deepEqual(c.data.slice(1), [[0, 0, 1, 0, 0], [0, 0, 1, 0, 0], [0, 1, 1, 0, 0]]);
  assert.deepEqual(c.gpusByPoint[2]![2], ['GPU 1']);
  assert.equal(chartSummary(c, 'Last hour', (t) => `t${t}`), 'Most at once: 1 GPU slowed down by power cap at t1120.');
  assert.deepEqual(reasonsOf(0x61, charts().clock_reason_bits), ['sw_thermal', 'hw_thermal']);
  assert.deepEqual(reasonsOf(0x1, charts().clock_reason_bits, true), ['gpu_idle']);
  // No reason at all in the range: one flat series, still drawn.
  const idle = charts(1);
  idle.gpus[0]!.series.clock_reasons = [0x1, 0x1, 0, 0, 0x1];
  const flat = chartData(idle, 'clock_reasons');
  assert.deepEqual(flat.labels, ['any reason']);
  assert.deepEqual(flat.data[1], [0, 0, 0, 0, 0]);
  assert.equal(chartSummary(flat, '24 hours', String), 'No GPU was slowed down in the 24 hours.');
  assert.equal(fmtValue('clock_reasons', 2), '2 GPUs');
  assert.equal(fmtValue('power', 312.44), '312 W');
  assert.equal(fmtValue('memory', 12.34), '12.3 %');
});

test('Xid markers: grouped by time into one line each, labelled with every Xid and GPU, only inside the range', () => {
  const marks = xidMarks(charts());
  assert.deepEqual(marks.map((m) => [m.t, m.label]), [[1060, 'Xid 79 · GPU 1, Xid 48 · GPU 0'], [1180, 'Xid 13 · 00000000:99:00.0']]);
  assert.equal(marks[0]!.markers.length, 2);
});

test('refresh timing: every 10 s while shown, doubling while hidden, growing after failures, capped', () => {
  const o = { intervalMs: 10_000, hiddenMs: 60_000, maxMs: 300_000 };
  assert.equal(nextDelay(o, { hidden: false, hiddenRuns: 0, failures: 0 }), 10_000);
  assert.equal(nextDelay(o, { hidden: true, hiddenRuns: 0, failures: 0 }), 60_000);
  assert.equal(nextDelay(o, { hidden: true, hiddenRuns: 1, failures: 0 }), 120_000);
  assert.equal(nextDelay(o, { hidden: true, hiddenRuns: 9, failures: 0 }), 300_000);
  assert.equal(nextDelay(o, { hidden: false, hiddenRuns: 0, failures: 1 }), 20_000);
  assert.equal(nextDelay(o, { hidden: false, hiddenRuns: 0, failures: 3 }), 80_000);
  assert.equal(nextDelay(o, { hidden: false, hiddenRuns: 0, failures: 40 }), 300_000);
});

/** A clock and timers driven by hand, and a page that can be hidden. */
function fakeEnv() {
  let now = 0;
  let hidden = false;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const listeners = new Set<() => void>();
  const env: PollEnv = {
    hidden: () => hidden,
    onVisibility: (fn) => { listeners.add(fn); return () => listeners.delete(fn); },
    setTimeout: (fn, ms) => { const id = next++; timers.set(id, { at: now + ms, fn }); return id; },
    clearTimeout: (id) => { timers.delete(id as number); },
    now: () => now,
  };
  return {
    env,
    listeners,
    pending: () => [...timers.values()].map((t) => t.at - now),
    /** Moves the clock on by `ms`, firing what falls due. */
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        await new Promise((r) => setImmediate(r));
      }
      now = until;
    },
    setHidden(v: boolean) { hidden = v; for (const l of listeners) l(); },
  };
}

test('the poller: refreshes on its interval, backs off while hidden, refreshes at once when shown again, and stops', async () => {
  const f = fakeEnv();
  let runs = 0;
  let fail = false;
  const errors: number[] = [];
  const signals: AbortSignal[] = [];
  const p = startPoller(async (signal) => {
    runs++;
    signals.push(signal);
    if (fail) throw new Error('gateway down');
  }, f.env, { intervalMs: 10_000, hiddenMs: 60_000, maxMs: 300_000 }, (_e, ms) => errors.push(ms));
  await f.advance(9_999);
  assert.equal(runs, 0, 'the screen has just loaded: nothing before the first interval');
  await f.advance(1);
  assert.equal(runs, 1);
  await f.advance(10_000);
  assert.equal(runs, 2);
  // Hidden: 60 s, then 120 s.
  f.setHidden(true);
  await f.advance(10_000);
  assert.equal(runs, 3, 'the refresh already scheduled still runs');
  assert.equal(p.nextMs, 60_000);
  await f.advance(60_000);
  assert.equal(runs, 4);
  assert.equal(p.nextMs, 120_000);
  // Shown again after a long while: refresh at once, then every 10 s.
  await f.advance(30_000);
  f.setHidden(false);
  await f.advance(0);
  assert.equal(runs, 5);
  assert.equal(p.nextMs, 10_000);
  // Failures: 20 s, 40 s; a success resets.
  fail = true;
  await f.advance(10_000);
  assert.deepEqual(errors, [20_000]);
  await f.advance(20_000);
  assert.deepEqual(errors, [20_000, 40_000]);
  fail = false;
  await f.advance(40_000);
  assert.equal(p.failures, 0);
  assert.equal(p.nextMs, 10_000);
  // now() refreshes at once; stop() aborts what runs and leaves no timer.
  const before = runs;
  p.now();
  assert.equal(runs, before + 1);
  p.stop();
  assert.ok(signals.at(-1)!.aborted);
  assert.deepEqual(f.pending(), []);
  assert.equal(f.listeners.size, 0);
  await f.advance(100_000);
  assert.equal(runs, before + 1);
});
