// From config.yaml to SSH: each node's target (its own user/key/port or the ssh defaults) and the
// executor's settings (concurrency, timeouts, jump host, known-hosts file). Read through the
// ConfigStore, cached for a moment so a run of 1,000 jobs does not parse the file 1,000 times.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AamiConfig, ConfigStore } from '@aami/shared';
import type { ExecutorOptions, JumpHost, SshTarget } from './ssh/executor.ts';

/** A node's SSH target, with its name. */
export type NodeTarget = SshTarget & { name: string };

const expandHome = (p: string) => (p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p);

/** The key used when neither the node nor the ssh defaults name one. */
export function defaultKeyPath(): string {
  const candidates = ['~/.ssh/id_ed25519', '~/.ssh/id_rsa'].map(expandHome);
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

/** Parses `[user@]host[:port]` (a jump host in config). */
export function parseJumpHost(spec: string, defaults: { user: string; keyPath: string }): JumpHost {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m?.[2]) throw new Error(`ssh.jump_host "${spec}" is not [user@]host[:port]`);
  return { username: m[1] ?? defaults.user, host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : 22, keyPath: defaults.keyPath };
}

/** The SSH target of every node in `config`, by name. */
export function targetsOf(config: AamiConfig): Map<string, NodeTarget> {
  const ssh = config.ssh;
  const defaultKey = ssh.key ? expandHome(ssh.key) : defaultKeyPath();
  return new Map(config.nodes.map((n) => [n.name, {
    name: n.name,
    host: n.ip,
    port: n.ssh_port ?? ssh.port,
    username: n.ssh_user ?? ssh.user,
    keyPath: n.ssh_key ? expandHome(n.ssh_key) : defaultKey,
  }]));
}

/** Executor settings from config (the known-hosts store is added by the caller). */
export function executorSettings(config: AamiConfig, env: NodeJS.ProcessEnv = process.env): Omit<ExecutorOptions, 'knownHosts'> {
  const ssh = config.ssh;
  const keyPath = ssh.key ? expandHome(ssh.key) : defaultKeyPath();
  const out: Omit<ExecutorOptions, 'knownHosts'> = {
    concurrency: ssh.concurrency,
    connectTimeoutMs: ssh.connect_timeout_s * 1000,
    commandTimeoutMs: ssh.command_timeout_s * 1000,
  };
  if (ssh.jump_host) out.jumpHost = parseJumpHost(ssh.jump_host, { user: ssh.user, keyPath });
  if (env.AAMI_SSH_KEY_PASSPHRASE) out.passphrase = env.AAMI_SSH_KEY_PASSPHRASE;
  return out;
}

/** Node targets from the config store, re-read at most every `maxAgeMs`. */
export class NodeDirectory {
  readonly #store: Pick<ConfigStore, 'read'>;
  readonly #maxAgeMs: number;
  #cached?: { at: number; targets: Map<string, NodeTarget>; names: string[] };

  constructor(store: Pick<ConfigStore, 'read'>, maxAgeMs = 2000) {
    this.#store = store;
    this.#maxAgeMs = maxAgeMs;
  }

  async #load() {
    if (!this.#cached || Date.now() - this.#cached.at > this.#maxAgeMs) {
      const { config } = await this.#store.read();
      this.#cached = { at: Date.now(), targets: targetsOf(config), names: config.nodes.map((n) => n.name) };
    }
    return this.#cached;
  }

  /** The target of one node, or undefined when config has no such node. */
  async get(name: string): Promise<NodeTarget | undefined> {
    return (await this.#load()).targets.get(name);
  }

  /** Every node name, in config order. */
  async names(): Promise<string[]> {
    return (await this.#load()).names;
  }
}
