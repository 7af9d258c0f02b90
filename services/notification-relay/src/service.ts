// Wires the relay from settings: Redis connections, queues, the domain stores, the channels, the
// HTTP app and (unless turned off) the workers. main.ts calls this with the environment; the
// integration tests call it in-process with their own Redis and config.
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigStore, createLogger, redisConnectionOptions, type Logger } from '@aami/shared';
import { loadXidCatalog, type XidCatalog } from '@aami/shared/xid/catalog';
import { createAdmin } from './admin.ts';
import { createApp } from './app.ts';
import { createChannelSource } from './channels/registry.ts';
import { createConfigSource } from './domain/config-source.ts';
import { createRedisDedup } from './domain/dedup.ts';
import { FIXED_DEDUP_TTL_MS } from './domain/dedup-lifetime.ts';
import type { XidLookup } from './domain/enrichment.ts';
import type { NotificationsConfig } from './domain/routing.ts';
import { createRedisStats } from './domain/stats.ts';
import { createRedisStorm } from './domain/storm.ts';
import { createIntake } from './intake.ts';
import { createIntakeLimiter } from './intake-limit.ts';
import { createRelayMetrics, type RelayMetrics } from './metrics.ts';
import { createRelayQueues, retryingJobOptions, type RelayQueues } from './queues.ts';
import type { RelaySettings } from './settings.ts';
import { startWorkers, type RelayWorkers } from './worker.ts';

