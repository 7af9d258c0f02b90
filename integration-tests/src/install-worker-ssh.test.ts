// The SSH executor against real OpenSSH sshd daemons on loopback (no Docker): commands, stdin,
// exit codes, streamed stdin, host-key pinning (after the login) and refusal, a site's own
// known_hosts lines (hashed, several keys, @revoked, comments) and strict mode, retries only for
// transient failures, the concurrency limit, connection reuse, a jump host and an encrypted key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { freePort, makeTempDir, startSshd, type SshServer } from './harness/index.ts';
import { SshExecutor, type SshTarget } from '../../services/install-worker/src/ssh/executor.ts';
import { KnownHostsStore } from '../../services/install-worker/src/ssh/known-hosts.ts';
import { SshError } from '../../services/install-worker/src/ssh/errors.ts';

const targetOf = (s: SshServer, over: Partial<SshTarget> = {}): SshTarget => ({ host: s.host, port: s.port, username: s.user, keyPath: s.keyPath, name: 'node-a', ...over });

async function executor(opts: Partial<ConstructorParameters<typeof SshExecutor>[0]> = {}) {
  const dir = await makeTempDir('exec');
  const sleeps: number[] = [];
  const ex = new SshExecutor({
    knownHosts: new KnownHostsStore(join(dir, 'known_hosts')),
    backoffMs: 20,
    sleep: async (ms) => { sleeps.push(ms); await new Promise((r) => setTimeout(r, ms)); },
    ...opts,
  });
  return { ex, sleeps, dir };
}

test('commands: output, exit codes, stdin, check=true, and a command timeout', async (t) => {
  const sshd = await startSshd();
  const { ex } = await executor();
  t.after(async () => { await ex.close(); await sshd.stop(); });
  const target = targetOf(sshd);
  const r = await ex.run(target, 'echo out; echo err >&2; exit 7');
  assert.deepEqual([r.code, r.stdout, r.stderr], [7, 'out\n', 'err\n']);
  assert.equal((await ex.run(target, 'wc -c', { stdin: Buffer.alloc(300_000, 1) })).stdout.trim(), '300000');
  await assert.rejects(ex.run(target, 'echo nope >&2; exit 3', { check: true, label: 'step' }), (e: SshError) => e.kind === 'command-failed' && !e.transient && /step exited with 3: nope/.test(e.message));
  await assert.rejects(ex.run(target, 'sleep 5', { timeoutMs: 300 }), (e: SshError) => e.kind === 'command-timeout' && !e.transient);
});

test('a streamed stdin reaches the command whole, with backpressure; a failing stream fails the command', async (t) => {
  const sshd = await startSshd();
  const { ex } = await executor();
  t.after(async () => { await ex.close(); await sshd.stop(); });
  const chunk = Buffer.alloc(1024 * 1024, 3);
  const r = await ex.run(targetOf(sshd), 'sha256sum', { stdin: Readable.from((function* () { for (let i = 0; i < 8; i++) yield chunk; })()) });
  assert.equal(r.stdout.split(' ')[0], createHash('sha256').update(Buffer.concat(Array(8).fill(chunk))).digest('hex'));
  const broken = new Readable({ read() { this.destroy(new Error('disk went away')); } });
  await assert.rejects(ex.run(targetOf(sshd), 'cat >/dev/null', { stdin: broken, label: 'upload' }), (e: SshError) => e.kind === 'command-failed' && /could not be read: disk went away/.test(e.message));
});

