// The config store: every change to config.yaml goes through here. Writes are validated, atomic
// (temp file + fsync + rename + directory fsync), serialised across processes by a lock file on the
// same volume, and refused when based on a stale revision. `${VAR}` and `${secret:name}` references
// stay verbatim. No write leaves a secret in plain text: the Slack webhook URL and the SMTP password
// go to the secrets store beside the file (secrets.json) and config.yaml gets their reference.
// A file of an older format (its `version:`) is migrated as it is read (versions.ts); the first write
// of the migrated config keeps a copy of the old file beside it (config.yaml.format-N.bak). A file of
// a newer format is refused.
import { access, mkdir, readFile } from 'node:fs/promises';
import { dirname, basename } from 'node:path';
import YAML from 'yaml';
import { AamiConfig } from './schema.ts';
import { parseOrThrow } from './issues.ts';
import { CONFIG_FORMAT, migrateConfig, type ConfigMigration } from './versions.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { serialQueue, withFileLock } from './file-lock.ts';
import { secretRef } from './references.ts';
import { dropUnusedSecrets, literalSecretFields, moveLiteralSecrets } from './secret-fields.ts';
import { SecretStore, secretsPathFor } from './secrets.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';

export { writeFileAtomic } from './atomic-write.ts';

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

/** How a store is set up. */
export interface ConfigStoreOptions {
  /** Where stored secrets live. @defaultValue secrets.json beside the config file */
  secretsPath?: string;
  /** Says which secrets moved into the secrets store (names only). @defaultValue a "config-store" logger on stderr */
  logger?: Logger;
}

/** Parses YAML text into a validated config; errors name the line (syntax) or the path (schema). */
export function parseConfigText(text: string, source = 'config.yaml'): AamiConfig {
  return readConfigText(text, source).config;
}

/** parseConfigText, also saying what the migration from an older format did. */
function readConfigText(text: string, source: string): { config: AamiConfig; migration: ConfigMigration } {
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => ({ line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] ?? e.message }));
    throw new ValidationError(`${source} is not valid YAML`, details);
  }
  const raw: unknown = doc.toJS() ?? {};
  const migration = migrateConfig(raw, source);
  return { config: parseOrThrow(AamiConfig, raw, source), migration };
}

/** Renders a config the way the store writes it. */
export function renderConfigText(config: AamiConfig): string {
  return `# AAMI configuration. Written by AAMI's config store; hand edits are fine while AAMI is\n# stopped or if you bump nothing: the store refuses writes based on an older revision.\n${YAML.stringify(config, { lineWidth: 0 })}`;
}

/** The one way to read and change config.yaml. */
export class ConfigStore {
  readonly path: string;
  /** secrets.json: the values behind config.yaml's `${secret:name}` references. */
  readonly secrets: SecretStore;
  readonly #logger: Logger;
  readonly #serial = serialQueue();

  constructor(path: string, options: ConfigStoreOptions = {}) {
    this.path = path;
    this.secrets = new SecretStore(options.secretsPath ?? secretsPathFor(path));
    this.#logger = options.logger ?? createLogger('config-store');
  }

  /** Reads and validates the current file. */
  async read(): Promise<ConfigSnapshot> {
    const { config, revision } = await this.#read();
    return { config, revision };
  }

