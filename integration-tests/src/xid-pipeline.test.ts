// The whole Xid path with every real part AAMI runs, no Docker: a simulated GPU node falls off the
// bus (its kernel log gets the real NVRM line), AAMI's node-side counter turns the log into
// aami_xid_errors_total in a real node_exporter's textfile collector, a real Prometheus (on the
// rule compiler's generated config and gpu-basic rules) fires GPUXidError, a real Alertmanager
// (on the generated config, token from a file) posts to the relay process, and the relay tells a
// Slack sink and a real SMTP server: one message each, naming the node, the GPU and "fallen off
// the bus" with the first thing to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigStore, createLogger } from '@aami/shared';
import { loadRuleCompilerSettings, startRuleCompiler } from '@aami/rule-compiler';
import { startFleet } from '@aami/gpu-simulator';
import { slackText, startSlackSink } from '@aami/notification-relay/testing/slack-sink';
import { startSmtpSink } from '@aami/notification-relay/testing/smtp-sink';
import { REPO_ROOT, freePort, httpOk, makeTempDir, requireBinary, startAlertmanagerOnFile, startDaemon, startPrometheusOnFile, waitFor } from './harness/index.ts';
import { RELAY_TOKEN, deferrer, relayEnv, startRelayProcess, startTestRedis } from './notification-relay-support.ts';

const run = promisify(execFile);
const COUNTER = join(REPO_ROOT, 'node-files/aami-xid-counter');

test('Xid 79 on a simulated GPU reaches Slack and email, explained, through every real part', { timeout: 240_000 }, async (t) => {
  const defer = deferrer(t);
  const dir = await makeTempDir('xid-pipeline');
  // One node on its own loopback address, so the exporters sit on their default ports 9400 and 9100.
  const ip = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(2, 255)}`;

  const fleet = await startFleet({ nodes: 1, gpus: 4, addressing: 'loopback', firstAddress: ip, basePort: 9400, logDir: join(dir, 'sim'), controlPort: 0, nodePrefix: 'gpu-node-' });
  defer(() => fleet.stop());
  const node = fleet.nodes[0]!;
  assert.equal(node.name, 'gpu-node-01');
  const logFile: string = node.logFile ?? assert.fail('the simulated node writes no kernel log');

  const textDir = join(dir, 'textfile');
  const stateDir = join(dir, 'counter-state');
  await mkdir(textDir, { recursive: true });
  const nodeExporter = await startDaemon({
    name: 'node-exporter', dir, command: requireBinary('/usr/bin/prometheus-node-exporter', 'prometheus-node-exporter'),
    args: [`--web.listen-address=${ip}:9100`, `--collector.textfile.directory=${textDir}`, '--log.level=warn'],
    ready: () => httpOk(`http://${ip}:9100/metrics`),
  });
  defer(() => nodeExporter.stop());
  const count = () => run('sh', [COUNTER, '--log-file', logFile, '--state-dir', stateDir, '--textfile-dir', textDir]);
  await count();

  const redis = await startTestRedis(defer);
  const slack = await startSlackSink();
  defer(() => slack.close());
  const smtp = await startSmtpSink();
  defer(() => smtp.close());

  const store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create({
    cluster: { name: 'it-cluster' },
    nodes: [{ name: node.name, ip, labels: {}, exporters: ['node_exporter', 'dcgm_exporter'] }],
    alerts: { presets: ['gpu-basic'] },
    prometheus: { scrape_interval: '1s', evaluation_interval: '1s' },
    notifications: {
      slack: { webhook_url: '${IT_SLACK_WEBHOOK_URL}', channel: '#gpu-alerts' },
      email: { smtp_host: '127.0.0.1', smtp_port: smtp.port, tls: 'none', from: 'aami@cluster.example', to: ['oncall@example.com'] },
    },
  });
  const relay = await startRelayProcess(defer, relayEnv(redis.url, store.path, { IT_SLACK_WEBHOOK_URL: slack.url }));

  const [promPort, amPort] = [await freePort(), await freePort()];
  await writeFile(join(dir, 'relay-token'), `${RELAY_TOKEN}\n`, { mode: 0o600 });
  const settings = loadRuleCompilerSettings({
    AAMI_DATA_DIR: dir,
    AAMI_PROMETHEUS_URL: `http://127.0.0.1:${promPort}`,
    AAMI_ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`,
    AAMI_RELAY_URL: relay.url,
    AAMI_RELAY_TOKEN_FILE: join(dir, 'relay-token'),
    AAMI_SELF_SCRAPE: '',
    AAMI_BIND: '127.0.0.1',
  });
  const compiler = await startRuleCompiler(settings, { log: createLogger('xid-pipeline-it', 'error'), serviceToken: 'service-token-for-xid-pipeline', redisUrl: redis.url, port: 0 });
  defer(() => compiler.close());
  const am = await startAlertmanagerOnFile(join(settings.generatedDir, 'alertmanager/alertmanager.yml'), amPort);
  defer(() => am.stop());
  const prom = await startPrometheusOnFile(join(settings.generatedDir, 'prometheus/prometheus.yml'), promPort);
  defer(() => prom.stop());
  const query = (expr: string) => prom.query(expr);
  await waitFor(async () => (await query(`up{node="${node.name}"} == 1`)).length === 2, 30_000, 'prometheus scraping node_exporter and dcgm-exporter of the simulated node');

  // The fault: GPU 2 falls off the bus; the kernel log gets Xid 79 and the counter (its timer, here run by hand) counts it.
  const gpu = 2;
  const res = await fetch(`${fleet.controlUrl ?? ''}/nodes/${node.name}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'fall-off-bus', gpu }) });
  assert.equal(res.status, 201);
  await count();
  const [counted] = await (async () => {
    let r: Array<{ metric: Record<string, string> }> = [];
    await waitFor(async () => (r = await query(`aami_xid_errors_total{node="${node.name}",xid="79"}`)).length === 1, 20_000, 'aami_xid_errors_total{xid="79"} in Prometheus');
    return r;
  })();
  const pciBusId = counted!.metric.pci_bus_id!;
  assert.match(pciBusId, /^[0-9A-F]{8}:[0-9A-F]{2}:00\.0$/);

  // Slack: one message naming the node, the GPU, "fallen off the bus" and the first action.
  await waitFor(async () => slack.delivered().some((b) => /fallen off the bus/i.test(slackText(b))), 90_000, 'the Xid 79 message at the Slack sink');
  const xidMessages = slack.delivered().map(slackText).filter((text) => /Xid 79/.test(text));
  assert.equal(xidMessages.length, 1, xidMessages.join('\n---\n'));
  const text = xidMessages[0]!;
  assert.match(text, new RegExp(node.name));
  assert.match(text, new RegExp(pciBusId.replace(/[.]/g, '\\.')));
  assert.match(text, /fallen off the bus/i);
  assert.match(text, /drain/i, 'the first recommended action (take the node out of the scheduler)');
  assert.deepEqual(slack.problems(), [], 'every request met Slack\'s payload rules');

  // Email: one mail with the same content.
  await smtp.waitFor((mails) => mails.some((m) => /Xid 79/.test(`${m.subject ?? ''} ${m.text ?? ''}`)), 60_000);
  const mails = smtp.mails.filter((m) => /Xid 79/.test(`${m.subject ?? ''} ${m.text ?? ''}`));
  assert.equal(mails.length, 1);
  assert.match(mails[0]!.text ?? '', new RegExp(node.name));
  assert.match(mails[0]!.text ?? '', /fallen off the bus/i);
  assert.match(String(mails[0]!.html ?? ''), /fallen off the bus/i);
});
