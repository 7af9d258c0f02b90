// The executor against in-process ssh2 servers on loopback (a node and jump hosts forwarding to
// it), with settings from config that the tests edit after the executor was made; host keys:
// pinned only after the login, strict refusal of unknown hosts, the type on file asked for first,
// and two first contacts at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { AamiConfig } from '@aami/shared';
import { NodeDirectory } from '../targets.ts';
import { SshError } from './errors.ts';
import { SshExecutor } from './executor.ts';
import { fingerprintOf, hostKeyFromBlob, KnownHostsStore } from './known-hosts.ts';
import { clientKey, ed25519Pair, listen, sshServer } from './testdata/ssh-server.ts';

const keyPath = await clientKey();
const trustAll = { check: async (_h: string, _p: number, blob: Buffer) => ({ status: 'match' as const, key: hostKeyFromBlob(blob) }), pin: async (_h: string, _p: number, blob: Buffer) => ({ status: 'pinned' as const, key: hostKeyFromBlob(blob) }) };

/** A config store whose file the test rewrites; NodeDirectory re-reads it at every call (max age 0). */
function liveConfig(ssh: Record<string, unknown>, nodePort: number) {
  let current = AamiConfig.parse({ ssh: { key: keyPath, ...ssh }, nodes: [{ name: 'n1', ip: '127.0.0.1', ssh_port: nodePort }] });
  const nodes = new NodeDirectory({ read: async () => ({ config: current, revision: 1 }) }, 0, {});
  const edit = (next: Record<string, unknown>) => {
    current = AamiConfig.parse({ ...current, ssh: { ...current.ssh, ...next } });
  };
  return { nodes, edit };
}

test('a jump host set in config after the executor started is used by the next connection, never an old pooled one', async (t) => {
  const node = { forwards: 0, logins: 0 };
  const jumpA = { forwards: 0, logins: 0 };
  const jumpB = { forwards: 0, logins: 0 };
  const servers = await Promise.all([sshServer(node), sshServer(jumpA), sshServer(jumpB)].map(listen));
  t.after(() => { for (const s of servers) s.server.close(); });
  const [nodeSrv, a, b] = servers.map((s) => s.port) as [number, number, number];

  const { nodes, edit } = liveConfig({ jump_host: `jump@127.0.0.1:${a}` }, nodeSrv);
  const ex = new SshExecutor({ knownHosts: trustAll, retries: 0, idleMs: 60_000, settings: () => nodes.ssh() });
  t.after(() => ex.close());
  const target = (await nodes.get('n1'))!;

  assert.equal((await ex.run(target, 'true')).stdout, 'ok\n');
  assert.deepEqual([jumpA.forwards, jumpB.forwards], [1, 0], 'first connection through jump host A');

  edit({ jump_host: `jump@127.0.0.1:${b}` });
  assert.equal((await ex.run(target, 'true')).stdout, 'ok\n');
  assert.deepEqual([jumpA.forwards, jumpB.forwards], [1, 1], 'after the edit: through B, not the connection pooled via A');

  edit({ jump_host: undefined });
  const logins = node.logins;
  await ex.run(target, 'true');
  assert.deepEqual([jumpA.forwards, jumpB.forwards, node.logins], [1, 1, logins + 1], 'jump host removed: a new, direct login');
});

test('a connect timeout lowered in config applies to the next connection', async (t) => {
  // Accepts TCP and never speaks SSH, so only the connect timeout ends the attempt.
  const silent = await listen(createServer(() => {}));
  t.after(() => silent.server.close());
  const { nodes, edit } = liveConfig({ connect_timeout_s: 60 }, silent.port);
  const ex = new SshExecutor({ knownHosts: trustAll, retries: 0, settings: () => nodes.ssh() });
  t.after(() => ex.close());
  const target = (await nodes.get('n1'))!;

  edit({ connect_timeout_s: 0.3 });
  const started = Date.now();
  await assert.rejects(ex.run(target, 'true'), (e: SshError) => e.kind === 'timeout');
  assert.ok(Date.now() - started < 5000, `gave up after ${Date.now() - started} ms, not the 60 s of start`);
});

