// The drawing of one node's GPU interconnect: GPUs as labelled boxes grouped by NUMA node, each
// NIC next to the GPU(s) it shares a PCIe switch with (PIX/PXB), and the NVLinks. On an NVSwitch
// board (every GPU pair NVLinked with the same count) the links are one "NVSwitch" bar with an edge
// per GPU labelled with its active link count, not 28 (or 120) crossing lines; on any other board
// (a DGX-1 hybrid cube mesh: NV1 and NV2 pairs) each NVLinked pair is its own edge labelled NV#. A
// GPU, NIC or link that differs from what is expected, or has inactive NVLinks, is degraded: drawn
// red and dashed with a text mark ("✕ 16/18"), so it reads without colour.
//
// The layout is pure (NodeTopology in, boxes and edges out, no DOM), so unit tests run it under
// Node. The SVG is built through a maker the caller passes in (dom.ts's `svg`, which uses
// document.createElementNS and refuses scripting attributes); every label is a text node.
import type { GpuLinkCount, NodeTopology, TopoDeviation, TopoGpu, TopoLink } from '../types.ts';

export const GPU_W = 112;
export const GPU_H = 50;
export const NIC_W = 92;
export const NIC_H = 38;
/** Most GPUs one group box holds in its row; a larger NUMA node is split over two boxes. */
export const MAX_PER_ROW = 8;
/** GPUs from which an all-to-all NVLink with equal counts is drawn as a switch (a 4-GPU HGX A100 is wired directly). */
export const SWITCH_MIN_GPUS = 5;
const GAP = 18;
const PAD = 12;
const GROUP_HEAD = 22;
const GROUP_GAP = 28;
const MARGIN = 16;
const NIC_ROW_GAP = 46;
const NIC_GAP = 10;
const BAR_H = 30;
const BAR_GAP = 62;
const MESH_GAP = 190;
const PCIE_GAP = 36;

export interface Rect { x: number; y: number; w: number; h: number }

export interface GpuBox extends Rect {
  /** The matrix name: GPU0. */
  name: string;
  index: number;
  /** "GPU 0". */
  label: string;
  /** Second line: "18/18 NVLinks", "✕ 16/18 NVLinks", or empty. */
  detail: string;
  degraded: boolean;
  /** The short text mark of a degraded GPU: "✕ 16/18". */
  mark?: string;
  /** Tooltip: everything known about the GPU in one sentence. */
  title: string;
  numa: string | null;
  /** 0: above the switch bar (or the mesh's middle); 1: below. */
  band: 0 | 1;
}

export interface NicBox extends Rect {
  name: string;
  device: string | null;
  degraded: boolean;
  title: string;
  /** GPUs it is PIX/PXB to (its drawn neighbours); empty for a NIC on another path. */
  near: string[];
}

export interface GroupBox extends Rect { label: string; gpus: string[] }

export interface Edge {
  /** switch: a GPU to the NVSwitch bar; nvlink: a GPU pair; pcie: a NIC to a GPU. */
  kind: 'switch' | 'nvlink' | 'pcie';
  a: string;
  b: string;
  /** SVG path data. */
  d: string;
  label: string;
  lx: number;
  ly: number;
  degraded: boolean;
  title: string;
}

export interface TopoLayout {
  width: number;
  height: number;
  /** switch: NVSwitch board; mesh: NVLink pairs; pcie: no NVLink between GPUs. */
  mode: 'switch' | 'mesh' | 'pcie';
  groups: GroupBox[];
  gpus: GpuBox[];
  nics: NicBox[];
  edges: Edge[];
  bar?: Rect & { label: string };
  /** Where the "other NICs" caption goes, when some NIC shares no PCIe switch with a GPU. */
  otherNics?: { x: number; y: number };
  /** Indices of the degraded GPUs. */
  degradedGpus: number[];
}

const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
const cellText = (l: Pick<TopoLink, 'type' | 'nvlinks'>) => (l.type === 'NV' ? `NV${l.nvlinks ?? ''}` : l.type);
const nvCount = (cell: string | undefined): number | undefined => {
  const m = /^NV(\d+)$/.exec(cell ?? '');
  return m ? Number(m[1]) : undefined;
};
const near = (cell: string | undefined) => cell === 'PIX' || cell === 'PXB';
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Per GPU: NVLinks active, listed by nvlink -s, expected, and which are inactive. */
interface LinkFacts { active?: number; listed?: number; expected?: number; inactive: number[] }

