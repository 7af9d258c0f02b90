// Folds one fleet observation into the analyzer's memory and builds the checks' snapshots: notices
// reboots (node_boot_time_seconds moved), turns Xid counter increases into occurrences, escalates
// a reboot-class Xid that comes back after `rebootThreshold` reboots (gpud's rule), forgets
// findings older than the lookback (escalations stay until cleared) and remembers every GPU seen,
// so one that disappears is noticed.
import type { CheckResult, NvidiaImmediateAction } from '@aami/shared';
import { isActive } from './checks/xid/index.ts';
import type { HealthMemory, NodeMemory, XidTrack } from './memory.ts';
import { UNKNOWN_PCI, type FleetObservation } from './source.ts';
import { formatTime, result, type GpuSnapshot, type XidFinding } from './types.ts';
import { isRebootClass, xidOutcome } from './xid-policy.ts';

export interface TrackerSettings {
  /** Reboots after which a returning reboot-class Xid means hardware inspection (default 2). */
  rebootThreshold: number;
  /** How long a finding counts after its last occurrence (default 72 h). */
  lookbackMs: number;
}

/** Catalog facts the tracker needs about an Xid code. */
export type XidLookup = (xid: number) => { title: string; bucket: NvidiaImmediateAction };

/**
 * A boot time must move forward by more than this (s) to count as a reboot: node_exporter derives
 * it from the clock and the uptime, so it wobbles by a second or so, and a clock step moves it too.
 * Real reboots of GPU servers take minutes.
 */
export const REBOOT_MIN_SHIFT_S = 10;

export interface TrackedFleet {
  snapshots: GpuSnapshot[];
  /** Findings that belong to a node, not to one of its GPUs. */
  nodeReasons: Map<string, CheckResult[]>;
  /** Nodes with a dcgm-exporter target, the fleet the answers list. */
  nodes: string[];
}

const counterKey = (node: string, pci: string, xid: number) => `${node}|${pci}|${xid}`;

function nodeMemory(memory: HealthMemory, node: string): NodeMemory {
  return (memory.nodes[node] ??= { gpus: {} });
}

function occur(memory: HealthMemory, node: string, pciBusId: string, xid: number, lookup: XidLookup, settings: TrackerSettings, now: number): void {
  const bootTime = memory.nodes[node]?.bootTime;
  const i = memory.tracks.findIndex((t) => t.node === node && t.pciBusId === pciBusId && t.xid === xid);
  const track = i >= 0 ? memory.tracks[i]! : undefined;
  if (track && (track.escalatedAt !== undefined || now - track.lastAt <= settings.lookbackMs)) {
    track.count += 1;
    track.lastAt = now;
    if (bootTime !== undefined) track.bootTime = bootTime;
    if (track.escalatedAt === undefined && isRebootClass(track.bucket) && track.rebootsSinceFirst >= settings.rebootThreshold) track.escalatedAt = now;
    return;
  }
  if (i >= 0) memory.tracks.splice(i, 1);
  const { title, bucket } = lookup(xid);
  const fresh: XidTrack = { node, pciBusId, xid, bucket, title, firstAt: now, lastAt: now, count: 1, rebootsSinceFirst: 0 };
  if (bootTime !== undefined) fresh.bootTime = bootTime;
  memory.tracks.push(fresh);
}

function finding(t: XidTrack, node: NodeMemory | undefined): XidFinding {
  const f: XidFinding = {
    xid: t.xid, title: t.title, bucket: t.bucket, firstAt: t.firstAt, lastAt: t.lastAt, count: t.count,
    rebootsSinceFirst: t.rebootsSinceFirst, inCurrentBoot: t.bootTime === node?.bootTime,
  };
  if (t.escalatedAt !== undefined) f.escalatedAt = t.escalatedAt;
  return f;
}

