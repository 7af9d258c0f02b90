// What `aami alerts presets` and the Web UI show about the presets: each preset with every rule it
// applies (includes expanded), its default threshold and what it needs. Also renders the rule table
// of presets/README.md, so the documentation is generated from the data and cannot drift.
import type { Severity } from '../config/schema.ts';
import { substituteThreshold } from './annotation-template.ts';
import { presetRuleNames, type PresetCatalog } from './preset-catalog.ts';
import type { Threshold } from './preset-schema.ts';

/** One rule as a preset listing shows it. */
export interface PresetRuleSummary {
  name: string;
  /** The preset that defines it (differs from the listed preset for included rules). */
  definedIn: string;
  severity: Severity;
  for: string;
  component: string;
  xid?: string;
  threshold?: Threshold;
  /** The expr with the default threshold filled in. */
  expr: string;
  summary: string;
  needs: string[];
  collectors: string[];
}

/** One preset as listed. */
export interface PresetSummary {
  name: string;
  description: string;
  include: string[];
  rules: PresetRuleSummary[];
}

/** Every preset, sorted by name, each with all the rules it applies. */
export function listPresets(catalog: PresetCatalog): PresetSummary[] {
  return [...catalog.presets.keys()].sort().map((name) => {
    const p = catalog.presets.get(name)!;
    return {
      name,
      description: p.description.trim(),
      include: [...p.include],
      rules: presetRuleNames(catalog, name).map((ruleName) => {
        const { preset, rule } = catalog.rules.get(ruleName)!;
        return {
          name: rule.name,
          definedIn: preset,
          severity: rule.severity,
          for: rule.for,
          component: rule.labels.component,
          ...(rule.labels.xid !== undefined ? { xid: rule.labels.xid } : {}),
          ...(rule.threshold ? { threshold: rule.threshold } : {}),
          expr: substituteThreshold(rule.expr.trim(), rule.threshold?.default),
          summary: rule.annotations.summary.trim(),
          needs: [...rule.needs],
          collectors: [...rule.collectors],
        };
      }),
    };
  });
}

const cell = (s: string) => s.replace(/\s+/g, ' ').replaceAll('|', '\\|');

/**
 * The markdown table of every rule, in the order presets and rules are defined: preset, rule,
 * condition (expr at the default threshold, and for), severity, the dcgm fields it needs.
 * `extraFields` are the fields only AAMI's counters file turns on; they are marked with a star.
 */
export function renderRuleTable(catalog: PresetCatalog, extraFields: ReadonlySet<string> = new Set()): string {
  const rows = ['| preset | rule | condition | for | severity | needs |', '|---|---|---|---|---|---|'];
  for (const name of [...catalog.presets.keys()].sort()) {
    for (const rule of catalog.presets.get(name)!.rules) {
      const expr = substituteThreshold(rule.expr.trim(), rule.threshold?.default);
      const needs = [
        ...rule.needs.map((f) => (extraFields.has(f) ? `${f}\\*` : f)),
        ...rule.collectors.map((c) => `node_exporter ${c} collector`),
      ];
      rows.push(`| ${name} | ${rule.name} | \`${cell(expr)}\` | ${rule.for} | ${rule.severity} | ${needs.length > 0 ? needs.join(', ') : '-'} |`);
    }
  }
  return `${rows.join('\n')}\n`;
}
