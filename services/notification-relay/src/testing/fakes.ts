// In-memory stand-ins for the relay's Redis-backed stores, a scripted channel and a log capture,
// for unit tests of the processor, intake and app. Same contracts as the real ones.
import type { Logger } from '@aami/shared';
import type { Channel, ChannelName, SendResult } from '../channels/channel.ts';
import type { ClaimResult, DedupStore } from '../domain/dedup.ts';
import type { Message, StormItem } from '../domain/message.ts';
import type { StatField, StatsStore } from '../domain/stats.ts';
import type { StormBatch, StormGrouper } from '../domain/storm.ts';

/**
 * A dedup store over a Map. A key given a TTL expires by `now` (a test's clock); one given none
 * never does. `ttls` records the TTL of each claim and done mark, in call order.
 */
export function createFakeDedup(now: () => number = Date.now): DedupStore & { values: Map<string, string>; ttls: Array<number | undefined> } {
  const values = new Map<string, string>();
  const expires = new Map<string, number>();
  const ttls: Array<number | undefined> = [];
  const redisKey = (ch: ChannelName, key: string): string => `${ch}:${key}`;
  const put = (k: string, v: string, ttlMs: number | undefined): void => {
    values.set(k, v);
    if (ttlMs === undefined) expires.delete(k);
    else expires.set(k, now() + ttlMs);
  };
  return {
    values,
    ttls,
    redisKey,
    async claim(ch, key, owner, ttlMs): Promise<ClaimResult> {
      ttls.push(ttlMs);
      const k = redisKey(ch, key);
      const at = expires.get(k);
      if (at !== undefined && at <= now()) {
        values.delete(k);
        expires.delete(k);
      }
      const v = values.get(k);
      if (v === undefined) put(k, owner, ttlMs);
      if (v === undefined || v === owner) return 'claimed';
      return v.startsWith('done:') ? 'done' : 'busy';
    },
    async markDone(ch, key, owner, ttlMs) {
      ttls.push(ttlMs);
      put(redisKey(ch, key), `done:${owner}`, ttlMs);
    },
  };
}

/** A storm grouper with one window that never ends (tests reset it with `newWindow`). */
export function createFakeStorm(dedup: { values: Map<string, string> }, threshold = 10, windowMs = 60_000): StormGrouper & { newWindow(): void; pending: Map<ChannelName, Map<string, StormItem>> } {
  let seen = new Map<ChannelName, string[]>();
  const pending = new Map<ChannelName, Map<string, StormItem>>();
  let batches: StormBatch[] = [];
  return {
    threshold,
    windowMs,
    pending,
    newWindow() {
      seen = new Map();
    },
    async place(ch, jobId, item, dedupRedisKey) {
      if (dedup.values.get(dedupRedisKey) !== jobId) return 'skipped';
      const list = seen.get(ch) ?? [];
      if (!list.includes(jobId)) list.push(jobId);
      seen.set(ch, list);
      if (list.indexOf(jobId) < threshold) return 'single';
      const p = pending.get(ch) ?? new Map<string, StormItem>();
      p.set(jobId, item);
      pending.set(ch, p);
      dedup.values.set(dedupRedisKey, `done:${jobId}`);
      return 'grouped';
    },
    async takeBatches(ch) {
      const p = pending.get(ch);
      if (p && p.size > 0) {
        batches.push({ id: `b${batches.length + 1}-${ch}`, items: [...p.values()] });
        pending.delete(ch);
      }
      return batches.filter((b) => b.id.endsWith(`-${ch}`));
    },
    async ack(_ch, id) {
      batches = batches.filter((b) => b.id !== id);
    },
  };
}

/** Counts in a Map. */
export function createFakeStats(): StatsStore & { get(ch: ChannelName, f: StatField): number } {
  const m = new Map<string, number>();
  return {
    async incr(ch, f, by = 1) {
      m.set(`${ch}:${f}`, (m.get(`${ch}:${f}`) ?? 0) + by);
    },
    async read() {
      const out: Partial<Record<ChannelName, Partial<Record<StatField, number>>>> = {};
      for (const [k, v] of m) {
        const [ch, f] = k.split(':') as [ChannelName, StatField];
        (out[ch] ??= {})[f] = v;
      }
      return out;
    },
    get: (ch, f) => m.get(`${ch}:${f}`) ?? 0,
  };
}

/** A channel answering from a script (then `{ ok: true }`), recording what it was asked to send. */
export function createFakeChannel(name: ChannelName, script: SendResult[] = []): Channel & { sent: Message[] } {
  const sent: Message[] = [];
  return {
    name,
    sent,
    async send(msg) {
      sent.push(msg);
      return script.shift() ?? { ok: true };
    },
  };
}

/** A logger that keeps every line as the JSON it would print. */
export function createCaptureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => {
    lines.push(JSON.stringify({ level, msg, ...fields }));
  };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
