// Loads the Xid / SXid catalog (xid-db/*.yaml), validates every entry with the zod schemas, and
// answers lookups, filtered lists and word searches. Used offline by the CLI (`aami explain xid`),
// by the notification relay (enrichment) and by the analyzer service. Loaded once per directory
// and cached: the data only changes with a release.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { ErrorDetail } from '../errors.ts';
import { SxidEntry, XidEntry } from './catalog-schema.ts';
import type { XidSeverity } from './catalog-schema.ts';

/** Default data folder: the repository's xid-db/, found relative to this file. */
const DEFAULT_XID_DB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../xid-db');

/** The folder the catalog is read from: AAMI_XID_DB_DIR when set, else the repository's xid-db/. */
export function resolveXidDbDir(dir?: string): string {
  if (dir) return resolve(dir);
  const fromEnv = process.env['AAMI_XID_DB_DIR'];
  return fromEnv ? resolve(fromEnv) : DEFAULT_XID_DB_DIR;
}

/** One search result: the entry and how well it matched (higher is better). */
export interface CatalogSearchHit<T> {
  entry: T;
  score: number;
}

interface Searchable {
  title: string;
  name: string;
  rest: string;
}

/** The validated catalog: every Xid and SXid entry, sorted by code, with lookups. */
export class XidCatalog {
  readonly dir: string;
  readonly xids: readonly XidEntry[];
  readonly sxids: readonly SxidEntry[];
  readonly #xidByCode: Map<number, XidEntry>;
  readonly #sxidByCode: Map<number, SxidEntry>;
  readonly #xidText: Map<XidEntry, Searchable>;
  readonly #sxidText: Map<SxidEntry, Searchable>;

  constructor(dir: string, xids: XidEntry[], sxids: SxidEntry[]) {
    this.dir = dir;
    this.xids = [...xids].sort((a, b) => a.code - b.code);
    this.sxids = [...sxids].sort((a, b) => a.code - b.code);
    this.#xidByCode = new Map(this.xids.map((e) => [e.code, e]));
    this.#sxidByCode = new Map(this.sxids.map((e) => [e.code, e]));
    this.#xidText = new Map(this.xids.map((e) => [e, searchableText(e)]));
    this.#sxidText = new Map(this.sxids.map((e) => [e, searchableText(e)]));
  }

  /** The Xid entry for a code, or undefined. */
  getXid(code: number): XidEntry | undefined {
    return this.#xidByCode.get(code);
  }

  /** The Xid entry for a code; throws NotFoundError (404) when the catalog has none. */
  requireXid(code: number): XidEntry {
    const entry = this.getXid(code);
    if (!entry) throw new NotFoundError(`Xid ${code} is not in the catalog`);
    return entry;
  }

  /** The SXid entry for a code, or undefined. */
  getSxid(code: number): SxidEntry | undefined {
    return this.#sxidByCode.get(code);
  }

  /** The SXid entry for a code; throws NotFoundError (404) when the catalog has none. */
  requireSxid(code: number): SxidEntry {
    const entry = this.getSxid(code);
    if (!entry) throw new NotFoundError(`SXid ${code} is not in the catalog`);
    return entry;
  }

  /** Xid entries by code, optionally only those of one severity. */
  listXid(filter: { severity?: XidSeverity } = {}): XidEntry[] {
    return this.xids.filter((e) => !filter.severity || e.severity === filter.severity);
  }

  /** SXid entries by code, optionally only those of one severity. */
  listSxid(filter: { severity?: XidSeverity } = {}): SxidEntry[] {
    return this.sxids.filter((e) => !filter.severity || e.severity === filter.severity);
  }

