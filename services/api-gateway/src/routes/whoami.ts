// /api/v1/whoami: which token is calling and what it may do (the UI shows read-only controls).
// The answer is WhoamiResponse (shared/src/api/tokens.ts).
import { Router } from 'express';
import { UnauthorizedError, type WhoamiResponse } from '@aami/shared';

export function whoamiRouter(): Router {
  const r = Router();
  r.get('/', (req, res) => {
    // requireToken ran first and set the principal; without one there is nobody to describe.
    if (!req.principal) throw new UnauthorizedError();
    const answer: WhoamiResponse = { name: req.principal.name, role: req.principal.role };
    res.json(answer);
  });
  return r;
}
