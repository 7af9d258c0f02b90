import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { AamiConfig, ConflictError, UnavailableError, ValidationError, loadPresetCatalog, type PresetCatalog } from '@aami/shared';
import { validateCustomRule } from './custom-rules.ts';

let catalog: PresetCatalog;
before(async () => { catalog = await loadPresetCatalog(); });
const empty = AamiConfig.parse({});

async function refusal(input: unknown, config = empty): Promise<ValidationError> {
  try {
    await validateCustomRule(catalog, config, input);
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  assert.fail('expected a ValidationError');
}

test('a good custom rule comes back with defaults applied', async () => {
  const rule = await validateCustomRule(catalog, empty, { name: 'GpuIdleLong', expr: 'avg_over_time(DCGM_FI_DEV_GPU_UTIL[1h]) < 1', summary: 'GPU {{ $labels.gpu }} idle' });
  assert.deepEqual(rule, { name: 'GpuIdleLong', expr: 'avg_over_time(DCGM_FI_DEV_GPU_UTIL[1h]) < 1', for: '5m', severity: 'warning', summary: 'GPU {{ $labels.gpu }} idle', description: '', labels: {} });
});

test('PromQL that promtool refuses is reported at expr with promtool\'s own words', async () => {
  const err = await refusal({ name: 'Bad', expr: 'rate(DCGM_FI_DEV_GPU_UTIL[5m] by (gpu)', summary: 's' });
  assert.equal(err.details[0]!.path, 'expr');
  assert.match(err.details[0]!.message, /could not parse expression: .*parse error/);
});

test('a template error is reported at the annotation', async () => {
  const err = await refusal({ name: 'Bad', expr: 'up == 0', summary: 'node {{ $labels.node ' });
  assert.equal(err.details[0]!.path, 'summary');
});

test('shape, preset name clashes and reserved labels are refused before promtool runs', async () => {
  assert.equal((await refusal({ name: '9lives', expr: 'up', summary: 's' })).details[0]!.path, 'name');
  assert.equal((await refusal({ name: 'X', expr: 'up', summary: 's', for: 'later' })).details[0]!.path, 'for');
  assert.match((await refusal({ name: 'NodeDown', expr: 'up', summary: 's' })).message, /rule of preset gpu-basic/);
  assert.equal((await refusal({ name: 'X', expr: 'up', summary: 's', labels: { severity: 'critical' } })).details[0]!.path, 'labels.severity');
});

test('a second rule with the same name is a conflict unless it replaces the first', async () => {
  const config = AamiConfig.parse({ alerts: { custom: [{ name: 'Mine', expr: 'up', summary: 's' }] } });
  await assert.rejects(validateCustomRule(catalog, config, { name: 'Mine', expr: 'up == 0', summary: 's' }), ConflictError);
  const replaced = await validateCustomRule(catalog, config, { name: 'Mine', expr: 'up == 0', summary: 's' }, { replace: true });
  assert.equal(replaced.expr, 'up == 0');
});

test('without promtool the check is unavailable (503), not a verdict on the rule', async () => {
  await assert.rejects(
    validateCustomRule(catalog, empty, { name: 'Fine', expr: 'up == 0', summary: 's' }, { tools: { promtool: '/nonexistent/promtool', amtool: 'amtool' } }),
    (err: unknown) => err instanceof UnavailableError && err.status === 503 && /promtool not found/.test(err.message),
  );
});
