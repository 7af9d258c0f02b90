// Runtime settings every AAMI process reads from its environment, with defaults that work for a
// local `make dev` run. Containers set them in docker-compose.yml.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from './config/issues.ts';

/**
 * A whole-number environment variable with its default and bounds (`max` only when given), for
 * each service's own settings schema: a value out of bounds is an error naming the variable.
 */
export const envInt = (fallback: number, min = 0, max?: number) => {
  const n = z.coerce.number().int().min(min);
  return (max === undefined ? n : n.max(max)).default(fallback);
};

const Settings = z.object({
  AAMI_DATA_DIR: z.string().default('./data'),
  AAMI_CONFIG: z.string().optional(),
  AAMI_BIND: z.string().default('127.0.0.1'),
  AAMI_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Redis ACL user and a file holding its password; they go into the Redis URL. */
  AAMI_REDIS_USERNAME: z.string().min(1).optional(),
  AAMI_REDIS_PASSWORD_FILE: z.string().min(1).optional(),
  AAMI_PROMETHEUS_URL: z.string().default('http://127.0.0.1:9090'),
  /** Basic-auth user and password file for Prometheus' web.config.file (no file: no credentials). */
  AAMI_PROMETHEUS_USERNAME: z.string().min(1).default('aami'),
  AAMI_PROMETHEUS_PASSWORD_FILE: z.string().min(1).optional(),
  AAMI_ALERTMANAGER_URL: z.string().default('http://127.0.0.1:9093'),
  AAMI_ALERTMANAGER_USERNAME: z.string().min(1).default('aami'),
  AAMI_ALERTMANAGER_PASSWORD_FILE: z.string().min(1).optional(),
  AAMI_API_PORT: z.coerce.number().int().default(8080),
  AAMI_RELAY_URL: z.string().default('http://127.0.0.1:8081'),
  AAMI_ANALYZER_URL: z.string().default('http://127.0.0.1:8082'),
  AAMI_RULE_COMPILER_URL: z.string().default('http://127.0.0.1:8083'),
  AAMI_INSTALL_WORKER_URL: z.string().default('http://127.0.0.1:8084'),
  AAMI_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** Request headers that authenticate to Prometheus or Alertmanager ({} when they ask for none). */
export type HttpAuth = Record<string, string>;

/**
 * Settings after defaults, with the config path resolved, the Redis credentials folded into
 * AAMI_REDIS_URL, and the basic-auth headers for Prometheus and Alertmanager.
 */
export type RuntimeSettings = z.infer<typeof Settings> & { configPath: string; prometheusAuth: HttpAuth; alertmanagerAuth: HttpAuth };

function readSecretFile(variable: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!text) throw new Error(`${variable}: ${file} is empty`);
  return text;
}

/** The Redis URL with the user and password from the settings (any already in the URL are replaced). */
function redisUrlWithCredentials(s: z.infer<typeof Settings>): string {
  if (!s.AAMI_REDIS_PASSWORD_FILE && !s.AAMI_REDIS_USERNAME) return s.AAMI_REDIS_URL;
  let url: URL;
  try {
    url = new URL(s.AAMI_REDIS_URL);
  } catch {
    throw new Error(`AAMI_REDIS_URL is not a URL (redis://[user:password@]host:port[/db])`);
  }
  if (s.AAMI_REDIS_USERNAME) url.username = encodeURIComponent(s.AAMI_REDIS_USERNAME);
  if (s.AAMI_REDIS_PASSWORD_FILE) url.password = encodeURIComponent(readSecretFile('AAMI_REDIS_PASSWORD_FILE', s.AAMI_REDIS_PASSWORD_FILE));
  return url.toString();
}

function basicAuth(variable: string, username: string, file: string | undefined): HttpAuth {
  if (!file) return {};
  return { authorization: `Basic ${Buffer.from(`${username}:${readSecretFile(variable, file)}`).toString('base64')}` };
}

/** Reads settings from `env`; a bad value is an error naming the variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const s = parseOrThrow(Settings, env, 'environment');
  return {
    ...s,
    AAMI_REDIS_URL: redisUrlWithCredentials(s),
    configPath: s.AAMI_CONFIG ?? join(s.AAMI_DATA_DIR, 'config.yaml'),
    prometheusAuth: basicAuth('AAMI_PROMETHEUS_PASSWORD_FILE', s.AAMI_PROMETHEUS_USERNAME, s.AAMI_PROMETHEUS_PASSWORD_FILE),
    alertmanagerAuth: basicAuth('AAMI_ALERTMANAGER_PASSWORD_FILE', s.AAMI_ALERTMANAGER_USERNAME, s.AAMI_ALERTMANAGER_PASSWORD_FILE),
  };
}
