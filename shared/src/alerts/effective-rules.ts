// The rules a config actually runs: the applied presets' rules (with includes), each with its
// overrides, then the custom rules. This is what `aami alerts list` shows and what the rule files are
// rendered from, so the list and the running rules cannot disagree.
import type { AamiConfig, Severity } from '../config/schema.ts';
import { ValidationError, type ErrorDetail } from '../errors.ts';
import { substituteThreshold } from './annotation-template.ts';
import { presetRuleNames, type PresetCatalog } from './preset-catalog.ts';
import { checkOverride } from './overrides.ts';

/** Where a rule comes from: a preset file or config.yaml's alerts.custom. */
export type RuleSource = { kind: 'preset'; preset: string } | { kind: 'custom'; index: number };

/** One rule as it will run (or would, when disabled). */
export interface EffectiveRule {
  name: string;
  source: RuleSource;
  /** The rule file and group it is written to: the defining preset's name, or "custom". */
  group: string;
  enabled: boolean;
  /** PromQL with the effective threshold filled in. */
  expr: string;
  for: string;
  severity: Severity;
  /** Alert labels: severity, component and (where it applies) xid, or a custom rule's labels. */
  labels: Record<string, string>;
  /** summary, description, runbook (custom rules: summary and description), threshold filled in. */
  annotations: Record<string, string>;
  threshold?: { value: number; default: number; unit: string; description: string; min?: number; max?: number };
  /** dcgm-exporter fields the rule reads. */
  needs: string[];
  /** Which fields an override changed. */
  overridden: Array<'threshold' | 'for' | 'severity' | 'disabled'>;
}

/** The rules and the non-fatal findings (an override for a preset that is not applied). */
export interface EffectiveRuleSet {
  rules: EffectiveRule[];
  warnings: ErrorDetail[];
}

const RESERVED_CUSTOM_LABELS = new Set(['severity', 'alertname']);

/**
 * Resolves presets + overrides + custom rules. Throws ValidationError listing every problem (unknown
 * preset, unknown rule in an override, a threshold on a rule without one, a custom rule whose name
 * a preset already uses) so a bad config.yaml is refused before anything is written.
 */
export function effectiveRules(config: Pick<AamiConfig, 'alerts'>, catalog: PresetCatalog): EffectiveRuleSet {
  const { presets, overrides, custom } = config.alerts;
  const errors: ErrorDetail[] = [];
  const warnings: ErrorDetail[] = [];
  const names: string[] = [];
  presets.forEach((p, i) => {
    if (!catalog.presets.has(p)) {
      errors.push({ path: `alerts.presets[${i}]`, message: `no preset "${p}"; presets: ${[...catalog.presets.keys()].sort().join(', ')}` });
      return;
    }
    for (const n of presetRuleNames(catalog, p)) if (!names.includes(n)) names.push(n);
  });

  const rules: EffectiveRule[] = [];
  for (const name of names) {
    const { preset, rule } = catalog.rules.get(name)!;
    const o = overrides[name] ?? {};
    errors.push(...checkOverride({ name, threshold: rule.threshold }, o));
    const value = o.threshold ?? rule.threshold?.default;
    const severity = o.severity ?? rule.severity;
    rules.push({
      name,
      source: { kind: 'preset', preset },
      group: preset,
      enabled: o.disabled !== true,
      expr: substituteThreshold(rule.expr.trim(), value),
      for: o.for ?? rule.for,
      severity,
      labels: { severity, component: rule.labels.component, ...(rule.labels.xid !== undefined ? { xid: rule.labels.xid } : {}) },
      annotations: {
        summary: substituteThreshold(rule.annotations.summary.trim(), value),
        description: substituteThreshold(rule.annotations.description.trim(), value),
        runbook: substituteThreshold(rule.annotations.runbook.trim(), value),
      },
      ...(rule.threshold && value !== undefined ? { threshold: { value, ...rule.threshold } } : {}),
      needs: [...rule.needs],
      overridden: overriddenFields(o),
    });
  }

  const customNames = new Map<string, number>();
  custom.forEach((c, index) => {
    const path = `alerts.custom[${index}]`;
    const clash = catalog.rules.get(c.name);
    if (clash) errors.push({ path: `${path}.name`, message: `"${c.name}" is a rule of preset ${clash.preset}; give the custom rule another name, or override the preset rule instead` });
    const dup = customNames.get(c.name);
    if (dup !== undefined) errors.push({ path: `${path}.name`, message: `duplicate custom rule name "${c.name}" (also alerts.custom[${dup}])` });
    customNames.set(c.name, index);
    for (const l of Object.keys(c.labels)) {
      if (RESERVED_CUSTOM_LABELS.has(l)) errors.push({ path: `${path}.labels.${l}`, message: `label "${l}" is set by AAMI (use the severity field)` });
    }
    const o = overrides[c.name] ?? {};
    errors.push(...checkOverride({ name: c.name }, o));
    const severity = o.severity ?? c.severity;
    rules.push({
      name: c.name,
      source: { kind: 'custom', index },
      group: 'custom',
      enabled: o.disabled !== true,
      expr: c.expr.trim(),
      for: o.for ?? c.for,
      severity,
      labels: { ...c.labels, severity },
      annotations: { summary: c.summary, ...(c.description ? { description: c.description } : {}) },
      needs: [...new Set(c.expr.match(/\bDCGM_(?:FI|EXP)_[A-Z0-9_]+\b/g) ?? [])].sort(),
      overridden: overriddenFields(o),
    });
  });

  for (const name of Object.keys(overrides).sort()) {
    if (names.includes(name) || customNames.has(name)) continue;
    const known = catalog.rules.get(name);
    if (known) warnings.push({ path: `alerts.overrides.${name}`, message: `has no effect: preset ${known.preset} (which defines ${name}) is not applied` });
    else errors.push({ path: `alerts.overrides.${name}`, message: `no alert rule "${name}" in any preset or in alerts.custom` });
  }

  if (errors.length > 0) throw new ValidationError(`alert rules are invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors);
  return { rules, warnings };
}

function overriddenFields(o: Record<string, unknown>): EffectiveRule['overridden'] {
  return (['threshold', 'for', 'severity', 'disabled'] as const).filter((k) => o[k] !== undefined);
}
