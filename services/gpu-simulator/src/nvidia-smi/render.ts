// What nvidia-smi prints on a simulated board for the argument forms AAMI runs: `topo -m`,
// `nvlink -s`, `nvlink -e`, `--query-gpu=index,uuid,pci.bus_id,name --format=csv,noheader` and `-L`.
// The layout follows driver 535 and later: a tab-separated matrix with the CPU / NUMA affinity and
// GPU NUMA ID columns, NICs as rows with a "NIC Legend"; `\t Link N: ...` lines under a
// `GPU N: <model> (UUID: ...)` line; one blank line after each link's counters in `nvlink -e`. A
// GPU whose links are all inactive (every GPU of a board without NVLink bridges) gets NVML's one
// sentence in `nvlink -s` and no link lines. A fault can take links down: a down link is
// `<inactive>`, shows a few replay/recovery/CRC errors, and on an NVSwitch board each pair of GPUs
// is NV# of the weaker GPU's active links (a GPU with none left reaches its peers over PCIe).
// Any other argument form gets nvidia-smi's answer to arguments it cannot combine, with exit code 2.
import { GPU_QUERY_FIELDS } from '@aami/shared';
import { makeGpuIdentities, type GpuIdentity } from '../gpu-identity.ts';
import type { BoardSlot, SmiBoard } from './boards.ts';

/** One link's error counters as `nvlink -e` prints them. */
export interface NvlinkCounters {
  replay: number;
  recovery: number;
  crc: number;
}

/** A link the fault took down, with the counters it shows (DOWN_LINK_ERRORS unless given). */
export interface DownLink {
  gpu: number;
  link: number;
  errors?: NvlinkCounters;
}

/** What makes one node's answers its own: the seed (node name) for UUIDs, and the down links. */
export interface SmiOptions {
  seed: string;
  downLinks?: readonly DownLink[];
}

/** What nvidia-smi writes to stdout and its exit code. */
export interface SmiAnswer {
  stdout: string;
  code: number;
}

/** The counters of a down link when the fault names none: a few, so `nvlink -e` differs from a healthy board's. */
export const DOWN_LINK_ERRORS: NvlinkCounters = { replay: 24, recovery: 3, crc: 5 };

/** nvidia-smi's answer (on stdout, exit 2) to arguments it does not take together. */
export const INVALID_ARGUMENTS = "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n";

/** The exit code nvidia-smi documents for an invalid argument or flag. */
export const INVALID_ARGUMENTS_CODE = 2;

/** The argument forms answered, by name. */
export type SmiForm = 'topo-m' | 'nvlink-s' | 'nvlink-e' | 'query-gpu' | 'list-gpus';

/** Each form's argument lists, in the spellings accepted (the script accepts the same). */
export const SMI_FORMS: Record<SmiForm, ReadonlyArray<readonly string[]>> = {
  'topo-m': [['topo', '-m'], ['topo', '--matrix']],
  'nvlink-s': [['nvlink', '-s'], ['nvlink', '--status']],
  'nvlink-e': [['nvlink', '-e'], ['nvlink', '--errorcounters']],
  'query-gpu': [[`--query-gpu=${GPU_QUERY_FIELDS}`, '--format=csv,noheader'], ['--format=csv,noheader', `--query-gpu=${GPU_QUERY_FIELDS}`]],
  'list-gpus': [['-L'], ['--list-gpus']],
};

/** Which form `args` is, or undefined for one not answered. */
export function smiForm(args: readonly string[]): SmiForm | undefined {
  for (const [form, spellings] of Object.entries(SMI_FORMS) as Array<[SmiForm, ReadonlyArray<readonly string[]>]>) {
    if (spellings.some((s) => s.length === args.length && s.every((a, i) => a === args[i]))) return form;
  }
  return undefined;
}

/** Throws, saying why, when `links` cannot be taken down on `board`. */
export function checkDownLinks(board: SmiBoard, links: readonly DownLink[]): void {
  if (links.length > 0 && board.nvlinksPerGpu === 0) throw new Error(`the ${board.key} board has no NVLink, so no link can go down`);
  for (const { gpu, link, errors } of links) {
    if (!Number.isInteger(gpu) || gpu < 0 || gpu >= board.gpus.length) throw new Error(`GPU ${gpu} is not on the ${board.key} board (GPUs 0..${board.gpus.length - 1})`);
    if (!Number.isInteger(link) || link < 0 || link >= board.nvlinksPerGpu) throw new Error(`GPU ${gpu} has links 0..${board.nvlinksPerGpu - 1}, not ${link}`);
    for (const [name, v] of Object.entries(errors ?? {})) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`GPU ${gpu} link ${link}: ${name} errors must be a whole number of 0 or more, not ${v}`);
    }
  }
}

/** Reads `G:L[,G:L...]` (GPU 2 link 3: `2:3`) into down links checked against `board`; repeats count once. */
export function parseDownLinks(spec: string, board: SmiBoard): DownLink[] {
  const out = new Map<string, DownLink>();
  for (const raw of spec.split(',')) {
    const m = /^\s*(\d{1,3}):(\d{1,3})\s*$/.exec(raw);
    if (!m) throw new Error(`"${raw.trim()}" is not GPU:LINK (for example 2:3)`);
    out.set(`${m[1]}:${m[2]}`, { gpu: Number(m[1]), link: Number(m[2]) });
  }
  const links = [...out.values()];
  checkDownLinks(board, links);
  return links;
}

