// Benchmark: CPU cost of the GPU simulator serving 1,000 nodes x 8 GPUs, against a peer measured in the
// same run: plain node:http serving a static body of the same size from the same kind of process.
// Each server runs in its own child process; a separate scraper child fetches every node's /metrics
// once per round (keep-alive, 32 in flight), as Prometheus would once per scrape interval. The
// simulator's clock is moved 15 s per round, so its per-scrape work (integrating 15 s of counters) is
// what a 15-s scrape interval costs, even though rounds run back to back. CPU time is read with
// process.cpuUsage() inside each server process. Prints CPU seconds per round, the share of one core
// that is at a 15-s interval, and the ratio to the static peer.
//   node bench/gpu-simulator.bench.ts [--nodes 1000] [--rounds 12]   (BENCH_PROF=DIR: CPU profile of the simulator)
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, get, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFleet } from '../services/gpu-simulator/src/index.ts';

const SCRAPE_INTERVAL_S = 15;
const CONCURRENCY = 32;
const SELF = new URL(import.meta.url).pathname;

type Msg =
  | { kind: 'ready'; urls: string[]; sample: string }
  | { kind: 'cpu'; usage: NodeJS.CpuUsage }
  | { kind: 'round-done'; ms: number; bytes: number; errors: number }
  | { kind: 'round'; index: number }
  | { kind: 'get-cpu' }
  | { kind: 'scrape'; urls: string[] }
  | { kind: 'serve'; body: string };

function send(msg: Msg): void {
  process.send?.(msg);
}

function nextMessage(child: ChildProcess, kind: Msg['kind']): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: Msg) => {
      if (m.kind !== kind) return;
      child.off('message', onMsg);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) while waiting for ${kind}`));
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

/** Child: the simulator, with a clock that jumps 15 s per round. */
async function runSim(nodes: number): Promise<void> {
  const start = Date.now();
  let offset = 0;
  const sim = await startFleet(
    { nodes, gpus: 8, model: 'H100', basePort: 0, controlPort: null, cacheTtlMs: 0, logDir: join(tmpdir(), `aami-sim-bench-${process.pid}`) },
    { clock: () => Date.now() + offset },
  );
  process.on('message', (m: Msg) => {
    if (m.kind === 'round') offset = start + m.index * SCRAPE_INTERVAL_S * 1000 - Date.now();
    if (m.kind === 'get-cpu') send({ kind: 'cpu', usage: process.cpuUsage() });
  });
  const sample = await (await fetch(sim.nodes[0]?.url ?? '')).text();
  send({ kind: 'ready', urls: sim.nodes.map((n) => n.url), sample });
}

/** Child: the peer, node:http answering every request with one fixed buffer. */
async function runStatic(nodes: number, body: string): Promise<void> {
  const buf = Buffer.from(body);
  const urls: string[] = [];
  for (let i = 0; i < nodes; i++) {
    const server = createServer({ keepAliveTimeout: 10_000 }, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': buf.length });
      res.end(buf);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
  }
  process.on('message', (m: Msg) => {
    if (m.kind === 'get-cpu') send({ kind: 'cpu', usage: process.cpuUsage() });
  });
  send({ kind: 'ready', urls, sample: body });
}

/** Child: fetches every URL once per `scrape` message. */
function runScraper(): void {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const fetchOne = (url: string) =>
    new Promise<number>((resolve, reject) => {
      get(url, { agent }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`${url}: ${res.statusCode}`))));
      }).on('error', reject);
    });
  process.on('message', async (m: Msg) => {
    if (m.kind !== 'scrape') return;
    const t0 = performance.now();
    let bytes = 0;
    let errors = 0;
    let next = 0;
    const worker = async () => {
      while (next < m.urls.length) {
        const url = m.urls[next++] ?? '';
        try {
          const n = await fetchOne(url);
          bytes += n;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    send({ kind: 'round-done', ms: performance.now() - t0, bytes, errors });
  });
}

interface PhaseResult {
  name: string;
  cpuSecPerRound: number;
  roundMs: number;
  bytesPerScrape: number;
  errors: number;
}

async function phase(name: string, server: ChildProcess, scraper: ChildProcess, rounds: number, isSim: boolean): Promise<PhaseResult & { sample: string }> {
  const ready = (await nextMessage(server, 'ready')) as Extract<Msg, { kind: 'ready' }>;
  const cpu = async () => {
    const reply = nextMessage(server, 'cpu');
    server.send({ kind: 'get-cpu' });
    return ((await reply) as Extract<Msg, { kind: 'cpu' }>).usage;
  };
  const round = async (index: number) => {
    if (isSim) server.send({ kind: 'round', index });
    scraper.send({ kind: 'scrape', urls: ready.urls });
    return (await nextMessage(scraper, 'round-done')) as Extract<Msg, { kind: 'round-done' }>;
  };
  await round(1); // warm-up: connections, JIT
  const before = await cpu();
  let ms = 0;
  let bytes = 0;
  let errors = 0;
  for (let r = 0; r < rounds; r++) {
    const res = await round(r + 2);
    ms += res.ms;
    bytes += res.bytes;
    errors += res.errors;
  }
  const after = await cpu();
  const cpuSec = (after.user - before.user + after.system - before.system) / 1e6;
  server.kill('SIGTERM');
  return { name, cpuSecPerRound: cpuSec / rounds, roundMs: ms / rounds, bytesPerScrape: bytes / (rounds * ready.urls.length), errors, sample: ready.sample };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '12' } } });
  const nodes = Number(values.nodes);
  const rounds = Number(values.rounds);
  const child = (role: string, extra: string[] = []) =>
    fork(SELF, [`--role=${role}`, `--nodes=${nodes}`, ...extra], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: role === 'sim' && process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [],
    });
  const t0 = Date.now();
  const scraper = child('scraper');
  try {
    const sim = await phase('simulator', child('sim'), scraper, rounds, true);
    const body = sim.sample;
    const staticServer = child('static');
    staticServer.send({ kind: 'serve', body });
    const peer = await phase('static node:http', staticServer, scraper, rounds, false);
    console.log(`GPU simulator: ${nodes} nodes x 8 H100, ${rounds} rounds of ${nodes} scrapes each (+1 warm-up), ${CONCURRENCY} in flight`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
    for (const r of [sim, peer]) {
      console.log(
        `  ${r.name.padEnd(17)} ${r.cpuSecPerRound.toFixed(3)} CPU-s/round  ${((r.cpuSecPerRound / SCRAPE_INTERVAL_S) * 100).toFixed(1)}% of one core at ${SCRAPE_INTERVAL_S}-s scrapes` +
          `  round ${r.roundMs.toFixed(0)} ms  ${(r.bytesPerScrape / 1024).toFixed(1)} KiB/scrape  errors ${r.errors}`,
      );
    }
    console.log(`  ratio simulator / static: ${(sim.cpuSecPerRound / peer.cpuSecPerRound).toFixed(2)}x CPU per round (wall ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    if (sim.errors + peer.errors > 0) process.exitCode = 1;
  } finally {
    scraper.kill('SIGTERM');
  }
}

const role = process.argv.find((a) => a.startsWith('--role='))?.slice(7);
const nodesArg = Number(process.argv.find((a) => a.startsWith('--nodes='))?.slice(8) ?? 1000);
if (role === 'sim') await runSim(nodesArg);
else if (role === 'scraper') runScraper();
else if (role === 'static') {
  // The body to serve arrives as the first message (it can be larger than a command line).
  process.once('message', (m: Msg) => {
    if (m.kind === 'serve') void runStatic(nodesArg, m.body);
  });
} else await main();
