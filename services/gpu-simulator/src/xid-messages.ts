// Turns an Xid into the text the NVIDIA driver logs for it and into the err_msg label dcgm-exporter
// puts on DCGM_FI_DEV_XID_ERRORS. The wording lives in data/xid-messages.json (validated here); this
// module fills the per-event details (channel, address, link, NVLink IntrInfo word) deterministically.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { bits32, unit } from './prng.ts';

const Prefix = z.enum(['process', 'unknown', 'none']);

const XidMessage = z
  .object({
    xid: z.number().int().min(0).max(255),
    prefix: Prefix,
    text: z.string().optional(),
    /** The text on a board that retires pages instead of remapping rows (Volta), where it differs. */
    pageRetirementText: z.string().optional(),
    nvlink5: z
      .object({
        unit: z.string().min(1),
        severity: z.enum(['Nonfatal', 'Fatal']),
        intrLow: z.number().int().min(0).max(127),
        errorStatus: z.string().regex(/^0x[0-9a-f]{8}$/),
      })
      .optional(),
    errMsg: z.string().min(1),
  })
  .refine((m) => (m.text === undefined) !== (m.nvlink5 === undefined), { message: 'exactly one of text and nvlink5' });

/** The shape of data/xid-messages.json. */
export const XidMessagesFile = z.object({
  about: z.array(z.string()),
  xids: z.array(XidMessage).refine((xs) => new Set(xs.map((x) => x.xid)).size === xs.length, { message: 'duplicate xid' }),
  fallback: z.object({ prefix: Prefix, text: z.string(), errMsg: z.string().min(1) }),
});
export type XidMessagesFile = z.infer<typeof XidMessagesFile>;

const DATA = new URL('../data/xid-messages.json', import.meta.url);
const file: XidMessagesFile = XidMessagesFile.parse(JSON.parse(readFileSync(DATA, 'utf8')));
const byXid = new Map(file.xids.map((x) => [x.xid, x]));

/** Codes that have their own message (the rest use the fallback). */
export const KNOWN_XIDS: readonly number[] = file.xids.map((x) => x.xid).filter((x) => x > 0);

/** Who was running on the GPU; null pid means nothing was (the driver then prints '<unknown>'). */
export interface XidProcess {
  pid: number | null;
  name: string | null;
}

/** What varies between two events of the same Xid. */
export interface XidEventContext {
  kernelPci: string;
  gpuIndex: number;
  process: XidProcess;
  /** NVLink the error is on (Xid 74 and 144-150). */
  link: number;
  /** Any integer; different values give different addresses/channels in the message. */
  salt: number;
  /** The board retires pages (Volta) rather than remapping rows. */
  pageRetirement?: boolean;
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/** The IntrInfo word of an R575+ NVLink Xid: unit code in bits 6..0, bits 25..20 zero, the rest noise. */
export function nvlinkIntrInfo(intrLow: number, salt: number): number {
  const noise = bits32(0x51d, salt, 1) & 0xfc0fff80;
  return (noise | (intrLow & 0x7f)) >>> 0;
}

function fill(template: string, c: XidEventContext): string {
  const r = (k: number) => unit(0xa11ce, c.salt, k);
  const values: Record<string, string> = {
    gpc: String(Math.floor(r(1) * 8)),
    tpc: String(Math.floor(r(2) * 9)),
    sm: String(Math.floor(r(3) * 2)),
    channel: hex8(8 + Math.floor(r(4) * 120)),
    va: `0x7f${Math.floor(r(5) * 0xff).toString(16).padStart(2, '0')}_${hex8(Math.floor(r(6) * 0xffff) * 0x10000)}`,
    partition: String(Math.floor(r(7) * 12)),
    subpartition: String(Math.floor(r(8) * 2)),
    rowAddr: `0x${hex8(Math.floor(r(9) * 0x3fffff))}${hex8(bits32(0xa11ce, c.salt, 10) & 0xfffffc00)}`,
    bank: String(Math.floor(r(11) * 32)),
    link: String(c.link),
    gpuIndex: String(c.gpuIndex),
  };
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

function prefixText(prefix: z.infer<typeof Prefix>, p: XidProcess): string {
  if (prefix === 'none') return '';
  if (prefix === 'process' && p.pid !== null && p.name !== null) return `pid=${p.pid}, name=${p.name}, `;
  return `pid='<unknown>', name=<unknown>, `;
}

/** The kernel message (without timestamp), e.g. `NVRM: Xid (PCI:0000:3b:00): 79, pid=2345, name=python3, GPU has fallen off the bus.` */
export function xidKernelMessage(xid: number, c: XidEventContext): string {
  const m = byXid.get(xid);
  const head = `NVRM: Xid (PCI:${c.kernelPci}): ${xid}, `;
  if (m?.nvlink5) {
    const n = m.nvlink5;
    const link = String(c.link).padStart(2, '0');
    return `${head}${n.unit} ${n.severity} XC0 i0 Link ${link} (0x${hex8(nvlinkIntrInfo(n.intrLow, c.salt))} ${n.errorStatus} 0x00000000 0x00000000 0x00000000 0x00000000)`;
  }
  const prefix = m?.prefix ?? file.fallback.prefix;
  const text = (c.pageRetirement ? m?.pageRetirementText : undefined) ?? m?.text ?? file.fallback.text;
  return `${head}${prefixText(prefix, c.process)}${fill(text, c)}`;
}

/** dcgm-exporter's err_msg label value for an Xid code. */
export function dcgmErrMsg(xid: number): string {
  return byXid.get(xid)?.errMsg ?? file.fallback.errMsg;
}
