// In-process SSH servers on loopback for tests: a "node" that answers every `exec` with `stdout`
// and exit 0, and that forwards `tcpip` channels (so the same server serves as a jump host).
// They count logins and forwards, so a test sees which way a connection went.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';

/**
 * An ed25519 key pair that ssh2 can read back. ssh2 1.17's generator strips leading zero bytes of
 * the public key, so about 1 pair in 256 is unreadable ("Malformed OpenSSH private key";
 * mscdex/ssh2#1513): such a pair is made again. Tests only: AAMI never generates keys with ssh2.
 */
export function ed25519Pair(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
}

const hostKey = ed25519Pair().private;

/** A client key file any of these servers accepts. */
export async function clientKey(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aami-ssh-key-'));
  const path = join(dir, 'id_ed25519');
  await writeFile(path, ed25519Pair().private, { mode: 0o600 });
  return path;
}

/** Listens on a free loopback port. */
export async function listen<S extends NetServer | ssh2.Server>(server: S): Promise<{ server: S; port: number }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

/** An SSH server that accepts any key; `seen` counts its logins and forwarded channels. */
export function sshServer(seen: { forwards: number; logins: number }, stdout = 'ok\n') {
  return new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => {
      seen.logins++;
      client.on('session', (accept) => accept().on('exec', (acceptExec) => {
        const stream = acceptExec();
        stream.on('error', () => {});
        stream.write(stdout);
        stream.exit(0);
        stream.end();
      }));
      client.on('tcpip', (accept, reject, info) => {
        seen.forwards++;
        const sock = connect(info.destPort, info.destIP, () => {
          const ch = accept();
          ch.pipe(sock).pipe(ch);
        });
        sock.on('error', () => reject());
      });
    });
    client.on('error', () => {});
  });
}
