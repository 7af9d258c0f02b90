// The one place that wires channels: config.yaml's notifications section in, one Channel per
// configured and enabled channel out. `${VAR}` references are expanded here, in memory only; a
// channel whose config cannot be used becomes a channel that fails every send with the reason,
// so the problem shows up in results, metrics and dead letters instead of crashing the relay.
import type { ConnectionOptions } from 'node:tls';
import { expandEnv, ValidationError } from '@aami/shared';
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
}

function broken(name: ChannelName, message: string): Channel {
  return { name, send: async () => failure(false, 'invalidConfig', message) };
}

function expanded<T>(name: ChannelName, value: T, env: NodeJS.ProcessEnv): T | Channel {
  try {
    return expandEnv(value, env);
  } catch (err) {
    if (err instanceof ValidationError) {
      return broken(name, err.details.map((d) => `notifications.${name}.${d.path}: ${d.message}`).join('; ') || err.message);
    }
    throw err;
  }
}

const isChannel = (v: unknown): v is Channel => typeof v === 'object' && v !== null && typeof (v as Channel).send === 'function';

/** Builds each channel from its config block. */
const FACTORIES: Record<ChannelName, (cfg: NotificationsConfig, deps: ChannelDeps, env: NodeJS.ProcessEnv) => Channel | undefined> = {
  slack(cfg, deps, env) {
    if (!cfg.slack) return undefined;
    const block = expanded('slack', cfg.slack, env);
    if (isChannel(block)) return block;
    return createSlackChannel({ webhookUrl: block.webhook_url, ...(block.channel ? { channel: block.channel } : {}) }, { timeoutMs: deps.timeoutMs ?? 10_000 });
  },
  email(cfg, deps, env) {
    if (!cfg.email) return undefined;
    const block = expanded('email', cfg.email, env);
    if (isChannel(block)) return block;
    return createEmailChannel(block, { timeoutMs: deps.timeoutMs ?? 10_000, ...(deps.emailTls ? { tls: deps.emailTls } : {}) });
  },
};

/** One channel per configured and enabled channel in `cfg`. */
export function buildChannels(cfg: NotificationsConfig, deps: ChannelDeps = {}): Map<ChannelName, Channel> {
  const env = deps.env ?? process.env;
  const out = new Map<ChannelName, Channel>();
  for (const name of Object.keys(FACTORIES) as ChannelName[]) {
    if (!channelEnabled(cfg, name)) continue;
    const ch = FACTORIES[name](cfg, deps, env);
    if (ch) out.set(name, ch);
  }
  return out;
}

/**
 * The channels for whatever config `source` holds now, rebuilt only when the channel settings
 * change (so an SMTP transport is not recreated for every message).
 */
export function createChannelSource(source: { get(): Promise<NotificationsConfig> }, deps: ChannelDeps = {}): () => Promise<Map<ChannelName, Channel>> {
  let key = '';
  let built = new Map<ChannelName, Channel>();
  return async () => {
    const cfg = await source.get();
    const next = JSON.stringify([cfg.slack, cfg.email]);
    if (next !== key) {
      built = buildChannels(cfg, deps);
      key = next;
    }
    return built;
  };
}
