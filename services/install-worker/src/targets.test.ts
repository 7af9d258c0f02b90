import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AamiConfig } from '@aami/shared';
import { executorSettings, NodeDirectory, parseJumpHost, targetsOf } from './targets.ts';

const config = AamiConfig.parse({
  ssh: { user: 'ops', key: '/keys/cluster', port: 2222, concurrency: 50, connect_timeout_s: 4, command_timeout_s: 60, jump_host: 'jump@bastion.example:2200' },
  nodes: [
    { name: 'a', ip: '10.0.0.1' },
    { name: 'b', ip: '10.0.0.2', ssh_user: 'root', ssh_key: '/keys/b', ssh_port: 22 },
  ],
});

test('a node takes its own user/key/port, else the ssh defaults', () => {
  const t = targetsOf(config);
  assert.deepEqual(t.get('a'), { name: 'a', host: '10.0.0.1', port: 2222, username: 'ops', keyPath: '/keys/cluster' });
  assert.deepEqual(t.get('b'), { name: 'b', host: '10.0.0.2', port: 22, username: 'root', keyPath: '/keys/b' });
});

test('executor settings come from config.ssh; the jump host is parsed; the passphrase from the environment', () => {
  const s = executorSettings(config, { AAMI_SSH_KEY_PASSPHRASE: 'pw' });
  assert.deepEqual(s, { concurrency: 50, connectTimeoutMs: 4000, commandTimeoutMs: 60_000, passphrase: 'pw', jumpHost: { username: 'jump', host: 'bastion.example', port: 2200, keyPath: '/keys/cluster' } });
  assert.deepEqual(parseJumpHost('bastion', { user: 'u', keyPath: '/k' }), { username: 'u', host: 'bastion', port: 22, keyPath: '/k' });
  assert.deepEqual(parseJumpHost('[fd00::1]:22', { user: 'u', keyPath: '/k' }).host, 'fd00::1');
  assert.throws(() => parseJumpHost('a@b:c:d', { user: 'u', keyPath: '/k' }), /not \[user@\]host\[:port\]/);
});

test('the node directory reads config through the store and caches it briefly', async () => {
  let reads = 0;
  const dir = new NodeDirectory({ read: async () => { reads++; return { config, revision: 1 }; } }, 60_000);
  assert.deepEqual(await dir.names(), ['a', 'b']);
  assert.equal((await dir.get('b'))?.username, 'root');
  assert.equal(await dir.get('zz'), undefined);
  assert.equal(reads, 1);
});
