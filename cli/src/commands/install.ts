// `aami nodes install|uninstall|test|trust`: exporter installs over SSH, run by the install-worker
// through the API. install/uninstall start a run (one job per node), show a live progress bar on a
// terminal (a line per finished node otherwise) and end with a table of node, result, duration and
// reason; exit 1 when any node failed. trust without --fingerprint shows the key the node offers
// and asks before pinning it (or wants --yes when no one is at a terminal to answer).
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import type { HostKeyTrustResult, HostKeyView, InstallAction, InstallRun, InstallRunStarted, NodesTestResponse } from '@aami/shared';
import type { ApiClient } from '../client.ts';
import { clientFor, outputFormat } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { printJson, renderTable, terminalSafe as safe } from '../output.ts';

/** Where trust talks to a person: a terminal to ask on, or none (a script, a pipe). */
export interface TrustIo {
  interactive: boolean;
  ask(question: string): Promise<string>;
  out(text: string): void;
  err(text: string): void;
}

const processIo = (): TrustIo => ({
  interactive: Boolean(process.stdin.isTTY),
  ask: async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
});

/** The file on the node that holds its host key of `type`, for the comparison hint. */
const nodeKeyFile = (type: string) => `/etc/ssh/ssh_host_${type === 'ssh-ed25519' ? 'ed25519' : type === 'ssh-rsa' ? 'rsa' : type.startsWith('ecdsa-') ? 'ecdsa' : '*'}_key.pub`;

/**
 * `aami nodes trust NAME`. With --fingerprint only that key is pinned. Without it, the key the node
 * offers now is shown and pinned after a "y" on a terminal, or at once with --yes; with neither a
 * terminal nor --yes nothing changes. What is pinned is always the fingerprint that was shown: if
 * the node offers another key by then, the worker refuses (409).
 */
export async function trustNode(client: ApiClient, name: string, opts: { fingerprint?: string; yes?: boolean; json?: boolean }, io: TrustIo = processIo()): Promise<void> {
  const path = `/api/v1/nodes/${encodeURIComponent(name)}`;
  let fingerprint = opts.fingerprint;
  if (!fingerprint) {
    const offered = await client.request<HostKeyView>('GET', `${path}/host-key`);
    const where = safe(`${name} (${offered.host}:${offered.port})`);
    const key = safe(`${offered.type} ${offered.fingerprint}`);
    if (offered.status === 'revoked') throw new CliError(`${where} offers ${key}, which known_hosts lists as @revoked; it cannot be trusted. Nothing was changed`);
    if (offered.status === 'match') {
      // Already pinned: nothing to ask, nothing to write (trust would drop other keys on file).
      return printTrust({ node: offered.node, host: offered.host, port: offered.port, type: offered.type, fingerprint: offered.fingerprint, previous: offered.fingerprint, changed: false }, name, opts.json, io);
    }
    if (!opts.yes) {
      if (!io.interactive) {
        throw new UsageError(`${where} offers the host key ${key}. Nothing was changed: stdin is not a terminal, so no one can confirm it. ` +
          `Check the fingerprint on the node (ssh-keygen -lf ${nodeKeyFile(offered.type)}), then run again with --fingerprint ${safe(offered.fingerprint)}, or with --yes to accept the key the node offers`);
      }
      io.err(`${where} offers the host key ${key}\n`);
      io.err(offered.pinned ? `  pinned now: ${safe(offered.pinned)}\n` : '  no key is pinned for it yet\n');
      io.err(`Compare it with the node's own key: ssh-keygen -lf ${nodeKeyFile(offered.type)}\n`);
      const answer = (await io.ask('Pin this key? [y/N] ')).trim().toLowerCase();
      if (answer !== 'y' && answer !== 'yes') throw new CliError(`${safe(name)}: the key was not pinned; nothing was changed`);
    }
    fingerprint = offered.fingerprint;
  }
  printTrust(await client.request<HostKeyTrustResult>('POST', `${path}/trust`, { fingerprint }), name, opts.json, io);
}

