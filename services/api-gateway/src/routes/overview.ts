// GET /api/v1/overview (the fleet at a glance) and GET /api/v1/nodes/:name/charts (one node's GPUs
// over a range), for the Web UI and any portal. The rules are the domain's (src/domain/overview.ts);
// this file wires its sources (Prometheus, Alertmanager, and the rule compiler and install worker
// through the service token), parses the query string and sends the answer. Prometheus failing a
// chart is a 503 (not reachable) or a 502 (it answered with an error, or refused the gateway's
// credentials), never a 401 that would sign the UI out. An overview answers whatever its sources
// gave; the ones that did not answer are named in it. Large answers go gzipped to clients that
// accept it (the overview of 10,000 nodes is several MB of JSON).
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Router, type Request, type Response } from 'express';
import {
  AamiError, NodeChartsQuery, OverviewQuery, UnavailableError, loadPresetCatalog, parseOrThrow, queryPrometheus, queryPrometheusRange,
  type HttpAuth, type PresetCatalog,
} from '@aami/shared';
import { overviewDomain, type PromReader } from '../domain/overview.ts';
import type { ConfigAccess } from '../domain/config-writes.ts';
import { requestUpstream } from '../upstream.ts';

export interface OverviewRouterDeps {
  store: Pick<ConfigAccess, 'read'>;
  prometheusUrl: string;
  /** Basic-auth headers for Prometheus and Alertmanager (settings.prometheusAuth / alertmanagerAuth). */
  prometheusAuth?: HttpAuth;
  alertmanagerUrl: string;
  alertmanagerAuth?: HttpAuth;
  /** The rule compiler and the install worker, asked with the service token. */
  ruleCompilerUrl: string;
  installWorkerUrl: string;
  serviceToken: string;
  presetsDir?: string;
}

/** Prometheus' queries may scan every GPU series of a large fleet; the other sources answer small things. */
const PROMETHEUS_TIMEOUT_MS = 20_000;
const SOURCE_TIMEOUT_MS = 3000;
/** Answers from this size on go gzipped when the client accepts it. */
const GZIP_FROM_BYTES = 32 * 1024;

const gzipAsync = promisify(gzip);

/**
 * A Prometheus error as the gateway reports it: not reachable (or too slow) is a 503 naming it; a
 * refusal of the gateway's credentials a 502 upstream_auth; any other failed query a 502.
 */
export function prometheusError(err: unknown, url: string): AamiError {
  const e = err as Error & { cause?: { message?: string } };
  if (e.name === 'TypeError' || e.name === 'TimeoutError' || e.name === 'AbortError') {
    const why = e.name === 'TimeoutError' ? 'no answer in time' : `${e.message}${e.cause?.message ? `: ${e.cause.message}` : ''}`;
    return new UnavailableError(`Prometheus at ${url} is not reachable (${why})`);
  }
  if (/refused the credentials/.test(e.message)) return new AamiError(e.message, 502, 'upstream_auth');
  return new AamiError(e.message, 502, 'upstream_error');
}

/** The real Prometheus, with every failure typed by prometheusError. */
function prometheusReader(url: string, auth: HttpAuth): PromReader {
  const typed = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw prometheusError(err, url);
    }
  };
  return {
    instant: (expr) => typed(() => queryPrometheus(url, expr, PROMETHEUS_TIMEOUT_MS, auth)),
    range: (expr, grid) => typed(() => queryPrometheusRange(url, expr, grid, PROMETHEUS_TIMEOUT_MS, auth)),
  };
}

/** Sends `body` as JSON, gzipped when it is large and the client accepts gzip. */
async function sendJson(req: Request, res: Response, body: unknown): Promise<void> {
  const text = JSON.stringify(body);
  res.type('application/json');
  res.vary('Accept-Encoding');
  if (text.length >= GZIP_FROM_BYTES && /\bgzip\b/.test(req.get('accept-encoding') ?? '')) {
    const packed = await gzipAsync(text, { level: 4 });
    res.set('Content-Encoding', 'gzip').send(packed);
    return;
  }
  res.send(text);
}

export function overviewRouter(deps: OverviewRouterDeps): Router {
  const trim = (u: string) => u.replace(/\/+$/, '');
  const compiler = trim(deps.ruleCompilerUrl);
  const installer = trim(deps.installWorkerUrl);
  let catalog: Promise<PresetCatalog> | undefined;
  const domain = overviewDomain({
    store: deps.store,
    prometheus: prometheusReader(deps.prometheusUrl, deps.prometheusAuth ?? {}),
    firingAlerts: async () => {
      const res = await fetch(`${trim(deps.alertmanagerUrl)}/api/v2/alerts?active=true&silenced=false&inhibited=false`, {
        headers: deps.alertmanagerAuth ?? {}, signal: AbortSignal.timeout(SOURCE_TIMEOUT_MS),
      });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(res.status === 401 ? 'Alertmanager refused the credentials (HTTP 401): check AAMI_ALERTMANAGER_PASSWORD_FILE' : `Alertmanager answered HTTP ${res.status}`);
      }
      return (await res.json()) as Array<{ labels: Record<string, string> }>;
    },
    compileStatus: () => requestUpstream({ service: `the rule compiler at ${compiler}`, url: `${compiler}/api/v1/compile/status`, token: deps.serviceToken, timeoutMs: SOURCE_TIMEOUT_MS }),
    installRuns: () => requestUpstream({ service: `the install-worker at ${installer}`, url: `${installer}/api/v1/install/runs?limit=1`, token: deps.serviceToken, timeoutMs: SOURCE_TIMEOUT_MS }),
    // Read once; a failed read is tried again on the next request.
    catalog: () => (catalog ??= loadPresetCatalog(deps.presetsDir).catch((err: unknown) => { catalog = undefined; throw err; })),
  });
  const r = Router();

  r.get('/overview', async (req, res) => {
    const { metric } = parseOrThrow(OverviewQuery, req.query, 'overview request');
    await sendJson(req, res, await domain.overview(metric));
  });

  r.get('/nodes/:name/charts', async (req, res) => {
    const { range } = parseOrThrow(NodeChartsQuery, req.query, 'charts request');
    await sendJson(req, res, await domain.charts(req.params.name, range));
  });

  return r;
}
