import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakeSources, nodeResult } from './fake-sources.ts';
import { sshCheck } from './ssh.ts';

describe('ssh check', () => {
  it('warns about each node the install worker could not check, with its reason', async () => {
    const out = await sshCheck(fakeSources({
      nodes: async () => ({ checked_at: 'x', results: [nodeResult('a'), nodeResult('b', { failure: { kind: 'unreachable', message: 'root@10.0.0.2:22: connection refused' } })] }),
    })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.subject]), [['warning', 'b'], ['ok', undefined]]);
    assert.equal(out[0]?.message, 'b (10.0.0.1:22) could not be checked: root@10.0.0.2:22: connection refused');
    assert.equal(out[1]?.message, '1 of 2 node(s) answered over SSH');
  });

  it('is critical once when the install worker does not answer, and says what was not checked', async () => {
    const out = await sshCheck(fakeSources({ nodes: async () => { throw new Error('the install worker at http://install-worker:8084 is not reachable (ECONNREFUSED)'); } })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.subject]), [['critical', 'install-worker']]);
    assert.match(out[0]?.message ?? '', /ECONNREFUSED\); host keys, clock skew and exporter versions were not checked/);
  });

  it('is ok with no nodes', async () => {
    const out = await sshCheck(fakeSources({ nodes: async () => ({ checked_at: 'x', results: [] }) })).run();
    assert.deepEqual(out.map((x) => x.severity), ['ok']);
  });
});
