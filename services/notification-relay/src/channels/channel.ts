// The one contract every notification channel implements. A channel only sends and classifies the
// outcome; whoever calls it (the BullMQ processor) owns retries, backoff and dead-lettering.
import { ChannelName, type FailureReason } from '@aami/shared';
import type { Message } from '../domain/message.ts';

export { ChannelName, FailureReason } from '@aami/shared';

/** Every channel, in wiring order. */
export const CHANNEL_NAMES: readonly ChannelName[] = ChannelName.options;

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
