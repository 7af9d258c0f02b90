// Keys an older AAMI had in its schema for features it never built (federation, Slurm, links to
// other clusters, a Prometheus storage path nothing read). Its config store wrote their defaults
// into every config.yaml, and the schema now refuses unknown keys, so reading such a file goes
// through here first: a key that still holds what the old store wrote (or part of it) is dropped,
// and the next write leaves it out of the file. A key holding anything else was set by someone who
// expected it to do something; that file is refused, naming the key, instead of being quietly
// changed. Values are never put into messages (a cluster link could hold a token).
import { ValidationError, type ErrorDetail } from '../errors.ts';

/** One retired key: where it sits, and whether a value is what the old store wrote. */
interface RetiredKey {
  /** YAML path, as errors and logs name it. */
  path: string;
  /** Parent object's key, or undefined for a top-level key. */
  parent?: string;
  key: string;
  wasDefault(value: unknown): boolean;
  /** Why it is refused, after "<path> is not part of this release". */
  reason: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when `value` is an object whose every field holds the old default (an empty object too). */
const subsetOf = (defaults: Record<string, unknown>) => (value: unknown): boolean =>
  isPlainObject(value) && Object.entries(value).every(([k, v]) => Object.hasOwn(defaults, k) && defaults[k] === v);

const RETIRED: readonly RetiredKey[] = [
  {
    path: 'federation',
    key: 'federation',
    wasDefault: subsetOf({ enabled: false, shards: 1, mode: 'federate' }),
    reason: 'AAMI runs one Prometheus and never acted on this key',
  },
  {
    path: 'slurm',
    key: 'slurm',
    wasDefault: subsetOf({ enabled: false, drain_on_critical_xid: false }),
    reason: 'AAMI does not drain Slurm nodes and never acted on this key',
  },
  {
    path: 'clusters',
    key: 'clusters',
    wasDefault: (v) => Array.isArray(v) && v.length === 0,
    reason: 'AAMI does not link to other clusters and never acted on this key',
  },
  {
    path: 'prometheus.storage_path',
    parent: 'prometheus',
    key: 'storage_path',
    wasDefault: (v) => v === '/var/lib/aami/prometheus',
    reason: "Prometheus keeps its data where its start command says (in compose, the aami-prometheus volume); AAMI never read this key",
  },
];

/**
 * Removes from `raw` (the parsed YAML, changed in place) every retired key that holds its old
 * default, and returns their paths. Throws a ValidationError naming each retired key that holds
 * anything else; `raw` is then left as it was.
 */
export function dropRetiredKeys(raw: unknown, source = 'config.yaml'): string[] {
  if (!isPlainObject(raw)) return [];
  const found: Array<{ owner: Record<string, unknown>; key: RetiredKey }> = [];
  const refused: ErrorDetail[] = [];
  for (const key of RETIRED) {
    const owner = key.parent === undefined ? raw : raw[key.parent];
    if (!isPlainObject(owner) || !Object.hasOwn(owner, key.key)) continue;
    if (key.wasDefault(owner[key.key])) found.push({ owner, key });
    else refused.push({ path: key.path, message: `is not part of this release: ${key.reason}. Remove it from ${source} to go on` });
  }
  if (refused.length > 0) {
    throw new ValidationError(`${source} is invalid: ${refused.map((d) => `${d.path}: ${d.message}`).join('; ')}`, refused);
  }
  for (const { owner, key } of found) delete owner[key.key];
  return found.map((f) => f.key.path);
}
