// The analyzer's HTTP API: the Xid / SXid catalog (list, lookup, search) and a kernel-log scan
// that returns the Xid, SXid and bus-loss events in posted text, joined with the catalog; GPU
// health (health/routes.ts). /api/v1 wants the service token (the gateway's); /healthz and
// Prometheus' /metrics stay open on the internal network. createApp builds the app; main.ts listens.
import express from 'express';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import { AAMI_VERSION, ValidationError, createLogger, jsonErrorHandler, jsonNotFound, requireServiceToken } from '@aami/shared';
import type { Logger } from '@aami/shared';
import { XidSeverity, describeKernelLogEvent, loadXidCatalog, parseKernelLog } from '@aami/shared/xid/index';
import type { NvlinkDecodeTable, XidCatalog } from '@aami/shared/xid/index';
import { healthRouter } from './health/routes.ts';
import type { HealthService } from './health/service.ts';

/** What createApp needs; everything but the service token has a default. */
export interface AnalyzerAppOptions {
  /** What callers of /api/v1 must present (shared/src/http/service-token.ts). */
  serviceToken: string;
  /** The catalog to serve (default: xid-db/, loaded now so a bad catalog fails at start). */
  catalog?: XidCatalog;
  /** NVLink decode table for scans (default: xid-db/nvlink-decode.tsv, loaded at first use). */
  nvlinkTable?: NvlinkDecodeTable | null;
  /** Largest JSON body POST /api/v1/xid/scan accepts (express size string). */
  maxScanBody?: string;
  log?: Logger;
  /** Where /metrics reads from (the health service registers its series here too). */
  registry?: Registry;
  /** GPU health evaluation; without it /api/v1/health answers 503. */
  health?: HealthService;
}

const SeverityQuery = z.object({ severity: XidSeverity.optional() });
const SearchQuery = z.object({ q: z.string().trim().min(1, 'q (the words to search for) is required') });
const ScanJson = z.object({ text: z.string() });

function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const r = schema.safeParse(query);
  if (!r.success) {
    throw new ValidationError(
      'invalid query',
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return r.data;
}

function parseCode(raw: string | string[] | undefined, what: string): number {
  const s = Array.isArray(raw) ? raw[0] : raw;
  if (!s || !/^\d{1,9}$/.test(s)) throw new ValidationError(`${what} code must be a positive integer, got '${s ?? ''}'`);
  return Number(s);
}

/** Builds the analyzer's express app (no listen). */
export function createApp(options: AnalyzerAppOptions): express.Express {
  const catalog = options.catalog ?? loadXidCatalog();
  const log = options.log ?? createLogger('analyzer');
  const registry = options.registry ?? new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'aami_analyzer_requests_total',
    help: 'HTTP requests the analyzer answered, by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });

  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    res.on('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      requests.inc({
        method: req.method,
        route: typeof route === 'string' ? `${req.baseUrl}${route}` : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: AAMI_VERSION, auth: 'service-token', catalog: { xids: catalog.xids.length, sxids: catalog.sxids.length } });
  });

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });

  app.use('/api/v1', requireServiceToken(options.serviceToken, 'analyzer'));

  app.get('/api/v1/xid', (req, res) => {
    const { severity } = parseQuery(SeverityQuery, req.query);
    const items = catalog.listXid(severity ? { severity } : {});
    res.json({ items, count: items.length });
  });

  app.get('/api/v1/xid/search', (req, res) => {
    const { q } = parseQuery(SearchQuery, req.query);
    const items = catalog.searchXid(q).map((h) => ({ score: h.score, ...h.entry }));
    res.json({ query: q, items, count: items.length });
  });

  app.get('/api/v1/xid/:code', (req, res) => {
    res.json(catalog.requireXid(parseCode(req.params['code'], 'Xid')));
  });

  app.get('/api/v1/sxid', (req, res) => {
    const { severity } = parseQuery(SeverityQuery, req.query);
    const items = catalog.listSxid(severity ? { severity } : {});
    res.json({ items, count: items.length });
  });

  app.get('/api/v1/sxid/:code', (req, res) => {
    res.json(catalog.requireSxid(parseCode(req.params['code'], 'SXid')));
  });

  const limit = options.maxScanBody ?? '64mb';
  app.post(
    '/api/v1/xid/scan',
    express.json({ limit }),
    (req, res) => {
      const r = ScanJson.safeParse(req.body);
      if (!r.success) throw new ValidationError('send the kernel log as JSON {"text": "..."}', [{ path: 'text', message: 'must be a string' }]);
      const { text } = r.data;
      const parseOptions = options.nvlinkTable !== undefined ? { nvlinkTable: options.nvlinkTable } : {};
      const events = parseKernelLog(text, parseOptions).map((e) => ({ ...e, ...describeKernelLogEvent(e, catalog) }));
      res.json({ events, count: events.length });
    },
  );

  app.use('/api/v1', healthRouter(options.health));

  app.use(jsonNotFound);

  app.use(jsonErrorHandler(log, 'analyzer'));

  return app;
}
