// The overview's fleet map, without the DOM: where each GPU's cell goes (one block per node, one cell
// per GPU index, blocks row by row in config.yaml's order), which cell a point of the canvas is on,
// how the keyboard cursor moves, the colour of a value and the marks of the bad states, and the
// drawing itself on anything shaped like a 2D canvas context. Pure, so Node's test runner checks it
// (../../src/ui/ui-overview.test.ts) and a browser test can work out where to click.
//
// Colour never carries a state alone: values use a viridis-like sequential scale (readable with
// the common colour-vision deficiencies and in grey), a GPU above the warning level also gets a
// triangle, above the bad level a larger round mark with a cross, and a GPU without a reading a
// hatched grey cell. The marks are bigger than the cells of a large fleet, so one hot GPU among
// 80,000 still stands out.
import type { GpuLevel, OverviewGpu, OverviewLegend, OverviewMetric, OverviewNode } from '../types.ts';

/** How the cells of one size are spaced. `label`: height of the node name above each block (0: none). */
interface Density { cell: number; gap: number; blockGapX: number; blockGapY: number; label: number }

/** From large cells with names and values to 2-pixel cells; the largest that fits is used. */
const DENSITIES: readonly Density[] = [
  { cell: 40, gap: 4, blockGapX: 20, blockGapY: 12, label: 20 },
  { cell: 30, gap: 3, blockGapX: 16, blockGapY: 10, label: 18 },
  { cell: 22, gap: 2, blockGapX: 12, blockGapY: 8, label: 16 },
  { cell: 14, gap: 2, blockGapX: 8, blockGapY: 6, label: 0 },
  { cell: 10, gap: 1, blockGapX: 6, blockGapY: 5, label: 0 },
  { cell: 7, gap: 1, blockGapX: 4, blockGapY: 4, label: 0 },
  { cell: 5, gap: 1, blockGapX: 3, blockGapY: 3, label: 0 },
  { cell: 4, gap: 0, blockGapX: 3, blockGapY: 3, label: 0 },
  { cell: 3, gap: 0, blockGapX: 2, blockGapY: 2, label: 0 },
  { cell: 2, gap: 0, blockGapX: 2, blockGapY: 2, label: 0 },
];

/** Cells at least this big show the value as text. */
export const VALUE_TEXT_MIN_CELL = 30;
/** Room around the blocks, so the marks of the edge cells are not cut. */
export const MAP_PAD = 8;
/** Most GPU slots a node block has (dcgm-exporter's indexes go up to 63). */
export const MAX_SLOTS = 64;

/** Where every cell of the map is. All sizes in CSS pixels. */
export interface MapLayout {
  width: number;
  height: number;
  /** Nodes drawn. */
  count: number;
  /** GPU slots per node: the highest GPU index of the fleet + 1 (a missing GPU leaves a hole). */
  slots: number;
  cell: number;
  gap: number;
  /** Cells across and down one node block. */
  blockCols: number;
  blockRows: number;
  /** A block's cells, without its name. */
  blockW: number;
  blockH: number;
  /** Height of the name line above each block (0 when names are not drawn). */
  label: number;
  /** From one block to the next, across and down. */
  pitchX: number;
  pitchY: number;
  /** Blocks per row, and rows. */
  cols: number;
  rows: number;
  pad: number;
}

/** One GPU's place: node index (in the answer's order) and slot (its GPU index). */
export interface CellRef { node: number; slot: number }

/** GPU slots for a fleet: the highest index seen + 1, at least 1 and at most MAX_SLOTS. */
export function slotsFor(nodes: ReadonlyArray<Pick<OverviewNode, 'gpus'>>): number {
  let max = 0;
  for (const n of nodes) for (const g of n.gpus) if (g[0] + 1 > max) max = g[0] + 1;
  return Math.min(MAX_SLOTS, Math.max(1, max));
}

/** A node block's shape: 8 GPUs are 4 across and 2 down, 4 or fewer one row, 16 are 4 x 4. */
export function blockShape(slots: number): { cols: number; rows: number } {
  const cols = slots <= 4 ? slots : slots <= 16 ? 4 : 8;
  return { cols, rows: Math.ceil(slots / cols) };
}

