// One action on one node, start to finish, over one SSH connection: probe, decide, upload what
// differs, apply, verify, record. Failures come back as data with a kind and a reason a person can
// act on (unreachable, auth, host key changed, no sudo, disk full, unit failed + its journal), and
// whether trying again may help; this function does not throw for a node's failure.
import { readFileSync } from 'node:fs';
import { classifySshError, SshError } from '../ssh/errors.ts';
import type { SshSession, SshTarget } from '../ssh/executor.ts';
import { pinnedNote } from '../ssh/known-hosts.ts';
import type { ArtifactPin, InstallAction, InstallFailureKind } from '@aami/shared';
import type { ArtifactStore } from '../artifacts/store.ts';
import { ALL_UNITS, buildDesired, managedPaths, PATHS, type DesiredState } from './desired.ts';
import type { NodeFiles } from './node-files.ts';
import { makePlan, spaceShortfall, type ChangeResult } from './plan.ts';
import { parseProbe, probeCommand, type NodeFacts } from './probe.ts';
import { applyScript, stagedName, uninstallScript, verifyArgs } from './scripts.ts';
import { runStaged, STAGE_MARKERS, type StagedFile } from './stage.ts';

const VERIFY_SH = readFileSync(new URL('./scripts/verify.sh', import.meta.url), 'utf8');

/** The four things the install queue asks for. */
export type { InstallAction };

/** Why a node failed. */
/** Why a node failed: the API's list (SSH failures first, then the install's own). */
export type FailureKind = InstallFailureKind;

/** The result of one action on one node. */
export interface NodeOutcome {
  node: string;
  action: InstallAction;
  ok: boolean;
  result: ChangeResult | 'uninstalled' | 'verified' | 'failed';
  kind?: FailureKind;
  reason?: string;
  /** Trying again may help (the node was unreachable, the connection dropped). */
  transient: boolean;
  durationMs: number;
  versions: Record<string, string>;
  notes: string[];
  node_info?: { os: string; arch: string; gpus: number; sudo: NodeFacts['sudo'] };
}

/** Progress callback: a step name and a percentage of this node's work. */
export type StepReporter = (step: string, percent: number) => void | Promise<void>;

/** What the installer needs: a way to hold an SSH session, the artifacts, the node files. */
export interface InstallerDeps {
  ssh: { withSession<T>(target: SshTarget, fn: (s: SshSession) => Promise<T>, options?: { fresh?: boolean }): Promise<T> };
  store: Pick<ArtifactStore, 'latest' | 'source'>;
  nodeFiles: () => Promise<NodeFiles>;
  /** config.yaml's artifacts.pins, read for each node (an edit applies to the next install). */
  pins?: () => Promise<ArtifactPin[]>;
  ports?: { nodeExporter?: number; dcgmExporter?: number };
  /** How long verify waits for units and /metrics to come up. @defaultValue 20 */
  verifyWaitS?: number;
}

/** A node failure raised inside the flow and turned into an outcome at its end. */
class NodeFailure extends Error {
  readonly kind: FailureKind;
  readonly transient: boolean;
  constructor(kind: FailureKind, message: string, transient = false) {
    super(message);
    this.kind = kind;
    this.transient = transient;
  }
}

const tail = (s: string, n = 5) => s.trim().split('\n').filter(Boolean).slice(-n).join(' | ');
const decode = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : '');

