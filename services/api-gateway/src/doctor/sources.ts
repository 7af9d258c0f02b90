// What the doctor checks read, behind one narrow interface so each check is tested on fakes.
// createDoctorSources wires the real ones for one run: the status probes (routes/status.ts),
// config.yaml, the rule compiler's compile status, Prometheus (its targets, its own /metrics and
// runtime info, with the basic auth it asks for), the relay (dead letters with the service token,
// its open /metrics) and the install worker's node checks (service token). Each is read at most
// once per run, so checks that share a source share one request. A failed read rejects with an
// error that names the part and its address (never a credential).
import {
  CompileStatus, DeadLettersResponse, DoctorNodesResponse, serviceAuthHeaders, type AamiConfig, type ComponentStatus, type ConfigStore, type DeadLetter,
  type HttpAuth, type RuntimeSettings,
} from '@aami/shared';
import { probeComponents } from '../routes/status.ts';
import { describeError, quote, redactUrl } from './check.ts';

/** One active target of Prometheus' /api/v1/targets. */
export interface PromTarget {
  labels: Record<string, string>;
  scrapeUrl?: string;
  health: string;
  lastError?: string;
}

/** What Prometheus says about itself: its /metrics text and /api/v1/status/runtimeinfo's data. */
export interface PromSelf {
  metrics: string;
  runtime: { storageRetention?: string; startTime?: string };
}

/** Every source a doctor run reads. */
export interface DoctorSources {
  /** Each part of the stack as the status probes see it (the gateway first). */
  components(): Promise<ComponentStatus[]>;
  config(): Promise<{ revision: number; config: AamiConfig }>;
  compileStatus(): Promise<CompileStatus>;
  prometheusTargets(): Promise<PromTarget[]>;
  prometheusSelf(): Promise<PromSelf>;
  deadLetters(): Promise<DeadLetter[]>;
  /** The relay's /metrics text. */
  relayMetrics(): Promise<string>;
  /** The install worker's node checks (SSH). */
  nodes(): Promise<DoctorNodesResponse>;
  /** Where the parts are, for messages: addresses without credentials. */
  readonly where: { prometheus: string; ruleCompiler: string; relay: string; installWorker: string };
}

/** The most dead letters asked for: enough to count, small enough to read quickly. */
export const DEAD_LETTER_LIMIT = 1000;
/** How long the install worker has for every node; the gateway waits a little longer. */
export const NODES_TIMEOUT_MS = 40_000;
const SOURCE_TIMEOUT_MS = 5000;

/** Caches one call: every check of a run that asks gets the same answer. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= read());
}

interface Call {
  part: string;
  url: string;
  headers?: Record<string, string>;
  method?: string;
  body?: unknown;
  timeoutMs?: number;
  /** What to say on a 401/403. */
  refused: string;
}

/** The message of an error answer: AAMI's envelope (`error.message`) or Prometheus' (`error`). */
function errorText(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof e === 'string') return e;
    const m = (e as { message?: unknown } | undefined)?.message;
    return typeof m === 'string' ? m : '';
  } catch {
    return '';
  }
}

async function send(call: Call): Promise<Response> {
  const where = `${call.part} at ${redactUrl(call.url)}`;
  let res: Response;
  try {
    res = await fetch(call.url, {
      method: call.method ?? 'GET',
      headers: { accept: 'application/json', ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}), ...call.headers },
      body: call.body !== undefined ? JSON.stringify(call.body) : undefined,
      signal: AbortSignal.timeout(call.timeoutMs ?? SOURCE_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`${where} is not reachable (${describeError(err)})`);
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    throw new Error(`${where} refused the gateway's credentials (HTTP ${res.status}): ${call.refused}`);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw new Error(`${where} answered HTTP ${res.status}${errorText(text) ? `: ${quote(errorText(text))}` : ''}`);
  }
  return res;
}

async function getJson(call: Call): Promise<unknown> {
  const res = await send(call);
  try {
    return await res.json();
  } catch {
    throw new Error(`${call.part} at ${redactUrl(call.url)} answered something that is not JSON`);
  }
}

const trim = (u: string) => u.replace(/\/+$/, '');

