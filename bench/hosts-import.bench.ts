// How long `aami nodes add --file` takes for 1,000 hosts, end to end (CLI process -> API gateway
// -> validated, locked, atomic config write), against two peers measured in the same run:
// starting the CLI to print --help (the process floor) and a bare YAML parse + atomic write of the
// resulting config (the I/O floor).
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { writeFileAtomic } from '@aami/shared';
import { makeTempDir, runCli, startAamiService, startRedis } from '../integration-tests/src/harness/index.ts';

const TOKEN = 'aami_bench-admin-token-0123456789abcdef';
const runs = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const redis = await startRedis();
const importMs: number[] = [];
const helpMs: number[] = [];
const floorMs: number[] = [];
for (let r = 0; r < runs; r++) {
  const dir = await makeTempDir('bench-import');
  const gw = await startAamiService('api-gateway', 'AAMI_API_PORT', { AAMI_DATA_DIR: dir, AAMI_ADMIN_TOKEN: TOKEN, AAMI_REDIS_URL: redis.url });
  const hosts = join(dir, 'hosts.txt');
  await writeFile(hosts, Array.from({ length: 1000 }, (_, i) => `node-${i} 10.${Math.floor(i / 250)}.${i % 250}.1`).join('\n'));
  const env = { AAMI_URL: gw.url, AAMI_TOKEN: TOKEN };
  let t = performance.now();
  const res = await runCli(['nodes', 'add', '--file', hosts, '--user', 'root', '--key', '/root/.ssh/id_ed25519'], env);
  importMs.push(performance.now() - t);
  if (res.code !== 0) throw new Error(res.stderr);
  t = performance.now();
  await runCli(['--help']);
  helpMs.push(performance.now() - t);
  const text = await readFile(join(dir, 'config.yaml'), 'utf8');
  t = performance.now();
  await writeFileAtomic(join(dir, 'copy.yaml'), YAML.stringify(YAML.parse(text)));
  floorMs.push(performance.now() - t);
  await gw.stop();
}
await redis.stop();
const imp = median(importMs);
const help = median(helpMs);
const floor = median(floorMs);
console.log(`aami nodes add --file (1,000 hosts): median ${imp.toFixed(0)} ms over ${runs} runs (goal: < 2000 ms)`);
console.log(`peer: aami --help (process start):   median ${help.toFixed(0)} ms  -> import costs ${(imp / help).toFixed(2)}x a bare CLI start`);
console.log(`peer: YAML parse + atomic write:     median ${floor.toFixed(1)} ms  -> import costs ${(imp / floor).toFixed(1)}x the I/O floor`);
