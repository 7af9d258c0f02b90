// After every config write the gateway asks the rule compiler to regenerate files, through the
// BullMQ `compile` queue. A write is never refused because Redis is down: the answer says the
// compile was not queued, and the compiler catches up from config.yaml at its next start.
import { Queue } from 'bullmq';
import { QUEUES, type CompileJob, type Logger } from '@aami/shared';

/** Result reported to the caller with every write. */
export type CompileRequest = { queued: true } | { queued: false; reason: string };

export interface CompileTrigger {
  request(job: CompileJob): Promise<CompileRequest>;
  close(): Promise<void>;
}

/** A trigger backed by the real queue. */
export function createCompileTrigger(redisUrl: string, log: Logger): CompileTrigger {
  const url = new URL(redisUrl);
  const queue = new Queue<CompileJob>(QUEUES.compile, {
    connection: { host: url.hostname, port: Number(url.port || 6379), password: url.password || undefined, maxRetriesPerRequest: 1, enableOfflineQueue: false },
  });
  queue.on('error', (err) => log.warn('compile queue error', { error: err }));
  return {
    async request(job) {
      try {
        await queue.add('compile', job, { removeOnComplete: 100, removeOnFail: 100 });
        return { queued: true };
      } catch (err) {
        log.warn('could not queue a compile job', { error: err as Error });
        return { queued: false, reason: `redis unavailable: ${(err as Error).message}` };
      }
    },
    close: () => queue.close(),
  };
}
