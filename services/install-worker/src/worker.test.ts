import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError } from 'bullmq';
import { createLogger } from '@aami/shared';
import { MemoryRunStore } from './runs.ts';
import { createProcessor } from './worker.ts';
import type { InstallerDeps } from './install/installer.ts';
import { fakeStore, nodeFiles } from './install/testdata/fake-node.ts';
import { SshError } from './ssh/errors.ts';

const log = createLogger('test', 'error');
const node = { name: 'n1', host: '10.0.0.1', port: 22, username: 'root', keyPath: '/k' };

function setup(withSession: InstallerDeps['ssh']['withSession']) {
  const runs = new MemoryRunStore();
  const progress: unknown[] = [];
  const processor = createProcessor({
    runs, log,
    nodes: { get: async (n) => (n === 'n1' ? node : undefined) },
    installer: { ssh: { withSession }, store: fakeStore({ node_exporter: ['1.5.0', 'x'] }), nodeFiles: async () => nodeFiles },
  });
  const job = (node: string, attemptsMade = 0) => ({
    data: { node, action: 'install', runId: 'r1' }, attemptsMade, opts: { attempts: 3 },
    updateProgress: async (p: unknown) => { progress.push(p); },
  });
  return { runs, processor, job, progress };
}

test('a transient failure marks the node "retrying" and throws for a job retry; the last attempt fails for good', async () => {
  const { runs, processor, job } = setup(async () => { throw new SshError('unreachable', 'connection refused', 'x'); });
  await runs.create({ id: 'r1', action: 'install', nodes: ['n1'], createdAt: new Date().toISOString() });
  await assert.rejects(processor(job('n1', 0)), (e: Error) => !(e instanceof UnrecoverableError) && /connection refused/.test(e.message));
  assert.equal((await runs.state('r1', 'n1'))?.state, 'retrying');
  assert.equal(await runs.last('n1'), undefined);
  await assert.rejects(processor(job('n1', 2)), UnrecoverableError);
  const final = await runs.state('r1', 'n1');
  assert.deepEqual([final?.state, final?.kind, final?.attempts], ['failed', 'unreachable', 3]);
  assert.equal((await runs.last('n1'))?.reason, 'connection refused');
});

test('a permanent failure is final at the first attempt; an unknown node too', async () => {
  const { runs, processor, job } = setup(async () => { throw new SshError('auth', 'key refused', 'x'); });
  await runs.create({ id: 'r1', action: 'install', nodes: ['n1', 'ghost'], createdAt: new Date().toISOString() });
  await assert.rejects(processor(job('n1')), UnrecoverableError);
  assert.equal((await runs.state('r1', 'n1'))?.kind, 'auth');
  await assert.rejects(processor(job('ghost')), UnrecoverableError);
  assert.equal((await runs.state('r1', 'ghost'))?.kind, 'unknown-node');
  await assert.rejects(processor({ ...job('n1'), data: { bogus: true } as never }), UnrecoverableError);
});

test('success records the result, the steps as job progress, and the node\'s last result', async () => {
  const probe = 'uid=0\nuser=root\nsudo=root\nmachine=x86_64\ninit=systemd\ngpu_tool=no\nprobe=done\n';
  const { runs, processor, job, progress } = setup(async (_t, fn) => fn({
    target: node,
    exec: async (_c, o) => ({ code: 0, signal: null, stdout: o?.label === 'probe' ? probe : '', stderr: '', durationMs: 1 }),
    upload: async () => {},
  }));
  await runs.create({ id: 'r1', action: 'install', nodes: ['n1'], createdAt: new Date().toISOString() });
  const out = await processor(job('n1'));
  assert.equal(out.result, 'installed');
  const s = await runs.state('r1', 'n1');
  assert.deepEqual([s?.state, s?.result, s?.percent, s?.step], ['done', 'installed', 100, undefined]);
  assert.deepEqual(progress.map((p) => (p as { step: string }).step), ['connecting', 'probing', 'uploading', 'applying', 'verifying']);
  assert.equal((await runs.last('n1'))?.result, 'installed');
});
