// What the API reports and does about deliveries: counts per channel, the dead-letter list (jobs
// BullMQ gave up on: a permanent refusal, or retries used up) and retrying one of them. Dead
// letters are BullMQ's failed sets, so they survive restarts and need no store of their own.
import type { Job, Queue } from 'bullmq';
import { ConflictError, NotFoundError, type ChannelDeliveryStatus, type DeadLetter, type NotificationsStatusResponse } from '@aami/shared';
import { CHANNEL_NAMES, type ChannelName } from './channels/channel.ts';
import { alertFingerprint } from './domain/payload.ts';
import type { NotificationsSource } from './domain/config-source.ts';
import { channelEnabled } from './domain/routing.ts';
import type { StatsStore } from './domain/stats.ts';
import { DeliveryJob, type RelayQueues } from './queues.ts';

// The answers are the API's (shared/src/api/notifications.ts), under the names this file uses.
export type ChannelStatus = ChannelDeliveryStatus;
export type StatusReport = NotificationsStatusResponse;
export type { DeadLetter };

/** The admin operations the API exposes. */
export interface NotificationsAdmin {
  status(): Promise<StatusReport>;
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  retry(id: string): Promise<DeadLetter>;
}

type AnyQueue = Queue<unknown>;

const iso = (ms: number | undefined): string | undefined => (ms ? new Date(ms).toISOString() : undefined);

function describe(channel: ChannelName, job: Job): DeadLetter {
  const base = { id: job.id ?? '', channel, reason: job.failedReason ?? '', attempts: job.attemptsMade };
  const when = { ...(iso(job.finishedOn) ? { failedAt: iso(job.finishedOn) } : {}) };
  const parsed = DeliveryJob.safeParse(job.data);
  if (!parsed.success) return { ...base, ...when, kind: 'alert' };
  const d = parsed.data;
  if (d.kind === 'summary') return { ...base, ...when, kind: 'summary', summaryAlerts: d.items.length, receivedAt: new Date(d.receivedAt).toISOString() };
  const alert = d.alert;
  const out: DeadLetter = {
    ...base,
    ...when,
    kind: 'alert',
    status: alert.status,
    fingerprint: alertFingerprint(alert),
    startsAt: alert.startsAt,
    receivedAt: new Date(d.receivedAt).toISOString(),
  };
  if (alert.labels.alertname) out.alertname = alert.labels.alertname;
  const node = alert.labels.node ?? alert.labels.Hostname ?? alert.labels.instance;
  if (node) out.node = node;
  if (alert.labels.gpu) out.gpu = alert.labels.gpu;
  return out;
}

/** The admin over the relay's queues and counts. */
export function createAdmin(deps: { queues: RelayQueues; stats: StatsStore; notifications: NotificationsSource }): NotificationsAdmin {
  const byName = (): Array<[ChannelName, AnyQueue]> => CHANNEL_NAMES.map((c) => [c, deps.queues.delivery[c] as unknown as AnyQueue]);
  const queueOf = (id: string): [ChannelName, AnyQueue] | undefined => {
    const ch = CHANNEL_NAMES.find((c) => id.startsWith(`${c}-`));
    return ch ? [ch, deps.queues.delivery[ch] as unknown as AnyQueue] : undefined;
  };
  return {
    async status() {
      const [stats, cfg] = await Promise.all([deps.stats.read(), deps.notifications.get().catch(() => undefined)]);
      const counts = await Promise.all(byName().map(([, q]) => q.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children', 'failed')));
      const queued = (c: Record<string, number>): number => (c.waiting ?? 0) + (c.delayed ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0);
      const channels = {} as Record<ChannelName, ChannelStatus>;
      CHANNEL_NAMES.forEach((ch, i) => {
        const c = counts[i] ?? {};
        const s = stats[ch] ?? {};
        channels[ch] = {
          configured: cfg ? channelEnabled(cfg, ch) : false,
          queued: queued(c),
          sent: s.sent ?? 0,
          failed: s.failed ?? 0,
          dead_lettered: c.failed ?? 0,
          duplicates: s.duplicates ?? 0,
          grouped: s.grouped ?? 0,
        };
      });
      return { channels };
    },
    async deadLetters(limit = 200) {
      const lists = await Promise.all(byName().map(async ([name, q]) => (await q.getFailed(0, limit - 1)).map((j) => describe(name, j as Job))));
      return lists
        .flat()
        .sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? ''))
        .slice(0, limit);
    },
    async retry(id) {
      const found = queueOf(id);
      const job = found ? ((await found[1].getJob(id)) as Job | undefined) : undefined;
      if (!found || !job) throw new NotFoundError(`no dead letter with id ${id}`);
      const state = await job.getState();
      if (state !== 'failed') throw new ConflictError(`job ${id} is ${state}, not a dead letter`);
      const entry = describe(found[0], job);
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return entry;
    },
  };
}
