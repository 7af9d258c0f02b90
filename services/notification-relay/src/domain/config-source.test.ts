import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Notifications, type Logger } from '@aami/shared';
import { createConfigSource } from './config-source.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

test('caches for ttl, then re-reads; a broken file keeps the last good config', async () => {
  let t = 0;
  let reads = 0;
  let broken = false;
  const store = {
    async read() {
      reads++;
      if (broken) throw new Error('config.yaml is not valid YAML');
      return { config: { notifications: Notifications.parse({ slack: { webhook_url: `https://h.test/${reads}` } }) } };
    },
  };
  const src = createConfigSource(store, { ttlMs: 1000, logger: quiet, now: () => t });
  assert.equal((await src.get()).slack?.webhook_url, 'https://h.test/1');
  t = 500;
  assert.equal((await src.get()).slack?.webhook_url, 'https://h.test/1');
  t = 1500;
  assert.equal((await src.get()).slack?.webhook_url, 'https://h.test/2');
  broken = true;
  t = 3000;
  assert.equal((await src.get()).slack?.webhook_url, 'https://h.test/2');
  assert.equal(reads, 3);
});

test('no config at all is an error (the job retries later)', async () => {
  const src = createConfigSource({ read: () => Promise.reject(new Error('no config at /x')) }, { ttlMs: 1000, logger: quiet });
  await assert.rejects(src.get(), /cannot read config: no config at \/x/);
});
