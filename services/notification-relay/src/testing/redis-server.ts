// A throwaway redis-server for unit tests that need Redis' own TTLs and scripts: it listens on a
// Unix socket in a temp folder (no TCP port, so nothing to collide with and nothing reachable from
// outside), keeps nothing on disk, and is removed with its folder by stop().
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A running test Redis. */
export interface TestRedis {
  /** A connected client. */
  client: Redis;
  /** The socket path, for more clients. */
  path: string;
  stop(): Promise<void>;
}

/** Starts redis-server (from PATH) and resolves once it answers PING. */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-redis-'));
  const path = join(dir, 'redis.sock');
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', path, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 10_000;
    while (!existsSync(path)) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error('redis-server did not open its socket within 10 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const client = new Redis({ path, maxRetriesPerRequest: 1 });
    await client.ping();
    return {
      client,
      path,
      async stop() {
        await client.quit().catch(() => {});
        client.disconnect();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
