// What the last compile did, as JSON: served at GET /api/v1/compile/status and written to
// status.json in the generated folder so the API gateway can read it even while the compiler is
// down. `state` says whether the running rules match config.yaml.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '@aami/shared';

/** Name of the status file in the generated folder. */
export const STATUS_FILE = 'status.json';

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

/** The status before the first compile. */
export function initialStatus(): CompileStatus {
  return { state: 'never', lastAttempt: null, lastSuccess: null, reload: null };
}

/** Reads status.json from a generated folder; `never` when there is none (for the gateway). */
export async function readCompileStatus(generatedDir: string): Promise<CompileStatus> {
  try {
    return CompileStatus.parse(JSON.parse(await readFile(join(generatedDir, STATUS_FILE), 'utf8')));
  } catch {
    return initialStatus();
  }
}

/** Holds the status in memory and mirrors every change to status.json. */
export class StatusStore {
  readonly path: string;
  #status: CompileStatus = initialStatus();

  constructor(generatedDir: string) {
    this.path = join(generatedDir, STATUS_FILE);
  }

  /** Loads the file a previous run left, so a restart keeps reporting the last outcome. */
  async load(): Promise<CompileStatus> {
    this.#status = await readCompileStatus(dirname(this.path));
    return this.get();
  }

  get(): CompileStatus {
    return structuredClone(this.#status);
  }

  async set(next: CompileStatus): Promise<void> {
    this.#status = CompileStatus.parse(next);
    await mkdir(dirname(this.path), { recursive: true });
    await writeFileAtomic(this.path, `${JSON.stringify(this.#status, null, 2)}\n`, 0o644);
  }
}
