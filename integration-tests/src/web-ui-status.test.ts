// The Web UI's Status screen in headless Chromium, against the real pieces: Redis, Prometheus and
// Alertmanager behind their passwords, AAMI's five services as their own processes, and no nodes
// (the doctor's node checks have nothing to log in to). A viewer token opens #/status: the
// components table lists every part of the stack as reachable and the doctor finds nothing to fix;
// then the analyzer is stopped, "Check again" runs the doctor (its button disabled meanwhile) and
// the analyzer's ✖ critical line appears with its fix, while the table's next refresh marks it not
// reachable. A doctor answer with hostile text (served by the test through page.route) stays text,
// and a failed doctor request shows the gateway's error in place.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { ConfigStore, type DoctorResponse } from '@aami/shared';
import {
  freePort, makeTempDir, startAlertmanagerOnFile, startPrometheusOnFile, startRedis,
  type AamiService, type AlertmanagerServer, type PrometheusServer, type RedisServer,
} from './harness/index.ts';
import { launchUiBrowser, SCREENSHOT_DIR, signedInTab, type UiBrowser } from './web-ui/browser.ts';
import { startServiceOnFreePort } from './web-ui/services.ts';
import { startUiGateway } from './web-ui/ui-gateway.ts';

const ADMIN = 'aami_web-ui-status-admin-token-0123456789';
const HOSTILE = '<img src=x onerror=alert(7)>';
const COMPONENTS = ['api-gateway', 'prometheus', 'alertmanager', 'redis', 'notification-relay', 'analyzer', 'rule-compiler', 'install-worker'];

let redis: RedisServer;
let prom: PrometheusServer;
let am: AlertmanagerServer;
let services: AamiService[] = [];
let gateway: AamiService;
let analyzer: AamiService;
let browser: UiBrowser;
let viewer: string;

const signedIn = (): Promise<Page> => signedInTab(browser, gateway.url, viewer, 'status', 'Status');

