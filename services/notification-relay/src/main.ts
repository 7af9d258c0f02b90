// The notification relay's entry point: settings from the environment, then startRelay. Stops
// cleanly on SIGTERM/SIGINT: no new webhooks, in-flight deliveries finish, connections close.
import { createLogger, loadServiceTokenAtStart } from '@aami/shared';
import { loadRelaySettings } from './settings.ts';
import { startRelay } from './service.ts';

const logger = createLogger('notification-relay');

let settings;
let serviceToken: string;
try {
  settings = loadRelaySettings();
  serviceToken = loadServiceTokenAtStart(logger);
} catch (err) {
  logger.error('cannot start', { error: (err as Error).message });
  process.exit(2);
}

let relay;
try {
  relay = await startRelay({ settings, serviceToken, logger });
} catch (err) {
  logger.error('cannot start', { error: (err as Error).message });
  process.exit(1);
}
if (settings.tokenFileCreated) logger.info('created a relay token; Alertmanager must present it', { file: settings.tokenFileCreated });
logger.info('listening', { url: relay.url, config: settings.shared.configPath, workers: settings.workers });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    relay.close().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error('error while stopping', { error: err.message });
        process.exit(1);
      },
    );
  });
}
