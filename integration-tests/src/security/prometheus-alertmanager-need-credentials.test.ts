// Attack: stop Prometheus, silence every alert or reload either program from anywhere on the
// network (issue 12, finding 6). Real Prometheus and Alertmanager run behind basic auth
// (--web.config.file), as compose runs them, with Prometheus' lifecycle API on: without the auth,
// POST /-/quit would stop it, so the 401 here is the auth's doing. Then AAMI must work with the
// credentials: the rule compiler (in process) reloads both and writes prometheus.yml with a
// password_file for Alertmanager; Prometheus on that file delivers a firing alert to Alertmanager;
// the gateway and analyzer processes read both with the passwords from their files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigStore, createLogger } from '@aami/shared';
import { loadRuleCompilerSettings, readCompileStatus, startRuleCompiler, type RuleCompilerService } from '@aami/rule-compiler';
import {
  freePort, makeTempDir, requireBinary, serviceAuth, startAamiService, startAlertmanagerOnFile, startPrometheusOnFile, waitFor,
  type AamiService, type AlertmanagerServer, type PrometheusServer,
} from '../harness/index.ts';

const ADMIN = 'aami_security-test-admin-token-prom-am-0123456789';
const ALERT = 'AamiAuthCheckAlwaysFiring';
const execFileP = promisify(execFile);

