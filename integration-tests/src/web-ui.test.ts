// The Web UI end to end in headless Chromium (Debian's package, driven by playwright-core), against
// the real pieces: the API gateway process with the UI mounted, Prometheus scraping node_exporter
// (so the nodes table shows live status) and loading the rule compiler's files, Alertmanager,
// Redis, the rule compiler (a threshold changed with clicks lands in the compiled rule file and in
// Prometheus), and the notification relay posting to the local Slack sink (Test shows Slack's own
// answer). Screenshots of each screen go to integration-tests/screenshots/ (gitignored).
// The install flow, which waits for the gateway's install routes, is in web-ui-flows.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { ConfigStore } from '@aami/shared';
import {
  makeTempDir, startAlertmanager, startNodeExporter, startPrometheus, startRedis,
  type AamiService, type AlertmanagerServer, type NodeExporter, type PrometheusServer, type RedisServer,
} from './harness/index.ts';
import { startSlackSinkServer, type SlackSinkServer } from './support/slack-sink.ts';
import { launchUiBrowser, SCREENSHOT_DIR, type UiBrowser } from './web-ui/browser.ts';
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
async function signedIn(token: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(gateway.url);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
  return page;
}

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
  gateway = await startUiGateway({ ...env, AAMI_ADMIN_TOKEN: ADMIN, AAMI_RELAY_URL: relay.url, AAMI_RULE_COMPILER_URL: compiler.url });
  const made = await api('POST', '/api/v1/tokens', ADMIN, { name: 'portal viewer', role: 'viewer' });
  assert.equal(made.status, 201);
  viewer = (made.body as { token: string }).token;
  browser = await launchUiBrowser();
  console.log(`screenshots: ${SCREENSHOT_DIR}`);
});

after(async () => {
  await browser?.close();
  await Promise.all([gateway?.stop(), relay?.stop(), compiler?.stop(), prom?.stop(), am?.stop(), ne?.stop(), sink?.close()]);
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
  await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
  assert.equal(await page.locator('.who .badge').textContent(), 'Admin');
  // The token is in sessionStorage of this origin only: no cookie, nothing in localStorage.
  const storage = await page.evaluate('({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.getItem("aami.token") })');
  assert.deepEqual(storage, { cookie: '', local: 0, session: ADMIN });
  // A reload keeps the session; signing out forgets the token.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
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
  assert.ok(cfg.includes(sink.url), 'the URL itself was stored');
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

test('the browser only ever talked to the gateway, and no page hit a script error or a CSP violation', () => {
  const outside = browser.requests.filter((u) => !u.startsWith(`${gateway.url}/`));
  assert.deepEqual(outside, []);
  assert.deepEqual(browser.pageErrors, []);
  assert.deepEqual(browser.dialogs, []);
});
