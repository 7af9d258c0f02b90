// The notifications API's contract (relay, gateway, CLI, Web UI): channel names, why a send failed,
// and what a test message got back from the channel.
import { z } from 'zod';

/** The channels AAMI can deliver to; the same names config.yaml's notifications.routing uses. */
export const ChannelName = z.enum(['slack', 'email']);
export type ChannelName = z.infer<typeof ChannelName>;

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
