import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDesired, PATHS, UNITS, type DesiredState } from './desired.ts';
import { makePlan, spaceShortfall } from './plan.ts';
import { facts, fakeStore, nodeFiles } from './testdata/fake-node.ts';
import type { NodeFacts } from './probe.ts';

async function desiredFor(f: NodeFacts, ne = '1.5.0'): Promise<DesiredState> {
  const d = await buildDesired(f, { store: fakeStore({ node_exporter: [ne, `bin-${ne}`] }), nodeFiles });
  assert.ok(d.ok);
  return d.desired;
}

/** The facts of a node on which `desired` is fully in place. */
function inPlace(desired: DesiredState, runId = 'r0'): NodeFacts {
  const plan = makePlan(facts(), desired, runId);
  return facts({
    sums: Object.fromEntries(desired.components.flatMap((c) => c.files.map((f) => [f.path, f.sha256]))),
    units: Object.fromEntries(desired.components.flatMap((c) => c.units.map((u) => [u, { active: 'active', enabled: 'enabled' }]))),
    installed: plan.record,
  });
}

test('a fresh node gets every file, every unit enabled and started, the oneshot run, and a record', async () => {
  const desired = await desiredFor(facts());
  const plan = makePlan(facts(), desired, 'r1');
  assert.equal(plan.result, 'installed');
  assert.deepEqual(plan.upload.map((f) => f.path).sort(), [PATHS.nodeExporterBin, PATHS.nodeExporterUnit, '/usr/local/bin/aami-xid-counter', PATHS.xidService, PATHS.xidTimer].sort());
  assert.deepEqual(plan.enable, [UNITS.nodeExporter, UNITS.xidTimer]);
  assert.deepEqual(plan.restart, [UNITS.nodeExporter, UNITS.xidTimer]);
  assert.deepEqual(plan.runOnce, [UNITS.xidService]);
  assert.equal(plan.daemonReload, true);
  assert.equal(plan.writeRecord, true);
  assert.equal(plan.record.components.node_exporter?.version, '1.5.0');
});

test('a node already in shape is "unchanged": nothing uploaded, restarted or rewritten', async () => {
  const desired = await desiredFor(facts());
  const plan = makePlan(inPlace(desired), desired, 'r2');
  assert.equal(plan.result, 'unchanged');
  assert.equal(plan.upload.length + plan.enable.length + plan.restart.length + plan.start.length + plan.runOnce.length, 0);
  assert.equal(plan.writeRecord, false);
  // The same run again (its worker was killed after the node was done): it reports what it did.
  const first = makePlan(facts(), desired, 'r-same');
  const again = makePlan({ ...inPlace(desired), installed: first.record }, desired, 'r-same');
  assert.deepEqual([again.result, again.writeRecord, again.upload.length], ['installed', false, 0]);
});

test('a new node_exporter version is an upgrade that replaces only its files and restarts only its unit', async () => {
  const old = await desiredFor(facts(), '1.5.0');
  const next = await desiredFor(facts(), '1.8.2');
  const plan = makePlan(inPlace(old), next, 'r3');
  assert.equal(plan.result, 'upgraded');
  assert.deepEqual(plan.upload.map((f) => f.path), [PATHS.nodeExporterBin]);
  assert.deepEqual(plan.restart, [UNITS.nodeExporter]);
  assert.deepEqual(plan.versionChanges, ['node_exporter 1.5.0 -> 1.8.2']);
  assert.equal(plan.daemonReload, false);
});

test('a stopped unit or a deleted file is repaired ("changed"), and a component no longer wanted is removed', async () => {
  const desired = await desiredFor(facts());
  const f = inPlace(desired);
  f.units[UNITS.nodeExporter] = { active: 'failed', enabled: 'enabled' };
  delete f.sums[PATHS.xidTimer];
  const plan = makePlan(f, desired, 'r4');
  assert.equal(plan.result, 'changed');
  assert.deepEqual(plan.start, [UNITS.nodeExporter]);
  assert.deepEqual(plan.upload.map((x) => x.path), [PATHS.xidTimer]);

  const withDcgm = inPlace(desired);
  withDcgm.installed = { ...withDcgm.installed!, components: { ...withDcgm.installed!.components, dcgm_exporter: { version: '3', units: [UNITS.dcgm], files: { [PATHS.dcgmBin]: 'x' } } } };
  const p2 = makePlan(withDcgm, desired, 'r5');
  assert.deepEqual(p2.removeUnits, [UNITS.dcgm]);
  assert.deepEqual(p2.removeFiles, [PATHS.dcgmBin]);
  assert.equal(p2.result, 'changed');
});

test('too little free space is reported before anything is uploaded', async () => {
  const desired = await desiredFor(facts());
  const plan = makePlan(facts(), desired, 'r6');
  assert.equal(spaceShortfall(plan, facts({ freeKb: { [PATHS.staging]: 10_000_000, '/usr/local/bin': 10_000_000 } })), undefined);
  assert.match(spaceShortfall(plan, facts({ freeKb: { [PATHS.staging]: 10_000_000, '/usr/local/bin': 100 } })) ?? '', /^disk full: \/usr\/local\/bin has 100 KiB free/);
});

test('GPU presence decides dcgm-exporter: none without nvidia-smi, binary or container with it, a reason when missing', async () => {
  const store = fakeStore({ node_exporter: ['1.5.0', 'ne'], 'dcgm-exporter': ['3.3.5-3.4.0', 'dcgm'] });
  const noGpu = await buildDesired(facts(), { store, nodeFiles });
  assert.ok(noGpu.ok);
  assert.deepEqual(noGpu.desired.components.map((c) => c.name), ['node_exporter', 'xid_counter']);
  assert.match(noGpu.desired.notes[0] ?? '', /no nvidia-smi.*dcgm-exporter not installed/);

  const gpu = facts({ gpu: { tool: true, names: ['NVIDIA A100'] } });
  const bin = await buildDesired(gpu, { store, nodeFiles });
  assert.ok(bin.ok);
  const dcgm = bin.desired.components.find((c) => c.name === 'dcgm_exporter');
  assert.deepEqual(dcgm?.files.map((f) => f.path), [PATHS.dcgmBin, PATHS.dcgmCounters, PATHS.dcgmUnit]);
  assert.match(dcgm?.files[2]?.content.toString() ?? '', /-f \/etc\/aami\/dcgm-counters\.csv -a :9400/);

  const img = await buildDesired({ ...gpu, containerRuntime: 'docker' }, { store: fakeStore({ node_exporter: ['1.5.0', 'ne'], 'dcgm-exporter-image': ['3.3.5-3.4.0-ubuntu22.04', 'tar'] }), nodeFiles });
  assert.ok(img.ok);
  const unit = img.desired.components.find((c) => c.name === 'dcgm_exporter')?.files.find((f) => f.path === PATHS.dcgmUnit)?.content.toString() ?? '';
  assert.match(unit, /docker run --rm --name aami-dcgm-exporter --gpus all .*nvcr\.io\/nvidia\/k8s\/dcgm-exporter:3\.3\.5-3\.4\.0-ubuntu22\.04/);

  const missing = await buildDesired(gpu, { store: fakeStore({ node_exporter: ['1.5.0', 'ne'] }), nodeFiles });
  assert.deepEqual(missing, { ok: false, reason: 'the node has GPUs (nvidia-smi) but the artifact store has no dcgm-exporter for amd64' });
  assert.equal((await buildDesired(facts({ arch: 'arm64' }), { store: fakeStore({}), nodeFiles })).ok, false);
});
