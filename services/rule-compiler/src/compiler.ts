// One compile run, start to end: read config.yaml, compile, stage, check with promtool/amtool,
// swap in, reload, record the status. Any failure before the swap leaves the previous files live and
// is recorded with its reasons; the same input twice writes nothing and (once a reload has worked)
// reloads nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AamiConfig, ValidationError, parseOrThrow, type CompileStatus, type ConfigSnapshot, type CustomRule, type ErrorDetail, type ExporterName, type Logger, type PresetCatalog } from '@aami/shared';
import { compileConfig, PROMETHEUS_DIR, type CompileOptions, type CompileOutput } from './compile.ts';
import { TARGETS_DIR } from './file-sd.ts';
import { checkGeneratedTree, DEFAULT_TOOLS, type ToolPaths } from './validator.ts';
import { promtoolRuleProblems, validateCustomRule } from './custom-rules.ts';
import { GeneratedTree, type CommitResult } from './writer.ts';
import type { ReloadReport } from './reloader.ts';
import type { StatusStore } from './status.ts';
import type { CompilerMetrics } from './metrics.ts';

/** A reload a running program refused: the files are live on disk, the program still runs the old ones. */
export class ReloadFailedError extends Error {
  readonly report: ReloadReport;
  constructor(report: ReloadReport) {
    const parts = Object.entries(report).filter(([, r]) => !r.ok && !r.unreachable).map(([name, r]) => `${name}: ${r.error ?? `HTTP ${r.status}`}`);
    super(`files written, but the reload failed (${parts.join('; ')})`);
    this.name = this.constructor.name;
    this.report = report;
  }
}

/** The result of one successful run. */
export interface CompileOutcome {
  revision: number;
  hash: string;
  changed: boolean;
  reloaded: boolean;
  files: CommitResult;
  warnings: ErrorDetail[];
  summary: CompileOutput['summary'];
}

/** The result of checking a candidate config without applying it. */
export interface CandidateReport {
  valid: true;
  hash: string;
  summary: CompileOutput['summary'];
  warnings: ErrorDetail[];
  rules: Array<{ name: string; group: string; enabled: boolean; severity: string }>;
}

/** What a compiler needs; tests pass fakes for the config store, the reload and the clock. */
export interface CompilerDeps {
  readConfig: () => Promise<ConfigSnapshot>;
  catalog: () => Promise<PresetCatalog>;
  /** The install worker's record of what runs on each node (none: only `exporters:` settings count). */
  installedExporters?: () => Promise<ReadonlyMap<string, readonly ExporterName[]>>;
  tree: GeneratedTree;
  status: StatusStore;
  options: Omit<CompileOptions, 'catalog'>;
  tools?: ToolPaths;
  reload: () => Promise<ReloadReport>;
  log: Logger;
  metrics?: CompilerMetrics;
  now?: () => Date;
}

/** Compiles config.yaml into the generated folder. One run at a time (the worker's coalescer sees to it). */
export class Compiler {
  readonly #d: CompilerDeps;

  constructor(deps: CompilerDeps) {
    this.#d = deps;
  }

  /** The current status. */
  status(): CompileStatus {
    return this.#d.status.get();
  }

  /** Reads the config store and applies it. Throws ValidationError (bad config or refused files) or ReloadFailedError. */
  async run(): Promise<CompileOutcome> {
    const started = performance.now();
    const at = (this.#d.now ?? (() => new Date()))().toISOString();
    const tools = this.#d.tools ?? DEFAULT_TOOLS;
    const prev = this.#d.status.get();
    let revision: number | null = null;
    let warnings: ErrorDetail[] = [];
    const fail = async (err: unknown): Promise<never> => {
      const errors = err instanceof ValidationError ? (err.details.length > 0 ? err.details : [{ message: err.message }]) : [{ message: (err as Error).message }];
      await this.#d.status.set({
        ...prev,
        state: 'failed',
        lastAttempt: { at, revision, ok: false, durationMs: Math.round(performance.now() - started), changed: false, errors, warnings },
      });
      this.#d.metrics?.compiles.inc({ result: 'failed' });
      this.#d.log.warn('compile refused; the previous files stay live', { revision, errors });
      throw err;
    };

