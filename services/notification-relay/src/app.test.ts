import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { ConflictError, DeadLetterRetryResponse, DeadLettersResponse, ErrorEnvelope, NotFoundError, NotificationTestResult, NotificationsStatusResponse } from '@aami/shared';
import type { NotificationsAdmin, StatusReport } from './admin.ts';
import { createApp } from './app.ts';
import type { Channel, ChannelName } from './channels/channel.ts';
import type { WebhookPayload } from './domain/payload.ts';
import type { Intake } from './intake.ts';
import { createIntakeLimiter, type IntakeLimiter } from './intake-limit.ts';
import { createRelayMetrics } from './metrics.ts';
import { createCaptureLogger, createFakeChannel } from './testing/fakes.ts';

/** The error of an answer, parsed by the one envelope every service uses. */
const errorOf = async (res: Response) => ErrorEnvelope.parse(await res.json()).error;

const TOKEN = 'relay-token-for-tests-0123';
const SERVICE_TOKEN = 'service-token-for-tests-0123';
const sample = readFileSync(new URL('./domain/testdata/webhook-xid79.json', import.meta.url), 'utf8');

function harness(opts: { intake?: Intake; maxBodyBytes?: number; ready?: boolean; intakeLimit?: IntakeLimiter; redisInfo?: () => Promise<string> } = {}) {
  const accepted: WebhookPayload[] = [];
  const intake: Intake = opts.intake ?? {
    async accept(p) {
      accepted.push(p);
      return { alerts: p.alerts.length, deliveries: p.alerts.length, unrouted: 0 };
    },
  };
  const slack = createFakeChannel('slack', [{ ok: true }, { ok: false, retry: false, reason: 'authError', error: 'Slack answered HTTP 404: no_service' }]);
  const channels = new Map<ChannelName, Channel>([['slack', slack]]);
  const status: StatusReport = { channels: { slack: { configured: true, queued: 1, sent: 2, failed: 3, dead_lettered: 1, duplicates: 0, grouped: 0 }, email: { configured: false, queued: 0, sent: 0, failed: 0, dead_lettered: 0, duplicates: 0, grouped: 0 } } };
  const retried: string[] = [];
  const admin: NotificationsAdmin = {
    status: async () => status,
    deadLetters: async () => [{ id: 'slack-abc', channel: 'slack', kind: 'alert', reason: 'clientError: Slack answered HTTP 400', attempts: 1 }],
    async retry(id) {
      if (id === 'slack-missing') throw new NotFoundError(`no dead letter with id ${id}`);
      if (id === 'slack-active') throw new ConflictError(`job ${id} is active, not a dead letter`);
      retried.push(id);
      return { id, channel: 'slack', kind: 'alert', reason: '', attempts: 1 };
    },
  };
  const logger = createCaptureLogger();
  const listener = createApp({
    token: TOKEN,
    serviceToken: SERVICE_TOKEN,
    maxBodyBytes: opts.maxBodyBytes ?? 1_048_576,
    enqueueTimeoutMs: 200,
    intake,
    ...(opts.intakeLimit ? { intakeLimit: opts.intakeLimit } : {}),
    channels: async () => channels,
    admin,
    ready: async () => opts.ready ?? true,
    metrics: createRelayMetrics({ defaultMetrics: false, ...(opts.redisInfo ? { redisInfo: opts.redisInfo, redisInfoTimeoutMs: 100 } : {}) }),
    logger,
  });
  return { listener, accepted, slack, retried, logger };
}

async function serve(listener: ReturnType<typeof harness>['listener']): Promise<{ url: string; server: Server }> {
  const server = createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const auth = { authorization: `Bearer ${TOKEN}` };
const service = { authorization: `Bearer ${SERVICE_TOKEN}` };
const post = (url: string, body: string, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body });

