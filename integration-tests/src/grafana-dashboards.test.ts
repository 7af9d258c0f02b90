// AAMI's Grafana dashboards (grafana-dashboards/), checked two ways:
// 1. structure: every dashboard and provisioning file parses against a zod schema, uids and panel
//    ids are unique, panels stay on Grafana's 24-column grid without overlapping, every query names
//    the provisioned datasource and only variables the dashboard defines, and the provisioning paths
//    match the mounts in docker-compose.yml;
// 2. data: a real Prometheus runs the rule compiler's own output (prometheus.yml, file_sd targets
//    and the gpu-production rules) against four simulated GPU nodes (the GPU simulator's dcgm-exporter
//    text), a real node_exporter per node fed by AAMI's real Xid counter reading the simulated kernel
//    log, and the real analyzer as the `aami` job. Every panel query, with its variables set to real
//    label values, must return data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { z } from 'zod';
import { AamiConfig, CLUSTER_LABEL, JOBS, NODE_LABEL, loadPresetCatalog } from '@aami/shared';
import { startFleet, type RunningFleet } from '@aami/gpu-simulator';
import { compileConfig } from '@aami/rule-compiler';
import {
  REPO_ROOT, freePort, httpOk, serviceAuth, makeTempDir, requireBinary, startAamiService, startDaemon, startPrometheus, waitFor,
  type AamiService, type Daemon, type PrometheusServer,
} from './harness/index.ts';
import { XID_COUNTER_SCRIPT } from './support/demo-fleet.ts';

const run = promisify(execFile);
const DASH_DIR = join(REPO_ROOT, 'grafana-dashboards');
const DATASOURCE_UID = 'aami-prometheus';
const CLUSTER = 'dash-test';
const NODE_COUNT = 4;
/** What Grafana puts in for its built-in variables, at a 1 s scrape interval. */
const BUILTINS: Record<string, string> = { __rate_interval: '15s', __interval: '5s', __range: '1h', __range_s: '3600' };

// ---- schema ---------------------------------------------------------------------------------------

const DatasourceRef = z.strictObject({ type: z.literal('prometheus'), uid: z.literal(DATASOURCE_UID) });
const GridPos = z.strictObject({ h: z.number().int().min(1), w: z.number().int().min(1).max(24), x: z.number().int().min(0).max(23), y: z.number().int().min(0) })
  .refine((g) => g.x + g.w <= 24, 'panel runs past the 24-column grid');
const Target = z.object({
  refId: z.string().regex(/^[A-Z]$/),
  expr: z.string().min(1),
  datasource: DatasourceRef,
  legendFormat: z.string().optional(),
  instant: z.boolean().optional(),
  range: z.boolean().optional(),
  format: z.enum(['time_series', 'table', 'heatmap']).optional(),
});
const Panel = z.object({
  id: z.number().int().min(1),
  type: z.enum(['row', 'stat', 'gauge', 'timeseries', 'table', 'bargauge', 'text']),
  title: z.string().min(1),
  description: z.string().optional(),
  gridPos: GridPos,
  datasource: DatasourceRef.optional(),
  targets: z.array(Target).optional(),
  fieldConfig: z.object({ defaults: z.record(z.string(), z.unknown()), overrides: z.array(z.unknown()) }).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  transformations: z.array(z.object({ id: z.string(), options: z.record(z.string(), z.unknown()) })).optional(),
  panels: z.array(z.unknown()).optional(),
  collapsed: z.boolean().optional(),
}).superRefine((p, ctx) => {
  if (p.type === 'row') return;
  if (!p.description) ctx.addIssue({ code: 'custom', message: `panel "${p.title}" has no description` });
  if (!p.datasource) ctx.addIssue({ code: 'custom', message: `panel "${p.title}" names no datasource` });
  if (!p.targets || p.targets.length === 0) ctx.addIssue({ code: 'custom', message: `panel "${p.title}" has no query` });
  const refs = (p.targets ?? []).map((t) => t.refId);
  if (new Set(refs).size !== refs.length) ctx.addIssue({ code: 'custom', message: `panel "${p.title}" repeats a refId` });
});
const LABEL_VALUES = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/;
const Variable = z.object({
  name: z.string().regex(/^[a-z][a-z_]*$/),
  label: z.string().min(1),
  type: z.literal('query'),
  datasource: DatasourceRef,
  definition: z.string().regex(LABEL_VALUES, 'variables are label_values(selector, label) queries'),
  query: z.object({ query: z.string(), refId: z.string() }),
  multi: z.boolean(),
  includeAll: z.boolean(),
  allValue: z.string().optional(),
  refresh: z.union([z.literal(1), z.literal(2)]),
}).refine((v) => v.query.query === v.definition, 'query.query and definition differ');
const Dashboard = z.object({
  uid: z.string().regex(/^aami-[a-z0-9-]+$/),
  title: z.string().startsWith('AAMI / '),
  description: z.string().min(1),
  tags: z.array(z.string()).refine((t) => t.includes('aami'), 'every AAMI dashboard is tagged "aami" (the dashboard links use the tag)'),
  schemaVersion: z.number().int().min(36),
  editable: z.boolean(),
  refresh: z.string(),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({ list: z.array(Variable) }),
  panels: z.array(Panel).min(1),
});
type Dashboard = z.infer<typeof Dashboard>;

