// Finds NVIDIA GPU and NVSwitch error events in kernel log text (dmesg, journalctl -k,
// /var/log/kern.log or messages; with or without `[ 1234.5678]` stamps or syslog prefixes):
// Xid lines in every driver format (classic, no pid/name, `<unknown>` pid, no `PCI:` tag, MIG
// instance, R575+ extended NVLink lines for Xid 144-150, Xid 154 recovery actions), NVSwitch SXid
// lines, and untagged "GPU has fallen off the bus" lines. Built for volume: a cheap substring
// pre-filter runs over the whole text and only candidate lines reach a regex.
//
// Records that span lines are one event:
// - the driver's three-line bus loss ("The NVIDIA GPU <addr>" / "(PCI ID: ...) installed in this
//   system has" / "fallen off the bus and is not responding to commands.") is one bus_lost event
//   on its first line, with the address from that line;
// - an SXid line's "Severity ..." and "Data {...}" lines are attached to it (nvswitch.severityLevel,
//   .engineInstance, .subEngineInstance, .data); one of them without its SXid line is still one
//   SXid observation (nvswitch.headless).
// A continuation line pairs only with a record from the same source (the prefix without its time
// stamps: host and tag, switch device) and only within CONTINUATION_WINDOW_LINES lines of the
// record's first line; a record waits at most that long, so memory stays constant. Events come out
// in the order of their first lines. The node counter (node-files/aami-xid-counter)
// pairs lines by the same rules.
//
// A marker (`NVRM: Xid (`, `nvidia-nvswitchN: SXid (`, `NVRM:`) counts only where a driver message
// starts: at the start of the line or after the prefix a kernel or log daemon writes (see
// DRIVER_PREFIX_RE). Elsewhere it is text that another kernel message quotes (a path that a user
// chose), and a user must not be able to report a GPU as lost. Every regex is anchored, led by a
// literal or bounded, with quantifiers over characters that cannot start what follows them, on a
// line of at most MAX_LINE_CHARS: the work per line is linear.
import { normalizePciBusId, parseKernelPciAddress } from './pci.ts';
import { loadNvlinkDecodeTable } from './nvlink-decode.ts';
import type { NvlinkDecoded, NvlinkDecodeTable } from './nvlink-decode.ts';

/** How many lines after a record's first line a continuation line may come (8: the 9th line after is too late). */
export const CONTINUATION_WINDOW_LINES = 8;
/**
 * Longest line read, in UTF-16 code units; a longer line is read cut to this length (its event is
 * still reported). A kernel record is at most 1024 bytes (printk's line limit) and a syslog or
 * journal prefix adds at most a few hundred, so 4096 cuts no real line, and bounds the work a
 * line of junk (a 64 MB body with no newline) can cost.
 */
export const MAX_LINE_CHARS = 4096;
/**
 * Longest text accepted before a driver marker: `<N>`, a stamp, a host name (253 at most),
 * `kernel: `, kernel stamps and the NVSwitch device name fit; it bounds the prefix check.
 */
export const MAX_PREFIX_CHARS = 384;
/** Longest text read between `Xid (` and `):` (an address, maybe a MIG instance or a redaction). */
const MAX_TAG_FIELD = 64;
/** Most digits in an Xid / SXid code (the driver prints at most 5). */
const MAX_CODE_DIGITS = 6;
/** GPU UUIDs remembered from `GPU at PCI:` lines (oldest dropped first). */
const MAX_UUIDS = 1024;

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

/** NVSwitch details of an SXid record (its SXid line and the Severity / Data lines after it). */
export interface NvswitchFields {
  /** N of `nvidia-nvswitchN`. */
  index?: number;
  /** Severity word as logged (`Fatal`, `Non-fatal`). */
  logSeverity?: string;
  link?: number;
  /** N of the `Severity N Engine instance ...` line. */
  severityLevel?: number;
  /** `Engine instance N` of the Severity line. */
  engineInstance?: number;
  /** `Sub-engine instance N` of the Severity line. */
  subEngineInstance?: number;
  /** Hex words of the `Data {...}` line, as logged. */
  data?: string[];
  /** The SXid line itself was not in the text: only its Severity and/or Data line(s). */
  headless?: true;
}

