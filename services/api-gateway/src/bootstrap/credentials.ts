// The credentials AAMI's parts present to each other, made once in the config volume's secrets/
// folder before anything else starts (compose's aami-init service, `make dev`). A file that exists
// is never replaced, so a restart keeps every credential; delete a file to rotate it. Each secret
// is readable only by what needs it: AAMI's services run as uid 1000, Prometheus and Alertmanager
// as nobody (65534), Grafana as 472. When run as root the files get those owners; otherwise (make
// dev: one user runs everything) they are simply the caller's, mode 0600. What other programs
// read to check a password (Redis' ACL file, the web.config.yml files) holds only hashes.
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { loadServiceToken, writeFileAtomic, type Logger } from '@aami/shared';

/** The user AAMI's services log in as, in Redis' ACL and in the web.config.yml files. */
export const AAMI_USER = 'aami';

/** Owners of the files when run as root (the images' users). */
const UID = { aami: 1000, nobody: 65534, grafana: 472 };
const GID_AAMI = 1000;
/** Owner of what AAMI's services write. */
export const AAMI_OWNER = { uid: UID.aami, gid: GID_AAMI };

/** File names under secrets/. */
export const CREDENTIAL_FILES = {
  serviceToken: 'service-token',
  relayToken: 'relay-token',
  redisPassword: 'redis-password',
  redisAcl: 'redis.acl',
  prometheusPassword: 'prometheus-password',
  prometheusWebConfig: 'prometheus-web.yml',
  alertmanagerPassword: 'alertmanager-password',
  alertmanagerWebConfig: 'alertmanager-web.yml',
  grafanaAdminPassword: 'grafana-admin-password',
  grafanaPrometheusPassword: 'grafana-prometheus-password',
  grafanaAlertmanagerPassword: 'grafana-alertmanager-password',
} as const;

export interface EnsureOptions {
  secretsDir: string;
  log: Logger;
  /** The operator's Grafana admin password (AAMI_GRAFANA_ADMIN_PASSWORD), if any. */
  grafanaAdminPassword?: string;
  /** The operator gives Grafana's password as a file of their own (AAMI_GRAFANA_ADMIN_PASSWORD_FILE). */
  grafanaAdminPasswordFile?: string;
  /** Give files to the images' users (default: when running as root). */
  chown?: boolean;
}

export interface EnsureResult {
  /** Names of the files made by this run. */
  created: string[];
  /** A Grafana admin password made by this run, to be shown once. */
  grafanaAdminPassword?: string;
}

// Hex: safe in URLs (redis://aami:<pw>@...), in shell healthchecks and in YAML without quoting.
const newPassword = () => randomBytes(24).toString('hex');

