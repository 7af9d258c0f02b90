// The Web UI's overview and charts routes against the real pieces: simulated GPU nodes (dcgm-exporter's
// format, a kernel log) scraped by a real Prometheus, each node's node_exporter stand-in carrying
// AAMI's real Xid counter's textfile, a real Alertmanager holding two alerts, and the gateway's app
// in this process with config.yaml listing the nodes. Node 01 gets an hour of history backfilled
// with promtool before Prometheus starts, so its charts have data over the whole range. A
// temperature fault and an Xid are injected through the simulator's control API; node 03's model
// name is rewritten by Prometheus into markup, which must come back as the same (capped) string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ConfigStore, ErrorEnvelope, LABEL_VALUE_MAX, NodeChartsResponse, OverviewResponse, createLogger, loadSettings, type CompileStatus, type InstallRunsList,
  type OverviewMetric,
} from '@aami/shared';
import { parsePromText, startFleet } from '@aami/gpu-simulator';
import { createApp } from '../../services/api-gateway/src/app.ts';
import { TokenStore } from '../../services/api-gateway/src/auth/token-store.ts';
import { REPO_ROOT, freePort, makeTempDir, requireBinary, startAlertmanager, startPrometheusOnFile, waitFor } from './harness/index.ts';
import { renderNodeExporterText } from './support/node-exporter-standin.ts';
import { deferrer } from './notification-relay-support.ts';

const run = promisify(execFile);
const COUNTER = join(REPO_ROOT, 'node-files/aami-xid-counter');
const GPUS = 4;
const SERVICE_TOKEN = 'service-token-for-overview-it-0123';
const HOSTILE = `<img src=x onerror=alert(1)>"' \\ </script>${'A'.repeat(300)}`;
/** The fields node 01's history is backfilled for: what its charts draw. */
const HISTORY: Record<string, (gpu: number, i: number) => number> = {
  DCGM_FI_DEV_GPU_UTIL: (g, i) => (i + g * 7) % 100,
  DCGM_FI_DEV_FB_USED: (g) => 8000 + g * 1000,
  DCGM_FI_DEV_FB_FREE: (g) => 72000 - g * 1000,
  DCGM_FI_DEV_FB_RESERVED: () => 559,
  DCGM_FI_DEV_GPU_TEMP: (g) => 40 + g,
  DCGM_FI_DEV_POWER_USAGE: (g) => 200 + g * 10,
  DCGM_FI_DEV_CLOCK_THROTTLE_REASONS: () => 1,
};

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
const closeServer = (s: Server) => () => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });

