// The analyzer's settings, from the environment: its port, the GPU health loop's (health/settings.ts)
// and the shared ones. A bad value stops the start with an error that names the variable.
import { z } from 'zod';
import { envInt, loadSettings, parseOrThrow, type RuntimeSettings } from '@aami/shared';
import { HealthSettings } from './health/settings.ts';

const AnalyzerEnv = HealthSettings.extend({
  /** Its HTTP API (on AAMI_BIND); the gateway calls AAMI_ANALYZER_URL. */
  AAMI_ANALYZER_PORT: envInt(8082, 0, 65535), // 0: any free port (tests)
});
export type AnalyzerSettings = z.infer<typeof AnalyzerEnv> & { shared: RuntimeSettings };

/** Reads the settings; throws a ValidationError naming each bad variable. */
export function loadAnalyzerSettings(env: NodeJS.ProcessEnv = process.env): AnalyzerSettings {
  return { ...parseOrThrow(AnalyzerEnv, env, 'environment'), shared: loadSettings(env) };
}
