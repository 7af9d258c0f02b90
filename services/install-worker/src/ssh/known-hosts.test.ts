import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf, globMatch, hashedHostField, hostKeyFromBlob, hostPattern, KnownHostsStore, parseKnownHosts, RevokedHostKeyError } from './known-hosts.ts';

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

const line = (hosts: string, b: Buffer, comment = '') => `${hosts} ${hostKeyFromBlob(b).type} ${b.toString('base64')}${comment ? ` ${comment}` : ''}`;
const a = blob('ssh-ed25519', 'key-a');
const b = blob('ssh-ed25519', 'key-b');
const r = blob('ssh-rsa', 'key-r');
const e = blob('ecdsa-sha2-nistp256', 'key-e');

async function storeWith(text?: string) {
  const dir = await mkdtemp(join(tmpdir(), 'kh-'));
  const path = join(dir, 'known_hosts');
  if (text !== undefined) await writeFile(path, text);
  return new KnownHostsStore(path);
}

test('a key is pinned only by pin(), matched after, and a different key is reported as changed', async () => {
  const store = await storeWith();
  assert.deepEqual(await store.check('10.0.0.1', 2222, a), { status: 'new' });
  await assert.rejects(readFile(store.path), { code: 'ENOENT' }, 'check() writes nothing');
  assert.deepEqual(await store.pin('10.0.0.1', 2222, a), { status: 'pinned', key: hostKeyFromBlob(a) });
  assert.equal((await store.check('10.0.0.1', 2222, a)).status, 'match');
  const changed = await store.check('10.0.0.1', 2222, b);
  assert.equal(changed.status === 'changed' && changed.pinned.fingerprint, fingerprintOf(a));
  // Pinning again answers with what the file says, and writes nothing.
  const before = await readFile(store.path, 'utf8');
  assert.equal((await store.pin('10.0.0.1', 2222, b)).status, 'changed');
  assert.equal((await store.pin('10.0.0.1', 2222, a)).status, 'match');
  assert.equal(await readFile(store.path, 'utf8'), before);
  // The same address on another port is another host.
  assert.equal((await store.pin('10.0.0.1', 22, b)).status, 'pinned');
  const text = await readFile(store.path, 'utf8');
  assert.match(text, /^\[10\.0\.0\.1\]:2222 ssh-ed25519 /m);
  assert.match(text, /^10\.0\.0\.1 ssh-ed25519 /m);
});

test('two pins of one new host at once agree: the first key wins, the other is changed', async () => {
  const store = await storeWith();
  const [one, two] = await Promise.all([store.pin('n1', 22, a), store.pin('n1', 22, b)]);
  assert.deepEqual([one.status, two.status], ['pinned', 'changed']);
  assert.deepEqual(await store.keys('n1', 22), [hostKeyFromBlob(a)]);
});

test('trust replaces the keys of the host and returns them; another store instance sees the change; forget', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kh-'));
  const path = join(dir, 'known_hosts');
  const one = new KnownHostsStore(path);
  const two = new KnownHostsStore(path);
  await one.pin('node1', 22, a);
  assert.equal((await two.check('node1', 22, a)).status, 'match');
  assert.deepEqual(await one.trust('node1', 22, r), [hostKeyFromBlob(a)]);
  await new Promise((res) => setTimeout(res, 15));
  assert.equal((await two.check('node1', 22, r)).status, 'match');
  assert.equal((await two.check('node1', 22, a)).status, 'changed', 'the old key no longer applies');
  assert.equal((await two.get('node1', 22))?.type, 'ssh-rsa');
  assert.equal(await one.forget('node1', 22), true);
  assert.equal(await one.forget('node1', 22), false);
  assert.deepEqual(await one.check('node1', 22, a), { status: 'new' });
});

