// Bearer-token auth for /api/v1. Reads need any valid token; writes need the admin role.
import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '@aami/shared';
import type { Principal, TokenStore } from './token-store.ts';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Rejects requests without a valid token (401) and non-admin writes (403). */
export function requireToken(tokens: TokenStore) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = m?.[1] ? tokens.verify(m[1]) : undefined;
    if (!principal) return next(new UnauthorizedError());
    req.principal = principal;
    if (!READ_METHODS.has(req.method) && principal.role !== 'admin') return next(new ForbiddenError());
    next();
  };
}

/** For read routes that only admins may see (token list). */
export function requireAdmin(req: Request, _res: Response, next: NextFunction) {
  if (req.principal?.role !== 'admin') return next(new ForbiddenError('an admin token is needed'));
  next();
}
