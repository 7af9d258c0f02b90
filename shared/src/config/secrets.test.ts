import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretStore, secretLookupFromFile, secretsFileStamp, secretsPathFor } from './secrets.ts';
import { ValidationError } from '../errors.ts';

async function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'aami-secrets-'));
}

test('secrets.json sits beside config.yaml', () => {
  assert.equal(secretsPathFor('/var/lib/aami/config.yaml'), '/var/lib/aami/secrets.json');
});

test('set, get, has and delete; the file is a {name: value} object with mode 0600', async () => {
  const store = new SecretStore(join(await freshDir(), 'secrets.json'));
  assert.deepEqual({ ...(await store.read()) }, {}, 'a missing file is an empty store');
  await store.set('slack_webhook', 'https://hooks.slack.example/services/T/B/s3cret');
  await store.set('smtp_password', 'pw-1');
  await store.set('smtp_password', 'pw-2');
  assert.equal(await store.get('slack_webhook'), 'https://hooks.slack.example/services/T/B/s3cret');
  assert.equal(await store.get('smtp_password'), 'pw-2');
  assert.equal(await store.has('nothing'), false);
  assert.equal(await store.get('nothing'), undefined);
  assert.deepEqual(JSON.parse(await readFile(store.path, 'utf8')), { slack_webhook: 'https://hooks.slack.example/services/T/B/s3cret', smtp_password: 'pw-2' });
  assert.equal((await stat(store.path)).mode & 0o777, 0o600);

  assert.equal(await store.delete('smtp_password'), true);
  assert.equal(await store.delete('smtp_password'), false);
  assert.equal(await store.has('smtp_password'), false);
  assert.equal((await stat(store.path)).mode & 0o777, 0o600, 'every rewrite keeps 0600');
  const files = await readdir(join(store.path, '..'));
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');
});

test('a looser file is replaced by a 0600 one on the next write', async () => {
  const dir = await freshDir();
  const path = join(dir, 'secrets.json');
  await writeFile(path, '{"a":"1"}\n', { mode: 0o644 });
  await new SecretStore(path).set('b', '2');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
});

test('a change that changes nothing writes nothing (no empty file appears)', async () => {
  const store = new SecretStore(join(await freshDir(), 'secrets.json'));
  assert.equal(await store.delete('slack_webhook'), false);
  await assert.rejects(stat(store.path), { code: 'ENOENT' });
});

test('20 concurrent sets in one process lose nothing', async () => {
  const store = new SecretStore(join(await freshDir(), 'secrets.json'));
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`s${i}`, `v${i}`)));
  const values = await store.read();
  assert.equal(Object.keys(values).length, 20);
  for (let i = 0; i < 20; i++) assert.equal(values[`s${i}`], `v${i}`);
});

test('names are checked, values must not be empty, and "__proto__" is just a name', async () => {
  const store = new SecretStore(join(await freshDir(), 'secrets.json'));
  await assert.rejects(store.set('bad name', 'x'), ValidationError);
  await assert.rejects(store.set('ok', ''), ValidationError);
  await store.set('__proto__', 'not-a-prototype');
  assert.equal(await store.get('__proto__'), 'not-a-prototype');
  assert.equal(await store.has('constructor'), false, 'inherited keys are not secrets');
});

test('a broken file is an error that names the file and never quotes what it holds', async () => {
  const dir = await freshDir();
  const path = join(dir, 'secrets.json');
  await writeFile(path, '{"slack_webhook": "https://hooks.slack.example/LEAKY-VALUE-91', { mode: 0o600 });
  await assert.rejects(new SecretStore(path).read(), (err: unknown) => err instanceof ValidationError && err.message.includes(path) && !err.message.includes('LEAKY'));
  await writeFile(path, '{"n": 42}');
  await assert.rejects(new SecretStore(path).read(), (err: unknown) => err instanceof ValidationError && /"n" is not a string/.test(err.message));
  const lookup = secretLookupFromFile(path);
  const got = lookup('n');
  assert.ok('missing' in got && /cannot be read/.test(got.missing) && !got.missing.includes('42'));
});

test('the lookup finds stored values and says which secret and file when one is missing', async () => {
  const dir = await freshDir();
  const store = new SecretStore(join(dir, 'secrets.json'));
  await store.set('slack_webhook', 'https://hooks.slack.example/x');
  const lookup = secretLookupFromFile(store.path);
  assert.deepEqual(lookup('slack_webhook'), { value: 'https://hooks.slack.example/x' });
  const missing = lookup('smtp_password');
  assert.ok('missing' in missing);
  assert.match(missing.missing, /secret "smtp_password" is not stored in .*secrets\.json/);
  const noFile = secretLookupFromFile(join(dir, 'absent', 'secrets.json'))('slack_webhook');
  assert.ok('missing' in noFile && /"slack_webhook" is not stored/.test(noFile.missing));
  await mkdir(join(dir, 'dir.json'));
  const unreadable = secretLookupFromFile(join(dir, 'dir.json'))('slack_webhook');
  assert.ok('missing' in unreadable && /cannot be read \(.*EISDIR\)/.test(unreadable.missing));
});

test('the file stamp changes with every write, so readers notice a new value behind the same reference', async () => {
  const store = new SecretStore(join(await freshDir(), 'secrets.json'));
  const none = secretsFileStamp(store.path);
  await store.set('slack_webhook', 'https://a.example/1');
  const first = secretsFileStamp(store.path);
  await store.set('slack_webhook', 'https://a.example/2');
  const second = secretsFileStamp(store.path);
  assert.notEqual(none, first);
  assert.notEqual(first, second);
  assert.equal(secretsFileStamp(store.path), second, 'stable while nothing is written');
});
