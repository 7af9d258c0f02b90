import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFiles } from './compile.ts';
import { GeneratedTree, MANIFEST_FILE } from './writer.ts';

const set = (entries: Record<string, string>) => new Map(Object.entries(entries));
const base = {
  'prometheus/prometheus.yml': 'p1\n',
  'alertmanager/alertmanager.yml': 'a1\n',
  'prometheus/rules/gpu-basic.yml': 'r1\n',
  'prometheus/targets/nodes/n1.json': '[1]\n',
  'prometheus/targets/nodes/n2.json': '[2]\n',
};

const made: string[] = [];
after(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'aami-writer-'));
  made.push(d);
  return d;
}

async function commit(tree: GeneratedTree, files: Map<string, string>) {
  return tree.commit(await tree.stage(files, hashFiles(files)));
}

test('a staged set becomes live only on commit, and the staging folder goes away', async () => {
  const dir = await tempDir();
  const tree = new GeneratedTree(dir);
  const files = set(base);
  const staging = await tree.stage(files, hashFiles(files));
  await assert.rejects(stat(join(dir, 'prometheus/prometheus.yml')), 'nothing is live before commit');
  assert.deepEqual(await tree.commit(staging), { written: 5, removed: 0, unchanged: 0 });
  assert.equal(await readFile(join(dir, 'prometheus/targets/nodes/n2.json'), 'utf8'), '[2]\n');
  assert.ok(await tree.isCurrent(hashFiles(files)));
  assert.deepEqual((await readdir(dir)).sort(), [MANIFEST_FILE, 'alertmanager', 'prometheus']);
});

test('a discarded staging set leaves the live files as they were', async () => {
  const dir = await tempDir();
  const tree = new GeneratedTree(dir);
  await commit(tree, set(base));
  const worse = set({ ...base, 'prometheus/prometheus.yml': 'broken\n' });
  await tree.discard(await tree.stage(worse, hashFiles(worse)));
  assert.equal(await readFile(join(dir, 'prometheus/prometheus.yml'), 'utf8'), 'p1\n');
  assert.ok(await tree.isCurrent(hashFiles(set(base))));
});

test('commit rewrites only changed files and removes target files of nodes that are gone', async () => {
  const dir = await tempDir();
  const tree = new GeneratedTree(dir);
  await commit(tree, set(base));
  const before = (await stat(join(dir, 'prometheus/targets/nodes/n1.json'))).ino;
  // A stray file in an owned folder (from a crash or a hand edit) is removed too.
  await writeFile(join(dir, 'prometheus/targets/nodes/stray.json'), '[]');
  const next = { ...base, 'prometheus/rules/gpu-basic.yml': 'r2\n' } as Record<string, string>;
  delete next['prometheus/targets/nodes/n2.json'];
  const result = await commit(tree, set(next));
  assert.deepEqual(result, { written: 1, removed: 2, unchanged: 3 });
  assert.equal((await stat(join(dir, 'prometheus/targets/nodes/n1.json'))).ino, before, 'an unchanged file is not replaced');
  assert.deepEqual((await readdir(join(dir, 'prometheus/targets/nodes'))).sort(), ['n1.json']);
  assert.equal(await readFile(join(dir, 'prometheus/rules/gpu-basic.yml'), 'utf8'), 'r2\n');
});

test('isCurrent is false when a live file was deleted behind the compiler\'s back', async () => {
  const dir = await tempDir();
  const tree = new GeneratedTree(dir);
  await commit(tree, set(base));
  assert.equal(await tree.isCurrent(hashFiles(set(base))), true);
  await unlink(join(dir, 'prometheus/targets/nodes/n2.json'));
  assert.equal(await tree.isCurrent(hashFiles(set(base))), false);
});

test('staging folders left by a crash are swept at the next stage', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, '.staging-999-dead'), { recursive: true });
  const tree = new GeneratedTree(dir);
  const files = set(base);
  const staging = await tree.stage(files, hashFiles(files));
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.staging-')), [staging.dir.split('/').at(-1)]);
});
