// The relay's HTTP side. POST /alertmanager/webhook goes straight to the hot-path handler in
// webhook.ts (Alertmanager presents the relay token); everything else (health, metrics, the
// notifications API the gateway calls with the service token) is a thin express app: routes
// parse, call an injected dependency and reply; typed errors become HTTP answers in one error
// middleware.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import { AAMI_VERSION, ValidationError, jsonErrorHandler, jsonNotFound, NotificationTestRequest, parseOrThrow, requireServiceToken, type NotificationTestResult } from '@aami/shared';
import type { Channel, ChannelName } from './channels/channel.ts';
import { buildTestMessage } from './domain/message.ts';
import type { NotificationsAdmin } from './admin.ts';
import type { RelayMetrics } from './metrics.ts';
import { createWebhookHandler, type WebhookDeps } from './webhook.ts';

/** Everything the HTTP side needs, injected (tests pass fakes). */
export interface AppDeps extends WebhookDeps {
  /** The token AAMI's services present to each other: the gateway uses it on the notifications API. */
  serviceToken: string;
  /** Per-send timeout of the test endpoint. @defaultValue 10000 */
  sendTimeoutMs?: number;
  channels(): Promise<Map<ChannelName, Channel>>;
  admin: NotificationsAdmin;
  ready(): Promise<boolean>;
  metrics: RelayMetrics;
}

/** The webhook's path. */
export const WEBHOOK_PATH = '/alertmanager/webhook';

/** Wraps an async handler so a rejection reaches the error middleware. */
const handle =
  (fn: (req: express.Request, res: express.Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

/** Builds the relay's request listener (for http.createServer). */
export function createApp(deps: AppDeps): RequestListener {
  const maxBody = deps.maxBodyBytes ?? 1_048_576;
  const webhook = createWebhookHandler(deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const auth = requireServiceToken(deps.serviceToken, 'notification-relay');
  const json = express.json({ limit: maxBody, strict: true });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: AAMI_VERSION, auth: 'service-token' });
  });
  app.get(
    '/readyz',
    handle(async (_req, res) => {
      const ok = await deps.ready().catch(() => false);
      res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'redis unreachable' });
    }),
  );
  app.get(
    '/metrics',
    handle(async (_req, res) => {
      res.setHeader('Content-Type', deps.metrics.registry.contentType);
      res.end(await deps.metrics.registry.metrics());
    }),
  );

  const api = express.Router();
  api.use(auth, json);
  api.post(
    '/test',
    handle(async (req, res) => {
      const { channel: name } = parseOrThrow(NotificationTestRequest, req.body ?? {}, 'test request');
      const channel = (await deps.channels()).get(name);
      if (!channel) throw new ValidationError(`${name} is not configured or is disabled in config.yaml (notifications.${name})`, [{ path: 'channel', message: 'not configured' }]);
      const result = await channel.send(buildTestMessage(name), AbortSignal.timeout(deps.sendTimeoutMs ?? 10_000));
      deps.logger.info('test message sent', { channel: name, ok: result.ok, ...(result.ok ? {} : { reason: result.reason, error: result.error }) });
      // The test ran either way: what the channel answered is the result, not an error of this API.
      const answer: NotificationTestResult = result.ok
        ? { channel: name, ok: true }
        : { channel: name, ok: false, retry: result.retry, reason: result.reason, error: result.error };
      res.json(answer);
    }),
  );
  api.get(
    '/status',
    handle(async (_req, res) => {
      res.json(await deps.admin.status());
    }),
  );
  api.get(
    '/dead-letters',
    handle(async (req, res) => {
      const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 200) || 200));
      res.json({ dead_letters: await deps.admin.deadLetters(limit) });
    }),
  );
  api.post(
    '/dead-letters/:id/retry',
    handle(async (req, res) => {
      const entry = await deps.admin.retry(String(req.params.id));
      deps.logger.info('dead letter queued again', { job: entry.id, channel: entry.channel });
      res.status(202).json({ retried: entry });
    }),
  );
  app.use('/api/v1/notifications', api);

  app.use(jsonNotFound);
  app.use(jsonErrorHandler(deps.logger, 'notification-relay'));
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    if (url === WEBHOOK_PATH || url.startsWith(`${WEBHOOK_PATH}?`)) webhook(req, res);
    else app(req, res);
  };
}
