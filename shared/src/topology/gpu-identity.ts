// Parser for `nvidia-smi --query-gpu=index,uuid,pci.bus_id,name --format=csv,noheader`: which GPU
// is which (the NVML index the matrix uses, its UUID, PCI address and model). Model names hold no
// commas, so a plain split is exact; node output is hostile: size-capped and every field checked.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

/** The fields asked for, in this order. */
export const GPU_QUERY_FIELDS = 'index,uuid,pci.bus_id,name';

export const GpuIdentity = z.strictObject({
  index: z.number().int().min(0),
  uuid: z.string(),
  /** As NVML prints it: 00000000:18:00.0. */
  pciBusId: z.string(),
  model: z.string(),
});
export type GpuIdentity = z.infer<typeof GpuIdentity>;

const MAX_TEXT = 100_000;
const UUID = /^(?:GPU|MIG)-[0-9a-fA-F-]{8,64}$/;
const PCI = /^[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
const MODEL = /^[\x20-\x7e]{1,96}$/;

/** Parses the CSV; throws a ValidationError quoting the line it cannot read. */
export function parseGpuQuery(input: string): GpuIdentity[] {
  if (input.length > MAX_TEXT) throw new ValidationError(`--query-gpu output is ${input.length} characters; at most ${MAX_TEXT} are read`);
  const out: GpuIdentity[] = [];
  input.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('index,')) return; // a header, when --format=csv without noheader
    const why = (message: string): never => {
      throw new ValidationError(`--query-gpu line ${i + 1} ${message}: ${JSON.stringify(line.slice(0, 160))}`, [{ path: `line ${i + 1}`, message }]);
    };
    const f = line.split(',').map((s) => s.trim());
    if (f.length !== 4) why(`has ${f.length} fields, not the 4 asked for (${GPU_QUERY_FIELDS})`);
    const [index, uuid, pci, model] = f as [string, string, string, string];
    if (!/^\d{1,3}$/.test(index)) why(`has index "${index}"`);
    if (!UUID.test(uuid)) why(`has UUID "${uuid}"`);
    if (!PCI.test(pci)) why(`has PCI bus id "${pci}"`);
    if (!MODEL.test(model)) why('has a model name that is empty, too long or not printable');
    out.push({ index: Number(index), uuid, pciBusId: pci, model });
  });
  return out;
}
