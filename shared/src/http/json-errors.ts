// The one JSON error shape every AAMI HTTP service answers with: typed AamiErrors keep their status
// and details, body-parser failures become 400/413, anything else is a 500 whose cause goes to the
// log, never to the caller. Typed structurally, so this library needs no express dependency.
import { AamiError } from '../errors.ts';
import type { Logger } from '../log.ts';

interface RequestLike { method: string; path: string }
interface ResponseLike { status(code: number): ResponseLike; json(body: unknown): unknown }

const body = (code: string, message: string, details: unknown[] = []) => ({ error: { code, message, details } });

/** Express error middleware (four parameters, so express treats it as one). */
export function jsonErrorHandler(log: Logger, service: string) {
  return (err: unknown, req: RequestLike, res: ResponseLike, _next: unknown): void => {
    if (err instanceof AamiError) {
      res.status(err.status).json(body(err.code, err.message, err.details));
      return;
    }
    const e = err as { type?: string; message?: string; limit?: number };
    if (e.type === 'entity.too.large') {
      res.status(413).json(body('too_large', `request body is too large${e.limit ? ` (limit ${e.limit} bytes)` : ''}`));
      return;
    }
    if (e.type === 'entity.parse.failed') {
      res.status(400).json(body('validation_failed', `request body is not valid JSON: ${e.message ?? ''}`));
      return;
    }
    log.error('unhandled error', { method: req.method, path: req.path, error: err as Error });
    res.status(500).json(body('internal', `internal error (see the ${service} log)`));
  };
}

/** 404 for unknown paths, as JSON. */
export function jsonNotFound(req: RequestLike, res: ResponseLike): void {
  res.status(404).json(body('not_found', `no route ${req.method} ${req.path}`));
}
