import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, ValidationError, createLogger, loadPresetCatalog } from '@aami/shared';
import { Compiler, ReloadFailedError } from './compiler.ts';
import { readCompileStatus, StatusStore } from './status.ts';
import { GeneratedTree } from './writer.ts';
import { createMetrics } from './metrics.ts';
import type { ReloadReport } from './reloader.ts';
import type { ToolPaths } from './validator.ts';

const OK: ReloadReport = { prometheus: { ok: true, status: 200 }, alertmanager: { ok: true, status: 200 } };

const made: string[] = [];
after(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

async function setup(initial: Record<string, unknown>, tools?: ToolPaths) {
  const dir = await mkdtemp(join(tmpdir(), 'aami-compiler-'));
  made.push(dir);
  const store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create({ cluster: { name: 'c1' }, nodes: [{ name: 'n1', ip: '10.0.0.1' }], ...initial });
  const generated = join(dir, 'generated');
  const reloads: number[] = [];
  let nextReload: ReloadReport = OK;
  const catalog = loadPresetCatalog();
  const metrics = createMetrics();
  const compiler = new Compiler({
    readConfig: () => store.read(),
    catalog: () => catalog,
    tree: new GeneratedTree(generated),
    status: new StatusStore(generated),
    options: { relayUrl: 'http://relay:8081', relayTokenFile: '/t', alertmanagerUrl: 'http://am:9093', selfTargets: [] },
    ...(tools ? { tools } : {}),
    reload: async () => { reloads.push(Date.now()); return nextReload; },
    log: createLogger('test', 'error'),
    metrics,
    now: () => new Date('2030-01-01T00:00:00Z'),
  });
  return { store, generated, compiler, reloads, metrics, setReload: (r: ReloadReport) => { nextReload = r; } };
}

test('a run writes the files, reloads both programs and records ok; the same input again writes and reloads nothing', async () => {
  const s = await setup({ alerts: { presets: ['gpu-basic'] } });
  const first = await s.compiler.run();
  assert.equal(first.changed, true);
  assert.equal(first.reloaded, true);
  assert.equal(s.reloads.length, 1);
  const rules = await readFile(join(s.generated, 'prometheus/rules/gpu-basic.yml'), 'utf8');
  assert.match(rules, /DCGM_FI_DEV_GPU_TEMP > 85/);
  const status = await readCompileStatus(s.generated);
  assert.equal(status.state, 'ok');
  assert.equal(status.lastSuccess?.revision, 1);
  assert.equal(status.lastSuccess?.summary.nodes, 1);

  await s.store.update(() => {}); // a revision bump that changes nothing
  const second = await s.compiler.run();
  assert.equal(second.changed, false);
  assert.equal(second.reloaded, false);
  assert.equal(second.revision, 2);
  assert.equal(s.reloads.length, 1, 'no reload for identical output');
  assert.match(await s.metrics.registry.metrics(), /aami_rule_compiler_compiles_total\{result="ok"\} 2/);
});

test('a node added or removed writes its target file in place: no promtool run, no reload; a rule change still gets both', async () => {
  // promtool and amtool behind wrappers that count their runs and then run the real programs.
  const bin = await mkdtemp(join(tmpdir(), 'aami-tools-'));
  made.push(bin);
  const runs = join(bin, 'runs');
  await writeFile(runs, '');
  for (const tool of ['promtool', 'amtool']) {
    await writeFile(join(bin, tool), `#!/bin/sh\necho ${tool} >> '${runs}'\nexec ${tool} "$@"\n`);
    await chmod(join(bin, tool), 0o755);
  }
  const toolRuns = async () => (await readFile(runs, 'utf8')).split('\n').filter(Boolean).length;
  const s = await setup({ alerts: { presets: ['gpu-basic'] } }, { promtool: join(bin, 'promtool'), amtool: join(bin, 'amtool') });
  await s.compiler.run();
  const checked = await toolRuns();
  assert.ok(checked > 0, 'the first compile is checked');
  const promYml = join(s.generated, 'prometheus/prometheus.yml');
  const promYmlBefore = (await stat(promYml)).mtimeMs;

  await s.store.update((c) => { c.nodes.push({ name: 'n2', ip: '10.0.0.2', labels: { rack: 'r2' } }); });
  const added = await s.compiler.run();
  assert.equal(added.changed, true);
  assert.equal(added.reloaded, false, 'file_sd needs no reload');
  assert.deepEqual(added.files, { written: 1, removed: 0, unchanged: added.files.unchanged });
  assert.equal(s.reloads.length, 1);
  assert.equal(await toolRuns(), checked, 'no promtool or amtool run for a target file');
  const target = JSON.parse(await readFile(join(s.generated, 'prometheus/targets/nodes/n2.json'), 'utf8')) as Array<{ targets: string[]; labels: Record<string, string> }>;
  assert.ok(target.some((t) => t.targets.includes('10.0.0.2:9100') && t.labels['rack'] === 'r2'), JSON.stringify(target));
  assert.equal((await stat(promYml)).mtimeMs, promYmlBefore, 'prometheus.yml is not rewritten');
  assert.deepEqual((await readdir(s.generated)).filter((n) => n.startsWith('.staging-')), [], 'nothing staged');
  assert.equal((await readCompileStatus(s.generated)).lastSuccess?.revision, 2);

  await s.store.update((c) => { c.nodes = c.nodes.filter((n) => n.name !== 'n2'); });
  const removed = await s.compiler.run();
  assert.equal(removed.files.removed, 1);
  assert.equal(removed.reloaded, false);
  await assert.rejects(stat(join(s.generated, 'prometheus/targets/nodes/n2.json')), 'the removed node\'s target file is gone');
  assert.equal(await toolRuns(), checked);
  // The manifest follows: the same config again is a no-op, not a rewrite.
  await s.store.update(() => {});
  assert.equal((await s.compiler.run()).changed, false);

  await s.store.update((c) => { c.alerts.overrides.GPUTemperatureCritical = { threshold: 80 }; });
  const tuned = await s.compiler.run();
  assert.equal(tuned.reloaded, true, 'a rule change is reloaded');
  assert.ok(await toolRuns() > checked, 'and checked by promtool');
});

test('a config the checkers refuse keeps the previous files live and reports the error at its config path', async () => {
  const s = await setup({ alerts: { presets: ['gpu-basic'] } });
  await s.compiler.run();
  const before = await readFile(join(s.generated, 'prometheus/rules/gpu-basic.yml'), 'utf8');
  await s.store.update((c) => {
    c.alerts.overrides.GPUTemperatureCritical = { threshold: 99 };
    c.alerts.custom.push({ name: 'Broken', expr: 'rate(DCGM_FI_DEV_GPU_TEMP[5m] by (gpu)', for: '5m', severity: 'warning', summary: 's', description: '', labels: {} });
  });
  await assert.rejects(s.compiler.run(), (err: unknown) => err instanceof ValidationError && /previous files stay live/.test(err.message));
  assert.equal(await readFile(join(s.generated, 'prometheus/rules/gpu-basic.yml'), 'utf8'), before, 'the live rules still say 85');
  const status = await readCompileStatus(s.generated);
  assert.equal(status.state, 'failed');
  assert.equal(status.lastAttempt?.revision, 2);
  assert.equal(status.lastSuccess?.revision, 1);
  assert.ok(status.lastAttempt?.errors.some((e) => e.path === 'alerts.custom[0].expr' && /parse error/.test(e.message)), JSON.stringify(status.lastAttempt?.errors));
  assert.equal(s.reloads.length, 1);

  // Fixing the config recovers: the next run applies it and the state is ok again.
  await s.store.update((c) => { c.alerts.custom[0]!.expr = 'rate(DCGM_FI_DEV_GPU_TEMP[5m]) > 1'; });
  await s.compiler.run();
  assert.match(await readFile(join(s.generated, 'prometheus/rules/gpu-basic.yml'), 'utf8'), /DCGM_FI_DEV_GPU_TEMP > 99/);
  assert.equal((await readCompileStatus(s.generated)).state, 'ok');
});

test('a config whose alert section is wrong is refused before anything is written', async () => {
  const s = await setup({ alerts: { presets: ['gpu-basic'] } });
  await s.compiler.run();
  await s.store.update((c) => { c.alerts.presets.push('no-such-preset'); });
  await assert.rejects(s.compiler.run(), ValidationError);
  const status = await readCompileStatus(s.generated);
  assert.equal(status.state, 'failed');
  assert.equal(status.lastAttempt?.errors[0]?.path, 'alerts.presets[1]');
});

test('a reload a running program refuses is reported and retried by the next run even though the files did not change', async () => {
  const s = await setup({ alerts: { presets: ['gpu-basic'] } });
  s.setReload({ prometheus: { ok: false, status: 500, error: 'failed to reload config: boom' }, alertmanager: { ok: true, status: 200 } });
  await assert.rejects(s.compiler.run(), (err: unknown) => err instanceof ReloadFailedError && /prometheus: failed to reload config: boom/.test(err.message));
  assert.equal((await readCompileStatus(s.generated)).state, 'reload_failed');
  s.setReload(OK);
  const again = await s.compiler.run();
  assert.equal(again.changed, false);
  assert.equal(again.reloaded, true);
  assert.equal(s.reloads.length, 2);
  assert.equal((await readCompileStatus(s.generated)).state, 'ok');
});

test('programs that are not running yet are no failure (they read the files at start), but the next run reloads', async () => {
  const s = await setup({ alerts: { presets: ['gpu-basic'] } });
  s.setReload({ prometheus: { ok: false, unreachable: true, error: 'unreachable: ECONNREFUSED' }, alertmanager: { ok: false, unreachable: true, error: 'unreachable: ECONNREFUSED' } });
  const first = await s.compiler.run();
  assert.equal(first.changed, true);
  const status = await readCompileStatus(s.generated);
  assert.equal(status.state, 'ok');
  assert.equal(status.reload?.prometheus.unreachable, true);
  s.setReload(OK);
  assert.equal((await s.compiler.run()).reloaded, true);
  assert.equal((await s.compiler.run()).reloaded, false);
  assert.equal(s.reloads.length, 2);
});

test('validateCandidate checks a config with the real tools without touching the live files', async () => {
  const s = await setup({ alerts: { presets: ['gpu-basic'] } });
  await s.compiler.run();
  const report = await s.compiler.validateCandidate({ nodes: [{ name: 'a', ip: '10.1.1.1' }], alerts: { presets: ['gpu-production'] } });
  assert.equal(report.valid, true);
  assert.equal(report.summary.rules, 8);
  await assert.rejects(
    s.compiler.validateCandidate({ alerts: { presets: ['gpu-basic'], overrides: { GPUTemperatureCritical: { threshold: 'hot' } } } }),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'alerts.overrides.GPUTemperatureCritical.threshold'),
  );
  await assert.rejects(
    s.compiler.validateCandidate({ alerts: { custom: [{ name: 'Bad', expr: 'up ==', summary: 's' }] } }),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.path === 'alerts.custom[0].expr'),
  );
  assert.equal(s.reloads.length, 1);
  assert.doesNotMatch(await readFile(join(s.generated, 'prometheus/prometheus.yml'), 'utf8'), /gpu-production/);
});
