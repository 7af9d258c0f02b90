// The Web UI end to end in headless Chromium (Debian's package, driven by playwright-core), against
// the real pieces: the API gateway process with the UI mounted, Prometheus scraping node_exporter
// (so the nodes table shows live status) and loading the rule compiler's files, Alertmanager,
// Redis, the rule compiler (a threshold changed with clicks lands in the compiled rule file and in
// Prometheus), and the notification relay posting to the local Slack sink (Test shows Slack's own
// answer). Screenshots of each screen go to integration-tests/screenshots/ (gitignored).
// The GPU health screen reads the real analyzer app (health service, checks, routes) run in this
// process on a fake Prometheus that answers dcgm-exporter-like series.
// The install flow, which waits for the gateway's install routes, is in web-ui-flows.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { ConfigStore, HEALTH_ACTION_TEXT, createLogger, loadXidCatalog, type FleetHealthResponse, type NodeHealthResponse } from '@aami/shared';
import { createApp as createAnalyzerApp } from '../../services/analyzer/src/app.ts';
import { HealthService } from '../../services/analyzer/src/health/service.ts';
import type { QueryFn } from '../../services/analyzer/src/health/source.ts';
import { bumpXid, fakePrometheus, observation, setField } from '../../services/analyzer/src/health/testing.ts';
import {
  HARNESS_SERVICE_TOKEN, makeTempDir, startAlertmanager, startNodeExporter, startPrometheus, startRedis,
  type AamiService, type AlertmanagerServer, type NodeExporter, type PrometheusServer, type RedisServer,
} from './harness/index.ts';
import { startSlackSinkServer, type SlackSinkServer } from './support/slack-sink.ts';
import { launchUiBrowser, SCREENSHOT_DIR, signedInTab, type UiBrowser } from './web-ui/browser.ts';
import { startServiceOnFreePort } from './web-ui/services.ts';
import { startUiGateway } from './web-ui/ui-gateway.ts';

const ADMIN = 'aami_web-ui-admin-token-0123456789abcdef';
const RELAY_TOKEN = 'aami-relay-token-for-web-ui-tests-01234';
const XSS = '<img src=x onerror=alert(1)>';
/** The same attack without spaces, so it stays one column of a hosts-file line. */
const XSS_NO_SPACE = '<img/src=x/onerror=alert(2)>';
let dataDir: string;
let generatedDir: string;
let gateway: AamiService;
let redis: RedisServer;
let prom: PrometheusServer;
let am: AlertmanagerServer;
let ne: NodeExporter;
let relay: AamiService;
let compiler: AamiService;
let sink: SlackSinkServer;
let browser: UiBrowser;
let viewer: string;
let analyzer: HealthAnalyzer;

/** Calls the gateway API directly (what another admin or the CLI would do). */
async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A dcgm-exporter target whose node label is an attack (it reports no GPUs, so it has a node-level reason naming it). */
const HOSTILE_NODE = '<img src=x onerror=alert(3)>';

/** The analyzer's app with a real HealthService on a fake Prometheus; `down` drops every connection. */
interface HealthAnalyzer {
  url: string;
  health: HealthService;
  /** Connections are cut (the gateway sees the analyzer as unreachable). */
  down: boolean;
  /** Every Prometheus query fails (the evaluation fails and keeps its previous results). */
  promDown: boolean;
  close(): Promise<void>;
}

/**
 * Two nodes of 4 GPUs as dcgm-exporter reports them: gpu-node-01 GPU 1 reports a failed row remap
 * (unhealthy, inspect the hardware), GPU 2 logs Xid 79 after the first evaluation (unhealthy,
 * reboot; a clear forgets it), gpu-node-02 GPU 3 is slowed down for heat (degraded); and a
 * hostile node label with no GPUs.
 */
async function startHealthAnalyzer(dir: string): Promise<HealthAnalyzer> {
  const obs = observation(['gpu-node-01', 'gpu-node-02'], 4);
  setField(obs, 'gpu-node-01', 1, 'remapFailure', 1);
  setField(obs, 'gpu-node-02', 3, 'thermalSlowdownRatio', 0.5);
  obs.exporters.set(HOSTILE_NODE, 'up');
  const fake = fakePrometheus(obs);
  const registry = new Registry();
  const log = createLogger('analyzer-web-ui', 'error');
  const catalog = loadXidCatalog();
  let promDown = false;
  const query: QueryFn = (expr) => (promDown ? Promise.reject(new Error(`Prometheus did not answer ${expr}`)) : fake(expr));
  const health = new HealthService({
    query, memoryPath: join(dir, 'health', 'state.json'), catalog, registry, log,
    intervalMs: 3_600_000, rateWindow: '5m', rebootThreshold: 2, lookbackMs: 72 * 3600_000,
  });
  await health.evaluate();
  bumpXid(obs, 'gpu-node-01', 2, 79);
  await health.evaluate();
  const app = createAnalyzerApp({ serviceToken: HARNESS_SERVICE_TOKEN, catalog, registry, health, log });
  const state = { down: false };
  const server: Server = createServer((req, res) => {
    if (state.down) req.socket.destroy();
    else app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    health,
    get down() { return state.down; },
    set down(v: boolean) { state.down = v; },
    get promDown() { return promDown; },
    set promDown(v: boolean) { promDown = v; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Opens the GPU health screen from the nav bar. */
async function healthScreen(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'GPU health' }).click();
  await page.getByRole('heading', { level: 1, name: 'GPU health' }).waitFor();
  await page.locator('button.gpu-cell').first().waitFor();
}

/** The symbol each health state is drawn with (besides its colour). */
const HEALTH_SYMBOL: Readonly<Record<string, string>> = { healthy: '✓', unknown: '?', degraded: '!', unhealthy: '✕' };

/** What the cell of a GPU is called for assistive tech (and its tooltip starts with). */
const cellName = (node: string, gpu: number, state: string, score: number) => `${node} GPU ${gpu}: ${state[0]?.toUpperCase()}${state.slice(1)}, score ${Math.round(score)}`;

async function nodeNames(): Promise<string[]> {
  const { body } = await api('GET', '/api/v1/nodes?status=false', ADMIN);
  return (body as { nodes: Array<{ name: string }> }).nodes.map((n) => n.name);
}

/** Every YAML file under `dir`, recursively. */
async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push(join(e.parentPath, e.name));
  }
  return out;
}

