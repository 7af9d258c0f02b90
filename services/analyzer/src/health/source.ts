// Reads one observation of the fleet from Prometheus: a fixed number of instant queries for the
// whole fleet (not per node or GPU), so the cost does not grow with the query count as nodes are
// added. A field query that fails leaves that field absent (its checks say unknown); the presence,
// exporter and boot-time queries must answer or the evaluation is skipped.
import { GPU_PRESENCE_METRIC, JOBS, NODE_LABEL, UNKNOWN_PCI_BUS_ID_LABEL, queryPrometheus, type HttpAuth, type PromSample } from '@aami/shared';
import { fieldQueries } from './fields.ts';
import type { GpuIdentity } from './memory.ts';
import type { FieldKey } from './types.ts';

/** One GPU series set as Prometheus has it now. */
export interface ObservedGpu {
  node: string;
  identity: GpuIdentity;
  fields: Partial<Record<FieldKey, number>>;
}

/** One value of AAMI's Xid counter. */
export interface ObservedXidCounter {
  node: string;
  pciBusId: string;
  xid: number;
  value: number;
}

/** The fleet at one instant. */
export interface FleetObservation {
  /** dcgm-exporter scrape state per node that has a target. */
  exporters: Map<string, 'up' | 'down'>;
  gpus: ObservedGpu[];
  bootTimes: Map<string, number>;
  xidCounters: ObservedXidCounter[];
  /** Nodes whose Xid counter ran in the last 5 minutes. */
  xidCounterNodes: Set<string>;
  /** Field queries that failed, with the error (shown in the evaluation status). */
  fieldErrors: string[];
  /** Number of PromQL queries this observation took. */
  queries: number;
}

export type QueryFn = (expr: string) => Promise<PromSample[]>;

/** The query function for a Prometheus at `baseUrl`, presenting `auth` (settings.prometheusAuth). */
export function prometheusQuery(baseUrl: string, timeoutMs = 10_000, auth: HttpAuth = {}): QueryFn {
  return (expr) => queryPrometheus(baseUrl, expr, timeoutMs, auth);
}

const gpuKey = (node: string, gpu: string) => `${node}\u0000${gpu}`;

/** The address of an Xid whose log line named no readable GPU (the node counter's label, normalised). */
export const UNKNOWN_PCI = UNKNOWN_PCI_BUS_ID_LABEL.toUpperCase();

/** Canonical NVML PCI form for joins: upper case, as dcgm-exporter and the Xid counter write it. */
export function normalizePci(pci: string | undefined): string | undefined {
  const p = pci?.trim().toUpperCase();
  return p ? p : undefined;
}

/** Runs the queries and assembles the observation. */
export async function observeFleet(query: QueryFn, rateWindow: string): Promise<FleetObservation> {
  const fields = fieldQueries(rateWindow);
  const [presence, up, boot, xids, counterRuns, ...fieldAnswers] = await Promise.allSettled([
    query(GPU_PRESENCE_METRIC),
    query(`up{job="${JOBS.dcgmExporter}"}`),
    query(`node_boot_time_seconds{job="${JOBS.nodeExporter}"}`),
    query('aami_xid_errors_total'),
    query('aami_xid_counter_last_run_timestamp_seconds > (time() - 300)'),
    ...fields.map(([, expr]) => query(expr)),
  ]);
  const must = <T>(r: PromiseSettledResult<T>): T => {
    if (r.status === 'rejected') throw r.reason as Error;
    return r.value;
  };
  const obs: FleetObservation = {
    exporters: new Map(),
    gpus: [],
    bootTimes: new Map(),
    xidCounters: [],
    xidCounterNodes: new Set(),
    fieldErrors: [],
    queries: 5 + fields.length,
  };
  for (const s of must(up)) {
    const node = s.metric[NODE_LABEL];
    if (node) obs.exporters.set(node, s.value[1] === '1' ? 'up' : 'down');
  }
  for (const s of must(boot)) {
    const node = s.metric[NODE_LABEL];
    if (node) obs.bootTimes.set(node, Number(s.value[1]));
  }
  const byGpu = new Map<string, ObservedGpu>();
  for (const s of must(presence)) {
    const node = s.metric[NODE_LABEL];
    const gpu = s.metric['gpu'];
    if (!node || gpu === undefined || !/^\d{1,3}$/.test(gpu)) continue;
    const identity: GpuIdentity = { gpu: Number(gpu) };
    const uuid = s.metric['UUID'];
    const pci = normalizePci(s.metric['pci_bus_id']);
    const model = s.metric['modelName'];
    if (uuid) identity.uuid = uuid;
    if (pci) identity.pciBusId = pci;
    if (model) identity.modelName = model;
    byGpu.set(gpuKey(node, gpu), { node, identity, fields: {} });
  }
  fields.forEach(([key, expr], i) => {
    const answer = fieldAnswers[i]!;
    if (answer.status === 'rejected') {
      obs.fieldErrors.push(`${expr}: ${(answer.reason as Error).message}`);
      return;
    }
    for (const s of answer.value) {
      const g = byGpu.get(gpuKey(s.metric[NODE_LABEL] ?? '', s.metric['gpu'] ?? ''));
      const v = Number(s.value[1]);
      if (g && Number.isFinite(v)) g.fields[key] = v;
    }
  });
  obs.gpus = [...byGpu.values()];
  if (xids.status === 'fulfilled') {
    for (const s of xids.value) {
      const node = s.metric[NODE_LABEL];
      const xid = Number(s.metric['xid']);
      if (!node || !Number.isInteger(xid)) continue;
      obs.xidCounters.push({ node, pciBusId: normalizePci(s.metric['pci_bus_id']) ?? UNKNOWN_PCI, xid, value: Number(s.value[1]) });
    }
  } else obs.fieldErrors.push(`aami_xid_errors_total: ${(xids.reason as Error).message}`);
  if (counterRuns.status === 'fulfilled') {
    for (const s of counterRuns.value) if (s.metric[NODE_LABEL]) obs.xidCounterNodes.add(s.metric[NODE_LABEL]);
  }
  return obs;
}
