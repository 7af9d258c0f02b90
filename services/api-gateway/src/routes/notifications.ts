// /api/v1/notifications: Slack and email channels and routing live in config.yaml (written here,
// through the store); sending a test and delivery status belong to the notification relay, which
// the gateway calls on the caller's behalf. A webhook URL or SMTP password sent here in plain text
// is kept by the config store in secrets.json, and config.yaml gets its `${secret:name}` reference;
// a `${VAR}` or `${secret:name}` reference is written as sent. No answer ever holds a secret.
// Requests and answers are the shared contract (shared/src/api/notifications.ts); the relay's
// answers are passed on as it gives them. The rules of an edit (a secret left out keeps the stored
// one, a `${secret:name}` must be stored, routing merges by severity) are the domain's
// (src/domain/notifications.ts): this file parses the request and sends the answer.
import { Router } from 'express';
import { ChannelName, EmailChannelEdit, NotificationTestRequest, RoutingEdit, SlackChannelEdit, parseOrThrow } from '@aami/shared';
import type { CompileRequester } from '../domain/config-writes.ts';
import { notificationsDomain, type NotificationsDeps as DomainDeps } from '../domain/notifications.ts';
import { expectedRevision, setRevision } from '../revision.ts';
import { forward } from '../upstream.ts';

export interface NotificationsDeps {
  store: DomainDeps['store'];
  compile: CompileRequester;
  relayUrl: string;
  /** What the relay's notifications API wants (shared/src/http/service-token.ts). */
  serviceToken: string;
}

export function notificationsRouter({ store, compile, relayUrl, serviceToken: token }: NotificationsDeps): Router {
  const notifications = notificationsDomain({ store, compile });
  const r = Router();

  r.get('/channels', async (_req, res) => {
    const view = await notifications.channels();
    setRevision(res, view.revision);
    res.json(view);
  });

  r.put('/slack', async (req, res) => {
    const { expected_revision: _e, ...edit } = parseOrThrow(SlackChannelEdit, req.body, 'slack channel');
    const view = await notifications.editSlack(edit, expectedRevision(req));
    setRevision(res, view.revision);
    res.json(view);
  });

  r.put('/email', async (req, res) => {
    const { expected_revision: _e, ...edit } = parseOrThrow(EmailChannelEdit, req.body, 'email channel');
    const view = await notifications.editEmail(edit, expectedRevision(req));
    setRevision(res, view.revision);
    res.json(view);
  });

  r.put('/routing', async (req, res) => {
    const { expected_revision: _e, ...edit } = parseOrThrow(RoutingEdit, req.body, 'routing');
    const view = await notifications.editRouting(edit, expectedRevision(req));
    setRevision(res, view.revision);
    res.json(view);
  });

  r.delete('/:channel', async (req, res) => {
    const channel = parseOrThrow(ChannelName, req.params.channel, 'channel');
    const view = await notifications.removeChannel(channel, expectedRevision(req));
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
