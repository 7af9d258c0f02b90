// The rules of config.yaml's `alerts` section: presets are applied and removed by name, a rule's
// override is checked against its preset (validateOverride) before it is saved and a null field puts
// the preset's value back, custom rules have unique names and are checked by the rule compiler
// first (promtool runs only in its image: the domain gets that check as a narrow `checkRule`), and
// every write must still resolve to a valid rule set (effectiveRules) or nothing is saved. Also the
// views of presets and rules the API answers. No HTTP here: answers are the shared contract's
// (shared/src/api/alerts.ts).
import {
  NotFoundError, ValidationError, applyOverride, effectiveRules, listPresets, validateOverride, type AamiConfig, type CustomRule,
  type CustomRuleAddResponse, type CustomRuleRemoveResponse, type EffectiveRule, type ExpressionCheckResponse, type PresetApplyResponse,
  type PresetCatalog, type PresetRemoveResponse, type PresetsListResponse, type RulePatchResponse, type RuleView, type RulesListResponse,
} from '@aami/shared';
import { writeAndCompile, type CompileRequester, type ConfigAccess } from './config-writes.ts';

/** What the alert rules need. */
export interface AlertsDeps {
  store: ConfigAccess;
  compile: CompileRequester;
  /** Loads the preset catalog; called once, on first use (loadPresetCatalog in the gateway). */
  catalog: () => Promise<PresetCatalog>;
  /**
   * One custom rule checked by the rule compiler (shape, name, promtool), with its defaults filled
   * in. A refused rule is a ValidationError naming each field; any other error means the check
   * could not be made.
   */
  checkRule: (rule: unknown) => Promise<CustomRule>;
}

/** Presets, rules and custom rules; each write takes the revision it is based on. */
export interface AlertsDomain {
  /** Every preset, each saying whether config.yaml applies it. */
  presets(): Promise<PresetsListResponse>;
  /** Applies a preset (again is no change); NotFoundError for a preset the catalog lacks. */
  applyPreset(name: string, expectedRevision: number | undefined): Promise<PresetApplyResponse>;
  /** Removes an applied preset; NotFoundError when it is not applied. */
  removePreset(name: string, expectedRevision: number | undefined): Promise<PresetRemoveResponse>;
  /** The rules config.yaml runs, as the API shows them, with the warnings of the rule set. */
  rules(): Promise<RulesListResponse>;
  /**
   * Changes a rule's override: threshold, for, severity or disabled; a field given as null is reset
   * to the preset's value. An empty change is a ValidationError, an unknown rule a NotFoundError.
   */
  patchRule(name: string, change: Record<string, unknown>, expectedRevision: number | undefined): Promise<RulePatchResponse>;
  /** Adds a custom rule once the rule compiler accepted it; a name already used is a ValidationError. */
  addCustomRule(input: unknown, expectedRevision: number | undefined): Promise<CustomRuleAddResponse>;
  /** Removes a custom rule; NotFoundError when there is none by that name. */
  removeCustomRule(name: string, expectedRevision: number | undefined): Promise<CustomRuleRemoveResponse>;
  /** Whether promtool accepts a PromQL expression (as the expression of a throwaway rule). */
  checkExpression(expr: string): Promise<ExpressionCheckResponse>;
}

/** "GPU temperature > {{threshold}} °C": the threshold's description, the comparison and the unit. */
export function conditionTemplate(catalog: PresetCatalog, rule: EffectiveRule): string | null {
  if (!rule.threshold) return null;
  const raw = catalog.rules.get(rule.name)?.rule.expr ?? '';
  const op = /(>=|<=|==|!=|>|<)\s*\{\{threshold\}\}/.exec(raw)?.[1] ?? '>';
  return `${rule.threshold.description} ${op} {{threshold}} ${rule.threshold.unit}`.trim();
}

/** One effective rule as the API shows it. */
export function ruleView(catalog: PresetCatalog, rule: EffectiveRule): RuleView {
  return {
    name: rule.name,
    preset: rule.source.kind === 'preset' ? rule.source.preset : 'custom',
    summary: rule.annotations.summary ?? '',
    severity: rule.severity,
    for: rule.for,
    enabled: rule.enabled,
    threshold: rule.threshold ? { value: rule.threshold.value, default: rule.threshold.default, unit: rule.threshold.unit, description: rule.threshold.description, min: rule.threshold.min, max: rule.threshold.max } : null,
    condition_template: conditionTemplate(catalog, rule),
    expr: rule.expr,
    labels: rule.labels,
    runbook: rule.annotations.runbook ?? '',
    needs: rule.needs,
    overridden: rule.overridden.length > 0,
    overridden_fields: rule.overridden,
  };
}

