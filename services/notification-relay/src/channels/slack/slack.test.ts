import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enrichAlert } from '../../domain/enrichment.ts';
import { buildAlertMessage, buildSummaryMessage, buildTestMessage, stormItem } from '../../domain/message.ts';
import { catalogLookup, xid79Alert } from '../../domain/testdata/fixtures.ts';
import { slackPayloadProblems } from '../../testing/slack-rules.ts';
import { slackText, startSlackSink } from '../../testing/slack-sink.ts';
import { freePortUrl } from '../../testing/ports.ts';
import { renderSlackPayload } from './blocks.ts';
import { createSlackChannel } from './slack.ts';

const never = new AbortController().signal;
const xidMessage = () => buildAlertMessage(enrichAlert(xid79Alert(), catalogLookup), { externalURL: 'http://am:9093' });

test('an Xid 79 message renders within Slack rules, with colour, node, GPU and first action', () => {
  const payload = renderSlackPayload(xidMessage(), { channel: '#gpu-alerts' });
  assert.deepEqual(slackPayloadProblems(payload), []);
  assert.equal(payload.channel, '#gpu-alerts');
  assert.equal(payload.attachments[0]?.color, '#D7263D');
  const text = slackText(payload);
  assert.match(text, /gpu-node-07/);
  assert.match(text, /\*GPU\*\n3/);
  assert.match(text, /fallen off the bus/);
  assert.match(text, /What to do first\*\n1\. Take the node out of the scheduler/);
});

test('long titles, many fields and a big storm stay within Slack limits', () => {
  const long = xidMessage();
  long.title = 'x'.repeat(400);
  long.fields = Array.from({ length: 14 }, (_, i) => ({ label: `f${i}`, value: 'v'.repeat(2500) }));
  assert.deepEqual(slackPayloadProblems(renderSlackPayload(long)), []);
  const items = Array.from({ length: 2000 }, (_, i) => stormItem(enrichAlert(xid79Alert({}, { node: `node-${i}-${'n'.repeat(100)}` }), catalogLookup)));
  const storm = renderSlackPayload(buildSummaryMessage(items, { channel: 'slack', threshold: 10, windowMs: 60_000, part: 1, parts: 1, total: 2000 }));
  assert.deepEqual(slackPayloadProblems(storm), []);
  assert.match(slackText(storm), /…and \d+ more/);
});

test('user text is escaped wherever Slack reads mrkdwn (plain_text headers need no escaping)', () => {
  const msg = buildAlertMessage(enrichAlert(xid79Alert({ annotations: { summary: 'a <b> & c' } }, { xid: '', node: '<!channel>' }), catalogLookup));
  const payload = renderSlackPayload(msg);
  const mrkdwn: string[] = [payload.text];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') mrkdwn.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(payload.attachments);
  assert.ok(mrkdwn.every((t) => !t.includes('<!channel>') && !t.includes('<b>')));
  assert.ok(mrkdwn.some((t) => t.includes('&lt;!channel&gt;')));
  assert.ok(mrkdwn.some((t) => t.includes('a &lt;b&gt; &amp; c')));
});

test('sends to the webhook and Slack says ok', async (t) => {
  const sink = await startSlackSink();
  t.after(() => sink.close());
  const res = await createSlackChannel({ webhookUrl: sink.url }).send(xidMessage(), never);
  assert.deepEqual(res, { ok: true });
  assert.equal(sink.requests.length, 1);
  assert.deepEqual(sink.problems(), []);
  await createSlackChannel({ webhookUrl: sink.url }).send(buildTestMessage('slack'), never);
  assert.match(slackText(sink.requests[1]?.body), /AAMI test message/);
});

test("Slack's answers are classified: 500 retried, invalid_payload and no_service not, 429 with its Retry-After", async (t) => {
  const sink = await startSlackSink();
  t.after(() => sink.close());
  const ch = createSlackChannel({ webhookUrl: sink.url });
  sink.failNext(1, { status: 500, body: 'rollup_error' });
  assert.deepEqual(await ch.send(xidMessage(), never), { ok: false, retry: true, reason: 'serverError', error: 'Slack answered HTTP 500: rollup_error' });
  sink.failNext(1, { status: 400, body: 'invalid_payload' });
  assert.deepEqual(await ch.send(xidMessage(), never), { ok: false, retry: false, reason: 'clientError', error: 'Slack answered HTTP 400: invalid_payload' });
  sink.failNext(1, { status: 404, body: 'no_service' });
  const gone = await ch.send(xidMessage(), never);
  assert.equal(gone.ok === false && gone.retry, false);
  assert.equal(gone.ok === false && gone.reason, 'authError');
  sink.failNext(1, { status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } });
  const limited = await ch.send(xidMessage(), never);
  assert.ok(!limited.ok);
  assert.equal(limited.retry, true);
  assert.equal(limited.reason, 'rateLimited');
  assert.equal(limited.retryAfterMs, 7000);
});

test('a JSON ok:false answer is a refusal', async () => {
  const fakeFetch: typeof fetch = async () => new Response('{"ok":false,"error":"invalid_blocks"}', { status: 200 });
  const res = await createSlackChannel({ webhookUrl: 'https://hooks.slack.test/services/T/B/secretpart' }, { fetch: fakeFetch }).send(xidMessage(), never);
  assert.deepEqual(res, { ok: false, retry: false, reason: 'clientError', error: 'Slack refused the message: invalid_blocks' });
});

test('connection refused and no answer are retried', async (t) => {
  const refused = await createSlackChannel({ webhookUrl: `${await freePortUrl()}/services/T/B/abc` }).send(xidMessage(), never);
  assert.ok(!refused.ok);
  assert.equal(refused.retry, true);
  assert.equal(refused.reason, 'connection');
  const sink = await startSlackSink();
  t.after(() => sink.close());
  sink.hold();
  const slow = await createSlackChannel({ webhookUrl: sink.url }, { timeoutMs: 150 }).send(xidMessage(), never);
  sink.release();
  assert.deepEqual(slow, { ok: false, retry: true, reason: 'timeout', error: 'Slack did not answer within 150 ms' });
  sink.hold();
  const ac = new AbortController();
  const pending = createSlackChannel({ webhookUrl: sink.url }).send(xidMessage(), ac.signal);
  await sink.waitFor((r) => r.length === 2);
  ac.abort();
  const cancelled = await pending;
  sink.release();
  assert.equal(cancelled.ok === false && cancelled.reason, 'timeout');
});

test('a webhook URL that is not http(s) is a config error', async () => {
  const res = await createSlackChannel({ webhookUrl: 'ftp://nope' }).send(xidMessage(), never);
  assert.deepEqual(res, { ok: false, retry: false, reason: 'invalidConfig', error: 'notifications.slack.webhook_url is not an http(s) URL' });
});
