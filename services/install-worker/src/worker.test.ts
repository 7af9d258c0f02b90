import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { createLogger } from '@aami/shared';
import { MemoryRunStore } from './runs.ts';
import { createProcessor, type InstallJobHandle } from './worker.ts';
import { exportersAfter } from './installed-exporters.ts';
import type { InstallerDeps } from './install/installer.ts';
import { drain, fakeStore, nodeFiles } from './install/testdata/fake-node.ts';
import { SshError } from './ssh/errors.ts';
import type { SshSession, SshTarget } from './ssh/executor.ts';

const log = createLogger('test', 'error');
const node = { name: 'n1', host: '10.0.0.1', port: 22, username: 'root', keyPath: '/k' };

function setup(withSession: InstallerDeps['ssh']['withSession']) {
  const runs = new MemoryRunStore();
  const progress: unknown[] = [];
  const recorded: Array<[string, string, boolean, string[]]> = [];
  const processor = createProcessor({
    runs, log,
    installed: { record: async (n, action, o) => { recorded.push([n, action, o.ok, Object.keys(o.versions)]); } },
    nodes: { get: async (n) => (n === 'n1' ? node : undefined) },
    installer: { ssh: { withSession }, store: fakeStore({ node_exporter: ['1.5.0', 'x'] }), nodeFiles: async () => nodeFiles },
  });
  const job = (node: string, attemptsMade = 0) => ({
    data: { node, action: 'install', runId: 'r1' }, attemptsMade, opts: { attempts: 3 },
    updateProgress: async (p: unknown) => { progress.push(p); },
    moveToDelayed: async () => { throw new Error('not at a run limit here'); },
  });
  return { runs, processor, job, progress, recorded };
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

const probe = 'uid=0\nuser=root\nsudo=root\nmachine=x86_64\ninit=systemd\ngpu_tool=no\nprobe=done\n';
/** A node that answers every install step with success. */
const healthySession = (target: SshTarget): SshSession => ({
  target,
  exec: async (_c, o) => {
    await drain(o?.stdin);
    return { code: 0, signal: null, stdout: o?.label === 'probe' ? probe : '', stderr: '', durationMs: 1 };
  },
});

test('success records the result, the steps as job progress, and the node\'s last result', async () => {
  const { runs, processor, job, progress } = setup(async (_t, fn) => fn(healthySession(node)));
  await runs.create({ id: 'r1', action: 'install', nodes: ['n1'], createdAt: new Date().toISOString() });
  const out = await processor(job('n1'));
  assert.equal(out.result, 'installed');
  const s = await runs.state('r1', 'n1');
  assert.deepEqual([s?.state, s?.result, s?.percent, s?.step], ['done', 'installed', 100, undefined]);
  assert.deepEqual(progress.map((p) => (p as { step: string }).step), ['connecting', 'probing', 'uploading', 'applying', 'verifying']);
  assert.equal((await runs.last('n1'))?.result, 'installed');
});

test('every finished node action is reported to the installed-exporters record (it keeps only successes)', async () => {
  const ok = setup(async (_t, fn) => fn(healthySession(node)));
  await ok.runs.create({ id: 'r1', action: 'install', nodes: ['n1'], createdAt: new Date().toISOString() });
  await ok.processor(ok.job('n1'));
  assert.deepEqual(ok.recorded, [['n1', 'install', true, ['node_exporter', 'xid_counter']]]);
  const failing = setup(async () => { throw new SshError('auth', 'key refused', 'x'); });
  await failing.runs.create({ id: 'r1', action: 'install', nodes: ['n1'], createdAt: new Date().toISOString() });
  await assert.rejects(failing.processor(failing.job('n1')), UnrecoverableError);
  assert.deepEqual(failing.recorded, [['n1', 'install', false, []]]);
});

test('the exporters a successful action leaves: installed components that feed a scrape job; none after uninstall', () => {
  assert.deepEqual(exportersAfter('install', { node_exporter: '1.5.0', xid_counter: 'abc', dcgm_exporter: '3.3.5' }), ['node_exporter', 'dcgm_exporter']);
  assert.deepEqual(exportersAfter('verify', { node_exporter: '1.5.0', xid_counter: 'abc' }), ['node_exporter']);
  assert.equal(exportersAfter('uninstall', {}), null);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake SSH executor that counts the sessions open at once; `hold` says how long one stays open. */
function countingSsh(hold: (node: string) => Promise<unknown>) {
  const seen = { open: 0, peak: 0, opened: [] as string[] };
  const withSession: InstallerDeps['ssh']['withSession'] = async (target, fn) => {
    const name = target.name ?? target.host;
    seen.open++;
    seen.peak = Math.max(seen.peak, seen.open);
    seen.opened.push(name);
    try {
      await hold(name);
      return await fn(healthySession(target));
    } finally {
      seen.open--;
    }
  };
  return { seen, withSession };
}

/**
 * BullMQ in miniature: at most `slots` jobs in the processor at once, in queue order; a job that
 * moved itself to delayed (DelayedError) frees its slot and is queued again a moment later.
 */
async function runQueue(processor: (job: InstallJobHandle) => Promise<unknown>, jobs: InstallJobHandle[], slots: number): Promise<void> {
  const waiting = [...jobs];
  let active = 0;
  let delayed = 0;
  const failures: unknown[] = [];
  while (waiting.length || active || delayed) {
    while (active < slots && waiting.length) {
      const job = waiting.shift()!;
      active++;
      processor(job).catch((err: unknown) => {
        if (!(err instanceof DelayedError)) return failures.push(err);
        delayed++;
        setTimeout(() => { delayed--; waiting.push(job); }, 2);
      }).finally(() => { active--; });
    }
    await sleep(1);
  }
  assert.deepEqual(failures, []);
}

function fleet(withSession: InstallerDeps['ssh']['withSession']) {
  const runs = new MemoryRunStore();
  const delays: number[] = [];
  const processor = createProcessor({
    runs, log,
    nodes: { get: async (name) => ({ ...node, name }) },
    installer: { ssh: { withSession }, store: fakeStore({ node_exporter: ['1.5.0', 'x'] }), nodeFiles: async () => nodeFiles },
  });
  const job = (runId: string, name: string): InstallJobHandle => ({
    data: { node: name, action: 'install', runId }, attemptsMade: 0, opts: { attempts: 3 },
    updateProgress: async () => {},
    moveToDelayed: async (at: number) => { delays.push(at - Date.now()); },
  });
  return { runs, processor, job, delays };
}

test('a run with --concurrency 1 has one SSH session open at a time, even when its 5 jobs start together', async () => {
  const ssh = countingSsh(() => sleep(5));
  const { runs, processor, job, delays } = fleet(ssh.withSession);
  const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
  await runs.create({ id: 'r1', action: 'install', nodes: names, concurrency: 1, createdAt: new Date().toISOString() });
  await runQueue(processor, names.map((n) => job('r1', n)), 100);
  assert.equal(ssh.seen.peak, 1);
  assert.deepEqual((await runs.states('r1')).map((s) => s.state), ['done', 'done', 'done', 'done', 'done']);
  assert.ok(delays.length > 0 && delays.every((d) => d > 0), 'the jobs over the limit went back to delayed');
});

test('jobs waiting for their run\'s limit hold no worker slot: another run proceeds meanwhile', async () => {
  // a1 keeps its session until b1 has opened one (or 1s passed): with 2 worker slots, b1 gets in
  // only if a2 and a3, waiting for run A's --concurrency 1, do not sit in the other slot.
  let bOpened!: () => void;
  const opened = new Promise<void>((r) => { bOpened = r; });
  const ssh = countingSsh(async (name) => {
    if (name === 'b1') bOpened();
    else if (name === 'a1') await Promise.race([opened, sleep(1000)]);
  });
  const { runs, processor, job } = fleet(ssh.withSession);
  await runs.create({ id: 'rA', action: 'install', nodes: ['a1', 'a2', 'a3'], concurrency: 1, createdAt: new Date().toISOString() });
  await runs.create({ id: 'rB', action: 'install', nodes: ['b1'], createdAt: new Date().toISOString() });
  await runQueue(processor, [job('rA', 'a1'), job('rA', 'a2'), job('rA', 'a3'), job('rB', 'b1')], 2);
  assert.deepEqual(ssh.seen.opened.slice(0, 2), ['a1', 'b1'], 'b1 ran while a1 held run A\'s only slot');
  assert.equal(ssh.seen.peak, 2);
  assert.deepEqual((await runs.states('rA')).map((s) => s.state), ['done', 'done', 'done']);
});