test('lines the store does not own stay verbatim and in place when it pins, trusts and forgets', async () => {
  const other = hashedHostField('other-host', Buffer.alloc(20, 7));
  const original = [
    '# site-wide known hosts, managed by config management',
    '',
    `@cert-authority *.gpu.example ${line('', a).trim()} ca@site`,
    `${line('node1,node1.gpu.example', a)}\r`,
    'this line is not a known_hosts entry',
    `${other} ${line('', b).trim()}`,
    'node9 ssh-rsa  AAAA-not-base64',
    `  ${line('node2', e, 'pre-seeded by ssh-keyscan')}`,
  ];
  const store = await storeWith(`${original.join('\n')}\n`);
  assert.equal((await store.pin('node3', 22, b)).status, 'pinned');
  assert.equal(await readFile(store.path, 'utf8'), `${original.join('\n')}\n${line('node3', b)}\n`);

  // trust takes node1 out of its line (node1.gpu.example keeps it) and appends the new entry.
  await store.trust('node1', 22, r);
  const afterTrust = (await readFile(store.path, 'utf8')).split('\n');
  assert.deepEqual(afterTrust, [...original.slice(0, 3), `${line('node1.gpu.example', a)}\r`, ...original.slice(4), line('node3', b), line('node1', r), '']);
  assert.equal((await store.check('node1.gpu.example', 22, a)).status, 'match');
  assert.equal((await store.check('other-host', 22, b)).status, 'match', 'the hashed entry of another host still applies');

  await store.forget('node2', 22);
  assert.deepEqual((await readFile(store.path, 'utf8')).split('\n'), afterTrust.filter((l) => !l.includes('node2')));
});

