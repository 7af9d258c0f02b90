// zod schemas for the Xid catalog data in xid-db/ (format: xid-db/README.md). They are the single
// source of the catalog's types: the loader validates every file with them at load time, and the
// schema test checks the data against NVIDIA's reference facts.
import { z } from 'zod';
import { Severity } from '../config/schema.ts';

/** NVIDIA's immediate resolution buckets (the catalog's "Immediate Action" column); '' = none. */
export const NvidiaImmediateAction = z.enum([
  'RESET_GPU',
  'RESTART_BM',
  'RESTART_VM',
  'CHECK_MECHANICALS',
  'CONTACT_SUPPORT',
  'XID_154',
  'WORKFLOW_XID_48',
  'RESTART_APP',
  'CHECK_UVM',
  'UPDATE_SWFW',
  'WORKFLOW_XID_45',
  'WORKFLOW_NVLINK_ERR',
  'WORKFLOW_NVLINK5_ERR',
  'IGNORE',
  '',
]);
export type NvidiaImmediateAction = z.infer<typeof NvidiaImmediateAction>;

/** How urgently a person must act: critical pages, warning is looked at, info is context. */
export const XidSeverity = Severity;
export type XidSeverity = Severity;

/** Where the fault most likely comes from. */
export const XidOrigin = z.enum(['hardware', 'driver', 'application', 'mixed', 'unknown']);
export type XidOrigin = z.infer<typeof XidOrigin>;

const Text = z.string().trim().min(1, 'must not be empty');

/** One Xid entry of xid-db/xid-*.yaml. */
export const XidEntry = z.strictObject({
  code: z.number().int().min(1),
  name: Text,
  title: Text,
  unused: z.boolean(),
  nvidia_immediate_action: NvidiaImmediateAction,
  nvidia_investigatory_action: z.string(),
  severity: XidSeverity,
  severity_reason: z.string().default(''),
  origin: XidOrigin,
  meaning: Text,
  causes: z.array(Text),
  actions: z.array(Text),
  if_repeats: z.string(),
});
export type XidEntry = z.infer<typeof XidEntry>;

/** NVIDIA's severity of an SXid, verbatim from the Fabric Manager guide. */
export const SxidNvidiaSeverity = z.enum(['nonfatal', 'fatal', 'always_fatal']);
export type SxidNvidiaSeverity = z.infer<typeof SxidNvidiaSeverity>;

/** One NVSwitch SXid entry of xid-db/sxid.yaml. */
export const SxidEntry = z.strictObject({
  code: z.number().int().min(1),
  name: Text,
  title: Text,
  nvidia_severity: SxidNvidiaSeverity,
  severity: XidSeverity,
  unit: Text,
  meaning: Text,
  causes: z.array(Text),
  actions: z.array(Text),
  if_repeats: z.string(),
});
export type SxidEntry = z.infer<typeof SxidEntry>;

const CRITICAL_BUCKETS: ReadonlySet<string> = new Set([
  'RESET_GPU',
  'RESTART_BM',
  'RESTART_VM',
  'CHECK_MECHANICALS',
  'CONTACT_SUPPORT',
  'XID_154',
  'WORKFLOW_XID_48',
]);

/**
 * The severity xid-db/README.md's rule gives an Xid: unused codes are info; otherwise NVIDIA's
 * immediate bucket decides (critical / warning / info), and an empty bucket means warning.
 */
export function ruleSeverity(entry: Pick<XidEntry, 'unused' | 'nvidia_immediate_action'>): XidSeverity {
  if (entry.unused) return 'info';
  const bucket = entry.nvidia_immediate_action;
  if (bucket === 'IGNORE') return 'info';
  if (CRITICAL_BUCKETS.has(bucket)) return 'critical';
  return 'warning';
}

/** The severity the README's rule gives an SXid: fatal and always_fatal are critical. */
export function sxidRuleSeverity(nvidiaSeverity: SxidNvidiaSeverity): XidSeverity {
  return nvidiaSeverity === 'nonfatal' ? 'warning' : 'critical';
}
