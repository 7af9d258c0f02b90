// The notifications API's contract (relay, gateway, CLI, Web UI): channel names, why a send failed,
// what a test message got back from the channel, the channel and routing views and edits of the
// gateway's /api/v1/notifications, and the relay's delivery counts and dead letters it forwards.
import { z } from 'zod';
import { ChannelName, EmailChannel, Notifications, SlackChannel } from '../config/schema.ts';
import { ConfigRevision } from './common.ts';

/** The channels AAMI can deliver to: config.yaml's own list (notifications.routing uses it). */
export { ChannelName };

/**
 * Why a send failed, as a small fixed set so failure metrics and the dead-letter list can be
 * grouped by it (the message in `error` carries the detail).
 */
export const FailureReason = z.enum([
  'clientError', // the receiver refused this message (4xx, SMTP 5yz): sending it again gets the same answer
  'authError', // credentials or webhook refused (401/403/404/410, SMTP 535)
  'rateLimited', // 429: the receiver asked us to slow down
  'serverError', // 5xx or SMTP 4yz: the receiver is having trouble, try again later
  'timeout', // no answer in time
  'connection', // could not connect, or the connection broke
  'invalidConfig', // the channel's config cannot be used (unset ${VAR}, unknown ${secret:name}, bad URL)
  'unexpected', // an answer or error no rule above covers
]);
export type FailureReason = z.infer<typeof FailureReason>;

/** POST /api/v1/notifications/test */
export const NotificationTestRequest = z.strictObject({ channel: ChannelName });

/**
 * Its answer (200 whenever the message was tried): delivered, or refused with whether a retry may
 * help, the kind of failure and the channel's own words (never a secret).
 */
export const NotificationTestResult = z.discriminatedUnion('ok', [
  z.strictObject({ channel: ChannelName, ok: z.literal(true) }),
  z.strictObject({ channel: ChannelName, ok: z.literal(false), retry: z.boolean(), reason: FailureReason, error: z.string() }),
]);
export type NotificationTestResult = z.infer<typeof NotificationTestResult>;

/** PUT /api/v1/notifications/slack: fields to change; a left-out webhook_url keeps the stored one. */
export const SlackChannelEdit = SlackChannel.partial().extend({ expected_revision: z.number().int().optional() });

/** PUT /api/v1/notifications/email: fields to change; a left-out password keeps the stored one. */
export const EmailChannelEdit = EmailChannel.partial().extend({ expected_revision: z.number().int().optional() });

/** PUT /api/v1/notifications/routing: the channels of the severities given (the others stay). */
export const RoutingEdit = z.strictObject({
  critical: z.array(ChannelName).optional(),
  warning: z.array(ChannelName).optional(),
  info: z.array(ChannelName).optional(),
  expected_revision: z.number().int().optional(),
});

/** The Slack channel as answered: the webhook URL is `<redacted>`, or the `${VAR}` it is read from. */
export const SlackView = SlackChannel.extend({ webhook_url: z.string() });
export type SlackView = z.infer<typeof SlackView>;

/** The email channel as answered: a password is `<redacted>`, or the `${VAR}` it is read from. */
export const EmailView = EmailChannel.extend({ password: z.string().optional() });
export type EmailView = z.infer<typeof EmailView>;

/** Which channels each severity goes to (config.yaml's notifications.routing). */
export const ChannelRouting = Notifications.shape.routing.unwrap();
export type ChannelRouting = z.infer<typeof ChannelRouting>;

/**
 * GET /api/v1/notifications/channels, and the answer of every channel or routing write (PUT slack,
 * email, routing; DELETE :channel): both channels (null when not set up) and the routing, secrets
 * redacted.
 */
export const NotificationChannelsResponse = z.strictObject({
  revision: ConfigRevision,
  slack: SlackView.nullable(),
  email: EmailView.nullable(),
  routing: ChannelRouting,
});
export type NotificationChannelsResponse = z.infer<typeof NotificationChannelsResponse>;

/** One channel's delivery counts, as the relay keeps them. */
export const ChannelDeliveryStatus = z.strictObject({
  /** Set up and enabled in config.yaml. */
  configured: z.boolean(),
  /** Waiting, delayed (backing off) or being sent now. */
  queued: z.number().int().min(0),
  sent: z.number().int().min(0),
  /** Failed attempts, retried or not. */
  failed: z.number().int().min(0),
  /** In the dead-letter list now. */
  dead_lettered: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  grouped: z.number().int().min(0),
});
export type ChannelDeliveryStatus = z.infer<typeof ChannelDeliveryStatus>;

/** GET /api/v1/notifications/status (the relay's, forwarded): counts per channel. */
export const NotificationsStatusResponse = z.strictObject({ channels: z.record(ChannelName, ChannelDeliveryStatus) });
export type NotificationsStatusResponse = z.infer<typeof NotificationsStatusResponse>;

/** One notification the relay gave up on: a permanent refusal, or its retries used up. */
export const DeadLetter = z.strictObject({
  /** `<channel>-...`: what POST .../dead-letters/:id/retry takes. */
  id: z.string(),
  channel: ChannelName,
  kind: z.enum(['alert', 'summary']),
  alertname: z.string().optional(),
  node: z.string().optional(),
  gpu: z.string().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  fingerprint: z.string().optional(),
  startsAt: z.string().optional(),
  /** How many alerts a storm summary held. */
  summaryAlerts: z.number().int().optional(),
  /** The last failure, in the channel's words. */
  reason: z.string(),
  attempts: z.number().int().min(0),
  failedAt: z.string().optional(),
  receivedAt: z.string().optional(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** GET /api/v1/notifications/dead-letters (the relay's, forwarded): newest failure first. */
export const DeadLettersResponse = z.strictObject({ dead_letters: z.array(DeadLetter) });
export type DeadLettersResponse = z.infer<typeof DeadLettersResponse>;

/** POST /api/v1/notifications/dead-letters/:id/retry (202): the dead letter, queued again. */
export const DeadLetterRetryResponse = z.strictObject({ retried: DeadLetter });
export type DeadLetterRetryResponse = z.infer<typeof DeadLetterRetryResponse>;
