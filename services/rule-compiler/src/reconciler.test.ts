import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@aami/shared';
import { compileDue, startReconciler } from './reconciler.ts';
import type { CompileStatus } from '@aami/shared';
import { initialStatus } from './status.ts';

const attempted = (revision: number | null, state: CompileStatus['state'] = 'ok'): CompileStatus => ({
  ...initialStatus(),
  state,
  lastAttempt: { at: '2026-12-04T00:00:00Z', revision, ok: state !== 'failed', durationMs: 1, changed: true, errors: [], warnings: [] },
});

test('a compile is due when the revision moved, when nothing was compiled, or when a reload failed', () => {
  assert.match(compileDue(7, attempted(6)) ?? '', /revision 7, the last compile read revision 6/);
  assert.match(compileDue(1, initialStatus()) ?? '', /nothing compiled yet/);
  assert.match(compileDue(7, attempted(7, 'reload_failed')) ?? '', /did not reload/);
  assert.equal(compileDue(7, attempted(7)), null);
  assert.equal(compileDue(7, attempted(7, 'failed')), null, 'a refused config waits for the next change');
});

test('tick compiles only when due, and a failing read or compile is retried on the next tick', async () => {
  let revision = 3;
  let status = attempted(3);
  let compiles = 0;
  let failRead = false;
  const r = startReconciler({
    readRevision: async () => { if (failRead) throw new Error('config.yaml unreadable'); return revision; },
    status: () => status,
    compile: async () => { compiles++; status = attempted(revision); },
    log: createLogger('test', 'error'),
    intervalMs: 0,
  });
  assert.equal(await r.tick(), false);
  revision = 4; // written by someone whose compile request was lost
  failRead = true;
  assert.equal(await r.tick(), false);
  failRead = false;
  assert.equal(await r.tick(), true);
  assert.equal(await r.tick(), false);
  assert.equal(compiles, 1);
  r.stop();
});

test('the timer checks on its own', async () => {
  let compiles = 0;
  const r = startReconciler({
    readRevision: async () => 2,
    status: () => attempted(compiles > 0 ? 2 : 1),
    compile: async () => { compiles++; },
    log: createLogger('test', 'error'),
    intervalMs: 20,
  });
  const deadline = Date.now() + 2000;
  while (compiles === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
  r.stop();
  assert.equal(compiles, 1);
});