/** The rule named `alert` in any Prometheus rule file under the generated dir. */
async function compiledRule(alert: string): Promise<{ file: string; expr: string } | undefined> {
  for (const file of await yamlFiles(generatedDir)) {
    let doc: unknown;
    try { doc = parseYaml(await readFile(file, 'utf8')); } catch { continue; }
    const groups = (doc as { groups?: Array<{ rules?: Array<{ alert?: string; expr?: string }> }> } | null)?.groups ?? [];
    for (const g of groups) for (const r of g.rules ?? []) if (r.alert === alert) return { file, expr: String(r.expr) };
  }
  return undefined;
}

/** Opens the UI in a new tab and signs in with `token`; resolves on the Nodes screen. */
const signedIn = (token: string): Promise<Page> => signedInTab(browser, gateway.url, token);

before(async () => {
  dataDir = await makeTempDir('web-ui');
  generatedDir = join(dataDir, 'generated');
  await new ConfigStore(join(dataDir, 'config.yaml')).create({});
  [redis, ne, am, sink] = await Promise.all([
    startRedis(), startNodeExporter(), startAlertmanager('route: {receiver: none}\nreceivers: [{name: none}]\n'), startSlackSinkServer({ secret: 'web-ui' }),
  ]);

  // Eight GPUs as dcgm-exporter would show them, served through node_exporter's textfile collector.
  await writeFile(join(ne.textfileDir, 'gpus.prom'), Array.from({ length: 8 }, (_, i) => `DCGM_FI_DEV_GPU_TEMP{gpu="${i}"} ${40 + i}`).join('\n') + '\n');
  // The rule files the compiler writes (generated/prometheus/rules/*.yml) are loaded on each reload.
  prom = await startPrometheus({
    configYaml: `global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: ['${generatedDir}/prometheus/rules/*.yml']\nscrape_configs:\n  - job_name: node_exporter\n    file_sd_configs: [{files: ['{{DIR}}/targets.json'], refresh_interval: 1s}]\n`,
    files: { 'targets.json': JSON.stringify([{ targets: [ne.address], labels: { node: 'gpu-node-01' } }]) },
  });
  const env: NodeJS.ProcessEnv = {
    AAMI_DATA_DIR: dataDir,
    AAMI_GENERATED_DIR: generatedDir,
    AAMI_REDIS_URL: redis.url,
    AAMI_PROMETHEUS_URL: prom.url,
    AAMI_ALERTMANAGER_URL: am.url,
    AAMI_RELAY_TOKEN: RELAY_TOKEN,
  };
  [relay, compiler] = await Promise.all([
    startServiceOnFreePort('notification-relay', 'AAMI_RELAY_PORT', undefined, { ...env, AAMI_RELAY_QUEUE_PREFIX: 'webui' }),
    startServiceOnFreePort('rule-compiler', 'AAMI_RULE_COMPILER_PORT', 'AAMI_RULE_COMPILER_URL', { ...env, AAMI_COMPILE_DEBOUNCE_MS: '100' }),
  ]);
  analyzer = await startHealthAnalyzer(dataDir);
  gateway = await startUiGateway({ ...env, AAMI_ADMIN_TOKEN: ADMIN, AAMI_RELAY_URL: relay.url, AAMI_RULE_COMPILER_URL: compiler.url, AAMI_ANALYZER_URL: analyzer.url });
  const made = await api('POST', '/api/v1/tokens', ADMIN, { name: 'portal viewer', role: 'viewer' });
  assert.equal(made.status, 201);
  viewer = (made.body as { token: string }).token;
  browser = await launchUiBrowser();
  console.log(`screenshots: ${SCREENSHOT_DIR}`);
});

after(async () => {
  await browser?.close();
  await Promise.all([gateway?.stop(), relay?.stop(), compiler?.stop(), prom?.stop(), am?.stop(), ne?.stop(), sink?.close(), analyzer?.close()]);
  await redis?.stop();
});

test('the UI page is served with a strict CSP, framing refused, no referrer, and only bundled assets', async () => {
  const res = await fetch(`${gateway.url}/`);
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/, 'no unsafe-inline / unsafe-eval scripts');
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  const html = await res.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc="\/app\.js")/, 'the only script is /app.js');
  assert.doesNotMatch(html, /https?:\/\//, 'no outside URL in the page');
  const js = await (await fetch(`${gateway.url}/app.js`)).text();
  assert.ok(js.length > 1000, 'the bundle is served');
  assert.doesNotMatch(js, /\binnerHTML\b|insertAdjacentHTML|document\.write/, 'the UI never parses data as HTML');
});

