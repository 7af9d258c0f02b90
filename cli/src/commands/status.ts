// `aami status`: is every part of the stack up, which versions run, and which parts accept
// requests without any credential.
import type { Command } from 'commander';
import type { StatusResponse } from '@aami/shared';
import { clientFor, outputFormat } from '../context.ts';
import { printJson, renderTable, terminalSafe as safe } from '../output.ts';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('reachability and version of Prometheus, Alertmanager, Redis and each AAMI service')
    .action(async (_opts: unknown, cmd: Command) => {
      const s = await (await clientFor(cmd)).request<StatusResponse>('GET', '/api/v1/status');
      const down = s.components.filter((c) => !c.reachable);
      // Scripts and monitors get a non-zero exit when anything is unreachable, in every format.
      if (down.length > 0) process.exitCode = 1;
      if (outputFormat(cmd) === 'json') return printJson(s);
      process.stdout.write(`${safe(`Cluster ${s.cluster}: ${s.config.nodes} node(s), presets: ${s.config.presets.join(', ') || 'none'}, config revision ${s.config.revision}`)}\n`);
      const rows = s.components.map((c) => [c.name, c.reachable ? '✔ up' : '✖ unreachable', c.version ?? '-', c.reachable ? (c.credential ?? '! none') : '-', c.reachable ? c.url : (c.error ?? c.url)]);
      process.stdout.write(`${renderTable(['Component', 'State', 'Version', 'Credential', 'Address / problem'], rows)}\n`);
      if (down.length > 0) process.stdout.write(`${down.length} component(s) unreachable: ${safe(down.map((c) => c.name).join(', '))}\n`);
      const open = s.components.filter((c) => c.reachable && !c.credential);
      if (open.length > 0) process.stdout.write(`${open.length} component(s) answer anyone who reaches them, without a credential: ${safe(open.map((c) => c.name).join(', '))} (docs/production.md, "Security model")\n`);
    });
}
