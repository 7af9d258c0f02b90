// Live screens: run a refresh every few seconds while the screen is shown, slower and slower while
// the tab is hidden, once at once when it is shown again, and with a growing wait after failures so
// a gateway that is down is not hammered. At most one refresh runs at a time; stopping aborts it.
// No DOM here (the page's visibility comes in through `env`), so the timing is unit-tested under Node
// (../../src/ui/ui-overview.test.ts).

export interface PollOptions {
  /** Between two refreshes while the tab is visible. */
  intervalMs: number;
  /** The first wait while the tab is hidden; it doubles at each hidden refresh, up to maxMs. */
  hiddenMs: number;
  /** The longest wait, after failures or while hidden. */
  maxMs: number;
}

export const DEFAULT_POLL: PollOptions = { intervalMs: 10_000, hiddenMs: 60_000, maxMs: 300_000 };

/** How long to wait before the next refresh. */
export function nextDelay(o: PollOptions, s: { hidden: boolean; hiddenRuns: number; failures: number }): number {
  const base = s.hidden ? o.hiddenMs * 2 ** Math.min(s.hiddenRuns, 16) : o.intervalMs;
  const backoff = s.failures > 0 ? o.intervalMs * 2 ** Math.min(s.failures, 16) : 0;
  return Math.min(o.maxMs, Math.max(base, backoff, o.intervalMs));
}

/** What the poller needs from the page (document.hidden, visibilitychange) and the clock. */
export interface PollEnv {
  hidden(): boolean;
  /** Calls `fn` when the tab is shown or hidden; returns how to stop. */
  onVisibility(fn: () => void): () => void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface Poller {
  /** Refreshes now (a refresh already running is aborted first), then waits as usual. */
  now(): void;
  stop(): void;
  /** The wait before the next refresh, as last scheduled (tests and the "next update" line). */
  readonly nextMs: number;
  readonly failures: number;
}

/**
 * Starts refreshing: `run` is called after the first wait (the screen has just loaded its data), and
 * again after each wait. A rejected `run` counts as a failure (the wait grows); `onError` hears it.
 */
export function startPoller(run: (signal: AbortSignal) => Promise<void>, env: PollEnv, o: PollOptions = DEFAULT_POLL, onError?: (err: unknown, retryMs: number) => void): Poller {
  let timer: unknown;
  let stopped = false;
  let failures = 0;
  let hiddenRuns = 0;
  let nextMs = o.intervalMs;
  let inFlight: AbortController | undefined;
  let lastRun = env.now();

  /** Sets the timer; `hiddenBefore`: hidden refreshes in a row before the one that just ended. */
  const schedule = (hiddenBefore = 0) => {
    if (stopped) return;
    env.clearTimeout(timer);
    nextMs = nextDelay(o, { hidden: env.hidden(), hiddenRuns: hiddenBefore, failures });
    timer = env.setTimeout(tick, nextMs);
  };
  const tick = () => {
    if (stopped) return;
    inFlight?.abort();
    const ctl = new AbortController();
    inFlight = ctl;
    const hidden = env.hidden();
    lastRun = env.now();
    run(ctl.signal).then(() => {
      if (ctl.signal.aborted) return;
      failures = 0;
      inFlight = undefined;
      const before = hiddenRuns;
      hiddenRuns = hidden ? hiddenRuns + 1 : 0;
      schedule(hidden ? before : 0);
    }, (err: unknown) => {
      if (ctl.signal.aborted || stopped) return;
      failures++;
      inFlight = undefined;
      schedule();
      onError?.(err, nextMs);
    });
  };
  const offVisibility = env.onVisibility(() => {
    if (stopped) return;
    if (!env.hidden()) {
      hiddenRuns = 0;
      // Shown again: refresh now if the data is older than one interval, else wait out the rest.
      if (!inFlight && env.now() - lastRun >= o.intervalMs) {
        env.clearTimeout(timer);
        tick();
      } else if (!inFlight) {
        schedule();
      }
    }
  });
  schedule();
  return {
    now() {
      if (stopped) return;
      env.clearTimeout(timer);
      tick();
    },
    stop() {
      stopped = true;
      env.clearTimeout(timer);
      inFlight?.abort();
      offVisibility();
    },
    get nextMs() { return nextMs; },
    get failures() { return failures; },
  };
}
