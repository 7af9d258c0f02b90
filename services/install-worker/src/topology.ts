// GPU interconnect topology of each node, read over SSH with the same executor as installs (no
// daemon on the node): `nvidia-smi topo -m`, `nvlink -s`, `nvlink -e` and `--query-gpu`, parsed
// by the shared parsers and kept as one JSON file per node in the worker's data folder (not in
// config.yaml), with the time it was taken. Each node is judged against the other nodes of its kind
// or its kind's pin (pins.json beside them); the judgement is worked out when asked, from an index of
// every snapshot's summary and profile (read from disk once, then kept up to date by refresh), so a
// scrape of /metrics at 10,000 nodes does not parse 10,000 matrices. What a node prints is capped
// on the node.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  GPU_QUERY_FIELDS, NodeTopology, NotFoundError, TopoPins, ValidationError, judgeTopologies, parseGpuQuery, parseNvlinkErrors, parseNvlinkStatus,
  parseTopoMatrix, summarizeTopo, topoProfile, writeFileAtomic, type TopoExpectation, type TopologyList, type TopologyPinResponse,
  type TopologyUnpinResponse, type TopoPin, type TopoProfile,
} from '@aami/shared';
import { SshError } from './ssh/errors.ts';
import type { SshSession, SshTarget } from './ssh/executor.ts';
import type { NodeTarget } from './targets.ts';

/** Bytes of each command's output the node sends at most (topo -m of 16 GPUs is a few KiB). */
const MAX_OUTPUT = 1_000_000;
const TIMEOUT_MS = 30_000;
const PINS_FILE = 'pins.json';

/** Runs `nvidia-smi <args>` capped on the node; exit 127 when the node has no nvidia-smi. */
const smi = (args: string) =>
  `command -v nvidia-smi >/dev/null 2>&1 || exit 127; out=$(nvidia-smi ${args} 2>&1); rc=$?; printf '%s\\n' "$out" | head -c ${MAX_OUTPUT}; exit $rc`;

export interface TopologyDeps {
  /** config.yaml's nodes: a removed node's snapshot stays on disk but is no longer listed or exported. */
  nodes: { get(name: string): Promise<NodeTarget | undefined>; names(): Promise<string[]> };
  ssh: { withSession<T>(target: SshTarget, fn: (session: SshSession) => Promise<T>): Promise<T> };
  /** Where the snapshots live (one <node>.json each, and pins.json). */
  dir: string;
  now?: () => Date;
}

/** Node names are [A-Za-z0-9._-] (config's NodeName), so they are safe file names. */
const fileOf = (dir: string, node: string) => join(dir, `${node}.json`);

/** A node's row of the list (without its judgement), and what is compared of it. */
type Row = Omit<TopologyList['nodes'][number], 'expected'>;
interface Entry { row: Row; profile: TopoProfile | undefined }

export class TopologyService {
  readonly #d: TopologyDeps;
  #index: Promise<Map<string, Entry>> | undefined;
  /** Bumped by every change of a snapshot or a pin: the kept judgement is good while it and the node list hold. */
  #version = 0;
  #judgement: { key: string; value: Promise<Map<string, TopoExpectation>> } | undefined;
  constructor(deps: TopologyDeps) {
    this.#d = deps;
  }

