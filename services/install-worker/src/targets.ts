// From config.yaml to SSH: each node's target (its own user/key/port or the ssh defaults) and the
// executor's settings (concurrency, timeouts, jump host, host-key policy, known-hosts file). Read through the
// ConfigStore, cached for a moment so a run of 1,000 jobs does not parse the file 1,000 times, and
// read per job and per connection so an edit to config.yaml applies without a restart.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AamiConfig, ConfigStore } from '@aami/shared';
import { SshExecutor, type ExecutorOptions, type JumpHost, type SshTarget } from './ssh/executor.ts';
import { KnownHostsStore } from './ssh/known-hosts.ts';

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
    hostKeys: ssh.host_keys,
  };
  if (ssh.jump_host) out.jumpHost = parseJumpHost(ssh.jump_host, { user: ssh.user, keyPath });
  if (env.AAMI_SSH_KEY_PASSPHRASE) out.passphrase = env.AAMI_SSH_KEY_PASSPHRASE;
  return out;
}

/** SSH settings of the executor as config has them now, with the known-hosts path config names. */
export type SshSettings = Omit<ExecutorOptions, 'knownHosts'> & { knownHostsPath?: string };

/** Node targets and SSH settings from the config store, re-read at most every `maxAgeMs`. */
export class NodeDirectory {
  readonly #store: Pick<ConfigStore, 'read'>;
  readonly #maxAgeMs: number;
  readonly #env: NodeJS.ProcessEnv;
  #cached?: { at: number; config: AamiConfig; targets: Map<string, NodeTarget>; names: string[] };

  constructor(store: Pick<ConfigStore, 'read'>, maxAgeMs = 2000, env: NodeJS.ProcessEnv = process.env) {
    this.#store = store;
    this.#maxAgeMs = maxAgeMs;
    this.#env = env;
  }

  /** `fresh`: read config.yaml now, whatever the cache's age (a name the cache does not know yet). */
  async #load(fresh = false) {
    if (fresh || !this.#cached || Date.now() - this.#cached.at >= this.#maxAgeMs) {
      const { config } = await this.#store.read();
      this.#cached = { at: Date.now(), config, targets: targetsOf(config), names: config.nodes.map((n) => n.name) };
    }
    return this.#cached;
  }

  /**
   * The executor's settings from config now. Like get(), it fails while config.yaml is missing or
   * unreadable: connecting direct with defaults could skip a jump host the operator set. A bad
   * jump_host fails here, for SSH only, not for listing nodes.
   */
  async ssh(): Promise<SshSettings> {
    const { config } = await this.#load();
    const out: SshSettings = executorSettings(config, this.#env);
    if (config.ssh.known_hosts_path) out.knownHostsPath = config.ssh.known_hosts_path;
    return out;
  }

  /** The target of one node, or undefined when config has no such node. */
  async get(name: string): Promise<NodeTarget | undefined> {
    // A node added a moment ago may be newer than the cache: look again before saying "no such node".
    return (await this.#load()).targets.get(name) ?? (await this.#load(true)).targets.get(name);
  }

  /** Every node name, in config order. */
  async names(options: { fresh?: boolean } = {}): Promise<string[]> {
    return (await this.#load(options.fresh)).names;
  }
}

/**
 * The SSH executor and known-hosts store as main wires them. Both read config through `nodes` at
 * each use, so a config.yaml that appears after start (compose may start the worker first) or
 * changes later applies to the next connection. Known hosts: AAMI_KNOWN_HOSTS wins, else
 * ssh.known_hosts_path, else <data dir>/known_hosts.
 */
export function liveSsh(nodes: NodeDirectory, opts: { dataDir: string; env?: NodeJS.ProcessEnv; executor?: Partial<ExecutorOptions> }) {
  const env = opts.env ?? process.env;
  // One store per path, as each caches its file.
  const stores = new Map<string, KnownHostsStore>();
  const now = async () => {
    const path = env.AAMI_KNOWN_HOSTS ?? (await nodes.ssh()).knownHostsPath ?? join(opts.dataDir, 'known_hosts');
    const store = stores.get(path) ?? new KnownHostsStore(path);
    stores.set(path, store);
    return store;
  };
  const knownHosts: Pick<KnownHostsStore, 'check' | 'pin' | 'keyTypes' | 'keys' | 'trust' | 'forget'> = {
    check: async (...a) => (await now()).check(...a),
    pin: async (...a) => (await now()).pin(...a),
    keyTypes: async (...a) => (await now()).keyTypes(...a),
    keys: async (...a) => (await now()).keys(...a),
    trust: async (...a) => (await now()).trust(...a),
    forget: async (...a) => (await now()).forget(...a),
  };
  const executor = new SshExecutor({ ...opts.executor, knownHosts, passphrase: env.AAMI_SSH_KEY_PASSPHRASE, settings: () => nodes.ssh() });
  return { executor, knownHosts };
}
