// The relay's BullMQ queues and the zod schema of their job data (parsed where a job is picked
// up). One delivery queue per channel (`notify-slack`, `notify-email`, named after QUEUES.notify),
// so a slow mail server never holds up Slack and each channel retries on its own.
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { QUEUES } from '@aami/shared';
import { CHANNEL_NAMES, ChannelName } from './channels/channel.ts';
import { StormItem } from './domain/message.ts';
import { WebhookAlert } from './domain/payload.ts';

/** The delivery queue of one channel. */
export function deliveryQueueName(channel: ChannelName): string {
  return `${QUEUES.notify}-${channel}`;
}

/** One message to one channel: an alert, or a part of a storm summary. */
export const DeliveryJob = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('alert'),
    channel: ChannelName,
    dedupKey: z.string(),
    alert: WebhookAlert,
    externalURL: z.string(),
    receivedAt: z.number(),
    /**
     * Until when (epoch ms) this alert state counts as delivered, set at intake from
     * notifications.repeat (domain/dedup-lifetime.ts). Absent in jobs queued by an older relay.
     */
    dedupUntil: z.number().optional(),
  }),
  z.object({
    kind: z.literal('summary'),
    channel: ChannelName,
    dedupKey: z.string(),
    batchId: z.string(),
    part: z.number().int().min(1),
    parts: z.number().int().min(1),
    total: z.number().int().min(0),
    items: z.array(StormItem),
    receivedAt: z.number(),
  }),
]);
export type DeliveryJob = z.infer<typeof DeliveryJob>;

/** The relay's queues. */
export interface RelayQueues {
  delivery: Record<ChannelName, Queue<DeliveryJob>>;
  close(): Promise<void>;
}

/**
 * Opens the queues on `connection` (a producer connection: fail fast when Redis is away).
 * `onError` receives connection errors (BullMQ would print them otherwise).
 */
export function createRelayQueues(connection: Redis, prefix: string, onError: (err: Error) => void = () => {}): RelayQueues {
  const delivery = Object.fromEntries(
    CHANNEL_NAMES.map((c) => {
      const q = new Queue<DeliveryJob>(deliveryQueueName(c), { connection, prefix });
      q.on('error', onError);
      return [c, q];
    }),
  ) as Record<ChannelName, Queue<DeliveryJob>>;
  return {
    delivery,
    async close() {
      await Promise.all(Object.values(delivery).map((q) => q.close()));
    },
  };
}

/** Job options: retries with the relay's backoff, finished jobs removed, failed ones kept (dead letters). */
export function retryingJobOptions(attempts: number): JobsOptions {
  return { attempts, backoff: { type: 'relay' }, removeOnComplete: true, removeOnFail: false };
}
