// `aami health [NODE] [--gpu K]`: GPU health from the analyzer, the fleet worst first or one node's
// GPUs with every finding and the next action; `aami health clear NODE [--gpu K] --reason TEXT`
// after a repair. Answers are checked against the shared schemas before they are printed.
import type { Command } from 'commander';
import {
  FleetHealthResponse, HEALTH_ACTION_TEXT, HEALTH_STATES, HEALTH_STATE_SYMBOL, HealthClearResponse, NodeHealthResponse,
  type GpuHealth, type HealthState,
} from '@aami/shared';
import { clientFor, outputFormat } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { printJson, renderTable, terminalSafe as safe } from '../output.ts';

/** State with a symbol, so it reads without colour. */
export const STATE_CELL = Object.fromEntries(HEALTH_STATES.map((s) => [s, `${HEALTH_STATE_SYMBOL[s]} ${s}`])) as Readonly<Record<HealthState, string>>;

const parseGpu = (v: string) => {
  if (!/^\d{1,2}$/.test(v) || Number(v) > 63) throw new UsageError(`--gpu must be a GPU index 0-63, got "${v}"`);
  return Number(v);
};

interface Schema<T> { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }

function checked<T>(schema: Schema<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new CliError(`the server's answer for ${what} is not what this CLI understands (${r.error.issues[0]?.path.map(String).join('.') ?? ''}: ${r.error.issues[0]?.message ?? ''}); is the CLI the same version as the server?`);
  return r.data;
}

/** The fleet table: one row per node, worst first, with the GPU counts per state. */
export function renderFleet(fleet: FleetHealthResponse): string {
  if (fleet.nodes.length === 0) {
    return fleet.evaluatedAt ? 'No GPU nodes are monitored yet (add some: aami nodes add ...).' : 'The first health evaluation has not finished yet; try again in a few seconds.';
  }
  const rows = fleet.nodes.map((n) => {
    const bad = n.gpus.filter((g) => g.state !== 'healthy');
    const worst = n.reasons[0] ?? bad[0]?.reasons[0];
    const finding = worst ? `${bad[0] && !n.reasons[0] ? `GPU ${bad[0].gpu}: ` : ''}${worst.reason}` : '-';
    return [n.node, STATE_CELL[n.state], String(Math.round(n.score)), `${n.gpus.filter((g) => g.state === 'healthy').length}/${n.gpus.length}`, n.action === 'none' ? '-' : n.action, finding.length > 90 ? `${finding.slice(0, 89)}…` : finding];
  });
  const c = fleet.counts;
  const summary = `GPUs: ${c.healthy ?? 0} healthy, ${c.degraded ?? 0} degraded, ${c.unhealthy ?? 0} unhealthy, ${c.unknown ?? 0} unknown (evaluated ${fleet.evaluatedAt ?? 'never'})`;
  const stale = fleet.evaluation.lastError ? `\nThe last evaluation failed, these are older results: ${safe(fleet.evaluation.lastError)}` : '';
  return `${renderTable(['Node', 'State', 'Score', 'Healthy GPUs', 'Action', 'Worst finding'], rows)}\n${summary}${stale}`;
}

function renderGpu(g: GpuHealth): string {
  const head = `GPU ${g.gpu}${g.pciBusId ? ` ${safe(g.pciBusId)}` : ''}${g.modelName ? ` ${safe(g.modelName)}` : ''}: ${STATE_CELL[g.state]}, score ${Math.round(g.score)}`;
  const next = g.action === 'none' ? '' : `\n  Next: ${HEALTH_ACTION_TEXT[g.action]}`;
  const reasons = g.reasons.map((r) => `\n  - ${r.check}: ${r.state}: ${safe(r.reason)}`).join('');
  return `${head}${next}${reasons}`;
}

/** One node: its GPUs with reasons and actions, then the recent changes. */
export function renderNode(n: NodeHealthResponse): string {
  const lines = [`${safe(n.node)}: ${STATE_CELL[n.state]}, score ${Math.round(n.score)}${n.action === 'none' ? '' : `, next: ${HEALTH_ACTION_TEXT[n.action]}`}`];
  for (const r of n.reasons) lines.push(`  - node ${r.check}: ${r.state}: ${safe(r.reason)}`);
  for (const g of n.gpus) lines.push(renderGpu(g));
  if (n.history.length > 0) {
    lines.push('', renderTable(['When', 'GPU', 'From', 'To', 'Action', 'Why'], n.history.slice(0, 20).map((t) => [t.at.slice(0, 19).replace('T', ' '), String(t.gpu), t.from, t.to, t.action, t.reason.length > 80 ? `${t.reason.slice(0, 79)}…` : t.reason])));
  }
  return lines.join('\n');
}

/** Registers `aami health` and `aami health clear`. */
export function registerHealthCommands(program: Command): void {
  const health = program
    .command('health')
    .description('GPU health: the fleet worst first, or one node\'s GPUs with reasons and the next action')
    .argument('[node]', 'node name (omit for the whole fleet)')
    .option('--gpu <k>', 'only this GPU of the node', parseGpu)
    .action(async (node: string | undefined, opts: { gpu?: number }, cmd: Command) => {
      const client = await clientFor(cmd);
      const json = outputFormat(cmd) === 'json';
      if (!node) {
        if (opts.gpu !== undefined) throw new UsageError('--gpu needs a node: aami health NODE --gpu K');
        const fleet = checked(FleetHealthResponse, await client.request('GET', '/api/v1/health'), 'the fleet');
        if (json) return printJson(fleet);
        process.stdout.write(`${renderFleet(fleet)}\n`);
        return;
      }
      const path = `/api/v1/health/${encodeURIComponent(node)}${opts.gpu !== undefined ? `?gpu=${opts.gpu}` : ''}`;
      const answer = checked(NodeHealthResponse, await client.request('GET', path), `node ${node}`);
      if (json) return printJson(answer);
      process.stdout.write(`${renderNode(answer)}\n`);
    });

  health
    .command('clear')
    .description('after a repair: forget a node\'s (or one GPU\'s) Xid findings and escalation (admin; audited)')
    .argument('<node>', 'node name')
    .option('--gpu <k>', 'only this GPU', parseGpu)
    .requiredOption('--reason <text>', 'what was done, for the audit (e.g. "GPU 3 replaced, ticket 4411")')
    .action(async (node: string, opts: { gpu?: number; reason: string }, cmd: Command) => {
      const client = await clientFor(cmd);
      const body = { ...(opts.gpu !== undefined ? { gpu: opts.gpu } : {}), reason: opts.reason };
      const res = checked(HealthClearResponse, await client.request('POST', `/api/v1/health/${encodeURIComponent(node)}/clear`, body), 'the clear');
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`Cleared ${res.cleared} finding(s) on ${safe(res.node)}${res.gpu !== undefined ? ` GPU ${res.gpu}` : ''} (by ${safe(res.by)} at ${res.at}).\n`);
    });
}
