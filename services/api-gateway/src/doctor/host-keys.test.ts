import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakeSources, nodeResult } from './fake-sources.ts';
import { hostKeysCheck } from './host-keys.ts';

describe('host-keys check', () => {
  it('is critical for a changed or revoked key, a warning for a node never pinned, and names the fix', async () => {
    const out = await hostKeysCheck(fakeSources({
      nodes: async () => ({
        checked_at: 'x',
        results: [
          nodeResult('fine'),
          nodeResult('moved', { host_key: { status: 'changed', offered: 'SHA256:new', pinned: 'SHA256:old' }, clock: null }),
          nodeResult('bad', { host_key: { status: 'revoked', offered: 'SHA256:bad', pinned: 'SHA256:old' }, clock: null }),
          nodeResult('fresh', { host_key: { status: 'new', offered: 'SHA256:fresh', pinned: null }, clock: null }),
          nodeResult('down', { host_key: { status: 'unread', offered: null, pinned: null }, failure: { kind: 'unreachable', message: 'x' } }),
        ],
      }),
    })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.subject]), [['critical', 'moved'], ['critical', 'bad'], ['warning', 'fresh'], ['ok', undefined]]);
    assert.equal(out[0]?.message, 'moved offers host key SHA256:new, not the pinned SHA256:old: AAMI will not log in there');
    assert.match(out[0]?.fix ?? '', /aami nodes trust moved$/);
    assert.match(out[2]?.fix ?? '', /aami nodes trust fresh --fingerprint SHA256:fresh/);
    assert.equal(out[3]?.message, '1 node(s) offer their pinned host key');
  });

  it('stays silent when the install worker did not answer (the ssh check says so)', async () => {
    assert.deepEqual(await hostKeysCheck(fakeSources()).run(), []);
  });
});
