import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError } from 'bullmq';
import { RetryableError } from './domain/backoff.ts';
import { dedupKey } from './domain/dedup.ts';
import { catalogLookup, xid79Alert } from './domain/testdata/fixtures.ts';
import { createRelayMetrics } from './metrics.ts';
import type { DeliveryJob } from './queues.ts';
import { createCaptureLogger, createFakeChannel, createFakeDedup, createFakeStats, createFakeStorm } from './testing/fakes.ts';
import { createDeliveryProcessor, flushStorms, summaryParts, type ProcessorJob } from './worker.ts';
import type { Channel, ChannelName } from './channels/channel.ts';
import type { WebhookAlert } from './domain/payload.ts';
import type { XidLookup } from './domain/enrichment.ts';

function setup(script: Parameters<typeof createFakeChannel>[1] = [], threshold = 10, xidLookup: XidLookup = catalogLookup) {
  const dedup = createFakeDedup();
  const storm = createFakeStorm(dedup, threshold);
  const stats = createFakeStats();
  const slack = createFakeChannel('slack', script);
  const logger = createCaptureLogger();
  const metrics = createRelayMetrics({ defaultMetrics: false });
  const channels = new Map<ChannelName, Channel>([['slack', slack]]);
  const process = createDeliveryProcessor({ channels: async () => channels, xidLookup, dedup, storm, stats, metrics, logger });
  return { dedup, storm, stats, slack, logger, metrics, channels, process };
}

function job(alert: WebhookAlert, id?: string, attemptsMade = 0, attempts = 5): ProcessorJob {
  const key = dedupKey(alert);
  const data: DeliveryJob = { kind: 'alert', channel: 'slack', dedupKey: key, alert, externalURL: 'http://am', receivedAt: Date.now() - 50 };
  return { id: id ?? `slack-${key}`, data, attemptsMade, opts: { attempts } } as ProcessorJob;
}

