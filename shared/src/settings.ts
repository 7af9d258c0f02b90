// Runtime settings every AAMI process reads from its environment, with defaults that work for a
// local `make dev` run. Containers set them in docker-compose.yml.
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from './config/issues.ts';

const Settings = z.object({
  AAMI_DATA_DIR: z.string().default('./data'),
  AAMI_CONFIG: z.string().optional(),
  AAMI_BIND: z.string().default('127.0.0.1'),
  AAMI_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  AAMI_PROMETHEUS_URL: z.string().default('http://127.0.0.1:9090'),
  AAMI_ALERTMANAGER_URL: z.string().default('http://127.0.0.1:9093'),
  AAMI_API_PORT: z.coerce.number().int().default(8080),
  AAMI_RELAY_URL: z.string().default('http://127.0.0.1:8081'),
  AAMI_ANALYZER_URL: z.string().default('http://127.0.0.1:8082'),
  AAMI_RULE_COMPILER_URL: z.string().default('http://127.0.0.1:8083'),
  AAMI_INSTALL_WORKER_URL: z.string().default('http://127.0.0.1:8084'),
  AAMI_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** Settings after defaults, with the config path resolved. */
export type RuntimeSettings = z.infer<typeof Settings> & { configPath: string };

/** Reads settings from `env`; a bad value is an error naming the variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const s = parseOrThrow(Settings, env, 'environment');
  return { ...s, configPath: s.AAMI_CONFIG ?? join(s.AAMI_DATA_DIR, 'config.yaml') };
}
