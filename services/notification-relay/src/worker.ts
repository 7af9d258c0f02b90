// The relay's BullMQ side: one delivery worker per channel queue, thin over the domain modules.
// The processor claims the alert state (dedup, until the deadline intake gave the job), enriches
// it, places it (storm grouping), renders, sends, and turns the channel's SendResult into BullMQ's
// language: retry -> throw RetryableError (backoff with jitter), no retry -> UnrecoverableError
// (straight to the dead-letter list). A flusher turns alerts held back during a storm into summary
// jobs once per storm window.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@aami/shared';
import { CHANNEL_NAMES, type Channel, type ChannelName } from './channels/channel.ts';
import { createBackoffStrategy, RetryableError } from './domain/backoff.ts';
import type { DedupStore } from './domain/dedup.ts';
import { FIXED_DEDUP_TTL_MS } from './domain/dedup-lifetime.ts';
import { enrichAlert, type XidLookup } from './domain/enrichment.ts';
import { buildAlertMessage, buildSummaryMessage, stormItem, type StormItem } from './domain/message.ts';
import type { StatsStore } from './domain/stats.ts';
import type { StormGrouper } from './domain/storm.ts';
import type { RelayMetrics } from './metrics.ts';
import { DeliveryJob, deliveryQueueName, retryingJobOptions, type RelayQueues } from './queues.ts';

/** What a processor reads from a BullMQ job. */
export type ProcessorJob = Pick<Job, 'id' | 'data' | 'attemptsMade' | 'opts'>;

/** What happened to one delivery job. */
export type DeliveryOutcome = 'sent' | 'duplicate' | 'grouped';

/** Alerts listed per storm summary message (each part is its own delivery job). */
export const SUMMARY_ITEMS_PER_MESSAGE = 100;

/**
 * The shortest life of a claim or done mark. A job that runs past its state's deadline (it waited
 * behind retries) still claims and marks for a moment, but the next copy, which by then is
 * Alertmanager's reminder, goes out. Redis wants a TTL above zero.
 */
const MIN_DEDUP_TTL_MS = 1000;

/** How long from `now` the dedup key of `data` lives: until its deadline, counted from receipt. */
function dedupTtlMs(data: DeliveryJob, now: number): number {
  const until = data.kind === 'alert' && data.dedupUntil !== undefined ? data.dedupUntil : data.receivedAt + FIXED_DEDUP_TTL_MS;
  return Math.max(MIN_DEDUP_TTL_MS, Math.floor(until - now));
}

const parseOrUnrecoverable = <T>(schema: { safeParse(d: unknown): { success: true; data: T } | { success: false; error: { message: string } } }, data: unknown, what: string): T => {
  const r = schema.safeParse(data);
  if (!r.success) throw new UnrecoverableError(`${what} job data is invalid: ${r.error.message}`);
  return r.data;
};

/** Deps of the delivery processor. */
export interface DeliveryDeps {
  channels(): Promise<Map<ChannelName, Channel>>;
  xidLookup: XidLookup;
  dedup: DedupStore;
  storm: StormGrouper;
  stats: StatsStore;
  metrics: Pick<RelayMetrics, 'delivered' | 'failed' | 'deadLettered' | 'deduplicated' | 'grouped' | 'latency'>;
  logger: Logger;
  /** The clock the dedup deadlines are measured with. @defaultValue Date.now */
  now?: () => number;
}

/** Delivers one message to one channel (see the file comment for the retry contract). */
export function createDeliveryProcessor(deps: DeliveryDeps): (job: ProcessorJob, token?: string, signal?: AbortSignal) => Promise<DeliveryOutcome> {
  const now = deps.now ?? Date.now;
  return async (job, _token, signal) => {
    const data = parseOrUnrecoverable(DeliveryJob, job.data, 'delivery');
    const ch = data.channel;
    const jobId = job.id ?? `${ch}-anonymous`;
    const attempts = job.opts.attempts ?? 1;
    const deadLetter = async (reason: string, error: string): Promise<never> => {
      deps.metrics.deadLettered.inc({ channel: ch });
      await deps.stats.incr(ch, 'dead_lettered').catch(() => {});
      deps.logger.error('delivery given up, kept as dead letter', { job: jobId, channel: ch, reason, error });
      throw new UnrecoverableError(`${reason}: ${error}`);
    };

    const channel = (await deps.channels()).get(ch);
    if (!channel) return deadLetter('invalidConfig', `channel ${ch} is not configured or is disabled in config.yaml`);

    // Claim first: copies are the common case (Alertmanager re-sends whole groups), so a copy stops
    // here, before enrichment reads its label text. Storm placement needs the enriched line, so it
    // is a second round trip, made only by the job that holds the claim.
    const claim = await deps.dedup.claim(ch, data.dedupKey, jobId, dedupTtlMs(data, now()));
    if (claim !== 'claimed') {
      deps.metrics.deduplicated.inc({ channel: ch });
      await deps.stats.incr(ch, 'duplicates');
      return 'duplicate';
    }
    const ctx = data.kind === 'alert' ? enrichAlert(data.alert, deps.xidLookup) : undefined;
    const placed = ctx ? await deps.storm.place(ch, jobId, stormItem(ctx), deps.dedup.redisKey(ch, data.dedupKey), now(), dedupTtlMs(data, now())) : 'single';
    if (placed === 'grouped') {
      deps.metrics.grouped.inc({ channel: ch });
      await deps.stats.incr(ch, 'grouped');
      return 'grouped';
    }
    const msg =
      data.kind === 'alert'
        ? buildAlertMessage(ctx ?? enrichAlert(data.alert, deps.xidLookup), { externalURL: data.externalURL })
        : buildSummaryMessage(data.items, { channel: ch, threshold: deps.storm.threshold, windowMs: deps.storm.windowMs, part: data.part, parts: data.parts, total: data.total });

    const res = await channel.send(msg, signal ?? new AbortController().signal);
    if (res.ok) {
      deps.metrics.delivered.inc({ channel: ch, kind: data.kind });
      deps.metrics.latency.observe({ channel: ch }, Math.max(0, Date.now() - data.receivedAt) / 1000);
      await Promise.all([deps.dedup.markDone(ch, data.dedupKey, jobId, dedupTtlMs(data, now())), deps.stats.incr(ch, 'sent')]);
      return 'sent';
    }

    deps.metrics.failed.inc({ channel: ch, reason: res.reason, retry: String(res.retry) });
    await deps.stats.incr(ch, 'failed').catch(() => {});
    if (!res.retry || job.attemptsMade + 1 >= attempts) {
      return deadLetter(res.reason, `${res.error}${res.retry ? ` (gave up after ${attempts} tries)` : ''}`);
    }
    deps.logger.warn('delivery failed, will retry', { job: jobId, channel: ch, reason: res.reason, error: res.error, attempt: job.attemptsMade + 1, of: attempts });
    throw new RetryableError(`${res.reason}: ${res.error}`, res.retryAfterMs);
  };
}

