import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'ssh2';
import { AamiConfig, ConfigStore, createLogger } from '@aami/shared';
import { fakeStore, nodeFiles } from './install/testdata/fake-node.ts';
import { MemoryRunStore } from './runs.ts';
import { clientKey, listen, sshServer } from './ssh/testdata/ssh-server.ts';
import { executorSettings, liveSsh, NodeDirectory, parseJumpHost, targetsOf } from './targets.ts';
import { createProcessor } from './worker.ts';

const probe = 'uid=0\nuser=root\nsudo=root\nmachine=x86_64\ninit=systemd\ngpu_tool=no\nprobe=done\n';

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
  assert.deepEqual(s, { concurrency: 50, connectTimeoutMs: 4000, commandTimeoutMs: 60_000, hostKeys: 'tofu', passphrase: 'pw', jumpHost: { username: 'jump', host: 'bastion.example', port: 2200, keyPath: '/keys/cluster' } });
  assert.deepEqual(parseJumpHost('bastion', { user: 'u', keyPath: '/k' }), { username: 'u', host: 'bastion', port: 22, keyPath: '/k' });
  assert.deepEqual(parseJumpHost('[fd00::1]:22', { user: 'u', keyPath: '/k' }).host, 'fd00::1');
  assert.throws(() => parseJumpHost('a@b:c:d', { user: 'u', keyPath: '/k' }), /not \[user@\]host\[:port\]/);
});

test('ssh.host_keys is tofu unless config says strict; other values are refused', () => {
  assert.equal(AamiConfig.parse({}).ssh.host_keys, 'tofu');
  assert.equal(executorSettings(AamiConfig.parse({ ssh: { host_keys: 'strict' } }), {}).hostKeys, 'strict');
  assert.equal(AamiConfig.safeParse({ ssh: { host_keys: 'ask' } }).success, false);
});

test('the node directory reads config through the store and caches it briefly', async () => {
  let reads = 0;
  const dir = new NodeDirectory({ read: async () => { reads++; return { config, revision: 1 }; } }, 60_000);
  assert.deepEqual(await dir.names(), ['a', 'b']);
  assert.equal((await dir.get('b'))?.username, 'root');
  assert.equal(reads, 1, 'known names come from the cache');
  assert.equal(await dir.get('zz'), undefined);
  assert.equal(reads, 2, 'an unknown name is looked up once more in config.yaml before it is "no such node"');
});

test('a node added a moment ago is known at once, though the cache is younger than its age limit', async () => {
  let current = AamiConfig.parse({ nodes: [{ name: 'a', ip: '10.0.0.1' }] });
  const dir = new NodeDirectory({ read: async () => ({ config: current, revision: 1 }) }, 60_000);
  assert.deepEqual(await dir.names(), ['a']);
  current = AamiConfig.parse({ nodes: [{ name: 'a', ip: '10.0.0.1' }, { name: 'new-01', ip: '10.0.0.9' }] });
  assert.equal((await dir.get('new-01'))?.host, '10.0.0.9');
  assert.deepEqual(await dir.names({ fresh: true }), ['a', 'new-01']);
});

test('the worker starts before config.yaml exists; the first job after it appears uses its jump host and known_hosts_path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-targets-'));
  const store = new ConfigStore(join(dir, 'config.yaml'), { logger: createLogger('test', 'error') });
  const node = { forwards: 0, logins: 0 };
  const jump = { forwards: 0, logins: 0 };
  const [nodeSrv, jumpSrv] = await Promise.all([sshServer(node, probe), sshServer(jump)].map(listen)) as [{ server: Server; port: number }, { server: Server; port: number }];
  t.after(() => { nodeSrv.server.close(); jumpSrv.server.close(); });

  // As main.ts does at start, with no config.yaml yet: the settings cannot be read, and that is not fatal.
  const nodes = new NodeDirectory(store, 0, {});
  await assert.rejects(nodes.ssh(), /no config/);
  const { executor } = liveSsh(nodes, { dataDir: dir, env: {}, executor: { retries: 0 } });
  t.after(() => executor.close());
  const runs = new MemoryRunStore();
  const processor = createProcessor({ runs, nodes, log: createLogger('test', 'error'), installer: { ssh: executor, store: fakeStore({}), nodeFiles: async () => nodeFiles } });
  const job = { data: { node: 'n1', action: 'uninstall', runId: 'r1' }, attemptsMade: 0, opts: { attempts: 1 }, updateProgress: async () => {}, moveToDelayed: async () => {} };
  await runs.create({ id: 'r1', action: 'uninstall', nodes: ['n1'], createdAt: new Date().toISOString() });

  const keyPath = await clientKey();
  await store.create({
    ssh: { key: keyPath, jump_host: `jump@127.0.0.1:${jumpSrv.port}`, known_hosts_path: join(dir, 'pinned') },
    nodes: [{ name: 'n1', ip: '127.0.0.1', ssh_port: nodeSrv.port }],
  });
  const out = await processor(job);
  assert.equal(out.result, 'uninstalled');
  assert.equal(jump.forwards, 1, 'the connection went through the jump host config named after start');
  assert.match(await readFile(join(dir, 'pinned'), 'utf8'), new RegExp(`\\[127\\.0\\.0\\.1\\]:${nodeSrv.port} ssh-ed25519 `), 'the node key was pinned at config\'s known_hosts_path');
});
