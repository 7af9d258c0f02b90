// The relay's own environment settings (the shared ones, such as AAMI_REDIS_URL and AAMI_BIND,
// come from @aami/shared's loadSettings). Defaults suit production; tests shorten the timings.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { envInt as int, loadSettings, parseOrThrow, type RuntimeSettings } from '@aami/shared';

const RelayEnv = z.object({
  AAMI_RELAY_PORT: int(8081).pipe(z.number().max(65535)),
  AAMI_RELAY_TOKEN: z.string().optional(),
  AAMI_RELAY_TOKEN_FILE: z.string().optional(),
  /** BullMQ key prefix (tests give each run its own). */
  AAMI_RELAY_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('bull'),
  AAMI_RELAY_MAX_BODY_BYTES: int(1_048_576, 1024),
  AAMI_RELAY_ENQUEUE_TIMEOUT_MS: int(5000, 100),
  /**
   * Alerts the webhook accepts per minute, whole relay (0: no cap). Every accepted alert is a job
   * in Redis, which is shared and never evicts, so this bounds how fast a token holder can fill
   * it. 20,000 is far above real traffic: Alertmanager sends each alert group once per
   * group_interval (5 m by default), so even a site-wide event in which every GPU of a
   * 1,000-node (8,000-GPU) cluster raises two alerts at once, plus one per node (17,000), fits
   * one minute, and so does Alertmanager's largest batch (10,000 alerts) in a fresh window.
   */
  AAMI_RELAY_INTAKE_PER_MINUTE: int(20_000, 0),
  /**
   * Times one alert (by fingerprint) is accepted per minute (0: no cap). Alertmanager re-sends an
   * alert with its group every group_interval, and a few routes or HA peers may each send it, so
   * a real alert comes a handful of times a minute at most even with a 10 s group_interval; 60
   * (one a second) leaves ample room and still stops one alert posted in a loop.
   */
  AAMI_RELAY_INTAKE_PER_FINGERPRINT_PER_MINUTE: int(60, 0),
  /** The caps' window; the caps above are per window (tests shorten it). */
  AAMI_RELAY_INTAKE_WINDOW_MS: int(60_000, 100),
  /** Tries per delivery before it is dead-lettered (~2.5 h with the default backoff). */
  AAMI_RELAY_ATTEMPTS: int(30, 1),
  AAMI_RELAY_BACKOFF_BASE_MS: int(2000, 1),
  AAMI_RELAY_BACKOFF_MAX_MS: int(300_000, 1),
  AAMI_RELAY_SEND_TIMEOUT_MS: int(10_000, 50),
  AAMI_RELAY_STORM_THRESHOLD: int(10, 1),
  AAMI_RELAY_STORM_WINDOW_MS: int(60_000, 100),
  AAMI_RELAY_CONCURRENCY: int(8, 1),
  AAMI_RELAY_LOCK_MS: int(30_000, 500),
  AAMI_RELAY_STALLED_INTERVAL_MS: int(15_000, 100),
  AAMI_RELAY_CONFIG_TTL_MS: int(5000, 0),
  /** "off" runs only the HTTP side (several API replicas, one worker). */
  AAMI_RELAY_WORKERS: z.enum(['on', 'off']).default('on'),
  /** A PEM file with extra CAs for the SMTP server's certificate. */
  AAMI_RELAY_SMTP_CA_FILE: z.string().optional(),
});

/** Everything the relay reads from its environment. */
export interface RelaySettings {
  shared: RuntimeSettings;
  port: number;
  /** What Alertmanager presents on the webhook. */
  token: string;
  queuePrefix: string;
  maxBodyBytes: number;
  enqueueTimeoutMs: number;
  /** Alerts accepted per intake window, whole relay; 0 = no cap. */
  intakePerWindow: number;
  /** Times one fingerprint is accepted per intake window; 0 = no cap. */
  intakePerFingerprint: number;
  intakeWindowMs: number;
  attempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  sendTimeoutMs: number;
  stormThreshold: number;
  stormWindowMs: number;
  concurrency: number;
  lockMs: number;
  stalledIntervalMs: number;
  configTtlMs: number;
  workers: boolean;
  smtpCa?: string;
  /** Set when this start created the token file (main logs it). */
  tokenFileCreated?: string;
}

