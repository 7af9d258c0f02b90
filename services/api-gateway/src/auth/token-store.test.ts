import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapAdminToken, TokenStore } from './token-store.ts';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-tokens-'));
  dirs.push(dir);
  return dir;
};
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function freshStore(path: string): Promise<TokenStore> {
  const s = new TokenStore(path);
  await s.load();
  return s;
}

test('200 concurrent create + revoke pairs: the file agrees with memory after every one', async () => {
  const path = join(await tempDir(), 'tokens.json');
  const store = await freshStore(path);
  const revoked: string[] = [];
  const created: string[] = [];
  for (let i = 0; i < 200; i++) {
    const victim = await store.create(`victim-${i}`, 'viewer');
    const [made] = await Promise.all([store.create(`made-${i}`, 'viewer'), store.revoke(victim.info.id)]);
    revoked.push(victim.token);
    created.push(made.token);
    const reloaded = await freshStore(path);
    assert.deepEqual(reloaded.list(), store.list(), `trial ${i}: tokens.json differs from memory`);
    assert.equal(reloaded.verify(victim.token), undefined, `trial ${i}: the revoked token is valid again after a reload`);
    assert.ok(reloaded.verify(made.token), `trial ${i}: the created token is lost after a reload`);
  }
  const reloaded = await freshStore(path);
  for (const t of revoked) assert.equal(reloaded.verify(t), undefined);
  for (const t of created) assert.ok(reloaded.verify(t));
});

test('a failed write rejects and leaves memory and file as they were; later writes still work', async () => {
  const dir = await tempDir();
  const sub = join(dir, 'data');
  await mkdir(sub);
  const path = join(sub, 'tokens.json');
  const store = await freshStore(path);
  const kept = await store.create('kept', 'admin');
  const fileBefore = await readFile(path, 'utf8');
  const listBefore = store.list();

  // Swap the folder for a regular file, so writing tokens.json fails with ENOTDIR (root ignores modes).
  await rename(sub, `${sub}.away`);
  await writeFile(sub, 'not a folder');
  await assert.rejects(store.create('lost', 'viewer', 'aami_never-stored-0123456789'), /ENOTDIR/);
  await assert.rejects(store.revoke(kept.info.id), /ENOTDIR/);
  assert.deepEqual(store.list(), listBefore);
  assert.equal(store.verify('aami_never-stored-0123456789'), undefined);
  assert.ok(store.verify(kept.token), 'a revoke whose write failed must not take effect');
  assert.equal(store.isRevoked(kept.token), false);

  await rm(sub);
  await rename(`${sub}.away`, sub);
  assert.equal(await readFile(path, 'utf8'), fileBefore);
  const later = await store.create('later', 'viewer');
  assert.ok((await freshStore(path)).verify(later.token));
});

test('a revoked AAMI_ADMIN_TOKEN stays revoked on the next start, while another admin exists', async () => {
  const path = join(await tempDir(), 'tokens.json');
  const env = { AAMI_ADMIN_TOKEN: 'aami_env-admin-token-0123456789abcdef' };
  const first = await freshStore(path);
  assert.deepEqual(await bootstrapAdminToken(first, env), { source: 'env' });
  const other = await first.create('second admin', 'admin');
  await first.revoke(first.verify(env.AAMI_ADMIN_TOKEN)!.tokenId);

  const second = await freshStore(path);
  const boot = await bootstrapAdminToken(second, env);
  assert.equal(boot.source, 'existing');
  assert.equal(boot.warning, 'AAMI_ADMIN_TOKEN holds a token that was revoked; it stays revoked — remove it from the environment');
  assert.equal(second.verify(env.AAMI_ADMIN_TOKEN), undefined);
  assert.ok(second.verify(other.token));
  assert.equal((await freshStore(path)).verify(env.AAMI_ADMIN_TOKEN), undefined);
  // Only the hash is on disk.
  const text = await readFile(path, 'utf8');
  assert.ok(!text.includes(env.AAMI_ADMIN_TOKEN));
  assert.ok(text.includes(sha256(env.AAMI_ADMIN_TOKEN)));
});

test('a revoked AAMI_ADMIN_TOKEN_FILE token with no other admin: a fresh first-admin token is generated', async () => {
  const dir = await tempDir();
  const path = join(dir, 'tokens.json');
  const tokenFile = join(dir, 'admin-token');
  await writeFile(tokenFile, 'aami_file-admin-token-0123456789abcdef\n');
  const env = { AAMI_ADMIN_TOKEN_FILE: tokenFile };
  const first = await freshStore(path);
  assert.deepEqual(await bootstrapAdminToken(first, env), { source: 'file' });
  await first.revoke(first.verify('aami_file-admin-token-0123456789abcdef')!.tokenId);
  assert.equal(first.hasAdmin(), false);

  const second = await freshStore(path);
  const boot = await bootstrapAdminToken(second, env);
  assert.equal(boot.source, 'generated');
  assert.match(boot.warning ?? '', /admin-token \(AAMI_ADMIN_TOKEN_FILE\) holds a token that was revoked; it stays revoked/);
  assert.equal(second.verify('aami_file-admin-token-0123456789abcdef'), undefined);
  assert.equal(second.verify(boot.source === 'generated' ? boot.token : '')?.role, 'admin');
});

test('a revoked token cannot be registered again by create', async () => {
  const store = await freshStore(join(await tempDir(), 'tokens.json'));
  const { info } = await store.create('x', 'admin', 'aami_reused-token-0123456789');
  await store.revoke(info.id);
  await assert.rejects(store.create('x again', 'admin', 'aami_reused-token-0123456789'), /revoked/);
  assert.equal(store.verify('aami_reused-token-0123456789'), undefined);
});

test('a tokens.json from before the revoked list loads, and gains the list on the next write', async () => {
  const path = join(await tempDir(), 'tokens.json');
  const token = 'aami_old-format-token-0123456789';
  await writeFile(path, JSON.stringify({ tokens: [{ id: 'old-1', name: 'old admin', role: 'admin', sha256: sha256(token), created_at: '2024-01-01T00:00:00.000Z' }] }));
  const store = await freshStore(path);
  assert.deepEqual(store.verify(token), { tokenId: 'old-1', name: 'old admin', role: 'admin' });
  await store.revoke('old-1');
  const saved = JSON.parse(await readFile(path, 'utf8')) as { tokens: unknown[]; revoked: { sha256: string }[] };
  assert.deepEqual(saved.tokens, []);
  assert.deepEqual(saved.revoked.map((r) => r.sha256), [sha256(token)]);
});

test('revoking an unknown id is a not-found error and writes nothing', async () => {
  const path = join(await tempDir(), 'tokens.json');
  const store = await freshStore(path);
  await assert.rejects(store.revoke('no-such-id'), /no token with id no-such-id/);
  await assert.rejects(readFile(path), /ENOENT/);
});
