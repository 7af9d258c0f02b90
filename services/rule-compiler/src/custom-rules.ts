// Checking a custom rule before it is saved (`aami alerts add` / POST on the gateway): the shape by
// config.yaml's schema, the name against the presets, and the PromQL and templates by promtool itself,
// so a rule that Prometheus would refuse never reaches config.yaml.
import { ConflictError, CustomRule, ValidationError, issuesToDetails, type AamiConfig, type ErrorDetail, effectiveRules, type EffectiveRule, type PresetCatalog } from '@aami/shared';
import { renderRuleFile } from './rule-files.ts';
import { checkRuleFileText, DEFAULT_TOOLS, failureDetails, type ToolPaths } from './validator.ts';

/** Options of validateCustomRule. */
export interface CustomRuleCheckOptions {
  tools?: ToolPaths;
  /** True when the rule replaces the custom rule of the same name (an edit), not a new one. */
  replace?: boolean;
}

/** promtool's findings on one rule, located at `path` (e.g. `alerts.custom[2]`). */
export async function promtoolRuleProblems(rule: EffectiveRule, path: string, tools: ToolPaths = DEFAULT_TOOLS): Promise<ErrorDetail[]> {
  const run = await checkRuleFileText(renderRuleFile('custom', [rule]), tools);
  return failureDetails(path, 'promtool', run).map((d) => ({
    path: /could not parse expression|expr/i.test(d.message) ? `${path}.expr` : /annotation "(\w+)"/.test(d.message) ? `${path}.${/annotation "(\w+)"/.exec(d.message)![1]}` : path,
    message: d.message.replace(/^promtool: /, '').replace(/^rules\.yml: (\d+:\d+: )?/, '').replace(/^group "[^"]*", rule \d+, "[^"]*": /, ''),
  }));
}

/**
 * Validates a custom rule given as loose input and returns it with defaults applied. Throws
 * ValidationError naming each bad field (`expr: ... parse error ...` from promtool), or ConflictError
 * when a custom rule of that name exists and `replace` is not set.
 */
export async function validateCustomRule(catalog: PresetCatalog, config: Pick<AamiConfig, 'alerts'>, input: unknown, options: CustomRuleCheckOptions = {}): Promise<CustomRule> {
  const parsed = CustomRule.safeParse(input);
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error.issues);
    throw new ValidationError(`custom rule is invalid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  const rule = parsed.data;
  const existing = config.alerts.custom.findIndex((c) => c.name === rule.name);
  if (existing >= 0 && !options.replace) throw new ConflictError(`a custom rule named ${rule.name} already exists (alerts.custom[${existing}])`);
  // Resolve it as the compiler will, in a config holding only this rule: name clashes with a preset
  // rule and reserved labels are found here, with the same messages.
  let resolved: EffectiveRule;
  try {
    const set = effectiveRules({ alerts: { presets: [], overrides: {}, custom: [rule] } }, catalog);
    resolved = set.rules[0]!;
  } catch (err) {
    if (err instanceof ValidationError) {
      const details = err.details.map((d) => ({ ...d, path: d.path?.replace(/^alerts\.custom\[0\]\.?/, '') || 'name' }));
      throw new ValidationError(`custom rule ${rule.name} is invalid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
    }
    throw err;
  }
  const problems = await promtoolRuleProblems(resolved, 'rule', options.tools);
  if (problems.length > 0) {
    const details = problems.map((d) => ({ ...d, path: d.path?.replace(/^rule\.?/, '') || 'expr' }));
    throw new ValidationError(`custom rule ${rule.name} is refused by promtool: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  return rule;
}
