import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@aami/shared';
import { createCompileTrigger } from './compile-trigger.ts';

test('with Redis unreachable a compile request reports "not queued" at once instead of hanging', async () => {
  const trigger = createCompileTrigger('redis://127.0.0.1:1', createLogger('test', 'error'));
  const t0 = Date.now();
  const res = await trigger.request({ reason: 'test', revision: 1 });
  assert.equal(res.queued, false);
  assert.ok(Date.now() - t0 < 1500, 'answered without waiting for Redis');
  await trigger.close();
});
