// The GPU health contract: states, suggested actions and the shapes the analyzer answers with.
// The analyzer computes them, the gateway forwards them, the CLI and the Web UI render them, and
// OpenAPI documents them, all from these schemas.
import { z } from 'zod';
import { HEALTH_ACTIONS, HEALTH_ACTION_RANK, HEALTH_STATES, HEALTH_STATE_RANK } from './vocabulary.ts';

/** A GPU's (or a check's, or a node's) health (vocabulary.ts has the order, symbols and words). */
export const HealthState = z.enum(HEALTH_STATES);
export type HealthState = z.infer<typeof HealthState>;

/** The suggested next action, from least to most disruptive. */
export const HealthAction = z.enum(HEALTH_ACTIONS);
export type HealthAction = z.infer<typeof HealthAction>;

/** What one check concluded about one GPU. */
export const CheckResult = z.object({
  /** The check's name, e.g. `row-remap`. */
  check: z.string(),
  state: HealthState,
  action: HealthAction,
  /** Why, in one sentence, with the evidence ("Xid 79 at 03:12, 2nd time since the last 2 reboots"). */
  reason: z.string(),
});
export type CheckResult = z.infer<typeof CheckResult>;

/** One GPU's health: the worst of its checks, a 0-100 score and every check's result. */
export const GpuHealth = z.object({
  node: z.string(),
  gpu: z.number().int().min(0),
  uuid: z.string().optional(),
  pciBusId: z.string().optional(),
  modelName: z.string().optional(),
  state: HealthState,
  score: z.number().min(0).max(100),
  action: HealthAction,
  /** Results that are not healthy, worst first. */
  reasons: z.array(CheckResult),
  /** Every check's result, in check order. */
  checks: z.array(CheckResult),
});
export type GpuHealth = z.infer<typeof GpuHealth>;

/** One node: its GPUs, the worst state among them and the node score. */
export const NodeHealth = z.object({
  node: z.string(),
  state: HealthState,
  score: z.number().min(0).max(100),
  action: HealthAction,
  gpus: z.array(GpuHealth),
  /** Node-level findings (exporter down, GPUs missing). */
  reasons: z.array(CheckResult),
});
export type NodeHealth = z.infer<typeof NodeHealth>;

/** How the analyzer's last evaluations went. */
export const EvaluationStatus = z.object({
  lastSuccessAt: z.string().optional(),
  /** Why the last evaluation failed (the answer then holds the previous results). */
  lastError: z.string().optional(),
  /** PromQL queries one evaluation takes for the whole fleet. */
  queries: z.number().int().optional(),
  /** Queries that failed; the checks that need them say unknown. */
  fieldErrors: z.array(z.string()),
});
export type EvaluationStatus = z.infer<typeof EvaluationStatus>;

/** GET /api/v1/health: every node, worst first. */
export const FleetHealthResponse = z.object({
  /** ISO time of the evaluation these results come from; absent before the first one. */
  evaluatedAt: z.string().optional(),
  nodes: z.array(NodeHealth),
  counts: z.record(HealthState, z.number().int()),
  evaluation: EvaluationStatus,
});
export type FleetHealthResponse = z.infer<typeof FleetHealthResponse>;

/** One change of a GPU's state, kept for the history view. */
export const HealthTransition = z.object({
  at: z.string(),
  node: z.string(),
  gpu: z.number().int(),
  from: HealthState,
  to: HealthState,
  action: HealthAction,
  reason: z.string(),
});
export type HealthTransition = z.infer<typeof HealthTransition>;

/** GET /api/v1/health/:node: the node with each GPU's recent transitions. */
export const NodeHealthResponse = NodeHealth.extend({
  history: z.array(HealthTransition),
});
export type NodeHealthResponse = z.infer<typeof NodeHealthResponse>;

/** POST /api/v1/health/:node/clear: forget escalations after a repair. */
export const HealthClearRequest = z.object({
  gpu: z.number().int().min(0).max(63).optional(),
  reason: z.string().trim().min(1, 'say why (for example "GPU 3 replaced, ticket 4411")').max(500),
});
export type HealthClearRequest = z.infer<typeof HealthClearRequest>;

/** What a clear did; the audit record is also logged. */
export const HealthClearResponse = z.object({
  node: z.string(),
  gpu: z.number().int().optional(),
  cleared: z.number().int(),
  by: z.string(),
  at: z.string(),
  reason: z.string(),
});
export type HealthClearResponse = z.infer<typeof HealthClearResponse>;

/** The worst of several states (healthy for none). */
export function worstState(states: Iterable<HealthState>): HealthState {
  let worst: HealthState = 'healthy';
  for (const s of states) if (HEALTH_STATE_RANK[s] > HEALTH_STATE_RANK[worst]) worst = s;
  return worst;
}

/** The most disruptive of several actions (none for none). */
export function strongestAction(actions: Iterable<HealthAction>): HealthAction {
  let top: HealthAction = 'none';
  for (const a of actions) if (HEALTH_ACTION_RANK[a] > HEALTH_ACTION_RANK[top]) top = a;
  return top;
}
