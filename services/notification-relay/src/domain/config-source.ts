// The notifications section of config.yaml, read through the config store and cached for a few
// seconds so the webhook and a storm of jobs do not re-read the file for each alert (a change
// applies to alerts received `ttlMs` after it). A file that stops parsing keeps the last good
// config in use (and says so in the log) instead of stopping delivery.
import { UnavailableError, type Logger } from '@aami/shared';
import type { NotificationsConfig } from './routing.ts';

/** Where processors and the API get the current notifications config. */
export interface NotificationsSource {
  get(): Promise<NotificationsConfig>;
}

/** Caches `store.read()` for `ttlMs`. */
export function createConfigSource(
  store: { read(): Promise<{ config: { notifications: NotificationsConfig } }> },
  opts: { ttlMs: number; logger: Logger; now?: () => number },
): NotificationsSource {
  const now = opts.now ?? Date.now;
  let cached: NotificationsConfig | undefined;
  let readAt = -Infinity;
  let inflight: Promise<NotificationsConfig> | undefined;
  let lastError = '';
  const refresh = async (): Promise<NotificationsConfig> => {
    try {
      const { config } = await store.read();
      cached = config.notifications;
      if (lastError) opts.logger.info('config readable again');
      lastError = '';
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastError) opts.logger.warn(cached ? 'cannot read config, keeping the last good notifications config' : 'cannot read config', { error: message });
      lastError = message;
      if (!cached) throw new UnavailableError(`cannot read config: ${message}`);
    } finally {
      readAt = now();
      inflight = undefined;
    }
    return cached;
  };
  return {
    get() {
      if (cached && now() - readAt < opts.ttlMs) return Promise.resolve(cached);
      inflight ??= refresh();
      return inflight;
    },
  };
}
