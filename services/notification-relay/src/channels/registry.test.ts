// The registry resolves `${secret:name}` from a real secrets.json beside config.yaml, the way the
// relay runs: the file is found from the relay's environment (AAMI_CONFIG), and a message really
// reaches a Slack sink and an SMTP sink with the stored webhook URL and password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, Notifications, SecretStore, createLogger } from '@aami/shared';
import { enrichAlert } from '../domain/enrichment.ts';
import { buildAlertMessage } from '../domain/message.ts';
import { catalogLookup, xid79Alert } from '../domain/testdata/fixtures.ts';
import { startSlackSink } from '../testing/slack-sink.ts';
import { startSmtpSink } from '../testing/smtp-sink.ts';
import { buildChannels, createChannelSource } from './registry.ts';

const never = new AbortController().signal;
const message = () => buildAlertMessage(enrichAlert(xid79Alert(), catalogLookup));
const SMTP_PASSWORD = 'registry-test-smtp-pw-5d2a';

async function dataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'aami-relay-secrets-'));
}

test('${secret:...} references resolve from secrets.json beside AAMI_CONFIG: Slack and email deliver with the stored values', async (t) => {
  const slack = await startSlackSink();
  const smtp = await startSmtpSink({ username: 'relay', password: SMTP_PASSWORD });
  t.after(() => Promise.all([slack.close(), smtp.close()]));
  const dir = await dataDir();
  // Written the way the gateway writes it: literals in, references in config.yaml, values in secrets.json.
  const store = new ConfigStore(join(dir, 'config.yaml'), { logger: createLogger('test', 'error') });
  await store.create({
    notifications: {
      slack: { webhook_url: slack.url, channel: '#gpu' },
      email: { smtp_host: '127.0.0.1', smtp_port: smtp.port, tls: 'none', from: 'aami@example.com', to: ['ops@example.com'], username: '${IT_SMTP_USER}', password: SMTP_PASSWORD },
      routing: { critical: ['slack', 'email'] },
    },
  });
  const { config } = await store.read();
  assert.equal(config.notifications.slack?.webhook_url, '${secret:slack_webhook}');
  assert.equal(config.notifications.email?.password, '${secret:smtp_password}');

  const channels = buildChannels(config.notifications, { env: { AAMI_CONFIG: store.path, IT_SMTP_USER: 'relay' }, timeoutMs: 5000 });
  assert.deepEqual(await channels.get('slack')?.send(message(), never), { ok: true });
  assert.deepEqual(await channels.get('email')?.send(message(), never), { ok: true });
  assert.equal(slack.delivered().length, 1, 'the Slack sink got the message at the stored URL');
  assert.equal(smtp.mails.length, 1, 'the SMTP sink took the stored password');
});

test('an unknown secret makes a channel that fails with a reason naming the field and the secret', async () => {
  const dir = await dataDir();
  await new SecretStore(join(dir, 'secrets.json')).set('other', 'x');
  const cfg = Notifications.parse({ slack: { webhook_url: '${secret:slack_webhook}' }, routing: { critical: ['slack'] } });
  const channels = buildChannels(cfg, { secretsPath: join(dir, 'secrets.json'), env: {} });
  const result = await channels.get('slack')?.send(message(), never);
  assert.ok(result && !result.ok);
  assert.equal(result.reason, 'invalidConfig');
  assert.equal(result.retry, false);
  assert.match(result.error, /^notifications\.slack\.webhook_url: secret "slack_webhook" is not stored in .*secrets\.json/);
});

test('the channel source picks up a new value behind an unchanged reference', async (t) => {
  const first = await startSlackSink();
  const second = await startSlackSink();
  t.after(() => Promise.all([first.close(), second.close()]));
  const dir = await dataDir();
  const secrets = new SecretStore(join(dir, 'secrets.json'));
  await secrets.set('slack_webhook', first.url);
  const cfg = Notifications.parse({ slack: { webhook_url: '${secret:slack_webhook}' }, routing: { critical: ['slack'] } });
  const source = createChannelSource({ get: async () => cfg }, { env: { AAMI_DATA_DIR: dir }, timeoutMs: 5000 });

  assert.deepEqual(await (await source()).get('slack')?.send(message(), never), { ok: true });
  await secrets.set('slack_webhook', second.url);
  assert.deepEqual(await (await source()).get('slack')?.send(message(), never), { ok: true });
  assert.equal(first.delivered().length, 1);
  assert.equal(second.delivered().length, 1, 'the second message went to the new URL');
});
