// The Web UI's first screen and a node's charts, as the gateway answers them:
//   GET /api/v1/overview?metric=...        the fleet at a glance: counts, and every GPU's value of one metric
//   GET /api/v1/nodes/:name/charts?range=  one node's GPUs: identity, values now, series over a range, Xid markers
// Both are read from Prometheus (and, for the overview's counts, Alertmanager, the rule compiler and
// the install worker) with one query per kind of data, never one per node or per GPU. Strings that
// come from Prometheus labels (UUIDs, model names, bus ids, driver versions) are what a node chose to
// export: they are capped at LABEL_VALUE_MAX characters here and are data, to be escaped by whoever
// shows them.
import { z } from 'zod';
import { NodeName } from '../config/schema.ts';
import { HealthState } from '../health/schema.ts';
import { AlertsCompileStatus } from './compile-status.ts';
import { InstallRunSummary } from './install.ts';

/** Longest label value (UUID, model name, bus id, driver version) an answer carries; longer ones are cut. */
export const LABEL_VALUE_MAX = 128;

/** A label value as the answers carry it: at most LABEL_VALUE_MAX characters, null when the series had none. */
const LabelValue = z.string().max(LABEL_VALUE_MAX).nullable();

/** A GPU index as dcgm-exporter's `gpu` label gives it; series with anything else are left out. */
export const GpuIndex = z.number().int().min(0).max(63);

/**
 * What the overview colours the GPUs by. health: the analyzer's verdict (aami_gpu_health_state);
 * temperature: DCGM_FI_DEV_GPU_TEMP in °C; utilization: DCGM_FI_DEV_GPU_UTIL in %; memory: the
 * framebuffer in use, FB_USED / (FB_USED + FB_FREE + FB_RESERVED), in %; power: DCGM_FI_DEV_POWER_USAGE in W.
 */
export const OverviewMetric = z.enum(['health', 'temperature', 'utilization', 'memory', 'power']);
export type OverviewMetric = z.infer<typeof OverviewMetric>;

/** GET /api/v1/overview's query string (other parameters are ignored). */
export const OverviewQuery = z.object({ metric: OverviewMetric.default('temperature') });
export type OverviewQuery = z.infer<typeof OverviewQuery>;

/** Where a GPU stands on the legend: 0 normal, 1 above the warning level, 2 above the bad level. */
export const GpuLevel = z.union([z.literal(0), z.literal(1), z.literal(2)]);
export type GpuLevel = z.infer<typeof GpuLevel>;

/**
 * One GPU of the overview, as a tuple to keep 80,000 of them small:
 * `[gpu index, UUID, model (index into OverviewResponse.models), value, level]`.
 * UUID and model are null when no series said; value is null when the GPU has no reading of the
 * chosen metric (for `health`, the value is an index into `legend.states`).
 */
export const OverviewGpu = z
  .tuple([GpuIndex, LabelValue, z.number().int().min(0).nullable(), z.number().nullable(), GpuLevel])
  .describe('one GPU: [index, UUID or null, position of its model in `models` or null, value of the metric or null, level 0/1/2]');
export type OverviewGpu = z.infer<typeof OverviewGpu>;

/** One configured node: whether node_exporter answers (null: Prometheus could not be asked) and its GPUs by index. */
export const OverviewNode = z.strictObject({
  name: NodeName,
  up: z.boolean().nullable(),
  gpus: z.array(OverviewGpu),
});
export type OverviewNode = z.infer<typeof OverviewNode>;

/**
 * How to read the values. `warn` and `bad` are the thresholds of the alert rules that watch the
 * metric (config.yaml's overrides applied): a value above `warn` is level 1, above `bad` level 2;
 * null where no rule gives one. For `health`, `states` names the values and degraded is level 1,
 * unhealthy level 2.
 */
