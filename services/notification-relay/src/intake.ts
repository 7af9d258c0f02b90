// Turns an accepted webhook payload into delivery jobs, one per alert and channel its severity
// routes to (config.yaml's notifications.routing), and queues them: one call per channel queue
// the request touches, all sent together (addBulk, atomic per queue; a lone job uses add, which
// costs BullMQ half the CPU and is just as atomic). Each job's id comes from the alert state (fingerprint +
// status + startsAt) and channel, so a copy of an alert still queued collapses into it. Each job
// also carries until when its state counts as delivered (notifications.repeat, per severity), so
// Alertmanager's reminders of a firing alert get through and copies in between do not.
import type { JobsOptions } from 'bullmq';
import type { ChannelName } from './channels/channel.ts';
import type { NotificationsSource } from './domain/config-source.ts';
import { deliveryJobId, dedupKey } from './domain/dedup.ts';
import { dedupLifetimeMs } from './domain/dedup-lifetime.ts';
import { alertSeverity, type XidLookup } from './domain/enrichment.ts';
import type { WebhookPayload } from './domain/payload.ts';
import { routeAlert } from './domain/routing.ts';
import type { DeliveryJob } from './queues.ts';

/** A queue as intake uses it. */
export interface DeliveryQueue {
  add(name: string, data: DeliveryJob, opts: JobsOptions): Promise<unknown>;
  addBulk(jobs: Array<{ name: string; data: DeliveryJob; opts: JobsOptions }>): Promise<unknown>;
}

/** What intake needs. */
export interface IntakeDeps {
  notifications: NotificationsSource;
  xidLookup: XidLookup;
  queues: Record<ChannelName, DeliveryQueue>;
  jobOptions: JobsOptions;
}

/** What one payload became. */
export interface IntakeResult {
  alerts: number;
  deliveries: number;
  /** Alerts whose severity routes to no configured channel (accepted, sent nowhere). */
  unrouted: number;
}

/** Accepts payloads; resolves once Redis holds every delivery job. */
export interface Intake {
  accept(payload: WebhookPayload, receivedAt: number): Promise<IntakeResult>;
}

/** Creates the intake. */
export function createIntake(deps: IntakeDeps): Intake {
  return {
    async accept(payload, receivedAt) {
      const cfg = await deps.notifications.get();
      const byChannel = new Map<ChannelName, Array<{ name: string; data: DeliveryJob; opts: JobsOptions }>>();
      let unrouted = 0;
      let deliveries = 0;
      for (const alert of payload.alerts) {
        const channels = routeAlert(cfg, alertSeverity(alert, deps.xidLookup));
        if (channels.length === 0) unrouted++;
        const key = dedupKey(alert);
        const lifetime = dedupLifetimeMs(alert, cfg.repeat);
        const dedupUntil = receivedAt + lifetime;
        // One BullMQ job per alert state and dedup window: copies inside a window collapse into one
        // job, and a reminder a repeat interval later is a job of its own. Without the window, a
        // first notice that ended as a dead letter (failed jobs are kept) would make BullMQ ignore
        // every later reminder of that state, since it drops an add whose job id exists.
        const jobKey = `${key}|${Math.floor(receivedAt / lifetime)}`;
        for (const channel of channels) {
          let list = byChannel.get(channel);
          if (!list) byChannel.set(channel, (list = []));
          list.push({
            name: 'alert',
            data: { kind: 'alert', channel, dedupKey: key, alert, externalURL: payload.externalURL, receivedAt, dedupUntil },
            opts: { ...deps.jobOptions, jobId: deliveryJobId(channel, jobKey) },
          });
          deliveries++;
        }
      }
      await Promise.all(
        [...byChannel].map(([channel, jobs]) => {
          const only = jobs.length === 1 ? jobs[0] : undefined;
          return only ? deps.queues[channel].add(only.name, only.data, only.opts) : deps.queues[channel].addBulk(jobs);
        }),
      );
      return { alerts: payload.alerts.length, deliveries, unrouted };
    },
  };
}
