import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertsCompileStatus, ConfigStore, createLogger, errorBody, loadSettings, type CompileJob, type CompileStatus } from '@aami/shared';
import { createApp } from './app.ts';
import { TokenStore } from './auth/token-store.ts';
import type { CompileTrigger } from './compile-trigger.ts';

let server: Server;
let compiler: Server;
let base: string;
let store: ConfigStore;
let admin: string;
let viewer: string;
const compileJobs: CompileJob[] = [];
const SERVICE_TOKEN = 'service-token-for-tests-0123';
const compilerCalls: Array<{ method: string; path: string; auth: string | undefined; body: unknown }> = [];
const compilerAnswers: Array<{ status: number; body: unknown }> = [];

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-gw-'));
  store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create({ notifications: { slack: { webhook_url: '${SLACK_WEBHOOK_URL}' }, email: { smtp_host: 'smtp.example.com', from: 'a@example.com', to: ['b@example.com'], password: 'hunter2-secret' } } });
  const tokens = new TokenStore(join(dir, 'tokens.json'));
  await tokens.load();
  admin = (await tokens.create('admin', 'admin')).token;
  viewer = (await tokens.create('viewer', 'viewer')).token;
  const compile: CompileTrigger = { request: async (job) => { compileJobs.push(job); return { queued: true }; }, close: async () => {} };
  // A stand-in for the rule compiler's API, answering what each test puts in `compilerAnswers`
  // (the real pair, with promtool, is driven by integration-tests/src/web-ui.test.ts and make e2e).
  compiler = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      compilerCalls.push({ method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization, body: body ? JSON.parse(body) as unknown : undefined });
      const answer = compilerAnswers.shift() ?? { status: 500, body: errorBody('internal', 'the test gave no answer') };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => compiler.once('listening', r));
  const compilerUrl = `http://127.0.0.1:${(compiler.address() as AddressInfo).port}`;
  // Prometheus/Alertmanager on a closed port: health must degrade to null, not fail.
  const settings = { ...loadSettings({ AAMI_DATA_DIR: dir, AAMI_PROMETHEUS_URL: 'http://127.0.0.1:9', AAMI_ALERTMANAGER_URL: 'http://127.0.0.1:9', AAMI_RELAY_URL: 'http://127.0.0.1:9', AAMI_RULE_COMPILER_URL: compilerUrl }) };
  const app = createApp({ store, tokens, compile, settings, log: createLogger('test', 'error'), version: 'test', serviceToken: SERVICE_TOKEN });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
after(() => Promise.all([server, compiler].map((s) => new Promise<void>((r) => s.close(() => r())))));

const call = (method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });

test('no token gets 401, an unknown token 401, a viewer write 403, a viewer read 200', async () => {
  assert.equal((await call('GET', '/api/v1/nodes', undefined)).status, 401);
  assert.equal((await call('GET', '/api/v1/nodes', 'aami_not-a-real-token-at-all')).status, 401);
  const denied = await call('POST', '/api/v1/nodes', viewer, { name: 'v1', ip: '10.9.0.1' });
  assert.equal(denied.status, 403);
  assert.equal(((await denied.json()) as { error: { code: string } }).error.code, 'forbidden');
  assert.equal((await call('GET', '/api/v1/nodes', viewer)).status, 200);
  assert.equal((await call('GET', '/api/v1/tokens', viewer)).status, 403);
});

test('20 concurrent node adds lose no update, and each queues a compile', async () => {
  const before = compileJobs.length;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => call('POST', '/api/v1/nodes', admin, { name: `c-${i}`, ip: `10.20.0.${i + 1}` })));
  assert.deepEqual(results.map((r) => r.status), Array(20).fill(201));
  const { config } = await store.read();
  for (let i = 0; i < 20; i++) assert.ok(config.nodes.some((n) => n.name === `c-${i}`), `c-${i} kept`);
  assert.equal(compileJobs.length - before, 20);
});

