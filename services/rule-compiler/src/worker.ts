// The BullMQ worker of the `compile` queue. It only parses the job and waits for the coalesced
// compile; the compiler does the work. A config that cannot compile fails the job for good
// (UnrecoverableError: retrying the same config.yaml cannot help); a reload that did not take fails
// it so BullMQ retries it when the job was queued with attempts.
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { CompileJob, QUEUES, ValidationError, type Logger } from '@aami/shared';
import type { Coalescer } from './coalescer.ts';
import type { CompileOutcome } from './compiler.ts';

/** What a finished compile job returns (kept in Redis with the job). */
export interface CompileJobResult {
  revision: number;
  hash: string;
  changed: boolean;
  reloaded: boolean;
}

/** The job processor, separate from the Worker so it can be tested without Redis. */
export function compileProcessor(coalescer: Coalescer<CompileOutcome>, log: Logger) {
  return async (job: Pick<Job, 'id' | 'data'>): Promise<CompileJobResult> => {
    const parsed = CompileJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`compile job ${job.id} has bad data: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    try {
      const outcome = await coalescer.request();
      if (outcome.revision < parsed.data.revision) log.warn('compiled an older revision than the job asked for', { asked: parsed.data.revision, got: outcome.revision });
      return { revision: outcome.revision, hash: outcome.hash, changed: outcome.changed, reloaded: outcome.reloaded };
    } catch (err) {
      if (err instanceof ValidationError) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
}

/** Options of the worker. */
export interface CompileWorkerOptions {
  connection: ConnectionOptions;
  coalescer: Coalescer<CompileOutcome>;
  log: Logger;
  /** Jobs taken at once; they all wait on the same coalesced compile. */
  concurrency?: number;
  queueName?: string;
}

/** Starts a worker on the compile queue. */
export function createCompileWorker(options: CompileWorkerOptions): Worker<CompileJob, CompileJobResult> {
  const worker = new Worker<CompileJob, CompileJobResult>(options.queueName ?? QUEUES.compile, compileProcessor(options.coalescer, options.log), {
    connection: options.connection,
    concurrency: options.concurrency ?? 32,
  });
  worker.on('failed', (job, err) => options.log.warn('compile job failed', { job: job?.id, reason: err.message }));
  worker.on('error', (err) => options.log.error('compile worker error', { error: err }));
  return worker;
}
