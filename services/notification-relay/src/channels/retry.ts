// How a channel turns a receiver's answer into a retry decision. Alertmanager's rule, adapted:
// server trouble (HTTP 5xx, SMTP 4yz) and "slow down" are retried; a refusal of this message or
// these credentials (HTTP 4xx, SMTP 5yz) is not, because sending it again gets the same answer.
import { failure, type SendResult } from './channel.ts';

/** The result for an HTTP status (non-2xx); `detail` is appended to the error text. */
export function classifyHttpStatus(status: number, detail: string, retryAfterMs?: number): SendResult {
  const text = `HTTP ${status}${detail ? `: ${detail}` : ''}`;
  if (status >= 500 && status <= 599) return failure(true, 'serverError', text);
  if (status === 429) return failure(true, 'rateLimited', text, retryAfterMs);
  if (status === 408) return failure(true, 'timeout', text);
  if (status === 401 || status === 403 || status === 404 || status === 410) return failure(false, 'authError', text);
  if (status >= 400 && status <= 499) return failure(false, 'clientError', text);
  return failure(false, 'unexpected', text);
}

/**
 * The result for an SMTP reply code. 4yz is transient by RFC 5321, 5yz permanent, except 503
 * (bad sequence of commands: a session problem, fine on a new connection). 535/530 are auth.
 */
export function classifySmtpCode(code: number, detail: string): SendResult {
  const text = `SMTP ${code}${detail ? `: ${detail}` : ''}`;
  if (code === 421 || code === 450 || code === 451 || code === 452 || code === 454 || (code >= 400 && code <= 499)) {
    return failure(true, code === 421 ? 'connection' : 'serverError', text);
  }
  if (code === 503) return failure(true, 'serverError', text);
  if (code === 530 || code === 534 || code === 535 || code === 538) return failure(false, 'authError', text);
  if (code >= 500 && code <= 599) return failure(false, 'clientError', text);
  return failure(false, 'unexpected', text);
}

/** Seconds or an HTTP date from a Retry-After header, as milliseconds (capped at one hour). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, 3_600_000);
}
