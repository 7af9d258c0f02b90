// The contract every channel in the wiring list must keep: the same receiver behaviour gets the
// same retry decision on every channel (one shared table), and no secret ever appears in what a
// send returns, whatever the receiver answers. A new channel adds a harness below and inherits
// every test.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { enrichAlert } from '../domain/enrichment.ts';
import { buildAlertMessage } from '../domain/message.ts';
import { catalogLookup, xid79Alert } from '../domain/testdata/fixtures.ts';
import { freePort } from '../testing/ports.ts';
import { startSlackSink } from '../testing/slack-sink.ts';
import { startSmtpSink } from '../testing/smtp-sink.ts';
import { CHANNEL_NAMES, type Channel, type ChannelName, type SendResult } from './channel.ts';
import { createEmailChannel } from './email/email.ts';
import { classifyHttpStatus, classifySmtpCode } from './retry.ts';
import { createSlackChannel } from './slack/slack.ts';

/** Receiver behaviours every channel can meet. */
type Behaviour =
  | 'accepted'
  | 'server error'
  | 'temporarily unavailable'
  | 'rate limited'
  | 'message refused'
  | 'bad credentials'
  | 'destination gone'
  | 'connection refused'
  | 'no answer'
  | 'refusal that echoes the secret';

/** The shared table: behaviour -> retry decision (undefined = delivered). */
const RETRY_TABLE: Record<Behaviour, boolean | undefined> = {
  accepted: undefined,
  'server error': true,
  'temporarily unavailable': true,
  'rate limited': true,
  'message refused': false,
  'bad credentials': false,
  'destination gone': false,
  'connection refused': true,
  'no answer': true,
  'refusal that echoes the secret': false,
};

/** One channel under test: sends once while the receiver shows `behaviour`. */
interface Harness {
  secrets: string[];
  sendWhile(behaviour: Behaviour): Promise<SendResult>;
  close(): Promise<void>;
}

const SLACK_SECRET = 'T0SECRET/B0SECRET/zq8Xk3Secret9Token';
const SMTP_PASSWORD = 'Smtp-Pa55word!-never-shown';
const never = new AbortController().signal;
const message = () => buildAlertMessage(enrichAlert(xid79Alert(), catalogLookup));

async function silentServer(): Promise<{ port: number; server: Server }> {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, server };
}

const HARNESSES: Record<ChannelName, () => Promise<Harness>> = {
  async slack() {
    const sink = await startSlackSink({ secret: SLACK_SECRET });
    const ch = (timeoutMs = 2000): Channel => createSlackChannel({ webhookUrl: sink.url }, { timeoutMs });
    return {
      secrets: [sink.url],
      async sendWhile(b) {
        switch (b) {
          case 'accepted':
            return ch().send(message(), never);
          case 'server error':
            sink.failNext(1, { status: 500, body: 'rollup_error' });
            return ch().send(message(), never);
          case 'temporarily unavailable':
            sink.failNext(1, { status: 503, body: 'service unavailable' });
            return ch().send(message(), never);
          case 'rate limited':
            sink.failNext(1, { status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } });
            return ch().send(message(), never);
          case 'message refused':
            sink.failNext(1, { status: 400, body: 'invalid_payload' });
            return ch().send(message(), never);
          case 'bad credentials':
            sink.failNext(1, { status: 403, body: 'invalid_token' });
            return ch().send(message(), never);
          case 'destination gone':
            sink.failNext(1, { status: 410, body: 'channel_is_archived' });
            return ch().send(message(), never);
          case 'connection refused': {
            await sink.down();
            try {
              return await ch().send(message(), never);
            } finally {
              await sink.up();
            }
          }
          case 'no answer': {
            sink.hold();
            try {
              return await ch(150).send(message(), never);
            } finally {
              sink.release();
            }
          }
          case 'refusal that echoes the secret':
            sink.failNext(1, { status: 404, body: `no_service for ${sink.url} (${SLACK_SECRET}, ${encodeURIComponent(sink.url)})` });
            return ch().send(message(), never);
        }
      },
      close: () => sink.close(),
    };
  },
  async email() {
    const sink = await startSmtpSink({ username: 'relay', password: SMTP_PASSWORD, echoCredentials: true });
    const silent = await silentServer();
    const cfg = { smtp_host: '127.0.0.1', smtp_port: sink.port, tls: 'none' as const, from: 'aami@example.com', to: ['ops@example.com'], username: 'relay', password: SMTP_PASSWORD };
    const ch = (over: Partial<typeof cfg> = {}, timeoutMs = 2000): Channel => createEmailChannel({ ...cfg, ...over }, { timeoutMs });
    return {
      secrets: [SMTP_PASSWORD, 'secret-but-wrong-pw'],
      async sendWhile(b) {
        switch (b) {
          case 'accepted':
            return ch().send(message(), never);
          case 'server error':
            sink.rejectNext(1, 451, 'Local error in processing');
            return ch().send(message(), never);
          case 'temporarily unavailable':
            sink.rejectNext(1, 421, 'Service not available, closing channel');
            return ch().send(message(), never);
          case 'rate limited':
            sink.rejectNext(1, 452, 'Too many messages, slow down');
            return ch().send(message(), never);
          case 'message refused':
            sink.rejectNext(1, 554, 'Transaction failed');
            return ch().send(message(), never);
          case 'bad credentials':
            return ch({ password: 'secret-but-wrong-pw' }).send(message(), never);
          case 'destination gone':
            sink.rejectNext(1, 550, 'Mailbox unavailable');
            return ch().send(message(), never);
          case 'connection refused':
            return ch({ smtp_port: await freePort() }).send(message(), never);
          case 'no answer':
            return ch({ smtp_port: silent.port }, 200).send(message(), never);
          case 'refusal that echoes the secret':
            return ch({ password: `${SMTP_PASSWORD}-x` }).send(message(), never);
        }
      },
      async close() {
        await sink.close();
        silent.server.close();
      },
    };
  },
};

