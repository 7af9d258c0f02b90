// Benchmark: the Web UI's overview in headless Chromium (Debian's /usr/bin/chromium, playwright-core)
// at 1,000 and 10,000 nodes x 8 GPUs: how long from navigating to #/overview until the map is
// drawn (the canvas' data-drawn attribute, set right after drawMap, then one animation frame so it
// is painted), against a peer measured in the same run, in the same tab: the page itself fetching
// and parsing the same GET /api/v1/overview?metric=temperature. The ratio is what the screen adds to
// its data: laying out and drawing every GPU on the canvas, the summary cards, the legend and the
// lists. Also printed: a full page load (reload, the bundle, the token check, then the overview) to
// drawn, and the map's own draw time as the page measured it.
//
// The data: a real Prometheus (Debian's package) on TSDB blocks that promtool made from generated
// series (integration-tests/src/web-ui/overview-support.ts: up per node, the temperature per GPU
// with dcgm-exporter's labels, one GPU over the critical level), the real gateway process serving
// the UI with config.yaml listing the nodes. Alertmanager, the rule compiler and the install worker
// are not running, so the summary names them as unavailable (as the peer's answer does too).
//
// Medians over the rounds, after one warm-up. Times are printed, never asserted.
//   node bench/overview-ui.bench.ts [--rounds 5] [--sizes 1000,10000]
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { ConfigStore } from '@aami/shared';
import { makeTempDir } from '../integration-tests/src/harness/daemon.ts';
import { launchUiBrowser, type UiBrowser } from '../integration-tests/src/web-ui/browser.ts';
import { backfilledPrometheus, fleetConfig } from '../integration-tests/src/web-ui/overview-support.ts';
import { startUiGateway } from '../integration-tests/src/web-ui/ui-gateway.ts';

const GPUS = 8;
const ADMIN = 'aami_overview-ui-bench-admin-token-012345';
const CLOSED = 'http://127.0.0.1:9';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, sizes: { type: 'string', default: '1000,10000' } } });
const ROUNDS = Math.max(1, Number(values.rounds));
const SIZES = values.sizes.split(',').map(Number).filter((n) => n > 0);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// The page-side code runs in Chromium; it is given as text, since the root tsconfig has no DOM types.

/** In the page: go to another screen, then to the overview; ms until the map is drawn and painted. */
async function navigateToDrawn(page: Page): Promise<{ ms: number; drawMs: number; cells: number }> {
  await page.evaluate("location.hash = '#/xid'");
  await page.getByRole('heading', { level: 1, name: 'Xid lookup' }).waitFor();
  return page.evaluate(`new Promise((resolve) => {
    const t0 = performance.now();
    location.hash = '#/overview?metric=temperature';
    const check = () => {
      const c = document.querySelector('canvas.ov-map');
      if (c && c.dataset.drawn && c.dataset.drawn !== '0') {
        requestAnimationFrame(() => resolve({ ms: performance.now() - t0, drawMs: Number(c.dataset.drawMs), cells: Number(c.dataset.cells) }));
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  })`);
}

/** In the page: the same request the overview makes, fetched and parsed; ms. */
async function fetchOverview(page: Page): Promise<number> {
  return page.evaluate(`(async () => {
    const t0 = performance.now();
    const res = await fetch('/api/v1/overview?metric=temperature', { headers: { authorization: 'Bearer ${ADMIN}' }, cache: 'no-store' });
    const body = await res.json();
    if (!res.ok || body.nodes.length === 0) throw new Error('HTTP ' + res.status);
    return performance.now() - t0;
  })()`);
}

/** A reload of the signed-in page: ms from the navigation's start until the map is drawn. */
async function reloadToDrawn(page: Page): Promise<number> {
  await page.reload({ waitUntil: 'commit' });
  await page.locator('canvas.ov-map:not([data-drawn="0"])').waitFor({ timeout: 120_000 });
  return page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())))');
}

interface Result { nodes: number; cells: number; peer: number; nav: number; reload: number; draw: number; setupS: number }

async function measure(browser: UiBrowser, nodes: number): Promise<Result> {
  const t0 = Date.now();
  const dir = await makeTempDir(`overview-ui-bench-${nodes}`);
  const prom = await backfilledPrometheus({ nodes, gpus: GPUS, hot: [[Math.floor(nodes / 3), 5, 94]], metrics: ['temperature'], samples: 3 });
  let gateway: Awaited<ReturnType<typeof startUiGateway>> | undefined;
  try {
    await new ConfigStore(join(dir, 'config.yaml')).create({ cluster: { name: `bench-${nodes}` }, nodes: fleetConfig(nodes) });
    gateway = await startUiGateway({
      AAMI_DATA_DIR: dir, AAMI_GENERATED_DIR: join(dir, 'generated'), AAMI_PROMETHEUS_URL: prom.url, AAMI_ALERTMANAGER_URL: CLOSED, AAMI_ADMIN_TOKEN: ADMIN,
      AAMI_RULE_COMPILER_URL: CLOSED, AAMI_INSTALL_WORKER_URL: CLOSED, AAMI_REDIS_URL: 'redis://127.0.0.1:9',
    });
    const page = await browser.newPage();
    await page.goto(gateway.url);
    await page.getByLabel('API token').fill(ADMIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('canvas.ov-map:not([data-drawn="0"])').waitFor({ timeout: 120_000 });
    const setupS = (Date.now() - t0) / 1000;
    // Warm-up.
    await fetchOverview(page);
    const warm = await navigateToDrawn(page);
    if (warm.cells !== nodes * GPUS) throw new Error(`the map drew ${warm.cells} cells, the fleet has ${nodes * GPUS} GPUs`);
    const peer: number[] = [];
    const nav: number[] = [];
    const draw: number[] = [];
    const reload: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      peer.push(await fetchOverview(page));
      const n = await navigateToDrawn(page);
      nav.push(n.ms);
      draw.push(n.drawMs);
    }
    for (let r = 0; r < Math.min(3, ROUNDS); r++) reload.push(await reloadToDrawn(page));
    await page.close();
    return { nodes, cells: warm.cells, peer: median(peer), nav: median(nav), reload: median(reload), draw: median(draw), setupS };
  } finally {
    await gateway?.stop();
    await prom.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const browser = await launchUiBrowser();
const results: Result[] = [];
try {
  for (const n of SIZES) results.push(await measure(browser, n));
} finally {
  await browser.close();
}
console.log(`overview UI bench: #/overview in headless Chromium to a drawn map, ${GPUS} GPUs per node, ${ROUNDS} rounds (+1 warm-up), medians`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
for (const r of results) {
  console.log(`  ${r.nodes} nodes (${r.cells} GPU cells; data, gateway and first sign-in ${r.setupS.toFixed(0)} s):`);
  console.log(`    peer: the page fetching and parsing GET /api/v1/overview  ${r.peer.toFixed(0).padStart(6)} ms`);
  console.log(`    navigation to #/overview until the map is painted        ${r.nav.toFixed(0).padStart(6)} ms = ${(r.nav / r.peer).toFixed(2)}x the peer (map draw itself: ${r.draw.toFixed(1)} ms)`);
  console.log(`    page reload (bundle, token check, overview) to painted    ${r.reload.toFixed(0).padStart(6)} ms = ${(r.reload / r.peer).toFixed(2)}x the peer`);
}