test('a write on a stale revision gets 409 and changes nothing', async () => {
  const list = await call('GET', '/api/v1/nodes?status=false', admin);
  const rev = Number(list.headers.get('etag')?.replaceAll('"', ''));
  assert.ok(rev > 0);
  assert.equal((await call('POST', '/api/v1/nodes', admin, { name: 'fresh', ip: '10.30.0.1' }, { 'if-match': `"${rev}"` })).status, 201);
  const stale = await call('POST', '/api/v1/nodes', admin, { name: 'stale', ip: '10.30.0.2' }, { 'if-match': `"${rev}"` });
  assert.equal(stale.status, 409);
  assert.match(((await stale.json()) as { error: { message: string } }).error.message, /changed elsewhere/);
  assert.ok(!(await store.read()).config.nodes.some((n) => n.name === 'stale'));
});

test('adding a duplicate name or address is a 409 naming the clash', async () => {
  await call('POST', '/api/v1/nodes', admin, { name: 'dup', ip: '10.40.0.1' });
  const again = await call('POST', '/api/v1/nodes', admin, { name: 'dup2', ip: '10.40.0.1' });
  assert.equal(again.status, 409);
  assert.match(((await again.json()) as { error: { message: string } }).error.message, /already used by node "dup"/);
});

test('a bad node is a 400 naming the field', async () => {
  const res = await call('POST', '/api/v1/nodes', admin, { name: 'bad', ip: '300.1.1.1', ssh_port: 70000 });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { details: Array<{ path: string }> } };
  assert.deepEqual(body.error.details.map((d) => d.path).sort(), ['ip', 'ssh_port']);
});

