import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { AamiConfig } from '@aami/shared';
import { RETENTION_LINE, renderPrometheusConfig } from './prometheus-config.ts';

const run = promisify(execFile);
const REPO = new URL('../../../', import.meta.url);

const render = (prometheus: unknown) =>
  renderPrometheusConfig(AamiConfig.parse({ prometheus }), { alertmanagerUrl: 'http://alertmanager:9093', ruleFiles: [], selfTargets: [] });

test("prometheus.yml's second line carries prometheus.retention, and the file stays the same YAML", () => {
  assert.equal(render({}).split('\n')[1], `${RETENTION_LINE}15d`);
  const text = render({ retention: '90d', scrape_interval: '30s' });
  assert.equal(text.split('\n')[1], '# aami-retention: 90d');
  assert.equal((YAML.parse(text) as { global: { scrape_interval: string } }).global.scrape_interval, '30s', 'a comment to YAML');
  assert.equal(text.match(/aami-retention/g)?.length, 1);
});

/**
 * docker-compose.yml's prometheus start script, run by /bin/sh against generated files, with the
 * paths moved into `dir` and Prometheus replaced by a program that prints its arguments.
 */
async function composeStart(dir: string): Promise<{ args: string[]; stderr: string }> {
  const compose = YAML.parse(await readFile(new URL('docker-compose.yml', REPO), 'utf8')) as { services: Record<string, { entrypoint?: string[]; command?: string[] }> };
  const prometheus = compose.services['prometheus'];
  assert.deepEqual(prometheus?.entrypoint, ['/bin/sh', '-c']);
  const script = (prometheus?.command?.[0] ?? '')
    .replaceAll('$$', '$') // compose's escape for a literal $
    .replaceAll('/var/lib/aami-generated', join(dir, 'generated'))
    .replace('exec /bin/prometheus', `exec ${join(dir, 'prometheus')}`);
  await writeFile(join(dir, 'prometheus'), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
  const { stdout, stderr } = await run('/bin/sh', ['-c', script], { timeout: 10_000 });
  return { args: stdout.trim().split('\n'), stderr };
}

test("compose's prometheus command starts Prometheus with the retention the rule compiler wrote", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aami-retention-'));
  try {
    await mkdir(join(dir, 'generated', 'prometheus'), { recursive: true });
    await writeFile(join(dir, 'generated', 'prometheus', 'prometheus.yml'), render({ retention: '45d' }));
    const { args } = await composeStart(dir);
    assert.ok(args.includes('--storage.tsdb.retention.time=45d'), args.join(' '));
    assert.ok(args.includes(`--config.file=${join(dir, 'generated', 'prometheus', 'prometheus.yml')}`));
    assert.ok(args.includes('--web.enable-lifecycle') && args.includes('--storage.tsdb.path=/prometheus'));

    // A prometheus.yml from before the retention line: Prometheus' own default, and the log says so.
    await writeFile(join(dir, 'generated', 'prometheus', 'prometheus.yml'), 'global: {}\n');
    const old = await composeStart(dir);
    assert.ok(old.args.includes('--storage.tsdb.retention.time=15d'), old.args.join(' '));
    assert.match(old.stderr, /no retention line/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
