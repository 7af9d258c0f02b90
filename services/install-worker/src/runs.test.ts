import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, jobIdFor, MemoryRunStore, newRunId, type RunMeta } from './runs.ts';

const meta: RunMeta = { id: 'r1', action: 'install', nodes: ['a', 'b', 'c', 'd'], createdAt: '2026-01-01T00:00:00.000Z' };

test('a run is running until every node is done or failed; percent counts finished nodes as 100', () => {
  const v = aggregate(meta, [
    { node: 'a', runId: 'r1', action: 'install', state: 'done', percent: 100, attempts: 1, result: 'installed', finishedAt: '2026-01-01T00:00:10.000Z' },
    { node: 'b', runId: 'r1', action: 'install', state: 'failed', percent: 100, attempts: 3, result: 'failed', reason: 'unreachable', finishedAt: '2026-01-01T00:00:20.000Z' },
    { node: 'c', runId: 'r1', action: 'install', state: 'running', percent: 50, attempts: 1, step: 'uploading' },
  ]);
  assert.equal(v.status, 'running');
  assert.deepEqual(v.counts, { queued: 1, running: 1, retrying: 0, done: 1, failed: 1 });
  assert.equal(v.percent, Math.floor((100 + 100 + 50 + 0) / 4));
  assert.deepEqual(v.states.map((s) => s.node), ['a', 'b', 'c', 'd']);
  assert.equal(v.finishedAt, undefined);

  const done = aggregate({ ...meta, nodes: ['a', 'b'] }, v.states.slice(0, 2));
  assert.equal(done.status, 'done');
  assert.deepEqual(done.results, { installed: 1, failed: 1 });
  assert.equal(done.durationMs, 20_000);
});

test('ids are unique, time-ordered and contain no ":"; the memory store keeps states and last results', async () => {
  const a = newRunId(1_000);
  const b = newRunId(2_000);
  assert.notEqual(a, b);
  assert.ok(a < b);
  assert.ok(!jobIdFor(a, 'node-1.example').includes(':'));
  const store = new MemoryRunStore();
  await store.create(meta);
  assert.equal((await store.states('r1')).length, 4);
  assert.equal((await store.state('r1', 'a'))?.state, 'queued');
  await store.put({ node: 'a', runId: 'r1', action: 'install', state: 'done', percent: 100, attempts: 1 });
  await store.setLast({ node: 'a', runId: 'r1', action: 'install', state: 'done', percent: 100, attempts: 1 });
  assert.equal((await store.last('a'))?.state, 'done');
  assert.deepEqual((await store.list(5)).map((m) => m.id), ['r1']);
});