test('host keys: pinned on first use; a changed key is refused with the trust hint, never retried', async (t) => {
  const sshd = await startSshd();
  const { ex, sleeps, dir } = await executor({ idleMs: 0 });
  t.after(async () => { await ex.close(); await sshd.stop(); });
  await ex.run(targetOf(sshd), 'true');
  const pinned = await readFile(join(dir, 'known_hosts'), 'utf8');
  assert.ok(pinned.includes(`[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}`), pinned);
  await sshd.rotateHostKey();
  await assert.rejects(ex.run(targetOf(sshd), 'touch /tmp/should-not-run'), (e: SshError) => {
    assert.equal(e.kind, 'host-key-changed');
    assert.match(e.message, /has changed .*aami nodes trust node-a/);
    return true;
  });
  assert.deepEqual(sleeps, [], 'no retry');
  // The key the node offers now is readable without logging in; pinning it lets us in again.
  const offered = await ex.offeredHostKey(targetOf(sshd));
  assert.equal(`${offered.type} ${offered.base64}`, sshd.hostPublicKey);
  await new KnownHostsStore(join(dir, 'known_hosts')).trust(sshd.host, sshd.port, Buffer.from(offered.base64, 'base64'));
  assert.equal((await ex.run(targetOf(sshd), 'echo ok')).stdout, 'ok\n');
});

/** `SHA256:...` of a public key line, as OpenSSH's ssh-keygen prints it. */
async function opensshFingerprint(publicKeyLine: string): Promise<string> {
  const path = join(await makeTempDir('fp'), 'key.pub');
  await writeFile(path, `${publicKeyLine}\n`);
  return execFileSync('ssh-keygen', ['-lf', path], { encoding: 'utf8' }).split(' ')[1] ?? '';
}

/** A fresh public key line of `type` that no server holds. */
async function strayKey(type: 'ed25519' | 'ecdsa'): Promise<string> {
  const path = join(await makeTempDir('stray'), 'k');
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
}

