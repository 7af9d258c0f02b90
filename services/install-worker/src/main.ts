// Starts the install-worker: the BullMQ consumer of the `install` queue and its HTTP API (port
// AAMI_INSTALL_WORKER_PORT, default 8084), sharing one SSH executor, known-hosts store and
// artifact store. config.yaml's ssh settings (jump host, timeouts, concurrency, host_keys,
// known_hosts_path) are read per job and per connection through the NodeDirectory, so config written after start
// (compose may start this first) or edited later applies without a restart. Settings beyond the
// shared ones: src/settings.ts (a bad value stops the start, naming the variable).
import { arch } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { AAMI_VERSION, ConfigStore, createLogger, loadServiceTokenAtStart, QUEUES, redactRedisUrl, redisConnectionOptions, type InstallJob } from '@aami/shared';
import { createApp } from './app.ts';
import { NodeDoctor, wantedExporterVersions } from './doctor.ts';
import { ArtifactStore, normalizeArch } from './artifacts/store.ts';
import { seedFromSystem } from './artifacts/upstream.ts';
import { InstallService } from './install-service.ts';
import { loadNodeFiles } from './install/node-files.ts';
import { RedisRunStore } from './runs.ts';
import { liveSsh, NodeDirectory, type SshSettings } from './targets.ts';
import { startInstallWorker } from './worker.ts';
import { createInstalledRecorder } from './installed-exporters.ts';
import { loadInstallWorkerSettings, type InstallWorkerSettings } from './settings.ts';
import { createWorkerMetrics } from './metrics.ts';
import { scheduleTopologyRefresh, TopologyService } from './topology.ts';

const log = createLogger('install-worker');
let own: InstallWorkerSettings;
try {
  own = loadInstallWorkerSettings();
} catch (err) {
  log.error('bad settings', { error: err as Error });
  process.exit(2);
}
const settings = own.shared;

const store = new ConfigStore(settings.configPath);
const nodes = new NodeDirectory(store);
// Only for the "listening" line: what runs later reads the settings again.
let atStart: SshSettings | undefined;
try {
  atStart = await nodes.ssh();
} catch (err) {
  log.warn('config.yaml not readable yet; the SSH settings are read again for each job', { error: err as Error });
}

// Jump host, timeouts, fan-out limit, host-key policy and known-hosts path are read per session and use.
// A key pinned on first use (ssh.host_keys: tofu) is logged, so it can be checked later.
const { executor, knownHosts } = liveSsh(nodes, {
  dataDir: settings.AAMI_DATA_DIR,
  executor: {
    onHostKeyPinned: (target, key) => log.info(`pinned new host key ${key.fingerprint} for ${target.name ?? `${target.host}:${target.port}`}`, {
      node: target.name, host: target.host, port: target.port, type: key.type, fingerprint: key.fingerprint,
    }),
  },
});
const artifacts = new ArtifactStore(own.AAMI_ARTIFACTS_DIR ?? join(settings.AAMI_DATA_DIR, 'artifacts'));
if (own.AAMI_ARTIFACTS_SEED_SYSTEM === '1') {
  const seeded = await seedFromSystem(artifacts, normalizeArch(arch() === 'x64' ? 'amd64' : arch()));
  if (seeded) log.info('artifact store seeded from this machine', { name: seeded.name, version: seeded.version, source: seeded.source });
}

