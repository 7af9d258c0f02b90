// Calls an AAMI service behind the gateway with the service token and passes its JSON answer
// (status and body) through. An unreachable service is a 503 that names it, so the UI and CLI can
// say which part is down. A service that refuses the gateway's own credential is a 502
// `upstream_auth`, never a 401: the caller's token was fine, and a 401 would sign the UI out.
import type { Response } from 'express';
import { AamiError, ErrorEnvelope, UnavailableError, ValidationError, errorBody, serviceAuthHeaders } from '@aami/shared';

export interface UpstreamCall {
  service: string;
  url: string;
  method?: string;
  /** The JSON body of a write (an empty object when left out: internal writes are JSON only). */
  body?: unknown;
  /** The service token (shared/src/http/service-token.ts). */
  token: string;
  /** Extra request headers (e.g. X-AAMI-Actor, the caller's token name, for audits). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const READS = new Set(['GET', 'HEAD']);

/** The call itself; a network failure is an UnavailableError that names the service. */
async function send(call: UpstreamCall): Promise<globalThis.Response> {
  const method = call.method ?? 'GET';
  const write = !READS.has(method);
  try {
    return await fetch(call.url, {
      method,
      headers: {
        accept: 'application/json',
        ...(write ? { 'content-type': 'application/json' } : {}),
        ...serviceAuthHeaders(call.token),
        ...call.headers,
      },
      body: write ? JSON.stringify(call.body ?? {}) : undefined,
      signal: AbortSignal.timeout(call.timeoutMs ?? 30_000),
    });
  } catch (err) {
    throw new UnavailableError(`${call.service} is not reachable (${(err as Error).message})`);
  }
}

const upstreamAuth = (call: UpstreamCall, status: number) => new AamiError(
  `${call.service} refused the gateway's service token (HTTP ${status}): every AAMI service must read the same token (AAMI_SERVICE_TOKEN or the file secrets/service-token in the config volume)`,
  502, 'upstream_auth',
);

/** Performs the call and answers `res` with the service's status and JSON body. */
export async function forward(res: Response, call: UpstreamCall): Promise<void> {
  let upstream: globalThis.Response;
  try {
    upstream = await send(call);
  } catch (err) {
    const e = err as AamiError;
    res.status(e.status).json(errorBody(e.code, e.message));
    return;
  }
  const text = await upstream.text();
  if (upstream.status === 401 || upstream.status === 403) {
    const e = upstreamAuth(call, upstream.status);
    res.status(e.status).json(errorBody(e.code, e.message));
    return;
  }
  res.status(upstream.status).type('application/json').send(text || '{}');
}

/**
 * Performs the call and returns its JSON answer, for a route that uses the answer itself. A refusal
 * keeps the service's status, code, message and details (a 400 naming `expr` stays one).
 */
export async function requestUpstream(call: UpstreamCall): Promise<unknown> {
  const upstream = await send(call);
  const text = await upstream.text();
  if (upstream.status === 401 || upstream.status === 403) throw upstreamAuth(call, upstream.status);
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (upstream.ok) return body;
  const envelope = ErrorEnvelope.safeParse(body);
  if (envelope.success) {
    const { code, message, details } = envelope.data.error;
    // A 400 stays a ValidationError, so a route can tell "your input is wrong" from "it failed".
    if (upstream.status === 400) throw new ValidationError(message, details);
    throw new AamiError(message, upstream.status, code, details);
  }
  throw new AamiError(`${call.service} answered HTTP ${upstream.status} without an error message`, 502, 'upstream_error');
}
