// The format of presets/<name>.yaml: alert rules as data. A rule's expr is PromQL with optional
// `{{threshold}}` placeholders, so a person tunes a number in config.yaml instead of editing PromQL.
// Every rule says which dcgm-exporter fields it reads (`needs`), so a test can prove each one is in the
// counters file AAMI installs, and which labels the notification relay can route and enrich on.
import { z } from 'zod';
import { Duration, Severity } from '../config/schema.ts';
import { checkTemplate } from './annotation-template.ts';

/** Preset names: kebab-case, also the file name. */
export const PresetName = z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'preset names are kebab-case: lower-case letters, digits and "-"');

/** Rule names: PascalCase, the `alertname` Prometheus gives the alert. */
export const RuleName = z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'rule names are PascalCase: letters and digits, starting with a capital');

/** What part of the machine an alert is about; the relay routes and words its message by it. */
export const Component = z.enum([
  'thermal', 'power', 'memory', 'ecc', 'nvlink', 'pcie', 'xid', 'gpu',
  'node', 'cpu', 'disk', 'time', 'systemd', 'exporter', 'aami',
]);
export type Component = z.infer<typeof Component>;

/** A dcgm-exporter field name, as in a counters file (DCGM_FI_... or DCGM_EXP_...). */
export const DcgmField = z.string().regex(/^DCGM_(FI|EXP)_[A-Z0-9_]+$/, 'must be a dcgm-exporter field name such as DCGM_FI_DEV_GPU_TEMP');

/** The tunable number of a rule. */
export const Threshold = z.strictObject({
  default: z.number().finite(),
  unit: z.string().min(1),
  description: z.string().min(1),
  /** Inclusive bounds an override must respect (a percentage above 100 can never match). */
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
}).refine((t) => (t.min === undefined || t.default >= t.min) && (t.max === undefined || t.default <= t.max), 'default must lie within min..max');
export type Threshold = z.infer<typeof Threshold>;

const annotationText = z.string().min(1).superRefine((text, ctx) => {
  for (const message of checkTemplate(text)) ctx.addIssue({ code: 'custom', message });
});

export const PresetRule = z.strictObject({
  name: RuleName,
  expr: z.string().min(1),
  threshold: Threshold.optional(),
  for: Duration,
  severity: Severity,
  /** dcgm-exporter fields the expr reads. */
  needs: z.array(DcgmField).default([]),
  /** node_exporter collectors beyond its defaults (or needing a flag) that the expr depends on. */
  collectors: z.array(z.enum(['systemd', 'textfile'])).default([]),
  labels: z.strictObject({
    component: Component,
    /** Set when the rule is about one known Xid, so the relay can attach what that Xid means. */
    xid: z.string().regex(/^[0-9]+$/, 'xid is the Xid code as digits').optional(),
  }),
  annotations: z.strictObject({
    summary: annotationText,
    description: annotationText,
    /** What to do first: a short hint with the commands to run. */
    runbook: annotationText,
  }),
}).superRefine((rule, ctx) => {
  const placeholders: string[] = rule.expr.match(/\{\{[^}]*\}\}/g) ?? [];
  for (const p of placeholders) {
    if (p !== '{{threshold}}') ctx.addIssue({ code: 'custom', path: ['expr'], message: `unknown placeholder ${p}: only {{threshold}} is replaced` });
  }
  const usesThreshold = placeholders.includes('{{threshold}}');
  if (usesThreshold && !rule.threshold) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'expr uses {{threshold}} but the rule has no threshold' });
  if (!usesThreshold && rule.threshold) ctx.addIssue({ code: 'custom', path: ['expr'], message: 'the rule has a threshold but its expr never uses {{threshold}}' });
  // needs must be exactly the dcgm fields the expr reads: no more (a stale entry), no fewer.
  const read = new Set(rule.expr.match(/\bDCGM_(?:FI|EXP)_[A-Z0-9_]+\b/g) ?? []);
  for (const f of read) if (!rule.needs.includes(f)) ctx.addIssue({ code: 'custom', path: ['needs'], message: `expr reads ${f} but needs does not list it` });
  for (const f of rule.needs) if (!read.has(f)) ctx.addIssue({ code: 'custom', path: ['needs'], message: `needs lists ${f} but the expr never reads it` });
});
export type PresetRule = z.infer<typeof PresetRule>;

export const Preset = z.strictObject({
  name: PresetName,
  description: z.string().min(1),
  /** Presets whose rules this one also applies (gpu-production includes gpu-basic). */
  include: z.array(PresetName).default([]),
  rules: z.array(PresetRule).default([]),
}).superRefine((p, ctx) => {
  const seen = new Set<string>();
  p.rules.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `rule ${r.name} appears twice` });
    seen.add(r.name);
  });
  if (p.rules.length === 0 && p.include.length === 0) ctx.addIssue({ code: 'custom', path: ['rules'], message: 'a preset needs rules or an include' });
});
export type Preset = z.infer<typeof Preset>;
