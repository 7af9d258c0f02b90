// `aami topo`: how the GPUs and NICs of a node are connected: the matrix, each GPU's CPU and NUMA
// affinity, how many GPU pairs have NVLink and the weakest one, and links that are down.
//   parse FILE [--nvlink FILE]   a saved `nvidia-smi topo -m` (and `nvlink -s`), offline
//   refresh [NODE...|--all]      read it from the nodes over SSH now (the install worker does)
//   show NODE                    the last one taken of a node
//   list                         every node's last one, in one table
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseNvlinkStatus, parseTopoMatrix, summarizeTopo, type NvlinkGpu, type TopoMatrix, type TopoSummary } from '@aami/shared/topology/index';
import type { NodeTopology, TopologyList, TopologyRefreshResponse } from '@aami/shared';
import { clientFor, outputFormat } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { printJson, renderTable, terminalSafe as safe } from '../output.ts';

/** What the command writes to; tests pass their own. */
export interface TopoDeps {
  write?: (text: string) => void;
}

const cellText = (m: TopoMatrix, a: string, b: string): string => {
  if (a === b) return 'X';
  const l = m.links.find((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a));
  if (!l) return '?';
  return l.type === 'NV' ? `NV${l.nvlinks}` : l.type;
};

/** One line an operator reads first. */
export function summaryLine(s: TopoSummary): string {
  const devices = `${s.gpus} GPU(s)${s.nics ? `, ${s.nics} NIC(s)` : ''}`;
  if (s.nvlinkPairs === 0) return s.gpus > 1 ? `${devices}; no NVLink: the GPUs reach each other over PCIe only.` : `${devices}; no NVLink.`;
  const range = s.minNvlinks === s.maxNvlinks ? `NV${s.minNvlinks} each` : `NV${s.minNvlinks} to NV${s.maxNvlinks}`;
  return `${devices}; NVLink between ${s.nvlinkPairs} of ${s.gpuPairs} GPU pairs (${range}).`;
}

/** The matrix, the affinity table and, with nvlink -s, the links that are down. */
export function renderTopo(m: TopoMatrix, nvlink?: readonly NvlinkGpu[]): string {
  const devices = [...m.gpus.map((g) => g.name), ...m.nics.map((n) => n.name)];
  const matrix = renderTable(['', ...devices], devices.map((a) => [a, ...devices.map((b) => cellText(m, a, b))]));
  const out = [summaryLine(summarizeTopo(m)), matrix];
  if (m.gpus.length > 0) {
    out.push(renderTable(['GPU', 'CPU affinity', 'NUMA node', 'GPU NUMA ID'], m.gpus.map((g) => [g.name, g.cpuAffinity ?? '-', g.numaAffinity ?? '-', g.gpuNumaId ?? '-'])));
  }
  if (m.nics.some((n) => n.device && n.device !== n.name)) out.push(`NICs: ${m.nics.map((n) => `${n.name} = ${n.device ?? '?'}`).join(', ')}`);
  if (nvlink) {
    const down = nvlink.flatMap((g) => {
      const inactive = g.links.filter((l) => l.gbps === null).map((l) => l.link);
      return inactive.length ? [`GPU ${g.index} (${g.model}): link(s) ${inactive.join(', ')} inactive of ${g.links.length}`] : [];
    });
    const links = nvlink.reduce((n, g) => n + g.links.length, 0);
    if (links === 0) out.push('nvlink -s lists no NVLink on this node.');
    else out.push(down.length ? `NVLink down:\n  ${down.join('\n  ')}` : `NVLink: all ${links} links of ${plural(nvlink.length)} are up.`);
  }
  return `${out.join('\n')}\n`;
}

const plural = (n: number) => `${n} GPU${n === 1 ? '' : 's'}`;

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** One node's topology as `show` prints it: when it was taken, then the matrix or why there is none. */
export function renderNodeTopology(t: NodeTopology): string {
  const head = `${t.node}: taken ${t.takenAt}`;
  if (t.state !== 'ok' || !t.matrix) return `${head}; ${t.state === 'no-gpu-tool' ? 'no nvidia-smi on this node (no NVIDIA GPU to map)' : `could not be read: ${t.reason ?? 'unknown reason'}`}\n`;
  return `${head}\n${renderTopo(t.matrix, t.nvlink)}`;
}

