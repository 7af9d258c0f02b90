// /api/v1/notifications: Slack and email channels and routing live in config.yaml (written here,
// through the store); sending a test and delivery status belong to the notification relay, which
// the gateway calls on the caller's behalf. A webhook URL or SMTP password sent here in plain text
// is kept by the config store in secrets.json, and config.yaml gets its `${secret:name}` reference;
// a `${VAR}` or `${secret:name}` reference is written as sent. No answer ever holds a secret.
// Requests and answers are the shared contract (shared/src/api/notifications.ts); the relay's
// answers are passed on as it gives them. Secrets may be left out of an edit (SlackChannelEdit,
// EmailChannelEdit): the stored value is kept (the UI never sees it to send back).
import { Router } from 'express';
import {
  ChannelName, EmailChannel, EmailChannelEdit, NotFoundError, NotificationTestRequest, RoutingEdit, SlackChannel, SlackChannelEdit, ValidationError,
  parseOrThrow, redactConfig, secretRefName, type ConfigStore, type NotificationChannelsResponse,
} from '@aami/shared';
import type { CompileTrigger } from '../compile-trigger.ts';
import { expectedRevision, setRevision } from '../revision.ts';
import { forward } from '../upstream.ts';

export interface NotificationsDeps {
  store: ConfigStore;
  compile: CompileTrigger;
  relayUrl: string;
  /** What the relay's notifications API wants (shared/src/http/service-token.ts). */
  serviceToken: string;
}

/** Refuses a `${secret:name}` reference to a secret that is not stored, naming the field. */
async function requireStored(store: ConfigStore, field: string, value: string | undefined): Promise<void> {
  const name = value === undefined ? undefined : secretRefName(value);
  if (name === undefined || (await store.secrets.has(name))) return;
  throw new ValidationError(`${field} refers to the secret "${name}", which is not stored`, [{ path: field, message: `no secret "${name}" in the secrets store` }]);
}

export function notificationsRouter({ store, compile, relayUrl, serviceToken: token }: NotificationsDeps): Router {
  const r = Router();
  const channelsView = async (): Promise<NotificationChannelsResponse> => {
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
    const { expected_revision: _e, ...edit } = parseOrThrow(SlackChannelEdit, req.body, 'slack channel');
    await requireStored(store, 'webhook_url', edit.webhook_url);
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
    const { expected_revision: _e, ...edit } = parseOrThrow(EmailChannelEdit, req.body, 'email channel');
    await requireStored(store, 'password', edit.password);
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
    const snap = await store.update((c) => { c.notifications.routing = { ...c.notifications.routing, ...edit }; }, { expectedRevision: expectedRevision(req) });
    // alertmanager.yml routes each severity by this, so it is recompiled like every other write.
    await compile.request({ reason: 'routing changed', revision: snap.revision });
    const view = await channelsView();
    setRevision(res, view.revision);
    res.json(view);
  });

  // The store also removes the channel's stored secret, since nothing refers to it any more.
  r.delete('/:channel', async (req, res) => {
    const channel = parseOrThrow(ChannelName, req.params.channel, 'channel');
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
    const body = parseOrThrow(NotificationTestRequest, req.body, 'test request');
    await forward(res, { service: 'notification-relay', token, url: `${relayUrl}/api/v1/notifications/test`, method: 'POST', body, timeoutMs: 60_000 });
  });

  r.get('/status', async (_req, res) => {
    await forward(res, { service: 'notification-relay', token, url: `${relayUrl}/api/v1/notifications/status` });
  });

  r.get('/dead-letters', async (_req, res) => {
    await forward(res, { service: 'notification-relay', token, url: `${relayUrl}/api/v1/notifications/dead-letters` });
  });

  r.post('/dead-letters/:id/retry', async (req, res) => {
    await forward(res, { service: 'notification-relay', token, url: `${relayUrl}/api/v1/notifications/dead-letters/${encodeURIComponent(req.params.id)}/retry`, method: 'POST' });
  });

  return r;
}
