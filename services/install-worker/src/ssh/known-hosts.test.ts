import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf, hostKeyFromBlob, hostPattern, KnownHostsStore, parseKnownHosts } from './known-hosts.ts';

/** An SSH wire blob: string type + string payload. */
function blob(type: string, payload: string): Buffer {
  const t = Buffer.from(type);
  const p = Buffer.from(payload);
  const out = Buffer.alloc(8 + t.length + p.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(p.length, 4 + t.length);
  p.copy(out, 8 + t.length);
  return out;
}

test('a key is pinned on first use, matched after, and a different key is reported as changed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kh-'));
  const store = new KnownHostsStore(join(dir, 'known_hosts'));
  const a = blob('ssh-ed25519', 'key-a');
  const b = blob('ssh-ed25519', 'key-b');
  assert.deepEqual(await store.verify('10.0.0.1', 2222, a), { status: 'new' });
  assert.deepEqual(await store.verify('10.0.0.1', 2222, a), { status: 'match' });
  const changed = await store.verify('10.0.0.1', 2222, b);
  assert.equal(changed.status, 'changed');
  assert.equal(changed.status === 'changed' && changed.pinned.fingerprint, fingerprintOf(a));
  // The same address on another port is another host.
  assert.deepEqual(await store.verify('10.0.0.1', 22, b), { status: 'new' });
  const text = await readFile(store.path, 'utf8');
  assert.match(text, /^\[10\.0\.0\.1\]:2222 ssh-ed25519 /m);
  assert.match(text, /^10\.0\.0\.1 ssh-ed25519 /m);
});

test('trust replaces the pinned key and returns the old one; another process sees the change', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kh-'));
  const path = join(dir, 'known_hosts');
  const one = new KnownHostsStore(path);
  const two = new KnownHostsStore(path);
  const a = blob('ssh-ed25519', 'key-a');
  const b = blob('ssh-rsa', 'key-b');
  await one.verify('node1', 22, a);
  assert.deepEqual(await two.verify('node1', 22, a), { status: 'match' });
  const previous = await one.trust('node1', 22, b);
  assert.equal(previous?.base64, a.toString('base64'));
  // The second store instance re-reads the file it did not write.
  await new Promise((r) => setTimeout(r, 15));
  assert.deepEqual(await two.verify('node1', 22, b), { status: 'match' });
  assert.equal((await two.get('node1', 22))?.type, 'ssh-rsa');
  assert.equal(await one.forget('node1', 22), true);
  assert.deepEqual(await one.verify('node1', 22, a), { status: 'new' });
});

test('known_hosts parsing skips comments, markers and hashed entries, and reads host lists', () => {
  const k = blob('ssh-ed25519', 'x').toString('base64');
  const keys = parseKnownHosts(`# comment\n\n@revoked * ssh-rsa AAAA\n|1|abc|def ssh-ed25519 ${k}\nh1,[h2]:2200 ssh-ed25519 ${k}\n`);
  assert.deepEqual([...keys.keys()], ['h1', '[h2]:2200']);
  assert.equal(hostPattern('h', 22), 'h');
  assert.equal(hostPattern('h', 2200), '[h]:2200');
  assert.equal(hostKeyFromBlob(Buffer.from(k, 'base64')).type, 'ssh-ed25519');
  assert.match(fingerprintOf(Buffer.from('x')), /^SHA256:[A-Za-z0-9+/]+$/);
});