test('without a settings source the options given apply (the integration tests use this)', async (t) => {
  const silent = await listen(createServer(() => {}));
  t.after(() => silent.server.close());
  const ex = new SshExecutor({ knownHosts: trustAll, retries: 0, connectTimeoutMs: 300 });
  t.after(() => ex.close());
  await assert.rejects(ex.run({ host: '127.0.0.1', port: silent.port, username: 'u', keyPath }, 'true'), (e: SshError) => e.kind === 'timeout');
});

/** A key pair as an ssh2 server wants it, with the public blob a client sees. */
function hostKeyPair(type: 'ed25519' | 'ecdsa') {
  const pair = type === 'ecdsa' ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }) : ed25519Pair();
  const parsed = ssh2.utils.parseKey(pair.private);
  if (parsed instanceof Error) throw parsed;
  const blob = parsed.getPublicSSH();
  return { private: pair.private, blob, fingerprint: fingerprintOf(blob), line: (host: string) => `${host} ${parsed.type} ${blob.toString('base64')}` };
}

/** A node with these host keys; `auth.accept` says whether it lets us in. */
function keyedNode(hostKeys: string[], auth = { accept: true }) {
  const seen = { logins: 0, authAttempts: 0 };
  const server = new ssh2.Server({ hostKeys }, (client) => {
    client.on('authentication', (ctx) => {
      seen.authAttempts++;
      if (auth.accept) ctx.accept();
      else ctx.reject();
    });
    client.on('ready', () => {
      seen.logins++;
      client.on('session', (accept) => accept().on('exec', (acceptExec) => {
        const stream = acceptExec();
        stream.write('ok\n');
        stream.exit(0);
        stream.end();
      }));
    });
    client.on('error', () => {});
  });
  return { server, seen };
}

async function tempKnownHosts(text?: string) {
  const path = join(await mkdtemp(join(tmpdir(), 'aami-kh-')), 'known_hosts');
  if (text !== undefined) await writeFile(path, text);
  return new KnownHostsStore(path);
}

test('a first contact pins the key only after the login succeeded, and only the session that pinned it says so', async (t) => {
  const key = hostKeyPair('ed25519');
  const auth = { accept: false };
  const { server, seen } = keyedNode([key.private], auth);
  const { port } = await listen(server);
  t.after(() => server.close());
  const store = await tempKnownHosts();
  const pins: Array<{ logins: number }> = [];
  const pinned: string[] = [];
  const knownHosts = {
    check: (...a: [string, number, Buffer]) => store.check(...a),
    pin: (...a: [string, number, Buffer]) => { pins.push({ logins: seen.logins }); return store.pin(...a); },
  };
  const ex = new SshExecutor({ knownHosts, retries: 0, idleMs: 60_000, onHostKeyPinned: (target, k) => pinned.push(`${target.name} ${k.fingerprint}`) });
  t.after(() => ex.close());
  const target = { host: '127.0.0.1', port, username: 'u', keyPath, name: 'n1' };

  // The node offers its key but refuses our login: nothing is pinned.
  await assert.rejects(ex.run(target, 'true'), (e: SshError) => e.kind === 'auth');
  assert.ok(seen.authAttempts > 0);
  assert.deepEqual(pins, []);
  await assert.rejects(readFile(store.path), { code: 'ENOENT' });

  auth.accept = true;
  const first = await ex.withSession(target, async (s) => ({ out: (await s.exec('true')).stdout, pinned: s.pinnedHostKey }));
  assert.deepEqual([first.out, first.pinned?.fingerprint], ['ok\n', key.fingerprint]);
  assert.deepEqual(pins, [{ logins: 1 }], 'pinned once, after the node let us in');
  assert.deepEqual(pinned, [`n1 ${key.fingerprint}`]);
  assert.equal((await store.check('127.0.0.1', port, key.blob)).status, 'match');
  // The pooled connection is reused, and a new login finds the key on file: neither pinned anything.
  assert.equal(await ex.withSession(target, async (s) => s.pinnedHostKey), undefined);
  assert.equal(await ex.withSession(target, async (s) => s.pinnedHostKey, { fresh: true }), undefined);
  assert.deepEqual(pins.length, 1);
});

