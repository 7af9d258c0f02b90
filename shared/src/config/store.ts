// The config store: every change to config.yaml goes through here. Writes are validated, atomic
// (temp file + fsync + rename + directory fsync), serialised across processes by a lock file on the
// same volume, and refused when based on a stale revision. `${VAR}` references stay verbatim.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import lockfile from 'proper-lockfile';
import YAML from 'yaml';
import { AamiConfig } from './schema.ts';
import { parseOrThrow } from './issues.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';

/** A config as read at one revision. */
export interface ConfigSnapshot {
  config: AamiConfig;
  revision: number;
}

/** Options of one write. */
export interface UpdateOptions {
  /** Refuse the write (409) unless the file is still at this revision. */
  expectedRevision?: number;
}

/** A mutation: change `draft` in place or return a replacement. */
export type ConfigMutator = (draft: AamiConfig) => AamiConfig | void;

/** Parses YAML text into a validated config; errors name the line (syntax) or the path (schema). */
export function parseConfigText(text: string, source = 'config.yaml'): AamiConfig {
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => ({ line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] ?? e.message }));
    throw new ValidationError(`${source} is not valid YAML`, details);
  }
  const raw: unknown = doc.toJS() ?? {};
  return parseOrThrow(AamiConfig, raw, source);
}

/** Renders a config the way the store writes it. */
export function renderConfigText(config: AamiConfig): string {
  return `# AAMI configuration. Written by AAMI's config store; hand edits are fine while AAMI is\n# stopped or if you bump nothing: the store refuses writes based on an older revision.\n${YAML.stringify(config, { lineWidth: 0 })}`;
}

/** Writes `data` to `path` atomically: a reader sees the old file or the new one, never half. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o640): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** The one way to read and change config.yaml. */
export class ConfigStore {
  readonly path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  /** Reads and validates the current file. */
  async read(): Promise<ConfigSnapshot> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(`no config at ${this.path}: run "aami init" first`);
      }
      throw err;
    }
    const config = parseConfigText(text, basename(this.path));
    return { config, revision: config.revision };
  }

  /** True when the config file exists. */
  async exists(): Promise<boolean> {
    try {
      await readFile(this.path);
      return true;
    } catch {
      return false;
    }
  }

  /** Creates the file with `initial` unless it exists (or `force`). */
  async create(initial: unknown, force = false): Promise<ConfigSnapshot> {
    await mkdir(dirname(this.path), { recursive: true });
    return this.#serial(async () => {
      const release = await this.#lock();
      try {
        if (!force && (await this.exists())) throw new ConflictError(`${this.path} already exists (use --force to overwrite)`);
        const config = parseOrThrow(AamiConfig, initial, 'config');
        config.revision = 1;
        await writeFileAtomic(this.path, renderConfigText(config));
        return { config, revision: 1 };
      } finally {
        await release();
      }
    });
  }

  /**
   * Applies `mutate` to the current config under the lock, validates the result and writes it with
   * revision + 1. Throws ConflictError on a stale expectedRevision, ValidationError on bad results.
   */
  async update(mutate: ConfigMutator, options: UpdateOptions = {}): Promise<ConfigSnapshot> {
    return this.#serial(async () => {
      const release = await this.#lock();
      try {
        const current = await this.read();
        if (options.expectedRevision !== undefined && options.expectedRevision !== current.revision) {
          throw new ConflictError(
            `config changed elsewhere: you edited revision ${options.expectedRevision}, it is now at revision ${current.revision}; reload and try again`,
          );
        }
        const draft = structuredClone(current.config);
        const replaced = mutate(draft);
        const next = parseOrThrow(AamiConfig, replaced ?? draft, 'config');
        next.revision = current.revision + 1;
        await writeFileAtomic(this.path, renderConfigText(next));
        return { config: next, revision: next.revision };
      } finally {
        await release();
      }
    });
  }

  /** Runs one write at a time within this process (the lock file covers other processes). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #lock(): Promise<() => Promise<void>> {
    await mkdir(dirname(this.path), { recursive: true });
    return lockfile.lock(this.path, {
      realpath: false,
      lockfilePath: `${this.path}.lock`,
      stale: 15_000,
      update: 5_000,
      retries: { retries: 200, factor: 1.2, minTimeout: 5, maxTimeout: 100 },
    });
  }
}
