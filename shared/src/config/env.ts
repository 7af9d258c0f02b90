// `${VAR}` references: kept verbatim in config.yaml, expanded only in memory where a value is used.
import { ValidationError, type ErrorDetail } from '../errors.ts';
import { formatPath } from './issues.ts';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Returns a deep copy of `value` with every `${VAR}` replaced from `env`. A reference to an unset
 * variable is an error naming the config path and the variable, so nothing is sent with a blank secret.
 */
export function expandEnv<T>(value: T, env: NodeJS.ProcessEnv = process.env): T {
  const missing: ErrorDetail[] = [];
  const walk = (v: unknown, path: PropertyKey[]): unknown => {
    if (typeof v === 'string') {
      return v.replace(REF, (_m, name: string) => {
        const got = env[name];
        if (got === undefined) {
          missing.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
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
  if (missing.length > 0) throw new ValidationError('config refers to unset environment variables', missing);
  return out;
}
