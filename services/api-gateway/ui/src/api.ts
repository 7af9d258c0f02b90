// The UI's one door to the gateway: same-origin /api/v1 only, the token as a Bearer header,
// never a cookie. Errors come back as ApiError with the gateway's code, message and details.
import type { ErrorBody, ErrorDetail } from './types.ts';

/** A failed call: HTTP status (0 when the gateway could not be reached) and the gateway's words. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  /** The answer's parsed body, for callers that read more than the error envelope. */
  readonly body: unknown;
  constructor(status: number, code: string, message: string, details: ErrorDetail[] = [], body: unknown = undefined) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.body = body;
  }

  /** A write refused because the config moved on since the page loaded it (not a duplicate name). */
  get isStale(): boolean {
    return this.status === 409 && /changed elsewhere|revision/i.test(this.message);
  }
}

/** What a successful call returns: the body, and the config revision from its ETag if any. */
export interface ApiResult<T> {
  data: T;
  revision: number | undefined;
}

export interface CallOptions {
  body?: unknown;
  /** The revision the edit is based on: sent as `If-Match: "N"`, a stale one gets 409. */
  ifMatch?: number | undefined;
  signal?: AbortSignal;
}

let tokenSource: () => string | null = () => null;
let onUnauthorized: (err: ApiError) => void = () => undefined;

/** Wires the token getter and what to do when the gateway stops accepting the token. */
export function configureApi(getToken: () => string | null, unauthorized: (err: ApiError) => void): void {
  tokenSource = getToken;
  onUnauthorized = unauthorized;
}

/** Calls `/api/v1/...` with an explicit token (sign-in checks a token before keeping it). */
export async function callWithToken<T>(token: string, method: string, path: string, opts: CallOptions = {}): Promise<ApiResult<T>> {
  // Only this origin's API ever gets the token: no absolute or protocol-relative URLs.
  if (!path.startsWith('/api/v1/') || path.startsWith('//')) throw new Error(`refusing to call ${path}`);
  const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${token}` };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.ifMatch !== undefined) headers['If-Match'] = `"${opts.ifMatch}"`;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      credentials: 'omit',
      mode: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
      signal: opts.signal ?? null,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', `The AAMI gateway could not be reached (${(err as Error).message}). Check that it is running, then try again.`);
  }
  const etag = res.headers.get('ETag');
  const revision = etag ? Number(etag.replace(/^W\//, '').replaceAll('"', '')) : undefined;
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!res.ok) {
    const raw = (body as { error?: unknown } | undefined)?.error;
    const e = typeof raw === 'object' && raw !== null ? raw as Partial<ErrorBody['error']> : undefined;
    const message = e?.message
      ?? (typeof raw === 'string' && raw ? raw : undefined)
      ?? (typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${res.status} ${res.statusText}`);
    throw new ApiError(res.status, e?.code ?? `http_${res.status}`, message, Array.isArray(e?.details) ? e.details : [], body);
  }
  return { data: body as T, revision: Number.isFinite(revision) ? revision : undefined };
}

/** Calls the API with the signed-in token; a 401 ends the session. */
export async function call<T>(method: string, path: string, opts: CallOptions = {}): Promise<ApiResult<T>> {
  try {
    return await callWithToken<T>(tokenSource() ?? '', method, path, opts);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) onUnauthorized(err);
    throw err;
  }
}

/** GET returning only the body. */
export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await call<T>('GET', path, signal ? { signal } : {})).data;
}

/** Encodes one path segment (node names, rule names...). */
export const seg = (s: string): string => encodeURIComponent(s);
