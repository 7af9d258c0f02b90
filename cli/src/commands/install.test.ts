import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient } from '../client.ts';
import { followRun, formatDuration, progressLine, resultTable, summaryLine, type RunViewResponse } from './install.ts';

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

test('hostile node text (escapes, CR, newlines, bidi) reaches neither the progress lines nor the table as control bytes', async () => {
  const hostile: RunViewResponse = {
    ...run,
    states: [
      { node: 'gpu-01\x1b]0;owned\x07', state: 'done', percent: 100, attempts: 1, result: 'installed', notes: ['\x1b]52;c;cm0gLXJmIH4=\x07copied'] },
      { node: 'gpu-\u202e02', state: 'failed', percent: 100, attempts: 1, result: 'failed', reason: 'E: dpkg\r\x1b[2Kall fine\n  gpu-09: installed [9/9]\x9b2J' },
    ],
  };
  const client = { request: async () => hostile } as unknown as ApiClient;
  let written = '';
  const stream = { isTTY: false, write: (t: string) => { written += t; return true; } } as unknown as NodeJS.WriteStream;
  await followRun(client, 'r1', { stream, intervalMs: 0 });
  assert.equal(written, '  gpu-01: installed [1/3]\n  gpu-02: failed (E: dpkg⏎all fine⏎  gpu-09: installed [9/9]) [2/3]\n');
  const table = resultTable(hostile);
  for (const out of [written, table]) assert.doesNotMatch(out.replace(/\n/g, ''), /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  assert.match(table, /│ gpu-01 +│ ✔ installed +│ - +│ copied +│/);
});
