import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AlertsCompileStatus, ConfigResponse, ConfigStore, CustomRuleAddResponse, CustomRuleRemoveResponse, ErrorEnvelope, ExpressionCheckResponse, FiringAlertsResponse,
  HealthzResponse, NodeAddResponse, NodeGetResponse, NodeLabelsResponse, NodeRemoveResponse, NodesImportResponse, NodesListResponse, NotificationChannelsResponse,
  PresetApplyResponse, PresetRemoveResponse, PresetsListResponse, ReadyzResponse, RulePatchResponse, RulesListResponse, StatusResponse, SxidEntry,
  TokenCreateResponse, TokensListResponse, WhoamiResponse, XidEntry, XidListResponse, createLogger, errorBody, loadSettings, type CompileJob, type CompileStatus,
} from '@aami/shared';
import { createApp } from './app.ts';
import { TokenStore } from './auth/token-store.ts';
import type { CompileTrigger } from './compile-trigger.ts';

let server: Server;
let compiler: Server;
let alertmanager: Server;
let base: string;
let store: ConfigStore;
let admin: string;
let viewer: string;
const compileJobs: CompileJob[] = [];
const SERVICE_TOKEN = 'service-token-for-tests-0123';
const compilerCalls: Array<{ method: string; path: string; auth: string | undefined; body: unknown }> = [];
const compilerAnswers: Array<{ status: number; body: unknown }> = [];
/** What the stand-in Alertmanager answers to GET /api/v2/alerts; null: a 500, as if it were down. */
let amAlerts: unknown[] | null = null;

/**
 * The answer's JSON, parsed with the route's shared schema (shared/src/api/): a field the schema
 * does not know, or one it wants and the answer lacks, fails the test.
 */
async function answer<T>(res: Response, schema: { parse(value: unknown): T }): Promise<T> {
  return schema.parse(await res.json());
}
/** An error answer: the shared envelope. */
const failure = (res: Response) => answer(res, ErrorEnvelope);

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
  // Alertmanager answers what a test puts in `amAlerts`, else a 500 (down).
  alertmanager = createServer((req, res) => {
    if (amAlerts === null || !req.url?.startsWith('/api/v2/alerts')) res.writeHead(500).end('down');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(amAlerts));
  }).listen(0, '127.0.0.1');
  await new Promise((r) => alertmanager.once('listening', r));
  const alertmanagerUrl = `http://127.0.0.1:${(alertmanager.address() as AddressInfo).port}`;
  // Prometheus on a closed port, Alertmanager answering 500: health must degrade to null, not fail.
  const settings = { ...loadSettings({ AAMI_DATA_DIR: dir, AAMI_PROMETHEUS_URL: 'http://127.0.0.1:9', AAMI_ALERTMANAGER_URL: alertmanagerUrl, AAMI_RELAY_URL: 'http://127.0.0.1:9', AAMI_RULE_COMPILER_URL: compilerUrl }) };
  const app = createApp({ store, tokens, compile, settings, log: createLogger('test', 'error'), version: 'test', serviceToken: SERVICE_TOKEN });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
after(() => Promise.all([server, compiler, alertmanager].map((s) => new Promise<void>((r) => s.close(() => r())))));

const call = (method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });

test('no token gets 401, an unknown token 401, a viewer write 403, a viewer read 200', async () => {
  assert.equal((await call('GET', '/api/v1/nodes', undefined)).status, 401);
  assert.equal((await call('GET', '/api/v1/nodes', 'aami_not-a-real-token-at-all')).status, 401);
  assert.equal((await failure(await call('GET', '/api/v1/nodes', undefined))).error.code, 'unauthorized');
  const denied = await call('POST', '/api/v1/nodes', viewer, { name: 'v1', ip: '10.9.0.1' });
  assert.equal(denied.status, 403);
  assert.equal((await failure(denied)).error.code, 'forbidden');
  const read = await call('GET', '/api/v1/nodes', viewer);
  assert.equal(read.status, 200);
  await answer(read, NodesListResponse);
  assert.equal((await call('GET', '/api/v1/tokens', viewer)).status, 403);
});

test('20 concurrent node adds lose no update, and each queues a compile', async () => {
  const before = compileJobs.length;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => call('POST', '/api/v1/nodes', admin, { name: `c-${i}`, ip: `10.20.0.${i + 1}` })));
  assert.deepEqual(results.map((r) => r.status), Array(20).fill(201));
  const added = await Promise.all(results.map((r) => answer(r, NodeAddResponse)));
  assert.deepEqual(added.map((a) => a.compile), Array(20).fill({ queued: true }));
  const { config } = await store.read();
  for (let i = 0; i < 20; i++) assert.ok(config.nodes.some((n) => n.name === `c-${i}`), `c-${i} kept`);
  assert.equal(compileJobs.length - before, 20);
});

