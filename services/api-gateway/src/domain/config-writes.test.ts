import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, ValidationError } from '@aami/shared';
import { writeAndCompile } from './config-writes.ts';
import { FakeCompileQueue, FakeConfigStore } from './test-fakes.ts';

const setup = () => {
  const store = new FakeConfigStore();
  const compile = new FakeCompileQueue();
  return { store, compile, write: writeAndCompile({ store, compile }) };
};

test('a write saves the change and queues one compile of the revision it produced', async () => {
  const { store, compile, write } = setup();
  const w = await write('cluster renamed', (c) => { c.cluster.name = 'lab'; return c.cluster.name; }, undefined);
  assert.equal(w.revision, 2);
  assert.equal(w.config.cluster.name, 'lab');
  assert.equal(w.result, 'lab');
  assert.deepEqual(w.compile, { queued: true });
  assert.equal(store.config.cluster.name, 'lab');
  assert.deepEqual(compile.jobs, [{ reason: 'cluster renamed', revision: 2 }]);
});

test('the reason may be worked out from what the change returned', async () => {
  const { compile, write } = setup();
  await write((n: number) => `${n} thing(s) changed`, () => 3, 1);
  assert.deepEqual(compile.jobs, [{ reason: '3 thing(s) changed', revision: 2 }]);
});

test('a compile that is not queued is told to the caller; the write stays saved', async () => {
  const { store, compile, write } = setup();
  compile.answer = { queued: false, reason: 'redis not connected (reconnecting)' };
  const w = await write('x', (c) => { c.cluster.name = 'y'; }, undefined);
  assert.deepEqual(w.compile, { queued: false, reason: 'redis not connected (reconnecting)' });
  assert.equal(store.revision, 2);
});

test('a refused change, a result the schema refuses or a stale revision saves nothing and queues no compile', async () => {
  const { store, compile, write } = setup();
  await assert.rejects(write('x', () => { throw new ValidationError('no', []); }, undefined), ValidationError);
  await assert.rejects(write('x', (c) => { c.ssh.port = 0; }, undefined), ValidationError);
  await assert.rejects(write('x', (c) => { c.cluster.name = 'z'; }, 0), ConflictError);
  assert.equal(store.writes, 0);
  assert.equal(store.revision, 1);
  assert.deepEqual(compile.jobs, []);
});
