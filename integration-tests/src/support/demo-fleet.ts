// Simulated GPU nodes as the compose `demo` profile (and the e2e run) needs them: every node looks
// like a real host on the network, with dcgm-exporter on :9400 and node_exporter on :9100, reached
// by its own host name (the container carries one network alias per node). One process serves them
// all: the GPU simulator's fleet renders each node's dcgm-exporter text, a front listener picks the
// node from the HTTP Host header, a node_exporter stand-in answers on :9100, and AAMI's real Xid
// counter (node-files/aami-xid-counter) reads each node's simulated kernel log into that
// node's textfile folder, as it does on a GPU node. Faults go through the simulator's control API.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFleet, type RunningFleet } from '@aami/gpu-simulator';
import { renderNodeExporterText } from './node-exporter-standin.ts';

const run = promisify(execFile);

/** AAMI's Xid counter script, as installed on GPU nodes. */
export const XID_COUNTER_SCRIPT = fileURLToPath(new URL('../../../node-files/aami-xid-counter', import.meta.url));

/** How the demo fleet is set up. */
export interface DemoFleetOptions {
  nodes?: number;
  gpus?: number;
  model?: 'H100' | 'A100' | 'V100';
  /** Per-node models (node i plays models[i], the rest play `model`), e.g. a V100 node to show page
   * retirement next to the row-remapping A100/H100 nodes. */
  models?: Array<'H100' | 'A100' | 'V100'>;
  nodePrefix?: string;
  /** Address the front listeners and the control API listen on. */
  bind?: string;
  dcgmPort?: number;
  nodeExporterPort?: number;
  controlPort?: number;
  /** Kernel logs, Xid counter state and textfile folders go here. */
  workDir: string;
  /** How often the Xid counter reads the kernel logs. */
  xidCounterIntervalMs?: number;
}

/** A running demo fleet. */
export interface DemoFleet {
  sim: RunningFleet;
  names: string[];
  dcgmPort: number;
  nodeExporterPort: number;
  controlUrl: string | undefined;
  /** Runs the Xid counter for every node now (it also runs on its timer). */
  countXids(): Promise<void>;
  stop(): Promise<void>;
}

/** The node a request is for: the host part of its Host header (gpu-node-01:9400 -> gpu-node-01). */
export function nodeFromHost(hostHeader: string | undefined, names: ReadonlySet<string>): string | undefined {
  if (!hostHeader) return undefined;
  const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
  if (names.has(host)) return host;
  const short = host.split('.')[0] ?? host;
  return names.has(short) ? short : undefined;
}

function listen(server: Server, port: number, bind: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts the fleet, its front listeners and the Xid counter timer. */
export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  const bind = options.bind ?? '0.0.0.0';
  const sim = await startFleet({
    nodes: options.nodes ?? 4,
    gpus: options.gpus ?? 8,
    model: options.model ?? 'H100',
    ...(options.models ? { models: options.models } : {}),
    nodePrefix: options.nodePrefix ?? 'gpu-node-',
    basePort: 0,
    bind: '127.0.0.1',
    controlBind: bind,
    controlPort: options.controlPort ?? 9500,
    logDir: join(options.workDir, 'kern'),
  });
  const names = sim.nodes.map((n) => n.name);
  const nameSet = new Set(names);
  const textfileDir = (name: string) => join(options.workDir, 'textfile', name);
  for (const name of names) await mkdir(textfileDir(name), { recursive: true });

  let counting: Promise<void> | undefined;
  const countXids = (): Promise<void> => {
    counting ??= (async () => {
      for (const ep of sim.nodes) {
        if (!ep.logFile) continue;
        await run('sh', [XID_COUNTER_SCRIPT, '--source', 'file', '--log-file', ep.logFile, '--state-dir', join(options.workDir, 'xid-state', ep.name), '--textfile-dir', textfileDir(ep.name)]).catch((err: Error) => {
          process.stderr.write(`demo-fleet: aami-xid-counter for ${ep.name} failed: ${err.message}\n`);
        });
      }
    })().finally(() => {
      counting = undefined;
    });
    return counting;
  };
  await countXids();
  const timer = setInterval(() => void countXids(), options.xidCounterIntervalMs ?? 15_000);
  timer.unref();

  // A node that is down (node-down fault) drops the connection, as a dead host's exporter would.
  const front = (render: (name: string) => string) => (req: IncomingMessage, res: ServerResponse) => {
    const name = nodeFromHost(req.headers.host, nameSet);
    const path = (req.url ?? '/').split('?')[0];
    if (!name) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`unknown node "${req.headers.host ?? ''}"; this host serves: ${names.join(', ')}\n`);
      return;
    }
    if (sim.fleet.node(name).down) {
      req.socket.destroy();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(path === '/' ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' }).end(path === '/' ? `${name}: see /metrics\n` : '404 page not found\n');
      return;
    }
    const body = render(name);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const dcgm = createServer(front((name) => sim.fleet.node(name).metricsText()));
  const nodeExp = createServer(
    front((name) => {
      const node = sim.fleet.node(name);
      // Read per scrape: a reboot fault moves the boot time, and node_boot_time_seconds follows.
      return renderNodeExporterText({ name, bootMs: node.bootTimeMs, cpus: 64, memBytes: 2048 * 2 ** 30, diskBytes: 1.92e12, textfileDir: textfileDir(name) }, Date.now());
    }),
  );
  let dcgmPort: number;
  let nodeExporterPort: number;
  try {
    dcgmPort = await listen(dcgm, options.dcgmPort ?? 9400, bind);
    nodeExporterPort = await listen(nodeExp, options.nodeExporterPort ?? 9100, bind);
  } catch (err) {
    clearInterval(timer);
    await Promise.all([close(dcgm), close(nodeExp), sim.stop()]);
    throw err;
  }
  return {
    sim,
    names,
    dcgmPort,
    nodeExporterPort,
    controlUrl: sim.controlUrl,
    countXids,
    async stop() {
      clearInterval(timer);
      await Promise.all([close(dcgm), close(nodeExp)]);
      await counting;
      await sim.stop();
    },
  };
}
