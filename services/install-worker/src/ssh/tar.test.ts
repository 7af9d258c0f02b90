import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tarStream, type TarEntry } from './tar.ts';

async function writeTar(path: string, entries: TarEntry[]): Promise<void> {
  await pipeline(tarStream(entries), createWriteStream(path));
}

test('the system tar extracts what tarStream writes, from memory and from files, with content and mode intact', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tar-'));
  const big = Buffer.alloc(700_001, 7);
  await writeFile(join(dir, 'big.src'), big);
  await writeTar(join(dir, 'x.tar'), [
    { name: 'f0', content: Buffer.from('hello\n'), size: 6, mode: 0o755 },
    { name: 'f1', content: { file: join(dir, 'big.src') }, size: big.length },
    { name: 'empty', content: Buffer.alloc(0), size: 0 },
  ]);
  const out = join(dir, 'out');
  execFileSync('mkdir', [out]);
  execFileSync('tar', ['-xf', join(dir, 'x.tar'), '-C', out]);
  assert.equal(await readFile(join(out, 'f0'), 'utf8'), 'hello\n');
  assert.equal((await stat(join(out, 'f0'))).mode & 0o777, 0o755);
  assert.deepEqual(await readFile(join(out, 'f1')), big);
  assert.equal((await readFile(join(out, 'empty'))).length, 0);
  assert.equal(execFileSync('tar', ['-tf', join(dir, 'x.tar')]).toString(), 'f0\nf1\nempty\n');
});

test('a file that is not the declared size fails the stream instead of sending a torn archive', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tar-'));
  await writeFile(join(dir, 'src'), Buffer.alloc(1000, 1));
  await assert.rejects(writeTar(join(dir, 'a.tar'), [{ name: 'f', content: { file: join(dir, 'src') }, size: 2000 }]), /changed while it was being sent.*shrank/);
  await assert.rejects(writeTar(join(dir, 'b.tar'), [{ name: 'f', content: { file: join(dir, 'src') }, size: 10 }]), /changed while it was being sent.*grew/);
  await assert.rejects(writeTar(join(dir, 'c.tar'), [{ name: 'f', content: Buffer.alloc(3), size: 4 }]), /3 bytes, 4 declared/);
});

test('names that could escape the target folder are refused', () => {
  const one = (name: string): TarEntry[] => [{ name, content: Buffer.alloc(1), size: 1 }];
  assert.throws(() => tarStream(one('../etc/passwd')), /not allowed/);
  assert.throws(() => tarStream(one('/abs')), /not allowed/);
  assert.throws(() => tarStream(one('a'.repeat(101))), /not allowed/);
});
