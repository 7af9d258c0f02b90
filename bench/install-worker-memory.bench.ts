// Install worker memory at fan-out 100: the worker's install data path (desired state from a real
// artifact store holding Debian's 13.7 MB node_exporter, the plan for a fresh node, and the staged
// upload + apply as one root command) on 100 loopback sshd endpoints at once, in a child process
// whose peak RSS is read from the kernel. The peer, measured in the same run on the same endpoints:
// the same jobs done the way the worker did them before (each job reads the artifact into memory and
// builds the whole tarball as a second copy). The probe and verify steps are left out: loopback sshd
// endpoints are not systemd nodes, and neither step holds artifact bytes.
// Run: node bench/install-worker-memory.bench.ts   (BENCH_ENDPOINTS=100)
import { execFileSync, spawn } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SshServer } from '../integration-tests/src/harness/index.ts';
import { ArtifactStore } from '../services/install-worker/src/artifacts/store.ts';
import { binaryVersion } from '../services/install-worker/src/artifacts/upstream.ts';
import { buildDesired, PATHS } from '../services/install-worker/src/install/desired.ts';
import { loadNodeFiles } from '../services/install-worker/src/install/node-files.ts';
import { makePlan } from '../services/install-worker/src/install/plan.ts';
import type { NodeFacts } from '../services/install-worker/src/install/probe.ts';
import { stagedName } from '../services/install-worker/src/install/scripts.ts';
import { runStaged, type StagedFile } from '../services/install-worker/src/install/stage.ts';
import { shq, SshExecutor, type SshTarget } from '../services/install-worker/src/ssh/executor.ts';
import { KnownHostsStore } from '../services/install-worker/src/ssh/known-hosts.ts';
import { tarStream } from '../services/install-worker/src/ssh/tar.ts';

const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 100);
const LIMIT_MIB = 256; // the install worker's mem_limit in docker-compose.yml
type Mode = 'streamed' | 'buffered';

/** A fresh systemd node as the probe would describe it. */
const FRESH: NodeFacts = {
  uid: 0, user: 'root', sudo: 'root', os: { id: 'debian', version: '12', pretty: 'Debian GNU/Linux 12' }, machine: 'x86_64', arch: 'amd64',
  init: 'systemd', gpu: { tool: false, names: [] }, containerRuntime: null, freeKb: {}, sums: {}, units: {}, installed: null,
};

interface ChildInput { mode: Mode; storeDir: string; knownHosts: string; targets: SshTarget[] }

