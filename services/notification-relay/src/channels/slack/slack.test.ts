import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enrichAlert } from '../../domain/enrichment.ts';
import { buildAlertMessage, buildSummaryMessage, buildTestMessage, stormItem } from '../../domain/message.ts';
import { catalogLookup, presetRunbook, xid79Alert } from '../../domain/testdata/fixtures.ts';
import { slackPayloadProblems } from '../../testing/slack-rules.ts';
import { slackText, startSlackSink } from '../../testing/slack-sink.ts';
import { freePortUrl } from '../../testing/ports.ts';
import { renderSlackPayload, type SlackPayload } from './blocks.ts';
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

/** Every string of `payload` Slack reads as mrkdwn: the top-level text and each mrkdwn text object. */
function mrkdwnTexts(payload: SlackPayload): string[] {
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
  return mrkdwn;
}

/** The targets of the `<target|label>` links in a mrkdwn string (a `<` of the text is escaped). */
const linkTargets = (mrkdwn: string): string[] => [...mrkdwn.matchAll(/<([^|>]*)/g)].map((m) => m[1] ?? '');

/** What a reader sees: entities decoded, the zero-width characters that keep text inert removed. */
const visible = (mrkdwn: string): string => mrkdwn.replace(/[\u200B\u200D]/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

test('user text is escaped wherever Slack reads mrkdwn (plain_text headers need no escaping)', () => {
  const msg = buildAlertMessage(enrichAlert(xid79Alert({ annotations: { summary: 'a <b> & c' } }, { xid: '', node: '<!channel>' }), catalogLookup));
  const mrkdwn = mrkdwnTexts(renderSlackPayload(msg));
  assert.ok(mrkdwn.every((t) => !t.includes('<!channel>') && !t.includes('<b>')));
  assert.ok(mrkdwn.some((t) => t.includes('&lt;!channel&gt;')));
  assert.ok(mrkdwn.some((t) => t.includes('a &lt;b&gt; &amp; c')));
});

test('label and annotation text cannot format, link or auto-link; the only links are http(s)', () => {
  const hostile = ['*bold*', '~x~', '_it_', '`code`', '<https://evil|click>', 'http://evil.example', 'www.evil.example'];
  const alert = xid79Alert(
    {
      annotations: { summary: `*bold* ~x~ on http://evil.example`, description: 'click <https://evil|click> or www.evil.example, _it_ `code`', runbook_url: 'javascript:alert(1)' },
      generatorURL: 'javascript:alert(2)',
    },
    { node: '*bold*', gpu: '~x~', cluster: '<https://evil|click>', modelName: 'http://evil.example', UUID: '_it_ `code`', pci_bus_id: 'www.evil.example' },
  );
  const payload = renderSlackPayload(buildAlertMessage(enrichAlert(alert, catalogLookup), { externalURL: 'http://am:9093' }));
  assert.deepEqual(slackPayloadProblems(payload), []);
  const mrkdwn = mrkdwnTexts(payload);
  assert.deepEqual(mrkdwn.flatMap(linkTargets), ['http://am:9093/'], 'javascript: runbook and source are not links');
  for (const t of mrkdwn) {
    for (const h of hostile) assert.ok(!t.includes(h), `${JSON.stringify(h)} reaches Slack as markup in ${JSON.stringify(t)}`);
    assert.doesNotMatch(t.replace(/<[^>]*>/g, ''), /:\/\/|www\./, 'a URL outside a link would be auto-linked');
  }
  const seen = mrkdwn.map(visible).join('\n');
  for (const h of [...hostile, 'javascript:alert(1)', 'javascript:alert(2)']) assert.ok(seen.includes(h), `${h} is shown as text`);
  assert.match(seen, /Take the node out of the scheduler .*nodename=\*bold\*/, 'catalog actions with the node filled in too');
});

test("a preset's prose runbook is text under Runbook, not a link; marks inside words stay as they are", () => {
  const prose = presetRunbook('gpu-hardware.yaml', 'GPURowRemapFailure');
  const alert = xid79Alert({ annotations: { summary: 'Row remapping failed on GPU 3 of gpu-node-07', runbook: prose } }, { xid: '', alertname: 'GPURowRemapFailure' });
  const payload = renderSlackPayload(buildAlertMessage(enrichAlert(alert, catalogLookup)));
  assert.deepEqual(slackPayloadProblems(payload), []);
  const mrkdwn = mrkdwnTexts(payload);
  assert.ok(mrkdwn.flatMap(linkTargets).every((url) => /^https?:\/\//.test(url)));
  assert.ok(mrkdwn.includes(`*Runbook*\n${prose}`), 'ROW_REMAPPER is copyable as written');
  assert.match(prose, /^Drain the GPU now, confirm with nvidia-smi -q -d ROW_REMAPPER/);
  const url = renderSlackPayload(buildAlertMessage(enrichAlert(xid79Alert(), catalogLookup)));
  assert.ok(mrkdwnTexts(url).some((t) => t.includes('<https://runbooks.example.internal/xid/79|Runbook>')), 'a runbook URL is still a link');
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