test('sign-in: a wrong token is refused with a reason; the admin token signs in as Admin and stays in this tab only', async () => {
  const page = await browser.newPage();
  await page.goto(gateway.url);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('API token').fill('aami_not-a-real-token-000000000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That token was not accepted').waitFor();
  await browser.screenshot(page, '01-sign-in-refused');

  await page.getByLabel('API token').fill(ADMIN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  assert.equal(await page.locator('.who .badge').textContent(), 'Admin');
  // The token is in sessionStorage of this origin only: no cookie, nothing in localStorage.
  const storage = await page.evaluate('({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.getItem("aami.token") })');
  assert.deepEqual(storage, { cookie: '', local: 0, session: ADMIN });
  // A reload keeps the session; signing out forgets the token.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate('sessionStorage.getItem("aami.token")'), null);
  await page.close();
});

test('nodes: the table shows live status and GPUs from Prometheus; a hostile name or label renders as text', async () => {
  const added = await api('POST', '/api/v1/nodes', ADMIN, { name: 'gpu-node-01', ip: '127.0.0.1', ssh_user: 'root', labels: { gpu_type: 'h100', note: XSS } });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const page = await signedIn(ADMIN);
  // Prometheus scrapes every second; reload until the node is up with its 8 GPUs.
  const row = page.getByRole('row', { name: /gpu-node-01/ });
  for (let i = 0; i < 30; i++) {
    if ((await row.textContent())?.includes('Up')) break;
    await page.waitForTimeout(1000);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
  }
  const cells = await row.locator('td, th').allTextContents();
  assert.equal(cells[1], 'gpu-node-01');
  assert.equal(cells[2], '127.0.0.1');
  assert.equal(cells[3], '8', `GPU count: ${cells.join(' | ')}`);
  assert.match(cells[4] ?? '', /Up/);
  assert.equal(cells[5], '0');
  await page.getByText(`note=${XSS}`).waitFor();

  // Through the form, the same name is refused by the gateway; its error quotes the name as text.
  await page.getByLabel('Name', { exact: true }).fill(XSS);
  await page.getByLabel('Address').fill('10.9.9.9');
  await page.getByRole('button', { name: 'Add node' }).click();
  await page.locator('.message.error', { hasText: `Could not add "${XSS}"` }).waitFor();
  assert.equal(await page.locator('img').count(), 0, 'no <img> element was created from data');
  assert.deepEqual(browser.dialogs, [], 'no script ran: no alert() dialog');
  await browser.screenshot(page, '02-nodes');
  await page.close();
});

test('hosts import: a bad line is reported as "Line N" and nothing is added; skipping bad lines adds the rest', async () => {
  const page = await signedIn(ADMIN);
  const before = await nodeNames();
  await page.getByLabel('Hosts file', { exact: true }).fill(['# rack 12', 'gpu-node-02 10.0.12.2', 'gpu-node-03 10.0.12.999', 'gpu-node-04 10.0.12.4 rack=r12', `${XSS_NO_SPACE} 10.0.12.5`].join('\n'));
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const error = page.locator('.message.error', { hasText: 'Nothing was imported' });
  await error.waitFor();
  const details = await error.locator('li').allTextContents();
  assert.equal(details.length, 2, details.join('\n'));
  assert.match(details[0] ?? '', /^Line 3: .*10\.0\.12\.999/);
  assert.match(details[1] ?? '', /^Line 5: /);
  assert.ok(details[1]?.includes(XSS_NO_SPACE), `the hostile name is quoted as text: ${details[1]}`);
  assert.deepEqual(await nodeNames(), before, 'nothing was written');
  assert.deepEqual(browser.dialogs, []);
  await browser.screenshot(page, '03-nodes-import-errors');

  await page.getByLabel(/Skip bad lines/).check();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByText('Added 2 nodes: gpu-node-02, gpu-node-04.').waitFor();
  const skipped = await page.locator('.message.ok li').allTextContents();
  assert.equal(skipped.length, 2);
  assert.deepEqual((await nodeNames()).slice(-2), ['gpu-node-02', 'gpu-node-04']);
  await page.getByRole('button', { name: 'Show the updated table' }).click();
  await page.getByRole('row', { name: /gpu-node-04/ }).waitFor();
  await page.close();
});

test('stale write: a change made elsewhere shows the "changed elsewhere, reload" banner, and the edit is not lost from the form', async () => {
  const page = await signedIn(ADMIN);
  // Someone else adds a node after this page loaded.
  const other = await api('POST', '/api/v1/nodes', ADMIN, { name: 'added-elsewhere', ip: '10.7.0.1' });
  assert.equal(other.status, 201);
  await page.getByLabel('Name', { exact: true }).fill('mine-1');
  await page.getByLabel('Address').fill('10.7.0.2');
  await page.getByRole('button', { name: 'Add node' }).click();
  const banner = page.getByRole('alert').filter({ hasText: 'This changed elsewhere since you loaded it. Reload to see the latest (your edit was not saved).' });
  await banner.waitFor();
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'mine-1', 'the typed edit is still there');
  assert.ok(!(await nodeNames()).includes('mine-1'), 'the stale edit was not written');
  await browser.screenshot(page, '04-conflict-banner');
  await banner.getByRole('button', { name: 'Reload' }).click();
  await page.getByRole('row', { name: /added-elsewhere/ }).waitFor();
  assert.equal(await page.getByText('This changed elsewhere').count(), 0, 'the banner is gone after reload');
  await page.close();
});

