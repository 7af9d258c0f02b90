// What the last compile did (the CompileStatus schema of shared/src/api/compile-status.ts): served at
// GET /api/v1/compile/status (the gateway asks there) and kept in status.json in the generated
// folder, so a restarted compiler goes on reporting the last outcome.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CompileStatus, writeFileAtomic } from '@aami/shared';

/** Name of the status file in the generated folder. */
export const STATUS_FILE = 'status.json';

/** The status before the first compile. */
export function initialStatus(): CompileStatus {
  return { state: 'never', lastAttempt: null, lastSuccess: null, reload: null };
}

/** Reads status.json from a generated folder; `never` when there is none. */
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
