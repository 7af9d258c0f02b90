// SSH fan-out: AAMI's executor against pdsh and ansible on the same loopback sshd endpoints, in the
// same run. 200 endpoints = 13 OpenSSH sshd processes x 16 loopback addresses each (127.0.0.1 and
// 127.20.K.1-15), one login key for all.
//   1. one trivial command (`true`) on all 200 at fan-out 100 and 32:
//      AAMI SshExecutor  vs  pdsh -R ssh -f N  vs  ansible all -m command -a true -f N
//   2. push a 20 MB file to 50 endpoints (fan-out 32): AAMI's staged upload (tar streamed from disk
//      over exec into a private mktemp folder + sha256 check on the node)  vs  pdcp -R ssh  vs  scp (xargs -P 32)
// Prints wall times (median of the runs) and ratios. Needs openssh-server, pdsh, ansible-core.
// Run: node bench/ssh-fanout.bench.ts   (BENCH_RUNS=3, BENCH_ENDPOINTS=200, BENCH_SKIP_ANSIBLE=1)
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, startSshd, type SshServer } from '../integration-tests/src/harness/index.ts';
import { SshExecutor, type SshTarget } from '../services/install-worker/src/ssh/executor.ts';
import { KnownHostsStore } from '../services/install-worker/src/ssh/known-hosts.ts';
import { runStaged } from '../services/install-worker/src/install/stage.ts';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 200);
const PUSH_ENDPOINTS = 50;
const PUSH_MB = 20;
const has = (bin: string) => ['/usr/bin', '/usr/local/bin', '/usr/sbin'].some((d) => existsSync(join(d, bin)));