/** NVLinks of `gpu` still up. */
export function activeLinks(board: SmiBoard, downLinks: readonly DownLink[], gpu: number): number {
  return board.nvlinksPerGpu - new Set(downLinks.filter((d) => d.gpu === gpu).map((d) => d.link)).size;
}

const LEGEND = [
  'Legend:',
  '',
  '  X    = Self',
  '  SYS  = Connection traversing PCIe as well as the SMP interconnect between NUMA nodes (e.g., QPI/UPI)',
  '  NODE = Connection traversing PCIe as well as the interconnect between PCIe Host Bridges within a NUMA node',
  '  PHB  = Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)',
  '  PXB  = Connection traversing multiple PCIe bridges (without traversing the PCIe Host Bridge)',
  '  PIX  = Connection traversing at most a single PCIe bridge',
  '  NV#  = Connection traversing a bonded set of # NVLinks',
];

const ALL_INACTIVE = '\t NVML: Unable to retrieve NVLink information as all links are inActive';

/** The PCIe path between two slots. */
function pciePath(a: BoardSlot, b: BoardSlot): string {
  if (a.pcieSwitch === b.pcieSwitch) return 'PIX';
  return a.numa === b.numa ? 'NODE' : 'SYS';
}

function topoMatrix(board: SmiBoard, downLinks: readonly DownLink[]): string {
  const devices = [
    ...board.gpus.map((slot, i) => ({ name: `GPU${i}`, slot, gpu: i as number | undefined })),
    ...board.nics.map((slot, i) => ({ name: `NIC${i}`, slot, gpu: undefined })),
  ];
  const active = board.gpus.map((_, i) => activeLinks(board, downLinks, i));
  const cell = (a: (typeof devices)[number], b: (typeof devices)[number]) => {
    if (a === b) return ' X ';
    if (a.gpu !== undefined && b.gpu !== undefined && board.nvlinksPerGpu > 0) {
      const n = Math.min(active[a.gpu]!, active[b.gpu]!);
      if (n > 0) return `NV${n}`;
    }
    return pciePath(a.slot, b.slot);
  };
  const lines = [`\t${devices.map((d) => d.name).join('\t')}\tCPU Affinity\tNUMA Affinity\tGPU NUMA ID`];
  for (const a of devices) {
    const cells = devices.map((b) => cell(a, b)).join('\t');
    // "NUMA Affinity" is wider than a tab stop, so its values are followed by two tabs.
    lines.push(a.gpu === undefined ? `${a.name}\t${cells}` : `${a.name}\t${cells}\t${board.cpuAffinity[a.slot.numa] ?? 'N/A'}\t${a.slot.numa}\t\tN/A`);
  }
  lines.push('', ...LEGEND);
  if (board.nics.length > 0) lines.push('', 'NIC Legend:', '', ...board.nics.map((n, i) => `  NIC${i}: ${n.device}`), '');
  return `${lines.join('\n')}\n`;
}

const gpuLine = (board: SmiBoard, id: GpuIdentity) => `GPU ${id.index}: ${board.model} (UUID: ${id.uuid})`;

function nvlinkStatus(board: SmiBoard, ids: GpuIdentity[], downLinks: readonly DownLink[]): string {
  const lines: string[] = [];
  for (const id of ids) {
    lines.push(gpuLine(board, id));
    if (activeLinks(board, downLinks, id.index) === 0) {
      lines.push(ALL_INACTIVE);
      continue;
    }
    for (let l = 0; l < board.nvlinksPerGpu; l++) {
      const down = downLinks.some((d) => d.gpu === id.index && d.link === l);
      lines.push(`\t Link ${l}: ${down ? '<inactive>' : `${board.linkGbps} GB/s`}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function nvlinkErrors(board: SmiBoard, ids: GpuIdentity[], downLinks: readonly DownLink[]): string {
  const lines: string[] = [];
  for (const id of ids) {
    lines.push(gpuLine(board, id));
    for (let l = 0; l < board.nvlinksPerGpu; l++) {
      const down = downLinks.find((d) => d.gpu === id.index && d.link === l);
      const c = down ? (down.errors ?? DOWN_LINK_ERRORS) : { replay: 0, recovery: 0, crc: 0 };
      lines.push(`\t Link ${l}: Replay Errors: ${c.replay}`, `\t Link ${l}: Recovery Errors: ${c.recovery}`, `\t Link ${l}: CRC Errors: ${c.crc}`, '');
    }
  }
  return `${lines.join('\n')}\n`;
}

/** What `nvidia-smi ARGS` prints on `board` for the node `opts.seed`; throws when a down link is not on the board. */
export function renderSmi(board: SmiBoard, opts: SmiOptions, args: readonly string[]): SmiAnswer {
  const downLinks = opts.downLinks ?? [];
  checkDownLinks(board, downLinks);
  const form = smiForm(args);
  if (!form) return { stdout: INVALID_ARGUMENTS, code: INVALID_ARGUMENTS_CODE };
  const ids = makeGpuIdentities(opts.seed, board.gpus.length, board.identityModel);
  switch (form) {
    case 'topo-m':
      return { stdout: topoMatrix(board, downLinks), code: 0 };
    case 'nvlink-s':
      return { stdout: nvlinkStatus(board, ids, downLinks), code: 0 };
    case 'nvlink-e':
      return { stdout: nvlinkErrors(board, ids, downLinks), code: 0 };
    case 'query-gpu':
      return { stdout: ids.map((id) => `${id.index}, ${id.uuid}, ${id.pciBusId}, ${board.model}\n`).join(''), code: 0 };
    case 'list-gpus':
      return { stdout: ids.map((id) => `${gpuLine(board, id)}\n`).join(''), code: 0 };
  }
}