test('Xid lookup: searching 79 explains "fallen off the bus" with causes and actions; words search too', async () => {
  const page = await signedIn(ADMIN);
  await page.getByRole('link', { name: 'Xid lookup' }).click();
  await page.getByRole('heading', { level: 1, name: 'Xid lookup' }).waitFor();
  await page.getByText(/Xid codes in the catalog/).waitFor();
  await page.getByRole('searchbox', { name: 'Search the Xid catalog' }).fill('79');
  await page.getByRole('button', { name: 'Search' }).click();
  const entry = page.locator('details[data-code="79"]');
  await entry.waitFor();
  assert.equal(await entry.getAttribute('open'), '', 'a single match opens by itself');
  const text = (await entry.textContent()) ?? '';
  assert.match(text, /fallen off the bus/);
  for (const heading of ['What it means', 'Common causes', 'What to do']) assert.ok(text.includes(heading), heading);
  await browser.screenshot(page, '05-xid-lookup');
  await page.getByRole('searchbox', { name: 'Search the Xid catalog' }).fill('fallen off the bus');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText(/match(es)? for "fallen off the bus"/).waitFor();
  assert.ok(await page.locator('details[data-code="79"]').count() === 1, 'Xid 79 is found by words');
  await page.close();
});

test('notifications: add Slack with clicks, press Test: the local Slack sink gets it and the answer shows inline; a refusal shows Slack\'s words', async () => {
  const page = await signedIn(ADMIN);
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { level: 1, name: 'Notification channels' }).waitFor();
  await page.getByRole('button', { name: '+ Add Slack' }).click();
  await page.getByLabel('Incoming-webhook URL').fill(sink.url);
  await page.getByLabel('Channel', { exact: true }).fill('#gpu-alerts');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved the Slack channel.').waitFor();
  await page.locator('[data-channel="slack"]').getByText('#gpu-alerts').waitFor();
  await page.getByText('Webhook URL: stored, hidden').waitFor();
  assert.equal(await page.getByText('web-ui').count(), 0, 'the webhook URL is never shown');

  const slackResult = page.locator('[data-channel="slack"] .test-result');
  const received = sink.records.length;
  await page.getByRole('button', { name: 'Send a test message to Slack' }).click();
  await slackResult.getByText('✓ Slack accepted the test message.').waitFor({ timeout: 30_000 });
  assert.equal(sink.records.length, received + 1, 'the sink received one message');
  assert.equal(sink.records.at(-1)?.status, 200);
  assert.deepEqual(sink.records.at(-1)?.problems, [], 'what the relay sent is a valid Slack payload');

  // Slack refuses the next post: the channel's own answer is shown, not a generic error.
  const control = await fetch(`${new URL(sink.url).origin}/control/fail`, { method: 'POST', body: JSON.stringify({ status: 404, count: 1 }) });
  assert.equal(control.status, 200);
  await page.getByRole('button', { name: 'Send a test message to Slack' }).click();
  await slackResult.getByText('✗ Slack did not accept the test message.').waitFor({ timeout: 30_000 });
  await slackResult.getByText(/404/).waitFor();
  await slackResult.getByText(/webhook URL or the credentials were refused/).waitFor();
  await browser.screenshot(page, '06-notifications-test-refused');

  await page.getByRole('button', { name: '+ Add Email' }).click();
  await page.getByLabel('SMTP server', { exact: true }).fill('127.0.0.1');
  await page.getByLabel('Port', { exact: true }).fill('2525');
  await page.getByLabel('Encryption', { exact: true }).selectOption('none');
  await page.getByLabel('From', { exact: true }).fill('aami@gpu.example');
  await page.getByLabel('To', { exact: true }).fill('infra-team@company.example');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved the email channel.').waitFor();
  await page.locator('[data-channel="email"]').getByText('infra-team@company.example').waitFor();
  const cfg = await readFile(join(dataDir, 'config.yaml'), 'utf8');
  assert.ok(!cfg.includes(sink.url), 'config.yaml holds no webhook URL');
  assert.match(cfg, /webhook_url: \$\{secret:slack_webhook\}/);
  assert.equal((JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>)['slack_webhook'], sink.url, 'the URL itself is in secrets.json');
  assert.match(cfg, /#gpu-alerts/);
  // Test again so the screenshot shows an answer next to the channel.
  await page.getByRole('button', { name: 'Send a test message to Slack' }).click();
  await slackResult.getByText('✓ Slack accepted the test message.').waitFor({ timeout: 30_000 });
  await browser.screenshot(page, '07-notifications');
  await page.close();
});

