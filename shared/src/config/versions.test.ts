import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat, readFile, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { ConfigStore, parseConfigText } from './store.ts';
import { CONFIG_FORMAT, migrateConfig } from './versions.ts';

const quiet = createLogger('test', 'error');

test('a file without version is format 1 and is migrated; the current format is left alone', () => {
  const old: Record<string, unknown> = { cluster: { name: 'c' }, clusters: [] };
  assert.deepEqual(migrateConfig(old), { from: 1, notes: ['dropped clusters (a feature that release did not have, at its old default)'] });
  assert.deepEqual(old, { cluster: { name: 'c' }, version: CONFIG_FORMAT });
  const current: Record<string, unknown> = { version: CONFIG_FORMAT, cluster: { name: 'c' } };
  assert.deepEqual(migrateConfig(current), { from: CONFIG_FORMAT, notes: [] });
  assert.equal(parseConfigText('cluster: {name: c}\n').version, CONFIG_FORMAT);
});

test('a file of a newer format is refused, naming both formats; a version that is not a format is refused', () => {
  assert.throws(() => parseConfigText(`version: ${CONFIG_FORMAT + 1}\ncluster: {name: c}\n`), (err: unknown) =>
    err instanceof ValidationError && err.message.includes(`config.yaml is format ${CONFIG_FORMAT + 1}, written by a newer AAMI; this AAMI reads formats up to ${CONFIG_FORMAT}`) && err.details[0]?.path === 'version');
  for (const bad of ['"2"', '0', '1.5']) assert.throws(() => parseConfigText(`version: ${bad}\n`), /version must be a whole number from 1/);
});

test('the first write after a migration keeps the old file, readable by its owner only, and never replaces an earlier copy', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-config-format-'));
  const path = join(dir, 'config.yaml');
  await writeFile(path, 'revision: 4\ncluster:\n  name: old\n');
  const store = new ConfigStore(path, { logger: quiet });
  assert.equal((await store.read()).config.version, CONFIG_FORMAT);
  await store.update((c) => { c.cluster.name = 'new'; });
  assert.equal(await readFile(`${path}.format-1.bak`, 'utf8'), 'revision: 4\ncluster:\n  name: old\n');
  assert.equal((await stat(`${path}.format-1.bak`)).mode & 0o777, 0o600);
  assert.match(await readFile(path, 'utf8'), /^version: 2$/m);
  await writeFile(path, 'revision: 6\ncluster:\n  name: again\n');
  await store.update(() => {});
  assert.match(await readFile(`${path}.format-1.bak`, 'utf8'), /name: old/, 'the first copy stays');
});

test('the copy of an old file holds no secret it had in plain text: it names the secrets.json entry instead', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-config-format-'));
  const path = join(dir, 'config.yaml');
  await writeFile(path, '# kept comment\nrevision: 2\nnotifications:\n  slack:\n    webhook_url: https://hooks.slack.example/services/T0/B0/s3cr3t-in-the-old-file\n');
  await new ConfigStore(path, { logger: quiet }).update(() => {});
  const copy = await readFile(`${path}.format-1.bak`, 'utf8');
  assert.doesNotMatch(copy, /s3cr3t-in-the-old-file/);
  assert.match(copy, /^# kept comment$/m);
  assert.match(copy, /webhook_url: \$\{secret:slack_webhook\}/);
});
