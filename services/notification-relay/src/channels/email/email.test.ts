import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { enrichAlert } from '../../domain/enrichment.ts';
import { buildAlertMessage } from '../../domain/message.ts';
import { catalogLookup, presetRunbook, xid79Alert } from '../../domain/testdata/fixtures.ts';
import { freePort } from '../../testing/ports.ts';
import { startSmtpSink } from '../../testing/smtp-sink.ts';
import { testCertificate } from '../../testing/tls.ts';
import { createEmailChannel, type EmailChannelConfig } from './email.ts';
import { renderEmail } from './render.ts';

const never = new AbortController().signal;
const xidMessage = () => buildAlertMessage(enrichAlert(xid79Alert(), catalogLookup), { externalURL: 'http://am:9093' });
const base = (port: number, extra: Partial<EmailChannelConfig> = {}): EmailChannelConfig => ({
  smtp_host: '127.0.0.1',
  smtp_port: port,
  tls: 'none',
  from: 'AAMI <aami@cluster.example>',
  to: ['oncall@example.com', 'gpu-team@example.com'],
  ...extra,
});

test('renders subject, HTML and text with the same facts, HTML-escaped', () => {
  const msg = xidMessage();
  msg.text = 'a <script>alert(1)</script> & b';
  const mail = renderEmail(msg);
  assert.match(mail.subject, /^\[AAMI\] CRITICAL: Xid 79: GPU has fallen off the bus .* on gpu-node-07 GPU 3$/);
  for (const part of [mail.text, mail.html]) {
    assert.match(part, /gpu-node-07/);
    assert.match(part, /GPU-5fb4c3a2-7d1e-4c1b-9e0a-2b7f6a1c9d33/);
    assert.match(part, /Take the node out of the scheduler/);
    assert.match(part, /runbooks\.example\.internal/);
  }
  assert.ok(!mail.html.includes('<script>'));
  assert.match(mail.html, /&lt;script&gt;/);
  assert.match(mail.html, /border-left:6px solid #D7263D/);
});

test('label values are HTML-escaped, a prose runbook is a paragraph and only http(s) URLs are links', () => {
  const prose = presetRunbook('gpu-hardware.yaml', 'GPURowRemapFailure');
  const alert = xid79Alert({ annotations: { summary: '<img src=x onerror=alert(1)>', runbook: prose }, generatorURL: 'javascript:alert(2)' }, { node: '<script>x</script>', cluster: '"><b>c' });
  const mail = renderEmail(buildAlertMessage(enrichAlert(alert, catalogLookup), { externalURL: 'http://am:9093' }));
  assert.doesNotMatch(mail.html, /<script|<img|<b>|"><b/);
  assert.match(mail.html, /&lt;script&gt;x&lt;\/script&gt;/);
  assert.match(mail.html, /&quot;&gt;&lt;b&gt;c/);
  assert.deepEqual([...mail.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]), ['http://am:9093/']);
  assert.match(mail.html, /Source: javascript:alert\(2\)/, 'shown, not linked');
  assert.match(mail.html, new RegExp(`>Runbook</h3><p[^>]*>${prose}</p>`));
  assert.ok(mail.text.includes(`Runbook:\n  ${prose}`));
});

test('delivers over STARTTLS with a login: HTML and text parts arrive', async (t) => {
  const cert = await testCertificate();
  const sink = await startSmtpSink({ tls: 'starttls', username: 'relay', password: 'pw-Secret-123' });
  t.after(() => sink.close());
  const ch = createEmailChannel(base(sink.port, { tls: 'starttls', username: 'relay', password: 'pw-Secret-123' }), { tls: { ca: cert.cert } });
  assert.deepEqual(await ch.send(xidMessage(), never), { ok: true });
  const mail = sink.mails[0];
  assert.ok(mail);
  assert.match(mail.subject ?? '', /fallen off the bus/);
  assert.deepEqual(
    (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((a) => a?.value.map((v) => v.address) ?? []),
    ['oncall@example.com', 'gpu-team@example.com'],
  );
  assert.match(mail.text ?? '', /What to do first:\n {2}1\. Take the node out/);
  assert.match(String(mail.html), /<ol/);
});

test('delivers over implicit TLS', async (t) => {
  const cert = await testCertificate();
  const sink = await startSmtpSink({ tls: 'implicit' });
  t.after(() => sink.close());
  assert.deepEqual(await createEmailChannel(base(sink.port, { tls: 'implicit' }), { tls: { ca: cert.cert } }).send(xidMessage(), never), { ok: true });
  assert.equal(sink.mails.length, 1);
});

test('an untrusted certificate is not accepted', async (t) => {
  const sink = await startSmtpSink({ tls: 'starttls' });
  t.after(() => sink.close());
  const res = await createEmailChannel(base(sink.port, { tls: 'starttls' }), { timeoutMs: 2000 }).send(xidMessage(), never);
  assert.equal(res.ok, false);
  assert.equal(sink.mails.length, 0);
});

test('wrong password is an auth error, not retried', async (t) => {
  const sink = await startSmtpSink({ username: 'relay', password: 'right' });
  t.after(() => sink.close());
  const res = await createEmailChannel(base(sink.port, { username: 'relay', password: 'wrong-password' })).send(xidMessage(), never);
  assert.ok(!res.ok);
  assert.equal(res.retry, false);
  assert.equal(res.reason, 'authError');
});

test('4yz is retried, 5yz is not', async (t) => {
  const sink = await startSmtpSink();
  t.after(() => sink.close());
  const ch = createEmailChannel(base(sink.port));
  sink.rejectNext(1, 451, 'Local error in processing');
  const transient = await ch.send(xidMessage(), never);
  assert.ok(!transient.ok);
  assert.equal(transient.retry, true);
  assert.match(transient.error, /SMTP 451/);
  sink.rejectNext(1, 554, 'Transaction failed');
  const permanent = await ch.send(xidMessage(), never);
  assert.ok(!permanent.ok);
  assert.equal(permanent.retry, false);
  assert.equal(permanent.reason, 'clientError');
});

test('no server and a server that never greets are retried', async (t) => {
  const refused = await createEmailChannel(base(await freePort())).send(xidMessage(), never);
  assert.ok(!refused.ok);
  assert.equal(refused.retry, true);
  assert.equal(refused.reason, 'connection');
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { silent.close(() => r()); (silent as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(); }));
  const addr = silent.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const slow = await createEmailChannel(base(port), { timeoutMs: 200 }).send(xidMessage(), never);
  assert.ok(!slow.ok);
  assert.equal(slow.retry, true);
  assert.equal(slow.reason, 'timeout');
});