test('alert rules: apply a preset, change a threshold with clicks, and find the new number in the compiled Prometheus rule file', async () => {
  const presets = ((await api('GET', '/api/v1/alerts/presets', ADMIN)).body) as { presets: Array<{ name: string; applied: boolean }> };
  const preset = presets.presets.find((p) => p.name === 'gpu-production') ?? presets.presets[0];
  assert.ok(preset, 'at least one preset is offered');

  const page = await signedIn(ADMIN);
  await page.getByRole('link', { name: 'Alert rules' }).click();
  await page.getByRole('heading', { level: 1, name: 'Alert rules' }).waitFor();
  if (!preset.applied) {
    await page.getByRole('button', { name: `Apply preset ${preset.name}` }).click();
    await page.getByText(`Applied preset ${preset.name}`).waitFor();
  }
  const { rules } = (await api('GET', '/api/v1/alerts/rules', ADMIN)).body as { rules: Array<{ name: string; threshold: { value: number; max?: number } | null }> };
  const rule = rules.find((r) => r.threshold && /Temperature/.test(r.name)) ?? rules.find((r) => r.threshold);
  assert.ok(rule?.threshold, 'an applied rule has a tunable threshold');
  const wanted = rule.threshold.max !== undefined && rule.threshold.value + 3 > rule.threshold.max ? rule.threshold.value - 3 : rule.threshold.value + 3;

  const card = page.locator(`article[data-rule="${rule.name}"]`);
  await card.getByRole('spinbutton', { name: /^Threshold for / }).fill(String(wanted));
  await card.getByText('Unsaved changes').waitFor();
  await card.getByRole('button', { name: /^Save / }).click();
  try {
    await card.locator('.rule-result').getByText(/Rules compiled and accepted/).waitFor({ timeout: 60_000 });
  } catch (err) {
    await browser.screenshot(page, '08-alert-rules-FAILED');
    const status = await api('GET', '/api/v1/alerts/compile-status', ADMIN);
    assert.fail(`the save did not report a compile: ${(err as Error).message}\nrule card says: ${await card.locator('.rule-result').textContent()}\ncompile-status: ${JSON.stringify(status.body)}\nrule-compiler log: ${compiler.output().slice(-3000)}`);
  }
  assert.match((await card.locator('.rule-result').textContent()) ?? '', /Prometheus reloaded ✓/);
  await browser.screenshot(page, '08-alert-rules');
  await browser.screenshot(card, '08-alert-rules-saved-rule');

  const compiled = await compiledRule(rule.name);
  assert.ok(compiled, `a rule file under ${generatedDir} holds alert ${rule.name}`);
  assert.match(compiled.expr, new RegExp(`\\b${wanted}\\b`), `${compiled.file}: ${compiled.expr}`);
  // And Prometheus runs it: the reload the UI reported loaded the new expression.
  const loaded = (await (await fetch(`${prom.url}/api/v1/rules?type=alert`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; query: string }> }> } };
  const running = loaded.data.groups.flatMap((g) => g.rules).find((r) => r.name === rule.name);
  assert.ok(running, `Prometheus has loaded ${rule.name}`);
  assert.match(running.query, new RegExp(`\\b${wanted}\\b`), running.query);
  await page.close();
});

test('custom rule: PromQL is checked by the compiler before saving; promtool\'s message is shown for a bad one', async () => {
  const page = await signedIn(ADMIN);
  await page.getByRole('link', { name: 'Alert rules' }).click();
  await page.getByRole('button', { name: '+ New custom rule' }).click();
  await page.getByLabel('Rule name').fill('UiTestHighPower');
  await page.getByLabel('PromQL expression').fill('sum(DCGM_FI_DEV_POWER_USAGE by (node) > 650');
  await page.getByLabel('Summary').fill('GPU power above 650 W');
  await page.getByRole('button', { name: 'Save custom rule' }).click();
  await page.getByText('Not valid PromQL:').waitFor();
  await page.getByText('Not saved: fix the PromQL first.').waitFor();
  await browser.screenshot(page.locator('#custom-rule'), '09-custom-rule-promql-error');
  assert.equal(((await api('GET', '/api/v1/alerts/rules', ADMIN)).body as { rules: Array<{ name: string }> }).rules.some((r) => r.name === 'UiTestHighPower'), false);
  await page.getByLabel('PromQL expression').fill('sum by (node) (DCGM_FI_DEV_POWER_USAGE) > 650');
  await page.getByRole('button', { name: 'Save custom rule' }).click();
  await page.getByText('Saved custom rule UiTestHighPower').waitFor();
  await page.locator('article[data-rule="UiTestHighPower"]').waitFor();
  await page.close();
});

test('firing alerts: a simulated Xid 79 alert is shown with its explanation expanded; hostile label values are text', async () => {
  const now = new Date().toISOString();
  const post = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      {
        labels: { alertname: 'GPUXidError', severity: 'critical', component: 'xid', node: 'gpu-node-07', xid: '79', pci_bus_id: '00000000:3B:00.0' },
        annotations: { summary: 'Xid 79 on gpu-node-07, GPU 00000000:3B:00.0', description: 'The NVIDIA driver on node gpu-node-07 logged Xid 79 for the GPU at PCI address 00000000:3B:00.0 in the last 10 minutes.' },
        startsAt: now,
      },
      { labels: { alertname: 'GPUTemperatureCritical', severity: 'critical', node: XSS, gpu: '0' }, annotations: { summary: `GPU 0 on ${XSS} is at 93 °C` }, startsAt: now },
    ]),
  });
  assert.equal(post.status, 200);
  const page = await signedIn(ADMIN);
  await page.getByRole('link', { name: 'Firing alerts' }).click();
  const card = page.locator('article[data-alertname="GPUXidError"]');
  await card.waitFor({ timeout: 30_000 });
  const explain = card.getByRole('region', { name: 'Explanation of Xid 79' });
  await explain.getByRole('heading', { name: /^Xid 79: GPU has fallen off the bus/ }).waitFor();
  const text = (await explain.textContent()) ?? '';
  for (const part of ['What it means', 'Common causes', 'What to do']) assert.ok(text.includes(part), part);
  await page.getByText(`GPU 0 on ${XSS} is at 93 °C`).waitFor();
  assert.equal(await page.locator('img').count(), 0);
  assert.deepEqual(browser.dialogs, []);
  await browser.screenshot(page, '10-firing-xid');
  await page.close();
});

