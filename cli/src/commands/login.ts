// `aami login`: checks a URL + token against the API and saves them for later commands.
import type { Command } from 'commander';
import { ApiClient, saveClientSettings } from '../client.ts';
import { UsageError } from '../errors.ts';

export function registerLoginCommand(program: Command): void {
  program
    .command('login')
    .description('save the API address and token to ~/.config/aami/cli.yaml (after checking them)')
    .option('--url <url>', 'API gateway URL', process.env.AAMI_URL ?? 'http://127.0.0.1:8080')
    .option('--token <token>', 'API token (or set AAMI_TOKEN)')
    .action(async (opts: { url: string; token?: string }) => {
      const token = opts.token ?? process.env.AAMI_TOKEN;
      if (!token) throw new UsageError('give --token (or set AAMI_TOKEN)');
      const settings = { url: opts.url.replace(/\/+$/, ''), token };
      await new ApiClient(settings).request('GET', '/api/v1/config');
      const path = await saveClientSettings(settings);
      process.stdout.write(`Logged in to ${settings.url}; saved to ${path} (mode 600).\n`);
    });
}
