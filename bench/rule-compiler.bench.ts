// Benchmark: compile a config with 10,000 nodes (every preset, overrides, a custom rule) and compare
// with peers measured in the same run: YAML.stringify of the same config (what the config store
// does on every write) and `promtool check config` on the generated files (the check every compile
// runs). Budget: compiling must take under 1 s; the process exits 1 when it does not.
//
//   node bench/rule-compiler.bench.ts [nodes]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { AamiConfig, loadPresetCatalog } from '@aami/shared';
import { compileConfig, type CompileOptions } from '../services/rule-compiler/src/compile.ts';
import { GeneratedTree } from '../services/rule-compiler/src/writer.ts';
import { runTool } from '../services/rule-compiler/src/validator.ts';

const NODES = Number(process.argv[2] ?? 10_000);
const BUDGET_MS = 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time<T>(runs: number, fn: () => T | Promise<T>): Promise<{ median: number; min: number; last: T }> {
  const ts: number[] = [];
  let last!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await fn();
    ts.push(performance.now() - t0);
  }
  return { median: median(ts), min: Math.min(...ts), last };
}

const catalog = await loadPresetCatalog();
const raw = {
  cluster: { name: 'bench' },
  nodes: Array.from({ length: NODES }, (_, i) => ({
    name: `gpu-node-${String(i).padStart(5, '0')}`,
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    labels: { rack: `r${Math.floor(i / 32)}`, gpu_type: i % 3 === 0 ? 'a100' : 'h100' },
  })),
  alerts: {
    presets: [...catalog.presets.keys()],
    overrides: { GPUTemperatureCritical: { threshold: 88 }, NodeCpuSaturated: { disabled: true } },
    custom: [{ name: 'TeamQuota', expr: 'sum by (node) (DCGM_FI_DEV_FB_USED) > 1e6', summary: 'quota on {{ $labels.node }}' }],
  },
};
const parse = await time(3, () => AamiConfig.parse(raw));
const config = parse.last;
const options: CompileOptions = {
  catalog, relayUrl: 'http://notification-relay:8081', relayTokenFile: '/run/secrets/relay-token',
  alertmanagerUrl: 'http://alertmanager:9093', selfTargets: [{ service: 'analyzer', url: 'http://analyzer:8082' }],
};

await time(2, () => compileConfig(config, options)); // warm-up
const compile = await time(10, () => compileConfig(config, options));
const out = compile.last;
const yaml = await time(5, () => YAML.stringify(config, { lineWidth: 0 }));

const dir = await mkdtemp(join(tmpdir(), 'aami-bench-'));
try {
  const tree = new GeneratedTree(dir);
  const firstWrite = await time(1, async () => tree.commit(await tree.stage(out.files, out.hash)));
  const rewrite = await time(1, async () => tree.commit(await tree.stage(out.files, out.hash)));
  const promtool = await time(3, () => runTool('promtool', ['check', 'config', 'prometheus.yml'], { cwd: join(dir, 'prometheus'), timeoutMs: 120_000 }));
  if (!promtool.last.ok) throw new Error(`promtool refused the generated config: ${promtool.last.stderr}`);

  const ms = (x: number) => `${x.toFixed(1).padStart(8)} ms`;
  console.log(`rule-compiler bench: ${NODES} nodes, ${out.summary.rules} rules, ${out.files.size} files (${(([...out.files.values()].reduce((n, t) => n + t.length, 0)) / 1e6).toFixed(1)} MB)`);
  console.log(`  zod parse of the config          ${ms(parse.median)} (median of 3)`);
  console.log(`  compile (config -> all files)    ${ms(compile.median)} (median of 10, min ${compile.min.toFixed(1)} ms)`);
  console.log(`  peer: YAML.stringify(config)     ${ms(yaml.median)} (median of 5)   compile / YAML.stringify = ${(compile.median / yaml.median).toFixed(2)}x`);
  console.log(`  peer: promtool check config      ${ms(promtool.median)} (median of 3)   compile / promtool = ${(compile.median / promtool.median).toFixed(3)}x`);
  console.log(`  stage + commit, first write      ${ms(firstWrite.median)} (${firstWrite.last.written} written)`);
  console.log(`  stage + commit, same files       ${ms(rewrite.median)} (${rewrite.last.unchanged} unchanged)`);
  const ok = compile.median < BUDGET_MS;
  console.log(`  budget: compile < ${BUDGET_MS} ms: ${ok ? 'OK' : 'EXCEEDED'}`);
  if (!ok) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
