// How long one alert state counts as delivered. Alertmanager tells a still-firing alert again every
// repeat_interval (config.yaml's notifications.repeat, per severity), and that reminder carries the
// same fingerprint, status and startsAt as the first notice: the same dedup key. So the key of a
// firing state must be gone before the reminder arrives, or the reminder is dropped as a copy.
//
// The window, counted from when the relay received the first notice:
//   lifetime = repeat - margin, margin = max(group_interval, 10 s) + 1 min
// Alertmanager times a reminder from its previous notice and sends it only on the group's
// group_interval beat, so it comes at least `repeat` after that notice went out. The notice itself
// may have reached the relay later than it went out: within one flush Alertmanager retries a
// webhook until max(group_interval, 10 s) has passed (notify.MinTimeout is 10 s). The extra minute
// covers clock steps and timer slack between Alertmanager, the relay and Redis. Copies inside the
// window (Alertmanager re-sending a whole group because another alert in it changed, a webhook
// retried after the relay had already stored it) are still dropped.
// A repeat shorter than two margins gets half of it, so a copy sent right away is still dropped;
// the lifetime is never longer than the repeat interval.
//
// Resolved states are told once, then leave Alertmanager's group: they keep a fixed lifetime, as do
// storm summaries (each has its own key) and jobs queued before a job carried its deadline.
import { GROUP_TIMING, durationMs, type Severity } from '@aami/shared';
import type { WebhookAlert } from './payload.ts';
import type { NotificationsConfig } from './routing.ts';

/** Lifetime of a resolved state, a summary, or a job that names no deadline: 3 h. */
export const FIXED_DEDUP_TTL_MS = 3 * 3600_000;

/** Alertmanager's least time for one flush, retries included (notify.MinTimeout). */
const ALERTMANAGER_MIN_FLUSH_MS = 10_000;
/** Clock steps and timer slack between Alertmanager, the relay and Redis. */
const SLACK_MS = 60_000;

const SEVERITIES = new Set<string>(['critical', 'warning', 'info']);

/**
 * The severity whose route (and so repeat interval) Alertmanager uses for `labels`: the `severity`
 * label exactly as the rule compiler's matchers compare it, else the root route, which has the
 * warning timings (see the rule compiler's alertmanager-config.ts).
 */
export function routeSeverity(labels: Readonly<Record<string, string>>): Severity {
  const s = labels.severity;
  return s !== undefined && SEVERITIES.has(s) ? (s as Severity) : 'warning';
}

/** The window of a firing state for a repeat and group interval (ms); see the file comment. */
export function firingLifetimeMs(repeatMs: number, groupIntervalMs: number): number {
  const margin = Math.max(groupIntervalMs, ALERTMANAGER_MIN_FLUSH_MS) + SLACK_MS;
  return Math.max(1, Math.floor(Math.max(repeatMs - margin, repeatMs / 2)));
}

/** How long the state of `alert` counts as delivered, by config.yaml's notifications.repeat. */
export function dedupLifetimeMs(alert: Pick<WebhookAlert, 'status' | 'labels'>, repeat: NotificationsConfig['repeat']): number {
  if (alert.status !== 'firing') return FIXED_DEDUP_TTL_MS;
  const severity = routeSeverity(alert.labels);
  // The schema admits only durations Prometheus reads, so these parse; a fallback keeps a bug from
  // turning into no dedup at all.
  const repeatMs = durationMs(repeat[severity]) ?? FIXED_DEDUP_TTL_MS;
  const groupMs = durationMs(GROUP_TIMING[severity].group_interval) ?? 0;
  return firingLifetimeMs(repeatMs, groupMs);
}