// BullMQ's Queue and Worker open their own connections from these options, so they must carry
// everything in the URL: the ACL user, the password, the db index and rediss:// TLS.
const connection = { ...redisConnectionOptions(settings.AAMI_REDIS_URL), maxRetriesPerRequest: null };
const redis = new Redis(connection);
redis.on('error', (err) => log.warn('redis error', { error: err }));
const runs = new RedisRunStore(redis);
const queue = new Queue<InstallJob>(QUEUES.install, { connection });
queue.on('error', (err) => log.warn('install queue error', { error: err }));
const installed = createInstalledRecorder(redis, log);
const topology = new TopologyService({ nodes, ssh: executor, dir: own.AAMI_TOPOLOGY_DIR ?? join(settings.AAMI_DATA_DIR, 'topology') });
const stopTopologySchedule = scheduleTopologyRefresh({ refresh: (n) => topology.refresh(n), names: () => nodes.names(), everyMs: own.AAMI_TOPOLOGY_REFRESH_HOURS * 3600_000, log });
// After a node's install or upgrade (its GPUs answered the install's checks) its topology is taken
// too, in the background: the install's own result does not wait for it.
const afterAction = {
  record: async (...[node, action, outcome]: Parameters<typeof installed.record>) => {
    await installed.record(node, action, outcome);
    if (outcome.ok && (action === 'install' || action === 'upgrade')) {
      void topology.refresh([node]).catch((err: unknown) => log.warn('could not take the topology of a node after its install', { node, error: err as Error }));
    }
  },
};

const worker = startInstallWorker({
  connection,
  runs,
  // Each job also sets BullMQ's jobs-at-once from ssh.concurrency, so a change applies to the next
  // jobs (the executor's own session limit follows it at once).
  nodes: {
    get: async (name) => {
      const target = await nodes.get(name);
      await nodes.ssh().then((s) => { if (s.concurrency) worker.concurrency = s.concurrency; }, () => {});
      return target;
    },
  },
  log,
  installed: afterAction,
  concurrency: atStart?.concurrency ?? 100,
  lockDurationMs: own.AAMI_INSTALL_LOCK_MS,
  stalledIntervalMs: own.AAMI_INSTALL_STALLED_MS,
  installer: {
    ssh: executor,
    store: artifacts,
    nodeFiles: () => loadNodeFiles(),
    // Read for each node, so a pin added through the gateway applies to the next install.
    pins: async () => (await store.read()).config.artifacts.pins,
    ports: { nodeExporter: own.AAMI_NODE_EXPORTER_PORT, dcgmExporter: own.AAMI_DCGM_EXPORTER_PORT },
    verifyWaitS: own.AAMI_INSTALL_VERIFY_WAIT_S,
  },
});

const service = new InstallService({
  queue, runs, nodes, ssh: executor, knownHosts,
  policy: { attempts: own.AAMI_INSTALL_ATTEMPTS, backoffMs: own.AAMI_INSTALL_BACKOFF_MS },
});
const registry = createWorkerMetrics({ judged: () => topology.judged(), defaults: true });
// aami doctor's node checks share the executor (its session limit) and the known-hosts store.
const doctor = new NodeDoctor({ nodes, ssh: executor, knownHosts, wanted: (a) => wantedExporterVersions(artifacts, a) });
const app = createApp({ service, topology, log, version: AAMI_VERSION, serviceToken: loadServiceTokenAtStart(log), registry, doctor });
const port = own.AAMI_INSTALL_WORKER_PORT;
const server = app.listen(port, settings.AAMI_BIND, () => {
  log.info('install-worker listening', { address: `${settings.AAMI_BIND}:${port}`, redis: redactRedisUrl(settings.AAMI_REDIS_URL), artifacts: artifacts.dir,
    // Read again per job and connection; this is what config said at start.
    sshAtStart: atStart
      ? { concurrency: atStart.concurrency, hostKeys: atStart.hostKeys, jumpHost: atStart.jumpHost ? `${atStart.jumpHost.username}@${atStart.jumpHost.host}:${atStart.jumpHost.port}` : 'none', knownHosts: process.env['AAMI_KNOWN_HOSTS'] ?? atStart.knownHostsPath ?? join(settings.AAMI_DATA_DIR, 'known_hosts') }
      : 'no config.yaml yet',
  });
});

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  log.info('shutting down');
  stopTopologySchedule();
  server.close();
  void (async () => {
    await worker.close().catch(() => {});
    await queue.close().catch(() => {});
    await installed.close().catch(() => {});
    await executor.close().catch(() => {});
    redis.disconnect();
    process.exit(0);
  })();
  setTimeout(() => process.exit(0), 10_000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
