// A node's charts, without the DOM: the charts answer (GET /api/v1/nodes/:name/charts) shaped into
// uPlot's columnar data (one x array of Unix seconds, then one y array per GPU, null where there is
// no data), the clock-slowdown bitmasks turned into "how many GPUs have this reason" per point, the
// Xid markers grouped by time, each GPU's line colour and dash, and the one-sentence summary under
// each chart. Pure, so Node's test runner checks it (../../src/ui/ui-overview.test.ts); node-page.ts
// hands the result to uPlot.
import type { ChartRange, ChartSeriesName, NodeChartsResponse, XidMarker } from '../types.ts';

/** uPlot's AlignedData: x values, then one array per series. */
export type Columns = [number[], ...Array<Array<number | null>>];

/** The charts a node page draws, in order. */
export const CHART_KINDS: readonly ChartSeriesName[] = ['utilization', 'memory', 'temperature', 'power', 'clock_reasons'];

export interface ChartKind {
  title: string;
  /** Unit after a value ("%", "°C", "W"), or "" (counts). */
  unit: string;
  /** A fixed y range, or null for one that follows the data (from 0 for power and counts). */
  range: [number, number] | null;
  /** What the chart shows, in a sentence (for people and screen readers). */
  about: string;
}

export const CHART_KIND: Readonly<Record<ChartSeriesName, ChartKind>> = {
  utilization: { title: 'Utilisation', unit: '%', range: [0, 100], about: 'share of time the GPU was running work, averaged over each step' },
  memory: { title: 'Memory in use', unit: '%', range: [0, 100], about: 'share of the framebuffer in use, averaged over each step' },
  temperature: { title: 'Temperature', unit: '°C', range: null, about: 'GPU core temperature, the highest reading in each step' },
  power: { title: 'Power draw', unit: 'W', range: null, about: 'board power, averaged over each step' },
  clock_reasons: { title: 'Clock slowdown', unit: '', range: null, about: 'how many GPUs had their clocks held down, by reason (an idle GPU is not counted)' },
};

export const RANGES: ReadonlyArray<{ range: ChartRange; text: string }> = [
  { range: '1h', text: 'Last hour' },
  { range: '6h', text: '6 hours' },
  { range: '24h', text: '24 hours' },
  { range: '7d', text: '7 days' },
];
export const isRange = (v: string | null | undefined): v is ChartRange => RANGES.some((r) => r.range === v);

/**
 * One line colour per GPU (Okabe-Ito's palette, with its yellow swapped for an olive that reads on
 * white), and from the ninth GPU on a dash as well, so no two GPUs of a node look the same.
 */
export const GPU_COLOURS: readonly string[] = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#1c2430', '#999933'];
const DASHES: ReadonlyArray<number[] | undefined> = [undefined, [6, 3], [2, 2], [10, 3, 2, 3]];
export function gpuStyle(position: number): { stroke: string; dash: number[] | undefined } {
  return { stroke: GPU_COLOURS[position % GPU_COLOURS.length]!, dash: DASHES[Math.floor(position / GPU_COLOURS.length) % DASHES.length] };
}

/** One colour per slowdown reason (the thermal ones warm, the power ones cool). */
const REASON_COLOURS: Readonly<Record<string, string>> = {
  sw_power_cap: '#0072b2', hw_slowdown: '#1c2430', sync_boost: '#999933', sw_thermal: '#e69f00', hw_thermal: '#d55e00',
  hw_power_brake: '#cc79a7', clocks_setting: '#56b4e9', display_clocks: '#009e73',
};
export const reasonColour = (name: string): string => REASON_COLOURS[name] ?? '#5c6776';

/** DCGM's reason names as people read them. */
const REASON_TEXT: Readonly<Record<string, string>> = {
  gpu_idle: 'idle', clocks_setting: 'clocks set by the application', sw_power_cap: 'power cap', hw_slowdown: 'hardware slowdown',
  sync_boost: 'sync boost', sw_thermal: 'software thermal limit', hw_thermal: 'hardware thermal limit', hw_power_brake: 'power brake',
  display_clocks: 'display clocks',
};
export const reasonText = (name: string): string => REASON_TEXT[name] ?? name.replace(/_/g, ' ');

