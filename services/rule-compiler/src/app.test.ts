import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { ErrorEnvelope, RuleCheckResult, ValidationError, createLogger, loadPresetCatalog } from '@aami/shared';
import { validateCustomRule } from './custom-rules.ts';
import { createApp, type CompilerApi } from './app.ts';
import { createMetrics } from './metrics.ts';
import { initialStatus } from './status.ts';

const SERVICE_TOKEN = 'service-token-for-tests-0123';
const json = { 'content-type': 'application/json', authorization: `Bearer ${SERVICE_TOKEN}` };

async function serve(compiler: CompilerApi) {
  const metrics = createMetrics();
  metrics.compiles.inc({ result: 'ok' });
  const server = createServer(createApp({ compiler, log: createLogger('test', 'error'), version: '9.9.9', serviceToken: SERVICE_TOKEN, registry: metrics.registry }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const seen: unknown[] = [];
const fake: CompilerApi = {
  status: () => ({ ...initialStatus(), state: 'failed' }),
  async validateCandidate(candidate) {
    seen.push(candidate);
    const c = candidate as { alerts?: { presets?: string[] } };
    if (c.alerts?.presets?.includes('bogus')) throw new ValidationError('alert rules are invalid', [{ path: 'alerts.presets[0]', message: 'no preset "bogus"' }]);
    return { valid: true, hash: 'h', summary: { nodes: 0, rules: 5, disabledRules: 0, ruleFiles: 1 }, warnings: [], rules: [] };
  },
  // The real check, with the real catalog and promtool, as Compiler.checkCustomRule runs it.
  checkCustomRule: async (input) => validateCustomRule(await loadPresetCatalog(), { alerts: { presets: [], overrides: {}, custom: [] } }, input),
};

test('POST /api/v1/rules/check runs promtool on one custom rule: defaults applied, or a 400 naming the field', async (t) => {
  const s = await serve(fake);
  t.after(s.close);
  const check = (rule: unknown) => fetch(`${s.url}/api/v1/rules/check`, { method: 'POST', headers: json, body: JSON.stringify({ rule }) });
  const ok = await check({ name: 'HotGpu', expr: 'max by (node) (DCGM_FI_DEV_GPU_TEMP) > 90', summary: 'hot' });
  assert.equal(ok.status, 200);
  assert.deepEqual(RuleCheckResult.parse(await ok.json()).rule, { name: 'HotGpu', expr: 'max by (node) (DCGM_FI_DEV_GPU_TEMP) > 90', summary: 'hot', for: '5m', severity: 'warning', description: '', labels: {} });
  const bad = await check({ name: 'Broken', expr: 'rate(DCGM_FI_DEV_XID_ERRORS[5m]', summary: 'x' });
  assert.equal(bad.status, 400);
  const why = ErrorEnvelope.parse(await bad.json()).error;
  assert.match(why.message, /refused by promtool/);
  assert.deepEqual(why.details.map((d) => d.path), ['expr']);
  assert.equal((await fetch(`${s.url}/api/v1/rules/check`, { method: 'POST', headers: json, body: JSON.stringify({ expr: 'up' }) })).status, 400, 'the rule goes in {rule}');
});

test('GET /healthz and /api/v1/compile/status report the service and the last compile', async (t) => {
  const s = await serve(fake);
  t.after(s.close);
  const health = await (await fetch(`${s.url}/healthz`)).json();
  assert.deepEqual(health, { status: 'ok', service: 'rule-compiler', version: '9.9.9', auth: 'service-token', compile: 'failed' });
  const status = await (await fetch(`${s.url}/api/v1/compile/status`, { headers: json })).json() as { state: string };
  assert.equal(status.state, 'failed');
});

test('POST /api/v1/compile/validate takes JSON and maps refusals to 400 with details', async (t) => {
  const s = await serve(fake);
  t.after(s.close);
  const ok = await fetch(`${s.url}/api/v1/compile/validate`, { method: 'POST', headers: json, body: JSON.stringify({ alerts: { presets: ['gpu-basic'] } }) });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json() as { valid: boolean }).valid, true);
  assert.deepEqual(seen.at(-1), { alerts: { presets: ['gpu-basic'] } });
  const bad = await fetch(`${s.url}/api/v1/compile/validate`, { method: 'POST', headers: json, body: JSON.stringify({ alerts: { presets: ['bogus'] } }) });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: { code: 'validation_failed', message: 'alert rules are invalid', details: [{ path: 'alerts.presets[0]', message: 'no preset "bogus"' }] } });
  const notObject = await fetch(`${s.url}/api/v1/compile/validate`, { method: 'POST', headers: json, body: '[1]' });
  assert.equal(notObject.status, 400);
  const broken = await fetch(`${s.url}/api/v1/compile/validate`, { method: 'POST', headers: json, body: '{"a":' });
  assert.equal(broken.status, 400);
});

test('/metrics serves the compiler\'s metrics; unknown paths are JSON 404s', async (t) => {
  const s = await serve(fake);
  t.after(s.close);
  assert.match(await (await fetch(`${s.url}/metrics`)).text(), /aami_rule_compiler_compiles_total\{result="ok"\} 1/);
  const missing = await fetch(`${s.url}/api/v1/nope`, { headers: json });
  assert.equal(missing.status, 404);
  assert.equal((await missing.json() as { error: { code: string } }).error.code, 'not_found');
});

test('/api/v1 wants the service token; writes must be JSON; nothing is read before the check', async (t) => {
  const s = await serve(fake);
  t.after(s.close);
  const before = seen.length;
  assert.equal((await fetch(`${s.url}/api/v1/compile/status`)).status, 401);
  const anonymous = await fetch(`${s.url}/api/v1/compile/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(anonymous.status, 401);
  assert.match((await anonymous.json() as { error: { message: string } }).error.message, /internal AAMI API/);
  const yaml = await fetch(`${s.url}/api/v1/compile/validate`, { method: 'POST', headers: { authorization: json.authorization, 'content-type': 'application/yaml' }, body: 'alerts: {}\n' });
  assert.equal(yaml.status, 415);
  assert.equal(seen.length, before, 'no candidate reached the compiler');
});