    let out: CompileOutput;
    try {
      const snap = await this.#d.readConfig();
      revision = snap.revision;
      out = compileConfig(snap.config, { ...this.#d.options, catalog: await this.#d.catalog(), installedExporters: await this.#d.installedExporters?.() });
      warnings = out.warnings;
    } catch (err) {
      return fail(err);
    }

    const lastReloadOk = prev.reload ? prev.reload.prometheus.ok && prev.reload.alertmanager.ok : false;
    if (await this.#d.tree.isCurrent(out.hash)) {
      const files = { written: 0, removed: 0, unchanged: out.files.size };
      // The programs already run these files unless the last reload did not take.
      if (lastReloadOk) return this.#succeed(prev, { at, started, revision: revision!, out, files, changed: false, reload: null });
      return this.#succeed(prev, { at, started, revision: revision!, out, files, changed: false, reload: await this.#d.reload() });
    }

    // A node added, removed or relabelled changes its target file and nothing else: write that one
    // file and stop. No promtool run (target files are JSON rendered from the schema-checked
    // config by one renderer, which every full compile and the tests check with promtool) and no
    // reload (file_sd reads target files by itself), so a node add costs the same at 10 or 10,000 nodes.
    const diff = await this.#d.tree.diff(out.files);
    const touched = diff ? [...diff.changed, ...diff.removed] : [];
    if (touched.length > 0 && touched.every(isTargetFile)) {
      const files = await this.#d.tree.applyTargets(out.files, diff!, out.hash);
      this.#d.log.info('only target files changed: written in place, no check or reload needed', { revision, written: files.written, removed: files.removed });
      return this.#succeed(prev, { at, started, revision: revision!, out, files, changed: true, reload: lastReloadOk ? null : await this.#d.reload() });
    }

    const staging = await this.#d.tree.stage(out.files, out.hash);
    let problems: ErrorDetail[];
    try {
      problems = await checkGeneratedTree(staging.dir, ruleFilesOf(out), tools);
      if (problems.length > 0) problems = await this.#locateCustomRuleProblems(out, problems, tools);
    } catch (err) {
      await this.#d.tree.discard(staging);
      return fail(err);
    }
    if (problems.length > 0) {
      await this.#d.tree.discard(staging);
      return fail(new ValidationError(`the generated files were refused by promtool/amtool; the previous files stay live: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems));
    }
    const files = await this.#d.tree.commit(staging);
    return this.#succeed(prev, { at, started, revision: revision!, out, files, changed: true, reload: await this.#d.reload() });
  }

  /**
   * Compiles and checks `candidate` (a whole config.yaml as an object) in a temporary folder, without
   * touching the live files. Throws ValidationError listing every problem.
   */
  async validateCandidate(candidate: unknown): Promise<CandidateReport> {
    const config = parseOrThrow(AamiConfig, candidate, 'config');
    const out = compileConfig(config, { ...this.#d.options, catalog: await this.#d.catalog(), installedExporters: await this.#d.installedExporters?.() });
    const tools = this.#d.tools ?? DEFAULT_TOOLS;
    const dir = await mkdtemp(join(tmpdir(), 'aami-validate-'));
    try {
      const tree = new GeneratedTree(dir);
      const staging = await tree.stage(out.files, out.hash);
      let problems = await checkGeneratedTree(staging.dir, ruleFilesOf(out), tools);
      if (problems.length > 0) problems = await this.#locateCustomRuleProblems(out, problems, tools);
      if (problems.length > 0) throw new ValidationError(`the candidate config would be refused: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return {
      valid: true,
      hash: out.hash,
      summary: out.summary,
      warnings: out.warnings,
      rules: out.rules.map((r) => ({ name: r.name, group: r.group, enabled: r.enabled, severity: r.severity })),
    };
  }

  /**
   * Checks one custom rule as loose input (shape, name, labels, and its PromQL and templates with
   * promtool) and returns it with defaults applied; throws ValidationError naming each bad field.
   * The gateway calls this through the API: promtool lives only in this service's image.
   */
  async checkCustomRule(input: unknown): Promise<CustomRule> {
    return validateCustomRule(await this.#d.catalog(), { alerts: { presets: [], overrides: {}, custom: [] } }, input, { tools: this.#d.tools ?? DEFAULT_TOOLS });
  }

  /** When custom rules exist, checks each alone so an error names `alerts.custom[i]` instead of a file. */
  async #locateCustomRuleProblems(out: CompileOutput, problems: ErrorDetail[], tools: ToolPaths): Promise<ErrorDetail[]> {
    const custom = out.rules.filter((r) => r.enabled && r.source.kind === 'custom');
    if (custom.length === 0) return problems;
    const located = (await Promise.all(custom.map((r) => promtoolRuleProblems(r, `alerts.custom[${r.source.kind === 'custom' ? r.source.index : 0}]`, tools)))).flat();
    if (located.length === 0) return problems;
    const others = problems.filter((p) => !/group "aami\.custom"/.test(p.message));
    return [...located, ...others];
  }

  async #succeed(prev: CompileStatus, r: { at: string; started: number; revision: number; out: CompileOutput; files: CommitResult; changed: boolean; reload: ReloadReport | null }): Promise<CompileOutcome> {
    // Only a running program that refused the files is a failure; one that is not running loads them at start.
    const reloadOk = r.reload === null || [r.reload.prometheus, r.reload.alertmanager].every((x) => x.ok || x.unreachable === true);
    const durationMs = Math.round(performance.now() - r.started);
    await this.#d.status.set({
      state: reloadOk ? 'ok' : 'reload_failed',
      lastAttempt: { at: r.at, revision: r.revision, ok: true, durationMs, changed: r.changed, errors: [], warnings: r.out.warnings },
      lastSuccess: { at: r.at, revision: r.revision, hash: r.out.hash, summary: r.out.summary, files: r.files },
      reload: r.reload ? { at: r.at, ...r.reload } : prev.reload,
    });
    const m = this.#d.metrics;
    if (m) {
      m.compiles.inc({ result: reloadOk ? 'ok' : 'reload_failed' });
      m.duration.observe(durationMs / 1000);
      m.lastSuccess.set(Date.parse(r.at) / 1000);
      m.rules.set(r.out.summary.rules);
      m.nodes.set(r.out.summary.nodes);
    }
    this.#d.log.info('compiled', { revision: r.revision, changed: r.changed, ...r.files, durationMs, reloaded: r.reload !== null });
    if (!reloadOk) throw new ReloadFailedError(r.reload!);
    return { revision: r.revision, hash: r.out.hash, changed: r.changed, reloaded: r.reload !== null, files: r.files, warnings: r.out.warnings, summary: r.out.summary };
  }
}

function ruleFilesOf(out: CompileOutput): string[] {
  return [...out.files.keys()].filter((p) => p.startsWith('prometheus/rules/')).map((p) => p.slice('prometheus/'.length));
}

/** A file_sd target file (prometheus/targets/nodes/<node>.json). */
function isTargetFile(path: string): boolean {
  return path.startsWith(`${PROMETHEUS_DIR}/${TARGETS_DIR}/`) && !path.slice(PROMETHEUS_DIR.length + TARGETS_DIR.length + 2).includes('/');
}
