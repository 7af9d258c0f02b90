// Maps errors to JSON once: typed AamiErrors keep their status and details; body-parser errors
// become 400/413; anything else is a 500 whose message is logged, not sent.
import type { NextFunction, Request, Response } from 'express';
import { AamiError, type Logger } from '@aami/shared';

export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AamiError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details } });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'too_large', message: 'request body is too large', details: [] } });
      return;
    }
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'validation_failed', message: `request body is not valid JSON: ${e.message}`, details: [] } });
      return;
    }
    log.error('unhandled error', { method: req.method, path: req.path, error: err as Error });
    res.status(500).json({ error: { code: 'internal', message: 'internal error (see the api-gateway log)', details: [] } });
  };
}

/** 404 for unknown API paths, as JSON. */
export function notFound(req: Request, res: Response) {
  res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}`, details: [] } });
}