describe('webhook', () => {
  const h = harness({ maxBodyBytes: 4096 });
  let url = '';
  let server: Server;
  before(async () => ({ url, server } = await serve(h.listener)));
  after(() => server.close());

  test('a valid payload is accepted once queued', async () => {
    const res = await post(`${url}/alertmanager/webhook`, sample);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'accepted', alerts: 1, deliveries: 1 });
    assert.equal(h.accepted.at(-1)?.alerts[0]?.labels.xid, '79');
  });

  test('basic auth with the token as password works too', async () => {
    const res = await post(`${url}/alertmanager/webhook`, sample, { authorization: `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}` });
    assert.equal(res.status, 200);
  });

  test('wrong or missing credentials: 401, nothing queued', async () => {
    const before = h.accepted.length;
    for (const authorization of ['Bearer nope', `Basic ${Buffer.from('am:nope').toString('base64')}`, '', 'Token x']) {
      const res = await fetch(`${url}/alertmanager/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: sample });
      assert.equal(res.status, 401, authorization);
      assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
      assert.equal((await errorOf(res)).code, 'unauthorized');
    }
    assert.equal(h.accepted.length, before);
  });

  test('malformed JSON, a bad field and a wrong content type: 400 saying what, nothing queued', async () => {
    const before = h.accepted.length;
    const broken = await post(`${url}/alertmanager/webhook`, '{"alerts": [');
    assert.equal(broken.status, 400);
    assert.equal((await errorOf(broken)).code, 'invalid_json');
    const bad = JSON.parse(sample) as { alerts: Array<Record<string, unknown>> };
    bad.alerts[0]!.startsAt = 'soon';
    const field = await post(`${url}/alertmanager/webhook`, JSON.stringify(bad));
    assert.equal(field.status, 400);
    const body = await errorOf(field);
    assert.match(body.message, /alerts\[0\]\.startsAt/);
    assert.deepEqual(body.details.map((d) => d.path), ['alerts[0].startsAt']);
    const text = await post(`${url}/alertmanager/webhook`, sample, { 'content-type': 'text/plain' });
    assert.equal(text.status, 400);
    assert.equal(h.accepted.length, before);
  });

  test('oversized: 413, nothing queued, whether announced or streamed', async () => {
    const before = h.accepted.length;
    const big = JSON.stringify({ ...JSON.parse(sample), pad: 'x'.repeat(10_000) });
    const res = await post(`${url}/alertmanager/webhook`, big);
    assert.equal(res.status, 413);
    assert.equal((await errorOf(res)).code, 'payload_too_large');
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        c.close();
      },
    });
    const chunked = await fetch(`${url}/alertmanager/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: stream, duplex: 'half' } as RequestInit);
    assert.equal(chunked.status, 413);
    assert.equal(h.accepted.length, before);
  });

  test('only POST', async () => {
    assert.equal((await fetch(`${url}/alertmanager/webhook`, { headers: auth })).status, 405);
  });
});

describe('webhook when the queue is away', () => {
  test('503 so Alertmanager retries, for an error and for a hang', async (t) => {
    for (const intake of [{ accept: () => Promise.reject(new Error('Stream isn\'t writeable')) }, { accept: () => new Promise<never>(() => {}) }] as Intake[]) {
      const h = harness({ intake });
      const { url, server } = await serve(h.listener);
      t.after(() => server.close());
      const res = await post(`${url}/alertmanager/webhook`, sample);
      assert.equal(res.status, 503);
      assert.equal((await errorOf(res)).code, 'unavailable');
    }
  });
});

