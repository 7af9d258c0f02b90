// /api/v1/tokens: admins make viewer (or admin) tokens for people and portals, list and revoke them.
// Requests and answers are the shared contract (shared/src/api/tokens.ts).
import { Router } from 'express';
import { TokenRequest, parseOrThrow, type TokenCreateResponse, type TokensListResponse } from '@aami/shared';
import { requireAdmin } from '../auth/middleware.ts';
import type { TokenStore } from '../auth/token-store.ts';

export function tokensRouter(tokens: TokenStore): Router {
  const r = Router();
  r.use(requireAdmin);
  r.get('/', (_req, res) => {
    const answer: TokensListResponse = { tokens: tokens.list() };
    res.json(answer);
  });
  r.post('/', async (req, res) => {
    const input = parseOrThrow(TokenRequest, req.body, 'token request');
    const { token, info } = await tokens.create(input.name, input.role);
    const answer: TokenCreateResponse = { token, ...info, note: 'this is the only time the token is shown' };
    res.status(201).json(answer);
  });
  r.delete('/:id', async (req, res) => {
    await tokens.revoke(req.params.id);
    res.status(204).end();
  });
  return r;
}
