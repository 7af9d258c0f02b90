// The Web UI's fleet overview and a node's charts, read from Prometheus (and, for the overview's
// counts, Alertmanager, the rule compiler and the install worker) through narrow dependencies.
// Every read is one query for the whole fleet or the whole node, aggregated in PromQL to the labels
// the answer needs (never one query per node or per GPU), so 10,000 nodes cost the same number of
// queries as one. No user text reaches PromQL: the metric and the range are enums, a node name must
// pass config.yaml's NodeName and be a configured node, and it is escaped as a PromQL string anyway.
// Label values from Prometheus are a node's own words: capped (LABEL_VALUE_MAX) and kept as data.
// The answers are the shared contract (shared/src/api/overview.ts).
import {
  CompileStatus, GPU_PRESENCE_METRIC, HEALTH_METRICS, HEALTH_STATES, InstallRunsList, JOBS, LABEL_VALUE_MAX, NODE_LABEL, NodeName,
  NotFoundError, XID_MARKERS_MAX, durationMs, parseOrThrow,
  type ChartRange, type ChartReadings, type ChartSeriesName, type GpuLevel, type HealthStateName, type NodeChartsResponse, type OverviewCompile,
  type OverviewGpu, type OverviewLegend, type OverviewMetric, type OverviewResponse, type OverviewSourceProblem, type PresetCatalog,
  type PromRangeGrid, type PromRangeSeries, type PromSample, type XidMarker,
} from '@aami/shared';
import type { ConfigAccess } from './config-writes.ts';

/** How the domain asks Prometheus; a failure throws (the route's reader types it as a 502 or 503). */
export interface PromReader {
  /** An instant query evaluated now. */
  instant(expr: string): Promise<PromSample[]>;
  /** A range query over `grid`. */
  range(expr: string, grid: PromRangeGrid): Promise<PromRangeSeries[]>;
}

/** What the overview and the charts read. */
export interface OverviewDeps {
  store: Pick<ConfigAccess, 'read'>;
  prometheus: PromReader;
  /** Alerts firing now, not silenced or inhibited (Alertmanager's GET /api/v2/alerts). */
  firingAlerts(): Promise<Array<{ labels: Record<string, string> }>>;
  /** The rule compiler's GET /api/v1/compile/status answer, unparsed. */
  compileStatus(): Promise<unknown>;
  /** The install worker's GET /api/v1/install/runs?limit=1 answer, unparsed. */
  installRuns(): Promise<unknown>;
  /** The preset catalog, for the thresholds of the legend. */
  catalog(): Promise<PresetCatalog>;
  /** Unix milliseconds now (tests fix it). */
  now?: () => number;
}

/** The overview's and the charts' reads. */
export interface OverviewDomain {
  /** Every configured node's GPUs with their value of `metric`, and the counts above the map. */
  overview(metric: OverviewMetric): Promise<OverviewResponse>;
  /** One node's GPUs over `range`; ValidationError for a malformed name, NotFoundError for an unknown node. */
  charts(name: string, range: ChartRange): Promise<NodeChartsResponse>;
}

/** A string as a PromQL string literal (double-quoted, backslash-escaped). */
export function promqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** A label value as the answers carry it: cut to LABEL_VALUE_MAX characters; null when absent or empty. */
export function labelValue(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  return value.length > LABEL_VALUE_MAX ? value.slice(0, LABEL_VALUE_MAX) : value;
}

/** dcgm-exporter's `gpu` label as an index 0..63; undefined for anything else. */
export function gpuIndex(label: string | undefined): number | undefined {
  if (label === undefined || !/^\d{1,2}$/.test(label)) return undefined;
  const n = Number(label);
  return n <= 63 ? n : undefined;
}

