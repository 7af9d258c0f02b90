// The relay under faults, with real Redis (append-only, fsync always) and a Slack sink that
// checks every request against Slack's rules: a receiver that fails and recovers, one that is
// down for a while, a permanent refusal (dead letter, then retry through the API), redelivered
// webhooks, bad requests, Redis restarted while alerts arrive, and the relay killed mid-delivery.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorEnvelope } from '@aami/shared';
import { slackText, startSlackSink, type SlackSink } from '@aami/notification-relay/testing/slack-sink';
import { deferrer, postUntilAccepted, startTestRedis, postWebhook, relayApi, relayEnv, startRelayInProcess, startRelayProcess, webhookBody, writeRelayConfig, xidAlert } from './notification-relay-support.ts';

type Status = { channels: Record<'slack' | 'email', { queued: number; sent: number; failed: number; dead_lettered: number; duplicates: number }> };
type DeadLetters = { dead_letters: Array<{ id: string; channel: string; reason: string; attempts: number; node?: string }> };

const delivered = (sink: SlackSink) => sink.requests.filter((r) => r.status === 200);

/** How often each node (gpu-x-NNNN) appears in what the sink delivered (messages and summaries). */
function nodeCounts(sink: SlackSink, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of delivered(sink)) {
    const seen = new Set(slackText(r.body).match(new RegExp(`${prefix}-\\d{4}`, 'g')) ?? []);
    for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setup(t: { after(fn: () => unknown): void }, extraEnv: Record<string, string> = {}) {
  const defer = deferrer(t);
  const redis = await startTestRedis(defer);
  const sink = await startSlackSink();
  defer(() => sink.close());
  const configPath = await writeRelayConfig(defer, { slack: { webhook_url: sink.url } });
  const relay = await startRelayInProcess(defer, relayEnv(redis.url, configPath, extraEnv));
  return { redis, sink, relay, configPath };
}

describe('notification relay under faults', () => {
  test('Slack answers 500 three times, then recovers: delivered exactly once', async (t) => {
    const { sink, relay } = await setup(t);
    sink.failNext(3, { status: 500, body: 'rollup_error' });
    assert.equal((await postWebhook(relay.url, webhookBody([xidAlert('gpu-node-01')]))).status, 200);
    await sink.waitFor((r) => r.some((x) => x.status === 200));
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(sink.requests.map((r) => r.status), [500, 500, 500, 200]);
    assert.deepEqual(sink.problems(), []);
    const { body } = await relayApi<Status>(relay.url, '/status');
    assert.equal(body.channels.slack.sent, 1);
    assert.equal(body.channels.slack.failed, 3);
    assert.equal(body.channels.slack.dead_lettered, 0);
  });

  test('Slack down for a while: delivered once it is back', async (t) => {
    const { sink, relay } = await setup(t);
    await sink.down();
    assert.equal((await postWebhook(relay.url, webhookBody([xidAlert('gpu-node-02')]))).status, 200);
    await waitUntil(async () => (await relayApi<Status>(relay.url, '/status')).body.channels.slack.failed >= 3, 10_000, 'failed attempts while down');
    assert.equal(sink.requests.length, 0);
    await sink.up();
    await sink.waitFor((r) => r.length === 1);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(delivered(sink).length, 1);
    assert.match(slackText(sink.requests[0]?.body), /gpu-node-02 GPU 3/);
  });

  test('a permanent refusal is not retried; it waits in the dead letters and goes out when retried', async (t) => {
    const { sink, relay } = await setup(t);
    sink.failNext(1, { status: 400, body: 'invalid_payload' });
    assert.equal((await postWebhook(relay.url, webhookBody([xidAlert('gpu-node-03')]))).status, 200);
    let dl: DeadLetters = { dead_letters: [] };
    await waitUntil(async () => (dl = (await relayApi<DeadLetters>(relay.url, '/dead-letters')).body).dead_letters.length === 1, 10_000, 'the dead letter');
    const entry = dl.dead_letters[0]!;
    assert.equal(entry.channel, 'slack');
    assert.equal(entry.node, 'gpu-node-03');
    assert.equal(entry.attempts, 1);
    assert.match(entry.reason, /clientError: Slack answered HTTP 400: invalid_payload/);
    assert.equal(sink.requests.length, 1, 'no retry on a 4xx');
    assert.equal((await relayApi<Status>(relay.url, '/status')).body.channels.slack.dead_lettered, 1);

    const retry = await relayApi<{ retried: { id: string } }>(relay.url, `/dead-letters/${entry.id}/retry`, { method: 'POST' });
    assert.equal(retry.status, 202);
    await sink.waitFor((r) => r.some((x) => x.status === 200));
    await waitUntil(async () => (await relayApi<DeadLetters>(relay.url, '/dead-letters')).body.dead_letters.length === 0, 5000, 'an empty dead-letter list');
    assert.equal((await relayApi<unknown>(relay.url, `/dead-letters/${entry.id}/retry`, { method: 'POST' })).status, 404, 'gone once delivered');
  });

  test('a dead letter does not swallow the reminders: when the channel is back, the next reminder is delivered', async (t) => {
    const defer = deferrer(t);
    const redis = await startTestRedis(defer);
    const sink = await startSlackSink();
    defer(() => sink.close());
    // Critical reminders every 3 s (Alertmanager's repeat_interval), so the dedup window is short.
    const configPath = await writeRelayConfig(defer, { slack: { webhook_url: sink.url }, repeat: { critical: '3s' } });
    const relay = await startRelayInProcess(defer, relayEnv(redis.url, configPath));
    const body = webhookBody([xidAlert('gpu-node-09')]);
    sink.failNext(1, { status: 400, body: 'invalid_payload' });
    const first = Date.now();
    assert.equal((await postWebhook(relay.url, body)).status, 200);
    await waitUntil(async () => (await relayApi<DeadLetters>(relay.url, '/dead-letters')).body.dead_letters.length === 1, 10_000, 'the dead letter');
    assert.equal((await postWebhook(relay.url, body)).status, 200, 'a copy inside the window');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(sink.requests.length, 1, 'the copy sends nothing');
    // Slack works again; Alertmanager sends its reminder one repeat interval after the first notice.
    await new Promise((r) => setTimeout(r, Math.max(0, first + 3000 - Date.now())));
    assert.equal((await postWebhook(relay.url, body)).status, 200);
    await sink.waitFor((r) => r.some((x) => x.status === 200), 10_000);
    assert.match(slackText(sink.requests.find((x) => x.status === 200)?.body), /gpu-node-09/);
  });

  test('a redelivered webhook sends nothing twice; the resolved follow-up is new', async (t) => {
    const { sink, relay } = await setup(t);
    const alert = xidAlert('gpu-node-04');
    const body = webhookBody([alert]);
    const answers = await Promise.all([postWebhook(relay.url, body), postWebhook(relay.url, body), postWebhook(relay.url, body)]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    await sink.waitFor((r) => r.length === 1);
    assert.equal((await postWebhook(relay.url, body)).status, 200, 'again, after it was delivered');
    assert.equal((await postWebhook(relay.url, webhookBody([{ ...alert, status: 'resolved', endsAt: '2024-05-01T10:20:00Z' }]))).status, 200);
    await sink.waitFor((r) => r.length === 2);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(sink.requests.length, 2);
    assert.match(slackText(sink.requests[1]?.body), /^RESOLVED: .*gpu-node-04/m);
    const { body: status } = await relayApi<Status>(relay.url, '/status');
    assert.equal(status.channels.slack.sent, 2);
    assert.ok(status.channels.slack.duplicates >= 1);
  });

  test('malformed (400), oversized (413) and wrong credentials (401) queue nothing', async (t) => {
    const { sink, relay } = await setup(t, { AAMI_RELAY_MAX_BODY_BYTES: '65536' });
    const good = webhookBody([xidAlert('gpu-node-05')]);
    const bad = JSON.parse(good) as { alerts: Array<Record<string, unknown>> };
    bad.alerts[0]!.status = 'exploding';
    const r400 = await postWebhook(relay.url, JSON.stringify(bad));
    assert.equal(r400.status, 400);
    assert.match(JSON.stringify(ErrorEnvelope.parse(await r400.json()).error), /alerts\[0\]\.status/);
    assert.equal((await postWebhook(relay.url, '{not json')).status, 400);
    const many = webhookBody(Array.from({ length: 200 }, (_, i) => xidAlert(`gpu-big-${String(i).padStart(4, '0')}`)));
    assert.ok(many.length > 65536);
    assert.equal((await postWebhook(relay.url, many)).status, 413);
    assert.equal((await postWebhook(relay.url, good, 'wrong-token')).status, 401);
    await new Promise((r) => setTimeout(r, 500));
    const { body } = await relayApi<Status>(relay.url, '/status');
    assert.equal(body.channels.slack.queued + body.channels.slack.sent + body.channels.slack.failed, 0);
    assert.equal(sink.requests.length, 0);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /aami_relay_webhook_requests_total\{code="400"\} 2/);
    assert.match(metrics, /aami_relay_webhook_requests_total\{code="413"\} 1/);
    assert.match(metrics, /aami_relay_webhook_requests_total\{code="401"\} 1/);
  });

  test('Redis restarted (kill -9) while alerts arrive: every alert that got a 2xx is delivered', async (t) => {
    const { redis, sink, relay } = await setup(t);
    const total = 300;
    let accepted = 0;
    const acceptedNodes: string[] = [];
    let next = 0;
    const deadline = Date.now() + 40_000;
    const tally = { refused: 0, unreachable: 0 };
    const poster = async () => {
      while (next < total) {
        const node = `gpu-r-${String(next++).padStart(4, '0')}`;
        if (await postUntilAccepted(() => relay.url, webhookBody([xidAlert(node)]), deadline, tally)) {
          accepted++;
          acceptedNodes.push(node);
        }
      }
    };
    const posting = Promise.all(Array.from({ length: 8 }, poster));
    const t0 = Date.now();
    await waitUntil(() => accepted >= 100, 20_000, '100 accepted alerts');
    const t1 = Date.now();
    await redis.restart(true);
    const t2 = Date.now();
    await posting;
    const t3 = Date.now();
    assert.equal(acceptedNodes.length, total, 'every alert is eventually accepted');
    await waitUntil(() => acceptedNodes.every((n) => nodeCounts(sink, 'gpu-r').has(n)), 40_000, 'every accepted alert on Slack');
    t.diagnostic(`timings: 100 accepted ${t1 - t0} ms, restart ${t2 - t1} ms, rest accepted ${t3 - t2} ms, all delivered ${Date.now() - t3} ms`);
    const perSecond = new Map<number, number>();
    for (const r of sink.requests) perSecond.set(Math.floor((r.at - t1) / 500), (perSecond.get(Math.floor((r.at - t1) / 500)) ?? 0) + 1);
    t.diagnostic(`deliveries per 500 ms since the restart: ${[...perSecond].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}:${v}`).join(' ')}`);
    assert.deepEqual(sink.problems(), []);
    // Requests caught by the restart either waited for the new Redis (ioredis resends them) or
    // were refused with 503 for the poster to retry; none was answered 2xx and then lost.
    t.diagnostic(`answers while Redis was away: ${tally.refused} refused (503), ${tally.unreachable} unreachable`);
  });
});

describe('notification relay killed', () => {
  test('kill -9 mid-delivery: everything is delivered after restart, no duplicate beyond those in flight', async (t) => {
    const defer = deferrer(t);
    const redis = await startTestRedis(defer);
    const sink = await startSlackSink();
    defer(() => sink.close());
    const configPath = await writeRelayConfig(defer, { slack: { webhook_url: sink.url } });
    const relay = await startRelayProcess(defer, relayEnv(redis.url, configPath, { AAMI_RELAY_CONCURRENCY: '2' }));

    sink.hold();
    const nodes = Array.from({ length: 6 }, (_, i) => `gpu-k-${String(i).padStart(4, '0')}`);
    for (const n of nodes) assert.equal((await postWebhook(relay.url, webhookBody([xidAlert(n)]))).status, 200);
    await sink.waitFor((r) => r.length === 2);
    const inFlight = new Set(sink.requests.flatMap((r) => slackText(r.body).match(/gpu-k-\d{4}/g) ?? []));
    assert.equal(inFlight.size, 2);
    await relay.killAndRestart();
    sink.release();
    await waitUntil(() => nodes.every((n) => nodeCounts(sink, 'gpu-k').has(n)), 20_000, 'every alert delivered after the restart');
    await new Promise((r) => setTimeout(r, 2500));
    const counts = nodeCounts(sink, 'gpu-k');
    for (const n of nodes) {
      const c = counts.get(n) ?? 0;
      if (inFlight.has(n)) assert.ok(c >= 1 && c <= 2, `${n} (in flight at the kill) delivered ${c} times`);
      else assert.equal(c, 1, `${n} delivered ${c} times`);
    }
    assert.deepEqual(sink.problems(), []);
  });

  test('1,000 accepted alerts survive kill -9 of the relay and a Redis restart; storms are summarised, none dropped', async (t) => {
    const defer = deferrer(t);
    const redis = await startTestRedis(defer);
    const sink = await startSlackSink();
    defer(() => sink.close());
    const configPath = await writeRelayConfig(defer, { slack: { webhook_url: sink.url } });
    const relay = await startRelayProcess(defer, relayEnv(redis.url, configPath, { AAMI_RELAY_STORM_THRESHOLD: '10', AAMI_RELAY_STORM_WINDOW_MS: '1000', AAMI_RELAY_CONCURRENCY: '8' }));

    const total = 1000;
    const acceptedNodes: string[] = [];
    let next = 0;
    const deadline = Date.now() + 60_000;
    const poster = async () => {
      while (next < total) {
        const node = `gpu-d-${String(next++).padStart(4, '0')}`;
        if (await postUntilAccepted(() => relay.url, webhookBody([xidAlert(node)]), deadline)) acceptedNodes.push(node);
      }
    };
    const posting = Promise.all(Array.from({ length: 16 }, poster));
    await waitUntil(() => acceptedNodes.length >= 300, 30_000, '300 accepted');
    await relay.killAndRestart();
    await waitUntil(() => acceptedNodes.length >= 600, 30_000, '600 accepted');
    await redis.restart(true);
    await posting;
    assert.equal(acceptedNodes.length, total);

    await waitUntil(() => nodeCounts(sink, 'gpu-d').size >= total, 60_000, 'all 1,000 alerts on Slack');
    const counts = nodeCounts(sink, 'gpu-d');
    assert.ok(acceptedNodes.every((n) => counts.has(n)), 'none lost');
    const summaries = delivered(sink).filter((r) => /Alert storm/.test(slackText(r.body)));
    assert.ok(summaries.length >= 1, 'the storm was summarised');
    assert.ok(delivered(sink).length < total / 5, `a storm is a handful of messages, not one each (${delivered(sink).length})`);
    const duplicates = [...counts.values()].reduce((a, c) => a + (c - 1), 0);
    t.diagnostic(`${delivered(sink).length} Slack messages (${summaries.length} storm summaries) for ${total} alerts; ${duplicates} duplicates`);
    assert.ok(duplicates <= 40, `duplicates stay within what was in flight at the crashes (${duplicates})`);
    assert.deepEqual(sink.problems(), []);
  });
});
