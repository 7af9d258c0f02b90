import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandEnv, expandReferences } from './env.ts';
import type { SecretLookup } from './secrets.ts';
import { ValidationError } from '../errors.ts';

const stored = (values: Record<string, string>): SecretLookup => (name) =>
  Object.hasOwn(values, name) ? { value: values[name] as string } : { missing: `secret "${name}" is not stored in /data/secrets.json` };

const config = {
  slack: { webhook_url: '${secret:slack_webhook}', channel: '#gpu' },
  email: { smtp_host: 'smtp.example.com', username: '${SMTP_USER}', password: '${secret:smtp_password}', to: ['${ONCALL}'] },
};

test('${secret:name} and ${VAR} are resolved side by side, in a copy', () => {
  const out = expandReferences(config, {
    env: { SMTP_USER: 'aami', ONCALL: 'oncall@example.com' },
    secrets: stored({ slack_webhook: 'https://hooks.slack.example/T/B/x', smtp_password: 'pw' }),
  });
  assert.deepEqual(out, {
    slack: { webhook_url: 'https://hooks.slack.example/T/B/x', channel: '#gpu' },
    email: { smtp_host: 'smtp.example.com', username: 'aami', password: 'pw', to: ['oncall@example.com'] },
  });
  assert.equal(config.slack.webhook_url, '${secret:slack_webhook}', 'the input is untouched');
});

test('a value is expanded once: a secret or variable that itself looks like a reference stays as it is', () => {
  const out = expandReferences({ a: '${secret:s}', b: '${V}' }, { env: { V: '${secret:s}' }, secrets: stored({ s: '${V}' }) });
  assert.deepEqual(out, { a: '${V}', b: '${secret:s}' });
});

test('an unknown secret is an error naming the field and the secret, with unset variables listed too', () => {
  assert.throws(
    () => expandReferences(config, { env: { SMTP_USER: 'aami' }, secrets: stored({ smtp_password: 'pw' }) }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.details, [
        { path: 'slack.webhook_url', message: 'secret "slack_webhook" is not stored in /data/secrets.json' },
        { path: 'email.to[0]', message: 'environment variable ONCALL is not set' },
      ]);
      assert.match(err.message, /unknown secrets and unset environment variables/);
      return true;
    },
  );
});

test('expandEnv works as before: ${VAR} expanded, ${secret:name} left as written, unset variables named', () => {
  assert.deepEqual(expandEnv({ u: '${SMTP_USER}', p: '${secret:smtp_password}', mixed: 'a-${SMTP_USER}-b' }, { SMTP_USER: 'aami' }), { u: 'aami', p: '${secret:smtp_password}', mixed: 'a-aami-b' });
  assert.throws(
    () => expandEnv({ slack: { webhook_url: '${SLACK_URL}' } }, {}),
    (err: unknown) => err instanceof ValidationError && err.message === 'config refers to unset environment variables'
      && err.details[0]?.path === 'slack.webhook_url' && err.details[0]?.message === 'environment variable SLACK_URL is not set',
  );
});