/** What startRelay needs beyond settings (all optional: defaults are the real things). */
export interface StartRelayOptions {
  settings: RelaySettings;
  /** What the gateway presents on the notifications API (main.ts: loadServiceTokenAtStart). */
  serviceToken: string;
  logger?: Logger;
  /** Where config.yaml is read from. @defaultValue new ConfigStore(settings.shared.configPath) */
  configStore?: { read(): Promise<{ config: { notifications: NotificationsConfig } }> };
  /** Xid catalog lookup. @defaultValue the catalog in xid-db/ */
  xidLookup?: XidLookup;
  /** Environment `${VAR}` references in config.yaml expand from. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
}

/** A running relay. */
export interface RunningRelay {
  url: string;
  port: number;
  queues: RelayQueues;
  metrics: RelayMetrics;
  server: Server;
  close(): Promise<void>;
}

/** The real Xid catalog, loaded once; a catalog that cannot load means no Xid details, not no alerts. */
export function catalogLookup(logger: Logger): XidLookup {
  let catalog: XidCatalog | null | undefined;
  return (code) => {
    if (catalog === undefined) {
      try {
        catalog = loadXidCatalog();
      } catch (err) {
        logger.error('cannot load the Xid catalog; messages go out without Xid explanations', { error: (err as Error).message });
        catalog = null;
      }
    }
    return catalog?.getXid(code);
  };
}

function redisOptions(extra: RedisOptions): RedisOptions {
  return { retryStrategy: (times) => Math.min(times * 100, 1000), connectTimeout: 3000, ...extra };
}

/** Starts the relay and resolves once it listens. */
export async function startRelay(opts: StartRelayOptions): Promise<RunningRelay> {
  const s = opts.settings;
  const logger = opts.logger ?? createLogger('notification-relay');
  const url = s.shared.AAMI_REDIS_URL;
  const connections: Redis[] = [];
  let lastRedisError = 0;
  const onRedisError = (err: Error): void => {
    if (Date.now() - lastRedisError > 5000) logger.warn('redis connection error (reconnecting)', { error: err.message });
    lastRedisError = Date.now();
  };
  const open = (extra: RedisOptions): Redis => {
    const c = new Redis({ ...redisConnectionOptions(url), ...redisOptions(extra) });
    c.on('error', onRedisError);
    connections.push(c);
    return c;
  };
  // Producer: fail fast while Redis is away, so the webhook answers 503 and Alertmanager retries.
  const producer = open({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const commands = open({ maxRetriesPerRequest: 3 });
  const queues = createRelayQueues(producer, s.queuePrefix, onRedisError);
  // INFO memory on the producer connection: it fails fast while Redis is away, so a scrape does too.
  const metrics = createRelayMetrics({ queues, redisInfo: () => producer.info('memory') });
  const xidLookup = opts.xidLookup ?? catalogLookup(logger);
  xidLookup(79); // load the catalog now, so a broken one is reported at start, not at the first alert
  const notifications = createConfigSource(opts.configStore ?? new ConfigStore(s.shared.configPath), { ttlMs: s.configTtlMs, logger });
  const channels = createChannelSource(notifications, { timeoutMs: s.sendTimeoutMs, ...(s.smtpCa ? { emailTls: { ca: s.smtpCa } } : {}), ...(opts.env ? { env: opts.env } : {}) });
  // Each delivery job says how long its state's key lives (notifications.repeat); the fixed
  // lifetime is only for a caller that names none.
  const dedup = createRedisDedup(commands, { prefix: s.queuePrefix, ttlMs: FIXED_DEDUP_TTL_MS });
  const storm = createRedisStorm(commands, { prefix: s.queuePrefix, threshold: s.stormThreshold, windowMs: s.stormWindowMs, dedupTtlMs: FIXED_DEDUP_TTL_MS });
  const stats = createRedisStats(commands, s.queuePrefix);
  const admin = createAdmin({ queues, stats, notifications });

  let workers: RelayWorkers | undefined;
  if (s.workers) {
    workers = startWorkers({
      connect: () => open({ maxRetriesPerRequest: null }),
      prefix: s.queuePrefix,
      queues,
      delivery: { channels, xidLookup, dedup, storm, stats, metrics, logger },
      attempts: s.attempts,
      backoff: { baseMs: s.backoffBaseMs, maxMs: s.backoffMaxMs },
      concurrency: s.concurrency,
      lockMs: s.lockMs,
      stalledIntervalMs: s.stalledIntervalMs,
      logger,
    });
  }

  const app = createApp({
    token: s.token,
    serviceToken: opts.serviceToken,
    maxBodyBytes: s.maxBodyBytes,
    enqueueTimeoutMs: s.enqueueTimeoutMs,
    sendTimeoutMs: s.sendTimeoutMs,
    intake: createIntake({ notifications, xidLookup, queues: queues.delivery, jobOptions: retryingJobOptions(s.attempts) }),
    intakeLimit: createIntakeLimiter({ perWindow: s.intakePerWindow, perFingerprint: s.intakePerFingerprint, windowMs: s.intakeWindowMs }),
    channels,
    admin,
    async ready() {
      const pong = await Promise.race([producer.ping(), new Promise<string>((r) => setTimeout(() => r('timeout'), 1000).unref())]);
      return pong === 'PONG';
    },
    metrics,
    logger,
  });
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(s.port, s.shared.AAMI_BIND, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const host = s.shared.AAMI_BIND.includes(':') ? `[${s.shared.AAMI_BIND}]` : s.shared.AAMI_BIND;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    queues,
    metrics,
    server,
    close() {
      // In-flight deliveries get a grace period to finish; with Redis gone nothing can finish, so
      // every step is bounded and the connections are dropped at the end regardless.
      const bounded = (p: Promise<unknown> | undefined, ms: number): Promise<unknown> =>
        Promise.race([(p ?? Promise.resolve()).catch(() => {}), new Promise((r) => setTimeout(r, ms).unref())]);
      closing ??= (async () => {
        await bounded(
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
          5000,
        );
        server.closeAllConnections();
        await bounded(workers?.close(), 15_000);
        await bounded(queues.close(), 2000);
        await bounded(Promise.all(connections.map((c) => c.quit())), 1000);
        for (const c of connections) c.disconnect();
      })();
      return closing;
    },
  };
}