/** The reasons set in a bitmask, by name (an idle GPU's gpu_idle bit left out unless `withIdle`). */
export function reasonsOf(mask: number | null, bits: NodeChartsResponse['clock_reason_bits'], withIdle = false): string[] {
  if (mask === null || !Number.isFinite(mask) || mask <= 0) return [];
  return bits.filter((b) => (mask & b.mask) !== 0 && (withIdle || b.name !== 'gpu_idle')).map((b) => b.name);
}

/** The grid's x values: start, start + step, ... (points of them). */
export function timeAxis(r: Pick<NodeChartsResponse, 'start' | 'step' | 'points'>): number[] {
  return Array.from({ length: r.points }, (_, i) => r.start + i * r.step);
}

/** A chart's columns and the name of each y series. */
export interface ChartData {
  kind: ChartSeriesName;
  labels: string[];
  /** Per y series: the GPU's position in the answer (its colour), or -1 for a reason series. */
  colours: string[];
  dashes: Array<number[] | undefined>;
  data: Columns;
  /** Non-null y values drawn. */
  points: number;
}

/** One series per GPU of the node, as uPlot takes them. */
export function gpuChart(r: NodeChartsResponse, kind: Exclude<ChartSeriesName, 'clock_reasons'>): ChartData {
  const x = timeAxis(r);
  const ys = r.gpus.map((g) => {
    const s = g.series[kind] ?? [];
    return x.map((_, i) => {
      const v = s[i];
      return v === undefined || v === null || !Number.isFinite(v) ? null : v;
    });
  });
  const styles = r.gpus.map((_, i) => gpuStyle(i));
  return {
    kind,
    labels: r.gpus.map((g) => `GPU ${g.gpu}`),
    colours: styles.map((s) => s.stroke),
    dashes: styles.map((s) => s.dash),
    data: [x, ...ys],
    points: ys.reduce((n, y) => n + y.filter((v) => v !== null).length, 0),
  };
}

/**
 * The slowdown chart: for each reason that was set on some GPU in the range (idle left out), how
 * many of the node's GPUs had it at each point (null where no GPU reported). With none, one flat
 * "any reason" series, so the chart still shows the range was read.
 */
export function clockChart(r: NodeChartsResponse): ChartData & { gpusByPoint: string[][][] } {
  const x = timeAxis(r);
  const bits = r.clock_reason_bits.filter((b) => b.name !== 'gpu_idle');
  const counts = bits.map(() => x.map((): number | null => null));
  const any = x.map((): number | null => null);
  /** Per reason and point: the GPUs that had it ("GPU 2"). */
  const who = bits.map(() => x.map((): string[] => []));
  for (const g of r.gpus) {
    const s = g.series.clock_reasons ?? [];
    x.forEach((_, i) => {
      const mask = s[i];
      if (mask === undefined || mask === null || !Number.isFinite(mask)) return;
      any[i] = (any[i] ?? 0) + (bits.some((b) => (mask & b.mask) !== 0) ? 1 : 0);
      bits.forEach((b, k) => {
        counts[k]![i] = (counts[k]![i] ?? 0) + ((mask & b.mask) !== 0 ? 1 : 0);
        if ((mask & b.mask) !== 0) who[k]![i]!.push(`GPU ${g.gpu}`);
      });
    });
  }
  const used = bits.map((_, k) => counts[k]!.some((v) => v !== null && v > 0));
  const keep = bits.map((b, k) => ({ b, k })).filter(({ k }) => used[k]);
  if (keep.length === 0) {
    return {
      kind: 'clock_reasons', labels: ['any reason'], colours: ['#5c6776'], dashes: [undefined], data: [x, any],
      points: any.filter((v) => v !== null).length, gpusByPoint: [x.map(() => [])],
    };
  }
  const ys = keep.map(({ k }) => counts[k]!);
  return {
    kind: 'clock_reasons',
    labels: keep.map(({ b }) => reasonText(b.name)),
    colours: keep.map(({ b }) => reasonColour(b.name)),
    dashes: keep.map(() => undefined),
    data: [x, ...ys],
    points: ys.reduce((n, y) => n + y.filter((v) => v !== null).length, 0),
    gpusByPoint: keep.map(({ k }) => who[k]!),
  };
}