const stateText = (t: Pick<NodeTopology, 'state' | 'reason'>) => (t.state === 'ok' ? '✔ read' : t.state === 'no-gpu-tool' ? '- no nvidia-smi' : `✖ ${t.reason ?? 'failed'}`);
const nvlinkText = (t: Pick<NodeTopology, 'summary'>) => (!t.summary ? '-' : t.summary.nvlinkPairs === 0 ? 'none' : `${t.summary.nvlinkPairs}/${t.summary.gpuPairs} pairs, NV${t.summary.minNvlinks}${t.summary.minNvlinks === t.summary.maxNvlinks ? '' : `-NV${t.summary.maxNvlinks}`}`);

/** The table of `refresh` and `list`. */
export function renderTopologyTable(rows: ReadonlyArray<Pick<NodeTopology, 'node' | 'takenAt' | 'state' | 'reason' | 'summary' | 'inactiveLinks'>>): string {
  return renderTable(['Node', 'Topology', 'GPUs', 'NVLink', 'Links down', 'Taken'], rows.map((t) => [
    t.node, stateText(t), t.summary ? String(t.summary.gpus) : '-', nvlinkText(t), t.inactiveLinks?.length ? t.inactiveLinks.join(', ') : '-', t.takenAt,
  ]));
}

/** Registers `aami topo` on the program. */
export function registerTopoCommands(program: Command, deps: TopoDeps = {}): void {
  const write = deps.write ?? ((t: string) => void process.stdout.write(t));
  const topo = program.command('topo').description('GPU interconnect topology (NVLink, PCIe, NICs)');
  topo
    .command('parse')
    .description('read a saved `nvidia-smi topo -m` (offline): the matrix, affinities, NVLink pairs')
    .argument('<file>', 'the output of nvidia-smi topo -m')
    .option('--nvlink <file>', 'the output of nvidia-smi nvlink -s from the same node: shows links that are down')
    .action(async (file: string, opts: { nvlink?: string }, cmd: Command) => {
      const text = await readText(file);
      const nvText = opts.nvlink === undefined ? undefined : await readText(opts.nvlink);
      const parsed = <T>(name: string, parse: () => T): T => {
        try {
          return parse();
        } catch (err) {
          throw new CliError(`${name}: ${(err as Error).message}`);
        }
      };
      const matrix = parsed(file, () => parseTopoMatrix(text));
      const nvlink = nvText === undefined ? undefined : parsed(opts.nvlink!, () => parseNvlinkStatus(nvText));
      if (outputFormat(cmd) === 'json') {
        write(`${JSON.stringify({ ...matrix, summary: summarizeTopo(matrix), ...(nvlink ? { nvlink } : {}) }, null, 2)}\n`);
        return;
      }
      write(safe(renderTopo(matrix, nvlink), { keepNewlines: true }));
    });

  topo
    .command('refresh')
    .description('read the topology of nodes over SSH now (nvidia-smi topo -m and nvlink -s) and keep it')
    .argument('[nodes...]', 'node names')
    .option('--all', 'every node in config.yaml')
    .action(async (nodes: string[], opts: { all?: boolean }, cmd: Command) => {
      if (nodes.length === 0 && !opts.all) throw new UsageError('name the nodes, or use --all');
      const res = await (await clientFor(cmd)).request<TopologyRefreshResponse>('POST', '/api/v1/topology/refresh', opts.all ? { all: true } : { nodes });
      if (res.failed > 0) process.exitCode = 1;
      if (outputFormat(cmd) === 'json') return printJson(res);
      write(`${renderTopologyTable(res.results)}\n${res.ok} read, ${res.failed} failed. Details: aami topo show NODE\n`);
    });

  topo
    .command('show')
    .description("a node's last topology: the matrix, affinities and NVLink links")
    .argument('<node>', 'node name')
    .action(async (node: string, _opts: unknown, cmd: Command) => {
      const t = await (await clientFor(cmd)).request<NodeTopology>('GET', `/api/v1/topology/${encodeURIComponent(node)}`);
      if (outputFormat(cmd) === 'json') return printJson(t);
      write(safe(renderNodeTopology(t), { keepNewlines: true }));
    });

  topo
    .command('list')
    .description("every node's last topology: NVLink pairs and links down")
    .action(async (_opts: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<TopologyList>('GET', '/api/v1/topology');
      if (outputFormat(cmd) === 'json') return printJson(res);
      write(res.nodes.length ? `${renderTopologyTable(res.nodes)}\n` : 'No topology taken yet: aami topo refresh --all\n');
    });
}
