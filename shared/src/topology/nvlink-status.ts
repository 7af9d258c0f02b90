// Parser for `nvidia-smi nvlink -s` (--status): per GPU, each NVLink's speed in GB/s, or
// `<inactive>` for a link that is down. A board without NVLink prints no link lines (or one NVML
// sentence saying so) and parses to GPUs with no links. Node output is hostile: size-capped, linear
// patterns, and a line that looks like a link but is not one is an error that quotes it.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

export const NvlinkState = z.strictObject({
  link: z.number().int().min(0),
  /** GB/s as printed; null for an inactive link. */
  gbps: z.number().nullable(),
});
export type NvlinkState = z.infer<typeof NvlinkState>;

export const NvlinkGpu = z.strictObject({
  index: z.number().int().min(0),
  model: z.string(),
  uuid: z.string().nullable(),
  links: z.array(NvlinkState),
});
export type NvlinkGpu = z.infer<typeof NvlinkGpu>;

const MAX_TEXT = 1_000_000;
const GPU_LINE = /^GPU (\d{1,3}): (.{1,128}?)(?: \(UUID: (GPU-[0-9a-fA-F-]{1,64})\))?\s*$/;
const LINK_LINE = /^Link (\d{1,2}): (?:(\d{1,4}(?:\.\d{1,6})?) GB\/s|<inactive>)\s*$/;

/** Parses `nvidia-smi nvlink -s`; throws a ValidationError quoting a line it cannot read. */
export function parseNvlinkStatus(input: string): NvlinkGpu[] {
  if (input.length > MAX_TEXT) throw new ValidationError(`nvlink -s output is ${input.length} characters; at most ${MAX_TEXT} are read`);
  const gpus: NvlinkGpu[] = [];
  input.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const gpu = GPU_LINE.exec(line);
    if (gpu) {
      gpus.push({ index: Number(gpu[1]), model: gpu[2]!, uuid: gpu[3] ?? null, links: [] });
      return;
    }
    if (!line.startsWith('Link ')) return; // NVML notes such as "all links are inActive"
    const link = LINK_LINE.exec(line);
    const current = gpus.at(-1);
    if (!link || !current) {
      const why = current ? 'is not "Link N: <speed> GB/s" or "Link N: <inactive>"' : 'comes before any "GPU N:" line';
      throw new ValidationError(`nvlink -s line ${i + 1} ${why}: ${JSON.stringify(line.slice(0, 160))}`, [{ path: `line ${i + 1}`, message: why }]);
    }
    current.links.push({ link: Number(link[1]), gbps: link[2] === undefined ? null : Number(link[2]) });
  });
  return gpus;
}