/** One event found in a kernel log. */
export interface KernelLogEvent {
  kind: KernelLogEventKind;
  /** Xid code (79 for an untagged bus loss) or SXid code. */
  code: number;
  /**
   * NVML form `00000000:3B:00.0` (dcgm-exporter's `pci_bus_id`). '' when the address is unknown:
   * the line had none, or it was cut or redacted (then `pciAddressRaw` holds what was there). The
   * node counter labels such events `pci_bus_id="unknown"` (UNKNOWN_PCI_BUS_ID_LABEL).
   */
  pciBusId: string;
  /** Set only when pciBusId is '': the text written where the address goes (`PCI:XXXX:XX:XX`, `PCI:<redacted>`). */
  pciAddressRaw?: string;
  pid?: number;
  processName?: string;
  /** The driver's text after the code (and pid/name); the lines' texts joined by a space for a multi-line bus loss. */
  message: string;
  /** Wall-clock time as logged (syslog, ISO or `dmesg -T` form), from the record's first line. */
  timestamp?: string;
  /** Seconds since boot from a `[ 1234.5678]` stamp, from the record's first line. */
  monotonicSeconds?: number;
  /** 1-based line number of the record's first line in the text. */
  lineNumber: number;
  /** The whole line; for a record that spans lines, its lines joined by '\n'. */
  raw: string;
  /** Line numbers of the continuation lines that belong to this record (absent for a one-line record). */
  continuationLines?: number[];
  /** Set on bus_lost events: the line carried no Xid tag. */
  untagged?: true;
  /** Vendor:device ID from a multi-line bus loss (`(PCI ID: 10de:2330)`). */
  pciId?: string;
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

/** Substrings a line must hold to be looked at. */
const NEEDLES = ['Xid', 'fallen off the bus', 'GPU at PCI:', 'The NVIDIA GPU ', 'installed in this system has'];
/**
 * What may stand before a driver message, all of it optional, in this order: a `<N>` priority
 * (dmesg -r); a syslog, ISO or `[ 1.2]` (journalctl -o short-monotonic) stamp followed by
 * ` host kernel: `, or a bare `kernel: `; a `[ 1234.567890]` or `[Sat Dec  4 01:02:03 2026]`
 * (dmesg -T) stamp; a `[T123]` caller id. Written with [0-9] and no {n,m} so that the node
 * counter's awk (mawk has no intervals) uses the same text: keep the two equal. Tested only on
 * a prefix of at most MAX_PREFIX_CHARS.
 */
const DRIVER_PREFIX_RE =
  /^(?:<[0-9]+>)?(?:(?:[A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9](?:\.[0-9]+)?|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]:[0-9][0-9]:[0-9][0-9](?:[.,][0-9]+)?(?:Z|[+-][0-9][0-9]:?[0-9][0-9])?|\[ *[0-9]+\.[0-9]+\]) [^ ]+ kernel: |kernel: )?(?:(?:\[ *[0-9]+\.[0-9]+\]|\[[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] [0-9][0-9][0-9][0-9]\]) ?)?(?:\[ *[TC][0-9]+\] ?)?$/;