/** Runs `action` on the node behind `target`. Never throws for the node's sake. */
export async function runNodeAction(
  target: SshTarget & { name: string },
  action: InstallAction,
  ctx: { runId: string; onStep?: StepReporter },
  deps: InstallerDeps,
): Promise<NodeOutcome> {
  const started = Date.now();
  const step = async (name: string, pct: number) => { await ctx.onStep?.(name, pct); };
  const outcome: NodeOutcome = { node: target.name, action, ok: false, result: 'failed', transient: false, durationMs: 0, versions: {}, notes: [] };
  try {
    await step('connecting', 5);
    // A fresh login per job: the host key is checked against the pinned one every run.
    await deps.ssh.withSession(target, async (s) => {
      // Trust on first use is said out loud: the operator can compare it with the node's own key.
      if (s.pinnedHostKey) outcome.notes.push(pinnedNote(target.name, s.pinnedHostKey));
      await step('probing', 10);
      const nodeFiles = await deps.nodeFiles();
      const facts = await probe(s, nodeFiles.xid.scriptPath);
      outcome.node_info = { os: facts.os.pretty || `${facts.os.id} ${facts.os.version}`.trim(), arch: facts.arch, gpus: facts.gpu.names.length, sudo: facts.sudo };
      if (facts.init !== 'systemd') throw new NodeFailure('unsupported', `the node's init system is ${facts.init}, not systemd; AAMI installs exporters as systemd units`);
      if (facts.sudo === 'no') {
        throw new NodeFailure('no-sudo', `${facts.user} may not run sudo without a password on this node (sudo -n): allow it (NOPASSWD) for ${facts.user}, or log in as root`);
      }
      const sudo = facts.sudo === 'root' ? '' : 'sudo -n ';
      if (action === 'uninstall') {
        await step('removing', 40);
        const res = await s.exec(`${sudo}bash -s`, { stdin: uninstallScript(facts.installed ? Object.values(facts.installed.components).flatMap((c) => Object.keys(c.files)) : [nodeFiles.xid.scriptPath], facts.installed ? Object.values(facts.installed.components).flatMap((c) => c.units) : []), label: 'uninstall' });
        if (res.code !== 0) throw scriptFailure(res.stdout, res.stderr, 'uninstall');
        const removed = Number(/removed (\d+)/.exec(res.stdout)?.[1] ?? 0);
        outcome.result = 'uninstalled';
        outcome.notes.push(removed > 0 ? `removed ${removed} file(s) and AAMI's units` : 'nothing of AAMI was installed');
        return;
      }
      const built = await buildDesired(facts, { store: deps.store, nodeFiles, ports: deps.ports, pins: (await deps.pins?.()) ?? [] });
      if (!built.ok) throw new NodeFailure('unsupported', built.reason);
      const desired = built.desired;
      outcome.notes.push(...desired.notes);
      outcome.versions = Object.fromEntries(desired.components.map((c) => [c.name, c.version]));
      if (action === 'verify') {
        if (!facts.installed) throw new NodeFailure('not-installed', 'AAMI has not installed anything on this node yet (/etc/aami/installed.json is missing)');
        const drift = makePlan(facts, desired, ctx.runId);
        if (drift.result !== 'unchanged') outcome.notes.push(`differs from the wanted state: ${drift.upload.length} file(s), units to start: ${[...drift.start, ...drift.enable].join(', ') || 'none'} (run aami nodes install)`);
        await step('verifying', 60);
        await verify(s, sudo, desired, deps.verifyWaitS ?? 5);
        outcome.result = 'verified';
        return;
      }
      const plan = makePlan(facts, desired, ctx.runId);
      const short = spaceShortfall(plan, facts);
      if (short) throw new NodeFailure('disk-full', short);
      if (plan.result !== 'unchanged' || plan.upload.length) {
        if (plan.upload.length) await step('uploading', 25);
        const files = plan.upload.map((f, i) => ({ name: stagedName(i), size: f.size, sha256: f.sha256, content: f.content }));
        await apply(s, sudo, files, applyScript(plan), () => { void Promise.resolve(step('applying', 60)).catch(() => undefined); });
      }
      if (plan.versionChanges.length) outcome.notes.push(...plan.versionChanges);
      await step('verifying', 85);
      await verify(s, sudo, desired, deps.verifyWaitS ?? 20);
      outcome.result = plan.result;
    }, { fresh: true });
    outcome.ok = true;
  } catch (err) {
    const f = toFailure(err, target);
    outcome.ok = false;
    outcome.result = 'failed';
    outcome.kind = f.kind;
    outcome.reason = f.message;
    outcome.transient = f.transient;
  }
  outcome.durationMs = Date.now() - started;
  return outcome;
}

async function probe(s: SshSession, xidScriptPath: string): Promise<NodeFacts> {
  const paths = [...managedPaths(), xidScriptPath];
  const cmd = probeCommand({ files: paths, units: ALL_UNITS, dirs: [PATHS.staging, '/usr/local/bin', '/etc/systemd/system', '/etc/aami', '/var/lib/aami/images', '/var/lib/node_exporter'] });
  const res = await s.exec(cmd.command, { stdin: cmd.stdin, label: 'probe' });
  if (res.code !== 0 && !res.stdout.includes('probe=done')) {
    throw new NodeFailure('command-failed', `the node probe failed (exit ${res.code}): ${tail(res.stderr || res.stdout)}`);
  }
  return parseProbe(res.stdout);
}