test('a write on a stale revision gets 409 and changes nothing', async () => {
  const list = await call('GET', '/api/v1/nodes?status=false', admin);
  const rev = Number(list.headers.get('etag')?.replaceAll('"', ''));
  assert.ok(rev > 0);
  assert.equal((await answer(list, NodesListResponse)).revision, rev);
  assert.equal((await call('POST', '/api/v1/nodes', admin, { name: 'fresh', ip: '10.30.0.1' }, { 'if-match': `"${rev}"` })).status, 201);
  const stale = await call('POST', '/api/v1/nodes', admin, { name: 'stale', ip: '10.30.0.2' }, { 'if-match': `"${rev}"` });
  assert.equal(stale.status, 409);
  assert.match((await failure(stale)).error.message, /changed elsewhere/);
  assert.ok(!(await store.read()).config.nodes.some((n) => n.name === 'stale'));
});

test('adding a duplicate name or address is a 409 naming the clash', async () => {
  await call('POST', '/api/v1/nodes', admin, { name: 'dup', ip: '10.40.0.1' });
  const again = await call('POST', '/api/v1/nodes', admin, { name: 'dup2', ip: '10.40.0.1' });
  assert.equal(again.status, 409);
  assert.match((await failure(again)).error.message, /already used by node "dup"/);
});

test('a bad node is a 400 naming the field', async () => {
  const res = await call('POST', '/api/v1/nodes', admin, { name: 'bad', ip: '300.1.1.1', ssh_port: 70000 });
  assert.equal(res.status, 400);
  const body = await failure(res);
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
  const body = await failure(res);
  assert.deepEqual(body.error.details.map((d) => d.line), [5, 20, 30]);
  assert.match(body.error.message, /3 bad line/);
  assert.equal(await readFile(store.path, 'utf8'), before);
});

test('hosts import with skip_invalid adds the good lines and lists the skipped ones', async () => {
  const res = await call('POST', '/api/v1/nodes/import', admin, { text: 'ok-1 10.60.0.1\nbroken\nok-2 10.60.0.2\n', ssh_user: 'u', skip_invalid: true });
  assert.equal(res.status, 201);
  const body = await answer(res, NodesImportResponse);
  assert.equal(body.added, 2);
  assert.deepEqual(body.names, ['ok-1', 'ok-2']);
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
  const body = ConfigResponse.parse(JSON.parse(text));
  assert.equal(body.config.notifications.slack?.webhook_url, '${SLACK_WEBHOOK_URL}');
  assert.equal(body.config.notifications.email?.password, '<redacted>');
});

test('labels can be set and removed; removing a node works; unknown node is 404', async () => {
  await call('POST', '/api/v1/nodes', admin, { name: 'lab', ip: '10.80.0.1', labels: { rack: 'a' } });
  const one = await answer(await call('GET', '/api/v1/nodes/lab', viewer), NodeGetResponse);
  assert.deepEqual(one.node, { name: 'lab', ip: '10.80.0.1', labels: { rack: 'a' }, health: { status: null, gpus: null, alerts: null } });
  const patched = await call('PATCH', '/api/v1/nodes/lab/labels', admin, { set: { gpu_type: 'h100' }, remove: ['rack'] });
  assert.equal(patched.status, 200);
  assert.deepEqual((await answer(patched, NodeLabelsResponse)).node.labels, { gpu_type: 'h100' });
  const removed = await call('DELETE', '/api/v1/nodes/lab', admin);
  assert.equal(removed.status, 200);
  assert.equal((await answer(removed, NodeRemoveResponse)).removed, 'lab');
  const gone = await call('GET', '/api/v1/nodes/lab', admin);
  assert.equal(gone.status, 404);
  assert.equal((await failure(gone)).error.code, 'not_found');
  assert.equal((await call('DELETE', '/api/v1/nodes/lab', admin)).status, 404);
});

test('node list degrades to unknown health when Prometheus is unreachable', async () => {
  const res = await call('GET', '/api/v1/nodes', viewer);
  const body = await answer(res, NodesListResponse);
  assert.ok(body.nodes.length > 0);
  assert.deepEqual(body.nodes[0]!.health, { status: null, gpus: null, alerts: null });
});

