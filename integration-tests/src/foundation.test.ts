// The foundation slice end to end: the real API gateway process, the real CLI, a real Prometheus
// scraping a real node_exporter, and a real Alertmanager.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeTempDir, runCli, startAamiService, startAlertmanager, startNodeExporter, startPrometheus, startRedis,
  type AamiService, type AlertmanagerServer, type NodeExporter, type PrometheusServer, type RedisServer,
} from './harness/index.ts';

const ADMIN = 'aami_integration-admin-token-0123456789';
let dataDir: string;
let gateway: AamiService;
let prom: PrometheusServer;
let am: AlertmanagerServer;
let ne: NodeExporter;
let redis: RedisServer;
let env: NodeJS.ProcessEnv;

before(async () => {
  dataDir = await makeTempDir('foundation');
  [redis, ne, am] = await Promise.all([startRedis(), startNodeExporter(), startAlertmanager('route: {receiver: none}\nreceivers: [{name: none}]\n')]);
  // The scrape config the rule compiler writes: a file_sd target per node, labelled with its name.
  prom = await startPrometheus({
    configYaml: `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: node_exporter\n    file_sd_configs: [{files: ['{{DIR}}/targets.json'], refresh_interval: 1s}]\n`,
    files: { 'targets.json': JSON.stringify([{ targets: [ne.address], labels: { node: 'gpu-node-01', cluster: 'it' } }]) },
  });
  gateway = await startAamiService('api-gateway', 'AAMI_API_PORT', {
    AAMI_DATA_DIR: dataDir,
    AAMI_ADMIN_TOKEN: ADMIN,
    AAMI_REDIS_URL: redis.url,
    AAMI_PROMETHEUS_URL: prom.url,
    AAMI_ALERTMANAGER_URL: am.url,
  });
  env = { AAMI_URL: gateway.url, AAMI_TOKEN: ADMIN };
});

after(async () => {
  await Promise.all([gateway?.stop(), prom?.stop(), am?.stop(), ne?.stop(), redis?.stop()]);
});

test('aami nodes add, then nodes list shows the node up from a real Prometheus', async () => {
  const add = await runCli(['nodes', 'add', 'gpu-node-01', '--ip', '127.0.0.1', '--user', 'root', '--key', '/root/.ssh/id_ed25519', '--label', 'gpu_type=h100'], env);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /Added node gpu-node-01/);
  let nodes: Array<{ name: string; health: { status: string | null } }> = [];
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const list = await runCli(['nodes', 'list', '--output', 'json'], env);
    assert.equal(list.code, 0, list.stderr);
    nodes = (JSON.parse(list.stdout) as { nodes: typeof nodes }).nodes;
    if (nodes[0]?.health.status === 'up') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(nodes[0]?.name, 'gpu-node-01');
  assert.equal(nodes[0]?.health.status, 'up');
  const table = await runCli(['nodes', 'list'], env);
  assert.match(table.stdout, /│ gpu-node-01 │ 127\.0\.0\.1 │ 0 +│ ✔ up +│ 0 +│/);
});

test('aami nodes add --file: 1,000 good lines are added in one write', async () => {
  const file = join(dataDir, 'hosts-1000.txt');
  const lines = ['# generated', ...Array.from({ length: 1000 }, (_, i) => `bulk-${i} 10.${100 + Math.floor(i / 250)}.${i % 250}.1`)];
  await writeFile(file, lines.join('\n'));
  const res = await runCli(['nodes', 'add', '--file', file, '--user', 'root', '--key', '/root/.ssh/id_ed25519'], env);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /Added 1000 node\(s\)/);
  const cfg = await readFile(join(dataDir, 'config.yaml'), 'utf8');
  assert.equal(cfg.match(/name: bulk-/g)?.length, 1000);
});

test('aami nodes add --file with 3 bad lines reports all 3 with line numbers, exits 1, writes nothing', async () => {
  const before = await readFile(join(dataDir, 'config.yaml'), 'utf8');
  const file = join(dataDir, 'hosts-bad.txt');
  await writeFile(file, ['good-1 10.200.0.1', 'bad-ip 10.200.0.999', '', '# comment', 'lonely-name', 'good-1 10.200.0.5', 'good-2 10.200.0.2'].join('\n'));
  const res = await runCli(['nodes', 'add', '--file', file, '--user', 'root', '--key', '/k'], env);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /3 bad line/);
  assert.match(res.stderr, /line 2: .*10\.200\.0\.999/);
  assert.match(res.stderr, /line 5: .*missing IP/);
  assert.match(res.stderr, /line 6: .*duplicate node name "good-1"/);
  assert.equal(await readFile(join(dataDir, 'config.yaml'), 'utf8'), before);
});

test('aami status reports each component with its version, and exits 1 when some are down', async () => {
  const res = await runCli(['status', '--output', 'json'], env);
  const status = JSON.parse(res.stdout) as { components: Array<{ name: string; reachable: boolean; version: string | null; credential: string | null }> };
  const by = new Map(status.components.map((c) => [c.name, c]));
  assert.equal(by.get('prometheus')?.reachable, true);
  assert.match(by.get('prometheus')?.version ?? '', /^\d+\.\d+/);
  assert.equal(by.get('alertmanager')?.reachable, true);
  assert.equal(by.get('redis')?.reachable, true);
  assert.match(by.get('redis')?.version ?? '', /^\d+\.\d+/);
  // Services not started in this test are reported unreachable, not hidden.
  assert.equal(by.get('analyzer')?.reachable, false);
  assert.equal(res.code, 1);
  // This test's Redis and Prometheus ask for no credential, and status says so.
  assert.deepEqual([by.get('api-gateway')?.credential, by.get('redis')?.credential, by.get('prometheus')?.credential], ['API token', null, null]);
  const table = await runCli(['status'], env);
  assert.match(table.stdout, /│ redis +│ ✔ up +│ [\d.]+ +│ ! none +│/);
  assert.match(table.stdout, /answer anyone who reaches them, without a credential: prometheus, alertmanager, redis/);
});

test('the CLI without a token gets a clear 401 message; a viewer token cannot write', async () => {
  const anon = await runCli(['nodes', 'list'], { AAMI_URL: gateway.url, AAMI_TOKEN: '' });
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, /no token/);
  const made = await runCli(['tokens', 'create', '--name', 'portal', '--role', 'viewer', '--output', 'json'], env);
  const viewer = (JSON.parse(made.stdout) as { token: string }).token;
  const denied = await runCli(['nodes', 'remove', 'gpu-node-01'], { AAMI_URL: gateway.url, AAMI_TOKEN: viewer });
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /admin token is needed/);
});

test('the gateway logs never contain the admin token', () => {
  assert.ok(!gateway.output().includes(ADMIN));
});
