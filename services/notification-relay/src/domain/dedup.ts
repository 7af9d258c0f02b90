// Idempotent delivery: Alertmanager re-sends a whole group whenever it changes and retries
// webhooks it thinks failed, so the same alert state reaches the relay many times. Each channel
// sends one alert state (fingerprint + status + startsAt) once: the delivery job claims the key
// with SET NX + TTL before sending and marks it done after. A job re-run after a crash finds its
// own claim and goes on; any later copy finds "done" and is skipped, until the key expires. Each
// job says how long its key lives (dedup-lifetime.ts: a firing state's key is gone before
// Alertmanager's next reminder of it).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChannelName } from '../channels/channel.ts';
import { alertFingerprint, type WebhookAlert } from './payload.ts';
import { redisScript } from './redis-script.ts';

/** The identity of one alert state: fingerprint, status and start time. */
export function dedupKey(alert: Pick<WebhookAlert, 'labels' | 'fingerprint' | 'status' | 'startsAt'>): string {
  return `${alertFingerprint(alert)}|${alert.status}|${alert.startsAt}`;
}

/** A BullMQ job id for one delivery to one channel of what `key` names (an alert state in a dedup window; no ":" allowed). */
export function deliveryJobId(channel: ChannelName, key: string): string {
  return `${channel}-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/**
 * claimed: this owner may send (first claim, or its own earlier claim after a crash);
 * done: already delivered (or grouped into a storm summary); busy: another owner holds it.
 */
export type ClaimResult = 'claimed' | 'done' | 'busy';

/** The dedup store the delivery processor uses. */
export interface DedupStore {
  /** Claims the state for `owner`; the claim lives `ttlMs` (the store's default when unset). */
  claim(channel: ChannelName, key: string, owner: string, ttlMs?: number): Promise<ClaimResult>;
  /** Marks the state delivered for `ttlMs` from now (the store's default when unset). */
  markDone(channel: ChannelName, key: string, owner: string, ttlMs?: number): Promise<void>;
  /** The Redis key holding a claim (the storm script marks grouped alerts done in the same step). */
  redisKey(channel: ChannelName, key: string): string;
}

const CLAIM = `
local ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if ok then return 'claimed' end
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if v == ARGV[1] then return 'claimed' end
if string.sub(v, 1, 5) == 'done:' then return 'done' end
return 'busy'
`;

/** The Redis-backed dedup store; keys live under `<prefix>:relay:dedup:`, for `ttlMs` unless a call says otherwise. */
export function createRedisDedup(redis: Redis, opts: { prefix: string; ttlMs: number }): DedupStore {
  const claim = redisScript(redis, CLAIM);
  const redisKey = (channel: ChannelName, key: string): string => `${opts.prefix}:relay:dedup:${channel}:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  return {
    redisKey,
    async claim(channel, key, owner, ttlMs = opts.ttlMs) {
      return (await claim([redisKey(channel, key)], [owner, ttlMs])) as ClaimResult;
    },
    async markDone(channel, key, owner, ttlMs = opts.ttlMs) {
      await redis.set(redisKey(channel, key), `done:${owner}`, 'PX', ttlMs);
    },
  };
}
