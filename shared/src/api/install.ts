// The install API's contract: the install worker answers it and the gateway passes it on unchanged
// (/api/v1/install/*, POST /api/v1/nodes/test, GET /api/v1/nodes/:name/host-key, POST
// /api/v1/nodes/:name/trust). One run is one action on a set of nodes, one job per node.
import { z } from 'zod';
import { NodeName } from '../config/schema.ts';

/** The four things an install run does on a node. */
export const InstallAction = z.enum(['install', 'upgrade', 'uninstall', 'verify']);
export type InstallAction = z.infer<typeof InstallAction>;

/** Where one node is in a run. */
export const InstallNodeState = z.enum(['queued', 'running', 'retrying', 'done', 'failed']);
export type InstallNodeState = z.infer<typeof InstallNodeState>;

/** What a finished node's action came to. */
export const InstallResult = z.enum(['installed', 'upgraded', 'changed', 'unchanged', 'uninstalled', 'verified', 'failed']);
export type InstallResult = z.infer<typeof InstallResult>;

/** Why a node failed, in words an operator acts on (SSH failures first, then the install's own). */
export const InstallFailureKind = z.enum([
  'unreachable', 'timeout', 'auth', 'key', 'host-key-changed', 'host-key-unknown', 'host-key-revoked',
  'connection-lost', 'command-timeout', 'command-failed', 'protocol',
  'no-sudo', 'disk-full', 'unit-failed', 'unsupported', 'verify-failed', 'not-installed', 'unknown-node', 'internal',
]);
export type InstallFailureKind = z.infer<typeof InstallFailureKind>;

/** root: logged in as root; yes: passwordless sudo works; no: neither. */
export const SudoAccess = z.enum(['root', 'yes', 'no']);

/** POST /api/v1/install/runs: the action and the nodes (names, or all of config.yaml's). */
export const InstallRunRequest = z.strictObject({
  action: InstallAction.default('install'),
  nodes: z.array(NodeName).optional(),
  all: z.boolean().optional(),
  concurrency: z.number().int().min(1).max(2000).optional(),
});

/** POST /api/v1/nodes/test: the nodes to reach over SSH (names, or all). */
export const NodesTestRequest = z.strictObject({
  nodes: z.array(NodeName).optional(),
  all: z.boolean().optional(),
});

/** POST /api/v1/nodes/:name/trust: pin only this key (else the key the node offers now). */
export const HostKeyTrustRequest = z.strictObject({
  fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]+$/, 'must look like SHA256:...').optional(),
});

/** POST /api/v1/install/runs (202): the run that was started. */
export const InstallRunStarted = z.strictObject({
  runId: z.string(),
  action: InstallAction,
  nodes: z.array(z.string()),
  total: z.number().int().min(0),
  /** The run's own fan-out limit; null: the worker's default (ssh.concurrency). */
  concurrency: z.number().int().nullable(),
});
export type InstallRunStarted = z.infer<typeof InstallRunStarted>;

/** One node's state in one run; also GET /api/v1/install/nodes/:name/last, its last result. */
export const InstallNodeRun = z.strictObject({
  node: z.string(),
  runId: z.string(),
  action: InstallAction,
  state: InstallNodeState,
  /** What it does now (probe, upload, verify...). */
  step: z.string().optional(),
  percent: z.number().min(0).max(100),
  attempts: z.number().int().min(0),
  result: InstallResult.optional(),
  kind: InstallFailureKind.optional(),
  reason: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  durationMs: z.number().optional(),
  /** Exporter versions on the node afterwards. */
  versions: z.record(z.string(), z.string()).optional(),
  /** Lines for people, e.g. "no nvidia-smi on this node: dcgm-exporter not installed". */
  notes: z.array(z.string()).optional(),
  node_info: z.strictObject({ os: z.string(), arch: z.string(), gpus: z.number().int().min(0), sudo: SudoAccess }).optional(),
});
export type InstallNodeRun = z.infer<typeof InstallNodeRun>;

/** A run as listed: what it was asked, how far it is, and the results of the nodes that finished. */
export const InstallRunSummary = z.strictObject({
  id: z.string(),
  action: InstallAction,
  nodes: z.array(z.string()),
  /** The run's own fan-out limit, when it asked for one. */
  concurrency: z.number().int().optional(),
  createdAt: z.string(),
  status: z.enum(['running', 'done']),
  total: z.number().int().min(0),
  counts: z.record(InstallNodeState, z.number().int().min(0)),
  /** Finished nodes by result: installed, unchanged, failed... */
  results: z.partialRecord(InstallResult, z.number().int().min(0)),
  percent: z.number().min(0).max(100),
  finishedAt: z.string().optional(),
  durationMs: z.number().optional(),
});
export type InstallRunSummary = z.infer<typeof InstallRunSummary>;

/** GET /api/v1/install/runs/:id: the run with every node's state, in the order it was asked. */
export const InstallRun = InstallRunSummary.extend({ states: z.array(InstallNodeRun) });
export type InstallRun = z.infer<typeof InstallRun>;

/** GET /api/v1/install/runs: the latest runs, newest first (`?limit=`, 20 by default). */
export const InstallRunsList = z.strictObject({ runs: z.array(InstallRunSummary) });
export type InstallRunsList = z.infer<typeof InstallRunsList>;

/** One node's SSH check. */
export const NodeSshTest = z.strictObject({
  node: z.string(),
  ok: z.boolean(),
  latencyMs: z.number().min(0),
  user: z.string().optional(),
  sudo: SudoAccess.optional(),
  arch: z.string().optional(),
  kind: InstallFailureKind.optional(),
  reason: z.string().optional(),
  /** Set when this test was the first contact and pinned the node's key (trust on first use). */
  pinnedHostKey: z.strictObject({ type: z.string(), fingerprint: z.string() }).optional(),
  /** Lines for people, e.g. `pinned new host key SHA256:... for gpu-07`. */
  notes: z.array(z.string()).optional(),
});
export type NodeSshTest = z.infer<typeof NodeSshTest>;

/** POST /api/v1/nodes/test: every node's check, and how many were reached. */
export const NodesTestResponse = z.strictObject({ results: z.array(NodeSshTest), ok: z.number().int().min(0), failed: z.number().int().min(0) });
export type NodesTestResponse = z.infer<typeof NodesTestResponse>;

/** match: already pinned; new: nothing on file; changed: other keys on file; revoked: listed as @revoked. */
export const HostKeyStatus = z.enum(['match', 'new', 'changed', 'revoked']);
export type HostKeyStatus = z.infer<typeof HostKeyStatus>;

/** A node's SSH endpoint and the key it offers: what both host-key answers start with. */
const OfferedHostKey = z.strictObject({
  node: z.string(),
  host: z.string(),
  port: z.number().int(),
  type: z.string(),
  fingerprint: z.string(),
});

/** GET /api/v1/nodes/:name/host-key: the key a node offers now, beside what is pinned (nothing changes). */
export const HostKeyView = OfferedHostKey.extend({
  /** The key on file that matches, else one of the offered key's type, else the first; null when none. */
  pinned: z.string().nullable(),
  status: HostKeyStatus,
});
export type HostKeyView = z.infer<typeof HostKeyView>;

/** POST /api/v1/nodes/:name/trust: the key now pinned, and the one it replaced. */
export const HostKeyTrustResult = OfferedHostKey.extend({
  previous: z.string().nullable(),
  changed: z.boolean(),
});
export type HostKeyTrustResult = z.infer<typeof HostKeyTrustResult>;
