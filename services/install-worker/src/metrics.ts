// The install worker's metrics, scraped by Prometheus under job "aami" (honor_labels, so `node` is
// the GPU node a series is about): NVLinks active and expected per GPU, from the last topology taken
// of each node judged against its peers or its kind's pin. NVLinkDegraded (gpu-hardware) and the
// analyzer's nvlink check read them. Values change when a topology is taken (install, daily,
// `aami topo refresh`), not on every scrape.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { TopoExpectation } from '@aami/shared';

export interface WorkerMetricsDeps {
  /** Each node's judged topology (TopologyService.judged). */
  judged: () => Promise<Map<string, TopoExpectation>>;
  /** Adds the process metrics (CPU, memory, event loop). */
  defaults?: boolean;
}

/** A registry of its own (no global state, so tests stay independent). */
export function createWorkerMetrics({ judged, defaults = false }: WorkerMetricsDeps): Registry {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'aami_install_worker_' });
  // One judgement per scrape feeds all three gauges: prom-client starts every collect() of a scrape
  // in one synchronous loop, so the promise is shared until the next microtask, never across scrapes.
  let pending: Promise<Map<string, TopoExpectation>> | undefined;
  const once = () => {
    if (!pending) {
      pending = judged();
      queueMicrotask(() => { pending = undefined; });
    }
    return pending;
  };
  new Gauge({
    name: 'aami_nvlink_links_active', help: 'NVLinks nvidia-smi nvlink -s reported active on a GPU when its topology was last taken.', labelNames: ['node', 'gpu'], registers: [registry],
    async collect() {
      this.reset();
      for (const [node, e] of await once()) for (const g of e.gpus) this.set({ node, gpu: String(g.gpu) }, g.active);
    },
  });
  new Gauge({
    name: 'aami_nvlink_links_expected', help: 'NVLinks a GPU should have active: what most nodes of its kind have, or its kind\'s pin.', labelNames: ['node', 'gpu'], registers: [registry],
    async collect() {
      this.reset();
      for (const [node, e] of await once()) for (const g of e.gpus) this.set({ node, gpu: String(g.gpu) }, g.expected);
    },
  });
  new Gauge({
    name: 'aami_topology_deviations', help: 'Ways a node\'s topology differs from what is expected (fewer NVLinks, a lower NV#, another PCIe path).', labelNames: ['node'], registers: [registry],
    async collect() {
      this.reset();
      for (const [node, e] of await once()) this.set({ node }, e.deviations.length);
    },
  });
  return registry;
}
