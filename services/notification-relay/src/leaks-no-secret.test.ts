// Secrets (the Slack webhook URL, the SMTP password) must never reach a log line, an API answer
// or an error message, for every channel in the wiring list, even when the receiver echoes them
// back. Drives the real channels (built from config the way the relay does) through the real
// delivery processor and the real HTTP API.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Notifications } from '@aami/shared';
import { createApp } from './app.ts';
import { CHANNEL_NAMES, type ChannelName } from './channels/channel.ts';
import { buildChannels } from './channels/registry.ts';
import { dedupKey } from './domain/dedup.ts';
import type { NotificationsConfig } from './domain/routing.ts';
import { catalogLookup, xid79Alert } from './domain/testdata/fixtures.ts';
import { createRelayMetrics } from './metrics.ts';
import type { DeliveryJob } from './queues.ts';
import { createCaptureLogger, createFakeDedup, createFakeStats, createFakeStorm } from './testing/fakes.ts';
import { startSlackSink } from './testing/slack-sink.ts';
import { startSmtpSink } from './testing/smtp-sink.ts';
import { createDeliveryProcessor, type ProcessorJob } from './worker.ts';

interface Setup {
  config: NotificationsConfig;
  env: NodeJS.ProcessEnv;
  secrets: string[];
  /** Failure modes of the receiver, each applied before one send. */
  failures: Array<() => void | Promise<void>>;
  close(): Promise<void>;
}

const SETUPS: Record<ChannelName, () => Promise<Setup>> = {
  async slack() {
    const sink = await startSlackSink({ secret: 'T0LEAK/B0LEAK/leakTestSecretValue42' });
    return {
      config: Notifications.parse({ slack: { webhook_url: sink.url }, routing: { critical: ['slack'] } }),
      env: {},
      secrets: [sink.url, 'leakTestSecretValue42'],
      failures: [
        () => sink.failNext(1, { status: 404, body: `no_service: ${sink.url}` }),
        () => sink.failNext(1, { status: 500, body: `upstream said ${encodeURIComponent(sink.url)}` }),
        () => sink.down(),
      ],
      close: () => sink.close(),
    };
  },
  async email() {
    const sink = await startSmtpSink({ username: 'relay', password: 'the-right-one', echoCredentials: true });
    return {
      config: Notifications.parse({ email: { smtp_host: '127.0.0.1', smtp_port: sink.port, tls: 'none', from: 'a@b.c', to: ['d@e.f'], username: 'relay', password: '${LEAK_SMTP_PASSWORD}' }, routing: { critical: ['email'] } }),
      env: { LEAK_SMTP_PASSWORD: 'Leak-Test-Pw-9f8e7d' },
      secrets: ['Leak-Test-Pw-9f8e7d'],
      failures: [() => {}, () => sink.rejectNext(1, 554, 'Transaction failed for Leak-Test-Pw-9f8e7d'), () => sink.close()],
      close: () => sink.close(),
    };
  },
};

for (const name of CHANNEL_NAMES) {
  describe(`leaks no secret: ${name}`, () => {
    test('not in logs, errors or API answers', async (t) => {
      const setup = await SETUPS[name]();
      t.after(() => setup.close());
      const logger = createCaptureLogger();
      const channels = buildChannels(setup.config, { env: setup.env, timeoutMs: 2000 });
      assert.ok(channels.get(name), `${name} is built from config`);
      const dedup = createFakeDedup();
      const process = createDeliveryProcessor({
        channels: async () => channels,
        xidLookup: catalogLookup,
        dedup,
        storm: createFakeStorm(dedup),
        stats: createFakeStats(),
        metrics: createRelayMetrics({ defaultMetrics: false }),
        logger,
      });
      const server = createServer(
        createApp({
          token: 'tok-leak-test',
          serviceToken: 'service-tok-leak-test',
          intake: { accept: async () => ({ alerts: 0, deliveries: 0, unrouted: 0 }) },
          channels: async () => channels,
          admin: { status: async () => ({}) as never, deadLetters: async () => [], retry: async () => ({}) as never },
          ready: async () => true,
          metrics: createRelayMetrics({ defaultMetrics: false }),
          logger,
        }),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      t.after(() => server.close());
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

      const seen: string[] = [];
      let i = 0;
      for (const fail of setup.failures) {
        await fail();
        const alert = xid79Alert({ fingerprint: `leak${i++}` });
        const data: DeliveryJob = { kind: 'alert', channel: name, dedupKey: dedupKey(alert), alert, externalURL: '', receivedAt: Date.now() };
        const err = await process({ id: `${name}-leak${i}`, data, attemptsMade: 0, opts: { attempts: 3 } } as ProcessorJob).then(
          () => assert.fail('the send should fail'),
          (e: Error) => e,
        );
        seen.push(err.message, String(err.stack));
        const res = await fetch(`${url}/api/v1/notifications/test`, { method: 'POST', headers: { authorization: 'Bearer service-tok-leak-test', 'content-type': 'application/json' }, body: JSON.stringify({ channel: name }) });
        seen.push(await res.text());
      }
      seen.push(...logger.lines, await (await fetch(`${url}/metrics`)).text());
      const forms = setup.secrets.flatMap((s) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64').replace(/=+$/, '')]);
      for (const text of seen) for (const f of forms) assert.ok(!text.includes(f), `${name} leaked a secret in: ${text.slice(0, 300)}`);
      assert.ok(seen.some((s) => s.includes('<redacted>')), 'the receiver did echo the secret, and it was hidden');
    });
  });
}
