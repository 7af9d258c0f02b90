// The Web UI's overview and node page in headless Chromium, against the real pieces: the API gateway
// process serving the UI, four simulated GPU nodes (8 x H100 each; dcgm-exporter's format, a
// node_exporter stand-in with AAMI's real Xid counter) scraped every second by a real Prometheus,
// Alertmanager, Redis, the rule compiler and the install-worker. The overview is the first screen
// after sign-in and draws every simulated GPU on its canvas; a temperature fault injected through
// the simulator's control API marks that GPU within one refresh; a click on its cell (placed with
// the UI's own layout code) opens the node page, whose charts hold data over the chosen range and
// mark an injected Xid. The analyzer's health service (run in this process, as gpu-health.test.ts
// does) judges the simulated GPUs from that Prometheus, which scrapes it as the `aami` job: the
// overview's GPU card counts the GPUs by health state on every metric, and the node page's Health
// panel shows each GPU's state and, after a row-remap failure injected through the simulator, its
// reason; its Topology panel says no topology was read (no sshd here). A second gateway reads a real
// Prometheus backfilled by promtool with 1,000 nodes x 8 GPUs. Screenshots: overview-4-nodes,
// overview-1000-nodes, node-page, node-page-panels (and a few more).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { ConfigStore, createLogger, loadXidCatalog, type OverviewResponse } from '@aami/shared';
import { createApp as createAnalyzerApp } from '../../services/analyzer/src/app.ts';
import { HealthService } from '../../services/analyzer/src/health/service.ts';
import { prometheusQuery } from '../../services/analyzer/src/health/source.ts';
import {
  HARNESS_SERVICE_TOKEN, makeTempDir, startAlertmanager, startRedis, type AamiService, type AlertmanagerServer, type PrometheusServer, type RedisServer,
} from './harness/index.ts';
import { cellCentre, layoutMap } from '../../services/api-gateway/ui/src/views/overview-map.ts';
import { launchUiBrowser, SCREENSHOT_DIR, signedInTab, type UiBrowser } from './web-ui/browser.ts';
import { backfilledPrometheus, fleetConfig, fleetNodeName, simulatedCluster, type SimulatedCluster } from './web-ui/overview-support.ts';
import { startServiceOnFreePort } from './web-ui/services.ts';
import { startUiGateway } from './web-ui/ui-gateway.ts';

const ADMIN = 'aami_web-ui-overview-admin-token-0123456';
const CLOSED = 'http://127.0.0.1:9';

let cluster: SimulatedCluster;
let am: AlertmanagerServer;
let redis: RedisServer;
let compiler: AamiService | undefined;
let worker: AamiService | undefined;
let gateway: AamiService;
let bigProm: PrometheusServer | undefined;
let bigGateway: AamiService | undefined;
let browser: UiBrowser;
let analyzer: { url: string; stop(): Promise<void> } | undefined;

/**
 * The analyzer's health service and HTTP app on a free port, evaluating every second from the
 * cluster's Prometheus, which is told to scrape it as the `aami` job (honor_labels, as the rule
 * compiler's config does) so the overview reads its aami_gpu_health_state series.
 */
async function startAnalyzer(dir: string, prom: PrometheusServer): Promise<{ url: string; stop(): Promise<void> }> {
  const registry = new Registry();
  const log = createLogger('web-ui-overview-analyzer', 'error');
  const catalog = loadXidCatalog();
  const health = new HealthService({
    query: prometheusQuery(prom.url), memoryPath: join(dir, 'health', 'state.json'), catalog, registry, log,
    intervalMs: 1000, rateWindow: '20s', rebootThreshold: 2, lookbackMs: 72 * 3600_000,
  });
  await health.start();
  const server: Server = createAnalyzerApp({ serviceToken: HARNESS_SERVICE_TOKEN, catalog, registry, health, log }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const config = await readFile(prom.configPath, 'utf8');
  await prom.reload(`${config.trimEnd()}\n  - job_name: aami\n    honor_labels: true\n    static_configs: [{targets: ['127.0.0.1:${port}']}]\n`);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await health.stop();
      await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    },
  };
}

