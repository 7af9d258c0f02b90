// The rule compiler does not rely on being told: a compile request can be lost (Redis down for a
// moment when the gateway queued it) or never sent (a hand edit of config.yaml). On a timer, and
// once at start, it compares config.yaml's revision with the revision its last compile attempt
// read, and compiles when they differ, or when that attempt's files are live but a reload failed
// (Prometheus was down). A refused config is not retried until the config changes again.
import type { CompileStatus, Logger } from '@aami/shared';

export interface ReconcilerDeps {
  /** config.yaml's current revision. */
  readRevision(): Promise<number>;
  /** What the last compile did. */
  status(): CompileStatus;
  /** Asks for a compile (through the coalescer, so it never overlaps one already running). */
  compile(): Promise<unknown>;
  log: Logger;
  /** Time between checks; 0 checks only when tick() is called. */
  intervalMs: number;
}

/** Why a compile is due, or null when the live files match config.yaml. */
export function compileDue(revision: number, status: CompileStatus): string | null {
  const attempted = status.lastAttempt?.revision ?? null;
  if (attempted !== revision) return attempted === null ? `nothing compiled yet for revision ${revision}` : `config.yaml is at revision ${revision}, the last compile read revision ${attempted}`;
  if (status.state === 'reload_failed') return `revision ${revision} is compiled but Prometheus or Alertmanager did not reload it`;
  return null;
}

export interface Reconciler {
  /** One check; resolves true when it compiled. */
  tick(): Promise<boolean>;
  stop(): void;
}

export function startReconciler(d: ReconcilerDeps): Reconciler {
  let busy = false;
  const tick = async (): Promise<boolean> => {
    if (busy) return false;
    busy = true;
    try {
      const revision = await d.readRevision();
      const why = compileDue(revision, d.status());
      if (!why) return false;
      d.log.info('compiling without a request', { reason: why });
      await d.compile();
      return true;
    } catch (err) {
      // An unreadable config or a failed compile is reported by the compiler's status; retry next tick.
      d.log.debug('reconcile check did not complete', { error: err as Error });
      return false;
    } finally {
      busy = false;
    }
  };
  const timer = d.intervalMs > 0 ? setInterval(() => void tick(), d.intervalMs) : undefined;
  timer?.unref();
  return { tick, stop: () => clearInterval(timer) };
}
