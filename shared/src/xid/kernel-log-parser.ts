// Finds NVIDIA GPU and NVSwitch error events in kernel log text (dmesg, journalctl -k,
// /var/log/kern.log or messages; with or without `[ 1234.5678]` stamps or syslog prefixes):
// Xid lines in every driver format (classic, no pid/name, `<unknown>` pid, no `PCI:` tag, MIG
// instance, R575+ extended NVLink lines for Xid 144-150, Xid 154 recovery actions), NVSwitch SXid
// lines, and untagged "GPU has fallen off the bus" lines. Built for volume: a cheap substring
// pre-filter runs over the whole text and only candidate lines reach a regex.
import { normalizePciBusId } from './pci.ts';
import { loadNvlinkDecodeTable } from './nvlink-decode.ts';
import type { NvlinkDecoded, NvlinkDecodeTable } from './nvlink-decode.ts';

/** What kind of event a line reports. */
export type KernelLogEventKind = 'xid' | 'sxid' | 'bus_lost';

/** Fields of an extended NVLink Xid line (144-150), raw and, where the table allows, decoded. */
export interface NvlinkFields {
  /** Unit as logged, e.g. `RLW_REMAP`. */
  unit: string;
  /** Severity word as logged (`Fatal`, `Nonfatal`). */
  logSeverity?: string;
  /** `XC<n>`: crossbar / NVLink controller index. */
  xc?: number;
  /** `i<n>`: unit instance. */
  instance?: number;
  /** Link number; -1 when the error is not tied to one link. */
  link?: number;
  /** First word in the parentheses: IntrInfo. */
  intrInfo?: number;
  /** Second word in the parentheses: error status. */
  errorStatus?: number;
  /** Every hex word in the parentheses, as logged. */
  words: string[];
  /** IntrInfo bits 20-25 (sub-code that tells NETIR link events apart). */
  subCode?: number;
  /** NVIDIA's decode table's verdict for this unit + status (+ IntrInfo pattern). */
  decoded?: NvlinkDecoded;
}

/** Xid 154: the driver changed the GPU's pending recovery action. */
export interface RecoveryAction {
  fromCode: number;
  fromName: string;
  toCode: number;
  toName: string;
}

/** NVSwitch details of an SXid line. */
export interface NvswitchFields {
  /** N of `nvidia-nvswitchN`. */
  index?: number;
  /** Severity word as logged (`Fatal`, `Non-fatal`). */
  logSeverity?: string;
  link?: number;
}

/** One event found in a kernel log. */
export interface KernelLogEvent {
  kind: KernelLogEventKind;
  /** Xid code (79 for an untagged bus loss) or SXid code. */
  code: number;
  /** NVML form `00000000:3B:00.0` (dcgm-exporter's `pci_bus_id`); '' if the line had none. */
  pciBusId: string;
  pid?: number;
  processName?: string;
  /** The driver's text after the code (and pid/name). */
  message: string;
  /** Wall-clock time as logged (syslog, ISO or `dmesg -T` form). */
  timestamp?: string;
  /** Seconds since boot from a `[ 1234.5678]` stamp. */
  monotonicSeconds?: number;
  /** 1-based line number in the text. */
  lineNumber: number;
  /** The whole line. */
  raw: string;
  /** Set on bus_lost events: the line carried no Xid tag. */
  untagged?: true;
  /** UUID from an earlier `NVRM: GPU at PCI:...: GPU-...` line for the same GPU. */
  gpuUuid?: string;
  /** MIG attribution written inside the parentheses (e.g. `GPU-I:05`). */
  gpuInstance?: string;
  nvlink?: NvlinkFields;
  recoveryAction?: RecoveryAction;
  nvswitch?: NvswitchFields;
}

/** Parser options. */
export interface KernelLogParserOptions {
  /** Decode table for NVLink lines; default: xid-db/nvlink-decode.tsv, loaded at the first one. null: no decoding. */
  nvlinkTable?: NvlinkDecodeTable | null;
}

