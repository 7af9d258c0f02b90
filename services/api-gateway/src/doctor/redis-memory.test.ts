import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakeSources } from './fake-sources.ts';
import { redisMemoryCheck } from './redis-memory.ts';

const MiB = 1024 ** 2;
const relay = (used?: number, max?: number) => async () => [
  '# HELP aami_relay_redis_memory_used_bytes ...',
  used !== undefined ? `aami_relay_redis_memory_used_bytes ${used}` : '',
  max !== undefined ? `aami_relay_redis_memory_max_bytes ${max}` : '',
].join('\n');

describe('redis-memory check', () => {
  it('is ok below 80 %, a warning from 80 %, critical from 95 %', async () => {
    const run = async (used: number) => (await redisMemoryCheck(fakeSources({ relayMetrics: relay(used, 400 * MiB) })).run())[0];
    assert.deepEqual([(await run(100 * MiB))?.severity, (await run(100 * MiB))?.message], ['ok', 'Redis uses 100 MiB of its 400 MiB limit (25 %)']);
    assert.equal((await run(330 * MiB))?.severity, 'warning');
    const full = await run(390 * MiB);
    assert.equal(full?.severity, 'critical');
    assert.match(full?.fix ?? '', /AAMI_REDIS_MAXMEMORY/);
  });

  it('says when Redis has no limit, or the relay could not read it', async () => {
    const unlimited = await redisMemoryCheck(fakeSources({ relayMetrics: relay(5 * MiB, 0) })).run();
    assert.deepEqual(unlimited.map((x) => x.severity), ['ok']);
    assert.match(unlimited[0]?.message ?? '', /no maxmemory/);
    assert.deepEqual((await redisMemoryCheck(fakeSources({ relayMetrics: relay() })).run()).map((x) => x.severity), ['warning']);
    assert.deepEqual((await redisMemoryCheck(fakeSources()).run()).map((x) => x.severity), ['critical']);
  });
});
