import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, NotFoundError, NotificationChannelsResponse, ValidationError } from '@aami/shared';
import { notificationsDomain } from './notifications.ts';
import { FakeCompileQueue, FakeConfigStore } from './test-fakes.ts';

const WEBHOOK = 'https://hooks.slack.example/services/T0/B0/very-secret-path';
const EMAIL = { smtp_host: 'mail.example.com', from: 'aami@example.com', to: ['ops@example.com'], password: 'smtp-pass-7f3e' };

/** An email channel with a password in it (revision 1), no Slack channel, the secret `stored_hook` held. */
function setup() {
  const store = new FakeConfigStore({ notifications: { email: EMAIL } });
  store.secretNames.add('stored_hook');
  const compile = new FakeCompileQueue();
  return { store, compile, notifications: notificationsDomain({ store, compile }) };
}

function assertNothingWritten(s: ReturnType<typeof setup>): void {
  assert.equal(s.store.writes, 0);
  assert.equal(s.store.revision, 1);
  assert.deepEqual(s.compile.jobs, []);
}

/** The view parses with the shared answer schema and holds no secret. */
function checkedView(view: unknown): NotificationChannelsResponse {
  const text = JSON.stringify(view);
  assert.ok(!text.includes('very-secret-path') && !text.includes('smtp-pass-7f3e'), `no secret in ${text}`);
  return NotificationChannelsResponse.parse(view);
}

test('the channels view redacts the password and shows routing', async () => {
  const s = setup();
  const view = checkedView(await s.notifications.channels());
  assert.equal(view.revision, 1);
  assert.equal(view.slack, null);
  assert.equal(view.email?.password, '<redacted>');
  assert.deepEqual(view.routing, { critical: ['slack', 'email'], warning: ['slack'], info: [] });
});

test('a Slack channel is created with its webhook, then edited without resending it; each write queues one compile', async () => {
  const s = setup();
  const created = checkedView(await s.notifications.editSlack({ webhook_url: WEBHOOK, channel: '#gpu' }, 1));
  assert.equal(created.slack?.webhook_url, '<redacted>');
  assert.equal(created.revision, 2);
  const edited = checkedView(await s.notifications.editSlack({ channel: '#gpu-alerts' }, 2));
  assert.equal(edited.slack?.channel, '#gpu-alerts');
  assert.equal(s.store.config.notifications.slack?.webhook_url, WEBHOOK, 'the webhook left out of the edit is kept');
  assert.deepEqual(s.compile.jobs, [{ reason: 'slack channel changed', revision: 2 }, { reason: 'slack channel changed', revision: 3 }]);
});

test('a Slack channel without a webhook URL, or a reference to a secret not stored, is refused naming the field and writes nothing', async () => {
  const s = setup();
  const missing = await s.notifications.editSlack({ channel: '#gpu' }, undefined).catch((e: unknown) => e);
  assert.ok(missing instanceof ValidationError);
  assert.deepEqual(missing.details, [{ path: 'webhook_url', message: 'required' }]);
  const unknown = await s.notifications.editSlack({ webhook_url: '${secret:no_such_secret}' }, undefined).catch((e: unknown) => e);
  assert.ok(unknown instanceof ValidationError);
  assert.equal(unknown.details[0]?.path, 'webhook_url');
  assert.match(unknown.details[0]?.message ?? '', /no_such_secret/);
  const password = await s.notifications.editEmail({ password: '${secret:no_such_secret}' }, undefined).catch((e: unknown) => e);
  assert.ok(password instanceof ValidationError);
  assert.equal(password.details[0]?.path, 'password');
  assertNothingWritten(s);
  assert.equal(s.store.config.notifications.email?.password, EMAIL.password, 'a refused edit keeps the stored password');
});

test('a reference to a stored secret, or to a variable, is written as sent', async () => {
  const s = setup();
  const view = checkedView(await s.notifications.editSlack({ webhook_url: '${secret:stored_hook}' }, undefined));
  assert.equal(view.slack?.webhook_url, '<redacted>');
  assert.equal(s.store.config.notifications.slack?.webhook_url, '${secret:stored_hook}');
  const env = checkedView(await s.notifications.editSlack({ webhook_url: '${SLACK_WEBHOOK_URL}' }, undefined));
  assert.equal(env.slack?.webhook_url, '${SLACK_WEBHOOK_URL}', 'a variable name is no secret');
});

test('an email edit merges into the stored channel; a bad merged channel names the config path', async () => {
  const s = setup();
  const view = checkedView(await s.notifications.editEmail({ to: ['a@example.com', 'b@example.com'] }, 1));
  assert.deepEqual(view.email?.to, ['a@example.com', 'b@example.com']);
  assert.equal(s.store.config.notifications.email?.password, EMAIL.password, 'the password left out is kept');
  const bad = await s.notifications.editEmail({ to: [] }, undefined).catch((e: unknown) => e);
  assert.ok(bad instanceof ValidationError);
  assert.deepEqual(bad.details.map((d) => d.path), ['notifications.email.to']);
  assert.equal(s.store.writes, 1);
  assert.deepEqual(s.compile.jobs, [{ reason: 'email channel changed', revision: 2 }]);
});

test('a routing edit changes only the severities given and recompiles', async () => {
  const s = setup();
  const view = checkedView(await s.notifications.editRouting({ warning: ['slack', 'email'] }, undefined));
  assert.deepEqual(view.routing, { critical: ['slack', 'email'], warning: ['slack', 'email'], info: [] });
  assert.deepEqual(s.compile.jobs, [{ reason: 'routing changed', revision: 2 }]);
});

test('removing a channel drops it and recompiles; one not set up is a NotFoundError and writes nothing', async () => {
  const s = setup();
  await assert.rejects(s.notifications.removeChannel('slack', undefined), (e) => e instanceof NotFoundError && /no slack channel/.test(e.message));
  assertNothingWritten(s);
  const view = checkedView(await s.notifications.removeChannel('email', 1));
  assert.equal(view.email, null);
  assert.equal(s.store.config.notifications.email, undefined);
  assert.deepEqual(s.compile.jobs, [{ reason: 'email channel removed', revision: 2 }]);
});

test('a stale expected revision is a ConflictError on every write, and writes nothing', async () => {
  const s = setup();
  await assert.rejects(s.notifications.editSlack({ webhook_url: WEBHOOK }, 0), ConflictError);
  await assert.rejects(s.notifications.editEmail({ smtp_port: 25 }, 0), ConflictError);
  await assert.rejects(s.notifications.editRouting({ info: ['email'] }, 0), ConflictError);
  await assert.rejects(s.notifications.removeChannel('email', 0), ConflictError);
  assertNothingWritten(s);
});
