// Starts a real program as a test daemon: its output goes to a log file in the test's temp dir,
// readiness is polled, and stop() ends it by pid (TERM, then KILL). A daemon that does not come up
// fails with the tail of its log, so a broken config is visible in the test output.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running daemon. */
export interface Daemon {
  name: string;
  pid: number;
  dir: string;
  logPath: string;
  /** The last lines of its log. */
  logTail(lines?: number): string;
  /** Ends it: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Sends SIGKILL and waits for the exit. */
  kill(): Promise<void>;
}

export interface DaemonSpec {
  name: string;
  command: string;
  args: string[];
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the daemon serves. */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}

const tempDirs = new Set<string>();
let cleanupRegistered = false;

/**
 * A fresh temp dir for one daemon or test, removed when the test process exits (set
 * AAMI_KEEP_TEST_DIRS=1 to keep them for a post-mortem).
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `aami-it-${prefix}-`));
  tempDirs.add(dir);
  if (!cleanupRegistered && process.env.AAMI_KEEP_TEST_DIRS !== '1') {
    cleanupRegistered = true;
    process.once('exit', () => {
      for (const d of tempDirs) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // a daemon killed with the process may still hold a file open: leave it to the OS
        }
      }
    });
  }
  return dir;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Throws a clear error when a program the tests need is not installed. */
export function requireBinary(path: string, debianPackage: string): string {
  if (!existsSync(path)) throw new Error(`${path} not found: install the Debian package "${debianPackage}" (make setup does)`);
  return path;
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when GET `url` answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the daemon and waits until it is ready. */
export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  const logPath = join(spec.dir, `${spec.name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(spec.command, spec.args, { cwd: spec.dir, env: spec.env ?? process.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const logTail = (lines = 30) => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  let earlyExit: string | undefined;
  child.once('exit', (code, signal) => { earlyExit = `exited with ${code ?? signal}`; });
  const stop = async (graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited(child);
    clearTimeout(timer);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited(child);
  };
  try {
    await waitFor(async () => {
      if (earlyExit) throw new Error(earlyExit);
      return spec.ready();
    }, spec.timeoutMs ?? 20_000, spec.name).catch((err: Error) => {
      throw new Error(`${spec.name} did not become ready (${earlyExit ?? err.message}). Log tail:\n${logTail()}`);
    });
  } catch (err) {
    await kill();
    throw err;
  }
  return { name: spec.name, pid: child.pid ?? -1, dir: spec.dir, logPath, logTail, stop, kill };
}