/** Splits held alerts into summary parts of at most `size`. */
export function summaryParts(items: readonly StormItem[], size = SUMMARY_ITEMS_PER_MESSAGE): StormItem[][] {
  const out: StormItem[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Deps of the storm flusher. */
export interface FlusherDeps {
  storm: StormGrouper;
  queues: Pick<RelayQueues, 'delivery'>;
  attempts: number;
  logger: Logger;
}

/** One flush: held alerts of every channel become summary delivery jobs. */
export async function flushStorms(deps: FlusherDeps): Promise<number> {
  let queued = 0;
  for (const ch of CHANNEL_NAMES) {
    for (const batch of await deps.storm.takeBatches(ch)) {
      const parts = summaryParts(batch.items);
      if (parts.length > 0) {
        await deps.queues.delivery[ch].addBulk(
          parts.map((items, i) => ({
            name: 'summary',
            data: { kind: 'summary' as const, channel: ch, dedupKey: `summary|${batch.id}|${i + 1}`, batchId: batch.id, part: i + 1, parts: parts.length, total: batch.items.length, items, receivedAt: Date.now() },
            opts: { ...retryingJobOptions(deps.attempts), jobId: `${ch}-summary-${batch.id}-${i + 1}` },
          })),
        );
        queued += parts.length;
        deps.logger.info('storm summary queued', { channel: ch, alerts: batch.items.length, messages: parts.length });
      }
      await deps.storm.ack(ch, batch.id);
    }
  }
  return queued;
}

/** Everything the running workers need. */
export interface WorkersOptions {
  /** Makes a new Redis connection for a worker (BullMQ workers need maxRetriesPerRequest: null). */
  connect(): Redis;
  prefix: string;
  queues: RelayQueues;
  delivery: DeliveryDeps;
  attempts: number;
  backoff: { baseMs: number; maxMs: number };
  concurrency: number;
  lockMs: number;
  stalledIntervalMs: number;
  logger: Logger;
}

/** Running workers and the storm flusher. */
export interface RelayWorkers {
  close(): Promise<void>;
}

/** Starts one delivery worker per channel and the storm flusher. */
export function startWorkers(opts: WorkersOptions): RelayWorkers {
  const backoffStrategy = createBackoffStrategy(opts.backoff);
  const common = {
    prefix: opts.prefix,
    lockDuration: opts.lockMs,
    stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: 5,
    settings: { backoffStrategy },
  };
  const deliver = createDeliveryProcessor(opts.delivery);
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const c = opts.connect();
    connections.push(c);
    return c;
  };
  const workers = CHANNEL_NAMES.map(
    (ch) => new Worker(deliveryQueueName(ch), (job, token, signal) => deliver(job, token, signal), { ...common, connection: connect(), concurrency: opts.concurrency }),
  );
  let lastError = 0;
  for (const w of workers) {
    w.on('error', (err) => {
      if (Date.now() - lastError > 5000) opts.logger.warn('queue worker error (retrying)', { error: err.message });
      lastError = Date.now();
    });
  }

  let flushing = false;
  const timer = setInterval(() => {
    if (flushing) return;
    flushing = true;
    flushStorms({ storm: opts.delivery.storm, queues: opts.queues, attempts: opts.attempts, logger: opts.logger })
      .catch((err: Error) => opts.logger.warn('storm flush failed, will try again', { error: err.message }))
      .finally(() => {
        flushing = false;
      });
  }, opts.delivery.storm.windowMs);
  timer.unref();

  return {
    async close() {
      clearInterval(timer);
      await Promise.all(workers.map((w) => w.close()));
      await Promise.race([Promise.all(connections.map((c) => c.quit().catch(() => {}))), new Promise((r) => setTimeout(r, 1000).unref())]);
      for (const c of connections) c.disconnect();
    },
  };
}
