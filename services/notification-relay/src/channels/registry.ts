// The one place that wires channels: config.yaml's notifications section in, one Channel per
// configured and enabled channel out. `${VAR}` references (from the environment) and
// `${secret:name}` references (from secrets.json beside config.yaml) are expanded here, in memory
// only; a channel whose config cannot be used becomes a channel that fails every send with the
// reason, so the problem shows up in results, metrics and dead letters instead of crashing the relay.
import type { ConnectionOptions } from 'node:tls';
import { expandReferences, loadSettings, secretLookupFromFile, secretsFileStamp, secretsPathFor, ValidationError, type SecretLookup } from '@aami/shared';
import { failure, type Channel, type ChannelName } from './channel.ts';
import { createEmailChannel } from './email/email.ts';
import { createSlackChannel } from './slack/slack.ts';
import { channelEnabled, type NotificationsConfig } from '../domain/routing.ts';

/** What channel factories need besides config. */
export interface ChannelDeps {
  /** Per-request timeout. @defaultValue 10000 */
  timeoutMs?: number;
  /** Extra TLS options for SMTP (a private CA). */
  emailTls?: ConnectionOptions;
  /** The environment `${VAR}` references are expanded from. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * The secrets file `${secret:name}` references are read from. @defaultValue secrets.json beside
   * the config file `env` names (AAMI_CONFIG, else AAMI_DATA_DIR/config.yaml), as the relay reads it
   */
  secretsPath?: string;
}

/** The secrets file the relay reads: beside its config file. */
export function relaySecretsPath(deps: ChannelDeps): string {
  return deps.secretsPath ?? secretsPathFor(loadSettings(deps.env ?? process.env).configPath);
}

function broken(name: ChannelName, message: string): Channel {
  return { name, send: async () => failure(false, 'invalidConfig', message) };
}

/** Where one build resolves references from. */
interface Sources {
  env: NodeJS.ProcessEnv;
  secrets: SecretLookup;
}

function expanded<T>(name: ChannelName, value: T, sources: Sources): T | Channel {
  try {
    return expandReferences(value, sources);
  } catch (err) {
    if (err instanceof ValidationError) {
      return broken(name, err.details.map((d) => `notifications.${name}.${d.path}: ${d.message}`).join('; ') || err.message);
    }
    throw err;
  }
}

const isChannel = (v: unknown): v is Channel => typeof v === 'object' && v !== null && typeof (v as Channel).send === 'function';

/** Builds each channel from its config block. */
const FACTORIES: Record<ChannelName, (cfg: NotificationsConfig, deps: ChannelDeps, sources: Sources) => Channel | undefined> = {
  slack(cfg, deps, sources) {
    if (!cfg.slack) return undefined;
    const block = expanded('slack', cfg.slack, sources);
    if (isChannel(block)) return block;
    return createSlackChannel({ webhookUrl: block.webhook_url, ...(block.channel ? { channel: block.channel } : {}) }, { timeoutMs: deps.timeoutMs ?? 10_000 });
  },
  email(cfg, deps, sources) {
    if (!cfg.email) return undefined;
    const block = expanded('email', cfg.email, sources);
    if (isChannel(block)) return block;
    return createEmailChannel(block, { timeoutMs: deps.timeoutMs ?? 10_000, ...(deps.emailTls ? { tls: deps.emailTls } : {}) });
  },
};

/** One channel per configured and enabled channel in `cfg`. */
export function buildChannels(cfg: NotificationsConfig, deps: ChannelDeps = {}): Map<ChannelName, Channel> {
  // The secrets file is read at most once per build, and only if a reference needs it.
  const sources: Sources = { env: deps.env ?? process.env, secrets: secretLookupFromFile(relaySecretsPath(deps)) };
  const out = new Map<ChannelName, Channel>();
  for (const name of Object.keys(FACTORIES) as ChannelName[]) {
    if (!channelEnabled(cfg, name)) continue;
    const ch = FACTORIES[name](cfg, deps, sources);
    if (ch) out.set(name, ch);
  }
  return out;
}

/**
 * The channels for whatever config `source` holds now, rebuilt only when the channel settings or
 * the secrets file change (so an SMTP transport is not recreated for every message). A new webhook
 * URL set through the API changes secrets.json but not the reference in config.yaml, hence the
 * file's stamp in the key.
 */
export function createChannelSource(source: { get(): Promise<NotificationsConfig> }, deps: ChannelDeps = {}): () => Promise<Map<ChannelName, Channel>> {
  const secretsPath = relaySecretsPath(deps);
  const buildDeps = { ...deps, secretsPath };
  let key = '';
  let built = new Map<ChannelName, Channel>();
  return async () => {
    const cfg = await source.get();
    const next = JSON.stringify([cfg.slack, cfg.email, secretsFileStamp(secretsPath)]);
    if (next !== key) {
      built = buildChannels(cfg, buildDeps);
      key = next;
    }
    return built;
  };
}
