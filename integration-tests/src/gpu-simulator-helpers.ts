// Small, self-contained helpers for the GPU simulator's integration test: a real Prometheus (Debian's
// package) on a free loopback port scraping given targets, and `promtool check metrics`. Kept apart
// from the shared harness on purpose so this test does not depend on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';

/** Throws with the install hint when a binary of the `prometheus` package is missing. */
export function requireBinary(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: install Debian's prometheus package (apt-get install -y prometheus, or make apt)`);
  return path;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One instant-vector element of the Prometheus HTTP API. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A Prometheus started by a test. */
export interface TestPrometheus {
  url: string;
  query(expr: string): Promise<VectorSample[]>;
  /** Label sets of every series matching `match` (GET /api/v1/series). */
  series(match: string): Promise<Array<Record<string, string>>>;
  stop(): Promise<void>;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; error?: string; data: T };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}

/** Starts Prometheus scraping `targets` (host:port) under one job every `intervalS`; stop() kills it by pid. */
export async function startPrometheus(targets: string[], intervalS = 1): Promise<TestPrometheus> {
  const bin = requireBinary(PROMETHEUS);
  const dir = mkdtempSync(join(tmpdir(), 'gpu-sim-prom-'));
  const port = await freePort();
  const config = [
    'global:',
    `  scrape_interval: ${intervalS}s`,
    `  scrape_timeout: ${intervalS}s`,
    'scrape_configs:',
    '  - job_name: dcgm_exporter',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const child: ChildProcess = spawn(
    bin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('prometheus ready', async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${stderr}`);
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    query: (expr) => api<{ result: VectorSample[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`).then((d) => d.result),
    series: (match) => api<Array<Record<string, string>>>(`${url}/api/v1/series?match[]=${encodeURIComponent(match)}`),
    stop,
  };
}

/** `promtool check metrics` on a metrics text: its exit code and every output line. */
export async function promtoolCheckMetrics(text: string): Promise<{ code: number; lines: string[] }> {
  const child = spawn(requireBinary(PROMTOOL), ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  child.stdin.end(text);
  return { code: await code, lines: out.split('\n').filter((l) => l.trim() !== '') };
}
