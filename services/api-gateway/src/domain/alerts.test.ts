import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConflictError, CustomRuleAddResponse, CustomRuleRemoveResponse, NotFoundError, PresetApplyResponse, PresetRemoveResponse, PresetsListResponse, RulePatchResponse, RulesListResponse,
  UnavailableError, ValidationError, loadPresetCatalog, type CustomRule,
} from '@aami/shared';
import { alertsDomain } from './alerts.ts';
import { FakeCompileQueue, FakeConfigStore } from './test-fakes.ts';

const POWER_RULE: CustomRule = { name: 'MyPowerRule', expr: 'DCGM_FI_DEV_POWER_USAGE > 650', for: '5m', severity: 'warning', summary: 'draws a lot', description: '', labels: {} };

/**
 * gpu-basic applied (revision 1), the presets of the repository, and a rule check that answers what
 * the test puts in `checks` (a rule, or an error to throw) and records what it was asked.
 */
function setup(initial: unknown = { alerts: { presets: ['gpu-basic'] } }) {
  const store = new FakeConfigStore(initial);
  const compile = new FakeCompileQueue();
  const checked: unknown[] = [];
  const checks: Array<CustomRule | Error> = [];
  let catalogLoads = 0;
  const alerts = alertsDomain({
    store,
    compile,
    catalog: () => { catalogLoads++; return loadPresetCatalog(); },
    checkRule: async (rule) => {
      checked.push(rule);
      const next = checks.shift();
      if (next === undefined) throw new Error('the test gave no check answer');
      if (next instanceof Error) throw next;
      return next;
    },
  });
  return { store, compile, checked, checks, alerts, catalogLoads: () => catalogLoads };
}

function assertNothingWritten(s: ReturnType<typeof setup>): void {
  assert.equal(s.store.writes, 0);
  assert.equal(s.store.revision, 1);
  assert.deepEqual(s.compile.jobs, []);
}

test('the preset list says which presets are applied; the catalog is loaded once', async () => {
  const s = setup();
  const list = PresetsListResponse.parse(await s.alerts.presets());
  assert.equal(list.presets.find((p) => p.name === 'gpu-basic')?.applied, true);
  assert.equal(list.presets.find((p) => p.name === 'gpu-production')?.applied, false);
  await s.alerts.rules();
  assert.equal(s.catalogLoads(), 1);
});

test('applying a preset adds it once, answers the active rules and queues one compile per write', async () => {
  const s = setup();
  const applied = PresetApplyResponse.parse(await s.alerts.applyPreset('gpu-production', 1));
  assert.deepEqual(applied.presets, ['gpu-basic', 'gpu-production']);
  assert.ok(applied.active_rules >= 8);
  assert.deepEqual(s.compile.jobs, [{ reason: 'preset gpu-production applied', revision: 2 }]);
  // Applied again: no second entry (the write still happens, and compiles).
  const again = await s.alerts.applyPreset('gpu-production', undefined);
  assert.deepEqual(again.presets, ['gpu-basic', 'gpu-production']);
  assert.deepEqual(s.compile.jobs.map((j) => j.revision), [2, 3]);
});

test('an unknown preset, or removing one not applied, is a NotFoundError and writes nothing', async () => {
  const s = setup();
  await assert.rejects(s.alerts.applyPreset('no-such-preset', undefined), (e) => e instanceof NotFoundError && /no preset "no-such-preset"; presets: .*gpu-basic/.test(e.message));
  await assert.rejects(s.alerts.removePreset('gpu-production', undefined), (e) => e instanceof NotFoundError && /is not applied/.test(e.message));
  assertNothingWritten(s);
});

test('removing a preset answers what stays applied', async () => {
  const s = setup({ alerts: { presets: ['gpu-basic', 'gpu-production'] } });
  const removed = PresetRemoveResponse.parse(await s.alerts.removePreset('gpu-basic', 1));
  assert.deepEqual(removed.presets, ['gpu-production']);
  assert.deepEqual(s.compile.jobs, [{ reason: 'preset gpu-basic removed', revision: 2 }]);
});

test('the rules view shows thresholds with their condition, and overrides', async () => {
  const s = setup({ alerts: { presets: ['gpu-basic'], overrides: { GPUTemperatureCritical: { for: '10m' } } } });
  const { rules } = RulesListResponse.parse(await s.alerts.rules());
  const temp = rules.find((r) => r.name === 'GPUTemperatureCritical');
  assert.equal(temp?.preset, 'gpu-basic');
  assert.equal(temp?.threshold?.value, 85);
  assert.match(temp?.condition_template ?? '', /> \{\{threshold\}\} °C/);
  assert.deepEqual(temp?.overridden_fields, ['for']);
  assert.equal(rules.find((r) => r.name === 'NodeDown')?.condition_template, null, 'a rule without a threshold has no condition');
});

