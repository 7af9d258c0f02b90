// The analyzer's health settings, from the environment (documented in the analyzer's README).
import { z } from 'zod';

export const HealthSettings = z.object({
  /** Seconds between evaluations. */
  AAMI_HEALTH_INTERVAL_S: z.coerce.number().int().min(1).max(3600).default(30),
  /** Reboots after which a returning reboot-class Xid means "inspect the hardware". */
  AAMI_HEALTH_REBOOT_THRESHOLD: z.coerce.number().int().min(1).max(1000).default(2),
  /** Hours a finding counts after its last occurrence. */
  AAMI_HEALTH_LOOKBACK_HOURS: z.coerce.number().min(1).max(24 * 365).default(72),
  /** PromQL window for rates of counters (replays, CRC errors, slowdown time). */
  AAMI_HEALTH_RATE_WINDOW: z.string().regex(/^\d{1,5}[smh]$/, 'a PromQL duration like 5m or 30s').default('5m'),
  /** What the analyzer remembers across restarts (default <data dir>/health/state.json). In compose
   *  it lives in the analyzer's own volume: the config volume is read-only to it. */
  AAMI_HEALTH_STATE_FILE: z.string().min(1).optional(),
});
export type HealthSettings = z.infer<typeof HealthSettings>;
