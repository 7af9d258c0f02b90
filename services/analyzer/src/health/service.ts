// The analyzer's health loop: every interval, observe the fleet in Prometheus, fold it into the
// memory, run the checks, record state transitions, export the aami_*_health_* series and keep the
// answer the API serves. One evaluation at a time; a failed one keeps the previous answer and says
// why in the status.
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  HEALTH_METRICS, HealthAction, HealthState, NotFoundError,
  type EvaluationStatus, type FleetHealthResponse, type HealthClearResponse, type HealthTransition, type Logger, type NodeHealth, type NodeHealthResponse, type XidCatalog,
} from '@aami/shared';
import { evaluateGpu, evaluateNode, sortWorstFirst } from './evaluate.ts';
import { MemoryFile, loadMemory, type HealthMemory } from './memory.ts';
import { observeFleet, type QueryFn } from './source.ts';
import { clearFindings, trackFleet, type TrackerSettings, type XidLookup } from './tracker.ts';

export interface HealthServiceOptions extends TrackerSettings {
  query: QueryFn;
  /** Where the memory is kept (AAMI_DATA_DIR/health/state.json). */
  memoryPath: string;
  catalog: XidCatalog;
  registry: Registry;
  log: Logger;
  intervalMs: number;
  rateWindow: string;
  clock?: () => number;
}


export class HealthService {
  private memory: HealthMemory | undefined;
  private readonly file: MemoryFile;
  private nodes: NodeHealth[] = [];
  private evaluatedAt: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly clock: () => number;
  private readonly lookup: XidLookup;
  readonly status: EvaluationStatus = { fieldErrors: [] };
  private readonly gpuScore: Gauge<string>;
  private readonly gpuState: Gauge<string>;
  private readonly gpuAction: Gauge<string>;
  private readonly nodeScore: Gauge<string>;
  private readonly failures: Counter<string>;
  private readonly lastSuccess: Gauge<string>;

  private readonly opts: HealthServiceOptions;

  constructor(opts: HealthServiceOptions) {
    this.opts = opts;
    this.file = new MemoryFile(opts.memoryPath);
    this.clock = opts.clock ?? Date.now;
    this.lookup = (xid) => {
      const e = opts.catalog.getXid(xid);
      return e ? { title: e.title, bucket: e.nvidia_immediate_action } : { title: 'not in the catalog', bucket: '' };
    };
    const registers = [opts.registry];
    const gpuLabels = ['node', 'gpu', 'UUID', 'pci_bus_id'] as const;
    this.gpuScore = new Gauge({ name: HEALTH_METRICS.gpuScore, help: 'GPU health score, 0 (out of service) to 100 (no findings).', labelNames: gpuLabels, registers });
    this.gpuState = new Gauge({ name: HEALTH_METRICS.gpuState, help: 'GPU health state: 1 for the current state, 0 for the others.', labelNames: [...gpuLabels, 'state'], registers });
    this.gpuAction = new Gauge({ name: HEALTH_METRICS.gpuAction, help: 'Suggested next action for the GPU: 1 for the current one, 0 for the others.', labelNames: [...gpuLabels, 'action'], registers });
    this.nodeScore = new Gauge({ name: HEALTH_METRICS.nodeScore, help: 'Node health score: the score of its worst GPU.', labelNames: ['node'], registers });
    this.failures = new Counter({ name: 'aami_health_evaluation_failures_total', help: 'Health evaluations that could not read Prometheus or save their state.', registers });
    this.lastSuccess = new Gauge({ name: 'aami_health_last_evaluation_timestamp_seconds', help: 'When the last health evaluation succeeded.', registers });
  }

