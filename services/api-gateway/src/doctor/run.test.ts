import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DoctorResponse } from '@aami/shared';
import type { DoctorCheck } from './check.ts';
import { runDoctor } from './run.ts';

const check = (name: string, run: DoctorCheck['run']): DoctorCheck => ({ name, description: `${name} things`, run });

describe('runDoctor', () => {
  it('sorts findings worst first, then in check order, and counts them', async () => {
    const res = DoctorResponse.parse(await runDoctor([
      check('a', async () => [{ check: 'a', severity: 'ok', message: 'a fine' }, { check: 'a', severity: 'warning', message: 'a meh' }]),
      check('b', async () => [{ check: 'b', severity: 'critical', message: 'b broken' }, { check: 'b', severity: 'warning', message: 'b meh' }]),
      check('c', async () => []),
    ]));
    assert.deepEqual(res.findings.map((x) => x.message), ['b broken', 'a meh', 'b meh', 'a fine']);
    assert.deepEqual(res.counts, { ok: 1, warning: 2, critical: 1 });
    assert.equal(res.severity, 'critical');
    assert.deepEqual(res.checks.map((c) => [c.name, c.severity, c.findings]), [['a', 'warning', 2], ['b', 'critical', 2], ['c', 'ok', 0]]);
  });

  it('turns a check that throws or hangs into a critical finding of its own, and still answers', async () => {
    const res = await runDoctor([
      check('boom', async () => { throw new Error('kaputt'); }),
      check('slow', () => new Promise(() => {})),
      check('fine', async () => [{ check: 'fine', severity: 'ok', message: 'fine' }]),
    ], { timeoutMs: 50 });
    assert.deepEqual(res.findings.map((x) => [x.check, x.severity, x.message]), [
      ['boom', 'critical', 'the boom check failed: kaputt'],
      ['slow', 'critical', 'the slow check did not finish within 0 s'],
      ['fine', 'ok', 'fine'],
    ]);
  });

  it('is ok when every finding is ok', async () => {
    const res = await runDoctor([check('a', async () => [{ check: 'a', severity: 'ok', message: 'x' }])]);
    assert.equal(res.severity, 'ok');
  });
});
