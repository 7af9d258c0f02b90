// `aami topo`: how the GPUs and NICs of a node are connected: the matrix, each GPU's CPU and NUMA
// affinity, how many GPU pairs have NVLink and the weakest one, and links that are down.
//   parse FILE [--nvlink FILE]   a saved `nvidia-smi topo -m` (and `nvlink -s`), offline
//   refresh [NODE...|--all]      read it from the nodes over SSH now (the install worker does)
//   show NODE                    the last one taken of a node, and how it differs from what is expected
//   list                         every node's last one, in one table, with the nodes that differ
//   pin NODE / unpin NODE        make a node's topology the expected one of its kind, or stop
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseNvlinkStatus, parseTopoMatrix, summarizeTopo, type NvlinkGpu, type TopoMatrix, type TopoSummary } from '@aami/shared/topology/index';
import type { NodeTopology, TopoExpectation, TopologyList, TopologyPinResponse, TopologyRefreshResponse, TopologyUnpinResponse } from '@aami/shared';
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

/** Where the expectation comes from, in a few words. */
export function expectationSource(e: TopoExpectation): string {
  if (e.source === 'pinned') return `pinned from ${e.pinnedFrom ?? '?'}`;
  if (e.source === 'peers') return `${e.peers - 1} peer(s)`;
  return 'alone (no peer, no pin)';
}

/** How a node compares with what is expected: one line, then each deviation marked ✖. */
export function renderExpectation(e: TopoExpectation): string {
  const head = `Expected: ${e.kind}, judged against ${expectationSource(e)}.`;
  if (e.deviations.length === 0) return `${head} ✔ no difference.\n`;
  return `${head}\n✖ ${e.deviations.length} difference(s):\n${e.deviations.map((d) => `  ✖ ${d.text}`).join('\n')}\n`;
}

/** One node's topology as `show` prints it: when it was taken, then the matrix or why there is none. */
export function renderNodeTopology(t: NodeTopology): string {
  const head = `${t.node}: taken ${t.takenAt}`;
  if (t.state !== 'ok' || !t.matrix) return `${head}; ${t.state === 'no-gpu-tool' ? 'no nvidia-smi on this node (no NVIDIA GPU to map)' : `could not be read: ${t.reason ?? 'unknown reason'}`}\n`;
  const identity = t.identity?.length
    ? `${renderTable(['GPU', 'Model', 'UUID', 'PCI bus id'], t.identity.map((g) => [`GPU${g.index}`, g.model, g.uuid, g.pciBusId]))}\n`
    : '';
  return `${head}\n${renderTopo(t.matrix, t.nvlink)}${identity}${t.expected ? renderExpectation(t.expected) : ''}`;
}

const stateText = (t: Pick<NodeTopology, 'state' | 'reason'>) => (t.state === 'ok' ? '✔ read' : t.state === 'no-gpu-tool' ? '- no nvidia-smi' : `✖ ${t.reason ?? 'failed'}`);
const nvlinkText = (t: Pick<NodeTopology, 'summary'>) => (!t.summary ? '-' : t.summary.nvlinkPairs === 0 ? 'none' : `${t.summary.nvlinkPairs}/${t.summary.gpuPairs} pairs, NV${t.summary.minNvlinks}${t.summary.minNvlinks === t.summary.maxNvlinks ? '' : `-NV${t.summary.maxNvlinks}`}`);

const expectedText = (e: TopoExpectation | undefined) => (!e ? '-' : e.deviations.length ? `✖ ${e.deviations.length} difference(s) vs ${expectationSource(e)}` : `✔ as ${expectationSource(e)}`);