function linkFacts(t: NodeTopology): Map<number, LinkFacts> {
  const out = new Map<number, LinkFacts>();
  const get = (i: number) => {
    let f = out.get(i);
    if (!f) out.set(i, (f = { inactive: [] }));
    return f;
  };
  for (const g of t.nvlink ?? []) {
    const f = get(g.index);
    f.listed = g.links.length;
    f.active = g.links.filter((l) => l.gbps !== null).length;
    f.inactive = g.links.filter((l) => l.gbps === null).map((l) => l.link);
  }
  for (const g of t.expected?.gpus ?? [] as GpuLinkCount[]) {
    const f = get(g.gpu);
    f.active ??= g.active;
    f.expected = g.expected;
  }
  return out;
}

/** The most links a GPU should have: what is expected, or every link nvlink -s lists. */
const wanted = (f: LinkFacts | undefined): number | undefined => {
  if (!f) return undefined;
  const w = Math.max(f.expected ?? 0, f.listed ?? 0);
  return w > 0 ? w : undefined;
};

/**
 * The GPUs a pair that differs is laid at. When links go down on one GPU of an NVSwitch board,
 * every pair it is in drops (GPU2 NV16 against all 7 others): the GPU shared by the most pairs that
 * differ, or the one that is short of links itself, is the one to mark, not all 8. When nothing tells
 * the two ends apart (one DGX-1 pair lost its NVLinks), both are marked.
 */
function blamed(gpus: readonly TopoGpu[], pairs: readonly TopoDeviation[], short: (g: TopoGpu) => boolean): Set<string> {
  const byName = new Map(gpus.map((g) => [g.name, g]));
  const count = new Map<string, number>();
  for (const d of pairs) for (const x of [d.a!, d.b!]) count.set(x, (count.get(x) ?? 0) + 1);
  const out = new Set<string>();
  for (const d of pairs) {
    const [a, b] = [d.a!, d.b!];
    const ga = byName.get(a);
    const gb = byName.get(b);
    // A GPU-NIC pair: the GPU end is marked (the NIC is marked on its own).
    if (!ga || !gb) {
      if (ga) out.add(a);
      if (gb) out.add(b);
      continue;
    }
    const sa = short(ga);
    const sb = short(gb);
    if (sa !== sb) out.add(sa ? a : b);
    else if (count.get(a)! !== count.get(b)!) out.add(count.get(a)! > count.get(b)! ? a : b);
    else { out.add(a); out.add(b); }
  }
  return out;
}

const numaKey = (g: TopoGpu) => g.numaAffinity ?? '';

/** Groups of GPUs by NUMA node (numeric order, unknown last), at most MAX_PER_ROW per box. */
function groupGpus(gpus: readonly TopoGpu[]): Array<{ label: string; gpus: TopoGpu[] }> {
  const byNuma = new Map<string, TopoGpu[]>();
  for (const g of gpus) byNuma.set(numaKey(g), [...(byNuma.get(numaKey(g)) ?? []), g]);
  const known = [...byNuma.keys()].filter((k) => k !== '');
  const order = [...known.sort((a, b) => (Number(a) - Number(b)) || a.localeCompare(b)), ...(byNuma.has('') ? [''] : [])];
  const out: Array<{ label: string; gpus: TopoGpu[] }> = [];
  for (const k of order) {
    const members = byNuma.get(k)!;
    const cpus = new Set(members.map((g) => g.cpuAffinity));
    const cpu = cpus.size === 1 ? [...cpus][0] : null;
    let label = k === '' ? (known.length === 0 ? 'GPUs (NUMA node not reported)' : 'NUMA node not reported') : `NUMA ${k}`;
    if (k !== '' && cpu) label += ` · CPUs ${cpu}`;
    for (let i = 0; i < members.length; i += MAX_PER_ROW) {
      const chunk = members.slice(i, i + MAX_PER_ROW);
      const first = chunk[0]!.index;
      const last = chunk.at(-1)!.index;
      out.push({ label: members.length > MAX_PER_ROW ? `${label} (GPUs ${first}–${last})` : label, gpus: chunk });
    }
  }
  return out;
}

