// Builders for the health tests: a GPU snapshot with healthy defaults, and a fleet observation a
// test edits step by step (what Prometheus would answer), so scenarios read as fault sequences.
import type { PromSample } from '@aami/shared';
import { fieldQueries } from './fields.ts';
import type { FleetObservation, ObservedGpu } from './source.ts';
import type { FieldKey, GpuSnapshot } from './types.ts';

/** Field values of a healthy H100 with AAMI's counters file, its topology read (18 of 18 NVLinks). */
export const HEALTHY_FIELDS: Readonly<Record<FieldKey, number>> = {
  memTemp: 45, remapFailure: 0, remapPending: 0, remapUncorrectable: 0, retiredPending: 0, retiredSbe: 0, retiredDbe: 0,
  eccDbeVolatile: 0, pcieReplayPerMin: 0, pcieLinkGen: 5, pcieLinkWidth: 16, nvlinkCrcFlitPerS: 0, nvlinkCrcDataPerS: 0,
  nvlinkReplayIncrease: 0, nvlinkRecoveryIncrease: 0, nvlinkLinksActive: 18, nvlinkLinksExpected: 18, thermalSlowdownRatio: 0, powerSlowdownRatio: 0,
};

export function snapshot(over: Partial<GpuSnapshot> = {}): GpuSnapshot {
  return {
    node: 'gpu-node-01', gpu: 0, pciBusId: '00000000:41:00.0', vendor: 'nvidia', exporter: 'up', reporting: true,
    fields: { ...HEALTHY_FIELDS }, xidCounterReporting: true, xids: [], rebootThreshold: 2,
    ...over,
  };
}

export const pciOf = (gpu: number) => `00000000:${(0x41 + gpu).toString(16).toUpperCase()}:00.0`;

/** A fleet of `nodes` x `gpus` healthy GPUs, every exporter up, booted at `bootTime`. */
export function observation(nodes: string[], gpus: number, bootTime = 1_700_000_000): FleetObservation {
  const list: ObservedGpu[] = [];
  for (const node of nodes) {
    for (let g = 0; g < gpus; g++) {
      list.push({ node, identity: { gpu: g, uuid: `GPU-${node}-${g}`, pciBusId: pciOf(g), modelName: 'NVIDIA H100 80GB HBM3' }, fields: { ...HEALTHY_FIELDS } });
    }
  }
  return {
    exporters: new Map(nodes.map((n) => [n, 'up'])),
    gpus: list,
    bootTimes: new Map(nodes.map((n) => [n, bootTime])),
    xidCounters: [],
    xidCounterNodes: new Set(nodes),
    fieldErrors: [],
    queries: 0,
  };
}

/** Raises AAMI's Xid counter for one GPU by one. */
export function bumpXid(obs: FleetObservation, node: string, gpu: number, xid: number): void {
  const pci = pciOf(gpu);
  const c = obs.xidCounters.find((x) => x.node === node && x.pciBusId === pci && x.xid === xid);
  if (c) c.value += 1;
  else obs.xidCounters.push({ node, pciBusId: pci, xid, value: 1 });
}

/** Sets a field of one GPU. */
export function setField(obs: FleetObservation, node: string, gpu: number, key: FieldKey, value: number | undefined): void {
  const g = obs.gpus.find((x) => x.node === node && x.identity.gpu === gpu);
  if (!g) throw new Error(`no GPU ${node}/${gpu} in the observation`);
  if (value === undefined) delete g.fields[key];
  else g.fields[key] = value;
}

/**
 * Answers the health source's queries from an observation, with the labels Prometheus would put
 * on them (dcgm-exporter's gpu/UUID/pci_bus_id/modelName plus the target's node). Unknown
 * expressions are a test bug and throw.
 */
export function fakePrometheus(obs: FleetObservation, rateWindow = '5m', now = () => Date.now()): (expr: string) => Promise<PromSample[]> {
  const fieldByExpr = new Map(fieldQueries(rateWindow).map(([k, e]) => [e, k]));
  const sample = (metric: Record<string, string>, v: number): PromSample => ({ metric, value: [now() / 1000, String(v)] });
  const gpuLabels = (g: ObservedGpu) => ({
    node: g.node, gpu: String(g.identity.gpu), UUID: g.identity.uuid ?? '', pci_bus_id: g.identity.pciBusId ?? '', modelName: g.identity.modelName ?? '',
  });
  return async (expr) => {
    if (expr === 'DCGM_FI_DEV_GPU_TEMP') return obs.gpus.map((g) => sample({ __name__: expr, ...gpuLabels(g) }, 40));
    if (expr.startsWith('up{')) return [...obs.exporters].map(([node, s]) => sample({ __name__: 'up', job: 'dcgm_exporter', node }, s === 'up' ? 1 : 0));
    if (expr.startsWith('node_boot_time_seconds')) return [...obs.bootTimes].map(([node, t]) => sample({ __name__: 'node_boot_time_seconds', node }, t));
    if (expr === 'aami_xid_errors_total') return obs.xidCounters.map((c) => sample({ __name__: expr, node: c.node, pci_bus_id: c.pciBusId, xid: String(c.xid) }, c.value));
    if (expr.startsWith('aami_xid_counter_last_run')) return [...obs.xidCounterNodes].map((node) => sample({ node }, now() / 1000));
    const key = fieldByExpr.get(expr);
    if (!key) throw new Error(`fake Prometheus: unexpected query ${expr}`);
    return obs.gpus.filter((g) => g.fields[key] !== undefined).map((g) => sample(gpuLabels(g), g.fields[key]!));
  };
}