async function api<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${body}`);
  return JSON.parse(body) as T;
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Signs in at the gateway's root; resolves on the first screen, the overview, once its map is drawn. */
async function signedIn(base: string): Promise<Page> {
  const page = await signedInTab(browser, base, ADMIN, 'overview', 'Overview');
  await page.locator('canvas.ov-map:not([data-drawn="0"])').waitFor();
  return page;
}

/** Where the cell of `node` (index) GPU `gpu` is on the page, worked out with the UI's own layout. */
async function cellPoint(page: Page, node: number, gpu: number): Promise<{ x: number; y: number }> {
  const canvas = page.locator('canvas.ov-map');
  const attr = async (name: string) => Number(await canvas.getAttribute(`data-${name}`));
  const l = layoutMap(await attr('nodes'), await attr('slots'), await attr('width'), await attr('max-height'));
  assert.equal(l.cell, await attr('cell'), 'the test lays the map out as the page did');
  const c = cellCentre(l, { node, slot: gpu });
  const at = async () => {
    const box = await canvas.boundingBox();
    assert.ok(box);
    const scale = box.width / l.width;
    return { x: box.x + c.x * scale, y: box.y + c.y * scale };
  };
  // A cell below the fold of a tall map: scroll it to the middle of the window first.
  const p = await at();
  const h = page.viewportSize()?.height ?? 860;
  if (p.y < 20 || p.y > h - 20) {
    await page.evaluate(`window.scrollBy(0, ${Math.round(p.y - h / 2)})`);
    return at();
  }
  return p;
}

const overviewFetches = () => browser.requests.filter((u) => u.includes('/api/v1/overview?')).length;

before(async () => {
  const dataDir = await makeTempDir('web-ui-overview');
  [am, redis] = await Promise.all([startAlertmanager('route: {receiver: none}\nreceivers: [{name: none}]\n'), startRedis()]);
  cluster = await simulatedCluster({ nodes: 4, gpus: 8, alertmanagerUrl: am.url });
  await new ConfigStore(join(dataDir, 'config.yaml')).create({
    cluster: { name: 'overview-it' },
    nodes: cluster.names.map((name, i) => ({ name, ip: cluster.ips[i], exporters: ['node_exporter', 'dcgm_exporter'] })),
    prometheus: { scrape_interval: '1s', evaluation_interval: '1s' },
  });
  const env: NodeJS.ProcessEnv = {
    AAMI_DATA_DIR: dataDir, AAMI_GENERATED_DIR: join(dataDir, 'generated'), AAMI_REDIS_URL: redis.url, AAMI_PROMETHEUS_URL: cluster.prom.url, AAMI_ALERTMANAGER_URL: am.url,
  };
  // The rule compiler and the install-worker give the summary its compile and install cards; the
  // page says so when one is missing, so a failed start is not fatal here.
  [compiler, worker] = await Promise.all([
    startServiceOnFreePort('rule-compiler', 'AAMI_RULE_COMPILER_PORT', 'AAMI_RULE_COMPILER_URL', { ...env, AAMI_COMPILE_DEBOUNCE_MS: '100' }).catch((err: Error) => { console.log(`rule compiler: ${err.message}`); return undefined; }),
    startServiceOnFreePort('install-worker', 'AAMI_INSTALL_WORKER_PORT', 'AAMI_INSTALL_WORKER_URL', { ...env, AAMI_ARTIFACTS_SEED_SYSTEM: '1' }).catch((err: Error) => { console.log(`install-worker: ${err.message}`); return undefined; }),
  ]);
  analyzer = await startAnalyzer(dataDir, cluster.prom);
  gateway = await startUiGateway({
    ...env, AAMI_ADMIN_TOKEN: ADMIN, AAMI_RULE_COMPILER_URL: compiler?.url ?? CLOSED, AAMI_INSTALL_WORKER_URL: worker?.url ?? CLOSED, AAMI_ANALYZER_URL: analyzer.url,
  });
  // Every simulated GPU reports, every node_exporter answers, and the analyzer has judged every GPU.
  await until('32 GPUs in the overview, each with a health state', async () => {
    const o = await api<OverviewResponse>(gateway.url, '/api/v1/overview?metric=temperature');
    const judged = Object.values(o.summary.gpus.states ?? {}).reduce((a, b) => a + (b ?? 0), 0);
    return o.summary.gpus.reporting === 32 && o.summary.nodes.up === 4 && judged === 32;
  });
  browser = await launchUiBrowser();
  console.log(`screenshots: ${SCREENSHOT_DIR}`);
});

after(async () => {
  await browser?.close();
  await Promise.all([gateway?.stop(), bigGateway?.stop(), bigProm?.stop(), compiler?.stop(), worker?.stop(), analyzer?.stop(), am?.stop()]);
  await cluster?.stop();
  await redis?.stop();
});

test('the overview is the first screen after sign-in: summary cards, and every simulated GPU drawn on one canvas', async () => {
  const page = await signedIn(gateway.url);
  assert.match(await page.title(), /^Overview · AAMI/);
  assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), 'Overview');
  const canvas = page.locator('canvas.ov-map');
  assert.equal(await canvas.getAttribute('data-cells'), '32', 'one cell per simulated GPU');
  assert.equal(await canvas.getAttribute('data-nodes'), '4');
  assert.equal(await canvas.getAttribute('data-metric'), 'temperature');
  assert.equal(await page.locator('main canvas.ov-map').count(), 1, 'one canvas for the map, no element per GPU');
  assert.equal(await page.locator('main [data-gpu]').count(), await page.locator('.ov-attention-table tr[data-gpu]').count(), 'only the listed GPUs have elements');
  const cards = page.locator('.ov-summary .ov-card');
  assert.equal(await cards.count(), 5);
  const nodesCard = (await cards.nth(0).textContent()) ?? '';
  assert.match(nodesCard, /4 nodes/);
  assert.match(nodesCard, /4 answering/);
  // The GPU card counts the GPUs by the analyzer's health state on the temperature map too, then by temperature level.
  const gpusCard = (await cards.nth(1).textContent()) ?? '';
  assert.match(gpusCard, /32 reporting.*By health:.*unhealthy.*degraded.*unknown.*healthy.*By temperature:.*above the critical level/);
  const stateCounts = await cards.nth(1).locator('li[data-state]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
  assert.equal(stateCounts.length, 4);
  assert.equal(stateCounts.reduce((a, b) => a + b, 0), 32, 'every GPU counted once, at one state');
  assert.match((await cards.nth(2).textContent()) ?? '', /Alerts firing/);
  if (compiler) await until('the compile card', async () => /Compiled and live|Not compiled yet/.test((await page.locator('.ov-card-compile').textContent()) ?? ''), 30_000);
  if (worker) assert.match((await page.locator('.ov-card-install').textContent()) ?? '', /No install has run yet/);
  // The legend names the levels from the alert rules (gpu-basic: 75 and 85 °C).
  const legend = (await page.locator('.ov-legend').textContent()) ?? '';
  assert.match(legend, /above 75 °C \(warning\)/);
  assert.match(legend, /above 85 °C \(critical\)/);
  // Hovering a cell names its node, GPU, model and value.
  const p = await cellPoint(page, 2, 5);
  await page.mouse.move(p.x, p.y);
  await until('the hover readout', async () => /^gpu-node-03 GPU 5 \(NVIDIA H100 80GB HBM3\): \d+(\.\d)? °C/.test((await page.locator('.ov-readout').textContent()) ?? ''), 5000, 100);
  await browser.screenshot(page, 'overview-4-nodes');
  // Another metric: the map is drawn again from its own answer, and the address keeps the choice.
  await page.getByText('Utilisation', { exact: true }).click();
  await until('the utilisation map', async () => (await canvas.getAttribute('data-metric')) === 'utilization', 15_000, 100);
  assert.equal(await canvas.getAttribute('data-cells'), '32');
  assert.match(page.url(), /#\/overview\?metric=utilization$/);
  assert.match((await page.locator('.ov-legend').textContent()) ?? '', /0 %.*100 % or more/);
  await page.getByRole('radio', { name: 'Health' }).check();
  await until('the health map', async () => (await canvas.getAttribute('data-metric')) === 'health', 15_000, 100);
  // The analyzer has judged every GPU: no cell says "no reading", and the card lists the states alone.
  assert.equal(await canvas.getAttribute('data-no-value'), '0');
  const healthCard = (await page.locator('.ov-card-gpus').textContent()) ?? '';
  assert.match(healthCard, /By health:/);
  assert.doesNotMatch(healthCard, /By health:.*By health:|above the critical level/);
  await page.getByRole('radio', { name: 'Temperature' }).check();
  await until('the temperature map', async () => (await canvas.getAttribute('data-metric')) === 'temperature', 15_000, 100);
  // Nodes is still one click away, and each name there opens the node page.
  await page.getByRole('link', { name: 'Nodes', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
  await page.getByRole('link', { name: 'gpu-node-04', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Node gpu-node-04' }).waitFor();
  await page.close();
});

test('a temperature fault on one GPU marks its cell within one refresh; a click on the cell opens the node page', async () => {
  const page = await signedIn(gateway.url);
  const canvas = page.locator('canvas.ov-map');
  const badBefore = Number(await canvas.getAttribute('data-bad'));
  const fetchesBefore = overviewFetches();
  const drawnBefore = Number(await canvas.getAttribute('data-drawn'));
  await cluster.inject('gpu-node-02', { type: 'temperature', gpu: 2, targetC: 97, durationS: 0 });
  // The page refreshes every 10 s; Prometheus scrapes every second.
  const row = page.locator('.ov-attention-table tr[data-node="gpu-node-02"][data-gpu="2"][data-level="2"]');
  const t0 = Date.now();
  await row.waitFor({ timeout: 25_000 });
  const waited = Date.now() - t0;
  const refreshes = overviewFetches() - fetchesBefore;
  assert.ok(refreshes <= 2, `marked after ${refreshes} refreshes (${waited} ms): the first one after the scrape shows it`);
  assert.ok(Number(await canvas.getAttribute('data-drawn')) > drawnBefore);
  assert.equal(Number(await canvas.getAttribute('data-bad')), badBefore + 1);
  assert.match((await row.textContent()) ?? '', /97 °C.*above the critical level \(85 °C\)/);
  assert.equal((await page.locator('.ov-attention-table tbody tr').first().getAttribute('data-node')), 'gpu-node-02', 'the hottest GPU is listed first');
  // The keyboard: N goes to a GPU that needs a look, the arrows move, Enter opens the node.
  await page.getByRole('button', { name: 'Show gpu-node-02 GPU 2 on the map' }).click();
  assert.match((await page.locator('.ov-readout').textContent()) ?? '', /^gpu-node-02 GPU 2 .*97 °C, above the critical level/);
  await page.keyboard.press('ArrowRight');
  assert.match((await page.locator('.ov-readout').textContent()) ?? '', /^gpu-node-02 GPU 3 /);
  await page.keyboard.press('n');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  const point = await cellPoint(page, 1, 2);
  await page.mouse.move(point.x, point.y);
  await until('the hover readout of the hot GPU', async () => /^gpu-node-02 GPU 2 /.test((await page.locator('.ov-readout').textContent()) ?? ''), 5000, 100);
  await browser.screenshot(page, 'overview-4-nodes-hot');
  await page.mouse.click(point.x, point.y);
  await page.getByRole('heading', { level: 1, name: 'Node gpu-node-02' }).waitFor();
  assert.match(page.url(), /#\/node\/gpu-node-02$/);
  await page.close();
});

test('the node page: identity and readings of each GPU, charts with data over 1 h and 6 h, an Xid marker, the node\'s alerts, its install history', async () => {
  await cluster.inject('gpu-node-02', { type: 'xid', gpu: 5, xid: 13 });
  await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname: 'GPUTemperatureCritical', severity: 'critical', node: 'gpu-node-02', gpu: '2' }, annotations: { summary: 'GPU 2 on gpu-node-02 is overheating (97 °C)' }, startsAt: new Date().toISOString() }]),
  });
  const page = await signedIn(gateway.url);
  await page.goto(`${gateway.url}/#/node/gpu-node-02`);
  await page.getByRole('heading', { level: 1, name: 'Node gpu-node-02' }).waitFor();
  assert.match(await page.title(), /^gpu-node-02 · AAMI/);
  const rows = page.locator('table.node-gpus tbody tr');
  assert.equal(await rows.count(), 8);
  const gpu2row = page.locator('table.node-gpus tr[data-gpu="2"]');
  assert.equal(await gpu2row.locator('.gpu-model').textContent(), 'NVIDIA H100 80GB HBM3');
  assert.match((await gpu2row.locator('.gpu-uuid').textContent()) ?? '', /^GPU-[0-9a-f-]{36}$/);
  const gpu2 = await gpu2row.locator('td').allTextContents();
  assert.match(gpu2[1] ?? '', /^00000000:[0-9A-F]{2}:00\.0$/);
  assert.match(gpu2[2] ?? '', /^\d+\.\d+/);
  assert.match(gpu2[5] ?? '', /^9\d(\.\d)? °C$/);
  assert.match(gpu2[7] ?? '', /thermal/, `the hot GPU's clocks are held down: ${gpu2.join(' | ')}`);
  // Five charts, each with 8 GPU lines (slowdown: one line per reason) and data points in the range.
  const figs = page.locator('figure.chart');
  assert.equal(await figs.count(), 5);
  assert.deepEqual(await figs.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))), ['utilization', 'memory', 'temperature', 'power', 'clock_reasons']);
  for (const kind of ['utilization', 'memory', 'temperature', 'power']) {
    const fig = page.locator(`figure.chart[data-kind="${kind}"]`);
    assert.equal(await fig.getAttribute('data-series'), '8', kind);
    // The simulator started a minute ago: at least one point per GPU now, more at each refresh.
    await until(`${kind} points for every GPU`, async () => Number(await fig.getAttribute('data-points')) >= 8, 30_000, 250);
    assert.equal(await fig.locator('canvas').count(), 1, `${kind} is drawn by uPlot on a canvas`);
  }
  await until('two points a GPU on the temperature chart', async () => Number(await page.locator('figure.chart[data-kind="temperature"]').getAttribute('data-points')) >= 16, 40_000, 500);
  const start = Number(await page.locator('figure.chart').first().getAttribute('data-start'));
  const end = Number(await page.locator('figure.chart').first().getAttribute('data-end'));
  assert.ok(Math.abs(end - start - 3600) <= 60, `1 h range: ${end - start} s`);
  assert.match((await page.locator('figure.chart[data-kind="temperature"] .chart-caption').textContent()) ?? '', /^Highest: 9\d(\.\d)? °C on GPU 2 at /);
  assert.match((await page.locator('figure.chart[data-kind="clock_reasons"] .chart-caption').textContent()) ?? '', /thermal/);
  // The Xid shows as a marker once the counter has read the log and Prometheus scraped it (a refresh later).
  await until('the Xid marker', async () => Number(await page.locator('figure.chart[data-kind="temperature"]').getAttribute('data-xids')) >= 1, 40_000, 500);
  assert.match((await page.locator('.node-xids').textContent()) ?? '', /Xid 13 on GPU 5/);
  // The node's firing alert and install history.
  await page.locator('.node-alerts [data-alertname="GPUTemperatureCritical"]').waitFor({ timeout: 20_000 });
  assert.match((await page.locator('.node-alerts').textContent()) ?? '', /overheating \(97 °C\)/);
  if (worker) assert.match((await page.locator('.node-install').textContent()) ?? '', /No install has run on this node yet/);
  await browser.screenshot(page, 'node-page');
  // 6 hours: one click (by keyboard: the range is a radio group), the charts follow.
  await page.getByRole('radio', { name: '6 hours' }).focus();
  await page.keyboard.press('Space');
  await until('the 6 h charts', async () => (await page.locator('.chart-grid').getAttribute('data-range')) === '6h', 20_000, 200);
  const s6 = Number(await page.locator('figure.chart').first().getAttribute('data-start'));
  const e6 = Number(await page.locator('figure.chart').first().getAttribute('data-end'));
  assert.ok(Math.abs(e6 - s6 - 6 * 3600) <= 120, `6 h range: ${e6 - s6} s`);
  assert.ok(Number(await page.locator('figure.chart[data-kind="temperature"]').getAttribute('data-points')) > 0);
  assert.match(page.url(), /#\/node\/gpu-node-02\?range=6h$/);
  // Links to the node's health and topology screens.
  assert.equal(await page.getByRole('link', { name: 'Health checks' }).getAttribute('href'), '#/health/gpu-node-02');
  assert.equal(await page.getByRole('link', { name: 'GPU interconnect' }).getAttribute('href'), '#/topology/gpu-node-02');
  // Hiding a GPU from the charts is a checkbox, reachable by keyboard.
  await page.getByRole('checkbox', { name: 'GPU 0' }).uncheck();
  await browser.screenshot(page, 'node-page-6h');
  await page.close();
});

