import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, parseConfigText } from './store.ts';
import { dropRetiredKeys } from './retired-keys.ts';
import { ValidationError } from '../errors.ts';
import type { Logger } from '../log.ts';

// What the previous release's config store wrote for a small cluster: every default spelled out,
// federation, slurm, clusters and prometheus.storage_path included.
const PREVIOUS = new URL('./testdata/config-previous-release.yaml', import.meta.url);

function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (msg: string, fields?: Record<string, unknown>) => { lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`); };
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

async function storeWith(text: string | URL): Promise<{ store: ConfigStore; logger: ReturnType<typeof captureLogger> }> {
  const dir = await mkdtemp(join(tmpdir(), 'aami-retired-'));
  const path = join(dir, 'config.yaml');
  if (text instanceof URL) await copyFile(text, path);
  else await writeFile(path, text);
  const logger = captureLogger();
  return { store: new ConfigStore(path, { logger }), logger };
}

test('a config.yaml written by the previous release loads, and its next write leaves the retired keys out', async () => {
  const { store, logger } = await storeWith(PREVIOUS);
  const before = await readFile(store.path, 'utf8');
  assert.match(before, /^federation:/m, 'the fixture holds what the old store wrote');
  const { config, revision } = await store.read();
  assert.equal(revision, 1);
  assert.equal(config.cluster.name, 'gpu-cluster-prod');
  assert.equal(config.prometheus.retention, '15d');
  assert.deepEqual(Object.keys(config).filter((k) => ['federation', 'slurm', 'clusters'].includes(k)), []);
  assert.equal(await readFile(store.path, 'utf8'), before, 'reading changes nothing on disk');

  await store.update(() => {});
  const after = await readFile(store.path, 'utf8');
  for (const gone of [/^federation:/m, /^slurm:/m, /^clusters:/m, /storage_path/]) assert.doesNotMatch(after, gone);
  assert.match(after, /^prometheus:\n {2}retention: 15d$/m);
  assert.equal(parseConfigText(after).revision, 2, 'the rewritten file reads back');
  const note = logger.lines.filter((l) => l.includes('was format 1: migrated to format 2'));
  assert.equal(note.length, 1, JSON.stringify(logger.lines));
  for (const key of ['federation', 'slurm', 'clusters', 'prometheus.storage_path']) assert.ok(note[0]?.includes(`dropped ${key} (`), key);
  assert.equal(await readFile(`${store.path}.format-1.bak`, 'utf8'), before, 'the old file is kept beside the new one');
  assert.match(after, /^version: 2$/m);

  await store.update(() => {});
  assert.equal(logger.lines.filter((l) => l.includes('migrated')).length, 1, 'nothing left to migrate');
});

test('a retired key set to anything but its old default is refused, naming the key', async () => {
  const text = (await readFile(PREVIOUS, 'utf8')).replace(/^federation:\n {2}enabled: false$/m, 'federation:\n  enabled: true');
  assert.match(text, /enabled: true/);
  const { store } = await storeWith(text);
  const before = await readFile(store.path, 'utf8');
  await assert.rejects(store.read(), (err: unknown) =>
    err instanceof ValidationError
    && err.details.length === 1
    && err.details[0]?.path === 'federation'
    && /not part of this release/.test(err.details[0].message)
    && /^config\.yaml is invalid: federation: /.test(err.message));
  await assert.rejects(store.update(() => {}), ValidationError);
  assert.equal(await readFile(store.path, 'utf8'), before, 'a refused file is left as it was');
});

test('every retired key is judged on its own: defaults (or part of them) go, anything else is named', () => {
  const raw = { federation: { enabled: false }, slurm: {}, clusters: [], prometheus: { retention: '30d', storage_path: '/var/lib/aami/prometheus' } };
  assert.deepEqual(dropRetiredKeys(raw), ['federation', 'slurm', 'clusters', 'prometheus.storage_path']);
  assert.deepEqual(raw, { prometheus: { retention: '30d' } });

  const token = 'cluster-link-token-never-shown-41';
  const set = {
    federation: { enabled: false, shards: 4 },
    slurm: { enabled: false, controller: 'slurmctld.example' },
    clusters: [{ name: 'other', api_url: 'https://other.example', token }],
    prometheus: { storage_path: '/data/prometheus' },
  };
  const copy = structuredClone(set);
  assert.throws(() => dropRetiredKeys(set, 'my.yaml'), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.deepEqual(err.details.map((d) => d.path), ['federation', 'slurm', 'clusters', 'prometheus.storage_path']);
    assert.ok(err.details.every((d) => /not part of this release.*Remove it from my\.yaml/.test(d.message)));
    assert.doesNotMatch(JSON.stringify({ message: err.message, details: err.details }), new RegExp(token), 'values stay out of the error');
    return true;
  });
  assert.deepEqual(set, copy, 'nothing is dropped when anything is refused');
  assert.deepEqual(dropRetiredKeys({ cluster: { name: 'x' } }), [], 'a file without them is untouched');
});

test('a hand-set storage_path is refused by name; through the store the retired keys are plain unknown keys', async () => {
  assert.throws(
    () => parseConfigText('prometheus:\n  retention: 15d\n  storage_path: /x\n'),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'prometheus.storage_path' && /not part of this release/.test(d.message)),
  );
  const { store } = await storeWith('cluster:\n  name: x\n');
  await assert.rejects(
    store.update((c) => { Object.assign(c, { federation: { enabled: false } }); }),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'federation' && d.message === 'unknown key'),
  );
});
