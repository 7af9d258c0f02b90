// Parser for `nvidia-smi topo -m`: the matrix of how each pair of GPUs (and NICs) is connected,
// with each GPU's CPU and NUMA affinity. It takes every form the driver prints: tab- or
// space-separated, the header underlined with terminal escapes, older drivers without the NUMA
// columns or with a NIC's device name as its column (mlx4_0), newer ones with NIC0..N rows and a
// "NIC Legend", and `SOC` (the old spelling of SYS). Output from a node is hostile input: the text is
// size-capped, every pattern is linear, and a line it cannot read is an error that quotes it.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

/** How two devices reach each other, best first (NV# is NVLink; the rest are PCIe paths). */
export const LINK_TYPES = ['NV', 'PIX', 'PXB', 'PHB', 'NODE', 'SYS'] as const;
export const LinkType = z.enum(LINK_TYPES);
export type LinkType = z.infer<typeof LinkType>;

/** One GPU row: its index and affinities as printed (`N/A` kept as null). */
export const TopoGpu = z.strictObject({
  name: z.string(),
  index: z.number().int().min(0),
  cpuAffinity: z.string().nullable(),
  numaAffinity: z.string().nullable(),
  gpuNumaId: z.string().nullable(),
});
export type TopoGpu = z.infer<typeof TopoGpu>;

/** A NIC: its matrix name (NIC0 or, on old drivers, the device) and its device (mlx5_0). */
export const TopoNic = z.strictObject({ name: z.string(), device: z.string().nullable() });
export type TopoNic = z.infer<typeof TopoNic>;

/** The connection of one pair (a before b in matrix order); `nvlinks` for NV#. */
export const TopoLink = z.strictObject({ a: z.string(), b: z.string(), type: LinkType, nvlinks: z.number().int().min(1).optional() });
export type TopoLink = z.infer<typeof TopoLink>;

export const TopoMatrix = z.strictObject({
  gpus: z.array(TopoGpu),
  nics: z.array(TopoNic),
  /** Every pair once, in matrix order. */
  links: z.array(TopoLink),
});
export type TopoMatrix = z.infer<typeof TopoMatrix>;

/** What an operator asks first: how many GPUs, which pairs have NVLink, the weakest NVLink pair. */
export const TopoSummary = z.strictObject({
  gpus: z.number().int().min(0),
  nics: z.number().int().min(0),
  /** GPU pairs joined by NVLink. */
  nvlinkPairs: z.number().int().min(0),
  /** GPU pairs in all. */
  gpuPairs: z.number().int().min(0),
  /** The smallest NV# between two GPUs that have NVLink; null without NVLink. */
  minNvlinks: z.number().int().nullable(),
  maxNvlinks: z.number().int().nullable(),
});
export type TopoSummary = z.infer<typeof TopoSummary>;

