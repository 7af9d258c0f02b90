// Wires the real pieces of the rule compiler: config store, preset catalog, generated folder, status
// file, reload over HTTP, coalescer, BullMQ worker and the HTTP API. main.ts runs it; the
// integration test starts it the same way against real daemons.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AAMI_VERSION, ConfigStore, readInstalledExporters, redisConnectionOptions, type ExporterName, type Logger, loadPresetCatalog, type PresetCatalog } from '@aami/shared';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createApp } from './app.ts';
import { Coalescer } from './coalescer.ts';
import { Compiler, type CompileOutcome } from './compiler.ts';
import { createMetrics } from './metrics.ts';
import { startReconciler, type Reconciler } from './reconciler.ts';
import { reloadAll } from './reloader.ts';
import { StatusStore } from './status.ts';
import { createCompileWorker, type CompileJobResult } from './worker.ts';
import { GeneratedTree } from './writer.ts';
import type { RuleCompilerSettings } from './settings.ts';
import type { CompileJob } from '@aami/shared';

/** A running rule compiler. */
export interface RuleCompilerService {
  compiler: Compiler;
  coalescer: Coalescer<CompileOutcome>;
  reconciler: Reconciler;
  /** Base URL of its HTTP API once listening. */
  url: string;
  worker?: Worker<CompileJob, CompileJobResult>;
  close(): Promise<void>;
}

export interface StartOptions {
  log: Logger;
  /** What the gateway must present on /api/v1 (main.ts loads it with loadServiceTokenAtStart). */
  serviceToken: string;
  version?: string;
  /** Redis URL for the compile queue; false runs without a worker (HTTP and direct runs only). */
  redisUrl?: string | false;
  /** Compile once at start, so the files exist before the first config change. Default true. */
  compileAtStart?: boolean;
  /** Port to listen on; default the one in the settings (0 picks a free one). */
  port?: number;
}

/** Starts the rule compiler. */
export async function startRuleCompiler(settings: RuleCompilerSettings, options: StartOptions): Promise<RuleCompilerService> {
  const { log } = options;
  const store = new ConfigStore(settings.shared.configPath);
  let catalog: Promise<PresetCatalog> | undefined;
  const metrics = createMetrics(true);
  const status = new StatusStore(settings.generatedDir);
  await status.load();
  const connection = options.redisUrl ? new Redis({ ...redisConnectionOptions(options.redisUrl), maxRetriesPerRequest: null }) : undefined;
  connection?.on('error', (err) => log.debug('redis connection error', { error: err }));
  const installed = connection ? installedExportersReader(connection, log, () => void coalescer.request().catch(() => undefined)) : undefined;
  const compiler = new Compiler({
    readConfig: () => store.read(),
    ...(installed ? { installedExporters: installed } : {}),
    // Loaded once; a failed load is retried at the next compile instead of being cached.
    catalog: () => (catalog ??= loadPresetCatalog(settings.presetsDir).catch((err: unknown) => { catalog = undefined; throw err; })),
    tree: new GeneratedTree(settings.generatedDir),
    status,
    options: {
      relayUrl: settings.relayUrl,
      ...(settings.relayTokenFile ? { relayTokenFile: settings.relayTokenFile } : {}),
      alertmanagerUrl: settings.alertmanagerUrl,
      ...(settings.alertmanagerBasicAuth ? { alertmanagerBasicAuth: settings.alertmanagerBasicAuth } : {}),
      selfTargets: settings.selfTargets,
      ...(settings.direct ? { direct: settings.direct } : {}),
    },
    tools: settings.tools,
    reload: () => reloadAll({
      prometheus: { url: settings.prometheusUrl, headers: settings.shared.prometheusAuth },
      alertmanager: { url: settings.alertmanagerUrl, headers: settings.shared.alertmanagerAuth },
    }),
    log,
    metrics,
  });
  const coalescer = new Coalescer(() => compiler.run(), { quietMs: settings.debounceMs });

  // Compile before serving: once /healthz answers, the files exist (compose starts Prometheus and
  // Alertmanager only when the compiler is healthy). A refused config is reported, not fatal.
  if (options.compileAtStart ?? true) {
    await coalescer.request().catch((err: unknown) => log.warn('compile at start did not succeed', { error: err as Error }));
  }
  // Then it keeps the files in step with config.yaml even when a compile request is lost.
  const reconciler = startReconciler({
    readRevision: async () => (await store.read()).revision,
    status: () => compiler.status(),
    compile: () => coalescer.request(),
    log,
    intervalMs: settings.reconcileMs,
  });

  const app = createApp({ compiler, log, version: options.version ?? AAMI_VERSION, serviceToken: options.serviceToken, registry: metrics.registry });
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? settings.port, settings.bind, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;

  const worker = connection ? createCompileWorker({ connection, coalescer, log }) : undefined;

  log.info('rule compiler listening', { url, generatedDir: settings.generatedDir, worker: worker !== undefined });

  return {
    compiler,
    coalescer,
    reconciler,
    url,
    ...(worker ? { worker } : {}),
    async close() {
      reconciler.stop();
      await worker?.close();
      connection?.disconnect();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Reads the install worker's record of installed exporters for each compile. Redis must answer
 * within 2 s; otherwise the last answer is used, or, before any, none (dcgm-exporter targets of
 * AAMI-installed nodes are left out) and the compile is asked for again 10 s later.
 */
function installedExportersReader(redis: Redis, log: Logger, recompile: () => void): () => Promise<ReadonlyMap<string, readonly ExporterName[]>> {
  let last: ReadonlyMap<string, readonly ExporterName[]> | undefined;
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const read = readInstalledExporters(redis);
      read.catch(() => undefined);
      last = await Promise.race([read, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2000); })]);
      return last;
    } catch (err) {
      log.warn('cannot read which exporters AAMI installed (Redis); using the last known record', { error: err as Error, known: last !== undefined });
      if (!last) setTimeout(recompile, 10_000).unref();
      return last ?? new Map();
    } finally {
      clearTimeout(timer);
    }
  };
}
