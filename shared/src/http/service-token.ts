// The one credential AAMI's services present to each other. The gateway sends it to the install
// worker, the rule compiler, the relay's admin routes and the analyzer; each of them refuses any
// /api/v1 request without it before reading a byte of the body. It is made once, at random, by
// whichever service starts first, in a 0600 file in the config volume (every AAMI container runs
// as the same uid), or it is given as AAMI_SERVICE_TOKEN / a file named by AAMI_SERVICE_TOKEN_FILE.
// Typed structurally, like json-errors.ts, so this library needs no express dependency.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AamiError, UnauthorizedError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The service token file under the data folder when AAMI_SERVICE_TOKEN_FILE is not set. */
export const SERVICE_TOKEN_RELATIVE_PATH = join('secrets', 'service-token');

/** Where the token came from: the environment, an existing file, or a file this start created. */
export interface ServiceToken {
  token: string;
  source: 'env' | 'file' | 'created';
  /** The file read or created (absent for env). */
  file?: string;
}

/** The file the token lives in for this environment. */
export function serviceTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.AAMI_SERVICE_TOKEN_FILE || join(env.AAMI_DATA_DIR || './data', SERVICE_TOKEN_RELATIVE_PATH);
}

function readToken(file: string): string {
  const text = readFileSync(file, 'utf8').trim();
  if (text.length < 16) throw new Error(`the service token in ${file} is shorter than 16 characters: delete the file to have a new one made`);
  return text;
}

/**
 * Loads (or, when the file is missing, creates) the service token. Creation writes a private temp
 * file and hard-links it into place, so two services starting at once agree on one token and
 * neither can read a half-written file.
 */
export function loadServiceToken(env: NodeJS.ProcessEnv = process.env): ServiceToken {
  const direct = env.AAMI_SERVICE_TOKEN?.trim();
  if (direct) {
    if (direct.length < 16) throw new Error('AAMI_SERVICE_TOKEN is shorter than 16 characters');
    return { token: direct, source: 'env' };
  }
  const file = serviceTokenFile(env);
  try {
    return { token: readToken(file), source: 'file', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // The folder keeps its default mode: it also holds the relay token, which Alertmanager reads as
  // another user. The file itself is 0600.
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(tmp, file);
    return { token: readToken(file), source: 'created', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the service token file ${file}: ${(err as Error).message}`);
    return { token: readToken(file), source: 'file', file }; // another service made it first
  } finally {
    unlinkSync(tmp);
  }
}

/** loadServiceToken for a service's main: says in the log (never the value) when it made the file. */
export function loadServiceTokenAtStart(log: Logger, env: NodeJS.ProcessEnv = process.env): string {
  const loaded = loadServiceToken(env);
  if (loaded.source === 'created') log.info('created the service token AAMI services present to each other', { file: loaded.file });
  return loaded.token;
}

/** The request headers a caller adds to reach an internal API. */
export function serviceAuthHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** 415: an internal write that is not JSON (a browser form or a CORS "simple request"). */
export class UnsupportedMediaTypeError extends AamiError {
  constructor(message: string) {
    super(message, 415, 'unsupported_media_type');
  }
}

interface RequestLike {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}
interface ResponseLike { setHeader(name: string, value: string): unknown }
type Next = (err?: unknown) => void;

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const header = (req: RequestLike, name: string): string => {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

/**
 * Middleware for a service's internal API: 401 unless the request carries the service token as a
 * bearer token (compared in constant time), then 415 for a write whose body is not declared JSON.
 * Mount it before any body parser.
 */
export function requireServiceToken(token: string, service: string) {
  const want = digest(token);
  return (req: RequestLike, res: ResponseLike, next: Next): void => {
    const m = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization'));
    if (!m?.[1] || !timingSafeEqual(digest(m[1]), want)) {
      res.setHeader('WWW-Authenticate', `Bearer realm="aami-${service}"`);
      next(new UnauthorizedError(`${service} is an internal AAMI API: only AAMI's own services may call it, with the service token`));
      return;
    }
    if (!READ_METHODS.has(req.method) && !/^application\/json\s*(;|$)/i.test(header(req, 'content-type'))) {
      next(new UnsupportedMediaTypeError(`${service} accepts writes only as JSON (content-type: application/json)`));
      return;
    }
    next();
  };
}
