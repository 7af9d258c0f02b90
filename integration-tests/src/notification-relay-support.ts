// Helpers for the notification relay's integration tests: config files, the relay in-process or as
// a child process (node services/notification-relay/src/main.ts), alert and payload builders, and
// a poster that retries until 2xx the way Alertmanager does.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigStore, Notifications } from '@aami/shared';
import { startRelay, type RunningRelay } from '@aami/notification-relay';
import { loadRelaySettings } from '@aami/notification-relay/settings';
import { createCaptureLogger } from '@aami/notification-relay/testing/fakes';
import { xid79Alert } from '@aami/notification-relay/domain/testdata/fixtures';
import type { WebhookAlert } from '@aami/notification-relay/domain/payload';
import { HARNESS_SERVICE_TOKEN, freePort, httpOk, makeTempDir, serviceAuth, startDaemon, startRedis, type Daemon, type RedisServer } from './harness/index.ts';

/**
 * Cleanups that run last-registered-first after the test (node:test runs t.after hooks in
 * registration order, which would stop Redis before the relay that uses it).
 */
export function deferrer(t: { after(fn: () => unknown): void }): (fn: () => unknown) => void {
  const fns: Array<() => unknown> = [];
  t.after(async () => {
    for (const fn of fns.reverse()) await fn();
  });
  return (fn) => void fns.push(fn);
}

/** A cleanup registrar from deferrer(). */
export type Defer = (fn: () => unknown) => void;

const removeDir = (dir: string) => () => rm(dir, { recursive: true, force: true });

/** A real Redis (append-only, fsync always), stopped and its data dir removed after the test. */
export async function startTestRedis(defer: Defer): Promise<RedisServer> {
  const redis = await startRedis();
  defer(removeDir(redis.daemon.dir));
  defer(() => redis.stop());
  return redis;
}

/** The relay token every test uses. */
export const RELAY_TOKEN = 'integration-relay-token-5f1c';

/** Writes a config.yaml with `notifications` (removed after the test) and returns its path. */
export async function writeRelayConfig(defer: Defer, notifications: unknown): Promise<string> {
  const dir = await makeTempDir('relay-config');
  defer(removeDir(dir));
  const store = new ConfigStore(join(dir, 'config.yaml'));
  await store.create({ notifications: Notifications.parse(notifications) });
  return store.path;
}

/** Environment for a relay with test-sized timings (short backoff, locks and storm window). */
export function relayEnv(redisUrl: string, configPath: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AAMI_REDIS_URL: redisUrl,
    AAMI_CONFIG: configPath,
    AAMI_BIND: '127.0.0.1',
    AAMI_RELAY_PORT: '0',
    AAMI_RELAY_TOKEN: RELAY_TOKEN,
    AAMI_RELAY_QUEUE_PREFIX: `it${randomUUID().slice(0, 8)}`,
    AAMI_RELAY_BACKOFF_BASE_MS: '100',
    AAMI_RELAY_BACKOFF_MAX_MS: '400',
    AAMI_RELAY_ATTEMPTS: '60',
    AAMI_RELAY_SEND_TIMEOUT_MS: '3000',
    AAMI_RELAY_LOCK_MS: '1500',
    AAMI_RELAY_STALLED_INTERVAL_MS: '500',
    AAMI_RELAY_STORM_WINDOW_MS: '1000',
    AAMI_RELAY_STORM_THRESHOLD: '1000',
    AAMI_RELAY_CONFIG_TTL_MS: '200',
    AAMI_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** The relay in this process, with a log capture; closed after the test. */
export async function startRelayInProcess(defer: Defer, env: Record<string, string>): Promise<RunningRelay & { logs: string[] }> {
  const logger = createCaptureLogger();
  const relay = await startRelay({ settings: loadRelaySettings(env), serviceToken: HARNESS_SERVICE_TOKEN, env, logger });
  defer(() => relay.close());
  return Object.assign(relay, { logs: logger.lines });
}

/** The relay as a child process. */
export interface RelayProcess {
  url: string;
  daemon: Daemon;
  /** SIGKILL, then start again on the same port with the same environment. */
  killAndRestart(): Promise<void>;
  stop(): Promise<void>;
}

const MAIN = resolve(import.meta.dirname, '../../services/notification-relay/src/main.ts');

/** Starts `node services/notification-relay/src/main.ts` with `env` on a free port; stopped after the test. */
export async function startRelayProcess(defer: Defer, env: Record<string, string>): Promise<RelayProcess> {
  const port = await freePort();
  const dir = await makeTempDir('relay');
  defer(removeDir(dir));
  const url = `http://127.0.0.1:${port}`;
  const launch = () =>
    startDaemon({
      name: 'notification-relay',
      command: process.execPath,
      args: [MAIN],
      dir,
      env: { ...process.env, AAMI_SERVICE_TOKEN: HARNESS_SERVICE_TOKEN, ...env, AAMI_RELAY_PORT: String(port) },
      ready: () => httpOk(`${url}/healthz`),
    });
  const rp: RelayProcess = {
    url,
    daemon: await launch(),
    async killAndRestart() {
      await rp.daemon.kill();
      rp.daemon = await launch();
    },
    stop: () => rp.daemon.stop(),
  };
  defer(() => rp.stop());
  return rp;
}

/** The relay's Xid 79 fixture alert, on `node`, with a fresh fingerprint so each test's alerts are distinct. */
export function xidAlert(node: string, extra: Partial<WebhookAlert> = {}, labels: Record<string, string> = {}): WebhookAlert {
  return xid79Alert(
    {
      annotations: { summary: `GPU 3 on ${node} reported Xid 79` },
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: randomUUID().replace(/-/g, '').slice(0, 16),
      ...extra,
    },
    { node, ...labels },
  );
}

/** An Alertmanager v4 webhook body holding `alerts`. */
export function webhookBody(alerts: WebhookAlert[]): string {
  return JSON.stringify({
    version: '4',
    groupKey: '{}:{alertname="GPUXidError"}',
    truncatedAlerts: 0,
    status: alerts.every((a) => a.status === 'resolved') ? 'resolved' : 'firing',
    receiver: 'aami-relay',
    groupLabels: { alertname: 'GPUXidError' },
    commonLabels: { alertname: 'GPUXidError' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  });
}

/** POSTs a webhook body once. */
export function postWebhook(url: string, body: string, token = RELAY_TOKEN): Promise<Response> {
  return fetch(`${url}/alertmanager/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body, signal: AbortSignal.timeout(10_000) });
}

/** Answers seen by postUntilAccepted callers, by kind. */
export interface PostTally {
  /** 5xx answers (the relay could not store the alert and said so). */
  refused: number;
  /** No answer at all (relay down). */
  unreachable: number;
}

/**
 * POSTs until a 2xx (as Alertmanager retries); resolves true once accepted, false at the
 * deadline. Non-2xx answers and connection failures are counted in `tally`.
 */
export async function postUntilAccepted(url: () => string, body: string, deadline: number, tally: PostTally = { refused: 0, unreachable: 0 }): Promise<boolean> {
  while (Date.now() < deadline) {
    try {
      const res = await postWebhook(url(), body);
      await res.arrayBuffer();
      if (res.ok) return true;
      tally.refused++;
    } catch {
      tally.unreachable++;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** GET an API path of the relay with the token. */
export async function relayApi<T>(url: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}/api/v1/notifications${path}`, { ...init, headers: { ...serviceAuth, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });
  return { status: res.status, body: (await res.json()) as T };
}