/** The NVSwitch driver's name for its device, right before `SXid (`. */
const NVSWITCH_DEV_RE = /nvidia-nvswitch([0-9]+): $/;
const CODE_RE = /^[ \t]*(\d+)/;
const AFTER_CODE_RE = /^[ \t]*(?:,[ \t]*)?/;
const PID_RE = /^pid=('?<unknown>'?|'?\d+'?)\s*,\s*/;
const NAME_RE = /^name=([^,]*),\s*/;
const NAME_END_RE = /^name=(\S*)\s*$/;
const RECOVERY_RE = /recovery action changed from (0x[0-9a-fA-F]{1,16}) \(([^)]{0,80})\) to (0x[0-9a-fA-F]{1,16}) \(([^)]{0,80})\)/i;
// Each optional field owns the blanks before it, bounded, so no two quantifiers share a run of them.
const NVLINK_RE =
  /^(?:NVLink:[ \t]{0,8})?([A-Z][A-Z0-9_]{0,63}(?:\/[A-Z][A-Z0-9_]{0,63}){0,7})(?:[ \t]{1,8}(Fatal|Nonfatal|Non-fatal|NonFatal))?(?:[ \t]{1,8}XC(\d{1,6}))?(?:[ \t]{1,8}i(\d{1,6}))?(?:[ \t]{1,8}Link[ \t]{1,8}(-?\d{1,6}))?[ \t]{0,8}(?:\(([^)]{0,512})\))?/;
const SXID_SEV_RE = /^(Fatal|Non-?fatal|Always[ _-]?fatal)\s*,\s*/i;
const SXID_SEVERITY_LINE_RE = /^Severity (\d{1,10})(?: Engine instance (\d{1,10})(?: Sub-engine instance (\d{1,10}))?)?/;
const SXID_DATA_LINE_RE = /^Data ?\{/;
const HEX_WORD_RE = /0x[0-9a-fA-F]+/g;
const LINK_RE = /^Link\s+(\d+)\b/;
const UNTAGGED_ADDR_RE = /(?:PCI:)?((?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-7])?)\b/;
const BUS_HEAD_RE = /^The NVIDIA GPU (\S+)$/;
const BUS_MIDDLE_RE = /^(?:\(PCI ID: ([0-9a-fA-F]{4}:[0-9a-fA-F]{4})\) )?installed in this system has$/;
const GPU_AT_RE = /^GPU at PCI:([0-9a-fA-F:.]{1,20}): (GPU-[0-9a-fA-F-]{1,64})/;
const MONO_RE = /\[ *(\d{1,12}\.\d{1,9})\]/;
const DMESG_T_RE = /\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\]/;
const ISO_RE = /^(?:<\d{1,3}>)?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)/;
const SYSLOG_RE = /^(?:<\d{1,3}>)?([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,9})?)/;
// Source of a line (see sourceOf); the awk counter's src() uses the same patterns.
const SRC_PRIORITY_RE = /^<\d+>/;
const SRC_SYSLOG_RE = /^[A-Z][a-z][a-z] [ \d]\d \d\d:\d\d:\d\d[^ ]*/;
const SRC_ISO_RE = /\d\d\d\d-\d\d-\d\d[T ]\d\d:\d\d:\d\d[^ ]*/g;
const SRC_BLANKS_RE = /[ \t]+/g;
const INDENT_RE = /^[ \t]+$/;

/** A record in the output queue: a finished event, or one that may still take continuation lines. */
interface Pending {
  /** Line number of the record's first line. */
  start: number;
  /** May still take continuation lines. */
  open: boolean;
  /** bus: a multi-line bus loss (shown only once its "fallen off the bus" line came). */
  type: 'done' | 'sxid' | 'bus';
  /** sxid: code, address text and source; bus: source. */
  key: string;
  event: KernelLogEvent;
  visible: boolean;
  /** sxid: its Severity line came; bus: its "installed in this system has" line came. */
  middle: boolean;
}

/**
 * Streaming kernel-log parser: feed() text in chunks of any size (lines may be split across
 * chunks), then end(). Line numbers, GPU UUIDs and records that span lines carry across chunks;
 * the events are the same whatever the chunk boundaries. An event may come out of a later feed()
 * than its line (a record waits up to CONTINUATION_WINDOW_LINES lines for its continuation lines),
 * and end() gives those still waiting.
 */
export class KernelLogParser {
  #lineNumber = 0;
  #carry = '';
  /** The carried line was longer than MAX_LINE_CHARS: drop input up to the next newline. */
  #skipping = false;
  readonly #uuids = new Map<string, string>();
  #queue: Pending[] = [];
  #table: NvlinkDecodeTable | null | undefined;