interface Endpoint { alias: string; host: string; port: number }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs a command; throws with its output when it fails. */
function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out.slice(-800)}`))));
  });
}

async function main() {
  for (const bin of ['pdsh', 'pdcp', 'ansible', 'scp']) if (!has(bin)) console.log(`note: ${bin} is not installed; its rows are skipped`);
  const dir = await makeTempDir('bench-ssh');
  const key = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const pub = await readFile(`${key}.pub`);

  const servers: SshServer[] = [];
  const endpoints: Endpoint[] = [];
  const sshdCount = Math.ceil(ENDPOINTS / 16);
  for (let k = 0; k < sshdCount; k++) {
    const extra = Array.from({ length: 15 }, (_, i) => `127.20.${k}.${i + 1}`);
    const s = await startSshd({ extraAddresses: extra });
    await appendFile(join(s.dir, 'authorized_keys'), pub);
    servers.push(s);
    for (const host of s.addresses) if (endpoints.length < ENDPOINTS) endpoints.push({ alias: `ep${String(endpoints.length).padStart(3, '0')}`, host, port: s.port });
  }
  const user = servers[0]?.user ?? 'root';
  console.log(`${endpoints.length} endpoints on ${servers.length} sshd processes (user ${user}); ${RUNS} run(s) each, median shown`);

  // pdsh/pdcp/scp reach per-endpoint ports through an ssh_config of aliases; ansible through its inventory.
  const sshConfig = join(dir, 'ssh_config');
  await writeFile(sshConfig, [
    'Host *', `  User ${user}`, `  IdentityFile ${key}`, '  IdentitiesOnly yes', '  BatchMode yes', '  StrictHostKeyChecking no',
    '  UserKnownHostsFile /dev/null', '  LogLevel ERROR', '  ConnectTimeout 20', '',
    ...endpoints.flatMap((e) => [`Host ${e.alias}`, `  HostName ${e.host}`, `  Port ${e.port}`]), '',
  ].join('\n'));
  const inventory = join(dir, 'inventory.ini');
  await writeFile(inventory, [
    ...endpoints.map((e) => `${e.alias} ansible_host=${e.host} ansible_port=${e.port}`),
    '[all:vars]', `ansible_user=${user}`, `ansible_ssh_private_key_file=${key}`, 'ansible_python_interpreter=/usr/bin/python3',
    "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'", '',
  ].join('\n'));
  const pdshEnv = { PDSH_SSH_ARGS: `-F ${sshConfig} -l%u %h`, PDSH_RCMD_TYPE: 'ssh' };
  const knownHosts = new KnownHostsStore(join(dir, 'known_hosts'));
  const targets = (eps: Endpoint[]): SshTarget[] => eps.map((e) => ({ host: e.host, port: e.port, username: user, keyPath: key, name: e.alias }));

  const aamiTrue = async (fanout: number) => {
    const ex = new SshExecutor({ knownHosts, concurrency: fanout, idleMs: 0, connectTimeoutMs: 20_000 });
    const results = await Promise.all(targets(endpoints).map((t) => ex.run(t, 'true')));
    await ex.close();
    const bad = results.filter((r) => r.code !== 0).length;
    if (bad) throw new Error(`AAMI: ${bad} endpoint(s) failed`);
  };
  const pdshTrue = async (fanout: number) => {
    const out = await sh('pdsh', ['-R', 'ssh', '-f', String(fanout), '-w', endpoints.map((e) => e.alias).join(','), 'true'], pdshEnv);
    if (out.trim()) throw new Error(`pdsh printed: ${out.slice(0, 400)}`);
  };
  const ansibleTrue = async (fanout: number) => {
    await sh('ansible', ['all', '-i', inventory, '-m', 'command', '-a', 'true', '-f', String(fanout), '-o'], {
      ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-local'), ANSIBLE_REMOTE_TMP: join(dir, 'ansible-remote'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORKS: String(fanout),
    });
  };

  await aamiTrue(100); // pins host keys (first use) and warms every sshd
  console.log('\n== one trivial command on every endpoint');
  const rows: Array<[string, number, number, number]> = [];
  for (const fanout of [100, 32]) {
    const aami: number[] = [];
    const pdsh: number[] = [];
    const ansible: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      aami.push(await timeIt(() => aamiTrue(fanout)));
      if (has('pdsh')) pdsh.push(await timeIt(() => pdshTrue(fanout)));
    }
    if (has('ansible') && process.env.BENCH_SKIP_ANSIBLE !== '1') ansible.push(await timeIt(() => ansibleTrue(fanout)));
    rows.push([`fan-out ${fanout}`, median(aami), median(pdsh), median(ansible)]);
    console.log(`fan-out ${String(fanout).padStart(3)}: AAMI ${fmt(median(aami))}  pdsh ${fmt(median(pdsh))}  ansible ${fmt(median(ansible))}` +
      `   pdsh/AAMI ${ratio(median(pdsh), median(aami))}  ansible/AAMI ${ratio(median(ansible), median(aami))}` +
      `   (AAMI runs: ${aami.map(fmt).join(', ')}; pdsh runs: ${pdsh.map(fmt).join(', ') || '-'})`);
  }

  console.log(`\n== push ${PUSH_MB} MB to ${PUSH_ENDPOINTS} endpoints (fan-out 32)`);
  const blob = randomBytes(PUSH_MB * 1024 * 1024);
  const blobPath = join(dir, 'blob.bin');
  await writeFile(blobPath, blob);
  const sum = createHash('sha256').update(blob).digest('hex');
  const pushEps = endpoints.slice(0, PUSH_ENDPOINTS);
  const pushRoot = join(dir, 'push');
  const aamiPush = async () => {
    const ex = new SshExecutor({ knownHosts, concurrency: 32, idleMs: 0 });
    await Promise.all(targets(pushEps).map((t) => ex.withSession(t, async (s) => {
      const dest = join(pushRoot, 'aami', t.name ?? 'x');
      const r = await runStaged(s, '', [{ name: 'blob.bin', size: blob.length, sha256: sum, content: { file: blobPath } }], `mkdir -p '${dest}' && cp "$1/blob.bin" '${dest}/'\n`, 'push');
      if (r.code !== 0) throw new Error(`AAMI push to ${t.name}: exit ${r.code}: ${r.stderr.slice(-300)}`);
    })));
    await ex.close();
  };
  const pdcpPush = async () => {
    // pdcp writes one destination path on every host; all endpoints are this machine, so one file.
    await mkdir(join(pushRoot, 'pdcp'), { recursive: true });
    await sh('pdcp', ['-R', 'ssh', '-f', '32', '-w', pushEps.map((e) => e.alias).join(','), blobPath, join(pushRoot, 'pdcp', 'blob.bin')], pdshEnv);
  };
  const scpPush = async () => {
    await Promise.all(pushEps.map((e) => mkdir(join(pushRoot, 'scp', e.alias), { recursive: true })));
    const list = pushEps.map((e) => `${e.alias}:${join(pushRoot, 'scp', e.alias)}/`).join('\n');
    await sh('bash', ['-c', `printf '%s\\n' "$LIST" | xargs -P 32 -I{} scp -q -F ${sshConfig} ${blobPath} {}`], { LIST: list });
  };
  const push: Record<string, number[]> = { aami: [], pdcp: [], scp: [] };
  for (let i = 0; i < RUNS; i++) {
    await rm(pushRoot, { recursive: true, force: true });
    push.aami?.push(await timeIt(aamiPush));
    if (has('pdcp')) push.pdcp?.push(await timeIt(pdcpPush));
    if (has('scp')) push.scp?.push(await timeIt(scpPush));
  }
  const check = await run('sha256sum', [join(pushRoot, 'aami', pushEps[PUSH_ENDPOINTS - 1]?.alias ?? '', 'blob.bin')]);
  if (!check.stdout.startsWith(sum)) throw new Error('AAMI push: content differs');
  const [pa, pp, ps] = [median(push.aami ?? []), median(push.pdcp ?? []), median(push.scp ?? [])];
  console.log(`AAMI upload ${fmt(pa)}  pdcp ${fmt(pp)}  scp ${fmt(ps)}   pdcp/AAMI ${ratio(pp, pa)}  scp/AAMI ${ratio(ps, pa)}`);

  console.log('\n== summary (ratio > 1: AAMI faster)');
  for (const [name, a, p, an] of rows) console.log(`${name}: pdsh/AAMI ${ratio(p, a)} (goal >= 1.0), ansible/AAMI ${ratio(an, a)} (goal >= 5.0)`);
  console.log(`push: pdcp/AAMI ${ratio(pp, pa)}, scp/AAMI ${ratio(ps, pa)}`);

  await rm(pushRoot, { recursive: true, force: true });
  await Promise.all(servers.map((s) => s.stop()));
}

const fmt = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)}s` : '-');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-');

await main();
