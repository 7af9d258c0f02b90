// After each node's successful action the worker records which exporters now run there (shared
// record, see @aami/shared installed-exporters) and, when that changed, asks the rule compiler for
// a compile, so Prometheus starts scraping a new dcgm-exporter and stops scraping a removed one.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ExporterName, QUEUES, recordInstalledExporters, type CompileJob, type Logger } from '@aami/shared';
import type { InstallAction, NodeOutcome } from './install/installer.ts';

export interface InstalledRecorder {
  record(node: string, action: InstallAction, outcome: Pick<NodeOutcome, 'ok' | 'versions'>): Promise<void>;
  close(): Promise<void>;
}

/** The exporters a successful outcome leaves on the node; null after an uninstall. */
export function exportersAfter(action: InstallAction, versions: Record<string, string>): ExporterName[] | null {
  if (action === 'uninstall') return null;
  return Object.keys(versions).filter((k): k is ExporterName => ExporterName.safeParse(k).success);
}

export function createInstalledRecorder(redis: Redis, log: Logger): InstalledRecorder {
  const compile = new Queue<CompileJob>(QUEUES.compile, { connection: redis });
  compile.on('error', (err) => log.debug('compile queue error', { error: err }));
  return {
    async record(node, action, outcome) {
      if (!outcome.ok) return;
      try {
        const changed = await recordInstalledExporters(redis, node, exportersAfter(action, outcome.versions));
        if (!changed) return;
        await compile.add('compile', { reason: `exporters on ${node} changed (${action})`, revision: 0 }, { removeOnComplete: 100, removeOnFail: 100, attempts: 5, backoff: { type: 'exponential', delay: 2000 } });
      } catch (err) {
        // The install itself succeeded; the next successful action on the node records it again.
        log.warn('could not record the exporters installed on a node', { node, error: err as Error });
      }
    },
    async close() {
      await compile.close();
    },
  };
}