function layoutWith(d: Density, count: number, slots: number, width: number): MapLayout {
  const { cols: blockCols, rows: blockRows } = blockShape(slots);
  const blockW = blockCols * d.cell + (blockCols - 1) * d.gap;
  const blockH = blockRows * d.cell + (blockRows - 1) * d.gap;
  const pitchX = blockW + d.blockGapX;
  const pitchY = d.label + blockH + d.blockGapY;
  const cols = Math.max(1, Math.floor((width - 2 * MAP_PAD + d.blockGapX) / pitchX));
  const rows = Math.max(1, Math.ceil(count / cols));
  const height = 2 * MAP_PAD + rows * pitchY - d.blockGapY;
  return {
    width, height, count, slots, cell: d.cell, gap: d.gap, blockCols, blockRows, blockW, blockH, label: d.label, pitchX, pitchY, cols, rows, pad: MAP_PAD,
  };
}

/**
 * The layout of `count` nodes of `slots` GPU slots on a canvas `width` pixels wide: the largest
 * cells whose map is at most `maxHeight` tall (the smallest cells when none is).
 */
export function layoutMap(count: number, slots: number, width: number, maxHeight: number): MapLayout {
  const w = Math.max(120, Math.floor(width));
  let last: MapLayout | undefined;
  for (const d of DENSITIES) {
    last = layoutWith(d, count, slots, w);
    if (last.height <= maxHeight) return last;
  }
  return last!;
}

/** Top-left corner of a cell. */
export function cellOrigin(l: MapLayout, ref: CellRef): { x: number; y: number } {
  const col = ref.node % l.cols;
  const row = Math.floor(ref.node / l.cols);
  const cx = ref.slot % l.blockCols;
  const cy = Math.floor(ref.slot / l.blockCols);
  return {
    x: l.pad + col * l.pitchX + cx * (l.cell + l.gap),
    y: l.pad + row * l.pitchY + l.label + cy * (l.cell + l.gap),
  };
}

/** Centre of a cell (where a click on it lands). */
export function cellCentre(l: MapLayout, ref: CellRef): { x: number; y: number } {
  const o = cellOrigin(l, ref);
  return { x: o.x + l.cell / 2, y: o.y + l.cell / 2 };
}

/** Top-left corner of a node's block (its name line above it when names are drawn). */
export function blockOrigin(l: MapLayout, node: number): { x: number; y: number } {
  return { x: l.pad + (node % l.cols) * l.pitchX, y: l.pad + Math.floor(node / l.cols) * l.pitchY };
}

/**
 * What is at (x, y) in layout pixels: a cell (node and slot), the name line of a node (slot -1),
 * or null (between blocks, or past the last node). A point in the gap between two cells of a block
 * counts as the cell before it, so small cells are easy to point at.
 */
export function hitTest(l: MapLayout, x: number, y: number): CellRef | null {
  const rx0 = x - l.pad;
  const ry0 = y - l.pad;
  if (rx0 < 0 || ry0 < 0) return null;
  const col = Math.floor(rx0 / l.pitchX);
  const row = Math.floor(ry0 / l.pitchY);
  if (col >= l.cols || row >= l.rows) return null;
  const node = row * l.cols + col;
  if (node >= l.count) return null;
  const rx = rx0 - col * l.pitchX;
  const ry = ry0 - row * l.pitchY;
  if (rx >= l.blockW || ry >= l.label + l.blockH) return null;
  if (ry < l.label) return { node, slot: -1 };
  const cx = Math.min(l.blockCols - 1, Math.floor(rx / (l.cell + l.gap)));
  const cy = Math.min(l.blockRows - 1, Math.floor((ry - l.label) / (l.cell + l.gap)));
  const slot = cy * l.blockCols + cx;
  return slot < l.slots ? { node, slot } : null;
}