test('host keys: a pre-seeded hashed entry (ssh-keygen -H) is honoured and kept; a comment and an @cert-authority line survive a pin', async (t) => {
  const sshd = await startSshd();
  const other = await startSshd();
  const { ex, dir } = await executor({ idleMs: 0 });
  t.after(async () => { await ex.close(); await sshd.stop(); await other.stop(); });
  const file = join(dir, 'known_hosts');
  await writeFile(file, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
  const hashed = (await readFile(file, 'utf8')).trim();
  assert.match(hashed, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /, 'ssh-keygen hashed the entry');
  const seeded = `# pinned by the site's config management\n@cert-authority *.gpu.example ${await strayKey('ed25519')} site-ca\n${hashed}\n`;
  await writeFile(file, seeded);

  // The hashed entry is the node's key: accepted, and nothing is written.
  assert.equal(await ex.withSession(targetOf(sshd), async (s) => s.pinnedHostKey), undefined);
  assert.equal(await readFile(file, 'utf8'), seeded);
  // A new host is pinned below the lines that were there, which stay as they were.
  const pinned = await ex.withSession(targetOf(other), async (s) => s.pinnedHostKey);
  assert.equal(pinned?.fingerprint, await opensshFingerprint(other.hostPublicKey));
  assert.equal(await readFile(file, 'utf8'), `${seeded}[127.0.0.1]:${other.port} ${other.hostPublicKey}\n`);
  // OpenSSH still reads both entries from the file.
  assert.match(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', file], { encoding: 'utf8' }), /ssh-ed25519/);
  assert.match(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${other.port}`, '-f', file], { encoding: 'utf8' }), /ssh-ed25519/);
  // The hashed entry is enforced: a new host key is refused.
  await sshd.rotateHostKey();
  await assert.rejects(ex.run(targetOf(sshd), 'true'), (e: SshError) => e.kind === 'host-key-changed');
});

test('host keys: two keys for one host (either matches); a key of another type only, or a revoked key, is refused', async (t) => {
  const sshd = await startSshd();
  const { ex, dir } = await executor({ idleMs: 0 });
  t.after(async () => { await ex.close(); await sshd.stop(); });
  const file = join(dir, 'known_hosts');
  const host = `[127.0.0.1]:${sshd.port}`;
  const two = `${host} ${sshd.hostPublicKey}\n${host} ${await strayKey('ed25519')}\n`;
  await writeFile(file, two);
  assert.equal((await ex.run(targetOf(sshd), 'echo ok')).stdout, 'ok\n');
  assert.equal(await readFile(file, 'utf8'), two);

  // Only an ECDSA key on file, and the node offers ed25519: changed, not new.
  await writeFile(file, `${host} ${await strayKey('ecdsa')}\n`);
  await assert.rejects(ex.run(targetOf(sshd), 'touch /tmp/should-not-run'), (e: SshError) => e.kind === 'host-key-changed' && /aami nodes trust node-a/.test(e.message));

  await writeFile(file, `${host} ${sshd.hostPublicKey}\n@revoked * ${sshd.hostPublicKey}\n`);
  await assert.rejects(ex.run(targetOf(sshd), 'true'), (e: SshError) => e.kind === 'host-key-revoked' && /@revoked/.test(e.message));
});

test('host keys: strict refuses the first contact, naming the fingerprint and how to pin it; the pinned key is then accepted', async (t) => {
  const sshd = await startSshd();
  const { ex, dir } = await executor({ idleMs: 0, hostKeys: 'strict' });
  t.after(async () => { await ex.close(); await sshd.stop(); });
  const fingerprint = await opensshFingerprint(sshd.hostPublicKey);
  await assert.rejects(ex.run(targetOf(sshd), 'touch /tmp/should-not-run'), (e: SshError) => {
    assert.equal(e.kind, 'host-key-unknown');
    assert.match(e.message, /node node-a \(127\.0\.0\.1:\d+\) has no pinned host key/);
    assert.ok(e.message.includes(`aami nodes trust node-a --fingerprint ${fingerprint}`), e.message);
    return true;
  });
  await assert.rejects(readFile(join(dir, 'known_hosts')), { code: 'ENOENT' }, 'nothing was pinned');
  const offered = await ex.offeredHostKey(targetOf(sshd));
  assert.equal(offered.fingerprint, fingerprint);
  await new KnownHostsStore(join(dir, 'known_hosts')).trust(sshd.host, sshd.port, Buffer.from(offered.base64, 'base64'));
  assert.equal((await ex.run(targetOf(sshd), 'echo ok')).stdout, 'ok\n');
});

test('host keys: pinned only after the login; a wrong private key on first contact leaves known_hosts without the host', async (t) => {
  const sshd = await startSshd();
  const { ex, dir } = await executor({ idleMs: 0 });
  t.after(async () => { await ex.close(); await sshd.stop(); });
  const file = join(dir, 'known_hosts');
  await writeFile(file, '# kept\n');
  const wrongKey = join(dir, 'wrong_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
  await assert.rejects(ex.run(targetOf(sshd, { keyPath: wrongKey }), 'true'), (e: SshError) => e.kind === 'auth');
  assert.equal(await readFile(file, 'utf8'), '# kept\n');
  const pinned = await ex.withSession(targetOf(sshd), async (s) => s.pinnedHostKey);
  assert.equal(pinned?.fingerprint, await opensshFingerprint(sshd.hostPublicKey));
  assert.equal(await readFile(file, 'utf8'), `# kept\n[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
});

test('retries: a refused port is retried with backoff, a refused key and an unreadable key are not', async (t) => {
  const sshd = await startSshd();
  const { ex, sleeps, dir } = await executor({ retries: 2 });
  t.after(async () => { await ex.close(); await sshd.stop(); });
  const closed = await freePort();
  await assert.rejects(ex.run(targetOf(sshd, { port: closed }), 'true'), (e: SshError) => e.kind === 'unreachable' && e.transient);
  assert.equal(sleeps.length, 2, 'two retries after the first attempt');
  assert.ok((sleeps[1] ?? 0) >= 20, `backoff grows: ${sleeps.join(',')}`);
  sleeps.length = 0;
  const otherKey = join(dir, 'other_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
  await assert.rejects(ex.run(targetOf(sshd, { keyPath: otherKey }), 'true'), (e: SshError) => e.kind === 'auth' && !e.transient);
  await assert.rejects(ex.run(targetOf(sshd, { keyPath: join(dir, 'missing') }), 'true'), (e: SshError) => e.kind === 'key');
  assert.deepEqual(sleeps, []);
});

test('a server that accepts TCP but never speaks SSH is a connect timeout (transient)', async (t) => {
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const port = (silent.address() as { port: number }).port;
  const { ex, sleeps } = await executor({ connectTimeoutMs: 300, retries: 1 });
  t.after(async () => { await ex.close(); silent.close(); });
  await assert.rejects(ex.run({ host: '127.0.0.1', port, username: 'x', keyPath: (await startKeyOnly()).path }, 'true'), (e: SshError) => e.kind === 'timeout' && e.transient);
  assert.equal(sleeps.length, 1);
});

async function startKeyOnly() {
  const dir = await makeTempDir('key');
  const path = join(dir, 'k');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  return { path };
}

test('concurrency: never more sessions than the limit; one node\'s steps share one connection', async (t) => {
  const extra = Array.from({ length: 15 }, (_, i) => `127.0.0.${i + 2}`);
  const sshd = await startSshd({ extraAddresses: extra });
  const { ex } = await executor({ concurrency: 4 });
  t.after(async () => { await ex.close(); await sshd.stop(); });
  const hosts = ['127.0.0.1', ...extra];
  const results = await Promise.all(hosts.map((host) => ex.run(targetOf(sshd, { host }), 'sleep 0.2; echo $SSH_CONNECTION')));
  assert.equal(results.length, 16);
  assert.ok(results.every((r) => r.code === 0));
  assert.equal(ex.stats().peakActive, 4);
  assert.ok(ex.stats().open <= 4, `open connections stay within the limit: ${ex.stats().open}`);
  // Two commands in one session: same client port, so the same TCP connection.
  const ports = await ex.withSession(targetOf(sshd), async (s) => [
    (await s.exec('echo $SSH_CONNECTION')).stdout.split(' ')[1],
    (await s.exec('echo $SSH_CONNECTION')).stdout.split(' ')[1],
  ]);
  assert.equal(ports[0], ports[1]);
});

test('a jump host carries connections to targets it can reach', async (t) => {
  const jump = await startSshd();
  const inner = await startSshd();
  // One key for both hops, as with a shared ssh.key.
  await appendFile(join(inner.dir, 'authorized_keys'), await readFile(`${jump.keyPath}.pub`));
  const { ex } = await executor({ jumpHost: { host: jump.host, port: jump.port, username: jump.user, keyPath: jump.keyPath } });
  t.after(async () => { await ex.close(); await jump.stop(); await inner.stop(); });
  const r = await ex.run(targetOf(inner, { keyPath: jump.keyPath }), 'echo via-jump $SSH_CONNECTION');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^via-jump 127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+/);
  // Through the jump host, an unreachable target is still "unreachable".
  await assert.rejects(ex.run(targetOf(inner, { keyPath: jump.keyPath, port: await freePort() }), 'true'), (e: SshError) => e.kind === 'unreachable');
});

test('an encrypted key works with its passphrase and is a "key" error without', async (t) => {
  const sshd = await startSshd();
  const dir = await makeTempDir('enc');
  const key = join(dir, 'enc_rsa');
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', 'sesame', '-f', key]);
  await appendFile(join(sshd.dir, 'authorized_keys'), await readFile(`${key}.pub`));
  const { ex } = await executor({ passphrase: 'sesame' });
  const { ex: without } = await executor();
  t.after(async () => { await ex.close(); await without.close(); await sshd.stop(); });
  assert.equal((await ex.run(targetOf(sshd, { keyPath: key }), 'echo rsa')).stdout, 'rsa\n');
  await assert.rejects(without.run(targetOf(sshd, { keyPath: key }), 'true'), (e: SshError) => e.kind === 'key' && /AAMI_SSH_KEY_PASSPHRASE/.test(e.message));
});
