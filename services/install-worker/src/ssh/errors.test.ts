import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySshError, CommandFailedError, HostKeyChangedError, HostKeyRevokedError, HostKeyUnknownError } from './errors.ts';

const T = 'root@10.0.0.1:22';

test('socket failures and handshake timeouts are transient; auth, key and host-key failures are not', () => {
  const cases: Array<[unknown, string, boolean]> = [
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', level: 'client-socket' }), 'unreachable', true],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'unreachable', true],
    [Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' }), 'unreachable', true],
    [new Error('Connection lost before handshake'), 'unreachable', true],
    [Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }), 'timeout', true],
    [Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }), 'auth', false],
    [new Error('Cannot parse privateKey: Encrypted private OpenSSH key detected, but no passphrase given'), 'key', false],
    [new Error('something odd'), 'protocol', false],
  ];
  for (const [err, kind, transient] of cases) {
    const c = classifySshError(err, T);
    assert.equal(c.kind, kind, (err as Error).message);
    assert.equal(c.transient, transient, (err as Error).message);
    assert.ok(c.message.includes(T), c.message);
  }
});

test('a changed host key names the node and the trust command; a non-zero exit keeps its output', () => {
  const e = new HostKeyChangedError(T, '10.0.0.1', 22, 'SHA256:old', 'SHA256:new', 'gpu-07');
  assert.equal(e.transient, false);
  assert.match(e.message, /SHA256:old.*SHA256:new/);
  assert.match(e.message, /aami nodes trust gpu-07/);
  assert.equal(classifySshError(e, T), e);
  const f = new CommandFailedError(T, 'apply', 3, 'out', 'line1\nNo space left on device');
  assert.equal(f.transient, false);
  assert.equal(f.code, 3);
  assert.match(f.message, /apply exited with 3: .*No space left on device/s);
});

test('an unknown host under strict names the node, the offered fingerprint and the trust command; neither it nor a revoked key is retried', () => {
  const e = new HostKeyUnknownError(T, '10.0.0.1', 22, { type: 'ssh-ed25519', fingerprint: 'SHA256:abc' }, 'gpu-07');
  assert.deepEqual([e.kind, e.transient, e.offeredFingerprint], ['host-key-unknown', false, 'SHA256:abc']);
  assert.match(e.message, /^node gpu-07 \(10\.0\.0\.1:22\) has no pinned host key, and ssh\.host_keys is "strict"/);
  assert.match(e.message, /offers ssh-ed25519 SHA256:abc\. Check that fingerprint on the node \(ssh-keygen -lf \/etc\/ssh\/ssh_host_ed25519_key\.pub\)/);
  assert.match(e.message, /pin it with: aami nodes trust gpu-07 --fingerprint SHA256:abc$/);
  const jump = new HostKeyUnknownError(T, 'bastion', 22, { type: 'ssh-rsa', fingerprint: 'SHA256:j' }, undefined, true);
  assert.match(jump.message, /^the jump host bastion:22 has no pinned host key.*known_hosts file/);
  assert.doesNotMatch(jump.message, /--fingerprint/);
  const r = new HostKeyRevokedError(T, '10.0.0.1', 22, { type: 'ssh-ed25519', fingerprint: 'SHA256:bad' }, 'gpu-07');
  assert.deepEqual([r.kind, r.transient], ['host-key-revoked', false]);
  assert.match(r.message, /SHA256:bad\) is listed as @revoked in known_hosts; refusing to connect/);
});
