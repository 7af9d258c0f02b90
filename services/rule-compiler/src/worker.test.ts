import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError } from 'bullmq';
import { ValidationError, createLogger } from '@aami/shared';
import { Coalescer } from './coalescer.ts';
import { ReloadFailedError, type CompileOutcome } from './compiler.ts';
import { compileProcessor } from './worker.ts';

const log = createLogger('test', 'error');
const outcome: CompileOutcome = { revision: 7, hash: 'h', changed: true, reloaded: true, files: { written: 1, removed: 0, unchanged: 0 }, warnings: [], summary: { nodes: 1, rules: 1, disabledRules: 0, ruleFiles: 1 } };

test('a compile job waits for the coalesced compile and returns what it did', async () => {
  const process = compileProcessor(new Coalescer(async () => outcome, { quietMs: 1 }), log);
  assert.deepEqual(await process({ id: '1', data: { reason: 'nodes added', revision: 7 } }), { revision: 7, hash: 'h', changed: true, reloaded: true });
});

test('bad job data and a refused config fail the job for good; a failed reload stays retryable', async () => {
  const ok = compileProcessor(new Coalescer(async () => outcome, { quietMs: 1 }), log);
  await assert.rejects(ok({ id: '2', data: { revision: 'x' } }), UnrecoverableError);
  const refused = compileProcessor(new Coalescer(async () => { throw new ValidationError('bad config'); }, { quietMs: 1 }), log);
  await assert.rejects(refused({ id: '3', data: { reason: 'r', revision: 1 } }), (err: unknown) => err instanceof UnrecoverableError && /bad config/.test((err as Error).message));
  const reload = compileProcessor(new Coalescer(async () => { throw new ReloadFailedError({ prometheus: { ok: false, error: 'down' }, alertmanager: { ok: true } }); }, { quietMs: 1 }), log);
  await assert.rejects(reload({ id: '4', data: { reason: 'r', revision: 1 } }), (err: unknown) => err instanceof ReloadFailedError && !(err instanceof UnrecoverableError));
});
