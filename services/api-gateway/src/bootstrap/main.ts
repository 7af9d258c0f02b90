// `aami-init`: makes the credentials of a fresh control node (bootstrap/credentials.ts), moves state
// an older release kept in the config volume to its writer's own place (bootstrap/move-state.ts),
// and exits. Compose runs it before every other service; `make dev` runs it before the processes.
// Reads AAMI_DATA_DIR (the secrets go to <data dir>/secrets), AAMI_GRAFANA_ADMIN_PASSWORD[_FILE],
// and the new places AAMI_KNOWN_HOSTS, AAMI_ARTIFACTS_DIR, AAMI_HEALTH_STATE_FILE.
// `--single-user` (make dev: one user runs every part, root or not): every file stays the
// caller's, mode 0600, instead of going to the images' users.
import { join } from 'node:path';
import { createLogger, loadSettings } from '@aami/shared';
import { AAMI_OWNER, ensureCredentials } from './credentials.ts';
import { moveState, stateMoves } from './move-state.ts';

const log = createLogger('aami-init');
try {
  const env = process.env;
  // Only the data folder: the password files the other settings name are what this run makes.
  const dataDir = loadSettings({ AAMI_DATA_DIR: env.AAMI_DATA_DIR }).AAMI_DATA_DIR;
  const secretsDir = join(dataDir, 'secrets');
  const chown = !process.argv.includes('--single-user') && process.getuid?.() === 0;
  moveState(stateMoves(dataDir, env), log, chown ? AAMI_OWNER : undefined);
  const result = await ensureCredentials({
    secretsDir, log, chown,
    ...(env.AAMI_GRAFANA_ADMIN_PASSWORD ? { grafanaAdminPassword: env.AAMI_GRAFANA_ADMIN_PASSWORD } : {}),
    ...(env.AAMI_GRAFANA_ADMIN_PASSWORD_FILE ? { grafanaAdminPasswordFile: env.AAMI_GRAFANA_ADMIN_PASSWORD_FILE } : {}),
  });
  if (result.grafanaAdminPassword) {
    // Printed once, to stdout only (like the first admin token); the file is Grafana's alone.
    process.stdout.write(`\nGrafana admin password (user admin; shown once, save it now):\n\n  ${result.grafanaAdminPassword}\n\n`);
  }
  log.info('credentials ready', { dir: secretsDir, created: result.created.length });
} catch (err) {
  log.error('cannot make the credentials', { error: err as Error });
  process.exit(1);
}
