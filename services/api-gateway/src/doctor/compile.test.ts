import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AamiConfig, type CompileStatus } from '@aami/shared';
import { compileCheck } from './compile.ts';
import { fakeSources } from './fake-sources.ts';

const config = (revision: number) => async () => ({ revision, config: AamiConfig.parse({}) });
const success = (revision: number): CompileStatus['lastSuccess'] => ({ at: '2026-01-01T00:00:00Z', revision, hash: 'h', summary: { nodes: 0, rules: 1, disabledRules: 0, ruleFiles: 1 }, files: { written: 1, removed: 0, unchanged: 0 } });
const attempt = (revision: number, ok: boolean, errors: Array<{ path?: string; message: string }> = []): CompileStatus['lastAttempt'] => ({ at: '2026-01-01T00:00:00Z', revision, ok, durationMs: 5, changed: true, errors, warnings: [] });
const status = (s: CompileStatus) => async () => s;

describe('config check', () => {
  it('is ok when the live files are config.yaml\'s revision', async () => {
    const out = await compileCheck(fakeSources({ config: config(7), compileStatus: status({ state: 'ok', lastAttempt: attempt(7, true), lastSuccess: success(7), reload: null }) })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.message]), [['ok', 'config.yaml revision 7 is valid and live (compiled 2026-01-01T00:00:00Z)']]);
  });

  it('is critical when the last compile was refused, naming the errors and the revision that stays live', async () => {
    const out = await compileCheck(fakeSources({ config: config(8), compileStatus: status({ state: 'failed', lastAttempt: attempt(8, false, [{ path: 'alerts.custom[0].expr', message: 'parse error' }]), lastSuccess: success(7), reload: null }) })).run();
    assert.equal(out.length, 1);
    assert.equal(out[0]?.severity, 'critical');
    assert.equal(out[0]?.message, 'the last compile (config revision 8) was refused: alerts.custom[0].expr: parse error; the files of revision 7 stay live');
    assert.match(out[0]?.fix ?? '', /aami alerts status/);
  });

  it('is critical when Prometheus refused the reload, and names it', async () => {
    const out = await compileCheck(fakeSources({ config: config(3), compileStatus: status({ state: 'reload_failed', lastAttempt: attempt(3, true), lastSuccess: success(3), reload: { at: 'x', prometheus: { ok: false, status: 500, error: 'bad rule file' }, alertmanager: { ok: true } } }) })).run();
    assert.deepEqual(out.map((x) => [x.severity, x.message]), [['critical', 'revision 3 is compiled, but prometheus (bad rule file) did not load it']]);
  });

  it('warns when the live files lag behind config.yaml, or nothing was compiled', async () => {
    const behind = await compileCheck(fakeSources({ config: config(9), compileStatus: status({ state: 'ok', lastAttempt: attempt(8, true), lastSuccess: success(8), reload: null }) })).run();
    assert.deepEqual(behind.map((x) => x.severity), ['warning']);
    assert.match(behind[0]?.message ?? '', /revision 9, but the live files are from revision 8/);
    const never = await compileCheck(fakeSources({ config: config(1), compileStatus: status({ state: 'never', lastAttempt: null, lastSuccess: null, reload: null }) })).run();
    assert.deepEqual(never.map((x) => x.severity), ['warning']);
  });

  it('is critical when config.yaml or the compiler cannot be read', async () => {
    const badConfig = await compileCheck(fakeSources({ config: async () => { throw new Error('config.yaml: nodes[3].ip: not an address'); } })).run();
    assert.deepEqual(badConfig.map((x) => [x.severity, x.message]), [['critical', 'config.yaml cannot be read: config.yaml: nodes[3].ip: not an address']]);
    const noCompiler = await compileCheck(fakeSources({ config: config(1), compileStatus: async () => { throw new Error('the rule compiler at http://rule-compiler:8083 is not reachable (ECONNREFUSED)'); } })).run();
    assert.deepEqual(noCompiler.map((x) => [x.severity, x.subject]), [['critical', 'rule-compiler']]);
    assert.match(noCompiler[0]?.message ?? '', /http:\/\/rule-compiler:8083 is not reachable \(ECONNREFUSED\)/);
  });
});
