// Test cases for preset rules as data (presets/tests/<preset>.yaml) and the generator that turns them
// into `promtool test rules` files. A case names its series by target shape ("gpu0" = GPU 0 of node
// gpu-node-01 as dcgm-exporter labels it, "node_exporter" = that node's node_exporter target), so the
// data stays short while every series carries the full label set the simulator and the real
// exporters produce: gpu, UUID, pci_bus_id, device, modelName, Hostname, DCGM_FI_DRIVER_VERSION plus
// node, cluster, instance and job. Expected annotations are rendered from the rule's templates with
// the expected labels and value, so a template that names a label the alert lacks fails the test.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { JOBS, EXPORTER_PORTS, ValidationError, issuesToDetails, type ErrorDetail, renderTemplate, type EffectiveRule } from '@aami/shared';
import { Duration } from '@aami/shared';

/** The cluster every test series belongs to. */
export const TEST_CLUSTER = 'test-cluster';
/** The nodes test series may name: name -> address. */
export const TEST_NODES: Readonly<Record<string, string>> = { 'gpu-node-01': '10.20.0.11', 'gpu-node-02': '10.20.0.12' };
const DEFAULT_NODE = 'gpu-node-01';
const HGX_BUSES = ['18', '2A', '3A', '5D', '9A', 'AB', 'BA', 'DB'];

/**
 * Target shapes a series can take. `healthN` is the analyzer's series about GPU N of the node
 * (aami_gpu_health_*): scraped from the analyzer under job `aami` with honor_labels, so it carries
 * the GPU's node, gpu, UUID and pci_bus_id next to the analyzer target's instance and service.
 */
export const Shape = z.enum([
  'gpu0', 'gpu1', 'gpu2', 'gpu3', 'gpu4', 'gpu5', 'gpu6', 'gpu7',
  'health0', 'health1', 'health2', 'health3', 'health4', 'health5', 'health6', 'health7',
  'dcgm', 'node_exporter', 'aami', 'none',
]);
export type Shape = z.infer<typeof Shape>;

const LabelMap = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string());
const NodeRef = z.enum(Object.keys(TEST_NODES) as [string, ...string[]]);

const Series = z.strictObject({
  metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
  on: Shape,
  node: NodeRef.optional(),
  labels: LabelMap.default({}),
  /** promtool's expanding notation: "60+5x10", "1 _ 3", "0x20 stale". */
  values: z.string().min(1),
});

const ExpectedAlert = z.strictObject({
  on: Shape,
  node: NodeRef.optional(),
  /** Labels to add or replace (e.g. the xid of a series, or `service` of an AAMI target). */
  labels: LabelMap.default({}),
  /** Labels the expression aggregates away. */
  drop: z.array(z.string()).default([]),
  /** Keep only these labels of the shape (for `by (...)` aggregations); applied before `labels`. */
  keep: z.array(z.string()).optional(),
  /** The alert's value at eval time, for annotations that print $value. */
  value: z.number().optional(),
});

const Case = z.strictObject({
  /** Sample spacing of the input series. */
  interval: Duration.default('1m'),
  series: z.array(Series).default([]),
  at: z.union([Duration, z.array(Duration).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])),
  alerts: z.array(ExpectedAlert).default([]),
});
export type TestCase = z.infer<typeof Case>;

/** One preset's test file: per rule, a case that must fire and one that must stay quiet. */
export const PresetTestFile = z.strictObject({
  preset: z.string(),
  rules: z.record(z.string(), z.strictObject({
    fire: Case.refine((c) => c.alerts.length > 0, 'a fire case must expect at least one alert'),
    quiet: Case.refine((c) => c.alerts.length === 0, 'a quiet case expects no alert'),
  })),
});
export type PresetTestFile = z.infer<typeof PresetTestFile>;

/** Reads and validates every presets/tests/*.yaml. */
export async function loadPresetTests(dir: string): Promise<PresetTestFile[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const out: PresetTestFile[] = [];
  const details: ErrorDetail[] = [];
  for (const f of files) {
    const parsed = PresetTestFile.safeParse(YAML.parse(await readFile(join(dir, f), 'utf8')));
    if (!parsed.success) for (const d of issuesToDetails(parsed.error.issues)) details.push({ path: `${f}: ${d.path}`, message: d.message });
    else if (`${parsed.data.preset}.yaml` !== f) details.push({ path: f, message: `holds tests of preset ${parsed.data.preset}; name it ${parsed.data.preset}.yaml` });
    else out.push(parsed.data);
  }
  if (details.length > 0) throw new ValidationError('preset tests are invalid', details);
  return out;
}

