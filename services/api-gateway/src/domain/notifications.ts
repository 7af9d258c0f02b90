// The rules of config.yaml's notification channels and routing. An edit names only the fields it
// changes: a webhook URL or SMTP password left out keeps the stored one (the UI never sees it to
// send back), a `${secret:name}` reference must name a stored secret, and a Slack channel needs a
// webhook URL. Routing changes merge by severity. A removed channel's stored secret goes with it
// (the config store drops secrets nothing refers to). Every change is one writeAndCompile, since
// alertmanager.yml is generated from this section. No answer holds a secret: the channels view is
// redacted. No HTTP here: answers are the shared contract's (shared/src/api/notifications.ts).
import type { z } from 'zod';
import {
  EmailChannel, SlackChannel, ValidationError, NotFoundError, parseOrThrow, redactConfig, secretRefName, type ChannelName, type EmailChannelEdit,
  type NotificationChannelsResponse, type RoutingEdit, type SlackChannelEdit,
} from '@aami/shared';
import { writeAndCompile, type CompileRequester, type ConfigAccess } from './config-writes.ts';

/** A Slack edit as the route parsed it (SlackChannelEdit without the revision). */
export type SlackEdit = Omit<z.infer<typeof SlackChannelEdit>, 'expected_revision'>;
/** An email edit as the route parsed it (EmailChannelEdit without the revision). */
export type EmailEdit = Omit<z.infer<typeof EmailChannelEdit>, 'expected_revision'>;
/** A routing edit as the route parsed it (RoutingEdit without the revision). */
export type RoutingChange = Omit<z.infer<typeof RoutingEdit>, 'expected_revision'>;

/** Which secrets the config store holds: the part of its SecretStore the edits ask. */
export interface StoredSecrets {
  has(name: string): Promise<boolean>;
}

/** What the notification rules need. */
export interface NotificationsDeps {
  store: ConfigAccess & { secrets: StoredSecrets };
  compile: CompileRequester;
}

/** The channels and routing; each write takes the revision it is based on and answers the new view. */
export interface NotificationsDomain {
  /** Both channels (null when not set up) and the routing, secrets redacted. */
  channels(): Promise<NotificationChannelsResponse>;
  /** Creates or edits the Slack channel. */
  editSlack(edit: SlackEdit, expectedRevision: number | undefined): Promise<NotificationChannelsResponse>;
  /** Creates or edits the email channel. */
  editEmail(edit: EmailEdit, expectedRevision: number | undefined): Promise<NotificationChannelsResponse>;
  /** Sets the channels of the severities given; the others keep theirs. */
  editRouting(edit: RoutingChange, expectedRevision: number | undefined): Promise<NotificationChannelsResponse>;
  /** Removes a channel; NotFoundError when it is not set up. */
  removeChannel(channel: ChannelName, expectedRevision: number | undefined): Promise<NotificationChannelsResponse>;
}

/** Refuses a `${secret:name}` reference to a secret that is not stored, naming the field. */
async function requireStored(secrets: StoredSecrets, field: string, value: string | undefined): Promise<void> {
  const name = value === undefined ? undefined : secretRefName(value);
  if (name === undefined || (await secrets.has(name))) return;
  throw new ValidationError(`${field} refers to the secret "${name}", which is not stored`, [{ path: field, message: `no secret "${name}" in the secrets store` }]);
}

/** The notification rules on `deps`. */
export function notificationsDomain(deps: NotificationsDeps): NotificationsDomain {
  const { store } = deps;
  const write = writeAndCompile(deps);

  // The view is read again after a write, so it is the file as it is now (with its references).
  const channels = async (): Promise<NotificationChannelsResponse> => {
    const { config, revision } = await store.read();
    const red = redactConfig(config).notifications;
    return { revision, slack: red.slack ?? null, email: red.email ?? null, routing: red.routing };
  };

  return {
    channels,

    async editSlack(edit, expectedRevision) {
      await requireStored(store.secrets, 'webhook_url', edit.webhook_url);
      await write('slack channel changed', (c) => {
        const merged = { ...(c.notifications.slack ?? {}), ...edit };
        if (!merged.webhook_url) throw new ValidationError('a Slack channel needs a webhook URL', [{ path: 'webhook_url', message: 'required' }]);
        c.notifications.slack = parseOrThrow(SlackChannel, merged, 'slack channel', ['notifications', 'slack']);
      }, expectedRevision);
      return channels();
    },

    async editEmail(edit, expectedRevision) {
      await requireStored(store.secrets, 'password', edit.password);
      await write('email channel changed', (c) => {
        const merged = { ...(c.notifications.email ?? {}), ...edit };
        c.notifications.email = parseOrThrow(EmailChannel, merged, 'email channel', ['notifications', 'email']);
      }, expectedRevision);
      return channels();
    },

    async editRouting(edit, expectedRevision) {
      // alertmanager.yml routes each severity by this, so it is recompiled like every other write.
      await write('routing changed', (c) => { c.notifications.routing = { ...c.notifications.routing, ...edit }; }, expectedRevision);
      return channels();
    },

    async removeChannel(channel, expectedRevision) {
      await write(`${channel} channel removed`, (c) => {
        if (!c.notifications[channel]) throw new NotFoundError(`no ${channel} channel is configured`);
        delete c.notifications[channel];
      }, expectedRevision);
      return channels();
    },
  };
}
