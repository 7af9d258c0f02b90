// Calls an AAMI service behind the gateway with the service token and passes its JSON answer
// (status and body) through. An unreachable service is a 503 that names it, so the UI and CLI can
// say which part is down. A service that refuses the gateway's own credential is a 502
// `upstream_auth`, never a 401: the caller's token was fine, and a 401 would sign the UI out.
import type { Response } from 'express';
import { serviceAuthHeaders } from '@aami/shared';

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

/** Performs the call and answers `res` with the service's status and JSON body. */
export async function forward(res: Response, call: UpstreamCall): Promise<void> {
  const method = call.method ?? 'GET';
  const write = !READS.has(method);
  let upstream: globalThis.Response;
  try {
    upstream = await fetch(call.url, {
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
    res.status(503).json({ error: { code: 'unavailable', message: `${call.service} is not reachable (${(err as Error).message})`, details: [] } });
    return;
  }
  const text = await upstream.text();
  if (upstream.status === 401 || upstream.status === 403) {
    res.status(502).json({
      error: {
        code: 'upstream_auth',
        message: `${call.service} refused the gateway's service token (HTTP ${upstream.status}): every AAMI service must read the same token (AAMI_SERVICE_TOKEN or the file secrets/service-token in the config volume)`,
        details: [],
      },
    });
    return;
  }
  res.status(upstream.status).type('application/json').send(text || '{}');
}
