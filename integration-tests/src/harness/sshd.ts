// A dedicated OpenSSH sshd on free loopback ports: its own config, host key and authorized key,
// so tests log in with a key they made and can pin (or deliberately change) the host key.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, makeTempDir, requireBinary, startDaemon, type Daemon } from './daemon.ts';

const run = promisify(execFile);

export interface SshServer {
  host: string;
  port: number;
  /** Extra loopback addresses it listens on (same port), when asked for. */
  addresses: string[];
  user: string;
  /** Private key (ed25519, no passphrase) that may log in. */
  keyPath: string;
  /** Public host key line (`ssh-ed25519 AAAA...`). */
  hostPublicKey: string;
  dir: string;
  daemon: Daemon;
  stop(): Promise<void>;
  /** Replaces the host key and restarts: the "server was reinstalled" case. */
  rotateHostKey(): Promise<void>;
}

export interface SshdOptions {
  /** Login user; default: the user running the tests. */
  user?: string;
  /** Up to 15 extra 127.x addresses to listen on as well (one sshd serves at most 16). */
  extraAddresses?: string[];
  /** Folders searched first for commands in a session (a stand-in nvidia-smi), before /usr/bin:/bin. */
  path?: string[];
}

function banner(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, host);
    sock.setTimeout(1000);
    sock.on('data', (d) => { resolve(d.toString().startsWith('SSH-2.0')); sock.destroy(); });
    sock.on('error', () => resolve(false));
    sock.on('timeout', () => { resolve(false); sock.destroy(); });
  });
}

export async function startSshd(options: SshdOptions = {}): Promise<SshServer> {
  const sshd = requireBinary('/usr/sbin/sshd', 'openssh-server');
  requireBinary('/usr/bin/ssh-keygen', 'openssh-client');
  // sshd's privilege-separation dir; missing on machines where sshd never ran as a service.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => {});
  const dir = await makeTempDir('sshd');
  const port = await freePort();
  const user = options.user ?? userInfo().username;
  const hostKey = join(dir, 'host_ed25519');
  const keyPath = join(dir, 'user_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath, '-C', 'aami-test']);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${keyPath}.pub`));
  await chmod(join(dir, 'authorized_keys'), 0o600);
  const addresses = ['127.0.0.1', ...(options.extraAddresses ?? [])];
  if (addresses.length > 16) throw new Error('one sshd listens on at most 16 addresses');
  const config = [
    `Port ${port}`,
    ...addresses.map((a) => `ListenAddress ${a}`),
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `AllowUsers ${user}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    'MaxStartups 1000:30:2000',
    'MaxSessions 100',
    // Root's login shell start-up is slow on this machine; a private HOME skips its rc files.
    `SetEnv HOME=${dir}${options.path?.length ? ` PATH=${[...options.path, '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'].join(':')}` : ''}`,
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
  const configPath = join(dir, 'sshd_config');
  await writeFile(configPath, config);
  const launch = () => startDaemon({
    name: 'sshd', command: sshd, args: ['-D', '-e', '-f', configPath], dir,
    ready: () => banner(port, '127.0.0.1'),
  });
  const server: SshServer = {
    host: '127.0.0.1', port, addresses, user, keyPath, dir,
    hostPublicKey: (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' '),
    daemon: await launch(),
    stop: () => server.daemon.stop(),
    async rotateHostKey() {
      await server.daemon.stop();
      await run('rm', ['-f', hostKey, `${hostKey}.pub`]);
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
      server.hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
      server.daemon = await launch();
    },
  };
  return server;
}
