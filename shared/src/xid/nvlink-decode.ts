// NVIDIA's decode table for the NVLink5 Xids 144-150 (xid-db/nvlink-decode.tsv): from the unit
// name, the IntrInfo word and the error status word of an extended Xid line it finds NVIDIA's
// resolution bucket, severity and effects. Loaded lazily (only when such a line is seen), cached.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors.ts';
import type { ErrorDetail } from '../errors.ts';
import { resolveXidDbDir } from './catalog.ts';

/** One row of the decode table. Patterns are 32 chars, bit 31 first, '-' = any bit. */
export interface NvlinkDecodeRule {
  xid: number;
  unit: string;
  patternV1: string;
  patternV2: string;
  errorStatus: number;
  resolutionBucket: string;
  investigatoryBucket: string;
  severity: string;
  action2: string;
  hwSw: string;
  localRemote: string;
}

/** What the table says about one logged NVLink error. */
export interface NvlinkDecoded {
  /** The table's unit name (may list aliases, e.g. `TLW_RX/TLW_RX_PIPE0`). */
  unit: string;
  resolutionBucket: string;
  investigatoryBucket: string;
  /** NVIDIA's severity for this unit + status (Fatal, Non-fatal, Link Fatal, ...). */
  severity: string;
  action2: string;
  hwSw: string;
  localRemote: string;
  /** 'pattern': unit, status and IntrInfo bit pattern all match; 'unit_status': the IntrInfo
   * pattern did not match (or was not logged) but every row for this unit + status agrees. */
  match: 'pattern' | 'unit_status';
}

/** Input of a decode: what the log line carried. */
export interface NvlinkDecodeInput {
  xid: number;
  unit?: string;
  intrInfo?: number;
  errorStatus?: number;
}

function normUnit(s: string): string {
  return s.trim().toUpperCase().replace(/-/g, '_');
}

/** True when `value` fits a 32-char pattern ('1' set, '0' clear, '-' any). */
export function intrInfoMatches(pattern: string, value: number): boolean {
  if (pattern.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 45 /* - */) continue;
    const bit = (value >>> (31 - i)) & 1;
    if ((c === 49 /* 1 */ && bit !== 1) || (c === 48 /* 0 */ && bit !== 0)) return false;
  }
  return true;
}

/** The decode table with its lookup. */
export class NvlinkDecodeTable {
  readonly rules: readonly NvlinkDecodeRule[];
  readonly #aliases: Map<NvlinkDecodeRule, Set<string>>;

  constructor(rules: NvlinkDecodeRule[]) {
    this.rules = rules;
    this.#aliases = new Map(
      rules.map((r) => [r, new Set([normUnit(r.unit), ...r.unit.split(/[/,()\s]+/).filter(Boolean).map(normUnit)])]),
    );
  }

  /**
   * Decodes one logged error. Returns undefined when the table cannot say (unit not in the table,
   * status not listed for it, or several rows disagree and IntrInfo does not pick one).
   */
  decode(input: NvlinkDecodeInput): NvlinkDecoded | undefined {
    let candidates = this.rules.filter((r) => r.xid === input.xid);
    if (input.unit) {
      const unit = normUnit(input.unit);
      candidates = candidates.filter((r) => this.#aliases.get(r)?.has(unit));
    } else if (input.intrInfo !== undefined) {
      const v = input.intrInfo;
      candidates = candidates.filter((r) => intrInfoMatches(r.patternV2, v) || intrInfoMatches(r.patternV1, v));
    } else return undefined;
    if (input.errorStatus !== undefined) candidates = candidates.filter((r) => r.errorStatus === input.errorStatus);
    if (candidates.length === 0) return undefined;
    if (input.intrInfo !== undefined) {
      const v = input.intrInfo;
      const byPattern = candidates.find((r) => intrInfoMatches(r.patternV2, v) || intrInfoMatches(r.patternV1, v));
      if (byPattern && (input.unit || input.errorStatus !== undefined)) return decoded(byPattern, 'pattern');
    }
    if (input.errorStatus === undefined) return undefined;
    const first = candidates[0] as NvlinkDecodeRule;
    const agree = candidates.every(
      (r) =>
        r.resolutionBucket === first.resolutionBucket &&
        r.investigatoryBucket === first.investigatoryBucket &&
        r.severity === first.severity,
    );
    return agree ? decoded(first, 'unit_status') : undefined;
  }
}

