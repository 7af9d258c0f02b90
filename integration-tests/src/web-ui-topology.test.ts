// The Web UI's Topology screens in headless Chromium, against the real pieces: OpenSSH sshd on four
// loopback addresses (four nodes), each answering `nvidia-smi` with the GPU simulator's stand-in
// (gpu-simulator smi-files / smi-script: an 8-GPU H100 NVSwitch board per address), Redis, the
// install worker reading the topology over SSH and keeping it under AAMI_TOPOLOGY_DIR, and the API
// gateway serving the UI. One node's GPU 2 loses NVLinks 3 and 7 and is read again: the fleet list
// names it and the drawing marks GPU 2. Pin and unpin as admin; a viewer sees those controls
// disabled. A node whose nvidia-smi prints markup shows it as text. Screenshots go to
// integration-tests/screenshots/ (topology-*.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { ConfigStore, type NodeTopology, type TopologyList } from '@aami/shared';
import { makeTempDir, REPO_ROOT, startRedis, startSshd, type AamiService, type RedisServer, type SshServer } from './harness/index.ts';
import { launchUiBrowser, SCREENSHOT_DIR, signedInTab, type UiBrowser } from './web-ui/browser.ts';
import { startServiceOnFreePort } from './web-ui/services.ts';
import { startUiGateway } from './web-ui/ui-gateway.ts';

const run = promisify(execFile);
const ADMIN = 'aami_web-ui-topology-admin-token-0123456789';
const CLOSED = 'http://127.0.0.1:9';
const KIND = '8 × NVIDIA H100 80GB HBM3';
/** Three H100 nodes, and one whose nvidia-smi prints markup where a connection should be. */
const NODES = [
  { name: 'gpu-node-01', ip: '127.0.0.1' },
  { name: 'gpu-node-02', ip: '127.0.0.2' },
  { name: 'gpu-node-03', ip: '127.0.0.3' },
  { name: 'gpu-node-04', ip: '127.0.0.4' },
];
const HOSTILE = '<script>alert(1)</script>';
const SIM_CLI = `${REPO_ROOT}services/gpu-simulator/src/cli.ts`;

let smiRoot: string;
let redis: RedisServer;
let sshd: SshServer;
let worker: AamiService;
let gateway: AamiService;
let browser: UiBrowser;
let viewer: string;

async function api(method: string, path: string, token = ADMIN, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  return { status: res.status, body: parsed };
}

/** What the simulated nvidia-smi of the node at `ip` prints: an H100 NV18 board, links `down` inactive. */
async function smiFiles(node: string, ip: string, down: string[] = []): Promise<void> {
  await run(process.execPath, [SIM_CLI, 'smi-files', '--board', 'h100-nv18', '--seed', node, ...(down.length ? ['--down', down.join(',')] : []), '--out', join(smiRoot, ip)]);
}

const signedIn = (token: string): Promise<Page> => signedInTab(browser, gateway.url, token);

/** The fleet screen from the nav bar. */
async function fleetScreen(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Topology', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Topology' }).waitFor();
}

/** A node's page, with its drawing. */
async function nodeScreen(page: Page, node: string): Promise<void> {
  await page.goto(`${gateway.url}/#/topology/${node}`);
  await page.getByRole('heading', { level: 1, name: `Topology of ${node}` }).waitFor();
  await page.locator('svg.topo-svg').waitFor();
}

