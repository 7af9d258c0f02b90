// The alerts API's contract: the rule checks the rule compiler answers for the gateway (promtool
// runs only there), and what the gateway's /api/v1/alerts routes take and answer (presets, the
// effective rules, overrides, custom rules, expression checks, firing alerts). The compile status
// is in compile-status.ts.
import { z } from 'zod';
import { CustomRule, Severity } from '../config/schema.ts';
import { XidEntry } from '../xid/catalog-schema.ts';
import { CompileQueueResult, ConfigRevision, ProblemDetail } from './common.ts';

/** POST /api/v1/rules/check on the rule compiler: one custom rule as the caller gave it. */
export const RuleCheckRequest = z.strictObject({ rule: z.unknown() });

/** Its answer: the rule with defaults applied (a refused rule is a 400 naming each field). */
export const RuleCheckResult = z.strictObject({ rule: CustomRule });
export type RuleCheckResult = z.infer<typeof RuleCheckResult>;

/**
 * PATCH /api/v1/alerts/rules/:name: threshold, for, severity or disabled (checked as an override
 * by the gateway, so any key is taken here); null puts a field back to the preset's value.
 */
export const RulePatchRequest = z.record(z.string(), z.unknown());

/** POST /api/v1/alerts/validate: one PromQL expression for promtool. */
export const ExpressionCheckRequest = z.strictObject({ expr: z.string().min(1) });

/** A rule's tunable number as a preset defines it: the default, its unit and words, and bounds. */
const PresetThreshold = z.strictObject({
  default: z.number(),
  unit: z.string(),
  description: z.string(),
  min: z.number().optional(),
  max: z.number().optional(),
});

/** One rule of a preset as the preset list shows it (includes expanded). */
export const PresetRuleView = z.strictObject({
  name: z.string(),
  /** The preset that defines it (differs from the listed preset for included rules). */
  definedIn: z.string(),
  /** critical, warning or info. */
  severity: Severity,
  for: z.string(),
  component: z.string(),
  xid: z.string().optional(),
  threshold: PresetThreshold.optional(),
  /** The expr with the default threshold filled in. */
  expr: z.string(),
  summary: z.string(),
  needs: z.array(z.string()),
  collectors: z.array(z.string()),
});
export type PresetRuleView = z.infer<typeof PresetRuleView>;

/** One preset, with every rule it applies and whether config.yaml applies it. */
export const PresetView = z.strictObject({
  name: z.string(),
  description: z.string(),
  /** Presets whose rules this one also applies. */
  include: z.array(z.string()),
  rules: z.array(PresetRuleView),
  applied: z.boolean(),
});
export type PresetView = z.infer<typeof PresetView>;

/** GET /api/v1/alerts/presets */
export const PresetsListResponse = z.strictObject({ revision: ConfigRevision, presets: z.array(PresetView) });
export type PresetsListResponse = z.infer<typeof PresetsListResponse>;

/** POST /api/v1/alerts/presets/:name: the applied presets now and how many rules run. */
export const PresetApplyResponse = z.strictObject({
  revision: ConfigRevision,
  presets: z.array(z.string()),
  active_rules: z.number().int().min(0),
  compile: CompileQueueResult,
});
export type PresetApplyResponse = z.infer<typeof PresetApplyResponse>;

/** DELETE /api/v1/alerts/presets/:name: the presets still applied. */
export const PresetRemoveResponse = z.strictObject({ revision: ConfigRevision, presets: z.array(z.string()), compile: CompileQueueResult });
export type PresetRemoveResponse = z.infer<typeof PresetRemoveResponse>;

/** The fields of a rule an override may change. */
export const OverriddenField = z.enum(['threshold', 'for', 'severity', 'disabled']);
export type OverriddenField = z.infer<typeof OverriddenField>;

/** One rule that runs (preset + overrides, or custom), as the rules list shows it. */
export const RuleView = z.strictObject({
  name: z.string(),
  /** The preset it comes from, or "custom". */
  preset: z.string(),
  summary: z.string(),
  severity: Severity,
  for: z.string(),
  enabled: z.boolean(),
  /** The threshold in force (`value`) beside the preset's default; null for a rule without one. */
  threshold: PresetThreshold.extend({ value: z.number() }).nullable(),
  /** "GPU temperature > {{threshold}} °C": the condition in words, the number left as a placeholder. */
  condition_template: z.string().nullable(),
  /** The PromQL with the threshold in force filled in. */
  expr: z.string(),
  labels: z.record(z.string(), z.string()),
  runbook: z.string(),
  needs: z.array(z.string()),
  overridden: z.boolean(),
  /** Which fields differ from the preset. */
  overridden_fields: z.array(OverriddenField),
});
export type RuleView = z.infer<typeof RuleView>;

/** GET /api/v1/alerts/rules: every rule, and warnings about overrides that match no rule. */
export const RulesListResponse = z.strictObject({ revision: ConfigRevision, rules: z.array(RuleView), warnings: z.array(ProblemDetail) });
export type RulesListResponse = z.infer<typeof RulesListResponse>;

/** PATCH /api/v1/alerts/rules/:name: the rule as it runs now. */
export const RulePatchResponse = z.strictObject({ revision: ConfigRevision, rule: RuleView.nullable(), compile: CompileQueueResult });
export type RulePatchResponse = z.infer<typeof RulePatchResponse>;

/** POST /api/v1/alerts/custom (201): the rule as saved, with the rule compiler's defaults. */
export const CustomRuleAddResponse = z.strictObject({ revision: ConfigRevision, rule: CustomRule, compile: CompileQueueResult });
export type CustomRuleAddResponse = z.infer<typeof CustomRuleAddResponse>;

/** DELETE /api/v1/alerts/custom/:name */
export const CustomRuleRemoveResponse = z.strictObject({ revision: ConfigRevision, removed: z.string(), compile: CompileQueueResult });
export type CustomRuleRemoveResponse = z.infer<typeof CustomRuleRemoveResponse>;

/** POST /api/v1/alerts/validate: promtool took the expression, or its words on why not. */
export const ExpressionCheckResponse = z.discriminatedUnion('valid', [
  z.strictObject({ valid: z.literal(true) }),
  z.strictObject({ valid: z.literal(false), error: z.string() }),
]);
export type ExpressionCheckResponse = z.infer<typeof ExpressionCheckResponse>;

/** The Xid an alert is about, from the catalog: what it means and what to do. */
export const FiringXid = XidEntry.pick({ code: true, title: true, severity: true, meaning: true, causes: true, actions: true, if_repeats: true });
export type FiringXid = z.infer<typeof FiringXid>;

/** One alert Alertmanager holds now; `xid` where its labels or words name a catalogued Xid. */
export const FiringAlert = z.strictObject({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.string(),
  /** Alertmanager's state: active, suppressed or unprocessed. */
  state: z.string(),
  xid: FiringXid.optional(),
});
export type FiringAlert = z.infer<typeof FiringAlert>;

/** GET /api/v1/alerts/firing (503 when Alertmanager cannot be reached). */
export const FiringAlertsResponse = z.strictObject({ alerts: z.array(FiringAlert) });
export type FiringAlertsResponse = z.infer<typeof FiringAlertsResponse>;
