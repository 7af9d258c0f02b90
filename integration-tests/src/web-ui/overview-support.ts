// What the overview's browser test and bench/overview-ui.bench.ts run the Web UI against:
//  - simulatedCluster(): GPU simulator nodes on their own loopback addresses (dcgm-exporter's format
//    on :9400), a node_exporter stand-in on :9100 of each address carrying AAMI's real Xid counter's
//    textfile (node-files/aami-xid-counter reading the node's simulated kernel log), and a real
//    Prometheus scraping both under AAMI's job names with the `node` label, as the rule compiler's
//    config does; faults go through the simulator's control API.
//  - backfilledPrometheus(): a real Prometheus whose TSDB was made with `promtool tsdb
//    create-blocks-from openmetrics` from generated series of a large fleet (1,000 or 10,000 nodes x 8
//    GPUs, the last samples at "now"), so the overview has a fleet to draw without 10,000 scrapes.
//  - fleetConfig(): the matching config.yaml nodes.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFleet, type RunningFleet } from '@aami/gpu-simulator';
import { freePort, makeTempDir, requireBinary, startPrometheus, startPrometheusOnFile, type PrometheusServer } from '../harness/index.ts';
import { XID_COUNTER_SCRIPT } from '../support/demo-fleet.ts';
import { renderNodeExporterText } from '../support/node-exporter-standin.ts';

const run = promisify(execFile);

/** A simulated cluster scraped by a real Prometheus. */
export interface SimulatedCluster {
  sim: RunningFleet;
  names: string[];
  /** Each node's loopback address (config.yaml's ip). */
  ips: string[];
  prom: PrometheusServer;
  controlUrl: string;
  /** Injects a fault through the simulator's control API (POST /nodes/:node/faults). */
  inject(node: string, fault: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

const close = (s: Server) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });

/** `nodes` simulated nodes of `gpus` H100s, scraped every second (Alertmanager at `alertmanagerUrl`, if given). */
export async function simulatedCluster(options: { nodes: number; gpus: number; alertmanagerUrl?: string }): Promise<SimulatedCluster> {
  const dir = await makeTempDir('overview-cluster');
  // A /24-aligned block of loopback addresses of its own, so parallel tests do not collide on :9400.
  const base = `127.${randomInt(20, 250)}.${randomInt(0, 256)}`;
  const first = randomInt(2, 250 - options.nodes);
  const sim = await startFleet({
    nodes: options.nodes, gpus: options.gpus, model: 'H100', addressing: 'loopback', firstAddress: `${base}.${first}`, basePort: 9400,
    controlPort: 0, controlBind: '127.0.0.1', logDir: join(dir, 'kern'), nodePrefix: 'gpu-node-',
  });
  const names = sim.nodes.map((n) => n.name);
  const ips = sim.nodes.map((n) => n.target.replace(/:\d+$/, ''));
  const servers: Server[] = [];
  const textDir = (name: string) => join(dir, 'textfile', name);
  for (const [i, name] of names.entries()) {
    await mkdir(textDir(name), { recursive: true });
    const s = createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(renderNodeExporterText({ name, bootMs: sim.fleet.node(name).bootTimeMs, cpus: 4, memBytes: 2 ** 40, diskBytes: 1.92e12, textfileDir: textDir(name) }, Date.now()));
    });
    await listen(s, 9100, ips[i]!);
    servers.push(s);
  }
  // AAMI's Xid counter, once a second per node, as its systemd timer would (less often) on a GPU node.
  let counting: Promise<unknown> | undefined;
  const countXids = () => {
    counting ??= Promise.all(sim.nodes.map((ep) => ep.logFile
      ? run('sh', [XID_COUNTER_SCRIPT, '--source', 'file', '--log-file', ep.logFile, '--state-dir', join(dir, 'xid-state', ep.name), '--textfile-dir', textDir(ep.name)]).catch(() => undefined)
      : undefined)).finally(() => { counting = undefined; });
    return counting;
  };
  await countXids();
  const timer = setInterval(() => void countXids(), 1000);
  const job = (name: string, port: number) => [
    `  - job_name: ${name}`,
    '    static_configs:',
    ...names.map((n, i) => `      - {targets: ['${ips[i]}:${port}'], labels: {node: '${n}'}}`),
  ];
  const prom = await startPrometheus({
    configYaml: [
      'global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}',
      ...(options.alertmanagerUrl ? ['alerting:', '  alertmanagers:', `    - static_configs: [{targets: ['${options.alertmanagerUrl.replace(/^https?:\/\//, '')}']}]`] : []),
      'scrape_configs:',
      ...job('dcgm_exporter', 9400),
      ...job('node_exporter', 9100),
      '',
    ].join('\n'),
  });
  const controlUrl = sim.controlUrl ?? '';
  return {
    sim, names, ips, prom, controlUrl,
    async inject(node, fault) {
      const res = await fetch(`${controlUrl}/nodes/${encodeURIComponent(node)}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
      if (res.status !== 201) throw new Error(`injecting ${JSON.stringify(fault)} on ${node}: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      clearInterval(timer);
      await counting;
      await Promise.all([prom.stop(), ...servers.map(close)]);
      await sim.stop();
    },
  };
}

