// How much the webhook takes in: a budget of alerts per window for the whole relay, and a cap on
// how often one alert (by fingerprint) may come back within the window. Every accepted alert
// becomes a job in Redis, which runs with noeviction and is shared with the install and compile
// queues, so without a cap one token holder posting distinct alerts in a loop fills Redis and
// stops the rest of AAMI too. Alertmanager retries a 429, so a refusal delays alerts, never drops
// them. The check is in memory, per relay process, and all-or-nothing per request: a refused
// request takes nothing from the budget, so its retry does not queue half a batch twice.
//
// The windows are fixed: the first request after a window ended opens the next one. Retry-After
// is then exact (the seconds until that window ends), at the price of letting up to twice the
// budget through around a window's edge, which is still a bounded rate.

/** Which cap refused a request: the relay's alerts per window, or one alert re-sent too often. */
export type IntakeCap = 'rate' | 'fingerprint';

/** The caps. A limit of 0 turns that cap off. */
export interface IntakeLimitOptions {
  /** Alerts the relay accepts per window, all requests together. */
  perWindow: number;
  /** Times one fingerprint is accepted per window. */
  perFingerprint: number;
  /** @defaultValue 60000 */
  windowMs?: number;
  /**
   * Fingerprints remembered per window. The budget already bounds this (each accepted alert adds
   * at most one) while perWindow is on; this bounds it when only the fingerprint cap is. Past it,
   * new fingerprints go uncounted until the window ends: the overall budget is what stops a flood
   * of distinct alerts, so the map never has to grow with one. @defaultValue 50000
   */
  maxFingerprints?: number;
}

/** A request let in; release() gives its share back when it could not be stored after all. */
export interface IntakeGranted {
  allowed: true;
  release(): void;
}

/** A request refused; nothing of it was counted. */
export interface IntakeRefused {
  allowed: false;
  cap: IntakeCap;
  /** The limit that was reached. */
  limit: number;
  /** Whole seconds until the current window ends (at least 1): the Retry-After value. */
  retryAfterS: number;
  /** A sentence for the caller saying which cap, its limit and when to retry. */
  message: string;
  /** True for the first refusal by this cap in this window (log once, not once per request). */
  firstInWindow: boolean;
}

export type IntakeDecision = IntakeGranted | IntakeRefused;

/** The limiter the webhook asks before it queues anything. */
export interface IntakeLimiter {
  /** Counts a request's alerts (their fingerprints, one per alert) if all of them fit, else counts nothing. */
  take(fingerprints: readonly string[], now: number): IntakeDecision;
  /** Fingerprints held for the current window (bounded by maxFingerprints). */
  readonly trackedFingerprints: number;
}

function windowWords(ms: number): string {
  return ms === 60_000 ? 'minute' : `${ms / 1000} s window`;
}

/** Creates a limiter; `now` passed to take() must be monotonic (performance.now()), so a clock step cannot hold a window open. */
export function createIntakeLimiter(opts: IntakeLimitOptions): IntakeLimiter {
  const windowMs = opts.windowMs ?? 60_000;
  const maxFingerprints = opts.maxFingerprints ?? 50_000;
  const per = windowWords(windowMs);
  let windowStart = -Infinity;
  let windowId = 0;
  let accepted = 0;
  let seen = new Map<string, number>();
  const refusedThisWindow = new Set<IntakeCap>();

  const roll = (now: number): void => {
    if (now >= windowStart && now < windowStart + windowMs) return;
    windowStart = now;
    windowId++;
    accepted = 0;
    seen = new Map(); // a new map rather than clear(), so a huge one's memory goes back too
    refusedThisWindow.clear();
  };

  const refuse = (cap: IntakeCap, limit: number, retryAfterS: number, message: string): IntakeRefused => {
    const firstInWindow = !refusedThisWindow.has(cap);
    refusedThisWindow.add(cap);
    return { allowed: false, cap, limit, retryAfterS, message, firstInWindow };
  };

  return {
    get trackedFingerprints() {
      return seen.size;
    },
    take(fingerprints, now) {
      roll(now);
      const retryAfterS = Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
      const n = fingerprints.length;
      if (opts.perWindow > 0 && accepted + n > opts.perWindow) {
        const message =
          n > opts.perWindow
            ? `this request holds ${n} alerts, more than the ${opts.perWindow} the relay accepts per ${per} (AAMI_RELAY_INTAKE_PER_MINUTE); raise that, or set max_alerts on Alertmanager's webhook receiver`
            : `too many alerts: the relay accepts ${opts.perWindow} per ${per} (AAMI_RELAY_INTAKE_PER_MINUTE) and has room for ${opts.perWindow - accepted} more in this ${per}, not ${n}; retry in ${retryAfterS} s`;
        return refuse('rate', opts.perWindow, retryAfterS, message);
      }
      const counted: Array<[string, number]> = [];
      if (opts.perFingerprint > 0) {
        const inRequest = new Map<string, number>();
        for (const fp of fingerprints) inRequest.set(fp, (inRequest.get(fp) ?? 0) + 1);
        for (const [fp, k] of inRequest) {
          const had = seen.get(fp) ?? 0;
          if (had + k > opts.perFingerprint) {
            return refuse('fingerprint', opts.perFingerprint, retryAfterS, `alert ${fp} was already accepted ${had} times in this ${per}; the relay takes one alert at most ${opts.perFingerprint} times per ${per} (AAMI_RELAY_INTAKE_PER_FINGERPRINT_PER_MINUTE); retry in ${retryAfterS} s`);
          }
        }
        // Only now, with the whole request known to fit, is anything counted.
        for (const [fp, k] of inRequest) {
          const had = seen.get(fp);
          if (had === undefined && seen.size >= maxFingerprints) continue;
          seen.set(fp, (had ?? 0) + k);
          counted.push([fp, k]);
        }
      }
      accepted += n;
      const granted = windowId;
      let released = false;
      return {
        allowed: true,
        release() {
          // Once only, and only within the window it was counted in (a later one starts from zero).
          if (released || granted !== windowId) return;
          released = true;
          accepted -= n;
          for (const [fp, k] of counted) {
            const left = (seen.get(fp) ?? 0) - k;
            if (left > 0) seen.set(fp, left);
            else seen.delete(fp);
          }
        },
      };
    },
  };
}
