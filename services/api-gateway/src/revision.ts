// A client names the revision its edit is based on with `If-Match: "12"` (or `expected_revision`
// in the body); a stale one gets 409 from the store. No revision means "latest wins".
import type { Request, Response } from 'express';
import { ValidationError } from '@aami/shared';

export function expectedRevision(req: Request): number | undefined {
  const header = req.get('if-match');
  const fromBody = (req.body as { expected_revision?: unknown } | undefined)?.expected_revision;
  const raw = header !== undefined ? header.replace(/^W\//, '').replaceAll('"', '') : fromBody;
  if (raw === undefined || raw === null || raw === '*') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ValidationError('If-Match must be a config revision number', [{ path: 'If-Match', message: `"${String(raw)}" is not a revision number` }]);
  return n;
}

/** Sets the ETag header to the revision a response reflects. */
export function setRevision(res: Response, revision: number): void {
  res.set('ETag', `"${revision}"`);
}
