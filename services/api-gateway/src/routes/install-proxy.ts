// Proxies the install API to the install-worker, which owns SSH (the gateway never SSHes): mounted
// on the gateway's /api/v1 router after its token check, it forwards /install/*, POST /nodes/test,
// GET /nodes/:name/host-key, POST /nodes/:name/trust and /topology (pins included) with the same path, method and JSON body,
// and passes the answer back.
import { Router, type Request, type Response } from 'express';
import { forward } from '../upstream.ts';

const TIMEOUT_MS = 10 * 60_000; // a test of thousands of nodes answers when all have answered

/** Routes of the install API, forwarded to `installWorkerUrl` (settings.AAMI_INSTALL_WORKER_URL) with the service token. */
export function installProxyRouter(installWorkerUrl: string, token: string): Router {
  const r = Router();
  const base = installWorkerUrl.replace(/\/+$/, '');
  const fwd = (req: Request, res: Response) => forward(res, {
    service: `the install-worker at ${base}`,
    token,
    url: `${base}${req.originalUrl}`,
    method: req.method,
    body: req.body,
    timeoutMs: TIMEOUT_MS,
  });
  r.all('/install', fwd);
  r.all('/install/*rest', fwd);
  r.post('/nodes/test', fwd);
  r.get('/nodes/:name/host-key', fwd);
  r.post('/nodes/:name/trust', fwd);
  r.post('/topology/refresh', fwd);
  r.get('/topology', fwd);
  r.get('/topology/:name', fwd);
  r.post('/topology/:name/pin', fwd);
  r.delete('/topology/:name/pin', fwd);
  return r;
}
