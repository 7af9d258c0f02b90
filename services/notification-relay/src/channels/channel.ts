// The one contract every notification channel implements. A channel only sends and classifies the
// outcome; whoever calls it (the BullMQ processor) owns retries, backoff and dead-lettering.
import { z } from 'zod';
import type { Message } from '../domain/message.ts';

/** The channels AAMI can deliver to; the same names config.yaml's notifications.routing uses. */
export const ChannelName = z.enum(['slack', 'email']);
export type ChannelName = z.infer<typeof ChannelName>;

/** Every channel, in wiring order. */
export const CHANNEL_NAMES: readonly ChannelName[] = ChannelName.options;

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

/**
 * The outcome of one send. `retry` says whether sending the same message again later may succeed;
 * `error` is a one-line description that never contains a secret (webhook URL, SMTP password).
 */
export type SendResult =
  | { ok: true }
  | { ok: false; retry: boolean; reason: FailureReason; error: string; retryAfterMs?: number };

/** A notification channel: sends one message and says what happened. Never throws. */
export interface Channel {
  readonly name: ChannelName;
  send(msg: Message, signal: AbortSignal): Promise<SendResult>;
}

/** A failed SendResult, for brevity at call sites. */
export function failure(retry: boolean, reason: FailureReason, error: string, retryAfterMs?: number): SendResult {
  return retryAfterMs === undefined ? { ok: false, retry, reason, error } : { ok: false, retry, reason, error, retryAfterMs };
}