export const OverviewLegend = z.strictObject({
  unit: z.enum(['°C', '%', 'W']).nullable(),
  warn: z.number().nullable(),
  bad: z.number().nullable(),
  states: z.array(HealthState).nullable(),
});
export type OverviewLegend = z.infer<typeof OverviewLegend>;

/** The last compile, summed up as GET /api/v1/alerts/compile-status does (without its detail). */
export const OverviewCompile = AlertsCompileStatus.pick({ state: true, revision: true, compiled_at: true, live_revision: true, error: true });
export type OverviewCompile = z.infer<typeof OverviewCompile>;

/** The last install run, without its node list (a run over every node of a large fleet lists thousands). */
export const OverviewInstallRun = InstallRunSummary.omit({ nodes: true });
export type OverviewInstallRun = z.infer<typeof OverviewInstallRun>;

const Count = z.number().int().min(0);

/** The counts above the map. A part whose source could not be asked is null (see `unavailable`). */
export const OverviewSummary = z.strictObject({
  /** Configured nodes; up and down by node_exporter's `up` (a node with no `up` series counts as down). */
  nodes: z.strictObject({ configured: Count, up: Count.nullable(), down: Count.nullable() }),
  gpus: z.strictObject({
    /** GPUs of configured nodes that dcgm-exporter reports. */
    reporting: Count.nullable(),
    /** GPUs with a value of the chosen metric, and how many of them are at level 1 and 2. */
    with_value: Count.nullable(),
    warn: Count.nullable(),
    bad: Count.nullable(),
    /**
     * GPUs of configured nodes per state the analyzer gives (aami_gpu_health_state), whatever the
     * chosen metric; a GPU with two states at 1 counts once, at the worse. GPUs it says nothing
     * about are not counted, and a state no GPU is in may be left out: `{}` when Prometheus holds
     * none of the analyzer's series (it is not running or not scraped), null when Prometheus could
     * not be asked.
     */
    states: z.partialRecord(HealthState, Count).nullable(),
  }),
  /** Alerts firing now (not silenced or inhibited) by their severity label; `other`: any other severity. */
  alerts: z.strictObject({ critical: Count, warning: Count, info: Count, other: Count }).nullable(),
  /** null when the rule compiler could not be asked (before its first compile the state is `unknown`). */
  compile: OverviewCompile.nullable(),
  /** null when there has been no install run yet, or the install worker could not be asked. */
  install: OverviewInstallRun.nullable(),
});
export type OverviewSummary = z.infer<typeof OverviewSummary>;

/** A source of the overview that did not answer, and what went wrong. */
export const OverviewSourceProblem = z.strictObject({
  source: z.enum(['prometheus', 'alertmanager', 'rule-compiler', 'install-worker']),
  message: z.string(),
});
export type OverviewSourceProblem = z.infer<typeof OverviewSourceProblem>;

/**
 * GET /api/v1/overview. `nodes` are config.yaml's nodes in its order, each with its GPUs sorted by
 * index; series of nodes config.yaml does not list are left out. `models` holds each distinct model
 * name once. `at` is when Prometheus was asked (Unix seconds). A source that did not answer leaves
 * its parts null and is named in `unavailable`; the answer is still a 200.
 */
export const OverviewResponse = z.strictObject({
  metric: OverviewMetric,
  at: z.number(),
  legend: OverviewLegend,
  summary: OverviewSummary,
  models: z.array(z.string().max(LABEL_VALUE_MAX)),
  nodes: z.array(OverviewNode),
  unavailable: z.array(OverviewSourceProblem),
});
export type OverviewResponse = z.infer<typeof OverviewResponse>;

/** How far back a node's charts go. */
export const ChartRange = z.enum(['1h', '6h', '24h', '7d']);
export type ChartRange = z.infer<typeof ChartRange>;

/** GET /api/v1/nodes/:name/charts's query string (other parameters are ignored). */
export const NodeChartsQuery = z.object({ range: ChartRange.default('1h') });
export type NodeChartsQuery = z.infer<typeof NodeChartsQuery>;