  /** Loads the memory (a damaged file stops the start) and starts the timer. */
  async start(): Promise<void> {
    this.memory = await loadMemory(this.opts.memoryPath);
    const tick = () => {
      void this.evaluate().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.opts.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs one evaluation now (or waits for the one in progress). */
  evaluate(): Promise<void> {
    this.running ??= this.evaluateOnce().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async evaluateOnce(): Promise<void> {
    const memory = (this.memory ??= await loadMemory(this.opts.memoryPath));
    try {
      const obs = await observeFleet(this.opts.query, this.opts.rateWindow);
      const now = this.clock();
      const tracked = trackFleet(memory, obs, this.lookup, this.opts, now);
      const gpus = tracked.snapshots.map((s) => evaluateGpu(s));
      const byNode = new Map<string, typeof gpus>(tracked.nodes.map((n) => [n, []]));
      for (const g of gpus) byNode.get(g.node)?.push(g);
      const nodes = [...byNode].map(([n, gs]) => evaluateNode(n, gs, tracked.nodeReasons.get(n)));
      this.recordTransitions(memory, nodes, now);
      await this.file.save(memory);
      this.nodes = sortWorstFirst(nodes);
      this.evaluatedAt = new Date(now).toISOString();
      this.export(nodes);
      this.status.lastSuccessAt = this.evaluatedAt;
      this.status.queries = obs.queries;
      this.status.fieldErrors = obs.fieldErrors;
      delete this.status.lastError;
      this.lastSuccess.set(now / 1000);
    } catch (err) {
      this.failures.inc();
      this.status.lastError = (err as Error).message;
      this.opts.log.warn('health evaluation failed; keeping the previous results', { error: err as Error });
    }
  }

  private recordTransitions(memory: HealthMemory, nodes: NodeHealth[], now: number): void {
    const at = new Date(now).toISOString();
    for (const n of nodes) {
      for (const g of n.gpus) {
        const key = `${g.node}|${g.gpu}`;
        const prev = memory.states[key];
        if (prev?.state !== g.state || (prev.action !== g.action && g.state !== 'healthy')) {
          const from = prev?.state ?? 'unknown';
          if (prev !== undefined || g.state !== 'healthy') {
            const t: HealthTransition = { at, node: g.node, gpu: g.gpu, from, to: g.state, action: g.action, reason: g.reasons[0]?.reason ?? 'all checks pass' };
            memory.history.push(t);
            this.opts.log.info('GPU health changed', { node: g.node, gpu: g.gpu, from, to: g.state, action: g.action });
          }
          memory.states[key] = { state: g.state, action: g.action };
        }
      }
    }
  }

  private export(nodes: NodeHealth[]): void {
    this.gpuScore.reset();
    this.gpuState.reset();
    this.gpuAction.reset();
    this.nodeScore.reset();
    for (const n of nodes) {
      this.nodeScore.set({ node: n.node }, n.score);
      for (const g of n.gpus) {
        const labels = { node: g.node, gpu: String(g.gpu), UUID: g.uuid ?? '', pci_bus_id: g.pciBusId ?? '' };
        this.gpuScore.set(labels, g.score);
        for (const s of HealthState.options) this.gpuState.set({ ...labels, state: s }, s === g.state ? 1 : 0);
        for (const a of HealthAction.options) this.gpuAction.set({ ...labels, action: a }, a === g.action ? 1 : 0);
      }
    }
  }

  /** The fleet, worst first. */
  fleet(): FleetHealthResponse {
    const counts = Object.fromEntries(HealthState.options.map((s) => [s, 0])) as FleetHealthResponse['counts'];
    for (const n of this.nodes) for (const g of n.gpus) counts[g.state] += 1;
    const evaluation = { ...this.status, fieldErrors: [...this.status.fieldErrors] };
    return { ...(this.evaluatedAt ? { evaluatedAt: this.evaluatedAt } : {}), nodes: this.nodes, counts, evaluation };
  }

  /** One node with its GPUs' transitions, newest first; 404 for a node the fleet does not have. */
  node(name: string, gpu?: number): NodeHealthResponse {
    const n = this.nodes.find((x) => x.node === name);
    if (!n) throw new NotFoundError(`no health data for node "${name}": it is not a monitored GPU node, or the first evaluation has not finished`);
    const history = (this.memory?.history ?? []).filter((t) => t.node === name && (gpu === undefined || t.gpu === gpu)).reverse().slice(0, 200);
    const gpus = gpu === undefined ? n.gpus : n.gpus.filter((g) => g.gpu === gpu);
    if (gpu !== undefined && gpus.length === 0) throw new NotFoundError(`node "${name}" has no GPU ${gpu}`);
    return { ...n, gpus, history };
  }

  /** Forgets a node's (or one GPU's) findings after a repair, audits who and why, and re-evaluates. */
  async clear(node: string, gpu: number | undefined, reason: string, by: string): Promise<HealthClearResponse> {
    await this.running; // an evaluation in flight must not mix findings from before the clear
    const memory = (this.memory ??= await loadMemory(this.opts.memoryPath));
    if (!memory.nodes[node] && !this.nodes.some((n) => n.node === node)) throw new NotFoundError(`no health data for node "${node}"`);
    const cleared = clearFindings(memory, node, gpu);
    const at = new Date(this.clock()).toISOString();
    memory.audit.push({ at, by, node, ...(gpu !== undefined ? { gpu } : {}), reason, cleared });
    this.opts.log.info('GPU health findings cleared', { node, gpu, by, reason, cleared });
    await this.file.save(memory);
    await this.evaluate();
    return { node, ...(gpu !== undefined ? { gpu } : {}), cleared, by, at, reason };
  }
}
