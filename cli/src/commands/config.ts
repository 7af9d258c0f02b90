// `aami config show`: the running config as the API sees it (secrets redacted).
import type { Command } from 'commander';
import YAML from 'yaml';
import type { ConfigResponse } from '@aami/shared';
import { clientFor, outputFormat } from '../context.ts';
import { printJson, terminalSafe } from '../output.ts';

export function registerConfigCommands(program: Command): Command {
  const config = program.command('config').description('show and change configuration');
  config
    .command('show')
    .description('print config.yaml as the API has it, secrets redacted')
    .action(async (_opts: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<ConfigResponse>('GET', '/api/v1/config');
      if (outputFormat(cmd) === 'json') return printJson(res);
      // YAML escapes C0 controls in strings but passes C1 and bidi controls through as they are.
      process.stdout.write(terminalSafe(YAML.stringify(res.config), { keepNewlines: true }));
    });
  return config;
}
