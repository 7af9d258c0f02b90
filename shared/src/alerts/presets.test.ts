// The preset data itself: it loads under the schema, names are unique, every dcgm field a rule needs
// is one that dcgm-exporter will actually export with the counters file AAMI installs, and the table
// in presets/README.md is the one the data gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PRESETS_DIR, loadPresetCatalog, parsePresetCatalog, presetRuleNames } from './preset-catalog.ts';
import { listPresets, renderRuleTable } from './presets-list.ts';
import { ValidationError } from '@aami/shared';

const DATA = (p: string) => fileURLToPath(new URL(`../../../services/gpu-simulator/data/${p}`, import.meta.url));
/** dcgm-exporter's default counters (byte-exact copy kept with the simulator). */
const DEFAULT_COUNTERS = DATA('default-counters.csv');
/** The counters file AAMI installs with dcgm-exporter: the defaults plus the fields the presets need. */
const AAMI_COUNTERS = fileURLToPath(new URL('../../../node-files/dcgm-counters.csv', import.meta.url));

/** Fields a counters file turns on: uncommented lines, first cell. */
function enabledFields(path: string): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    out.add(t.split(',')[0]!.trim());
  }
  return out;
}

test('the presets load, and the brief\'s presets exist with their rules', async () => {
  const catalog = await loadPresetCatalog();
  for (const p of ['gpu-basic', 'gpu-production', 'gpu-thermal-power', 'gpu-hardware', 'node-essentials', 'exporters']) assert.ok(catalog.presets.has(p), p);
  assert.deepEqual(presetRuleNames(catalog, 'gpu-basic'), ['GPUTemperatureCritical', 'GPUTemperatureWarning', 'GPUFramebufferHigh', 'GPUXidError', 'NodeDown']);
  const production = presetRuleNames(catalog, 'gpu-production');
  assert.equal(production.length, 8, 'the brief: "8 alert rules applied instantly"');
  assert.deepEqual(production.slice(0, 5), presetRuleNames(catalog, 'gpu-basic'));
  assert.equal(catalog.rules.get('GPUTemperatureCritical')!.rule.threshold!.default, 85);
  assert.equal(catalog.rules.get('GPUTemperatureCritical')!.rule.for, '5m');
  assert.equal(catalog.rules.get('GPUTemperatureWarning')!.rule.threshold!.default, 75);
  assert.equal(catalog.rules.get('GPUTemperatureWarning')!.rule.for, '10m');
  assert.equal(catalog.rules.get('GPUEccErrorsHigh')!.rule.threshold!.default, 100);
});

test('every dcgm field a rule needs is exported by dcgm-exporter\'s defaults or by AAMI\'s counters file', async () => {
  const catalog = await loadPresetCatalog();
  const defaults = enabledFields(DEFAULT_COUNTERS);
  const shipped = enabledFields(AAMI_COUNTERS);
  assert.ok(defaults.has('DCGM_FI_DEV_GPU_TEMP') && !defaults.has('DCGM_FI_DEV_ECC_SBE_VOL_TOTAL'), 'the default set is what dcgm-exporter ships');
  for (const f of defaults) assert.ok(shipped.has(f), `AAMI's counters file replaces the defaults, so it must keep ${f}`);
  const missing: string[] = [];
  for (const { preset, rule } of catalog.rules.values()) {
    for (const f of rule.needs) if (!defaults.has(f) && !shipped.has(f)) missing.push(`${preset}/${rule.name}: ${f}`);
  }
  assert.deepEqual(missing, []);
  // gpu-basic promises to work with the default counter set alone.
  for (const name of presetRuleNames(catalog, 'gpu-basic')) {
    for (const f of catalog.rules.get(name)!.rule.needs) assert.ok(defaults.has(f), `gpu-basic/${name} needs ${f}, which is not a default counter`);
  }
});

