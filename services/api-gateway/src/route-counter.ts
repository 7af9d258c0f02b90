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
export function routeTemplate(req: { baseUrl: string; route: unknown }): string {
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
      // The template is taken when the router picks the route, inside its nested router: by the
      // time an error reaches the app's error handler, express has already reset req.baseUrl.
      let route: unknown;
      let template = 'unmatched';
      Object.defineProperty(req, 'route', {
        configurable: true, enumerable: true,
        get: () => route,
        set: (value: unknown) => { route = value; template = routeTemplate({ baseUrl: req.baseUrl, route: value }); },
      });
      res.on('finish', () => requests.inc({ method: req.method, route: template, code: String(res.statusCode) }));
      next();
    },
  };
}