for (const name of CHANNEL_NAMES) {
  describe(`channel contract: ${name}`, () => {
    let harness: Harness;
    test('setup', async () => {
      harness = await HARNESSES[name]();
    });

    for (const [behaviour, retry] of Object.entries(RETRY_TABLE) as Array<[Behaviour, boolean | undefined]>) {
      test(`${behaviour} -> ${retry === undefined ? 'delivered' : retry ? 'retry' : 'no retry'}`, async () => {
        const res = await harness.sendWhile(behaviour);
        if (retry === undefined) assert.deepEqual(res, { ok: true });
        else {
          assert.equal(res.ok, false, JSON.stringify(res));
          assert.equal(!res.ok && res.retry, retry, `${name} on "${behaviour}": ${JSON.stringify(res)}`);
          assert.ok(!res.ok && res.error.length > 0);
        }
      });
    }

    test('leaks no secret in any result', async () => {
      const secrets = harness.secrets.flatMap((s) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64').replace(/=+$/, ''), ...(s.startsWith('http') ? [new URL(s).pathname] : [])]);
      for (const behaviour of Object.keys(RETRY_TABLE) as Behaviour[]) {
        const text = JSON.stringify(await harness.sendWhile(behaviour));
        for (const s of secrets) assert.ok(!text.includes(s), `${name} "${behaviour}" leaked a secret: ${text}`);
      }
    });

    test('teardown', () => harness.close());
  });
}

test('every HTTP status gets the same answer as Alertmanager gives (5xx, 408, 429 retried)', () => {
  for (let status = 100; status <= 599; status++) {
    if (status >= 200 && status <= 299) continue;
    const expected = (status >= 500 && status <= 599) || status === 408 || status === 429;
    const res = classifyHttpStatus(status, '');
    assert.equal(!res.ok && res.retry, expected, `HTTP ${status}`);
  }
});

test('every SMTP reply code follows RFC 5321 (4yz transient, 5yz permanent, 503 a session error)', () => {
  for (let code = 400; code <= 599; code++) {
    const expected = code < 500 || code === 503;
    const res = classifySmtpCode(code, '');
    assert.equal(!res.ok && res.retry, expected, `SMTP ${code}`);
  }
  const auth = classifySmtpCode(535, 'bad login');
  assert.equal(!auth.ok && auth.reason, 'authError');
});
