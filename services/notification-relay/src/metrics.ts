// The relay's own Prometheus metrics (prom-client), served on /metrics: what came in, what went
// out or failed per channel, how deep the queues are, and how long an alert takes from webhook to
// delivered. Each relay gets its own registry so tests can run several in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RelayQueues } from './queues.ts';
import { CHANNEL_NAMES } from './channels/channel.ts';

/** The relay's metrics. */
export interface RelayMetrics {
  registry: Registry;
  received: Counter<'status'>;
  webhookRequests: Counter<'code'>;
  delivered: Counter<'channel' | 'kind'>;
  failed: Counter<'channel' | 'reason' | 'retry'>;
  deadLettered: Counter<'channel'>;
  deduplicated: Counter<'channel'>;
  grouped: Counter<'channel'>;
  unrouted: Counter;
  latency: Histogram<'channel'>;
}

/** Creates the metrics; `queues` (when given) backs the queue-depth gauge, read at scrape time. */
export function createRelayMetrics(opts: { queues?: RelayQueues; defaultMetrics?: boolean } = {}): RelayMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'aami_relay_' });
  const queues = opts.queues;
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
  return {
    registry,
    received: new Counter({ name: 'aami_relay_alerts_received_total', help: 'Alerts accepted on the webhook, by alert status.', labelNames: ['status'], registers: [registry] }),
    webhookRequests: new Counter({ name: 'aami_relay_webhook_requests_total', help: 'Webhook requests by HTTP answer code.', labelNames: ['code'], registers: [registry] }),
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
