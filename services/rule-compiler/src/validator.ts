// Runs Prometheus' and Alertmanager's own checkers on generated files: `promtool check config`
// (which also reads every rule file and file_sd file it names), `promtool check rules` and
// `amtool check-config`. The programs that will load the files are the judges, not our guess.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError, type ErrorDetail } from '@aami/shared';
import { ALERTMANAGER_CONFIG, PROMETHEUS_CONFIG, PROMETHEUS_DIR } from './compile.ts';

/** Where the checkers are (AAMI_PROMTOOL / AAMI_AMTOOL; on PATH by default). */
export interface ToolPaths {
  promtool: string;
  amtool: string;
}

export const DEFAULT_TOOLS: ToolPaths = { promtool: 'promtool', amtool: 'amtool' };

/** The outcome of one checker run. */
export interface ToolRun {
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** The binary was not found: a deployment problem, not a verdict on the input. */
  missing?: boolean;
}

/** Runs `bin args` without a shell; a missing binary is a failed run that says so. */
export function runTool(bin: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(bin, [...args], { cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        resolve({ ok: false, code: null, stdout: '', stderr: `${bin} not found: install it or set its path (AAMI_PROMTOOL / AAMI_AMTOOL)`, missing: true });
        return;
      }
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ ok: !err, code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Throws UnavailableError (503) when the checker itself is not installed. */
export function requireTool(run: ToolRun): ToolRun {
  if (run.missing) throw new UnavailableError(`cannot check rules: ${run.stderr}`);
  return run;
}

/** One detail per message line of a failed run, located at `path`. */
export function failureDetails(path: string, tool: string, run: ToolRun): ErrorDetail[] {
  if (run.ok) return [];
  const lines = `${run.stderr}\n${run.stdout}`
    .split('\n')
    .map((l) => l.replace(/^\s*FAILED:\s*/, '').replace(/^Checking .*?\s+FAILED:\s*/, '').trim())
    .filter((l) => l !== '' && !/^WARNING:/.test(l) && !/^Checking /.test(l) && !/^SUCCESS/.test(l) && !/^(amtool|promtool): error: failed to validate/.test(l) && !/^Found:$|^- /.test(l));
  const unique = [...new Set(lines)];
  if (unique.length === 0) unique.push(`failed with exit code ${run.code}`);
  return unique.map((message) => ({ path, message: `${tool}: ${message}` }));
}

/**
 * Checks a generated tree (the staging folder): prometheus.yml with its rule and target files, each
 * rule file on its own, and alertmanager.yml. Returns every problem; empty means all three agree.
 * Throws UnavailableError when a checker is not installed.
 */
export async function checkGeneratedTree(dir: string, ruleFiles: readonly string[], tools: ToolPaths = DEFAULT_TOOLS): Promise<ErrorDetail[]> {
  const promDir = join(dir, PROMETHEUS_DIR);
  const [config, rules, am] = await Promise.all([
    runTool(tools.promtool, ['check', 'config', 'prometheus.yml'], { cwd: promDir }),
    ruleFiles.length > 0 ? runTool(tools.promtool, ['check', 'rules', ...ruleFiles], { cwd: promDir }) : Promise.resolve<ToolRun>({ ok: true, code: 0, stdout: '', stderr: '' }),
    runTool(tools.amtool, ['check-config', join(dir, ALERTMANAGER_CONFIG)]),
  ]);
  for (const r of [config, rules, am]) requireTool(r);
  const out = [
    ...failureDetails(PROMETHEUS_CONFIG, 'promtool check config', config),
    ...failureDetails(`${PROMETHEUS_DIR}/rules`, 'promtool check rules', rules),
    ...failureDetails(ALERTMANAGER_CONFIG, 'amtool check-config', am),
  ];
  // check config repeats the rule errors that check rules reports; say each once.
  const seen = new Set<string>();
  return out.filter((d) => {
    const key = d.message.replace(/^[^:]+:\s*/, '').replace(/^\s*/, '');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Checks one rule-file text with `promtool check rules` in a temp folder (UnavailableError without promtool). */
export async function checkRuleFileText(text: string, tools: ToolPaths = DEFAULT_TOOLS): Promise<ToolRun> {
  const dir = await mkdtemp(join(tmpdir(), 'aami-rule-check-'));
  try {
    await writeFile(join(dir, 'rules.yml'), text);
    return requireTool(await runTool(tools.promtool, ['check', 'rules', 'rules.yml'], { cwd: dir }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
