// What every command gets: a lazily built API client and the output format.
import type { Command } from 'commander';
import { ApiClient, loadClientSettings } from './client.ts';
import { UsageError } from './errors.ts';
import type { OutputFormat } from './output.ts';

/** Builds the client from the global --url/--token options. */
export async function clientFor(cmd: Command): Promise<ApiClient> {
  const opts = cmd.optsWithGlobals<{ url?: string; token?: string }>();
  return new ApiClient(await loadClientSettings(opts));
}

/** Reads --output; anything but table/json is a usage error. */
export function outputFormat(cmd: Command): OutputFormat {
  const o = cmd.optsWithGlobals<{ output?: string }>().output ?? 'table';
  if (o !== 'table' && o !== 'json') throw new UsageError(`--output must be "table" or "json", not "${o}"`);
  return o;
}