function printTrust(res: HostKeyTrustResult, name: string, json: boolean | undefined, io: TrustIo): void {
  if (json) {
    io.out(`${JSON.stringify(res, null, 2)}\n`);
    return;
  }
  const where = safe(`${name} (${res.host}:${res.port})`);
  const key = safe(`${res.type} ${res.fingerprint}`);
  if (!res.changed) io.out(`${where} already had this key pinned: ${key}\n`);
  else if (res.previous) io.out(`Pinned the new host key of ${where}: ${key}\n  (was ${safe(res.previous)})\n`);
  else io.out(`Pinned the host key of ${where}: ${key}\n`);
}

/** The `aami nodes test` table, the first-contact notes (one line each) and the summary. */
export function testReport(res: NodesTestResponse): string {
  const rows = res.results.map((r) => [r.node, r.ok ? '✔ ok' : `✖ ${r.kind ?? 'failed'}`, `${r.latencyMs} ms`, r.user ?? '-', r.sudo ?? '-', r.reason ?? '']);
  const notes = res.results.flatMap((r) => r.notes ?? []).map((n) => `${safe(n)}\n`).join('');
  return `${renderTable(['Node', 'SSH', 'Latency', 'User', 'Sudo', 'Reason'], rows)}\n${notes}${res.ok} reachable, ${res.failed} not\n`;
}

const parseConcurrency = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 2000) throw new UsageError(`--concurrency must be 1-2000, got "${v}"`);
  return n;
};

/** "1.2s", "2m03s". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The progress line: bar, percent, finished/total, running, failed, elapsed. */
export function progressLine(run: InstallRun, elapsedMs: number, width = 24): string {
  const filled = Math.round((run.percent / 100) * width);
  const finished = run.counts.done + run.counts.failed;
  const parts = [
    `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(run.percent).padStart(3)}%`,
    `${finished}/${run.total} nodes`,
    `${run.counts.running} running`,
  ];
  if (run.counts.retrying) parts.push(`${run.counts.retrying} retrying`);
  if (run.counts.failed) parts.push(`${run.counts.failed} failed`);
  parts.push(formatDuration(elapsedMs));
  return parts.join('  ');
}

/** The closing table: node, result, duration, reason (or notes when it went well). */
export function resultTable(run: InstallRun): string {
  const rows = run.states.map((s) => [
    s.node,
    s.state === 'failed' ? `✖ ${s.result ?? 'failed'}${s.kind ? ` (${s.kind})` : ''}` : s.state === 'done' ? `✔ ${s.result ?? 'done'}` : s.state,
    formatDuration(s.durationMs),
    s.reason ?? (s.notes ?? []).join('; '),
  ]);
  return renderTable(['Node', 'Result', 'Duration', 'Reason'], rows);
}

/** One summary line: "20 nodes: 18 installed, 2 unchanged in 41.0s". */
export function summaryLine(run: InstallRun): string {
  const parts = Object.entries(run.results).sort(([a], [b]) => a.localeCompare(b)).map(([r, n]) => `${n} ${r}`);
  return `${run.total} node(s): ${parts.join(', ') || 'nothing finished'}${run.durationMs !== undefined ? ` in ${formatDuration(run.durationMs)}` : ''}`;
}

