// Attack: talk to AAMI's Redis directly, as anything that reaches its port could while it ran with
// `--protected-mode no` and no password (issue 12, finding 6): queue a delivery job (a spoofed
// alert that never passed the relay's token check), queue an install job, read what is stored.
// Redis runs as compose runs it: the default user off, one ACL user `aami` with a password. The
// relay, the install worker and the gateway run as real processes, given the URL without
// credentials plus AAMI_REDIS_USERNAME and AAMI_REDIS_PASSWORD_FILE, and db 3: the attacker is
// refused and writes nothing, while every service authenticates and uses db 3, not db 0.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigStore, Notifications, QUEUES } from '@aami/shared';
import { freePort, makeTempDir, serviceAuth, startAamiService, startRedis, type AamiService, type RedisServer } from '../harness/index.ts';
import { postWebhook, relayEnv, startRelayProcess, webhookBody, xidAlert, type Defer, type RelayProcess } from '../notification-relay-support.ts';

const PASSWORD = 'redis-test-password-5c2e9f0b7d1a';
const DB = 3;
const ADMIN = 'aami_security-test-admin-token-redis-0123456789';
const REFUSED = /NOAUTH|WRONGPASS/;

/** Rejects with `what` when `p` has not settled in time (a client that waits forever is not a refusal). */
function within<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** An attacker's client: one connection, no retries, so a refusal comes back as an error. */
function attackerClient(url: string): Redis {
  const c = new Redis(url, { enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  return c;
}

describe('Redis needs the password', () => {
  let redis: RedisServer;
  let relay: RelayProcess;
  let worker: AamiService;
  let gateway: AamiService;
  let staleGateway: AamiService;
  let prefix = '';
  let db0: Redis;
  let db3: Redis;
  const cleanups: Array<() => unknown> = [];
  const defer: Defer = (fn) => void cleanups.push(fn);

  before(async () => {
    const dir = await makeTempDir('security-redis');
    redis = await startRedis({ password: PASSWORD });
    defer(() => redis.stop());
    await mkdir(join(dir, 'secrets'), { recursive: true });
    const passwordFile = join(dir, 'secrets', 'redis-password');
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const wrongFile = join(dir, 'secrets', 'stale-redis-password');
    await writeFile(wrongFile, 'an-old-password-0000\n', { mode: 0o600 });
    const configPath = join(dir, 'config.yaml');
    // Slack points nowhere; the relay's workers are off, so an accepted alert stays a queued job.
    await new ConfigStore(configPath).create({ nodes: [{ name: 'gpu-node-01', ip: '127.0.0.1', ssh_port: await freePort() }], notifications: Notifications.parse({ slack: { webhook_url: 'http://127.0.0.1:9/services/T000/B000/x' }, routing: { critical: ['slack'], warning: ['slack'], info: [] } }) });
    const env = {
      AAMI_DATA_DIR: dir, AAMI_CONFIG: configPath, AAMI_GENERATED_DIR: join(dir, 'generated'),
      AAMI_REDIS_URL: `${redis.bareUrl}/${DB}`, AAMI_REDIS_USERNAME: 'aami', AAMI_REDIS_PASSWORD_FILE: passwordFile,
      AAMI_PROMETHEUS_URL: 'http://127.0.0.1:9', AAMI_ALERTMANAGER_URL: 'http://127.0.0.1:9',
    };
    const relayVars = relayEnv(env.AAMI_REDIS_URL, configPath, { ...env, AAMI_RELAY_WORKERS: 'off' });
    prefix = relayVars.AAMI_RELAY_QUEUE_PREFIX ?? '';
    [relay, worker] = await Promise.all([
      startRelayProcess(defer, relayVars),
      // A long stalled interval: the worker's stalled-check key must not expire mid-test and move DBSIZE.
      startAamiService('install-worker', 'AAMI_INSTALL_WORKER_PORT', { ...env, AAMI_INSTALL_STALLED_MS: '600000', AAMI_INSTALL_ATTEMPTS: '1' }),
    ]);
    defer(() => worker.stop());
    const urls = { AAMI_RELAY_URL: relay.url, AAMI_INSTALL_WORKER_URL: worker.url };
    [gateway, staleGateway] = await Promise.all([
      startAamiService('api-gateway', 'AAMI_API_PORT', { ...env, ...urls, AAMI_ADMIN_TOKEN: ADMIN }),
      // The same, with a password file that no longer matches (say, Redis's was regenerated).
      startAamiService('api-gateway', 'AAMI_API_PORT', { ...env, ...urls, AAMI_ADMIN_TOKEN: ADMIN, AAMI_REDIS_PASSWORD_FILE: wrongFile }),
    ]);
    defer(() => gateway.stop());
    defer(() => staleGateway.stop());
    db0 = new Redis(redis.url);
    db3 = new Redis(`${redis.url}/${DB}`);
    defer(() => db0.quit());
    defer(() => db3.quit());
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {});
  });

  it('refuses a client without the password: no spoofed alert, no install job, no reads, nothing written', async () => {
    const before = [await db0.dbsize(), await db3.dbsize()];
    const spoof = { kind: 'alert', channel: 'slack', dedupKey: 'spoofed', alert: xidAlert('gpu-spoofed-01'), externalURL: 'http://attacker', receivedAt: Date.now() };
    for (const url of [`${redis.bareUrl}/${DB}`, redis.bareUrl]) {
      const attacker = attackerClient(url);
      // Guesses first: the AAMI user with a wrong password, and the default user (turned off).
      await assert.rejects(within(attacker.auth('aami', 'guessed-password'), 'AUTH aami'), /WRONGPASS/, `${url}: a guessed password`);
      await assert.rejects(within(attacker.auth(PASSWORD), 'AUTH default'), /WRONGPASS/, `${url}: the default user, even with the real password`);
      const delivery = new Queue(`${QUEUES.notify}-slack`, { connection: attacker, prefix });
      const install = new Queue(QUEUES.install, { connection: attacker });
      delivery.on('error', () => {});
      install.on('error', () => {});
      try {
        await assert.rejects(within(delivery.add('alert', spoof), 'delivery job'), REFUSED, `${url}: a delivery job`);
        await assert.rejects(within(install.add('install', { node: 'gpu-node-01', action: 'uninstall', runId: 'spoofed' }), 'install job'), REFUSED, `${url}: an install job`);
        await assert.rejects(within(attacker.rpush(`bull:${QUEUES.install}:wait`, 'spoofed'), 'RPUSH'), REFUSED, `${url}: a raw write`);
        await assert.rejects(within(attacker.keys('*'), 'KEYS'), REFUSED, `${url}: listing keys`);
        await assert.rejects(within(attacker.get(`${prefix}:stats`), 'GET'), REFUSED, `${url}: reading a key`);
      } finally {
        await delivery.close().catch(() => {});
        await install.close().catch(() => {});
        attacker.disconnect();
      }
    }
    assert.deepEqual([await db0.dbsize(), await db3.dbsize()], before, 'nothing was written, in db 0 or db 3');
  });

  it('the relay authenticates: /readyz is 200 and an alert with the relay token is queued in db 3, not db 0', async () => {
    const ready = await fetch(`${relay.url}/readyz`, { signal: AbortSignal.timeout(5000) });
    assert.equal(ready.status, 200, await ready.text());
    const res = await postWebhook(relay.url, webhookBody([xidAlert('gpu-redis-01')]));
    assert.equal(res.status, 200, await res.text());
    const jobs = await db3.lrange(`${prefix}:notify-slack:wait`, 0, -1);
    assert.equal(jobs.length, 1, 'one delivery job waits in db 3');
    assert.match((await db3.hget(`${prefix}:notify-slack:${jobs[0]}`, 'data')) ?? '', /gpu-redis-01/);
    assert.deepEqual(await db0.keys(`${prefix}:*`), [], 'nothing of the relay in db 0');
  });

  it('the install worker authenticates: a run is stored and queued in db 3, and the runs list answers', async () => {
    const started = await fetch(`${worker.url}/api/v1/install/runs`, {
      method: 'POST', headers: { ...serviceAuth, 'content-type': 'application/json' }, body: JSON.stringify({ action: 'verify', nodes: ['gpu-node-01'] }), signal: AbortSignal.timeout(5000),
    });
    assert.equal(started.status, 202, await started.clone().text());
    const { runId } = (await started.json()) as { runId: string };
    assert.equal(await db3.exists(`aami:install:run:${runId}`), 1, 'the run is in db 3');
    assert.notDeepEqual(await db3.keys(`bull:${QUEUES.install}:*`), [], 'its job went to the install queue in db 3');
    const list = await fetch(`${worker.url}/api/v1/install/runs`, { headers: serviceAuth, signal: AbortSignal.timeout(5000) });
    assert.equal(list.status, 200, await list.clone().text());
    assert.ok(((await list.json()) as { runs: Array<{ id: string }> }).runs.some((r) => r.id === runId));
    assert.deepEqual([...await db0.keys('aami:install:*'), ...await db0.keys(`bull:${QUEUES.install}:*`)], [], 'nothing of the install worker in db 0');
  });

  it('the gateway status shows Redis reachable with a password, and never the password', async () => {
    type Status = { components: Array<{ name: string; url: string; reachable: boolean; version: string | null; credential: string | null; error?: string }> };
    const read = async (g: AamiService) => {
      const res = await fetch(`${g.url}/api/v1/status`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.doesNotMatch(text, new RegExp(PASSWORD), 'the password never shows');
      return (JSON.parse(text) as Status).components.find((c) => c.name === 'redis');
    };
    const ok = await read(gateway);
    assert.deepEqual(ok && { ...ok, version: typeof ok.version }, {
      name: 'redis', url: `redis://aami:***@127.0.0.1:${redis.port}/${DB}`, reachable: true, version: 'string', credential: 'password',
    });
    const stale = await read(staleGateway);
    assert.equal(stale?.reachable, false);
    assert.equal(stale?.credential, 'password');
    assert.match(stale?.error ?? '', /^authentication failed: WRONGPASS/);
  });
});
