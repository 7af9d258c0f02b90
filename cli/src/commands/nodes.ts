// `aami nodes ...`: add one or a hosts file, list with health, show, label, remove.
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ExporterName, type NodeAddResponse, type NodeGetResponse, type NodeLabelsResponse, type NodeRemoveResponse, type NodeView, type NodesImportResponse, type NodesListResponse } from '@aami/shared';
import { clientFor, outputFormat } from '../context.ts';
import { UsageError } from '../errors.ts';
import { printJson, renderTable, terminalSafe as safe } from '../output.ts';

const collectLabel = (v: string, prev: Record<string, string>) => {
  const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(v);
  if (!m || m[1] === undefined) throw new UsageError(`--label wants key=value, got "${v}"`);
  return { ...prev, [m[1]]: m[2] ?? '' };
};

const parsePort = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--port must be 1-65535, got "${v}"`);
  return n;
};

const parseExporters = (v: string): ExporterName[] => v.split(',').map((e) => e.trim()).filter(Boolean).map((e) => {
  const parsed = ExporterName.safeParse(e);
  if (!parsed.success) throw new UsageError(`--exporters takes ${ExporterName.options.join(', ')} (comma-separated), got "${e}"`);
  return parsed.data;
});

/** Status cell: up, DOWN, or ? when Prometheus could not be asked. */
export function statusCell(h: NodeView['health']): string {
  if (h.status === null) return '?';
  if (h.status === 'down') return '✖ down';
  return (h.alerts ?? 0) > 0 ? '▲ alerting' : '✔ up';
}

const q = (v: number | null) => (v === null ? '?' : String(v));

/** Adds `aami nodes ...` and returns the `nodes` command so other groups can add to it. */
export function registerNodesCommands(program: Command): Command {
  const nodes = program.command('nodes').description('register GPU nodes and see their state');

  nodes
    .command('add')
    .description('add one node (NAME --ip ...) or many from a hosts file (--file, "name ip" per line)')
    .argument('[name]', 'node name (omit with --file)')
    .option('--ip <address>', 'IP address or host name')
    .option('--file <path>', 'hosts file: one "name ip" per line, # comments allowed')
    .option('--user <user>', 'SSH user')
    .option('--key <path>', 'SSH private key path (on the control node)')
    .option('--port <n>', 'SSH port', parsePort)
    .option('--label <key=value>', 'label (repeatable)', collectLabel, {})
    .option('--exporters <list>', 'exporters already running there that AAMI did not install (node_exporter,dcgm_exporter); by default Prometheus scrapes what aami nodes install put there', parseExporters)
    .option('--skip-invalid', 'with --file: add the good lines even if some are bad')
    .action(async (name: string | undefined, opts: { ip?: string; file?: string; user?: string; key?: string; port?: number; label: Record<string, string>; exporters?: string[]; skipInvalid?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const json = outputFormat(cmd) === 'json';
      if (opts.file) {
        if (name || opts.ip) throw new UsageError('give either NAME --ip IP or --file PATH, not both');
        if (opts.exporters) throw new UsageError('--exporters applies to one node (NAME --ip IP); set it per node after the import with aami config edit');
        let text: string;
        try {
          text = opts.file === '-' ? await readStdin() : await readFile(opts.file, 'utf8');
        } catch (err) {
          throw new UsageError(`cannot read ${opts.file}: ${(err as Error).message}`);
        }
        const res = await client.request<NodesImportResponse>('POST', '/api/v1/nodes/import', {
          text, ssh_user: opts.user, ssh_key: opts.key, ssh_port: opts.port, labels: opts.label, skip_invalid: opts.skipInvalid ?? false,
        });
        if (json) return printJson(res);
        for (const s of res.skipped) process.stderr.write(`skipped line ${s.line ?? '?'}: ${safe(s.message)}\n`);
        process.stdout.write(`Added ${res.added} node(s) from ${opts.file} (config revision ${res.revision}).\nNext: aami nodes install --all\n`);
        return;
      }
      if (!name || !opts.ip) throw new UsageError('usage: aami nodes add NAME --ip IP [--user U] [--key PATH] [--port N] [--label k=v]  (or --file hosts.txt)');
      const res = await client.request<NodeAddResponse>('POST', '/api/v1/nodes', {
        name, ip: opts.ip, ssh_user: opts.user, ssh_key: opts.key, ssh_port: opts.port, labels: opts.label, exporters: opts.exporters,
      });
      if (json) return printJson(res);
      process.stdout.write(`Added node ${name} (${opts.ip}), config revision ${res.revision}.\n`);
    });

  nodes
    .command('list')
    .description('list nodes with GPUs, status and firing alerts (from Prometheus and Alertmanager)')
    .action(async (_opts: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<NodesListResponse>('GET', '/api/v1/nodes');
      if (outputFormat(cmd) === 'json') return printJson(res);
      if (res.nodes.length === 0) {
        process.stdout.write('No nodes yet. Add one: aami nodes add NAME --ip IP --user root --key ~/.ssh/id_ed25519\n');
        return;
      }
      process.stdout.write(`${renderTable(['Name', 'IP', 'GPUs', 'Status', 'Alerts'], res.nodes.map((n) => [n.name, n.ip, q(n.health.gpus), statusCell(n.health), q(n.health.alerts)]))}\n`);
      if (res.nodes.some((n) => n.health.status === null)) process.stdout.write('? = Prometheus or Alertmanager could not be reached (aami status)\n');
    });

  nodes
    .command('show')
    .description('one node, with its labels and health')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<NodeGetResponse>('GET', `/api/v1/nodes/${encodeURIComponent(name)}`);
      if (outputFormat(cmd) === 'json') return printJson(res);
      const n = res.node;
      const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '-';
      process.stdout.write(`Name:    ${safe(n.name)}\nIP:      ${safe(n.ip)}\nSSH:     ${safe(`${n.ssh_user ?? '(default user)'}@${n.ip}:${n.ssh_port ?? '(default port)'}`)}\nLabels:  ${safe(labels)}\nScraped: ${safe(n.exporters ? `${n.exporters.join(', ')} (set for this node)` : 'what aami nodes install put there (node_exporter until then)')}\nStatus:  ${statusCell(n.health)}\nGPUs:    ${q(n.health.gpus)}\nAlerts:  ${q(n.health.alerts)}\n`);
    });

  nodes
    .command('label')
    .description('set labels (key=value) or remove them (--remove key)')
    .argument('<name>')
    .argument('[labels...]', 'key=value pairs')
    .addOption(new Option('--remove <key...>', 'label keys to remove').default([]))
    .action(async (name: string, pairs: string[], opts: { remove: string[] }, cmd: Command) => {
      const set = pairs.reduce((acc, p) => collectLabel(p, acc), {} as Record<string, string>);
      const res = await (await clientFor(cmd)).request<NodeLabelsResponse>('PATCH', `/api/v1/nodes/${encodeURIComponent(name)}/labels`, { set, remove: opts.remove });
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`Labels of ${name}: ${safe(Object.entries(res.node.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '(none)')}\n`);
    });

  nodes
    .command('remove')
    .description('remove a node from monitoring (its exporters stay installed; see aami nodes uninstall)')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<NodeRemoveResponse>('DELETE', `/api/v1/nodes/${encodeURIComponent(name)}`);
      if (outputFormat(cmd) === 'json') return printJson(res);
      process.stdout.write(`Removed node ${name}, config revision ${res.revision}.\n`);
    });
  return nodes;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
