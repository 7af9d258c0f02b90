// One instant query against Prometheus' HTTP API. Services that read Prometheus (the gateway's
// node view, the analyzer's health checks) use this, so errors read the same everywhere.

/** One series of an instant-vector answer. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs `expr` as an instant query; a failed or non-vector answer throws, naming the expression. */
export async function queryPrometheus(base: string, expr: string, timeoutMs = 5000): Promise<PromSample[]> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json().catch(() => ({}))) as { status?: string; error?: string; data?: { resultType?: string; result?: PromSample[] } };
  if (body.status !== 'success' || !body.data || !Array.isArray(body.data.result)) {
    throw new Error(`prometheus query failed (HTTP ${res.status}${body.error ? `: ${body.error}` : ''}): ${expr}`);
  }
  return body.data.result;
}