/** The alert rules on `deps`. */
export function alertsDomain(deps: AlertsDeps): AlertsDomain {
  const { store, checkRule } = deps;
  let catalogPromise: Promise<PresetCatalog> | undefined;
  const catalog = () => (catalogPromise ??= deps.catalog());
  const write = writeAndCompile(deps);

  /** writeAndCompile, refusing a change after which the config no longer resolves to valid rules. */
  const writeRules = async <T>(reason: string, change: (c: AamiConfig, cat: PresetCatalog) => T, expectedRevision: number | undefined) => {
    const cat = await catalog();
    const w = await write(reason, (c) => {
      const result = change(c, cat);
      effectiveRules(c, cat);
      return result;
    }, expectedRevision);
    return { ...w, cat };
  };

  return {
    async presets() {
      const [cat, { config, revision }] = await Promise.all([catalog(), store.read()]);
      return { revision, presets: listPresets(cat).map((p) => ({ ...p, applied: config.alerts.presets.includes(p.name) })) };
    },

    async applyPreset(name, expectedRevision) {
      const cat = await catalog();
      if (!cat.presets.has(name)) throw new NotFoundError(`no preset "${name}"; presets: ${[...cat.presets.keys()].sort().join(', ')}`);
      const w = await writeRules(`preset ${name} applied`, (c) => {
        if (!c.alerts.presets.includes(name)) c.alerts.presets.push(name);
      }, expectedRevision);
      const active = effectiveRules(w.config, cat).rules.filter((rule) => rule.enabled);
      return { revision: w.revision, presets: w.config.alerts.presets, active_rules: active.length, compile: w.compile };
    },

    async removePreset(name, expectedRevision) {
      const w = await writeRules(`preset ${name} removed`, (c) => {
        if (!c.alerts.presets.includes(name)) throw new NotFoundError(`preset "${name}" is not applied`);
        c.alerts.presets = c.alerts.presets.filter((p) => p !== name);
      }, expectedRevision);
      return { revision: w.revision, presets: w.config.alerts.presets, compile: w.compile };
    },

    async rules() {
      const [cat, { config, revision }] = await Promise.all([catalog(), store.read()]);
      const set = effectiveRules(config, cat);
      return { revision, rules: set.rules.map((rule) => ruleView(cat, rule)), warnings: set.warnings };
    },

    async patchRule(name, change, expectedRevision) {
      // null resets a field to the preset's value; everything else is validated as an override.
      const resets = Object.fromEntries(Object.entries(change).filter(([, v]) => v === null).map(([k]) => [k, null]));
      const sets = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== null));
      if (Object.keys(change).length === 0) throw new ValidationError('nothing to change: give threshold, for, severity or disabled', []);
      const w = await writeRules(`rule ${name} changed`, (c, cat) => {
        const override = validateOverride(cat, c, name, sets);
        applyOverride(c, name, { ...override, ...resets });
      }, expectedRevision);
      const rule = effectiveRules(w.config, w.cat).rules.find((x) => x.name === name);
      return { revision: w.revision, rule: rule ? ruleView(w.cat, rule) : null, compile: w.compile };
    },

    async addCustomRule(input, expectedRevision) {
      const rule = await checkRule(input);
      const w = await writeRules(`custom rule ${rule.name} added`, (c) => {
        if (c.alerts.custom.some((x) => x.name === rule.name)) throw new ValidationError(`a custom rule named ${rule.name} already exists`, [{ path: 'name', message: 'already exists' }]);
        c.alerts.custom.push(rule);
      }, expectedRevision);
      return { revision: w.revision, rule, compile: w.compile };
    },

    async removeCustomRule(name, expectedRevision) {
      const w = await writeRules(`custom rule ${name} removed`, (c) => {
        const i = c.alerts.custom.findIndex((x) => x.name === name);
        if (i < 0) throw new NotFoundError(`no custom rule named "${name}"`);
        c.alerts.custom.splice(i, 1);
      }, expectedRevision);
      return { revision: w.revision, removed: name, compile: w.compile };
    },

    async checkExpression(expr) {
      try {
        await checkRule({ name: 'AamiExpressionCheck', expr, summary: 'expression check' });
        return { valid: true };
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        return { valid: false, error: err.details.map((d) => d.message).join('; ') || err.message };
      }
    },
  };
}
