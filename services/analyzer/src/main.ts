// Starts the analyzer: loads the Xid catalog (a bad catalog stops the start, naming the file and
// entry), starts the GPU health loop (its state in AAMI_HEALTH_STATE_FILE, default AAMI_DATA_DIR/health/state.json), serves the HTTP API on AAMI_BIND:AAMI_ANALYZER_PORT, and drains on SIGTERM/SIGINT.
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createLogger, loadServiceTokenAtStart } from '@aami/shared';
import { loadXidCatalog } from '@aami/shared/xid/index';
import { createApp } from './app.ts';
import { HealthService } from './health/service.ts';
import { loadAnalyzerSettings, type AnalyzerSettings } from './settings.ts';
import { prometheusQuery } from './health/source.ts';

const log = createLogger('analyzer');
let settings: AnalyzerSettings;
try {
  settings = loadAnalyzerSettings();
} catch (err) {
  log.error('bad settings', { error: err as Error });
  process.exit(2);
}
const host = settings.shared.AAMI_BIND;
const port = settings.AAMI_ANALYZER_PORT;

let catalog;
try {
  catalog = loadXidCatalog();
} catch (err) {
  log.error('cannot load the Xid catalog', { error: err as Error });
  process.exit(1);
}
let health: HealthService;
const registry = new Registry();
try {
  health = new HealthService({
    query: prometheusQuery(settings.shared.AAMI_PROMETHEUS_URL, undefined, settings.shared.prometheusAuth),
    memoryPath: settings.AAMI_HEALTH_STATE_FILE ?? join(settings.shared.AAMI_DATA_DIR, 'health', 'state.json'),
    catalog,
    registry,
    log,
    intervalMs: settings.AAMI_HEALTH_INTERVAL_S * 1000,
    rateWindow: settings.AAMI_HEALTH_RATE_WINDOW,
    rebootThreshold: settings.AAMI_HEALTH_REBOOT_THRESHOLD,
    lookbackMs: settings.AAMI_HEALTH_LOOKBACK_HOURS * 3600_000,
  });
  await health.start();
} catch (err) {
  log.error('cannot start GPU health evaluation', { error: err as Error });
  process.exit(1);
}
const app = createApp({ serviceToken: loadServiceTokenAtStart(log), catalog, log, registry, health });
const server = app.listen(port, host, () => {
  const addr = server.address();
  const bound = addr && typeof addr === 'object' ? `${addr.address}:${addr.port}` : `${host}:${port}`;
  log.info('analyzer listening', { address: bound, xids: catalog.xids.length, sxids: catalog.sxids.length });
});
server.on('error', (err) => {
  log.error('cannot listen', { address: `${host}:${port}`, error: err });
  process.exit(1);
});

const shutdown = (signal: string) => {
  log.info('shutting down', { signal });
  void health.stop();
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