before(async () => {
  const dir = await makeTempDir('web-ui-status');
  await mkdir(join(dir, 'secrets'));
  const promPassword = randomBytes(16).toString('hex');
  const amPassword = randomBytes(16).toString('hex');
  await writeFile(join(dir, 'secrets', 'prometheus-password'), `${promPassword}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'secrets', 'alertmanager-password'), `${amPassword}\n`, { mode: 0o600 });
  redis = await startRedis({ password: randomBytes(16).toString('hex') });
  await new ConfigStore(join(dir, 'config.yaml')).create({
    cluster: { name: 'web-ui-status' },
    prometheus: { scrape_interval: '1s', evaluation_interval: '1s' },
  });
  const [promPort, amPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_REDIS_URL: redis.url,
    AAMI_PROMETHEUS_URL: `http://127.0.0.1:${promPort}`, AAMI_PROMETHEUS_PASSWORD_FILE: join(dir, 'secrets', 'prometheus-password'),
    AAMI_ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`, AAMI_ALERTMANAGER_PASSWORD_FILE: join(dir, 'secrets', 'alertmanager-password'),
    AAMI_RELAY_TOKEN: 'web-ui-status-relay-token', AAMI_SELF_SCRAPE: '', AAMI_COMPILE_DEBOUNCE_MS: '100',
  };
  const relay = await startServiceOnFreePort('notification-relay', 'AAMI_RELAY_PORT', undefined, env);
  env.AAMI_RELAY_URL = relay.url;
  const [compiler, worker] = await Promise.all([
    startServiceOnFreePort('rule-compiler', 'AAMI_RULE_COMPILER_PORT', 'AAMI_RULE_COMPILER_URL', env),
    startServiceOnFreePort('install-worker', 'AAMI_INSTALL_WORKER_PORT', 'AAMI_INSTALL_WORKER_URL', env),
  ]);
  analyzer = await startServiceOnFreePort('analyzer', 'AAMI_ANALYZER_PORT', undefined, env);
  services = [relay, compiler, worker, analyzer];
  // Prometheus and Alertmanager start on the files the compiler's first compile wrote.
  [am, prom] = await Promise.all([
    startAlertmanagerOnFile(join(dir, 'generated/alertmanager/alertmanager.yml'), amPort, undefined, { basicAuth: { username: 'aami', password: amPassword } }),
    startPrometheusOnFile(join(dir, 'generated/prometheus/prometheus.yml'), promPort, undefined, { basicAuth: { username: 'aami', password: promPassword } }),
  ]);
  gateway = await startUiGateway({
    ...env, AAMI_ADMIN_TOKEN: ADMIN, AAMI_RULE_COMPILER_URL: compiler.url, AAMI_INSTALL_WORKER_URL: worker.url, AAMI_ANALYZER_URL: analyzer.url,
  });
  services.push(gateway);
  const made = await fetch(`${gateway.url}/api/v1/tokens`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'status viewer', role: 'viewer' }),
  });
  assert.equal(made.status, 201, await made.clone().text());
  viewer = ((await made.json()) as { token: string }).token;
  browser = await launchUiBrowser();
  console.log(`screenshots: ${SCREENSHOT_DIR}`);
});

after(async () => {
  await browser?.close();
  await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
  await Promise.all([prom?.stop(), am?.stop()]);
  await redis?.stop();
});

test('status: the components table and the doctor; a stopped service is a ✖ critical line after "Check again"', { timeout: 120_000 }, async () => {
  const page = await signedIn();
  // The top bar stays one row at 1280 px with the new entry, a viewer's badge and this cluster's name.
  const tops = await Promise.all((await page.locator('.nav li').all()).map(async (li) => Math.round((await li.boundingBox())?.y ?? -1)));
  const bar = { rows: new Set(tops).size, height: Math.round((await page.locator('.topbar').boundingBox())?.height ?? 0) };
  assert.equal(bar.rows, 1, `the nav bar is one row: ${JSON.stringify(bar)}`);
  assert.ok(bar.height < 70, `brand, nav and who share one row: ${JSON.stringify(bar)}`);

  const table = page.locator('table.status-components');
  await table.locator('tbody tr').first().waitFor();
  const names = await table.locator('tbody tr th').allTextContents();
  assert.deepEqual([...names].sort(), [...COMPONENTS].sort());
  for (const name of COMPONENTS) {
    const row = (await table.locator(`tr[data-component="${name}"]`).textContent()) ?? '';
    assert.match(row, /✔ ok reachable/, `${name} is reachable: ${row}`);
  }
  assert.match((await table.locator('tr[data-component="prometheus"]').textContent()) ?? '', /password/, 'Prometheus asks for its password');

  // The healthy set-up: nothing to fix, every check folded away as ok.
  const verdict = page.locator('.doc-verdict');
  await verdict.waitFor({ timeout: 30_000 });
  assert.match((await verdict.textContent()) ?? '', /^✔ ok Nothing to fix · 11 checks in /);
  assert.equal(await page.locator('.doc-finding').count(), 0);
  assert.match((await page.locator('.doc-state').textContent()) ?? '', /^Checked at \S.*\.$/);
  const okList = page.locator('details.doc-ok-checks');
  assert.equal(await okList.getAttribute('open'), null, 'the ok checks start folded');
  await okList.locator('summary').click();
  assert.equal(await okList.locator('.doc-ok-list > li').count(), 11);
  assert.match((await okList.locator('li[data-check="services"]').textContent()) ?? '', /^✔ ok services: /);

  // A service goes down; the doctor is slowed by the test so its running state can be seen.
  await analyzer.stop();
  await page.route('**/api/v1/doctor', async (route) => { await sleep(1500); await route.continue(); });
  const again = page.getByRole('button', { name: 'Check again' });
  await again.click();
  assert.equal(await again.isDisabled(), true, 'disabled while the doctor runs');
  assert.match((await page.locator('.doc-state').textContent()) ?? '', /^Checking the installation/);
  const line = page.locator('.doc-finding[data-check="services"]');
  await line.waitFor({ timeout: 30_000 });
  assert.equal(await again.isDisabled(), false, 'enabled again once it answered');
  assert.equal(await line.getAttribute('data-severity'), 'critical');
  const text = (await line.locator('.doc-line').textContent()) ?? '';
  assert.match(text, /^✖ critical services: analyzer at http:\/\/127\.0\.0\.1:\d+ is not reachable: /);
  assert.match((await line.locator('code.doc-fix-text').textContent()) ?? '', /^docker compose logs analyzer\b/);
  assert.match((await verdict.textContent()) ?? '', /^✖ critical To fix: 1 critical, 0 warning/);
  assert.equal(await page.locator('.doc-finding').first().getAttribute('data-check'), 'services', 'worst first');
  // The table's own refresh (every 15 s) sees it too.
  await table.locator('tr[data-component="analyzer"].comp-down').waitFor({ timeout: 30_000 });
  assert.match((await table.locator('tr[data-component="analyzer"]').textContent()) ?? '', /✖ critical not reachable/);
  await page.unroute('**/api/v1/doctor');
  await browser.screenshot(page, 'status-doctor');
  await page.close();
});

test('status: hostile text in a finding stays text; a failed doctor request shows the gateway\'s error in place', async () => {
  const hostile: DoctorResponse = {
    checked_at: new Date().toISOString(), duration_ms: 12, severity: 'warning', counts: { ok: 0, warning: 1, critical: 0 },
    checks: [{ name: `chk${HOSTILE}`, description: HOSTILE, severity: 'warning', findings: 1 }],
    findings: [{ check: `chk${HOSTILE}`, severity: 'warning', subject: HOSTILE, message: `node ${HOSTILE} said ${HOSTILE}`, fix: `aami nodes test '${HOSTILE}'` }],
  };
  let fail = false;
  const page = await browser.newPage();
  await page.route('**/api/v1/doctor', (route) => (fail
    ? route.fulfill({ status: 502, contentType: 'application/json', body: JSON.stringify({ error: { code: 'upstream', message: `the install worker answered 500 ${HOSTILE}`, details: [] } }) })
    : route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(hostile) })));
  await page.goto(`${gateway.url}/#/status`);
  await page.getByLabel('API token').fill(viewer);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const line = page.locator('.doc-finding');
  await line.waitFor();
  assert.equal(await line.locator('.doc-line').textContent(), `! warning chk${HOSTILE}: node ${HOSTILE} said ${HOSTILE}`);
  assert.equal(await line.locator('code').textContent(), `aami nodes test '${HOSTILE}'`);
  assert.match((await page.locator('.doc-verdict').textContent()) ?? '', /^! warning To fix: 0 critical, 1 warning/);
  assert.equal(await page.locator('img').count(), 0, 'no <img> element was created from data');

  fail = true;
  await page.getByRole('button', { name: 'Check again' }).click();
  const box = page.locator('.doc-result .message.error');
  await box.waitFor();
  assert.equal(await box.locator('.message-title').textContent(), `The doctor could not run: the install worker answered 500 ${HOSTILE}`);
  assert.equal(await page.locator('.doc-finding').count(), 0, 'the error replaces the findings');
  assert.equal(await page.locator('img').count(), 0);
  await page.close();
});

test('status: the browser only talked to the gateway, no dialog opened, no script error or CSP violation', () => {
  assert.deepEqual(browser.requests.filter((u) => !u.startsWith(`${gateway.url}/`)), []);
  assert.deepEqual(browser.dialogs, []);
  assert.deepEqual(browser.pageErrors, []);
});
