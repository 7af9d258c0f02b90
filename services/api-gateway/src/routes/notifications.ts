// /api/v1/notifications: Slack and email channels and routing live in config.yaml (written here,
// through the store); sending a test and delivery status belong to the notification relay, which
// the gateway calls on the caller's behalf.
import { Router } from 'express';
import { z } from 'zod';
import { EmailChannel, NotFoundError, SlackChannel, ValidationError, parseOrThrow, redactConfig, type ConfigStore } from '@aami/shared';
import type { CompileTrigger } from '../compile-trigger.ts';
import { expectedRevision, setRevision } from '../revision.ts';
import { forward, relayToken } from '../upstream.ts';

const Channel = z.enum(['slack', 'email']);
// Secrets may be left out of an edit: the stored value is kept (the UI never sees it to send back).
const SlackEdit = SlackChannel.partial().extend({ expected_revision: z.number().int().optional() });
const EmailEdit = EmailChannel.partial().extend({ expected_revision: z.number().int().optional() });
const RoutingEdit = z.strictObject({
  critical: z.array(Channel).optional(),
  warning: z.array(Channel).optional(),
  info: z.array(Channel).optional(),
  expected_revision: z.number().int().optional(),
});
const TestRequest = z.strictObject({ channel: Channel });

export interface NotificationsDeps {
  store: ConfigStore;
  compile: CompileTrigger;
  relayUrl: string;
}

export function notificationsRouter({ store, compile, relayUrl }: NotificationsDeps): Router {
  const r = Router();
  const channelsView = async () => {
    const { config, revision } = await store.read();
    const red = redactConfig(config).notifications;
    return { revision, slack: red.slack ?? null, email: red.email ?? null, routing: red.routing };
  };

  r.get('/channels', async (_req, res) => {
    const view = await channelsView();
    setRevision(res, view.revision);
    res.json(view);
  });

  r.put('/slack', async (req, res) => {
    const { expected_revision: _e, ...edit } = parseOrThrow(SlackEdit, req.body, 'slack channel');
    const snap = await store.update((c) => {
      const merged = { ...(c.notifications.slack ?? {}), ...edit };
      if (!merged.webhook_url) throw new ValidationError('a Slack channel needs a webhook URL', [{ path: 'webhook_url', message: 'required' }]);
      c.notifications.slack = parseOrThrow(SlackChannel, merged, 'slack channel', ['notifications', 'slack']);
    }, { expectedRevision: expectedRevision(req) });
    await compile.request({ reason: 'slack channel changed', revision: snap.revision });
    const view = await channelsView();
    setRevision(res, view.revision);
    res.json(view);
  });

  r.put('/email', async (req, res) => {
    const { expected_revision: _e, ...edit } = parseOrThrow(EmailEdit, req.body, 'email channel');
    const snap = await store.update((c) => {
      const merged = { ...(c.notifications.email ?? {}), ...edit };
      c.notifications.email = parseOrThrow(EmailChannel, merged, 'email channel', ['notifications', 'email']);
    }, { expectedRevision: expectedRevision(req) });
    await compile.request({ reason: 'email channel changed', revision: snap.revision });
    const view = await channelsView();
    setRevision(res, view.revision);
    res.json(view);
  });

  r.put('/routing', async (req, res) => {
    const { expected_revision: _e, ...edit } = parseOrThrow(RoutingEdit, req.body, 'routing');
    await store.update((c) => { c.notifications.routing = { ...c.notifications.routing, ...edit }; }, { expectedRevision: expectedRevision(req) });
    const view = await channelsView();
    setRevision(res, view.revision);
    res.json(view);
  });

  r.delete('/:channel', async (req, res) => {
    const channel = parseOrThrow(Channel, req.params.channel, 'channel');
    const snap = await store.update((c) => {
      if (!c.notifications[channel]) throw new NotFoundError(`no ${channel} channel is configured`);
      delete c.notifications[channel];
    }, { expectedRevision: expectedRevision(req) });
    await compile.request({ reason: `${channel} channel removed`, revision: snap.revision });
    const view = await channelsView();
    setRevision(res, view.revision);
    res.json(view);
  });

  r.post('/test', async (req, res) => {
    const body = parseOrThrow(TestRequest, req.body, 'test request');
    await forward(res, { service: 'notification-relay', url: `${relayUrl}/api/v1/notifications/test`, method: 'POST', body, token: relayToken(), timeoutMs: 60_000 });
  });

  r.get('/status', async (_req, res) => {
    await forward(res, { service: 'notification-relay', url: `${relayUrl}/api/v1/notifications/status`, token: relayToken() });
  });

  r.get('/dead-letters', async (_req, res) => {
    await forward(res, { service: 'notification-relay', url: `${relayUrl}/api/v1/notifications/dead-letters`, token: relayToken() });
  });

  r.post('/dead-letters/:id/retry', async (req, res) => {
    await forward(res, { service: 'notification-relay', url: `${relayUrl}/api/v1/notifications/dead-letters/${encodeURIComponent(req.params.id)}/retry`, method: 'POST', token: relayToken() });
  });

  return r;
}
