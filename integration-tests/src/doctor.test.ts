// `aami doctor` against the real pieces: Redis, Prometheus and Alertmanager behind their passwords
// (as compose runs them), OpenSSH sshd as a node on its own loopback address with a node_exporter
// stand-in on that address's port 9100, and AAMI's five services as their own processes. A healthy
// set-up exits 0 with nothing but ✔ lines; then one problem at a time, each undone before the next
// where it can be: the node's sshd gets a new host key, the node's exporter stops answering, a
// notification ends in the dead-letter list, a service goes down. Each exits 1 with its line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ConfigStore, DoctorResponse } from '@aami/shared';
import {
  freePort, makeTempDir, runCli, serviceAuth, startAamiService, startAlertmanagerOnFile, startPrometheusOnFile, startRedis, startSshd, waitFor,
  type AamiService, type AlertmanagerServer, type PrometheusServer, type RedisServer, type SshServer,
} from './harness/index.ts';
import { postWebhook, webhookBody, xidAlert } from './notification-relay-support.ts';
import { startServiceOnFreePort } from './web-ui/services.ts';

const ADMIN = 'aami_doctor-it-admin-token-0123456789abcdef';
const RELAY_TOKEN = 'integration-relay-token-5f1c';
const NODE = 'gpu-node-01';
/** The node's own loopback address: its exporter answers on the port Prometheus is told, 9100. */
const NODE_IP = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(2, 255)}`;

let redis: RedisServer;
let sshd: SshServer;
let prom: PrometheusServer;
let am: AlertmanagerServer;
let services: AamiService[] = [];
let gateway: AamiService;
let analyzer: AamiService;
let relay: AamiService;
let exporter: Server | undefined;

/** A node_exporter stand-in on NODE_IP:9100 (a handful of its series is all Prometheus needs). */
function startExporter(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('# TYPE node_boot_time_seconds gauge\nnode_boot_time_seconds 1.7e9\nnode_load1 0.5\n');
  });
  return new Promise((resolve, reject) => { server.once('error', reject); server.listen(9100, NODE_IP, () => resolve(server)); });
}

async function targetHealth(): Promise<string | undefined> {
  const res = await fetch(`${prom.url}/api/v1/targets?state=active`, { headers: prom.auth });
  const body = (await res.json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: string }> } };
  return body.data.activeTargets.find((t) => t.labels.node === NODE)?.health;
}

/** `aami doctor` through the gateway; its lines that are not ✔. */
async function doctor(): Promise<{ code: number; stdout: string; problems: string[] }> {
  const res = await runCli(['doctor'], { AAMI_URL: gateway.url, AAMI_TOKEN: ADMIN });
  const problems = res.stdout.split('\n').filter((l) => /^[✖!] /.test(l));
  return { code: res.code, stdout: `${res.stdout}${res.stderr}`, problems };
}

before(async () => {
  const dir = await makeTempDir('doctor-it');
  await mkdir(join(dir, 'secrets'));
  const promPassword = randomBytes(16).toString('hex');
  const amPassword = randomBytes(16).toString('hex');
  await writeFile(join(dir, 'secrets', 'prometheus-password'), `${promPassword}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'secrets', 'alertmanager-password'), `${amPassword}\n`, { mode: 0o600 });
  [redis, sshd] = await Promise.all([startRedis({ password: randomBytes(16).toString('hex') }), startSshd({ extraAddresses: [NODE_IP] })]);
  exporter = await startExporter();
  await new ConfigStore(join(dir, 'config.yaml')).create({
    cluster: { name: 'doctor-it' },
    ssh: { user: sshd.user, key: sshd.keyPath, concurrency: 10, connect_timeout_s: 5, command_timeout_s: 30 },
    // The node runs its own node_exporter (the stand-in): nothing of AAMI is installed there.
    nodes: [{ name: NODE, ip: NODE_IP, ssh_port: sshd.port, exporters: ['node_exporter'] }],
    prometheus: { scrape_interval: '1s', evaluation_interval: '1s' },
    // A channel whose webhook is an unset variable: the first alert becomes a dead letter.
    notifications: { slack: { webhook_url: '${AAMI_DOCTOR_IT_UNSET_WEBHOOK}' } },
  });
  const [promPort, amPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_REDIS_URL: redis.url,
    AAMI_PROMETHEUS_URL: `http://127.0.0.1:${promPort}`, AAMI_PROMETHEUS_PASSWORD_FILE: join(dir, 'secrets', 'prometheus-password'),
    AAMI_ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`, AAMI_ALERTMANAGER_PASSWORD_FILE: join(dir, 'secrets', 'alertmanager-password'),
    AAMI_RELAY_TOKEN: RELAY_TOKEN, AAMI_SELF_SCRAPE: '', AAMI_COMPILE_DEBOUNCE_MS: '100',
  };
  relay = await startServiceOnFreePort('notification-relay', 'AAMI_RELAY_PORT', undefined, env);
  env.AAMI_RELAY_URL = relay.url;
  const [compiler, worker] = await Promise.all([
    startServiceOnFreePort('rule-compiler', 'AAMI_RULE_COMPILER_PORT', 'AAMI_RULE_COMPILER_URL', env),
    startServiceOnFreePort('install-worker', 'AAMI_INSTALL_WORKER_PORT', 'AAMI_INSTALL_WORKER_URL', env),
  ]);
  analyzer = await startServiceOnFreePort('analyzer', 'AAMI_ANALYZER_PORT', undefined, env);
  services = [relay, compiler!, worker!, analyzer];
  // Prometheus and Alertmanager start on the files the compiler's first compile wrote.
  [am, prom] = await Promise.all([
    startAlertmanagerOnFile(join(dir, 'generated/alertmanager/alertmanager.yml'), amPort, undefined, { basicAuth: { username: 'aami', password: amPassword } }),
    startPrometheusOnFile(join(dir, 'generated/prometheus/prometheus.yml'), promPort, undefined, { basicAuth: { username: 'aami', password: promPassword } }),
  ]);
  gateway = await startAamiService('api-gateway', 'AAMI_API_PORT', {
    ...env, AAMI_ADMIN_TOKEN: ADMIN, AAMI_RULE_COMPILER_URL: compiler!.url, AAMI_INSTALL_WORKER_URL: worker!.url, AAMI_ANALYZER_URL: analyzer.url,
  });
  services.push(gateway);
  // First contact pins the node's host key (ssh.host_keys: tofu), as an operator's first test does.
  const pinned = await runCli(['nodes', 'test', NODE], { AAMI_URL: gateway.url, AAMI_TOKEN: ADMIN });
  assert.equal(pinned.code, 0, pinned.stdout + pinned.stderr);
  await waitFor(async () => (await targetHealth()) === 'up', 20_000, 'Prometheus scraping the node');
});

after(async () => {
  await new Promise<void>((r) => (exporter ? exporter.close(() => r()) : r()));
  await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
  await Promise.all([prom?.stop(), am?.stop(), sshd?.stop()]);
  await redis?.stop();
});

test('aami doctor: a healthy set-up exits 0; each problem exits 1 with its own line', { timeout: 120_000 }, async () => {
  const healthy = await doctor();
  assert.equal(healthy.code, 0, healthy.stdout);
  assert.deepEqual(healthy.problems, [], healthy.stdout);
  for (const check of ['services', 'credentials', 'config', 'scrape', 'prometheus-disk', 'ssh', 'host-keys', 'clock-skew', 'exporter-versions', 'dead-letters', 'redis-memory']) {
    assert.match(healthy.stdout, new RegExp(`^✔ ${check}: `, 'm'), `a ✔ line for ${check}`);
  }
  assert.match(healthy.stdout, /^Nothing to fix; \d+ ok \(11 checks/m);
  const json = await runCli(['doctor', '--output', 'json'], { AAMI_URL: gateway.url, AAMI_TOKEN: ADMIN });
  assert.equal(json.code, 0, json.stdout);
  const answer = DoctorResponse.parse(JSON.parse(json.stdout));
  assert.deepEqual([answer.severity, answer.counts.warning, answer.counts.critical], ['ok', 0, 0]);

  // The node is reinstalled: its sshd offers a new host key.
  await sshd.rotateHostKey();
  const rotated = await doctor();
  assert.equal(rotated.code, 1, rotated.stdout);
  assert.equal(rotated.problems.length, 1, rotated.stdout);
  assert.match(rotated.problems[0] ?? '', new RegExp(`^✖ host-keys: ${NODE} offers host key SHA256:\\S+, not the pinned SHA256:\\S+: AAMI will not log in there — fix: .*aami nodes trust ${NODE}$`));
  const trusted = await runCli(['nodes', 'trust', NODE, '--yes'], { AAMI_URL: gateway.url, AAMI_TOKEN: ADMIN });
  assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr);

  // The node's exporter stops answering.
  await new Promise<void>((r) => exporter!.close(() => r()));
  exporter = undefined;
  await waitFor(async () => (await targetHealth()) === 'down', 20_000, 'Prometheus seeing the exporter down');
  const scrape = await doctor();
  assert.equal(scrape.code, 1, scrape.stdout);
  assert.equal(scrape.problems.length, 1, scrape.stdout);
  assert.match(scrape.problems[0] ?? '', new RegExp(`^✖ scrape: Prometheus cannot scrape ${NODE}: node_exporter \\(http://${NODE_IP.replaceAll('.', '\\.')}:9100/metrics\\): .*connection refused — fix: aami nodes install ${NODE} --verify`));
  exporter = await startExporter();
  await waitFor(async () => (await targetHealth()) === 'up', 20_000, 'Prometheus scraping the node again');

  // An alert the relay cannot deliver: the Slack webhook is an unset variable.
  assert.equal((await postWebhook(relay.url, webhookBody([xidAlert(NODE)]), RELAY_TOKEN)).status, 200);
  await waitFor(async () => {
    const res = await fetch(`${relay.url}/api/v1/notifications/dead-letters`, { headers: serviceAuth });
    return ((await res.json()) as { dead_letters: unknown[] }).dead_letters.length === 1;
  }, 15_000, 'the dead letter');
  const dead = await doctor();
  assert.equal(dead.code, 1, dead.stdout);
  assert.deepEqual(dead.problems.map((l) => l.replace(/ — fix: .*/, '')), ['! dead-letters: 1 slack notification(s) were given up on; the last one failed with: invalidConfig: notifications.slack.webhook_url: environment variable AAMI_DOCTOR_IT_UNSET_WEBHOOK is not set'], dead.stdout);

  // A service goes down (the dead letter is still there).
  await analyzer.stop();
  const down = await doctor();
  assert.equal(down.code, 1, down.stdout);
  assert.equal(down.problems.length, 2, down.stdout);
  assert.match(down.problems[0] ?? '', new RegExp(`^✖ services: analyzer at ${analyzer.url.replaceAll('.', '\\.')} is not reachable: .* — fix: docker compose logs analyzer`));
  assert.match(down.problems[1] ?? '', /^! dead-letters: /);
});
