// The Web UI's install flow in headless Chromium: add a node that is a real sshd, start an exporter
// install from the Nodes screen, and watch each node's progress live until it ends, through the
// gateway's install routes (forwarded to the install-worker, which owns SSH).
//
// It waits for the gateway to mount its install routes (routes/install-proxy.ts): until then it
// fails naming the missing route (a skip would read as a pass). The other UI flows are in
// web-ui.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ConfigStore } from '@aami/shared';
import { makeTempDir, startRedis, startSshd, type AamiService, type RedisServer, type SshServer } from './harness/index.ts';
import { launchUiBrowser, SCREENSHOT_DIR, signedInTab, type UiBrowser } from './web-ui/browser.ts';
import { startServiceOnFreePort } from './web-ui/services.ts';
import { startUiGateway } from './web-ui/ui-gateway.ts';

const ADMIN = 'aami_web-ui-flows-admin-token-0123456789';
const CLOSED = 'http://127.0.0.1:9';

let dataDir: string;
let redis: RedisServer;
let sshd: SshServer | undefined;
let worker: AamiService | undefined;
let gateway: AamiService;
let browser: UiBrowser;
/** What did not start, and why. */
const missing = new Map<string, string>();

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  return { status: res.status, body: parsed };
}

/** Fails the test, naming the route it waits for, when the gateway does not serve it yet. */
async function needRoute(method: string, path: string): Promise<void> {
  const res = await api(method, path);
  assert.ok(res.status !== 404 || !/no route/.test(JSON.stringify(res.body)), `waits for the gateway route ${method} ${path} (answered 404 "no route")`);
  assert.ok(res.status < 500, `${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
}

const signedIn = (): Promise<Page> => signedInTab(browser, gateway.url, ADMIN);

before(async () => {
  dataDir = await makeTempDir('web-ui-flows');
  await new ConfigStore(join(dataDir, 'config.yaml')).create({});
  redis = await startRedis();
  try { sshd = await startSshd(); } catch (err) { missing.set('sshd', (err as Error).message); }
  const env: NodeJS.ProcessEnv = { AAMI_DATA_DIR: dataDir, AAMI_REDIS_URL: redis.url, AAMI_PROMETHEUS_URL: CLOSED, AAMI_ALERTMANAGER_URL: CLOSED };
  try {
    worker = await startServiceOnFreePort('install-worker', 'AAMI_INSTALL_WORKER_PORT', 'AAMI_INSTALL_WORKER_URL', { ...env, AAMI_ARTIFACTS_SEED_SYSTEM: '1', AAMI_INSTALL_VERIFY_WAIT_S: '5' });
  } catch (err) {
    missing.set('install-worker', (err as Error).message.split('\n')[0] ?? String(err));
  }
  gateway = await startUiGateway({ ...env, AAMI_ADMIN_TOKEN: ADMIN, AAMI_INSTALL_WORKER_URL: worker?.url ?? CLOSED });
  browser = await launchUiBrowser();
  console.log(`screenshots: ${SCREENSHOT_DIR}`);
});

after(async () => {
  await browser?.close();
  await Promise.all([gateway?.stop(), worker?.stop(), sshd?.stop()]);
  await redis?.stop();
});

test('install: start an install from the Nodes screen and watch each node\'s progress until it ends', async () => {
  assert.ok(worker, `needs the install-worker service: it did not start (${missing.get('install-worker')})`);
  assert.ok(sshd, `needs sshd (${missing.get('sshd')})`);
  await needRoute('GET', '/api/v1/install/runs');
  const add = await api('POST', '/api/v1/nodes', { name: 'ssh-node-01', ip: sshd.host, ssh_port: sshd.port, ssh_user: sshd.user, ssh_key: sshd.keyPath });
  assert.equal(add.status, 201, JSON.stringify(add.body));
  await api('POST', '/api/v1/nodes/ssh-node-01/trust', {});
  const page = await signedIn();
  await page.getByRole('checkbox', { name: 'Select ssh-node-01' }).check();
  await page.getByRole('button', { name: 'Install exporters on 1 selected node' }).click();
  const table = page.locator('.install-table');
  await table.getByRole('row', { name: /ssh-node-01/ }).waitFor();
  await page.getByText(/Install finished:/).waitFor({ timeout: 180_000 });
  const row = (await table.getByRole('row', { name: /ssh-node-01/ }).textContent()) ?? '';
  assert.match(row, /Done|Already up to date|Failed/);
  if (/Failed/.test(row)) assert.ok(row.length > 'ssh-node-01Failed'.length + 5, `a failure shows its reason: ${row}`);
  await browser.screenshot(page, '13-install-progress');
  const polls = browser.requests.filter((u) => /\/api\/v1\/install\/runs\/[^/]+$/.test(u)).length;
  assert.ok(polls >= 1, 'the page polled the run');
  await page.close();
});

test('the browser only ever talked to the gateway, and no page hit a script error', () => {
  assert.deepEqual(browser.requests.filter((u) => !u.startsWith(`${gateway.url}/`)), []);
  assert.deepEqual(browser.pageErrors, []);
});
