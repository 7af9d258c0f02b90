// The secrets store: secrets.json beside config.yaml, a JSON object of {name: value}. config.yaml
// refers to a stored value as `${secret:name}`, so config.yaml holds no secret and can live in Git;
// secrets.json must not (back it up with the data folder instead). The file is written atomically
// with mode 0600, one writer at a time (a lock file covers other processes), and nothing here ever
// puts a value into an error message: errors name the file and the secret, never what it holds.
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ValidationError } from '../errors.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { serialQueue, withFileLock } from './file-lock.ts';
import { SECRET_NAME_PATTERN } from './references.ts';

/** The secrets file's name; it sits in the directory of config.yaml. */
export const SECRETS_FILE_NAME = 'secrets.json';

/** secrets.json for the config file at `configPath`. */
export function secretsPathFor(configPath: string): string {
  return join(dirname(configPath), SECRETS_FILE_NAME);
}

/** Stored secrets by name. Objects from this module have no prototype, so any name is just a key. */
export type SecretValues = Record<string, string>;

function emptyValues(): SecretValues {
  return Object.create(null) as SecretValues;
}

/** Parses the file's text; the messages never quote it (it is all secrets). */
function parseSecrets(text: string, path: string): SecretValues {
  const out = emptyValues();
  if (text.trim() === '') return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ValidationError(`${path} is not valid JSON`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError(`${path} must hold a JSON object of secret names to values`);
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw new ValidationError(`${path}: the secret "${name}" is not a string`);
    out[name] = value;
  }
  return out;
}

function checkName(name: string): void {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw new ValidationError(`"${name}" is not a valid secret name`, [{ path: 'name', message: 'letters, digits, "_", "." and "-", starting with a letter, digit or "_"' }]);
  }
}

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Reads and changes secrets.json. */
export class SecretStore {
  readonly path: string;
  readonly #serial = serialQueue();

  constructor(path: string) {
    this.path = path;
  }

  /** Every stored secret; a missing file is an empty store. */
  async read(): Promise<SecretValues> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (isMissing(err)) return emptyValues();
      throw err;
    }
    return parseSecrets(text, this.path);
  }

  /** The value stored as `name`, if any. */
  async get(name: string): Promise<string | undefined> {
    const values = await this.read();
    return Object.hasOwn(values, name) ? values[name] : undefined;
  }

  /** True when a value is stored as `name`. */
  async has(name: string): Promise<boolean> {
    return Object.hasOwn(await this.read(), name);
  }

  /** Stores `value` as `name`, replacing what was there. */
  async set(name: string, value: string): Promise<void> {
    checkName(name);
    if (typeof value !== 'string' || value === '') throw new ValidationError(`the secret "${name}" must not be empty`);
    await this.update((values) => { values[name] = value; });
  }

  /** Removes `name`; false when it was not stored. */
  async delete(name: string): Promise<boolean> {
    return this.update((values) => {
      if (!Object.hasOwn(values, name)) return false;
      delete values[name];
      return true;
    });
  }

  /**
   * Applies `change` to the stored secrets under the lock and writes the file only when something
   * changed (so a store nobody uses never creates an empty file). Returns what `change` returned.
   */
  async update<T>(change: (values: SecretValues) => T): Promise<T> {
    return this.#serial(() => withFileLock(this.path, async () => {
      const values = await this.read();
      const before = JSON.stringify(values);
      const result = change(values);
      const after = JSON.stringify(values);
      if (after !== before) await writeFileAtomic(this.path, `${JSON.stringify(values, null, 2)}\n`, 0o600);
      return result;
    }));
  }
}

/** What resolving `${secret:name}` finds: the value, or a sentence that says why there is none. */
export type SecretLookup = (name: string) => { value: string } | { missing: string };

/**
 * A lookup over secrets.json at `path`, read (synchronously, once) on the first lookup, so a config
 * without `${secret:...}` references never touches the file.
 */
export function secretLookupFromFile(path: string): SecretLookup {
  let loaded: { values: SecretValues } | { unreadable: string } | undefined;
  const load = (): { values: SecretValues } | { unreadable: string } => {
    try {
      return { values: parseSecrets(readFileSync(path, 'utf8'), path) };
    } catch (err) {
      if (isMissing(err)) return { values: emptyValues() };
      const code = (err as NodeJS.ErrnoException).code;
      return { unreadable: code ? `${path}: ${code}` : (err as Error).message };
    }
  };
  return (name) => {
    loaded ??= load();
    if ('unreadable' in loaded) return { missing: `secret "${name}" cannot be read (${loaded.unreadable})` };
    const value = Object.hasOwn(loaded.values, name) ? loaded.values[name] : undefined;
    if (value !== undefined) return { value };
    return { missing: `secret "${name}" is not stored in ${path}: set the value again (Web UI, API or aami config notifications)` };
  };
}

/**
 * A stamp that changes whenever secrets.json is replaced (each write renames a new file in place),
 * so a reader can tell that values behind unchanged references have changed without reading them.
 */
export function secretsFileStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (err) {
    return `none:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}
