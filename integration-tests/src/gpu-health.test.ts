// GPU health with the real parts: a simulated node (dcgm-exporter's format, AAMI's counters file,
// a kernel log), AAMI's real Xid counter writing the textfile, a node_exporter stand-in whose
// node_boot_time_seconds follows the simulated reboots, a real Prometheus on the rule compiler's
// compiled config with the gpu-health preset, and the analyzer's health service and HTTP app.
// Each fault is injected, then the GPU's state and action are read from the analyzer, and the
// preset's alert from Prometheus. Xid 79 that comes back after two reboots ends in "inspect the
// hardware", and a new analyzer on the same data volume still says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { AamiConfig, NodeHealthResponse, createLogger, loadPresetCatalog, loadXidCatalog, type GpuHealth } from '@aami/shared';
import { compileConfig } from '@aami/rule-compiler';
import { startFleet, type FaultRequestInput } from '@aami/gpu-simulator';
import { createApp } from '../../services/analyzer/src/app.ts';
import { HealthService } from '../../services/analyzer/src/health/service.ts';
import { prometheusQuery } from '../../services/analyzer/src/health/source.ts';
import { REBOOT_MIN_SHIFT_S } from '../../services/analyzer/src/health/tracker.ts';
import { REPO_ROOT, freePort, makeTempDir, startPrometheusOnFile, waitFor } from './harness/index.ts';
import { renderNodeExporterText } from './support/node-exporter-standin.ts';
import { deferrer } from './notification-relay-support.ts';

const run = promisify(execFile);
const COUNTER = join(REPO_ROOT, 'node-files/aami-xid-counter');
const NODE = 'gpu-node-01';
/** A V100: boards before A100 retire pages instead of remapping rows. */
const V100_NODE = 'gpu-node-02';

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

