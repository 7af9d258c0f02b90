// Benchmark: GET /api/v1/overview (the Web UI's first screen) at 1,000 and 10,000 nodes x 8 GPUs,
// against a real Prometheus (Debian's package) holding those series, with a peer measured in the
// same run on the same Prometheus: the overview's own biggest query (every GPU's identity and
// temperature, `max by (node, gpu, UUID, modelName) (DCGM_FI_DEV_GPU_TEMP)`) asked straight from
// Prometheus' /api/v1/query. The ratio is what the gateway adds: its other queries (up, and for
// utilization the value query), reading config.yaml, joining, and writing the compact answer.
//
// The data: a generated OpenMetrics file (streamed to disk) with node_exporter's `up` per node and
// DCGM_FI_DEV_GPU_TEMP and DCGM_FI_DEV_GPU_UTIL per GPU, labelled as dcgm-exporter + AAMI's targets
// label them, three samples 60 s apart ending just before the file is written; promtool turns it
// into TSDB blocks and Prometheus starts on them with no scrape jobs. The gateway is the real app
// in this process (config.yaml lists the nodes); Alertmanager, the rule compiler and the install
// worker are not running (refused at once), so the answer names them as unavailable.
//
// Prints, per fleet size, medians over the rounds (after one warm-up): the peer's wall ms and
// answer size; the overview's wall ms (temperature and utilization), its ratio to the peer, its
// size as JSON and gzipped (what a browser that accepts gzip receives), and bytes per GPU. The
// process exits 1 when the 10,000-node answer is over SIZE_LIMIT_MB as JSON: the first screen must
// stay a few MB. Times are printed, never asserted.
//   node bench/overview.bench.ts [--rounds 5] [--sizes 1000,10000]   (BENCH_KEEP=1 keeps the temp dirs)
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { ConfigStore, OverviewResponse, createLogger, loadSettings } from '@aami/shared';
import { freePort } from '../integration-tests/src/harness/daemon.ts';
import { startPrometheusOnFile, type PrometheusServer } from '../integration-tests/src/harness/prometheus.ts';
import { createApp } from '../services/api-gateway/src/app.ts';
import { TokenStore } from '../services/api-gateway/src/auth/token-store.ts';

const run = promisify(execFile);
const GPUS = 8;
const SAMPLES = 3;
const STEP_S = 60;
const SIZE_LIMIT_MB = 8;
const MODEL = 'NVIDIA H100 80GB HBM3';
const PEER_QUERY = 'max by (node, gpu, UUID, modelName) (DCGM_FI_DEV_GPU_TEMP)';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, sizes: { type: 'string', default: '1000,10000' } } });
const ROUNDS = Number(values.rounds);
const SIZES = values.sizes.split(',').map(Number);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || !SIZES.every((n) => Number.isInteger(n) && n > 0)) throw new Error('--rounds takes a positive integer, --sizes a comma list of them');

const nodeName = (n: number) => `gpu-node-${String(n).padStart(5, '0')}`;
const pciOf = (g: number) => `00000000:${(0x18 + g * 0x10).toString(16).toUpperCase().padStart(2, '0')}:00.0`;
const hex = (x: number, len: number) => (x >>> 0).toString(16).padStart(8, '0').slice(0, len);
const uuidOf = (i: number) => `GPU-${hex(Math.imul(i + 1, 2654435761), 8)}-${hex(i, 4)}-4${hex(i * 7, 3)}-8${hex(i * 13, 3)}-${hex(Math.imul(i, 40503), 8)}${hex(i, 4)}`;