test('overview and charts read the real Prometheus: every GPU, an injected fault and Xid, a hostile label, an unknown node, Prometheus gone', { timeout: 180_000 }, async (t) => {
  const defer = deferrer(t);
  const dir = await makeTempDir('overview-it');

  const sim = await startFleet({ nodes: 3, gpus: GPUS, model: 'H100', basePort: 0, controlPort: 0, logDir: join(dir, 'sim'), nodePrefix: 'gpu-node-' });
  defer(() => sim.stop());
  const [n1, n2, n3] = sim.nodes;
  assert.ok(n1 && n2 && n3 && sim.controlUrl);

  // Each node's node_exporter: the stand-in's host series plus its Xid counter's textfile (node 01 runs the counter).
  const textDir = join(dir, 'textfile');
  const stateDir = join(dir, 'counter-state');
  await mkdir(textDir, { recursive: true });
  const exporters: Array<{ name: string; port: number }> = [];
  for (const n of sim.nodes) {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(renderNodeExporterText({ name: n.name, bootMs: sim.fleet.node(n.name).bootTimeMs, cpus: 8, memBytes: 2 ** 36, diskBytes: 1e12, ...(n === n1 ? { textfileDir: textDir } : {}) }, Date.now()));
    });
    exporters.push({ name: n.name, port: await listen(server) });
    defer(closeServer(server));
  }
  const countXids = () => run('sh', [COUNTER, '--log-file', n1.logFile!, '--state-dir', stateDir, '--textfile-dir', textDir]);
  await countXids();
  const counterTimer = setInterval(() => void countXids().catch(() => {}), 1000);
  defer(() => clearInterval(counterTimer));

  // An hour of node 01's history, with the labels Prometheus will give its live series, as TSDB blocks.
  const promDir = join(dir, 'prometheus');
  await mkdir(join(promDir, 'data'), { recursive: true });
  const exposed = parsePromText(await (await fetch(n1.url)).text());
  const lastMs = Date.now() - 5000;
  const lines: string[] = [];
  for (const [field, value] of Object.entries(HISTORY)) {
    const family = exposed.find((f) => f.name === field);
    assert.ok(family, `node 01 exports ${field}`);
    lines.push(`# TYPE ${field} gauge`);
    for (const s of family.samples) {
      const labels = [...s.labels, ['job', 'dcgm_exporter'], ['instance', n1.target], ['node', n1.name]].map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
      const gpu = Number(s.labels.find(([k]) => k === 'gpu')?.[1]);
      for (let i = 720; i >= 1; i--) lines.push(`${field}{${labels}} ${value(gpu, i)} ${((lastMs - i * 5000) / 1000).toFixed(3)}`);
    }
  }
  lines.push('# EOF', '');
  await writeFile(join(dir, 'history.om'), lines.join('\n'));
  await run(requireBinary('/usr/bin/promtool', 'prometheus'), ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'history.om'), join(promDir, 'data')]);

  const targets = (job: string, list: Array<{ name: string; target: string }>) => [
    `  - job_name: ${job}`,
    '    static_configs:',
    ...list.flatMap((x) => [`      - targets: ['${x.target}']`, `        labels: {node: '${x.name}'}`]),
  ];
  const promConfig = [
    'global: {scrape_interval: 1s, scrape_timeout: 1s}',
    'scrape_configs:',
    ...targets('dcgm_exporter', sim.nodes),
    // Node 03's exporter "says" its model name is markup.
    '    metric_relabel_configs:',
    `      - {source_labels: [node], regex: '${n3.name}', target_label: modelName, replacement: ${JSON.stringify(HOSTILE)}}`,
    ...targets('node_exporter', exporters.map((e) => ({ name: e.name, target: `127.0.0.1:${e.port}` }))),
    '',
  ].join('\n');
  await writeFile(join(promDir, 'prometheus.yml'), promConfig);
  const prom = await startPrometheusOnFile(join(promDir, 'prometheus.yml'), await freePort(), { dir: promDir, render: (x) => x });
  let promStopped = false;
  defer(() => (promStopped ? undefined : prom.stop()));

  // Alertmanager with two firing alerts.
  const am = await startAlertmanager('route: {receiver: none}\nreceivers: [{name: none}]\n');
  defer(() => am.stop());
  const endsAt = new Date(Date.now() + 3600_000).toISOString();
  const post = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname: 'GPUTemperatureCritical', severity: 'critical', node: n2.name }, endsAt }, { labels: { alertname: 'GPUFramebufferHigh', severity: 'warning', node: n1.name }, endsAt }]),
  });
  assert.equal(post.status, 200);

  // The rule compiler and the install worker, answering only to the service token.
  const compile: CompileStatus = { state: 'ok', lastAttempt: { at: '2026-01-01T00:00:00.000Z', revision: 3, ok: true, durationMs: 9, changed: true, errors: [], warnings: [] }, lastSuccess: { at: '2026-01-01T00:00:00.000Z', revision: 3, hash: 'h', summary: { nodes: 3, rules: 1, disabledRules: 0, ruleFiles: 1 }, files: { written: 1, removed: 0, unchanged: 0 } }, reload: null };
  const runs: InstallRunsList = { runs: [{ id: 'r1', action: 'install', nodes: sim.nodes.map((n) => n.name), createdAt: '2026-01-01T00:00:00.000Z', status: 'done', total: 3, counts: { queued: 0, running: 0, retrying: 0, done: 3, failed: 0 }, results: { installed: 3 }, percent: 100 }] };
  const services = createServer((req, res) => {
    const body = req.headers.authorization !== `Bearer ${SERVICE_TOKEN}` ? undefined : req.url === '/api/v1/compile/status' ? compile : req.url === '/api/v1/install/runs?limit=1' ? runs : undefined;
    res.writeHead(body ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { error: { code: 'unauthorized', message: 'no', details: [] } }));
  });
  const servicesUrl = `http://127.0.0.1:${await listen(services)}`;
  defer(closeServer(services));

  // The gateway, in this process, with config.yaml listing the three nodes.
  const store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create({ nodes: sim.nodes.map((n, i) => ({ name: n.name, ip: `10.9.0.${i + 1}` })), prometheus: { scrape_interval: '1s', evaluation_interval: '1s' } });
  const tokens = new TokenStore(join(dir, 'tokens.json'));
  await tokens.load();
  const viewer = (await tokens.create('viewer', 'viewer')).token;
  const settings = loadSettings({
    AAMI_DATA_DIR: dir, AAMI_PROMETHEUS_URL: prom.url, AAMI_ALERTMANAGER_URL: am.url, AAMI_RULE_COMPILER_URL: servicesUrl, AAMI_INSTALL_WORKER_URL: servicesUrl,
  });
  const app = createApp({ store, tokens, compile: { request: async () => ({ queued: true }), close: async () => {} }, settings, log: createLogger('overview-it', 'error'), version: 'it', serviceToken: SERVICE_TOKEN });
  const gateway = app.listen(0, '127.0.0.1');
  await new Promise((r) => gateway.once('listening', r));
  defer(closeServer(gateway));
  const base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/api/v1`;
  const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${viewer}` } });
  const overview = async (metric: OverviewMetric = 'temperature') => {
    const res = await get(`/overview?metric=${metric}`);
    assert.equal(res.status, 200);
    return OverviewResponse.parse(await res.json());
  };
  const charts = async (node: string, range = '1h') => {
    const res = await get(`/nodes/${node}/charts?range=${range}`);
    assert.equal(res.status, 200, await res.clone().text());
    return NodeChartsResponse.parse(await res.json());
  };

  // Every simulated GPU, with its value and the UUID Prometheus holds for it.
  await waitFor(async () => {
    const o = await overview();
    return o.summary.nodes.up === 3 && o.nodes.every((n) => n.gpus.length === GPUS && n.gpus.every((g) => g[3] !== null));
  }, 30_000, 'every GPU of every node in the overview');
  const uuids = new Map((await prom.query('DCGM_FI_DEV_GPU_TEMP')).map((s) => [`${s.metric.node}/${s.metric.gpu}`, s.metric.UUID]));
  assert.equal(uuids.size, 3 * GPUS);
  for (const metric of ['temperature', 'utilization', 'memory', 'power'] as const) {
    const o = await overview(metric);
    assert.deepEqual(o.nodes.map((n) => n.name), sim.nodes.map((n) => n.name), metric);
    for (const n of o.nodes) {
      assert.deepEqual(n.gpus.map((g) => g[0]), [0, 1, 2, 3], `${metric} ${n.name}`);
      for (const [gpu, uuid, model, value] of n.gpus) {
        assert.equal(typeof value, 'number', `${metric} ${n.name}/${gpu}`);
        assert.equal(uuid, uuids.get(`${n.name}/${gpu}`));
        assert.equal(o.models[model!], n.name === n3.name ? HOSTILE.slice(0, LABEL_VALUE_MAX) : 'NVIDIA H100 80GB HBM3');
      }
    }
    assert.deepEqual(o.summary.gpus.reporting, 3 * GPUS, metric);
    assert.deepEqual(o.summary.gpus.with_value, 3 * GPUS, metric);
  }
  const first = await overview();
  assert.deepEqual(first.summary.nodes, { configured: 3, up: 3, down: 0 });
  assert.deepEqual(first.summary.alerts, { critical: 1, warning: 1, info: 0, other: 0 });
  assert.deepEqual(first.summary.compile, { state: 'ok', revision: 3, compiled_at: '2026-01-01T00:00:00.000Z', live_revision: 3 });
  assert.equal(first.summary.install?.id, 'r1');
  assert.deepEqual(first.unavailable, []);
  assert.deepEqual(first.legend, { unit: '°C', warn: 75, bad: 85, states: null });
  assert.equal(first.summary.gpus.bad, 0, 'no GPU is hot before the fault');
  // Without an analyzer, the health overview has no state for any GPU.
  const health = await overview('health');
  assert.ok(health.nodes.every((n) => n.gpus.every((g) => g[3] === null)));
  assert.deepEqual(health.summary.gpus.states, {});

  // A temperature fault on node 02's GPU 1: that GPU, and only that one, is bad after the next scrape.
  const inject = async (node: string, fault: Record<string, unknown>) => {
    const res = await fetch(`${sim.controlUrl}/nodes/${node}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
    assert.equal(res.status, 201, await res.text());
  };
  await inject(n2.name, { type: 'temperature', gpu: 1, targetC: 96, durationS: 0 });
  let hot = first;
  await waitFor(async () => (hot = await overview()).nodes[1]?.gpus[1]?.[4] === 2, 20_000, 'GPU 1 of node 02 marked bad');
  const bad = hot.nodes.flatMap((n) => n.gpus.filter((g) => g[4] === 2).map((g) => `${n.name}/${g[0]}`));
  assert.deepEqual(bad, [`${n2.name}/1`]);
  assert.ok((hot.nodes[1]?.gpus[1]?.[3] ?? 0) > 85);
  assert.equal(hot.summary.gpus.bad, 1);

  // Node 01's charts: 241 points over the hour, data at (almost) every one of them.
  const c = await charts(n1.name);
  assert.deepEqual([c.range, c.step, c.points, c.end - c.start], ['1h', 15, 241, 3600]);
  assert.deepEqual(c.gpus.map((g) => g.gpu), [0, 1, 2, 3]);
  for (const g of c.gpus) {
    assert.equal(g.model, 'NVIDIA H100 80GB HBM3');
    assert.equal(g.driver_version, '580.159.04');
    assert.match(g.pci_bus_id ?? '', /^00000000:[0-9A-F]{2}:00\.0$/);
    assert.equal(g.uuid, uuids.get(`${n1.name}/${g.gpu}`));
    for (const [kind, values] of Object.entries(g.series)) {
      assert.equal(values.length, 241, kind);
      const filled = values.filter((v) => v !== null).length;
      assert.ok(filled >= 235, `${kind} of GPU ${g.gpu} has data at ${filled} of 241 points`);
    }
    assert.ok(g.series.memory.slice(0, 200).every((v) => v === Math.round(((8000 + g.gpu * 1000) / 80559) * 1000) / 10), `memory % of GPU ${g.gpu} from the history`);
    assert.ok(g.series.temperature.slice(0, 200).every((v) => v === 40 + g.gpu));
    assert.equal(typeof g.current.temperature, 'number');
    assert.equal(typeof g.current.power, 'number');
  }
  assert.deepEqual(c.xids, []);

  // An Xid on node 01's GPU 2 shows as one marker on that GPU.
  await inject(n1.name, { type: 'xid', gpu: 2, xid: 13 });
  let marked = c;
  await waitFor(async () => (marked = await charts(n1.name)).xids.length > 0, 30_000, 'the Xid marker');
  assert.equal(marked.xids.length, 1);
  const [m] = marked.xids;
  assert.deepEqual([m?.xid, m?.count, m?.gpu, m?.pci_bus_id], [13, 1, 2, marked.gpus[2]?.pci_bus_id]);
  assert.ok(m && m.t >= marked.start && m.t <= marked.end);

  // Other ranges: about 240 points each.
  for (const [range, step] of [['6h', 90], ['24h', 360], ['7d', 2520]] as const) {
    const r = await charts(n1.name, range);
    assert.deepEqual([r.step, r.points], [step, 241], range);
    assert.ok(r.gpus[0]?.series.utilization.some((v) => v !== null), range);
  }

  // The hostile label comes back as the same string, capped, in a JSON answer.
  const c3res = await get(`/nodes/${n3.name}/charts`);
  assert.match(c3res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(c3res.headers.get('x-content-type-options'), 'nosniff');
  const c3 = NodeChartsResponse.parse(await c3res.json());
  assert.ok(c3.gpus.length === GPUS && c3.gpus.every((g) => g.model === HOSTILE.slice(0, LABEL_VALUE_MAX)));

  // An unknown node is the shared 404; a malformed name a 400; a bad range or metric a 400.
  for (const [path, status, code] of [
    ['/nodes/gpu-node-99/charts', 404, 'not_found'],
    ['/nodes/%22%7D%20or%20vector(1)/charts', 400, 'validation_failed'],
    [`/nodes/${n1.name}/charts?range=2h`, 400, 'validation_failed'],
    ['/overview?metric=up', 400, 'validation_failed'],
  ] as const) {
    const res = await get(path);
    assert.equal(res.status, status, path);
    assert.equal(ErrorEnvelope.parse(await res.json()).error.code, code, path);
  }

  // Prometheus gone: the charts are a 503 naming it, the overview says what it could not read.
  await prom.stop();
  promStopped = true;
  const gone = await get(`/nodes/${n1.name}/charts`);
  assert.equal(gone.status, 503);
  assert.match(ErrorEnvelope.parse(await gone.json()).error.message, /^Prometheus at http:\/\/127\.0\.0\.1:\d+ is not reachable/);
  const blind = await overview();
  assert.deepEqual(blind.unavailable.map((u) => u.source), ['prometheus']);
  assert.deepEqual(blind.summary.nodes, { configured: 3, up: null, down: null });
  assert.deepEqual(blind.summary.alerts, { critical: 1, warning: 1, info: 0, other: 0 });
});
