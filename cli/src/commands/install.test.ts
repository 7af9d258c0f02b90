import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostKeyTrustResult, HostKeyView, InstallRun, NodesTestResponse } from '@aami/shared';
import type { ApiClient } from '../client.ts';
import { CliError, UsageError } from '../errors.ts';
import { followRun, formatDuration, progressLine, resultTable, summaryLine, testReport, trustNode, type TrustIo } from './install.ts';

// A run as GET /api/v1/install/runs/:id answers it, checked against the shared contract.
const run: InstallRun = InstallRun.parse({
  id: 'r1', action: 'install', nodes: ['gpu-01', 'gpu-02', 'gpu-03'], status: 'done', total: 3, percent: 100, durationMs: 42_000, createdAt: '2026-01-01T00:00:00Z',
  counts: { queued: 0, running: 0, retrying: 0, done: 2, failed: 1 },
  results: { installed: 1, unchanged: 1, failed: 1 },
  states: [
    { node: 'gpu-01', runId: 'r1', action: 'install', state: 'done', percent: 100, attempts: 1, result: 'installed', durationMs: 3200, notes: ['no nvidia-smi on this node: dcgm-exporter not installed'] },
    { node: 'gpu-02', runId: 'r1', action: 'install', state: 'done', percent: 100, attempts: 1, result: 'unchanged', durationMs: 410 },
    { node: 'gpu-03', runId: 'r1', action: 'install', state: 'failed', percent: 100, attempts: 3, result: 'failed', kind: 'unreachable', reason: 'connection refused', durationMs: 61_000 },
  ],
});

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
  const hostile: InstallRun = {
    ...run,
    states: [
      { node: 'gpu-01\x1b]0;owned\x07', runId: 'r1', action: 'install', state: 'done', percent: 100, attempts: 1, result: 'installed', notes: ['\x1b]52;c;cm0gLXJmIH4=\x07copied'] },
      { node: 'gpu-\u202e02', runId: 'r1', action: 'install', state: 'failed', percent: 100, attempts: 1, result: 'failed', reason: 'E: dpkg\r\x1b[2Kall fine\n  gpu-09: installed [9/9]\x9b2J' },
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

/** A fake API: the host-key view it answers, and every request it got. */
function trustApi(view: Partial<HostKeyView> = {}) {
  const calls: Array<[string, string, unknown]> = [];
  const client = {
    request: async (method: string, path: string, body?: unknown) => {
      calls.push([method, path, body]);
      if (method === 'GET') return HostKeyView.parse({ node: 'gpu-01', host: '10.0.0.1', port: 22, type: 'ssh-ed25519', fingerprint: 'SHA256:offered', pinned: 'SHA256:old', status: 'changed', ...view });
      return HostKeyTrustResult.parse({ node: 'gpu-01', host: '10.0.0.1', port: 22, type: 'ssh-ed25519', fingerprint: 'SHA256:offered', previous: view.pinned === undefined ? 'SHA256:old' : view.pinned, changed: true });
    },
  } as unknown as ApiClient;
  return { client, calls };
}

function io(interactive: boolean, answer = '') {
  const seen = { out: '', err: '', asked: [] as string[] };
  const value: TrustIo = { interactive, ask: async (q) => { seen.asked.push(q); return answer; }, out: (t) => { seen.out += t; }, err: (t) => { seen.err += t; } };
  return { io: value, seen };
}

test('nodes trust without --fingerprint or --yes and no terminal: nothing is pinned, and the error names both flags and the offered key', async () => {
  const { client, calls } = trustApi();
  const { io: noTty, seen } = io(false);
  await assert.rejects(trustNode(client, 'gpu-01', {}, noTty), (e: CliError) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /offers the host key ssh-ed25519 SHA256:offered\. Nothing was changed: stdin is not a terminal/);
    assert.match(e.message, /--fingerprint SHA256:offered/);
    assert.match(e.message, /--yes/);
    return true;
  });
  assert.deepEqual(calls, [['GET', '/api/v1/nodes/gpu-01/host-key', undefined]]);
  assert.deepEqual(seen.asked, []);
});

test('nodes trust on a terminal shows the offered and the pinned key and pins only after "y"', async () => {
  const declined = trustApi();
  const no = io(true, 'n');
  await assert.rejects(trustNode(declined.client, 'gpu-01', {}, no.io), /not pinned; nothing was changed/);
  assert.equal(declined.calls.length, 1, 'no POST');
  assert.match(no.seen.err, /gpu-01 \(10\.0\.0\.1:22\) offers the host key ssh-ed25519 SHA256:offered\n  pinned now: SHA256:old\n/);
  assert.deepEqual(no.seen.asked, ['Pin this key? [y/N] ']);

  const accepted = trustApi({ pinned: null, status: 'new' });
  const yes = io(true, 'y\n');
  await trustNode(accepted.client, 'gpu-01', {}, yes.io);
  assert.match(yes.seen.err, /no key is pinned for it yet/);
  // What is pinned is the fingerprint shown: a node that changes its key meanwhile is refused (409).
  assert.deepEqual(accepted.calls[1], ['POST', '/api/v1/nodes/gpu-01/trust', { fingerprint: 'SHA256:offered' }]);
  assert.equal(yes.seen.out, 'Pinned the host key of gpu-01 (10.0.0.1:22): ssh-ed25519 SHA256:offered\n');
});

test('nodes trust --yes accepts the offered key without asking; --fingerprint asks nothing and reads nothing first', async () => {
  const y = trustApi();
  const quiet = io(false);
  await trustNode(y.client, 'gpu-01', { yes: true }, quiet.io);
  assert.deepEqual(y.calls.map((c) => c[0]), ['GET', 'POST']);
  assert.deepEqual(y.calls[1]?.[2], { fingerprint: 'SHA256:offered' });
  assert.deepEqual(quiet.seen.asked, []);
  const f = trustApi();
  await trustNode(f.client, 'gpu-01', { fingerprint: 'SHA256:given', json: true }, io(false).io);
  assert.deepEqual(f.calls, [['POST', '/api/v1/nodes/gpu-01/trust', { fingerprint: 'SHA256:given' }]]);
  // A key already pinned: nothing asked, nothing written.
  const same = trustApi({ pinned: 'SHA256:offered', status: 'match' });
  const s = io(false);
  await trustNode(same.client, 'gpu-01', {}, s.io);
  assert.equal(same.calls.length, 1);
  assert.match(s.seen.out, /already had this key pinned: ssh-ed25519 SHA256:offered/);
  const revoked = trustApi({ status: 'revoked' });
  await assert.rejects(trustNode(revoked.client, 'gpu-01', { yes: true }, io(true).io), /@revoked; it cannot be trusted/);
  assert.equal(revoked.calls.length, 1);
});

test('nodes test prints a line for each key pinned on first contact', () => {
  const out = testReport(NodesTestResponse.parse({
    ok: 2, failed: 0,
    results: [
      { node: 'gpu-01', ok: true, latencyMs: 12, user: 'root', sudo: 'root', pinnedHostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:abc' }, notes: ['pinned new host key SHA256:abc for gpu-01'] },
      { node: 'gpu-02', ok: true, latencyMs: 9, user: 'root', sudo: 'root' },
    ],
  }));
  assert.match(out, /┘\npinned new host key SHA256:abc for gpu-01\n2 reachable, 0 not\n$/);
  assert.equal(out.match(/pinned new host key/g)?.length, 1);
});
