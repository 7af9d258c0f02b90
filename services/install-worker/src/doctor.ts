// The node side of `aami doctor`, the checks that need SSH (only the install worker speaks SSH):
// for each node, in parallel with a bound, the host key it offers against known_hosts (read
// without logging in, as `aami nodes trust` does), then, only when that key is the pinned one, a
// login that reads the node's clock (`date +%s.%N`; skew = node time minus the middle of the
// request) and /etc/aami/installed.json, whose exporter versions are compared with what the
// artifact store would install now. Nothing is changed on the node or in known_hosts: a node with
// no pinned key is not logged in to (that login would pin it). Everything a node prints is capped
// and parsed, never trusted. The answer is DoctorNodesResponse (shared/src/api/doctor.ts).
import {
  ExporterName, type DoctorHostKeyStatus, type DoctorNodeExporter, type DoctorNodeResult, type DoctorNodesResponse, type InstallFailureKind,
} from '@aami/shared';
import type { ArtifactStore } from './artifacts/store.ts';
import { normalizeArch } from './artifacts/store.ts';
import { PATHS } from './install/desired.ts';
import { InstalledRecord } from './install/probe.ts';
import { SshError } from './ssh/errors.ts';
import type { SshSession, SshTarget } from './ssh/executor.ts';
import type { HostKey, KnownHostsStore } from './ssh/known-hosts.ts';
import { Semaphore } from './ssh/semaphore.ts';
import type { NodeTarget } from './targets.ts';

/** What the node checks need: node targets, an SSH executor, the known_hosts store and the artifact store's versions. */
export interface NodeDoctorDeps {
  nodes: { get(name: string): Promise<NodeTarget | undefined>; names(): Promise<string[]> };
  ssh: {
    withSession<T>(target: SshTarget, fn: (session: SshSession) => Promise<T>, options?: { fresh?: boolean }): Promise<T>;
    offeredHostKey(target: Pick<SshTarget, 'host' | 'port'>): Promise<HostKey>;
  };
  knownHosts: Pick<KnownHostsStore, 'check' | 'keys'>;
  /** The versions of each exporter the artifact store would install now on a node of `arch`. */
  wanted(arch: string): Promise<Record<string, string[]>>;
  /** Nodes looked at once (each holds up to two SSH connections). @defaultValue 32 */
  concurrency?: number;
  /** Limit of each command on a node. @defaultValue 10000 */
  commandTimeoutMs?: number;
  /** Test seam: the control node's clock in ms. */
  now?: () => number;
}

/** How long a whole answer may take when the caller does not say. */
export const DEFAULT_DOCTOR_TIMEOUT_MS = 30_000;

/** Longest version string taken from a node's installed.json (a real one is a few characters). */
const MAX_VERSION = 64;
/** Most of installed.json read (a real one is under 4 KiB). */
const MAX_RECORD_BYTES = 256 * 1024;

const CLOCK_COMMAND = 'date +%s.%N';
const FACTS_COMMAND = `uname -m; echo ---; if [ -r ${PATHS.installed} ]; then head -c ${MAX_RECORD_BYTES} ${PATHS.installed} | base64 -w0; fi; echo`;

/**
 * The node's time in seconds from `date +%s.%N`, and whether the fraction was there (busybox's
 * date may print a literal N): without it the reading is only good to a second.
 */
export function parseNodeTime(stdout: string): { seconds: number; precise: boolean } | undefined {
  const m = /^(\d{1,12})(?:\.(\d{1,9}))?(?:\s|$|\.)/.exec(stdout.slice(0, 64).trim() + '\n');
  if (!m?.[1]) return undefined;
  const whole = Number(m[1]);
  return m[2] ? { seconds: whole + Number(`0.${m[2]}`), precise: true } : { seconds: whole, precise: false };
}