test('malformed JSON is a 400 and unknown API paths are a JSON 404', async () => {
  const bad = await fetch(`${base}/api/v1/nodes`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"name": ' });
  assert.equal(bad.status, 400);
  assert.equal((await failure(bad)).error.code, 'validation_failed');
  const missing = await call('GET', '/api/v1/nope', admin);
  assert.equal(missing.status, 404);
  assert.equal((await failure(missing)).error.code, 'not_found');
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

test('every operation of the OpenAPI document declares the schema of its success answer, and each reference resolves', async () => {
  type Op = { responses: Record<string, { description: string; content?: Record<string, { schema?: { $ref?: string } }> }>; requestBody?: { content: Record<string, { schema: { $ref: string } }> } };
  const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, Record<string, unknown>> } };
  const resolves = (ref: string | undefined, where: string) => {
    const prefix = '#/components/schemas/';
    if (!ref?.startsWith(prefix)) assert.fail(`${where}: a $ref into components.schemas, got ${String(ref)}`);
    const target = doc.components.schemas[ref.slice(prefix.length)];
    assert.ok(target && (target.type !== undefined || target.anyOf !== undefined || target.oneOf !== undefined), `${where}: ${ref} is a JSON Schema`);
  };
  let operations = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      operations++;
      const where = `${method.toUpperCase()} ${path}`;
      const success = Object.keys(op.responses).filter((code) => /^2\d\d$/.test(code)).sort();
      assert.equal(success.length, 1, `${where}: one success code, got ${success.join(',')}`);
      const code = success[0]!;
      const res = op.responses[code]!;
      if (code === '204') assert.equal(res.content, undefined, `${where}: 204 has no body`);
      else resolves(res.content?.['application/json']?.schema?.$ref, `${where} ${code}`);
      if (op.requestBody) resolves(op.requestBody.content['application/json']?.schema.$ref, `${where} request body`);
      for (const [errCode, e] of Object.entries(op.responses)) if (e.content) resolves(e.content['application/json']?.schema?.$ref, `${where} ${errCode}`);
    }
  }
  assert.ok(operations >= 47, `${operations} operations: none went missing`);
});

test('/healthz and /readyz are open and answer their schemas', async () => {
  assert.deepEqual(await answer(await fetch(`${base}/healthz`), HealthzResponse), { status: 'ok', version: 'test' });
  assert.equal((await answer(await fetch(`${base}/readyz`), ReadyzResponse)).revision, (await store.read()).revision);
});

test('an admin can mint a viewer token that then reads but cannot write, and revoke it', async () => {
  const res = await call('POST', '/api/v1/tokens', admin, { name: 'portal', role: 'viewer' });
  assert.equal(res.status, 201);
  const { token, role, id } = await answer(res, TokenCreateResponse);
  assert.equal(role, 'viewer');
  const status = await call('GET', '/api/v1/status', token);
  assert.equal(status.status, 200);
  const s = await answer(status, StatusResponse);
  assert.deepEqual(s.components[0], { name: 'api-gateway', url: 'self', reachable: true, version: 'test', credential: 'API token' });
  assert.equal(s.components.find((c) => c.name === 'prometheus')?.reachable, false, 'Prometheus is on a closed port');
  assert.equal((await call('DELETE', '/api/v1/nodes/env-check', token)).status, 403);
  const list = await (await call('GET', '/api/v1/tokens', admin)).text();
  assert.ok(!list.includes(token), 'token list never shows secrets');
  assert.ok(TokensListResponse.parse(JSON.parse(list)).tokens.some((t) => t.name === 'portal'));
  // Revoked: no body, and the token is refused from then on.
  const revoked = await call('DELETE', `/api/v1/tokens/${id}`, admin);
  assert.equal(revoked.status, 204);
  assert.equal(await revoked.text(), '');
  assert.equal((await failure(await call('GET', '/api/v1/whoami', token))).error.code, 'unauthorized');
});

test('whoami tells the role of the calling token', async () => {
  assert.deepEqual(await answer(await call('GET', '/api/v1/whoami', viewer), WhoamiResponse), { name: 'viewer', role: 'viewer' });
  assert.equal((await answer(await call('GET', '/api/v1/whoami', admin), WhoamiResponse)).role, 'admin');
});

