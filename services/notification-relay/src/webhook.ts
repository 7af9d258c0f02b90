// POST /alertmanager/webhook, the relay's hot path, as a plain node:http handler (no framework
// in the way): authenticate, read at most maxBodyBytes, parse, validate with zod, queue the
// deliveries (intake.ts: one addBulk per channel queue), and only then 200, so a 2xx always means
// "stored in Redis". Redis trouble is a 503 (Alertmanager retries); a bad payload is a 400 naming
// the field (Alertmanager does not retry those); too big is a 413; wrong credentials a 401; over
// an intake cap (intake-limit.ts) a 429 with Retry-After (Alertmanager retries). Nothing is
// queued unless the whole request is valid and fits the caps.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AamiError, UnavailableError, ValidationError, errorBody, issuesToDetails, type Logger } from '@aami/shared';
import { tokenChecker, WWW_AUTHENTICATE } from './auth.ts';
import { WebhookPayload, alertFingerprint } from './domain/payload.ts';
import type { Intake } from './intake.ts';
import type { IntakeLimiter } from './intake-limit.ts';
import type { RelayMetrics } from './metrics.ts';

/** What the webhook needs. */
export interface WebhookDeps {
  token: string;
  /** @defaultValue 1048576 */
  maxBodyBytes?: number;
  /** @defaultValue 5000 */
  enqueueTimeoutMs?: number;
  intake: Intake;
  /** The intake caps; absent, nothing is capped (service.ts always passes one). */
  intakeLimit?: IntakeLimiter;
  metrics: Pick<RelayMetrics, 'received' | 'webhookRequests' | 'webhookRefused' | 'unrouted'>;
  logger: Logger;
}

/** An answer of the webhook other than the shared typed errors (405, 413, 429...). */
class HttpError extends AamiError {
  constructor(status: number, code: string, message: string) {
    super(message, status, code);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      reject(new HttpError(413, 'payload_too_large', `the request body is larger than ${max} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(new HttpError(413, 'payload_too_large', `the request body is larger than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** The webhook handler. */
export function createWebhookHandler(deps: WebhookDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const max = deps.maxBodyBytes ?? 1_048_576;
  const enqueueTimeout = deps.enqueueTimeoutMs ?? 5000;
  const checkToken = tokenChecker(deps.token);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'use POST');
    const authError = checkToken(req.headers.authorization);
    if (authError) {
      res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
      throw authError;
    }
    const raw = await readBody(req, max);
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new ValidationError('the body must be JSON (Content-Type: application/json)');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
    }
    const parsed = WebhookPayload.safeParse(body);
    if (!parsed.success) {
      const details = issuesToDetails(parsed.error.issues);
      throw new ValidationError(`invalid Alertmanager webhook payload: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
    }
    const payload = parsed.data;
    // Monotonic time for the caps' windows: a wall-clock step back must not hold a window open.
    const grant = deps.intakeLimit?.take(payload.alerts.map(alertFingerprint), performance.now());
    if (grant && !grant.allowed) {
      deps.metrics.webhookRefused.inc({ reason: grant.cap });
      if (grant.firstInWindow) deps.logger.warn('webhook over an intake cap: answering 429 until the window ends (logged once per window)', { cap: grant.cap, limit: grant.limit, alerts: payload.alerts.length, retryAfterS: grant.retryAfterS, from: req.socket.remoteAddress });
      res.setHeader('Retry-After', String(grant.retryAfterS));
      throw new HttpError(429, grant.cap === 'rate' ? 'too_many_alerts' : 'alert_repeated_too_often', grant.message);
    }
    let result;
    try {
      result = await withTimeout(deps.intake.accept(payload, Date.now()), enqueueTimeout);
    } catch (err) {
      grant?.release(); // not stored, so Alertmanager's retry must find the budget still there
      deps.logger.error('cannot queue webhook alerts; answering 503 so Alertmanager retries', { alerts: payload.alerts.length, error: (err as Error).message });
      throw new UnavailableError('cannot store the alerts right now (queue or config unavailable); retry later');
    }
    for (const a of payload.alerts) deps.metrics.received.inc({ status: a.status });
    if (result.unrouted > 0) deps.metrics.unrouted.inc(result.unrouted);
    sendJson(res, 200, { status: 'accepted', alerts: result.alerts, deliveries: result.deliveries });
  };

  return (req, res) => {
    res.on('finish', () => deps.metrics.webhookRequests.inc({ code: String(res.statusCode) }));
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof AamiError) {
        // Answer, then stop reading an oversized body instead of buffering it.
        sendJson(res, err.status, errorBody(err.code, err.message, err.details), err.status === 413 ? { connection: 'close' } : {});
        if (err.status === 413) req.resume();
      } else {
        deps.logger.error('unexpected webhook error', { error: (err as Error).message });
        sendJson(res, 500, errorBody('internal', 'internal error (see the notification-relay log)'));
      }
    });
  };
}
