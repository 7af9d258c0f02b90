// Benchmark: one cycle of the analyzer's GPU health evaluation for 10,000 GPUs (1,250 nodes x 8),
// against a real Prometheus (Debian's package) that holds those GPUs' series, with a peer measured
// in the same run on the same Prometheus: one instant query `count(DCGM_FI_DEV_GPU_TEMP)`, the
// cheapest question about the whole fleet (averaged over PEER_REPS back-to-back queries per round,
// since the kernel counts Prometheus' CPU in 10-ms ticks).
//
// The data: a generated OpenMetrics file (streamed to disk) with every series the health source
// queries, labelled as dcgm-exporter + AAMI's targets label them (node, gpu, UUID, pci_bus_id,
// modelName, job, instance, cluster), one sample every 60 s over the last 6 minutes; 1% of the GPUs
// carry a finding (hot HBM, pending row remap or page retirement, ECC DBE, PCIe replay storm, NVLink
// CRC storm or replays, thermal slowdown) and 2% a harmless non-zero counter rate. It becomes a
// TSDB with `promtool tsdb create-blocks-from openmetrics`, and Prometheus is started on it with no
// scrape jobs. The queries go through the analyzer's own prometheusQuery (no `time` parameter, so
// they evaluate at "now": the data ends a few seconds before the file is written, which leaves
// about 4 minutes before rate(x[5m]) and the Xid counter's `> time() - 300` run dry).
//
// Prints medians over the rounds (after one warm-up cycle, so the memory is in its steady state):
//   1. peer: wall ms and Prometheus CPU ms (utime+stime of its pid from /proc) per query
//   2. the cycle's Prometheus part, observeFleet(prometheusQuery(url), '5m'): wall ms, Prometheus
//      CPU ms, the ratio to the peer, the number of queries, and this process' CPU for the answers
//   3. the cycle's analyzer part, trackFleet + evaluateGpu per GPU + evaluateNode per node: CPU ms
//      (process.cpuUsage), µs per GPU and the share of one core at the default 30-s interval
// and sanity checks (printed, not asserted): GPUs observed, non-healthy GPUs against the injected 1%.
// Times are printed, never asserted.
//   node bench/gpu-health.bench.ts [--nodes 1250] [--gpus 8] [--rounds 5]   (BENCH_KEEP=1 keeps the temp dir)
import { execFile, execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { HealthState, type GpuHealth } from '@aami/shared';
import { loadXidCatalog } from '@aami/shared/xid/index';
import { freePort } from '../integration-tests/src/harness/daemon.ts';
import { startPrometheusOnFile, type PrometheusServer } from '../integration-tests/src/harness/prometheus.ts';
import { evaluateGpu, evaluateNode } from '../services/analyzer/src/health/evaluate.ts';
import { fieldQueries } from '../services/analyzer/src/health/fields.ts';
import { emptyMemory } from '../services/analyzer/src/health/memory.ts';
import { loadAnalyzerSettings } from '../services/analyzer/src/settings.ts';
import { observeFleet, prometheusQuery, type FleetObservation } from '../services/analyzer/src/health/source.ts';
import { trackFleet, type TrackerSettings, type XidLookup } from '../services/analyzer/src/health/tracker.ts';

const run = promisify(execFile);
const STEP_S = 60;
const SAMPLES = 7; // 6 minutes of 60-s samples: rate(x[5m]) sees 5 of them
const PEER_REPS = 10;
const PEER_QUERY = 'count(DCGM_FI_DEV_GPU_TEMP)';
const CLUSTER = 'bench';
const MODEL = 'NVIDIA H100 80GB HBM3';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '1250' }, gpus: { type: 'string', default: '8' }, rounds: { type: 'string', default: '5' } },
});
const NODES = Number(values.nodes);
const GPUS = Number(values.gpus);
const ROUNDS = Number(values.rounds);
if (![NODES, GPUS, ROUNDS].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--nodes, --gpus and --rounds take positive integers');

// ---------------------------------------------------------------------------------------------
// The fleet and its faults

const FAULTS = ['memHot', 'memCritical', 'remapPending', 'retiredPending', 'eccDbe', 'pcieReplay', 'nvlinkCrc', 'nvlinkReplay', 'thermal'] as const;
type Fault = (typeof FAULTS)[number];

interface Gpu {
  /** Index in the fleet, 0 .. NODES*GPUS-1. */
  i: number;
  labels: string;
  fault: Fault | undefined;
  /** A healthy GPU whose replay, CRC and power-slowdown counters move (below every limit). */
  busy: boolean;
  /** An Xid AAMI's counter has counted on it (before the bench, so no new occurrence). */
  xid: number | undefined;
}

const nodeName = (n: number) => `gpu-node-${String(n).padStart(5, '0')}`;
const pciOf = (g: number) => `00000000:${(0x18 + g * 0x10).toString(16).toUpperCase().padStart(2, '0')}:00.0`;
const hex = (x: number, len: number) => (x >>> 0).toString(16).padStart(8, '0').slice(0, len);
const uuidOf = (i: number) => `GPU-${hex(Math.imul(i + 1, 2654435761), 8)}-${hex(i, 4)}-4${hex(i * 7, 3)}-8${hex(i * 13, 3)}-${hex(Math.imul(i, 40503), 8)}${hex(i, 4)}`;

function fleet(): Gpu[] {
  const list: Gpu[] = [];
  for (let n = 0; n < NODES; n++) {
    const node = nodeName(n);
    for (let g = 0; g < GPUS; g++) {
      const i = n * GPUS + g;
      const labels = `node="${node}",gpu="${g}",UUID="${uuidOf(i)}",pci_bus_id="${pciOf(g)}",modelName="${MODEL}",` +
        `job="dcgm_exporter",instance="${node}:9400",cluster="${CLUSTER}"`;
      const faulty = i % 100 === 42;
      list.push({ i, labels, fault: faulty ? FAULTS[Math.floor(i / 100) % FAULTS.length] : undefined, busy: !faulty && i % 50 === 7, xid: i % 500 === 17 ? 13 : undefined });
    }
  }
  return list;
}

/** A dcgm-exporter series: its OpenMetrics type and its value at sample k (0 = oldest). */
interface Metric { name: string; type: 'gauge' | 'unknown'; value: (g: Gpu, k: number) => number }

// DCGM's counters do not end in _total, which OpenMetrics requires of a `counter`: they are typed
// `unknown` here (the type is not stored in the TSDB; rate() and increase() do not look at it).
const counter = (name: string, base: number, perStep: (g: Gpu) => number): Metric => ({ name, type: 'unknown', value: (g, k) => base + perStep(g) * k });
const gauge = (name: string, value: (g: Gpu) => number): Metric => ({ name, type: 'gauge', value: (g) => value(g) });
const when = (f: Fault, yes: number, no = 0) => (g: Gpu) => (g.fault === f ? yes : no);

const METRICS: Metric[] = [
  gauge('DCGM_FI_DEV_GPU_TEMP', (g) => 38 + (g.i % 17)),
  gauge('DCGM_FI_DEV_MEMORY_TEMP', (g) => (g.fault === 'memHot' ? 94 : g.fault === 'memCritical' ? 103 : 44 + (g.i % 13))),
  gauge('DCGM_FI_DEV_ROW_REMAP_FAILURE', () => 0),
  gauge('DCGM_FI_DEV_ROW_REMAP_PENDING', when('remapPending', 1)),
  gauge('DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', (g) => g.i % 3),
  gauge('DCGM_FI_DEV_RETIRED_PENDING', when('retiredPending', 1)),
  gauge('DCGM_FI_DEV_RETIRED_SBE', (g) => g.i % 2),
  gauge('DCGM_FI_DEV_RETIRED_DBE', () => 0),
  { name: 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', type: 'unknown', value: when('eccDbe', 2) }, // a counter that stands still: DBEs since the driver loaded
  counter('DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 12, (g) => (g.fault === 'pcieReplay' ? 90 : g.busy ? 2 : 0)), // per minute; Gen5 x16 allows 31
  gauge('DCGM_FI_DEV_PCIE_LINK_GEN', () => 5),
  gauge('DCGM_FI_DEV_PCIE_LINK_WIDTH', () => 16),
  counter('DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL', 3, (g) => (g.fault === 'nvlinkCrc' ? 250 * STEP_S : g.busy ? STEP_S : 0)), // 250/s; limit 100/s
  counter('DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL', 0, () => 0),
  counter('DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL', 0, when('nvlinkReplay', 1)),
  counter('DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL', 0, () => 0),
  counter('DCGM_FI_DEV_THERMAL_VIOLATION', 5e9, when('thermal', 0.05e9 * STEP_S)), // ns: 5% of the time; limit 1%
  counter('DCGM_FI_DEV_POWER_VIOLATION', 8e11, (g) => (g.busy ? 0.1e9 * STEP_S : 0)), // 10%; limit 50%
];

/** Every field the health source asks for must be in the data, or the bench measures less than a real cycle. */
function checkCoverage(): void {
  const have = new Set(METRICS.map((m) => m.name));
  for (const [key, expr] of fieldQueries('5m')) {
    const name = /DCGM_FI_DEV_[A-Z0-9_]+/.exec(expr)?.[0];
    if (!name || !have.has(name)) throw new Error(`the bench generates no series for field ${key} (${expr}): add it to METRICS`);
  }
}

// ---------------------------------------------------------------------------------------------
// OpenMetrics file -> TSDB

/** Streams the OpenMetrics file; returns its size in bytes. */
async function writeOpenMetrics(path: string, gpus: Gpu[], endS: number): Promise<number> {
  const out = createWriteStream(path);
  let buf = '';
  const flush = async (force = false) => {
    if (!force && buf.length < 1 << 20) return;
    if (!out.write(buf)) await once(out, 'drain');
    buf = '';
  };
  const ts = Array.from({ length: SAMPLES }, (_, k) => endS - (SAMPLES - 1 - k) * STEP_S);
  for (const m of METRICS) {
    buf += `# TYPE ${m.name} ${m.type}\n`;
    for (const g of gpus) {
      for (let k = 0; k < SAMPLES; k++) buf += `${m.name}{${g.labels}} ${m.value(g, k)} ${ts[k]}\n`;
      await flush();
    }
  }
  const perNode = (name: string, job: string, port: number, value: (n: number, t: number) => number) => {
    for (let n = 0; n < NODES; n++) {
      const labels = `node="${nodeName(n)}",job="${job}",instance="${nodeName(n)}:${port}",cluster="${CLUSTER}"`;
      for (const t of ts) buf += `${name}{${labels}} ${value(n, t)} ${t}\n`;
    }
  };
  buf += '# TYPE up gauge\n';
  perNode('up', 'dcgm_exporter', 9400, () => 1);
  await flush();
  buf += '# TYPE node_boot_time_seconds gauge\n';
  perNode('node_boot_time_seconds', 'node_exporter', 9100, (n) => endS - 86_400 - n * 37);
  await flush();
  // AAMI's Xid counter reaches Prometheus through node_exporter's textfile collector.
  buf += '# TYPE aami_xid_counter_last_run_timestamp_seconds gauge\n';
  perNode('aami_xid_counter_last_run_timestamp_seconds', 'node_exporter', 9100, (_n, t) => t - 3);
  await flush();
  buf += '# TYPE aami_xid_errors counter\n';
  for (const g of gpus) {
    if (g.xid === undefined) continue;
    const node = nodeName(Math.floor(g.i / GPUS));
    const labels = `node="${node}",pci_bus_id="${pciOf(g.i % GPUS)}",xid="${g.xid}",job="node_exporter",instance="${node}:9100",cluster="${CLUSTER}"`;
    for (const t of ts) buf += `aami_xid_errors_total{${labels}} 1 ${t}\n`;
  }
  buf += '# EOF\n';
  await flush(true);
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

// ---------------------------------------------------------------------------------------------
// Measuring

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process (all its threads), in ms. */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

interface Round {
  peerWall: number; peerCpu: number;
  obsWall: number; obsPromCpu: number; obsSelfCpu: number;
  anaCpu: number; anaWall: number;
}

async function main(): Promise<void> {
  checkCoverage();
  const settings = loadAnalyzerSettings({});
  const tracker: TrackerSettings = { rebootThreshold: settings.AAMI_HEALTH_REBOOT_THRESHOLD, lookbackMs: settings.AAMI_HEALTH_LOOKBACK_HOURS * 3_600_000 };
  const catalog = loadXidCatalog();
  const lookup: XidLookup = (xid) => {
    const e = catalog.getXid(xid);
    return e ? { title: e.title, bucket: e.nvidia_immediate_action } : { title: 'not in the catalog', bucket: '' };
  };

  const dir = await mkdtemp(join(tmpdir(), 'aami-bench-health-'));
  let prom: PrometheusServer | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    // promtool, or a Prometheus still starting (no handle yet), are ended by their pids.
    const others = ownChildren().filter((pid) => pid !== prom?.daemon.pid);
    for (const pid of others) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    void Promise.all([prom?.daemon.kill(), reaped(others)]).finally(() => {
      if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const t0 = Date.now();
  try {
    const gpus = fleet();
    const injected = gpus.filter((g) => g.fault).length;
    const omPath = join(dir, 'fleet.om.txt');
    const endS = Math.floor(Date.now() / 1000) - 5;
    const bytes = await writeOpenMetrics(omPath, gpus, endS);
    const tWritten = Date.now();
    const tsdb = join(dir, 'data');
    await run('/usr/bin/promtool', ['tsdb', 'create-blocks-from', 'openmetrics', omPath, tsdb], { maxBuffer: 16 << 20 });
    await rm(omPath);
    const tBlocks = Date.now();
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(configPath, 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
    prom = await startPrometheusOnFile(configPath, await freePort(), { dir, render: (t) => t });
    const pid = prom.daemon.pid;
    const tReady = Date.now();
    const query = prometheusQuery(prom.url, 30_000);
    const memory = emptyMemory();

    const cycle = async (): Promise<{ r: Omit<Round, 'peerWall' | 'peerCpu'>; obs: FleetObservation; health: GpuHealth[]; nodes: number }> => {
      const p0 = procCpuMs(pid);
      const s0 = process.cpuUsage();
      const w0 = performance.now();
      const obs = await observeFleet(query, settings.AAMI_HEALTH_RATE_WINDOW);
      const obsWall = performance.now() - w0;
      const obsSelfCpu = cpuMs(process.cpuUsage(s0));
      const obsPromCpu = procCpuMs(pid) - p0;

      const a0 = process.cpuUsage();
      const aw0 = performance.now();
      const tracked = trackFleet(memory, obs, lookup, tracker, Date.now());
      const health = tracked.snapshots.map((s) => evaluateGpu(s));
      const byNode = new Map<string, GpuHealth[]>(tracked.nodes.map((n) => [n, []]));
      for (const g of health) byNode.get(g.node)?.push(g);
      const nodes = [...byNode].map(([n, gs]) => evaluateNode(n, gs, tracked.nodeReasons.get(n)));
      const anaWall = performance.now() - aw0;
      const anaCpu = cpuMs(process.cpuUsage(a0));
      return { r: { obsWall, obsPromCpu, obsSelfCpu, anaCpu, anaWall }, obs, health, nodes: nodes.length };
    };
    const peer = async (): Promise<{ wall: number; cpu: number; count: string }> => {
      const p0 = procCpuMs(pid);
      const w0 = performance.now();
      let count = '';
      for (let i = 0; i < PEER_REPS; i++) count = (await query(PEER_QUERY))[0]?.value[1] ?? '(empty)';
      return { wall: (performance.now() - w0) / PEER_REPS, cpu: (procCpuMs(pid) - p0) / PEER_REPS, count };
    };

    await peer(); // warm-up: page cache, postings, JIT
    const first = await cycle(); // warm-up: the memory learns the fleet (Xid counters become baselines)
    const rounds: Round[] = [];
    let last = first;
    let peerCount = '';
    for (let r = 0; r < ROUNDS; r++) {
      const p = await peer();
      peerCount = p.count;
      last = await cycle();
      rounds.push({ peerWall: p.wall, peerCpu: p.cpu, ...last.r });
    }
    const firstQueryAgeS = Math.round(tReady / 1000 - endS);
    const lastQueryAgeS = Math.round(Date.now() / 1000 - endS);
    const m = (k: keyof Round) => median(rounds.map((x) => x[k]));
    const total = NODES * GPUS;
    const intervalMs = settings.AAMI_HEALTH_INTERVAL_S * 1000;
    const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}x` : 'n/a (peer below one clock tick)');

    console.log(`GPU health cycle: ${NODES} nodes x ${GPUS} GPUs = ${total} GPUs, real Prometheus (${promVersion()}), ${ROUNDS} rounds (+1 warm-up), medians`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}, CLK_TCK ${CLK_TCK}`);
    console.log(`  data: ${(bytes / 2 ** 20).toFixed(0)} MiB OpenMetrics (${METRICS.length + 4} metrics, ${SAMPLES} samples each ${STEP_S} s apart) written in ${((tWritten - t0) / 1000).toFixed(1)} s,` +
      ` promtool blocks ${((tBlocks - tWritten) / 1000).toFixed(1)} s (${(dirSize(tsdb) / 2 ** 20).toFixed(0)} MiB), Prometheus ready in ${((tReady - tBlocks) / 1000).toFixed(1)} s;` +
      ` queries ran ${firstQueryAgeS}-${lastQueryAgeS} s after the last sample`);
    const peerWall = m('peerWall');
    const peerCpu = m('peerCpu');
    console.log(`  1. peer ${PEER_QUERY}: ${peerWall.toFixed(1)} ms wall, ${peerCpu.toFixed(1)} ms Prometheus CPU per query (mean of ${PEER_REPS})`);
    console.log(`  2. observeFleet (Prometheus part): ${last.obs.queries} queries, ${m('obsWall').toFixed(0)} ms wall (${ratio(m('obsWall'), peerWall)} the peer),` +
      ` ${m('obsPromCpu').toFixed(0)} ms Prometheus CPU (${ratio(m('obsPromCpu'), peerCpu)} the peer); analyzer CPU reading the answers ${m('obsSelfCpu').toFixed(0)} ms`);
    const anaCpu = m('anaCpu');
    console.log(`  3. trackFleet + evaluateGpu x ${last.health.length} + evaluateNode x ${last.nodes} (analyzer part): ${anaCpu.toFixed(0)} ms CPU (${m('anaWall').toFixed(0)} ms wall),` +
      ` ${((anaCpu * 1000) / total).toFixed(1)} µs/GPU, ${((anaCpu / intervalMs) * 100).toFixed(2)}% of one core at ${settings.AAMI_HEALTH_INTERVAL_S}-s cycles` +
      ` (first cycle, empty memory: ${first.r.anaCpu.toFixed(0)} ms)`);
    const cycleCpu = m('obsPromCpu') + m('obsSelfCpu') + anaCpu;
    console.log(`  whole cycle: ${cycleCpu.toFixed(0)} ms CPU (Prometheus + analyzer) = ${((cycleCpu / intervalMs) * 100).toFixed(2)}% of one core at ${settings.AAMI_HEALTH_INTERVAL_S}-s cycles`);

    // Sanity (printed, not asserted).
    const counts = Object.fromEntries(HealthState.options.map((s) => [s, 0])) as Record<HealthState, number>;
    for (const g of last.health) counts[g.state] += 1;
    const notHealthy = last.health.length - counts.healthy;
    const missingFields = last.obs.gpus.filter((g) => Object.keys(g.fields).length < fieldQueries('5m').length).length;
    const ok = (b: boolean) => (b ? 'ok' : 'MISMATCH');
    console.log(`  sanity: peer count ${peerCount} (${ok(peerCount === String(total))}); GPUs observed ${last.obs.gpus.length}/${total} (${ok(last.obs.gpus.length === total)}),` +
      ` ${missingFields} missing a field; exporters ${last.obs.exporters.size}/${NODES}, boot times ${last.obs.bootTimes.size}/${NODES},` +
      ` Xid counter reporting on ${last.obs.xidCounterNodes.size}/${NODES}, Xid series ${last.obs.xidCounters.length}, field errors ${last.obs.fieldErrors.length}`);
    console.log(`  sanity: non-healthy GPUs ${notHealthy} (${((notHealthy / total) * 100).toFixed(2)}%), injected ${injected} (${((injected / total) * 100).toFixed(2)}%) (${ok(notHealthy === injected)});` +
      ` ${HealthState.options.map((s) => `${s} ${counts[s]}`).join(', ')}`);
    if (last.obs.xidCounterNodes.size < NODES || lastQueryAgeS > 240) console.log('  note: the data went stale during the run (it ends before the bench starts); the last rounds saw less than a live fleet');
    console.log(`  total wall ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await prom?.stop();
    if (process.env.BENCH_KEEP !== '1') await rm(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

/** Pids of this process' direct children (from /proc). */
function ownChildren(): number[] {
  try {
    return readdirSync('/proc/self/task').flatMap((t) => readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** Resolves once these pids are gone (the event loop reaps them), or after 2 s. */
async function reaped(pids: number[]): Promise<void> {
  const deadline = Date.now() + 2000;
  while (pids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

function promVersion(): string {
  try {
    return /version (\S+)/.exec(execFileSync('/usr/bin/prometheus', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

function dirSize(path: string): number {
  try {
    return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return NaN;
  }
}

await main();