/** Polls a run until every node finished, drawing progress on stderr. */
export async function followRun(client: ApiClient, runId: string, opts: { intervalMs?: number; quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Promise<InstallRun> {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY) && !opts.quiet;
  const started = Date.now();
  const reported = new Set<string>();
  for (;;) {
    const run = await client.request<InstallRun>('GET', `/api/v1/install/runs/${encodeURIComponent(runId)}`);
    if (tty) stream.write(`\r\x1b[2K${progressLine(run, Date.now() - started)}`);
    else if (!opts.quiet) {
      for (const s of run.states) {
        if ((s.state === 'done' || s.state === 'failed') && !reported.has(s.node)) {
          reported.add(s.node);
          stream.write(`${safe(`  ${s.node}: ${s.result ?? s.state}${s.reason ? ` (${s.reason})` : ''} [${reported.size}/${run.total}]`)}\n`);
        }
      }
    }
    if (run.status === 'done') {
      if (tty) stream.write('\n');
      return run;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

async function startAndFollow(cmd: Command, action: InstallAction, names: string[], opts: { all?: boolean; concurrency?: number; wait: boolean; attach?: string }): Promise<void> {
  const client = await clientFor(cmd);
  const json = outputFormat(cmd) === 'json';
  let runId = opts.attach;
  if (!runId) {
    if (opts.all && names.length) throw new UsageError('give node names or --all, not both');
    if (!opts.all && names.length === 0) throw new UsageError(`name the nodes to ${action}, or use --all`);
    const started = await client.request<InstallRunStarted>('POST', '/api/v1/install/runs', {
      action, ...(opts.all ? { all: true } : { nodes: names }), ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    });
    runId = started.runId;
    if (!json) process.stderr.write(`Run ${safe(runId)}: ${action} on ${started.total} node(s)\n`);
    if (!opts.wait) {
      if (json) printJson(started);
      else process.stdout.write(`Started run ${safe(runId)}. Follow it with: aami nodes install --attach ${safe(runId)}\n`);
      return;
    }
  }
  const run = await followRun(client, runId, { quiet: json });
  if (json) printJson(run);
  else process.stdout.write(`${resultTable(run)}\n${summaryLine(run)}\n`);
  if (run.counts.failed > 0) throw new CliError(`${run.counts.failed} of ${run.total} node(s) failed (see the Reason column)`);
}

/** Adds install, uninstall, test and trust to the `aami nodes` command. */
export function registerInstallCommands(nodes: Command): void {
  nodes
    .command('install')
    .description('install (or update) node_exporter, the Xid counter and, on GPU nodes, dcgm-exporter over SSH; safe to run again')
    .argument('[names...]', 'nodes to install on')
    .option('--all', 'every node in config')
    .option('--concurrency <n>', 'nodes worked on at once in this run (default: ssh.concurrency, 100)', parseConcurrency)
    .option('--upgrade', 'record the run as an upgrade (same work: whatever differs from the artifact store is replaced)')
    .option('--verify', 'change nothing; check units and /metrics on each node')
    .option('--no-wait', 'start the run and return its id')
    .addOption(new Option('--attach <runId>', 'follow a run started earlier'))
    .action(async (names: string[], opts: { all?: boolean; concurrency?: number; upgrade?: boolean; verify?: boolean; wait: boolean; attach?: string }, cmd: Command) => {
      if (opts.upgrade && opts.verify) throw new UsageError('--upgrade and --verify exclude each other');
      const action = opts.verify ? 'verify' : opts.upgrade ? 'upgrade' : 'install';
      await startAndFollow(cmd, action, names, opts);
    });

  nodes
    .command('uninstall')
    .description("remove AAMI's exporters, units and files from nodes (the nodes stay in config)")
    .argument('[names...]', 'nodes to uninstall from')
    .option('--all', 'every node in config')
    .option('--concurrency <n>', 'nodes worked on at once in this run', parseConcurrency)
    .option('--no-wait', 'start the run and return its id')
    .action(async (names: string[], opts: { all?: boolean; concurrency?: number; wait: boolean }, cmd: Command) => {
      await startAndFollow(cmd, 'uninstall', names, opts);
    });

  nodes
    .command('test')
    .description('check SSH login (and passwordless sudo) on nodes in parallel; no names = every node')
    .argument('[names...]', 'nodes to test')
    .option('--all', 'every node in config (the default)')
    .action(async (names: string[], opts: { all?: boolean }, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<NodesTestResponse>('POST', '/api/v1/nodes/test', names.length && !opts.all ? { nodes: names } : { all: true });
      if (outputFormat(cmd) === 'json') printJson(res);
      else process.stdout.write(testReport(res));
      if (res.failed > 0) throw new CliError(`${res.failed} node(s) could not be reached`);
    });

  nodes
    .command('trust')
    .description("accept the host key a node offers now (first contact, or after a reinstall); compare its fingerprint with the node's own first")
    .argument('<name>')
    .option('--fingerprint <SHA256:...>', 'accept only this key; nothing is asked')
    .option('-y, --yes', 'accept the key the node offers without asking (needed when stdin is not a terminal and --fingerprint is not given)')
    .action(async (name: string, opts: { fingerprint?: string; yes?: boolean }, cmd: Command) => {
      await trustNode(await clientFor(cmd), name, { ...opts, json: outputFormat(cmd) === 'json' });
    });
}