  /** Reads each node's topology now (in parallel, within the executor's session limit) and keeps it. */
  async refresh(nodes: string[]): Promise<NodeTopology[]> {
    await mkdir(this.#d.dir, { recursive: true });
    const index = await this.#entries();
    const taken = await Promise.all(nodes.map(async (node) => {
      const t = await this.#read(node);
      await writeFileAtomic(fileOf(this.#d.dir, node), `${JSON.stringify(t)}\n`, 0o644);
      index.set(node, entryOf(t));
      this.#version++;
      return t;
    }));
    const judged = await this.#judge();
    return taken.map((t) => withExpected(t, judged.get(t.node)));
  }

  /** The last topology taken of `node`, judged against its kind. */
  async get(node: string): Promise<NodeTopology> {
    if (!(await this.#d.nodes.get(node))) throw new NotFoundError(`no node named ${node}`);
    const t = await this.#load(node);
    return withExpected(t, (await this.#judge()).get(node));
  }

  /** Every node's last topology, without the matrices, and the pins. */
  async list(): Promise<TopologyList> {
    const all = await this.#configured();
    const judged = await this.#judge(all);
    const pins = await this.#pins();
    return {
      nodes: all.map(({ row }) => {
        const expected = judged.get(row.node);
        return expected ? { ...row, expected } : row;
      }),
      pins: pins.map(({ kind, node, pinnedAt }) => ({ kind, node, pinnedAt })),
    };
  }

  /** Makes `node`'s current topology the expected one of its kind (replacing that kind's pin). */
  async pin(node: string): Promise<TopologyPinResponse> {
    const t = await this.#load(node);
    const profile = profileOf(t);
    if (!profile) throw new ValidationError(`${node}'s last topology could not be read (${t.reason ?? t.state}); refresh it before pinning`, [{ path: 'node', message: 'no topology to pin' }]);
    const pin: TopoPin = { kind: profile.kind, node, pinnedAt: (this.#d.now ?? (() => new Date()))().toISOString(), profile };
    const pins = [...(await this.#pins()).filter((p) => p.kind !== pin.kind), pin];
    await writeFileAtomic(join(this.#d.dir, PINS_FILE), `${JSON.stringify(pins)}\n`, 0o644);
    this.#version++;
    const all = await this.#configured();
    return { pin: { kind: pin.kind, node, pinnedAt: pin.pinnedAt }, nodes: all.filter((e) => e.profile?.kind === pin.kind).map((e) => e.row.node) };
  }

  /** Removes the pin of `node`'s kind: its nodes are judged by their peers again. */
  async unpin(node: string): Promise<TopologyUnpinResponse> {
    const kind = profileOf(await this.#load(node))?.kind;
    const pins = await this.#pins();
    const pin = pins.find((p) => p.kind === kind);
    if (!pin) throw new NotFoundError(`no pin for ${node}'s kind${kind ? ` (${kind})` : ''}`);
    await writeFileAtomic(join(this.#d.dir, PINS_FILE), `${JSON.stringify(pins.filter((p) => p !== pin))}\n`, 0o644);
    this.#version++;
    return { removed: { kind: pin.kind, node: pin.node, pinnedAt: pin.pinnedAt } };
  }

  /** Every node with a readable topology, judged (what the metrics export). */
  judged(): Promise<Map<string, TopoExpectation>> {
    return this.#judge();
  }

  async #load(node: string): Promise<NodeTopology> {
    let text: string;
    try {
      text = await readFile(fileOf(this.#d.dir, node), 'utf8');
    } catch {
      throw new NotFoundError(`no topology taken of ${node} yet (aami topo refresh ${node})`);
    }
    return NodeTopology.parse(JSON.parse(text));
  }

  /** Every snapshot on disk, read once; a file that cannot be read is listed as failed, naming it. */
  #entries(): Promise<Map<string, Entry>> {
    this.#index ??= (async () => {
      const names = (await readdir(this.#d.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json') && f !== PINS_FILE).map((f) => f.slice(0, -5));
      const entries = await Promise.all(names.map(async (node): Promise<[string, Entry]> => {
        try {
          return [node, entryOf(await this.#load(node))];
        } catch (err) {
          return [node, { row: { node, takenAt: '', state: 'failed', reason: `the kept topology ${fileOf(this.#d.dir, node)} cannot be read: ${(err as Error).message.slice(0, 200)}` }, profile: undefined }];
        }
      }));
      return new Map(entries);
    })();
    return this.#index;
  }

  /** The index's entries of nodes config.yaml lists, by name. */
  async #configured(): Promise<Entry[]> {
    const index = await this.#entries();
    return (await this.#d.nodes.names()).flatMap((n) => index.get(n) ?? []).sort((a, b) => a.row.node.localeCompare(b.row.node));
  }

  async #pins(): Promise<TopoPin[]> {
    const text = await readFile(join(this.#d.dir, PINS_FILE), 'utf8').catch(() => '[]');
    return TopoPins.parse(JSON.parse(text));
  }

  /** Every configured node judged; worked out again only after a snapshot, a pin or the node list changed. */
  async #judge(all?: Entry[]): Promise<Map<string, TopoExpectation>> {
    const entries = all ?? await this.#configured();
    const key = `${this.#version}\u0000${entries.map((e) => e.row.node).join(',')}`;
    if (this.#judgement?.key !== key) {
      const work = (async () => {
        const profiles = new Map<string, TopoProfile>();
        for (const e of entries) if (e.profile) profiles.set(e.row.node, e.profile);
        return judgeTopologies(profiles, await this.#pins());
      })();
      this.#judgement = { key, value: work };
      // A failed judgement (pins.json unreadable) is not kept: the next call tries again.
      work.catch(() => { if (this.#judgement?.value === work) this.#judgement = undefined; });
    }
    return this.#judgement.value;
  }

  async #read(node: string): Promise<NodeTopology> {
    const takenAt = (this.#d.now ?? (() => new Date()))().toISOString();
    const failed = (reason: string): NodeTopology => ({ node, takenAt, state: 'failed', reason });
    const target = await this.#d.nodes.get(node);
    if (!target) return failed(`no node named ${node}`);
    try {
      return await this.#d.ssh.withSession(target, async (s) => {
        const run = (args: string) => s.exec(smi(args), { timeoutMs: TIMEOUT_MS, label: `nvidia-smi ${args}` });
        const topo = await run('topo -m');
        if (topo.code === 127) return { node, takenAt, state: 'no-gpu-tool', reason: 'no nvidia-smi on this node' } satisfies NodeTopology;
        if (topo.code !== 0) return failed(`nvidia-smi topo -m exited ${topo.code}: ${lastLine(topo.stdout)}`);
        const matrix = parseTopoMatrix(topo.stdout);
        // A board without NVLink may answer nvlink -s / -e with an error: the matrix says enough then.
        const status = await run('nvlink -s');
        const nvlink = status.code === 0 ? parseNvlinkStatus(status.stdout) : [];
        const errors = await run('nvlink -e');
        const nvlinkErrors = errors.code === 0 ? parseNvlinkErrors(errors.stdout) : undefined;
        const query = await run(`--query-gpu=${GPU_QUERY_FIELDS} --format=csv,noheader`);
        const identity = query.code === 0 ? parseGpuQuery(query.stdout) : undefined;
        const inactiveLinks = nvlink.flatMap((g) => g.links.filter((l) => l.gbps === null).map((l) => `GPU ${g.index} link ${l.link}`));
        return {
          node, takenAt, state: 'ok', summary: summarizeTopo(matrix), matrix, nvlink, inactiveLinks,
          ...(nvlinkErrors ? { nvlinkErrors } : {}), ...(identity ? { identity } : {}),
        } satisfies NodeTopology;
      });
    } catch (err) {
      return failed(err instanceof SshError ? `${err.kind}: ${err.message}` : (err as Error).message);
    }
  }
}

/** What is compared of a node, or undefined when its topology was not read. */
function profileOf(t: NodeTopology): TopoProfile | undefined {
  return t.state === 'ok' && t.matrix ? topoProfile(t.matrix, t.identity, t.nvlink) : undefined;
}

/** A snapshot as the index keeps it: the list row and the profile, without the matrix. */
function entryOf({ node, takenAt, state, reason, summary, inactiveLinks, ...rest }: NodeTopology): Entry {
  const row: Row = { node, takenAt, state, ...(reason === undefined ? {} : { reason }), ...(summary ? { summary } : {}), ...(inactiveLinks ? { inactiveLinks } : {}) };
  return { row, profile: profileOf({ node, takenAt, state, ...rest }) };
}

const withExpected = (t: NodeTopology, expected: TopoExpectation | undefined): NodeTopology => (expected ? { ...t, expected } : t);

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