test('a new file starts with a comment; a file\'s mode is kept when it is rewritten', async () => {
  const fresh = await storeWith();
  await fresh.pin('h', 22, a);
  assert.match(await readFile(fresh.path, 'utf8'), /^# Host keys of AAMI nodes.*\nh ssh-ed25519 /);
  const kept = await storeWith(`${line('x', a)}\n`);
  await chmod(kept.path, 0o600);
  await kept.pin('h', 22, a);
  assert.equal((await stat(kept.path)).mode & 0o777, 0o600);
});

test('hashed entries (ssh-keygen -H) are honoured, for port 22 and for [host]:port, in any letter case', async () => {
  const salt = Buffer.from('0123456789abcdefghij');
  // HMAC-SHA1 keyed with the salt over the host field, as OpenSSH computes it.
  const mac = (s: string) => createHmac('sha1', salt).update(s).digest('base64');
  assert.equal(hashedHostField('10.0.0.5', salt), `|1|${salt.toString('base64')}|${mac('10.0.0.5')}`);
  const store = await storeWith([
    line(hashedHostField('10.0.0.5', salt), a),
    line(hashedHostField('[gpu-07]:2222', salt), e),
    '',
  ].join('\n'));
  assert.equal((await store.check('10.0.0.5', 22, a)).status, 'match');
  assert.equal((await store.check('10.0.0.5', 22, b)).status, 'changed');
  assert.equal((await store.check('10.0.0.5', 2222, a)).status, 'new');
  assert.equal((await store.check('GPU-07', 2222, e)).status, 'match');
  // trust drops the hashed entry that named the host, so its old key stops applying.
  assert.deepEqual(await store.trust('10.0.0.5', 22, b), [hostKeyFromBlob(a)]);
  assert.equal((await store.check('10.0.0.5', 22, a)).status, 'changed');
  assert.equal((await store.check('gpu-07', 2222, e)).status, 'match', 'the other hashed entry stays');
});

test('a host may have several keys: any one matches; another key, or one of another type, is changed', async () => {
  const store = await storeWith(`${line('n1', a)}\n${line('n1', r)}\n${line('n2', r)}\n`);
  assert.equal((await store.check('n1', 22, a)).status, 'match');
  assert.equal((await store.check('n1', 22, r)).status, 'match');
  const sameType = await store.check('n1', 22, b);
  assert.equal(sameType.status === 'changed' && sameType.pinned.fingerprint, fingerprintOf(a), 'the pinned key of the offered type is named');
  assert.equal((await store.check('n2', 22, a)).status, 'changed', 'an ed25519 key where only RSA is pinned is not a new key');
  assert.deepEqual(await store.keyTypes('n1', 22), ['ssh-ed25519', 'ssh-rsa']);
  // The same key on two lines counts once.
  await writeFile(store.path, `${line('n1', a)}\n${line('n1,n3', a)}\n`);
  assert.deepEqual(await store.keys('n1', 22), [hostKeyFromBlob(a)]);
});

test('@revoked keys are refused, pinned or not, and cannot be trusted', async () => {
  const store = await storeWith(`${line('n1', a)}\n@revoked * ${line('', a).trim()}\n@revoked n2 ${line('', b).trim()}\n`);
  assert.equal((await store.check('n1', 22, a)).status, 'revoked');
  assert.equal((await store.check('n2', 22, b)).status, 'revoked');
  assert.equal((await store.check('n3', 22, b)).status, 'new', 'a revocation applies to the hosts its line names');
  assert.equal((await store.pin('n4', 22, a)).status, 'revoked');
  await assert.rejects(store.trust('n1', 22, a), RevokedHostKeyError);
  assert.match(await readFile(store.path, 'utf8'), /^@revoked \* /m, 'revocations are never removed');
});

test('wildcard and negated patterns match as in OpenSSH; an exact entry wins over a wildcard one', async () => {
  const store = await storeWith(`${line('*.gpu.example,!bad.gpu.example,10.1.?.*', a)}\n${line('[10.2.0.*]:2222', e)}\n`);
  assert.equal((await store.check('node1.gpu.example', 22, a)).status, 'match');
  assert.equal((await store.check('bad.gpu.example', 22, a)).status, 'new', 'negated');
  assert.equal((await store.check('10.1.5.77', 22, a)).status, 'match');
  assert.equal((await store.check('10.1.55.7', 22, a)).status, 'new');
  assert.equal((await store.check('10.2.0.9', 2222, e)).status, 'match');
  assert.equal((await store.check('10.2.0.9', 22, e)).status, 'new');
  assert.equal((await store.check('node1.gpu.example', 22, b)).status, 'changed');
  // trust of a host covered by a wildcard adds an exact entry, which then applies alone.
  assert.deepEqual(await store.trust('node1.gpu.example', 22, b), []);
  assert.equal((await store.check('node1.gpu.example', 22, b)).status, 'match');
  assert.equal((await store.check('node1.gpu.example', 22, a)).status, 'changed');
  assert.equal((await store.check('node2.gpu.example', 22, a)).status, 'match', 'the wildcard line stays for the others');
  assert.equal((await readFile(store.path, 'utf8')).split('\n')[0], line('*.gpu.example,!bad.gpu.example,10.1.?.*', a));
});

test('the glob matcher: * and ?, and no blow-up on patterns made to backtrack', () => {
  assert.equal(globMatch('node1.gpu', '*.gpu'), true);
  assert.equal(globMatch('node1.gpu', 'node?.gpu'), true);
  assert.equal(globMatch('node10.gpu', 'node?.gpu'), false);
  assert.equal(globMatch('abc', 'a*b*c*'), true);
  assert.equal(globMatch('abc', 'a*d'), false);
  assert.equal(globMatch('', '*'), true);
  assert.equal(globMatch('x', ''), false);
  const started = Date.now();
  assert.equal(globMatch('a'.repeat(255), `${'a*'.repeat(500)}b`), false);
  assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
});

test('known_hosts parsing reads plain, hashed and revoked entries and keeps everything else as text', () => {
  const k = blob('ssh-ed25519', 'x').toString('base64');
  const lines = parseKnownHosts(`# comment\n\n@revoked * ssh-ed25519 ${k}\n@cert-authority * ssh-ed25519 ${k}\n|1|abc|def ssh-ed25519 ${k}\n${hashedHostField('h3', Buffer.alloc(20))} ssh-ed25519 ${k}\nh1,[h2]:2200 ssh-ed25519 ${k}\nh4 ssh-rsa ${k}\n`);
  assert.deepEqual(lines.map((l) => (l.kind === 'key' ? (l.revoked ? 'revoked' : 'hashed' in l.hosts ? 'hashed' : l.hosts.patterns.join(',')) : 'other')),
    ['other', 'other', 'revoked', 'other', 'other', 'hashed', 'h1,[h2]:2200', 'other']);
  assert.equal(hostPattern('h', 22), 'h');
  assert.equal(hostPattern('H', 2200), '[h]:2200');
  assert.equal(hostKeyFromBlob(Buffer.from(k, 'base64')).type, 'ssh-ed25519');
  assert.match(fingerprintOf(Buffer.from('x')), /^SHA256:[A-Za-z0-9+/]+$/);
});