function decoded(r: NvlinkDecodeRule, match: NvlinkDecoded['match']): NvlinkDecoded {
  return {
    unit: r.unit,
    resolutionBucket: r.resolutionBucket,
    investigatoryBucket: r.investigatoryBucket,
    severity: r.severity,
    action2: r.action2,
    hwSw: r.hwSw,
    localRemote: r.localRemote,
    match,
  };
}

const HEADER = 'xid\tunit\tintrinfo_pattern_v1_pre_r575\tintrinfo_pattern_v2_r575_plus\terror_status_hex\tresolution_bucket\tinvestigatory_bucket\tseverity\taction2\thw_sw\tlocal_remote';

/** Parses and validates the TSV text ('#' lines are comments). Throws ValidationError naming each bad line. */
export function parseNvlinkDecodeTsv(text: string, source = 'nvlink-decode.tsv'): NvlinkDecodeRule[] {
  const details: ErrorDetail[] = [];
  const rules: NvlinkDecodeRule[] = [];
  let sawHeader = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) return;
    if (!sawHeader) {
      sawHeader = true;
      if (line !== HEADER) details.push({ path: source, line: i + 1, message: 'unexpected header row' });
      return;
    }
    const f = line.split('\t');
    const bad = (message: string): void => {
      details.push({ path: source, line: i + 1, message });
    };
    if (f.length !== 11) return bad(`expected 11 tab-separated columns, got ${f.length}`);
    const [xid, unit, v1, v2, status, resolution, investigatory, severity, action2, hwSw, localRemote] = f as [
      string, string, string, string, string, string, string, string, string, string, string,
    ];
    if (!/^\d+$/.test(xid) || Number(xid) < 144 || Number(xid) > 150) return bad(`xid ${xid} is not 144..150`);
    if (!unit) return bad('empty unit');
    for (const p of [v1, v2]) if (!/^[01-]{32}$/.test(p)) return bad(`bad IntrInfo pattern ${p}`);
    if (!/^0x[0-9a-fA-F]{1,8}$/.test(status)) return bad(`bad error status ${status}`);
    rules.push({
      xid: Number(xid),
      unit,
      patternV1: v1,
      patternV2: v2,
      errorStatus: Number.parseInt(status.slice(2), 16),
      resolutionBucket: resolution,
      investigatoryBucket: investigatory,
      severity,
      action2,
      hwSw,
      localRemote,
    });
  });
  if (!sawHeader) details.push({ path: source, message: 'no header row' });
  if (details.length > 0) {
    throw new ValidationError(`invalid NVLink decode table ${source}: ${details.map((d) => `line ${d.line ?? '?'}: ${d.message}`).join('; ')}`, details);
  }
  return rules;
}

const tables = new Map<string, NvlinkDecodeTable>();

/** Loads xid-db/nvlink-decode.tsv (folder as for the catalog: AAMI_XID_DB_DIR or xid-db/). Cached. */
export function loadNvlinkDecodeTable(dir?: string): NvlinkDecodeTable {
  const folder = resolveXidDbDir(dir);
  const cached = tables.get(folder);
  if (cached) return cached;
  const file = join(folder, 'nvlink-decode.tsv');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read the NVLink decode table ${file}: ${(err as Error).message}`);
  }
  const table = new NvlinkDecodeTable(parseNvlinkDecodeTsv(text, 'nvlink-decode.tsv'));
  tables.set(folder, table);
  return table;
}
