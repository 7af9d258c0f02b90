import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { createLogger } from '@aami/shared';
import { CREDENTIAL_FILES, ensureCredentials } from './credentials.ts';

const log = createLogger('test', 'error');
const read = async (dir: string, name: string) => (await readFile(join(dir, name), 'utf8')).trim();
const mode = async (dir: string, name: string) => (await stat(join(dir, name))).mode & 0o777;

test('a fresh folder gets every credential once; secrets are 0600, the files other programs read hold only hashes', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'aami-creds-')), 'secrets');
  const first = await ensureCredentials({ secretsDir: dir, log, chown: false });
  assert.deepEqual(new Set(first.created), new Set(Object.values(CREDENTIAL_FILES)));
  assert.match(first.grafanaAdminPassword ?? '', /^[0-9a-f]{48}$/);
  for (const name of [CREDENTIAL_FILES.serviceToken, CREDENTIAL_FILES.redisPassword, CREDENTIAL_FILES.prometheusPassword, CREDENTIAL_FILES.alertmanagerPassword, CREDENTIAL_FILES.grafanaAdminPassword, CREDENTIAL_FILES.grafanaPrometheusPassword, CREDENTIAL_FILES.grafanaAlertmanagerPassword]) {
    assert.equal(await mode(dir, name), 0o600, name);
  }
  const redis = await read(dir, CREDENTIAL_FILES.redisPassword);
  const acl = await read(dir, CREDENTIAL_FILES.redisAcl);
  assert.equal(acl, `user default off ~* &* +@all\nuser aami on #${createHash('sha256').update(redis).digest('hex')} ~* &* +@all`);
  assert.ok(!acl.includes(redis), 'the ACL file holds the hash, not the password');
  const prom = await read(dir, CREDENTIAL_FILES.prometheusPassword);
  const web = await read(dir, CREDENTIAL_FILES.prometheusWebConfig);
  assert.ok(!web.includes(prom));
  assert.ok(bcrypt.compareSync(prom, /aami: (\S+)/.exec(web)![1]!), 'the web config checks the password');
  assert.equal(await read(dir, CREDENTIAL_FILES.grafanaPrometheusPassword), prom);
  assert.equal(await read(dir, CREDENTIAL_FILES.grafanaAlertmanagerPassword), await read(dir, CREDENTIAL_FILES.alertmanagerPassword));
  assert.notEqual(await read(dir, CREDENTIAL_FILES.alertmanagerPassword), prom);

  const again = await ensureCredentials({ secretsDir: dir, log, chown: false });
  assert.deepEqual(again, { created: [] }, 'a restart keeps every credential and shows nothing');
  assert.equal(await read(dir, CREDENTIAL_FILES.redisPassword), redis);
  assert.equal(await read(dir, CREDENTIAL_FILES.prometheusWebConfig), web, 'the hash is not remade');
});

test('deleting a password rotates it and the hashes made from it; the operator\'s Grafana password is kept, not shown', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'aami-creds-')), 'secrets');
  await ensureCredentials({ secretsDir: dir, log, chown: false, grafanaAdminPassword: 'operators-choice' });
  assert.equal(await read(dir, CREDENTIAL_FILES.grafanaAdminPassword), 'operators-choice');
  const oldAcl = await read(dir, CREDENTIAL_FILES.redisAcl);
  const oldWeb = await read(dir, CREDENTIAL_FILES.alertmanagerWebConfig);
  await rm(join(dir, CREDENTIAL_FILES.redisPassword));
  await rm(join(dir, CREDENTIAL_FILES.alertmanagerPassword));
  const rotated = await ensureCredentials({ secretsDir: dir, log, chown: false, grafanaAdminPassword: 'operators-choice' });
  assert.deepEqual(new Set(rotated.created), new Set([CREDENTIAL_FILES.redisPassword, CREDENTIAL_FILES.redisAcl, CREDENTIAL_FILES.alertmanagerPassword, CREDENTIAL_FILES.alertmanagerWebConfig, CREDENTIAL_FILES.grafanaAlertmanagerPassword]));
  assert.equal(rotated.grafanaAdminPassword, undefined);
  assert.notEqual(await read(dir, CREDENTIAL_FILES.redisAcl), oldAcl);
  assert.notEqual(await read(dir, CREDENTIAL_FILES.alertmanagerWebConfig), oldWeb);
  assert.ok(bcrypt.compareSync(await read(dir, CREDENTIAL_FILES.alertmanagerPassword), /aami: (\S+)/.exec(await read(dir, CREDENTIAL_FILES.alertmanagerWebConfig))![1]!));
  // With a password file of the operator's own, AAMI makes none for Grafana.
  const own = join(await mkdtemp(join(tmpdir(), 'aami-creds-')), 'secrets');
  await ensureCredentials({ secretsDir: own, log, chown: false, grafanaAdminPasswordFile: '/run/secrets/aami/grafana-admin-password' });
  assert.ok(!(await readdir(own)).includes(CREDENTIAL_FILES.grafanaAdminPassword));
});