async function apply(s: SshSession, sudo: string, files: StagedFile[], script: string, onSent: () => void): Promise<void> {
  const res = await runStaged(s, sudo, files, script, 'install', onSent);
  if (res.code === 0) return;
  if (res.stdout.includes(STAGE_MARKERS.mktemp)) throw new NodeFailure('command-failed', `could not make a private staging folder under ${PATHS.staging} on the node: ${tail(res.stderr, 2)}`);
  if (res.stdout.includes(STAGE_MARKERS.checksum)) {
    throw new NodeFailure('command-failed', `the uploaded files arrived different from what AAMI sent (SHA-256 check failed: ${tail(res.stderr, 3)}); nothing was installed`, true);
  }
  throw scriptFailure(res.stdout, res.stderr, 'install');
}

async function verify(s: SshSession, sudo: string, desired: DesiredState, waitS: number): Promise<void> {
  const units = desired.components.flatMap((c) => c.units);
  const metrics = desired.components.flatMap((c) => (c.metrics ? [c.metrics] : []));
  const res = await s.exec(`${sudo}bash -s -- ${verifyArgs(waitS, units, metrics)}`, { stdin: VERIFY_SH, label: 'verify' });
  if (res.code === 0) return;
  const lines = res.stdout.split('\n');
  const badUnit = lines.map((l) => l.split(' ')).find((p) => p[0] === 'unit' && p[2] !== 'active');
  if (badUnit) {
    const journal = decode(lines.find((l) => l.startsWith(`journal ${badUnit[1]} `))?.split(' ')[2]);
    throw new NodeFailure('unit-failed', `${badUnit[1]} is ${badUnit[2]}${journal ? `; its journal ends: ${tail(journal)}` : ''}`);
  }
  const badMetrics = lines.find((l) => l.startsWith('metrics ') && l.split(' ')[2] !== 'ok');
  if (badMetrics) {
    const [, port, , ...why] = badMetrics.split(' ');
    throw new NodeFailure('verify-failed', `http://127.0.0.1:${port}/metrics on the node: ${why.join(' ')}`);
  }
  throw new NodeFailure('verify-failed', `verify failed (exit ${res.code}): ${tail(res.stderr || res.stdout)}`);
}

function scriptFailure(stdout: string, stderr: string, what: string): NodeFailure {
  const unit = /^unit-failed (\S+) (\S*)$/m.exec(stdout);
  if (unit) return new NodeFailure('unit-failed', `${unit[1]} failed; its journal ends: ${tail(decode(unit[2]))}`);
  const all = `${stderr}\n${stdout}`;
  if (/No space left on device|Disk quota exceeded/i.test(all)) return new NodeFailure('disk-full', `disk full during ${what}: ${tail(stderr || stdout, 2)}`);
  if (/sudo: .*password is required|sudo: a terminal is required/i.test(all)) return new NodeFailure('no-sudo', `sudo refused during ${what}: ${tail(stderr, 2)}`);
  return new NodeFailure('command-failed', `${what} failed: ${tail(stderr || stdout)}`);
}

function toFailure(err: unknown, target: SshTarget): NodeFailure {
  if (err instanceof NodeFailure) return err;
  if (err instanceof SshError) {
    if (err.kind === 'command-failed') {
      const e = err as SshError & { stdout?: string; stderr?: string };
      const f = scriptFailure(e.stdout ?? '', e.stderr ?? '', 'upload');
      return f.kind === 'command-failed' ? new NodeFailure('command-failed', err.message) : f;
    }
    return new NodeFailure(err.kind, err.message, err.transient);
  }
  const e = err as Error;
  if (e && typeof e === 'object' && ('level' in e || 'code' in e)) {
    const c = classifySshError(err, `${target.username}@${target.host}:${target.port}`);
    return new NodeFailure(c.kind, c.message, c.transient);
  }
  return new NodeFailure('internal', `internal error: ${e?.message ?? String(err)}`);
}
