// A stand-in for a Slack incoming webhook that runs as a server of its own (the compose `demo`
// profile and the e2e run): it checks every POST against Slack's payload rules (the relay's own rule
// table, so both agree on what Slack accepts), answers like Slack ("ok", 400 invalid_payload, 404
// no_service), keeps what it received in memory and shows it on GET /messages. A test can make it
// fail for a while (a Slack outage) through POST /control/fail.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackRequestProblems } from '../../../services/notification-relay/src/testing/slack-rules.ts';

/** One request the sink received. */
export interface SinkRecord {
  /** Arrival order, from 1. */
  seq: number;
  receivedAt: string;
  path: string;
  status: number;
  problems: string[];
  body: unknown;
}

/** How the sink is set up. */
export interface SlackSinkServerOptions {
  bind?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Last part of the webhook path: /services/T0AAMI/B0AAMI/<secret>. */
  secret?: string;
  /** Oldest records are dropped beyond this many. */
  maxRecords?: number;
  /** Mails a local SMTP sink beside it accepted, served at GET /mails (the demo's mail stand-in). */
  mails?: () => unknown[];
}

/** A running sink. */
export interface SlackSinkServer {
  /** Webhook URL on the address it listens on (a container rewrites the host part). */
  url: string;
  /** The path a sender must post to. */
  path: string;
  port: number;
  records: SinkRecord[];
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

/** The webhook path for a secret; everything else answers 404 like Slack does. */
export function webhookPath(secret: string): string {
  return `/services/T0AAMI/B0AAMI/${secret}`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the sink; resolves once it listens. */
export async function startSlackSinkServer(options: SlackSinkServerOptions = {}): Promise<SlackSinkServer> {
  const bind = options.bind ?? '127.0.0.1';
  const path = webhookPath(options.secret ?? 'demo');
  const maxRecords = options.maxRecords ?? 1000;
  const records: SinkRecord[] = [];
  let seq = 0;
  // Outage simulation: answer `status` to the next `remaining` webhook posts (Infinity: until cleared).
  let failure: { status: number; remaining: number } | undefined;

  const webhook = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const { problems, body } = raw === undefined
      ? { problems: [`body larger than ${MAX_BODY} bytes`], body: undefined as unknown }
      : slackRequestProblems({ contentType: req.headers['content-type'], raw });
    let status = 200;
    let answer = 'ok';
    if (req.url !== path) [status, answer] = [404, 'no_service'];
    else if (problems.length > 0) [status, answer] = [400, 'invalid_payload'];
    else if (failure && failure.remaining > 0) {
      [status, answer] = [failure.status, 'service_unavailable'];
      failure.remaining -= 1;
      if (failure.remaining === 0) failure = undefined;
    }
    seq += 1;
    records.push({ seq, receivedAt: new Date().toISOString(), path: req.url === path ? path : '(wrong path)', status, problems, body });
    if (records.length > maxRecords) records.splice(0, records.length - maxRecords);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(answer);
  };

  const control = async (req: IncomingMessage, res: ServerResponse, route: string): Promise<void> => {
    if (req.method === 'GET' && route === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && route === '/messages') {
      // Delivered messages (answered 200) by default; ?all=1 includes refused and failed requests.
      const all = new URL(req.url ?? '/', 'http://sink').searchParams.get('all') === '1';
      return sendJson(res, 200, { messages: all ? records : records.filter((r) => r.status === 200), failing: failure ?? null });
    }
    if (req.method === 'GET' && route === '/mails' && options.mails) return sendJson(res, 200, { mails: options.mails() });
    if (req.method === 'DELETE' && route === '/messages') {
      records.length = 0;
      return sendJson(res, 200, { cleared: true });
    }
    if (route === '/control/fail' && req.method === 'POST') {
      const raw = (await readBody(req)) ?? '{}';
      let spec: { status?: unknown; count?: unknown };
      try {
        spec = JSON.parse(raw || '{}') as { status?: unknown; count?: unknown };
      } catch {
        return sendJson(res, 400, { error: 'body is not JSON' });
      }
      const status = typeof spec.status === 'number' && spec.status >= 400 && spec.status <= 599 ? spec.status : 503;
      const remaining = typeof spec.count === 'number' && spec.count > 0 ? spec.count : Infinity;
      failure = { status, remaining };
      return sendJson(res, 200, { failing: { status, remaining: Number.isFinite(remaining) ? remaining : 'until cleared' } });
    }
    if (route === '/control/fail' && req.method === 'DELETE') {
      failure = undefined;
      return sendJson(res, 200, { failing: null });
    }
    sendJson(res, 404, { error: 'not found', routes: ['POST ' + path, 'GET /messages[?all=1]', 'DELETE /messages', 'POST /control/fail {status,count}', 'DELETE /control/fail', 'GET /healthz', ...(options.mails ? ['GET /mails'] : [])] });
  };

  const server: Server = createServer((req, res) => {
    const route = (req.url ?? '/').split('?')[0] ?? '/';
    const isControl = route === '/healthz' || route === '/messages' || route === '/mails' || route === '/control/fail';
    (isControl ? control(req, res, route) : webhook(req, res)).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: err.message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  return {
    url: `http://${host}:${port}${path}`,
    path,
    port,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
