// The rule compiler against the real programs: Redis (the compile queue), Prometheus and Alertmanager
// started on the files it generates, a fake dcgm-exporter/node_exporter (a node:http server on a
// random 127.x.y.z address, so the default exporter ports 9400/9100 work unchanged) and a fake relay.
// Applying gpu-production and ramping a GPU to 95 °C must end in a firing GPUTemperatureCritical in
// Alertmanager and a webhook call to the relay with the bearer token; a bad override must be refused
// while the running rules stay as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomBytes, randomInt } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { ConfigStore, QUEUES, ValidationError, createLogger, loadPresetCatalog, validateOverride, type CompileJob } from '@aami/shared';
import { loadRuleCompilerSettings, readCompileStatus, startRuleCompiler } from '@aami/rule-compiler';
import { freePort, makeTempDir, startAlertmanagerOnFile, startPrometheusOnFile, startRedis, waitFor } from './harness/index.ts';

const SERVICE_TOKEN = 'service-token-for-rule-compiler-it';

const GPU_LABELS = (i: number) => `gpu="${i}",UUID="GPU-7f3a9c1e-5b2d-4e8f-9a01-2c3d4e5f60${i}${i}",pci_bus_id="00000000:${['18', '2A'][i]}:00.0",device="nvidia${i}",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-node-01",DCGM_FI_DRIVER_VERSION="550.90.07"`;

/** A dcgm-exporter and a node_exporter on `ip`, serving what `state` says. */
async function fakeExporters(ip: string, state: { temp: number }): Promise<Server[]> {
  const dcgm = createServer((_req, res) => {
    const lines = [
      '# HELP DCGM_FI_DEV_GPU_TEMP GPU temperature (in C).', '# TYPE DCGM_FI_DEV_GPU_TEMP gauge',
      `DCGM_FI_DEV_GPU_TEMP{${GPU_LABELS(0)}} ${state.temp}`, `DCGM_FI_DEV_GPU_TEMP{${GPU_LABELS(1)}} 41`,
      '# TYPE DCGM_FI_DEV_FB_USED gauge', `DCGM_FI_DEV_FB_USED{${GPU_LABELS(0)}} 20000`, `DCGM_FI_DEV_FB_USED{${GPU_LABELS(1)}} 100`,
      '# TYPE DCGM_FI_DEV_FB_FREE gauge', `DCGM_FI_DEV_FB_FREE{${GPU_LABELS(0)}} 61000`, `DCGM_FI_DEV_FB_FREE{${GPU_LABELS(1)}} 80900`,
      '# TYPE DCGM_FI_DEV_FB_RESERVED gauge', `DCGM_FI_DEV_FB_RESERVED{${GPU_LABELS(0)}} 559`, `DCGM_FI_DEV_FB_RESERVED{${GPU_LABELS(1)}} 559`,
      '# TYPE DCGM_FI_DEV_GPU_UTIL gauge', `DCGM_FI_DEV_GPU_UTIL{${GPU_LABELS(0)}} 97`, `DCGM_FI_DEV_GPU_UTIL{${GPU_LABELS(1)}} 0`,
      '',
    ];
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(lines.join('\n'));
  });
  const node = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end('# TYPE node_load1 gauge\nnode_load1 0.5\n');
  });
  await Promise.all([[dcgm, 9400], [node, 9100]].map(([s, port]) => new Promise<void>((resolve, reject) => {
    (s as Server).once('error', reject);
    (s as Server).listen(port as number, ip, () => resolve());
  })));
  return [dcgm, node];
}