const SERVICE_TOKEN_HINT = 'every AAMI service must read the same service token (AAMI_SERVICE_TOKEN or secrets/service-token in the config volume)';
const promHint = (auth: HttpAuth) => (Object.keys(auth).length > 0 ? 'check AAMI_PROMETHEUS_PASSWORD_FILE' : 'it asks for a password; set AAMI_PROMETHEUS_PASSWORD_FILE');

/** The real sources of one doctor run. */
export function createDoctorSources(deps: { store: Pick<ConfigStore, 'read'>; settings: RuntimeSettings; version: string; serviceToken: string }): DoctorSources {
  const { settings, serviceToken } = deps;
  const prometheus = trim(settings.AAMI_PROMETHEUS_URL);
  const ruleCompiler = trim(settings.AAMI_RULE_COMPILER_URL);
  const relay = trim(settings.AAMI_RELAY_URL);
  const installWorker = trim(settings.AAMI_INSTALL_WORKER_URL);
  const service = serviceAuthHeaders(serviceToken);
  const promGet = (path: string, accept?: string) => send({
    part: 'Prometheus', url: `${prometheus}${path}`, headers: { ...settings.prometheusAuth, ...(accept ? { accept } : {}) }, refused: promHint(settings.prometheusAuth),
  });
  return {
    where: { prometheus: redactUrl(prometheus), ruleCompiler: redactUrl(ruleCompiler), relay: redactUrl(relay), installWorker: redactUrl(installWorker) },
    components: once(() => probeComponents(settings, deps.version)),
    config: once(async () => {
      const { revision, config } = await deps.store.read();
      return { revision, config };
    }),
    compileStatus: once(async () => {
      const body = await getJson({ part: 'the rule compiler', url: `${ruleCompiler}/api/v1/compile/status`, headers: service, refused: SERVICE_TOKEN_HINT });
      const parsed = CompileStatus.safeParse(body);
      if (!parsed.success) throw new Error(`the rule compiler at ${redactUrl(ruleCompiler)} answered a compile status this gateway does not understand (is it the same AAMI version?)`);
      return parsed.data;
    }),
    prometheusTargets: once(async () => {
      const body = (await (await promGet('/api/v1/targets?state=active')).json().catch(() => ({}))) as { data?: { activeTargets?: PromTarget[] } };
      if (!Array.isArray(body.data?.activeTargets)) throw new Error(`Prometheus at ${redactUrl(prometheus)} answered /api/v1/targets without a target list`);
      return body.data.activeTargets;
    }),
    prometheusSelf: once(async () => {
      const [metrics, runtime] = await Promise.all([
        promGet('/metrics', 'text/plain').then((r) => r.text()),
        promGet('/api/v1/status/runtimeinfo').then(async (r) => ((await r.json().catch(() => ({}))) as { data?: PromSelf['runtime'] }).data ?? {}),
      ]);
      return { metrics, runtime };
    }),
    deadLetters: once(async () => {
      const body = await getJson({ part: 'the notification relay', url: `${relay}/api/v1/notifications/dead-letters?limit=${DEAD_LETTER_LIMIT}`, headers: service, refused: SERVICE_TOKEN_HINT });
      const parsed = DeadLettersResponse.safeParse(body);
      if (!parsed.success) throw new Error(`the notification relay at ${redactUrl(relay)} answered a dead-letter list this gateway does not understand (is it the same AAMI version?)`);
      return parsed.data.dead_letters;
    }),
    relayMetrics: once(async () => (await send({ part: 'the notification relay', url: `${relay}/metrics`, headers: { accept: 'text/plain' }, refused: SERVICE_TOKEN_HINT })).text()),
    nodes: once(async () => {
      const body = await getJson({
        part: 'the install worker', url: `${installWorker}/api/v1/doctor/nodes`, method: 'POST', body: { timeout_ms: NODES_TIMEOUT_MS }, headers: service,
        timeoutMs: NODES_TIMEOUT_MS + 5000, refused: SERVICE_TOKEN_HINT,
      });
      const parsed = DoctorNodesResponse.safeParse(body);
      if (!parsed.success) throw new Error(`the install worker at ${redactUrl(installWorker)} answered node checks this gateway does not understand (is it the same AAMI version?)`);
      return parsed.data;
    }),
  };
}
