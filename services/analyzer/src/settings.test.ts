import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@aami/shared';
import { loadAnalyzerSettings } from './settings.ts';

test('defaults: port 8082, health every 30 s over 72 h, bound to 127.0.0.1', () => {
  const s = loadAnalyzerSettings({});
  assert.deepEqual([s.AAMI_ANALYZER_PORT, s.AAMI_HEALTH_INTERVAL_S, s.AAMI_HEALTH_LOOKBACK_HOURS, s.shared.AAMI_BIND], [8082, 30, 72, '127.0.0.1']);
});

test('a bad port or health setting is refused, naming the variable', () => {
  assert.equal(loadAnalyzerSettings({ AAMI_ANALYZER_PORT: '9182' }).AAMI_ANALYZER_PORT, 9182);
  assert.throws(
    () => loadAnalyzerSettings({ AAMI_ANALYZER_PORT: '70000', AAMI_HEALTH_RATE_WINDOW: 'five minutes' }),
    (err: unknown) => err instanceof ValidationError && ['AAMI_ANALYZER_PORT', 'AAMI_HEALTH_RATE_WINDOW'].every((v) => err.details.some((d) => d.path === v)),
  );
});
