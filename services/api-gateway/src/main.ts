// Starts the API gateway: loads settings, makes sure an admin token exists (printing a new one
// once), and serves until SIGTERM/SIGINT.
import { join, dirname } from 'node:path';
import { AAMI_VERSION, ConfigStore, createLogger, loadServiceTokenAtStart, loadSettings } from '@aami/shared';
import { createApp } from './app.ts';
import { bootstrapAdminToken, TokenStore } from './auth/token-store.ts';
import { createCompileTrigger } from './compile-trigger.ts';

const log = createLogger('api-gateway');
const settings = loadSettings();
const store = new ConfigStore(settings.configPath);
const tokens = new TokenStore(join(dirname(settings.configPath), 'tokens.json'));
await tokens.load();
const boot = await bootstrapAdminToken(tokens);
// A revoked AAMI_ADMIN_TOKEN (or file) is not registered again; say so, so it gets cleaned up.
if (boot.warning) log.warn(boot.warning);
if (boot.source === 'generated') {
  // Printed once, to stdout only; only its hash is stored.
  process.stdout.write(`\nAAMI admin token (shown once, save it now):\n\n  ${boot.token}\n\nUse it with: export AAMI_TOKEN=<token>   or   aami login --token <token>\n\n`);
}
if (!(await store.exists())) {
  await store.create({});
  log.info('created a starter config', { path: settings.configPath });
}
const compile = createCompileTrigger(settings.AAMI_REDIS_URL, log);
const serviceToken = loadServiceTokenAtStart(log);
const app = createApp({ store, tokens, compile, settings, log, version: AAMI_VERSION, serviceToken });
const server = app.listen(settings.AAMI_API_PORT, settings.AAMI_BIND, () => {
  log.info('api-gateway listening', { address: `${settings.AAMI_BIND}:${settings.AAMI_API_PORT}`, config: settings.configPath });
});
const shutdown = () => {
  log.info('shutting down');
  server.close(() => { void compile.close().finally(() => process.exit(0)); });
  setTimeout(() => process.exit(0), 5000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
