// The install domain behind the HTTP API: start runs (one job per node), read their progress,
// a node's last result, test SSH reachability, and accept a node's new host key. Depends on narrow
// slices (a queue that can addBulk, a run store, a node directory, an executor) so tests use fakes.
import { ConflictError, NotFoundError, UnavailableError, ValidationError, type InstallJob } from '@aami/shared';
import { SshError } from './ssh/errors.ts';
import type { ExecResult, SshTarget } from './ssh/executor.ts';
import type { HostKey, KnownHostsStore } from './ssh/known-hosts.ts';
import { aggregate, jobIdFor, newRunId, type InstallAction, type NodeRunState, type RunMeta, type RunStore, type RunView } from './runs.ts';
import type { NodeTarget } from './targets.ts';

/** Job options of every install job: transient failures retry with backoff. */
export interface JobPolicy {
  attempts: number;
  backoffMs: number;
}

export interface InstallServiceDeps {
  queue: { addBulk(jobs: Array<{ name: string; data: InstallJob; opts?: Record<string, unknown> }>): Promise<unknown> };
  runs: RunStore;
  nodes: { get(name: string): Promise<NodeTarget | undefined>; names(): Promise<string[]> };
  ssh: {
    run(target: SshTarget, command: string, options?: { timeoutMs?: number; fresh?: boolean }): Promise<ExecResult>;
    offeredHostKey(target: Pick<SshTarget, 'host' | 'port'>): Promise<HostKey>;
  };
  knownHosts: Pick<KnownHostsStore, 'trust' | 'get'>;
  policy?: JobPolicy;
}

/** One node's SSH check. */
export interface NodeTestResult {
  node: string;
  ok: boolean;
  latencyMs: number;
  user?: string;
  sudo?: 'root' | 'yes' | 'no';
  arch?: string;
  kind?: string;
  reason?: string;
}

/** What trusting a node's key did. */
export interface TrustResult {
  node: string;
  host: string;
  port: number;
  type: string;
  fingerprint: string;
  previous: string | null;
  changed: boolean;
}

const TEST_COMMAND = 'echo "user=$(id -un)"; if [ "$(id -u)" = 0 ]; then echo sudo=root; elif sudo -n true >/dev/null 2>&1; then echo sudo=yes; else echo sudo=no; fi; echo "arch=$(uname -m)"';

export class InstallService {
  readonly #d: InstallServiceDeps;
  constructor(deps: InstallServiceDeps) {
    this.#d = deps;
  }

  /** Resolves names (or every node) against config; unknown names are one 400 listing them all. */
  async resolve(names: string[] | undefined, all: boolean): Promise<string[]> {
    const known = await this.#d.nodes.names();
    if (all) {
      if (known.length === 0) throw new ValidationError('config.yaml has no nodes yet (aami nodes add ...)');
      return known;
    }
    if (!names || names.length === 0) throw new ValidationError('name the nodes, or ask for all of them ("all": true / --all)');
    const set = new Set(known);
    const unknown = [...new Set(names)].filter((n) => !set.has(n));
    if (unknown.length) throw new ValidationError(`unknown node(s): ${unknown.join(', ')}`, unknown.map((n) => ({ path: 'nodes', message: `no node named ${n}` })));
    return [...new Set(names)];
  }

  /** Creates a run and queues one job per node. */
  async startRun(req: { action: InstallAction; nodes?: string[]; all?: boolean; concurrency?: number }): Promise<RunMeta> {
    const nodes = await this.resolve(req.nodes, req.all ?? false);
    const meta: RunMeta = { id: newRunId(), action: req.action, nodes, createdAt: new Date().toISOString() };
    if (req.concurrency) meta.concurrency = req.concurrency;
    await this.#d.runs.create(meta);
    const policy = this.#d.policy ?? { attempts: 3, backoffMs: 2000 };
    try {
      await this.#d.queue.addBulk(nodes.map((node) => ({
        name: req.action,
        data: { node, action: req.action, runId: meta.id },
        opts: {
          jobId: jobIdFor(meta.id, node),
          attempts: policy.attempts,
          backoff: { type: 'exponential', delay: policy.backoffMs },
          removeOnComplete: { age: 7 * 24 * 3600, count: 20_000 },
          removeOnFail: { age: 7 * 24 * 3600, count: 20_000 },
        },
      })));
    } catch (err) {
      throw new UnavailableError(`could not queue the install jobs: ${(err as Error).message}`);
    }
    return meta;
  }

  async run(id: string): Promise<RunView> {
    const meta = await this.#d.runs.meta(id);
    if (!meta) throw new NotFoundError(`no install run ${id}`);
    return aggregate(meta, await this.#d.runs.states(id));
  }

  async runs(limit = 20): Promise<RunView[]> {
    const metas = await this.#d.runs.list(limit);
    return Promise.all(metas.map(async (m) => aggregate(m, await this.#d.runs.states(m.id))));
  }

  async last(node: string): Promise<NodeRunState> {
    const s = await this.#d.runs.last(node);
    if (!s) throw new NotFoundError(`no install result recorded for ${node}`);
    return s;
  }

  /** SSH to each node in parallel (the executor's limit applies) and report login, sudo and arch. */
  async test(names: string[] | undefined, all: boolean): Promise<NodeTestResult[]> {
    const nodes = await this.resolve(names, all || !names || names.length === 0);
    return Promise.all(nodes.map(async (node): Promise<NodeTestResult> => {
      const t0 = Date.now();
      const target = await this.#d.nodes.get(node);
      if (!target) return { node, ok: false, latencyMs: 0, kind: 'unknown-node', reason: `no node named ${node}` };
      try {
        const res = await this.#d.ssh.run(target, TEST_COMMAND, { timeoutMs: 15_000, fresh: true });
        const kv = Object.fromEntries(res.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        const sudo = kv.sudo === 'root' || kv.sudo === 'yes' || kv.sudo === 'no' ? kv.sudo : undefined;
        const r: NodeTestResult = { node, ok: res.code === 0, latencyMs: Date.now() - t0, user: kv.user, arch: kv.arch };
        if (sudo) r.sudo = sudo;
        if (res.code !== 0) { r.kind = 'command-failed'; r.reason = res.stderr.trim().split('\n').pop() ?? `exit ${res.code}`; }
        return r;
      } catch (err) {
        const e = err instanceof SshError ? err : undefined;
        return { node, ok: false, latencyMs: Date.now() - t0, kind: e?.kind ?? 'internal', reason: (err as Error).message };
      }
    }));
  }

  /**
   * Pins the key `node` offers now, replacing the old one. With `expectFingerprint`, only that key
   * is accepted (compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the node).
   */
  async trust(node: string, expectFingerprint?: string): Promise<TrustResult> {
    const target = await this.#d.nodes.get(node);
    if (!target) throw new NotFoundError(`no node named ${node}`);
    let key: HostKey;
    try {
      key = await this.#d.ssh.offeredHostKey(target);
    } catch (err) {
      throw new UnavailableError(`cannot read ${node}'s host key: ${(err as Error).message}`);
    }
    if (expectFingerprint && expectFingerprint !== key.fingerprint) {
      throw new ConflictError(`${node} offers ${key.fingerprint}, not the expected ${expectFingerprint}; nothing was changed`);
    }
    const previous = await this.#d.knownHosts.trust(target.host, target.port, Buffer.from(key.base64, 'base64'));
    return {
      node, host: target.host, port: target.port, type: key.type, fingerprint: key.fingerprint,
      previous: previous?.fingerprint ?? null, changed: previous?.base64 !== key.base64,
    };
  }
}
