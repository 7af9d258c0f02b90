// /api/v1/status: is each part of the stack reachable, which version runs, and what credential
// guards it (null: anyone who reaches it may use it). Each probe has a short timeout and runs in
// parallel, so one dead part cannot stall the answer.
import { Router } from 'express';
import { connect } from 'node:net';
import type { ConfigStore, RuntimeSettings } from '@aami/shared';

export interface ComponentStatus {
  name: string;
  url: string;
  reachable: boolean;
  version: string | null;
  /** What a caller must present ('service token', 'password', ...); null when nothing is asked. */
  credential: string | null;
  error?: string;
}

const TIMEOUT = 2000;

type Field = (body: unknown) => string | null;

async function httpProbe(name: string, url: string, path: string, version: Field, credential: Field): Promise<ComponentStatus> {
  try {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(TIMEOUT) });
    if (!res.ok) return { name, url, reachable: false, version: null, credential: null, error: `HTTP ${res.status}` };
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* plain text */ }
    return { name, url, reachable: true, version: version(body), credential: credential(body) };
  } catch (err) {
    return { name, url, reachable: false, version: null, credential: null, error: (err as Error).message };
  }
}

/** Asks Redis for INFO server over a raw socket (no client library needed for one command). */
function redisProbe(redisUrl: string): Promise<ComponentStatus> {
  const u = new URL(redisUrl);
  const shown = `${u.protocol}//${u.hostname}:${u.port || 6379}`;
  return new Promise((resolve) => {
    const sock = connect(Number(u.port || 6379), u.hostname);
    let buf = '';
    const done = (s: ComponentStatus) => { sock.destroy(); resolve(s); };
    const credential = u.password ? 'password' : null;
    sock.setTimeout(TIMEOUT, () => done({ name: 'redis', url: shown, reachable: false, version: null, credential, error: 'timeout' }));
    sock.on('error', (err) => done({ name: 'redis', url: shown, reachable: false, version: null, credential, error: err.message }));
    sock.on('connect', () => {
      const auth = u.password ? `AUTH ${decodeURIComponent(u.password)}\r\n` : '';
      sock.write(`${auth}INFO server\r\n`);
    });
    sock.on('data', (d) => {
      buf += d.toString();
      const m = /redis_version:([^\r\n]+)/.exec(buf);
      if (m) done({ name: 'redis', url: shown, reachable: true, version: m[1] ?? null, credential });
      else if (buf.includes('-NOAUTH') || buf.includes('-WRONGPASS')) done({ name: 'redis', url: shown, reachable: false, version: null, credential, error: 'authentication failed' });
    });
  });
}

const versionField: Field = (body) => (body && typeof body === 'object' && 'version' in body ? String((body as { version: unknown }).version) : null);
// AAMI's services say on /healthz which credential their /api/v1 wants; one that does not say asks for none.
const authField: Field = (body) => ((body as { auth?: unknown } | null)?.auth === 'service-token' ? 'service token' : null);
// Prometheus and Alertmanager run without credentials on the internal network (docs/production.md).
const none: Field = () => null;

export function statusRouter(store: ConfigStore, settings: RuntimeSettings, gatewayVersion: string): Router {
  const r = Router();
  r.get('/', async (_req, res) => {
    const [config, ...components] = await Promise.all([
      store.read().then((s) => ({ revision: s.revision, nodes: s.config.nodes.length, cluster: s.config.cluster.name, presets: s.config.alerts.presets })),
      httpProbe('prometheus', settings.AAMI_PROMETHEUS_URL, '/api/v1/status/buildinfo', (b) => (b as { data?: { version?: string } }).data?.version ?? null, none),
      httpProbe('alertmanager', settings.AAMI_ALERTMANAGER_URL, '/api/v2/status', (b) => (b as { versionInfo?: { version?: string } }).versionInfo?.version ?? null, none),
      redisProbe(settings.AAMI_REDIS_URL),
      httpProbe('notification-relay', settings.AAMI_RELAY_URL, '/healthz', versionField, authField),
      httpProbe('analyzer', settings.AAMI_ANALYZER_URL, '/healthz', versionField, authField),
      httpProbe('rule-compiler', settings.AAMI_RULE_COMPILER_URL, '/healthz', versionField, authField),
      httpProbe('install-worker', settings.AAMI_INSTALL_WORKER_URL, '/healthz', versionField, authField),
    ]);
    res.json({
      cluster: config.cluster,
      config: { revision: config.revision, nodes: config.nodes, presets: config.presets },
      components: [{ name: 'api-gateway', url: 'self', reachable: true, version: gatewayVersion, credential: 'API token' }, ...components],
    });
  });
  return r;
}