const ADDR = '((?:PCI:)?[0-9a-fA-F]{1,8}(?::[0-9a-fA-F]{1,2}){1,2}(?:\\.[0-7])?)';
const XID_RE = new RegExp(`\\(${ADDR}([^)]*)\\):\\s*(\\d+)\\s*,?\\s*(.*)$`, 'y');
const PID_RE = /^pid=('?<unknown>'?|'?\d+'?)\s*,\s*/;
const NAME_RE = /^name=([^,]*?)\s*,\s*/;
const NAME_END_RE = /^name=(\S*)\s*$/;
const RECOVERY_RE = /recovery action changed from (0x[0-9a-fA-F]+) \(([^)]*)\) to (0x[0-9a-fA-F]+) \(([^)]*)\)/i;
const NVLINK_RE =
  /^(?:NVLink:\s*)?([A-Z][A-Z0-9_]*(?:\/[A-Z][A-Z0-9_]*)*)(?:\s+(Fatal|Nonfatal|Non-fatal|NonFatal))?(?:\s+XC(\d+))?(?:\s+i(\d+))?(?:\s+Link\s+(-?\d+))?\s*(?:\(([^)]*)\))?/;
const SXID_SEV_RE = /^(Fatal|Non-?fatal|Always[ _-]?fatal)\s*,\s*/i;
const LINK_RE = /^Link\s+(\d+)\b/;
const UNTAGGED_ADDR_RE = /(?:PCI:)?((?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-7])?)\b/;
const GPU_AT_RE = /NVRM: GPU at PCI:([0-9a-fA-F:.]+): (GPU-[0-9a-fA-F-]+)/;
const MONO_RE = /\[\s*(\d+\.\d+)\]/;
const DMESG_T_RE = /\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\]/;
const ISO_RE = /^(?:<\d+>)?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)/;
const SYSLOG_RE = /^(?:<\d+>)?([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?)/;

/**
 * Streaming kernel-log parser: feed() text in chunks of any size (lines may be split across
 * chunks), then end(). Line numbers and GPU UUIDs carry across chunks.
 */
export class KernelLogParser {
  #lineNumber = 0;
  #carry = '';
  readonly #uuids = new Map<string, string>();
  #table: NvlinkDecodeTable | null | undefined;

  constructor(options: KernelLogParserOptions = {}) {
    this.#table = options.nvlinkTable;
  }

  /** Parses every complete line in `chunk` (plus what an earlier chunk left open). */
  feed(chunk: string): KernelLogEvent[] {
    const text = this.#carry === '' ? chunk : this.#carry + chunk;
    const last = text.lastIndexOf('\n');
    const out: KernelLogEvent[] = [];
    if (last < 0) {
      this.#carry = text;
      return out;
    }
    this.#carry = last + 1 < text.length ? text.slice(last + 1) : '';
    this.#scan(text, last + 1, out);
    return out;
  }

  /** Parses the last line if the text did not end with a newline. */
  end(): KernelLogEvent[] {
    const out: KernelLogEvent[] = [];
    if (this.#carry !== '') {
      const text = this.#carry;
      this.#carry = '';
      this.#scan(text, text.length, out);
    }
    return out;
  }

  /** Lines consumed so far. */
  get lineCount(): number {
    return this.#lineNumber;
  }

  /** Scans text[0, end): `end` is just past a newline, or the end of a final unterminated line. */
  #scan(text: string, end: number, out: KernelLogEvent[]): void {
    let cursor = 0;
    let lines = this.#lineNumber;
    let nX = text.indexOf('Xid', 0);
    let nF = text.indexOf('fallen off the bus', 0);
    let nG = text.indexOf('GPU at PCI:', 0);
    for (;;) {
      let pos = nX;
      if (nF >= 0 && (pos < 0 || nF < pos)) pos = nF;
      if (nG >= 0 && (pos < 0 || nG < pos)) pos = nG;
      if (pos < 0 || pos >= end) break;
      const lineStart = pos === 0 ? 0 : text.lastIndexOf('\n', pos - 1) + 1;
      let p = cursor;
      while (p < lineStart) {
        const nl = text.indexOf('\n', p);
        if (nl < 0 || nl >= lineStart) break;
        lines++;
        p = nl + 1;
      }
      let lineEnd = text.indexOf('\n', pos);
      if (lineEnd < 0 || lineEnd > end) lineEnd = end;
      lines++;
      let line = text.slice(lineStart, lineEnd);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      const event = this.#parseLine(line, lines);
      if (event) out.push(event);
      cursor = lineEnd + 1;
      if (nX >= 0 && nX < cursor) nX = text.indexOf('Xid', cursor);
      if (nF >= 0 && nF < cursor) nF = text.indexOf('fallen off the bus', cursor);
      if (nG >= 0 && nG < cursor) nG = text.indexOf('GPU at PCI:', cursor);
    }
    let p = cursor;
    while (p < end) {
      const nl = text.indexOf('\n', p);
      if (nl < 0 || nl >= end) {
        lines++; // a final line without newline (only passed in by end())
        break;
      }
      lines++;
      p = nl + 1;
    }
    this.#lineNumber = lines;
  }

  /** Parses one candidate line (it contains `Xid`, `fallen off the bus` or `GPU at PCI:`). */
  #parseLine(line: string, lineNumber: number): KernelLogEvent | undefined {
    const xidAt = line.indexOf('NVRM: Xid (');
    if (xidAt >= 0) return this.#parseXid(line, xidAt, lineNumber);
    const sxidAt = line.indexOf('SXid (');
    if (sxidAt >= 0) return parseSxid(line, sxidAt, lineNumber);
    const nvrmAt = line.indexOf('NVRM:');
    if (nvrmAt < 0) return undefined;
    if (line.includes('fallen off the bus')) {
      const body = line.slice(nvrmAt + 5).trim();
      const m = UNTAGGED_ADDR_RE.exec(body);
      const pciBusId = (m && normalizePciBusId(m[1] as string)) || '';
      const event: KernelLogEvent = {
        kind: 'bus_lost',
        code: 79,
        pciBusId,
        message: body,
        lineNumber,
        raw: line,
        untagged: true,
        ...parsePrefix(line.slice(0, nvrmAt)),
      };
      return this.#withUuid(event);
    }
    const g = GPU_AT_RE.exec(line);
    if (g) {
      const pci = normalizePciBusId(g[1] as string);
      if (pci) this.#uuids.set(pci, g[2] as string);
    }
    return undefined;
  }

  #parseXid(line: string, xidAt: number, lineNumber: number): KernelLogEvent | undefined {
    XID_RE.lastIndex = xidAt + 10;
    const m = XID_RE.exec(line);
    if (!m) return undefined;
    const pciBusId = normalizePciBusId(m[1] as string);
    if (!pciBusId) return undefined;
    const code = Number(m[3]);
    let rest = (m[4] as string).trim();
    let pid: number | undefined;
    let processName: string | undefined;
    const pm = PID_RE.exec(rest);
    if (pm) {
      const v = (pm[1] as string).replace(/'/g, '');
      if (v !== '<unknown>') pid = Number(v);
      rest = rest.slice(pm[0].length);
      const nm = NAME_RE.exec(rest) ?? NAME_END_RE.exec(rest);
      if (nm) {
        const n = (nm[1] as string).replace(/^'|'$/g, '');
        if (n !== '<unknown>' && n !== '') processName = n;
        rest = rest.slice(nm[0].length);
      }
    }
    const event: KernelLogEvent = {
      kind: 'xid',
      code,
      pciBusId,
      message: rest,
      lineNumber,
      raw: line,
      ...parsePrefix(line.slice(0, xidAt)),
    };
    if (pid !== undefined) event.pid = pid;
    if (processName !== undefined) event.processName = processName;
    const instance = (m[2] as string).trim();
    if (instance) event.gpuInstance = instance;
    if (code >= 144 && code <= 150) {
      const nvlink = this.#parseNvlink(code, rest);
      if (nvlink) event.nvlink = nvlink;
    } else if (code === 154) {
      const r = RECOVERY_RE.exec(rest);
      if (r) {
        event.recoveryAction = {
          fromCode: Number.parseInt(r[1] as string, 16),
          fromName: (r[2] as string).trim(),
          toCode: Number.parseInt(r[3] as string, 16),
          toName: (r[4] as string).trim(),
        };
      }
    }
    return this.#withUuid(event);
  }

  #parseNvlink(code: number, rest: string): NvlinkFields | undefined {
    const m = NVLINK_RE.exec(rest);
    // An unstructured message (no severity word, link or hex words) is left as plain text.
    if (!m || !(m[2] || m[5] || m[6])) return undefined;
    const words = m[6] ? (m[6].match(/0x[0-9a-fA-F]+/g) ?? []) : [];
    const fields: NvlinkFields = { unit: m[1] as string, words };
    if (m[2]) fields.logSeverity = m[2];
    if (m[3]) fields.xc = Number(m[3]);
    if (m[4]) fields.instance = Number(m[4]);
    if (m[5]) fields.link = Number(m[5]);
    if (words[0]) {
      fields.intrInfo = Number.parseInt(words[0].slice(2), 16) >>> 0;
      fields.subCode = (fields.intrInfo >>> 20) & 0x3f;
    }
    if (words[1]) fields.errorStatus = Number.parseInt(words[1].slice(2), 16) >>> 0;
    const table = this.#decodeTable();
    if (table) {
      const decoded = table.decode({ xid: code, unit: fields.unit, intrInfo: fields.intrInfo, errorStatus: fields.errorStatus });
      if (decoded) fields.decoded = decoded;
    }
    return fields;
  }

  #decodeTable(): NvlinkDecodeTable | null {
    if (this.#table === undefined) {
      try {
        this.#table = loadNvlinkDecodeTable();
      } catch {
        this.#table = null; // events still come out; only the decode is missing
      }
    }
    return this.#table;
  }

  #withUuid(event: KernelLogEvent): KernelLogEvent {
    const uuid = event.pciBusId ? this.#uuids.get(event.pciBusId) : undefined;
    if (uuid) event.gpuUuid = uuid;
    return event;
  }
}