test('a rule override is checked before it is saved, and null resets a field to the preset', async () => {
  const s = setup();
  const bad = await s.alerts.patchRule('GPUTemperatureCritical', { threshold: 'hot' }, undefined).catch((e: unknown) => e);
  assert.ok(bad instanceof ValidationError);
  assert.deepEqual(bad.details.map((d) => d.path), ['alerts.overrides.GPUTemperatureCritical.threshold']);
  await assert.rejects(s.alerts.patchRule('NoSuchRule', { disabled: true }, undefined), NotFoundError);
  await assert.rejects(s.alerts.patchRule('GPUTemperatureCritical', {}, undefined), (e) => e instanceof ValidationError && /nothing to change/.test(e.message));
  assertNothingWritten(s);

  const set = RulePatchResponse.parse(await s.alerts.patchRule('GPUTemperatureCritical', { threshold: '90', for: '10m' }, 1));
  assert.equal(set.rule?.threshold?.value, 90);
  assert.match(set.rule?.expr ?? '', /> 90/);
  assert.deepEqual(s.store.config.alerts.overrides.GPUTemperatureCritical, { threshold: 90, for: '10m' });
  const reset = RulePatchResponse.parse(await s.alerts.patchRule('GPUTemperatureCritical', { threshold: null, for: null }, 2));
  assert.equal(reset.rule?.overridden, false);
  assert.equal(s.store.config.alerts.overrides.GPUTemperatureCritical, undefined);
  assert.deepEqual(s.compile.jobs, [{ reason: 'rule GPUTemperatureCritical changed', revision: 2 }, { reason: 'rule GPUTemperatureCritical changed', revision: 3 }]);
});

test('a custom rule is saved as the rule compiler answered it, and queues one compile', async () => {
  const s = setup();
  s.checks.push(POWER_RULE);
  const input = { name: 'MyPowerRule', expr: 'DCGM_FI_DEV_POWER_USAGE > 650', summary: 'draws a lot' };
  const added = CustomRuleAddResponse.parse(await s.alerts.addCustomRule(input, 1));
  assert.deepEqual(s.checked, [input]);
  assert.deepEqual(added, { revision: 2, rule: POWER_RULE, compile: { queued: true } });
  assert.deepEqual(s.store.config.alerts.custom, [POWER_RULE]);
  assert.deepEqual(s.compile.jobs, [{ reason: 'custom rule MyPowerRule added', revision: 2 }]);
});

test('a custom rule the compiler refuses, one whose name is taken, or one named like a preset rule writes nothing', async () => {
  const s = setup({ alerts: { presets: ['gpu-basic'], custom: [POWER_RULE] } });
  s.checks.push(new ValidationError('refused by promtool', [{ path: 'expr', message: 'parse error' }]));
  await assert.rejects(s.alerts.addCustomRule({ name: 'Bad', expr: 'sum(', summary: 'x' }, undefined), (e) => e instanceof ValidationError && e.details[0]?.path === 'expr');
  s.checks.push(POWER_RULE);
  const taken = await s.alerts.addCustomRule({ ...POWER_RULE }, undefined).catch((e: unknown) => e);
  assert.ok(taken instanceof ValidationError);
  assert.deepEqual(taken.details, [{ path: 'name', message: 'already exists' }]);
  // The rule set must still resolve: a custom rule may not reuse a preset rule's name.
  s.checks.push({ ...POWER_RULE, name: 'NodeDown' });
  await assert.rejects(s.alerts.addCustomRule({ name: 'NodeDown' }, undefined), (e) => e instanceof ValidationError && e.details.some((d) => /NodeDown/.test(d.message)));
  assertNothingWritten(s);
});

test('removing a custom rule writes once; an unknown one is a NotFoundError', async () => {
  const s = setup({ alerts: { custom: [POWER_RULE] } });
  await assert.rejects(s.alerts.removeCustomRule('Nope', undefined), NotFoundError);
  assertNothingWritten(s);
  assert.deepEqual(CustomRuleRemoveResponse.parse(await s.alerts.removeCustomRule('MyPowerRule', undefined)), { revision: 2, removed: 'MyPowerRule', compile: { queued: true } });
  assert.deepEqual(s.store.config.alerts.custom, []);
  assert.deepEqual(s.compile.jobs, [{ reason: 'custom rule MyPowerRule removed', revision: 2 }]);
});

test('a stale expected revision is a ConflictError on every write, and writes nothing', async () => {
  const s = setup({ alerts: { presets: ['gpu-basic'], custom: [POWER_RULE] } });
  const conflict = (e: unknown) => e instanceof ConflictError && /changed elsewhere/.test(e.message);
  await assert.rejects(s.alerts.applyPreset('gpu-production', 0), conflict);
  await assert.rejects(s.alerts.removePreset('gpu-basic', 0), conflict);
  await assert.rejects(s.alerts.patchRule('GPUTemperatureCritical', { threshold: 90 }, 0), conflict);
  await assert.rejects(s.alerts.removeCustomRule('MyPowerRule', 0), conflict);
  s.checks.push({ ...POWER_RULE, name: 'Other' });
  await assert.rejects(s.alerts.addCustomRule({ name: 'Other' }, 0), conflict);
  assertNothingWritten(s);
});

test('an expression check is valid, or invalid with the compiler\'s words; a compiler that cannot be reached is an error', async () => {
  const s = setup();
  s.checks.push({ ...POWER_RULE, name: 'AamiExpressionCheck', expr: 'up == 0' });
  assert.deepEqual(await s.alerts.checkExpression('up == 0'), { valid: true });
  assert.deepEqual(s.checked, [{ name: 'AamiExpressionCheck', expr: 'up == 0', summary: 'expression check' }]);
  s.checks.push(new ValidationError('refused by promtool', [{ path: 'expr', message: '1:5: parse error' }]));
  assert.deepEqual(await s.alerts.checkExpression('up =='), { valid: false, error: '1:5: parse error' });
  s.checks.push(new ValidationError('refused by promtool', []));
  assert.deepEqual(await s.alerts.checkExpression('up =='), { valid: false, error: 'refused by promtool' });
  s.checks.push(new UnavailableError('the rule compiler is not reachable'));
  await assert.rejects(s.alerts.checkExpression('up'), UnavailableError);
  assertNothingWritten(s);
});
