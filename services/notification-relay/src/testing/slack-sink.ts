// A local stand-in for a Slack incoming webhook, for tests: checks every request against Slack's
// payload rules, answers "ok" like Slack (or 400 invalid_payload for a bad payload), and can be
// told to fail, to hold its answers, or to go down and come back on the same port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { slackRequestProblems } from './slack-rules.ts';

/** One request the sink received. */
export interface SlackSinkRequest {
  /** When it arrived (ms since epoch). */
  at: number;
  path: string;
  body: unknown;
  problems: string[];
  status: number;
}

/** A scripted answer. */
export interface SlackSinkAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** The running sink. */
export interface SlackSink {
  /** The webhook URL to configure, secret path included. */
  url: string;
  port: number;
  /** Every request received, answered or not, in arrival order. */
  requests: SlackSinkRequest[];
  /** Bodies of requests that were answered 200 ok. */
  delivered(): unknown[];
  /** Rule violations seen in any request. */
  problems(): string[];
  /** The next `n` requests get `answer` instead of "ok". */
  failNext(n: number, answer: SlackSinkAnswer): void;
  /** Answers every request with `answer` until cleared with `undefined`. */
  failAll(answer: SlackSinkAnswer | undefined): void;
  /** Holds answers (the request is recorded) until `release()`. */
  hold(): void;
  release(): void;
  /** Stops listening and drops open connections: senders get "connection refused". */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Resolves once `pred(requests)` holds; rejects after `timeoutMs`. */
  waitFor(pred: (reqs: SlackSinkRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a Slack sink on 127.0.0.1 with a random port and a random secret path. */
export async function startSlackSink(opts: { secret?: string } = {}): Promise<SlackSink> {
  const secret = opts.secret ?? `XXsink${Math.random().toString(36).slice(2)}`;
  const path = `/services/T0AAMI/B0AAMI/${secret}`;
  const requests: SlackSinkRequest[] = [];
  const scripted: SlackSinkAnswer[] = [];
  let always: SlackSinkAnswer | undefined;
  let holding = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { problems, body } = slackRequestProblems({ method: req.method ?? '', contentType: req.headers['content-type'], raw: Buffer.concat(chunks).toString('utf8') });
      let answer: SlackSinkAnswer = { status: 200, body: 'ok' };
      if (req.url !== path) answer = { status: 404, body: 'no_service' };
      else if (problems.length > 0) answer = { status: 400, body: 'invalid_payload' };
      else if (scripted.length > 0) answer = scripted.shift() as SlackSinkAnswer;
      else if (always) answer = always;
      const entry: SlackSinkRequest = { at: Date.now(), path: req.url ?? '', body, problems, status: answer.status };
      requests.push(entry);
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body);
      };
      if (holding) held.push(send);
      else send();
    });
  };

  const server = createServer(handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    requests,
    delivered: () => requests.filter((r) => r.status === 200).map((r) => r.body),
    problems: () => requests.flatMap((r) => r.problems),
    failNext(n, answer) {
      for (let i = 0; i < n; i++) scripted.push(answer);
    },
    failAll(answer) {
      always = answer;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const send of held.splice(0)) send();
    },
    down: stop,
    up: () => listen(port),
    async waitFor(pred, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(requests)) {
        if (Date.now() > deadline) throw new Error(`slack sink: condition not met within ${timeoutMs} ms (${requests.length} requests so far)`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: stop,
  };
}

/** All text of a Slack payload (header, sections, fields, context), for assertions. */
export function slackText(body: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'color' && k !== 'type') walk(x);
  };
  walk(body);
  return out.join('\n');
}
