import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '@aami/shared';
import { loadRuleCompilerSettings, parseSelfTargets } from './settings.ts';

test('defaults: generated folder under the data dir, tools on PATH, AAMI services scraped, no direct delivery', () => {
  const s = loadRuleCompilerSettings({ AAMI_DATA_DIR: '/var/lib/aami', AAMI_RULE_COMPILER_URL: 'http://rule-compiler:8083' });
  assert.equal(s.generatedDir, '/var/lib/aami/generated');
  assert.deepEqual(s.tools, { promtool: 'promtool', amtool: 'amtool' });
  assert.deepEqual(s.selfTargets.map((t) => t.service), ['analyzer', 'rule-compiler']);
  assert.equal(s.port, 8083);
  assert.equal(s.direct, undefined);
  assert.equal(s.relayTokenFile, undefined);
});

test('every setting can be given, and a bad one is named', () => {
  const s = loadRuleCompilerSettings({
    AAMI_GENERATED_DIR: '/gen', AAMI_RELAY_TOKEN_FILE: '/run/secrets/relay', AAMI_RELAY_URL: 'http://relay:8081',
    AAMI_SELF_SCRAPE: 'analyzer=http://analyzer:8082, relay=http://relay:8081', AAMI_ALERTMANAGER_DIRECT: 'true',
    AAMI_SLACK_WEBHOOK_URL_FILE: '/run/secrets/slack', AAMI_COMPILE_DEBOUNCE_MS: '250',
  });
  assert.equal(s.generatedDir, '/gen');
  assert.equal(s.relayTokenFile, '/run/secrets/relay');
  assert.deepEqual(s.selfTargets, [{ service: 'analyzer', url: 'http://analyzer:8082' }, { service: 'relay', url: 'http://relay:8081' }]);
  assert.deepEqual(s.direct, { slackApiUrlFile: '/run/secrets/slack' });
  assert.equal(s.debounceMs, 250);
  assert.throws(() => loadRuleCompilerSettings({ AAMI_COMPILE_DEBOUNCE_MS: 'soon' }), (err: unknown) => err instanceof ValidationError && /AAMI_COMPILE_DEBOUNCE_MS/.test(err.message));
  assert.throws(() => parseSelfTargets('analyzer'), /AAMI_SELF_SCRAPE/);
});
