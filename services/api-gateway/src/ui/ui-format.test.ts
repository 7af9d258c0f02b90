// The Web UI's pure helpers (services/api-gateway/ui/src/format.ts), run under Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InstallRun } from '@aami/shared';
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

test('install progress reads the install-worker\'s answer: states with percent and result; "done, unchanged" is told apart', () => {
  // The answer as the shared contract describes it, so the fixture cannot drift from the worker's.
  const run = InstallRun.parse({
    id: 'r1', action: 'install', nodes: ['a', 'b', 'c', 'd'], createdAt: '2026-01-01T00:00:00Z', status: 'running', total: 4,
    counts: { queued: 1, running: 1, retrying: 0, done: 1, failed: 1 }, results: { unchanged: 1, failed: 1 }, percent: 55,
    states: [
      { node: 'a', runId: 'r1', action: 'install', state: 'running', percent: 40, attempts: 1, step: 'upload' },
      { node: 'b', runId: 'r1', action: 'install', state: 'done', percent: 100, attempts: 1, result: 'unchanged' },
      { node: 'c', runId: 'r1', action: 'install', state: 'failed', percent: 20, attempts: 3, result: 'failed', kind: 'unreachable', reason: 'ssh: connection refused', durationMs: 1200 },
      { node: 'd', runId: 'r1', action: 'install', state: 'queued', percent: 0, attempts: 0 },
    ],
  });
  assert.deepEqual(installProgress(run), [
    { node: 'a', state: 'running', progress: 40, step: 'upload' },
    { node: 'b', state: 'unchanged', progress: 100 },
    { node: 'c', state: 'failed', progress: 20, reason: 'ssh: connection refused', durationMs: 1200 },
    { node: 'd', state: 'queued', progress: 0 },
  ]);
  assert.deepEqual(installProgress({ states: [{ ...run.states[1]!, result: 'installed', percent: 90 }] }), [{ node: 'b', state: 'done', progress: 100 }]);
  // A state a newer worker might add is drawn as running, not dropped.
  assert.deepEqual(installProgress({ states: [{ ...run.states[0]!, state: 'paused' as never, step: undefined }] }).map((p) => p.state), ['running']);
  assert.deepEqual(installProgress({ states: [] }), []);
});
