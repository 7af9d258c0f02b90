import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTemplate, goFloat, renderTemplate, substituteThreshold } from './annotation-template.ts';

test('goFloat prints values the way Go prints {{ $value }}', () => {
  const cases: Array<[number, string]> = [
    [95, '95'], [93.5, '93.5'], [0.08, '0.08'], [100000, '100000'], [1000000, '1e+06'], [1234567, '1.234567e+06'],
    [0.0001, '0.0001'], [0.00001, '1e-05'], [-0.08, '-0.08'], [0, '0'], [NaN, 'NaN'], [Infinity, '+Inf'], [1e21, '1e+21'],
  ];
  for (const [v, want] of cases) assert.equal(goFloat(v), want, `goFloat(${v})`);
});

test('checkTemplate accepts the supported actions and names anything else', () => {
  assert.deepEqual(checkTemplate('GPU {{ $labels.gpu }} at {{ $value }} ({{ printf "%.1f" $value }}%) over {{threshold}}'), []);
  const bad = checkTemplate('{{ $labels.gpu | toUpper }} {{ range . }}');
  assert.equal(bad.length, 2);
  assert.match(bad[0]!, /unsupported template action "\{\{ \$labels.gpu \| toUpper \}\}"/);
  assert.match(checkTemplate('{{ $value')[0]!, /unbalanced/);
});

test('renderTemplate fills labels and values, and refuses a label the series lacks', () => {
  const text = 'GPU {{ $labels.gpu }} on {{$labels.node}}: {{ $value }} / {{ printf "%.1f" $value }}';
  assert.equal(renderTemplate(text, { gpu: '3', node: 'n1' }, 93.18), 'GPU 3 on n1: 93.18 / 93.2');
  assert.throws(() => renderTemplate('{{ $labels.gpu }}', { node: 'n1' }), /\$labels.gpu/);
  assert.throws(() => renderTemplate('{{ $value }}', {}), /no value/);
});

test('substituteThreshold writes the number where {{threshold}} stands, everywhere', () => {
  assert.equal(substituteThreshold('x > {{threshold}} and y < {{threshold}} * 2', 0.05), 'x > 0.05 and y < 0.05 * 2');
  assert.equal(substituteThreshold('x > 1', undefined), 'x > 1');
});
