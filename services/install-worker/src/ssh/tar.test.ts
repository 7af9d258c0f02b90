import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTar } from './tar.ts';

test('the system tar extracts what buildTar writes, with content and mode intact', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tar-'));
  const big = Buffer.alloc(700_001, 7);
  await writeFile(join(dir, 'x.tar'), buildTar([
    { name: 'f0', data: Buffer.from('hello\n'), mode: 0o755 },
    { name: 'f1', data: big },
    { name: 'empty', data: Buffer.alloc(0) },
  ]));
  execFileSync('tar', ['-xf', join(dir, 'x.tar'), '-C', dir]);
  assert.equal(await readFile(join(dir, 'f0'), 'utf8'), 'hello\n');
  assert.equal((await stat(join(dir, 'f0'))).mode & 0o777, 0o755);
  assert.deepEqual(await readFile(join(dir, 'f1')), big);
  assert.equal((await readFile(join(dir, 'empty'))).length, 0);
  assert.equal(execFileSync('tar', ['-tf', join(dir, 'x.tar')]).toString(), 'f0\nf1\nempty\n');
});

test('names that could escape the target folder are refused', () => {
  assert.throws(() => buildTar([{ name: '../etc/passwd', data: Buffer.alloc(1) }]), /not allowed/);
  assert.throws(() => buildTar([{ name: '/abs', data: Buffer.alloc(1) }]), /not allowed/);
  assert.throws(() => buildTar([{ name: 'a'.repeat(101), data: Buffer.alloc(1) }]), /not allowed/);
});
