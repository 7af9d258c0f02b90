import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactRedisUrl, redisConnectionOptions } from './redis.ts';
import { loadSettings } from './settings.ts';

test('a bare URL: host and port, nothing else (6379 by default)', () => {
  assert.deepEqual(redisConnectionOptions('redis://127.0.0.1:6380'), { host: '127.0.0.1', port: 6380 });
  assert.deepEqual(redisConnectionOptions('redis://redis'), { host: 'redis', port: 6379 });
  assert.deepEqual(redisConnectionOptions('redis://redis/'), { host: 'redis', port: 6379 });
});

test('user, password and db index are all honoured, user and password URL-decoded', () => {
  assert.deepEqual(redisConnectionOptions('redis://aami:p%40ss%3Aw%2Frd%25@redis:6379/3'), {
    host: 'redis', port: 6379, username: 'aami', password: 'p@ss:w/rd%', db: 3,
  });
  // Password only: ioredis then authenticates as the default user.
  assert.deepEqual(redisConnectionOptions('redis://:secret@redis'), { host: 'redis', port: 6379, password: 'secret' });
  assert.equal(redisConnectionOptions('redis://redis/0').db, 0);
  assert.equal(redisConnectionOptions('redis://redis/42').db, 42, 'a server with `databases 64` has db 42');
});

test('rediss:// asks for TLS; an IPv6 literal loses its brackets', () => {
  assert.deepEqual(redisConnectionOptions('rediss://aami:pw@redis.example:6380/1'), {
    host: 'redis.example', port: 6380, username: 'aami', password: 'pw', db: 1, tls: {},
  });
  assert.equal(redisConnectionOptions('redis://[::1]:6379').host, '::1');
});

test('the password loadSettings folds into AAMI_REDIS_URL comes back out unchanged', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-redis-'));
  const file = join(dir, 'redis-password');
  const password = 'Zx9/+=@:%?#&ü pw';
  await writeFile(file, `${password}\n`);
  const s = loadSettings({ AAMI_REDIS_URL: 'redis://redis:6379/3', AAMI_REDIS_USERNAME: 'aami', AAMI_REDIS_PASSWORD_FILE: file });
  assert.deepEqual(redisConnectionOptions(s.AAMI_REDIS_URL), { host: 'redis', port: 6379, username: 'aami', password, db: 3 });
  assert.equal(redactRedisUrl(s.AAMI_REDIS_URL), 'redis://aami:***@redis:6379/3');
});

test('a bad URL is an error naming AAMI_REDIS_URL that never shows the password', () => {
  const cases: Array<[string, RegExp]> = [
    ['not a url with hunter2', /AAMI_REDIS_URL is not a URL/],
    ['http://aami:hunter2@redis:6379', /AAMI_REDIS_URL must start with redis:\/\/ or rediss:\/\/, not http:\/\//],
    ['redis://aami:hunter2@redis:6379/db3', /AAMI_REDIS_URL path must be a database number such as \/0, not \/db3/],
    ['redis://aami:hunter2@redis:6379/-1', /database number/],
    ['redis://aami:hunter2@redis:6379/1.5', /database number/],
    ['redis://aami:hunter2@redis:6379/3/', /database number/],
    ['redis://aami:hunter2@redis:6379?password=hunter2', /may not have a query/],
    ['redis://aami:hunter2%ZZ@redis:6379', /broken %-escape in the password/],
    ['redis://:6379', /AAMI_REDIS_URL (has no host|is not a URL)/],
  ];
  for (const [url, message] of cases) {
    assert.throws(() => redisConnectionOptions(url), (err: Error) => {
      assert.match(err.message, message, url);
      assert.doesNotMatch(err.message, /hunter2/, url);
      assert.match(err.message, /redis\[s\]:\/\/\[user:password@\]host\[:port\]\[\/db\]/, 'says the expected form');
      return true;
    });
  }
});

test('redactRedisUrl keeps user, host, port and db and replaces the password', () => {
  assert.equal(redactRedisUrl('redis://aami:hunter2@redis:6379/3'), 'redis://aami:***@redis:6379/3');
  assert.equal(redactRedisUrl('rediss://aami:hunter2@redis.example:6380'), 'rediss://aami:***@redis.example:6380');
  assert.equal(redactRedisUrl('redis://:hunter2@redis'), 'redis://:***@redis:6379');
  assert.equal(redactRedisUrl('redis://aami@redis/1'), 'redis://aami@redis:6379/1');
  assert.equal(redactRedisUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  // ioredis reads ?password= from the query, so the query never shows either.
  assert.equal(redactRedisUrl('redis://redis:6379?password=hunter2'), 'redis://redis:6379');
  assert.equal(redactRedisUrl('hunter2 is not a url'), '(invalid AAMI_REDIS_URL)');
});
