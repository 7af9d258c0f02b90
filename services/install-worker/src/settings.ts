// The install worker's own settings, from the environment (the shared ones come from
// loadSettings). A bad value stops the start with an error that names the variable, instead of
// a NaN port or retry count. SSH settings live in config.yaml (ssh:), read per job; the known-hosts
// file (AAMI_KNOWN_HOSTS) and the key passphrase (AAMI_SSH_KEY_PASSPHRASE) are read where the SSH
// executor is made (src/targets.ts).
import { z } from 'zod';
import { envInt, loadSettings, parseOrThrow, type RuntimeSettings } from '@aami/shared';

const port = (fallback: number) => envInt(fallback, 1, 65535);

const InstallWorkerEnv = z.object({
  /** Its HTTP API (on AAMI_BIND); the gateway calls AAMI_INSTALL_WORKER_URL. */
  AAMI_INSTALL_WORKER_PORT: port(8084),
  /** The artifact store (default <data dir>/artifacts). */
  AAMI_ARTIFACTS_DIR: z.string().min(1).optional(),
  /** Where each node's GPU topology is kept (default <data dir>/topology). */
  AAMI_TOPOLOGY_DIR: z.string().min(1).optional(),
  /** Hours between two topology reads of every node (0: only on install and on request). */
  AAMI_TOPOLOGY_REFRESH_HOURS: envInt(24, 0, 24 * 30),
  /** "1": import this machine's Debian node_exporter when the store has none. */
  AAMI_ARTIFACTS_SEED_SYSTEM: z.enum(['0', '1']).default('0'),
  /** Job retries for transient failures, and the first backoff. */
  AAMI_INSTALL_ATTEMPTS: envInt(3, 1, 20),
  AAMI_INSTALL_BACKOFF_MS: envInt(2000, 0, 600_000),
  /** BullMQ's job lock and stalled-job check. */
  AAMI_INSTALL_LOCK_MS: envInt(30_000, 1000, 3_600_000),
  AAMI_INSTALL_STALLED_MS: envInt(30_000, 1000, 3_600_000),
  /** How long verify waits for the exporters to answer on the node. */
  AAMI_INSTALL_VERIFY_WAIT_S: envInt(20, 0, 600),
  /** Exporter ports on the nodes. */
  AAMI_NODE_EXPORTER_PORT: port(9100),
  AAMI_DCGM_EXPORTER_PORT: port(9400),
});
export type InstallWorkerSettings = z.infer<typeof InstallWorkerEnv> & { shared: RuntimeSettings };

/** Reads the settings; throws a ValidationError naming each bad variable. */
export function loadInstallWorkerSettings(env: NodeJS.ProcessEnv = process.env): InstallWorkerSettings {
  return { ...parseOrThrow(InstallWorkerEnv, env, 'environment'), shared: loadSettings(env) };
}