/** The chart of one kind. */
export function chartData(r: NodeChartsResponse, kind: ChartSeriesName): ChartData {
  return kind === 'clock_reasons' ? clockChart(r) : gpuChart(r, kind);
}

/** Xids at one moment: the line drawn at `t` and its label ("Xid 79 · GPU 2"). */
export interface XidMark { t: number; label: string; markers: XidMarker[] }

/** "GPU 2", or the bus id when no GPU of the node has it. */
const xidWhere = (m: XidMarker) => (m.gpu !== null ? `GPU ${m.gpu}` : m.pci_bus_id);

/** The Xid markers inside [start, end], grouped by time: one line each, its label naming every Xid and GPU there. */
export function xidMarks(r: Pick<NodeChartsResponse, 'xids' | 'start' | 'end'>): XidMark[] {
  const byT = new Map<number, XidMarker[]>();
  for (const m of r.xids) {
    if (m.t < r.start || m.t > r.end) continue;
    const list = byT.get(m.t);
    if (list) list.push(m);
    else byT.set(m.t, [m]);
  }
  return [...byT].sort((a, b) => a[0] - b[0]).map(([t, markers]) => {
    const parts = [...new Set(markers.map((m) => `Xid ${m.xid} · ${xidWhere(m)}`))];
    return { t, markers, label: parts.length <= 2 ? parts.join(', ') : `${parts.slice(0, 2).join(', ')} +${parts.length - 2}` };
  });
}

/** A value with its unit, as the legends and summaries show it. */
export function fmtValue(kind: ChartSeriesName, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const unit = CHART_KIND[kind].unit;
  if (kind === 'clock_reasons') return `${v} ${v === 1 ? 'GPU' : 'GPUs'}`;
  const n = Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 10) / 10;
  return unit === '%' ? `${n} %` : `${n} ${unit}`;
}

/**
 * The sentence under a chart: the highest value, on which GPU (or reason) and when; or that the
 * range holds no data. `when` formats a Unix time (the page uses the browser's locale).
 */
export function chartSummary(c: ChartData, rangeText: string, when: (t: number) => string): string {
  const [x, ...ys] = c.data;
  let best: { v: number; s: number; i: number } | undefined;
  ys.forEach((y, s) => y.forEach((v, i) => {
    if (v !== null && (!best || v > best.v)) best = { v, s, i };
  }));
  if (!best || c.points === 0) return `No data in the ${rangeText.toLowerCase()}.`;
  const b = best as { v: number; s: number; i: number };
  if (c.kind === 'clock_reasons') {
    if (b.v === 0) return `No GPU was slowed down in the ${rangeText.toLowerCase()}.`;
    return `Most at once: ${fmtValue(c.kind, b.v)} slowed down by ${c.labels[b.s]} at ${when(x[b.i]!)}.`;
  }
  return `Highest: ${fmtValue(c.kind, b.v)} on ${c.labels[b.s]} at ${when(x[b.i]!)}.`;
}

/** The y range uPlot is given: the kind's fixed one, else from 0 (power, counts) or the data (temperature) with some room. */
export function yRange(kind: ChartSeriesName, c: ChartData): [number, number] {
  const fixed = CHART_KIND[kind].range;
  if (fixed) return fixed;
  let lo = Infinity;
  let hi = -Infinity;
  for (const y of c.data.slice(1) as Array<Array<number | null>>) for (const v of y) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (kind === 'clock_reasons') return [0, Math.max(1, Number.isFinite(hi) ? hi : 1)];
  if (!Number.isFinite(lo)) return kind === 'temperature' ? [20, 100] : [0, 100];
  if (kind === 'power') return [0, Math.max(50, Math.ceil(hi / 50) * 50)];
  return [Math.max(0, Math.floor((lo - 5) / 10) * 10), Math.ceil((hi + 5) / 10) * 10];
}
