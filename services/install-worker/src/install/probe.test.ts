import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProbe, probeCommand } from './probe.ts';
import { sha256Of } from '../artifacts/store.ts';

test('the probe script, run for real by bash, reports sums, free space and basics', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'probe-'));
  await writeFile(join(dir, 'present'), 'abc');
  const cmd = probeCommand({ files: [join(dir, 'present'), join(dir, 'absent')], units: [], dirs: [join(dir, 'not', 'yet', 'made')] });
  assert.match(cmd.command, /^bash -s -- 'f:/);
  const out = execFileSync('bash', ['-s', '--', `f:${join(dir, 'present')}`, `f:${join(dir, 'absent')}`, `d:${join(dir, 'not', 'yet', 'made')}`], { input: cmd.stdin }).toString();
  const f = parseProbe(out);
  assert.equal(f.sums[join(dir, 'present')], sha256Of(Buffer.from('abc')));
  assert.equal(f.sums[join(dir, 'absent')], undefined);
  assert.ok((f.freeKb[join(dir, 'not', 'yet', 'made')] ?? 0) > 0, 'free space measured on the nearest existing parent');
  assert.equal(f.uid, process.getuid?.());
  assert.ok(['amd64', 'arm64'].includes(f.arch) || f.arch.length > 0);
});

test('parsing: GPUs, units, installed.json, runtime; output cut short is an error', () => {
  const installed = Buffer.from(JSON.stringify({ managed_by: 'aami', updated_at: 'x', run_id: 'r1', components: { node_exporter: { version: '1.5.0', units: ['u'], files: { '/a': 'b' } } } })).toString('base64');
  const f = parseProbe([
    'uid=0', 'user=root', 'sudo=root', 'os_id=ubuntu', 'os_version=22.04', 'os_pretty=Ubuntu 22.04.4 LTS', 'machine=aarch64', 'init=systemd',
    'gpu_tool=yes', 'gpu=NVIDIA H100 80GB HBM3', 'gpu=NVIDIA H100 80GB HBM3', 'runtime=docker',
    'unit aami-node-exporter.service active enabled', 'unit aami-xid-counter.timer inactive none', 'free /var/tmp 1234',
    `installed ${installed}`, 'probe=done',
  ].join('\n'));
  assert.equal(f.sudo, 'root');
  assert.equal(f.arch, 'arm64');
  assert.deepEqual(f.gpu, { tool: true, names: ['NVIDIA H100 80GB HBM3', 'NVIDIA H100 80GB HBM3'] });
  assert.equal(f.containerRuntime, 'docker');
  assert.deepEqual(f.units['aami-node-exporter.service'], { active: 'active', enabled: 'enabled' });
  assert.equal(f.freeKb['/var/tmp'], 1234);
  assert.equal(f.installed?.components.node_exporter?.version, '1.5.0');
  assert.throws(() => parseProbe('uid=0\nuser=root\n'), /cut short/);
});
