import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, progressLine, resultTable, summaryLine, type RunViewResponse } from './install.ts';

const run: RunViewResponse = {
  id: 'r1', action: 'install', status: 'done', total: 3, percent: 100, durationMs: 42_000, createdAt: '2026-01-01T00:00:00Z',
  counts: { queued: 0, running: 0, retrying: 0, done: 2, failed: 1 },
  results: { installed: 1, unchanged: 1, failed: 1 },
  states: [
    { node: 'gpu-01', state: 'done', percent: 100, attempts: 1, result: 'installed', durationMs: 3200, notes: ['no nvidia-smi on this node: dcgm-exporter not installed'] },
    { node: 'gpu-02', state: 'done', percent: 100, attempts: 1, result: 'unchanged', durationMs: 410 },
    { node: 'gpu-03', state: 'failed', percent: 100, attempts: 3, result: 'failed', kind: 'unreachable', reason: 'connection refused', durationMs: 61_000 },
  ],
};

test('the final table shows node, result, duration and reason (notes when it went well)', () => {
  const t = resultTable(run);
  assert.match(t, /│ gpu-01 │ ✔ installed +│ 3\.2s +│ no nvidia-smi on this node: dcgm-exporter not installed │/);
  assert.match(t, /│ gpu-03 │ ✖ failed \(unreachable\) │ 1m01s +│ connection refused/);
  assert.equal(summaryLine(run), '3 node(s): 1 failed, 1 installed, 1 unchanged in 42.0s');
});

test('the progress line shows the bar, finished/total, running and failed', () => {
  const line = progressLine({ ...run, status: 'running', percent: 50, counts: { queued: 1, running: 1, retrying: 0, done: 0, failed: 1 } }, 5_000, 10);
  assert.equal(line, '[█████░░░░░]  50%  1/3 nodes  1 running  1 failed  5.0s');
  assert.equal(formatDuration(undefined), '-');
  assert.equal(formatDuration(125_000), '2m05s');
});
