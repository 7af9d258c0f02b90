import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecOptions, ExecResult, SshSession } from '../ssh/executor.ts';
import { runStaged, STAGE_MARKERS, stagedCommand } from './stage.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A session that runs commands with the local bash, as an SSH exec channel would. */
const localSession: SshSession = {
  target: { host: 'local', port: 22, username: 'root', keyPath: '/dev/null' },
  exec: (command: string, options: ExecOptions = {}) => new Promise<ExecResult>((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, signal: null, stdout, stderr, durationMs: 0 }));
    const stdin = options.stdin;
    if (stdin === undefined || typeof stdin === 'string' || Buffer.isBuffer(stdin)) child.stdin.end(stdin);
    else stdin.pipe(child.stdin);
  }),
};

test('files are staged in a fresh private folder, checked, and handed to the apply script, which runs from it; the folder is gone after', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stage-'));
  const big = Buffer.alloc(300_000, 5);
  await writeFile(join(dir, 'artifact'), big);
  const small = Buffer.from('unit text\n');
  const report = join(dir, 'report');
  const script = `set -eu\nstat -c '%a %u' "$1" > ${report}\necho "$1" >> ${report}\ncmp "$1/f0" ${join(dir, 'artifact')}\ncat "$1/f1" >> ${report}\n`;
  const sent: string[] = [];
  const r = await runStaged(localSession, '', [
    { name: 'f0', size: big.length, sha256: sha(big), content: { file: join(dir, 'artifact') } },
    { name: 'f1', size: small.length, sha256: sha(small), content: small },
  ], script, 'install', () => sent.push('sent'));
  assert.equal(r.code, 0, r.stderr);
  const [perm, folder, unit] = (await readFile(report, 'utf8')).split('\n');
  assert.equal(perm, `700 ${process.getuid?.()}`);
  assert.match(folder ?? '', /^\/var\/tmp\/aami-stage\.[A-Za-z0-9]{10}$/);
  assert.equal(unit, 'unit text');
  assert.equal(existsSync(folder ?? '/'), false, 'the staging folder is removed');
  assert.deepEqual(sent, ['sent']);
});

test('bytes that differ from the sums AAMI computed stop everything before the apply script runs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stage-'));
  const ran = join(dir, 'ran');
  const data = Buffer.from('what AAMI sent');
  const r = await runStaged(localSession, '', [{ name: 'f0', size: data.length, sha256: sha(Buffer.from('what the sums say')), content: data }], `touch ${ran}\n`, 'install');
  assert.equal(r.code, 4);
  assert.match(r.stdout, new RegExp(STAGE_MARKERS.checksum));
  assert.match(r.stderr, /f0: FAILED/);
  assert.equal(existsSync(ran), false, 'the apply script did not run');
});

test('the staged command refuses names and sums it could not quote safely', () => {
  const apply = { name: 'apply.sh', sha256: 'a'.repeat(64) };
  assert.throws(() => stagedCommand([apply, { name: '../x', sha256: 'a'.repeat(64) }]), /not allowed/);
  assert.throws(() => stagedCommand([apply, { name: 'f0', sha256: "'; rm -rf / #" }]), /bad sha256/);
  assert.throws(() => stagedCommand([{ name: 'f0', sha256: 'a'.repeat(64) }]), /no apply\.sh/);
  assert.match(stagedCommand([apply]), /mktemp -d \/var\/tmp\/aami-stage\.XXXXXXXXXX/);
});