test('xid routes serve the catalog: 79 is "fallen off the bus", unknown is 404, words are searched', async () => {
  const x79 = await answer(await call('GET', '/api/v1/xid/79', viewer), XidEntry);
  assert.match(x79.title, /fallen off the bus/);
  assert.equal(x79.severity, 'critical');
  assert.ok(x79.actions.length > 0);
  const unknown = await call('GET', '/api/v1/xid/9999', viewer);
  assert.equal(unknown.status, 404);
  assert.equal((await failure(unknown)).error.code, 'not_found');
  const notNumber = await call('GET', '/api/v1/xid/abc', viewer);
  assert.equal(notNumber.status, 400);
  assert.deepEqual((await failure(notNumber)).error.details.map((d) => d.path), ['code']);
  const found = await answer(await call('GET', '/api/v1/xid/search?q=ECC', viewer), XidListResponse);
  assert.ok(found.entries.some((e) => e.code === 48));
  const byNumber = await answer(await call('GET', '/api/v1/xid/search?q=79', viewer), XidListResponse);
  assert.deepEqual(byNumber.entries.map((e) => e.code), [79]);
  const critical = await answer(await call('GET', '/api/v1/xid?severity=critical', viewer), XidListResponse);
  assert.ok(critical.entries.length > 0 && critical.entries.every((e) => e.severity === 'critical'));
  const sxid = await answer(await call('GET', '/api/v1/sxid/10001', viewer), SxidEntry);
  assert.equal(sxid.code, 10001);
  assert.equal((await call('GET', '/api/v1/sxid/9', viewer)).status, 404);
});

test('notification channels: set Slack, edit without resending the secret, never read it back', async () => {
  const put = await call('PUT', '/api/v1/notifications/slack', admin, { webhook_url: 'https://hooks.slack.example/services/T0/B0/very-secret-path', channel: '#gpu' });
  assert.equal(put.status, 200);
  assert.equal((await answer(put, NotificationChannelsResponse)).slack?.webhook_url, '<redacted>');
  const edit = await call('PUT', '/api/v1/notifications/slack', admin, { channel: '#gpu-alerts' });
  assert.equal(edit.status, 200);
  assert.equal((await answer(edit, NotificationChannelsResponse)).slack?.channel, '#gpu-alerts');
  const text = await (await call('GET', '/api/v1/notifications/channels', viewer)).text();
  assert.ok(!text.includes('very-secret-path'));
  const view = NotificationChannelsResponse.parse(JSON.parse(text));
  assert.equal(view.slack?.channel, '#gpu-alerts');
  assert.equal(view.slack?.webhook_url, '<redacted>');
  // config.yaml holds only the reference; the URL is in secrets.json and survived the edit.
  assert.ok(!(await readFile(store.path, 'utf8')).includes('very-secret-path'), 'the webhook URL is not in config.yaml');
  assert.equal((await store.read()).config.notifications.slack?.webhook_url, '${secret:slack_webhook}');
  assert.equal(await store.secrets.get('slack_webhook'), 'https://hooks.slack.example/services/T0/B0/very-secret-path');
  const bad = await call('PUT', '/api/v1/notifications/email', admin, { smtp_host: 'mail.example.com', from: 'a@example.com', to: [], smtp_port: 'x' });
  assert.equal(bad.status, 400);
  const paths = (await failure(bad)).error.details.map((d) => d.path ?? '');
  assert.ok(paths.includes('smtp_port'), `smtp_port named in ${paths.join(',')}`);
  assert.equal((await call('PUT', '/api/v1/notifications/slack', viewer, { channel: '#x' })).status, 403);
});

test('a test message with the relay down is a 503 naming the relay', async () => {
  const res = await call('POST', '/api/v1/notifications/test', admin, { channel: 'slack' });
  assert.equal(res.status, 503);
  assert.match((await failure(res)).error.message, /notification-relay is not reachable/);
});