test('each simulated fault shows in the GPU health state and the gpu-health alerts; a recurring Xid 79 escalates across reboots and restarts', { timeout: 420_000 }, async (t) => {
  const defer = deferrer(t);
  const dir = await makeTempDir('gpu-health');
  const ip = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(2, 255)}`;

  const sim = await startFleet({ nodes: 2, gpus: 4, models: ['H100', 'V100'], addressing: 'loopback', firstAddress: ip, basePort: 9400, logDir: join(dir, 'sim'), controlPort: null, nodePrefix: 'gpu-node-' });
  defer(() => sim.stop());
  const simNode = sim.fleet.node(NODE);
  const logFile: string = sim.nodes[0]?.logFile ?? assert.fail('the simulated node writes no kernel log');

  // The node's node_exporter: the stand-in's host series plus the Xid counter's textfile.
  const textDir = join(dir, 'textfile');
  const stateDir = join(dir, 'counter-state');
  await mkdir(textDir, { recursive: true });
  const nodeExporter = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(renderNodeExporterText({ name: NODE, bootMs: simNode.bootTimeMs, cpus: 64, memBytes: 2 ** 40, diskBytes: 1.92e12, textfileDir: textDir }, Date.now()));
  });
  await listen(nodeExporter, 9100, ip);
  defer(() => new Promise<void>((r) => { nodeExporter.close(() => r()); nodeExporter.closeAllConnections(); }));
  const countXids = () => run('sh', [COUNTER, '--log-file', logFile, '--state-dir', stateDir, '--textfile-dir', textDir]);
  await countXids();
  const counterTimer = setInterval(() => void countXids().catch(() => {}), 1000);
  defer(() => clearInterval(counterTimer));

  // The analyzer: its HTTP app on a free port, scraped by Prometheus as the `aami` job.
  const SERVICE_TOKEN = 'service-token-for-gpu-health-it';
  const analyzerPort = await freePort();
  const promPort = await freePort();
  const catalog = loadXidCatalog();
  const dataDir = join(dir, 'data');
  const makeHealth = (registry: Registry) => new HealthService({
    query: prometheusQuery(`http://127.0.0.1:${promPort}`), memoryPath: join(dataDir, 'health', 'state.json'), catalog, registry,
    log: createLogger('gpu-health-it', 'error'), intervalMs: 1000, rateWindow: '20s', rebootThreshold: 2, lookbackMs: 72 * 3600_000,
  });
  const startAnalyzer = async () => {
    const registry = new Registry();
    const health = makeHealth(registry);
    await health.start();
    const server = createApp({ serviceToken: SERVICE_TOKEN, catalog, log: createLogger('gpu-health-it', 'error'), registry, health }).listen(analyzerPort, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    return { health, stop: async () => { await health.stop(); await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }); } };
  };
  let analyzer = await startAnalyzer();
  defer(() => analyzer.stop());

  // Prometheus on what the rule compiler makes of this config: targets, the aami job, the preset.
  const config = AamiConfig.parse({
    cluster: { name: 'it-cluster' },
    // The simulator plays a dcgm-exporter AAMI did not install: the nodes say so, as an operator would.
    nodes: sim.nodes.map((n) => ({ name: n.name, ip: n.target.replace(/:\d+$/, ''), labels: {}, exporters: ['node_exporter', 'dcgm_exporter'] })),
    alerts: { presets: ['gpu-health'] },
    prometheus: { scrape_interval: '1s', evaluation_interval: '1s' },
  });
  const out = compileConfig(config, {
    catalog: await loadPresetCatalog(), alertmanagerUrl: 'http://127.0.0.1:9', relayUrl: 'http://127.0.0.1:9',
    selfTargets: [{ service: 'analyzer', url: `http://127.0.0.1:${analyzerPort}` }],
  });
  const gen = join(dir, 'generated');
  for (const [path, text] of out.files) {
    await mkdir(dirname(join(gen, path)), { recursive: true });
    await writeFile(join(gen, path), text);
  }
  const prom = await startPrometheusOnFile(join(gen, 'prometheus', 'prometheus.yml'), promPort);
  defer(() => prom.stop());

  const api = `http://127.0.0.1:${analyzerPort}`;
  const gpuHealth = async (gpu: number, node = NODE): Promise<GpuHealth | undefined> => {
    const res = await fetch(`${api}/api/v1/health/${node}?gpu=${gpu}`, { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } });
    if (res.status !== 200) return undefined;
    return NodeHealthResponse.parse(await res.json()).gpus[0];
  };
  let last: GpuHealth | undefined;
  const expectGpu = async (gpu: number, state: string, action: string, reason: RegExp | undefined, what: string, node = NODE) => {
    await waitFor(async () => {
      last = await gpuHealth(gpu, node);
      return last?.state === state && last.action === action && (!reason || last.reasons.some((r) => reason.test(r.reason)));
    }, 60_000, what).catch((err: Error) => { throw new Error(`${err.message}; last: ${JSON.stringify(last)}`); });
  };
  // The simulated workload follows the clock: at times a busy GPU runs at its power cap for most of
  // the window, which the slowdown check reports as degraded (action none) whatever the test does.
  // "Cleared" means the fault's own check is healthy and nothing but that workload effect remains.
  const expectCleared = async (gpu: number, check: string, what: string) => {
    await waitFor(async () => {
      last = await gpuHealth(gpu);
      const own = last?.checks.find((c) => c.check === check);
      const other = last?.reasons.filter((r) => r.state !== 'unknown' && !(r.check === 'slowdown' && r.action === 'none' && /power limit/.test(r.reason)));
      return own?.state === 'healthy' && last?.action === 'none' && other?.length === 0;
    }, 60_000, what).catch((err: Error) => { throw new Error(`${err.message}; last: ${JSON.stringify(last)}`); });
  };
  const firing = async (alertname: string, gpu: number): Promise<Record<string, string> | undefined> => {
    const body = (await (await fetch(`${prom.url}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ state: string; labels: Record<string, string> }> } };
    return body.data.alerts.find((a) => a.labels['alertname'] === alertname && a.labels['gpu'] === String(gpu) && a.labels['node'] === NODE)?.labels;
  };
  // Reboots further apart than the analyzer's minimum boot-time shift, as real ones are.
  let lastReboot = 0;
  const inject = async (req: FaultRequestInput) => {
    if (req.type === 'reboot') {
      const wait = lastReboot + (REBOOT_MIN_SHIFT_S + 1) * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      lastReboot = Date.now();
    }
    return sim.fleet.inject(NODE, req);
  };

  // Baseline: every GPU known and healthy, series exported under the GPU node's name.
  let baseline = '';
  await waitFor(async () => {
    const gs = await Promise.all([0, 1, 2, 3].map((g) => gpuHealth(g)));
    baseline = JSON.stringify(gs.map((g) => [g?.state, g?.reasons]));
    // Healthy, or only held back by the power cap under the simulated workload (see expectCleared).
    return gs.every((g) => g?.state === 'healthy' || (g?.state === 'degraded' && g.reasons.every((r) => r.state === 'unknown' || (r.check === 'slowdown' && /power limit/.test(r.reason)))));
  }, 60_000, 'four healthy GPUs').catch((err: Error) => { throw new Error(`${err.message}; last: ${baseline}`); });
  await waitFor(async () => (await prom.query(`aami_gpu_health_state{node="${NODE}"} == 1`)).length === 4, 30_000, 'Prometheus scrapes the health series with node kept');

  // Faults that make a GPU unhealthy, and the alert that says so with the action.
  await inject({ type: 'row-remap-failure', gpu: 0 });
  await expectGpu(0, 'unhealthy', 'inspect-hardware', /row remapping failed/, 'row-remap failure → unhealthy');
  await waitFor(async () => (await firing('GPUUnhealthy', 0))?.['action'] === 'inspect-hardware', 90_000, 'GPUUnhealthy fires for GPU 0 with action inspect-hardware');

  await inject({ type: 'row-remap-pending', gpu: 1 });
  await expectGpu(1, 'unhealthy', 'reset-gpu', /row remap is pending/, 'pending remap → unhealthy, reset');

  await sim.fleet.inject(V100_NODE, { type: 'retired-pages', gpu: 2, dbe: 1, pending: true });
  await expectGpu(2, 'degraded', 'reset-gpu', /waiting to be retired/, 'pending page retirement on a V100 → degraded', V100_NODE);

  await inject({ type: 'pcie-replay', gpu: 3, perMinute: 600 });
  await expectGpu(3, 'degraded', 'inspect-hardware', /PCIe replays\/min on a Gen5 x16 link \(limit 31\/min\)/, 'PCIe replay storm → degraded');

  // A reboot applies the pending remap and retirement and ends the replay storm; the failed remap stays.
  await inject({ type: 'reboot' });
  await expectCleared(1, 'row-remap', 'pending remap applied by the reboot');
  await expectGpu(0, 'unhealthy', 'inspect-hardware', /row remapping failed/, 'row-remap failure survives the reboot');

  // NVLink CRC burst on GPU 2.
  await inject({ type: 'nvlink', gpu: 2, errorsPerS: 400 });
  await expectGpu(2, 'unhealthy', 'inspect-hardware', /NVLink CRC errors\/s \(limit 100\/s\)/, 'NVLink CRC burst → unhealthy');
  await inject({ type: 'reboot' });

  // Xid 79 on GPU 3, back after each of two reboots: the third time it is a hardware problem.
  for (let round = 1; round <= 3; round++) {
    await inject({ type: 'xid', gpu: 3, xid: 79 });
    const action = round < 3 ? 'reboot-node' : 'inspect-hardware';
    await expectGpu(3, 'unhealthy', action, /^Xid 79 /, `Xid 79, round ${round} → ${action}`);
    if (round < 3) {
      await inject({ type: 'reboot' });
      await expectCleared(3, 'xid', `the reboot after round ${round} clears Xid 79`);
    }
  }
  assert.match(last?.reasons[0]?.reason ?? '', /the 3rd time since .* after 2 reboots \(threshold 2\)/);

  // A new analyzer on the same data volume keeps the escalation.
  await analyzer.stop();
  analyzer = await startAnalyzer();
  await expectGpu(3, 'unhealthy', 'inspect-hardware', /after 2 reboots/, 'the escalation survives an analyzer restart');
  await inject({ type: 'reboot' });
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal((await gpuHealth(3))?.action, 'inspect-hardware', 'a later reboot does not clear the escalation');
});