/** Streams the OpenMetrics file for `nodes` nodes; returns its size in bytes. */
async function writeOpenMetrics(path: string, nodes: number, endS: number): Promise<number> {
  const out = createWriteStream(path);
  let buf = '';
  let bytes = 0;
  const flush = async (force = false) => {
    if (!force && buf.length < 1 << 20) return;
    bytes += Buffer.byteLength(buf);
    if (!out.write(buf)) await once(out, 'drain');
    buf = '';
  };
  const ts = Array.from({ length: SAMPLES }, (_, k) => endS - (SAMPLES - 1 - k) * STEP_S);
  const fields: Array<[string, (i: number, k: number) => number]> = [
    ['DCGM_FI_DEV_GPU_TEMP', (i) => 35 + (i % 53)], // 35..87 °C: some GPUs above the warning and critical thresholds
    ['DCGM_FI_DEV_GPU_UTIL', (i, k) => (i * 7 + k) % 101],
  ];
  for (const [name, value] of fields) {
    buf += `# TYPE ${name} gauge\n`;
    for (let n = 0; n < nodes; n++) {
      const node = nodeName(n);
      for (let g = 0; g < GPUS; g++) {
        const i = n * GPUS + g;
        const labels = `node="${node}",gpu="${g}",UUID="${uuidOf(i)}",pci_bus_id="${pciOf(g)}",device="nvidia${g}",modelName="${MODEL}",Hostname="${node}",` +
          `DCGM_FI_DRIVER_VERSION="580.159.04",job="dcgm_exporter",instance="${node}:9400",cluster="bench"`;
        for (let k = 0; k < SAMPLES; k++) buf += `${name}{${labels}} ${value(i, k)} ${ts[k]}\n`;
      }
      await flush();
    }
  }
  buf += '# TYPE up gauge\n';
  for (let n = 0; n < nodes; n++) {
    const labels = `node="${nodeName(n)}",job="node_exporter",instance="${nodeName(n)}:9100",cluster="bench"`;
    for (const t of ts) buf += `up{${labels}} ${n % 100 === 3 ? 0 : 1} ${t}\n`;
  }
  buf += '# EOF\n';
  await flush(true);
  out.end();
  await once(out, 'finish');
  return bytes;
}

/** GET `url`: wall ms to the last byte, the bytes as sent (gzipped when asked and given) and the decoded text. */
function get(url: string, headers: Record<string, string>): Promise<{ ms: number; wire: number; text: string; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t0;
        const body = Buffer.concat(chunks);
        const text = res.headers['content-encoding'] === 'gzip' ? '' : body.toString('utf8');
        resolve({ ms, wire: body.length, text, status: res.statusCode ?? 0 });
      });
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;

interface Result { nodes: number; bytes: number; gzip: number; peerMs: number; peerBytes: number; tempMs: number; utilMs: number; gzipMs: number; badGpus: number; setupS: number }

