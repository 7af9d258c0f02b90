// The executor against in-process ssh2 servers on loopback (a node and jump hosts forwarding to
// it), with settings from config that the tests edit after the executor was made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { AamiConfig } from '@aami/shared';
import { NodeDirectory } from '../targets.ts';
import { SshError } from './errors.ts';
import { SshExecutor } from './executor.ts';
import { clientKey, listen, sshServer } from './testdata/ssh-server.ts';

const keyPath = await clientKey();
const trustAll = { verify: async () => ({ status: 'new' as const }) };

/** A config store whose file the test rewrites; NodeDirectory re-reads it at every call (max age 0). */
function liveConfig(ssh: Record<string, unknown>, nodePort: number) {
  let current = AamiConfig.parse({ ssh: { key: keyPath, ...ssh }, nodes: [{ name: 'n1', ip: '127.0.0.1', ssh_port: nodePort }] });
  const nodes = new NodeDirectory({ read: async () => ({ config: current, revision: 1 }) }, 0, {});
  const edit = (next: Record<string, unknown>) => {
    current = AamiConfig.parse({ ...current, ssh: { ...current.ssh, ...next } });
  };
  return { nodes, edit };
}

test('a jump host set in config after the executor started is used by the next connection, never an old pooled one', async (t) => {
  const node = { forwards: 0, logins: 0 };
  const jumpA = { forwards: 0, logins: 0 };
  const jumpB = { forwards: 0, logins: 0 };
  const servers = await Promise.all([sshServer(node), sshServer(jumpA), sshServer(jumpB)].map(listen));
  t.after(() => { for (const s of servers) s.server.close(); });
  const [nodeSrv, a, b] = servers.map((s) => s.port) as [number, number, number];

  const { nodes, edit } = liveConfig({ jump_host: `jump@127.0.0.1:${a}` }, nodeSrv);
  const ex = new SshExecutor({ knownHosts: trustAll, retries: 0, idleMs: 60_000, settings: () => nodes.ssh() });
  t.after(() => ex.close());
  const target = (await nodes.get('n1'))!;

  assert.equal((await ex.run(target, 'true')).stdout, 'ok\n');
  assert.deepEqual([jumpA.forwards, jumpB.forwards], [1, 0], 'first connection through jump host A');

  edit({ jump_host: `jump@127.0.0.1:${b}` });
  assert.equal((await ex.run(target, 'true')).stdout, 'ok\n');
  assert.deepEqual([jumpA.forwards, jumpB.forwards], [1, 1], 'after the edit: through B, not the connection pooled via A');

  edit({ jump_host: undefined });
  const logins = node.logins;
  await ex.run(target, 'true');
  assert.deepEqual([jumpA.forwards, jumpB.forwards, node.logins], [1, 1, logins + 1], 'jump host removed: a new, direct login');
});

test('a connect timeout lowered in config applies to the next connection', async (t) => {
  // Accepts TCP and never speaks SSH, so only the connect timeout ends the attempt.
  const silent = await listen(createServer(() => {}));
  t.after(() => silent.server.close());
  const { nodes, edit } = liveConfig({ connect_timeout_s: 60 }, silent.port);
  const ex = new SshExecutor({ knownHosts: trustAll, retries: 0, settings: () => nodes.ssh() });
  t.after(() => ex.close());
  const target = (await nodes.get('n1'))!;

  edit({ connect_timeout_s: 0.3 });
  const started = Date.now();
  await assert.rejects(ex.run(target, 'true'), (e: SshError) => e.kind === 'timeout');
  assert.ok(Date.now() - started < 5000, `gave up after ${Date.now() - started} ms, not the 60 s of start`);
});

test('without a settings source the options given apply (the integration tests use this)', async (t) => {
  const silent = await listen(createServer(() => {}));
  t.after(() => silent.server.close());
  const ex = new SshExecutor({ knownHosts: trustAll, retries: 0, connectTimeoutMs: 300 });
  t.after(() => ex.close());
  await assert.rejects(ex.run({ host: '127.0.0.1', port: silent.port, username: 'u', keyPath }, 'true'), (e: SshError) => e.kind === 'timeout');
});
