// Proxies the install API to the install-worker, which owns SSH (the gateway never SSHes): mounted
// on the gateway's /api/v1 router after its token check, it forwards /install/*, POST /nodes/test
// and POST /nodes/:name/trust with the same path, method and JSON body, and passes the answer back.
import { Router, type Request, type Response } from 'express';

const TIMEOUT_MS = 10 * 60_000; // a test of thousands of nodes answers when all have answered

async function forward(installWorkerUrl: string, req: Request, res: Response): Promise<void> {
  const url = `${installWorkerUrl.replace(/\/+$/, '')}${req.originalUrl}`;
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  let upstream: globalThis.Response;
  try {
    upstream = await fetch(url, {
      method: req.method,
      headers: { accept: 'application/json', ...(hasBody ? { 'content-type': 'application/json' } : {}) },
      body: hasBody ? JSON.stringify(req.body ?? {}) : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    res.status(503).json({ error: { code: 'unavailable', message: `the install-worker at ${installWorkerUrl} cannot be reached (${cause})`, details: [] } });
    return;
  }
  const text = await upstream.text();
  res.status(upstream.status);
  res.type(upstream.headers.get('content-type') ?? 'application/json');
  res.send(text);
}

/** Routes of the install API, forwarded to `installWorkerUrl` (e.g. settings.AAMI_INSTALL_WORKER_URL). */
export function installProxyRouter(installWorkerUrl: string): Router {
  const r = Router();
  const fwd = (req: Request, res: Response) => forward(installWorkerUrl, req, res);
  r.all('/install', fwd);
  r.all('/install/*rest', fwd);
  r.post('/nodes/test', fwd);
  r.post('/nodes/:name/trust', fwd);
  return r;
}
