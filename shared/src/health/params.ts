// Parameters of the health routes, checked the same way by the gateway and the analyzer. Apart from
// schema.ts because it builds on config.yaml's schemas, which the browser bundle's types must not reach.
import { z } from 'zod';
import { parseOrThrow } from '../config/issues.ts';
import { NodeName } from '../config/schema.ts';
import { HealthClearRequest } from './schema.ts';

const GPU_INDEX = 'a GPU index, a whole number 0-63';

/** The `:node` path parameter and `?gpu=K` query of the health routes, as text from a URL. */
const HealthTarget = z.object({
  node: NodeName,
  gpu: z.string().regex(/^\d{1,2}$/, GPU_INDEX).transform(Number).pipe(z.number().max(63, GPU_INDEX)).optional(),
});

/** Checks a health route's node and GPU (the gateway and the analyzer both do, the same way). */
export function parseHealthTarget(node: unknown, gpu: unknown): { node: string; gpu?: number } {
  const t = parseOrThrow(HealthTarget, { node, gpu }, 'health request');
  return t.gpu === undefined ? { node: t.node } : { node: t.node, gpu: t.gpu };
}

/** Checks the body of POST /api/v1/health/:node/clear. */
export function parseHealthClear(body: unknown): HealthClearRequest {
  return parseOrThrow(HealthClearRequest, body ?? {}, 'clear request');
}