test("the node page's panels: each GPU's health state, a row-remap failure's reason after the fault, and the topology or why there is none", async () => {
  const NODE = 'gpu-node-03';
  const page = await signedIn(gateway.url);
  await page.goto(`${gateway.url}/#/node/${NODE}`);
  await page.getByRole('heading', { level: 1, name: `Node ${NODE}` }).waitFor();
  const panel = page.locator('section.node-health');
  assert.match((await panel.locator('h2').textContent()) ?? '', /^Health$/);
  assert.equal(await panel.getByRole('link', { name: 'All checks and state changes' }).getAttribute('href'), `#/health/${NODE}`);
  // Each GPU with its state (a symbol and a word), its score, and a link to it on the health screen.
  const rows = panel.locator('table.node-health-gpus tbody tr');
  await until('8 GPUs in the Health panel', async () => (await rows.count()) === 8, 30_000, 250);
  const symbol: Readonly<Record<string, string>> = { healthy: '✓', unknown: '?', degraded: '!', unhealthy: '✕' };
  for (let k = 0; k < 8; k++) {
    const row = panel.locator(`tr[data-gpu="${k}"]`);
    const state = (await row.getAttribute('data-state')) ?? '';
    assert.ok(Object.hasOwn(symbol, state), `GPU ${k}: ${state}`);
    const cells = await row.locator('th, td').allTextContents();
    assert.equal(cells[0], `${symbol[state]} GPU ${k}`);
    assert.equal(cells[1], `${symbol[state]} ${state[0]!.toUpperCase()}${state.slice(1)}`);
    assert.match(cells[2] ?? '', /^\d{1,3}$/);
    // A healthy GPU lists nothing, or only the checks that lack data (unknown, which does not make it look bad).
    const reasons = await row.locator('.health-reason').allTextContents();
    if (state === 'healthy') assert.ok(reasons.length === 0 ? cells[3] === 'every check passes' : reasons.every((r) => r.startsWith('? Unknown ')), reasons.join(' | '));
    else assert.ok(reasons.length > 0, `GPU ${k} is ${state}: the panel says why`);
    assert.equal(await row.getByRole('link').getAttribute('href'), `#/health/${NODE}?gpu=${k}`);
  }
  // A failed row remap on GPU 4: the analyzer calls it unhealthy, and the panel says why at its next refresh.
  await cluster.inject(NODE, { type: 'row-remap-failure', gpu: 4 });
  const gpu4 = panel.locator('tr[data-gpu="4"][data-state="unhealthy"]');
  await gpu4.waitFor({ timeout: 60_000 });
  assert.match((await gpu4.locator('.health-reason').allTextContents()).join(' | '), /✕ Unhealthy row-remap: .*row remapping failed/i);
  // No topology was read from the simulated nodes (there is no SSH here): the panel says so, or the worker's error.
  const topo = page.locator('section.node-topology');
  assert.equal(await topo.getByRole('link', { name: 'Matrix, NVLinks and pin' }).getAttribute('href'), `#/topology/${NODE}`);
  const topoText = (await topo.textContent()) ?? '';
  if (worker) assert.match(topoText, /No topology read yet: nobody has read gpu-node-03's GPU interconnect/);
  else assert.match(topoText, /Could not read the topology: /);
  // The rest of the page is still there.
  assert.equal(await page.locator('figure.chart').count(), 5);
  await browser.screenshot(page, 'node-page-panels');
  // The GPU's link opens it on the health screen.
  await gpu4.getByRole('link').click();
  await page.getByRole('heading', { level: 2, name: `${NODE} · GPU 4` }).waitFor();
  assert.match(page.url(), new RegExp(`#/health/${NODE}\\?gpu=4$`));
  // And the overview's GPU card counts it as unhealthy, on the temperature map too.
  await page.goto(`${gateway.url}/#/overview?metric=temperature`);
  await until('the unhealthy GPU on the GPU card', async () => Number(await page.locator('.ov-card-gpus li[data-state="unhealthy"]').getAttribute('data-count')) >= 1, 30_000, 250);
  await page.close();
});

test('1,000 nodes x 8 GPUs from a backfilled Prometheus: 8,000 cells on one canvas, the one hot GPU marked and listed first', { timeout: 240_000 }, async () => {
  const count = 1000;
  bigProm = await backfilledPrometheus({ nodes: count, gpus: 8, hot: [[637, 5, 94]], down: [401] });
  const dir = await makeTempDir('web-ui-overview-1000');
  await new ConfigStore(join(dir, 'config.yaml')).create({ cluster: { name: 'fleet-1000' }, nodes: fleetConfig(count) });
  bigGateway = await startUiGateway({
    AAMI_DATA_DIR: dir, AAMI_GENERATED_DIR: join(dir, 'generated'), AAMI_REDIS_URL: redis.url, AAMI_PROMETHEUS_URL: bigProm.url, AAMI_ALERTMANAGER_URL: am.url,
    AAMI_ADMIN_TOKEN: ADMIN, AAMI_RULE_COMPILER_URL: compiler?.url ?? CLOSED, AAMI_INSTALL_WORKER_URL: worker?.url ?? CLOSED,
  });
  const page = await signedIn(bigGateway.url);
  const canvas = page.locator('canvas.ov-map');
  assert.equal(await canvas.getAttribute('data-cells'), '8000');
  assert.equal(await canvas.getAttribute('data-bad'), '1');
  assert.equal(await canvas.getAttribute('data-down'), '1');
  assert.ok(Number(await canvas.getAttribute('data-cell')) >= 5, `cells of ${await canvas.getAttribute('data-cell')} px`);
  const hot = fleetNodeName(637, count);
  const first = page.locator('.ov-attention-table tbody tr').first();
  assert.equal(await first.getAttribute('data-node'), hot);
  assert.equal(await first.getAttribute('data-gpu'), '5');
  assert.match((await page.locator('.ov-down').textContent()) ?? '', new RegExp(fleetNodeName(401, count)));
  // What an operator sees first: no pointer on the map.
  await browser.screenshot(page, 'overview-1000-nodes');
  const p = await cellPoint(page, 637, 5);
  await page.mouse.move(p.x, p.y);
  await until('the hover readout', async () => ((await page.locator('.ov-readout').textContent()) ?? '').startsWith(`${hot} GPU 5 `), 5000, 100);
  await page.mouse.click(p.x, p.y);
  await page.getByRole('heading', { level: 1, name: `Node ${hot}` }).waitFor();
  await page.close();
});

test('the browser only talked to the gateways, and no page hit a script error or a CSP violation', () => {
  const own = [gateway.url, bigGateway?.url].filter(Boolean).map((u) => `${u}/`);
  assert.deepEqual(browser.requests.filter((u) => !own.some((o) => u.startsWith(o))), []);
  assert.deepEqual(browser.pageErrors, []);
  assert.deepEqual(browser.dialogs, []);
});
