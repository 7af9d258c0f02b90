// `${VAR}` and `${secret:name}` references: kept verbatim in config.yaml, expanded only in memory
// where a value is used.
import { ValidationError, type ErrorDetail } from '../errors.ts';
import { formatPath } from './issues.ts';
import { ANY_REF } from './references.ts';
import type { SecretLookup } from './secrets.ts';

/** Where references are resolved from. */
export interface ReferenceSources {
  /** `${VAR}` values. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** `${secret:name}` values; without it such references are left as written. */
  secrets?: SecretLookup;
}

/**
 * Returns a deep copy of `value` with every `${VAR}` replaced from `env` and every `${secret:name}`
 * from `secrets`, in one pass (a value that came from either is never expanded again). A reference
 * to an unset variable or an unknown secret is an error naming the config path and the variable or
 * secret, so nothing is sent with a blank secret.
 */
export function expandReferences<T>(value: T, sources: ReferenceSources = {}): T {
  const env = sources.env ?? process.env;
  const { secrets } = sources;
  const missing: ErrorDetail[] = [];
  const kinds = new Set<string>();
  const walk = (v: unknown, path: PropertyKey[]): unknown => {
    if (typeof v === 'string') {
      return v.replace(ANY_REF, (whole, secretName: string | undefined, varName: string | undefined) => {
        if (secretName !== undefined) {
          if (!secrets) return whole;
          const found = secrets(secretName);
          if ('value' in found) return found.value;
          missing.push({ path: formatPath(path), message: found.missing });
          kinds.add('unknown secrets');
          return '';
        }
        const got = env[varName as string];
        if (got === undefined) {
          missing.push({ path: formatPath(path), message: `environment variable ${varName} is not set` });
          kinds.add('unset environment variables');
          return '';
        }
        return got;
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    }
    return v;
  };
  const out = walk(value, []) as T;
  if (missing.length > 0) throw new ValidationError(`config refers to ${[...kinds].sort().join(' and ')}`, missing);
  return out;
}

/** `${VAR}` expansion alone (`${secret:name}` stays as written), as before stored secrets existed. */
export function expandEnv<T>(value: T, env: NodeJS.ProcessEnv = process.env): T {
  return expandReferences(value, { env });
}