/** Node `i` (0-based) of a generated fleet: gpu-node-0001 ... */
export const fleetNodeName = (i: number, count: number): string => `gpu-node-${String(i + 1).padStart(Math.max(4, String(count).length), '0')}`;

/** config.yaml's nodes for a generated fleet: loopback addresses (no traffic is ever sent to them). */
export function fleetConfig(count: number): Array<{ name: string; ip: string; exporters: string[] }> {
  return Array.from({ length: count }, (_, i) => ({
    name: fleetNodeName(i, count),
    ip: `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    exporters: ['node_exporter', 'dcgm_exporter'],
  }));
}

/** What a generated fleet looks like. */
export interface GeneratedFleet {
  nodes: number;
  gpus: number;
  /** [node index, gpu, °C]: GPUs set to this temperature (e.g. one over the critical level). */
  hot?: Array<[number, number, number]>;
  /** Node indexes whose node_exporter is down (up 0). */
  down?: number[];
  /** The GPU series written (all three unless given): the bench needs only the temperature. */
  metrics?: ReadonlyArray<'temperature' | 'utilization' | 'power'>;
  /** Samples per series, 60 s apart, the newest now (5 unless given). */
  samples?: number;
}

/** A stable temperature between 38 and 68 °C for a GPU, so the map has some texture. */
function baseTemp(node: number, gpu: number): number {
  let h = (node * 2654435761 + gpu * 40503) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995) >>> 0;
  return 38 + (h % 300) / 10;
}

/**
 * The fleet's series as OpenMetrics text: up{job="node_exporter"} per node and, per GPU,
 * DCGM_FI_DEV_GPU_TEMP / _GPU_UTIL / _POWER_USAGE with dcgm-exporter's identity labels, at each of
 * `times` (Unix seconds).
 */
export function fleetOpenMetrics(f: GeneratedFleet, times: readonly number[]): string {
  const hot = new Map((f.hot ?? []).map(([n, g, v]) => [`${n}:${g}`, v]));
  const down = new Set(f.down ?? []);
  const out: string[] = [];
  const gpuLabels = (n: number, g: number) => {
    const name = fleetNodeName(n, f.nodes);
    const uuid = `GPU-${(n + 1).toString(16).padStart(8, '0')}-0000-4000-8000-${g.toString(16).padStart(12, '0')}`;
    return `Hostname="${name}",UUID="${uuid}",gpu="${g}",modelName="NVIDIA H100 80GB HBM3",node="${name}",pci_bus_id="00000000:${(0x18 + g * 0x10).toString(16).toUpperCase()}:00.0",job="dcgm_exporter"`;
  };
  const family = (metric: string, value: (n: number, g: number, k: number) => number) => {
    out.push(`# TYPE ${metric} gauge`);
    for (let n = 0; n < f.nodes; n++) {
      for (let g = 0; g < f.gpus; g++) {
        const labels = gpuLabels(n, g);
        times.forEach((t, k) => out.push(`${metric}{${labels}} ${value(n, g, k)} ${t}`));
      }
    }
  };
  const metrics = new Set(f.metrics ?? ['temperature', 'utilization', 'power']);
  if (metrics.has('temperature')) family('DCGM_FI_DEV_GPU_TEMP', (n, g, k) => hot.get(`${n}:${g}`) ?? Math.round((baseTemp(n, g) + k * 0.3) * 10) / 10);
  if (metrics.has('utilization')) family('DCGM_FI_DEV_GPU_UTIL', (n, g) => Math.round(baseTemp(n, g) * 1.4) % 101);
  if (metrics.has('power')) family('DCGM_FI_DEV_POWER_USAGE', (n, g) => Math.round(baseTemp(n, g) * 8));
  out.push('# TYPE up gauge');
  for (let n = 0; n < f.nodes; n++) {
    const name = fleetNodeName(n, f.nodes);
    for (const t of times) out.push(`up{instance="127.1.${Math.floor(n / 250)}.${(n % 250) + 1}:9100",job="node_exporter",node="${name}"} ${down.has(n) ? 0 : 1} ${t}`);
  }
  out.push('# EOF', '');
  return out.join('\n');
}

/**
 * A real Prometheus holding `f`'s series, backfilled with promtool before it starts: samples every
 * 60 s (5 by default: the last 4 minutes), the newest now, so instant queries in the next few
 * minutes see them.
 */
export async function backfilledPrometheus(f: GeneratedFleet): Promise<PrometheusServer> {
  const promtool = requireBinary('/usr/bin/promtool', 'prometheus');
  const dir = await makeTempDir('overview-backfill');
  const now = Math.floor(Date.now() / 1000);
  const input = join(dir, 'fleet.om');
  const samples = Math.max(1, f.samples ?? 5);
  await writeFile(input, fleetOpenMetrics(f, Array.from({ length: samples }, (_, k) => now - (samples - 1 - k) * 60)));
  const data = join(dir, 'data');
  await mkdir(data, { recursive: true });
  await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', input, data], { maxBuffer: 64 * 1024 * 1024 });
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(configPath, 'global: {scrape_interval: 15s}\n');
  return startPrometheusOnFile(configPath, await freePort(), { dir, render: (t) => t });
}