  constructor(options: KernelLogParserOptions = {}) {
    this.#table = options.nvlinkTable;
  }

  /** Parses every complete line in `chunk` (plus what an earlier chunk left open). */
  feed(chunk: string): KernelLogEvent[] {
    const out: KernelLogEvent[] = [];
    if (this.#skipping) {
      const nl = chunk.indexOf('\n');
      if (nl < 0) return out;
      chunk = chunk.slice(nl);
      this.#skipping = false;
    }
    const text = this.#carry === '' ? chunk : this.#carry + chunk;
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.#setCarry(text);
      return out;
    }
    this.#setCarry(last + 1 < text.length ? text.slice(last + 1) : '');
    this.#scan(text, last + 1, out);
    return out;
  }

  /** Parses the last line if the text did not end with a newline, and gives every record still waiting. */
  end(): KernelLogEvent[] {
    const out: KernelLogEvent[] = [];
    this.#skipping = false;
    if (this.#carry !== '') {
      const text = this.#carry;
      this.#carry = '';
      this.#scan(text, text.length, out);
    }
    for (const p of this.#queue) p.open = false;
    this.#release(out);
    return out;
  }

  /** Lines consumed so far. */
  get lineCount(): number {
    return this.#lineNumber;
  }

  /** Records held back (waiting for continuation lines, or behind one that is): at most CONTINUATION_WINDOW_LINES + 1. */
  get pendingCount(): number {
    return this.#queue.length;
  }

  /** Keeps an unfinished line, at most MAX_LINE_CHARS + 1 of it (enough to read it as a truncated line). */
  #setCarry(text: string): void {
    if (text.length > MAX_LINE_CHARS + 1) {
      this.#carry = text.slice(0, MAX_LINE_CHARS + 1);
      this.#skipping = true;
    } else this.#carry = text;
  }

  /** Scans text[0, end): `end` is just past a newline, or the end of a final unterminated line. */
  #scan(text: string, end: number, out: KernelLogEvent[]): void {
    let cursor = 0;
    let lines = this.#lineNumber;
    const next = NEEDLES.map((n) => text.indexOf(n, 0));
    for (;;) {
      let pos = -1;
      for (const n of next) if (n >= 0 && (pos < 0 || n < pos)) pos = n;
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
      let line = text.slice(lineStart, Math.min(lineEnd, lineStart + MAX_LINE_CHARS + 1));
      if (line.length > MAX_LINE_CHARS) line = line.slice(0, MAX_LINE_CHARS);
      else if (line.endsWith('\r')) line = line.slice(0, -1);
      this.#expire(lines);
      this.#parseLine(line, lines);
      this.#release(out);
      cursor = lineEnd + 1;
      for (let i = 0; i < next.length; i++) {
        const n = next[i] as number;
        if (n >= 0 && n < cursor) next[i] = text.indexOf(NEEDLES[i] as string, cursor);
      }
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
    this.#expire(lines + 1);
    this.#release(out);
  }

  /** Closes the records that a line `lineNumber` can no longer continue. */
  #expire(lineNumber: number): void {
    for (const p of this.#queue) if (p.open && lineNumber - p.start > CONTINUATION_WINDOW_LINES) p.open = false;
  }

  /** Gives the finished records at the front of the queue, in the order of their first lines. */
  #release(out: KernelLogEvent[]): void {
    while (this.#queue.length > 0 && !(this.#queue[0] as Pending).open) {
      const p = this.#queue.shift() as Pending;
      if (p.visible) out.push(p.event);
    }
  }

  #emit(event: KernelLogEvent): void {
    this.#queue.push({ start: event.lineNumber, open: false, type: 'done', key: '', event, visible: true, middle: false });
  }

  /**
   * Parses one candidate line (it contains one of NEEDLES); what it finds goes to the queue. A
   * marker counts only at the start of the driver's message (isDriverPrefix); the first one in a
   * line is the only one that can be there, as no accepted prefix holds a marker.
   */
  #parseLine(line: string, lineNumber: number): void {
    const xidAt = line.indexOf('NVRM: Xid (');
    if (xidAt >= 0 && isDriverPrefix(line.slice(0, xidAt))) {
      const event = this.#parseXid(line, xidAt, lineNumber);
      if (event) this.#emit(event);
      return;
    }
    const sxidAt = line.indexOf('SXid (');
    const dev = sxidAt >= 0 ? nvswitchDevice(line.slice(0, sxidAt)) : undefined;
    if (dev) {
      this.#parseSxid(line, sxidAt, dev, lineNumber);
      return;
    }
    const nvrmAt = line.indexOf('NVRM:');
    if (nvrmAt < 0) return;
    const prefix = line.slice(0, nvrmAt);
    // An indented line is the rest of a multi-line record (journalctl, dmesg): it may only join an
    // open record. Alone it may be a newline a user put in text that a kernel message quoted.
    const indented = INDENT_RE.test(prefix);
    if (!indented && !isDriverPrefix(prefix)) return;
    const body = line.slice(nvrmAt + 5).trim();
    if (body.includes('fallen off the bus')) {
      const m = UNTAGGED_ADDR_RE.exec(body);
      if (!m && body.startsWith('fallen off the bus')) {
        const head = this.#openBusHead(prefix);
        if (head) {
          appendLine(head, line, lineNumber);
          head.event.message += ` ${body}`;
          head.open = false;
          head.visible = true;
          return;
        }
      }
      if (indented) return;
      const pciBusId = (m && normalizePciBusId(m[1] as string)) || '';
      const event: KernelLogEvent = {
        kind: 'bus_lost',
        code: 79,
        pciBusId,
        message: body,
        lineNumber,
        raw: line,
        untagged: true,
        ...parsePrefix(prefix),
      };
      this.#emit(this.#withUuid(event));
      return;
    }
    const middle = BUS_MIDDLE_RE.exec(body);
    if (middle) {
      const rec = this.#openBusHead(prefix, true);
      if (rec) {
        rec.middle = true;
        appendLine(rec, line, lineNumber);
        rec.event.message += ` ${body}`;
        if (middle[1]) rec.event.pciId = middle[1].toLowerCase();
      }
      return;
    }
    if (indented) return;
    const head = BUS_HEAD_RE.exec(body);
    if (head) {
      const address = head[1] as string;
      const pciBusId = parseKernelPciAddress(address);
      const event: KernelLogEvent = {
        kind: 'bus_lost',
        code: 79,
        pciBusId: pciBusId ?? '',
        message: body,
        lineNumber,
        raw: line,
        untagged: true,
        ...parsePrefix(prefix),
      };
      if (pciBusId === undefined) event.pciAddressRaw = address;
      this.#queue.push({ start: lineNumber, open: true, type: 'bus', key: sourceOf(prefix), event: this.#withUuid(event), visible: false, middle: false });
      return;
    }
    const g = GPU_AT_RE.exec(body);
    if (g) {
      const pci = normalizePciBusId(g[1] as string);
      if (pci) {
        this.#uuids.delete(pci);
        if (this.#uuids.size >= MAX_UUIDS) this.#uuids.delete(this.#uuids.keys().next().value as string);
        this.#uuids.set(pci, g[2] as string);
      }
    }
  }

  /**
   * The oldest open multi-line bus loss from the same source (any source for an indented line:
   * the rest of one multi-line kernel record); with `needsMiddle`, one still without its middle line.
   */
  #openBusHead(prefix: string, needsMiddle = false): Pending | undefined {
    const any = INDENT_RE.test(prefix);
    const source = any ? '' : sourceOf(prefix);
    return this.#queue.find((p) => p.type === 'bus' && p.open && (any || p.key === source) && !(needsMiddle && p.middle));
  }

  #parseXid(line: string, xidAt: number, lineNumber: number): KernelLogEvent | undefined {
    const tag = readTag(line, xidAt + 10);
    if (!tag) return undefined;
    let rest = tag.rest.trim();
    let pid: number | undefined;
    let processName: string | undefined;
    const pm = PID_RE.exec(rest);
    if (pm) {
      const v = (pm[1] as string).replace(/'/g, '');
      if (v !== '<unknown>') pid = Number(v);
      rest = rest.slice(pm[0].length);
      const nm = NAME_RE.exec(rest) ?? NAME_END_RE.exec(rest);
      if (nm) {
        const n = (nm[1] as string).trimEnd().replace(/^'|'$/g, '');
        if (n !== '<unknown>' && n !== '') processName = n;
        rest = rest.slice(nm[0].length);
      }
    }
    const { code } = tag;
    const event: KernelLogEvent = {
      kind: 'xid',
      code,
      pciBusId: tag.pciBusId,
      message: rest,
      lineNumber,
      raw: line,
      ...parsePrefix(line.slice(0, xidAt)),
    };
    if (tag.pciAddressRaw !== undefined) event.pciAddressRaw = tag.pciAddressRaw;
    if (pid !== undefined) event.pid = pid;
    if (processName !== undefined) event.processName = processName;
    if (tag.instance) event.gpuInstance = tag.instance;
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

  /**
   * An SXid line: the record's first line opens a record; a `Severity` line joins the open record
   * of the same switch, address, code and source if that has none yet, a `Data` line joins it and
   * closes it; otherwise either starts a record of its own (headless). One open record per key.
   */
  #parseSxid(line: string, at: number, dev: { index: number; at: number }, lineNumber: number): void {
    const tag = readTag(line, at + 5);
    if (!tag) return;
    const prefix = line.slice(0, at);
    const key = `${tag.code} ${tag.token} [${sourceOf(prefix)}]`;
    const part = tag.rest.startsWith('Severity ') ? 'severity' : SXID_DATA_LINE_RE.test(tag.rest) ? 'data' : 'head';
    const cur = this.#queue.find((p) => p.type === 'sxid' && p.open && p.key === key);
    if (cur && part !== 'head' && !(part === 'severity' && cur.middle)) {
      appendLine(cur, line, lineNumber);
      addSxidPart(cur, part, tag.rest.trim());
      return;
    }
    if (cur) cur.open = false;
    let rest = tag.rest.trim();
    const nvswitch: NvswitchFields = { index: dev.index };
    if (part === 'head') {
      const sev = SXID_SEV_RE.exec(rest);
      if (sev) {
        nvswitch.logSeverity = sev[1] as string;
        rest = rest.slice(sev[0].length);
      }
      const link = LINK_RE.exec(rest);
      if (link) nvswitch.link = Number(link[1]);
    } else nvswitch.headless = true;
    const event: KernelLogEvent = {
      kind: 'sxid',
      code: tag.code,
      pciBusId: tag.pciBusId,
      message: rest,
      lineNumber,
      raw: line,
      nvswitch,
      ...parsePrefix(prefix.slice(0, dev.at)),
    };
    if (tag.pciAddressRaw !== undefined) event.pciAddressRaw = tag.pciAddressRaw;
    const rec: Pending = { start: lineNumber, open: part !== 'data', type: 'sxid', key, event, visible: true, middle: false };
    if (part !== 'head') addSxidPart(rec, part, rest);
    this.#queue.push(rec);
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

/** What follows `Xid (` / `SXid (`: the address (maybe unknown), MIG instance, code and the text after it. */
interface Tag {
  /** The address as written (first word inside the parentheses). */
  token: string;
  pciBusId: string;
  pciAddressRaw?: string;
  instance: string;
  code: number;
  /** The text after the code and its comma. */
  rest: string;
}

/** Reads `(<address>[ <instance>]): <code>[,] <rest>` from the `(` at `open`; the node counter reads it the same way. */
function readTag(line: string, open: number): Tag | undefined {
  const start = open + 1;
  const close = line.indexOf('):', start);
  if (close < 0 || close - start > MAX_TAG_FIELD) return undefined;
  const after = line.slice(close + 2);
  const c = CODE_RE.exec(after);
  if (!c || (c[1] as string).length > MAX_CODE_DIGITS) return undefined;
  const inner = line.slice(start, close);
  const sp = inner.indexOf(' ');
  const token = sp < 0 ? inner : inner.slice(0, sp);
  const pciBusId = parseKernelPciAddress(token);
  const rest = after.slice(c[0].length);
  const tag: Tag = {
    token,
    pciBusId: pciBusId ?? '',
    instance: sp < 0 ? '' : inner.slice(sp + 1).trim(),
    code: Number(c[1]),
    rest: rest.slice((AFTER_CODE_RE.exec(rest) as RegExpExecArray)[0].length),
  };
  if (pciBusId === undefined) tag.pciAddressRaw = token;
  return tag;
}

/** Is `prefix` (a line's text before a marker) what a kernel or log daemon writes before a driver message? */
function isDriverPrefix(prefix: string): boolean {
  return prefix.length <= MAX_PREFIX_CHARS && DRIVER_PREFIX_RE.test(prefix);
}

/** The NVSwitch device (N of `nvidia-nvswitchN: ` and where that starts) when `prefix` is a driver's prefix for `SXid (`. */
function nvswitchDevice(prefix: string): { index: number; at: number } | undefined {
  if (prefix.length > MAX_PREFIX_CHARS) return undefined;
  const m = NVSWITCH_DEV_RE.exec(prefix);
  if (!m || !isDriverPrefix(prefix.slice(0, m.index))) return undefined;
  return { index: Number(m[1]), at: m.index };
}

/** Adds a continuation line to a record. */
function appendLine(rec: Pending, line: string, lineNumber: number): void {
  rec.event.raw += `\n${line}`;
  (rec.event.continuationLines ??= []).push(lineNumber);
}

/** Reads an SXid's Severity or Data line into its record; a Data line closes it. */
function addSxidPart(rec: Pending, part: 'severity' | 'data', text: string): void {
  const n = rec.event.nvswitch ?? (rec.event.nvswitch = {});
  if (part === 'severity') {
    rec.middle = true;
    const m = SXID_SEVERITY_LINE_RE.exec(text);
    if (m) {
      n.severityLevel = Number(m[1]);
      if (m[2] !== undefined) n.engineInstance = Number(m[2]);
      if (m[3] !== undefined) n.subEngineInstance = Number(m[3]);
    }
  } else {
    n.data = text.match(HEX_WORD_RE) ?? [];
    rec.open = false;
  }
}

/**
 * Where a line came from: its prefix (text before the driver's tag) without time stamps
 * (`<6>`, a leading syslog stamp, ISO stamps, anything in brackets), blanks squeezed: e.g.
 * `gpu-node-07 kernel:` or `nvidia-nvswitch3:`. Mirrored by the awk counter's src().
 */
function sourceOf(prefix: string): string {
  let s = prefix.replace(SRC_PRIORITY_RE, '');
  s = s.replace(SRC_SYSLOG_RE, ' ');
  s = s.replace(SRC_ISO_RE, ' ');
  // every `[...]` group, by indexOf (a regex would rescan the rest of the line for each unclosed `[`)
  let kept = '';
  let from = 0;
  for (;;) {
    const a = s.indexOf('[', from);
    const b = a < 0 ? -1 : s.indexOf(']', a + 1);
    if (b < 0) break;
    kept += `${s.slice(from, a)} `;
    from = b + 1;
  }
  s = kept + s.slice(from);
  s = s.replace(SRC_BLANKS_RE, ' ');
  if (s.startsWith(' ')) s = s.slice(1);
  if (s.endsWith(' ')) s = s.slice(0, -1);
  return s;
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
