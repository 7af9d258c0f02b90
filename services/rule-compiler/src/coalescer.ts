// Debounce for compile requests: a burst of config writes (adding 1,000 nodes one by one) gives one
// compile, not 1,000. Every request is answered by a run that started after it, so a caller that
// asked after writing revision N gets a result built from revision N or later. Runs never overlap.

/** Timers, injectable so tests need not wait. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
}

/** Options: wait `quietMs` after the last request, but no longer than `maxWaitMs` after the first. */
export interface CoalescerOptions {
  quietMs: number;
  maxWaitMs?: number;
  clock?: Clock;
}

/** Runs `task` once for each burst of requests. */
export class Coalescer<T> {
  readonly #task: () => Promise<T>;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #clock: Clock;
  #waiting: Waiter<T>[] = [];
  #timer: unknown;
  #burstStart = 0;
  #running = false;
  #runs = 0;

  constructor(task: () => Promise<T>, options: CoalescerOptions) {
    this.#task = task;
    this.#quietMs = options.quietMs;
    this.#maxWaitMs = options.maxWaitMs ?? Math.max(options.quietMs * 10, options.quietMs);
    this.#clock = options.clock ?? realClock;
  }

  /** How many times the task has started. */
  get runs(): number {
    return this.#runs;
  }

  /** Resolves (or rejects) with the outcome of a run that starts after this call. */
  request(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#waiting.length === 0) this.#burstStart = this.#clock.now();
      this.#waiting.push({ resolve, reject });
      if (!this.#running) this.#arm();
    });
  }

  #arm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    const left = Math.max(0, this.#burstStart + this.#maxWaitMs - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => { void this.#fire(); }, Math.min(this.#quietMs, left));
  }

  async #fire(): Promise<void> {
    this.#timer = undefined;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#running = true;
    this.#runs++;
    try {
      const v = await this.#task();
      for (const w of batch) w.resolve(v);
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.#running = false;
      // Requests that came in during the run get a run of their own.
      if (this.#waiting.length > 0) this.#arm();
    }
  }
}