  /**
   * Xid entries matching every word of `query` (case-insensitive, at the start of a word) in
   * title, name, meaning, causes or actions. Hits in title/name rank first; a query that is a
   * code puts that entry on top.
   */
  searchXid(query: string): CatalogSearchHit<XidEntry>[] {
    return search(this.xids, this.#xidText, query);
  }

  /** SXid entries matching every word of `query`; same rules as searchXid. */
  searchSxid(query: string): CatalogSearchHit<SxidEntry>[] {
    return search(this.sxids, this.#sxidText, query);
  }
}

function searchableText(e: XidEntry | SxidEntry): Searchable {
  const norm = (t: string): string => ` ${t.toLowerCase().replace(/_/g, ' ')} `;
  return { title: norm(e.title), name: norm(e.name), rest: norm([e.meaning, ...e.causes, ...e.actions].join(' ')) };
}

/** Score of one term in one field: a whole-word hit beats a word-prefix hit. */
function fieldScore(text: string, prefix: RegExp, whole: RegExp, wholeScore: number, prefixScore: number): number {
  if (whole.test(text)) return wholeScore;
  return prefix.test(text) ? prefixScore : 0;
}

function search<T extends { code: number }>(
  entries: readonly T[],
  text: Map<T, Searchable>,
  query: string,
): CatalogSearchHit<T>[] {
  const terms = query
    .toLowerCase()
    .replace(/_/g, ' ')
    .split(/\s+/)
    .filter((t) => t.length > 0);
  if (terms.length === 0) return [];
  const patterns = terms.map((t) => {
    const esc = t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return { term: t, prefix: new RegExp(`[^a-z0-9]${esc}`), whole: new RegExp(`[^a-z0-9]${esc}(?![a-z0-9])`) };
  });
  const hits: CatalogSearchHit<T>[] = [];
  for (const entry of entries) {
    const t = text.get(entry);
    if (!t) continue;
    let score = 0;
    for (const { term, prefix, whole } of patterns) {
      const s =
        String(entry.code) === term
          ? 100
          : fieldScore(t.title, prefix, whole, 12, 10) ||
            fieldScore(t.name, prefix, whole, 9, 8) ||
            fieldScore(t.rest, prefix, whole, 2, 1);
      if (s === 0) {
        score = 0;
        break;
      }
      score += s;
    }
    if (score > 0) hits.push({ entry, score });
  }
  return hits.sort((a, b) => b.score - a.score || a.entry.code - b.entry.code);
}

const cache = new Map<string, XidCatalog>();

/**
 * Loads and validates the catalog from `dir` (default: resolveXidDbDir()). Cached per folder;
 * `reload: true` reads the files again. Throws ValidationError whose details name each bad
 * file, entry and field (`xid-001-088.yaml[12].actions: ...`) with its line.
 */
export function loadXidCatalog(options: { dir?: string; reload?: boolean } = {}): XidCatalog {
  const dir = resolveXidDbDir(options.dir);
  const cached = cache.get(dir);
  if (cached && !options.reload) return cached;

  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new ValidationError(`cannot read the Xid catalog folder ${dir}: ${(err as Error).message}`);
  }
  const xidFiles = names.filter((n) => /^xid-.*\.ya?ml$/.test(n)).sort();
  const details: ErrorDetail[] = [];
  if (xidFiles.length === 0) details.push({ path: dir, message: 'no xid-*.yaml file found' });
  if (!names.includes('sxid.yaml')) details.push({ path: dir, message: 'sxid.yaml not found' });

  const xids: XidEntry[] = [];
  const xidWhere = new Map<number, string>();
  for (const file of xidFiles) {
    const range = /^xid-(\d+)-(\d+)\./.exec(file);
    for (const { entry, where, line } of readEntries(dir, file, XidEntry, details)) {
      if (range && (entry.code < Number(range[1]) || entry.code > Number(range[2]))) {
        details.push({ path: `${where}.code`, line, message: `Xid ${entry.code} is outside this file's range ${Number(range[1])}-${Number(range[2])}` });
      }
      const seen = xidWhere.get(entry.code);
      if (seen) details.push({ path: `${where}.code`, line, message: `duplicate Xid ${entry.code} (also at ${seen})` });
      else {
        xidWhere.set(entry.code, where);
        xids.push(entry);
      }
    }
  }
  const sxids: SxidEntry[] = [];
  const sxidWhere = new Map<number, string>();
  if (names.includes('sxid.yaml')) {
    for (const { entry, where, line } of readEntries(dir, 'sxid.yaml', SxidEntry, details)) {
      const seen = sxidWhere.get(entry.code);
      if (seen) details.push({ path: `${where}.code`, line, message: `duplicate SXid ${entry.code} (also at ${seen})` });
      else {
        sxidWhere.set(entry.code, where);
        sxids.push(entry);
      }
    }
  }
  if (details.length > 0) {
    const shown = details.slice(0, 20).map((d) => `  ${d.path ?? ''}${d.line !== undefined ? ` (line ${d.line})` : ''}: ${d.message}`);
    const more = details.length > 20 ? `\n  ... and ${details.length - 20} more` : '';
    throw new ValidationError(`invalid Xid catalog in ${dir}:\n${shown.join('\n')}${more}`, details);
  }
  const catalog = new XidCatalog(dir, xids, sxids);
  cache.set(dir, catalog);
  return catalog;
}

/** Forgets every cached catalog (tests; a long-running process after a data update). */
export function clearXidCatalogCache(): void {
  cache.clear();
}

interface ReadEntry<T> {
  entry: T;
  where: string;
  line: number | undefined;
}

/** Parses one YAML list file and validates each item; problems go to `details`. */
function readEntries<S extends z.ZodType>(dir: string, file: string, schema: S, details: ErrorDetail[]): ReadEntry<z.infer<S>>[] {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    details.push({ path: file, message: `cannot read: ${(err as Error).message}` });
    return [];
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      details.push({ path: file, line: e.linePos?.[0]?.line, message: `YAML: ${e.message.split('\n')[0] ?? ''}` });
    }
    return [];
  }
  const data: unknown = doc.toJS();
  if (!Array.isArray(data)) {
    details.push({ path: file, message: 'must be a YAML list of entries' });
    return [];
  }
  const lineOf = (path: (string | number)[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    return undefined;
  };
  const out: ReadEntry<z.infer<S>>[] = [];
  data.forEach((item: unknown, i: number) => {
    const where = `${file}[${i}]`;
    const parsed = schema.safeParse(item);
    if (parsed.success) {
      out.push({ entry: parsed.data, where, line: lineOf([i]) });
      return;
    }
    const code = (item as { code?: unknown } | null)?.code;
    const label = typeof code === 'number' ? ` (code ${code})` : '';
    for (const issue of parsed.error.issues) {
      const keys = issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k));
      const suffix = keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          details.push({ path: `${where}${suffix}.${key}`, line: lineOf([i, ...keys, key]), message: `unknown field${label}` });
        }
        continue;
      }
      details.push({ path: `${where}${suffix}`, line: lineOf([i, ...keys]), message: `${issue.message}${label}` });
    }
  });
  return out;
}