/** One child: all jobs at once, then its peak RSS (KiB) and how many jobs succeeded. */
async function child(input: ChildInput): Promise<void> {
  const store = new ArtifactStore(input.storeDir);
  const nodeFiles = await loadNodeFiles();
  const ex = new SshExecutor({ knownHosts: new KnownHostsStore(input.knownHosts), concurrency: input.targets.length, idleMs: 0, connectTimeoutMs: 30_000 });
  const before = process.resourceUsage().maxRSS; // this process with the worker's modules loaded
  const t0 = performance.now();
  const results = await Promise.all(input.targets.map((t, i) => ex.withSession(t, async (s) => {
    const built = await buildDesired(FRESH, { store, nodeFiles });
    if (!built.ok) throw new Error(built.reason);
    const plan = makePlan(FRESH, built.desired, `bench-${i}`);
    // The apply script only checks what arrived: nothing is installed on this machine.
    const script = `${plan.upload.map((f, k) => `test -s "$1/${stagedName(k)}"`).join(' && ')}\n`;
    let files: StagedFile[] = plan.upload.map((f, k) => ({ name: stagedName(k), size: f.size, sha256: f.sha256, content: f.content }));
    if (input.mode === 'buffered') {
      // The worker before the fix: every artifact read into memory, then the whole tarball built.
      files = await Promise.all(files.map(async (f) => ({ ...f, content: Buffer.isBuffer(f.content) ? f.content : await readFile(f.content.file) })));
      const tar: Buffer[] = [];
      for await (const chunk of tarStream(files.map((f) => ({ ...f, mode: 0o600 })))) tar.push(chunk as Buffer);
      const whole = Buffer.concat(tar);
      const r = await s.exec(`bash -c ${shq(`d=$(mktemp -d ${PATHS.staging}/aami-bench.XXXXXX); trap 'rm -rf "$d"' EXIT; tar -x -f - -C "$d"`)}`, { stdin: whole, label: 'upload' });
      return r.code === 0;
    }
    const r = await runStaged(s, '', files, script, 'install');
    return r.code === 0;
  }).catch((err: Error) => { console.error(`job ${i}: ${err.message}`); return false; })));
  await ex.close();
  const wallMs = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ peakKiB: process.resourceUsage().maxRSS, beforeKiB: before, ok: results.filter(Boolean).length, wallMs })}\n`);
}

async function measure(input: ChildInput): Promise<{ peakKiB: number; beforeKiB: number; ok: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [new URL(import.meta.url).pathname, '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('error', reject);
    c.on('close', (code) => {
      try { resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '')); } catch { reject(new Error(`child (${input.mode}) exited ${code}: ${out.slice(-400)}`)); }
    });
    c.stdin.end(JSON.stringify(input));
  });
}

async function main(): Promise<void> {
  // Loaded here, not at the top: the measured child must not carry the test harness (testcontainers...).
  const { makeTempDir, startSshd } = await import('../integration-tests/src/harness/index.ts');
  const dir = await makeTempDir('bench-install-mem');
  const key = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const pub = await readFile(`${key}.pub`);
  const servers: SshServer[] = [];
  const targets: SshTarget[] = [];
  for (let k = 0; targets.length < ENDPOINTS; k++) {
    const s = await startSshd({ extraAddresses: Array.from({ length: 15 }, (_, i) => `127.21.${k}.${i + 1}`) });
    await appendFile(join(s.dir, 'authorized_keys'), pub);
    servers.push(s);
    for (const host of s.addresses) if (targets.length < ENDPOINTS) targets.push({ host, port: s.port, username: s.user, keyPath: key, name: `ep${targets.length}` });
  }
  const store = new ArtifactStore(join(dir, 'artifacts'));
  const ne = await store.importFile('/usr/bin/prometheus-node-exporter', { name: 'node_exporter', version: await binaryVersion('/usr/bin/prometheus-node-exporter'), arch: 'amd64' });
  console.log(`${targets.length} endpoints on ${servers.length} sshd processes; node_exporter ${ne.version}, ${(ne.size / 1048576).toFixed(1)} MiB; every job uploads it with the unit files and the Xid counter`);
  const input = (mode: Mode): ChildInput => ({ mode, storeDir: store.dir, knownHosts: join(dir, 'known_hosts'), targets });
  await measure(input('streamed')); // pins host keys and warms every sshd
  const streamed = await measure(input('streamed'));
  const buffered = await measure(input('buffered'));
  const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
  for (const [name, r] of [['AAMI (streamed from the store)', streamed], ['buffered per job (before the fix)', buffered]] as const) {
    console.log(`${name.padEnd(36)} peak RSS ${mib(r.peakKiB).padStart(8)} (at start ${mib(r.beforeKiB)})  ${r.ok}/${targets.length} jobs ok  ${(r.wallMs / 1000).toFixed(1)} s`);
  }
  console.log(`\npeak RSS buffered/AAMI: ${(buffered.peakKiB / streamed.peakKiB).toFixed(2)}x; AAMI ${streamed.peakKiB / 1024 <= LIMIT_MIB ? 'fits' : 'does NOT fit'} the install worker's ${LIMIT_MIB} MiB container limit at fan-out ${targets.length}`);
  if (streamed.ok !== targets.length) process.exitCode = 1;
  await Promise.all(servers.map((s) => s.stop()));
}

if (process.argv.includes('--child')) {
  let raw = '';
  for await (const chunk of process.stdin) raw += chunk;
  await child(JSON.parse(raw) as ChildInput);
} else {
  await main();
}
