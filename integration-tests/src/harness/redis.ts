// A real redis-server on a free loopback port, with append-only persistence in its own dir so a
// restart keeps what it had (the relay's durability tests need that).
import { connect } from 'node:net';
import { freePort, makeTempDir, requireBinary, startDaemon, type Daemon } from './daemon.ts';

export interface RedisServer {
  url: string;
  port: number;
  daemon: Daemon;
  /** Stops it (or kills it with `hard`) and starts it again on the same port and data dir. */
  restart(hard?: boolean): Promise<void>;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.setTimeout(1000);
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => { resolve(d.toString().startsWith('+PONG')); sock.destroy(); });
    sock.on('error', () => resolve(false));
    sock.on('timeout', () => { resolve(false); sock.destroy(); });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const bin = requireBinary('/usr/bin/redis-server', 'redis-server');
  const dir = await makeTempDir('redis');
  const port = await freePort();
  const launch = () => startDaemon({
    name: 'redis',
    command: bin,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'],
    dir,
    ready: () => ping(port),
  });
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    daemon: await launch(),
    async restart(hard = false) {
      if (hard) await server.daemon.kill();
      else await server.daemon.stop();
      server.daemon = await launch();
    },
    stop: () => server.daemon.stop(),
  };
  return server;
}
