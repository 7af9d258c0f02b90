// /api/v1/status: is each part of the stack reachable, which version runs, and what credential
// guards it (null: anyone who reaches it may use it). Each probe has a short timeout and runs in
// parallel, so one dead part cannot stall the answer. The answer is StatusResponse (shared/src/api/status.ts).
import { Router } from 'express';
import { Redis } from 'ioredis';
import {
  redactRedisUrl, redisConnectionOptions, type ComponentStatus, type ConfigStore, type RedisConnectionOptions, type RuntimeSettings, type StatusResponse,
} from '@aami/shared';

const TIMEOUT = 2000;

type Field = (body: unknown) => string | null;

/** GET `url + path` with `headers` (a basic-auth header for Prometheus and Alertmanager). */
async function httpProbe(name: string, url: string, path: string, version: Field, credential: Field, headers: Record<string, string> = {}): Promise<ComponentStatus> {
  try {
    const res = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(TIMEOUT) });
    // A refusal still says what the part asks for: a 401 with credential 'password' reads "wrong password".
    if (!res.ok) return { name, url, reachable: false, version: null, credential: credential(undefined), error: `HTTP ${res.status}` };
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* plain text */ }
    return { name, url, reachable: true, version: version(body), credential: credential(body) };
  } catch (err) {
    // fetch's own words are only "fetch failed"; the cause says why (ECONNREFUSED, a name not found).
    const e = err as Error & { cause?: { message?: string } };
    return { name, url, reachable: false, version: null, credential: null, error: e.cause?.message ? `${e.message}: ${e.cause.message}` : e.message };
  }
}

/**
 * INFO server over a short-lived ioredis client built with the same URL parsing as the services,
 * so the probe authenticates as they do (ACL user, password, db index, rediss://): a green Redis
 * here means the services' credentials work, and a refused one says so.
 */
async function redisProbe(redisUrl: string): Promise<ComponentStatus> {
  const url = redactRedisUrl(redisUrl);
  let options: RedisConnectionOptions;
  try {
    options = redisConnectionOptions(redisUrl);
  } catch (err) {
    return { name: 'redis', url, reachable: false, version: null, credential: null, error: (err as Error).message };
  }
  const credential = options.password ? 'password' : null;
  // One try, no reconnect: a probe reports what it finds within TIMEOUT and goes away.
  const client = new Redis({ ...options, lazyConnect: true, connectTimeout: TIMEOUT, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A failed connect rejects the command with "Connection is closed."; the error event says why
  // (ECONNREFUSED, TLS, a db index the server does not have), so that is what gets reported.
  let lastError: Error | undefined;
  client.on('error', (err: Error) => { lastError = err; });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), TIMEOUT); });
  try {
    const info = await Promise.race([client.info('server'), timeout]);
    // SELECT of a missing db only raises an error event, and INFO still answers (from db 0).
    if (lastError) throw lastError;
    return { name: 'redis', url, reachable: true, version: /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? null, credential };
  } catch (err) {
    const cause = (err as Error).message === 'Connection is closed.' && lastError ? lastError : (err as Error);
    const error = /^(WRONGPASS|NOAUTH)/.test(cause.message) ? `authentication failed: ${cause.message}` : cause.message;
    return { name: 'redis', url, reachable: false, version: null, credential, error };
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

const versionField: Field = (body) => (body && typeof body === 'object' && 'version' in body ? String((body as { version: unknown }).version) : null);
// AAMI's services say on /healthz which credential their /api/v1 wants; one that does not say asks for none.
const authField: Field = (body) => ((body as { auth?: unknown } | null)?.auth === 'service-token' ? 'service token' : null);
// Prometheus and Alertmanager ask for the basic-auth password of their web.config.file when AAMI
// is given one (AAMI_*_PASSWORD_FILE); without one, AAMI asks for nothing and says so.
const password = (auth: Record<string, string>): Field => () => (Object.keys(auth).length > 0 ? 'password' : null);

/**
 * Every part of the stack as the probes find it, the gateway first. Never throws: a part that does
 * not answer is `reachable: false` with the reason. `aami doctor` reads the same list.
 */
export async function probeComponents(settings: RuntimeSettings, gatewayVersion: string): Promise<ComponentStatus[]> {
  const components = await Promise.all([
    httpProbe('prometheus', settings.AAMI_PROMETHEUS_URL, '/api/v1/status/buildinfo', (b) => (b as { data?: { version?: string } }).data?.version ?? null, password(settings.prometheusAuth), settings.prometheusAuth),
    httpProbe('alertmanager', settings.AAMI_ALERTMANAGER_URL, '/api/v2/status', (b) => (b as { versionInfo?: { version?: string } }).versionInfo?.version ?? null, password(settings.alertmanagerAuth), settings.alertmanagerAuth),
    redisProbe(settings.AAMI_REDIS_URL),
    httpProbe('notification-relay', settings.AAMI_RELAY_URL, '/healthz', versionField, authField),
    httpProbe('analyzer', settings.AAMI_ANALYZER_URL, '/healthz', versionField, authField),
    httpProbe('rule-compiler', settings.AAMI_RULE_COMPILER_URL, '/healthz', versionField, authField),
    httpProbe('install-worker', settings.AAMI_INSTALL_WORKER_URL, '/healthz', versionField, authField),
  ]);
  return [{ name: 'api-gateway', url: 'self', reachable: true, version: gatewayVersion, credential: 'API token' }, ...components];
}

export function statusRouter(store: ConfigStore, settings: RuntimeSettings, gatewayVersion: string): Router {
  const r = Router();
  r.get('/', async (_req, res) => {
    const [config, components] = await Promise.all([
      store.read().then((s) => ({ revision: s.revision, nodes: s.config.nodes.length, cluster: s.config.cluster.name, presets: s.config.alerts.presets })),
      probeComponents(settings, gatewayVersion),
    ]);
    const answer: StatusResponse = {
      cluster: config.cluster,
      config: { revision: config.revision, nodes: config.nodes, presets: config.presets },
      components,
    };
    res.json(answer);
  });
  return r;
}
