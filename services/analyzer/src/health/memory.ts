// What the analyzer must remember between evaluations, across node reboots and its own restarts:
// each node's boot time and GPUs, the Xid counters' last values, the Xid findings with their
// reboot counts and escalations, each GPU's last state, the transition history and the audit of
// clears. Kept as one JSON file in the data volume, written atomically when it changes.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { HealthAction, HealthState, HealthTransition, NvidiaImmediateAction, writeFileAtomic } from '@aami/shared';

const GpuIdentity = z.object({ gpu: z.number().int(), uuid: z.string().optional(), pciBusId: z.string().optional(), modelName: z.string().optional() });
export type GpuIdentity = z.infer<typeof GpuIdentity>;

const XidTrack = z.object({
  node: z.string(),
  /** NVML form, upper case; `unknown` when the log line had no readable address. */
  pciBusId: z.string(),
  xid: z.number().int(),
  bucket: NvidiaImmediateAction,
  title: z.string(),
  firstAt: z.number(),
  lastAt: z.number(),
  count: z.number().int(),
  rebootsSinceFirst: z.number().int(),
  /** The node's boot time (s) at the last occurrence. */
  bootTime: z.number().optional(),
  escalatedAt: z.number().optional(),
});
export type XidTrack = z.infer<typeof XidTrack>;

const AuditRecord = z.object({ at: z.string(), by: z.string(), node: z.string(), gpu: z.number().int().optional(), reason: z.string(), cleared: z.number().int() });
export type AuditRecord = z.infer<typeof AuditRecord>;

const NodeMemory = z.object({
  bootTime: z.number().optional(),
  gpus: z.record(z.string(), GpuIdentity).default({}),
});
export type NodeMemory = z.infer<typeof NodeMemory>;

const LastState = z.object({ state: HealthState, action: HealthAction });

export const HealthMemory = z.object({
  version: z.literal(1),
  nodes: z.record(z.string(), NodeMemory).default({}),
  /** `node|pci_bus_id|xid` → the counter's last value. */
  xidCounters: z.record(z.string(), z.number()).default({}),
  tracks: z.array(XidTrack).default([]),
  /** `node|gpu` → last state. */
  states: z.record(z.string(), LastState).default({}),
  history: z.array(HealthTransition).default([]),
  audit: z.array(AuditRecord).default([]),
});
export type HealthMemory = z.infer<typeof HealthMemory>;

/** History and audit entries kept (oldest dropped first). */
export const HISTORY_LIMIT = 5000;
export const AUDIT_LIMIT = 1000;

export function emptyMemory(): HealthMemory {
  return { version: 1, nodes: {}, xidCounters: {}, tracks: [], states: {}, history: [], audit: [] };
}

/** Loads the file; a missing file is a fresh start, a damaged one is an error naming the file. */
export async function loadMemory(path: string): Promise<HealthMemory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyMemory();
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message}); move it away to start health tracking afresh`);
  }
  const parsed = HealthMemory.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}; move it away to start health tracking afresh`);
  }
  return parsed.data;
}

/** Saves the memory when its text changed since the last save; returns whether it wrote. */
export class MemoryFile {
  private lastText = '';
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }

  async save(memory: HealthMemory): Promise<boolean> {
    if (memory.history.length > HISTORY_LIMIT) memory.history.splice(0, memory.history.length - HISTORY_LIMIT);
    if (memory.audit.length > AUDIT_LIMIT) memory.audit.splice(0, memory.audit.length - AUDIT_LIMIT);
    const text = JSON.stringify(memory);
    if (text === this.lastText) return false;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
    await writeFileAtomic(this.path, text, 0o600);
    this.lastText = text;
    return true;
  }
}
