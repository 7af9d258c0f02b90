// Proves the harness starts each real daemon and that they talk to each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startAlertmanager, startNodeExporter, startPrometheus, startRedis, startSshd } from './index.ts';

const run = promisify(execFile);

test('redis, prometheus scraping node_exporter, alertmanager and sshd start and answer', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const ne = await startNodeExporter();
  t.after(() => ne.stop());
  const prom = await startPrometheus({
    configYaml: `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: node_exporter\n    static_configs: [{targets: ['${ne.address}'], labels: {node: n1}}]\n`,
  });
  t.after(() => prom.stop());
  const am = await startAlertmanager('route: {receiver: none}\nreceivers: [{name: none}]\n');
  t.after(() => am.stop());
  const sshd = await startSshd();
  t.after(() => sshd.stop());

  await redis.restart();
  const deadline = Date.now() + 15_000;
  let up: Awaited<ReturnType<typeof prom.query>> = [];
  while (Date.now() < deadline) {
    up = await prom.query('up{node="n1"}');
    if (up[0]?.value[1] === '1') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(up[0]?.value[1], '1', 'prometheus sees node_exporter up');
  assert.deepEqual(await am.alerts(), []);
  const { stdout } = await run('ssh', ['-i', sshd.keyPath, '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${sshd.user}@127.0.0.1`, 'echo hello-from-sshd']);
  assert.equal(stdout.trim(), 'hello-from-sshd');
});