  /** read(), plus the file's text and what migrating it took (the next write makes it current). */
  async #read(): Promise<ConfigSnapshot & { text: string; migration: ConfigMigration }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(`no config at ${this.path}: run "aami init" first`);
      }
      throw err;
    }
    const { config, migration } = readConfigText(text, basename(this.path));
    return { config, revision: config.revision, text, migration };
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
    return this.#serial(() => withFileLock(this.path, async () => {
      if (!force && (await this.exists())) throw new ConflictError(`${this.path} already exists (use --force to overwrite)`);
      const config = parseOrThrow(AamiConfig, initial, 'config');
      config.revision = 1;
      await this.#write(config, undefined);
      return { config, revision: 1 };
    }));
  }

  /**
   * Applies `mutate` to the current config under the lock, validates the result and writes it with
   * revision + 1. Throws ConflictError on a stale expectedRevision, ValidationError on bad results.
   */
  async update(mutate: ConfigMutator, options: UpdateOptions = {}): Promise<ConfigSnapshot> {
    return this.#serial(() => withFileLock(this.path, async () => {
      const current = await this.#read();
      if (options.expectedRevision !== undefined && options.expectedRevision !== current.revision) {
        throw new ConflictError(
          `config changed elsewhere: you edited revision ${options.expectedRevision}, it is now at revision ${current.revision}; reload and try again`,
        );
      }
      const draft = structuredClone(current.config);
      const replaced = mutate(draft);
      const next = parseOrThrow(AamiConfig, replaced ?? draft, 'config');
      next.revision = current.revision + 1;
      if (current.migration.from < CONFIG_FORMAT) await this.#keepOldFormat(current.text, current.config, current.migration);
      await this.#write(next, current.config);
      return { config: next, revision: next.revision };
    }));
  }

  /**
   * Writes `next` (changed in place to hold references instead of secrets). Secrets are stored
   * before config.yaml is replaced, so a crash in between leaves the old file, never a reference to
   * a secret not yet stored; secrets nothing refers to any more are removed only after.
   * `before` is the config as it was read, to tell a migration from a new value.
   */
  async #write(next: AamiConfig, before: AamiConfig | undefined): Promise<void> {
    const inFileBefore = new Set(before ? literalSecretFields(before).map((f) => f.path) : []);
    const moved = literalSecretFields(next).length > 0 ? await this.secrets.update((values) => moveLiteralSecrets(next, values)) : [];
    await writeFileAtomic(this.path, renderConfigText(next));
    // The write has happened: a secrets file that cannot be tidied now must not turn it into an error.
    const dropped = await this.secrets.update((values) => dropUnusedSecrets(next, values)).catch((err: unknown) => {
      this.#logger.warn(`cannot remove unused values from ${basename(this.secrets.path)}; they stay until the next write`, { error: (err as Error).message });
      return [] as string[];
    });
    const describe = (fields: typeof moved) => fields.map((f) => `${f.path} -> ${secretRef(f.name)}`);
    const migrated = moved.filter((f) => inFileBefore.has(f.path));
    const stored = moved.filter((f) => !inFileBefore.has(f.path));
    if (migrated.length > 0) {
      this.#logger.warn(`${basename(this.path)} held secrets in plain text: moved them to ${basename(this.secrets.path)} (copies made before, in Git or a backup, still hold them)`, { moved: describe(migrated) });
    }
    if (stored.length > 0) this.#logger.info(`stored new values in ${basename(this.secrets.path)}`, { fields: describe(stored) });
    if (dropped.length > 0) this.#logger.info(`removed values no field refers to any more from ${basename(this.secrets.path)}`, { names: dropped });
  }

  /**
   * Before the first write of a migrated config: a copy of the file as it was, comments and all,
   * except that a secret it held in plain text (which this write moves into secrets.json) reads as
   * its reference there, so the copy is no second home for it; readable by its owner only. A copy
   * of that format made before is kept, not replaced. What the migration did goes to the log.
   */
  async #keepOldFormat(text: string, before: AamiConfig, migration: ConfigMigration): Promise<void> {
    const copy = `${this.path}.format-${migration.from}.bak`;
    const exists = await access(copy).then(() => true, () => false);
    if (!exists) {
      const doc = YAML.parseDocument(text);
      for (const f of literalSecretFields(before)) doc.setIn(f.path.split('.'), secretRef(f.name));
      await writeFileAtomic(copy, doc.toString({ lineWidth: 0 }), 0o600);
    }
    this.#logger.info(`${basename(this.path)} was format ${migration.from}: migrated to format ${CONFIG_FORMAT}; the old file is kept as ${basename(copy)}`, { changes: migration.notes });
  }
}