test('viewer token: every control that changes something is disabled with "needs an admin token", and replayed writes get 403', async () => {
  const page = await signedIn(viewer);
  assert.equal(await page.locator('.who .badge').textContent(), 'Viewer (read-only)');
  await page.getByText('You are signed in with a viewer token').waitFor();
  for (const name of ['Add node', 'Import', 'Install on all nodes']) {
    const b = page.getByRole('button', { name, exact: true });
    assert.ok(await b.isDisabled(), `${name} is disabled`);
    assert.equal(await b.getAttribute('title'), 'needs an admin token');
  }
  assert.ok(await page.getByLabel('Name', { exact: true }).isDisabled());
  await browser.screenshot(page, '11-viewer-nodes');
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { level: 1, name: 'Notification channels' }).waitFor();
  for (const name of ['Edit Slack', 'Send a test message to Slack', 'Remove Slack', 'Save routing']) {
    assert.ok(await page.getByRole('button', { name }).isDisabled(), `${name} is disabled`);
  }
  await page.getByRole('link', { name: 'Alert rules' }).click();
  await page.getByRole('heading', { level: 1, name: 'Alert rules' }).waitFor();
  const rule = page.locator('article[data-rule]').first();
  await rule.waitFor();
  assert.ok(await rule.getByRole('spinbutton').first().isDisabled(), 'thresholds and durations are read-only');
  assert.ok(await rule.getByRole('checkbox').isDisabled(), 'the enabled box is read-only');
  assert.ok(await rule.getByRole('combobox').first().isDisabled(), 'severity is read-only');
  for (const b of [page.getByRole('button', { name: '+ New custom rule' }), page.getByRole('button', { name: /^(Apply|Remove) preset / }).first()]) {
    assert.ok(await b.isDisabled());
    assert.equal(await b.getAttribute('title'), 'needs an admin token');
  }
  await browser.screenshot(page, '12-viewer-alert-rules');
  // Replaying the admin's requests with the viewer's token, from the page itself: all refused.
  const configBefore = await readFile(join(dataDir, 'config.yaml'), 'utf8');
  const statuses = await page.evaluate(async (token) => {
    const send = async (method: string, path: string, body?: unknown) => (await fetch(path, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    })).status;
    return [
      await send('POST', '/api/v1/nodes', { name: 'viewer-made', ip: '10.66.0.1' }),
      await send('POST', '/api/v1/nodes/import', { text: 'viewer-2 10.66.0.2' }),
      await send('DELETE', '/api/v1/nodes/gpu-node-01'),
      await send('PUT', '/api/v1/notifications/slack', { webhook_url: 'http://127.0.0.1:9/evil' }),
      await send('DELETE', '/api/v1/notifications/email'),
      await send('POST', '/api/v1/notifications/test', { channel: 'slack' }),
      await send('PATCH', '/api/v1/alerts/rules/GpuTemperatureCritical', { threshold: 1 }),
      await send('POST', '/api/v1/alerts/presets/gpu-production'),
      await send('POST', '/api/v1/install/runs', { action: 'install', all: true }),
      await send('POST', '/api/v1/tokens', { name: 'escalate', role: 'admin' }),
    ];
  }, viewer);
  assert.deepEqual(statuses, Array(statuses.length).fill(403));
  assert.equal(await readFile(join(dataDir, 'config.yaml'), 'utf8'), configBefore, 'config.yaml is unchanged');
  await page.close();
});