describe('webhook over an intake cap', () => {
  const withFingerprint = (fingerprint: string) => {
    const body = JSON.parse(sample) as { alerts: Array<{ fingerprint: string }> };
    body.alerts[0]!.fingerprint = fingerprint;
    return body.alerts[0]!;
  };
  const batch = (...fingerprints: string[]) => JSON.stringify({ ...JSON.parse(sample), alerts: fingerprints.map(withFingerprint) });

  test('429 with Retry-After and the shared error envelope naming the cap and its limit; nothing queued; counted and logged once', async (t) => {
    const h = harness({ intakeLimit: createIntakeLimiter({ perWindow: 4, perFingerprint: 1, windowMs: 60_000 }) });
    const { url, server } = await serve(h.listener);
    t.after(() => server.close());
    assert.equal((await post(`${url}/alertmanager/webhook`, sample)).status, 200);

    const again = await post(`${url}/alertmanager/webhook`, sample);
    assert.equal(again.status, 429);
    const retryAfter = Number(again.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${again.headers.get('retry-after')}`);
    const body = await errorOf(again);
    assert.equal(body.code, 'alert_repeated_too_often');
    assert.match(body.message, /alert 4a1c0d9e8b7f6a5c .* at most 1 times per minute/);

    // Two new alerts and the repeated one: refused whole, so neither new alert is queued.
    const mixed = await post(`${url}/alertmanager/webhook`, batch('f1', 'f2', '4a1c0d9e8b7f6a5c'));
    assert.equal(mixed.status, 429);
    const rate = await post(`${url}/alertmanager/webhook`, batch('f1', 'f2', 'f3', 'f4'));
    assert.equal(rate.status, 429);
    assert.ok(Number(rate.headers.get('retry-after')) >= 1);
    const rateBody = await errorOf(rate);
    assert.equal(rateBody.code, 'too_many_alerts');
    assert.match(rateBody.message, /accepts 4 per minute .* room for 3 more in this minute, not 4/);
    assert.equal(h.accepted.length, 1, 'only the first request was queued');
    assert.equal((await post(`${url}/alertmanager/webhook`, batch('f1', 'f2'))).status, 200, 'what fits still gets in');

    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /aami_relay_webhook_refused_total\{reason="fingerprint"\} 2/);
    assert.match(m, /aami_relay_webhook_refused_total\{reason="rate"\} 1/);
    assert.match(m, /aami_relay_webhook_requests_total\{code="429"\} 3/);
    assert.match(m, /aami_relay_alerts_received_total\{status="firing"\} 3/, 'refused alerts are not counted as received');
    const warnings = h.logger.lines.filter((l) => l.includes('intake cap'));
    assert.equal(warnings.length, 2, `one line per cap and window, not per request: ${warnings.join('\n')}`);
  });

  test('a request Redis could not store (503) leaves the budget for its retry', async (t) => {
    let fail = true;
    const intake: Intake = {
      async accept(p) {
        if (fail) throw new Error("Stream isn't writeable");
        return { alerts: p.alerts.length, deliveries: p.alerts.length, unrouted: 0 };
      },
    };
    const h = harness({ intake, intakeLimit: createIntakeLimiter({ perWindow: 1, perFingerprint: 1 }) });
    const { url, server } = await serve(h.listener);
    t.after(() => server.close());
    assert.equal((await post(`${url}/alertmanager/webhook`, sample)).status, 503);
    fail = false;
    assert.equal((await post(`${url}/alertmanager/webhook`, sample)).status, 200);
    assert.equal((await post(`${url}/alertmanager/webhook`, sample)).status, 429);
  });
});

describe('Redis memory on /metrics', () => {
  const scrape = async (t: { after(fn: () => unknown): void }, redisInfo: () => Promise<string>) => {
    const { url, server } = await serve(harness({ redisInfo }).listener);
    t.after(() => server.close());
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    return res.text();
  };

  test('used and max bytes come from INFO memory; maxmemory 0 (no limit) is 0', async (t) => {
    let calls = 0;
    const info = (max: number) => async () => {
      calls++;
      return `# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nused_memory_rss:9999999\r\nmaxmemory:${max}\r\nmaxmemory_human:512.00M\r\n`;
    };
    const m = await scrape(t, info(536_870_912));
    assert.match(m, /^aami_relay_redis_memory_used_bytes 1048576$/m);
    assert.match(m, /^aami_relay_redis_memory_max_bytes 536870912$/m);
    assert.equal(calls, 1, 'one INFO per scrape for both gauges');
    assert.match(await scrape(t, info(0)), /^aami_relay_redis_memory_max_bytes 0$/m);
  });

  test('Redis failing, hanging or answering nonsense leaves the gauges out, and /metrics still answers', async (t) => {
    for (const redisInfo of [() => Promise.reject(new Error('Connection is closed.')), () => new Promise<string>(() => {}), async () => 'ERR unknown section']) {
      const m = await scrape(t, redisInfo);
      assert.doesNotMatch(m, /^aami_relay_redis_memory_\w+ /m);
      assert.match(m, /aami_relay_notifications_delivered_total/);
    }
  });
});