before(async () => {
  const dir = await makeTempDir('web-ui-topology');
  smiRoot = join(dir, 'smi');
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  for (const n of NODES.slice(0, 3)) await smiFiles(n.name, n.ip);
  // gpu-node-04: a matrix row with markup where a connection should be (the parser quotes the line).
  const hostile = join(smiRoot, '127.0.0.4');
  await mkdir(hostile, { recursive: true });
  await writeFile(join(hostile, 'topo-m.txt'), `\tGPU0\tCPU Affinity\nGPU0\t${HOSTILE}\t0-7\n`);
  await run(process.execPath, [SIM_CLI, 'smi-script', '--root', smiRoot, '--out', join(bin, 'nvidia-smi')]);

  [redis, sshd] = await Promise.all([startRedis(), startSshd({ extraAddresses: NODES.slice(1).map((n) => n.ip), path: [bin] })]);
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  await new ConfigStore(join(dataDir, 'config.yaml')).create({
    ssh: { user: sshd.user, key: sshd.keyPath, port: 22, concurrency: 10, connect_timeout_s: 5, command_timeout_s: 60 },
    nodes: NODES.map((n) => ({ name: n.name, ip: n.ip, ssh_port: sshd.port })),
  });
  const env: NodeJS.ProcessEnv = { AAMI_DATA_DIR: dataDir, AAMI_REDIS_URL: redis.url, AAMI_PROMETHEUS_URL: CLOSED, AAMI_ALERTMANAGER_URL: CLOSED };
  worker = await startServiceOnFreePort('install-worker', 'AAMI_INSTALL_WORKER_PORT', 'AAMI_INSTALL_WORKER_URL', {
    ...env, AAMI_TOPOLOGY_DIR: join(dir, 'topology'), AAMI_TOPOLOGY_REFRESH_HOURS: '0',
  });
  gateway = await startUiGateway({ ...env, AAMI_ADMIN_TOKEN: ADMIN, AAMI_INSTALL_WORKER_URL: worker.url });
  const made = await api('POST', '/api/v1/tokens', ADMIN, { name: 'topology viewer', role: 'viewer' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  viewer = (made.body as { token: string }).token;
  browser = await launchUiBrowser();
  console.log(`screenshots: ${SCREENSHOT_DIR}`);
});

after(async () => {
  await browser?.close();
  await Promise.all([gateway?.stop(), worker?.stop(), sshd?.stop()]);
  await redis?.stop();
});

test('Refresh all reads every node over SSH; all three H100 nodes match; markup from a node is shown as text', async () => {
  const page = await signedIn(ADMIN);
  await fleetScreen(page);
  await page.getByText('No topology has been read yet.').waitFor();
  await page.getByRole('button', { name: 'Refresh all' }).click();
  await page.getByText(/^Read 4 nodes in \d+ s: 3 read, 1 could not be read\.$/).waitFor({ timeout: 120_000 });
  await page.getByText('No node differs from what is expected: 3 nodes compared with their peers or a pin, and all match.').waitFor();

  const rows = page.locator('table.topo-table tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 4);
  const row1 = await page.locator('tr[data-node="gpu-node-01"] td, tr[data-node="gpu-node-01"] th').allTextContents();
  assert.deepEqual(row1.slice(0, 8), ['gpu-node-01', '✓ Read', KIND, '8', '28 of 28 pairs, NV18', 'its peers (2 other nodes)', '✓ as expected', '0']);
  // gpu-node-04's nvidia-smi printed markup: it is in the reason, as characters.
  const bad = page.locator('tr[data-node="gpu-node-04"]');
  await bad.getByText('✕ Not read').waitFor();
  assert.match((await bad.locator('.reason').textContent()) ?? '', /<script>alert\(1\)<\/script>/);
  assert.match((await page.locator('.message.warn', { hasText: 'could not be read, so it is not compared' }).textContent()) ?? '', /gpu-node-04: .*<script>alert\(1\)<\/script>/);
  assert.equal(await page.locator('main script').count(), 0, 'no script element was made from data');
  assert.deepEqual(browser.dialogs, [], 'no script ran');
  await page.getByText('No kind is pinned').waitFor();
  await browser.screenshot(page, 'topology-00-fleet');

  // The Nodes screen links each node to its topology.
  await page.getByRole('link', { name: 'Nodes', exact: true }).click();
  await page.getByRole('link', { name: 'Topology of gpu-node-01' }).click();
  await page.getByRole('heading', { level: 1, name: 'Topology of gpu-node-01' }).waitFor();
  const svg = page.locator('svg.topo-svg');
  await svg.waitFor();
  assert.equal(await svg.getAttribute('data-mode'), 'switch');
  assert.equal(await svg.locator('.topo-bar').textContent(), 'NVSwitch');
  assert.equal(await svg.locator('.topo-gpu').count(), 8);
  assert.equal(await svg.locator('.topo-edge-switch').count(), 8);
  assert.deepEqual(await svg.locator('.topo-edge-switch .topo-edge-label').allTextContents(), Array(8).fill('18'));
  assert.equal(await svg.locator('.topo-nic').count(), 4);
  assert.equal(await svg.locator('.degraded').count(), 0);
  assert.deepEqual(await svg.locator('.topo-group-label').allTextContents(), ['NUMA 0 · CPUs 0-55,112-167', 'NUMA 1 · CPUs 56-111,168-223']);
  await page.getByText('✓ As expected: the same as most of its 2 peers.').waitFor();
  // The per-GPU table: identity from --query-gpu, affinity from topo -m, links from nvlink -s.
  const gpu0 = await page.locator('table.topo-gpus tr[data-gpu="0"] td').allTextContents();
  assert.equal(gpu0[0], 'NVIDIA H100 80GB HBM3');
  assert.match(gpu0[1] ?? '', /^GPU-[0-9a-f-]{36}$/);
  assert.equal(gpu0[2], '00000000:18:00.0');
  // GPU NUMA ID is N/A on this board (no GPU memory as a NUMA node).
  assert.deepEqual(gpu0.slice(3), ['0-55,112-167', '0', '—', '18 of 18', 'none']);
  assert.equal(await page.locator('table.topo-matrix td.tm-nv').count(), 56);
  await browser.screenshot(page, 'topology-01-nv18');
  await page.close();
});

test('GPU 2 of gpu-node-03 loses NVLinks 3 and 7: after a Refresh the fleet list names it and the drawing marks GPU 2', async () => {
  await smiFiles('gpu-node-03', '127.0.0.3', ['2:3', '2:7']);
  const page = await signedIn(ADMIN);
  await nodeScreen(page, 'gpu-node-03');
  assert.equal(await page.locator('svg.topo-svg .degraded').count(), 0, 'not read again yet');
  await page.getByRole('button', { name: 'Read the topology of gpu-node-03 again' }).click();
  await page.getByText(/^Read 1 node in \d+ s: 1 read\.$/).waitFor({ timeout: 60_000 });

  const svg = page.locator('svg.topo-svg');
  const gpu2 = svg.locator('g.topo-gpu.degraded[data-gpu="2"]');
  await gpu2.waitFor();
  assert.equal(await svg.locator('g.topo-gpu.degraded').count(), 1, 'GPU 2 alone is marked, not the 7 GPUs whose pair with it dropped');
  assert.match((await gpu2.locator('text').allTextContents()).join(' '), /GPU 2 ✕ 16\/18 NVLinks/);
  assert.match((await gpu2.locator('title').textContent()) ?? '', /inactive: link 3, link 7/);
  assert.equal(await svg.locator('.topo-edge-switch.degraded[data-a="GPU2"] .topo-edge-label').textContent(), '✕ 16/18');
  assert.equal(await svg.locator('.topo-edge.degraded').count(), 1);
  const alert = page.getByRole('alert').filter({ hasText: 'Not as expected (compared with most of its 2 peers):' });
  await alert.getByText('GPU 2 has 16 of 18 NVLinks active (most of its 2 peer(s) have 18)').waitFor();
  await alert.getByText('GPU0-GPU2 is NV16; most of its 2 peer(s) have NV18').waitFor();
  assert.deepEqual(await page.locator('table.topo-gpus tr[data-gpu="2"] td').evaluateAll((tds) => tds.slice(-2).map((td) => td.textContent)), ['✕ 16 of 18', 'link 3, link 7']);
  assert.equal(await page.locator('table.topo-matrix td.tm-bad').count(), 14, 'the 7 pairs of GPU 2, both ways');
  await page.getByText('Inactive NVLinks').waitFor();
  await browser.screenshot(page, 'topology-02-degraded');
  await browser.screenshot(page.locator('.topo-drawing-card'), 'topology-02-degraded-drawing');

  await page.getByRole('link', { name: '← All nodes' }).click();
  await page.getByRole('heading', { level: 1, name: 'Topology' }).waitFor();
  const off = page.getByRole('list', { name: 'Nodes that differ from what is expected' }).locator('li.topo-off');
  await off.first().waitFor();
  assert.equal(await off.count(), 1);
  assert.equal(await off.locator('a.topo-off-name').textContent(), 'gpu-node-03');
  await off.getByText('GPU 2 has 16 of 18 NVLinks active (most of its 2 peer(s) have 18)').waitFor();
  assert.deepEqual(await page.locator('tr[data-node="gpu-node-03"] td').evaluateAll((tds) => tds.slice(5, 7).map((td) => td.textContent)), ['✕ 8 differences', '✕ 2']);
  await browser.screenshot(page, 'topology-03-fleet-degraded');
  await off.locator('a.topo-off-name').click();
  await page.getByRole('heading', { level: 1, name: 'Topology of gpu-node-03' }).waitFor();
  await page.close();
});

test('pin and unpin as admin: the kind is compared with the pinned node, then with its peers again', async () => {
  const page = await signedIn(ADMIN);
  await nodeScreen(page, 'gpu-node-01');
  assert.equal(await page.getByRole('button', { name: 'Remove the pin' }).count(), 0, 'nothing is pinned yet');
  await page.getByRole('button', { name: `Pin as the expected topology of ${KIND}` }).click();
  await page.getByRole('button', { name: 'Yes, pin it' }).click();
  await page.getByText(`Pinned: the 3 nodes of ${KIND} (gpu-node-01, gpu-node-02, gpu-node-03) are now compared with the topology of gpu-node-01.`).waitFor();
  await page.locator('.topo-facts').getByText('pinned from gpu-node-01').waitFor();
  await page.getByText('✓ This topology is the pinned reference of its kind.').waitFor();
  const list = (await api('GET', '/api/v1/topology')).body as TopologyList;
  assert.deepEqual(list.pins.map((p) => [p.kind, p.node]), [[KIND, 'gpu-node-01']]);
  const three = list.nodes.find((n) => n.node === 'gpu-node-03');
  assert.equal(three?.expected?.source, 'pinned');
  assert.ok(three?.expected?.deviations.some((d) => d.text === 'GPU 2 has 16 of 18 NVLinks active (pinned from gpu-node-01: 18)'), JSON.stringify(three?.expected));

  await fleetScreen(page);
  const pin = page.locator(`li.topo-pin[data-kind="${KIND}"]`);
  await pin.getByRole('link', { name: 'gpu-node-01' }).waitFor();
  await page.locator('tr[data-node="gpu-node-02"]').getByText('pinned from gpu-node-01').waitFor();
  await page.getByRole('list', { name: 'Nodes that differ from what is expected' }).getByText('GPU 2 has 16 of 18 NVLinks active (pinned from gpu-node-01: 18)').waitFor();
  await browser.screenshot(page, 'topology-04-pinned');
  await nodeScreen(page, 'gpu-node-02');
  await page.getByText('✓ As expected: the same as the topology pinned from gpu-node-01.').waitFor();

  await nodeScreen(page, 'gpu-node-01');
  await page.getByRole('button', { name: 'Remove the pin' }).click();
  await page.getByText(`Removed the pin of ${KIND} (taken from gpu-node-01): its nodes are compared with their peers again.`).waitFor();
  await page.locator('.topo-facts').getByText('its peers (2 other nodes)').waitFor();
  assert.deepEqual(((await api('GET', '/api/v1/topology')).body as TopologyList).pins, []);
  await page.close();
});

test('a viewer sees every topology write disabled ("needs an admin token"), and the gateway refuses its writes', async () => {
  assert.equal((await api('POST', '/api/v1/topology/gpu-node-02/pin')).status, 200);
  try {
    const page = await signedIn(viewer);
    await fleetScreen(page);
    const refreshAll = page.getByRole('button', { name: 'Refresh all' });
    assert.equal(await refreshAll.isDisabled(), true);
    assert.equal(await refreshAll.getAttribute('title'), 'needs an admin token');
    const unpin = page.getByRole('button', { name: `Remove the pin of ${KIND}` });
    await unpin.waitFor();
    assert.equal(await unpin.isDisabled(), true);
    await nodeScreen(page, 'gpu-node-02');
    for (const b of [
      page.getByRole('button', { name: 'Read the topology of gpu-node-02 again' }),
      page.getByRole('button', { name: `Pin as the expected topology of ${KIND}` }),
      page.getByRole('button', { name: 'Remove the pin' }),
    ]) {
      assert.equal(await b.isDisabled(), true);
      assert.equal(await b.getAttribute('title'), 'needs an admin token');
    }
    await page.getByText('Pinning needs an admin token.').waitFor();
    await browser.screenshot(page, 'topology-05-viewer');
    await page.close();
    assert.equal((await api('POST', '/api/v1/topology/refresh', viewer, { all: true })).status, 403);
    assert.equal((await api('DELETE', '/api/v1/topology/gpu-node-02/pin', viewer)).status, 403);
  } finally {
    assert.equal((await api('DELETE', '/api/v1/topology/gpu-node-02/pin')).status, 200);
  }
});

test('the node\'s answer is the shared schema the drawing reads (matrix, nvlink, identity, expected)', async () => {
  const { status, body } = await api('GET', '/api/v1/topology/gpu-node-03');
  assert.equal(status, 200);
  const t = body as NodeTopology;
  assert.equal(t.matrix?.gpus.length, 8);
  assert.equal(t.identity?.length, 8);
  assert.deepEqual(t.inactiveLinks, ['GPU 2 link 3', 'GPU 2 link 7']);
  assert.equal(t.expected?.source, 'peers');
});

test('the browser only ever talked to the gateway, and no page hit a script error or a CSP violation', () => {
  assert.deepEqual(browser.requests.filter((u) => !u.startsWith(`${gateway.url}/`)), []);
  assert.deepEqual(browser.pageErrors, []);
  assert.deepEqual(browser.dialogs, []);
});