test('alerts: apply gpu-production, list its rules, tune a threshold, refuse a bad one naming the field', async () => {
  const presets = await answer(await call('GET', '/api/v1/alerts/presets', viewer), PresetsListResponse);
  assert.ok(presets.presets.some((p) => p.name === 'gpu-production' && !p.applied));
  const applied = await call('POST', '/api/v1/alerts/presets/gpu-production', admin);
  assert.equal(applied.status, 200);
  const appliedBody = await answer(applied, PresetApplyResponse);
  assert.ok(appliedBody.active_rules >= 8);
  assert.ok(appliedBody.presets.includes('gpu-production'));
  const noPreset = await call('POST', '/api/v1/alerts/presets/no-such-preset', admin);
  assert.equal(noPreset.status, 404);
  assert.match((await failure(noPreset)).error.message, /no preset "no-such-preset"/);

  const rules = await answer(await call('GET', '/api/v1/alerts/rules', viewer), RulesListResponse);
  const temp = rules.rules.find((r) => r.name === 'GPUTemperatureCritical');
  assert.equal(temp?.threshold?.value, 85);
  assert.match(temp?.condition_template ?? '', /> \{\{threshold\}\} °C/);

  const before = await readFile(store.path, 'utf8');
  const bad = await call('PATCH', '/api/v1/alerts/rules/GPUTemperatureCritical', admin, { threshold: 'hot' });
  assert.equal(bad.status, 400);
  const badBody = await failure(bad);
  assert.ok(badBody.error.details.some((d) => d.path?.endsWith('GPUTemperatureCritical.threshold')), JSON.stringify(badBody));
  assert.equal(await readFile(store.path, 'utf8'), before, 'a refused change writes nothing');

  const ok = await call('PATCH', '/api/v1/alerts/rules/GPUTemperatureCritical', admin, { threshold: 90, for: '10m' });
  assert.equal(ok.status, 200);
  const okBody = await answer(ok, RulePatchResponse);
  assert.equal(okBody.rule?.threshold?.value, 90);
  assert.equal(okBody.rule?.for, '10m');
  assert.match(okBody.rule?.expr ?? '', /> 90/);
  assert.deepEqual(okBody.rule?.overridden_fields.sort(), ['for', 'threshold']);
  assert.deepEqual((await store.read()).config.alerts.overrides.GPUTemperatureCritical, { threshold: 90, for: '10m' });

  const reset = await call('PATCH', '/api/v1/alerts/rules/GPUTemperatureCritical', admin, { threshold: null, for: null });
  assert.equal(reset.status, 200);
  assert.equal((await answer(reset, RulePatchResponse)).rule?.overridden, false);
  assert.equal((await store.read()).config.alerts.overrides.GPUTemperatureCritical, undefined);
  const noRule = await call('PATCH', '/api/v1/alerts/rules/NoSuchRule', admin, { disabled: true });
  assert.equal(noRule.status, 404);
  assert.equal((await failure(noRule)).error.code, 'not_found');
  assert.equal((await call('PATCH', '/api/v1/alerts/rules/GPUTemperatureCritical', viewer, { disabled: true })).status, 403);

  // An included preset applied on its own, then removed: the answer lists what stays applied.
  assert.equal((await call('POST', '/api/v1/alerts/presets/gpu-basic', admin)).status, 200);
  const removedPreset = await call('DELETE', '/api/v1/alerts/presets/gpu-basic', admin);
  assert.equal(removedPreset.status, 200);
  assert.deepEqual((await answer(removedPreset, PresetRemoveResponse)).presets, ['gpu-production']);
});

test('alerts: custom rules are checked by the rule compiler, with the service token; its refusal names the field and saves nothing', async () => {
  compilerCalls.length = 0;
  compilerAnswers.push({ status: 400, body: errorBody('validation_failed', 'custom rule MyBadRule is refused by promtool', [{ path: 'expr', message: '1:22: parse error: unclosed left parenthesis' }]) });
  const bad = await call('POST', '/api/v1/alerts/custom', admin, { name: 'MyBadRule', expr: 'sum(rate(foo[5m]) by', summary: 'x' });
  assert.equal(bad.status, 400);
  const why = (await failure(bad)).error;
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
  assert.deepEqual((await answer(good, CustomRuleAddResponse)).rule, checked);
  assert.deepEqual((await store.read()).config.alerts.custom.find((c) => c.name === 'MyPowerRule'), checked);

  compilerAnswers.push({ status: 200, body: { rule: { ...checked, name: 'AamiExpressionCheck', expr: 'up == 0' } } });
  assert.deepEqual(await answer(await call('POST', '/api/v1/alerts/validate', admin, { expr: 'up == 0' }), ExpressionCheckResponse), { valid: true });
  compilerAnswers.push({ status: 400, body: errorBody('validation_failed', 'refused by promtool', [{ path: 'expr', message: '1:5: parse error: unexpected end of input' }]) });
  assert.deepEqual(await answer(await call('POST', '/api/v1/alerts/validate', admin, { expr: 'up ==' }), ExpressionCheckResponse), { valid: false, error: '1:5: parse error: unexpected end of input' });

  // A compiler that refuses the gateway's token is the gateway's problem (502), never the caller's 401.
  compilerAnswers.push({ status: 401, body: errorBody('unauthorized', 'no') });
  const refused = await call('POST', '/api/v1/alerts/custom', admin, { name: 'Other', expr: 'up == 0', summary: 'x' });
  assert.equal(refused.status, 502);
  assert.equal((await failure(refused)).error.code, 'upstream_auth');
  const removed = await call('DELETE', '/api/v1/alerts/custom/MyPowerRule', admin);
  assert.equal(removed.status, 200);
  assert.equal((await answer(removed, CustomRuleRemoveResponse)).removed, 'MyPowerRule');
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
});