/** Updates `memory` from `obs` and returns what the checks run on. */
export function trackFleet(memory: HealthMemory, obs: FleetObservation, lookup: XidLookup, settings: TrackerSettings, now: number): TrackedFleet {
  const knownBefore = new Set(Object.keys(memory.nodes));

  for (const [node, bootTime] of obs.bootTimes) {
    const mem = nodeMemory(memory, node);
    if (mem.bootTime !== undefined && bootTime - mem.bootTime > REBOOT_MIN_SHIFT_S) {
      for (const t of memory.tracks) if (t.node === node) t.rebootsSinceFirst += 1;
    }
    mem.bootTime = bootTime;
  }

  for (const c of obs.xidCounters) {
    const key = counterKey(c.node, c.pciBusId, c.xid);
    const prev = memory.xidCounters[key];
    // A series seen for the first time on a node we already watched is a new Xid; on a node we
    // see for the first time it is history from before AAMI watched, and only sets the baseline.
    const happened = prev === undefined ? knownBefore.has(c.node) && c.value > 0 : c.value > prev || (c.value < prev && c.value > 0);
    memory.xidCounters[key] = c.value;
    if (happened) occur(memory, c.node, c.pciBusId, c.xid, lookup, settings, now);
  }

  memory.tracks = memory.tracks.filter((t) => t.escalatedAt !== undefined || now - t.lastAt <= settings.lookbackMs);

  const observed = new Map<string, Set<number>>();
  for (const g of obs.gpus) {
    nodeMemory(memory, g.node).gpus[String(g.identity.gpu)] = g.identity;
    let set = observed.get(g.node);
    if (!set) observed.set(g.node, (set = new Set()));
    set.add(g.identity.gpu);
  }
  const fieldsOf = new Map(obs.gpus.map((g) => [`${g.node}|${g.identity.gpu}`, g.fields]));

  const nodes = [...new Set([...obs.exporters.keys(), ...observed.keys()])].sort();
  const snapshots: GpuSnapshot[] = [];
  const nodeReasons = new Map<string, CheckResult[]>();
  for (const node of nodes) {
    const mem = memory.nodes[node];
    const exporter = obs.exporters.get(node) ?? 'absent';
    const identities = Object.values(mem?.gpus ?? {}).sort((a, b) => a.gpu - b.gpu);
    const gpuPcis = new Set(identities.map((i) => i.pciBusId).filter((p): p is string => p !== undefined));
    const tracks = memory.tracks.filter((t) => t.node === node);
    for (const id of identities) {
      const snap: GpuSnapshot = {
        node, gpu: id.gpu, vendor: 'nvidia', exporter,
        reporting: observed.get(node)?.has(id.gpu) ?? false,
        fields: fieldsOf.get(`${node}|${id.gpu}`) ?? {},
        xidCounterReporting: obs.xidCounterNodes.has(node),
        xids: id.pciBusId ? tracks.filter((t) => t.pciBusId === id.pciBusId).map((t) => finding(t, mem)) : [],
        rebootThreshold: settings.rebootThreshold,
      };
      if (id.uuid) snap.uuid = id.uuid;
      if (id.pciBusId) snap.pciBusId = id.pciBusId;
      if (id.modelName) snap.modelName = id.modelName;
      snapshots.push(snap);
    }
    const reasons: CheckResult[] = [];
    for (const t of tracks) {
      if (gpuPcis.has(t.pciBusId)) continue;
      const f = finding(t, mem);
      if (!isActive(f)) continue;
      const { state, action } = f.escalatedAt !== undefined ? { state: 'unhealthy' as const, action: 'inspect-hardware' as const } : xidOutcome(t.bucket);
      const where = t.pciBusId === UNKNOWN_PCI ? 'on a GPU the log line does not name' : `on ${t.pciBusId}, which dcgm-exporter has never reported`;
      reasons.push(result('xid', state, action, `Xid ${t.xid} (${t.title}) at ${formatTime(t.lastAt)} ${where}`));
    }
    if (exporter === 'up' && identities.length === 0) reasons.push(result('exporter', 'unknown', 'none', `dcgm-exporter on ${node} answers but reports no GPUs`));
    if (reasons.length > 0) nodeReasons.set(node, reasons);
  }
  return { snapshots, nodeReasons, nodes };
}

/** Forgets findings (and, for a GPU, its remembered identity) after a repair; returns how many findings. */
export function clearFindings(memory: HealthMemory, node: string, gpu: number | undefined): number {
  const mem = memory.nodes[node];
  const pci = gpu === undefined ? undefined : mem?.gpus[String(gpu)]?.pciBusId;
  const matches = (t: XidTrack) => t.node === node && (gpu === undefined || t.pciBusId === pci);
  const before = memory.tracks.length;
  memory.tracks = memory.tracks.filter((t) => !matches(t));
  if (mem) {
    // A GPU that was replaced or removed should not stay "fallen off the bus": forget it; it is
    // remembered again at its next scrape.
    if (gpu === undefined) mem.gpus = {};
    else delete mem.gpus[String(gpu)];
  }
  return before - memory.tracks.length;
}