describe('Prometheus and Alertmanager refuse callers without the password; AAMI has it', { timeout: 90_000 }, () => {
  let dir: string;
  let promPassword: string;
  let amPassword: string;
  let amPasswordFile: string;
  let env: NodeJS.ProcessEnv;
  let store: ConfigStore;
  let compiler: RuleCompilerService;
  let prom: PrometheusServer;
  let am: AlertmanagerServer;
  let gw: AamiService;
  let analyzer: AamiService;
  const stops: Array<() => Promise<unknown>> = [];

  before(async () => {
    dir = await makeTempDir('security-prom-am');
    await mkdir(join(dir, 'secrets'));
    promPassword = randomBytes(16).toString('hex');
    amPassword = randomBytes(16).toString('hex');
    const promPasswordFile = join(dir, 'secrets', 'prometheus-password');
    amPasswordFile = join(dir, 'secrets', 'alertmanager-password');
    await writeFile(promPasswordFile, `${promPassword}\n`, { mode: 0o600 });
    await writeFile(amPasswordFile, `${amPassword}\n`, { mode: 0o600 });
    const [promPort, amPort] = [await freePort(), await freePort()];
    env = {
      AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'),
      AAMI_PROMETHEUS_URL: `http://127.0.0.1:${promPort}`, AAMI_PROMETHEUS_PASSWORD_FILE: promPasswordFile,
      AAMI_ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`, AAMI_ALERTMANAGER_PASSWORD_FILE: amPasswordFile,
      AAMI_REDIS_URL: 'redis://127.0.0.1:9', AAMI_RELAY_URL: 'http://127.0.0.1:9',
      AAMI_SELF_SCRAPE: '', AAMI_COMPILE_RECONCILE_S: '0', AAMI_BIND: '127.0.0.1',
    };
    // One node on a random loopback address nothing listens on (it is simply down); rules are
    // evaluated every second.
    store = new ConfigStore(join(dir, 'config.yaml'));
    await store.create({
      cluster: { name: 'auth-it' },
      nodes: [{ name: 'gpu-node-01', ip: `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(2, 255)}` }],
      prometheus: { scrape_interval: '1s', evaluation_interval: '1s' },
    });
    // The compile at start writes the files; Prometheus and Alertmanager start on them.
    compiler = await startRuleCompiler(loadRuleCompilerSettings(env), { log: createLogger('prom-am-auth-it', 'error'), serviceToken: 'service-token-prom-am-auth-it', redisUrl: false, port: 0 });
    stops.push(() => compiler.close());
    am = await startAlertmanagerOnFile(join(dir, 'generated/alertmanager/alertmanager.yml'), amPort, undefined, { basicAuth: { username: 'aami', password: amPassword } });
    stops.push(() => am.stop());
    prom = await startPrometheusOnFile(join(dir, 'generated/prometheus/prometheus.yml'), promPort, undefined, { basicAuth: { username: 'aami', password: promPassword } });
    stops.push(() => prom.stop());
    // The gateway and the analyzer as their own processes, with the password files.
    [gw, analyzer] = await Promise.all([
      startAamiService('api-gateway', 'AAMI_API_PORT', { ...env, AAMI_ADMIN_TOKEN: ADMIN }),
      startAamiService('analyzer', 'AAMI_ANALYZER_PORT', env),
    ]);
    stops.push(() => gw.stop(), () => analyzer.stop());
  });
  after(async () => { for (const stop of stops.reverse()) await stop().catch(() => undefined); });

  const ready = async (url: string, headers: Record<string, string>) => (await fetch(`${url}/-/ready`, { headers })).status;

  it('Prometheus answers POST /-/quit without credentials with 401 and keeps running', async () => {
    // The lifecycle API is on (a reload with the password works), so only the auth stops the quit.
    assert.equal((await fetch(`${prom.url}/-/reload`, { method: 'POST', headers: prom.auth })).status, 200);
    const quit = await fetch(`${prom.url}/-/quit`, { method: 'POST' });
    assert.equal(quit.status, 401);
    const wrong = await fetch(`${prom.url}/-/quit`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`aami:${amPassword}`).toString('base64')}` } });
    assert.equal(wrong.status, 401, "Alertmanager's password does not open Prometheus");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await ready(prom.url, prom.auth), 200, 'Prometheus still serves after the refused quits');
    assert.equal(await ready(prom.url, {}), 401);
  });

  it('Alertmanager refuses to make a silence without credentials, and none exists afterwards', async () => {
    const silence = {
      matchers: [{ name: 'alertname', value: '.+', isRegex: true, isEqual: true }],
      startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3600_000).toISOString(),
      createdBy: 'attacker', comment: 'quiet, please',
    };
    const res = await fetch(`${am.url}/api/v2/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(silence) });
    assert.equal(res.status, 401);
    assert.equal((await fetch(`${am.url}/api/v2/silences`)).status, 401, 'the list needs the password too');
    const listed = await fetch(`${am.url}/api/v2/silences`, { headers: am.auth });
    assert.equal(listed.status, 200);
    assert.deepEqual(await listed.json(), []);
  });

  it('neither reloads for a caller without credentials', async () => {
    assert.equal((await fetch(`${prom.url}/-/reload`, { method: 'POST' })).status, 401);
    assert.equal((await fetch(`${am.url}/-/reload`, { method: 'POST' })).status, 401);
  });

  it('the rule compiler reloads both with the credentials', async () => {
    // A rule that always fires is added and compiled: the reload, with the passwords, is what puts it
    // into Prometheus. Its `for` outlasts the few seconds a reloaded Prometheus takes to find
    // Alertmanager again: it sends a new alert at once and then only every minute, so one that fired
    // before that would be dropped and sent again a minute later.
    await store.update((c) => { c.alerts.custom.push({ name: ALERT, expr: 'vector(1)', for: '8s', severity: 'warning', summary: 'always firing', description: '', labels: {} }); });
    const outcome = await compiler.coalescer.request();
    assert.equal(outcome.changed, true);
    assert.equal(outcome.reloaded, true);
    const status = await readCompileStatus(join(dir, 'generated'));
    assert.equal(status.state, 'ok', JSON.stringify(status.reload));
    assert.equal(status.reload?.prometheus.ok, true);
    assert.equal(status.reload?.alertmanager.ok, true);
  });

  it("its prometheus.yml names Alertmanager's password file, not the password, and promtool accepts it", async () => {
    const file = join(dir, 'generated/prometheus/prometheus.yml');
    const text = await readFile(file, 'utf8');
    assert.match(text, /basic_auth:\s*\n\s+username: aami\s*\n\s+password_file: (.+)\n/);
    assert.equal(/password_file: (.+)\n/.exec(text)![1], amPasswordFile);
    assert.doesNotMatch(text, new RegExp(`${amPassword}|${promPassword}`));
    assert.doesNotMatch(text, /\bpassword:/);
    await execFileP(requireBinary('/usr/bin/promtool', 'prometheus'), ['check', 'config', file]);
  });

  it('Prometheus on that file delivers the firing alert to the authenticated Alertmanager', async () => {
    await waitFor(async () => (await am.alerts()).some((a) => a.labels.alertname === ALERT), 25_000, `${ALERT} in Alertmanager (Prometheus presenting the password_file)`);
  });

  const get = async (path: string) => {
    const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return res.json();
  };

  it("the gateway's status shows both reachable, guarded by a password", async () => {
    const status = (await get('/api/v1/status')) as { components: Array<{ name: string; reachable: boolean; credential: string | null; error?: string }> };
    for (const name of ['prometheus', 'alertmanager']) {
      const c = status.components.find((x) => x.name === name);
      assert.deepEqual({ name: c?.name, reachable: c?.reachable, credential: c?.credential, error: c?.error }, { name, reachable: true, credential: 'password', error: undefined });
    }
  });

  it("the gateway's node view has Prometheus' and Alertmanager's answers", async () => {
    // A health of nulls is the node view's "no answer"; with both answering, the node is down
    // (nothing listens on its address) with 0 GPUs and 0 alerts (the firing one names no node).
    const nodes = (await get('/api/v1/nodes')) as { nodes: Array<{ name: string; health: { status: string | null; gpus: number | null; alerts: number | null } }> };
    assert.deepEqual(nodes.nodes.map((n) => [n.name, n.health]), [['gpu-node-01', { status: 'down', gpus: 0, alerts: 0 }]]);
  });

  it("the gateway's firing list comes from Alertmanager", async () => {
    const firing = (await get('/api/v1/alerts/firing')) as { alerts: Array<{ labels: Record<string, string> }> };
    assert.ok(firing.alerts.some((a) => a.labels.alertname === ALERT), JSON.stringify(firing));
  });

  it('the analyzer evaluates GPU health against the authenticated Prometheus', async () => {
    type Evaluation = { lastSuccessAt?: string; lastError?: string };
    let evaluation: Evaluation = {};
    await waitFor(async () => {
      const body = (await (await fetch(`${analyzer.url}/api/v1/health`, { headers: serviceAuth })).json()) as { evaluation: Evaluation };
      evaluation = body.evaluation;
      return evaluation.lastSuccessAt !== undefined || evaluation.lastError !== undefined;
    }, 10_000, 'the first health evaluation');
    assert.equal(evaluation.lastError, undefined);
    assert.ok(evaluation.lastSuccessAt);
  });
});
