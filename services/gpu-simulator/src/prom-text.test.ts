import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePromText } from './prom-text.ts';

describe('text-format parser used by the tests', () => {
  it('keeps label order, help, type and raw values', () => {
    const f = parsePromText('# HELP a_b Some help.\n# TYPE a_b gauge\na_b{z="1",a="x\\"y"} 1.500000\na_b{z="2",a=""} 2\n');
    assert.equal(f.length, 1);
    assert.deepEqual([f[0]?.help, f[0]?.type], ['Some help.', 'gauge']);
    assert.deepEqual(f[0]?.samples[0]?.labels, [['z', '1'], ['a', 'x"y']]);
    assert.equal(f[0]?.samples[0]?.raw, '1.500000');
  });

  it('throws on what would break a scrape or the grouping rules', () => {
    assert.throws(() => parsePromText('a{b="1" 2\n'), /line 1/);
    assert.throws(() => parsePromText('a 1\nb 1\na{x="1"} 2\n'), /line 3: family a appears in two places/);
    assert.throws(() => parsePromText('a{x="1"} 1\na{x="1"} 2\n'), /series .* twice/);
    assert.throws(() => parsePromText('a 1\n# TYPE a gauge\n'), /TYPE for a after its samples/);
    assert.throws(() => parsePromText('a{x="1",x="2"} 1\n'), /label x twice/);
    assert.throws(() => parsePromText('a one\n'), /bad value/);
  });
});
