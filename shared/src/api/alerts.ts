// The alert-rule checks the rule compiler answers for the gateway (promtool runs only there).
import { z } from 'zod';
import { CustomRule } from '../config/schema.ts';

/** POST /api/v1/rules/check on the rule compiler: one custom rule as the caller gave it. */
export const RuleCheckRequest = z.strictObject({ rule: z.unknown() });

/** Its answer: the rule with defaults applied (a refused rule is a 400 naming each field). */
export const RuleCheckResult = z.strictObject({ rule: CustomRule });
export type RuleCheckResult = z.infer<typeof RuleCheckResult>;
