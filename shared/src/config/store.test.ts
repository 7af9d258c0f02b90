import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ConfigStore, parseConfigText } from './store.ts';
import { ConflictError, ValidationError } from '../errors.ts';

async function freshStore(initial: unknown = { cluster: { name: 'test' } }): Promise<ConfigStore> {
  const dir = await mkdtemp(join(tmpdir(), 'aami-store-'));
  const store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create(initial);
  return store;
}

test('a write bumps the revision and a write on a stale revision is refused with 409', async () => {
  const store = await freshStore();
  const first = await store.read();
  assert.equal(first.revision, 1);
  const second = await store.update((c) => { c.nodes.push({ name: 'a', ip: '10.0.0.1', labels: {} }); }, { expectedRevision: 1 });
  assert.equal(second.revision, 2);
  await assert.rejects(
    store.update((c) => { c.nodes.push({ name: 'b', ip: '10.0.0.2', labels: {} }); }, { expectedRevision: 1 }),
    (err: unknown) => err instanceof ConflictError && err.status === 409 && /revision 1.*revision 2/.test(err.message),
  );
  assert.deepEqual((await store.read()).config.nodes.map((n) => n.name), ['a']);
});

test('20 concurrent updates in one process lose nothing', async () => {
  const store = await freshStore();
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.update((c) => { c.nodes.push({ name: `n${i}`, ip: `10.0.1.${i}`, labels: {} }); })));
  const { config, revision } = await store.read();
  assert.equal(config.nodes.length, 20);
  assert.equal(revision, 21);
});

test('concurrent updates from separate processes lose nothing (the lock holds across processes)', async () => {
  const store = await freshStore();
  const script = `
    import { ConfigStore } from ${JSON.stringify(new URL('./store.ts', import.meta.url).href)};
    const s = new ConfigStore(process.argv[1]);
    const i = Number(process.argv[2]);
    for (let k = 0; k < 5; k++) await s.update((c) => { c.nodes.push({ name: 'p' + i + '-' + k, ip: '10.2.' + i + '.' + k, labels: {} }); });
  `;
  await Promise.all(Array.from({ length: 4 }, (_, i) => new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, store.path, String(i)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child ${i} exited ${code}: ${err}`))));
  })));
  const { config, revision } = await store.read();
  assert.equal(config.nodes.length, 20);
  assert.equal(revision, 21);
});

test('${VAR} references stay verbatim in the file after an unrelated write', async () => {
  const store = await freshStore({ notifications: { slack: { webhook_url: '${SLACK_WEBHOOK_URL}', channel: '#gpu' } } });
  await store.update((c) => { c.nodes.push({ name: 'gpu-1', ip: '10.0.0.9', labels: {} }); });
  const text = await readFile(store.path, 'utf8');
  assert.match(text, /webhook_url: \$\{SLACK_WEBHOOK_URL\}/);
  assert.equal((await store.read()).config.notifications.slack?.webhook_url, '${SLACK_WEBHOOK_URL}');
});

test('an invalid result is refused, names the YAML path, and leaves the file untouched', async () => {
  const store = await freshStore();
  const before = await readFile(store.path, 'utf8');
  await assert.rejects(
    store.update((c) => { c.nodes.push({ name: 'ok', ip: '10.0.0.1', labels: {} }, { name: 'bad', ip: '999.1.1.1', labels: {} }); }),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'nodes[1].ip'),
  );
  assert.equal(await readFile(store.path, 'utf8'), before);
  const files = await readdir(join(store.path, '..'));
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');
});

test('unknown keys are errors that name the key', () => {
  assert.throws(
    () => parseConfigText('cluster:\n  name: x\nnodes:\n  - name: a\n    ip: 10.0.0.1\n    ssh_usr: root\n'),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'nodes[0].ssh_usr' && d.message === 'unknown key'),
  );
});

test('YAML syntax errors name the line', () => {
  assert.throws(
    () => parseConfigText('cluster:\n  name: x\nnodes: [\n'),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => typeof d.line === 'number'),
  );
});

test('duplicate node names and addresses are refused with both places named', () => {
  assert.throws(
    () => parseConfigText('nodes:\n  - {name: a, ip: 10.0.0.1}\n  - {name: a, ip: 10.0.0.1}\n'),
    (err: unknown) => err instanceof ValidationError
      && err.details.some((d) => d.path === 'nodes[1].name' && /nodes\[0\]/.test(d.message))
      && err.details.some((d) => d.path === 'nodes[1].ip'),
  );
});

test('a hand-edited file is read as written', async () => {
  const store = await freshStore();
  await writeFile(store.path, 'revision: 7\ncluster:\n  name: hand\n');
  const snap = await store.read();
  assert.equal(snap.revision, 7);
  assert.equal(snap.config.cluster.name, 'hand');
});
