// Benchmark: what a scrape of the install worker's /metrics costs at 10,000 nodes of 8 H100s, each
// with its topology kept on disk, against its peer in the same run: the first scrape after a start,
// which reads and parses every snapshot (matrices, NVLink speeds and counters) to build the index.
// Later scrapes reuse the judgement (kept until a snapshot, a pin or the node list changes) and only
// format the series, so they must cost a small part of that; the process exits 1 when a warm scrape
// costs more than a fifth of the cold one. One node in 100 has
// two NVLinks down, so the judgement has differences to find.
//
//   node bench/topology.bench.ts [nodes]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGpuQuery, parseNvlinkErrors, parseNvlinkStatus, parseTopoMatrix, summarizeTopo, writeFileAtomic, type NodeTopology } from '@aami/shared';
import { boardByKey } from '../services/gpu-simulator/src/nvidia-smi/boards.ts';
import { renderSmi } from '../services/gpu-simulator/src/nvidia-smi/render.ts';
import { createWorkerMetrics } from '../services/install-worker/src/metrics.ts';
import { TopologyService } from '../services/install-worker/src/topology.ts';

const NODES = Number(process.argv[2] ?? 10_000);
const RUNS = 5;
const MAX_RATIO = 0.2;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const name = (i: number) => `gpu-node-${String(i).padStart(5, '0')}`;

/** A node's snapshot as the worker keeps it, from the simulator's nvidia-smi of an H100 NV18 board. */
function snapshot(node: string, degraded: boolean): NodeTopology {
  const board = boardByKey('h100-nv18');
  const opts = { seed: node, downLinks: degraded ? [{ gpu: 2, link: 3 }, { gpu: 2, link: 7 }] : [] };
  const out = (args: string) => renderSmi(board, opts, args.split(' ')).stdout;
  const matrix = parseTopoMatrix(out('topo -m'));
  const nvlink = parseNvlinkStatus(out('nvlink -s'));
  return {
    node, takenAt: new Date().toISOString(), state: 'ok', summary: summarizeTopo(matrix), matrix, nvlink,
    inactiveLinks: nvlink.flatMap((g) => g.links.filter((l) => l.gbps === null).map((l) => `GPU ${g.index} link ${l.link}`)),
    nvlinkErrors: parseNvlinkErrors(out('nvlink -e')), identity: parseGpuQuery(out('--query-gpu=index,uuid,pci.bus_id,name --format=csv,noheader')),
  };
}

const dir = await mkdtemp(join(tmpdir(), 'aami-bench-topology-'));
try {
  const names = Array.from({ length: NODES }, (_, i) => name(i));
  const started = performance.now();
  // One rendered board reused with its node name swapped keeps the set-up short; only the degraded ones differ.
  const healthy = snapshot(name(0), false);
  const degraded = snapshot(name(0), true);
  for (let i = 0; i < NODES; i += 500) {
    await Promise.all(names.slice(i, i + 500).map((n, k) => writeFileAtomic(join(dir, `${n}.json`), `${JSON.stringify({ ...((i + k) % 100 === 7 ? degraded : healthy), node: n })}\n`, 0o644)));
  }
  console.log(`set-up: ${NODES} snapshots written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const configured = new Set(names);
  const scrape = async () => {
    const service = new TopologyService({ nodes: { get: async (n) => (configured.has(n) ? { name: n, host: n, port: 22, username: 'root', keyPath: '/k' } : undefined), names: async () => names }, ssh: { withSession: () => Promise.reject(new Error('no SSH in the bench')) }, dir });
    return { service, registry: createWorkerMetrics({ judged: () => service.judged() }) };
  };
  const cold: number[] = [];
  const warm: number[] = [];
  let text = '';
  for (let r = 0; r < RUNS; r++) {
    const { registry } = await scrape();
    let t = performance.now();
    text = await registry.metrics();
    cold.push(performance.now() - t);
    t = performance.now();
    text = await registry.metrics();
    warm.push(performance.now() - t);
  }
  const deviating = (text.match(/^aami_topology_deviations\{node="[^"]+"\} [1-9]/gm) ?? []).length;
  const ratio = median(warm) / median(cold);
  console.log(`nodes: ${NODES} × 8 GPUs; /metrics ${(Buffer.byteLength(text) / 1024 / 1024).toFixed(2)} MiB, ${deviating} node(s) with differences`);
  console.log(`cold scrape (reads every snapshot): median ${median(cold).toFixed(0)} ms`);
  console.log(`warm scrape (kept judgement):       median ${median(warm).toFixed(0)} ms  = ${ratio.toFixed(3)} × cold (limit ${MAX_RATIO})`);
  if (deviating !== Math.ceil((NODES - 7) / 100)) throw new Error(`expected ${Math.ceil((NODES - 7) / 100)} nodes with differences, found ${deviating}`);
  if (ratio > MAX_RATIO) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
