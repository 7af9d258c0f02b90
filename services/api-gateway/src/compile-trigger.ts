// After every config write the gateway asks the rule compiler to regenerate files, through the
// BullMQ `compile` queue. A write is never refused or held up because Redis is down: the answer
// says the compile was not queued, and the rule compiler catches up on its own: it compares
// config.yaml's revision with its last compile every AAMI_COMPILE_RECONCILE_S (reconciler.ts).
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES, redisConnectionOptions, type CompileJob, type CompileQueueResult, type Logger } from '@aami/shared';

const ENQUEUE_TIMEOUT_MS = 2000;

/** Queues compiles; each request answers the `compile` field of a write (CompileQueueResult). */
export interface CompileTrigger {
  request(job: CompileJob): Promise<CompileQueueResult>;
  close(): Promise<void>;
}

/** A trigger backed by the real queue. */
export function createCompileTrigger(redisUrl: string, log: Logger): CompileTrigger {
  const connection = new Redis({ ...redisConnectionOptions(redisUrl), maxRetriesPerRequest: null, enableOfflineQueue: true });
  connection.on('error', (err) => log.debug('redis connection error', { error: err }));
  const queue = new Queue<CompileJob>(QUEUES.compile, { connection });
  queue.on('error', (err) => log.debug('compile queue error', { error: err }));
  return {
    async request(job) {
      // BullMQ waits for a connection indefinitely; a config write must not.
      if (connection.status !== 'ready') return { queued: false, reason: `redis not connected (${connection.status})` };
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS); });
      try {
        await Promise.race([queue.add('compile', job, { removeOnComplete: 100, removeOnFail: 100, attempts: 5, backoff: { type: 'exponential', delay: 2000 } }), timeout]);
        return { queued: true };
      } catch (err) {
        log.warn('could not queue a compile job', { error: err as Error });
        return { queued: false, reason: `redis unavailable: ${(err as Error).message}` };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}
