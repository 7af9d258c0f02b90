import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Notifications } from '@aami/shared';
import { FIXED_DEDUP_TTL_MS, dedupLifetimeMs, firingLifetimeMs, routeSeverity } from './dedup-lifetime.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const firing = (severity?: string): { status: 'firing' | 'resolved'; labels: Record<string, string> } => ({
  status: 'firing',
  labels: severity === undefined ? { alertname: 'X' } : { alertname: 'X', severity },
});
const defaults = Notifications.parse({}).repeat;

test('with the default repeat intervals a firing state counts as delivered for the repeat minus group_interval and a minute', () => {
  assert.equal(dedupLifetimeMs(firing('critical'), defaults), HOUR - 2 * MIN, 'critical: 1h repeat, 1m group_interval');
  assert.equal(dedupLifetimeMs(firing('warning'), defaults), 4 * HOUR - 6 * MIN, 'warning: 4h repeat, 5m group_interval');
  assert.equal(dedupLifetimeMs(firing('info'), defaults), 24 * HOUR - 11 * MIN, 'info: 24h repeat, 10m group_interval');
});

test('the repeat interval of notifications.repeat decides; resolved states keep the fixed lifetime', () => {
  const repeat = Notifications.parse({ repeat: { critical: '15m', warning: '1h', info: '2d' } }).repeat;
  assert.equal(dedupLifetimeMs(firing('critical'), repeat), 13 * MIN);
  assert.equal(dedupLifetimeMs(firing('warning'), repeat), HOUR - 6 * MIN);
  assert.equal(dedupLifetimeMs(firing('info'), repeat), 48 * HOUR - 11 * MIN);
  assert.equal(dedupLifetimeMs({ ...firing('critical'), status: 'resolved' }, repeat), FIXED_DEDUP_TTL_MS);
});

test("an alert without one of the three severities follows Alertmanager's root route: the warning cadence", () => {
  assert.equal(routeSeverity({}), 'warning');
  assert.equal(routeSeverity({ severity: 'Critical' }), 'warning', 'the route matchers compare exactly');
  assert.equal(routeSeverity({ severity: 'page' }), 'warning');
  assert.equal(routeSeverity({ severity: 'info' }), 'info');
  const repeat = Notifications.parse({ repeat: { warning: '30m', info: '24h' } }).repeat;
  assert.equal(dedupLifetimeMs(firing(), repeat), 30 * MIN - 6 * MIN);
});

test('the lifetime is never longer than the repeat interval; short repeats get half of it', () => {
  assert.equal(firingLifetimeMs(2000, MIN), 1000);
  assert.equal(firingLifetimeMs(3 * MIN, MIN), 1.5 * MIN, 'below two margins: half');
  assert.equal(firingLifetimeMs(5 * MIN, MIN), 3 * MIN);
  assert.equal(firingLifetimeMs(1, MIN), 1, 'Redis needs a TTL above zero');
  for (const gi of [0, 10_000, MIN, 5 * MIN, 10 * MIN, HOUR]) {
    for (let repeat = 1; repeat < 100 * HOUR; repeat = Math.ceil(repeat * 1.7)) {
      const life = firingLifetimeMs(repeat, gi);
      assert.ok(life > 0 && life <= repeat, `repeat ${repeat} ms, group_interval ${gi} ms: ${life} ms`);
      // Wherever the repeat leaves room for Alertmanager's retry window, the key is gone before it.
      if (repeat >= 2 * (Math.max(gi, 10_000) + MIN)) assert.ok(life <= repeat - Math.max(gi, 10_000), `repeat ${repeat}, gi ${gi}`);
    }
  }
});
