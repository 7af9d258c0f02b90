// Storm grouping: when more than `threshold` alerts reach one channel within one window, the
// first `threshold` go out one by one and the rest are held in Redis and sent as summary messages
// that list every one of them, so a rack losing power is a handful of messages, not 500, and
// nothing is dropped. Placing an alert and marking it done is one atomic step; a flush moves the
// held alerts into a batch, and a batch is deleted only after its summary jobs are queued.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChannelName } from '../channels/channel.ts';
import { StormItem } from './message.ts';
import { redisScript } from './redis-script.ts';

/** Storm settings. */
export interface StormOptions {
  prefix: string;
  /** Alerts sent one by one per channel and window. @defaultValue 10 */
  threshold: number;
  /** Window length in ms; also how often held alerts are flushed into a summary. @defaultValue 60000 */
  windowMs: number;
  /** TTL of the "done" mark on a grouped alert's dedup key, when place() is given none. */
  dedupTtlMs: number;
}

/** Held alerts moved out of the pending set, waiting for their summary jobs to be queued. */
export interface StormBatch {
  id: string;
  items: StormItem[];
}

/** The grouping store the delivery processor and the flusher use. */
export interface StormGrouper {
  readonly threshold: number;
  readonly windowMs: number;
  /**
   * single: send it now; grouped: held for the next summary (and marked done under
   * `dedupRedisKey`); skipped: `jobId` does not hold the dedup claim, nothing was counted. The
   * claim check lets a caller send claim and place in one round trip. `doneTtlMs`: how long the
   * done mark lives (the alert state's dedup lifetime).
   */
  place(channel: ChannelName, jobId: string, item: StormItem, dedupRedisKey: string, now?: number, doneTtlMs?: number): Promise<'single' | 'grouped' | 'skipped'>;
  /** Moves held alerts into a new batch and returns every batch not yet acknowledged. */
  takeBatches(channel: ChannelName): Promise<StormBatch[]>;
  /** Deletes a batch once its summaries are queued. */
  ack(channel: ChannelName, batchId: string): Promise<void>;
}

const PLACE = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 'skipped' end
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if rank < tonumber(ARGV[3]) then return 'single' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
redis.call('SET', KEYS[3], 'done:' .. ARGV[1], 'PX', ARGV[6])
return 'grouped'
`;

const TAKE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], ARGV[2] .. ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[1])
end
return redis.call('SMEMBERS', KEYS[2])
`;

/** The Redis-backed grouper; keys live under `<prefix>:relay:storm:<channel>:`. */
export function createRedisStorm(redis: Redis, opts: StormOptions): StormGrouper {
  const place = redisScript(redis, PLACE);
  const take = redisScript(redis, TAKE);
  const base = (ch: ChannelName): string => `${opts.prefix}:relay:storm:${ch}`;
  return {
    threshold: opts.threshold,
    windowMs: opts.windowMs,
    async place(channel, jobId, item, dedupRedisKey, now = Date.now(), doneTtlMs = opts.dedupTtlMs) {
      const window = Math.floor(now / opts.windowMs);
      const res = await place(
        [`${base(channel)}:w:${window}`, `${base(channel)}:pending`, dedupRedisKey],
        [jobId, now, opts.threshold, opts.windowMs * 2, JSON.stringify(item), doneTtlMs],
      );
      return res === 'grouped' || res === 'skipped' ? res : 'single';
    },
    async takeBatches(channel) {
      const batchId = `${Date.now()}-${randomUUID().slice(0, 8)}`;
      const ids = (await take([`${base(channel)}:pending`, `${base(channel)}:batches`], [batchId, `${base(channel)}:batch:`])) as string[];
      const out: StormBatch[] = [];
      for (const id of ids.sort()) {
        const raw = await redis.hgetall(`${base(channel)}:batch:${id}`);
        const items: StormItem[] = [];
        for (const v of Object.values(raw)) {
          const parsed = StormItem.safeParse(JSON.parse(v));
          if (parsed.success) items.push(parsed.data);
        }
        out.push({ id, items });
      }
      return out;
    },
    async ack(channel, batchId) {
      await redis.multi().del(`${base(channel)}:batch:${batchId}`).srem(`${base(channel)}:batches`, batchId).exec();
    },
  };
}
