// `aami tokens ...`: admin-only management of API tokens for people and portals.
import type { Command } from 'commander';
import type { TokenCreateResponse, TokensListResponse } from '@aami/shared';
import { clientFor, outputFormat } from '../context.ts';
import { UsageError } from '../errors.ts';
import { printJson, renderTable, terminalSafe as safe } from '../output.ts';

export function registerTokensCommands(program: Command): void {
  const tokens = program.command('tokens').description('API tokens (admin only)');
  tokens
    .command('create')
    .description('create a token; it is printed once')
    .requiredOption('--name <name>', 'who or what uses it')
    .option('--role <role>', 'viewer (read only) or admin', 'viewer')
    .action(async (opts: { name: string; role: string }, cmd: Command) => {
      if (opts.role !== 'viewer' && opts.role !== 'admin') throw new UsageError('--role must be viewer or admin');
      const res = await (await clientFor(cmd)).request<TokenCreateResponse>('POST', '/api/v1/tokens', { name: opts.name, role: opts.role });
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`${safe(`Created ${res.role} token "${res.name}" (id ${res.id}).`)} It is shown only now:\n\n  ${safe(res.token)}\n\n`);
    });
  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<TokensListResponse>('GET', '/api/v1/tokens');
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`${renderTable(['ID', 'Name', 'Role', 'Created'], res.tokens.map((t) => [t.id, t.name, t.role, t.created_at]))}\n`);
    });
  tokens
    .command('revoke')
    .description('revoke a token by id')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await (await clientFor(cmd)).request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      process.stdout.write(`Revoked token ${id}.\n`);
    });
}
