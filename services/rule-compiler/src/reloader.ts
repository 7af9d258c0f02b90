// Tells Prometheus and Alertmanager to re-read their files (POST /-/reload; Prometheus needs
// --web.enable-lifecycle). A refused reload is reported with the program's own message: it means
// the running program still has the old configuration. A program that does not answer is reported
// as unreachable: when it starts it reads the files anyway. Both sit behind the basic auth of their
// web.config.file, so each reload carries that program's auth headers.
import type { HttpAuth } from '@aami/shared';

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

/** One program to reload: its base URL and the headers that authenticate to it (settings' *Auth). */
export interface ReloadTarget {
  url: string;
  headers?: HttpAuth;
}

export interface ReloadOptions {
  timeoutMs?: number;
  headers?: HttpAuth;
  /** The setting that names its password file, for the message when the program refuses the headers. */
  passwordSetting?: string;
  fetchImpl?: typeof fetch;
}

/** POSTs `{baseUrl}/-/reload`; never throws. */
export async function reloadOne(baseUrl: string, options: ReloadOptions = {}): Promise<ReloadResult> {
  const { timeoutMs = 10_000, headers = {}, passwordSetting = 'the password file setting', fetchImpl = fetch } = options;
  try {
    const res = await fetchImpl(`${baseUrl.replace(/\/+$/, '')}/-/reload`, { method: 'POST', headers, signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.text()).trim();
    if (res.ok) return { ok: true, status: res.status };
    // The program's own answer is a bare "Unauthorized": name what to check instead.
    if (res.status === 401) {
      const hint = Object.keys(headers).length > 0 ? `the password in ${passwordSetting} is not the one its web config holds` : `it asks for a password; set ${passwordSetting}`;
      return { ok: false, status: 401, error: `${baseUrl} refused the reload (HTTP 401): ${hint}` };
    }
    return { ok: false, status: res.status, error: body.slice(0, 2000) || `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { ok: false, unreachable: true, error: `${baseUrl} unreachable: ${e.cause?.code ?? e.cause?.message ?? e.message}` };
  }
}

/** Reloads both, in parallel. */
export async function reloadAll(targets: { prometheus: ReloadTarget; alertmanager: ReloadTarget }, fetchImpl: typeof fetch = fetch): Promise<ReloadReport> {
  const one = (t: ReloadTarget, passwordSetting: string) => reloadOne(t.url, { fetchImpl, passwordSetting, ...(t.headers ? { headers: t.headers } : {}) });
  const [prometheus, alertmanager] = await Promise.all([
    one(targets.prometheus, 'AAMI_PROMETHEUS_PASSWORD_FILE'),
    one(targets.alertmanager, 'AAMI_ALERTMANAGER_PASSWORD_FILE'),
  ]);
  return { prometheus, alertmanager };
}
