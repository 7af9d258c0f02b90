// Prometheus durations ("90s", "1h30m", "15d") as milliseconds, read the way Prometheus and
// Alertmanager read them: units from the largest to the smallest, each at most once. The schema's
// `Duration` pattern is looser (it takes "30m1h"), so code that needs the length of a duration, or
// must know that Prometheus will take it, asks here.

/** Milliseconds per unit, largest first: the order Prometheus insists on. */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/**
 * The length of `text` in milliseconds, or undefined when Prometheus would refuse it (no unit, an
 * unknown unit, units out of order or repeated). "0s" is 0.
 */
export function durationMs(text: string): number | undefined {
  const parts = [...text.matchAll(/([0-9]+)(ms|[ywdhms])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  let total = 0;
  let next = 0; // index in UNITS the next part may use, at the earliest
  for (const [, digits, unit] of parts) {
    const at = UNITS.findIndex(([u]) => u === unit);
    if (at < next) return undefined;
    next = at + 1;
    total += Number(digits) * (UNITS[at]?.[1] ?? 0);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}
