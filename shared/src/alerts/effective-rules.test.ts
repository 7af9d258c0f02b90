import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { AamiConfig, NotFoundError, ValidationError } from '@aami/shared';
import { loadPresetCatalog, type PresetCatalog } from './preset-catalog.ts';
import { effectiveRules } from './effective-rules.ts';
import { applyOverride, validateOverride } from './overrides.ts';

let catalog: PresetCatalog;
before(async () => { catalog = await loadPresetCatalog(); });

const config = (alerts: Record<string, unknown>) => AamiConfig.parse({ alerts });

function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  assert.fail('expected a ValidationError');
}

test('gpu-production gives gpu-basic\'s rules then its own, each once even when gpu-basic is applied too', () => {
  const { rules } = effectiveRules(config({ presets: ['gpu-basic', 'gpu-production'] }), catalog);
  assert.deepEqual(rules.map((r) => r.name), [
    'GPUTemperatureCritical', 'GPUTemperatureWarning', 'GPUFramebufferHigh', 'GPUXidError', 'NodeDown',
    'GPUMemoryLeak', 'GPUEccErrorsHigh', 'GPUNvlinkErrors',
  ]);
  const temp = rules[0]!;
  assert.equal(temp.group, 'gpu-basic');
  assert.deepEqual(temp.source, { kind: 'preset', preset: 'gpu-basic' });
  assert.equal(temp.expr, 'DCGM_FI_DEV_GPU_TEMP > 85');
  assert.deepEqual(temp.labels, { severity: 'critical', component: 'thermal' });
  assert.deepEqual(temp.overridden, []);
});

test('overrides change threshold (in expr and annotations), for, severity and disabled', () => {
  const { rules } = effectiveRules(config({
    presets: ['gpu-basic'],
    overrides: { GPUTemperatureCritical: { threshold: 90, for: '2m', severity: 'warning' }, NodeDown: { disabled: true } },
  }), catalog);
  const temp = rules.find((r) => r.name === 'GPUTemperatureCritical')!;
  assert.equal(temp.expr, 'DCGM_FI_DEV_GPU_TEMP > 90');
  assert.equal(temp.for, '2m');
  assert.equal(temp.severity, 'warning');
  assert.equal(temp.labels.severity, 'warning');
  assert.equal(temp.threshold?.value, 90);
  assert.equal(temp.threshold?.default, 85);
  assert.match(temp.annotations.description!, /above 90 °C/);
  assert.deepEqual(temp.overridden, ['threshold', 'for', 'severity']);
  const down = rules.find((r) => r.name === 'NodeDown')!;
  assert.equal(down.enabled, false);
});

test('custom rules follow the presets, get severity as a label and may be overridden', () => {
  const { rules } = effectiveRules(config({
    presets: ['gpu-basic'],
    custom: [{ name: 'JobStuck', expr: 'DCGM_FI_DEV_GPU_UTIL == 0', summary: 'idle', labels: { team: 'ml' } }],
    overrides: { JobStuck: { severity: 'info' } },
  }), catalog);
  const c = rules.at(-1)!;
  assert.equal(c.name, 'JobStuck');
  assert.deepEqual(c.source, { kind: 'custom', index: 0 });
  assert.equal(c.group, 'custom');
  assert.deepEqual(c.labels, { team: 'ml', severity: 'info' });
  assert.deepEqual(c.needs, ['DCGM_FI_DEV_GPU_UTIL']);
});

test('a bad alerts section is refused with every problem located', () => {
  const err = rejection(() => effectiveRules(config({
    presets: ['gpu-basic', 'gpu-nonsense'],
    overrides: { GPUXidError: { threshold: 3 }, GPUTemperatureCritical: { threshold: 500 }, Typo: { for: '1m' } },
    custom: [{ name: 'NodeDown', expr: 'up == 0', summary: 's' }, { name: 'X', expr: 'up', summary: 's', labels: { severity: 'critical' } }],
  }), catalog));
  const lines = err.details.map((d) => `${d.path}: ${d.message}`);
  assert.ok(lines.some((l) => /^alerts\.presets\[1\]: no preset "gpu-nonsense"/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^alerts\.overrides\.GPUXidError\.threshold: GPUXidError has no threshold/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^alerts\.overrides\.GPUTemperatureCritical\.threshold: threshold must be at most 120/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^alerts\.overrides\.Typo: no alert rule "Typo"/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^alerts\.custom\[0\]\.name: "NodeDown" is a rule of preset gpu-basic/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^alerts\.custom\[1\]\.labels\.severity:/.test(l)), lines.join('\n'));
});

test('an override for a preset that is not applied is a warning, not an error', () => {
  const { warnings } = effectiveRules(config({ presets: ['gpu-basic'], overrides: { GPUNvlinkErrors: { threshold: 5 } } }), catalog);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /preset gpu-production .* is not applied/);
});

test('validateOverride: `--threshold hot` is refused naming the field', () => {
  const err = rejection(() => validateOverride(catalog, config({}), 'GPUTemperatureCritical', { threshold: 'hot' }));
  assert.equal(err.status, 400);
  assert.equal(err.details[0]!.path, 'alerts.overrides.GPUTemperatureCritical.threshold');
  assert.match(err.details[0]!.message, /must be a number \(got "hot"\)/);
  assert.match(err.message, /threshold/);
});

test('validateOverride accepts CLI strings, checks every field and the threshold bounds', () => {
  assert.deepEqual(validateOverride(catalog, config({}), 'GPUTemperatureCritical', { threshold: '90', for: '10m', severity: 'warning', disabled: 'false' }),
    { threshold: 90, for: '10m', severity: 'warning', disabled: false });
  const bad = rejection(() => validateOverride(catalog, config({}), 'GPUTemperatureCritical', { for: 'soon', severity: 'urgent', disabled: 'maybe', colour: 'red' }));
  const paths = bad.details.map((d) => d.path);
  assert.ok(paths.includes('alerts.overrides.GPUTemperatureCritical.for'), paths.join());
  assert.ok(paths.includes('alerts.overrides.GPUTemperatureCritical.severity'), paths.join());
  assert.ok(paths.includes('alerts.overrides.GPUTemperatureCritical.disabled'), paths.join());
  assert.ok(bad.details.some((d) => /unknown field\(s\) colour/.test(d.message)));
  assert.match(rejection(() => validateOverride(catalog, config({}), 'GPUFramebufferHigh', { threshold: 120 })).message, /at most 100 %/);
  assert.match(rejection(() => validateOverride(catalog, config({}), 'NodeDown', { threshold: 1 })).message, /NodeDown has no threshold/);
  assert.throws(() => validateOverride(catalog, config({}), 'NoSuchRule', { threshold: 1 }), NotFoundError);
});

test('applyOverride merges, resets fields given as null and drops an empty override', () => {
  const c = config({ overrides: { GPUTemperatureCritical: { threshold: 90 } } });
  applyOverride(c, 'GPUTemperatureCritical', { for: '1m' });
  assert.deepEqual(c.alerts.overrides.GPUTemperatureCritical, { threshold: 90, for: '1m' });
  applyOverride(c, 'GPUTemperatureCritical', { threshold: null, for: null });
  assert.equal(c.alerts.overrides.GPUTemperatureCritical, undefined);
});
