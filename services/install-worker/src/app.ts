// The install-worker's HTTP API (the gateway proxies it under the same paths, after its token
// check, and presents the service token): start runs, watch them, a node's last result, SSH
// tests, the host key a node offers (read-only), host-key trust, GPU topology and its pins, and the
// node checks of `aami doctor` (read-only). /healthz
// and /metrics stay open on the internal network (Prometheus scrapes /metrics under job "aami").
// Routes only parse, call the services and reply; errors map to JSON once, at the end.
import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import {
  DoctorNodesRequest, HostKeyTrustRequest, InstallRunRequest, NodesTestRequest, TopologyRefreshRequest, jsonErrorHandler, jsonNotFound, parseOrThrow, requireServiceToken, type Logger,
  type TopologyRefreshResponse,
} from '@aami/shared';
import type { NodeDoctor } from './doctor.ts';
import type { InstallService } from './install-service.ts';
import type { TopologyService } from './topology.ts';

export interface AppDeps {
  service: InstallService;
  topology: TopologyService;
  log: Logger;
  version: string;
  /** What the gateway presents (shared/src/http/service-token.ts). */
  serviceToken: string;
  registry: Registry;
  /** The node checks of `aami doctor` (POST /api/v1/doctor/nodes); the route is absent without it. */
  doctor?: Pick<NodeDoctor, 'check'>;
}

export function createApp({ service, topology, log, version, serviceToken, registry, doctor }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => { res.json({ status: 'ok', service: 'install-worker', version, auth: 'service-token' }); });
  app.get('/metrics', async (_req, res) => { res.type(registry.contentType).send(await registry.metrics()); });

  const api = express.Router();
  // Uninstalling every node or re-pinning a host key is one request away: nothing is read before
  // the service token checks out, and writes must be JSON (no browser form reaches them).
  api.use(requireServiceToken(serviceToken, 'install-worker'), express.json({ limit: '1mb' }));
  api.post('/install/runs', async (req, res) => {
    const body = parseOrThrow(InstallRunRequest, req.body ?? {}, 'install run');
    const run = await service.startRun(body);
    res.status(202).json({ runId: run.id, action: run.action, nodes: run.nodes, total: run.nodes.length, concurrency: run.concurrency ?? null });
  });
  api.get('/install/runs', async (req, res) => {
    const limit = Math.min(200, Math.max(1, Number(req.query.limit ?? 20) || 20));
    res.json({ runs: (await service.runs(limit)).map(({ states: _states, ...summary }) => summary) });
  });
  api.get('/install/runs/:id', async (req, res) => { res.json(await service.run(req.params.id)); });
  api.get('/install/nodes/:name/last', async (req, res) => { res.json(await service.last(req.params.name)); });
  api.post('/nodes/test', async (req, res) => {
    const body = parseOrThrow(NodesTestRequest, req.body ?? {}, 'node test');
    const results = await service.test(body.nodes, body.all ?? false);
    res.json({ results, ok: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length });
  });
  // Read-only: connects only far enough to read the key (no login), changes nothing.
  api.get('/nodes/:name/host-key', async (req, res) => { res.json(await service.hostKey(req.params.name)); });
  api.post('/nodes/:name/trust', async (req, res) => {
    const body = parseOrThrow(HostKeyTrustRequest, req.body ?? {}, 'trust');
    res.json(await service.trust(req.params.name, body.fingerprint));
  });
  api.post('/topology/refresh', async (req, res) => {
    const body = parseOrThrow(TopologyRefreshRequest, req.body ?? {}, 'topology refresh');
    const results = await topology.refresh(await service.resolve(body.nodes, body.all ?? !body.nodes?.length));
    const answer: TopologyRefreshResponse = { results, ok: results.filter((r) => r.state !== 'failed').length, failed: results.filter((r) => r.state === 'failed').length };
    res.json(answer);
  });
  api.get('/topology', async (_req, res) => { res.json(await topology.list()); });
  api.get('/topology/:name', async (req, res) => { res.json(await topology.get(req.params.name)); });
  api.post('/topology/:name/pin', async (req, res) => { res.json(await topology.pin(req.params.name)); });
  api.delete('/topology/:name/pin', async (req, res) => { res.json(await topology.unpin(req.params.name)); });
  // Read-only: host keys are compared, not pinned; a login happens only where the pinned key is offered.
  if (doctor) {
    api.post('/doctor/nodes', async (req, res) => {
      const body = parseOrThrow(DoctorNodesRequest, req.body ?? {}, 'doctor request');
      const names = body.nodes?.length ? await service.resolve(body.nodes, false) : undefined;
      res.json(await doctor.check(names, body.timeout_ms));
    });
  }
  api.use(jsonNotFound);
  app.use('/api/v1', api);

  app.use(jsonErrorHandler(log, 'install-worker'));
  return app;
}
