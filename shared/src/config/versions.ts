// The format of config.yaml, which its `version:` key names. Every change of the schema that an
// older file would not pass ships a migration here, from the format before it; a file without
// `version:` is format 1 (what AAMI wrote before the key existed). A file newer than this AAMI is
// refused, naming both formats, rather than read with keys this release would not understand. The
// store keeps a copy of an older file beside it when it first writes the migrated one.
import { ValidationError } from '../errors.ts';
import { dropRetiredKeys } from './retired-keys.ts';

/** The format this AAMI reads and writes. */
export const CONFIG_FORMAT = 2;

/** One step up: what a file of format `to - 1` needs to be read as format `to`. */
interface Migration {
  to: number;
  /** Changes `raw` in place; returns what it did, for the log (never values). */
  apply(raw: Record<string, unknown>, source: string): string[];
}

const MIGRATIONS: readonly Migration[] = [
  // Format 1 files may hold keys of features an older AAMI never built, at the defaults it wrote.
  { to: 2, apply: (raw, source) => dropRetiredKeys(raw, source).map((path) => `dropped ${path} (a feature that release did not have, at its old default)`) },
];

/** What reading a file took: its format as found, and the migrations' notes. */
export interface ConfigMigration {
  from: number;
  notes: string[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Brings `raw` (parsed YAML, changed in place) up to CONFIG_FORMAT. Throws a ValidationError for a
 * `version` that is not a whole number from 1, or one newer than this AAMI.
 */
export function migrateConfig(raw: unknown, source = 'config.yaml'): ConfigMigration {
  if (!isPlainObject(raw)) return { from: CONFIG_FORMAT, notes: [] }; // the schema says what is wrong
  const v = raw['version'];
  const from = v === undefined ? 1 : v;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) {
    throw new ValidationError(`${source}: version must be a whole number from 1 (the format of the file), not ${JSON.stringify(v)}`, [{ path: 'version', message: 'not a config format' }]);
  }
  if (from > CONFIG_FORMAT) {
    throw new ValidationError(
      `${source} is format ${from}, written by a newer AAMI; this AAMI reads formats up to ${CONFIG_FORMAT}. Upgrade AAMI to the release that wrote it, or restore config.yaml from a backup made before the upgrade`,
      [{ path: 'version', message: `format ${from} is newer than ${CONFIG_FORMAT}` }],
    );
  }
  const notes: string[] = [];
  for (const m of MIGRATIONS) {
    if (m.to <= from) continue;
    notes.push(...m.apply(raw, source));
    raw['version'] = m.to;
  }
  return { from, notes };
}