/** Splits the group boxes into the band above and the band below, balancing GPUs. */
function splitBands(groups: ReadonlyArray<{ gpus: TopoGpu[] }>, twoBands: boolean): [number[], number[]] {
  if (!twoBands || groups.length < 2) return [groups.map((_, i) => i), []];
  const total = groups.reduce((s, g) => s + g.gpus.length, 0);
  const top: number[] = [];
  let n = 0;
  for (let i = 0; i < groups.length - 1 && n < total / 2; i++) {
    top.push(i);
    n += groups[i]!.gpus.length;
  }
  return [top, groups.map((_, i) => i).filter((i) => !top.includes(i))];
}

const groupWidth = (n: number) => PAD * 2 + n * GPU_W + (n - 1) * GAP;
const groupHeight = GROUP_HEAD + GPU_H + PAD;
const bandWidth = (sizes: readonly number[]) => sizes.reduce((s, n) => s + groupWidth(n), 0) + Math.max(0, sizes.length - 1) * GROUP_GAP;
const round = (n: number) => Math.round(n * 10) / 10;

/** Lays out one node's topology. A node with no matrix (not read, or no GPU) lays out empty. */
export function layoutTopology(t: NodeTopology): TopoLayout {
  const m = t.matrix;
  const empty: TopoLayout = { width: 0, height: 0, mode: 'pcie', groups: [], gpus: [], nics: [], edges: [], degradedGpus: [] };
  if (!m || m.gpus.length === 0) return empty;

  const deviations = t.expected?.deviations ?? [];
  const pairDev = new Map<string, TopoDeviation>();
  for (const d of deviations) if (d.kind === 'pair' && d.a && d.b) pairDev.set(pairKey(d.a, d.b), d);
  const actual = new Map<string, string>();
  for (const l of m.links) actual.set(pairKey(l.a, l.b), cellText(l));
  const expectedCell = (key: string) => pairDev.get(key)?.expected ?? actual.get(key);

  // Mode: an NVSwitch board has every GPU pair NVLinked with the same expected count.
  const sortedGpus = [...m.gpus].sort((a, b) => a.index - b.index);
  const gpuPairs: string[] = [];
  sortedGpus.forEach((a, i) => sortedGpus.slice(i + 1).forEach((b) => gpuPairs.push(pairKey(a.name, b.name))));
  const expectedCounts = new Set(gpuPairs.map((k) => nvCount(expectedCell(k)) ?? -1));
  const anyNv = gpuPairs.some((k) => nvCount(actual.get(k)) !== undefined || nvCount(expectedCell(k)) !== undefined);
  const mode: TopoLayout['mode'] = sortedGpus.length >= SWITCH_MIN_GPUS && expectedCounts.size === 1 && !expectedCounts.has(-1)
    ? 'switch' : anyNv ? 'mesh' : 'pcie';

  // Which GPUs are degraded, and how that reads.
  const facts = linkFacts(t);
  const linkDev = new Map<number, TopoDeviation>();
  for (const d of deviations) if (d.kind === 'links' && d.gpu !== undefined) linkDev.set(d.gpu, d);
  const pairTrouble = blamed(m.gpus, [...pairDev.values()], (g) => linkDev.has(g.index) || (facts.get(g.index)?.inactive.length ?? 0) > 0);

  const groups = groupGpus(sortedGpus);
  const twoBands = mode === 'mesh'
    ? groups.length >= 2
    : groups.reduce((s, g) => s + g.gpus.length, 0) > MAX_PER_ROW;
  const [topIdx, bottomIdx] = splitBands(groups, twoBands);

  // NICs: the GPUs each is PIX/PXB to (actually, or as expected).
  const nicNear = new Map<string, string[]>();
  for (const nic of m.nics) {
    nicNear.set(nic.name, sortedGpus.filter((g) => {
      const k = pairKey(g.name, nic.name);
      return near(actual.get(k)) || near(pairDev.get(k)?.expected);
    }).map((g) => g.name));
  }

  // Horizontal extent: the widest band (NIC rows may widen it below).
  const topSizes = topIdx.map((i) => groups[i]!.gpus.length);
  const bottomSizes = bottomIdx.map((i) => groups[i]!.gpus.length);
  let inner = Math.max(bandWidth(topSizes), bandWidth(bottomSizes));

  const gpuBand = new Map<string, 0 | 1>();
  for (const i of topIdx) for (const g of groups[i]!.gpus) gpuBand.set(g.name, 0);
  for (const i of bottomIdx) for (const g of groups[i]!.gpus) gpuBand.set(g.name, 1);
  const nicsOf = (band: 0 | 1) => m.nics.filter((n) => (nicNear.get(n.name) ?? []).length > 0 && gpuBand.get(nicNear.get(n.name)![0]!) === band);
  const otherNics = m.nics.filter((n) => (nicNear.get(n.name) ?? []).length === 0);

  // Vertical positions, top to bottom.
  let y = MARGIN;
  const topNicY = nicsOf(0).length > 0 ? y : undefined;
  if (topNicY !== undefined) y += NIC_H + NIC_ROW_GAP;
  const topY = y;
  y += groupHeight;
  let barY: number | undefined;
  let bottomY: number | undefined;
  if (mode === 'switch') {
    barY = y + BAR_GAP;
    y = barY + BAR_H;
    if (bottomIdx.length > 0) {
      bottomY = y + BAR_GAP;
      y = bottomY + groupHeight;
    } else {
      y += PAD;
    }
  } else if (mode === 'mesh') {
    if (bottomIdx.length > 0) {
      bottomY = y + MESH_GAP;
      y = bottomY + groupHeight;
    } else {
      y += MESH_GAP / 2;
    }
  } else if (bottomIdx.length > 0) {
    bottomY = y + PCIE_GAP;
    y = bottomY + groupHeight;
  }
  const bottomNicY = nicsOf(1).length > 0 ? y + NIC_ROW_GAP : undefined;
  if (bottomNicY !== undefined) y = bottomNicY + NIC_H;
  let otherCaptionY: number | undefined;
  let otherNicY: number | undefined;
  if (otherNics.length > 0) {
    otherCaptionY = y + 30;
    otherNicY = otherCaptionY + 10;
    y = otherNicY + NIC_H;
  }
  const height = y + MARGIN;

  // Group and GPU boxes, each band centred.
  const outGroups: GroupBox[] = [];
  const boxes = new Map<string, GpuBox>();
  const placeBand = (idx: number[], bandY: number, band: 0 | 1) => {
    let x = MARGIN + (inner - bandWidth(idx.map((i) => groups[i]!.gpus.length))) / 2;
    for (const i of idx) {
      const grp = groups[i]!;
      const w = groupWidth(grp.gpus.length);
      outGroups.push({ x, y: bandY, w, h: groupHeight, label: grp.label, gpus: grp.gpus.map((g) => g.name) });
      grp.gpus.forEach((g, k) => {
        const f = facts.get(g.index);
        const want = wanted(f);
        const dev = linkDev.get(g.index);
        const lacking = f?.active !== undefined && want !== undefined && f.active < want;
        const degraded = lacking || dev !== undefined || (f?.inactive.length ?? 0) > 0 || pairTrouble.has(g.name);
        const counts = f?.active !== undefined && want !== undefined ? `${f.active}/${want}` : undefined;
        const mark = degraded ? `✕ ${counts && lacking ? counts : 'differs'}` : undefined;
        const detail = degraded && !lacking ? '✕ a pair differs' : counts ? `${degraded ? '✕ ' : ''}${counts} NVLinks` : '';
        const title = [
          `GPU ${g.index}`,
          g.numaAffinity !== null ? `NUMA ${g.numaAffinity}` : null,
          f?.active !== undefined ? `${f.active} of ${plural(want ?? f.active, 'NVLink')} active` : null,
          f && f.inactive.length > 0 ? `inactive: ${f.inactive.map((l) => `link ${l}`).join(', ')}` : null,
          dev ? dev.text : null,
          ...[...pairDev.values()].filter((d) => d.a === g.name || d.b === g.name).map((d) => d.text),
        ].filter(Boolean).join(' · ');
        boxes.set(g.name, {
          name: g.name, index: g.index, label: `GPU ${g.index}`, detail, degraded, ...(mark ? { mark } : {}), title,
          numa: g.numaAffinity, band,
          x: x + PAD + k * (GPU_W + GAP), y: bandY + GROUP_HEAD, w: GPU_W, h: GPU_H,
        });
      });
      x += w + GROUP_GAP;
    }
  };
  placeBand(topIdx, topY, 0);
  if (bottomY !== undefined) placeBand(bottomIdx, bottomY, 1);

  // NIC boxes: each row sorted by where it wants to be (over its GPUs), pushed right to not overlap.
  const nicBoxes: NicBox[] = [];
  const nicTitle = (name: string, device: string | null, gpus: string[]) =>
    `${name}${device && device !== name ? ` (${device})` : ''}${gpus.length > 0 ? `: shares a PCIe switch with ${gpus.join(', ')}` : ': on no PCIe switch of a GPU'}`;
  const nicDegraded = (name: string) => [...pairDev.values()].some((d) => d.a === name || d.b === name);
  const placeNics = (list: typeof m.nics, rowY: number, centred: boolean) => {
    const wants = list.map((n) => {
      const gs = (nicNear.get(n.name) ?? []).map((g) => boxes.get(g)!).filter(Boolean);
      const cx = gs.length > 0 ? gs.reduce((s, b) => s + b.x + b.w / 2, 0) / gs.length : 0;
      return { n, x: centred ? cx - NIC_W / 2 : 0 };
    }).sort((a, b) => a.x - b.x);
    let right = MARGIN - NIC_GAP;
    for (const w of wants) {
      const x = Math.max(w.x, right + NIC_GAP);
      right = x + NIC_W;
      const gpus = nicNear.get(w.n.name) ?? [];
      nicBoxes.push({ name: w.n.name, device: w.n.device, degraded: nicDegraded(w.n.name), title: nicTitle(w.n.name, w.n.device, gpus), near: gpus, x, y: rowY, w: NIC_W, h: NIC_H });
    }
    inner = Math.max(inner, right - MARGIN);
  };
  if (topNicY !== undefined) placeNics(nicsOf(0), topNicY, true);
  if (bottomNicY !== undefined) placeNics(nicsOf(1), bottomNicY, true);
  if (otherNicY !== undefined) placeNics(otherNics, otherNicY, false);

  // Edges.
  const edges: Edge[] = [];
  const cx = (b: Rect) => b.x + b.w / 2;
  /** The side of a GPU box that faces the middle (the bar, or the other band). */
  const inner_ = (b: GpuBox) => (b.band === 0 ? b.y + b.h : b.y);

  let bar: TopoLayout['bar'];
  if (mode === 'switch' && barY !== undefined) {
    const all = [...boxes.values()];
    const left = Math.min(...all.map((b) => b.x)) - 8;
    const right = Math.max(...all.map((b) => b.x + b.w)) + 8;
    bar = { x: left, y: barY, w: right - left, h: BAR_H, label: 'NVSwitch' };
    for (const b of [...boxes.values()].sort((p, q) => p.index - q.index)) {
      const f = facts.get(b.index);
      const want = wanted(f);
      const y1 = inner_(b);
      const y2 = b.band === 0 ? bar.y : bar.y + bar.h;
      const nv = nvCount(expectedCell(gpuPairs.find((k) => k.split('|').includes(b.name)) ?? '')) ?? 0;
      const label = f?.active !== undefined
        ? (b.degraded && want !== undefined && f.active < want ? `✕ ${f.active}/${want}` : b.degraded ? `✕ ${f.active}` : String(f.active))
        : (b.degraded ? `✕ NV${nv}` : `NV${nv}`);
      edges.push({
        kind: 'switch', a: b.name, b: 'NVSwitch', d: `M ${round(cx(b))} ${round(y1)} L ${round(cx(b))} ${round(y2)}`,
        label, lx: round(cx(b)), ly: round((y1 + y2) / 2), degraded: b.degraded,
        title: f?.active !== undefined ? `${b.label} to the NVSwitches: ${f.active} of ${plural(want ?? f.active, 'NVLink')} active` : `${b.label} to the NVSwitches: NV${nv}`,
      });
    }
  } else if (mode === 'mesh') {
    const maxDepth = MESH_GAP / 2 - 26;
    const straight: Array<{ x1: number; y1: number; x2: number; y2: number }> = [];
    const arcs: Edge[] = [];
    for (const key of gpuPairs) {
      const is = actual.get(key);
      const dev = pairDev.get(key);
      const want = dev?.expected;
      if (nvCount(is) === undefined && nvCount(want) === undefined) continue;
      const [an, bn] = key.split('|') as [string, string];
      const [p, q] = [boxes.get(an)!, boxes.get(bn)!].sort((u, v) => u.index - v.index) as [GpuBox, GpuBox];
      const degraded = dev !== undefined;
      const label = degraded ? `✕ ${is ?? '?'}/${want}` : is!;
      const title = degraded ? dev.text : `${p.name}–${q.name}: ${is} (${plural(nvCount(is)!, 'NVLink')} bonded)`;
      // Ends spread along the facing side toward the other GPU, so edges leaving one GPU fan out.
      const spread = (from: GpuBox, to: GpuBox) => cx(from) + Math.max(-from.w * 0.32, Math.min(from.w * 0.32, (cx(to) - cx(from)) * 0.12));
      const x1 = spread(p, q);
      const x2 = spread(q, p);
      const y1 = inner_(p);
      const y2 = inner_(q);
      if (p.band === q.band) {
        const span = Math.abs(cx(q) - cx(p)) / (GPU_W + GAP);
        const depth = Math.min(16 + 16 * span, maxDepth) * (p.band === 0 ? 1 : -1);
        const mx = (x1 + x2) / 2;
        const arc: Edge = { kind: 'nvlink', a: p.name, b: q.name, d: `M ${round(x1)} ${round(y1)} Q ${round(mx)} ${round(y1 + depth * 2)} ${round(x2)} ${round(y2)}`, label, lx: round(mx), ly: round(y1 + depth), degraded, title };
        arcs.push(arc);
        edges.push(arc);
      } else {
        const [top, bottom] = p.band === 0 ? [{ x: x1, y: y1 }, { x: x2, y: y2 }] : [{ x: x2, y: y2 }, { x: x1, y: y1 }];
        straight.push({ x1: top.x, y1: top.y, x2: bottom.x, y2: bottom.y });
        edges.push({ kind: 'nvlink', a: p.name, b: q.name, d: `M ${round(top.x)} ${round(top.y)} L ${round(bottom.x)} ${round(bottom.y)}`, label, lx: round((top.x + bottom.x) / 2), ly: round((top.y + bottom.y) / 2), degraded, title });
      }
    }
    // An arc's label that would sit on a line between the bands (a DGX-1's GPU1-GPU5 runs right
    // under the apex of GPU0-GPU2) moves beside it, so it is not read as that line's label.
    const onLine = (x: number, y: number) => straight.some((l) => segmentDistance(x, y, l) < 14);
    for (const e of arcs) {
      if (!onLine(e.lx, e.ly)) continue;
      const side = [22, -22].find((dx) => !onLine(e.lx + dx, e.ly));
      if (side !== undefined) e.lx = round(e.lx + side);
    }
  }

  // NIC to GPU edges (PIX/PXB), from the NIC's side facing its GPUs.
  for (const nic of nicBoxes) {
    for (const g of nic.near) {
      const b = boxes.get(g);
      if (!b) continue;
      const key = pairKey(g, nic.name);
      const is = actual.get(key) ?? '?';
      const dev = pairDev.get(key);
      const fromY = b.band === 0 ? nic.y + nic.h : nic.y;
      const toY = b.band === 0 ? b.y : b.y + b.h;
      const x1 = cx(nic);
      const x2 = cx(b);
      edges.push({
        kind: 'pcie', a: g, b: nic.name, d: `M ${round(x1)} ${round(fromY)} L ${round(x2)} ${round(toY)}`,
        label: dev ? `✕ ${is}/${dev.expected}` : is, lx: round(x1 + (x2 - x1) * 0.4), ly: round(fromY + (toY - fromY) * 0.4),
        degraded: dev !== undefined, title: dev ? dev.text : `${g}–${nic.name}: ${is}`,
      });
    }
  }

  const width = inner + MARGIN * 2;
  // A NIC row wider than the bands widened `inner` after the bands were centred: that only adds room on the right.
  return {
    width: Math.ceil(width), height: Math.ceil(height), mode, groups: outGroups,
    gpus: [...boxes.values()].sort((a, b) => a.index - b.index), nics: nicBoxes, edges,
    ...(bar ? { bar } : {}),
    ...(otherCaptionY !== undefined ? { otherNics: { x: MARGIN, y: otherCaptionY } } : {}),
    degradedGpus: [...boxes.values()].filter((b) => b.degraded).map((b) => b.index).sort((a, b) => a - b),
  };
}

