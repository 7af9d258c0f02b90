// Runs `promtool test rules` on every preset rule: the cases in presets/tests/ become promtool test
// files against the rule files the compiler itself renders, one file per rule holding the case that
// must fire and the case that must stay quiet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AamiConfig, DEFAULT_PRESETS_DIR, loadPresetCatalog, type PresetCatalog, effectiveRules, type EffectiveRule } from '@aami/shared';
import { renderRuleFiles } from './rule-files.ts';
import { loadPresetTests, promtoolTestFile, promtoolTestGroup, type PresetTestFile, type TestCase } from './preset-tests.ts';
import { runTool, type ToolRun } from './validator.ts';

const TESTS_DIR = fileURLToPath(new URL('../../../presets/tests/', import.meta.url));

let catalog: PresetCatalog;
let suites: PresetTestFile[];
let dir: string;

before(async () => {
  catalog = await loadPresetCatalog(DEFAULT_PRESETS_DIR);
  suites = await loadPresetTests(TESTS_DIR);
  dir = await mkdtemp(join(tmpdir(), 'aami-preset-promtool-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Compiles `presets` (with `overrides`) and writes the rule files under `into`; returns the rules. */
async function writeRules(into: string, presets: string[], overrides: Record<string, unknown> = {}): Promise<Map<string, EffectiveRule>> {
  const config = AamiConfig.parse({ alerts: { presets, overrides } });
  const { rules } = effectiveRules(config, catalog);
  for (const [path, text] of renderRuleFiles(rules)) {
    await mkdir(join(into, 'rules'), { recursive: true });
    await writeFile(join(into, path), text);
  }
  return new Map(rules.map((r) => [r.name, r]));
}

/** Writes one promtool test file and runs it. */
async function promtool(into: string, name: string, rule: EffectiveRule, groups: object[]): Promise<ToolRun> {
  const file = `${name}.test.yml`;
  await writeFile(join(into, file), promtoolTestFile([`rules/${rule.group}.yml`], groups));
  return runTool('promtool', ['test', 'rules', file], { cwd: into });
}

function explain(run: ToolRun): string {
  return `promtool said:\n${run.stdout}\n${run.stderr}`;
}

test('every rule of every preset has a case that fires and one that stays quiet, and nothing else', () => {
  const byPreset = new Map(suites.map((s) => [s.preset, s]));
  for (const [name, preset] of catalog.presets) {
    const suite = byPreset.get(name);
    assert.ok(suite, `presets/tests/${name}.yaml is missing`);
    assert.deepEqual(Object.keys(suite.rules).sort(), preset.rules.map((r) => r.name).sort(), `presets/tests/${name}.yaml must test exactly the rules of ${name}`);
  }
  for (const s of suites) assert.ok(catalog.presets.has(s.preset), `presets/tests/${s.preset}.yaml tests a preset that does not exist`);
});

test('quiet cases feed the metrics the rule reads (a misspelt series would pass vacuously)', () => {
  for (const s of suites) {
    for (const [ruleName, cases] of Object.entries(s.rules)) {
      const expr = catalog.rules.get(ruleName)?.rule.expr ?? '';
      for (const series of cases.quiet.series) {
        assert.match(expr, new RegExp(`\\b${series.metric}\\b`), `${s.preset}/${ruleName}: quiet case feeds ${series.metric}, which the rule never reads`);
      }
      assert.ok(cases.quiet.series.length > 0, `${s.preset}/${ruleName}: quiet case has no series`);
    }
  }
});

test('promtool test rules: every preset rule fires on its fire case and stays quiet on its quiet case', async (t) => {
  const jobs: Array<{ preset: string; rule: string; run: Promise<ToolRun> }> = [];
  for (const s of suites) {
    const into = join(dir, 'cases', s.preset);
    const rules = await writeRules(into, [s.preset]);
    for (const [ruleName, cases] of Object.entries(s.rules)) {
      const rule = rules.get(ruleName)!;
      const groups = [promtoolTestGroup(rule, cases.fire, `${ruleName} fires`), promtoolTestGroup(rule, cases.quiet, `${ruleName} stays quiet`)];
      jobs.push({ preset: s.preset, rule: ruleName, run: promtool(into, ruleName, rule, groups) });
    }
  }
  assert.ok(jobs.length >= 30, `expected the preset rules to be many, got ${jobs.length}`);
  for (const job of jobs) {
    await t.test(`${job.preset}/${job.rule}`, async () => {
      const run = await job.run;
      assert.equal(run.ok, true, explain(run));
      assert.match(run.stdout, /SUCCESS/);
    });
  }
});

test('the harness can fail: a fire case run as if nothing should fire is reported by promtool', async () => {
  const into = join(dir, 'negative');
  const rules = await writeRules(into, ['gpu-basic']);
  const rule = rules.get('GPUTemperatureCritical')!;
  const fire = suites.find((s) => s.preset === 'gpu-basic')!.rules.GPUTemperatureCritical!.fire;
  const run = await promtool(into, 'negative', rule, [promtoolTestGroup(rule, fire, 'expects silence', false)]);
  assert.equal(run.ok, false);
  assert.match(run.stderr, /GPUTemperatureCritical/);
});

test('an override moves the threshold and the for duration of a preset rule', async () => {
  const into = join(dir, 'override');
  const rules = await writeRules(into, ['gpu-production'], { GPUTemperatureCritical: { threshold: 90, for: '1m' } });
  const rule = rules.get('GPUTemperatureCritical')!;
  assert.equal(rule.expr, 'DCGM_FI_DEV_GPU_TEMP > 90');
  const at88: TestCase = {
    interval: '1m', at: ['10m'], alerts: [],
    series: [{ metric: 'DCGM_FI_DEV_GPU_TEMP', on: 'gpu0', labels: {}, values: '88x20' }],
  };
  const at92: TestCase = {
    interval: '1m', at: ['2m'], alerts: [{ on: 'gpu0', labels: {}, drop: [], value: 92 }],
    series: [{ metric: 'DCGM_FI_DEV_GPU_TEMP', on: 'gpu0', labels: {}, values: '92x20' }],
  };
  const run = await promtool(into, 'override', rule, [promtoolTestGroup(rule, at88, '88 is fine at 90'), promtoolTestGroup(rule, at92, '92 fires after 1m')]);
  assert.equal(run.ok, true, explain(run));
  // The annotation says the overridden threshold, not the preset's default.
  assert.match(rule.annotations.description!, /above 90 °C/);
});
