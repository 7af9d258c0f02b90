// Parser for `nvidia-smi nvlink -e` (--errorcounters): per GPU and link, the error counters the
// driver keeps (Replay, Recovery and CRC on every generation; newer drivers add more). The counter
// names differ between drivers, so each is kept under the name printed, lower-cased with single
// spaces. Node output is hostile: size-capped, linear patterns, at most MAX_COUNTERS names, and a
// link line that cannot be read is an error that quotes it.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

export const NvlinkLinkErrors = z.strictObject({
  link: z.number().int().min(0),
  /** Counter name as printed, lower case ("replay errors") -> value; null for N/A. */
  counters: z.record(z.string(), z.number().int().min(0).nullable()),
});
export type NvlinkLinkErrors = z.infer<typeof NvlinkLinkErrors>;

export const NvlinkErrorGpu = z.strictObject({
  index: z.number().int().min(0),
  links: z.array(NvlinkLinkErrors),
});
export type NvlinkErrorGpu = z.infer<typeof NvlinkErrorGpu>;

const MAX_TEXT = 1_000_000;
const MAX_COUNTERS = 32;
const GPU_LINE = /^GPU (\d{1,3}): /;
const COUNTER_LINE = /^Link (\d{1,2}): ([A-Za-z][A-Za-z ]{0,62}[A-Za-z]): (\d{1,20}|N\/A)\s*$/;

const refuse = (lineNo: number, line: string, why: string): never => {
  throw new ValidationError(`nvlink -e line ${lineNo} ${why}: ${JSON.stringify(line.slice(0, 160))}`, [{ path: `line ${lineNo}`, message: why }]);
};

/** Parses `nvidia-smi nvlink -e`; throws a ValidationError quoting a line it cannot read. */
export function parseNvlinkErrors(input: string): NvlinkErrorGpu[] {
  if (input.length > MAX_TEXT) throw new ValidationError(`nvlink -e output is ${input.length} characters; at most ${MAX_TEXT} are read`);
  const gpus: NvlinkErrorGpu[] = [];
  const names = new Set<string>();
  input.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const gpu = GPU_LINE.exec(line);
    if (gpu) {
      gpus.push({ index: Number(gpu[1]), links: [] });
      return;
    }
    if (!line.startsWith('Link ')) return; // NVML notes such as "NVLink is not supported"
    const current = gpus.at(-1);
    if (!current) return refuse(i + 1, line, 'comes before any "GPU N:" line');
    const m = COUNTER_LINE.exec(line);
    if (!m) return refuse(i + 1, line, 'is not "Link N: <counter>: <number>"');
    const name = m[2]!.toLowerCase().replace(/ +/g, ' ');
    names.add(name);
    if (names.size > MAX_COUNTERS) return refuse(i + 1, line, `names more than ${MAX_COUNTERS} different counters`);
    const link = Number(m[1]);
    let entry = current.links.find((l) => l.link === link);
    if (!entry) {
      entry = { link, counters: {} };
      current.links.push(entry);
    }
    entry.counters[name] = m[3] === 'N/A' ? null : Number(m[3]);
  });
  return gpus;
}

/** The sum of one GPU's counters whose name includes `word` ("crc", "replay", "recovery"). */
export function sumNvlinkErrors(gpu: NvlinkErrorGpu, word: string): number {
  return gpu.links.reduce((n, l) => n + Object.entries(l.counters).reduce((m, [k, v]) => m + (k.includes(word) && v !== null ? v : 0), 0), 0);
}