async function measure(nodes: number): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'aami-bench-overview-'));
  let prom: PrometheusServer | undefined;
  let gateway: Server | undefined;
  const t0 = Date.now();
  try {
    const omPath = join(dir, 'fleet.om.txt');
    const endS = Math.floor(Date.now() / 1000) - 5;
    await writeOpenMetrics(omPath, nodes, endS);
    await run('/usr/bin/promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', omPath, join(dir, 'data')], { maxBuffer: 16 << 20 });
    await rm(omPath);
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(configPath, 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
    prom = await startPrometheusOnFile(configPath, await freePort(), { dir, render: (t) => t });

    const store = new ConfigStore(join(dir, 'config.yaml'));
    await store.create({ cluster: { name: 'bench' }, nodes: Array.from({ length: nodes }, (_, n) => ({ name: nodeName(n), ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` })), alerts: { presets: ['gpu-basic'] } });
    const tokens = new TokenStore(join(dir, 'tokens.json'));
    await tokens.load();
    const viewer = (await tokens.create('bench', 'viewer')).token;
    const closed = 'http://127.0.0.1:9';
    const settings = loadSettings({ AAMI_DATA_DIR: dir, AAMI_PROMETHEUS_URL: prom.url, AAMI_ALERTMANAGER_URL: closed, AAMI_RULE_COMPILER_URL: closed, AAMI_INSTALL_WORKER_URL: closed });
    const app = createApp({ store, tokens, compile: { request: async () => ({ queued: true }), close: async () => {} }, settings, log: createLogger('bench', 'error'), version: 'bench', serviceToken: 'bench-service-token' });
    gateway = app.listen(0, '127.0.0.1');
    await once(gateway, 'listening');
    const base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    const setupS = (Date.now() - t0) / 1000;

    const auth = { authorization: `Bearer ${viewer}` };
    const plain = { ...auth, 'accept-encoding': 'identity' };
    const peer = () => get(`${prom!.url}/api/v1/query?query=${encodeURIComponent(PEER_QUERY)}`, { 'accept-encoding': 'identity' });
    const overview = (metric: string, headers: Record<string, string>) => get(`${base}/api/v1/overview?metric=${metric}`, headers);

    // Warm-up, and what the answer holds.
    const p0 = await peer();
    const first = await overview('temperature', plain);
    if (first.status !== 200) throw new Error(`the overview answered HTTP ${first.status}: ${first.text.slice(0, 300)}`);
    const answer = OverviewResponse.parse(JSON.parse(first.text));
    const gpus = answer.nodes.reduce((s, n) => s + n.gpus.length, 0);
    if (gpus !== nodes * GPUS) throw new Error(`the overview has ${gpus} GPUs, the data ${nodes * GPUS}`);
    if (!(JSON.parse(p0.text) as { data: { result: unknown[] } }).data.result.length) throw new Error('the peer query found nothing');
    await overview('utilization', plain);

    const peerMs: number[] = [];
    const tempMs: number[] = [];
    const utilMs: number[] = [];
    const gzipMs: number[] = [];
    let gzipBytes = 0;
    for (let r = 0; r < ROUNDS; r++) {
      peerMs.push((await peer()).ms);
      tempMs.push((await overview('temperature', plain)).ms);
      utilMs.push((await overview('utilization', plain)).ms);
      const z = await overview('temperature', { ...auth, 'accept-encoding': 'gzip' });
      gzipMs.push(z.ms);
      gzipBytes = z.wire;
    }
    return {
      nodes, bytes: first.wire, gzip: gzipBytes, peerMs: median(peerMs), peerBytes: p0.wire, tempMs: median(tempMs), utilMs: median(utilMs), gzipMs: median(gzipMs),
      badGpus: answer.summary.gpus.bad ?? -1, setupS,
    };
  } finally {
    if (gateway) await new Promise<void>((r) => { gateway!.close(() => r()); gateway!.closeAllConnections(); });
    await prom?.stop();
    if (process.env.BENCH_KEEP !== '1') await rm(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

const results: Result[] = [];
for (const n of SIZES) results.push(await measure(n));
console.log(`overview bench: GET /api/v1/overview against a real Prometheus, ${GPUS} GPUs per node, ${ROUNDS} rounds (+1 warm-up), medians`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
for (const r of results) {
  const g = r.nodes * GPUS;
  console.log(`  ${r.nodes} nodes (${g} GPUs; data, blocks and start-up ${r.setupS.toFixed(0)} s):`);
  console.log(`    peer: Prometheus answering ${PEER_QUERY}  ${r.peerMs.toFixed(0).padStart(6)} ms, ${mb(r.peerBytes)}`);
  console.log(`    overview?metric=temperature                ${r.tempMs.toFixed(0).padStart(6)} ms = ${(r.tempMs / r.peerMs).toFixed(2)}x the peer; ${mb(r.bytes)} JSON (${(r.bytes / g).toFixed(1)} B/GPU), ${r.badGpus} GPUs above the critical threshold`);
  console.log(`    overview?metric=utilization                ${r.utilMs.toFixed(0).padStart(6)} ms = ${(r.utilMs / r.peerMs).toFixed(2)}x the peer (one more query)`);
  console.log(`    overview?metric=temperature, gzip          ${r.gzipMs.toFixed(0).padStart(6)} ms = ${(r.gzipMs / r.peerMs).toFixed(2)}x the peer; ${mb(r.gzip)} on the wire (${(r.gzip / g).toFixed(1)} B/GPU)`);
}
const big = results.find((r) => r.nodes === 10_000);
if (big && big.bytes > SIZE_LIMIT_MB * 2 ** 20) {
  console.log(`  the 10,000-node answer is ${mb(big.bytes)}, over the ${SIZE_LIMIT_MB} MiB limit: EXCEEDED`);
  process.exitCode = 1;
}