test('hosts import: 3 bad lines are all reported with line numbers and nothing is written', async () => {
  const before = await readFile(store.path, 'utf8');
  const lines = Array.from({ length: 50 }, (_, i) => `imp-${i} 10.50.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  lines[4] = 'imp-4 10.50.999.1';
  lines[19] = 'imp-19';
  lines[29] = 'imp-0 10.50.9.9';
  const res = await call('POST', '/api/v1/nodes/import', admin, { text: lines.join('\n'), ssh_user: 'root', ssh_key: '/root/.ssh/id_ed25519' });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { message: string; details: Array<{ line: number }> } };
  assert.deepEqual(body.error.details.map((d) => d.line), [5, 20, 30]);
  assert.match(body.error.message, /3 bad line/);
  assert.equal(await readFile(store.path, 'utf8'), before);
});

test('hosts import with skip_invalid adds the good lines and lists the skipped ones', async () => {
  const res = await call('POST', '/api/v1/nodes/import', admin, { text: 'ok-1 10.60.0.1\nbroken\nok-2 10.60.0.2\n', ssh_user: 'u', skip_invalid: true });
  assert.equal(res.status, 201);
  const body = (await res.json()) as { added: number; skipped: Array<{ line: number }> };
  assert.equal(body.added, 2);
  assert.deepEqual(body.skipped.map((s) => s.line), [2]);
  const { config } = await store.read();
  assert.equal(config.nodes.find((n) => n.name === 'ok-2')?.ssh_user, 'u');
});

test('${SLACK_WEBHOOK_URL} stays verbatim after a node add, and the config API hides secrets', async () => {
  await call('POST', '/api/v1/nodes', admin, { name: 'env-check', ip: '10.70.0.1' });
  const yaml = await readFile(store.path, 'utf8');
  assert.match(yaml, /webhook_url: \$\{SLACK_WEBHOOK_URL\}/);
  assert.ok(!yaml.includes('hunter2-secret'), 'the SMTP password given at create is not in config.yaml');
  const res = await call('GET', '/api/v1/config', viewer);
  const text = await res.text();
  assert.ok(!text.includes('hunter2-secret'), 'SMTP password is not returned');
  const body = JSON.parse(text) as { config: { notifications: { slack: { webhook_url: string }; email: { password: string } } } };
  assert.equal(body.config.notifications.slack.webhook_url, '${SLACK_WEBHOOK_URL}');
  assert.equal(body.config.notifications.email.password, '<redacted>');
});

test('labels can be set and removed; removing a node works; unknown node is 404', async () => {
  await call('POST', '/api/v1/nodes', admin, { name: 'lab', ip: '10.80.0.1', labels: { rack: 'a' } });
  const patched = await call('PATCH', '/api/v1/nodes/lab/labels', admin, { set: { gpu_type: 'h100' }, remove: ['rack'] });
  assert.equal(patched.status, 200);
  assert.deepEqual(((await patched.json()) as { node: { labels: Record<string, string> } }).node.labels, { gpu_type: 'h100' });
  assert.equal((await call('DELETE', '/api/v1/nodes/lab', admin)).status, 200);
  assert.equal((await call('GET', '/api/v1/nodes/lab', admin)).status, 404);
  assert.equal((await call('DELETE', '/api/v1/nodes/lab', admin)).status, 404);
});

test('node list degrades to unknown health when Prometheus is unreachable', async () => {
  const res = await call('GET', '/api/v1/nodes', viewer);
  const body = (await res.json()) as { nodes: Array<{ health: { status: unknown; gpus: unknown; alerts: unknown } }> };
  assert.ok(body.nodes.length > 0);
  assert.deepEqual(body.nodes[0]!.health, { status: null, gpus: null, alerts: null });
});

test('malformed JSON is a 400 and unknown API paths are a JSON 404', async () => {
  const bad = await fetch(`${base}/api/v1/nodes`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"name": ' });
  assert.equal(bad.status, 400);
  const missing = await call('GET', '/api/v1/nope', admin);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
});

test('the OpenAPI document is public and describes the node schema from zod', async () => {
  const res = await fetch(`${base}/api/v1/openapi.json`);
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: { Node: { properties: Record<string, unknown>; additionalProperties: unknown } } } };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/api/v1/nodes/import']);
  assert.deepEqual(Object.keys(doc.components.schemas.Node.properties).sort(), ['exporters', 'ip', 'labels', 'name', 'ssh_key', 'ssh_port', 'ssh_user']);
  assert.equal(doc.components.schemas.Node.additionalProperties, false);
});

test('an admin can mint a viewer token that then reads but cannot write', async () => {
  const res = await call('POST', '/api/v1/tokens', admin, { name: 'portal', role: 'viewer' });
  assert.equal(res.status, 201);
  const { token } = (await res.json()) as { token: string };
  assert.equal((await call('GET', '/api/v1/status', token)).status, 200);
  assert.equal((await call('DELETE', '/api/v1/nodes/env-check', token)).status, 403);
  const list = await (await call('GET', '/api/v1/tokens', admin)).text();
  assert.ok(!list.includes(token), 'token list never shows secrets');
});

test('whoami tells the role of the calling token', async () => {
  assert.deepEqual(await (await call('GET', '/api/v1/whoami', viewer)).json(), { name: 'viewer', role: 'viewer' });
  assert.equal(((await (await call('GET', '/api/v1/whoami', admin)).json()) as { role: string }).role, 'admin');
});

test('xid routes serve the catalog: 79 is "fallen off the bus", unknown is 404, words are searched', async () => {
  const x79 = (await (await call('GET', '/api/v1/xid/79', viewer)).json()) as { title: string; severity: string; actions: string[] };
  assert.match(x79.title, /fallen off the bus/);
  assert.equal(x79.severity, 'critical');
  assert.ok(x79.actions.length > 0);
  assert.equal((await call('GET', '/api/v1/xid/9999', viewer)).status, 404);
  assert.equal((await call('GET', '/api/v1/xid/abc', viewer)).status, 400);
  const found = (await (await call('GET', '/api/v1/xid/search?q=ECC', viewer)).json()) as { entries: Array<{ code: number }> };
  assert.ok(found.entries.some((e) => e.code === 48));
  const critical = (await (await call('GET', '/api/v1/xid?severity=critical', viewer)).json()) as { entries: Array<{ severity: string }> };
  assert.ok(critical.entries.length > 0 && critical.entries.every((e) => e.severity === 'critical'));
});

test('notification channels: set Slack, edit without resending the secret, never read it back', async () => {
  const put = await call('PUT', '/api/v1/notifications/slack', admin, { webhook_url: 'https://hooks.slack.example/services/T0/B0/very-secret-path', channel: '#gpu' });
  assert.equal(put.status, 200);
  const edit = await call('PUT', '/api/v1/notifications/slack', admin, { channel: '#gpu-alerts' });
  assert.equal(edit.status, 200);
  const text = await (await call('GET', '/api/v1/notifications/channels', viewer)).text();
  assert.ok(!text.includes('very-secret-path'));
  const view = JSON.parse(text) as { slack: { channel: string; webhook_url: string } };
  assert.equal(view.slack.channel, '#gpu-alerts');
  assert.equal(view.slack.webhook_url, '<redacted>');
  // config.yaml holds only the reference; the URL is in secrets.json and survived the edit.
  assert.ok(!(await readFile(store.path, 'utf8')).includes('very-secret-path'), 'the webhook URL is not in config.yaml');
  assert.equal((await store.read()).config.notifications.slack?.webhook_url, '${secret:slack_webhook}');
  assert.equal(await store.secrets.get('slack_webhook'), 'https://hooks.slack.example/services/T0/B0/very-secret-path');
  const bad = await call('PUT', '/api/v1/notifications/email', admin, { smtp_host: 'mail.example.com', from: 'a@example.com', to: [], smtp_port: 'x' });
  assert.equal(bad.status, 400);
  const paths = ((await bad.json()) as { error: { details: Array<{ path: string }> } }).error.details.map((d) => d.path);
  assert.ok(paths.includes('smtp_port'), `smtp_port named in ${paths.join(',')}`);
  assert.equal((await call('PUT', '/api/v1/notifications/slack', viewer, { channel: '#x' })).status, 403);
});

test('a test message with the relay down is a 503 naming the relay', async () => {
  const res = await call('POST', '/api/v1/notifications/test', admin, { channel: 'slack' });
  assert.equal(res.status, 503);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /notification-relay is not reachable/);
});

test('alerts: apply gpu-production, list its rules, tune a threshold, refuse a bad one naming the field', async () => {
  const presets = (await (await call('GET', '/api/v1/alerts/presets', viewer)).json()) as { presets: Array<{ name: string; applied: boolean }> };
  assert.ok(presets.presets.some((p) => p.name === 'gpu-production' && !p.applied));
  const applied = await call('POST', '/api/v1/alerts/presets/gpu-production', admin);
  assert.equal(applied.status, 200);
  assert.ok(((await applied.json()) as { active_rules: number }).active_rules >= 8);
  assert.equal((await call('POST', '/api/v1/alerts/presets/no-such-preset', admin)).status, 404);

  const rules = (await (await call('GET', '/api/v1/alerts/rules', viewer)).json()) as { rules: Array<{ name: string; threshold: { value: number } | null; condition_template: string | null }> };
  const temp = rules.rules.find((r) => r.name === 'GPUTemperatureCritical');
  assert.equal(temp?.threshold?.value, 85);
  assert.match(temp?.condition_template ?? '', /> \{\{threshold\}\} °C/);

  const before = await readFile(store.path, 'utf8');
  const bad = await call('PATCH', '/api/v1/alerts/rules/GPUTemperatureCritical', admin, { threshold: 'hot' });
  assert.equal(bad.status, 400);
  const badBody = (await bad.json()) as { error: { details: Array<{ path: string }> } };
  assert.ok(badBody.error.details.some((d) => d.path.endsWith('GPUTemperatureCritical.threshold')), JSON.stringify(badBody));
  assert.equal(await readFile(store.path, 'utf8'), before, 'a refused change writes nothing');

  const ok = await call('PATCH', '/api/v1/alerts/rules/GPUTemperatureCritical', admin, { threshold: 90, for: '10m' });
  assert.equal(ok.status, 200);
  const okBody = (await ok.json()) as { rule: { threshold: { value: number }; for: string; expr: string; overridden: boolean } };
  assert.equal(okBody.rule.threshold.value, 90);
  assert.equal(okBody.rule.for, '10m');
  assert.match(okBody.rule.expr, /> 90/);
  assert.deepEqual((await store.read()).config.alerts.overrides.GPUTemperatureCritical, { threshold: 90, for: '10m' });

  const reset = await call('PATCH', '/api/v1/alerts/rules/GPUTemperatureCritical', admin, { threshold: null, for: null });
  assert.equal(reset.status, 200);
  assert.equal((await store.read()).config.alerts.overrides.GPUTemperatureCritical, undefined);
  assert.equal((await call('PATCH', '/api/v1/alerts/rules/NoSuchRule', admin, { disabled: true })).status, 404);
  assert.equal((await call('PATCH', '/api/v1/alerts/rules/GPUTemperatureCritical', viewer, { disabled: true })).status, 403);
});

test('alerts: custom rules are checked by the rule compiler, with the service token; its refusal names the field and saves nothing', async () => {
  compilerCalls.length = 0;
  compilerAnswers.push({ status: 400, body: errorBody('validation_failed', 'custom rule MyBadRule is refused by promtool', [{ path: 'expr', message: '1:22: parse error: unclosed left parenthesis' }]) });
  const bad = await call('POST', '/api/v1/alerts/custom', admin, { name: 'MyBadRule', expr: 'sum(rate(foo[5m]) by', summary: 'x' });
  assert.equal(bad.status, 400);
  const why = ((await bad.json()) as { error: { code: string; message: string; details: Array<{ path: string; message: string }> } }).error;
  assert.equal(why.code, 'validation_failed');
  assert.deepEqual(why.details, [{ path: 'expr', message: '1:22: parse error: unclosed left parenthesis' }]);
  assert.ok(!(await store.read()).config.alerts.custom.some((c) => c.name === 'MyBadRule'));
  assert.deepEqual(compilerCalls.map((c) => [c.method, c.path, c.auth]), [['POST', '/api/v1/rules/check', `Bearer ${SERVICE_TOKEN}`]]);
  assert.deepEqual(compilerCalls[0]?.body, { rule: { name: 'MyBadRule', expr: 'sum(rate(foo[5m]) by', summary: 'x' } });

  // The compiler's answer, with its defaults, is what is saved.
  const checked = { name: 'MyPowerRule', expr: 'DCGM_FI_DEV_POWER_USAGE > 650', for: '5m', severity: 'warning', summary: 'GPU {{ $labels.gpu }} draws a lot', description: '', labels: {} };
  compilerAnswers.push({ status: 200, body: { rule: checked } });
  const good = await call('POST', '/api/v1/alerts/custom', admin, { name: 'MyPowerRule', expr: 'DCGM_FI_DEV_POWER_USAGE > 650', summary: 'GPU {{ $labels.gpu }} draws a lot' });
  assert.equal(good.status, 201);
  assert.deepEqual((await store.read()).config.alerts.custom.find((c) => c.name === 'MyPowerRule'), checked);

  compilerAnswers.push({ status: 200, body: { rule: { ...checked, name: 'AamiExpressionCheck', expr: 'up == 0' } } });
  assert.deepEqual(await (await call('POST', '/api/v1/alerts/validate', admin, { expr: 'up == 0' })).json(), { valid: true });
  compilerAnswers.push({ status: 400, body: errorBody('validation_failed', 'refused by promtool', [{ path: 'expr', message: '1:5: parse error: unexpected end of input' }]) });
  assert.deepEqual(await (await call('POST', '/api/v1/alerts/validate', admin, { expr: 'up ==' })).json(), { valid: false, error: '1:5: parse error: unexpected end of input' });

  // A compiler that refuses the gateway's token is the gateway's problem (502), never the caller's 401.
  compilerAnswers.push({ status: 401, body: errorBody('unauthorized', 'no') });
  const refused = await call('POST', '/api/v1/alerts/custom', admin, { name: 'Other', expr: 'up == 0', summary: 'x' });
  assert.equal(refused.status, 502);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'upstream_auth');
  assert.equal((await call('DELETE', '/api/v1/alerts/custom/MyPowerRule', admin)).status, 200);
});

test('alerts: compile status is the compiler\'s, summed up: "unknown" before its first compile, "failed" with its errors', async () => {
  const never: CompileStatus = { state: 'never', lastAttempt: null, lastSuccess: null, reload: null };
  compilerAnswers.push({ status: 200, body: never });
  const s = AlertsCompileStatus.parse(await (await call('GET', '/api/v1/alerts/compile-status', viewer)).json());
  assert.equal(s.state, 'unknown');
  const failed: CompileStatus = { ...never, state: 'failed', lastAttempt: { at: '2026-12-04T10:00:00Z', revision: 9, ok: false, durationMs: 40, changed: false, errors: [{ path: 'alerts.custom[0].expr', message: 'parse error' }], warnings: [] } };
  compilerAnswers.push({ status: 200, body: failed });
  const f = AlertsCompileStatus.parse(await (await call('GET', '/api/v1/alerts/compile-status', viewer)).json());
  assert.equal(f.state, 'failed');
  assert.equal(f.revision, 9);
  assert.equal(f.error, 'alerts.custom[0].expr: parse error');
  assert.equal((await call('GET', '/api/v1/alerts/firing', viewer)).status, 503, 'Alertmanager is down');
});

test('notification channels: an SMTP password goes to secrets.json, an unknown ${secret:...} is refused, routing recompiles, removing a channel removes its secret', async () => {
  const email = { smtp_host: 'mail.example.com', from: 'aami@example.com', to: ['ops@example.com'], username: 'aami' };
  assert.equal((await call('PUT', '/api/v1/notifications/email', admin, { ...email, password: 'smtp-pass-7f3e' })).status, 200);
  assert.ok(!(await readFile(store.path, 'utf8')).includes('smtp-pass-7f3e'), 'the SMTP password is not in config.yaml');
  assert.equal((await store.read()).config.notifications.email?.password, '${secret:smtp_password}');
  assert.equal(await store.secrets.get('smtp_password'), 'smtp-pass-7f3e');
  const view = await (await call('GET', '/api/v1/notifications/channels', viewer)).text();
  assert.ok(!view.includes('smtp-pass-7f3e'));
  assert.equal((JSON.parse(view) as { email: { password: string } }).email.password, '<redacted>');

  const unknown = await call('PUT', '/api/v1/notifications/email', admin, { password: '${secret:no_such_secret}' });
  assert.equal(unknown.status, 400);
  const detail = ((await unknown.json()) as { error: { details: Array<{ path: string; message: string }> } }).error.details[0];
  assert.equal(detail?.path, 'password');
  assert.match(detail?.message ?? '', /no_such_secret/);
  assert.equal(await store.secrets.get('smtp_password'), 'smtp-pass-7f3e', 'a refused edit keeps the stored password');

  const jobs = compileJobs.length;
  const routing = await call('PUT', '/api/v1/notifications/routing', admin, { warning: ['slack', 'email'] });
  assert.equal(routing.status, 200);
  assert.deepEqual(compileJobs.slice(jobs).map((j) => j.reason), ['routing changed']);
  assert.equal(compileJobs.at(-1)?.revision, (await store.read()).revision);

  assert.equal((await call('DELETE', '/api/v1/notifications/email', admin)).status, 200);
  assert.equal(await store.secrets.has('smtp_password'), false, 'the password of the removed channel is gone from secrets.json');
  assert.equal(await store.secrets.get('slack_webhook'), 'https://hooks.slack.example/services/T0/B0/very-secret-path', 'the Slack URL stays');
});
