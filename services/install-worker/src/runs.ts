// Install runs: one run = one action on a set of nodes = one BullMQ job per node. Each node's state
// (queued, running with a step and percent, retrying, done, failed with a reason) is kept in Redis
// beside the queue, so the API answers "how far is run X" with one read, a restarted worker goes on
// where the jobs are, and the last result of every node stays available after the run.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { InstallAction, InstallNodeRun, InstallNodeState, InstallRun } from '@aami/shared';

/** One node's state in one run (also what "last result" of a node returns): the API's shape. */
export type NodeRunState = InstallNodeRun;
export type NodeRunStatus = InstallNodeState;

/** What a run was asked to do. */
export interface RunMeta {
  id: string;
  action: InstallAction;
  nodes: string[];
  /** The run's own fan-out limit, when it asked for one. */
  concurrency?: number;
  createdAt: string;
}

/** A run as the API shows it. */
export type RunView = InstallRun;

/** Storage of runs and node states. */
export interface RunStore {
  create(meta: RunMeta): Promise<void>;
  meta(id: string): Promise<RunMeta | undefined>;
  states(id: string): Promise<NodeRunState[]>;
  state(id: string, node: string): Promise<NodeRunState | undefined>;
  put(state: NodeRunState): Promise<void>;
  last(node: string): Promise<NodeRunState | undefined>;
  setLast(state: NodeRunState): Promise<void>;
  list(limit: number): Promise<RunMeta[]>;
}

/** A new run id: sortable by time, unguessable enough, and free of ":" (BullMQ job ids). */
export function newRunId(now = Date.now()): string {
  return `r${now.toString(36).padStart(9, '0')}${randomBytes(3).toString('hex')}`;
}

/** The BullMQ job id of one node in one run; repeated adds of the same pair are ignored by BullMQ. */
export const jobIdFor = (runId: string, node: string) => `${runId}.${node}`;

/** Folds node states into the run's view. */
export function aggregate(meta: RunMeta, states: NodeRunState[]): RunView {
  const counts: Record<NodeRunStatus, number> = { queued: 0, running: 0, retrying: 0, done: 0, failed: 0 };
  const results: Record<string, number> = {};
  const byNode = new Map(states.map((s) => [s.node, s]));
  const ordered = meta.nodes.map((n) => byNode.get(n) ?? { node: n, runId: meta.id, action: meta.action, state: 'queued' as const, percent: 0, attempts: 0 });
  let sum = 0;
  let finishedAt: string | undefined;
  for (const s of ordered) {
    counts[s.state]++;
    const final = s.state === 'done' || s.state === 'failed';
    sum += final ? 100 : s.percent;
    if (final && s.result) results[s.result] = (results[s.result] ?? 0) + 1;
    if (final && s.finishedAt && (!finishedAt || s.finishedAt > finishedAt)) finishedAt = s.finishedAt;
  }
  const total = ordered.length;
  const done = counts.done + counts.failed === total;
  const view: RunView = {
    ...meta,
    status: done ? 'done' : 'running',
    total,
    counts,
    results,
    percent: total ? Math.floor(sum / total) : 100,
    states: ordered,
  };
  if (done && finishedAt) {
    view.finishedAt = finishedAt;
    view.durationMs = Date.parse(finishedAt) - Date.parse(meta.createdAt);
  }
  return view;
}

const RUN_TTL_S = 14 * 24 * 3600;

/** Runs in Redis: `<p>run:<id>` (meta JSON), `<p>run:<id>:nodes` (hash node -> state JSON), `<p>runs` (zset by time), `<p>last` (hash node -> state JSON). */
export class RedisRunStore implements RunStore {
  readonly #redis: Redis;
  readonly #p: string;
  constructor(redis: Redis, prefix = 'aami:install:') {
    this.#redis = redis;
    this.#p = prefix;
  }

  async create(meta: RunMeta): Promise<void> {
    const states = meta.nodes.flatMap((n) => [n, JSON.stringify({ node: n, runId: meta.id, action: meta.action, state: 'queued', percent: 0, attempts: 0 } satisfies NodeRunState)]);
    const m = this.#redis.multi()
      .set(`${this.#p}run:${meta.id}`, JSON.stringify(meta), 'EX', RUN_TTL_S)
      .zadd(`${this.#p}runs`, Date.parse(meta.createdAt), meta.id);
    if (states.length) m.hset(`${this.#p}run:${meta.id}:nodes`, ...states).expire(`${this.#p}run:${meta.id}:nodes`, RUN_TTL_S);
    await m.exec();
  }

  async meta(id: string): Promise<RunMeta | undefined> {
    const raw = await this.#redis.get(`${this.#p}run:${id}`);
    return raw ? (JSON.parse(raw) as RunMeta) : undefined;
  }

  async states(id: string): Promise<NodeRunState[]> {
    const all = await this.#redis.hgetall(`${this.#p}run:${id}:nodes`);
    return Object.values(all).map((v) => JSON.parse(v) as NodeRunState);
  }

  async state(id: string, node: string): Promise<NodeRunState | undefined> {
    const raw = await this.#redis.hget(`${this.#p}run:${id}:nodes`, node);
    return raw ? (JSON.parse(raw) as NodeRunState) : undefined;
  }

  async put(state: NodeRunState): Promise<void> {
    await this.#redis.hset(`${this.#p}run:${state.runId}:nodes`, state.node, JSON.stringify(state));
  }

  async last(node: string): Promise<NodeRunState | undefined> {
    const raw = await this.#redis.hget(`${this.#p}last`, node);
    return raw ? (JSON.parse(raw) as NodeRunState) : undefined;
  }

  async setLast(state: NodeRunState): Promise<void> {
    await this.#redis.hset(`${this.#p}last`, state.node, JSON.stringify(state));
  }

  async list(limit: number): Promise<RunMeta[]> {
    const ids = await this.#redis.zrevrange(`${this.#p}runs`, 0, Math.max(0, limit - 1));
    const metas = await Promise.all(ids.map((id) => this.meta(id)));
    return metas.filter((m): m is RunMeta => m !== undefined);
  }
}

/** Runs in memory, for unit tests and fakes. */
export class MemoryRunStore implements RunStore {
  readonly #metas = new Map<string, RunMeta>();
  readonly #states = new Map<string, Map<string, NodeRunState>>();
  readonly #last = new Map<string, NodeRunState>();

  async create(meta: RunMeta): Promise<void> {
    this.#metas.set(meta.id, structuredClone(meta));
    this.#states.set(meta.id, new Map(meta.nodes.map((n) => [n, { node: n, runId: meta.id, action: meta.action, state: 'queued', percent: 0, attempts: 0 }])));
  }
  async meta(id: string) { return structuredClone(this.#metas.get(id)); }
  async states(id: string) { return [...(this.#states.get(id)?.values() ?? [])].map((s) => structuredClone(s)); }
  async state(id: string, node: string) { return structuredClone(this.#states.get(id)?.get(node)); }
  async put(state: NodeRunState) {
    const m = this.#states.get(state.runId) ?? new Map<string, NodeRunState>();
    m.set(state.node, structuredClone(state));
    this.#states.set(state.runId, m);
  }
  async last(node: string) { return structuredClone(this.#last.get(node)); }
  async setLast(state: NodeRunState) { this.#last.set(state.node, structuredClone(state)); }
  async list(limit: number) {
    return [...this.#metas.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
  }
}
