import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@aami/shared';
import { moveState, stateMoves } from './move-state.ts';

test("an older release's state moves to each writer's own place once; what is there already is kept", async () => {
  const root = await mkdtemp(join(tmpdir(), 'aami-move-'));
  const data = join(root, 'aami');
  await mkdir(join(data, 'artifacts', 'node_exporter', '1.8.2', 'amd64'), { recursive: true });
  await writeFile(join(data, 'artifacts', 'node_exporter', '1.8.2', 'amd64', 'manifest.json'), '{"name":"node_exporter"}');
  await writeFile(join(data, 'known_hosts'), 'gpu-node-01 ssh-ed25519 AAAA\n');
  const env = {
    AAMI_KNOWN_HOSTS: join(root, 'install', 'known_hosts'),
    AAMI_ARTIFACTS_DIR: join(root, 'install', 'artifacts'),
    AAMI_HEALTH_STATE_FILE: join(root, 'analyzer', 'state.json'),
  };
  const moves = stateMoves(data, env);
  assert.deepEqual(moves.map((m) => m.what), ['pinned host keys', 'artifact store', 'GPU health memory']);
  const first = moveState(moves, createLogger('test', 'error'));
  assert.deepEqual(first.map((m) => m.what), ['pinned host keys', 'artifact store'], 'no health memory existed to move');
  assert.equal(await readFile(env.AAMI_KNOWN_HOSTS, 'utf8'), 'gpu-node-01 ssh-ed25519 AAAA\n');
  assert.equal(await readFile(join(env.AAMI_ARTIFACTS_DIR, 'node_exporter', '1.8.2', 'amd64', 'manifest.json'), 'utf8'), '{"name":"node_exporter"}');
  await writeFile(env.AAMI_KNOWN_HOSTS, 'gpu-node-01 ssh-ed25519 BBBB (trusted since)\n');
  assert.deepEqual(moveState(moves, createLogger('test', 'error')), [], 'the next start copies nothing');
  assert.match(await readFile(env.AAMI_KNOWN_HOSTS, 'utf8'), /BBBB/, 'a newer target is never overwritten');
  assert.deepEqual(stateMoves(data, {}), [], 'make dev: everything stays in the data folder');
});
