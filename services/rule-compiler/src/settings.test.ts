import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative as relative_ } from 'node:path';
import { ValidationError } from '@aami/shared';
import { loadRuleCompilerSettings, parseSelfTargets } from './settings.ts';

test('defaults: generated folder under the data dir, tools on PATH, AAMI services scraped, no direct delivery', () => {
  const s = loadRuleCompilerSettings({ AAMI_DATA_DIR: '/var/lib/aami', AAMI_RULE_COMPILER_URL: 'http://rule-compiler:8083' });
  assert.equal(s.generatedDir, '/var/lib/aami/generated');
  assert.deepEqual(s.tools, { promtool: 'promtool', amtool: 'amtool' });
  assert.deepEqual(s.selfTargets.map((t) => t.service), ['analyzer', 'install-worker', 'rule-compiler']);
  assert.equal(s.port, 8083);
  assert.equal(s.direct, undefined);
  assert.equal(s.relayTokenFile, undefined);
  assert.equal(s.alertmanagerBasicAuth, undefined);
});

test('Alertmanager\'s password file goes to prometheus.yml as an absolute path, and its header to the reload', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'aami-rc-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'am-pw'), 'am-secret\n');
  writeFileSync(join(dir, 'prom-pw'), 'prom-secret\n');
  const s = loadRuleCompilerSettings({
    AAMI_ALERTMANAGER_PASSWORD_FILE: join(dir, 'am-pw'), AAMI_ALERTMANAGER_USERNAME: 'alerts', AAMI_PROMETHEUS_PASSWORD_FILE: join(dir, 'prom-pw'),
  });
  assert.deepEqual(s.alertmanagerBasicAuth, { username: 'alerts', passwordFile: join(dir, 'am-pw') });
  assert.deepEqual(s.shared.alertmanagerAuth, { authorization: `Basic ${Buffer.from('alerts:am-secret').toString('base64')}` });
  assert.deepEqual(s.shared.prometheusAuth, { authorization: `Basic ${Buffer.from('aami:prom-secret').toString('base64')}` });
  // A relative path is made absolute: Prometheus would read it relative to prometheus.yml's folder.
  const relative = relative_(process.cwd(), join(dir, 'am-pw'));
  assert.ok(!isAbsolute(relative));
  assert.equal(loadRuleCompilerSettings({ AAMI_ALERTMANAGER_PASSWORD_FILE: relative }).alertmanagerBasicAuth?.passwordFile, join(dir, 'am-pw'));
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

test('its port is AAMI_RULE_COMPILER_PORT, as every service listens on AAMI_<SERVICE>_PORT; a bad one names the variable', () => {
  assert.equal(loadRuleCompilerSettings({ AAMI_RULE_COMPILER_PORT: '9183' }).port, 9183);
  assert.throws(() => loadRuleCompilerSettings({ AAMI_RULE_COMPILER_PORT: 'eighty' }), (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'AAMI_RULE_COMPILER_PORT'));
});
