// Helpers for the GPU simulator's integration test: a real Prometheus (the harness's) scraping given
// targets under dcgm-exporter's job, a value-returning poll, and `promtool check metrics`.
import { spawn } from 'node:child_process';
import { requireBinary, startPrometheus as startHarnessPrometheus } from './harness/index.ts';

const PROMTOOL = '/usr/bin/promtool';

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

/** Starts Prometheus scraping `targets` (host:port) under one job every `intervalS`. */
export async function startPrometheus(targets: string[], intervalS = 1): Promise<TestPrometheus> {
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
  const prom = await startHarnessPrometheus({ configYaml: config });
  return {
    url: prom.url,
    query: (expr) => prom.query(expr),
    series: (match) => api<Array<Record<string, string>>>(`${prom.url}/api/v1/series?match[]=${encodeURIComponent(match)}`),
    stop: () => prom.stop(),
  };
}

/** `promtool check metrics` on a metrics text: its exit code and every output line. */
export async function promtoolCheckMetrics(text: string): Promise<{ code: number; lines: string[] }> {
  const child = spawn(requireBinary(PROMTOOL, 'prometheus'), ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  child.stdin.end(text);
  return { code: await code, lines: out.split('\n').filter((l) => l.trim() !== '') };
}
