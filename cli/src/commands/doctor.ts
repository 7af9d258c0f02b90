// `aami doctor`: checks the whole installation through GET /api/v1/doctor and prints one line per
// finding, worst first: `✖/!/✔ check: what — fix: command or doc`. Exit 0 when nothing is a
// warning or critical, 1 otherwise (in every output format), so a cron job or a monitor can run it.
import type { Command } from 'commander';
import { DOCTOR_SEVERITY_RANK, DoctorResponse, type DoctorFinding, type DoctorSeverity } from '@aami/shared';
import { clientFor, outputFormat } from '../context.ts';
import { CliError } from '../errors.ts';
import { printJson, terminalSafe as safe } from '../output.ts';

/** The mark of each severity, so a line reads without colour. */
export const SEVERITY_MARK: Readonly<Record<DoctorSeverity, string>> = { critical: '✖', warning: '!', ok: '✔' };

/** One finding as one line; everything the server sent is made terminal-safe. */
export function renderFinding(x: DoctorFinding): string {
  return `${SEVERITY_MARK[x.severity]} ${safe(x.check)}: ${safe(x.message)}${x.fix ? ` — fix: ${safe(x.fix)}` : ''}`;
}

/** Every finding, worst first (the server sorts too; a stable sort keeps its order within a severity), then a summary. */
export function renderDoctor(d: DoctorResponse): string {
  const lines = d.findings.map((x, i) => ({ x, i }))
    .sort((a, b) => DOCTOR_SEVERITY_RANK[b.x.severity] - DOCTOR_SEVERITY_RANK[a.x.severity] || a.i - b.i)
    .map(({ x }) => renderFinding(x));
  const { critical, warning, ok } = d.counts;
  const verdict = critical + warning === 0 ? 'Nothing to fix' : `To fix: ${critical} critical, ${warning} warning`;
  lines.push('', `${verdict}; ${ok} ok (${d.checks.length} checks, ${(d.duration_ms / 1000).toFixed(1)} s).`);
  return lines.join('\n');
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the whole installation and say what to fix: services, config, scrapes, disk, nodes (SSH), notifications, Redis')
    .action(async (_opts: unknown, cmd: Command) => {
      const raw = await (await clientFor(cmd)).request<DoctorResponse>('GET', '/api/v1/doctor');
      const parsed = DoctorResponse.safeParse(raw);
      if (!parsed.success) throw new CliError('the server\'s doctor answer is not what this CLI understands; is the CLI the same version as the server?');
      const d = parsed.data;
      if (d.counts.critical + d.counts.warning > 0) process.exitCode = 1;
      if (outputFormat(cmd) === 'json') return printJson(d);
      process.stdout.write(`${renderDoctor(d)}\n`);
    });
}
