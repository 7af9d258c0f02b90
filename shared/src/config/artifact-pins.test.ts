import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AamiConfig } from './schema.ts';

test('artifacts.pins: a sha256 of 64 hex digits per name/version/arch, each pinned once; none by default', () => {
  assert.deepEqual(AamiConfig.parse({}).artifacts, { pins: [] });
  const sha = 'ab'.repeat(32);
  const ok = AamiConfig.parse({ artifacts: { pins: [{ name: 'node_exporter', version: '1.8.2', arch: 'amd64', sha256: sha }] } });
  assert.equal(ok.artifacts.pins[0]?.sha256, sha);
  const bad = AamiConfig.safeParse({ artifacts: { pins: [
    { name: 'node_exporter', version: '1.8.2', arch: 'amd64', sha256: 'AB'.repeat(32) },
    { name: 'node_exporter', version: '1.8.2', arch: 'amd64', sha256: sha },
    { name: 'node_exporter', version: '1.8.2', arch: 'amd64', sha256: sha },
    { name: '../etc', version: '1', arch: 'amd64', sha256: sha },
  ] } });
  assert.equal(bad.success, false);
  const issues = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.ok(issues.some((i) => /^artifacts\.pins\.0\.sha256: the 64 lowercase hex digits/.test(i)), issues.join('\n'));
  assert.ok(issues.some((i) => /^artifacts\.pins\.0\.name|^artifacts\.pins\.3\.name: letters, digits/.test(i)), issues.join('\n'));
});

test('a pin pinned twice is named', () => {
  const sha = 'cd'.repeat(32);
  const pin = { name: 'node_exporter', version: '1.8.2', arch: 'amd64', sha256: sha };
  const r = AamiConfig.safeParse({ artifacts: { pins: [pin, pin] } });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues.map((i) => [i.path.join('.'), i.message]), [['artifacts.pins.1', 'node_exporter/1.8.2/amd64 is pinned twice']]);
});
