// Tells Prometheus and Alertmanager to re-read their files (POST /-/reload; Prometheus needs
// --web.enable-lifecycle). A refused reload is reported with the program's own message: it means
// the running program still has the old configuration. A program that does not answer is reported
// as unreachable: when it starts it reads the files anyway.

/** The outcome of one reload. */
export interface ReloadResult {
  ok: boolean;
  /** HTTP status, when there was an answer. */
  status?: number;
  error?: string;
  /**
   * Nothing answered: the program is not running (it reads the files when it starts) or cannot be
   * reached right now. Not a refusal; the next compile reloads again.
   */
  unreachable?: boolean;
}

/** Both programs' outcomes. */
export interface ReloadReport {
  prometheus: ReloadResult;
  alertmanager: ReloadResult;
}

/** POSTs `{baseUrl}/-/reload`; never throws. */
export async function reloadOne(baseUrl: string, timeoutMs = 10_000, fetchImpl: typeof fetch = fetch): Promise<ReloadResult> {
  try {
    const res = await fetchImpl(`${baseUrl.replace(/\/+$/, '')}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.text()).trim();
    if (res.ok) return { ok: true, status: res.status };
    return { ok: false, status: res.status, error: body.slice(0, 2000) || `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { ok: false, unreachable: true, error: `${baseUrl} unreachable: ${e.cause?.code ?? e.cause?.message ?? e.message}` };
  }
}

/** Reloads both, in parallel. */
export async function reloadAll(urls: { prometheus: string; alertmanager: string }, fetchImpl: typeof fetch = fetch): Promise<ReloadReport> {
  const [prometheus, alertmanager] = await Promise.all([reloadOne(urls.prometheus, undefined, fetchImpl), reloadOne(urls.alertmanager, undefined, fetchImpl)]);
  return { prometheus, alertmanager };
}
