// The gateway's own state: GET /api/v1/status (is each part of the stack reachable, which version
// runs, what credential guards it) and the open /healthz and /readyz probes.
import { z } from 'zod';
import { ConfigRevision } from './common.ts';

/** One part of the stack, as the status probe found it. */
export const ComponentStatus = z.strictObject({
  name: z.string(),
  /** Where it was asked ("self" for the gateway; a Redis URL without its password). */
  url: z.string(),
  reachable: z.boolean(),
  version: z.string().nullable(),
  /** What a caller must present ('service token', 'password', ...); null when nothing is asked. */
  credential: z.string().nullable(),
  /** Why it could not be reached, or what it answered instead. */
  error: z.string().optional(),
});
export type ComponentStatus = z.infer<typeof ComponentStatus>;

/** GET /api/v1/status */
export const StatusResponse = z.strictObject({
  cluster: z.string(),
  config: z.strictObject({ revision: ConfigRevision, nodes: z.number().int().min(0), presets: z.array(z.string()) }),
  components: z.array(ComponentStatus),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

/** GET /healthz (open): the gateway runs. */
export const HealthzResponse = z.strictObject({ status: z.literal('ok'), version: z.string() });
export type HealthzResponse = z.infer<typeof HealthzResponse>;

/** GET /readyz (open): config.yaml is readable (a 503 with `reason` when not). */
export const ReadyzResponse = z.strictObject({ status: z.literal('ready'), revision: ConfigRevision });
export type ReadyzResponse = z.infer<typeof ReadyzResponse>;