/** How far the point (x, y) is from the segment. */
function segmentDistance(x: number, y: number, l: { x1: number; y1: number; x2: number; y2: number }): number {
  const dx = l.x2 - l.x1;
  const dy = l.y2 - l.y1;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((x - l.x1) * dx + (y - l.y1) * dy) / len));
  return Math.hypot(x - (l.x1 + t * dx), y - (l.y1 + t * dy));
}

/** True when two rectangles share any area. */
export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Attributes the maker sets (never event handlers or styles: dom.ts refuses those). */
export type SvgAttrs = Record<string, string | number | undefined>;
/** Makes one SVG element with attributes and children (strings become text nodes). */
export type SvgMake<N> = (tag: string, attrs: SvgAttrs, ...children: Array<N | string | null | undefined | false>) => N;

/** The SVG of a layout, made with `make`; `title` names it for assistive tech. */
export function drawTopology<N>(layout: TopoLayout, make: SvgMake<N>, title: string): N {
  const text = (x: number, y: number, cls: string, s: string) => make('text', { x: round(x), y: round(y), class: cls }, s);
  const parts: N[] = [];
  parts.push(make('title', {}, title));
  const bad = layout.degradedGpus.length;
  parts.push(make('desc', {}, `${plural(layout.gpus.length, 'GPU')}${layout.nics.length ? `, ${plural(layout.nics.length, 'NIC')}` : ''}; ${
    layout.mode === 'switch' ? 'NVLinks through NVSwitches' : layout.mode === 'mesh' ? 'NVLinks between GPU pairs' : 'no NVLink between GPUs'
  }; ${bad === 0 ? 'no GPU marked' : `${plural(bad, 'GPU')} marked as not as expected`}.`));

  for (const g of layout.groups) parts.push(make('g', { class: 'topo-group' }, make('rect', { x: g.x, y: g.y, width: g.w, height: g.h, rx: 8 })));
  const edge = (e: Edge) => make('g', { class: `topo-edge topo-edge-${e.kind}${e.degraded ? ' degraded' : ''}`, 'data-a': e.a, 'data-b': e.b },
    make('title', {}, e.title),
    make('path', { d: e.d }),
    text(e.lx, e.ly + 4, 'topo-edge-label', e.label));
  // Healthy edges first, degraded on top of them.
  for (const e of layout.edges.filter((x) => !x.degraded)) parts.push(edge(e));
  for (const e of layout.edges.filter((x) => x.degraded)) parts.push(edge(e));
  // Group labels over the NIC edges that cross them.
  for (const g of layout.groups) parts.push(text(g.x + 10, g.y + 15, 'topo-group-label', g.label));
  if (layout.bar) {
    const b = layout.bar;
    parts.push(make('g', { class: 'topo-bar' },
      make('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }),
      text(b.x + b.w / 2, b.y + b.h / 2 + 5, 'topo-bar-label', b.label)));
  }
  for (const g of layout.gpus) {
    parts.push(make('g', { class: `topo-gpu${g.degraded ? ' degraded' : ''}`, 'data-gpu': g.index, 'data-name': g.name },
      make('title', {}, g.title),
      make('rect', { x: g.x, y: g.y, width: g.w, height: g.h, rx: 6 }),
      text(g.x + g.w / 2, g.y + 20, 'topo-gpu-label', g.label),
      g.detail ? text(g.x + g.w / 2, g.y + 38, 'topo-gpu-detail', g.detail) : null));
  }
  if (layout.otherNics) parts.push(text(layout.otherNics.x, layout.otherNics.y, 'topo-caption', 'NICs that share no PCIe switch with a GPU'));
  for (const n of layout.nics) {
    parts.push(make('g', { class: `topo-nic${n.degraded ? ' degraded' : ''}`, 'data-nic': n.name },
      make('title', {}, n.title),
      make('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: 4 }),
      text(n.x + n.w / 2, n.y + 15, 'topo-nic-label', `${n.degraded ? '✕ ' : ''}${n.name}`),
      n.device && n.device !== n.name ? text(n.x + n.w / 2, n.y + 30, 'topo-nic-detail', n.device) : null));
  }
  return make('svg', {
    class: 'topo-svg', viewBox: `0 0 ${layout.width} ${layout.height}`, width: layout.width, height: layout.height,
    role: 'img', 'data-mode': layout.mode,
  }, ...parts);
}
