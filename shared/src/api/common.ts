// Parts every answer of the gateway's API is built from: the config revision a write produced, what
// the write says about the compile it queued, and the `{path?, line?, message}` problem list.
import { z } from 'zod';
import { ErrorEnvelope } from '../http/json-errors.ts';

/** config.yaml's revision: counts writes; an answer carries the one it read or wrote (also as ETag). */
export const ConfigRevision = z.number().int().min(0);

/**
 * What each config write says about the compile it asked for: queued, or not queued and why (Redis
 * down). A write is never refused for it: the rule compiler catches up on its own.
 */
export const CompileQueueResult = z.discriminatedUnion('queued', [
  z.strictObject({ queued: z.literal(true) }),
  z.strictObject({ queued: z.literal(false), reason: z.string() }),
]);
export type CompileQueueResult = z.infer<typeof CompileQueueResult>;

/** One problem, naming a field (`path`) or a line: the error envelope's own detail, reused in answers. */
export const ProblemDetail = ErrorEnvelope.shape.error.shape.details.element;
export type ProblemDetail = z.infer<typeof ProblemDetail>;
