// The relay's Redis-backed pieces against a real Redis, and behaviour that needs them: dedup
// claims, storm grouping into summaries (Slack and email), config.yaml changes taking effect
// without a restart, a transient SMTP failure, and a channel whose ${VAR} is unset.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ConfigStore } from '@aami/shared';
import { createRedisDedup } from '@aami/notification-relay/domain/dedup';
import { createRedisStorm } from '@aami/notification-relay/domain/storm';
import { slackText, startSlackSink } from '@aami/notification-relay/testing/slack-sink';
import { startSmtpSink } from '@aami/notification-relay/testing/smtp-sink';
import { deferrer, postWebhook, startTestRedis, relayApi, relayEnv, startRelayInProcess, webhookBody, writeRelayConfig, xidAlert } from './notification-relay-support.ts';

const item = (line: string) => ({ line, severity: 'critical' as const, status: 'firing' as const });

describe('dedup and storm stores on Redis', () => {
  test('a claim is exclusive, survives a re-run by its owner, and expires with its TTL', async (t) => {
    const defer = deferrer(t);
    const redis = await startTestRedis(defer);
    const client = new Redis(redis.url);
    defer(() => client.quit());
    const dedup = createRedisDedup(client, { prefix: 't1', ttlMs: 300 });
    assert.equal(await dedup.claim('slack', 'fp|firing|t0', 'job-a'), 'claimed');
    assert.equal(await dedup.claim('slack', 'fp|firing|t0', 'job-a'), 'claimed', 'the owner again (a re-run after a crash)');
    assert.equal(await dedup.claim('slack', 'fp|firing|t0', 'job-b'), 'busy');
    assert.equal(await dedup.claim('email', 'fp|firing|t0', 'job-b'), 'claimed', 'channels are separate');
    await dedup.markDone('slack', 'fp|firing|t0', 'job-a');
    assert.equal(await dedup.claim('slack', 'fp|firing|t0', 'job-a'), 'done');
    assert.ok((await client.pttl(dedup.redisKey('slack', 'fp|firing|t0'))) > 0, 'done keeps a TTL');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await dedup.claim('slack', 'fp|firing|t0', 'job-c'), 'claimed', 'after the TTL the state may be sent again');
  });

  test('storm placement is per window, idempotent per job, checks the claim, and batches survive until acknowledged', async (t) => {
    const defer = deferrer(t);
    const redis = await startTestRedis(defer);
    const client = new Redis(redis.url);
    defer(() => client.quit());
    const dedup = createRedisDedup(client, { prefix: 't2', ttlMs: 60_000 });
    const storm = createRedisStorm(client, { prefix: 't2', threshold: 2, windowMs: 1000, dedupTtlMs: 60_000 });
    const now = 10_000_500;
    const place = async (id: string, at = now) => {
      await dedup.claim('slack', id, id);
      return storm.place('slack', id, item(`alert ${id}`), dedup.redisKey('slack', id), at);
    };
    assert.deepEqual([await place('a'), await place('b'), await place('c'), await place('d')], ['single', 'single', 'grouped', 'grouped']);
    assert.equal(await place('b'), 'single', 'a re-run keeps its place');
    assert.equal(await dedup.claim('slack', 'c', 'c'), 'done', 'grouped means done');
    assert.equal(await storm.place('slack', 'x', item('x'), dedup.redisKey('slack', 'a'), now), 'skipped', 'no claim, no count');
    assert.equal(await place('e', now + 1000), 'single', 'next window');

    const batches = await storm.takeBatches('slack');
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0]?.items.map((i) => i.line).sort(), ['alert c', 'alert d']);
    assert.equal(await place('f', now + 1), 'grouped');
    const again = await storm.takeBatches('slack');
    assert.equal(again.length, 2, 'an unacknowledged batch is handed out again, next to the new one');
    for (const b of again) await storm.ack('slack', b.id);
    assert.deepEqual(await storm.takeBatches('slack'), []);
    assert.deepEqual(await storm.takeBatches('email'), []);
  });
});

