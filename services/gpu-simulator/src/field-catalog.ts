// The field set of a simulated exporter IS a dcgm-exporter counters file: this module reads one the
// way dcgm-exporter does (Go encoding/csv with '#' comments, each cell trimmed of spaces, exactly three
// cells: DCGM field, Prometheus type, help) and returns the metrics in file order plus the label fields.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A field rendered as its own metric family. */
export interface MetricField {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  /** 1-based line in the counters file, for error messages. */
  line: number;
}

/** A field that dcgm-exporter turns into a label on every series (type `label`). */
export interface LabelField {
  name: string;
  help: string;
  line: number;
}

/** A parsed counters file. */
export interface FieldCatalog {
  source: string;
  metrics: MetricField[];
  labels: LabelField[];
}

/** The counters files shipped with the simulator. */
export const COUNTERS_FILES = {
  /** Byte-exact copy of dcgm-exporter's etc/default-counters.csv. */
  default: fileURLToPath(new URL('../data/default-counters.csv', import.meta.url)),
  /** The default fields plus what AAMI's alert presets need; the install worker ships this file. */
  aami: fileURLToPath(new URL('../../../node-files/dcgm-counters.csv', import.meta.url)),
} as const;

/** Parses counters-file text; throws with the line number on anything dcgm-exporter would reject. */
export function parseCountersCsv(text: string, source = '<inline>'): FieldCatalog {
  const metrics: MetricField[] = [];
  const labels: LabelField[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    const line = i + 1;
    if (raw === '' || raw.startsWith('#')) continue;
    const cells = raw.split(',').map((c) => c.replace(/^ +| +$/g, ''));
    if (cells.length !== 3) throw new Error(`${source}:${line}: expected 3 comma-separated cells, got ${cells.length}`);
    const [name, type, help] = cells as [string, string, string];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${source}:${line}: bad field name '${name}'`);
    if (seen.has(name)) throw new Error(`${source}:${line}: field ${name} appears twice`);
    seen.add(name);
    if (type === 'label') labels.push({ name, help, line });
    else if (type === 'gauge' || type === 'counter') metrics.push({ name, type, help, line });
    else throw new Error(`${source}:${line}: type '${type}' of ${name} is not one the simulator renders (gauge, counter, label)`);
  }
  if (metrics.length === 0) throw new Error(`${source}: no metric fields`);
  return { source, metrics, labels };
}

/** Loads `default`, `aami` or a path to any counters file. */
export function loadFieldCatalog(which: string): FieldCatalog {
  const path = which === 'default' || which === 'aami' ? COUNTERS_FILES[which] : which;
  return parseCountersCsv(readFileSync(path, 'utf8'), path);
}
