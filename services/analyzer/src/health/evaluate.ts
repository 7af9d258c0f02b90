// Turns GPU snapshots into GpuHealth / NodeHealth: runs every supported check (a check that throws
// becomes `unknown` with the error as its reason), takes the worst state, the strongest action and
// the score. Pure: no I/O, so the scenario tests drive it directly.
import {
  HEALTH_STATE_RANK, HEALTH_ACTION_RANK, strongestAction, worstState,
  type CheckResult, type GpuHealth, type NodeHealth,
} from '@aami/shared';
import { ALL_CHECKS } from './checks/all.ts';
import { NAME as EXPORTER } from './checks/exporter/index.ts';
import { STATE_CEILING, gpuScore, nodeScore } from './score.ts';
import { result, type GpuSnapshot, type HealthCheck } from './types.ts';

function runCheck(c: HealthCheck, gpu: GpuSnapshot): CheckResult {
  try {
    return c.check(gpu);
  } catch (err) {
    return result(c.name, 'unknown', 'none', `the check failed: ${(err as Error).message}`);
  }
}

const worstFirst = (a: CheckResult, b: CheckResult) =>
  HEALTH_STATE_RANK[b.state] - HEALTH_STATE_RANK[a.state] || HEALTH_ACTION_RANK[b.action] - HEALTH_ACTION_RANK[a.action];

/** One GPU's health from its snapshot. */
export function evaluateGpu(gpu: GpuSnapshot, checks: readonly HealthCheck[] = ALL_CHECKS): GpuHealth {
  const results = checks.filter((c) => c.isSupported(gpu)).map((c) => runCheck(c, gpu));
  // The GPU is as bad as its worst known finding. Checks without data do not make a GPU look bad,
  // but they do stop it from looking good: with no exporter data, or no data at all, it is unknown.
  const known = results.filter((r) => r.state !== 'unknown');
  let state = worstState(known.map((r) => r.state));
  const blind = results.some((r) => r.check === EXPORTER && r.state === 'unknown');
  if (state === 'healthy' && (known.length === 0 || blind)) state = 'unknown';
  const reasons = results.filter((r) => r.state !== 'healthy').sort(worstFirst);
  return {
    node: gpu.node,
    gpu: gpu.gpu,
    ...(gpu.uuid ? { uuid: gpu.uuid } : {}),
    ...(gpu.pciBusId ? { pciBusId: gpu.pciBusId } : {}),
    ...(gpu.modelName ? { modelName: gpu.modelName } : {}),
    state,
    score: gpuScore(results, state),
    action: strongestAction(reasons.filter((r) => r.state !== 'unknown').map((r) => r.action)),
    reasons,
    checks: results,
  };
}

/** A node's health from its GPUs' and its own node-level findings. */
export function evaluateNode(node: string, gpus: readonly GpuHealth[], nodeReasons: readonly CheckResult[] = []): NodeHealth {
  const states = [...gpus.map((g) => g.state), ...nodeReasons.map((r) => r.state)];
  const state = gpus.length === 0 && nodeReasons.length === 0 ? 'unknown' : worstState(states);
  return {
    node,
    state,
    score: Math.min(nodeScore(gpus.map((g) => g.score)), ...nodeReasons.map((r) => STATE_CEILING[r.state])),
    action: strongestAction([...gpus.map((g) => g.action), ...nodeReasons.map((r) => r.action)]),
    gpus: [...gpus].sort((a, b) => a.gpu - b.gpu),
    reasons: [...nodeReasons].sort(worstFirst),
  };
}

/** Nodes worst first (state, then score, then name), as the fleet view lists them. */
export function sortWorstFirst<T extends { state: NodeHealth['state']; score: number; node: string }>(nodes: T[]): T[] {
  return nodes.sort((a, b) => HEALTH_STATE_RANK[b.state] - HEALTH_STATE_RANK[a.state] || a.score - b.score || a.node.localeCompare(b.node));
}
