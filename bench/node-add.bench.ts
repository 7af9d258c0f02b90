// Benchmark: what the rule compiler does when one node is added to a 10,000-node cluster, against
// its peer in the same run, a full compile of the same cluster (a threshold changed: every file
// staged, promtool and amtool run, Prometheus and Alertmanager reloaded). A node add writes one
// target file and nothing else, so it must cost a small part of the full compile; the process
// exits 1 when it costs more than half of it. Only the compiler's run is timed (the config store's
// write of config.yaml is the gateway's, the same for both).
//
//   node bench/node-add.bench.ts [nodes]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, createLogger, loadPresetCatalog } from '@aami/shared';
import { Compiler } from '../services/rule-compiler/src/compiler.ts';
import { StatusStore } from '../services/rule-compiler/src/status.ts';
import { GeneratedTree } from '../services/rule-compiler/src/writer.ts';
import type { ReloadReport } from '../services/rule-compiler/src/reloader.ts';

const NODES = Number(process.argv[2] ?? 10_000);
const RUNS = 5;
const MAX_RATIO = 0.5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const node = (i: number) => ({
  name: `gpu-node-${String(i).padStart(5, '0')}`,
  ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  labels: { rack: `r${Math.floor(i / 32)}` },
});

const dir = await mkdtemp(join(tmpdir(), 'aami-bench-node-add-'));
try {
  const catalog = await loadPresetCatalog();
  const store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create({ cluster: { name: 'bench' }, nodes: Array.from({ length: NODES }, (_, i) => node(i)), alerts: { presets: [...catalog.presets.keys()] } });
  const generated = join(dir, 'generated');
  let reloads = 0;
  const ok: ReloadReport = { prometheus: { ok: true, status: 200 }, alertmanager: { ok: true, status: 200 } };
  const compiler = new Compiler({
    readConfig: () => store.read(),
    catalog: () => Promise.resolve(catalog),
    tree: new GeneratedTree(generated),
    status: new StatusStore(generated),
    options: { relayUrl: 'http://notification-relay:8081', relayTokenFile: '/t', alertmanagerUrl: 'http://alertmanager:9093', selfTargets: [] },
    // Counted, not sent: the bench measures the compiler, and a node add must not reload at all.
    reload: async () => { reloads++; return ok; },
    log: createLogger('bench', 'error'),
  });
  const timed = async () => {
    const t0 = performance.now();
    const outcome = await compiler.run();
    return { ms: performance.now() - t0, outcome };
  };

  await timed(); // the first compile writes the whole tree
  const full: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await store.update((c) => { c.alerts.overrides.GPUTemperatureCritical = { threshold: 80 + i }; });
    const before = reloads;
    const r = await timed();
    if (reloads !== before + 1) throw new Error('a threshold change must reload: this is not the full compile');
    full.push(r.ms);
  }
  const add: number[] = [];
  let written = 0;
  for (let i = 0; i < RUNS; i++) {
    await store.update((c) => { c.nodes.push(node(NODES + i)); });
    const before = reloads;
    const r = await timed();
    if (reloads !== before) throw new Error('a node add reloaded Prometheus and Alertmanager');
    written = r.outcome.files.written;
    add.push(r.ms);
  }
  const ratio = median(add) / median(full);
  const ms = (x: number) => `${x.toFixed(1).padStart(8)} ms`;
  console.log(`node-add bench: ${NODES} nodes, ${catalog.presets.size} presets`);
  console.log(`  peer: full compile (threshold change)  ${ms(median(full))} (median of ${RUNS}: stage every file, promtool + amtool, reload)`);
  console.log(`  node add                               ${ms(median(add))} (median of ${RUNS}: ${written} file written, no check, no reload)`);
  console.log(`  node add / full compile = ${ratio.toFixed(3)}x (must be under ${MAX_RATIO}x): ${ratio < MAX_RATIO ? 'OK' : 'EXCEEDED'}`);
  if (ratio >= MAX_RATIO) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
