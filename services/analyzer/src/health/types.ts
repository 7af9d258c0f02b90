// What a health check sees (one GPU's snapshot, built from Prometheus and the analyzer's memory)
// and the one interface every check implements, after gpud's components/: a name, whether it
// applies to this GPU, and a check() that returns a result and never throws.
import type { CheckResult, HealthAction, HealthState, NvidiaImmediateAction } from '@aami/shared';

/** The per-GPU numbers the checks read, each from one PromQL expression (fields.ts). */
export type FieldKey =
  | 'memTemp'
  | 'remapFailure'
  | 'remapPending'
  | 'remapUncorrectable'
  | 'retiredPending'
  | 'retiredSbe'
  | 'retiredDbe'
  | 'eccDbeVolatile'
  | 'pcieReplayPerMin'
  | 'pcieLinkGen'
  | 'pcieLinkWidth'
  | 'nvlinkCrcFlitPerS'
  | 'nvlinkCrcDataPerS'
  | 'nvlinkReplayIncrease'
  | 'nvlinkRecoveryIncrease'
  | 'nvlinkLinksActive'
  | 'nvlinkLinksExpected'
  | 'thermalSlowdownRatio'
  | 'powerSlowdownRatio';

/** One Xid (code) on one GPU, as the analyzer remembers it across cycles, reboots and restarts. */
export interface XidFinding {
  xid: number;
  /** Catalog title, or a placeholder for codes the catalog does not have. */
  title: string;
  bucket: NvidiaImmediateAction;
  firstAt: number;
  lastAt: number;
  /** Occurrences since firstAt. */
  count: number;
  /** Node reboots seen since firstAt. */
  rebootsSinceFirst: number;
  /** Set once the Xid came back after the reboot threshold: the GPU needs hardware inspection. */
  escalatedAt?: number;
  /** Whether the last occurrence was in the node's current boot. */
  inCurrentBoot: boolean;
}

/** dcgm-exporter's state on the GPU's node. */
export type ExporterState = 'up' | 'down' | 'absent';

/** Everything the checks know about one GPU in one evaluation. */
export interface GpuSnapshot {
  node: string;
  gpu: number;
  uuid?: string;
  pciBusId?: string;
  modelName?: string;
  vendor: 'nvidia';
  exporter: ExporterState;
  /** False when the GPU was reported before but is missing from this evaluation's data. */
  reporting: boolean;
  fields: Partial<Record<FieldKey, number>>;
  /** Whether AAMI's Xid counter on the node ran recently (without it, no Xid means nothing). */
  xidCounterReporting: boolean;
  xids: XidFinding[];
  /** Reboot threshold in force (escalation text says it). */
  rebootThreshold: number;
}

/** One health check. */
export interface HealthCheck {
  readonly name: string;
  /** Whether the check applies to this GPU at all (vendor, model); unsupported checks are left out. */
  isSupported(gpu: GpuSnapshot): boolean;
  /** The GPU's state for this check, with the evidence; absent input gives `unknown`. */
  check(gpu: GpuSnapshot): CheckResult;
}

/** Builds a result (one place, so every check's results have the same shape). */
export function result(check: string, state: HealthState, action: HealthAction, reason: string): CheckResult {
  return { check, state, action, reason };
}

/** The result for a check whose input is not there. */
export function missingInput(check: string, what: string): CheckResult {
  return result(check, 'unknown', 'none', `no data: ${what}`);
}

/** A GPU's name in reasons: "GPU 3 (00000000:41:00.0)". */
export function gpuLabel(gpu: GpuSnapshot): string {
  return gpu.pciBusId ? `GPU ${gpu.gpu} (${gpu.pciBusId})` : `GPU ${gpu.gpu}`;
}

/** A time in reasons, in UTC to the minute: "2026-12-03 03:12 UTC". */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "1st", "2nd", "3rd", "4th", "11th"... */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}