const DatasourcesFile = z.object({
  apiVersion: z.literal(1),
  datasources: z.array(z.object({ name: z.string(), uid: z.string(), type: z.string(), url: z.url(), access: z.literal('proxy') })).min(1),
});
const ProvidersFile = z.object({
  apiVersion: z.literal(1),
  providers: z.array(z.object({ name: z.string(), type: z.literal('file'), folder: z.string(), options: z.object({ path: z.string() }) })).length(1),
});

async function loadDashboards(): Promise<Array<{ file: string; dash: Dashboard }>> {
  const dir = join(DASH_DIR, 'dashboards');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const out: Array<{ file: string; dash: Dashboard }> = [];
  for (const file of files) {
    const parsed = Dashboard.safeParse(JSON.parse(await readFile(join(dir, file), 'utf8')));
    if (!parsed.success) assert.fail(`${file}: ${z.prettifyError(parsed.error)}`);
    out.push({ file, dash: parsed.data });
  }
  return out;
}

/** Names of the `$var` / `${var}` references in a query. */
function variablesIn(expr: string): string[] {
  return [...expr.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|([A-Za-z_][A-Za-z0-9_]*))/g)].map((m) => (m[1] ?? m[2])!);
}

function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const v = values[name];
    if (v === undefined) throw new Error(`no value for $${name} in ${expr}`);
    return v;
  });
}

test('dashboards and provisioning are well formed and agree with docker-compose.yml', async () => {
  const dashboards = await loadDashboards();
  assert.deepEqual(dashboards.map((d) => d.dash.uid).sort(), ['aami-cluster-overview', 'aami-gpu-detail', 'aami-node-detail', 'aami-self', 'aami-xid-events']);
  for (const { file, dash } of dashboards) {
    assert.equal(file, `${dash.uid}.json`, 'file name = uid');
    const ids = dash.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${file}: panel ids repeat`);
    // No two panels cover the same grid cell.
    const cells = new Map<string, string>();
    for (const p of dash.panels) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          const other = cells.get(`${x},${y}`);
          assert.equal(other, undefined, `${file}: "${p.title}" overlaps "${other}" at ${x},${y}`);
          cells.set(`${x},${y}`, p.title);
        }
      }
    }
    const defined = new Set([...dash.templating.list.map((v) => v.name), ...Object.keys(BUILTINS)]);
    const names = dash.templating.list.map((v) => v.name);
    for (const [i, v] of dash.templating.list.entries()) {
      for (const ref of variablesIn(v.definition)) assert.ok(names.slice(0, i).includes(ref), `${file}: variable ${v.name} uses $${ref} before it is defined`);
    }
    for (const p of dash.panels) {
      for (const t of p.targets ?? []) {
        for (const ref of variablesIn(t.expr)) assert.ok(defined.has(ref), `${file}: "${p.title}" uses undefined $${ref}`);
        assert.doesNotMatch(t.expr, /increase\(\s*DCGM_FI_DEV_XID_ERRORS|rate\(\s*DCGM_FI_DEV_XID_ERRORS/, `${file}: DCGM_FI_DEV_XID_ERRORS is the last Xid, not a counter`);
      }
    }
  }

  const ds = DatasourcesFile.parse(YAML.parse(await readFile(join(DASH_DIR, 'provisioning/datasources/aami.yml'), 'utf8')));
  assert.ok(ds.datasources.some((d) => d.uid === DATASOURCE_UID && d.type === 'prometheus' && d.url === 'http://prometheus:9090'));
  const providers = ProvidersFile.parse(YAML.parse(await readFile(join(DASH_DIR, 'provisioning/dashboards/aami.yml'), 'utf8')));
  const compose = YAML.parse(await readFile(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { volumes?: string[]; environment?: Record<string, string> }> };
  const grafana = compose.services['grafana'];
  assert.ok(grafana, 'docker-compose.yml has a grafana service');
  assert.ok(grafana.volumes?.includes(`./grafana-dashboards/dashboards:${providers.providers[0]!.options.path}:ro`), 'the dashboards folder is mounted where the provider reads it');
  assert.ok(grafana.volumes?.includes('./grafana-dashboards/provisioning:/etc/grafana/provisioning:ro'));
  const home = grafana.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'];
  assert.equal(home, `${providers.providers[0]!.options.path}/aami-cluster-overview.json`);
});

// ---- every panel query against real data ------------------------------------------------------------

let fleet: RunningFleet | undefined;
let prom: PrometheusServer | undefined;
let analyzer: AamiService | undefined;
const exporters: Daemon[] = [];

/** The node_exporter of one simulated node: listens on the node's own loopback address. */
async function startNodeExporterOn(address: string, port: number, textfileDir: string): Promise<Daemon> {
  const bin = requireBinary('/usr/bin/prometheus-node-exporter', 'prometheus-node-exporter');
  const dir = await makeTempDir('dash-node-exporter');
  return startDaemon({
    name: `node-exporter-${address}`,
    command: bin,
    args: [`--web.listen-address=${address}:${port}`, `--collector.textfile.directory=${textfileDir}`, '--log.level=warn'],
    dir,
    ready: () => httpOk(`http://${address}:${port}/metrics`),
  });
}