describe('relay behaviour on Redis', () => {
  test('a storm sends the first alerts one by one and one summary listing all the others, on Slack and email', async (t) => {
    const defer = deferrer(t);
    const redis = await startTestRedis(defer);
    const slack = await startSlackSink();
    defer(() => slack.close());
    const smtp = await startSmtpSink();
    defer(() => smtp.close());
    const configPath = await writeRelayConfig(defer, { slack: { webhook_url: slack.url }, email: { smtp_host: '127.0.0.1', smtp_port: smtp.port, tls: 'none', from: 'aami@x.test', to: ['ops@x.test'] } });
    const relay = await startRelayInProcess(defer, relayEnv(redis.url, configPath, { AAMI_RELAY_STORM_THRESHOLD: '5', AAMI_RELAY_STORM_WINDOW_MS: '1500', AAMI_RELAY_CONCURRENCY: '1' }));

    const nodes = Array.from({ length: 20 }, (_, i) => `gpu-s-${String(i).padStart(4, '0')}`);
    assert.equal((await postWebhook(relay.url, webhookBody(nodes.map((n) => xidAlert(n))))).status, 200);
    // Windows are fixed slices of time, so the burst may straddle two: 5 or 10 go out alone.
    const onSlack = () => new Set(slack.requests.flatMap((r) => slackText(r.body).match(/gpu-s-\d{4}/g) ?? []));
    await slack.waitFor(() => onSlack().size === 20, 15_000);
    await smtp.waitFor((m) => new Set(m.flatMap((x) => x.text?.match(/gpu-s-\d{4}/g) ?? [])).size === 20, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(slack.problems(), []);
    const texts = slack.requests.map((r) => slackText(r.body));
    const summaries = texts.filter((x) => /Alert storm/.test(x));
    const single = texts.length - summaries.length;
    assert.ok(single >= 5 && single <= 10, `${single} alerts went out alone`);
    assert.ok(summaries.length >= 1);
    const counted = texts.flatMap((x) => [...new Set(x.match(/gpu-s-\d{4}/g))]);
    assert.equal(counted.length, 20, 'each alert exactly once, alone or in a summary');
    const mails = smtp.mails.map((m) => m.text ?? '');
    assert.equal(mails.flatMap((x) => [...new Set(x.match(/gpu-s-\d{4}/g))]).length, 20, 'same for email');
    assert.ok(smtp.mails.some((m) => /Alert storm/.test(m.subject ?? '')));
    const { body } = await relayApi<{ channels: Record<string, { sent: number; grouped: number }> }>(relay.url, '/status');
    assert.equal(body.channels.slack?.grouped, 20 - single);
    assert.equal(body.channels.slack?.sent, texts.length);
  });

  test('config.yaml changes apply without a restart; a transient SMTP failure is retried', async (t) => {
    const defer = deferrer(t);
    const redis = await startTestRedis(defer);
    const slack = await startSlackSink();
    defer(() => slack.close());
    const smtp = await startSmtpSink();
    defer(() => smtp.close());
    const configPath = await writeRelayConfig(defer, { slack: { webhook_url: slack.url }, email: { smtp_host: '127.0.0.1', smtp_port: smtp.port, tls: 'none', from: 'aami@x.test', to: ['ops@x.test'] }, routing: { critical: ['slack'] } });
    type Status = { channels: Record<string, { configured: boolean }> };
    const relay = await startRelayInProcess(defer, relayEnv(redis.url, configPath));

    assert.equal((await postWebhook(relay.url, webhookBody([xidAlert('gpu-c-0001')]))).status, 200);
    await slack.waitFor((r) => r.length === 1);
    await new ConfigStore(configPath).update((c) => {
      c.notifications.routing.critical = ['slack', 'email'];
      if (c.notifications.slack) c.notifications.slack.enabled = false;
    });
    const deadline = Date.now() + 5000;
    while ((await relayApi<Status>(relay.url, '/status')).body.channels.slack?.configured !== false) {
      assert.ok(Date.now() < deadline, 'the relay re-reads config.yaml');
      await new Promise((r) => setTimeout(r, 50));
    }
    smtp.rejectNext(2, 451, 'Try again later');
    assert.equal((await postWebhook(relay.url, webhookBody([xidAlert('gpu-c-0002')]))).status, 200);
    await smtp.waitFor((m) => m.some((x) => /gpu-c-0002/.test(x.subject ?? '')), 15_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(slack.requests.filter((r) => /gpu-c-0002/.test(slackText(r.body))).length, 0, 'slack is disabled now');
    assert.equal(smtp.mails.filter((m) => /gpu-c-0002/.test(m.subject ?? '')).length, 1, 'delivered once despite two 451s');
  });

  test('a channel whose ${VAR} is unset dead-letters with the reason, and the test endpoint says so', async (t) => {
    const defer = deferrer(t);
    const redis = await startTestRedis(defer);
    const configPath = await writeRelayConfig(defer, { slack: { webhook_url: '${IT_UNSET_SLACK_URL}' } });
    const relay = await startRelayInProcess(defer, relayEnv(redis.url, configPath));
    assert.equal((await postWebhook(relay.url, webhookBody([xidAlert('gpu-v-0001')]))).status, 200);
    let reason = '';
    const deadline = Date.now() + 10_000;
    while (!reason && Date.now() < deadline) {
      const { body } = await relayApi<{ dead_letters: Array<{ reason: string }> }>(relay.url, '/dead-letters');
      reason = body.dead_letters[0]?.reason ?? '';
      if (!reason) await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(reason, /invalidConfig: notifications\.slack\.webhook_url: environment variable IT_UNSET_SLACK_URL is not set/);
    const test = await relayApi<{ ok: boolean; reason: string }>(relay.url, '/test', { method: 'POST', body: '{"channel":"slack"}' });
    assert.equal(test.status, 200, 'the test ran; its refusal is the result');
    assert.deepEqual([test.body.ok, test.body.reason], [false, 'invalidConfig']);
  });
});
