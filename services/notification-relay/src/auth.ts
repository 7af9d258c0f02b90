// Who may post alerts and use the relay's API: whoever presents the relay token, as a bearer
// token (`Authorization: Bearer <token>`) or as the password of HTTP basic auth (any user name),
// the two ways Alertmanager's http_config can send it. Compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '@aami/shared';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The credential in an Authorization header, or undefined when there is none. */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(/\s+/, 2) as [string, string | undefined];
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** The WWW-Authenticate header a 401 carries. */
export const WWW_AUTHENTICATE = 'Bearer realm="aami-notification-relay", Basic realm="aami-notification-relay"';

/**
 * Returns a checker: undefined when an Authorization header carries `token`, else the
 * UnauthorizedError to answer with.
 */
export function tokenChecker(token: string): (authorization: string | undefined) => UnauthorizedError | undefined {
  const want = digest(token);
  return (authorization) => {
    const got = presentedToken(authorization);
    if (got !== undefined && timingSafeEqual(digest(got), want)) return undefined;
    return new UnauthorizedError(got === undefined ? 'missing credentials: send the relay token as a bearer token or basic-auth password' : 'invalid relay token');
  };
}

/** Express middleware: 401 unless the request carries `token`. */
export function requireToken(token: string): RequestHandler {
  const check = tokenChecker(token);
  return (req, res, next) => {
    const err = check(req.headers.authorization);
    if (!err) return next();
    res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
    next(err);
  };
}