before(async () => {
  const work = await makeTempDir('dashboards');
  const dcgmPort = await freePort();
  const nodePort = await freePort();
  // Each simulated node on its own loopback address (127.0.0.11, .12, ...), all on one port, like
  // real hosts; the rule compiler's targets then point at ip:port exactly as in production.
  fleet = await startFleet({ nodes: NODE_COUNT, gpus: 8, addressing: 'loopback', firstAddress: '127.0.0.11', basePort: dcgmPort, controlPort: null, logDir: join(work, 'kern') });
  const faults: Array<[number, object]> = [
    [0, { type: 'xid', gpu: 0, xid: 79 }],
    [1, { type: 'nvlink', gpu: 2 }],
    [2, { type: 'ecc-dbe', gpu: 1, count: 3 }],
    [3, { type: 'temperature', gpu: 5, targetC: 90, durationS: 5 }],
  ];
  for (const [i, f] of faults) await fleet.fleet.inject(fleet.nodes[i]!.name, f as never);

  const textfileDirs: string[] = [];
  for (const [i, node] of fleet.nodes.entries()) {
    const textfileDir = join(work, 'textfile', node.name);
    await mkdir(textfileDir, { recursive: true });
    textfileDirs.push(textfileDir);
    // AAMI's Xid counter reads the node's kernel log into node_exporter's textfile folder.
    await run('sh', [XID_COUNTER_SCRIPT, '--source', 'file', '--log-file', node.logFile!, '--state-dir', join(work, 'xid-state', node.name), '--textfile-dir', textfileDir]);
    exporters.push(await startNodeExporterOn(`127.0.0.${11 + i}`, nodePort, textfileDir));
  }
  analyzer = await startAamiService('analyzer', 'AAMI_ANALYZER_PORT', {});
  for (const path of ['/healthz', '/api/v1/xid/79', '/api/v1/xid/48']) await (await fetch(`${analyzer.url}${path}`, { headers: serviceAuth })).arrayBuffer();

  // The rule compiler's own output for this cluster: prometheus.yml, the file_sd targets, the rules.
  const config = AamiConfig.parse({
    cluster: { name: CLUSTER },
    nodes: fleet.nodes.map((n, i) => ({ name: n.name, ip: `127.0.0.${11 + i}`, exporters: ['node_exporter', 'dcgm_exporter'] })),
    alerts: { presets: ['gpu-production'] },
    prometheus: { scrape_interval: '1s', evaluation_interval: '1s' },
  });
  const out = compileConfig(config, {
    catalog: await loadPresetCatalog(),
    alertmanagerUrl: 'http://127.0.0.1:9',
    relayUrl: 'http://127.0.0.1:9',
    selfTargets: [{ service: 'analyzer', url: analyzer.url }],
    exporterPorts: { nodeExporter: nodePort, dcgmExporter: dcgmPort },
  });
  const tree = join(work, 'generated');
  for (const [path, text] of out.files) {
    await mkdir(dirname(join(tree, path)), { recursive: true });
    await writeFile(join(tree, path), text);
  }
  const promDir = join(tree, 'prometheus');
  const promYml = (await readFile(join(promDir, 'prometheus.yml'), 'utf8'));
  // Relative paths resolve against the config file's folder; the harness keeps its own, so anchor them.
  const doc = YAML.parse(promYml) as { rule_files: string[]; scrape_configs: Array<{ file_sd_configs?: Array<{ files: string[]; refresh_interval?: string }> }> };
  doc.rule_files = doc.rule_files.map((f) => join(promDir, f));
  for (const sc of doc.scrape_configs) for (const sd of sc.file_sd_configs ?? []) {
    sd.files = sd.files.map((f) => join(promDir, f));
    sd.refresh_interval = '1s';
  }
  prom = await startPrometheus({ configYaml: YAML.stringify(doc) });

  // Wait until every target is scraped, the Xid rule fires and rates have samples to work with.
  await waitFor(async () => (await prom!.query(`count(up{job=~"${JOBS.nodeExporter}|${JOBS.dcgmExporter}|${JOBS.aami}"} == 1)`))[0]?.value[1] === String(2 * NODE_COUNT + 1), 60_000, 'all targets up');
  await waitFor(async () => (await prom!.query('ALERTS{alertstate="firing", component="xid"}')).length > 0, 60_000, 'an Xid alert firing');
  await new Promise((r) => setTimeout(r, 6000));
}, { timeout: 180_000 });

