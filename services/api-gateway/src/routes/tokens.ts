// /api/v1/tokens: admins make viewer (or admin) tokens for people and portals, list and revoke them.
import { Router } from 'express';
import { z } from 'zod';
import { parseOrThrow } from '@aami/shared';
import { requireAdmin } from '../auth/middleware.ts';
import { Role, type TokenStore } from '../auth/token-store.ts';

export const TokenRequest = z.strictObject({ name: z.string().min(1).max(100), role: Role.default('viewer') });

export function tokensRouter(tokens: TokenStore): Router {
  const r = Router();
  r.use(requireAdmin);
  r.get('/', (_req, res) => {
    res.json({ tokens: tokens.list() });
  });
  r.post('/', async (req, res) => {
    const input = parseOrThrow(TokenRequest, req.body, 'token request');
    const { token, info } = await tokens.create(input.name, input.role);
    res.status(201).json({ token, ...info, note: 'this is the only time the token is shown' });
  });
  r.delete('/:id', async (req, res) => {
    await tokens.revoke(req.params.id);
    res.status(204).end();
  });
  return r;
}
