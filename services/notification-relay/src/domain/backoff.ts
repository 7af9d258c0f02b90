// Retry timing for failed deliveries: exponential backoff with jitter, capped, and never sooner
// than a receiver's Retry-After. BullMQ calls the strategy; processors throw RetryableError.

/** Thrown by a processor for a failure worth retrying; carries the receiver's Retry-After. */
export class RetryableError extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'RetryableError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** Backoff settings. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. @defaultValue 2000 */
  baseMs: number;
  /** Longest delay between two tries. @defaultValue 300000 */
  maxMs: number;
  /** Source of randomness in [0, 1) (tests). @defaultValue Math.random */
  random?: () => number;
}

/**
 * The delay before retry number `attemptsMade` (1 = first retry): base * 2^(n-1), capped at max,
 * then "equal jitter" (half fixed, half random) so a burst of failures does not retry in step.
 */
export function createBackoffStrategy(opts: BackoffOptions): (attemptsMade: number, type?: string, err?: Error) => number {
  const random = opts.random ?? Math.random;
  return (attemptsMade, _type, err) => {
    const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, Math.min(attemptsMade - 1, 30)));
    const delay = Math.round(exp / 2 + random() * (exp / 2));
    const floor = err instanceof RetryableError && err.retryAfterMs !== undefined ? err.retryAfterMs : 0;
    return Math.max(delay, floor);
  };
}