const MAX_TEXT = 1_000_000;
const MAX_DEVICES = 64;
const AFFINITY_COLUMNS = ['CPU Affinity', 'NUMA Affinity', 'GPU NUMA ID'] as const;
// Terminal escapes: nvidia-smi underlines the header when it writes to a terminal.
const ESCAPES = /\x1b\[[0-9;]*[A-Za-z]/g;
const DEVICE_NAME = /^(?:GPU\d{1,3}|NIC\d{1,3}|[A-Za-z][A-Za-z0-9_.:-]{0,63})$/;

const quote = (line: string) => JSON.stringify(line.length > 160 ? `${line.slice(0, 160)}…` : line);
const fail = (message: string, lineNo?: number, line?: string): never => {
  throw new ValidationError(line === undefined ? message : `${message} (line ${lineNo}: ${quote(line)})`, [
    { path: lineNo === undefined ? 'topo' : `line ${lineNo}`, message },
  ]);
};

/** Reads one matrix cell: X (self), NV#, or a PCIe path. */
function cell(text: string, lineNo: number, line: string): { self: true } | { type: LinkType; nvlinks?: number } {
  if (text === 'X') return { self: true };
  const nv = /^NV(\d{1,2})$/.exec(text);
  if (nv) return { type: 'NV', nvlinks: Number(nv[1]) };
  if (text === 'SOC') return { type: 'SYS' };
  const pcie = LinkType.safeParse(text);
  if (pcie.success && pcie.data !== 'NV') return { type: pcie.data };
  return fail(`"${text}" is not a topo -m connection (X, NV#, PIX, PXB, PHB, NODE, SYS)`, lineNo, line);
}

/** The header's columns: device names, then the affinity columns it has. */
function headerColumns(line: string): { devices: string[]; affinity: string[] } | undefined {
  let rest = line.trim();
  const affinity: string[] = [];
  // Affinity columns are words with spaces: take them off the end, in the order printed.
  const firstAffinity = AFFINITY_COLUMNS.map((c) => rest.indexOf(c)).filter((i) => i >= 0).sort((a, b) => a - b)[0];
  if (firstAffinity !== undefined) {
    const tail = rest.slice(firstAffinity);
    for (const c of AFFINITY_COLUMNS) if (tail.includes(c)) affinity.push(c);
    affinity.sort((x, y) => tail.indexOf(x) - tail.indexOf(y));
    rest = rest.slice(0, firstAffinity);
  }
  const devices = rest.split(/\s+/).filter(Boolean);
  if (devices[0] !== 'GPU0') return undefined;
  return { devices, affinity };
}

/** Parses `nvidia-smi topo -m` output; throws a ValidationError quoting the first line it cannot read. */
export function parseTopoMatrix(input: string): TopoMatrix {
  if (input.length > MAX_TEXT) fail(`topo -m output is ${input.length} characters; at most ${MAX_TEXT} are read`);
  const lines = input.replace(ESCAPES, '').split(/\r?\n/);
  const headerAt = lines.findIndex((l) => headerColumns(l) !== undefined);
  if (headerAt < 0) fail('no topo -m matrix found: the header line (GPU0 GPU1 ... CPU Affinity) is missing');
  const { devices, affinity } = headerColumns(lines[headerAt]!)!;
  if (devices.length > MAX_DEVICES) fail(`the matrix has ${devices.length} columns; at most ${MAX_DEVICES} are read`, headerAt + 1, lines[headerAt]!);
  for (const d of devices) if (!DEVICE_NAME.test(d)) fail(`"${d}" is not a device name`, headerAt + 1, lines[headerAt]!);
  if (new Set(devices).size !== devices.length) fail('a device appears twice in the header', headerAt + 1, lines[headerAt]!);

  const rows = new Map<string, { cells: string[]; extra: string[]; lineNo: number; line: string }>();
  let i = headerAt + 1;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') {
      if (rows.size > 0) break;
      continue;
    }
    const tokens = line.trim().split(/\s+/);
    const name = tokens[0]!;
    if (!devices.includes(name)) {
      if (rows.size === 0) fail(`a matrix row starts with "${name}", which is not in the header`, i + 1, line);
      break;
    }
    if (rows.has(name)) fail(`${name} has two rows`, i + 1, line);
    const cells = tokens.slice(1, 1 + devices.length);
    if (cells.length < devices.length) fail(`${name} has ${cells.length} connection(s); the header names ${devices.length} device(s)`, i + 1, line);
    rows.set(name, { cells, extra: tokens.slice(1 + devices.length), lineNo: i + 1, line });
  }
  // Every GPU has a row; old drivers print a NIC's column (mlx4_0) without a row of its own.
  for (const d of devices) if (!rows.has(d) && /^GPU\d/.test(d)) fail(`${d} is in the header but has no row`);

  // "NIC Legend:" below the matrix names each NIC's device.
  const nicDevice = new Map<string, string>();
  for (const line of lines.slice(i)) {
    const m = /^\s*(NIC\d{1,3}): (\S{1,64})\s*$/.exec(line);
    if (m) nicDevice.set(m[1]!, m[2]!);
  }

  const gpus: TopoGpu[] = [];
  const nics: TopoNic[] = [];
  for (const d of devices) {
    const row = rows.get(d);
    const gpu = /^GPU(\d{1,3})$/.exec(d);
    if (gpu && row) {
      const value = (column: string) => {
        const at = affinity.indexOf(column);
        const v = at >= 0 ? row.extra[at] : undefined;
        return v === undefined || v === 'N/A' ? null : v;
      };
      gpus.push({ name: d, index: Number(gpu[1]), cpuAffinity: value('CPU Affinity'), numaAffinity: value('NUMA Affinity'), gpuNumaId: value('GPU NUMA ID') });
    } else {
      nics.push({ name: d, device: nicDevice.get(d) ?? (/^NIC\d+$/.test(d) ? null : d) });
    }
  }

  const links: TopoLink[] = [];
  devices.forEach((a, ai) => {
    const rowA = rows.get(a);
    if (rowA && !('self' in cell(rowA.cells[ai]!, rowA.lineNo, rowA.line))) fail(`${a} against itself must be X, not ${rowA.cells[ai]}`, rowA.lineNo, rowA.line);
    devices.forEach((b, bi) => {
      if (bi <= ai) return; // each pair once
      const rowB = rows.get(b);
      // From a's row, or from b's when a has none (an old driver's NIC column); checked against the other.
      const from = rowA ? { row: rowA, at: bi } : rowB ? { row: rowB, at: ai } : undefined;
      if (!from) return;
      const here = cell(from.row.cells[from.at]!, from.row.lineNo, from.row.line);
      if ('self' in here) return fail(`${a}-${b} is X, which only a device against itself can be`, from.row.lineNo, from.row.line);
      if (rowA && rowB) {
        const there = cell(rowB.cells[ai]!, rowB.lineNo, rowB.line);
        if ('self' in there || there.type !== here.type || there.nvlinks !== here.nvlinks) {
          fail(`the matrix is not symmetric: ${a}-${b} is ${rowA.cells[bi]} but ${b}-${a} is ${rowB.cells[ai]}`, rowB.lineNo, rowB.line);
        }
      }
      links.push({ a, b, ...here });
    });
  });
  return { gpus, nics, links };
}

/** The counts an operator checks first. */
export function summarizeTopo(m: TopoMatrix): TopoSummary {
  const gpuNames = new Set(m.gpus.map((g) => g.name));
  const gpuLinks = m.links.filter((l) => gpuNames.has(l.a) && gpuNames.has(l.b));
  const nv = gpuLinks.flatMap((l) => (l.type === 'NV' && l.nvlinks !== undefined ? [l.nvlinks] : []));
  return {
    gpus: m.gpus.length,
    nics: m.nics.length,
    nvlinkPairs: nv.length,
    gpuPairs: gpuLinks.length,
    minNvlinks: nv.length ? Math.min(...nv) : null,
    maxNvlinks: nv.length ? Math.max(...nv) : null,
  };
}
