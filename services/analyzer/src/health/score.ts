// The 0-100 health score (formula documented in the analyzer's README, "GPU health score").
// It depends only on the checks' states, never on raw values, so scrape jitter that does not
// cross a threshold cannot move it.
import type { CheckResult, HealthState } from '@aami/shared';

/** Points a check in this state takes off 100. */
export const STATE_PENALTY: Readonly<Record<HealthState, number>> = { healthy: 0, unknown: 5, degraded: 15, unhealthy: 50 };

/** The highest score a GPU in this state can have. */
export const STATE_CEILING: Readonly<Record<HealthState, number>> = { healthy: 100, unknown: 60, degraded: 79, unhealthy: 39 };

/** The GPU's score from its check results and its overall state. */
export function gpuScore(checks: readonly CheckResult[], state: HealthState): number {
  const penalty = checks.reduce((sum, c) => sum + STATE_PENALTY[c.state], 0);
  return Math.max(0, Math.min(STATE_CEILING[state], 100 - penalty));
}

/** A node scores as its worst GPU (a node is as usable as the GPU that fails a job); 0 GPUs: unknown's ceiling. */
export function nodeScore(gpuScores: readonly number[]): number {
  return gpuScores.length === 0 ? STATE_CEILING.unknown : Math.min(...gpuScores);
}
