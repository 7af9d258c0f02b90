// Attack: find the Slack webhook URL or the SMTP password in plain text where it does not belong
// (issue 12, finding 4). config.yaml is meant to be kept in Git, so a secret typed into the Web UI
// must not land there, nor in any other file of the data folder, nor in the gateway's log. The
// gateway process runs for real (node services/api-gateway/src/main.ts) and is driven through the
// HTTP API the Web UI uses. Only secrets.json, mode 0600, may hold the values.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { makeTempDir, startAamiService, type AamiService } from '../harness/index.ts';

const ADMIN = 'aami_security-test-admin-token-secrets-0123456789';

/** Every plain file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** The files of the data folder (secrets.json excepted) and the gateway's log that contain `marker`. */
async function placesHolding(dataDir: string, gw: AamiService, marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of await filesUnder(dataDir)) {
    if (relative(dataDir, file) === 'secrets.json') continue;
    if ((await readFile(file, 'latin1')).includes(marker)) found.push(relative(dataDir, file));
  }
  if ((await readFile(gw.daemon.logPath, 'latin1')).includes(marker)) found.push('the gateway log');
  return found;
}

function startGateway(dir: string): Promise<AamiService> {
  return startAamiService('api-gateway', 'AAMI_API_PORT', {
    AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_ADMIN_TOKEN: ADMIN,
    AAMI_REDIS_URL: 'redis://127.0.0.1:9', AAMI_PROMETHEUS_URL: 'http://127.0.0.1:9', AAMI_ALERTMANAGER_URL: 'http://127.0.0.1:9',
    // Info level, so the log holds every line the config store writes about secrets.
    AAMI_LOG_LEVEL: 'info',
  });
}

async function call(gw: AamiService, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, text: await res.text() };
}

async function secretsFile(dir: string): Promise<{ mode: number; values: Record<string, string> }> {
  const path = join(dir, 'secrets.json');
  return { mode: (await stat(path)).mode & 0o777, values: JSON.parse(await readFile(path, 'utf8')) as Record<string, string> };
}

describe('a webhook URL and an SMTP password set through the API stay out of config.yaml', () => {
  const slackMarker = `slackmarker${randomUUID().replaceAll('-', '')}`;
  const smtpMarker = `smtpmarker${randomUUID().replaceAll('-', '')}`;
  const webhook = `https://hooks.slack.example/services/T0AAMI/B0AAMI/${slackMarker}`;
  let dir: string;
  let gw: AamiService;
  before(async () => {
    dir = await makeTempDir('security-secrets');
    gw = await startGateway(dir);
  });
  after(() => gw?.stop());

  it('saves both channels, and answers never carry the values', async () => {
    const slack = await call(gw, 'PUT', '/api/v1/notifications/slack', { enabled: true, webhook_url: webhook, channel: '#gpu-alerts' });
    assert.equal(slack.status, 200, slack.text);
    const email = await call(gw, 'PUT', '/api/v1/notifications/email', {
      enabled: true, smtp_host: 'smtp.example.com', smtp_port: 587, tls: 'starttls', from: 'aami@example.com', to: ['ops@example.com'], username: 'aami', password: smtpMarker,
    });
    assert.equal(email.status, 200, email.text);
    for (const answer of [slack, email, await call(gw, 'GET', '/api/v1/notifications/channels'), await call(gw, 'GET', '/api/v1/config')]) {
      assert.ok(!answer.text.includes(slackMarker) && !answer.text.includes(smtpMarker), `an answer holds a secret: ${answer.text}`);
    }
  });

  it('leaves neither value in config.yaml, any other file of the data folder, or the log', async () => {
    assert.deepEqual(await placesHolding(dir, gw, slackMarker), [], 'the webhook URL is written where it must not be');
    assert.deepEqual(await placesHolding(dir, gw, smtpMarker), [], 'the SMTP password is written where it must not be');
    const config = await readFile(join(dir, 'config.yaml'), 'utf8');
    assert.match(config, /webhook_url: \$\{secret:slack_webhook\}/);
    assert.match(config, /password: \$\{secret:smtp_password\}/);
    // The log was written at info level and does speak of the secrets, by field name.
    assert.match(await readFile(gw.daemon.logPath, 'utf8'), /stored new values in secrets\.json.*notifications\.slack\.webhook_url/);
  });

  it('keeps them in secrets.json, mode 0600', async () => {
    const { mode, values } = await secretsFile(dir);
    assert.equal(mode.toString(8), '600');
    assert.equal(values.slack_webhook, webhook);
    assert.equal(values.smtp_password, smtpMarker);
  });
});

describe('a config.yaml that already holds literals is migrated by its first write', () => {
  const slackMarker = `oldslackmarker${randomUUID().replaceAll('-', '')}`;
  const smtpMarker = `oldsmtpmarker${randomUUID().replaceAll('-', '')}`;
  let dir: string;
  let gw: AamiService;
  before(async () => {
    dir = await makeTempDir('security-secrets-migrate');
    // As an AAMI before stored secrets left it.
    await writeFile(join(dir, 'config.yaml'), `revision: 3
cluster:
  name: legacy
notifications:
  slack:
    webhook_url: https://hooks.slack.example/services/T0/B0/${slackMarker}
  email:
    smtp_host: smtp.example.com
    from: aami@example.com
    to: [ops@example.com]
    username: aami
    password: ${smtpMarker}
`);
    gw = await startGateway(dir);
  });
  after(() => gw?.stop());

  it('moves both values to secrets.json on one unrelated write and logs the field names only', async () => {
    const write = await call(gw, 'POST', '/api/v1/nodes', { name: 'gpu-1', ip: '10.0.0.1' });
    assert.equal(write.status, 201, write.text);
    assert.deepEqual(await placesHolding(dir, gw, slackMarker), [], 'the old webhook URL is still written where it must not be');
    assert.deepEqual(await placesHolding(dir, gw, smtpMarker), [], 'the old SMTP password is still written where it must not be');
    const config = await readFile(join(dir, 'config.yaml'), 'utf8');
    assert.match(config, /webhook_url: \$\{secret:slack_webhook\}/);
    assert.match(config, /password: \$\{secret:smtp_password\}/);
    const { mode, values } = await secretsFile(dir);
    assert.equal(mode.toString(8), '600');
    assert.equal(values.slack_webhook, `https://hooks.slack.example/services/T0/B0/${slackMarker}`);
    assert.equal(values.smtp_password, smtpMarker);
    const log = await readFile(gw.daemon.logPath, 'utf8');
    assert.match(log, /held secrets in plain text.*notifications\.slack\.webhook_url -> \$\{secret:slack_webhook\}.*notifications\.email\.password -> \$\{secret:smtp_password\}/);
  });
});
