import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySshError, CommandFailedError, HostKeyChangedError } from './errors.ts';

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
