// Calls an AAMI service behind the gateway and passes its JSON answer (status and body) through.
// An unreachable service is a 503 that names it, so the UI and CLI can say which part is down.
import type { Response } from 'express';
import { readFileSync } from 'node:fs';

/** The shared secret the relay and the rule compiler accept (AAMI_RELAY_TOKEN or ..._FILE). */
export function relayToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AAMI_RELAY_TOKEN) return env.AAMI_RELAY_TOKEN;
  if (env.AAMI_RELAY_TOKEN_FILE) {
    try {
      return readFileSync(env.AAMI_RELAY_TOKEN_FILE, 'utf8').trim();
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface UpstreamCall {
  service: string;
  url: string;
  method?: string;
  body?: unknown;
  token?: string;
  /** Extra request headers (e.g. X-AAMI-Actor, the caller's token name, for audits). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Performs the call and answers `res` with the service's status and JSON body. */
export async function forward(res: Response, call: UpstreamCall): Promise<void> {
  let upstream: globalThis.Response;
  try {
    upstream = await fetch(call.url, {
      method: call.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(call.token ? { authorization: `Bearer ${call.token}` } : {}),
        ...call.headers,
      },
      body: call.body !== undefined ? JSON.stringify(call.body) : undefined,
      signal: AbortSignal.timeout(call.timeoutMs ?? 30_000),
    });
  } catch (err) {
    res.status(503).json({ error: { code: 'unavailable', message: `${call.service} is not reachable (${(err as Error).message})`, details: [] } });
    return;
  }
  const text = await upstream.text();
  res.status(upstream.status).type('application/json').send(text || '{}');
}