/** The relay's webhook: records each POST with its Authorization header. */
async function fakeRelay(): Promise<{ url: string; calls: Array<{ auth: string | undefined; body: { alerts: Array<{ labels: Record<string, string>; status: string }> } }>; server: Server }> {
  const calls: Array<{ auth: string | undefined; body: { alerts: Array<{ labels: Record<string, string>; status: string }> } }> = [];
  const read = async (req: IncomingMessage) => { let s = ''; for await (const c of req) s += c; return s; };
  const server = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/alertmanager/webhook') calls.push({ auth: req.headers.authorization, body: JSON.parse(await read(req)) });
    res.statusCode = 202;
    res.end();
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${port}`, calls, server };
}

/** Closes a server and the keep-alive connections Prometheus and Alertmanager hold to it. */
function closeServer(s: Server): Promise<void> {
  return new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
}

async function promQuery(url: string, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const body = await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json() as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  return body.data.result;
}

async function alertRules(url: string): Promise<Array<{ name: string; query: string; duration: number }>> {
  const body = await (await fetch(`${url}/api/v1/rules?type=alert`)).json() as { data: { groups: Array<{ rules: Array<{ name: string; query: string; duration: number }> }> } };
  return body.data.groups.flatMap((g) => g.rules);
}

test('gpu-production + a temperature ramp fires GPUTemperatureCritical in a real Alertmanager; a bad override changes nothing', { timeout: 180_000 }, async (t) => {
  // Stopped in reverse order of start (the worker before Redis, the programs before their targets).
  const stack: Array<() => Promise<unknown>> = [];
  const defer = (fn: () => Promise<unknown>) => { stack.push(fn); };
  t.after(async () => { for (const fn of stack.reverse()) await fn().catch(() => undefined); });
  const dir = await makeTempDir('rule-compiler');
  defer(() => rm(dir, { recursive: true, force: true }));
  const ip = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(2, 255)}`;
  const state = { temp: 60 };
  for (const s of await fakeExporters(ip, state)) defer(() => closeServer(s));
  const relay = await fakeRelay();
  defer(() => closeServer(relay.server));
  const token = randomBytes(16).toString('hex');
  await writeFile(join(dir, 'relay-token'), `${token}\n`, { mode: 0o600 });
  const redis = await startRedis();
  defer(() => redis.stop());
  const [promPort, amPort] = [await freePort(), await freePort()];

  const store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create({
    cluster: { name: 'it-cluster' },
    nodes: [{ name: 'gpu-node-01', ip, labels: { rack: 'r7' }, exporters: ['node_exporter', 'dcgm_exporter'] }],
    prometheus: { scrape_interval: '1s', evaluation_interval: '1s' },
  });
  const settings = loadRuleCompilerSettings({
    AAMI_DATA_DIR: dir,
    AAMI_PROMETHEUS_URL: `http://127.0.0.1:${promPort}`,
    AAMI_ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`,
    AAMI_RELAY_URL: relay.url,
    AAMI_RELAY_TOKEN_FILE: join(dir, 'relay-token'),
    AAMI_COMPILE_DEBOUNCE_MS: '100',
    AAMI_SELF_SCRAPE: '',
    AAMI_BIND: '127.0.0.1',
  });
  const log = createLogger('rule-compiler-it', 'error');
  const service = await startRuleCompiler(settings, { log, serviceToken: SERVICE_TOKEN, redisUrl: redis.url, port: 0 });
  defer(() => service.close());
  // The compile at start has written the files; nothing runs yet to reload, which is no failure.
  const atStart = await readCompileStatus(settings.generatedDir);
  assert.equal(atStart.state, 'ok');
  assert.equal(atStart.reload?.prometheus.unreachable, true);

  const am = await startAlertmanagerOnFile(join(settings.generatedDir, 'alertmanager/alertmanager.yml'), amPort);
  defer(() => am.stop());
  const prom = await startPrometheusOnFile(join(settings.generatedDir, 'prometheus/prometheus.yml'), promPort);
  const promUrl = prom.url;
  defer(() => prom.stop());

  const queue = new Queue<CompileJob>(QUEUES.compile, { connection: { host: '127.0.0.1', port: redis.port } });
  const events = new QueueEvents(QUEUES.compile, { connection: { host: '127.0.0.1', port: redis.port } });
  defer(async () => { await queue.close(); await events.close(); });
  await events.waitUntilReady();
  const compile = async (reason: string) => {
    const { revision } = await store.read();
    const job = await queue.add('compile', { reason, revision });
    return job.waitUntilFinished(events, 60_000) as Promise<{ revision: number; changed: boolean; reloaded: boolean }>;
  };

  // Both programs are up now: a compile job with unchanged files still reloads (the last one did not reach them).
  const first = await compile('programs started');
  assert.equal(first.changed, false);
  assert.equal(first.reloaded, true);
  assert.equal((await readCompileStatus(settings.generatedDir)).state, 'ok');
  await waitFor(async () => (await promQuery(promUrl, 'up{job="dcgm_exporter",node="gpu-node-01"} == 1')).length === 1, 20_000, 'prometheus scraping the fake dcgm-exporter');
  const [series] = await promQuery(promUrl, 'DCGM_FI_DEV_GPU_TEMP{gpu="0"}');
  assert.equal(series?.metric.node, 'gpu-node-01');
  assert.equal(series?.metric.cluster, 'it-cluster');
  assert.equal(series?.metric.rack, 'r7');

  // A node added later: its target file is written in place and Prometheus's file_sd finds it
  // without a reload (nothing listens there, so the target is down; that it exists is the point).
  const ip2 = ip.replace(/\.(\d+)$/, (_m, last: string) => `.${Number(last) === 254 ? 2 : Number(last) + 1}`);
  await store.update((c) => { c.nodes.push({ name: 'gpu-node-02', ip: ip2, labels: {}, exporters: ['node_exporter'] }); });
  const added = await compile('node added');
  assert.equal(added.changed, true);
  assert.equal(added.reloaded, false, 'a node add reloads nothing');
  await waitFor(async () => (await promQuery(promUrl, 'up{job="node_exporter",node="gpu-node-02"}')).length === 1, 30_000, 'Prometheus found the new node\'s target without a reload');

  // `aami alerts apply-preset gpu-production`, with the critical rule's `for` shortened for the test.
  await store.update((c) => {
    c.alerts.presets = ['gpu-production'];
    c.alerts.overrides.GPUTemperatureCritical = { for: '3s' };
  });
  const applied = await compile('preset applied');
  assert.equal(applied.changed, true);
  await waitFor(async () => (await alertRules(promUrl)).some((r) => r.name === 'GPUTemperatureCritical'), 10_000, 'rules loaded');
  const rules = await alertRules(promUrl);
  assert.equal(rules.length, 8);
  assert.equal(rules.find((r) => r.name === 'GPUTemperatureCritical')?.query, 'DCGM_FI_DEV_GPU_TEMP > 85');

  // The ramp: 60 -> 95 °C on GPU 0.
  for (const temp of [70, 80, 90, 95]) {
    state.temp = temp;
    await new Promise((r) => setTimeout(r, 1000));
  }
  type AmAlert = { labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } };
  let fired: AmAlert | undefined;
  await waitFor(async () => {
    const alerts = await (await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts`)).json() as AmAlert[];
    fired = alerts.find((a) => a.labels.alertname === 'GPUTemperatureCritical');
    return fired !== undefined;
  }, 40_000, 'GPUTemperatureCritical in Alertmanager');
  assert.equal(fired!.status.state, 'active');
  assert.deepEqual(
    Object.fromEntries(['severity', 'component', 'node', 'cluster', 'gpu', 'UUID', 'job', 'rack'].map((k) => [k, fired!.labels[k]])),
    { severity: 'critical', component: 'thermal', node: 'gpu-node-01', cluster: 'it-cluster', gpu: '0', UUID: 'GPU-7f3a9c1e-5b2d-4e8f-9a01-2c3d4e5f6000', job: 'dcgm_exporter', rack: 'r7' },
  );
  assert.equal(fired!.annotations.summary, 'GPU 0 on gpu-node-01 is overheating (95 °C)');
  // Alertmanager hands it to the relay, with the token from the file.
  await waitFor(async () => relay.calls.some((c) => c.body.alerts.some((a) => a.labels.alertname === 'GPUTemperatureCritical')), 40_000, 'webhook to the relay');
  const call = relay.calls.find((c) => c.body.alerts.some((a) => a.labels.alertname === 'GPUTemperatureCritical'))!;
  assert.equal(call.auth, `Bearer ${token}`);
  assert.doesNotMatch(await readFile(join(settings.generatedDir, 'alertmanager/alertmanager.yml'), 'utf8'), new RegExp(token));

  // `aami alerts set GPUTemperatureCritical --threshold hot`: refused, naming the field.
  const catalog = await loadPresetCatalog();
  const { config } = await store.read();
  assert.throws(() => validateOverride(catalog, config, 'GPUTemperatureCritical', { threshold: 'hot' }), (err: unknown) =>
    err instanceof ValidationError && err.details.some((d) => d.path === 'alerts.overrides.GPUTemperatureCritical.threshold' && /must be a number/.test(d.message)));
  // Even written into config.yaml by hand, it never reaches Prometheus.
  const text = await readFile(store.path, 'utf8');
  await writeFile(store.path, text.replace(/GPUTemperatureCritical:\n(\s+)for: 3s/, 'GPUTemperatureCritical:\n$1for: 3s\n$1threshold: hot'));
  const queued = await queue.add('compile', { reason: 'hand edit', revision: 0 });
  await assert.rejects(queued.waitUntilFinished(events, 60_000), /threshold/);
  const status = await (await fetch(`${service.url}/api/v1/compile/status`, { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } })).json() as { state: string; lastAttempt: { errors: Array<{ path?: string; message: string }> } };
  assert.equal(status.state, 'failed');
  assert.ok(status.lastAttempt.errors.some((e) => e.path === 'alerts.overrides.GPUTemperatureCritical.threshold'), JSON.stringify(status.lastAttempt.errors));
  assert.equal((await alertRules(promUrl)).find((r) => r.name === 'GPUTemperatureCritical')?.query, 'DCGM_FI_DEV_GPU_TEMP > 85', 'the running rule is unchanged');
  assert.match(await readFile(join(settings.generatedDir, 'prometheus/rules/gpu-basic.yml'), 'utf8'), /DCGM_FI_DEV_GPU_TEMP > 85/);
});

