// config.yaml -> every generated file, in memory. Pure: no clock, no disk, no randomness, so the same
// config gives byte-identical files (the writer then skips an unchanged set and the reload with it).
import { createHash } from 'node:crypto';
import { EXPORTER_PORTS, type AamiConfig, type ErrorDetail, type ExporterName, effectiveRules, type EffectiveRule, type PresetCatalog } from '@aami/shared';
import { renderRuleFiles } from './rule-files.ts';
import { renderTargetFiles, type ExporterPorts } from './file-sd.ts';
import { renderPrometheusConfig, type BasicAuthFile, type SelfTarget } from './prometheus-config.ts';
import { renderAlertmanagerConfig, type AlertmanagerConfigOptions } from './alertmanager-config.ts';

/** Folders of the generated tree, one per program that mounts it. */
export const PROMETHEUS_DIR = 'prometheus';
export const ALERTMANAGER_DIR = 'alertmanager';
export const PROMETHEUS_CONFIG = `${PROMETHEUS_DIR}/prometheus.yml`;
export const ALERTMANAGER_CONFIG = `${ALERTMANAGER_DIR}/alertmanager.yml`;

/** What the compiler needs besides config.yaml: the deployment's addresses and the preset catalog. */
export interface CompileOptions extends AlertmanagerConfigOptions {
  catalog: PresetCatalog;
  alertmanagerUrl: string;
  /** Basic auth Prometheus presents to Alertmanager (a password file path, as Prometheus sees it). */
  alertmanagerBasicAuth?: BasicAuthFile;
  selfTargets: readonly SelfTarget[];
  exporterPorts?: ExporterPorts;
  /** What the install worker recorded as installed, per node (decides the dcgm-exporter targets). */
  installedExporters?: ReadonlyMap<string, readonly ExporterName[]>;
}

/** The generated files and what went into them. */
export interface CompileOutput {
  /** Path relative to the generated folder -> content, sorted by path. */
  files: Map<string, string>;
  rules: EffectiveRule[];
  warnings: ErrorDetail[];
  /** sha256 over every path and content: equal hashes mean identical output. */
  hash: string;
  summary: { nodes: number; rules: number; disabledRules: number; ruleFiles: number };
}

/** Compiles `config`. Throws ValidationError (from effectiveRules) when the alert config is wrong. */
export function compileConfig(config: AamiConfig, options: CompileOptions): CompileOutput {
  const ruleSet = effectiveRules(config, options.catalog);
  const ruleFiles = renderRuleFiles(ruleSet.rules);
  const targets = renderTargetFiles(config, options.exporterPorts ?? EXPORTER_PORTS, options.installedExporters);
  const prometheusYml = renderPrometheusConfig(config, {
    alertmanagerUrl: options.alertmanagerUrl,
    ...(options.alertmanagerBasicAuth ? { alertmanagerBasicAuth: options.alertmanagerBasicAuth } : {}),
    ruleFiles: [...ruleFiles.keys()],
    selfTargets: options.selfTargets,
  });
  const am = renderAlertmanagerConfig(config, options);

  const unsorted = new Map<string, string>();
  unsorted.set(PROMETHEUS_CONFIG, prometheusYml);
  for (const [p, text] of ruleFiles) unsorted.set(`${PROMETHEUS_DIR}/${p}`, text);
  for (const [p, text] of targets.files) unsorted.set(`${PROMETHEUS_DIR}/${p}`, text);
  unsorted.set(ALERTMANAGER_CONFIG, am.text);
  const files = new Map([...unsorted.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

  return {
    files,
    rules: ruleSet.rules,
    warnings: [...ruleSet.warnings, ...targets.warnings, ...am.warnings],
    hash: hashFiles(files),
    summary: {
      nodes: config.nodes.length,
      rules: ruleSet.rules.filter((r) => r.enabled).length,
      disabledRules: ruleSet.rules.filter((r) => !r.enabled).length,
      ruleFiles: ruleFiles.size,
    },
  };
}

/** sha256 of a file set, independent of insertion order. */
export function hashFiles(files: ReadonlyMap<string, string>): string {
  const h = createHash('sha256');
  for (const p of [...files.keys()].sort()) {
    h.update(p);
    h.update('\0');
    h.update(files.get(p)!);
    h.update('\0');
  }
  return h.digest('hex');
}