describe('delivery processor', () => {
  test('sends an enriched message once and marks the alert state done', async () => {
    const t = setup();
    assert.equal(await t.process(job(xid79Alert())), 'sent');
    assert.equal(t.slack.sent.length, 1);
    assert.match(t.slack.sent[0]?.title ?? '', /fallen off the bus/);
    assert.equal(t.stats.get('slack', 'sent'), 1);
    assert.equal((await t.metrics.delivered.get()).values[0]?.value, 1);
  });

  test('a copy of the same alert state is skipped; the same job re-run after a crash is not', async () => {
    const t = setup();
    await t.process(job(xid79Alert(), 'slack-a'));
    assert.equal(await t.process(job(xid79Alert(), 'slack-b')), 'duplicate');
    assert.equal(await t.process(job(xid79Alert(), 'slack-a')), 'duplicate', 'done means done, even for the same job');
    const crashed = setup();
    await crashed.dedup.claim('slack', dedupKey(xid79Alert()), 'slack-a');
    assert.equal(await crashed.process(job(xid79Alert(), 'slack-a')), 'sent', 'its own claim from before the crash');
    assert.equal(crashed.stats.get('slack', 'duplicates'), 0);
    assert.equal(t.stats.get('slack', 'duplicates'), 2);
  });

  test('a copy is dropped before enrichment: its label text is never read', async () => {
    // Enrichment looks the alert's Xid up in the catalog, so counting lookups counts enrichments.
    let lookups = 0;
    const counting: XidLookup = (code) => {
      lookups++;
      return catalogLookup(code);
    };
    const t = setup([], 10, counting);
    assert.equal(await t.process(job(xid79Alert(), 'slack-a')), 'sent');
    assert.equal(lookups, 1, 'the delivery that sends is enriched');
    assert.equal(await t.process(job(xid79Alert(), 'slack-b')), 'duplicate', 'done');
    const inFlight = xid79Alert({ fingerprint: 'other' });
    await t.dedup.claim('slack', dedupKey(inFlight), 'slack-c');
    assert.equal(await t.process(job(inFlight, 'slack-d')), 'duplicate', 'busy: another job holds the claim');
    assert.equal(lookups, 1, 'no copy was enriched');
  });

  test('resolved is a different state: the follow-up goes out', async () => {
    const t = setup();
    await t.process(job(xid79Alert()));
    assert.equal(await t.process(job(xid79Alert({ status: 'resolved', endsAt: '2024-05-01T10:30:00Z' }))), 'sent');
    assert.match(t.slack.sent[1]?.title ?? '', /^RESOLVED/);
  });

  test('a retryable failure throws for backoff, carrying Retry-After', async () => {
    const t = setup([{ ok: false, retry: true, reason: 'rateLimited', error: 'Slack answered HTTP 429', retryAfterMs: 3000 }]);
    await assert.rejects(t.process(job(xid79Alert())), (err: unknown) => err instanceof RetryableError && err.retryAfterMs === 3000 && !(err instanceof UnrecoverableError));
    assert.equal(t.stats.get('slack', 'failed'), 1);
    assert.equal(t.stats.get('slack', 'dead_lettered'), 0);
    assert.equal(await t.process(job(xid79Alert(), undefined, 1)), 'sent', 'the retry (same job) sends');
  });

  test('a permanent failure, or the last try, goes to the dead letters', async () => {
    const t = setup([
      { ok: false, retry: false, reason: 'clientError', error: 'Slack answered HTTP 400: invalid_payload' },
      { ok: false, retry: true, reason: 'serverError', error: 'Slack answered HTTP 500' },
    ]);
    await assert.rejects(t.process(job(xid79Alert())), (err: unknown) => err instanceof UnrecoverableError && /invalid_payload/.test(err.message));
    await assert.rejects(t.process(job(xid79Alert({}, { node: 'other' }), undefined, 4, 5)), (err: unknown) => err instanceof UnrecoverableError && /gave up after 5 tries/.test(err.message));
    assert.equal(t.stats.get('slack', 'dead_lettered'), 2);
    assert.ok(t.logger.lines.some((l) => l.includes('kept as dead letter')));
  });

  test('beyond the storm threshold alerts are held for the summary, not sent', async () => {
    const t = setup([], 3);
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push(await t.process(job(xid79Alert({ fingerprint: `fp${i}` }, { node: `n${i}` }))));
    assert.deepEqual(outcomes, ['sent', 'sent', 'sent', 'grouped', 'grouped', 'grouped', 'grouped']);
    assert.equal(t.slack.sent.length, 3);
    assert.equal(t.storm.pending.get('slack')?.size, 4);
    assert.equal(await t.process(job(xid79Alert({ fingerprint: 'fp5' }, { node: 'n5' }))), 'duplicate', 'a grouped alert counts as done');
  });

  test('a summary job renders the held alerts', async () => {
    const t = setup();
    const items = [{ line: 'CRITICAL GPUXidError on n1 GPU 3', severity: 'critical' as const, status: 'firing' as const }];
    const data: DeliveryJob = { kind: 'summary', channel: 'slack', dedupKey: 'summary|b1|1', batchId: 'b1', part: 1, parts: 1, total: 1, items, receivedAt: Date.now() };
    assert.equal(await t.process({ id: 'slack-summary-b1-1', data, attemptsMade: 0, opts: { attempts: 3 } } as ProcessorJob), 'sent');
    assert.deepEqual(t.slack.sent[0]?.items, ['CRITICAL GPUXidError on n1 GPU 3']);
  });

  test('a channel no longer configured and broken job data are dead letters', async () => {
    const t = setup();
    t.channels.clear();
    await assert.rejects(t.process(job(xid79Alert())), (err: unknown) => err instanceof UnrecoverableError && /not configured/.test(err.message));
    await assert.rejects(t.process({ id: 'x', data: { kind: 'nope' }, attemptsMade: 0, opts: {} } as ProcessorJob), UnrecoverableError);
  });
});

describe('storm flush', () => {
  test('held alerts become summary jobs of at most 100 alerts, then the batch is acknowledged', async () => {
    const dedup = createFakeDedup();
    const storm = createFakeStorm(dedup, 0);
    for (let i = 0; i < 250; i++) {
      await dedup.claim('slack', `k${i}`, `j${i}`);
      await storm.place('slack', `j${i}`, { line: `alert ${i}`, severity: 'warning', status: 'firing' }, dedup.redisKey('slack', `k${i}`));
    }
    const added: Array<{ name: string; data: DeliveryJob; opts?: { jobId?: string } }> = [];
    const queue = { addBulk: async (jobs: typeof added) => void added.push(...jobs) };
    const queued = await flushStorms({ storm, queues: { delivery: { slack: queue, email: queue } as never }, attempts: 3, logger: createCaptureLogger() });
    assert.equal(queued, 3);
    assert.deepEqual(added.map((j) => (j.data.kind === 'summary' ? [j.data.part, j.data.parts, j.data.items.length, j.data.total] : [])), [[1, 3, 100, 250], [2, 3, 100, 250], [3, 3, 50, 250]]);
    assert.match(added[0]?.opts?.jobId ?? '', /^slack-summary-b1-slack-1$/);
    assert.deepEqual(await storm.takeBatches('slack'), [], 'acknowledged');
    assert.equal(summaryParts([]).length, 0);
  });
});
