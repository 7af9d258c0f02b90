// The simulator's control API: a small JSON HTTP server (node:http) for tests and people to inject
// and clear faults and to look at nodes. Routes:
//   GET    /                      index: routes and fault types
//   GET    /nodes                 every node: endpoint, up, faults
//   GET    /nodes/:node           one node: GPUs (uuid, PCI ids, present, last Xid), faults, recent events
//   POST   /nodes/:node/faults    body: {type, gpu?, ...} (see faults.ts) -> 201 {event, fault?}
//   DELETE /nodes/:node/faults    clear every fault of the node -> 200 {cleared}
// Errors are {error, message, details} with the status of the shared typed errors (400/404).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AamiError, NotFoundError, ValidationError, type Logger } from '@aami/shared';
import { FAULT_TYPES, type FaultRequestInput } from './faults.ts';
import type { Fleet } from './fleet.ts';

const MAX_BODY = 64 * 1024;

/** A running control API. */
export interface ControlApi {
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ValidationError(`request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('request body is not JSON');
  }
}

function nodeDetail(fleet: Fleet, name: string): unknown {
  const node = fleet.node(name);
  return {
    ...fleet.summary(node),
    gpus: node.gpus.map((g) => ({
      index: g.id.index,
      uuid: g.id.uuid,
      pciBusId: g.id.pciBusId,
      kernelPci: g.id.kernelPci,
      present: g.present,
      lastXid: g.lastXid,
    })),
    faults: node.faults.map((f) => ({ id: f.id, at: new Date(f.atMs).toISOString(), ...f.request })),
    events: node.events.slice(-50).map((e) => ({ id: e.id, at: new Date(e.atMs).toISOString(), what: e.what, kernelLines: e.kernelLines })),
  };
}

async function route(fleet: Fleet, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  if (method === 'GET' && parts.length === 0) {
    send(res, 200, {
      service: 'aami-gpu-simulator',
      routes: ['GET /nodes', 'GET /nodes/:node', 'POST /nodes/:node/faults', 'DELETE /nodes/:node/faults'],
      faultTypes: FAULT_TYPES,
    });
    return;
  }
  if (method === 'GET' && parts.length === 1 && parts[0] === 'health') return send(res, 200, { ok: true });
  if (parts[0] === 'nodes') {
    if (method === 'GET' && parts.length === 1) return send(res, 200, { nodes: fleet.summaries() });
    const name = parts[1] ?? '';
    if (method === 'GET' && parts.length === 2) return send(res, 200, nodeDetail(fleet, name));
    if (parts.length === 3 && parts[2] === 'faults') {
      if (method === 'POST') {
        fleet.node(name);
        const outcome = await fleet.inject(name, (await readJson(req)) as FaultRequestInput);
        return send(res, 201, outcome);
      }
      if (method === 'DELETE') return send(res, 200, await fleet.clear(name));
    }
  }
  throw new NotFoundError(`no route ${method} ${path}`);
}

/** Starts the control API on host:port (port 0 = any free port). */
export async function startControlApi(fleet: Fleet, host: string, port: number, log?: Logger): Promise<ControlApi> {
  const server: Server = createServer((req, res) => {
    route(fleet, req, res).catch((err: unknown) => {
      if (err instanceof AamiError) {
        send(res, err.status, { error: err.code, message: err.message, details: err.details });
      } else {
        log?.error('control request failed', { err });
        send(res, 500, { error: 'internal', message: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`control API cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