test('ssh.host_keys strict refuses the first contact before logging in, and names the fingerprint and the trust command; the policy is read per connection', async (t) => {
  const key = hostKeyPair('ed25519');
  const { server, seen } = keyedNode([key.private]);
  const { port } = await listen(server);
  t.after(() => server.close());
  const store = await tempKnownHosts();
  const { nodes, edit } = liveConfig({ host_keys: 'strict' }, port);
  const ex = new SshExecutor({ knownHosts: store, retries: 0, idleMs: 0, settings: () => nodes.ssh() });
  t.after(() => ex.close());
  const target = (await nodes.get('n1'))!;

  await assert.rejects(ex.run(target, 'true'), (e: SshError) => {
    assert.equal(e.kind, 'host-key-unknown');
    assert.equal(e.transient, false);
    assert.match(e.message, /node n1 \(127\.0\.0\.1:\d+\) has no pinned host key/);
    assert.ok(e.message.includes(`aami nodes trust n1 --fingerprint ${key.fingerprint}`), e.message);
    return true;
  });
  assert.equal(seen.authAttempts, 0, 'our key was never offered to the unknown node');
  await assert.rejects(readFile(store.path), { code: 'ENOENT' });

  edit({ host_keys: 'tofu' });
  assert.equal(await ex.withSession(target, async (s) => s.pinnedHostKey?.fingerprint), key.fingerprint);
  edit({ host_keys: 'strict' });
  assert.equal((await ex.run(target, 'true')).stdout, 'ok\n', 'strict accepts a key on file');
});

test('a node with several host keys is asked for the type on file, so a pre-seeded ECDSA or ed25519 key matches', async (t) => {
  const ed = hostKeyPair('ed25519');
  const ec = hostKeyPair('ecdsa');
  const { server } = keyedNode([ed.private, ec.private]);
  const { port } = await listen(server);
  t.after(() => server.close());
  for (const pinned of [ec, ed]) {
    const text = `${pinned.line(`[127.0.0.1]:${port}`)}\n`;
    const store = await tempKnownHosts(text);
    const ex = new SshExecutor({ knownHosts: store, retries: 0, idleMs: 0, hostKeys: 'strict' });
    assert.equal(await ex.withSession({ host: '127.0.0.1', port, username: 'u', keyPath }, async (s) => s.pinnedHostKey), undefined);
    assert.equal((await ex.offeredHostKey({ host: '127.0.0.1', port })).fingerprint, pinned.fingerprint, 'the key read for `aami nodes trust` is the one a login checks');
    await ex.close();
    assert.equal(await readFile(store.path, 'utf8'), text);
  }
});

test('two first contacts at once that meet different keys: one pins, the other is refused as changed', async (t) => {
  const keyA = hostKeyPair('ed25519');
  const keyB = hostKeyPair('ed25519');
  const nodeA = await listen(keyedNode([keyA.private]).server);
  const nodeB = await listen(keyedNode([keyB.private]).server);
  // One address that leads to A, then to B (a spoofed node answering in the node's place).
  let n = 0;
  const proxy = await listen(createServer((sock) => {
    const up = connect(n++ % 2 === 0 ? nodeA.port : nodeB.port, '127.0.0.1');
    sock.pipe(up).pipe(sock);
    up.on('error', () => sock.destroy());
    sock.on('error', () => up.destroy());
  }));
  t.after(() => { proxy.server.close(); nodeA.server.close(); nodeB.server.close(); });
  const store = await tempKnownHosts();
  // Both connections see "new" before either pins.
  let arrived = 0;
  let release = () => {};
  const both = new Promise<void>((r) => { release = r; });
  const knownHosts = {
    check: async (...a: [string, number, Buffer]) => {
      const c = await store.check(...a);
      if (++arrived === 2) release();
      await both;
      return c;
    },
    pin: (...a: [string, number, Buffer]) => store.pin(...a),
  };
  const ex = new SshExecutor({ knownHosts, retries: 0, idleMs: 0 });
  t.after(() => ex.close());
  const target = { host: '127.0.0.1', port: proxy.port, username: 'u', keyPath, name: 'n1' };
  const results = await Promise.allSettled([ex.run(target, 'true', { fresh: true }), ex.run(target, 'true', { fresh: true })]);
  const ok = results.filter((r) => r.status === 'fulfilled');
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as SshError] : []));
  assert.equal(ok.length, 1);
  assert.equal(refused[0]?.kind, 'host-key-changed');
  const onFile = await store.keys('127.0.0.1', proxy.port);
  assert.equal(onFile.length, 1);
  assert.ok(refused[0]?.message.includes(`pinned ${onFile[0]?.fingerprint}`), refused[0]?.message);
});
