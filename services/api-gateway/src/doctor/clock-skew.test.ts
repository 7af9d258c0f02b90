import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clockSkewCheck } from './clock-skew.ts';
import { fakeSources, nodeResult } from './fake-sources.ts';

describe('clock-skew check', () => {
  it('flags skew beyond the measuring error: a warning from 1 s, critical from 60 s', async () => {
    const out = await clockSkewCheck(fakeSources({
      nodes: async () => ({
        checked_at: 'x',
        results: [
          nodeResult('close', { clock: { skew_s: 0.4, uncertainty_s: 0.01 } }),
          nodeResult('unsure', { clock: { skew_s: 1.5, uncertainty_s: 1 } }),
          nodeResult('ahead', { clock: { skew_s: 2.5, uncertainty_s: 0.01 } }),
          nodeResult('behind', { clock: { skew_s: -300, uncertainty_s: 0.01 } }),
          nodeResult('unread', { clock: null }),
        ],
      }),
    })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.subject]), [['warning', 'ahead'], ['critical', 'behind']]);
    assert.equal(out[0]?.message, "ahead's clock is 2.50 s ahead of the control node's (± 0.01 s)");
    assert.equal(out[1]?.message, "behind's clock is 300 s behind the control node's (± 0.01 s)");
    assert.match(out[0]?.fix ?? '', /timedatectl set-ntp true/);
  });

  it('is ok when every clock read agrees', async () => {
    const out = await clockSkewCheck(fakeSources({ nodes: async () => ({ checked_at: 'x', results: [nodeResult('a', { clock: { skew_s: -0.2, uncertainty_s: 0.01 } })] }) })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.message]), [['ok', "the clocks of 1 node(s) agree with the control node's within 1 s (largest difference 0.20 s)"]]);
  });
});
