import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs } from './duration.ts';

test('durations read the way Prometheus reads them', () => {
  assert.equal(durationMs('0s'), 0);
  assert.equal(durationMs('90s'), 90_000);
  assert.equal(durationMs('1h30m'), 5_400_000);
  assert.equal(durationMs('1d12h'), 129_600_000);
  assert.equal(durationMs('2w'), 14 * 86_400_000);
  assert.equal(durationMs('1y'), 365 * 86_400_000);
  assert.equal(durationMs('1m500ms'), 60_500);
  assert.equal(durationMs('250ms'), 250);
});

test('what Prometheus refuses is undefined: no unit, unknown units, units out of order or twice', () => {
  for (const bad of ['', '15', 'h', '1x', '30m1h', '1h1h', '1s1m', '1h 30m', ' 1h', '-1h', '1.5h', '1H']) {
    assert.equal(durationMs(bad), undefined, bad);
  }
});
