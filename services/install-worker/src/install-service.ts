// The install domain behind the HTTP API: start runs (one job per node), read their progress,
// a node's last result, test SSH reachability, show the host key a node offers, and accept a
// node's new host key. Depends on narrow
// slices (a queue that can addBulk, a run store, a node directory, an executor) so tests use fakes.
import {
  ConflictError, NotFoundError, UnavailableError, ValidationError, type HostKeyTrustResult, type HostKeyView, type InstallAction, type InstallJob, type NodeSshTest,
} from '@aami/shared';
import { SshError } from './ssh/errors.ts';
import type { SshSession, SshTarget } from './ssh/executor.ts';
import { pinnedNote, RevokedHostKeyError, type HostKey, type KnownHostsStore } from './ssh/known-hosts.ts';
import { aggregate, jobIdFor, newRunId, type NodeRunState, type RunMeta, type RunStore, type RunView } from './runs.ts';
import type { NodeTarget } from './targets.ts';

/** Job options of every install job: transient failures retry with backoff. */
export interface JobPolicy {
  attempts: number;
  backoffMs: number;
}

export interface InstallServiceDeps {
  queue: { addBulk(jobs: Array<{ name: string; data: InstallJob; opts?: Record<string, unknown> }>): Promise<unknown> };
  runs: RunStore;
  nodes: { get(name: string): Promise<NodeTarget | undefined>; names(options?: { fresh?: boolean }): Promise<string[]> };
  ssh: {
    withSession<T>(target: SshTarget, fn: (session: SshSession) => Promise<T>, options?: { fresh?: boolean }): Promise<T>;
    offeredHostKey(target: Pick<SshTarget, 'host' | 'port'>): Promise<HostKey>;
  };
  knownHosts: Pick<KnownHostsStore, 'trust' | 'check' | 'keys'>;
  policy?: JobPolicy;
}

// The answers are the API's (shared/src/api/install.ts), under the names this file uses.
export type NodeTestResult = NodeSshTest;
export type TrustResult = HostKeyTrustResult;
export type { HostKeyView };

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
    let set = new Set(known);
    // Names the cached config does not know may have been added a moment ago: read config again.
    if (names.some((n) => !set.has(n))) set = new Set(await this.#d.nodes.names({ fresh: true }));
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
        // A fresh login, so the test shows what a new connection meets (and pins, on first contact).
        const { res, pinned } = await this.#d.ssh.withSession(target, async (s) => ({ res: await s.exec(TEST_COMMAND, { timeoutMs: 15_000 }), pinned: s.pinnedHostKey }), { fresh: true });
        const kv = Object.fromEntries(res.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        const sudo = kv.sudo === 'root' || kv.sudo === 'yes' || kv.sudo === 'no' ? kv.sudo : undefined;
        const r: NodeTestResult = { node, ok: res.code === 0, latencyMs: Date.now() - t0, user: kv.user, arch: kv.arch };
        if (sudo) r.sudo = sudo;
        if (res.code !== 0) { r.kind = 'command-failed'; r.reason = res.stderr.trim().split('\n').pop() ?? `exit ${res.code}`; }
        if (pinned) {
          r.pinnedHostKey = { type: pinned.type, fingerprint: pinned.fingerprint };
          r.notes = [pinnedNote(node, pinned)];
        }
        return r;
      } catch (err) {
        const e = err instanceof SshError ? err : undefined;
        return { node, ok: false, latencyMs: Date.now() - t0, kind: e?.kind ?? 'internal', reason: (err as Error).message };
      }
    }));
  }

  /** The key `node` offers now (read without logging in) and how it compares with known_hosts. */
  async hostKey(node: string): Promise<HostKeyView> {
    const { target, key } = await this.#offered(node);
    const check = await this.#d.knownHosts.check(target.host, target.port, Buffer.from(key.base64, 'base64'));
    let pinned: string | null = null;
    if (check.status === 'match') pinned = key.fingerprint;
    else if (check.status === 'changed') pinned = check.pinned.fingerprint;
    else if (check.status === 'revoked') {
      const onFile = await this.#d.knownHosts.keys(target.host, target.port);
      pinned = (onFile.find((k) => k.type === key.type) ?? onFile[0])?.fingerprint ?? null;
    }
    return { node, host: target.host, port: target.port, type: key.type, fingerprint: key.fingerprint, pinned, status: check.status };
  }

  /**
   * Pins the key `node` offers now in place of the keys known_hosts holds for it (lines that name
   * the node; comments, markers and other hosts' lines stay). With `expectFingerprint`, only that
   * key is accepted (compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the
   * node). A key listed as @revoked is refused.
   */
  async trust(node: string, expectFingerprint?: string): Promise<TrustResult> {
    const { target, key } = await this.#offered(node);
    if (expectFingerprint && expectFingerprint !== key.fingerprint) {
      throw new ConflictError(`${node} offers ${key.fingerprint}, not the expected ${expectFingerprint}; nothing was changed`);
    }
    const before = await this.#d.knownHosts.keys(target.host, target.port);
    try {
      await this.#d.knownHosts.trust(target.host, target.port, Buffer.from(key.base64, 'base64'));
    } catch (err) {
      if (err instanceof RevokedHostKeyError) throw new ConflictError(`${node}: ${err.message}; nothing was changed`);
      throw err;
    }
    const previous = before.find((k) => k.type === key.type) ?? before[0];
    return {
      node, host: target.host, port: target.port, type: key.type, fingerprint: key.fingerprint,
      previous: previous?.fingerprint ?? null, changed: !(before.length === 1 && previous?.base64 === key.base64),
    };
  }

  async #offered(node: string): Promise<{ target: NodeTarget; key: HostKey }> {
    const target = await this.#d.nodes.get(node);
    if (!target) throw new NotFoundError(`no node named ${node}`);
    try {
      return { target, key: await this.#d.ssh.offeredHostKey(target) };
    } catch (err) {
      throw new UnavailableError(`cannot read ${node}'s host key: ${(err as Error).message}`);
    }
  }
}
