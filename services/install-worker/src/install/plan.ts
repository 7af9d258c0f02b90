// From "what the node has" (probe) and "what it should have" (desired) to the least work: only
// files whose SHA-256 differs are uploaded, only units whose files changed are restarted, and a
// node already in shape gets nothing but a verify ("unchanged").
import { isDeepStrictEqual } from 'node:util';
import { dirname } from 'node:path';
import { PATHS, type ComponentSpec, type DesiredState, type ManagedFile } from './desired.ts';
import type { InstalledRecord, NodeFacts } from './probe.ts';

/** What an install or upgrade did to a node. */
export type ChangeResult = 'installed' | 'upgraded' | 'changed' | 'unchanged';

/** The work for one node. */
export interface Plan {
  upload: ManagedFile[];
  daemonReload: boolean;
  enable: string[];
  restart: string[];
  start: string[];
  runOnce: string[];
  /** Units and files of components installed before but no longer wanted (e.g. dcgm on a node without GPUs now). */
  removeUnits: string[];
  removeFiles: string[];
  record: InstalledRecord;
  writeRecord: boolean;
  result: ChangeResult;
  /** Version changes, "node_exporter 1.5.0 -> 1.8.2". */
  versionChanges: string[];
}

/** The installed.json content for a desired state. */
export function recordFor(desired: DesiredState, runId: string, now: Date): InstalledRecord {
  const components: InstalledRecord['components'] = {};
  for (const c of desired.components) {
    components[c.name] = { version: c.version, units: c.units, files: Object.fromEntries(c.files.map((f) => [f.path, f.sha256])) };
  }
  return { managed_by: 'aami', updated_at: now.toISOString(), run_id: runId, components, notes: desired.notes };
}

export function makePlan(facts: NodeFacts, desired: DesiredState, runId: string, now = new Date()): Plan {
  const changedComponents = new Set<ComponentSpec>();
  const upload: ManagedFile[] = [];
  for (const c of desired.components) {
    for (const f of c.files) {
      if (facts.sums[f.path] !== f.sha256) {
        upload.push(f);
        changedComponents.add(c);
      }
    }
  }
  const unitState = (u: string) => facts.units[u] ?? { active: 'unknown', enabled: 'none' };
  const restart = [...changedComponents].flatMap((c) => c.restart);
  const units = desired.components.flatMap((c) => c.units);
  const enable = units.filter((u) => unitState(u).enabled !== 'enabled');
  const start = units.filter((u) => unitState(u).active !== 'active' && !restart.includes(u));

  const wanted = new Set(desired.components.map((c) => c.name as string));
  const before = facts.installed?.components ?? {};
  const removeUnits: string[] = [];
  const removeFiles: string[] = [];
  for (const [name, comp] of Object.entries(before)) {
    if (wanted.has(name)) continue;
    removeUnits.push(...comp.units);
    removeFiles.push(...Object.keys(comp.files));
  }

  const record = recordFor(desired, runId, now);
  // A oneshot runs again when its component changed or was never recorded as done (a failed run).
  const runOnce = desired.components
    .filter((c) => c.runOnce && (changedComponents.has(c) || !isDeepStrictEqual(before[c.name], record.components[c.name])))
    .map((c) => c.runOnce as string);
  const sameRecord = facts.installed !== null
    && isDeepStrictEqual(facts.installed.components, record.components)
    && isDeepStrictEqual(facts.installed.notes, record.notes);
  const versionChanges = desired.components
    .filter((c) => before[c.name] && before[c.name]?.version !== c.version)
    .map((c) => `${c.name} ${before[c.name]?.version} -> ${c.version}`);
  const anything = upload.length + enable.length + restart.length + start.length + removeUnits.length + removeFiles.length > 0 || !sameRecord;
  let result: ChangeResult = 'unchanged';
  if (anything) {
    if (Object.keys(before).length === 0) result = 'installed';
    else if (versionChanges.length > 0) result = 'upgraded';
    else result = 'changed';
    record.result = result;
  } else if (facts.installed?.run_id === runId && facts.installed.result) {
    // This very run already did the work (its worker died before recording it): say what it did.
    result = facts.installed.result;
  }
  return {
    upload,
    daemonReload: upload.some((f) => f.path.startsWith('/etc/systemd/')) || removeUnits.length > 0,
    enable, restart, start, runOnce, removeUnits, removeFiles, record, writeRecord: anything, result, versionChanges,
  };
}

/** A disk-space shortfall the plan would hit, in words; undefined when there is room. */
export function spaceShortfall(plan: Plan, facts: NodeFacts): string | undefined {
  const MARGIN = 1024; // KiB kept free besides what we write
  const need = new Map<string, number>();
  const total = plan.upload.reduce((n, f) => n + f.size, 0);
  if (total > 0) need.set(PATHS.staging, Math.ceil(total / 1024) + MARGIN);
  for (const f of plan.upload) {
    const d = dirname(f.path);
    need.set(d, (need.get(d) ?? MARGIN) + Math.ceil(f.size / 1024));
  }
  for (const [dir, kb] of need) {
    const free = facts.freeKb[dir];
    if (free !== undefined && free < kb) {
      return `disk full: ${dir} has ${fmtKb(free)} free, ${fmtKb(kb)} needed`;
    }
  }
  return undefined;
}

const fmtKb = (kb: number) => (kb >= 1024 ? `${(kb / 1024).toFixed(1)} MiB` : `${kb} KiB`);
