// The Redis credentials aami-init makes must not cost durability. Redis 7.0 replays its
// append-only file as the default user: with that user's permissions taken away, every write a Lua
// script made (every BullMQ job: a queued notification, an install run) vanished at the next
// restart while the log said CRITICAL. Real redis-server on the ACL file ensureCredentials writes,
// real BullMQ, a hard restart in between.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger, redisConnectionOptions } from '@aami/shared';
import { makeTempDir, startRedis, type RedisServer } from '../harness/index.ts';
import { CREDENTIAL_FILES, ensureCredentials } from '../../../services/api-gateway/src/bootstrap/credentials.ts';

describe("Redis on aami-init's ACL keeps queued jobs across a restart", () => {
  let redis: RedisServer;
  before(async () => {
    const secrets = join(await makeTempDir('redis-acl'), 'secrets');
    await ensureCredentials({ secretsDir: secrets, log: createLogger('test', 'error'), chown: false });
    const password = (await readFile(join(secrets, CREDENTIAL_FILES.redisPassword), 'utf8')).trim();
    redis = await startRedis({ password, aclFile: join(secrets, CREDENTIAL_FILES.redisAcl) });
  });
  after(() => redis?.stop());

  it('refuses a caller without the password, and a job queued before a crash is there after it', async () => {
    const anonymous = new Redis(redis.bareUrl, { enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    anonymous.on('error', () => {});
    try {
      await assert.rejects(anonymous.set('x', '1'), /NOAUTH/);
    } finally {
      anonymous.disconnect();
    }

    const connection = { ...redisConnectionOptions(redis.url), maxRetriesPerRequest: null };
    const queue = new Queue('notify-slack', { connection });
    await queue.add('alert', { marker: 'before-the-crash' }, { jobId: 'job-1', attempts: 30, delay: 60_000 });
    await queue.add('alert', { marker: 'waiting' }, { jobId: 'job-2' });
    await queue.close();
    await redis.restart(true); // kill -9, then start on the same data
    const after = new Queue('notify-slack', { connection });
    try {
      const counts = await after.getJobCounts('delayed', 'waiting');
      assert.deepEqual(counts, { delayed: 1, waiting: 1 }, 'both jobs survived the restart');
      assert.equal((await after.getJob('job-1'))?.data.marker, 'before-the-crash');
    } finally {
      await after.close();
    }
  });
});
