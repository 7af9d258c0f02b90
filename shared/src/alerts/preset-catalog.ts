// Loads presets/*.yaml into one catalog and checks what a single file cannot: file name = preset
// name, includes that exist and do not loop, and rule names unique across every preset (an override
// in config.yaml names a rule, so a name must mean one rule).
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import YAML from 'yaml';
import { issuesToDetails } from '../config/issues.ts';
import { NotFoundError, ValidationError, type ErrorDetail } from '../errors.ts';
import { Preset, type PresetRule } from './preset-schema.ts';

/** Where the presets live in the repository (images copy them to AAMI_PRESETS_DIR). */
export const DEFAULT_PRESETS_DIR = fileURLToPath(new URL('../../../presets/', import.meta.url));

/** A rule and the preset that defines it. */
export interface CatalogRule {
  preset: string;
  rule: PresetRule;
}

/** Every preset and every rule, validated. */
export interface PresetCatalog {
  dir: string;
  presets: ReadonlyMap<string, Preset>;
  rules: ReadonlyMap<string, CatalogRule>;
}

/** One preset file's text. */
export interface PresetSource {
  file: string;
  text: string;
}

/** Builds a catalog from file texts; every problem in every file is reported at once. */
export function parsePresetCatalog(sources: readonly PresetSource[], dir = '<memory>'): PresetCatalog {
  const details: ErrorDetail[] = [];
  const presets = new Map<string, Preset>();
  for (const { file, text } of [...sources].sort((a, b) => a.file.localeCompare(b.file))) {
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) details.push({ path: file, line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] ?? e.message });
      continue;
    }
    const parsed = Preset.safeParse(doc.toJS());
    if (!parsed.success) {
      for (const d of issuesToDetails(parsed.error.issues)) details.push({ path: `${file}: ${d.path}`, message: d.message });
      continue;
    }
    const expected = file.replace(/\.ya?ml$/, '');
    if (parsed.data.name !== expected) details.push({ path: `${file}: name`, message: `preset "${parsed.data.name}" must live in ${parsed.data.name}.yaml` });
    presets.set(parsed.data.name, parsed.data);
  }
  const rules = new Map<string, CatalogRule>();
  for (const p of presets.values()) {
    for (const rule of p.rules) {
      const other = rules.get(rule.name);
      if (other) details.push({ path: `${p.name}.yaml: rules.${rule.name}`, message: `rule ${rule.name} is also defined in ${other.preset}.yaml; rule names must be unique across presets` });
      else rules.set(rule.name, { preset: p.name, rule });
    }
    for (const inc of p.include) {
      if (!presets.has(inc) && !sources.some((s) => s.file.replace(/\.ya?ml$/, '') === inc)) {
        details.push({ path: `${p.name}.yaml: include`, message: `includes unknown preset "${inc}"` });
      }
    }
  }
  for (const p of presets.values()) {
    const cycle = findCycle(presets, p.name, []);
    if (cycle) details.push({ path: `${p.name}.yaml: include`, message: `includes loop: ${cycle.join(' -> ')}` });
  }
  if (details.length > 0) throw new ValidationError(`presets in ${dir} are invalid`, details);
  return { dir, presets, rules };
}

function findCycle(presets: ReadonlyMap<string, Preset>, name: string, path: string[]): string[] | undefined {
  if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
  for (const inc of presets.get(name)?.include ?? []) {
    const c = findCycle(presets, inc, [...path, name]);
    if (c) return c;
  }
  return undefined;
}

/** Reads every `*.yaml` directly in `dir` (the tests/ folder beside them is not a preset). */
export async function loadPresetCatalog(dir: string = DEFAULT_PRESETS_DIR): Promise<PresetCatalog> {
  const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && /\.ya?ml$/.test(e.name)).map((e) => e.name);
  const sources = await Promise.all(files.map(async (file) => ({ file, text: await readFile(join(dir, file), 'utf8') })));
  return parsePresetCatalog(sources, dir);
}

/** The preset called `name`, or a 404 that lists the ones that exist. */
export function getPreset(catalog: PresetCatalog, name: string): Preset {
  const p = catalog.presets.get(name);
  if (!p) throw new NotFoundError(`no preset "${name}"; presets: ${[...catalog.presets.keys()].sort().join(', ')}`);
  return p;
}

/** Rule names a preset applies: its includes' rules first (in include order), then its own; no repeats. */
export function presetRuleNames(catalog: PresetCatalog, name: string): string[] {
  const out: string[] = [];
  const visit = (n: string) => {
    const p = getPreset(catalog, n);
    for (const inc of p.include) visit(inc);
    for (const r of p.rules) if (!out.includes(r.name)) out.push(r.name);
  };
  visit(name);
  return out;
}
