// Counts the gateway's answers by method and route template (`GET /api/v1/nodes/:name`, never the
// node's own name, so the label set stays small and holds nothing a caller typed), exposed on
// /metrics as aami_gateway_requests_total. Operators see which parts of the API are used and fail;
// the compose e2e reads it to prove it called every route the OpenAPI document declares.
import type { NextFunction, Request, Response } from 'express';
import { Counter, Registry } from 'prom-client';

export interface RouteCounter {
  registry: Registry;
  middleware: (req: Request, res: Response, next: NextFunction) => void;
}

/** The route template express matched, or "unmatched" (a 404, a request refused before routing). */
export function routeTemplate(req: Pick<Request, 'baseUrl' | 'route'>): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path === '/' ? '' : path}` : 'unmatched';
}

export function createRouteCounter(): RouteCounter {
  const registry = new Registry();
  const requests = new Counter({
    name: 'aami_gateway_requests_total',
    help: 'API answers of the gateway by method, route template and status code',
    labelNames: ['method', 'route', 'code'],
    registers: [registry],
  });
  return {
    registry,
    middleware: (req, res, next) => {
      // Read at the end: only then has express matched the route (inside nested routers).
      res.on('finish', () => requests.inc({ method: req.method, route: routeTemplate(req), code: String(res.statusCode) }));
      next();
    },
  };
}