after(async () => {
  await Promise.all([prom?.stop(), analyzer?.stop(), ...exporters.map((e) => e.stop()), fleet?.stop()]);
});

/** The values a label_values(selector, label) variable offers, sorted. */
async function labelValues(definition: string, values: Record<string, string>): Promise<string[]> {
  const m = LABEL_VALUES.exec(definition);
  if (!m) throw new Error(`not a label_values query: ${definition}`);
  const selector = substitute(m[1]!, values);
  const res = await fetch(`${prom!.url}/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(selector)}`);
  const body = (await res.json()) as { status: string; data: string[] };
  assert.equal(body.status, 'success', `label values for ${definition}`);
  return [...body.data].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

async function rangeQuery(expr: string): Promise<unknown[]> {
  const end = Math.floor(Date.now() / 1000);
  const res = await fetch(`${prom!.url}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - 60}&end=${end}&step=5`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`query_range ${expr} failed: ${body.error}`);
  return body.data.result;
}

test('every panel query returns data against the simulator, with variables set to real values', { timeout: 120_000 }, async () => {
  const dashboards = await loadDashboards();
  const empty: string[] = [];
  let queries = 0;
  for (const { file, dash } of dashboards) {
    const values: Record<string, string> = { ...BUILTINS };
    for (const v of dash.templating.list) {
      const options = await labelValues(v.definition, values);
      assert.ok(options.length > 0, `${file}: variable ${v.name} (${v.definition}) has no values`);
      values[v.name] = options[0]!;
    }
    assert.equal(values['cluster'], CLUSTER, `${file}: the cluster variable finds the cluster label`);
    for (const p of dash.panels) {
      for (const t of p.targets ?? []) {
        const expr = substitute(t.expr, values);
        queries += 1;
        const result = p.type === 'timeseries' ? await rangeQuery(expr) : await prom!.query(expr);
        if (result.length === 0) empty.push(`${file} / ${p.title} / ${t.refId}: ${expr}`);
      }
    }
  }
  assert.ok(queries >= 60, `ran ${queries} queries`);
  assert.deepEqual(empty, [], `panel queries without data:\n${empty.join('\n')}`);
});

test('the node and cluster labels of the metrics contract reach every exporter series', async () => {
  for (const job of [JOBS.nodeExporter, JOBS.dcgmExporter]) {
    const missing = await prom!.query(`count(up{job="${job}"} unless on (${NODE_LABEL}, ${CLUSTER_LABEL}) up{job="${job}", ${NODE_LABEL}!="", ${CLUSTER_LABEL}="${CLUSTER}"})`);
    assert.deepEqual(missing, [], `${job} targets without node/cluster labels`);
  }
  const xid = await prom!.query(`aami_xid_errors_total{${NODE_LABEL}="${fleet!.nodes[0]!.name}", xid="79"}`);
  assert.equal(xid.length, 1, 'the Xid 79 injected on the first node is counted by AAMI\'s Xid counter');
});