test('GPU health: one cell per GPU, nodes worst first, each with a symbol, its score and a label naming node, GPU, state and score; hostile text stays text', async () => {
  const fleet = (await api('GET', '/api/v1/health', ADMIN)).body as FleetHealthResponse;
  assert.deepEqual(fleet.nodes.map((n) => n.node), ['gpu-node-01', 'gpu-node-02', HOSTILE_NODE], 'worst first: unhealthy, degraded, unknown');
  const page = await signedIn(ADMIN);
  await healthScreen(page);
  // One block per node in the API's order, one cell per GPU.
  const blocks = page.locator('section.health-node');
  const shown: Array<string | null> = [];
  for (let i = 0; i < await blocks.count(); i++) shown.push(await blocks.nth(i).getAttribute('data-node'));
  assert.deepEqual(shown, fleet.nodes.map((n) => n.node));
  const gpus = fleet.nodes.flatMap((n) => n.gpus);
  assert.equal(gpus.length, 8);
  assert.equal(await page.locator('button.gpu-cell').count(), gpus.length);
  for (const g of gpus) {
    const name = cellName(g.node, g.gpu, g.state, g.score);
    const cell = page.getByRole('button', { name, exact: true });
    assert.equal(await cell.count(), 1, name);
    assert.equal(await cell.locator('.cell-symbol').textContent(), HEALTH_SYMBOL[g.state], name);
    assert.equal(await cell.locator('.cell-score').textContent(), String(Math.round(g.score)), name);
    assert.equal(await cell.locator('.cell-gpu').textContent(), `GPU ${g.gpu}`);
    assert.ok((await cell.getAttribute('title'))?.startsWith(name), `the tooltip names the GPU: ${name}`);
  }
  const stateOf = (node: string, gpu: number) => gpus.find((g) => g.node === node && g.gpu === gpu)?.state;
  assert.equal(stateOf('gpu-node-01', 0), 'healthy');
  assert.equal(stateOf('gpu-node-01', 1), 'unhealthy');
  assert.equal(stateOf('gpu-node-01', 2), 'unhealthy');
  assert.equal(stateOf('gpu-node-02', 3), 'degraded');
  assert.equal(await page.locator('button.gpu-cell[data-node="gpu-node-01"][data-gpu="1"] .cell-symbol').textContent(), '✕');
  assert.equal(await page.locator('button.gpu-cell[data-node="gpu-node-01"][data-gpu="0"] .cell-symbol').textContent(), '✓');
  // The fleet counts per state, and when it was evaluated.
  for (const s of ['healthy', 'degraded', 'unhealthy', 'unknown'] as const) {
    assert.equal(await page.locator(`.health-count[data-state="${s}"] .health-count-n`).textContent(), String(fleet.counts[s] ?? 0), s);
  }
  assert.deepEqual(fleet.counts, { healthy: 5, unknown: 0, degraded: 1, unhealthy: 2 });
  await page.getByText(/^Evaluated .* ago/).waitFor();
  // The hostile node label is a heading and its finding a sentence, both as text.
  await page.getByRole('heading', { level: 2, name: HOSTILE_NODE, exact: true }).waitFor();
  await page.getByText(`dcgm-exporter on ${HOSTILE_NODE} answers but reports no GPUs`).waitFor();
  assert.equal(await page.locator('img').count(), 0, 'no <img> element was created from data');
  assert.deepEqual(browser.dialogs, []);
  await browser.screenshot(page, '13-gpu-health');
  await page.close();
});

