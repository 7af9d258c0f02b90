import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStore, compareVersions, normalizeArch, sha256Of } from './store.ts';
import { fetchUpstream, importReleaseArchive } from './upstream.ts';

const tmp = () => mkdtemp(join(tmpdir(), 'artifacts-'));

test('put/get/latest/read: versions compare numerically and each read is checked against its sha256', async () => {
  const store = new ArtifactStore(await tmp());
  await store.put({ name: 'node_exporter', version: '1.9.1', arch: 'amd64', source: 't' }, Buffer.from('old'));
  const m = await store.put({ name: 'node_exporter', version: '1.10.0', arch: 'amd64', source: 't' }, Buffer.from('new'));
  await store.put({ name: 'node_exporter', version: '2.0.0', arch: 'arm64', source: 't' }, Buffer.from('arm'));
  assert.equal(m.sha256, sha256Of(Buffer.from('new')));
  assert.equal((await store.latest('node_exporter', 'amd64'))?.version, '1.10.0');
  assert.equal((await store.latest('node_exporter', 'arm64'))?.version, '2.0.0');
  assert.equal(await store.latest('dcgm-exporter', 'amd64'), undefined);
  assert.equal((await readFile((await store.source(m)).file)).toString(), 'new');
  assert.equal((await store.list()).length, 3);
  // Same bytes again: a no-op. Other bytes under the same version: refused.
  assert.equal((await store.put({ name: 'node_exporter', version: '1.10.0', arch: 'amd64', source: 'again' }, Buffer.from('new'))).source, 't');
  await assert.rejects(store.put({ name: 'node_exporter', version: '1.10.0', arch: 'amd64', source: 't' }, Buffer.from('other')), /already stored with other content/);
  // A file changed on disk behind the store's back is never handed out.
  await writeFile(join(store.dir, 'node_exporter', '1.10.0', 'amd64', 'node_exporter'), 'tampered');
  await assert.rejects(store.source(m), /corrupted/);
  await assert.rejects(store.put({ name: '../x', version: '1', arch: 'amd64', source: 't' }, Buffer.from('x')), /bad artifact/);
});

test('helpers: arch names and version order', () => {
  assert.equal(normalizeArch('x86_64'), 'amd64');
  assert.equal(normalizeArch('aarch64\n'), 'arm64');
  assert.ok(compareVersions('1.10.0', '1.9.2') > 0);
  assert.ok(compareVersions('v1.2.0', '1.2.0') === 0);
  assert.ok(compareVersions('3.3.9-3.6.0', '3.3.5-3.4.0') > 0);
});

/** A release archive laid out like upstream's node_exporter-V.linux-A.tar.gz. */
async function releaseArchive(version: string, arch: string, content: string): Promise<string> {
  const dir = await tmp();
  const top = `node_exporter-${version}.linux-${arch}`;
  await mkdir(join(dir, top));
  await writeFile(join(dir, top, 'node_exporter'), content, { mode: 0o755 });
  await writeFile(join(dir, top, 'LICENSE'), 'license');
  const path = join(dir, `${top}.tar.gz`);
  execFileSync('tar', ['-czf', path, '-C', dir, top]);
  return path;
}

test('an upstream release archive on disk is imported (offline)', async () => {
  const store = new ArtifactStore(await tmp());
  const archive = await releaseArchive('1.8.2', 'amd64', 'binary-bytes');
  const m = await importReleaseArchive(store, archive, { name: 'node_exporter', version: '1.8.2', arch: 'amd64' });
  assert.equal((await readFile((await store.source(m)).file)).toString(), 'binary-bytes');
  await assert.rejects(importReleaseArchive(store, archive, { name: 'node_exporter', version: '9.9.9', arch: 'amd64' }), /cannot take/);
});

test('a download is stored only when it matches upstream sha256sums', async () => {
  const archive = await readFile(await releaseArchive('1.8.2', 'arm64', 'arm-binary'));
  const file = 'node_exporter-1.8.2.linux-arm64.tar.gz';
  const fakeFetch = (sums: string) => (async (url: string | URL | Request) => {
    const u = String(url);
    if (u.endsWith('sha256sums.txt')) return new Response(sums);
    if (u.endsWith(file)) return new Response(archive);
    return new Response('no', { status: 404 });
  }) as typeof fetch;
  const store = new ArtifactStore(await tmp());
  const good = await fetchUpstream(store, { name: 'node_exporter', version: '1.8.2', arch: 'arm64' }, fakeFetch(`${sha256Of(archive)}  ${file}\n`));
  assert.equal((await readFile((await store.source(good)).file)).toString(), 'arm-binary');
  assert.match(good.source, /^https:\/\/github\.com\/prometheus\/node_exporter\/releases\/download\/v1\.8\.2\//);
  const other = new ArtifactStore(await tmp());
  await assert.rejects(fetchUpstream(other, { name: 'node_exporter', version: '1.8.2', arch: 'arm64' }, fakeFetch(`${'0'.repeat(64)}  ${file}\n`)), /does not match/);
  assert.equal((await other.list()).length, 0);
});