/** A sample's value as a finite number, or null (NaN, ±Inf, not a number). */
function finite(text: string | undefined): number | null {
  if (text === undefined) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Framebuffer in use, in %, of the series `sel` selects (used + free + reserved is the whole board). */
const fbPercent = (sel: string) =>
  `100 * DCGM_FI_DEV_FB_USED${sel} / clamp_min(DCGM_FI_DEV_FB_USED${sel} + DCGM_FI_DEV_FB_FREE${sel} + DCGM_FI_DEV_FB_RESERVED${sel}, 1)`;

/** The instant PromQL of each numeric metric, before aggregation; `sel` is a label matcher block or ''. */
const METRIC_EXPR: Readonly<Record<Exclude<OverviewMetric, 'health'>, (sel: string) => string>> = {
  temperature: (sel) => `DCGM_FI_DEV_GPU_TEMP${sel}`,
  utilization: (sel) => `DCGM_FI_DEV_GPU_UTIL${sel}`,
  memory: fbPercent,
  power: (sel) => `DCGM_FI_DEV_POWER_USAGE${sel}`,
};

const UNITS: Readonly<Record<OverviewMetric, OverviewLegend['unit']>> = { health: null, temperature: '°C', utilization: '%', memory: '%', power: 'W' };

/** The alert rules whose thresholds set a metric's warn and bad levels. */
const LEVEL_RULES: Readonly<Record<Exclude<OverviewMetric, 'health'>, { warn?: string; bad?: string }>> = {
  temperature: { warn: 'GPUTemperatureWarning', bad: 'GPUTemperatureCritical' },
  memory: { warn: 'GPUFramebufferHigh' },
  utilization: {},
  power: {},
};

/** A rule's threshold as config.yaml runs it: its override, else the preset's default; null without one. */
function ruleThreshold(catalog: PresetCatalog | undefined, overrides: Record<string, { threshold?: number }>, rule: string | undefined): number | null {
  if (!rule) return null;
  return overrides[rule]?.threshold ?? catalog?.rules.get(rule)?.rule.threshold?.default ?? null;
}

const HEALTH_LEVEL: Readonly<Record<HealthStateName, GpuLevel>> = { healthy: 0, unknown: 0, degraded: 1, unhealthy: 2 };

/** The `gpu` label values gpuIndex() accepts (0..63, one or two digits), as a PromQL regex (anchored by Prometheus). */
const GPU_INDEX_RE = '0?[0-9]|[1-5][0-9]|6[0-3]';

/**
 * The analyzer's GPUs per node and state, for the GPU card whatever the metric: one series per node
 * and state, not per GPU. Each GPU counts once, at its worst state at 1 (the states are taken worst
 * first and `or on (node, gpu)` keeps the first), as the health map does between two of the
 * analyzer's updates. Nodes config.yaml does not list are dropped when the answer is read.
 */
export function healthCountExpr(): string {
  const N = NODE_LABEL;
  const atState = (state: HealthStateName) =>
    `max by (${N}, gpu, state) (${HEALTH_METRICS.gpuState}{state=${promqlString(state)}, gpu=~${promqlString(GPU_INDEX_RE)}} == 1)`;
  return `count by (${N}, state) (${[...HEALTH_STATES].reverse().map(atState).join(` or on (${N}, gpu) `)})`;
}

/** The level of `value` against a legend's thresholds. */
function levelOf(value: number | null, legend: OverviewLegend): GpuLevel {
  if (value === null) return 0;
  if (legend.bad !== null && value > legend.bad) return 2;
  if (legend.warn !== null && value > legend.warn) return 1;
  return 0;
}

/** The rule compiler's status summed up the way GET /api/v1/alerts/compile-status does. */
export function compileSummary(s: CompileStatus): OverviewCompile {
  const failed = s.lastAttempt && !s.lastAttempt.ok ? s.lastAttempt.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('\n') : undefined;
  return {
    state: s.state === 'never' ? 'unknown' : s.state === 'ok' ? 'ok' : 'failed',
    revision: s.lastAttempt?.revision ?? null,
    compiled_at: s.lastAttempt?.at ?? null,
    live_revision: s.lastSuccess?.revision ?? null,
    ...(failed !== undefined ? { error: failed } : s.state === 'reload_failed' ? { error: 'the files were written but Prometheus or Alertmanager refused to reload them' } : {}),
  };
}

/** Seconds of each chart range, and the points each is drawn with. */
const RANGE_S: Readonly<Record<ChartRange, number>> = { '1h': 3600, '6h': 6 * 3600, '24h': 24 * 3600, '7d': 7 * 24 * 3600 };
export const CHART_STEPS = 240;

/** DCGM's clock-event reason bits (DCGM_CLOCKS_EVENT_REASON_* / NVML's clocks-event reasons). */
export const CLOCK_REASON_BITS: ReadonlyArray<{ mask: number; name: string }> = [
  { mask: 0x1, name: 'gpu_idle' },
  { mask: 0x2, name: 'clocks_setting' },
  { mask: 0x4, name: 'sw_power_cap' },
  { mask: 0x8, name: 'hw_slowdown' },
  { mask: 0x10, name: 'sync_boost' },
  { mask: 0x20, name: 'sw_thermal' },
  { mask: 0x40, name: 'hw_thermal' },
  { mask: 0x80, name: 'hw_power_brake' },
  { mask: 0x100, name: 'display_clocks' },
];

/** How far back the Xid baseline looks for a counter's last value before the range (gaps up to this long). */
const XID_BASELINE = '7d';

interface GpuEntry {
  /** An identity series (the presence metric) named this GPU. */
  reporting: boolean;
  uuid: string | null;
  model: string | null;
  value: number | null;
  level: GpuLevel;
}

/** The overview and the charts on `deps`. */
export function overviewDomain(deps: OverviewDeps): OverviewDomain {
  const now = deps.now ?? Date.now;
  const prom = deps.prometheus;

  return {
    async overview(metric) {
      const at = Math.floor(now() / 1000);
      // One query per kind: node_exporter's up, the GPUs (identity; their temperature too), the chosen
      // metric, and (but for metric=health, whose values give them) the GPUs per health state; they
      // run while config.yaml is read, and each source's failure is kept, not thrown.
      const N = NODE_LABEL;
      const identityExpr = `max by (${N}, gpu, UUID, modelName) (${GPU_PRESENCE_METRIC})`;
      const valueExpr = metric === 'health'
        ? `max by (${N}, gpu, UUID, state) (${HEALTH_METRICS.gpuState} == 1)`
        : metric === 'temperature' ? undefined : `max by (${N}, gpu) (${METRIC_EXPR[metric]('')})`;
      const [snapshot, catalog, up, identity, values, stateCounts, alerts, compile, install] = await Promise.allSettled([
        deps.store.read(),
        deps.catalog(),
        prom.instant(`min by (${N}) (up{job=${promqlString(JOBS.nodeExporter)}})`),
        prom.instant(identityExpr),
        valueExpr === undefined ? Promise.resolve(undefined) : prom.instant(valueExpr),
        metric === 'health' ? Promise.resolve(undefined) : prom.instant(healthCountExpr()),
        deps.firingAlerts(),
        deps.compileStatus().then((body) => compileSummary(CompileStatus.parse(body))),
        deps.installRuns().then((body) => InstallRunsList.parse(body).runs[0]),
      ]);
      if (snapshot.status === 'rejected') throw snapshot.reason;
      const { config } = snapshot.value;
      const names = config.nodes.map((n) => n.name);
      const rules = metric === 'health' ? {} : LEVEL_RULES[metric];
      const presets = catalog.status === 'fulfilled' ? catalog.value : undefined;
      const legend: OverviewLegend = {
        unit: UNITS[metric],
        warn: ruleThreshold(presets, config.alerts.overrides, rules.warn),
        bad: ruleThreshold(presets, config.alerts.overrides, rules.bad),
        states: metric === 'health' ? [...HEALTH_STATES] : null,
      };

      const unavailable: OverviewSourceProblem[] = [];
      const problem = (source: OverviewSourceProblem['source'], r: PromiseSettledResult<unknown>) => {
        if (r.status === 'rejected' && !unavailable.some((u) => u.source === source)) unavailable.push({ source, message: (r.reason as Error).message });
      };
      [up, identity, values, stateCounts].forEach((r) => problem('prometheus', r));
      problem('alertmanager', alerts);
      problem('rule-compiler', compile);
      problem('install-worker', install);

      // Per configured node, its GPUs by index. A series of a node config.yaml does not list is left out.
      const gpus = new Map<string, Map<number, GpuEntry>>(names.map((n) => [n, new Map()]));
      const entry = (s: PromSample): GpuEntry | undefined => {
        const byIndex = gpus.get(s.metric[N] ?? '');
        const index = gpuIndex(s.metric.gpu);
        if (!byIndex || index === undefined) return undefined;
        let e = byIndex.get(index);
        if (!e) byIndex.set(index, (e = { reporting: false, uuid: null, model: null, value: null, level: 0 }));
        return e;
      };
      let reporting: number | null = null;
      if (identity.status === 'fulfilled') {
        reporting = 0;
        for (const s of identity.value) {
          const e = entry(s);
          if (!e || e.reporting) continue; // the first identity of an index wins
          e.reporting = true;
          reporting++;
          e.uuid = labelValue(s.metric.UUID);
          e.model = labelValue(s.metric.modelName);
          if (metric === 'temperature') {
            const v = finite(s.value[1]);
            e.value = v === null ? null : round1(v);
            e.level = levelOf(e.value, legend);
          }
        }
      }
      let states: Partial<Record<HealthStateName, number>> | null = null;
      if (values.status === 'fulfilled' && values.value) {
        if (metric === 'health') states = {};
        for (const s of values.value) {
          const e = entry(s);
          if (!e) continue;
          if (metric === 'health') {
            const state = HEALTH_STATES.indexOf(s.metric.state as HealthStateName);
            // HEALTH_STATES runs from best to worst: a GPU with two states at 1 (between two of the
            // analyzer's updates) shows the worse one.
            if (state < 0 || (e.value !== null && e.value >= state)) continue;
            const counts = (states ??= {});
            if (e.value !== null) counts[HEALTH_STATES[e.value]!] = (counts[HEALTH_STATES[e.value]!] ?? 1) - 1;
            const name = HEALTH_STATES[state]!;
            counts[name] = (counts[name] ?? 0) + 1;
            e.value = state;
            e.level = HEALTH_LEVEL[name];
            e.uuid ??= labelValue(s.metric.UUID);
          } else {
            const v = finite(s.value[1]);
            e.value = v === null ? null : round1(v);
            e.level = levelOf(e.value, legend);
          }
        }
      }
      const valuesOk = metric === 'temperature' ? identity.status === 'fulfilled' : values.status === 'fulfilled';
      if (stateCounts.status === 'fulfilled' && stateCounts.value) {
        const configured = new Set(names);
        const counts: Partial<Record<HealthStateName, number>> = {};
        for (const s of stateCounts.value) {
          const state = s.metric.state as HealthStateName;
          const n = finite(s.value[1]);
          if (!configured.has(s.metric[N] ?? '') || !HEALTH_STATES.includes(state) || n === null || n < 1) continue;
          counts[state] = (counts[state] ?? 0) + Math.round(n);
        }
        states = counts;
      }

      const upByNode = up.status === 'fulfilled' ? new Map(up.value.map((s) => [s.metric[N] ?? '', s.value[1]])) : undefined;
      const models: string[] = [];
      const modelIndex = new Map<string, number>();
      let withValue = 0;
      let warn = 0;
      let bad = 0;
      let upCount = 0;
      const nodes = names.map((name) => {
        const isUp = upByNode ? upByNode.get(name) === '1' : null;
        if (isUp) upCount++;
        const row: OverviewGpu[] = [];
        for (const [index, e] of [...(gpus.get(name) ?? new Map<number, GpuEntry>())].sort((a, b) => a[0] - b[0])) {
          let m: number | null = null;
          if (e.model !== null) {
            m = modelIndex.get(e.model) ?? null;
            if (m === null) {
              m = models.push(e.model) - 1;
              modelIndex.set(e.model, m);
            }
          }
          if (e.value !== null) withValue++;
          if (e.level === 1) warn++;
          if (e.level === 2) bad++;
          row.push([index, e.uuid, m, e.value, e.level]);
        }
        return { name, up: isUp, gpus: row };
      });

      const firing = alerts.status === 'fulfilled' ? { critical: 0, warning: 0, info: 0, other: 0 } : null;
      if (firing && alerts.status === 'fulfilled') {
        for (const a of alerts.value) {
          const sev = a.labels?.severity;
          if (sev === 'critical' || sev === 'warning' || sev === 'info') firing[sev]++;
          else firing.other++;
        }
      }
      const lastRun = install.status === 'fulfilled' && install.value ? (({ nodes: _n, ...rest }) => rest)(install.value) : null;

      return {
        metric,
        at,
        legend,
        summary: {
          nodes: { configured: names.length, up: upByNode ? upCount : null, down: upByNode ? names.length - upCount : null },
          gpus: {
            reporting,
            with_value: valuesOk ? withValue : null,
            warn: valuesOk ? warn : null,
            bad: valuesOk ? bad : null,
            states,
          },
          alerts: firing,
          compile: compile.status === 'fulfilled' ? compile.value : null,
          install: lastRun,
        },
        models,
        nodes,
        unavailable,
      };
    },

    async charts(rawName, range) {
      const name = parseOrThrow(NodeName, rawName, 'node name', ['name']);
      const { config } = await deps.store.read();
      if (!config.nodes.some((n) => n.name === name)) throw new NotFoundError(`config.yaml has no node called "${name}"`);

      const step = RANGE_S[range] / CHART_STEPS;
      const end = Math.floor(now() / 1000);
      const start = end - CHART_STEPS * step;
      const points = CHART_STEPS + 1;
      const grid: PromRangeGrid = { start, end, step };
      // Each step's window holds at least a few scrapes, so a short step never falls between two.
      const scrapeS = (durationMs(config.prometheus.scrape_interval) ?? 15_000) / 1000;
      const w = `${Math.max(step, Math.ceil(4 * scrapeS))}s`;
      const sel = `{${NODE_LABEL}=${promqlString(name)}}`;

      const rangeExpr: Readonly<Record<ChartSeriesName, string>> = {
        utilization: `max by (gpu) (avg_over_time(DCGM_FI_DEV_GPU_UTIL${sel}[${w}]))`,
        memory: `max by (gpu) (100 * avg_over_time(DCGM_FI_DEV_FB_USED${sel}[${w}]) / clamp_min(avg_over_time(DCGM_FI_DEV_FB_USED${sel}[${w}]) + avg_over_time(DCGM_FI_DEV_FB_FREE${sel}[${w}]) + avg_over_time(DCGM_FI_DEV_FB_RESERVED${sel}[${w}]), 1))`,
        temperature: `max by (gpu) (max_over_time(DCGM_FI_DEV_GPU_TEMP${sel}[${w}]))`,
        power: `max by (gpu) (avg_over_time(DCGM_FI_DEV_POWER_USAGE${sel}[${w}]))`,
        clock_reasons: `max by (gpu) (last_over_time(DCGM_FI_DEV_CLOCK_THROTTLE_REASONS${sel}[${w}]))`,
      };
      const nowExpr: Readonly<Record<ChartSeriesName, string>> = {
        utilization: METRIC_EXPR.utilization(sel),
        memory: METRIC_EXPR.memory(sel),
        temperature: METRIC_EXPR.temperature(sel),
        power: METRIC_EXPR.power(sel),
        clock_reasons: `DCGM_FI_DEV_CLOCK_THROTTLE_REASONS${sel}`,
      };
      const kinds = Object.keys(rangeExpr) as ChartSeriesName[];
      // The readings now, every kind in one query: each labelled with its kind.
      const currentExpr = kinds.map((k) => `label_replace(max by (gpu) (${nowExpr[k]}), "series", "${k}", "", "")`).join(' or ');
      // Every identity a GPU had in the range, with the time it last reported under it: now, else the
      // latest point of the grid it reported at (the grid's points are step-aligned, so "now" is asked too).
      const presence = `timestamp(${GPU_PRESENCE_METRIC}${sel})`;
      const identityExpr = `max by (gpu, UUID, modelName, pci_bus_id, DCGM_FI_DRIVER_VERSION) (${presence} or max_over_time(${presence}[${RANGE_S[range]}s:${step}s]))`;
      // The Xid counter at each point, from one step before the range so the first step has a base,
      // and its last value before that (a node down at the start of the range is no new Xid).
      const xidGrid: PromRangeGrid = { start: start - step, end, step };
      const xidExpr = `max by (pci_bus_id, xid) (last_over_time(aami_xid_errors_total${sel}[${w}]))`;
      const baseExpr = `max by (pci_bus_id, xid) (last_over_time(aami_xid_errors_total${sel}[${XID_BASELINE}]))`;

      const [identity, current, xids, base, ...series] = await Promise.all([
        prom.instant(identityExpr),
        prom.instant(currentExpr),
        prom.range(xidExpr, xidGrid),
        prom.range(baseExpr, { start: start - 2 * step, end: start - 2 * step, step }),
        ...kinds.map((k) => prom.range(rangeExpr[k], grid)),
      ]);

      interface Gpu { ident?: { uuid: string | null; model: string | null; pci: string | null; driver: string | null; seen: number }; current: ChartReadings; series: Record<ChartSeriesName, Array<number | null>> }
      const byIndex = new Map<number, Gpu>();
      const gpu = (label: string | undefined): Gpu | undefined => {
        const i = gpuIndex(label);
        if (i === undefined) return undefined;
        let g = byIndex.get(i);
        if (!g) {
          g = {
            current: { utilization: null, memory: null, temperature: null, power: null, clock_reasons: null },
            series: Object.fromEntries(kinds.map((k) => [k, new Array<number | null>(points).fill(null)])) as Gpu['series'],
          };
          byIndex.set(i, g);
        }
        return g;
      };
      for (const s of identity) {
        const g = gpu(s.metric.gpu);
        const seen = finite(s.value[1]);
        if (!g || seen === null || (g.ident && g.ident.seen >= seen)) continue;
        g.ident = { uuid: labelValue(s.metric.UUID), model: labelValue(s.metric.modelName), pci: labelValue(s.metric.pci_bus_id), driver: labelValue(s.metric.DCGM_FI_DRIVER_VERSION), seen };
      }
      for (const s of current) {
        const k = s.metric.series as ChartSeriesName;
        const v = finite(s.value[1]);
        const g = kinds.includes(k) ? gpu(s.metric.gpu) : undefined;
        if (g) g.current[k] = v === null ? null : k === 'clock_reasons' ? Math.trunc(v) : round1(v);
      }
      kinds.forEach((k, ki) => {
        for (const s of series[ki] ?? []) {
          const g = gpu(s.metric.gpu);
          if (!g) continue;
          for (const [t, text] of s.values) {
            const i = Math.round((t - start) / step);
            const v = finite(text);
            if (i >= 0 && i < points && v !== null) g.series[k][i] = k === 'clock_reasons' ? Math.trunc(v) : round1(v);
          }
        }
      });

      const indexByPci = new Map<string, number>();
      for (const [i, g] of byIndex) if (g.ident?.pci) indexByPci.set(g.ident.pci.toUpperCase(), i);
      const baseline = new Map(base.map((s) => [`${s.metric.pci_bus_id}\u0000${s.metric.xid}`, finite(s.values.at(-1)?.[1])]));
      let markers: XidMarker[] = [];
      for (const s of xids) {
        const pci = labelValue(s.metric.pci_bus_id);
        const xid = s.metric.xid !== undefined && /^\d{1,4}$/.test(s.metric.xid) ? Number(s.metric.xid) : undefined;
        if (pci === null || xid === undefined) continue;
        let last = baseline.get(`${s.metric.pci_bus_id}\u0000${s.metric.xid}`) ?? null;
        for (const [t, text] of s.values) {
          const v = finite(text);
          if (v === null) continue;
          // A counter that fell restarted (a lost state file): everything it counts now is new.
          const count = last === null ? (t > xidGrid.start ? v : 0) : v >= last ? v - last : v;
          last = v;
          if (count > 0 && t >= start) markers.push({ t, xid, count, pci_bus_id: pci, gpu: indexByPci.get(pci.toUpperCase()) ?? null });
        }
      }
      markers.sort((a, b) => a.t - b.t || (a.gpu ?? 99) - (b.gpu ?? 99) || a.xid - b.xid);
      const truncated = markers.length > XID_MARKERS_MAX;
      if (truncated) markers = markers.slice(-XID_MARKERS_MAX);

      return {
        node: name,
        range,
        start,
        end,
        step,
        points,
        gpus: [...byIndex].sort((a, b) => a[0] - b[0]).map(([i, g]) => ({
          gpu: i,
          uuid: g.ident?.uuid ?? null,
          model: g.ident?.model ?? null,
          pci_bus_id: g.ident?.pci ?? null,
          driver_version: g.ident?.driver ?? null,
          last_seen: g.ident?.seen ?? null,
          current: g.current,
          series: g.series,
        })),
        xids: markers,
        xids_truncated: truncated,
        clock_reason_bits: CLOCK_REASON_BITS.map((b) => ({ ...b })),
      };
    },
  };
}
