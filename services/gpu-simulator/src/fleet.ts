// Many simulated nodes in one process: builds the nodes, opens one listener per node, and routes
// fault injection and clear to a node, opening or closing its listener for node-down. The one place
// that knows both the node state (sim-node.ts) and the sockets (node-server.ts).
import { join } from 'node:path';
import { NotFoundError } from '@aami/shared';
import { loadFieldCatalog } from './field-catalog.ts';
import type { FaultRequestInput } from './faults.ts';
import { GPU_MODELS } from './gpu-models.ts';
import { NodeServer } from './node-server.ts';
import { nodeNames, nthAddress, type FleetOptions } from './options.ts';
import { SimNode, type InjectOutcome } from './sim-node.ts';

/** A node as the outside sees it. */
export interface NodeEndpoint {
  name: string;
  /** Scrape URL of its /metrics. */
  url: string;
  /** `host:port`, ready for a Prometheus static_config. */
  target: string;
  logFile: string | undefined;
}

/** Summary of one node for listings. */
export interface NodeSummary extends NodeEndpoint {
  up: boolean;
  model: string;
  /** ISO time the node last booted. */
  bootTime: string;
  gpus: number;
  gpusPresent: number;
  faults: Array<{ id: number; type: string; gpu?: number }>;
}

const START_BATCH = 200;

/** A running set of simulated nodes. */
export class Fleet {
  readonly options: FleetOptions;
  private readonly nodes: SimNode[];
  private readonly byName: Map<string, SimNode>;
  private readonly servers: Map<string, NodeServer>;

  private constructor(options: FleetOptions, nodes: SimNode[], servers: Map<string, NodeServer>) {
    this.options = options;
    this.nodes = nodes;
    this.byName = new Map(nodes.map((n) => [n.name, n]));
    this.servers = servers;
  }

  /** Builds every node and opens every listener; on any failure closes what it opened and throws. */
  static async start(options: FleetOptions, clock: () => number = Date.now): Promise<Fleet> {
    const catalog = loadFieldCatalog(options.counters);
    const names = nodeNames(options.nodePrefix, options.nodes);
    const nodes = names.map(
      (name, i) =>
        new SimNode({
          name,
          model: GPU_MODELS[options.models?.[i] ?? options.model],
          gpuCount: options.gpus,
          catalog,
          driverVersion: options.driverVersion,
          xidWindowMs: options.xidWindowMs,
          cacheTtlMs: options.cacheTtlMs,
          logPath: join(options.logDir, `${name}.kern.log`),
          clock,
        }),
    );
    const servers = new Map<string, NodeServer>();
    let address = options.firstAddress;
    nodes.forEach((node, i) => {
      const host = options.addressing === 'loopback' ? address : options.bind;
      const port = options.addressing === 'loopback' || options.basePort === 0 ? options.basePort : options.basePort + i;
      if (port > 65_535) throw new Error(`base port ${options.basePort} + ${options.nodes} nodes runs past 65535`);
      servers.set(node.name, new NodeServer(node, host, port));
      if (options.addressing === 'loopback') address = nthAddress(address, 1);
    });
    const fleet = new Fleet(options, nodes, servers);
    try {
      const all = [...servers.values()];
      for (let i = 0; i < all.length; i += START_BATCH) await Promise.all(all.slice(i, i + START_BATCH).map((s) => s.start()));
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  /** The node called `name`; NotFoundError otherwise. */
  node(name: string): SimNode {
    const n = this.byName.get(name);
    if (!n) throw new NotFoundError(`no simulated node called ${name}`);
    return n;
  }

  /** Every node's endpoint, in node order. */
  endpoints(): NodeEndpoint[] {
    return this.nodes.map((n) => this.endpoint(n));
  }

  /** Listing entry of every node. */
  summaries(): NodeSummary[] {
    return this.nodes.map((n) => this.summary(n));
  }

  /** Listing entry of one node. */
  summary(node: SimNode): NodeSummary {
    return {
      ...this.endpoint(node),
      up: this.server(node).listening,
      model: node.model.name,
      bootTime: new Date(node.bootTimeMs).toISOString(),
      gpus: node.gpus.length,
      gpusPresent: node.gpus.filter((g) => g.present).length,
      faults: node.faults.map((f) => ({ id: f.id, type: f.request.type, ...('gpu' in f.request ? { gpu: f.request.gpu } : {}) })),
    };
  }

  /** Applies a fault to a node; node-down closes its listener before this resolves, a reboot of a
   * node that was down opens it again. */
  async inject(name: string, req: FaultRequestInput): Promise<InjectOutcome> {
    const node = this.node(name);
    const outcome = node.inject(req);
    if (node.down) await this.server(node).stop();
    else await this.server(node).start();
    return outcome;
  }

  /** Clears a node's faults and reopens its listener if it was down. */
  async clear(name: string): Promise<{ cleared: number }> {
    const node = this.node(name);
    const result = node.clear();
    await this.server(node).start();
    return result;
  }

  /** Closes every listener. */
  async stop(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
  }

  private server(node: SimNode): NodeServer {
    const s = this.servers.get(node.name);
    if (!s) throw new Error(`no server for ${node.name}`);
    return s;
  }

  private endpoint(node: SimNode): NodeEndpoint {
    const s = this.server(node);
    return { name: node.name, url: s.url, target: s.target, logFile: node.kernelLog?.path };
  }
}
