// The CLI is a thin client of the API. Where to find it: --url/--token, then AAMI_URL/AAMI_TOKEN,
// then ~/.config/aami/cli.yaml (written by `aami login`), then http://127.0.0.1:8080.
import { readFile, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import YAML from 'yaml';
import { ErrorEnvelope, formatErrorDetails, writeFileAtomic, type ErrorDetail } from '@aami/shared';
import { CliError } from './errors.ts';

export interface ClientSettings {
  url: string;
  token?: string;
}

/** ~/.config/aami/cli.yaml, or $XDG_CONFIG_HOME/aami/cli.yaml. */
export function cliConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'aami', 'cli.yaml');
}

export async function loadClientSettings(flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): Promise<ClientSettings> {
  let file: Partial<ClientSettings> = {};
  try {
    file = (YAML.parse(await readFile(cliConfigPath(env), 'utf8')) ?? {}) as Partial<ClientSettings>;
  } catch {
    // no saved login
  }
  const url = (flags.url ?? env.AAMI_URL ?? file.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const token = flags.token ?? env.AAMI_TOKEN ?? file.token;
  return token ? { url, token } : { url };
}

/** Saves URL and token for later commands, readable by the owner only. */
export async function saveClientSettings(settings: ClientSettings, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = cliConfigPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, YAML.stringify(settings), 0o600);
  return path;
}

/** A JSON API client that turns error answers into CliErrors with every detail listed. */
export class ApiClient {
  readonly settings: ClientSettings;
  constructor(settings: ClientSettings) {
    this.settings = settings;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.settings.token) headers.authorization = `Bearer ${this.settings.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.settings.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach the AAMI API at ${this.settings.url} (${cause}). Is it running? (make dev, or docker compose up -d)`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const envelope = ErrorEnvelope.safeParse(parsed);
      const e: { message?: string; details?: ErrorDetail[] } | undefined = envelope.success ? envelope.data.error : undefined;
      // Never only "HTTP nnn": without the envelope, say who answered and how it began.
      let message = e?.message ?? `the API at ${this.settings.url} answered ${method} ${path} with HTTP ${res.status} ${res.statusText} and no AAMI error${text ? `: ${text.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
      if (res.status === 401) message += this.settings.token ? ' (the token was refused)' : ' (no token: set AAMI_TOKEN or run "aami login --token ...")';
      const details = e?.details?.length ? `\n${formatErrorDetails(e.details)}` : '';
      throw new CliError(`${message}${details}`);
    }
    return parsed as T;
  }
}
