// What a node's topology should be, and how it differs. Nodes of one kind (same GPU model and
// count) should be wired alike, so the expected topology of a node is what most nodes of its kind
// have, or the profile an operator pinned for that kind (`aami topo pin NODE`); a node alone of its
// kind with no pin is its own reference and shows no deviation. Compared: the NVLinks active per
// GPU (from `nvlink -s`) and every pair's connection in `topo -m` (a lower NV#, or a GPU or NIC on
// another PCIe path). Ties between peers go to the better value, so of two nodes the weaker one is
// the one reported.
import { z } from 'zod';
import type { GpuIdentity } from './gpu-identity.ts';
import type { NvlinkGpu } from './nvlink-status.ts';
import { LINK_TYPES, type TopoMatrix } from './topo-matrix.ts';

/** What is compared between nodes of one kind. */
export const TopoProfile = z.strictObject({
  /** "8 × NVIDIA H100 80GB HBM3": nodes are compared only with nodes of the same kind. */
  kind: z.string(),
  /** Active NVLinks per GPU index ("3" -> 18), from nvlink -s; empty when it was not read. */
  links: z.record(z.string(), z.number().int().min(0)),
  /** Each pair's connection as topo -m prints it ("GPU0-GPU1" -> "NV18", "GPU2-NIC1" -> "PIX"). */
  pairs: z.record(z.string(), z.string()),
});
export type TopoProfile = z.infer<typeof TopoProfile>;

/** One way a node differs from what is expected. */
export const TopoDeviation = z.strictObject({
  /** links: fewer NVLinks active on a GPU; pair: a pair connected otherwise (lower NV#, another PCIe path). */
  kind: z.enum(['links', 'pair']),
  gpu: z.number().int().min(0).optional(),
  /** The pair's two devices, for kind pair. */
  a: z.string().optional(),
  b: z.string().optional(),
  actual: z.string(),
  expected: z.string(),
  text: z.string(),
});
export type TopoDeviation = z.infer<typeof TopoDeviation>;

export const GpuLinkCount = z.strictObject({ gpu: z.number().int().min(0), active: z.number().int().min(0), expected: z.number().int().min(0) });
export type GpuLinkCount = z.infer<typeof GpuLinkCount>;

/** A node judged against its expected topology. */
export const TopoExpectation = z.strictObject({
  kind: z.string(),
  /** peers: what most nodes of the kind have; pinned: an operator's pin; alone: no peer, no pin. */
  source: z.enum(['peers', 'pinned', 'alone']),
  /** Nodes of this kind with a topology, this one included. */
  peers: z.number().int().min(1),
  /** The node whose topology was pinned, for source pinned. */
  pinnedFrom: z.string().optional(),
  /** Active and expected NVLinks per GPU (GPUs nvlink -s was read for). */
  gpus: z.array(GpuLinkCount),
  deviations: z.array(TopoDeviation),
});
export type TopoExpectation = z.infer<typeof TopoExpectation>;

/** A kind's pinned reference. */
export const TopoPin = z.strictObject({ kind: z.string(), node: z.string(), pinnedAt: z.string(), profile: TopoProfile });
export type TopoPin = z.infer<typeof TopoPin>;
/** pins.json: one pin per kind. */
export const TopoPins = z.array(TopoPin);

/** The kind of a node: its GPU count and model(s), from --query-gpu or else nvlink -s. */
export function topoKind(matrix: TopoMatrix, identity?: readonly GpuIdentity[], nvlink?: readonly NvlinkGpu[]): string {
  const models = [...new Set((identity?.length ? identity.map((g) => g.model) : (nvlink ?? []).map((g) => g.model)).filter(Boolean))].sort();
  return `${matrix.gpus.length} × ${models.length ? models.join(' + ') : 'GPU'}`;
}

/** The profile compared for one node. */
export function topoProfile(matrix: TopoMatrix, identity?: readonly GpuIdentity[], nvlink?: readonly NvlinkGpu[]): TopoProfile {
  const links: Record<string, number> = {};
  for (const g of nvlink ?? []) links[String(g.index)] = g.links.filter((l) => l.gbps !== null).length;
  const pairs: Record<string, string> = {};
  for (const l of matrix.links) pairs[`${l.a}-${l.b}`] = l.type === 'NV' ? `NV${l.nvlinks}` : l.type;
  return { kind: topoKind(matrix, identity, nvlink), links, pairs };
}

