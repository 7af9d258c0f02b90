import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConflictError, NodeAddResponse, NodeGetResponse, NodeLabelsResponse, NodeRemoveResponse, NodesImportResponse, NodesListResponse, NotFoundError, ValidationError,
  type NodeLiveness,
} from '@aami/shared';
import { nodesDomain } from './nodes.ts';
import { FakeCompileQueue, FakeConfigStore } from './test-fakes.ts';

/** Two nodes configured (revision 1), health answering "up" for every name it is asked about. */
function setup() {
  const store = new FakeConfigStore({ nodes: [{ name: 'n1', ip: '10.0.0.1', labels: { rack: 'a' } }, { name: 'n2', ip: '10.0.0.2' }] });
  const compile = new FakeCompileQueue();
  const asked: string[][] = [];
  const health = async (names: string[]) => {
    asked.push(names);
    return new Map<string, NodeLiveness>(names.map((n) => [n, { status: 'up', gpus: 8, alerts: 0 }]));
  };
  return { store, compile, asked, nodes: nodesDomain({ store, compile, health }) };
}

/** The store and the compile queue are as `setup` left them: nothing was written or queued. */
function assertNothingWritten(s: ReturnType<typeof setup>): void {
  assert.equal(s.store.writes, 0);
  assert.equal(s.store.revision, 1);
  assert.deepEqual(s.compile.jobs, []);
}

test('list and get carry live health; the list without health asks no source', async () => {
  const s = setup();
  const list = NodesListResponse.parse(await s.nodes.list(true));
  assert.deepEqual(list.nodes.map((n) => [n.name, n.health.status]), [['n1', 'up'], ['n2', 'up']]);
  assert.deepEqual(s.asked, [['n1', 'n2']]);
  const bare = NodesListResponse.parse(await s.nodes.list(false));
  assert.deepEqual(bare.nodes[0]?.health, { status: null, gpus: null, alerts: null });
  assert.equal(s.asked.length, 1);
  const one = NodeGetResponse.parse(await s.nodes.get('n2'));
  assert.deepEqual(one, { revision: 1, node: { name: 'n2', ip: '10.0.0.2', labels: {}, health: { status: 'up', gpus: 8, alerts: 0 } } });
  await assert.rejects(s.nodes.get('nope'), NotFoundError);
});

test('adding a node saves it and queues exactly one compile of the new revision', async () => {
  const s = setup();
  const added = NodeAddResponse.parse(await s.nodes.add({ name: 'n3', ip: '10.0.0.3', labels: {} }, 1));
  assert.deepEqual(added, { revision: 2, node: { name: 'n3', ip: '10.0.0.3', labels: {} }, compile: { queued: true } });
  assert.deepEqual(s.store.config.nodes.map((n) => n.name), ['n1', 'n2', 'n3']);
  assert.deepEqual(s.compile.jobs, [{ reason: 'node n3 added', revision: 2 }]);
});

test('a duplicate name or address is a ConflictError naming the field, and writes nothing', async () => {
  const s = setup();
  const byName = await s.nodes.add({ name: 'n1', ip: '10.0.0.9', labels: {} }, undefined).catch((e: unknown) => e);
  assert.ok(byName instanceof ConflictError);
  assert.deepEqual(byName.details, [{ path: 'name', message: 'already exists' }]);
  const byIp = await s.nodes.add({ name: 'n9', ip: '10.0.0.2', labels: {} }, undefined).catch((e: unknown) => e);
  assert.ok(byIp instanceof ConflictError);
  assert.match(byIp.message, /already used by node "n2"/);
  assert.deepEqual(byIp.details, [{ path: 'ip', message: 'already used by n2' }]);
  assertNothingWritten(s);
});

test('a stale expected revision is a ConflictError, and writes nothing', async () => {
  const s = setup();
  await assert.rejects(s.nodes.add({ name: 'n3', ip: '10.0.0.3', labels: {} }, 0), (e) => e instanceof ConflictError && /changed elsewhere/.test(e.message));
  await assert.rejects(s.nodes.remove('n1', 7), ConflictError);
  assertNothingWritten(s);
});

test('a hosts import with bad lines and skip_invalid=false reports every line and writes nothing', async () => {
  const s = setup();
  const text = 'h1 10.1.0.1\nh2\nh3 10.1.0.999\nh4 10.0.0.1\n';
  const err = await s.nodes.importHosts({ text, ssh_user: 'root', skip_invalid: false }, undefined).catch((e: unknown) => e);
  assert.ok(err instanceof ValidationError);
  assert.match(err.message, /3 bad line/);
  assert.deepEqual(err.details.map((d) => d.line), [2, 3, 4]);
  assertNothingWritten(s);
});

test('a hosts import with skip_invalid adds the good lines with the defaults, lists the skipped ones, and queues one compile', async () => {
  const s = setup();
  const answer = NodesImportResponse.parse(await s.nodes.importHosts({ text: 'h1 10.1.0.1\nbroken\nh2 10.1.0.2 gpu=h100\n', ssh_user: 'u', labels: { site: 'x' }, skip_invalid: true }, 1));
  assert.equal(answer.added, 2);
  assert.deepEqual(answer.names, ['h1', 'h2']);
  assert.deepEqual(answer.skipped.map((d) => d.line), [2]);
  assert.equal(answer.revision, 2);
  const h2 = s.store.config.nodes.find((n) => n.name === 'h2');
  assert.equal(h2?.ssh_user, 'u');
  assert.deepEqual(h2?.labels, { site: 'x', gpu: 'h100' });
  assert.deepEqual(s.compile.jobs, [{ reason: '2 node(s) imported', revision: 2 }]);
});

test('a hosts file with no good line is refused even with skip_invalid', async () => {
  const s = setup();
  await assert.rejects(s.nodes.importHosts({ text: '# only a comment\nbroken\n', skip_invalid: true }, undefined), (e) => e instanceof ValidationError && /no valid "name ip" line/.test(e.message));
  await assert.rejects(s.nodes.importHosts({ text: '', skip_invalid: false }, undefined), ValidationError);
  assertNothingWritten(s);
});

test('labels are set and removed in one write; an unknown node is a NotFoundError and writes nothing', async () => {
  const s = setup();
  await assert.rejects(s.nodes.patchLabels('nope', { set: { a: 'b' }, remove: [] }, undefined), NotFoundError);
  assertNothingWritten(s);
  const answer = NodeLabelsResponse.parse(await s.nodes.patchLabels('n1', { set: { gpu_type: 'h100' }, remove: ['rack'] }, 1));
  assert.deepEqual(answer.node, { name: 'n1', ip: '10.0.0.1', labels: { gpu_type: 'h100' } });
  assert.deepEqual(s.store.config.nodes[0]?.labels, { gpu_type: 'h100' });
  assert.deepEqual(s.compile.jobs, [{ reason: 'labels of n1 changed', revision: 2 }]);
});

test('removing a node writes once and queues one compile; an unknown node is a NotFoundError', async () => {
  const s = setup();
  await assert.rejects(s.nodes.remove('nope', undefined), NotFoundError);
  assertNothingWritten(s);
  assert.deepEqual(NodeRemoveResponse.parse(await s.nodes.remove('n1', undefined)), { revision: 2, removed: 'n1', compile: { queued: true } });
  assert.deepEqual(s.store.config.nodes.map((n) => n.name), ['n2']);
  assert.equal(s.store.writes, 1);
  assert.deepEqual(s.compile.jobs, [{ reason: 'node n1 removed', revision: 2 }]);
});
