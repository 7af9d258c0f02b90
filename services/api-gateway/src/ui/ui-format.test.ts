// The Web UI's pure helpers (services/api-gateway/ui/src/format.ts), run under Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanizeRuleName, installProgress, parseLabels, plural, readableTemplate, splitDuration } from '../../ui/src/format.ts';

test('rule names read as words, with GPU acronyms kept', () => {
  assert.equal(humanizeRuleName('GPUTemperatureCritical'), 'GPU Temperature Critical');
  assert.equal(humanizeRuleName('GpuTemperatureCritical'), 'GPU Temperature Critical');
  assert.equal(humanizeRuleName('GPUXidError'), 'GPU Xid Error');
  assert.equal(humanizeRuleName('NvlinkErrors'), 'NVLink Errors');
  assert.equal(humanizeRuleName('NodeDown'), 'Node Down');
  assert.equal(humanizeRuleName('high_power'), 'high power');
});

test('template placeholders in summaries become the label they stand for', () => {
  assert.equal(readableTemplate('Xid {{ $labels.xid }} on {{ $labels.node }}, GPU {{$labels.pci_bus_id}}'), 'Xid ‹xid› on ‹node›, GPU ‹pci_bus_id›');
  assert.equal(readableTemplate('at {{ $value | humanize }} °C'), 'at ‹value› °C');
  assert.equal(readableTemplate('{{ with query "x" }}'), '…');
  assert.equal(readableTemplate('plain'), 'plain');
});

test('durations split into number and unit only when simple', () => {
  assert.deepEqual(splitDuration('5m'), [5, 'm']);
  assert.deepEqual(splitDuration('0s'), [0, 's']);
  assert.deepEqual(splitDuration('2h'), [2, 'h']);
  assert.equal(splitDuration('1h30m'), null);
  assert.equal(splitDuration('5 m'), null);
});

test('labels parse from "k=v" pairs; anything else is reported', () => {
  assert.deepEqual(parseLabels('gpu_type=h100, rack=r12\nzone=a'), { labels: { gpu_type: 'h100', rack: 'r12', zone: 'a' }, bad: [] });
  assert.deepEqual(parseLabels('  '), { labels: {}, bad: [] });
  assert.deepEqual(parseLabels('oops =x a=b=c'), { labels: { a: 'b=c' }, bad: ['oops', '=x'] });
});

test('plural', () => {
  assert.equal(plural(1, 'node'), '1 node');
  assert.equal(plural(0, 'node'), '0 nodes');
  assert.equal(plural(2, 'match', 'matches'), '2 matches');
});

test('install progress reads the install-worker\'s answer (states + percent + result) and the plain one (nodes + progress)', () => {
  const worker = installProgress({
    id: 'r1',
    nodes: ['a', 'b', 'c', 'd'],
    states: [
      { node: 'a', state: 'running', percent: 40, step: 'upload' },
      { node: 'b', state: 'done', percent: 100, result: 'unchanged' },
      { node: 'c', state: 'failed', percent: 20, reason: 'ssh: connection refused', durationMs: 1200 },
      { node: 'd', state: 'something-new', percent: 5 },
    ],
  });
  assert.deepEqual(worker, [
    { node: 'a', state: 'running', progress: 40, step: 'upload' },
    { node: 'b', state: 'unchanged', progress: 100 },
    { node: 'c', state: 'failed', progress: 20, reason: 'ssh: connection refused', durationMs: 1200 },
    { node: 'd', state: 'running', progress: 5 },
  ]);
  assert.deepEqual(installProgress({ runId: 'r2', nodes: [{ node: 'x', state: 'done', progress: 90 }] }), [{ node: 'x', state: 'done', progress: 100 }]);
  assert.deepEqual(installProgress({ runId: 'r3' }), []);
});