test('no rule applies increase/rate/changes-style counter functions to DCGM_FI_DEV_XID_ERRORS (a last-value gauge)', async () => {
  const catalog = await loadPresetCatalog();
  for (const { rule } of catalog.rules.values()) {
    assert.doesNotMatch(rule.expr, /(increase|rate|irate|resets)\s*\(\s*DCGM_FI_DEV_XID_ERRORS/, rule.name);
  }
});

test('framebuffer rules divide by the whole framebuffer: used + free + reserved', async () => {
  const catalog = await loadPresetCatalog();
  for (const name of ['GPUFramebufferHigh', 'GPUMemoryLeak']) {
    assert.match(catalog.rules.get(name)!.rule.expr, /DCGM_FI_DEV_FB_USED\s*\+\s*DCGM_FI_DEV_FB_FREE\s*\+\s*DCGM_FI_DEV_FB_RESERVED/, name);
  }
});

test('presets/README.md holds the rule table the data gives', async () => {
  const catalog = await loadPresetCatalog();
  const readme = readFileSync(`${DEFAULT_PRESETS_DIR}/README.md`, 'utf8');
  const extras = new Set([...enabledFields(AAMI_COUNTERS)].filter((f) => !enabledFields(DEFAULT_COUNTERS).has(f)));
  const table = renderRuleTable(catalog, extras);
  assert.ok(readme.includes(table), `presets/README.md is out of date; its table should read:\n${table}`);
});

test('listPresets expands includes and fills default thresholds into the expr', async () => {
  const catalog = await loadPresetCatalog();
  const production = listPresets(catalog).find((p) => p.name === 'gpu-production')!;
  assert.equal(production.rules.length, 8);
  const temp = production.rules.find((r) => r.name === 'GPUTemperatureCritical')!;
  assert.equal(temp.definedIn, 'gpu-basic');
  assert.equal(temp.expr, 'DCGM_FI_DEV_GPU_TEMP > 85');
  assert.equal(temp.threshold?.unit, '°C');
});

const rule = (name: string, extra: Record<string, unknown> = {}) => ({
  name, expr: 'DCGM_FI_DEV_GPU_TEMP > {{threshold}}', threshold: { default: 80, unit: '°C', description: 'temp' }, for: '5m', severity: 'warning',
  needs: ['DCGM_FI_DEV_GPU_TEMP'], labels: { component: 'thermal' }, annotations: { summary: 's {{ $labels.gpu }}', description: 'd', runbook: 'r' }, ...extra,
});
const file = (name: string, body: Record<string, unknown>) => ({ file: `${name}.yaml`, text: JSON.stringify({ name, description: 'x', ...body }) });

function details(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    return err.details.map((d) => `${d.path}: ${d.message}`).join('\n');
  }
  assert.fail('expected a ValidationError');
}

test('the preset schema refuses rules that could not work as written', () => {
  const out = details(() => parsePresetCatalog([
    file('a', { rules: [
      rule('NoPlaceholder', { expr: 'DCGM_FI_DEV_GPU_TEMP > 80' }),
      rule('MissingNeed', { needs: [] }),
      rule('StaleNeed', { needs: ['DCGM_FI_DEV_GPU_TEMP', 'DCGM_FI_DEV_FB_USED'] }),
      rule('BadTemplate', { annotations: { summary: '{{ $labels.gpu | title }}', description: 'd', runbook: 'r' } }),
      rule('badName'),
      rule('NoThreshold', { threshold: undefined }),
      rule('BadBounds', { threshold: { default: 80, unit: '°C', description: 't', max: 50 } }),
    ] }),
  ]));
  assert.match(out, /rules\[0\]\.expr: the rule has a threshold but its expr never uses \{\{threshold\}\}/);
  assert.match(out, /rules\[1\]\.needs: expr reads DCGM_FI_DEV_GPU_TEMP but needs does not list it/);
  assert.match(out, /rules\[2\]\.needs: needs lists DCGM_FI_DEV_FB_USED but the expr never reads it/);
  assert.match(out, /rules\[3\]\.annotations\.summary: unsupported template action/);
  assert.match(out, /rules\[4\]\.name: rule names are PascalCase/);
  assert.match(out, /rules\[5\]\.threshold: expr uses \{\{threshold\}\} but the rule has no threshold/);
  assert.match(out, /rules\[6\]\.threshold: default must lie within min\.\.max/);
});

test('the catalog refuses a rule name used by two presets, unknown includes, include loops and misnamed files', () => {
  const out = details(() => parsePresetCatalog([
    file('a', { rules: [rule('Same')], include: ['b'] }),
    file('b', { rules: [rule('Same')], include: ['a'] }),
    file('c', { include: ['nowhere'] }),
    { file: 'd.yaml', text: JSON.stringify({ name: 'e', description: 'x', rules: [rule('Other')] }) },
  ]));
  assert.match(out, /rule Same is also defined in a\.yaml/);
  assert.match(out, /includes unknown preset "nowhere"/);
  assert.match(out, /includes loop: a -> b -> a/);
  assert.match(out, /preset "e" must live in e\.yaml/);
});