function parseSxid(line: string, at: number, lineNumber: number): KernelLogEvent | undefined {
  XID_RE.lastIndex = at + 5;
  const m = XID_RE.exec(line);
  if (!m) return undefined;
  let rest = (m[4] as string).trim();
  // Continuation lines of one SXid report ("Severity 0 Engine instance ...", "Data {...}"): not new events.
  if (rest.startsWith('Severity ') || rest.startsWith('Data {') || rest.startsWith('Data{')) return undefined;
  const pciBusId = normalizePciBusId(m[1] as string);
  if (!pciBusId) return undefined;
  const nvswitch: NvswitchFields = {};
  const dev = /nvidia-nvswitch(\d+)/.exec(line.slice(0, at));
  if (dev) nvswitch.index = Number(dev[1]);
  const sev = SXID_SEV_RE.exec(rest);
  if (sev) {
    nvswitch.logSeverity = sev[1] as string;
    rest = rest.slice(sev[0].length);
  }
  const link = LINK_RE.exec(rest);
  if (link) nvswitch.link = Number(link[1]);
  return {
    kind: 'sxid',
    code: Number(m[3]),
    pciBusId,
    message: rest,
    lineNumber,
    raw: line,
    nvswitch,
    ...parsePrefix(line.slice(0, dev ? dev.index : at)),
  };
}

/** Time stamps from the text before the driver's tag. */
function parsePrefix(prefix: string): { timestamp?: string; monotonicSeconds?: number } {
  const out: { timestamp?: string; monotonicSeconds?: number } = {};
  if (prefix.length === 0) return out;
  const iso = ISO_RE.exec(prefix) ?? SYSLOG_RE.exec(prefix);
  if (iso) out.timestamp = iso[1] as string;
  else {
    const t = DMESG_T_RE.exec(prefix);
    if (t) out.timestamp = t[1] as string;
  }
  const mono = MONO_RE.exec(prefix);
  if (mono) out.monotonicSeconds = Number(mono[1]);
  return out;
}

/** Parses a whole kernel log text at once. */
export function parseKernelLog(text: string, options: KernelLogParserOptions = {}): KernelLogEvent[] {
  const parser = new KernelLogParser(options);
  const events = parser.feed(text);
  for (const e of parser.end()) events.push(e);
  return events;
}
