// Checking and applying one rule override (`aami alerts set RULE --threshold 90 --for 10m ...`).
// The gateway calls validateOverride before it writes config.yaml, so a bad value is refused with a
// message naming the field and the running rules never see it; the compiler runs the same checks on
// whatever config.yaml holds.
import { z } from 'zod';
import { Duration, RuleOverride, Severity, type AamiConfig } from '../config/schema.ts';
import { NotFoundError, ValidationError, type ErrorDetail } from '../errors.ts';
import type { PresetCatalog } from './preset-catalog.ts';
import type { Threshold } from './preset-schema.ts';

/** What an override may change on a rule: its threshold only when the rule has one. */
export interface OverrideTarget {
  name: string;
  threshold?: Threshold;
}

/** Problems of `override` against `target`; paths are config.yaml paths. */
export function checkOverride(target: OverrideTarget, override: RuleOverride): ErrorDetail[] {
  const path = `alerts.overrides.${target.name}.threshold`;
  if (override.threshold === undefined) return [];
  const t = target.threshold;
  if (!t) return [{ path, message: `${target.name} has no threshold to set; only for, severity and disabled can be changed` }];
  const out: ErrorDetail[] = [];
  if (t.min !== undefined && override.threshold < t.min) out.push({ path, message: `threshold must be at least ${t.min} ${t.unit} (got ${override.threshold})` });
  if (t.max !== undefined && override.threshold > t.max) out.push({ path, message: `threshold must be at most ${t.max} ${t.unit} (got ${override.threshold})` });
  return out;
}

/** The rule an override may name: a preset rule (applied or not) or a custom rule of `config`. */
export function findOverrideTarget(catalog: PresetCatalog, config: Pick<AamiConfig, 'alerts'>, name: string): OverrideTarget | undefined {
  const preset = catalog.rules.get(name);
  if (preset) return { name, threshold: preset.rule.threshold };
  if (config.alerts.custom.some((c) => c.name === name)) return { name };
  return undefined;
}

// What arrives from the CLI or an HTTP body: numbers may come as text ("90"), booleans as "true".
const numberLike = z.union([
  z.number(),
  z.string().trim().regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, 'must be a number').transform(Number),
], { error: (issue) => `must be a number (got ${JSON.stringify(issue.input)})` }).pipe(z.number().finite('must be a finite number'));
const booleanLike = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], { error: (issue) => `must be true or false (got ${JSON.stringify(issue.input)})` });

const OverrideInput = z.strictObject({
  threshold: numberLike.optional(),
  for: z.string().pipe(Duration).optional(),
  severity: z.string().pipe(Severity).optional(),
  disabled: booleanLike.optional(),
});

/**
 * Validates an override of rule `ruleName` given as loose input (`{threshold: "hot"}` from the CLI)
 * and returns it typed. Throws NotFoundError for an unknown rule and ValidationError naming each bad
 * field, e.g. `alerts.overrides.GPUTemperatureCritical.threshold: must be a number (got "hot")`.
 */
export function validateOverride(catalog: PresetCatalog, config: Pick<AamiConfig, 'alerts'>, ruleName: string, input: unknown): RuleOverride {
  const target = findOverrideTarget(catalog, config, ruleName);
  if (!target) throw new NotFoundError(`no alert rule "${ruleName}": it is neither in a preset nor a custom rule`);
  const parsed = OverrideInput.safeParse(input);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({
      path: ['alerts', 'overrides', ruleName, ...i.path.map(String)].join('.'),
      message: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}: an override sets threshold, for, severity or disabled` : i.message,
    }));
    throw new ValidationError(`override of ${ruleName} is invalid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  const override: RuleOverride = {};
  for (const key of ['threshold', 'for', 'severity', 'disabled'] as const) {
    if (parsed.data[key] !== undefined) Object.assign(override, { [key]: parsed.data[key] });
  }
  const problems = checkOverride(target, override);
  if (problems.length > 0) throw new ValidationError(`override of ${ruleName} is invalid: ${problems.map((d) => `${d.path}: ${d.message}`).join('; ')}`, problems);
  return override;
}

/**
 * Merges a validated override into `config` in place (for ConfigStore.update). Fields of `patch` set to
 * `null` are removed ("reset to the preset's value"); an override left empty is dropped.
 */
export function applyOverride(config: AamiConfig, ruleName: string, patch: { [K in keyof RuleOverride]?: RuleOverride[K] | null }): void {
  const merged: Record<string, unknown> = { ...(config.alerts.overrides[ruleName] ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else if (v !== undefined) merged[k] = v;
  }
  if (Object.keys(merged).length === 0) delete config.alerts.overrides[ruleName];
  else config.alerts.overrides[ruleName] = merged as RuleOverride;
}