describe('API', () => {
  const h = harness({ ready: false });
  let url = '';
  let server: Server;
  before(async () => ({ url, server } = await serve(h.listener)));
  after(() => server.close());

  test('health, readiness and metrics need no token', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 503);
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /aami_relay_notifications_delivered_total/);
  });

  test('the notifications API wants the service token, not the relay token, and JSON writes', async () => {
    assert.equal((await fetch(`${url}/api/v1/notifications/status`)).status, 401);
    assert.equal((await fetch(`${url}/api/v1/notifications/dead-letters`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${url}/api/v1/notifications/status`, { headers: auth })).status, 401, 'the webhook credential opens only the webhook');
    const form = await fetch(`${url}/api/v1/notifications/test`, { method: 'POST', headers: { ...service, 'content-type': 'text/plain' }, body: '{"channel":"slack"}' });
    assert.equal(form.status, 415);
    assert.equal(h.slack.sent.length, 0);
  });

  test('status and dead letters', async () => {
    const status = NotificationsStatusResponse.parse(await (await fetch(`${url}/api/v1/notifications/status`, { headers: service })).json());
    assert.equal(status.channels.slack.sent, 2);
    const dl = DeadLettersResponse.parse(await (await fetch(`${url}/api/v1/notifications/dead-letters`, { headers: service })).json());
    assert.deepEqual(dl.dead_letters.map((d) => d.id), ['slack-abc']);
  });

  test('retrying a dead letter: 202, 404 unknown, 409 not failed', async () => {
    const retried = await fetch(`${url}/api/v1/notifications/dead-letters/slack-abc/retry`, { method: 'POST', headers: { ...service, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(retried.status, 202);
    assert.equal(DeadLetterRetryResponse.parse(await retried.json()).retried.id, 'slack-abc');
    assert.deepEqual(h.retried, ['slack-abc']);
    assert.equal((await fetch(`${url}/api/v1/notifications/dead-letters/slack-missing/retry`, { method: 'POST', headers: { ...service, 'content-type': 'application/json' }, body: '{}' })).status, 404);
    assert.equal((await fetch(`${url}/api/v1/notifications/dead-letters/slack-active/retry`, { method: 'POST', headers: { ...service, 'content-type': 'application/json' }, body: '{}' })).status, 409);
  });

  test("the test endpoint sends a real message and reports the channel's answer, delivered or refused", async () => {
    const ok = await post(`${url}/api/v1/notifications/test`, '{"channel":"slack"}', service);
    assert.equal(ok.status, 200);
    assert.deepEqual(NotificationTestResult.parse(await ok.json()), { channel: 'slack', ok: true });
    assert.match(h.slack.sent[0]?.title ?? '', /AAMI test message/);
    // A refusal is the test's result, not an error of the API: 200 with the channel's words.
    const refused = await post(`${url}/api/v1/notifications/test`, '{"channel":"slack"}', service);
    assert.equal(refused.status, 200);
    assert.deepEqual(NotificationTestResult.parse(await refused.json()), { channel: 'slack', ok: false, retry: false, reason: 'authError', error: 'Slack answered HTTP 404: no_service' });
    const unconfigured = await post(`${url}/api/v1/notifications/test`, '{"channel":"email"}', service);
    assert.equal(unconfigured.status, 400);
    const why = await errorOf(unconfigured);
    assert.match(why.message, /email is not configured/);
    assert.deepEqual(why.details, [{ path: 'channel', message: 'not configured' }]);
    const bad = await post(`${url}/api/v1/notifications/test`, '{"channel":"pager"}', service);
    assert.equal(bad.status, 400);
    assert.deepEqual((await errorOf(bad)).details.map((d) => d.path), ['channel']);
  });

  test('unknown routes are 404 JSON', async () => {
    const res = await fetch(`${url}/nope`);
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, 'not_found');
  });
});
