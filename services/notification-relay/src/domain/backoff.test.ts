import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackoffStrategy, RetryableError } from './backoff.ts';

test('grows exponentially between half and full delay, capped', () => {
  const low = createBackoffStrategy({ baseMs: 1000, maxMs: 10_000, random: () => 0 });
  const high = createBackoffStrategy({ baseMs: 1000, maxMs: 10_000, random: () => 0.999999 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => low(n)), [500, 1000, 2000, 4000, 5000, 5000]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => high(n)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.equal(low(10_000), 5000, 'huge attempt counts do not overflow');
});

test("a receiver's Retry-After is a floor", () => {
  const s = createBackoffStrategy({ baseMs: 100, maxMs: 1000, random: () => 0 });
  assert.equal(s(1, 'relay', new RetryableError('429', 7000)), 7000);
  assert.equal(s(1, 'relay', new RetryableError('500')), 50);
  assert.equal(s(1, 'relay', new Error('other')), 50);
});
