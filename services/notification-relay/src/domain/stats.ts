// Per-channel delivery counts that survive restarts (Prometheus counters do not), for
// GET /api/v1/notifications/status. One Redis hash, HINCRBY per event.
import type { Redis } from 'ioredis';
import type { ChannelName } from '../channels/channel.ts';

/** What is counted per channel. */
export type StatField = 'sent' | 'failed' | 'dead_lettered' | 'duplicates' | 'grouped';

/** The counts store. */
export interface StatsStore {
  incr(channel: ChannelName, field: StatField, by?: number): Promise<void>;
  read(): Promise<Partial<Record<ChannelName, Partial<Record<StatField, number>>>>>;
}

/** The Redis-backed counts store, one hash at `<prefix>:relay:stats`. */
export function createRedisStats(redis: Redis, prefix: string): StatsStore {
  const key = `${prefix}:relay:stats`;
  return {
    async incr(channel, field, by = 1) {
      await redis.hincrby(key, `${channel}:${field}`, by);
    },
    async read() {
      const raw = await redis.hgetall(key);
      const out: Partial<Record<ChannelName, Partial<Record<StatField, number>>>> = {};
      for (const [k, v] of Object.entries(raw)) {
        const [ch, field] = k.split(':') as [ChannelName, StatField];
        (out[ch] ??= {})[field] = Number(v);
      }
      return out;
    },
  };
}
