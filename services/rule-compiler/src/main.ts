// Entry point: `node services/rule-compiler/src/main.ts`. Compiles config.yaml once at start, then on
// every job of the BullMQ `compile` queue; serves /healthz, /api/v1/compile/* and /metrics.
import { createLogger, loadServiceTokenAtStart } from '@aami/shared';
import { loadRuleCompilerSettings } from './settings.ts';
import { startRuleCompiler } from './service.ts';

const log = createLogger('rule-compiler');
try {
  const settings = loadRuleCompilerSettings();
  const service = await startRuleCompiler(settings, { log, serviceToken: loadServiceTokenAtStart(log), redisUrl: settings.shared.AAMI_REDIS_URL });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    service.close().then(() => process.exit(0), (err: unknown) => {
      log.error('stop failed', { error: err as Error });
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  log.error('rule compiler could not start', { error: err as Error });
  process.exit(1);
}
