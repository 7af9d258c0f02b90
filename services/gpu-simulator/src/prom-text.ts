// A small, strict parser of the Prometheus text format (0.0.4), used by the tests to read /metrics:
// it keeps label order (dcgm-exporter's order is part of what is checked) and throws, with the line
// number, on anything a Prometheus scrape would reject or that breaks the format's grouping rules
// (a family's samples split in two, a series twice, TYPE after samples).

/** One sample line. */
export interface PromSample {
  name: string;
  /** Labels in the order they were written. */
  labels: Array<[string, string]>;
  value: number;
  /** The value exactly as written. */
  raw: string;
}

/** One metric family. */
export interface PromFamily {
  name: string;
  help?: string;
  type?: string;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseLabels(text: string, at: number, line: number): { labels: Array<[string, string]>; end: number } {
  const labels: Array<[string, string]> = [];
  let i = at;
  const fail = (why: string): never => {
    throw new Error(`line ${line}: ${why}`);
  };
  while (text[i] !== '}') {
    const m = LABEL.exec(text.slice(i));
    if (!m) fail(`bad label name at column ${i + 1}`);
    const key = (m as RegExpExecArray)[0];
    i += key.length;
    if (text[i] !== '=' || text[i + 1] !== '"') fail(`expected ="` + ` after label ${key}`);
    i += 2;
    let value = '';
    while (text[i] !== '"') {
      if (i >= text.length) fail(`unterminated value of label ${key}`);
      if (text[i] === '\\') {
        const e = text[i + 1];
        value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : fail(`bad escape \\${e}`);
        i += 2;
      } else {
        value += text[i];
        i++;
      }
    }
    i++;
    if (labels.some(([k]) => k === key)) fail(`label ${key} twice`);
    labels.push([key, value]);
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail(`expected , or } after label ${key}`);
  }
  return { labels, end: i + 1 };
}

function parseValue(raw: string, line: number): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`line ${line}: bad value '${raw}'`);
  return Number(raw);
}

/** Parses exposition text into families, in the order they appear. */
export function parsePromText(text: string): PromFamily[] {
  const families: PromFamily[] = [];
  const byName = new Map<string, PromFamily>();
  const series = new Set<string>();
  let current: PromFamily | undefined;
  const family = (name: string, line: number): PromFamily => {
    let f = byName.get(name);
    if (!f) {
      f = { name, samples: [] };
      byName.set(name, f);
      families.push(f);
    } else if (f !== current) {
      throw new Error(`line ${line}: family ${name} appears in two places`);
    }
    current = f;
    return f;
  };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((l, idx) => {
    const line = idx + 1;
    if (l === '') return;
    if (l.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(l);
      if (!m) return;
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      const f = family(name, line);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      } else {
        if (f.type !== undefined) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (f.samples.length > 0) throw new Error(`line ${line}: TYPE for ${name} after its samples`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`line ${line}: bad type ${rest}`);
        f.type = rest;
      }
      return;
    }
    const m = NAME.exec(l);
    if (!m) throw new Error(`line ${line}: expected a metric name`);
    const name = m[0];
    let i = name.length;
    let labels: Array<[string, string]> = [];
    if (l[i] === '{') ({ labels, end: i } = parseLabels(l, i + 1, line));
    if (l[i] !== ' ') throw new Error(`line ${line}: expected a space before the value`);
    const fields = l.slice(i + 1).split(' ');
    if (fields.length < 1 || fields.length > 2 || fields[0] === '') throw new Error(`line ${line}: expected value [timestamp]`);
    const raw = fields[0] as string;
    const f = family(name, line);
    const key = `${name}{${[...labels].sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (series.has(key)) throw new Error(`line ${line}: series ${key} twice`);
    series.add(key);
    f.samples.push({ name, labels, value: parseValue(raw, line), raw });
  });
  return families;
}