test('GPU health: a cell opens its state, score, suggested action, every check and its history; an admin clears the findings with a reason and the view updates', async () => {
  const page = await signedIn(ADMIN);
  await healthScreen(page);
  const details = page.locator('section.gpu-details');

  // The row-remap GPU: its reason, the action sentence, every check.
  const one = (await api('GET', '/api/v1/health/gpu-node-01?gpu=1', ADMIN)).body as NodeHealthResponse;
  const g1 = one.gpus[0];
  assert.ok(g1);
  await page.getByRole('button', { name: cellName('gpu-node-01', 1, 'unhealthy', g1.score), exact: true }).click();
  await details.getByRole('heading', { name: 'gpu-node-01 · GPU 1' }).waitFor();
  await details.locator('.gpu-reasons').getByText('row remapping failed: the GPU memory cannot be repaired in place').waitFor();
  assert.equal(await details.locator('.health-action').textContent(), HEALTH_ACTION_TEXT['inspect-hardware'], 'the shared action sentence');
  const rows = details.locator('.health-checks tbody tr');
  assert.equal(await rows.count(), g1.checks.length, 'every check is listed');
  for (const c of g1.checks) {
    const row = details.locator(`.health-checks tr[data-check="${c.check}"]`);
    assert.deepEqual((await row.locator('th, td').allTextContents()).map((t) => t.trim()), [c.check, `${HEALTH_SYMBOL[c.state]} ${c.state[0]?.toUpperCase()}${c.state.slice(1)}`, c.reason]);
  }
  assert.equal(await page.locator('button.gpu-cell[data-node="gpu-node-01"][data-gpu="1"]').getAttribute('aria-expanded'), 'true');
  assert.equal(await page.evaluate('location.hash'), '#/health/gpu-node-01?gpu=1', 'the address opens this GPU again');

  // The Xid 79 GPU: reason, history, then the clear.
  const two = (await api('GET', '/api/v1/health/gpu-node-01?gpu=2', ADMIN)).body as NodeHealthResponse;
  const g2 = two.gpus[0];
  assert.ok(g2);
  assert.equal(g2.action, 'reboot-node');
  assert.ok(two.history.length >= 1, 'the analyzer recorded the change');
  await page.getByRole('button', { name: cellName('gpu-node-01', 2, 'unhealthy', g2.score), exact: true }).click();
  await details.getByRole('heading', { name: 'gpu-node-01 · GPU 2' }).waitFor();
  await details.locator('.gpu-reasons').getByText(/^Xid 79 \(GPU has fallen off the bus/).waitFor();
  assert.equal(await details.locator('.health-action').textContent(), HEALTH_ACTION_TEXT['reboot-node']);
  await details.locator('.health-facts').getByText(`${Math.round(g2.score)} of 100`).waitFor();
  const history = details.locator('.health-history > li');
  assert.equal(await history.count(), two.history.length);
  const first = history.first();
  assert.match(((await first.locator('.history-change').textContent()) ?? '').trim(), /^✓ Healthy\s*→\s*(to\s*)?✕ Unhealthy$/);
  assert.equal(await first.locator('.history-action').textContent(), HEALTH_ACTION_TEXT['reboot-node']);
  assert.match((await first.locator('.history-reason').textContent()) ?? '', /^Xid 79 /);
  await browser.screenshot(page, '14-gpu-health-details');

  const unhealthyBefore = Number(await page.locator('.health-count[data-state="unhealthy"] .health-count-n').textContent());
  const reason = `GPU reseated, ticket 4411 ${XSS}`;
  const reasonField = details.getByLabel('Reason (kept in the audit log)');
  await reasonField.fill('   ');
  await details.getByRole('button', { name: 'Clear findings' }).click();
  await details.getByText('Say why, for the audit').waitFor();
  await reasonField.fill(reason);
  await details.getByRole('button', { name: 'Clear findings' }).click();
  const done = details.locator('.message.ok', { hasText: 'Cleared 1 finding on gpu-node-01 GPU 2 (by ' });
  await done.waitFor();
  assert.ok((await done.textContent())?.endsWith(`Reason: ${reason}`), `the reason is quoted as text: ${await done.textContent()}`);
  // The view shows the new state: the cell, the counts and the details.
  await page.getByRole('button', { name: cellName('gpu-node-01', 2, 'healthy', 100), exact: true }).waitFor();
  assert.equal(await page.locator('button.gpu-cell[data-node="gpu-node-01"][data-gpu="2"] .cell-symbol').textContent(), '✓');
  assert.equal(Number(await page.locator('.health-count[data-state="unhealthy"] .health-count-n').textContent()), unhealthyBefore - 1);
  await details.getByText('Every check passes.').waitFor();
  assert.equal(await details.locator('.health-action').textContent(), HEALTH_ACTION_TEXT.none);
  const after = (await api('GET', '/api/v1/health/gpu-node-01?gpu=2', ADMIN)).body as NodeHealthResponse;
  assert.equal(after.gpus[0]?.state, 'healthy', 'the analyzer cleared it');
  assert.equal(await page.locator('img').count(), 0, 'the reason was shown as text');
  assert.deepEqual(browser.dialogs, []);
  await browser.screenshot(page, '15-gpu-health-cleared');
  await page.close();
});

test('GPU health as a viewer: the details say clearing needs an admin token and offer no button; a replayed clear gets 403', async () => {
  const page = await signedIn(viewer);
  // The address of a GPU opens it directly.
  await page.evaluate('location.hash = "#/health/gpu-node-01?gpu=1"');
  const details = page.locator('section.gpu-details');
  await details.getByRole('heading', { name: 'gpu-node-01 · GPU 1' }).waitFor();
  await details.getByText('row remapping failed').first().waitFor();
  await details.getByText('Clearing findings needs an admin token').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Clear findings' }).count(), 0);
  assert.equal(await details.getByLabel('Reason (kept in the audit log)').count(), 0);
  const status = await page.evaluate(async (token) => (await fetch('/api/v1/health/gpu-node-01/clear', {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ gpu: 1, reason: 'viewer try' }),
  })).status, viewer);
  assert.equal(status, 403);
  assert.equal(((await api('GET', '/api/v1/health/gpu-node-01?gpu=1', ADMIN)).body as NodeHealthResponse).gpus[0]?.state, 'unhealthy', 'nothing was cleared');
  await browser.screenshot(page, '16-gpu-health-viewer');
  await page.close();
});

test('GPU health: an unreachable analyzer shows the gateway\'s error message, a failed evaluation is shown over the older results', async () => {
  const page = await signedIn(ADMIN);
  analyzer.down = true;
  try {
    const answer = await api('GET', '/api/v1/health', ADMIN);
    assert.equal(answer.status, 503);
    const message = (answer.body as { error: { message: string } }).error.message;
    assert.match(message, /analyzer .* is not reachable/);
    await page.getByRole('link', { name: 'GPU health' }).click();
    await page.getByRole('heading', { level: 1, name: 'GPU health' }).waitFor();
    await page.locator('.message.error').getByText(`Could not read GPU health: ${message}`).waitFor();
    await browser.screenshot(page, '17-gpu-health-analyzer-down');
  } finally {
    analyzer.down = false;
  }
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.locator('button.gpu-cell').first().waitFor();
  assert.equal(await page.getByText('Could not read GPU health').count(), 0, 'the error is gone once it answers');

  analyzer.promDown = true;
  try {
    await analyzer.health.evaluate();
  } finally {
    analyzer.promDown = false;
  }
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByRole('alert').filter({ hasText: 'The last health evaluation failed, so these results are from' }).getByText('Prometheus did not answer').waitFor();
  assert.equal(await page.locator('button.gpu-cell').count(), 8, 'the previous results stay');
  await analyzer.health.evaluate();
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByText('The last health evaluation failed').waitFor({ state: 'detached' });
  await page.close();
});

test('the browser only ever talked to the gateway, and no page hit a script error or a CSP violation', () => {
  const outside = browser.requests.filter((u) => !u.startsWith(`${gateway.url}/`));
  assert.deepEqual(outside, []);
  assert.deepEqual(browser.pageErrors, []);
  assert.deepEqual(browser.dialogs, []);
});