/**
 * The relay token: AAMI_RELAY_TOKEN, else the file AAMI_RELAY_TOKEN_FILE names. A missing file is
 * created with a fresh random token (never overwritten), so a first start needs no manual step;
 * mode 0644 like docker/start-relay.sh, because Alertmanager reads the same file as another user.
 */
export function loadRelayToken(env: { AAMI_RELAY_TOKEN?: string | undefined; AAMI_RELAY_TOKEN_FILE?: string | undefined }): { token: string; created?: string } {
  if (env.AAMI_RELAY_TOKEN && env.AAMI_RELAY_TOKEN.trim()) return { token: env.AAMI_RELAY_TOKEN.trim() };
  const file = env.AAMI_RELAY_TOKEN_FILE;
  if (!file) throw new Error('no relay token: set AAMI_RELAY_TOKEN or AAMI_RELAY_TOKEN_FILE (Alertmanager must send the same token)');
  let created: string | undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read AAMI_RELAY_TOKEN_FILE ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    const fresh = randomBytes(32).toString('base64url');
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${fresh}\n`, { flag: 'wx', mode: 0o644 });
      created = file;
      text = fresh;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create AAMI_RELAY_TOKEN_FILE ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      text = readFileSync(file, 'utf8'); // another process made it first
    }
  }
  if (!text.trim()) throw new Error(`AAMI_RELAY_TOKEN_FILE ${file} is empty`);
  return created ? { token: text.trim(), created } : { token: text.trim() };
}

/** Parses the environment; a bad value is an error naming the variable. */
export function loadRelaySettings(env: NodeJS.ProcessEnv = process.env): RelaySettings {
  const shared = loadSettings(env);
  const e = parseOrThrow(RelayEnv, env, 'environment');
  const token = loadRelayToken(e);
  const out: RelaySettings = {
    shared,
    port: e.AAMI_RELAY_PORT,
    token: token.token,
    queuePrefix: e.AAMI_RELAY_QUEUE_PREFIX,
    maxBodyBytes: e.AAMI_RELAY_MAX_BODY_BYTES,
    enqueueTimeoutMs: e.AAMI_RELAY_ENQUEUE_TIMEOUT_MS,
    intakePerWindow: e.AAMI_RELAY_INTAKE_PER_MINUTE,
    intakePerFingerprint: e.AAMI_RELAY_INTAKE_PER_FINGERPRINT_PER_MINUTE,
    intakeWindowMs: e.AAMI_RELAY_INTAKE_WINDOW_MS,
    attempts: e.AAMI_RELAY_ATTEMPTS,
    backoffBaseMs: e.AAMI_RELAY_BACKOFF_BASE_MS,
    backoffMaxMs: e.AAMI_RELAY_BACKOFF_MAX_MS,
    sendTimeoutMs: e.AAMI_RELAY_SEND_TIMEOUT_MS,
    stormThreshold: e.AAMI_RELAY_STORM_THRESHOLD,
    stormWindowMs: e.AAMI_RELAY_STORM_WINDOW_MS,
    concurrency: e.AAMI_RELAY_CONCURRENCY,
    lockMs: e.AAMI_RELAY_LOCK_MS,
    stalledIntervalMs: e.AAMI_RELAY_STALLED_INTERVAL_MS,
    configTtlMs: e.AAMI_RELAY_CONFIG_TTL_MS,
    workers: e.AAMI_RELAY_WORKERS === 'on',
  };
  if (e.AAMI_RELAY_SMTP_CA_FILE) out.smtpCa = readFileSync(e.AAMI_RELAY_SMTP_CA_FILE, 'utf8');
  if (token.created) out.tokenFileCreated = token.created;
  return out;
}