/** Makes the missing credentials; returns what it made. */
export async function ensureCredentials(o: EnsureOptions): Promise<EnsureResult> {
  const chown = o.chown ?? process.getuid?.() === 0;
  const created: string[] = [];
  // The folder stays AAMI's (the relay adds its token to it later) and open to list: the files
  // decide who reads what.
  mkdirSync(o.secretsDir, { recursive: true });
  if (chown) {
    chownSync(o.secretsDir, UID.aami, GID_AAMI);
    chmodSync(o.secretsDir, 0o755);
  }
  const path = (name: string) => join(o.secretsDir, name);
  // Owner-only unless another program must read it; group 1000 lets AAMI's services read what
  // Prometheus and Alertmanager own.
  const own = (name: string, uid: number, mode: number) => {
    if (chown) chownSync(path(name), uid, GID_AAMI);
    chmodSync(path(name), chown ? mode : 0o600);
  };
  const secret = async (name: string, make: () => string = newPassword): Promise<string> => {
    if (existsSync(path(name))) return readFileSync(path(name), 'utf8').trim();
    const value = make();
    await writeFileAtomic(path(name), `${value}\n`, 0o600);
    created.push(name);
    return value;
  };
  /** A file made from a secret (a hash, a copy): rewritten when the secret changed. Hashes are readable by all. */
  const derived = async (name: string, text: string, unchanged: (old: string) => boolean, mode = 0o644) => {
    if (existsSync(path(name)) && unchanged(readFileSync(path(name), 'utf8'))) return;
    await writeFileAtomic(path(name), text, mode);
    if (!created.includes(name)) created.push(name);
  };

  const token = loadServiceToken({ AAMI_SERVICE_TOKEN_FILE: path(CREDENTIAL_FILES.serviceToken) });
  if (token.source === 'created') created.push(CREDENTIAL_FILES.serviceToken);
  own(CREDENTIAL_FILES.serviceToken, UID.aami, 0o600);

  // What Alertmanager presents to the relay's webhook (Alertmanager reads it as nobody).
  await secret(CREDENTIAL_FILES.relayToken, () => randomBytes(32).toString('base64url'));
  own(CREDENTIAL_FILES.relayToken, UID.nobody, 0o440);

  // Redis: nobody can log in as the default user (off), AAMI's user has the password (its SHA-256
  // in the ACL file). The default user keeps its permissions all the same: Redis 7.0 replays the
  // append-only file as that user, and without them it drops every write a Lua script made (all of
  // BullMQ's) on each restart.
  const redis = await secret(CREDENTIAL_FILES.redisPassword);
  own(CREDENTIAL_FILES.redisPassword, UID.aami, 0o600);
  const acl = `user default off ~* &* +@all\nuser ${AAMI_USER} on #${createHash('sha256').update(redis).digest('hex')} ~* &* +@all\n`;
  await derived(CREDENTIAL_FILES.redisAcl, acl, (old) => old === acl);

  // Prometheus and Alertmanager: basic auth (bcrypt) in their web.config.yml; the password file
  // is read by AAMI's services, by Prometheus (to reach Alertmanager) and by the healthchecks.
  for (const [passwordFile, webConfig] of [
    [CREDENTIAL_FILES.prometheusPassword, CREDENTIAL_FILES.prometheusWebConfig],
    [CREDENTIAL_FILES.alertmanagerPassword, CREDENTIAL_FILES.alertmanagerWebConfig],
  ] as const) {
    const password = await secret(passwordFile);
    own(passwordFile, UID.nobody, 0o440);
    const text = `# Written by AAMI (aami-init): basic auth for AAMI's services. Delete ${passwordFile} to rotate.\nbasic_auth_users:\n  ${AAMI_USER}: ${bcrypt.hashSync(password, 10)}\n`;
    await derived(webConfig, text, (old) => {
      const hash = /^\s+aami:\s+(\S+)\s*$/m.exec(old)?.[1];
      return hash !== undefined && bcrypt.compareSync(password, hash);
    });
  }

  // Grafana reads its datasources' passwords from copies it owns.
  for (const [from, copy] of [
    [CREDENTIAL_FILES.prometheusPassword, CREDENTIAL_FILES.grafanaPrometheusPassword],
    [CREDENTIAL_FILES.alertmanagerPassword, CREDENTIAL_FILES.grafanaAlertmanagerPassword],
  ] as const) {
    const password = readFileSync(path(from), 'utf8').trim();
    await derived(copy, `${password}\n`, (old) => old.trim() === password, 0o600);
    own(copy, UID.grafana, 0o400);
  }

  // Grafana's admin password: the operator's, or one made here and shown once.
  let shown: string | undefined;
  if (!o.grafanaAdminPasswordFile) {
    const file = CREDENTIAL_FILES.grafanaAdminPassword;
    if (o.grafanaAdminPassword) {
      await writeFileAtomic(path(file), `${o.grafanaAdminPassword}\n`, 0o600);
    } else if (!existsSync(path(file))) {
      shown = await secret(file);
    }
    own(file, UID.grafana, 0o400);
  }

  for (const name of created) o.log.info('made a credential', { file: path(name) });
  return shown ? { created, grafanaAdminPassword: shown } : { created };
}
