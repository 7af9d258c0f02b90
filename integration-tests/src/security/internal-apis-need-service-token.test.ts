// Attack: call AAMI's internal HTTP APIs directly, as any container on the compose network or any
// local user under `make dev` could (issue 12, finding 1). The install worker, the rule compiler,
// the analyzer and the relay run as real processes on a real Redis and share one data folder, as
// in compose; none is given the service token, so the first to start makes the file. Every /api/v1
// must refuse a caller without the service token before doing anything, internal writes must be
// JSON, and the gateway (which has the token) must still reach them all, while a service that
// refuses the gateway's token is a 502 upstream_auth, never a 401 that would sign the UI out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ConfigStore } from '@aami/shared';
import { makeTempDir, startAamiService, startRedis, type AamiService, type RedisServer } from '../harness/index.ts';
import { startServiceOnFreePort } from '../web-ui/services.ts';

const ADMIN = 'aami_security-test-admin-token-service-0123456789';
const RELAY_TOKEN = 'relay-token-for-the-service-token-test-0123';

describe('internal APIs need the service token', () => {
  let dir = '';
  let redis: RedisServer;
  let worker: AamiService;
  let compiler: AamiService;
  let analyzer: AamiService;
  let relay: AamiService;
  let gateway: AamiService;
  let strangerWorker: AamiService;
  let strangerGateway: AamiService;
  const stop: Array<() => Promise<void>> = [];

  before(async () => {
    dir = await makeTempDir('security-service-token');
    redis = await startRedis();
    stop.push(() => redis.stop());
    await new ConfigStore(join(dir, 'config.yaml')).create({ nodes: [{ name: 'gpu-node-01', ip: '127.0.0.1' }] });
    // AAMI_SERVICE_TOKEN empty: each service reads (or makes) secrets/service-token in the data folder.
    const env = {
      AAMI_DATA_DIR: dir, AAMI_CONFIG: join(dir, 'config.yaml'), AAMI_GENERATED_DIR: join(dir, 'generated'), AAMI_REDIS_URL: redis.url,
      AAMI_PROMETHEUS_URL: 'http://127.0.0.1:9', AAMI_ALERTMANAGER_URL: 'http://127.0.0.1:9', AAMI_SERVICE_TOKEN: '',
    };
    [worker, compiler, analyzer, relay] = await Promise.all([
      startServiceOnFreePort('install-worker', 'AAMI_INSTALL_WORKER_PORT', 'AAMI_INSTALL_WORKER_URL', env),
      startServiceOnFreePort('rule-compiler', 'AAMI_RULE_COMPILER_PORT', 'AAMI_RULE_COMPILER_URL', env),
      startServiceOnFreePort('analyzer', 'AAMI_ANALYZER_PORT', undefined, { ...env, AAMI_HEALTH_INTERVAL_S: '3600' }),
      startServiceOnFreePort('notification-relay', 'AAMI_RELAY_PORT', undefined, { ...env, AAMI_RELAY_TOKEN: RELAY_TOKEN, AAMI_RELAY_QUEUE_PREFIX: 'svc-token' }),
    ]);
    stop.push(() => worker.stop(), () => compiler.stop(), () => analyzer.stop(), () => relay.stop());
    const urls = { AAMI_INSTALL_WORKER_URL: worker.url, AAMI_RULE_COMPILER_URL: compiler.url, AAMI_ANALYZER_URL: analyzer.url, AAMI_RELAY_URL: relay.url };
    gateway = await startAamiService('api-gateway', 'AAMI_API_PORT', { ...env, ...urls, AAMI_ADMIN_TOKEN: ADMIN });
    stop.push(() => gateway.stop());
    // A worker that was given some other token, and a gateway in front of it.
    const otherDir = await makeTempDir('security-service-token-other');
    strangerWorker = await startServiceOnFreePort('install-worker', 'AAMI_INSTALL_WORKER_PORT', 'AAMI_INSTALL_WORKER_URL', { ...env, AAMI_SERVICE_TOKEN: 'a-different-service-token-0123456789' });
    strangerGateway = await startAamiService('api-gateway', 'AAMI_API_PORT', { ...env, AAMI_DATA_DIR: otherDir, AAMI_CONFIG: join(otherDir, 'config.yaml'), ...urls, AAMI_INSTALL_WORKER_URL: strangerWorker.url, AAMI_ADMIN_TOKEN: ADMIN });
    stop.push(() => strangerWorker.stop(), () => strangerGateway.stop());
  });
  after(async () => { for (const s of stop.reverse()) await s().catch(() => {}); });

  it('made one token, in a file only the services user can read', async () => {
    const file = join(dir, 'secrets', 'service-token');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.ok((await readFile(file, 'utf8')).trim().length >= 32);
  });

  it('refuses to uninstall every node or re-pin a host key for a caller without the token', async () => {
    const queue = new Redis(redis.url);
    try {
      const before = await queue.dbsize();
      const uninstall = await fetch(`${worker.url}/api/v1/install/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'uninstall', all: true }) });
      assert.equal(uninstall.status, 401);
      // A body-less POST: what a web page may send cross-site without asking first.
      assert.equal((await fetch(`${worker.url}/api/v1/nodes/gpu-node-01/trust`, { method: 'POST' })).status, 401);
      assert.equal((await fetch(`${worker.url}/api/v1/install/runs`, { headers: { authorization: `Bearer ${RELAY_TOKEN}` } })).status, 401);
      assert.equal(await queue.dbsize(), before, 'nothing was queued');
    } finally {
      queue.disconnect();
    }
  });

  it('refuses the rule compiler, analyzer and relay APIs without the token; the relay token opens only the webhook', async () => {
    assert.equal((await fetch(`${compiler.url}/api/v1/compile/status`)).status, 401);
    assert.equal((await fetch(`${compiler.url}/api/v1/compile/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401);
    assert.equal((await fetch(`${analyzer.url}/api/v1/health`)).status, 401);
    assert.equal((await fetch(`${analyzer.url}/api/v1/xid/scan`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'NVRM: Xid 79' })).status, 401);
    assert.equal((await fetch(`${relay.url}/api/v1/notifications/status`)).status, 401);
    const test = await fetch(`${relay.url}/api/v1/notifications/test`, { method: 'POST', headers: { authorization: `Bearer ${RELAY_TOKEN}`, 'content-type': 'application/json' }, body: '{"channel":"slack"}' });
    assert.equal(test.status, 401);
  });

  it('takes internal writes only as JSON, even with the token', async () => {
    const token = (await readFile(join(dir, 'secrets', 'service-token'), 'utf8')).trim();
    const form = await fetch(`${worker.url}/api/v1/install/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=uninstall&all=true' });
    assert.equal(form.status, 415);
    assert.equal((await fetch(`${worker.url}/api/v1/nodes/gpu-node-01/trust`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status, 415);
    assert.equal((await fetch(`${analyzer.url}/api/v1/xid/scan`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: 'x' })).status, 415);
  });

  it('keeps /healthz and /metrics open for the container health checks and Prometheus', async () => {
    for (const s of [worker, compiler, analyzer, relay]) assert.equal((await fetch(`${s.url}/healthz`)).status, 200, s.url);
    for (const s of [compiler, analyzer, relay]) assert.equal((await fetch(`${s.url}/metrics`)).status, 200, s.url);
  });

  it('lets the gateway through to every service with the token from the shared file', async () => {
    const admin = { authorization: `Bearer ${ADMIN}` };
    assert.equal((await fetch(`${gateway.url}/api/v1/install/runs`, { headers: admin })).status, 200);
    const notifications = await fetch(`${gateway.url}/api/v1/notifications/status`, { headers: admin });
    assert.equal(notifications.status, 200, await notifications.clone().text());
    const health = await fetch(`${gateway.url}/api/v1/health`, { headers: admin });
    assert.notEqual(health.status, 401);
    assert.notEqual(health.status, 502);
    // `aami status` shows what guards each service.
    const status = (await (await fetch(`${gateway.url}/api/v1/status`, { headers: admin })).json()) as { components: Array<{ name: string; credential: string | null }> };
    const credential = new Map(status.components.map((c) => [c.name, c.credential]));
    for (const name of ['install-worker', 'rule-compiler', 'analyzer', 'notification-relay']) assert.equal(credential.get(name), 'service token', name);
  });

  it('turns a service that refuses the gateway into 502 upstream_auth, naming the service, never 401', async () => {
    const res = await fetch(`${strangerGateway.url}/api/v1/install/runs`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'upstream_auth');
    assert.match(body.error.message, /install-worker .* refused the gateway's service token/);
  });
});
