// The BullMQ `install` queue consumer: one job = one action on one node. It keeps the node's state
// in the run store as it goes (step, percent), reports progress on the job, retries transient
// failures through the job's attempts and ends permanent ones at once (UnrecoverableError). A
// worker killed mid-job loses nothing: BullMQ hands the stalled job to the next worker, and the
// install is idempotent, so it simply finishes.
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { InstallJob, QUEUES, type Logger } from '@aami/shared';
import { runNodeAction, type InstallerDeps, type NodeOutcome } from './install/installer.ts';
import type { NodeRunState, RunMeta, RunStore } from './runs.ts';
import type { NodeTarget } from './targets.ts';
import type { InstalledRecorder } from './installed-exporters.ts';

export interface WorkerDeps {
  connection: ConnectionOptions;
  runs: RunStore;
  nodes: { get(name: string): Promise<NodeTarget | undefined> };
  installer: InstallerDeps;
  log: Logger;
  /** Records what runs on a node after a successful action (decides its scrape targets). */
  installed?: Pick<InstalledRecorder, 'record'>;
  /** Jobs at once in this process. @defaultValue 100 */
  concurrency?: number;
  /** How long a job's lock lasts without renewal; a killed worker's jobs restart after about this. @defaultValue 30000 */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. @defaultValue 30000 */
  stalledIntervalMs?: number;
  queueName?: string;
}

/** How long a job whose run is at its --concurrency waits in "delayed" before it asks again. */
const RUN_BUSY_DELAY_MS = 1000;

/** The job as the processor uses it (tests pass a plain object). */
export type InstallJobHandle = Pick<Job, 'data' | 'attemptsMade' | 'opts' | 'updateProgress' | 'moveToDelayed'>;

/** Processes one install job; exported for tests that drive it without Redis. */
export function createProcessor(deps: Pick<WorkerDeps, 'runs' | 'nodes' | 'installer' | 'log' | 'installed'>) {
  // A run's own --concurrency, counted in this process (one install-worker consumes the queue). The
  // entry, with the promise of the run's meta, is in the map before anything is awaited, so jobs that
  // arrive together share one count (each used to make its own limiter and all of them ran). `jobs`
  // counts those between taking the entry and letting go, so it is dropped only when nobody uses it.
  const limiters = new Map<string, { meta: Promise<RunMeta | undefined>; running: number; jobs: number }>();
  /** A node slot of the run (call it to give it back), or undefined when the run is at its limit. */
  const limiterFor = async (runId: string): Promise<(() => void) | undefined> => {
    const l = limiters.get(runId) ?? { meta: deps.runs.meta(runId), running: 0, jobs: 0 };
    limiters.set(runId, l);
    l.jobs++;
    const leave = () => {
      if (--l.jobs === 0) limiters.delete(runId);
    };
    let limit: number;
    try {
      limit = (await l.meta)?.concurrency ?? Infinity;
    } catch (err) {
      leave();
      throw err;
    }
    if (l.running >= limit) {
      leave();
      return undefined;
    }
    l.running++;
    return () => {
      l.running--;
      leave();
    };
  };

  return async (job: InstallJobHandle, token?: string): Promise<NodeOutcome> => {
    const parsed = InstallJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad install job data: ${parsed.error.message}`);
    const { node, action, runId } = parsed.data;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    // A run's own --concurrency. A job over it does not wait here: waiting would hold one of the
    // worker's slots (BullMQ's concurrency), and a run of 500 nodes at --concurrency 1 would fill
    // them all and starve every other run. It goes back to "delayed" instead, which frees the slot
    // and costs no attempt (BullMQ's moveToDelayed skips the attempt count); the node stays "queued".
    const release = await limiterFor(runId);
    if (!release) {
      await job.moveToDelayed(Date.now() + RUN_BUSY_DELAY_MS, token);
      throw new DelayedError();
    }
    let state: NodeRunState;
    let outcome: NodeOutcome;
    try {
      const previous = await deps.runs.state(runId, node);
      state = {
        ...(previous ?? { node, runId, action, percent: 0 }),
        state: 'running', step: 'starting', percent: 0, attempts: attempt, startedAt: new Date().toISOString(),
      };
      delete state.reason;
      delete state.kind;
      await deps.runs.put(state);
      const target = await deps.nodes.get(node);
      if (!target) {
        outcome = { node, action, ok: false, result: 'failed', kind: 'unknown-node', reason: `no node named ${node} in config.yaml`, transient: false, durationMs: 0, versions: {}, notes: [] };
      } else {
        outcome = await runNodeAction(target, action, {
          runId,
          onStep: async (step, percent) => {
            state = { ...state, step, percent };
            await deps.runs.put(state);
            await job.updateProgress({ step, percent });
          },
        }, deps.installer);
      }
    } finally {
      release();
    }

    const final: NodeRunState = {
      ...state,
      state: outcome.ok ? 'done' : 'failed',
      percent: 100,
      result: outcome.result,
      finishedAt: new Date().toISOString(),
      durationMs: outcome.durationMs,
      versions: outcome.versions,
      notes: outcome.notes,
    };
    delete final.step;
    if (outcome.node_info) final.node_info = outcome.node_info;
    if (outcome.kind) final.kind = outcome.kind;
    if (outcome.reason) final.reason = outcome.reason;
    if (!outcome.ok && outcome.transient && attempt < maxAttempts) {
      const retrying: NodeRunState = { ...final, state: 'retrying', percent: 0 };
      delete retrying.result;
      delete retrying.finishedAt;
      await deps.runs.put(retrying);
      deps.log.warn('node failed, will retry', { node, runId, attempt, reason: outcome.reason });
      throw new Error(`${node}: ${outcome.reason}`);
    }
    await deps.runs.put(final);
    await deps.runs.setLast(final);
    await deps.installed?.record(node, action, outcome);
    if (!outcome.ok) throw new UnrecoverableError(`${node}: ${outcome.reason}`);
    deps.log.info('node done', { node, runId, action, result: outcome.result, durationMs: outcome.durationMs });
    return outcome;
  };
}

/** Starts consuming the install queue. */
export function startInstallWorker(deps: WorkerDeps): Worker<InstallJob, NodeOutcome> {
  const processor = createProcessor(deps);
  const worker = new Worker<InstallJob, NodeOutcome>(deps.queueName ?? QUEUES.install, (job, token) => processor(job, token), {
    connection: deps.connection,
    concurrency: deps.concurrency ?? 100,
    lockDuration: deps.lockDurationMs ?? 30_000,
    stalledInterval: deps.stalledIntervalMs ?? 30_000,
    maxStalledCount: 5,
  });
  worker.on('error', (err) => deps.log.warn('install worker error', { error: err }));
  worker.on('failed', (job, err) => deps.log.debug('install job failed', { job: job?.id, error: err }));
  return worker;
}
