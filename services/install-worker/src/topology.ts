// GPU interconnect topology of each node, read over SSH with the same executor as installs (no
// daemon on the node): `nvidia-smi topo -m` and `nvidia-smi nvlink -s`, parsed by the shared
// parsers and kept as one JSON file per node in the worker's data folder (not in config.yaml), with
// the time it was taken. What a node prints is capped on the node before it is sent.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  NodeTopology, NotFoundError, parseNvlinkStatus, parseTopoMatrix, summarizeTopo, writeFileAtomic, type TopologyList,
} from '@aami/shared';
import { SshError } from './ssh/errors.ts';
import type { SshSession, SshTarget } from './ssh/executor.ts';
import type { NodeTarget } from './targets.ts';

/** Bytes of each command's output the node sends at most (topo -m of 16 GPUs is a few KiB). */
const MAX_OUTPUT = 1_000_000;
const TIMEOUT_MS = 30_000;

/** Runs `nvidia-smi <args>` capped on the node; exit 127 when the node has no nvidia-smi. */
const smi = (args: string) =>
  `command -v nvidia-smi >/dev/null 2>&1 || exit 127; out=$(nvidia-smi ${args} 2>&1); rc=$?; printf '%s\\n' "$out" | head -c ${MAX_OUTPUT}; exit $rc`;

export interface TopologyDeps {
  nodes: { get(name: string): Promise<NodeTarget | undefined> };
  ssh: { withSession<T>(target: SshTarget, fn: (session: SshSession) => Promise<T>): Promise<T> };
  /** Where the snapshots live (one <node>.json each). */
  dir: string;
  now?: () => Date;
}

/** Node names are [A-Za-z0-9._-] (config's NodeName), so they are safe file names. */
const fileOf = (dir: string, node: string) => join(dir, `${node}.json`);

export class TopologyService {
  readonly #d: TopologyDeps;
  constructor(deps: TopologyDeps) {
    this.#d = deps;
  }

  /** Reads each node's topology now (in parallel, within the executor's session limit) and keeps it. */
  async refresh(nodes: string[]): Promise<NodeTopology[]> {
    await mkdir(this.#d.dir, { recursive: true });
    return Promise.all(nodes.map(async (node) => {
      const taken = await this.#read(node);
      await writeFileAtomic(fileOf(this.#d.dir, node), `${JSON.stringify(taken)}\n`, 0o644);
      return taken;
    }));
  }

  /** The last topology taken of `node`. */
  async get(node: string): Promise<NodeTopology> {
    let text: string;
    try {
      text = await readFile(fileOf(this.#d.dir, node), 'utf8');
    } catch {
      throw new NotFoundError(`no topology taken of ${node} yet (aami topo refresh ${node})`);
    }
    return NodeTopology.parse(JSON.parse(text));
  }

  /** Every node's last topology, without the matrices. */
  async list(): Promise<TopologyList> {
    const names = (await readdir(this.#d.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    const nodes = await Promise.all(names.map(async (n) => {
      const { node, takenAt, state, reason, summary, inactiveLinks } = await this.get(n);
      return { node, takenAt, state, ...(reason === undefined ? {} : { reason }), ...(summary ? { summary } : {}), ...(inactiveLinks ? { inactiveLinks } : {}) };
    }));
    return { nodes };
  }

  async #read(node: string): Promise<NodeTopology> {
    const takenAt = (this.#d.now ?? (() => new Date()))().toISOString();
    const failed = (reason: string): NodeTopology => ({ node, takenAt, state: 'failed', reason });
    const target = await this.#d.nodes.get(node);
    if (!target) return failed(`no node named ${node}`);
    try {
      return await this.#d.ssh.withSession(target, async (s) => {
        const topo = await s.exec(smi('topo -m'), { timeoutMs: TIMEOUT_MS, label: 'nvidia-smi topo -m' });
        if (topo.code === 127) return { node, takenAt, state: 'no-gpu-tool', reason: 'no nvidia-smi on this node' } satisfies NodeTopology;
        if (topo.code !== 0) return failed(`nvidia-smi topo -m exited ${topo.code}: ${lastLine(topo.stdout)}`);
        const matrix = parseTopoMatrix(topo.stdout);
        const status = await s.exec(smi('nvlink -s'), { timeoutMs: TIMEOUT_MS, label: 'nvidia-smi nvlink -s' });
        // A board without NVLink may answer nvlink -s with an error: the matrix says enough then.
        const nvlink = status.code === 0 ? parseNvlinkStatus(status.stdout) : [];
        const inactiveLinks = nvlink.flatMap((g) => g.links.filter((l) => l.gbps === null).map((l) => `GPU ${g.index} link ${l.link}`));
        return { node, takenAt, state: 'ok', summary: summarizeTopo(matrix), matrix, nvlink, inactiveLinks } satisfies NodeTopology;
      });
    } catch (err) {
      return failed(err instanceof SshError ? `${err.kind}: ${err.message}` : (err as Error).message);
    }
  }
}

const lastLine = (text: string) => text.trim().split('\n').pop()?.slice(0, 300) ?? '';

/**
 * Takes every node's topology again every `everyMs` (0: never), one pass at a time, so a link that
 * went down since the install shows without anyone asking. Returns a stop function.
 */
export function scheduleTopologyRefresh(deps: { refresh: (nodes: string[]) => Promise<unknown>; names: () => Promise<string[]>; everyMs: number; log: { warn(msg: string, fields?: Record<string, unknown>): void } }): () => void {
  if (deps.everyMs <= 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void deps.names().then((n) => deps.refresh(n)).catch((err: unknown) => deps.log.warn('scheduled topology refresh failed', { error: err as Error })).finally(() => { running = false; });
  }, deps.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
