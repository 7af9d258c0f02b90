// Check `redis-memory`: how full Redis is, as the notification relay reads it for Prometheus
// (aami_relay_redis_memory_used_bytes / _max_bytes on its /metrics, read directly here). Redis
// holds every queue and evicts nothing: once full it refuses writes, and alerts can no longer be
// queued. Warning from 80 % of maxmemory (AamiRedisMemoryHigh's default), critical from 95 %.
import { RELAY_METRICS, type DoctorFinding } from '@aami/shared';
import { describeError, findingsOf, type DoctorCheck } from './check.ts';
import { formatBytes, metricSum } from './metrics-text.ts';
import type { DoctorSources } from './sources.ts';

export const REDIS_MEMORY_CHECK = 'redis-memory';

export const REDIS_WARNING_RATIO = 0.8;
export const REDIS_CRITICAL_RATIO = 0.95;

const f = findingsOf(REDIS_MEMORY_CHECK);
const FIX = 'aami notifications status (are deliveries piling up?); clear the dead letters, or raise AAMI_REDIS_MAXMEMORY and AAMI_REDIS_MEM_LIMIT together';

export function redisMemoryCheck(sources: Pick<DoctorSources, 'relayMetrics'>): DoctorCheck {
  return {
    name: REDIS_MEMORY_CHECK,
    description: "Redis' memory use against its limit",
    async run(): Promise<DoctorFinding[]> {
      let text: string;
      try {
        text = await sources.relayMetrics();
      } catch (err) {
        return [f.critical(`Redis' memory use could not be read from the relay: ${describeError(err)}`, { subject: 'redis', fix: 'docker compose logs notification-relay; docker compose up -d notification-relay' })];
      }
      const used = metricSum(text, RELAY_METRICS.redisMemoryUsed);
      const max = metricSum(text, RELAY_METRICS.redisMemoryMax);
      if (used === undefined) {
        return [f.warning('the relay could not read Redis\' memory use (Redis did not answer it)', { subject: 'redis', fix: 'docker compose logs redis notification-relay' })];
      }
      if (!max) {
        return [f.ok(`Redis uses ${formatBytes(used)} and has no maxmemory, so nothing stops it before the machine runs out (compose sets one: AAMI_REDIS_MAXMEMORY)`, { subject: 'redis' })];
      }
      const ratio = used / max;
      const summary = `Redis uses ${formatBytes(used)} of its ${formatBytes(max)} limit (${Math.round(ratio * 100)} %)`;
      if (ratio >= REDIS_CRITICAL_RATIO) return [f.critical(`${summary}: it is about to refuse writes, and alerts with them`, { subject: 'redis', fix: FIX })];
      if (ratio >= REDIS_WARNING_RATIO) return [f.warning(summary, { subject: 'redis', fix: FIX })];
      return [f.ok(summary, { subject: 'redis' })];
    },
  };
}
