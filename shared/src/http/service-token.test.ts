import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServiceToken, requireServiceToken, serviceTokenFile } from './service-token.ts';

test('the token comes from AAMI_SERVICE_TOKEN, else a file that the first caller makes (0600) and later ones read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-service-token-'));
  assert.deepEqual(loadServiceToken({ AAMI_SERVICE_TOKEN: ' from-the-environment-0123 ', AAMI_DATA_DIR: dir }), { token: 'from-the-environment-0123', source: 'env' });
  assert.throws(() => loadServiceToken({ AAMI_SERVICE_TOKEN: 'short' }), /shorter than 16/);
  const env = { AAMI_DATA_DIR: dir };
  assert.equal(serviceTokenFile(env), join(dir, 'secrets', 'service-token'));
  const first = loadServiceToken(env);
  assert.equal(first.source, 'created');
  assert.equal((await stat(first.file!)).mode & 0o777, 0o600);
  const again = [loadServiceToken(env), loadServiceToken(env)];
  assert.deepEqual(again.map((t) => [t.token, t.source]), [[first.token, 'file'], [first.token, 'file']]);
  assert.equal((await readFile(first.file!, 'utf8')).trim(), first.token);
  const other = join(dir, 'elsewhere', 'token');
  await mkdir(join(dir, 'elsewhere'));
  await writeFile(other, 'tiny\n');
  assert.throws(() => loadServiceToken({ AAMI_SERVICE_TOKEN_FILE: other }), /shorter than 16 characters: delete the file/);
});

test('the middleware wants the bearer token, then JSON for writes', () => {
  const check = requireServiceToken('the-service-token-0123456789', 'install-worker');
  const run = (method: string, headers: Record<string, string>) => {
    let got: unknown = 'not called';
    const set: Record<string, string> = {};
    check({ method, headers }, { setHeader: (n, v) => { set[n] = v; } }, (err) => { got = err; });
    return { err: got as { status?: number; message?: string } | undefined, set };
  };
  const anonymous = run('GET', {});
  assert.equal(anonymous.err?.status, 401);
  assert.match(anonymous.err?.message ?? '', /install-worker is an internal AAMI API/);
  assert.match(anonymous.set['WWW-Authenticate'] ?? '', /aami-install-worker/);
  assert.equal(run('GET', { authorization: 'Bearer the-service-token-012345678' }).err?.status, 401);
  assert.equal(run('GET', { authorization: 'Basic dGhlLXNlcnZpY2UtdG9rZW4tMDEyMzQ1Njc4OQ==' }).err?.status, 401);
  assert.equal(run('GET', { authorization: 'Bearer the-service-token-0123456789' }).err, undefined);
  const auth = { authorization: 'bearer the-service-token-0123456789' };
  assert.equal(run('POST', auth).err?.status, 415);
  assert.equal(run('POST', { ...auth, 'content-type': 'text/plain' }).err?.status, 415);
  assert.equal(run('DELETE', { ...auth, 'content-type': 'application/jsonp' }).err?.status, 415);
  assert.equal(run('POST', { ...auth, 'content-type': 'application/json; charset=utf-8' }).err, undefined);
});
