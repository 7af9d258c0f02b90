import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { ConflictError, NotFoundError } from '@aami/shared';
import type { NotificationsAdmin, StatusReport } from './admin.ts';
import { createApp } from './app.ts';
import type { Channel, ChannelName } from './channels/channel.ts';
import type { WebhookPayload } from './domain/payload.ts';
import type { Intake } from './intake.ts';
import { createRelayMetrics } from './metrics.ts';
import { createCaptureLogger, createFakeChannel } from './testing/fakes.ts';

const TOKEN = 'relay-token-for-tests-0123';
const sample = readFileSync(new URL('./domain/testdata/webhook-xid79.json', import.meta.url), 'utf8');

function harness(opts: { intake?: Intake; maxBodyBytes?: number; ready?: boolean } = {}) {
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
    maxBodyBytes: opts.maxBodyBytes ?? 1_048_576,
    enqueueTimeoutMs: 200,
    intake,
    channels: async () => channels,
    admin,
    ready: async () => opts.ready ?? true,
    metrics: createRelayMetrics({ defaultMetrics: false }),
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
      assert.equal(((await res.json()) as { error: string }).error, 'unauthorized');
    }
    assert.equal(h.accepted.length, before);
  });

  test('malformed JSON, a bad field and a wrong content type: 400 saying what, nothing queued', async () => {
    const before = h.accepted.length;
    const broken = await post(`${url}/alertmanager/webhook`, '{"alerts": [');
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as { error: string }).error, 'invalid_json');
    const bad = JSON.parse(sample) as { alerts: Array<Record<string, unknown>> };
    bad.alerts[0]!.startsAt = 'soon';
    const field = await post(`${url}/alertmanager/webhook`, JSON.stringify(bad));
    assert.equal(field.status, 400);
    const body = (await field.json()) as { message: string; details: Array<{ path: string }> };
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
    assert.equal(((await res.json()) as { error: string }).error, 'payload_too_large');
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
      assert.equal(((await res.json()) as { error: string }).error, 'unavailable');
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

  test('the notifications API wants the token', async () => {
    assert.equal((await fetch(`${url}/api/v1/notifications/status`)).status, 401);
    assert.equal((await fetch(`${url}/api/v1/notifications/dead-letters`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  });

  test('status and dead letters', async () => {
    const status = (await (await fetch(`${url}/api/v1/notifications/status`, { headers: auth })).json()) as StatusReport;
    assert.equal(status.channels.slack.sent, 2);
    const dl = (await (await fetch(`${url}/api/v1/notifications/dead-letters`, { headers: auth })).json()) as { dead_letters: Array<{ id: string }> };
    assert.deepEqual(dl.dead_letters.map((d) => d.id), ['slack-abc']);
  });

  test('retrying a dead letter: 202, 404 unknown, 409 not failed', async () => {
    assert.equal((await fetch(`${url}/api/v1/notifications/dead-letters/slack-abc/retry`, { method: 'POST', headers: auth })).status, 202);
    assert.deepEqual(h.retried, ['slack-abc']);
    assert.equal((await fetch(`${url}/api/v1/notifications/dead-letters/slack-missing/retry`, { method: 'POST', headers: auth })).status, 404);
    assert.equal((await fetch(`${url}/api/v1/notifications/dead-letters/slack-active/retry`, { method: 'POST', headers: auth })).status, 409);
  });

  test("the test endpoint sends a real message and reports the channel's answer", async () => {
    const ok = await post(`${url}/api/v1/notifications/test`, '{"channel":"slack"}');
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { channel: 'slack', ok: true });
    assert.match(h.slack.sent[0]?.title ?? '', /AAMI test message/);
    const refused = await post(`${url}/api/v1/notifications/test`, '{"channel":"slack"}');
    assert.equal(refused.status, 502);
    assert.deepEqual(await refused.json(), { channel: 'slack', ok: false, retry: false, reason: 'authError', error: 'Slack answered HTTP 404: no_service' });
    const unconfigured = await post(`${url}/api/v1/notifications/test`, '{"channel":"email"}');
    assert.equal(unconfigured.status, 400);
    assert.match(((await unconfigured.json()) as { message: string }).message, /email is not configured/);
    const bad = await post(`${url}/api/v1/notifications/test`, '{"channel":"pager"}');
    assert.equal(bad.status, 400);
    assert.deepEqual(((await bad.json()) as { details: Array<{ path: string }> }).details.map((d) => d.path), ['channel']);
  });

  test('unknown routes are 404 JSON', async () => {
    const res = await fetch(`${url}/nope`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'not_found');
  });
});
