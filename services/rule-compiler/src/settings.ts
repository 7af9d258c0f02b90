// The rule compiler's settings: the shared ones (data dir, URLs) plus its own, all from the
// environment. Every URL is the address as the program that uses it sees it (in docker compose:
// Alertmanager reaches the relay at http://notification-relay:8081, and so on). The one exception is
// AAMI_ALERTMANAGER_PASSWORD_FILE: the compiler reads it to reload Alertmanager and Prometheus reads
// the same path to send alerts, so it must name the same file for both (compose mounts the config
// volume at /var/lib/aami in each).
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { envInt, loadSettings, parseOrThrow, type RuntimeSettings, DEFAULT_PRESETS_DIR } from '@aami/shared';
import type { BasicAuthFile, SelfTarget } from './prometheus-config.ts';
import type { ToolPaths } from './validator.ts';

const Own = z.object({
  /** Where its HTTP API listens (on AAMI_BIND); the others find it at AAMI_RULE_COMPILER_URL. */
  AAMI_RULE_COMPILER_PORT: envInt(8083, 1, 65535),
  /** Where the generated files go; default $AAMI_DATA_DIR/generated. */
  AAMI_GENERATED_DIR: z.string().min(1).optional(),
  /** The relay's bearer token file, as Alertmanager sees it (written into alertmanager.yml as a path). */
  AAMI_RELAY_TOKEN_FILE: z.string().min(1).optional(),
  AAMI_PRESETS_DIR: z.string().min(1).optional(),
  AAMI_PROMTOOL: z.string().min(1).default('promtool'),
  AAMI_AMTOOL: z.string().min(1).default('amtool'),
  /** Quiet time after the last compile request before compiling. */
  AAMI_COMPILE_DEBOUNCE_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** Seconds between checks that the live files match config.yaml's revision (0: only at start). */
  AAMI_COMPILE_RECONCILE_S: z.coerce.number().int().min(0).max(86_400).default(30),
  /** AAMI services Prometheus scrapes under job "aami": `service=url,service=url`. */
  AAMI_SELF_SCRAPE: z.string().optional(),
  /** "true" adds direct Slack / email receivers to Alertmanager besides the relay. */
  AAMI_ALERTMANAGER_DIRECT: z.enum(['true', 'false']).default('false'),
  AAMI_SLACK_WEBHOOK_URL_FILE: z.string().min(1).optional(),
  AAMI_SMTP_PASSWORD_FILE: z.string().min(1).optional(),
});

/** Everything the rule compiler reads from its environment. */
export interface RuleCompilerSettings {
  shared: RuntimeSettings;
  generatedDir: string;
  presetsDir: string;
  relayUrl: string;
  relayTokenFile?: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** Basic auth Prometheus presents to Alertmanager, written into prometheus.yml as a path; none without AAMI_ALERTMANAGER_PASSWORD_FILE. */
  alertmanagerBasicAuth?: BasicAuthFile;
  tools: ToolPaths;
  debounceMs: number;
  reconcileMs: number;
  selfTargets: SelfTarget[];
  direct?: { slackApiUrlFile?: string; smtpPasswordFile?: string };
  /** Where its HTTP API listens. */
  bind: string;
  port: number;
}

/** Parses `service=url,...`; a bad entry is an error naming AAMI_SELF_SCRAPE. */
export function parseSelfTargets(text: string): SelfTarget[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const m = /^([a-z][a-z0-9-]*)=(https?:\/\/.+)$/.exec(entry);
    if (!m) throw new Error(`AAMI_SELF_SCRAPE: "${entry}" is not service=http://host:port`);
    return { service: m[1]!, url: m[2]! };
  });
}

/** Reads the settings; a bad value is an error naming the variable. */
export function loadRuleCompilerSettings(env: NodeJS.ProcessEnv = process.env): RuleCompilerSettings {
  const shared = loadSettings(env);
  const own = parseOrThrow(Own, env, 'environment');
  const selfTargets = own.AAMI_SELF_SCRAPE !== undefined
    ? parseSelfTargets(own.AAMI_SELF_SCRAPE)
    : [{ service: 'analyzer', url: shared.AAMI_ANALYZER_URL }, { service: 'install-worker', url: shared.AAMI_INSTALL_WORKER_URL }, { service: 'rule-compiler', url: shared.AAMI_RULE_COMPILER_URL }];
  const direct = own.AAMI_ALERTMANAGER_DIRECT === 'true'
    ? { ...(own.AAMI_SLACK_WEBHOOK_URL_FILE ? { slackApiUrlFile: own.AAMI_SLACK_WEBHOOK_URL_FILE } : {}), ...(own.AAMI_SMTP_PASSWORD_FILE ? { smtpPasswordFile: own.AAMI_SMTP_PASSWORD_FILE } : {}) }
    : undefined;
  return {
    shared,
    generatedDir: own.AAMI_GENERATED_DIR ?? join(shared.AAMI_DATA_DIR, 'generated'),
    presetsDir: own.AAMI_PRESETS_DIR ?? DEFAULT_PRESETS_DIR,
    relayUrl: shared.AAMI_RELAY_URL,
    ...(own.AAMI_RELAY_TOKEN_FILE ? { relayTokenFile: own.AAMI_RELAY_TOKEN_FILE } : {}),
    prometheusUrl: shared.AAMI_PROMETHEUS_URL,
    alertmanagerUrl: shared.AAMI_ALERTMANAGER_URL,
    // Absolute: Prometheus would resolve a relative path against prometheus.yml's folder, not ours.
    ...(shared.AAMI_ALERTMANAGER_PASSWORD_FILE
      ? { alertmanagerBasicAuth: { username: shared.AAMI_ALERTMANAGER_USERNAME, passwordFile: resolve(shared.AAMI_ALERTMANAGER_PASSWORD_FILE) } }
      : {}),
    tools: { promtool: own.AAMI_PROMTOOL, amtool: own.AAMI_AMTOOL },
    debounceMs: own.AAMI_COMPILE_DEBOUNCE_MS,
    reconcileMs: own.AAMI_COMPILE_RECONCILE_S * 1000,
    selfTargets,
    ...(direct ? { direct } : {}),
    bind: shared.AAMI_BIND,
    port: own.AAMI_RULE_COMPILER_PORT,
  };
}