/** Higher is better: NV# by its count, then the PCIe paths from nearest (PIX) to farthest (SYS). */
function pairRank(cell: string): number {
  const nv = /^NV(\d+)$/.exec(cell);
  if (nv) return 100 + Number(nv[1]);
  const at = LINK_TYPES.indexOf(cell as (typeof LINK_TYPES)[number]);
  return at < 0 ? -1 : LINK_TYPES.length - at;
}

/** The value most profiles have; a tie goes to the better one. */
function mode<T extends string | number>(values: readonly T[], better: (a: T, b: T) => number): T | undefined {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: T | undefined;
  for (const [v, n] of counts) {
    const bn = best === undefined ? -1 : counts.get(best)!;
    if (n > bn || (n === bn && better(v, best!) > 0)) best = v;
  }
  return best;
}

/** What most of `profiles` (one kind) have. */
export function consensusProfile(profiles: readonly TopoProfile[]): TopoProfile {
  const keys = (pick: (p: TopoProfile) => Record<string, unknown>) => [...new Set(profiles.flatMap((p) => Object.keys(pick(p))))];
  const links: Record<string, number> = {};
  for (const k of keys((p) => p.links)) {
    const v = mode(profiles.flatMap((p) => (p.links[k] === undefined ? [] : [p.links[k]])), (a, b) => a - b);
    if (v !== undefined) links[k] = v;
  }
  const pairs: Record<string, string> = {};
  for (const k of keys((p) => p.pairs)) {
    const v = mode(profiles.flatMap((p) => (p.pairs[k] === undefined ? [] : [p.pairs[k]])), (a, b) => pairRank(a) - pairRank(b));
    if (v !== undefined) pairs[k] = v;
  }
  return { kind: profiles[0]?.kind ?? '', links, pairs };
}

/** How `profile` differs from `expected`, in the words an operator reads. */
export function compareProfiles(profile: TopoProfile, expected: TopoProfile, whose: string): { gpus: GpuLinkCount[]; deviations: TopoDeviation[] } {
  const gpus: GpuLinkCount[] = [];
  const deviations: TopoDeviation[] = [];
  for (const [k, active] of Object.entries(profile.links).sort((x, y) => Number(x[0]) - Number(y[0]))) {
    const want = expected.links[k] ?? active;
    gpus.push({ gpu: Number(k), active, expected: want });
    if (active < want) {
      deviations.push({ kind: 'links', gpu: Number(k), actual: String(active), expected: String(want), text: `GPU ${k} has ${active} of ${want} NVLinks active (${whose} ${want})` });
    }
  }
  for (const [pair, want] of Object.entries(expected.pairs)) {
    const actual = profile.pairs[pair];
    if (actual === undefined || actual === want) continue;
    const [a, b] = pair.split('-') as [string, string];
    deviations.push({ kind: 'pair', a, b, actual, expected: want, text: `${a}-${b} is ${actual}; ${whose} ${want}` });
  }
  return { gpus, deviations };
}

/**
 * Judges every node against its kind: the pin when the kind has one, else what most of its peers
 * have. `nodes` maps node name to profile; the answer has an entry for each.
 */
export function judgeTopologies(nodes: ReadonlyMap<string, TopoProfile>, pins: readonly TopoPin[]): Map<string, TopoExpectation> {
  const byKind = new Map<string, TopoProfile[]>();
  for (const p of nodes.values()) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p]);
  const consensus = new Map([...byKind].map(([kind, ps]) => [kind, consensusProfile(ps)]));
  const out = new Map<string, TopoExpectation>();
  for (const [node, profile] of nodes) {
    const peers = byKind.get(profile.kind)!.length;
    const pin = pins.find((p) => p.kind === profile.kind);
    if (pin) {
      out.set(node, { kind: profile.kind, source: 'pinned', peers, pinnedFrom: pin.node, ...compareProfiles(profile, pin.profile, `pinned from ${pin.node}:`) });
    } else if (peers > 1) {
      out.set(node, { kind: profile.kind, source: 'peers', peers, ...compareProfiles(profile, consensus.get(profile.kind)!, `most of its ${peers - 1} peer(s) have`) });
    } else {
      out.set(node, { kind: profile.kind, source: 'alone', peers, ...compareProfiles(profile, profile, '') });
    }
  }
  return out;
}