/** The kinds of series a chart shows, each per GPU. */
export const CHART_SERIES = ['utilization', 'memory', 'temperature', 'power', 'clock_reasons'] as const;
export type ChartSeriesName = (typeof CHART_SERIES)[number];

const Reading = z.number().nullable();

/** One value per series kind: utilization %, memory in use %, temperature °C, power W, clock_reasons bitmask. */
export const ChartReadings = z.strictObject({
  utilization: Reading,
  memory: Reading,
  temperature: Reading,
  power: Reading,
  clock_reasons: Reading,
});
export type ChartReadings = z.infer<typeof ChartReadings>;

/**
 * Each series kind as one value per point of the grid (`start + i * step`, i from 0 to points - 1);
 * null where Prometheus has no data. utilization, memory and power are the mean over each step,
 * temperature the highest reading in it, clock_reasons the bitmask at the point itself (bits in
 * NodeChartsResponse.clock_reason_bits).
 */
export const ChartSeries = z.strictObject({
  utilization: z.array(Reading),
  memory: z.array(Reading),
  temperature: z.array(Reading),
  power: z.array(Reading),
  clock_reasons: z.array(Reading),
});
export type ChartSeries = z.infer<typeof ChartSeries>;

/**
 * One GPU of the node: who it is (from dcgm-exporter's labels: modelName, UUID, pci_bus_id,
 * DCGM_FI_DRIVER_VERSION; the latest seen in the range), when it last reported (Unix seconds), its
 * readings now (null: none in the last 5 minutes) and its series.
 */
export const ChartGpu = z.strictObject({
  gpu: GpuIndex,
  uuid: LabelValue,
  model: LabelValue,
  pci_bus_id: LabelValue,
  driver_version: LabelValue,
  last_seen: z.number().nullable(),
  current: ChartReadings,
  series: ChartSeries,
});
export type ChartGpu = z.infer<typeof ChartGpu>;

/**
 * An Xid the node's Xid counter (aami_xid_errors_total) counted: `count` occurrences of `xid` on the
 * GPU at `pci_bus_id` between the previous grid point and `t` (Unix seconds). `gpu` is the index of
 * the GPU with that bus id, null when none of the node's GPUs has it.
 */
export const XidMarker = z.strictObject({
  t: z.number(),
  xid: z.number().int().min(0),
  count: z.number().min(0),
  pci_bus_id: z.string().max(LABEL_VALUE_MAX),
  gpu: GpuIndex.nullable(),
});
export type XidMarker = z.infer<typeof XidMarker>;

/** A bit of DCGM_FI_DEV_CLOCK_THROTTLE_REASONS (DCGM 3.3+: CLOCKS_EVENT_REASONS) and its DCGM name. */
export const ClockReasonBit = z.strictObject({ mask: z.number().int().min(1), name: z.string() });
export type ClockReasonBit = z.infer<typeof ClockReasonBit>;

/** Most Xid markers one answer carries; the newest are kept. */
export const XID_MARKERS_MAX = 500;

/**
 * GET /api/v1/nodes/:name/charts. The grid starts at `start`, has `points` points `step` seconds
 * apart (241 for every range: 15 s for 1h, 90 s for 6h, 360 s for 24h, 2520 s for 7d) and ends at
 * `end`, when the request was answered (Unix seconds). GPUs
 * are sorted by index; `xids` by time, at most XID_MARKERS_MAX of them (`xids_truncated` says when
 * older ones were left out).
 */
export const NodeChartsResponse = z.strictObject({
  node: NodeName,
  range: ChartRange,
  start: z.number(),
  end: z.number(),
  step: z.number().positive(),
  points: z.number().int().min(1),
  gpus: z.array(ChartGpu),
  xids: z.array(XidMarker),
  xids_truncated: z.boolean(),
  clock_reason_bits: z.array(ClockReasonBit),
});
export type NodeChartsResponse = z.infer<typeof NodeChartsResponse>;
