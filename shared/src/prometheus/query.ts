// One instant query against Prometheus' HTTP API. Services that read Prometheus (the gateway's
// node view, the analyzer's health checks) use this, so errors read the same everywhere.
import type { HttpAuth } from '../settings.ts';

/** One series of an instant-vector answer. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * Runs `expr` as an instant query; a failed or non-vector answer throws, naming the expression.
 * `auth` is the basic-auth header of Prometheus' web.config.file (settings.prometheusAuth).
 */
export async function queryPrometheus(base: string, expr: string, timeoutMs = 5000, auth: HttpAuth = {}): Promise<PromSample[]> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const res = await fetch(url, { headers: auth, signal: AbortSignal.timeout(timeoutMs) });
  // A refusal answers plain text, not the API's JSON: say what to check instead of "query failed".
  if (res.status === 401) {
    await res.body?.cancel();
    throw new Error(`prometheus refused the credentials (HTTP 401): ${Object.keys(auth).length > 0 ? 'check AAMI_PROMETHEUS_PASSWORD_FILE' : 'it asks for a password; set AAMI_PROMETHEUS_PASSWORD_FILE'}`);
  }
  const body = (await res.json().catch(() => ({}))) as { status?: string; error?: string; data?: { resultType?: string; result?: PromSample[] } };
  if (body.status !== 'success' || !body.data || !Array.isArray(body.data.result)) {
    throw new Error(`prometheus query failed (HTTP ${res.status}${body.error ? `: ${body.error}` : ''}): ${expr}`);
  }
  return body.data.result;
}

/** One series of a range-query answer: its labels and its [Unix seconds, value] points, oldest first. */
export interface PromRangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** The grid of a range query: evaluated at `start`, `start + step`, ... up to `end` (Unix seconds). */
export interface PromRangeGrid {
  start: number;
  end: number;
  step: number;
}

/**
 * Runs `expr` over `grid` (Prometheus' /api/v1/query_range); a failed or non-matrix answer throws,
 * naming the expression, with the same words as queryPrometheus. For charts: Prometheus answers
 * one point per grid time at most, so the answer's size follows the grid, not the raw samples.
 */
export async function queryPrometheusRange(base: string, expr: string, grid: PromRangeGrid, timeoutMs = 10_000, auth: HttpAuth = {}): Promise<PromRangeSeries[]> {
  const params = new URLSearchParams({ query: expr, start: String(grid.start), end: String(grid.end), step: String(grid.step) });
  const url = `${base.replace(/\/+$/, '')}/api/v1/query_range?${params.toString()}`;
  const res = await fetch(url, { headers: auth, signal: AbortSignal.timeout(timeoutMs) });
  if (res.status === 401) {
    await res.body?.cancel();
    throw new Error(`prometheus refused the credentials (HTTP 401): ${Object.keys(auth).length > 0 ? 'check AAMI_PROMETHEUS_PASSWORD_FILE' : 'it asks for a password; set AAMI_PROMETHEUS_PASSWORD_FILE'}`);
  }
  const body = (await res.json().catch(() => ({}))) as { status?: string; error?: string; data?: { resultType?: string; result?: PromRangeSeries[] } };
  if (body.status !== 'success' || body.data?.resultType !== 'matrix' || !Array.isArray(body.data.result)) {
    throw new Error(`prometheus range query failed (HTTP ${res.status}${body.error ? `: ${body.error}` : ''}): ${expr}`);
  }
  return body.data.result;
}
