// The one JSON error shape every AAMI HTTP service answers with: typed AamiErrors keep their status
// and details, body-parser failures become 400/413, anything else is a 500 whose cause goes to the
// log, never to the caller. Typed structurally, so this library needs no express dependency.
import { z } from 'zod';
import { AamiError, type ErrorDetail } from '../errors.ts';
import type { Logger } from '../log.ts';

/** Every error answer of every AAMI service: `{error: {code, message, details[]}}`. */
export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string().optional(), line: z.number().int().optional(), message: z.string() })),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

/** The error answer's body. */
export const errorBody = (code: string, message: string, details: ErrorDetail[] = []): ErrorEnvelope => ({ error: { code, message, details } });

interface RequestLike { method: string; path: string }
interface ResponseLike { status(code: number): ResponseLike; json(body: unknown): unknown }

const body = errorBody;

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