/** The arch and the exporters of installed.json from the facts command's output; exporters null when there is no record. */
export function parseNodeFacts(stdout: string): { arch: string | null; exporters: Array<{ name: string; installed: string }> | null } {
  const [head = '', ...rest] = stdout.split('\n---\n');
  const machine = head.trim().split('\n')[0]?.trim().slice(0, 32) ?? '';
  const arch = /^[A-Za-z0-9_.-]+$/.test(machine) ? normalizeArch(machine) : null;
  const b64 = rest.join('\n---\n').trim();
  if (!b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { arch, exporters: null };
  let record: InstalledRecord;
  try {
    const parsed = InstalledRecord.safeParse(JSON.parse(Buffer.from(b64, 'base64').toString('utf8')));
    if (!parsed.success) return { arch, exporters: null };
    record = parsed.data;
  } catch {
    return { arch, exporters: null };
  }
  const exporters = Object.entries(record.components)
    .filter(([name]) => ExporterName.safeParse(name).success)
    .map(([name, c]) => ({ name, installed: c.version.slice(0, MAX_VERSION) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { arch, exporters };
}

/**
 * What the artifact store would install now, per exporter, for a node of `arch`: the newest stored
 * node_exporter; for dcgm-exporter the newest image or binary (which one a node gets depends on
 * whether it has a container runtime, so either counts as current).
 */
export async function wantedExporterVersions(store: Pick<ArtifactStore, 'latest'>, arch: string): Promise<Record<string, string[]>> {
  const [ne, image, bin] = await Promise.all([store.latest('node_exporter', arch), store.latest('dcgm-exporter-image', arch), store.latest('dcgm-exporter', arch)]);
  return {
    node_exporter: ne ? [ne.version] : [],
    dcgm_exporter: [...new Set([image?.version, bin?.version].filter((v): v is string => Boolean(v)))],
  };
}

const failureOf = (err: unknown): { kind: InstallFailureKind; message: string } => (
  err instanceof SshError ? { kind: err.kind, message: err.message } : { kind: 'internal', message: (err as Error).message ?? String(err) }
);

/** Looks at nodes over SSH for `aami doctor`; never throws for a node's sake. */
export class NodeDoctor {
  readonly #d: NodeDoctorDeps;
  constructor(deps: NodeDoctorDeps) {
    this.#d = deps;
  }

  /** Every named node (all of config.yaml's when `names` is left out), answered within `timeoutMs`. */
  async check(names: string[] | undefined, timeoutMs = DEFAULT_DOCTOR_TIMEOUT_MS): Promise<DoctorNodesResponse> {
    const now = this.#d.now ?? Date.now;
    const checkedAt = new Date(now()).toISOString();
    const list = names ?? await this.#d.nodes.names();
    const targets = await Promise.all(list.map(async (name) => ({ name, target: await this.#d.nodes.get(name) })));
    const deadline = now() + timeoutMs;
    const slots = new Semaphore(this.#d.concurrency ?? 32);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => { timer = setTimeout(() => resolve('expired'), timeoutMs); });
    try {
      const results = await Promise.all(targets.map(async ({ name, target }): Promise<DoctorNodeResult> => {
        if (!target) return { ...empty(name, '-'), failure: { kind: 'unknown-node', message: `config.yaml has no node named ${name}` } };
        const address = `${target.host}:${target.port}`;
        // A node still waiting for a slot when time runs out is not started at all.
        const work = slots.use(async () => (now() >= deadline ? undefined : this.#node(target)));
        const done = await Promise.race([work, expired]);
        if (done === 'expired' || done === undefined) {
          return { ...empty(name, address), failure: { kind: 'timeout', message: `${name} was not checked within ${Math.round(timeoutMs / 1000)} s` } };
        }
        return done;
      }));
      return { checked_at: checkedAt, results };
    } finally {
      clearTimeout(timer);
    }
  }

  async #node(target: NodeTarget): Promise<DoctorNodeResult> {
    const result = empty(target.name, `${target.host}:${target.port}`);
    let offered: HostKey;
    try {
      offered = await this.#d.ssh.offeredHostKey(target);
    } catch (err) {
      return { ...result, failure: failureOf(err) };
    }
    let status: DoctorHostKeyStatus;
    let pinned: string | null = null;
    try {
      const check = await this.#d.knownHosts.check(target.host, target.port, Buffer.from(offered.base64, 'base64'));
      status = check.status;
      if (check.status === 'match') pinned = offered.fingerprint;
      else if (check.status === 'changed') pinned = check.pinned.fingerprint;
      else if (check.status === 'revoked') {
        const onFile = await this.#d.knownHosts.keys(target.host, target.port);
        pinned = (onFile.find((k) => k.type === offered.type) ?? onFile[0])?.fingerprint ?? null;
      }
    } catch (err) {
      return { ...result, host_key: { status: 'unread', offered: offered.fingerprint, pinned: null }, failure: { kind: 'protocol', message: `cannot read known_hosts: ${(err as Error).message}` } };
    }
    result.host_key = { status, offered: offered.fingerprint, pinned };
    // Only a node that offers its pinned key gets a login: a changed key gets none of our
    // credentials, and a first login would pin a key nobody has looked at.
    if (status !== 'match') return result;
    const now = this.#d.now ?? Date.now;
    const timeoutMs = this.#d.commandTimeoutMs ?? 10_000;
    try {
      await this.#d.ssh.withSession(target, async (s) => {
        const t0 = now();
        const clock = await s.exec(CLOCK_COMMAND, { timeoutMs, label: 'date' });
        const t1 = now();
        const time = clock.code === 0 ? parseNodeTime(clock.stdout) : undefined;
        if (time) {
          const skew = time.seconds - (t0 + t1) / 2000;
          result.clock = { skew_s: round3(skew), uncertainty_s: round3((t1 - t0) / 2000 + (time.precise ? 0 : 1)) };
        }
        const facts = await s.exec(FACTS_COMMAND, { timeoutMs, label: 'read installed.json' });
        if (facts.code === 0) {
          const parsed = parseNodeFacts(facts.stdout);
          result.arch = parsed.arch;
          if (parsed.exporters) {
            const wanted = parsed.arch ? await this.#d.wanted(parsed.arch) : {};
            result.exporters = parsed.exporters.map((e): DoctorNodeExporter => ({ ...e, wanted: wanted[e.name] ?? [] }));
          }
        }
      });
    } catch (err) {
      result.failure = failureOf(err);
    }
    return result;
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function empty(node: string, address: string): DoctorNodeResult {
  return { node, address, host_key: { status: 'unread', offered: null, pinned: null }, clock: null, arch: null, exporters: null };
}
