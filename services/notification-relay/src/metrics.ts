// The relay's own Prometheus metrics (prom-client), served on /metrics: what came in (and what the
// intake caps refused), what went out or failed per channel, how deep the queues are, how full
// Redis is, and how long an alert takes from webhook to delivered. Each relay gets its own
// registry so tests can run several in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RELAY_METRICS } from '@aami/shared';
import type { RelayQueues } from './queues.ts';
import { CHANNEL_NAMES } from './channels/channel.ts';
import type { IntakeCap } from './intake-limit.ts';

/** The relay's metrics. */
export interface RelayMetrics {
  registry: Registry;
  received: Counter<'status'>;
  webhookRequests: Counter<'code'>;
  /** Webhook requests answered 429 by an intake cap (intake-limit.ts). */
  webhookRefused: Counter<'reason'>;
  delivered: Counter<'channel' | 'kind'>;
  failed: Counter<'channel' | 'reason' | 'retry'>;
  deadLettered: Counter<'channel'>;
  deduplicated: Counter<'channel'>;
  grouped: Counter<'channel'>;
  unrouted: Counter;
  latency: Histogram<'channel'>;
}

/** What Redis' INFO memory says about its memory. */
export interface RedisMemory {
  usedBytes: number;
  /** maxmemory; 0 means no limit. */
  maxBytes: number;
}

/** Reads used_memory and maxmemory out of INFO memory's text; undefined when either is missing. */
export function parseRedisMemory(info: string): RedisMemory | undefined {
  const field = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:(\\d+)\\s*$`, 'm').exec(info);
    return m ? Number(m[1]) : undefined;
  };
  const usedBytes = field('used_memory');
  const maxBytes = field('maxmemory');
  return usedBytes === undefined || maxBytes === undefined ? undefined : { usedBytes, maxBytes };
}

/** Options of createRelayMetrics. */
export interface RelayMetricsOptions {
  /** Backs the queue-depth gauge, read at scrape time. */
  queues?: RelayQueues;
  /** Runs Redis' `INFO memory` (at scrape time) for the Redis memory gauges; absent: no such gauges. */
  redisInfo?: () => Promise<string>;
  /** How long a scrape waits for INFO. @defaultValue 1000 */
  redisInfoTimeoutMs?: number;
  /** @defaultValue true */
  defaultMetrics?: boolean;
}

/**
 * One INFO memory per scrape for both gauges: concurrent callers share the call in flight. Redis
 * away, slow or answering nonsense gives undefined, so the scrape leaves the gauges out rather
 * than failing /metrics.
 */
function redisMemoryReader(info: () => Promise<string>, timeoutMs: number): () => Promise<RedisMemory | undefined> {
  let inFlight: Promise<RedisMemory | undefined> | undefined;
  const read = async (): Promise<RedisMemory | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const text = await Promise.race([info(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)))]);
      return parseRedisMemory(text);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  return () => (inFlight ??= read().finally(() => (inFlight = undefined)));
}

/** Creates the metrics. */
export function createRelayMetrics(opts: RelayMetricsOptions = {}): RelayMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'aami_relay_' });
  const queues = opts.queues;
  if (opts.redisInfo) {
    const memory = redisMemoryReader(opts.redisInfo, opts.redisInfoTimeoutMs ?? 1000);
    const gauge = (name: string, help: string, pick: (m: RedisMemory) => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          const m = await memory();
          // A gauge without labels would print 0 after reset(); remove() leaves it out of the
          // scrape instead, so "Redis did not answer" never reads as "Redis is empty".
          if (m) this.set(pick(m));
          else this.remove();
        },
      });
    };
    // Redis runs with noeviction and holds the install and compile queues next to the relay's:
    // full, it refuses writes for all of them. presets/exporters.yaml alerts on used / max.
    gauge(RELAY_METRICS.redisMemoryUsed, "Bytes Redis uses (INFO memory used_memory), read at scrape time; absent when Redis does not answer.", (m) => m.usedBytes);
    gauge(RELAY_METRICS.redisMemoryMax, "Redis' memory limit in bytes (INFO memory maxmemory); 0 means no limit.", (m) => m.maxBytes);
  }
  new Gauge({
    name: 'aami_relay_queue_depth',
    help: 'Jobs per channel delivery queue and state (waiting, delayed = backing off, active, failed = dead letters).',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      if (!queues) return;
      this.reset();
      await Promise.all(
        CHANNEL_NAMES.map(async (name) => {
          const q = queues.delivery[name];
          try {
            const counts = await q.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'failed');
            for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
          } catch {
            // Redis away: leave this queue out of the scrape rather than fail it
          }
        }),
      );
    },
  });
  const webhookRefused = new Counter({
    name: RELAY_METRICS.webhookRefused,
    help: 'Webhook requests refused with 429 by an intake cap: reason rate (alerts per minute, whole relay) or fingerprint (one alert re-sent too often).',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Both reasons from the start at 0, so rate() sees the very first refusal.
  for (const reason of ['rate', 'fingerprint'] satisfies IntakeCap[]) webhookRefused.inc({ reason }, 0);
  return {
    registry,
    received: new Counter({ name: 'aami_relay_alerts_received_total', help: 'Alerts accepted on the webhook, by alert status.', labelNames: ['status'], registers: [registry] }),
    webhookRequests: new Counter({ name: 'aami_relay_webhook_requests_total', help: 'Webhook requests by HTTP answer code.', labelNames: ['code'], registers: [registry] }),
    webhookRefused,
    delivered: new Counter({ name: 'aami_relay_notifications_delivered_total', help: 'Messages delivered, by channel and kind (alert, summary).', labelNames: ['channel', 'kind'], registers: [registry] }),
    failed: new Counter({ name: 'aami_relay_notifications_failed_total', help: 'Failed delivery attempts, by channel, reason and whether it will be retried.', labelNames: ['channel', 'reason', 'retry'], registers: [registry] }),
    deadLettered: new Counter({ name: 'aami_relay_notifications_dead_lettered_total', help: 'Deliveries given up on and kept as dead letters.', labelNames: ['channel'], registers: [registry] }),
    deduplicated: new Counter({ name: 'aami_relay_notifications_deduplicated_total', help: 'Deliveries skipped because that alert state was already delivered.', labelNames: ['channel'], registers: [registry] }),
    grouped: new Counter({ name: 'aami_relay_notifications_grouped_total', help: 'Alerts held for a storm summary instead of a message of their own.', labelNames: ['channel'], registers: [registry] }),
    unrouted: new Counter({ name: 'aami_relay_alerts_unrouted_total', help: 'Alerts whose severity routes to no configured channel.', registers: [registry] }),
    latency: new Histogram({
      name: 'aami_relay_delivery_latency_seconds',
      help: 'Time from webhook received to message delivered, by channel.',
      labelNames: ['channel'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
  };
}