/** The labels a series of `shape` on `node` carries, as Prometheus stores them. */
export function shapeLabels(shape: Shape, node = DEFAULT_NODE): Record<string, string> {
  const ip = TEST_NODES[node];
  if (ip === undefined) throw new Error(`unknown test node ${node}`);
  const target = (job: string, port: number) => ({ cluster: TEST_CLUSTER, node, instance: `${ip}:${port}`, job });
  if (shape === 'none') return {};
  if (shape === 'node_exporter') return target(JOBS.nodeExporter, EXPORTER_PORTS.nodeExporter);
  if (shape === 'dcgm') return target(JOBS.dcgmExporter, EXPORTER_PORTS.dcgmExporter);
  const analyzer = { instance: 'analyzer:8082', job: JOBS.aami, service: 'analyzer' };
  if (shape === 'aami') return { cluster: TEST_CLUSTER, node: 'aami-control', ...analyzer };
  const n = node === DEFAULT_NODE ? 1 : 2;
  const gpuIds = (i: number) => ({
    gpu: String(i),
    UUID: `GPU-${n}a5b${i}c7d-00${n}${i}-4e1f-8a2b-3c4d5e6f70${n}${i}`,
    pci_bus_id: `00000000:${HGX_BUSES[i]}:00.0`,
  });
  if (shape.startsWith('health')) return { cluster: TEST_CLUSTER, node, ...gpuIds(Number(shape.slice(6))), ...analyzer };
  const i = Number(shape.slice(3));
  return {
    ...gpuIds(i),
    device: `nvidia${i}`,
    modelName: 'NVIDIA H100 80GB HBM3',
    Hostname: node,
    DCGM_FI_DRIVER_VERSION: '550.90.07',
    ...target(JOBS.dcgmExporter, EXPORTER_PORTS.dcgmExporter),
  };
}

/** `metric{a="1",b="2"}` with promtool's escaping. */
export function seriesSelector(metric: string, labels: Record<string, string>): string {
  const body = Object.keys(labels).sort().map((k) => `${k}="${labels[k]!.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`).join(',');
  return `${metric}{${body}}`;
}

function expectedAlert(rule: EffectiveRule, a: z.infer<typeof ExpectedAlert>) {
  let labels = shapeLabels(a.on, a.node);
  if (a.keep) labels = Object.fromEntries(Object.entries(labels).filter(([k]) => a.keep!.includes(k)));
  for (const k of a.drop) delete labels[k];
  const seriesLabels = { ...labels, ...a.labels };
  const annotations: Record<string, string> = {};
  for (const [k, text] of Object.entries(rule.annotations)) {
    try {
      annotations[k] = renderTemplate(text, seriesLabels, a.value);
    } catch (err) {
      throw new Error(`${rule.name}: annotation ${k}: ${(err as Error).message}`);
    }
  }
  return { exp_labels: { ...seriesLabels, ...rule.labels }, exp_annotations: annotations };
}

/** One promtool test group for `c`; `expectAlerts` false turns a fire case into its negation. */
export function promtoolTestGroup(rule: EffectiveRule, c: TestCase, name: string, expectAlerts = true) {
  return {
    name,
    interval: c.interval,
    input_series: c.series.map((s) => ({ series: seriesSelector(s.metric, { ...shapeLabels(s.on, s.node), ...s.labels }), values: s.values })),
    alert_rule_test: c.at.map((t) => ({
      eval_time: t,
      alertname: rule.name,
      exp_alerts: expectAlerts ? c.alerts.map((a) => expectedAlert(rule, a)) : [],
    })),
  };
}

/** A whole promtool test file (YAML text) running `groups` against `ruleFiles`. */
export function promtoolTestFile(ruleFiles: readonly string[], groups: readonly object[]): string {
  return YAML.stringify({ rule_files: [...ruleFiles], evaluation_interval: '1m', tests: groups }, { lineWidth: 0, aliasDuplicateObjects: false });
}
