// Alertmanager's reminders of a still-firing alert against the relay's dedup: a reminder, which
// carries the same alert state as the first notice, is delivered once the severity's repeat
// interval (config.yaml notifications.repeat) has passed, while a copy inside it is dropped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Notifications } from '@aami/shared';
import type { Channel, ChannelName } from './channels/channel.ts';
import { createRedisDedup } from './domain/dedup.ts';
import { createRedisStorm } from './domain/storm.ts';
import { WebhookPayload, type WebhookAlert } from './domain/payload.ts';
import { catalogLookup, xid79Alert } from './domain/testdata/fixtures.ts';
import { createIntake, type DeliveryQueue } from './intake.ts';
import { createRelayMetrics } from './metrics.ts';
import type { DeliveryJob } from './queues.ts';
import { createCaptureLogger, createFakeChannel, createFakeDedup, createFakeStats, createFakeStorm } from './testing/fakes.ts';
import { startTestRedis, type TestRedis } from './testing/redis-server.ts';
import { createDeliveryProcessor, type DeliveryDeps, type ProcessorJob } from './worker.ts';

const MIN = 60_000;

/** Intake and the delivery processor, as the relay wires them, with jobs handed over directly. */
function relay(notifications: ReturnType<typeof Notifications.parse>, stores: Pick<DeliveryDeps, 'dedup' | 'storm'>, now: () => number = Date.now) {
  const queued: DeliveryJob[] = [];
  const queue: DeliveryQueue = {
    add: async (_name, data) => void queued.push(data),
    addBulk: async (jobs) => void queued.push(...jobs.map((j) => j.data)),
  };
  const intake = createIntake({ notifications: { get: async () => notifications }, xidLookup: catalogLookup, queues: { slack: queue, email: queue }, jobOptions: {} });
  const slack = createFakeChannel('slack');
  const channels = new Map<ChannelName, Channel>([['slack', slack]]);
  const process = createDeliveryProcessor({
    channels: async () => channels, xidLookup: catalogLookup, stats: createFakeStats(), metrics: createRelayMetrics({ defaultMetrics: false }), logger: createCaptureLogger(), now, ...stores,
  });
  let run = 0;
  /** One webhook carrying `alert`, received at `at`, and its delivery job run at `runAt`. */
  const receive = async (alert: WebhookAlert, at = now()) => {
    queued.length = 0;
    await intake.accept(WebhookPayload.parse({ receiver: 'aami', status: 'firing', alerts: [alert], externalURL: 'http://am:9093' }), at);
    const [data] = queued;
    assert.ok(data, 'intake queued a delivery');
    // Each webhook's job runs as its own BullMQ job (the earlier one completed and was removed).
    return process({ id: `slack-run-${++run}`, data, attemptsMade: 0, opts: { attempts: 3 } } as ProcessorJob);
  };
  return { receive, slack };
}

const config = (repeat: Record<string, string>) => Notifications.parse({ slack: { webhook_url: 'https://h.test/x' }, routing: { critical: ['slack'], warning: ['slack'], info: ['slack'] }, repeat });

describe('reminders on a real Redis', () => {
  let redis: TestRedis;
  before(async () => { redis = await startTestRedis(); });
  after(async () => { await redis.stop(); });

  test("a firing critical alert is delivered again after its repeat interval; a copy inside it is not", async () => {
    const prefix = `r${Date.now()}`;
    const stores = { dedup: createRedisDedup(redis.client, { prefix, ttlMs: 3 * 3600_000 }), storm: createRedisStorm(redis.client, { prefix, threshold: 1000, windowMs: 60_000, dedupTtlMs: 3 * 3600_000 }) };
    // Shortened for the test: critical reminders every 2 s (a 1 s dedup window); warnings every 4 h.
    const { receive, slack } = relay(config({ critical: '2s' }), stores);
    const critical = xid79Alert();
    const warning = xid79Alert({ fingerprint: 'warn-1' }, { severity: 'warning', alertname: 'GPUTemperatureWarning' });

    const first = Date.now();
    assert.equal(await receive(critical, first), 'sent');
    assert.equal(await receive(warning, first), 'sent');
    assert.equal(await receive(critical), 'duplicate', 'a copy right away (Alertmanager re-sent the group)');
    assert.equal(await receive(warning), 'duplicate');

    await new Promise((r) => setTimeout(r, first + 2000 - Date.now()));
    assert.equal(await receive(critical), 'sent', "Alertmanager's reminder, one repeat interval later");
    assert.equal(await receive(warning), 'duplicate', 'the warning is not due for 4 h');
    assert.equal(await receive(critical), 'duplicate', 'a copy of the reminder');
    assert.deepEqual(slack.sent.map((m) => m.severity), ['critical', 'warning', 'critical']);

    const ttl = await redis.client.pttl(stores.dedup.redisKey('slack', `${critical.fingerprint}|firing|${critical.startsAt}`));
    assert.ok(ttl > 0 && ttl <= 1000, `the reminder's window is the same 1 s (${ttl} ms left)`);
  });
});

describe('the window counts from when the relay received the notice', () => {
  test('a first notice delivered late (the channel was down) does not swallow the next reminder', async () => {
    let clock = 1_000_000_000_000;
    const now = () => clock;
    const dedup = createFakeDedup(now);
    const { receive, slack } = relay(config({ critical: '1h' }), { dedup, storm: createFakeStorm(dedup) }, now);
    const alert = xid79Alert();
    const received = clock;
    clock += 30 * MIN; // the first notice's job only got through after half an hour of retries
    const late = await receive(alert, received);
    assert.equal(late, 'sent');
    clock = received + 40 * MIN;
    assert.equal(await receive(alert), 'duplicate', 'a copy inside the hour');
    clock = received + 60 * MIN;
    assert.equal(await receive(alert), 'sent', 'the reminder an hour after the first notice');
    assert.equal(slack.sent.length, 2);
    clock += 57 * MIN;
    assert.equal(await receive(alert), 'duplicate');
    clock += 3 * MIN;
    assert.equal(await receive(alert), 'sent', 'and the one after');
  });

  test('a resolved notice keeps the fixed 3 h window; a job past its deadline still marks it for a moment', async () => {
    let clock = 2_000_000_000_000;
    const now = () => clock;
    const dedup = createFakeDedup(now);
    const { receive } = relay(config({ critical: '10m' }), { dedup, storm: createFakeStorm(dedup) }, now);
    const resolved = xid79Alert({ status: 'resolved', endsAt: '2024-05-01T11:00:00Z' });
    assert.equal(await receive(resolved), 'sent');
    clock += 2 * 3600_000;
    assert.equal(await receive(resolved), 'duplicate', 'resolved: still within 3 h');
    clock += 3600_000;
    assert.equal(await receive(resolved), 'sent');

    dedup.ttls.length = 0;
    const stale = xid79Alert({ fingerprint: 'stale' });
    const received = clock;
    clock += 20 * MIN; // past its 8 min window before it ran
    assert.equal(await receive(stale, received), 'sent');
    assert.deepEqual(dedup.ttls, [1000, 1000], 'claim and done mark live 1 s, not a fresh window');
  });
});
