// End to end through the real parts: an Xid 79 alert posted to a real Alertmanager, which posts
// to the relay (its own process, token in Alertmanager's http_config), which tells a Slack sink
// (checking every request against Slack's payload rules) and a real SMTP server (STARTTLS + login,
// mail parsed with mailparser): one message each, naming the node, the GPU, "fallen off the bus"
// and the first thing to do; then the resolved follow-up, once.
import { test } from 'node:test';
import { rm } from 'node:fs/promises';
import assert from 'node:assert/strict';
import { slackText, startSlackSink } from '@aami/notification-relay/testing/slack-sink';
import { startSmtpSink } from '@aami/notification-relay/testing/smtp-sink';
import { xid79Alert } from '@aami/notification-relay/domain/testdata/fixtures';
import { testCertificate } from '@aami/notification-relay/testing/tls';
import { startAlertmanager } from './harness/index.ts';
import { RELAY_TOKEN, deferrer, startTestRedis, relayApi, relayEnv, startRelayProcess, writeRelayConfig } from './notification-relay-support.ts';

test('Xid 79 via Alertmanager reaches Slack and email once, explained, then resolves once', async (t) => {
    const defer = deferrer(t);
  const redis = await startTestRedis(defer);
  const slack = await startSlackSink();
  defer(() => slack.close());
  const smtp = await startSmtpSink({ tls: 'starttls', username: 'aami', password: 'smtp-pass-2d9c' });
  defer(() => smtp.close());
  const cert = await testCertificate();
  const configPath = await writeRelayConfig(defer, {
    slack: { webhook_url: '${IT_SLACK_WEBHOOK_URL}', channel: '#gpu-alerts' },
    email: { smtp_host: '127.0.0.1', smtp_port: smtp.port, tls: 'starttls', from: 'AAMI <aami@cluster.example>', to: ['oncall@example.com'], username: 'aami', password: '${IT_SMTP_PASSWORD}' },
  });
  const relay = await startRelayProcess(
    defer,
    relayEnv(redis.url, configPath, { IT_SLACK_WEBHOOK_URL: slack.url, IT_SMTP_PASSWORD: 'smtp-pass-2d9c', AAMI_RELAY_SMTP_CA_FILE: cert.certPath }),
  );
  const am = await startAlertmanager(
    [
      'route:',
      '  receiver: aami-relay',
      '  group_by: [alertname, node, gpu]',
      '  group_wait: 100ms',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: aami-relay',
      '    webhook_configs:',
      `      - url: ${relay.url}/alertmanager/webhook`,
      '        send_resolved: true',
      '        http_config:',
      '          authorization:',
      '            type: Bearer',
      `            credentials: ${RELAY_TOKEN}`,
      '',
    ].join('\n'),
  );
  defer(() => rm(am.dir, { recursive: true, force: true }));
  defer(() => am.stop());

  const startsAt = new Date().toISOString();
  // The relay's Xid 79 fixture, as Prometheus would hand it to Alertmanager.
  const { labels, annotations, generatorURL } = xid79Alert();
  const alert = { labels, annotations, generatorURL };
  const postToAm = async (extra: Record<string, string>) => {
    const res = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ ...alert, startsAt, ...extra }]) });
    assert.equal(res.status, 200, await res.text());
  };

  await postToAm({});
  await slack.waitFor((r) => r.length >= 1, 20_000);
  await smtp.waitFor((m) => m.length >= 1, 20_000);

  const firing = slackText(slack.requests[0]?.body);
  assert.deepEqual(slack.problems(), [], 'every request meets Slack payload rules');
  assert.equal((slack.requests[0]?.body as { channel?: string }).channel, '#gpu-alerts');
  assert.match(firing, /CRITICAL: Xid 79: GPU has fallen off the bus .* on gpu-node-07 GPU 3/);
  assert.match(firing, /GPU-5fb4c3a2-7d1e-4c1b-9e0a-2b7f6a1c9d33/);
  assert.match(firing, /NVIDIA H100 80GB HBM3/);
  assert.match(firing, /00000000:9B:00\.0/);
  assert.match(firing, /1\. Take the node out of the scheduler .*nodename=gpu-node-07/);
  assert.match(firing, /runbooks\.example\.internal\/xid\/79/);
  assert.equal((slack.requests[0]?.body as { attachments: Array<{ color: string }> }).attachments[0]?.color, '#D7263D');

  const mail = smtp.mails[0];
  assert.ok(mail);
  assert.match(mail.subject ?? '', /^\[AAMI\] CRITICAL: Xid 79: GPU has fallen off the bus .* on gpu-node-07 GPU 3$/);
  assert.match(mail.text ?? '', /Node: +gpu-node-07/);
  assert.match(mail.text ?? '', /fallen off the bus/);
  assert.match(mail.text ?? '', /1\. Take the node out of the scheduler/);
  assert.match(String(mail.html), /gpu-node-07/);
  assert.match(String(mail.html), /<li>Take the node out of the scheduler/);

  // Resolve it: Alertmanager sends the resolved notification at its next group interval.
  await postToAm({ endsAt: new Date().toISOString() });
  await slack.waitFor((r) => r.length >= 2, 20_000);
  await smtp.waitFor((m) => m.length >= 2, 20_000);
  const resolved = slackText(slack.requests[1]?.body);
  assert.match(resolved, /^RESOLVED: Xid 79: GPU has fallen off the bus .* on gpu-node-07 GPU 3/m);
  assert.equal((slack.requests[1]?.body as { attachments: Array<{ color: string }> }).attachments[0]?.color, '#2EB67D');
  assert.match(smtp.mails[1]?.subject ?? '', /^\[AAMI\] RESOLVED: /);

  // Two more group intervals: nothing else arrives.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(slack.requests.length, 2, 'one firing and one resolved message on Slack');
  assert.equal(smtp.mails.length, 2, 'one firing and one resolved mail');
  assert.deepEqual(slack.problems(), []);
  const status = await relayApi<{ channels: Record<string, { sent: number; dead_lettered: number; queued: number }> }>(relay.url, '/status');
  assert.equal(status.body.channels.slack?.sent, 2);
  assert.equal(status.body.channels.email?.sent, 2);
  assert.equal(status.body.channels.slack?.dead_lettered, 0);
});
