// What the rule compiler's last compile did: its GET /api/v1/compile/status answer, which the
// gateway reads (and sums up at GET /api/v1/alerts/compile-status for the CLI and the Web UI).
import { z } from 'zod';

const Detail = z.object({ path: z.string().optional(), line: z.number().optional(), message: z.string() });
const Reload = z.object({ ok: z.boolean(), status: z.number().optional(), error: z.string().optional(), unreachable: z.boolean().optional() });
const Summary = z.object({ nodes: z.number(), rules: z.number(), disabledRules: z.number(), ruleFiles: z.number() });

/**
 * never: nothing compiled yet. ok: the live files match config.yaml at `lastSuccess.revision` and both
 * programs loaded them (or were not running, and will read them when they start: `reload` says
 * unreachable). failed: the last attempt was refused (errors say why) and the previous files stay
 * live. reload_failed: the files are written but a running Prometheus or Alertmanager refused them.
 */
export const CompileState = z.enum(['never', 'ok', 'failed', 'reload_failed']);

export const CompileStatus = z.object({
  state: CompileState,
  lastAttempt: z.object({
    at: z.string(),
    revision: z.number().nullable(),
    ok: z.boolean(),
    durationMs: z.number(),
    /** false when the output equalled the live files (nothing written, reload skipped if the last one worked). */
    changed: z.boolean(),
    errors: z.array(Detail),
    warnings: z.array(Detail),
  }).nullable(),
  lastSuccess: z.object({
    at: z.string(),
    revision: z.number(),
    hash: z.string(),
    summary: Summary,
    files: z.object({ written: z.number(), removed: z.number(), unchanged: z.number() }),
  }).nullable(),
  reload: z.object({ at: z.string(), prometheus: Reload, alertmanager: Reload }).nullable(),
});
export type CompileStatus = z.infer<typeof CompileStatus>;

/**
 * The gateway's GET /api/v1/alerts/compile-status: the compiler's status summed up. `unknown`
 * before the first compile; `failed` also when a running Prometheus or Alertmanager refused the
 * files (`error` says which). `detail` is the compiler's whole answer.
 */
export const AlertsCompileStatus = z.object({
  state: z.enum(['ok', 'failed', 'unknown']),
  revision: z.number().nullable(),
  compiled_at: z.string().nullable(),
  live_revision: z.number().nullable(),
  error: z.string().optional(),
  reloaded: z.object({ prometheus: z.boolean(), alertmanager: z.boolean() }),
  detail: CompileStatus,
});
export type AlertsCompileStatus = z.infer<typeof AlertsCompileStatus>;
