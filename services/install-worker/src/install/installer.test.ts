import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SshError } from '../ssh/errors.ts';
import type { ExecOptions, ExecResult, SshSession, SshTarget } from '../ssh/executor.ts';
import { runNodeAction, type InstallerDeps } from './installer.ts';
import { drain, fakeStore, nodeFiles } from './testdata/fake-node.ts';

const target = { name: 'gpu-01', host: '10.0.0.1', port: 22, username: 'aami', keyPath: '/k' };
const ok = (stdout = ''): ExecResult => ({ code: 0, signal: null, stdout, stderr: '', durationMs: 1 });
const probeOut = (over: Record<string, string> = {}, extra: string[] = []) => {
  const kv = { uid: '1000', user: 'aami', sudo: 'yes', machine: 'x86_64', init: 'systemd', gpu_tool: 'no', ...over };
  return [...Object.entries(kv).map(([k, v]) => `${k}=${v}`), 'free /var/tmp 9999999', 'free /usr/local/bin 9999999', ...extra, 'probe=done'].join('\n');
};

/** A session answering each command by its label (probe, apply, verify, upload, uninstall). */
function fakeSsh(answer: (label: string, opts: ExecOptions) => ExecResult | Error, log: string[] = []): InstallerDeps['ssh'] {
  const session = (t: SshTarget): SshSession => ({
    target: t,
    exec: async (_cmd, opts = {}) => {
      const label = opts.label ?? '?';
      await drain(opts.stdin);
      log.push(label);
      const r = answer(label, opts);
      if (r instanceof Error) throw r;
      return r;
    },
  });
  return { withSession: async (t, fn) => fn(session(t)) };
}

const deps = (ssh: InstallerDeps['ssh']): InstallerDeps => ({ ssh, store: fakeStore({ node_exporter: ['1.5.0', 'ne'] }), nodeFiles: async () => nodeFiles });

test('a fresh node: probe, upload, apply, verify, in that order, over one session; result "installed"', async () => {
  const log: string[] = [];
  const steps: string[] = [];
  const out = await runNodeAction(target, 'install', { runId: 'r1', onStep: (s) => { steps.push(s); } }, deps(fakeSsh((l) => ok(l === 'probe' ? probeOut() : ''), log)));
  assert.deepEqual(log, ['probe', 'install', 'verify']);
  assert.deepEqual(steps, ['connecting', 'probing', 'uploading', 'applying', 'verifying']);
  assert.equal(out.ok, true);
  assert.equal(out.result, 'installed');
  assert.deepEqual(out.versions.node_exporter, '1.5.0');
  assert.match(out.notes.join(), /no nvidia-smi/);
});

