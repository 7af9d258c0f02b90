// Turns zod issues into errors that name the YAML path a person would look at: `nodes[3].ip`.
import type { z } from 'zod';
import { ValidationError, type ErrorDetail } from '../errors.ts';

/** `['nodes', 3, 'ip']` -> `nodes[3].ip` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(top level)';
}

/** One ErrorDetail per zod issue; unknown keys are named one by one. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: 'unknown key' });
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

/** Parses `data` with `schema` or throws a ValidationError that lists every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, data: unknown, what: string, prefix: readonly PropertyKey[] = []): z.infer<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const details = issuesToDetails(result.error.issues, prefix);
  throw new ValidationError(`${what} is invalid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}
