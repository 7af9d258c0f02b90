// A real redis-server on a free loopback port, with append-only persistence in its own dir so a
// restart keeps what it had (the relay's durability tests need that). With `password` it runs as
// compose does: the default user off and one ACL user, `aami`, so a client without the password
// is refused.
import { connect } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, requireBinary, startDaemon, type Daemon } from './daemon.ts';

export interface RedisServer {
  /** The URL to connect with: it carries `aami:<password>@` when started with a password. */
  url: string;
  /** The URL without credentials (the same as `url` without a password). */
  bareUrl: string;
  port: number;
  /** The ACL user's name and password, when started with one. */
  username?: string;
  password?: string;
  daemon: Daemon;
  /** Stops it (or kills it with `hard`) and starts it again on the same port and data dir. */
  restart(hard?: boolean): Promise<void>;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Turn the default user off and add the ACL user `aami` with this password. */
  password?: string;
  /** An ACL file to run with instead (e.g. the one aami-init writes); `password` is then aami's. */
  aclFile?: string;
}

const USER = 'aami';

/** A RESP command as an array of bulk strings, so a password with spaces or symbols goes through as is. */
function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

function ping(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    sock.setTimeout(1000);
    sock.on('connect', () => sock.write(`${password ? resp('AUTH', USER, password) : ''}PING\r\n`));
    sock.on('data', (d) => {
      buf += d.toString();
      // One-line replies: AUTH's (+OK or an error) when there is a password, then PING's.
      if (buf.split('\r\n').length - 1 >= (password ? 2 : 1)) { resolve(/^\+PONG$/m.test(buf)); sock.destroy(); }
    });
    sock.on('error', () => resolve(false));
    sock.on('timeout', () => { resolve(false); sock.destroy(); });
  });
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = requireBinary('/usr/bin/redis-server', 'redis-server');
  const dir = await makeTempDir('redis');
  const port = await freePort();
  const { password } = options;
  const acl: string[] = [];
  if (password !== undefined) {
    if (!password || /\s/.test(password)) throw new Error('startRedis: the password must be non-empty, without spaces (ACL file syntax)');
    let aclFile = options.aclFile;
    if (!aclFile) {
      aclFile = join(dir, 'users.acl');
      // The default user keeps its permissions (logging in as it stays off): Redis 7.0 replays the
      // append-only file as that user and would drop script writes otherwise (see bootstrap/credentials.ts).
      await writeFile(aclFile, `user default off ~* &* +@all\nuser ${USER} on >${password} ~* &* +@all\n`, { mode: 0o600 });
    }
    acl.push('--aclfile', aclFile);
  }
  const launch = () => startDaemon({
    name: 'redis',
    command: bin,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', ...acl],
    dir,
    ready: () => ping(port, password),
  });
  const bareUrl = `redis://127.0.0.1:${port}`;
  const server: RedisServer = {
    url: password === undefined ? bareUrl : `redis://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    bareUrl,
    port,
    ...(password === undefined ? {} : { username: USER, password }),
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