test('failures come back as data with a kind, a reason and whether to retry', async () => {
  const run = (answer: Parameters<typeof fakeSsh>[0], action: 'install' | 'uninstall' | 'verify' = 'install') => runNodeAction(target, action, { runId: 'r' }, deps(fakeSsh(answer)));

  const noSudo = await run(() => ok(probeOut({ sudo: 'no' })));
  assert.equal(noSudo.kind, 'no-sudo');
  assert.match(noSudo.reason ?? '', /aami may not run sudo without a password/);
  assert.equal(noSudo.transient, false);

  const notSystemd = await run(() => ok(probeOut({ init: 'init' })));
  assert.equal(notSystemd.kind, 'unsupported');

  const full = await run(() => ok(probeOut({}, ['free /usr/local/bin 10'])));
  assert.equal(full.kind, 'disk-full');

  const enospc = await run((l) => (l === 'install' ? { ...ok(), code: 1, stderr: "cp: error writing '/usr/local/bin/node_exporter.aami-new': No space left on device" } : ok(l === 'probe' ? probeOut() : '')));
  assert.equal(enospc.kind, 'disk-full');

  const journal = Buffer.from('node_exporter: listen tcp :9100: bind: address already in use\nFailed with result exit-code').toString('base64');
  const unit = await run((l) => (l === 'verify' ? { ...ok(`unit aami-node-exporter.service failed\njournal aami-node-exporter.service ${journal}\n`), code: 1 } : ok(l === 'probe' ? probeOut() : '')));
  assert.equal(unit.kind, 'unit-failed');
  assert.match(unit.reason ?? '', /aami-node-exporter\.service is failed; its journal ends: .*address already in use/);

  const oneshot = await run((l) => (l === 'install' ? { ...ok(`unit-failed aami-xid-counter.service ${Buffer.from('journalctl failed').toString('base64')}\n`), code: 3 } : ok(l === 'probe' ? probeOut() : '')));
  assert.equal(oneshot.kind, 'unit-failed');
  assert.match(oneshot.reason ?? '', /aami-xid-counter\.service failed; its journal ends: journalctl failed/);

  const metrics = await run((l) => (l === 'verify' ? { ...ok('unit aami-node-exporter.service active\nmetrics 9100 fail no answer\n'), code: 1 } : ok(l === 'probe' ? probeOut() : '')));
  assert.equal(metrics.kind, 'verify-failed');

  const dropped = await run((l) => (l === 'install' ? new SshError('connection-lost', 'dropped', 'x') : ok(l === 'probe' ? probeOut() : '')));
  assert.equal(dropped.kind, 'connection-lost');
  assert.equal(dropped.transient, true);

  const auth = await runNodeAction(target, 'install', { runId: 'r' }, deps({ withSession: async () => { throw new SshError('auth', 'refused key', 'x'); } }));
  assert.deepEqual([auth.ok, auth.kind, auth.transient], [false, 'auth', false]);

  const notInstalled = await run((l) => ok(l === 'probe' ? probeOut() : ''), 'verify');
  assert.equal(notInstalled.kind, 'not-installed');

  const removed = await run((l) => ok(l === 'probe' ? probeOut() : 'removed 7\n'), 'uninstall');
  assert.deepEqual([removed.ok, removed.result], [true, 'uninstalled']);
});

test("an artifact whose digest differs from config.yaml's pin is never uploaded; a matching pin installs", async () => {
  const { createHash } = await import('node:crypto');
  const good = createHash('sha256').update('ne').digest('hex');
  const pinned = (pins: Array<{ version: string; sha256: string }>) => async () => pins.map((p) => ({ name: 'node_exporter', arch: 'amd64', ...p }));
  const attempt = async (pins: Array<{ version: string; sha256: string }>) => {
    const log: string[] = [];
    const out = await runNodeAction(target, 'install', { runId: 'r' }, { ...deps(fakeSsh((l) => ok(l === 'probe' ? probeOut() : ''), log)), pins: pinned(pins) });
    return { out, log };
  };
  const swapped = await attempt([{ version: '1.5.0', sha256: 'a'.repeat(64) }]);
  assert.equal(swapped.out.ok, false);
  assert.match(swapped.out.reason ?? '', new RegExp(`node_exporter 1\\.5\\.0 \\(amd64\\) in the artifact store has sha256 ${good}, config.yaml pins a{64}: refusing to ship it`));
  assert.ok(!swapped.log.includes('install'), 'nothing was sent to the node');
  const unpinned = await attempt([{ version: '1.4.0', sha256: good }]);
  assert.match(unpinned.out.reason ?? '', /node_exporter 1\.5\.0 \(amd64\) .* is not pinned in config\.yaml \(artifacts\.pins has 1\.4\.0\)/);
  const matching = await attempt([{ version: '1.5.0', sha256: good }]);
  assert.equal(matching.out.result, 'installed');
  assert.deepEqual(matching.log, ['probe', 'install', 'verify']);
});

test('a first contact that pinned the host key says so in the outcome notes', async () => {
  const session: SshSession = {
    target,
    pinnedHostKey: { type: 'ssh-ed25519', base64: 'AAAA', fingerprint: 'SHA256:firstContactKey' },
    exec: async (_cmd, opts = {}) => { await drain(opts.stdin); return ok(opts.label === 'probe' ? probeOut() : ''); },
  };
  const out = await runNodeAction(target, 'install', { runId: 'r1' }, deps({ withSession: async (_t, fn) => fn(session) }));
  assert.equal(out.ok, true, out.reason);
  assert.equal(out.notes[0], 'pinned new host key SHA256:firstContactKey for gpu-01');
});
