// Attack: fill the relay's Redis by posting distinct alerts in a loop with a valid relay token
// (issue 12, finding 8). Redis runs with noeviction and also holds the install and compile
// queues, so once it is full the rest of AAMI stops too. The relay runs for real (node
// services/notification-relay/src/main.ts) against a real Redis, with a small cap and a short
// window; its workers are off, so nothing drains the queue and every accepted alert stays a job,
// as when a flood outruns delivery.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ErrorEnvelope } from '@aami/shared';
import { deferrer, postWebhook, relayEnv, startRelayProcess, startTestRedis, webhookBody, writeRelayConfig, xidAlert } from '../notification-relay-support.ts';

const CAP = 500;
const WINDOW_MS = 10_000;
const BATCH = 50;
const REQUESTS = 40; // 2,000 distinct alerts: four times the cap

function usedMemory(info: string): number {
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
}

describe('the relay caps what its webhook takes in', () => {
  test('distinct alerts in a loop: 429 with Retry-After past the cap, Redis stops growing, refusals on /metrics, accepted again after the window', async (t) => {
    const defer = deferrer(t);
    const redis = await startTestRedis(defer);
    // Slack points nowhere: the workers are off anyway, so the jobs only pile up.
    const configPath = await writeRelayConfig(defer, { slack: { webhook_url: 'http://127.0.0.1:9/services/T000/B000/x' }, routing: { critical: ['slack'], warning: ['slack'], info: [] } });
    const env = relayEnv(redis.url, configPath, {
      AAMI_RELAY_WORKERS: 'off',
      AAMI_RELAY_INTAKE_PER_MINUTE: String(CAP),
      AAMI_RELAY_INTAKE_WINDOW_MS: String(WINDOW_MS),
      AAMI_SERVICE_TOKEN: 'security-test-service-token-0123',
    });
    const relay = await startRelayProcess(defer, env);
    const client = new Redis(redis.url);
    defer(() => client.quit());
    const waiting = () => client.llen(`${env.AAMI_RELAY_QUEUE_PREFIX}:notify-slack:wait`);

    const started = Date.now();
    const statuses: number[] = [];
    let atCap: { keys: number; memory: number } | undefined;
    let lastRefusal: Response | undefined;
    const memoryBefore = usedMemory(await client.info('memory'));
    for (let i = 0; i < REQUESTS; i++) {
      const alerts = Array.from({ length: BATCH }, (_, j) => xidAlert(`gpu-flood-${String(i * BATCH + j).padStart(5, '0')}`));
      const res = await postWebhook(relay.url, webhookBody(alerts));
      statuses.push(res.status);
      if (res.status === 429) lastRefusal = res;
      else await res.arrayBuffer();
      if (statuses.filter((s) => s === 200).length === CAP / BATCH && !atCap) atCap = { keys: await client.dbsize(), memory: usedMemory(await client.info('memory')) };
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed < WINDOW_MS, `the loop must fit one window to be judged (took ${elapsed} ms)`);
    const accepted = CAP / BATCH;
    assert.deepEqual(statuses.slice(0, accepted), Array(accepted).fill(200), 'up to the cap: accepted');
    assert.deepEqual(statuses.slice(accepted), Array(REQUESTS - accepted).fill(429), `past the cap of ${CAP} alerts: 429 (got ${statuses.join(' ')})`);

    assert.ok(lastRefusal);
    const retryAfter = Number(lastRefusal.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_MS / 1000, `Retry-After: ${lastRefusal.headers.get('retry-after')}`);
    const body = ErrorEnvelope.parse(await lastRefusal.json()).error;
    assert.equal(body.code, 'too_many_alerts');
    assert.match(body.message, new RegExp(`accepts ${CAP} per ${WINDOW_MS / 1000} s window`));

    // Redis holds the 500 accepted alerts and not one more: no key and (near enough) no byte.
    assert.equal(await waiting(), CAP);
    assert.ok(atCap);
    const keysNow = await client.dbsize();
    const memoryNow = usedMemory(await client.info('memory'));
    assert.equal(keysNow, atCap.keys, 'no key added after the cap');
    const grewWhileAccepting = atCap.memory - memoryBefore;
    const grewWhileRefusing = memoryNow - atCap.memory;
    t.diagnostic(`Redis used_memory: +${grewWhileAccepting} bytes for ${CAP} accepted alerts (${Math.round(grewWhileAccepting / CAP)} per job), ${grewWhileRefusing >= 0 ? '+' : ''}${grewWhileRefusing} bytes over ${REQUESTS - accepted} refused requests`);
    assert.ok(grewWhileRefusing < grewWhileAccepting / 10, `memory kept growing after the cap: +${grewWhileRefusing} bytes (vs +${grewWhileAccepting} while accepting)`);

    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^aami_relay_webhook_refused_total\\{reason="rate"\\} ${REQUESTS - accepted}$`, 'm'));
    assert.match(metrics, new RegExp(`^aami_relay_webhook_requests_total\\{code="429"\\} ${REQUESTS - accepted}$`, 'm'));
    assert.match(metrics, /^aami_relay_redis_memory_used_bytes [1-9]\d*$/m);
    assert.match(metrics, /^aami_relay_redis_memory_max_bytes 0$/m, 'the test Redis runs without maxmemory');

    // Once the window has passed, a normal webhook gets through again.
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 200));
    const normal = await postWebhook(relay.url, webhookBody([xidAlert('gpu-node-07')]));
    assert.equal(normal.status, 200, await normal.text());
    assert.equal(await waiting(), CAP + 1);

    // One alert re-sent in a loop (a new startsAt each time, so each would be a job of its own):
    // 60 times a window, then 429 naming the per-alert cap.
    const repeats: number[] = [];
    for (let i = 0; i < 70; i++) {
      const res = await postWebhook(relay.url, webhookBody([xidAlert('gpu-node-08', { fingerprint: 'feedfacecafe0001', startsAt: `2024-05-01T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z` })]));
      repeats.push(res.status);
      if (res.status === 429 && repeats.filter((s) => s === 429).length === 1) {
        assert.equal(ErrorEnvelope.parse(await res.json()).error.code, 'alert_repeated_too_often');
      } else await res.arrayBuffer();
    }
    assert.deepEqual(repeats, [...Array(60).fill(200), ...Array(10).fill(429)]);
    assert.equal(await waiting(), CAP + 1 + 60);
    assert.match(await (await fetch(`${relay.url}/metrics`)).text(), /^aami_relay_webhook_refused_total\{reason="fingerprint"\} 10$/m);
  });
});