test('alerts: firing alerts are Alertmanager\'s, an Xid alert carries its explanation; Alertmanager down is a 503', async () => {
  const down = await call('GET', '/api/v1/alerts/firing', viewer);
  assert.equal(down.status, 503, 'Alertmanager is down');
  assert.match((await failure(down)).error.message, /alertmanager is not reachable/);
  amAlerts = [
    { labels: { alertname: 'GPUXidError', node: 'n1', gpu: '0', xid: '79', severity: 'critical' }, annotations: { summary: 'GPU 0 on n1 reported an Xid' }, startsAt: '2026-12-04T10:00:00Z', status: { state: 'active' } },
    { labels: { alertname: 'NodeDown', node: 'n2' }, annotations: { summary: 'n2 is down' }, startsAt: '2026-12-04T10:01:00Z' },
  ];
  try {
    const { alerts } = await answer(await call('GET', '/api/v1/alerts/firing', viewer), FiringAlertsResponse);
    assert.equal(alerts[0]?.xid?.code, 79);
    assert.match(alerts[0]?.xid?.title ?? '', /fallen off the bus/);
    assert.equal(alerts[1]?.xid, undefined);
    assert.equal(alerts[1]?.state, 'active', 'an alert without a status reads as active');
  } finally {
    amAlerts = null;
  }
});

test('notification channels: an SMTP password goes to secrets.json, an unknown ${secret:...} is refused, routing recompiles, removing a channel removes its secret', async () => {
  const email = { smtp_host: 'mail.example.com', from: 'aami@example.com', to: ['ops@example.com'], username: 'aami' };
  const saved = await call('PUT', '/api/v1/notifications/email', admin, { ...email, password: 'smtp-pass-7f3e' });
  assert.equal(saved.status, 200);
  assert.equal((await answer(saved, NotificationChannelsResponse)).email?.password, '<redacted>');
  assert.ok(!(await readFile(store.path, 'utf8')).includes('smtp-pass-7f3e'), 'the SMTP password is not in config.yaml');
  assert.equal((await store.read()).config.notifications.email?.password, '${secret:smtp_password}');
  assert.equal(await store.secrets.get('smtp_password'), 'smtp-pass-7f3e');
  const view = await (await call('GET', '/api/v1/notifications/channels', viewer)).text();
  assert.ok(!view.includes('smtp-pass-7f3e'));
  assert.equal(NotificationChannelsResponse.parse(JSON.parse(view)).email?.password, '<redacted>');

  const unknown = await call('PUT', '/api/v1/notifications/email', admin, { password: '${secret:no_such_secret}' });
  assert.equal(unknown.status, 400);
  const detail = (await failure(unknown)).error.details[0];
  assert.equal(detail?.path, 'password');
  assert.match(detail?.message ?? '', /no_such_secret/);
  assert.equal(await store.secrets.get('smtp_password'), 'smtp-pass-7f3e', 'a refused edit keeps the stored password');

  const jobs = compileJobs.length;
  const routing = await call('PUT', '/api/v1/notifications/routing', admin, { warning: ['slack', 'email'] });
  assert.equal(routing.status, 200);
  assert.deepEqual((await answer(routing, NotificationChannelsResponse)).routing.warning, ['slack', 'email']);
  assert.deepEqual(compileJobs.slice(jobs).map((j) => j.reason), ['routing changed']);
  assert.equal(compileJobs.at(-1)?.revision, (await store.read()).revision);

  const removed = await call('DELETE', '/api/v1/notifications/email', admin);
  assert.equal(removed.status, 200);
  assert.equal((await answer(removed, NotificationChannelsResponse)).email, null);
  assert.equal(await store.secrets.has('smtp_password'), false, 'the password of the removed channel is gone from secrets.json');
  assert.equal(await store.secrets.get('slack_webhook'), 'https://hooks.slack.example/services/T0/B0/very-secret-path', 'the Slack URL stays');
});
