// The words of GPU health every screen that shows a state shares (the GPU health screen, the node
// page's Health panel, the overview's GPU card): the state's word and symbol (✓ ? ! ✕, from the
// shared vocabulary, so a state reads without colour), the score as a whole number, the suggested
// action in words, and the overview's GPUs per state. A state the UI does not know is drawn as
// unknown, its text kept. No DOM here (unit-tested under Node); health.ts makes the badges from it.
import { HEALTH_ACTION_TEXT, HEALTH_STATE_SYMBOL } from '@aami/shared/health/vocabulary';
import type { HealthAction, HealthState } from '../types.ts';

export const STATE_TEXT: Readonly<Record<HealthState, string>> = { healthy: 'Healthy', unknown: 'Unknown', degraded: 'Degraded', unhealthy: 'Unhealthy' };

export { HEALTH_ACTION_TEXT, HEALTH_STATE_SYMBOL };

/** A state the UI knows (anything else the API might send is drawn as unknown, its text kept). */
export const known = (s: string): HealthState => (Object.hasOwn(STATE_TEXT, s) ? s as HealthState : 'unknown');
export const stateText = (s: string): string => (Object.hasOwn(STATE_TEXT, s) ? STATE_TEXT[s as HealthState] : s);
export const actionText = (a: string): string => (Object.hasOwn(HEALTH_ACTION_TEXT, a) ? HEALTH_ACTION_TEXT[a as HealthAction] : a);
export const score = (n: number): string => (Number.isFinite(n) ? String(Math.round(n)) : '?');

/** The states worst first, as the overview's GPU card lists them. */
export const STATES_WORST_FIRST: readonly HealthState[] = ['unhealthy', 'degraded', 'unknown', 'healthy'];

/** What the overview's GPU card says about health: why there are no counts, or the count of each state. */
export type StateCounts =
  | { kind: 'unread' }
  | { kind: 'none' }
  | { kind: 'counts'; rows: Array<{ state: HealthState; n: number }>; notJudged: number };

/**
 * The overview's `summary.gpus.states` for the GPU card: `unread` when Prometheus could not be
 * asked (null), `none` when it holds no verdict at all, else every state worst first (zeros too) and
 * how many reporting GPUs the analyzer has not judged.
 */
export function stateCounts(states: Partial<Record<string, number>> | null, reporting: number | null): StateCounts {
  if (!states) return { kind: 'unread' };
  const rows = STATES_WORST_FIRST.map((state) => ({ state, n: Math.max(0, states[state] ?? 0) }));
  const judged = rows.reduce((a, r) => a + r.n, 0);
  if (judged === 0) return { kind: 'none' };
  return { kind: 'counts', rows, notJudged: reporting !== null && reporting > judged ? reporting - judged : 0 };
}