/** The table of `refresh` and `list`. */
export function renderTopologyTable(rows: ReadonlyArray<Pick<NodeTopology, 'node' | 'takenAt' | 'state' | 'reason' | 'summary' | 'inactiveLinks' | 'expected'>>): string {
  return renderTable(['Node', 'Topology', 'GPUs', 'NVLink', 'Links down', 'Expected', 'Taken'], rows.map((t) => [
    t.node, stateText(t), t.summary ? String(t.summary.gpus) : '-', nvlinkText(t), t.inactiveLinks?.length ? t.inactiveLinks.join(', ') : '-', expectedText(t.expected), t.takenAt,
  ]));
}

/** `list`: the table, then each node that differs with its differences, then the pins. */
export function renderTopologyList(res: TopologyList): string {
  if (res.nodes.length === 0) return 'No topology taken yet: aami topo refresh --all\n';
  const differing = res.nodes.filter((n) => n.expected?.deviations.length);
  const out = [renderTopologyTable(res.nodes)];
  out.push(differing.length
    ? `Nodes that differ from what is expected:\n${differing.map((n) => `  ${n.node}:\n${n.expected!.deviations.map((d) => `    ✖ ${d.text}`).join('\n')}`).join('\n')}`
    : 'No node differs from what is expected.');
  if (res.pins.length) out.push(`Pins:\n${res.pins.map((p) => `  ${p.kind}: ${p.node} (pinned ${p.pinnedAt})`).join('\n')}`);
  return `${out.join('\n')}\n`;
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
      write(safe(`${renderTopologyTable(res.results)}\n${res.ok} read, ${res.failed} failed. Details: aami topo show NODE\n`, { keepNewlines: true }));
    });

  const show = async (node: string, cmd: Command) => {
    const t = await (await clientFor(cmd)).request<NodeTopology>('GET', `/api/v1/topology/${encodeURIComponent(node)}`);
    if (outputFormat(cmd) === 'json') return printJson(t);
    write(safe(renderNodeTopology(t), { keepNewlines: true }));
  };
  topo
    .command('show')
    .description("a node's last topology: the matrix, affinities, NVLink links and what differs from its peers")
    .argument('<node>', 'node name')
    .action(async (node: string, _opts: unknown, cmd: Command) => show(node, cmd));
  // `aami topo NODE` is `aami topo show NODE`: a name that is not a subcommand is a node.
  topo
    .argument('[node]', 'a node: the same as topo show NODE')
    .action(async (node: string | undefined, _opts: unknown, cmd: Command) => {
      if (node === undefined) return void topo.help({ error: true });
      return show(node, cmd);
    });

  topo
    .command('list')
    .description("every node's last topology: NVLink pairs and links down")
    .action(async (_opts: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<TopologyList>('GET', '/api/v1/topology');
      if (outputFormat(cmd) === 'json') return printJson(res);
      write(safe(renderTopologyList(res), { keepNewlines: true }));
    });

  topo
    .command('pin')
    .description("make a node's topology the expected one of every node of its kind (same GPU model and count)")
    .argument('<node>', 'a node whose topology is known to be right')
    .action(async (node: string, _opts: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<TopologyPinResponse>('POST', `/api/v1/topology/${encodeURIComponent(node)}/pin`);
      if (outputFormat(cmd) === 'json') return printJson(res);
      write(safe(`Pinned: ${res.pin.node}'s topology is now what every ${res.pin.kind} node is expected to have (${res.nodes.length} node(s): ${res.nodes.join(', ')}).\n`, { keepNewlines: true }));
    });

  topo
    .command('unpin')
    .description("remove the pin of a node's kind: its nodes are compared with their peers again")
    .argument('<node>', 'any node of the kind')
    .action(async (node: string, _opts: unknown, cmd: Command) => {
      const res = await (await clientFor(cmd)).request<TopologyUnpinResponse>('DELETE', `/api/v1/topology/${encodeURIComponent(node)}/pin`);
      if (outputFormat(cmd) === 'json') return printJson(res);
      write(safe(`Removed the pin of ${res.removed.kind} (taken from ${res.removed.node}); its nodes are compared with their peers again.\n`, { keepNewlines: true }));
    });
}