/** Keys the map answers, as KeyboardEvent.key names them. */
export type CursorKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End' | 'PageUp' | 'PageDown';
export const CURSOR_KEYS: ReadonlySet<string> = new Set<CursorKey>(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown']);

/** Block rows PageUp / PageDown move. */
export const PAGE_ROWS = 8;

/**
 * Where the keyboard cursor goes. The arrows move one cell on the screen, across the edge of a block
 * into the neighbouring node's block (skipping cells no GPU slot uses); PageUp/PageDown move eight
 * rows of blocks; Home/End go to the first and the last GPU slot. At the edge of the map the cursor
 * stays where it is.
 */
export function moveCursor(l: MapLayout, cur: CellRef, key: CursorKey): CellRef {
  if (l.count === 0) return cur;
  if (key === 'Home') return { node: 0, slot: 0 };
  if (key === 'End') return { node: l.count - 1, slot: l.slots - 1 };
  const slot = Math.max(0, Math.min(l.slots - 1, cur.slot));
  if (key === 'PageUp' || key === 'PageDown') {
    const node = cur.node + (key === 'PageUp' ? -1 : 1) * PAGE_ROWS * l.cols;
    if (node < 0) return { node: cur.node % l.cols, slot };
    return { node: Math.min(l.count - 1, node), slot };
  }
  // The whole map as one grid of cells: gx across, gy down.
  let gx = (cur.node % l.cols) * l.blockCols + (slot % l.blockCols);
  let gy = Math.floor(cur.node / l.cols) * l.blockRows + Math.floor(slot / l.blockCols);
  const dx = key === 'ArrowLeft' ? -1 : key === 'ArrowRight' ? 1 : 0;
  const dy = key === 'ArrowUp' ? -1 : key === 'ArrowDown' ? 1 : 0;
  const maxGx = l.cols * l.blockCols - 1;
  const maxGy = l.rows * l.blockRows - 1;
  for (;;) {
    gx += dx;
    gy += dy;
    if (gx < 0 || gy < 0 || gx > maxGx || gy > maxGy) return cur;
    const node = Math.floor(gy / l.blockRows) * l.cols + Math.floor(gx / l.blockCols);
    const s = (gy % l.blockRows) * l.blockCols + (gx % l.blockCols);
    if (node >= l.count) {
      if (dy === 0) return cur;
      continue;
    }
    if (s < l.slots) return { node, slot: s };
  }
}

// ---- data -------------------------------------------------------------------------------------

/** A map's data: the answer's nodes, and for each node and slot the position of that GPU in `gpus`. */
export interface MapModel {
  metric: OverviewMetric;
  legend: OverviewLegend;
  nodes: readonly OverviewNode[];
  models: readonly string[];
  slots: number;
  /** nodes.length * slots entries: the GPU's position in its node's `gpus`, or -1 (no such GPU). */
  slotIndex: Int16Array;
  /** The values the colours span (for health: 0 .. states - 1). */
  domain: readonly [number, number];
}

/** Rounds `v` up to a multiple of `step`. */
const ceilTo = (v: number, step: number) => Math.ceil(v / step) * step;

/** The value range the colour scale spans for a metric: fixed, except power (0 to the fleet's highest, rounded up). */
export function metricDomain(metric: OverviewMetric, nodes: readonly OverviewNode[], legend: OverviewLegend): [number, number] {
  switch (metric) {
    case 'health': return [0, Math.max(1, (legend.states?.length ?? 4) - 1)];
    case 'temperature': return [25, Math.max(95, legend.bad !== null ? legend.bad + 10 : 0)];
    case 'utilization':
    case 'memory': return [0, 100];
    case 'power': {
      let max = 0;
      for (const n of nodes) for (const g of n.gpus) if (g[3] !== null && g[3] > max) max = g[3];
      return [0, Math.max(100, ceilTo(max, 50))];
    }
  }
}

/** Builds the map's data from an overview answer. */
export function mapModel(resp: { metric: OverviewMetric; legend: OverviewLegend; nodes: readonly OverviewNode[]; models: readonly string[] }): MapModel {
  const slots = slotsFor(resp.nodes);
  const slotIndex = new Int16Array(resp.nodes.length * slots).fill(-1);
  resp.nodes.forEach((n, i) => {
    n.gpus.forEach((g, k) => {
      if (g[0] < slots && slotIndex[i * slots + g[0]] === -1) slotIndex[i * slots + g[0]] = k;
    });
  });
  return { metric: resp.metric, legend: resp.legend, nodes: resp.nodes, models: resp.models, slots, slotIndex, domain: metricDomain(resp.metric, resp.nodes, resp.legend) };
}

/** The GPU at a cell, or undefined (no such GPU, or the name line). */
export function gpuAt(m: MapModel, ref: CellRef): OverviewGpu | undefined {
  if (ref.slot < 0 || ref.slot >= m.slots || ref.node < 0 || ref.node >= m.nodes.length) return undefined;
  const k = m.slotIndex[ref.node * m.slots + ref.slot] ?? -1;
  return k < 0 ? undefined : m.nodes[ref.node]?.gpus[k];
}

// ---- colours ----------------------------------------------------------------------------------

/** Viridis' stops (matplotlib's, CC0): dark blue-purple for low values to yellow for high ones. */
export const VIRIDIS: readonly string[] = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
/** The scale's steps: each value is drawn with one of these many colours. */
export const COLOUR_STEPS = 32;

const hexRgb = (hex: string): [number, number, number] => [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
const rgbHex = (rgb: readonly number[]) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;

/** The colour at `t` (0..1) of the sequential scale. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const a = hexRgb(VIRIDIS[i]!);
  const b = hexRgb(VIRIDIS[i + 1]!);
  const f = x - i;
  return rgbHex(a.map((c, k) => c + (b[k]! - c) * f));
}

/** The scale's colours, step 0 (lowest) to COLOUR_STEPS - 1. */
export const SCALE: readonly string[] = Array.from({ length: COLOUR_STEPS }, (_, i) => viridis(i / (COLOUR_STEPS - 1)));

/** The health states' colours (Okabe-Ito: distinct with colour-vision deficiencies), in HEALTH_STATES' order. */
export const HEALTH_COLOURS: Readonly<Record<string, string>> = { healthy: '#009e73', unknown: '#c5cbd3', degraded: '#f0e442', unhealthy: '#d55e00' };
/** A GPU with no reading of the metric: light grey, hatched when the cells are big enough. */
export const NO_VALUE_COLOUR = '#dfe3e8';
export const NO_VALUE_HATCH = '#8a94a3';
/** A slot with no GPU (e.g. one fallen off the bus): the faint outline of an empty cell. */
export const EMPTY_SLOT_COLOUR = '#eef0f3';
/** The marks: warning, an amber triangle; bad, a red disc with a white cross; both outlined in near-black. */
export const WARN_MARK = '#ffb000';
export const BAD_MARK = '#e4002b';
export const MARK_OUTLINE = '#1c2430';

/** Step of the scale for a value (clamped to the domain). */
export function colourStep(value: number, domain: readonly [number, number]): number {
  const [lo, hi] = domain;
  const t = hi > lo ? (value - lo) / (hi - lo) : 0;
  return Math.round(Math.min(1, Math.max(0, t)) * (COLOUR_STEPS - 1));
}

/** Key of a GPU's fill colour: 0..COLOUR_STEPS-1 a scale step, COLOUR_STEPS + i health state i, -1 no value. */
export function fillKey(m: Pick<MapModel, 'metric' | 'domain' | 'legend'>, g: OverviewGpu): number {
  const v = g[3];
  if (v === null || !Number.isFinite(v)) return -1;
  if (m.metric === 'health') return COLOUR_STEPS + Math.max(0, Math.min((m.legend.states?.length ?? 4) - 1, Math.round(v)));
  return colourStep(v, m.domain);
}

/** The colour of a fill key. */
export function keyColour(m: Pick<MapModel, 'legend'>, key: number): string {
  if (key < 0) return NO_VALUE_COLOUR;
  if (key < COLOUR_STEPS) return SCALE[key]!;
  const state = m.legend.states?.[key - COLOUR_STEPS] ?? 'unknown';
  return HEALTH_COLOURS[state] ?? HEALTH_COLOURS.unknown!;
}

/** Black or white, whichever reads better on `hex`. */
export function inkOn(hex: string): string {
  const [r, g, b] = hexRgb(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.22 ? '#111111' : '#ffffff';
}

// ---- words ------------------------------------------------------------------------------------

const METRIC_WORD: Readonly<Record<OverviewMetric, string>> = {
  health: 'health', temperature: 'temperature', utilization: 'utilisation', memory: 'memory in use', power: 'power draw',
};
export const metricWord = (m: OverviewMetric): string => METRIC_WORD[m];

/** A number as the map shows it: whole when it is, else one decimal. */
export const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** A value with its unit, or the health state's name. */
export function valueText(m: Pick<MapModel, 'metric' | 'legend'>, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'no reading';
  if (m.metric === 'health') return m.legend.states?.[Math.round(v)] ?? 'unknown';
  const unit = m.legend.unit;
  return unit === '%' ? `${num(v)} %` : unit ? `${num(v)} ${unit}` : num(v);
}

/** The short value a large cell shows inside it. */
export function cellText(m: Pick<MapModel, 'metric' | 'legend'>, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  if (m.metric === 'health') return HEALTH_SHORT[m.legend.states?.[Math.round(v)] ?? 'unknown'] ?? '?';
  return String(Math.round(v));
}
const HEALTH_SHORT: Readonly<Record<string, string>> = { healthy: '✓', unknown: '?', degraded: '!', unhealthy: '✕' };

/** What a level means for this metric, in words ("" for normal). */
export function levelText(m: Pick<MapModel, 'metric' | 'legend'>, level: GpuLevel): string {
  if (level === 0) return '';
  if (m.metric === 'health') return level === 2 ? 'needs action' : 'degraded';
  const t = level === 2 ? m.legend.bad : m.legend.warn;
  const limit = t === null ? '' : ` (${valueText(m, t)})`;
  return level === 2 ? `above the critical level${limit}` : `above the warning level${limit}`;
}

/** "gpu-node-01 GPU 3 (NVIDIA H100 80GB HBM3): 91 °C, above the critical level (85 °C)". */
export function cellSentence(m: MapModel, ref: CellRef): string {
  const node = m.nodes[ref.node];
  if (!node) return '';
  if (ref.slot < 0) return `${node.name}: ${plural(node.gpus.length, 'GPU')}${node.up === false ? ', not answering' : ''}`;
  const g = gpuAt(m, ref);
  if (!g) return `${node.name} GPU ${ref.slot}: not reporting`;
  const model = g[2] !== null ? m.models[g[2]] : undefined;
  const level = levelText(m, g[4]);
  return `${node.name} GPU ${g[0]}${model ? ` (${model})` : ''}: ${valueText(m, g[3])}${level ? `, ${level}` : ''}${node.up === false ? '; the node is not answering' : ''}`;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** One GPU that needs a look, for the list under the map. */
export interface AttentionRow { node: number; name: string; gpu: number; model: string | null; value: number | null; level: GpuLevel }

/**
 * The GPUs at level 1 or 2, worst first (level, then value, then the fleet's order), at most
 * `limit` of them; `total` counts them all.
 */
export function attention(m: MapModel, limit: number): { rows: AttentionRow[]; total: number } {
  const all: AttentionRow[] = [];
  m.nodes.forEach((n, i) => {
    for (const g of n.gpus) {
      if (g[4] > 0) all.push({ node: i, name: n.name, gpu: g[0], model: g[2] !== null ? m.models[g[2]] ?? null : null, value: g[3], level: g[4] });
    }
  });
  all.sort((a, b) => b.level - a.level || (b.value ?? -Infinity) - (a.value ?? -Infinity) || a.node - b.node || a.gpu - b.gpu);
  return { rows: all.slice(0, Math.max(0, limit)), total: all.length };
}

/** The first GPU at level 1 or 2 after `cur` in the fleet's order (wrapping), or undefined when none is. */
export function nextAttention(m: MapModel, cur: CellRef | undefined): CellRef | undefined {
  const total = m.nodes.length * m.slots;
  if (total === 0) return undefined;
  const start = cur ? cur.node * m.slots + Math.max(0, cur.slot) + 1 : 0;
  for (let k = 0; k < total; k++) {
    const idx = (start + k) % total;
    const ref = { node: Math.floor(idx / m.slots), slot: idx % m.slots };
    const g = gpuAt(m, ref);
    if (g && g[4] > 0) return ref;
  }
  return undefined;
}

// ---- drawing ----------------------------------------------------------------------------------

/** What the drawing needs of a canvas 2D context (CanvasRenderingContext2D has all of it). */
export interface MapCtx {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  font: string;
  textAlign: string;
  textBaseline: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  clearRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  closePath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  arc(x: number, y: number, r: number, a0: number, a1: number): void;
  rect(x: number, y: number, w: number, h: number): void;
  fill(): void;
  stroke(): void;
  fillText(text: string, x: number, y: number, maxWidth?: number): void;
  measureText(text: string): { width: number };
  setLineDash(segments: number[]): void;
  save(): void;
  restore(): void;
}

/** What was drawn: every GPU cell, and how many carry each mark. */
export interface DrawCounts { cells: number; warn: number; bad: number; noValue: number; down: number }

/** Size of the marks: never smaller than what reads at a glance, even on 2-pixel cells. */
export const markRadius = (cell: number, level: GpuLevel): number => (level === 2 ? Math.max(7, cell * 0.42) : Math.max(5, cell * 0.34));

/** The warning mark: an amber triangle outlined in near-black. */
export function drawWarnMark(ctx: MapCtx, cx: number, cy: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(cx, cy - r);
  ctx.lineTo(cx + r * 0.95, cy + r * 0.7);
  ctx.lineTo(cx - r * 0.95, cy + r * 0.7);
  ctx.closePath();
  ctx.fillStyle = WARN_MARK;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = MARK_OUTLINE;
  ctx.stroke();
}

/**
 * The bad mark: a red disc with a white cross, inside a white halo edged in near-black, so it
 * stands out on every colour of the scale.
 */
export function drawBadMark(ctx: MapCtx, cx: number, cy: number, r: number): void {
  ctx.beginPath();
  ctx.arc(cx, cy, r + 3.5, 0, Math.PI * 2);
  ctx.fillStyle = MARK_OUTLINE;
  ctx.fill();
  ctx.beginPath();
  ctx.arc(cx, cy, r + 2, 0, Math.PI * 2);
  ctx.fillStyle = '#ffffff';
  ctx.fill();
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.fillStyle = BAD_MARK;
  ctx.fill();
  ctx.lineWidth = 1.25;
  ctx.strokeStyle = '#ffffff';
  ctx.stroke();
  const k = r * 0.45;
  ctx.beginPath();
  ctx.moveTo(cx - k, cy - k);
  ctx.lineTo(cx + k, cy + k);
  ctx.moveTo(cx + k, cy - k);
  ctx.lineTo(cx - k, cy + k);
  ctx.lineWidth = Math.max(1.5, r * 0.28);
  ctx.stroke();
}

/** Cells smaller than this get a ring around their bad marks. */
export const BEACON_MAX_CELL = 14;

/** A wide red ring on a white one, around a bad mark on a dense map. */
export function drawBeacon(ctx: MapCtx, cx: number, cy: number, r: number): void {
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.lineWidth = 6;
  ctx.strokeStyle = '#ffffff';
  ctx.stroke();
  ctx.lineWidth = 3;
  ctx.strokeStyle = BAD_MARK;
  ctx.stroke();
}

/** A no-reading cell: grey, with a diagonal hatch when there is room for one. */
export function drawNoValue(ctx: MapCtx, x: number, y: number, size: number): void {
  ctx.fillStyle = NO_VALUE_COLOUR;
  ctx.fillRect(x, y, size, size);
  if (size < 6) return;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, size, size);
  ctx.strokeStyle = NO_VALUE_HATCH;
  ctx.lineWidth = 1;
  const step = Math.max(4, size / 4);
  for (let d = step; d < size * 2; d += step) {
    ctx.moveTo(x + Math.max(0, d - size), y + Math.min(size, d));
    ctx.lineTo(x + Math.min(size, d), y + Math.max(0, d - size));
  }
  ctx.stroke();
  ctx.restore();
}

/** A name cut to about `px` pixels of 11-pixel text, with an ellipsis. */
export function fitName(name: string, px: number): string {
  const chars = Math.max(3, Math.floor(px / 6.4));
  return name.length <= chars ? name : `${name.slice(0, chars - 1)}…`;
}

/**
 * Draws the whole map: every cell in its colour (one fill colour at a time, so 80,000 cells are a
 * few dozen colour changes), node names and values when the cells are large, the frame of a node
 * that does not answer, then the warning marks and the bad marks on top.
 */
export function drawMap(ctx: MapCtx, l: MapLayout, m: MapModel): DrawCounts {
  ctx.clearRect(0, 0, l.width, l.height);
  const buckets = new Map<number, number[]>();
  const empty: number[] = [];
  const warn: number[] = [];
  const bad: number[] = [];
  const counts: DrawCounts = { cells: 0, warn: 0, bad: 0, noValue: 0, down: 0 };
  const n = Math.min(l.count, m.nodes.length);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < m.slots; s++) {
      const k = m.slotIndex[i * m.slots + s] ?? -1;
      const { x, y } = cellOrigin(l, { node: i, slot: s });
      if (k < 0) {
        empty.push(x, y);
        continue;
      }
      const g = m.nodes[i]!.gpus[k]!;
      counts.cells++;
      const key = fillKey(m, g);
      let list = buckets.get(key);
      if (!list) buckets.set(key, (list = []));
      list.push(x, y);
      if (g[4] === 2) bad.push(x, y);
      else if (g[4] === 1) warn.push(x, y);
    }
  }
  const c = l.cell;
  ctx.fillStyle = EMPTY_SLOT_COLOUR;
  for (let j = 0; j < empty.length; j += 2) ctx.fillRect(empty[j]!, empty[j + 1]!, c, c);
  for (const [key, list] of buckets) {
    if (key < 0) {
      counts.noValue += list.length / 2;
      for (let j = 0; j < list.length; j += 2) drawNoValue(ctx, list[j]!, list[j + 1]!, c);
      continue;
    }
    ctx.fillStyle = keyColour(m, key);
    for (let j = 0; j < list.length; j += 2) ctx.fillRect(list[j]!, list[j + 1]!, c, c);
  }
  // Values inside large cells, in black or white for contrast.
  if (c >= VALUE_TEXT_MIN_CELL) {
    ctx.font = `600 ${Math.round(c * 0.36)}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let i = 0; i < n; i++) {
      const node = m.nodes[i]!;
      for (const g of node.gpus) {
        if (g[0] >= m.slots || g[4] > 0) continue; // a marked cell shows its mark instead
        const { x, y } = cellOrigin(l, { node: i, slot: g[0] });
        ctx.fillStyle = inkOn(keyColour(m, fillKey(m, g)));
        ctx.fillText(cellText(m, g[3]), x + c / 2, y + c / 2 + 1, c - 2);
      }
    }
  }
  // Names above the blocks, and a dashed frame around nodes that do not answer.
  if (l.label > 0) {
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
  }
  for (let i = 0; i < n; i++) {
    const node = m.nodes[i]!;
    const o = blockOrigin(l, i);
    if (l.label > 0) {
      ctx.fillStyle = node.up === false ? BAD_MARK : '#1c2430';
      ctx.fillText(fitName(node.up === false ? `✕ ${node.name}` : node.name, l.blockW), o.x, o.y + l.label - 5, l.blockW);
    }
    if (node.up === false) {
      counts.down++;
      ctx.save();
      ctx.setLineDash(l.cell >= 7 ? [4, 2] : [2, 1]);
      ctx.lineWidth = l.cell >= 7 ? 2 : 1;
      ctx.strokeStyle = MARK_OUTLINE;
      const inset = l.cell >= 7 ? 2 : 1;
      ctx.strokeRect(o.x - inset, o.y + l.label - inset, l.blockW + 2 * inset, l.blockH + 2 * inset);
      ctx.restore();
    }
  }
  const half = c / 2;
  const rw = markRadius(c, 1);
  for (let j = 0; j < warn.length; j += 2) drawWarnMark(ctx, warn[j]! + half, warn[j + 1]! + half, rw);
  const rb = markRadius(c, 2);
  // On a dense map, a wide ring around each bad mark as well, so one among 80,000 cells is found at once.
  if (c < BEACON_MAX_CELL) for (let j = 0; j < bad.length; j += 2) drawBeacon(ctx, bad[j]! + half, bad[j + 1]! + half, rb + 9);
  for (let j = 0; j < bad.length; j += 2) drawBadMark(ctx, bad[j]! + half, bad[j + 1]! + half, rb);
  counts.warn = warn.length / 2;
  counts.bad = bad.length / 2;
  return counts;
}

/**
 * The overlay: a ring around the cell under the pointer or the keyboard cursor, and (for the
 * pointer) a tooltip with its lines next to it, kept inside the canvas.
 */
export function drawCursor(ctx: MapCtx, l: MapLayout, ref: CellRef | undefined, tip: readonly string[] | undefined, at?: { x: number; y: number }): void {
  ctx.clearRect(0, 0, l.width, l.height);
  if (!ref) return;
  let box: { x: number; y: number; w: number; h: number };
  if (ref.slot < 0) {
    const o = blockOrigin(l, ref.node);
    box = { x: o.x, y: o.y + l.label, w: l.blockW, h: l.blockH };
  } else {
    const o = cellOrigin(l, ref);
    box = { x: o.x, y: o.y, w: l.cell, h: l.cell };
  }
  const grow = Math.max(2, 5 - l.cell / 8);
  ctx.lineWidth = 3;
  ctx.strokeStyle = '#ffffff';
  ctx.strokeRect(box.x - grow, box.y - grow, box.w + 2 * grow, box.h + 2 * grow);
  ctx.lineWidth = 2;
  ctx.strokeStyle = '#1c2430';
  ctx.strokeRect(box.x - grow, box.y - grow, box.w + 2 * grow, box.h + 2 * grow);
  if (!tip || tip.length === 0) return;
  ctx.font = '13px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  const lineH = 17;
  const w = Math.ceil(Math.max(...tip.map((t) => ctx.measureText(t).width))) + 16;
  const h = tip.length * lineH + 10;
  const px = at?.x ?? box.x + box.w;
  const py = at?.y ?? box.y + box.h;
  let x = px + 14;
  let y = py + 14;
  if (x + w > l.width - 2) x = Math.max(2, px - 14 - w);
  if (y + h > l.height - 2) y = Math.max(2, py - 14 - h);
  ctx.fillStyle = 'rgba(28, 36, 48, 0.94)';
  ctx.fillRect(x, y, w, h);
  ctx.fillStyle = '#ffffff';
  tip.forEach((t, i) => {
    ctx.font = i === 0 ? '600 13px system-ui, sans-serif' : '13px system-ui, sans-serif';
    ctx.fillText(t, x + 8, y + 6 + i * lineH);
  });
}

/** The tooltip's lines for a cell: node and GPU, model, value (and level), and what a click does. */
export function tipLines(m: MapModel, ref: CellRef): string[] {
  const node = m.nodes[ref.node];
  if (!node) return [];
  const lines: string[] = [];
  if (ref.slot < 0) {
    lines.push(node.name, `${plural(node.gpus.length, 'GPU')}${node.up === false ? ' · not answering' : ''}`);
  } else {
    const g = gpuAt(m, ref);
    lines.push(`${node.name} · GPU ${ref.slot}`);
    if (!g) lines.push('not reporting');
    else {
      const model = g[2] !== null ? m.models[g[2]] : undefined;
      if (model) lines.push(model);
      const level = levelText(m, g[4]);
      lines.push(`${metricWord(m.metric)}: ${valueText(m, g[3])}`);
      if (level) lines.push(`${g[4] === 2 ? '✕' : '▲'} ${level}`);
    }
    if (node.up === false) lines.push('the node is not answering');
  }
  lines.push('Click to open the node');
  return lines;
}
