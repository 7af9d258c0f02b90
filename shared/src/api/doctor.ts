// `aami doctor`: the gateway's GET /api/v1/doctor looks at the whole installation at once and
// answers a list of findings, each with a severity and what to do about it. Its node checks that
// need SSH (host keys, clock skew, exporter versions) come from the install worker's
// POST /api/v1/doctor/nodes, whose request and answer are here too.
import { z } from 'zod';
import { NodeName } from '../config/schema.ts';
import { InstallFailureKind } from './install.ts';

/** ok: nothing to do. warning: works, but needs attention. critical: something is broken now. */
export const DoctorSeverity = z.enum(['ok', 'warning', 'critical']);
export type DoctorSeverity = z.infer<typeof DoctorSeverity>;

/** How bad each severity is, for sorting worst first and for the overall verdict. */
export const DOCTOR_SEVERITY_RANK: Readonly<Record<DoctorSeverity, number>> = { ok: 0, warning: 1, critical: 2 };

/** One thing a check found. Text only: no secret, and every value from a node or a label is capped. */
export const DoctorFinding = z.strictObject({
  /** The check that found it (`services`, `scrape`, `host-keys`, ...). */
  check: z.string(),
  severity: DoctorSeverity,
  /** What it is about, for filtering: a service, a node, a channel. Absent for the installation as a whole. */
  subject: z.string().optional(),
  /** What was found, in one sentence that names its subject. */
  message: z.string(),
  /** The command to run or the page to read; absent when there is nothing to do. */
  fix: z.string().optional(),
});
export type DoctorFinding = z.infer<typeof DoctorFinding>;

/** One check of a doctor run: its name, what it looks at, and its worst finding. */
export const DoctorCheckSummary = z.strictObject({
  name: z.string(),
  description: z.string(),
  severity: DoctorSeverity,
  findings: z.number().int().min(0),
});
export type DoctorCheckSummary = z.infer<typeof DoctorCheckSummary>;

/** GET /api/v1/doctor: every check's findings, worst first; `severity` is the worst of them. */
export const DoctorResponse = z.strictObject({
  checked_at: z.string(),
  duration_ms: z.number().int().min(0),
  severity: DoctorSeverity,
  counts: z.strictObject({ ok: z.number().int().min(0), warning: z.number().int().min(0), critical: z.number().int().min(0) }),
  checks: z.array(DoctorCheckSummary),
  findings: z.array(DoctorFinding),
});
export type DoctorResponse = z.infer<typeof DoctorResponse>;

/**
 * POST /api/v1/doctor/nodes (install worker, service token): the nodes to look at (all of
 * config.yaml's when left out) and how long the whole answer may take; nodes not reached in that
 * time are answered as not checked.
 */
export const DoctorNodesRequest = z.strictObject({
  nodes: z.array(NodeName).optional(),
  timeout_ms: z.number().int().min(1000).max(600_000).optional(),
});
export type DoctorNodesRequest = z.infer<typeof DoctorNodesRequest>;

/**
 * How the key a node offers compares with known_hosts: as in `aami nodes trust`, plus `unread`
 * when the node did not get far enough to offer one.
 */
export const DoctorHostKeyStatus = z.enum(['match', 'new', 'changed', 'revoked', 'unread']);
export type DoctorHostKeyStatus = z.infer<typeof DoctorHostKeyStatus>;

/** One exporter AAMI installed on a node: the version there and what the artifact store would install now. */
export const DoctorNodeExporter = z.strictObject({
  name: z.string(),
  installed: z.string(),
  /** The artifact store's newest versions for the node's arch that count as current; empty when it has none. */
  wanted: z.array(z.string()),
});
export type DoctorNodeExporter = z.infer<typeof DoctorNodeExporter>;

/** What the install worker found on one node. */
export const DoctorNodeResult = z.strictObject({
  node: z.string(),
  /** host:port of its SSH server. */
  address: z.string(),
  host_key: z.strictObject({
    status: DoctorHostKeyStatus,
    /** Fingerprint (SHA256:...) of the key offered now; null when none was read. */
    offered: z.string().nullable(),
    /** Fingerprint of the key known_hosts holds for it; null when none. */
    pinned: z.string().nullable(),
  }),
  /** Why the node could not be looked at (unreachable, login refused, out of time); absent when it answered. */
  failure: z.strictObject({ kind: InstallFailureKind, message: z.string() }).optional(),
  /**
   * The node's clock minus the control node's, in seconds, measured against the middle of the
   * request; `uncertainty_s` is half the round trip. null when it was not read.
   */
  clock: z.strictObject({ skew_s: z.number(), uncertainty_s: z.number() }).nullable(),
  /** Debian-style machine arch (amd64, arm64), null when not read. */
  arch: z.string().nullable(),
  /** The exporters /etc/aami/installed.json records; null when AAMI installed nothing there (or it was not read). */
  exporters: z.array(DoctorNodeExporter).nullable(),
});
export type DoctorNodeResult = z.infer<typeof DoctorNodeResult>;

/** POST /api/v1/doctor/nodes: one result per node, in config order. */
export const DoctorNodesResponse = z.strictObject({
  checked_at: z.string(),
  results: z.array(DoctorNodeResult),
});
export type DoctorNodesResponse = z.infer<typeof DoctorNodesResponse>;
