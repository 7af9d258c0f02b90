import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@aami/shared';
import { presentedToken } from './auth.ts';
import { loadRelaySettings, loadRelayToken } from './settings.ts';

test('defaults: port 8081, 30 tries, storms over 10 per minute; the dedup window is not an environment setting', () => {
  const s = loadRelaySettings({ AAMI_RELAY_TOKEN: 'abc', AAMI_DATA_DIR: '/var/lib/aami' });
  assert.equal(s.port, 8081);
  assert.equal(s.shared.AAMI_BIND, '127.0.0.1');
  assert.equal(s.shared.configPath, '/var/lib/aami/config.yaml');
  assert.equal(s.attempts, 30);
  assert.equal('dedupTtlMs' in s, false, 'it follows config.yaml notifications.repeat');
  assert.deepEqual([s.stormThreshold, s.stormWindowMs], [10, 60_000]);
  assert.equal(s.workers, true);
});

test('the token comes from AAMI_RELAY_TOKEN or the file AAMI_RELAY_TOKEN_FILE names; none is an error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), '  from-file-token\n');
  assert.deepEqual(loadRelayToken({ AAMI_RELAY_TOKEN: 'direct' }), { token: 'direct' });
  assert.deepEqual(loadRelayToken({ AAMI_RELAY_TOKEN_FILE: join(dir, 'token') }), { token: 'from-file-token' });
  assert.throws(() => loadRelayToken({}), /set AAMI_RELAY_TOKEN or AAMI_RELAY_TOKEN_FILE/);
  writeFileSync(join(dir, 'empty'), '\n');
  assert.throws(() => loadRelayToken({ AAMI_RELAY_TOKEN_FILE: join(dir, 'empty') }), /is empty/);
});

test('a missing token file is created once with a random token that Alertmanager can read', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'secrets', 'relay-token');
  const first = loadRelayToken({ AAMI_RELAY_TOKEN_FILE: file });
  assert.equal(first.created, file);
  assert.match(first.token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(statSync(file).mode & 0o777, 0o644 & ~process.umask());
  assert.deepEqual(loadRelayToken({ AAMI_RELAY_TOKEN_FILE: file }), { token: first.token }, 'the next start reads it');
  assert.equal(readFileSync(file, 'utf8'), `${first.token}\n`);
});

test('a bad value is an error naming the variable', () => {
  assert.throws(
    () => loadRelaySettings({ AAMI_RELAY_TOKEN: 'x', AAMI_RELAY_STORM_THRESHOLD: 'lots' }),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'AAMI_RELAY_STORM_THRESHOLD'),
  );
});

test('intake caps: 20,000 alerts and 60 per alert a minute by default, 0 turns one off, a bad value names the variable', () => {
  const env = { AAMI_RELAY_TOKEN: 'abc', AAMI_SERVICE_TOKEN: 'service-token-for-tests-0123' };
  const s = loadRelaySettings(env);
  assert.deepEqual([s.intakePerWindow, s.intakePerFingerprint, s.intakeWindowMs], [20_000, 60, 60_000]);
  assert.ok(s.intakePerWindow >= 10_000, "Alertmanager's largest batch must fit a fresh window");
  const t = loadRelaySettings({ ...env, AAMI_RELAY_INTAKE_PER_MINUTE: '0', AAMI_RELAY_INTAKE_PER_FINGERPRINT_PER_MINUTE: '5', AAMI_RELAY_INTAKE_WINDOW_MS: '2000' });
  assert.deepEqual([t.intakePerWindow, t.intakePerFingerprint, t.intakeWindowMs], [0, 5, 2000]);
  for (const [name, value] of [['AAMI_RELAY_INTAKE_PER_MINUTE', '-1'], ['AAMI_RELAY_INTAKE_PER_FINGERPRINT_PER_MINUTE', 'many'], ['AAMI_RELAY_INTAKE_WINDOW_MS', '0']] as const) {
    assert.throws(
      () => loadRelaySettings({ ...env, [name]: value }),
      (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === name),
      name,
    );
  }
});

test('credentials are read from bearer and basic auth headers', () => {
  assert.equal(presentedToken('Bearer abc'), 'abc');
  assert.equal(presentedToken('bearer abc'), 'abc');
  assert.equal(presentedToken(`Basic ${Buffer.from('alertmanager:s3:cret').toString('base64')}`), 's3:cret');
  assert.equal(presentedToken(`Basic ${Buffer.from('nocolon').toString('base64')}`), undefined);
  assert.equal(presentedToken('Digest x'), undefined);
  assert.equal(presentedToken(undefined), undefined);
  assert.equal(presentedToken('Bearer'), undefined);
});
