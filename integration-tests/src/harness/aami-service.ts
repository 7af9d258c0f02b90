// Starts an AAMI service from this checkout as its own process (node services/<name>/src/main.ts),
// on a free port, and waits for its /healthz.
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, httpOk, makeTempDir, startDaemon, type Daemon } from './daemon.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The service token every service the harness starts shares (unless a test passes its own env), so
 * services with different data folders still accept each other; tests present it when they call a
 * service's internal API directly.
 */
export const HARNESS_SERVICE_TOKEN = 'aami-harness-service-token-0123456789';

/** Headers for a direct call to a service's internal API. */
export const serviceAuth = { authorization: `Bearer ${HARNESS_SERVICE_TOKEN}` };

export interface AamiService {
  url: string;
  port: number;
  daemon: Daemon;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `portEnv` is the variable the service reads its port from (e.g. AAMI_API_PORT). `env` is added to
 * the test's own environment.
 */
export async function startAamiService(name: string, portEnv: string, env: NodeJS.ProcessEnv): Promise<AamiService> {
  const port = await freePort();
  const dir = await makeTempDir(name);
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name,
    command: process.execPath,
    args: [`${REPO_ROOT}services/${name}/src/main.ts`],
    dir,
    env: { ...process.env, AAMI_BIND: '127.0.0.1', [portEnv]: String(port), AAMI_LOG_LEVEL: 'warn', AAMI_SERVICE_TOKEN: HARNESS_SERVICE_TOKEN, ...env },
    ready: () => httpOk(`${url}/healthz`),
  });
  return { url, port, daemon, output: () => daemon.logTail(10_000), stop: () => daemon.stop() };
}

const execFileP = promisify(execFile);

/** Result of one `aami` CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (node cli/src/main.ts) with `args`; never throws on a non-zero exit. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliRun> {
  const child = execFileP(process.execPath, [`${REPO_ROOT}cli/src/main.ts`, ...args], {
    env: { ...process.env, XDG_CONFIG_HOME: '/nonexistent-aami-test', ...env },
    maxBuffer: 50 * 1024 * 1024,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
