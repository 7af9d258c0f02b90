// How Alertmanager batches the notices of each severity. The rule compiler writes these into
// alertmanager.yml next to config.yaml's notifications.repeat; the notification relay reads them to
// size its dedup window, so that the two always agree on when a reminder can come.
import type { Severity } from './schema.ts';

/** Alertmanager's grouping timings of one severity. */
export interface GroupTiming {
  /** Wait before the first notice of a new group, so alerts that start together go out together. */
  group_wait: string;
  /** Wait between notices of a group that changed; reminders also go out only on this beat. */
  group_interval: string;
}

/** The grouping timings per severity (repeat intervals come from config.yaml). */
export const GROUP_TIMING: Readonly<Record<Severity, GroupTiming>> = {
  critical: { group_wait: '10s', group_interval: '1m' },
  warning: { group_wait: '30s', group_interval: '5m' },
  info: { group_wait: '1m', group_interval: '10m' },
};
